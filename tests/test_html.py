"""The HTML report (``--format html``): escaping, evidence highlighted in place, no network, and a real browser.

The browser test runs Chromium (the Debian package ``chromium``; ``.ci/run`` installs it) headless on the report the
CLI writes for ``sample_transcripts/`` and checks the DOM it ends up with. Set ``TC_HTML_SCREENSHOT=/some/file.png`` to
also save a screenshot of the page for a human to look at.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from transcript_coach import Coach
from transcript_coach.cli import cli
from transcript_coach.model import SKILLS, Evidence, Failure, Flag, Note, Promise, Report, SkillScore, Transcript, Turn
from transcript_coach.reporting import WRITERS
from transcript_coach.reporting import html as html_report
from transcript_coach.reporting.html import Span, evidence_kind, highlight, write_html

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def render(items) -> str:
    buffer = io.StringIO()
    write_html(items, buffer)
    return buffer.getvalue()


def make_report(turns, evidence=(), *, id="conv-1", skills=None, notes=(), flags=(), promises=(), warnings=()):
    transcript = Transcript(id=id, turns=tuple(turns), source=f"{id}.txt", format="chat")
    if skills is None:
        skills = {name: SkillScore(None, 0.0, "no evidence either way") for name in SKILLS}
    return Report(transcript=transcript, skills=skills, evidence=tuple(evidence), notes=tuple(notes),
                  flags=tuple(flags), promises=tuple(promises), metrics={"language": {"code": "en"}},
                  warnings=tuple(warnings))


def evidence(id, feature, turn, text, start, end, rule="test"):
    return Evidence(id=id, feature=feature, turn=turn, start=start, end=end, text=text[start:end], rule=rule)


class Page(HTMLParser):
    """Parses the report: checks tags nest properly and collects, per conversation section, the evidence anchors and
    the text of the highlighted segments carrying each evidence key."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.sections: list[dict] = []  # {"id", "anchors": {key: id}, "texts": {key: str}}
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            self.attributes.append((tag, name, value or ""))
        if "id" in attrs:
            self.ids.append(attrs["id"])
        classes = (attrs.get("class") or "").split()
        if tag == "section" and "conv" in classes:
            self.sections.append({"id": attrs.get("id"), "anchors": {}, "texts": {}})
        if "ev-anchor" in classes and self.sections:
            self.sections[-1]["anchors"][attrs.get("data-key")] = attrs.get("id")
        if tag not in VOID:
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> does not close <{self.stack[-1][0] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data):
        if not self.sections or not self.stack:
            return
        keys = (self.stack[-1][1].get("data-ev") or "").split()
        texts = self.sections[-1]["texts"]
        for key in keys:
            texts[key] = texts.get(key, "") + data


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert [tag for tag, _ in parser.stack] == [], "unclosed elements"
    return parser


def strip_tags(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", fragment))


# --------------------------------------------------------------------------------------------------------------------
# Rendering


def test_html_is_a_registered_writer_and_cli_format():
    assert WRITERS["html"] is write_html
    result = CliRunner().invoke(cli, ["score", "--help"])
    assert "html" in result.output


def test_untrusted_text_is_escaped_everywhere():
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)> "quoted" \'single\''
    turns = [
        Turn(0, "customer", hostile, speaker="<b>Eve</b>"),
        Turn(1, "agent", "Sorry </div></section> about that <!-- comment -->", speaker="Tom\" onclick=\"x"),
    ]
    ev = [evidence("e<1>", "tone.blame", 0, hostile, 0, 8), evidence("e2", "empathy.apology", 1, turns[1].text, 0, 5)]
    report = make_report(
        turns, ev, id='<script>id</script>',
        notes=[Note("empathy", "strength", "<script>note</script>", "<i>try</i>", ("e2",))],
        flags=[Flag("TC<1>", "high", "<script>flag</script>", ("e<1>",))],
        promises=[Promise(1, "<u>promise</u>", None, "open", ("e2",))],
        warnings=["<script>warning</script>"],
    )
    page = render([report, Failure("<script>bad.txt", "binary", "<script>message</script>", 3)])
    assert page.count("<script>") == 1  # ours, at the end
    assert "<img" not in page and "<b>Eve" not in page and "<i>try" not in page and "<u>promise" not in page
    assert "&lt;script&gt;</mark>alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in page  # shown as text
    assert 'onclick="x' not in page
    assert "<!-- comment -->" not in page
    parsed = parse(page)
    assert len(parsed.sections) == 1


