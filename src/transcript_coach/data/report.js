/* transcript-coach HTML report: jump-to-evidence highlighting and the conversation filter. No network. */
(function () {
  "use strict";

  function clearHits() {
    var hits = document.querySelectorAll(".transcript .hit");
    for (var i = 0; i < hits.length; i++) hits[i].classList.remove("hit");
  }

  // A link to an evidence anchor lights up every segment of that evidence (spans can overlap and be cut in pieces).
  function showTarget() {
    clearHits();
    var id = "";
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { id = location.hash.slice(1); }
    if (!id) return;
    var anchor = document.getElementById(id);
    if (!anchor || !anchor.classList.contains("ev-anchor")) return;
    var section = anchor.closest(".conv");
    var key = anchor.getAttribute("data-key");
    var segments = section && key ? section.querySelectorAll('[data-ev~="' + key + '"]') : [];
    for (var i = 0; i < segments.length; i++) segments[i].classList.add("hit");
    var first = segments.length ? segments[0] : null;
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.focus({ preventScroll: true });
    }
    (first || anchor).scrollIntoView({ block: "center" });
  }

  window.addEventListener("hashchange", showTarget);
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest('a[href^="#"]') : null;
    if (link && link.getAttribute("href") === location.hash) {
      event.preventDefault();
      showTarget();  // same hash again: no hashchange event, so highlight by hand
    }
  });

  // Filter the index of conversations by any text in its row (id, agents, channel, flag codes).
  var input = document.getElementById("conv-filter");
  var counter = document.getElementById("filter-count");
  if (input) {
    var rows = document.querySelectorAll("table.index tbody tr");
    input.addEventListener("input", function () {
      var query = input.value.trim().toLowerCase();
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var match = !query || rows[i].textContent.toLowerCase().indexOf(query) !== -1;
        rows[i].hidden = !match;
        if (match) shown++;
      }
      if (counter) counter.textContent = query ? shown + " of " + rows.length + " shown" : "";
    });
  }

  // The skills' definitions are in the page once: a skill's name shows its definition when the pointer comes over it.
  var definitions = {};
  var data = document.getElementById("skill-definitions");
  try { definitions = data ? JSON.parse(data.textContent) : {}; } catch (e) { definitions = {}; }
  document.addEventListener("mouseover", function (event) {
    var name = event.target.closest ? event.target.closest(".skill-name") : null;
    if (!name || name.hasAttribute("title")) return;
    var shown = name.textContent;
    if (Object.prototype.hasOwnProperty.call(definitions, shown)) name.setAttribute("title", definitions[shown]);
  });

  showTarget();
  document.body.setAttribute("data-ready", "1");
})();