def test_no_network_resources():
    text = 'see https://evil.example/a.png or <a href="http://x.example">here</a> //cdn.example/x.js'
    report = make_report([Turn(0, "customer", text), Turn(1, "agent", "Thanks, looking now.", speaker="Tom")],
                         [evidence("e1", "listening.acknowledgement", 1, "Thanks, looking now.", 0, 6)])
    page = render([report])
    assert '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;' in page
    parsed = parse(page)
    for tag, name, value in parsed.attributes:
        if name in ("src", "href", "action", "poster", "data", "srcset", "xlink:href"):
            assert not re.match(r"\s*(https?:)?//", value, re.I), (tag, name, value)
        if tag == "a" and name == "href":
            assert value.startswith("#"), value
    assert not re.search(r"<(link|img|iframe|object|embed|base)\b", page, re.I)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?(https?:)?//", page, re.I)


def test_overlapping_evidence_is_cut_into_segments_tagged_with_every_span():
    text = "I am so sorry about that"
    spans = [
        Span("a", "x--ev-a", 5, 13, "empathy.apology", "a", "pos"),  # "so sorry"
        Span("b", "x--ev-b", 8, 24, "tone.negative_phrasing", "b", "neg"),  # "sorry about that"
        Span("c", "x--ev-c", 0, 24, "tone.politeness", "c", "quiet"),  # the whole sentence
    ]
    out = highlight(text, spans)
    assert strip_tags(out) == text
    segments = re.findall(r'<(mark|span) class="([^"]*)" data-ev="([^"]*)"[^>]*>([^<]*)</\1>', out)
    assert [(cls, keys, seg) for _, cls, keys, seg in segments] == [
        ("evq", "c", "I am "),
        ("ev pos", "a c", "so "),
        ("ev neg multi", "a b c", "sorry"),
        ("ev neg", "b c", " about that"),
    ]
    for key in "abc":
        assert f'id="x--ev-{key}"' in out


text_strategy = st.text(alphabet=st.sampled_from(list("ab <>&\"'\n\té€😀")), max_size=40)


@st.composite
def text_and_spans(draw):
    text = draw(text_strategy)
    n = draw(st.integers(0, 6))
    spans = []
    for i in range(n):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, len(text)))
        kind = draw(st.sampled_from(["pos", "neg", "info", "quiet"]))
        spans.append(Span(f"k{i}", f"s--ev-k{i}", start, end, f"f.{kind}", f"title {i} <&>", kind))
    if draw(st.booleans()):
        spans.append(Span("bad", "s--ev-bad", len(text) + 1, len(text) + 3, "f.x", "out of range", "neg"))
    return text, spans


@settings(max_examples=300, deadline=None)
@given(text_and_spans())
def test_highlight_preserves_the_text_and_tags_each_character_with_its_spans(case):
    text, spans = case
    out = highlight(text, spans)
    assert strip_tags(out) == text
    for span in spans:  # every span has its anchor, even empty or out-of-range ones
        assert out.count(f'id="{span.anchor}"') == 1
    # character by character: the keys on the enclosing segment are exactly the spans covering that character
    covered: list[set[str]] = []
    segment = r'<(?:mark|span) class="[^"]*" data-ev="([^"]*)"[^>]*>([^<]*)</(?:mark|span)>|([^<]+)|<[^>]*>'
    for match in re.finditer(segment, out):
        keys, inside, outside = match.group(1), match.group(2), match.group(3)
        if keys is not None:
            covered += [set(keys.split())] * len(html.unescape(inside))
        elif outside is not None:
            covered += [set()] * len(html.unescape(outside))
    assert len(covered) == len(text)
    for position, keys in enumerate(covered):
        expected = {s.key for s in spans if s.start <= position < s.end and s.end <= len(text)}
        assert keys == expected, (position, text, spans)


def test_quiet_features_are_not_marked_and_kinds_follow_the_signal():
    assert evidence_kind("tone.politeness") == "quiet"
    assert evidence_kind("tone.agent_sentiment") == "quiet"
    assert evidence_kind("tone.customer_sentiment") == "quiet"
    for feature in ("listening.reask", "tone.blame", "jargon.acronym", "knowledge.hedge", "promise.vague",
                    "resolution.refusal", "timing.long_gap", "empathy.over_apology", "tone.profanity",
                    "resolution.repeated_step", "structure.generic_address", "listening.customer_repeat_earlier"):
        assert evidence_kind(feature) == "neg", feature
    assert evidence_kind("jargon.unadapted") == "neg"
    for feature in ("empathy.apology", "listening.paraphrase", "structure.greeting", "resolution.steps",
                    "jargon.explained", "jargon.rephrased"):
        assert evidence_kind(feature) == "pos", feature
    assert evidence_kind("resolution.manager_request") == "info"
    text = "Thank you for waiting."
    page = render([make_report([Turn(0, "customer", "Hi"), Turn(1, "agent", text, speaker="Tom")],
                               [evidence("e1", "tone.politeness", 1, text, 0, len(text))])])
    assert "<mark class=\"ev" not in page.split("<main>")[1]
    assert 'class="evq" data-ev="e1"' in page


def test_null_scores_empty_notes_and_flags_render():
    page = render([make_report([Turn(0, "customer", "Hello?"), Turn(1, "agent", "Hi!", speaker="Tom")])])
    parse(page)
    assert page.count("Not scored: no evidence either way") == len(SKILLS)
    assert "No coaching notes." in page and "No QA flags." in page and "No commitments found." in page
    assert "No conversation was flagged for review." in page
    assert "No skill has been scored" in page


def test_scored_skills_notes_flags_and_promises_link_to_their_evidence():
    text = "I'm so sorry. I will email you the label by 5pm today."
    turns = [Turn(0, "customer", "My parcel is broken, I am furious."), Turn(1, "agent", text, speaker="Tom")]
    ev = [evidence("e1", "empathy.apology", 1, text, 7, 12),
          evidence("e2", "promise.specific", 1, text, 14, len(text) - 1),
          evidence("e3", "promise.due", 1, text, 44, len(text) - 1)]
    skills = {name: SkillScore(None, 0.0, "not applicable") for name in SKILLS}
    skills["empathy"] = SkillScore(82.0, 0.9, "apologies +5", ("e1",))
    skills["patience"] = SkillScore(20.0, 0.5, "blame -15")
    report = make_report(
        turns, ev, skills=skills,
        notes=[Note("empathy", "strength", "You met the feeling: “sorry”", None, ("e1",)),
               Note("patience", "improvement", "Slow down", "Say: take your time", ("missing-id",))],
        flags=[Flag("TC104", "high", "a commitment was not kept", ("e2",))],
        promises=[Promise(1, "I will email you the label", None, "overdue", ("e2", "e3"))],
    )
    page = render([report])
    parsed = parse(page)
    section = parsed.sections[0]
    assert set(section["anchors"]) == {"e1", "e2", "e3"}
    for ev_id, anchor in section["anchors"].items():
        assert f'href="#{anchor}"' in page, ev_id
    assert section["texts"]["e1"] == "sorry"
    assert section["texts"]["e3"] == "5pm today"
    assert 'style="width:82.0%"' in page and "band-strong" in page and "band-low" in page
    assert "Say: take your time" in page and "missing-id" in page
    queue = page.split('id="queue"')[1].split("</section>")[0]
    assert "A commitment was not kept" in queue and f'href="#{section["id"]}"' in queue


def queued_reports():
    def flagged(id, flags, low=None):
        skills = {name: SkillScore(None, 0.0, "n/a") for name in SKILLS}
        if low is not None:
            skills["empathy"] = SkillScore(float(low), 0.5, "x")
        return make_report([Turn(0, "customer", "Hi"), Turn(1, "agent", "Hello", speaker="Ann")], id=id,
                           skills=skills, flags=[Flag(code, sev, f"reason {code}") for code, sev in flags])

    return [
        flagged("low-one", [("TC109", "low")]),
        flagged("high-one", [("TC106", "high")], low=60),
        flagged("clean", []),
        flagged("high-two", [("TC106", "high"), ("TC107", "medium")]),
        flagged("high-one-lower", [("TC102", "high")], low=20),
        flagged("medium-one", [("TC107", "medium")]),
        # more urgent by the sum than any one high flag, and read after them all the same
        flagged("medium-three", [("TC107", "medium"), ("TC108", "medium"), ("TC111", "medium")], low=5),
    ]


def queue_ids(page: str) -> list[str]:
    queue = page.split('id="queue"')[1].split("</section>")[0]
    return re.findall(r'<span class="q-id">([^<]*)</span>', queue)


def test_review_queue_puts_the_most_urgent_first(monkeypatch):
    expected = ["high-two", "high-one-lower", "high-one", "medium-three", "medium-one", "low-one"]
    assert queue_ids(render(queued_reports())) == expected
    # without the review module: worst severity, then number of flags, then the lowest skill score
    monkeypatch.setattr(html_report, "_review_module", lambda: None)
    assert queue_ids(render(queued_reports())) == expected


def test_a_long_review_queue_shows_its_first_entries_and_folds_the_rest(monkeypatch):
    reports = queued_reports()
    everything = queue_ids(render(reports))
    folding = '<details class="queue-more">'
    assert len(everything) == 6 and folding not in render(reports)  # within QUEUE_SHOWN: all open
    monkeypatch.setattr(html_report, "QUEUE_SHOWN", 2)
    page = render(reports)
    assert queue_ids(page) == everything  # the same entries in the same order, the rest folded
    queue = page.split('id="queue"')[1].split("</section>")[0]
    shown, folded = queue.split(folding)
    assert re.findall(r'<span class="q-id">([^<]*)</span>', shown) == everything[:2]
    assert "<summary>The other 4 queued conversation(s)</summary>" in folded
    assert '<ol class="queue" start="3">' in folded  # numbered on
    monkeypatch.setattr(html_report, "QUEUE_SHOWN", 6)
    assert folding not in render(reports)


def test_review_queue_follows_the_review_command(samples):
    review = pytest.importorskip("transcript_coach.review")
    reports = [r for r in Coach().score([samples]) if isinstance(r, Report)]
    expected = [item.report_id for item in review.review_queue([r.to_dict() for r in reports])]
    assert expected and queue_ids(render(reports)) == expected


def test_failures_only_and_empty_input_give_a_valid_page():
    page = render([Failure("a/b.txt", "empty", "a/b.txt: the file is empty", None),
                   Failure("c.json", "malformed_json", "c.json:3: expected a value", 3)])
    parse(page)
    assert "Inputs that could not be read (2)" in page and "c.json:3: expected a value" in page
    assert "No conversation was scored." in page
    parse(render([]))


def test_sections_stream_from_an_iterator_and_the_overview_comes_first():
    def many():
        for i in range(1000):
            text = f"Sorry about order {i} <{i}>."
            yield make_report([Turn(0, "customer", "Where is my order?"), Turn(1, "agent", text, speaker=f"A{i % 7}")],
                              [evidence("e1", "empathy.apology", 1, text, 0, 5)], id=f"order/{i % 500}")
    page = render(many())
    assert page.count('<section class="conv"') == 1000
    ids = re.findall(r' id="([^"]*)"', page)
    assert len(set(ids)) == len(ids), "element ids must be unique"  # each order/N appears twice
    assert page.index('id="overview"') < page.index('id="queue"') < page.index('class="conv"')
    assert "<span class=\"stat-n\">1000</span>" in page


def test_every_sample_evidence_is_anchored_and_highlighted_in_place(samples):
    reports = [item for item in Coach().score([samples])]
    page = render(reports)
    parsed = parse(page)
    docs = [r.to_dict() for r in reports if isinstance(r, Report)]
    assert len(parsed.sections) == len(docs)
    assert len(set(parsed.ids)) == len(parsed.ids), "element ids must be unique"
    for doc, section in zip(docs, parsed.sections):
        for ev in doc["evidence"]:
            assert ev["id"] in section["anchors"], (doc["id"], ev["id"])
            if ev["end"] > ev["start"]:
                assert section["texts"].get(ev["id"]) == ev["text"], (doc["id"], ev)
        for turn in doc["turns"]:
            assert f'id="{section["id"]}--t{turn["index"]}"' in page


# --------------------------------------------------------------------------------------------------------------------
# A real browser


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(browser: str, profile, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
        f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args,
    ]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{browser} did not finish within {timeout} s: {exc.stderr!r}"[:2000])


@pytest.fixture(scope="module")
def cli_report(tmp_path_factory, samples):
    """The report the CLI writes for the sample transcripts, as a reviewer would produce it."""
    path = tmp_path_factory.mktemp("html") / "report.html"
    result = CliRunner().invoke(cli, ["score", str(samples), "--format", "html", "-o", str(path), "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def browser() -> str:
    path = find_browser()
    if path is None:
        pytest.skip("no browser: none of chromium, chromium-browser, google-chrome is on PATH; install the Debian "
                    "package 'chromium' (.ci/run does) to run this test")
    return path


def test_report_renders_in_headless_chromium(browser, cli_report, tmp_path):
    page = cli_report.read_text(encoding="utf-8")
    sections = re.findall(r'<section class="conv" id="([^"]+)"', page)
    assert len(sections) >= 24
    flagged = page.count('<li class="qitem')
    # open the page at a flag's evidence link, as a reviewer clicking it would
    target = re.search(r'<li class="flag[^"]*">.*?<a class="ev-link[^"]*" href="#([^"]+)"', page)
    url = cli_report.as_uri() + (f"#{target.group(1)}" if target else "")
    result = chromium(browser, tmp_path / "profile", "--dump-dom", url)
    dom = result.stdout
    assert result.returncode == 0 and "<body" in dom, f"{browser} failed ({result.returncode}): {result.stderr[-3000:]}"

    assert re.search(r'<body[^>]*data-ready="1"', dom), "the page script did not run to the end"
    assert not re.search(r"Uncaught|SyntaxError|ReferenceError|TypeError", result.stderr), result.stderr[-3000:]
    assert "Refused to" not in result.stderr, "the Content-Security-Policy blocked something"
    assert 'id="overview"' in dom and "Team average per skill" in dom
    assert re.findall(r'<section class="conv" id="([^"]+)"', dom) == sections
    assert dom.count('<mark class="ev') > 50
    assert dom.count('<li class="turn') == page.count('<li class="turn')
    assert "Internal note" in dom
    if target:
        assert flagged > 0 and 'id="queue"' in dom and dom.count('<li class="qitem') == flagged
        key = re.search(rf'id="{re.escape(target.group(1))}" data-key="([^"]+)"', dom).group(1)
        hits = re.findall(r'class="[^"]*\bhit\b[^"]*" data-ev="([^"]*)"', dom)
        assert hits and all(key in keys.split() for keys in hits), "jumping to evidence did not highlight it"

    screenshot = os.environ.get("TC_HTML_SCREENSHOT")
    if screenshot:  # for a human to look at; not an assertion
        chromium(browser, tmp_path / "profile2", "--window-size=1366,900", f"--screenshot={screenshot}",
                 cli_report.as_uri())


# Run in the page as it settles: which conversation sections the browser has rendered (laid out and painted), by
# whether their content is visible or skipped (content-visibility).
RENDERED_PROBE = """<script>
setInterval(function () {  // the page is read when the browser's time budget is spent: the latest answer counts
  var sections = document.querySelectorAll("section.conv"), rendered = [];
  for (var i = 0; i < sections.length; i++) {
    if (sections[i].lastElementChild.checkVisibility({contentVisibilityAuto: true})) rendered.push(sections[i].id);
  }
  document.body.setAttribute("data-rendered", rendered.join(" "));
}, 100);
</script>"""


def test_a_conversation_is_rendered_only_when_it_comes_on_screen(browser, cli_report, tmp_path):
    """Off screen, a conversation's section is skipped by the browser (a report of thousands then opens in seconds);
    a link to evidence in the last one renders that one and highlights the evidence."""
    page = cli_report.read_text(encoding="utf-8")
    sections = re.findall(r'<section class="conv" id="([^"]+)"', page)
    last = sections[-1]
    anchor = re.search(rf'class="ev-anchor" id="({re.escape(last)}--ev-[^"]+)" data-key="([^"]+)"', page)
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", RENDERED_PROBE + "</body>"), encoding="utf-8")

    def rendered(url: str, profile: str) -> tuple[list[str], str]:
        result = chromium(browser, tmp_path / profile, "--window-size=1366,900", "--virtual-time-budget=3000",
                          "--dump-dom", url)
        found = re.search(r'<body[^>]*data-rendered="([^"]*)"', result.stdout)
        assert found, f"the probe did not run ({result.returncode}): {result.stderr[-3000:]}"
        return found.group(1).split(), result.stdout

    on_load, _ = rendered(probed.as_uri(), "top")
    assert last not in on_load and len(on_load) < len(sections) // 2, on_load
    jumped, dom = rendered(f"{probed.as_uri()}#{anchor.group(1)}", "jump")
    assert last in jumped and len(jumped) < len(sections) // 2, jumped
    hits = re.findall(r'class="[^"]*\bhit\b[^"]*" data-ev="([^"]*)"', dom)
    assert hits and all(anchor.group(2) in keys.split() for keys in hits)


HOVER_PROBE = """<script>
(function () {  // the pointer comes over the first conversation's first skill name
  var name = document.querySelector("section.conv .skill-name");
  var before = name.hasAttribute("title");
  name.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
  document.body.setAttribute("data-hovered", name.textContent + "|" + before + "|"
                             + (name.getAttribute("title") || ""));
})();
</script>"""


def test_a_skill_definition_is_written_once_and_shown_on_hover(browser, cli_report, tmp_path):
    page = cli_report.read_text(encoding="utf-8")
    definition = html_report._skill_definition("active_listening")
    table = re.search(r'<script type="application/json" id="skill-definitions">(.*?)</script>', page).group(1)
    assert definition and json.loads(table)["Active listening"] == definition  # the page's one table of definitions
    assert page.count(definition) == 2 and page.count(f'title="{html.escape(definition)}"') == 1  # and the overview
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", HOVER_PROBE + "</body>"), encoding="utf-8")
    result = chromium(browser, tmp_path / "profile", "--dump-dom", probed.as_uri())
    found = re.search(r'<body[^>]*data-hovered="([^"]*)"', result.stdout)
    assert found, f"the probe did not run ({result.returncode}): {result.stderr[-3000:]}"
    assert html.unescape(found.group(1)) == f"Active listening|false|{definition}"


def test_names_get_the_first_free_suffix_without_trying_the_taken_ones_again():
    tries = 0

    class Taken(set):
        def __contains__(self, name):
            nonlocal tries
            tries += 1
            return super().__contains__(name)

    names = html_report._Names()
    names.taken = Taken({"c-x-3"})  # an id that looks like a suffixed one
    given = [names.unique(name) for name in ["c-x", "c-y", "c-x", "c-x", "c-x-2", "c-x"]]
    assert given == ["c-x", "c-y", "c-x-2", "c-x-4", "c-x-2-2", "c-x-5"]
    tries = 0
    assert [names.unique("c-z") for _ in range(3000)][-1] == "c-z-3000"
    assert tries < 6000  # trying every suffix from -2 each time: 4.5 million


def test_turns_are_counted_from_1_as_the_notes_and_the_review_count_them():
    from transcript_coach.review import review, write_text

    report = Coach().analyze(Transcript.from_turns(
        [{"role": "customer", "speaker": "Robin", "text": "I was charged twice for my renewal."},
         {"role": "agent", "speaker": "Dev", "text": "You should have cancelled before the renewal date."},
         {"role": "customer", "speaker": "Robin", "text": "Not happy."}], id="twice"))
    blame = next(e for e in report.evidence if e.feature == "tone.blame")
    assert blame.turn == 1  # the contract counts from 0
    assert any("(Dev, turn 2)" in n.text for n in report.notes if "You should have cancelled" in n.text)
    page = render([report])
    assert re.search(r'id="[^"]*--t1"><div class="turn-meta">.*?aria-label="Turn 2">#2</a>', page)
    queue = io.StringIO()
    write_text(review([report.to_dict()]), queue)
    assert 'turn 2, Dev: "You should have cancelled' in queue.getvalue()


def test_a_conversation_several_agents_handled_shows_each_agents_part():
    coach = Coach()
    shared = coach.analyze(Transcript.from_turns(
        [{"role": "customer", "speaker": "Dev", "text": "I was charged twice for October."},
         {"role": "agent", "speaker": "Kim", "text": "what is your account number"},
         {"role": "agent", "speaker": "Rosa", "text": "I'm so sorry, Dev. I've refunded the second charge."}],
        id="shared"))
    page = render([shared])
    assert "<h4>By agent</h4>" in page and ">Kim</th>" in page and ">Rosa</th>" in page
    assert len(parse(page).errors) == 0
    single = coach.analyze(Transcript.from_turns(
        [{"role": "customer", "speaker": "Dev", "text": "I was charged twice."},
         {"role": "agent", "speaker": "Rosa", "text": "I've refunded the second charge."}], id="single"))
    assert "By agent" not in render([single])
