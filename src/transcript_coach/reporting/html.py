"""The self-contained HTML report (``--format html``): one file that opens from disk with no network.

Layout: an overview (counts, team averages per skill, agents, inputs that failed), the review queue (flagged
conversations, most urgent first: the first ``QUEUE_SHOWN`` open, the rest folded), an index of conversations, then one
section per conversation with its skill bars, coaching notes, flags, promise ledger and the transcript with every piece
of evidence highlighted in place (the stylesheet has the browser lay a section out only when it comes near the screen).

The writer streams like the others: each conversation's section is rendered as its report arrives into a spooled
temporary file, and only a small summary per conversation is kept for the overview, queue and index, which are
written first once the input is exhausted. Every text from a transcript is escaped; the page makes no requests (a
Content-Security-Policy forbids them) and its CSS and JavaScript are inlined from package data.
"""

from __future__ import annotations

import functools
import json
import math
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from typing import IO, Any

from transcript_coach.model import SKILLS, Failure, Report
from transcript_coach.reporting import TEXT_ERRORS

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
SPOOL_BYTES = 8 * 1024 * 1024  # sections stay in memory up to this size, then move to a temporary file

SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}
MORE_REASONS = 3  # reasons listed under the first one in the review queue (the section has them all)
QUEUE_SHOWN = 50  # review-queue entries shown open; the rest, one click away (a day's batch queues hundreds)

# How evidence is shown in the transcript. "quiet" features (sentence-level scores, reply latencies) are not
# highlighted: they get a hover title and can still be jumped to; the others are coloured marks.
QUIET_FEATURES = frozenset({
    "tone.agent_sentiment", "tone.customer_sentiment", "tone.politeness", "tone.customer_end_sentiment",
    "tone.customer_trajectory", "timing.reply_latency", "timing.first_response",
})
CONTEXT_FEATURES = frozenset({
    "promise.due", "resolution.manager_request", "resolution.escalation", "resolution.transfer",
})
NEGATIVE_FEATURES = frozenset({
    "listening.reask", "listening.unanswered_question", "listening.customer_repeat",
    "listening.customer_repeat_earlier",
    "tone.blame", "tone.negative_phrasing", "tone.profanity", "tone.shouting", "tone.imperative", "tone.insensitive",
    "tone.informal", "knowledge.hedge", "knowledge.dont_know", "knowledge.guess", "promise.vague", "promise.overdue",
    "resolution.refusal", "resolution.unresolved", "resolution.cold_transfer", "timing.long_gap",
    "empathy.over_apology",
})
POSITIVE_FAMILIES = ("listening.", "empathy.", "structure.", "resolution.", "promise.", "knowledge.", "tone.polite_")
SECONDS_FEATURES = ("timing.",)
KIND_LABELS = {"neg": "to improve", "pos": "good practice", "info": "context"}


# ---------------------------------------------------------------------------------------------------------------------
# Package data: stylesheet, script, and the shipped rubric (skill definitions, flag names, score bands)


@functools.cache
def _asset(name: str) -> str:
    return resources.files("transcript_coach.data").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def _rubric() -> Mapping[str, Any]:
    try:
        from transcript_coach.data import load_json

        rubric = load_json("rubric.json")
        return rubric if isinstance(rubric, Mapping) else {}
    except Exception:  # the report must render even without (or with a broken) rubric file
        return {}


def _bands() -> tuple[float, float]:
    bands = _rubric().get("bands") or {}
    try:
        return float(bands.get("low", 45)), float(bands.get("strong", 75))
    except (TypeError, ValueError, AttributeError):
        return 45.0, 75.0


def _skill_definition(skill: str) -> str:
    entry = (_rubric().get("skills") or {}).get(skill)
    return str(entry.get("definition", "")) if isinstance(entry, Mapping) else ""


def _flag_name(code: str) -> str:
    entry = (_rubric().get("flags") or {}).get(code)
    return str(entry.get("name", "")) if isinstance(entry, Mapping) else ""


@functools.cache
def _rubric_polarity() -> Mapping[str, str]:
    """``pos`` / ``neg`` for features whose rubric weights all point one way (skipping 'missing' signals)."""
    signs: dict[str, set[bool]] = {}
    for entry in (_rubric().get("skills") or {}).values():
        for signal in (entry.get("signals") or ()) if isinstance(entry, Mapping) else ():
            if not isinstance(signal, Mapping) or signal.get("missing") or not signal.get("weight"):
                continue
            feature = re.sub(r"\.(mean|min|max)$", "", str(signal.get("feature", "")))
            signs.setdefault(feature, set()).add(float(signal["weight"]) > 0)
    return {f: ("pos" if s == {True} else "neg") for f, s in signs.items() if len(s) == 1}


@functools.cache
def evidence_kind(feature: str) -> str:
    """How a feature is shown: ``quiet`` (not highlighted), ``neg``, ``pos`` or ``info`` (context)."""
    if feature in QUIET_FEATURES or (feature.startswith("tone.") and feature.endswith(("_sentiment", "_trajectory"))):
        return "quiet"
    if feature in CONTEXT_FEATURES or feature.startswith("tone.customer_"):
        return "info"
    if feature in NEGATIVE_FEATURES:
        return "neg"
    polarity = _rubric_polarity().get(feature)  # "jargon.explained", "jargon.rephrased": the family's good news
    if polarity:
        return polarity
    if feature.startswith("jargon."):
        return "neg"
    if feature.startswith(POSITIVE_FAMILIES):
        return "pos"
    return "info"


# ---------------------------------------------------------------------------------------------------------------------
# Small formatting helpers


def _e(value: Any) -> str:
    """Escaped text for element content and (double-quoted) attribute values."""
    return escape("" if value is None else str(value), quote=True)


_SLUG_JUNK = re.compile(r"[^A-Za-z0-9_]+")


def slug(text: str, limit: int = 60) -> str:
    """Letters, digits, ``_`` and single ``-``: never ``--``, which separates parts of anchor ids."""
    return _SLUG_JUNK.sub("-", text).strip("-")[:limit].strip("-")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _fmt_time(value: Any, *, date: bool = True) -> str:
    """``2026-04-03T09:14:02+00:00`` -> ``2026-04-03 09:14:02 +00:00``; ``00:00:01.200000`` -> ``00:00:01.2``."""
    if not value:
        return ""
    text = str(value)
    day, _, clock = text.rpartition("T")
    zone = ""
    match = re.match(r"^(\d{2}:\d{2}:\d{2})(\.\d+)?(.*)$", clock)
    if match:
        frac = (match.group(2) or "").rstrip("0").rstrip(".")
        clock, zone = match.group(1) + frac, match.group(3)
    if zone in ("+00:00", "Z"):
        zone = "UTC" if date else ""
    parts = [day] if (day and date) else []
    parts.append(clock + (f" {zone}" if zone else ""))
    return " ".join(parts)


def _fmt_seconds(value: float | None) -> str:
    if value is None:
        return ""
    value = max(0.0, value)
    if value < 60:
        return f"{value:.1f} s".replace(".0 s", " s")
    minutes, seconds = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _fmt_score(score: float | None) -> str:
    return "–" if score is None else str(round(score))


def _band(score: float | None) -> str:
    if score is None:
        return "none"
    low, strong = _bands()
    return "low" if score < low else "strong" if score >= strong else "fair"


def _bar(score: float | None, label: str, *, extra: str = "") -> str:
    """A horizontal 0-100 bar; a missing score is an empty, hatched track."""
    if score is None:
        return f'<span class="bar none" role="img" aria-label="{_e(label)}: not scored"></span>'
    width = max(0.0, min(100.0, score))
    return (f'<span class="bar" role="img" aria-label="{_e(label)}: {round(score)} of 100{_e(extra)}">'
            f'<span class="fill band-{_band(score)}" style="width:{width:.1f}%"></span></span>')


def _badge(severity: str) -> str:
    sev = severity if severity in SEVERITY_RANK else "low"
    return f'<span class="sev sev-{sev}">{_e(severity)}</span>'


# ---------------------------------------------------------------------------------------------------------------------
# Evidence highlighting


@dataclass(frozen=True, slots=True)
class Span:
    """One piece of evidence placed in a turn: ``key`` goes in ``data-ev``, ``anchor`` is its element id."""

    key: str
    anchor: str
    start: int
    end: int
    feature: str
    title: str
    kind: str


def highlight(text: str, spans: Sequence[Span]) -> str:
    """``text`` escaped, with every span wrapped in place.

    Spans may overlap: the text is cut at every span boundary and each segment is wrapped once, tagged with every
    span covering it (``data-ev`` keys, ``data-f`` features, a title listing them). Segments covered only by quiet
    spans become plain ``<span>`` elements; the others ``<mark>`` elements coloured by the most important kind
    (to improve > good practice > context). An empty anchor with the span's id is placed where each span starts, so
    links can jump to it. Removing the tags and unescaping gives back ``text`` exactly.
    """
    size = len(text)
    placed = [s for s in spans if 0 <= s.start <= s.end <= size]
    stray = [s for s in spans if not 0 <= s.start <= s.end <= size]
    bounds = sorted({0, size, *(s.start for s in placed), *(s.end for s in placed)})
    starting: dict[int, list[Span]] = {}
    for s in placed:
        starting.setdefault(s.start, []).append(s)
    out = [_anchor(s) for s in stray]
    for i, a in enumerate(bounds):
        out.extend(_anchor(s) for s in starting.get(a, ()))
        if i + 1 == len(bounds):
            break
        b = bounds[i + 1]
        piece = _e(text[a:b])
        covering = [s for s in placed if s.start <= a and b <= s.end and s.start < s.end]
        if not covering:
            out.append(piece)
            continue
        keys = " ".join(dict.fromkeys(s.key for s in covering))
        features = " ".join(dict.fromkeys(s.feature for s in covering))
        title = "\n".join(dict.fromkeys(s.title for s in covering))
        shown = [s for s in covering if s.kind != "quiet"]
        if not shown:
            out.append(f'<span class="evq" data-ev="{_e(keys)}" data-f="{_e(features)}" title="{_e(title)}">'
                       f"{piece}</span>")
            continue
        kinds = {s.kind for s in shown}
        kind = "neg" if "neg" in kinds else "pos" if "pos" in kinds else "info"
        multi = " multi" if len({s.feature for s in shown}) > 1 else ""
        out.append(f'<mark class="ev {kind}{multi}" data-ev="{_e(keys)}" data-f="{_e(features)}" '
                   f'title="{_e(title)}">{piece}</mark>')
    return "".join(out)


def _anchor(span: Span) -> str:
    return f'<span class="ev-anchor" id="{_e(span.anchor)}" data-key="{_e(span.key)}"></span>'


def _evidence_title(ev: Mapping[str, Any], kind: str) -> str:
    feature = str(ev.get("feature", ""))
    value = _number(ev.get("value"))
    shown = ""
    if value is not None:
        if feature.startswith(SECONDS_FEATURES) and value != 1.0:
            shown = f" = {_fmt_seconds(value)}"
        elif value != 1.0:
            shown = f" = {value:.2f}".rstrip("0").rstrip(".")
    prefix = {"neg": "▼ ", "pos": "▲ ", "info": "● "}.get(kind, "")
    rule = ev.get("rule")
    return f"{prefix}{feature}{shown}" + (f" ({rule})" if rule else "")


# ---------------------------------------------------------------------------------------------------------------------
# Per-conversation summary kept in memory (small) for the overview, queue and index


@dataclass(frozen=True, slots=True)
class QueueReason:
    """One reason to review a conversation (from ``transcript_coach.review``), with links to its evidence."""

    kind: str
    code: str
    severity: str | None
    text: str
    weight: float
    links: tuple[tuple[str, str, str], ...] = ()  # (anchor id, clipped text, evidence kind)


@dataclass(slots=True)
class Summary:
    anchor: str
    id: str
    source: str
    channel: str
    agents: tuple[str, ...]
    turns: int
    scores: dict[str, float | None]
    flags: list[tuple[str, str, str]]  # (severity, code, reason)
    warnings: int
    order: int
    urgency: float = 0.0  # from transcript_coach.review, when it could rank this conversation
    reasons: list[QueueReason] = field(default_factory=list)

    @property
    def scored(self) -> list[float]:
        return [s for s in self.scores.values() if s is not None]

    @property
    def average(self) -> float | None:
        scored = self.scored
        return sum(scored) / len(scored) if scored else None

    @property
    def lowest(self) -> tuple[str, float] | None:
        scored = [(v, k) for k, v in self.scores.items() if v is not None]
        if not scored:
            return None
        value, skill = min(scored)
        return skill, value

    @property
    def worst(self) -> int:
        return max((SEVERITY_RANK.get(sev, 0) for sev, _, _ in self.flags), default=0)

    def flag_urgency(self) -> tuple[Any, ...]:
        """Sort key: worst severity, then number of flags, then the lowest skill score, then input order."""
        lowest = self.lowest
        return (-self.worst, -len(self.flags), lowest[1] if lowest else 101.0, self.order)


@dataclass
class _Totals:
    reports: int = 0
    turns: int = 0
    flagged: int = 0
    channels: dict[str, int] = field(default_factory=dict)
    skill_sum: dict[str, float] = field(default_factory=dict)
    skill_n: dict[str, int] = field(default_factory=dict)
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[tuple[str, str, str, int | None]] = field(default_factory=list)

    def add(self, summary: Summary) -> None:
        self.reports += 1
        self.turns += summary.turns
        self.flagged += bool(summary.flags)
        self.channels[summary.channel] = self.channels.get(summary.channel, 0) + 1
        for skill, score in summary.scores.items():
            if score is not None:
                self.skill_sum[skill] = self.skill_sum.get(skill, 0.0) + score
                self.skill_n[skill] = self.skill_n.get(skill, 0) + 1
        for name in summary.agents:
            agent = self.agents.setdefault(name, {"conversations": 0, "flagged": 0, "sum": 0.0, "n": 0})
            agent["conversations"] += 1
            agent["flagged"] += bool(summary.flags)
            agent["sum"] += sum(summary.scored)
            agent["n"] += len(summary.scored)


# ---------------------------------------------------------------------------------------------------------------------
# One conversation


def evidence_keys(evidence: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """A key per piece of evidence, unique within its conversation and safe in ids and CSS selectors; and the map
    from evidence id to the key links use (the first piece of evidence with that id)."""
    names = _Names()
    keys: dict[str, str] = {}
    per_item = []
    for ev in evidence:
        raw = str(ev.get("id", ""))
        key = names.unique(slug(raw, 40) or "ev")
        keys.setdefault(raw, key)
        per_item.append(key)
    return keys, per_item


def _evidence_list(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [ev for ev in (doc.get("evidence") or []) if isinstance(ev, Mapping)]


def render_conversation(doc: Mapping[str, Any], anchor: str) -> str:
    """The ``<section>`` for one report (the dict of ``Report.to_dict``), with ids prefixed by ``anchor``."""
    turns = list(doc.get("turns") or [])
    evidence = _evidence_list(doc)
    keys, per_item = evidence_keys(evidence)
    spans_by_turn: dict[int, list[Span]] = {}
    loose: list[Span] = []  # evidence pointing at no turn: anchored above the transcript
    for ev, key in zip(evidence, per_item):
        feature = str(ev.get("feature", ""))
        kind = evidence_kind(feature)
        start, end = ev.get("start"), ev.get("end")
        span = Span(key=key, anchor=f"{anchor}--ev-{key}", start=start if isinstance(start, int) else -1,
                    end=end if isinstance(end, int) else -1, feature=feature, title=_evidence_title(ev, kind),
                    kind=kind)
        turn = ev.get("turn")
        if isinstance(turn, int) and not isinstance(turn, bool) and 0 <= turn < len(turns):
            spans_by_turn.setdefault(turn, []).append(span)
        else:
            loose.append(span)
    by_id: dict[str, Mapping[str, Any]] = {}
    for ev in evidence:  # links go to the first piece of evidence with an id, as ``keys`` does
        by_id.setdefault(str(ev.get("id", "")), ev)

    def ev_links(ids: Iterable[Any], limit: int = 6) -> str:
        ids = [str(i) for i in ids or ()]
        if not ids:
            return ""
        links = []
        for raw in ids[:limit]:
            ev = by_id.get(raw)
            if ev is None:
                links.append(f'<span class="ev-missing" title="evidence not in this report">{_e(raw)}</span>')
                continue
            kind = evidence_kind(str(ev.get("feature", "")))
            links.append(f'<a class="ev-link {kind}" href="#{_e(anchor)}--ev-{_e(keys[raw])}" '
                         f'title="{_e(_evidence_title(ev, kind))} — turn {_e(_shown_turn(ev.get("turn")))}">'
                         f'“{_e(_clip(str(ev.get("text", "")), 80))}”</a>')
        more = f'<span class="more">and {len(ids) - limit} more</span>' if len(ids) > limit else ""
        return f'<span class="ev-links">{"".join(links)}{more}</span>'

    parts = [f'<section class="conv" id="{_e(anchor)}" aria-labelledby="{_e(anchor)}--h">']
    parts.append(_conversation_header(doc, anchor))

    warnings = [w for w in (doc.get("warnings") or []) if w]
    if warnings:
        parts.append('<ul class="warnings" aria-label="Warnings">'
                     + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>")

    parts.append('<div class="conv-body"><div class="col skills-col">')
    parts.append(_skills_block(doc.get("skills") or {}, ev_links))
    metrics = doc.get("metrics") if isinstance(doc.get("metrics"), Mapping) else {}
    parts.append(_by_agent_block(metrics.get("by_agent")))
    parts.append('</div><div class="col findings-col">')
    parts.append(_flags_block(doc.get("flags") or [], ev_links))
    parts.append(_notes_block(doc.get("notes") or [], ev_links))
    parts.append(_promises_block(doc.get("promises") or [], ev_links, anchor, keys))
    parts.append("</div></div>")

    parts.append(_transcript_block(doc, turns, spans_by_turn, loose, anchor))
    parts.append("</section>\n")
    return "".join(parts)


def _conversation_header(doc: Mapping[str, Any], anchor: str) -> str:
    metrics = doc.get("metrics") if isinstance(doc.get("metrics"), Mapping) else {}
    language = metrics.get("language")
    if isinstance(language, Mapping):
        code, conf = language.get("code"), _number(language.get("confidence"))
        language = f"{code}" + (f" ({conf:.0%})" if conf is not None and conf < 0.995 else "") if code else ""
    rows = [
        ("Source", f'<code>{_e(doc.get("source"))}</code>'),
        ("Channel", _e(f'{doc.get("channel") or "?"} · {doc.get("format") or "?"}')),
        ("Agents", _e(", ".join(doc.get("agents") or []) or "none named")),
        ("Started", _e(_fmt_time(doc.get("started_at")) or "—")),
        ("Ended", _e(_fmt_time(doc.get("ended_at")) or "—")),
        ("Duration", _e(_fmt_seconds(_number(metrics.get("duration_seconds"))) or "—")),
        ("Turns", _e(_turn_counts(doc, metrics))),
        ("Language", _e(language or "—")),
    ]
    flags = doc.get("flags") or []
    chips = "".join(f'<span class="chip sev-{_e(f.get("severity"))}">{_e(f.get("code"))}</span>'
                    for f in flags if isinstance(f, Mapping))
    return (f'<header class="conv-head"><div class="conv-title"><h3 id="{_e(anchor)}--h">'
            f'<a class="self" href="#{_e(anchor)}" aria-label="Link to this conversation">#</a> {_e(doc.get("id"))}'
            f'</h3>{chips}<a class="up" href="#top">↑ Top</a></div>'
            '<dl class="meta">' + "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in rows) + "</dl></header>")


def _turn_counts(doc: Mapping[str, Any], metrics: Mapping[str, Any]) -> str:
    total = len(doc.get("turns") or [])
    parts = [f"{metrics[f'{role}_turns']} {role}" for role in ("agent", "customer", "bot", "system")
             if isinstance(metrics.get(f"{role}_turns"), int) and metrics.get(f"{role}_turns")]
    internal = metrics.get("internal_notes")
    if isinstance(internal, int) and internal:
        parts.append(f"{internal} internal")
    return f"{total}" + (f" ({', '.join(parts)})" if parts else "")


def _skills_block(skills: Mapping[str, Any], ev_links) -> str:
    names = [s for s in SKILLS if s in skills] + [s for s in skills if s not in SKILLS]
    rows = []
    for skill in names:
        entry = skills.get(skill) if isinstance(skills.get(skill), Mapping) else {}
        score = _number(entry.get("score"))
        reason = str(entry.get("reason") or "")
        conf = _number(entry.get("confidence"))
        label = _label(skill)
        head = (f'<span class="skill-name">{_e(label)}</span>'
                f"{_bar(score, label)}"
                f'<span class="skill-score band-{_band(score)}">{_fmt_score(score)}</span>')
        if score is None:
            rows.append(f'<li class="skill unscored"><div class="skill-row">{head}<span></span></div>'
                        f'<p class="why small">Not scored: {_e(reason or "no reason given")}</p></li>')
            continue
        conf_text = f"Confidence {conf:.0%}. " if conf is not None else ""
        links = ev_links(entry.get("evidence"), limit=8)
        rows.append(f'<li class="skill"><details><summary class="skill-row" title="Why {round(score)}? (show the '
                    f'reason)">{head}<span class="caret" aria-hidden="true"></span></summary>'
                    f'<p class="why">{_e(conf_text)}{_e(reason)}{links}</p></details></li>')
    if not rows:
        return '<h4>Skills</h4><p class="empty">No skills in this report.</p>'
    return '<h4>Skills</h4><ul class="skills">' + "".join(rows) + "</ul>"


def _by_agent_block(by_agent: Any) -> str:
    """Each agent's own part of a conversation several agents handled (``metrics.by_agent``): a score per skill, its
    reason on hover. Nothing for a conversation one agent handled."""
    if not isinstance(by_agent, Mapping) or len(by_agent) < 2:
        return ""
    agents = [(str(name), part) for name, part in by_agent.items() if isinstance(part, Mapping)]
    head = "".join(f'<th scope="col">{_e(name)}</th>' for name, _ in agents)
    rows = []
    for skill in SKILLS:
        cells = []
        for _, part in agents:
            entry = (part.get("skills") or {}).get(skill) if isinstance(part.get("skills"), Mapping) else None
            entry = entry if isinstance(entry, Mapping) else {}
            score = _number(entry.get("score"))
            cells.append(f'<td class="band-{_band(score)}" title="{_e(entry.get("reason") or "")}">'
                         f'{_fmt_score(score)}</td>')
        rows.append(f'<tr><th scope="row">{_e(_label(skill))}</th>{"".join(cells)}</tr>')
    return ('<h4>By agent</h4><p class="small">Each agent scored on their own part of the conversation.</p>'
            f'<table class="by-agent"><thead><tr><th scope="col">Skill</th>{head}</tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _flags_block(flags: Sequence[Any], ev_links) -> str:
    flags = sorted((f for f in flags if isinstance(f, Mapping)),
                   key=lambda f: -SEVERITY_RANK.get(str(f.get("severity")), 0))
    if not flags:
        return '<h4>Flags</h4><p class="empty">No QA flags.</p>'
    items = []
    for flag in flags:
        code = str(flag.get("code") or "")
        name = _flag_name(code)
        items.append(f'<li class="flag sev-{_e(flag.get("severity"))}">{_badge(str(flag.get("severity")))} '
                     f'<code>{_e(code)}</code>{f" <span class=small>{_e(name)}</span>" if name else ""}'
                     f'<p>{_e(_sentence(str(flag.get("reason") or "")))}</p>{ev_links(flag.get("evidence"))}</li>')
    return '<h4>Flags</h4><ul class="flags">' + "".join(items) + "</ul>"


def _notes_block(notes: Sequence[Any], ev_links) -> str:
    notes = [n for n in notes if isinstance(n, Mapping)]
    if not notes:
        return '<h4>Coaching notes</h4><p class="empty">No coaching notes.</p>'
    out = ["<h4>Coaching notes</h4>"]
    for kind, title in (("improvement", "To improve"), ("strength", "Strengths")):
        chosen = [n for n in notes if n.get("kind") == kind]
        if not chosen:
            continue
        out.append(f'<h5 class="{kind}">{title}</h5><ul class="notes {kind}">')
        for note in chosen:
            suggestion = note.get("suggestion")
            out.append(f'<li class="note {kind}"><span class="note-skill">{_e(_label(str(note.get("skill", ""))))}'
                       f'</span> {_e(note.get("text"))}'
                       + (f'<p class="suggestion"><span class="tag">Try</span> {_e(suggestion)}</p>' if suggestion
                          else "")
                       + f"{ev_links(note.get('evidence'))}</li>")
        out.append("</ul>")
    others = [n for n in notes if n.get("kind") not in ("improvement", "strength")]
    if others:
        out.append('<ul class="notes">' + "".join(f"<li>{_e(n.get('text'))} {ev_links(n.get('evidence'))}</li>"
                                                   for n in others) + "</ul>")
    return "".join(out)


def _shown_turn(turn: Any) -> Any:
    """A turn as people count it, from 1 (the report's ``turn`` and ``index`` count from 0), as notes quote it."""
    return turn + 1 if isinstance(turn, int) and not isinstance(turn, bool) else turn


def _promises_block(promises: Sequence[Any], ev_links, anchor: str, keys: Mapping[str, str]) -> str:
    promises = [p for p in promises if isinstance(p, Mapping)]
    if not promises:
        return '<h4>Promises</h4><p class="empty">No commitments found.</p>'
    rows = []
    for p in promises:
        turn = p.get("turn")
        turn_link = (f'<a href="#{_e(anchor)}--t{turn}">{_shown_turn(turn)}</a>' if isinstance(turn, int) else _e(turn))
        status = str(p.get("status") or "unknown")
        ids = [str(i) for i in p.get("evidence") or ()]
        text = _e(p.get("text"))
        if ids and ids[0] in keys:  # the commitment itself links to its first piece of evidence
            text = f'<a class="promise-link" href="#{_e(anchor)}--ev-{_e(keys[ids[0]])}">{text}</a>'
            ids = ids[1:]
        rows.append(f'<tr><td class="num">{turn_link}</td><td>{text} {ev_links(ids, 3)}'
                    f'</td><td>{_e(_fmt_time(p.get("due")) or "—")}</td>'
                    f'<td><span class="status st-{_e(status)}">{_e(status)}</span></td></tr>')
    return ('<h4>Promises</h4><table class="promises"><thead><tr><th scope="col">Turn</th><th scope="col">'
            'Commitment</th><th scope="col">Due</th><th scope="col">Status</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _transcript_block(doc: Mapping[str, Any], turns: Sequence[Any], spans_by_turn: Mapping[int, list[Span]],
                      loose: Sequence[Span], anchor: str) -> str:
    metrics = doc.get("metrics") if isinstance(doc.get("metrics"), Mapping) else {}
    language = metrics.get("language")
    code = language.get("code") if isinstance(language, Mapping) else language
    lang = f' lang="{code}"' if isinstance(code, str) and re.fullmatch(r"[a-z]{2,3}", code) else ""
    out = [f'<h4 id="{_e(anchor)}--transcript">Transcript</h4>']
    if loose:
        out.append('<p class="small">' + "".join(_anchor(s) for s in loose)
                   + f"{len(loose)} piece(s) of evidence point at no turn of this transcript.</p>")
    out.append(f'<ol class="transcript"{lang}>')
    last_day = ""
    for position, turn in enumerate(turns):
        if not isinstance(turn, Mapping):
            continue
        index = turn.get("index") if isinstance(turn.get("index"), int) else position
        role = str(turn.get("role") or "system")
        internal = bool(turn.get("internal"))
        spans = spans_by_turn.get(position, [])
        classes = f"turn role-{_e(role)}" + (" internal" if internal else "")
        meta = [f'<span class="who">{_e(turn.get("speaker") or _label(role))}</span>',
                f'<span class="role">{_e(role)}</span>']
        if internal:
            meta.append('<span class="internal-tag">Internal note</span>')
        stamp = turn.get("timestamp")
        if stamp:
            day = str(stamp).rpartition("T")[0]
            shown = _fmt_time(stamp, date=day != last_day)  # the date only when it changes
            last_day = day or last_day
            meta.append(f'<time datetime="{_e(stamp)}" title="{_e(stamp)}">{_e(shown)}</time>')
        meta.append(_latency(spans))
        meta.append(f'<a class="tnum" href="#{_e(anchor)}--t{index}" aria-label="Turn {index + 1}">#{index + 1}</a>')
        out.append(f'<li class="{classes}" id="{_e(anchor)}--t{index}"><div class="turn-meta">{"".join(meta)}</div>'
                   f'<div class="text">{highlight(str(turn.get("text") or ""), spans)}</div></li>')
    out.append("</ol>")
    return "".join(out)


def _latency(spans: Sequence[Span]) -> str:
    """The agent's reply time shown next to the turn (from the timing evidence, which is not highlighted)."""
    for span in spans:
        if span.feature in ("timing.reply_latency", "timing.first_response") and "=" in span.title:
            return f'<span class="latency" title="{_e(span.title)}">replied after {_e(_after_eq(span.title))}</span>'
    return ""


def _after_eq(title: str) -> str:
    return title.split("= ", 1)[1].split(" (", 1)[0] if "= " in title else ""


def _review_reasons(doc: Mapping[str, Any], anchor: str, reasons_for) -> tuple[float, list[QueueReason]]:
    """Urgency and reasons as ``transcript-coach review`` ranks them (its rules, one report at a time)."""
    evidence = _evidence_list(doc)
    keys, _ = evidence_keys(evidence)
    features = {str(ev.get("id", "")): str(ev.get("feature", "")) for ev in evidence}
    reasons = []
    for reason in reasons_for(doc):
        links = tuple(
            (f"{anchor}--ev-{keys[line.id]}", _clip(str(line.text), 70), evidence_kind(features.get(line.id, "")))
            for line in reason.evidence[:3] if line.id in keys
        )
        reasons.append(QueueReason(kind=str(reason.kind), code=str(reason.code), severity=reason.severity,
                                   text=str(reason.text), weight=float(reason.weight), links=links))
    return sum(r.weight for r in reasons), reasons


def summarize(doc: Mapping[str, Any], anchor: str, order: int, reasons_for=None) -> Summary:
    """What the overview, queue and index need of one conversation; ``reasons_for`` is
    ``transcript_coach.review.reasons_for`` when that module is available."""
    skills = doc.get("skills") if isinstance(doc.get("skills"), Mapping) else {}
    urgency, reasons = _review_reasons(doc, anchor, reasons_for) if reasons_for else (0.0, [])
    return Summary(
        urgency=urgency,
        reasons=reasons,
        anchor=anchor,
        id=str(doc.get("id", "")),
        source=str(doc.get("source", "")),
        channel=str(doc.get("channel", "")),
        agents=tuple(str(a) for a in doc.get("agents") or ()),
        turns=len(doc.get("turns") or ()),
        scores={k: _number(v.get("score")) if isinstance(v, Mapping) else None for k, v in skills.items()},
        flags=[(str(f.get("severity")), str(f.get("code")), str(f.get("reason") or ""))
               for f in doc.get("flags") or () if isinstance(f, Mapping)],
        warnings=len(doc.get("warnings") or ()),
        order=order,
    )


# ---------------------------------------------------------------------------------------------------------------------
# The page


def write_html(items: Iterable[Report | Failure], out: IO[str]) -> None:
    """Write one self-contained HTML page for all ``items`` (streamed: sections are spooled as they arrive)."""
    totals = _Totals()
    summaries: list[Summary] = []
    anchors = _Names()
    reasons_for = _review_module()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+", encoding="utf-8",
                                     errors=TEXT_ERRORS, newline="") as sections:
        for item in items:
            if isinstance(item, Failure):
                totals.failures.append((item.source, item.code, item.message, item.line))
                continue
            doc = item.to_dict() if hasattr(item, "to_dict") else dict(item)
            anchor = anchors.unique(f"c-{slug(str(doc.get('id', ''))) or 'conversation'}")
            sections.write(render_conversation(doc, anchor))
            try:
                summary = summarize(doc, anchor, len(summaries), reasons_for)
            except Exception:  # the review rules failed on this report: rank every conversation by its flags
                reasons_for = None
                summary = summarize(doc, anchor, len(summaries))
            summaries.append(summary)
            totals.add(summary)
        out.write(_page_head(totals))
        out.write(_overview(totals))
        out.write(_review_queue(summaries, by_review=reasons_for is not None))
        out.write(_index(summaries))
        sections.seek(0)
        shutil.copyfileobj(sections, out)
        out.write(_page_tail())


def _review_module():
    """``transcript_coach.review.reasons_for`` (the ``review`` command's rules), or ``None`` if it cannot be used."""
    try:
        from transcript_coach.review import reasons_for, review_settings

        review_settings()  # its data file loads
        return reasons_for
    except Exception:
        return None


class _Names:
    """Names made unique: a name already given gets the first free suffix, "-2", "-3", ..., found without trying
    again the suffixes taken before (10,000 conversations with one id took 50 million tries)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self._last: dict[str, int] = {}  # a candidate name -> the suffix it was last given (1: none)

    def unique(self, candidate: str) -> str:
        n = self._last.get(candidate, 1)
        name = candidate if n == 1 else f"{candidate}-{n}"
        while name in self.taken:
            n += 1
            name = f"{candidate}-{n}"
        self._last[candidate] = n
        self.taken.add(name)
        return name


def _version() -> str:
    try:
        from transcript_coach import __version__

        return __version__
    except Exception:
        return ""


def _page_head(totals: _Totals) -> str:
    title = f"transcript-coach report — {totals.reports} conversation(s)"
    version = _version()
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="transcript-coach {_e(version)}">\n'
        f"<title>{_e(title)}</title>\n<style>\n{_asset('report.css')}\n</style>\n</head>\n"
        '<body id="top">\n<a class="skip" href="#queue">Skip to the review queue</a>\n'
        '<header class="topbar"><div class="brand">transcript-coach <span class="small">report'
        f'{" v" + _e(version) if version else ""}</span></div>'
        '<nav aria-label="Report sections"><a href="#overview">Overview</a><a href="#queue">Review queue</a>'
        '<a href="#conversations">Conversations</a></nav>'
        '<fieldset class="legend"><legend>Highlights</legend>'
        '<label><input type="checkbox" id="show-neg" checked> <mark class="ev neg">to improve</mark></label>'
        '<label><input type="checkbox" id="show-pos" checked> <mark class="ev pos">good practice</mark></label>'
        '<label><input type="checkbox" id="show-info" checked> <mark class="ev info">context</mark></label>'
        "</fieldset></header>\n<main>\n"
    )


def _overview(totals: _Totals) -> str:
    out = ['<section id="overview" class="panel"><h2>Overview</h2><div class="stats">']
    stats = [
        ("conversations", totals.reports, ""),
        ("failed inputs", len(totals.failures), "bad" if totals.failures else ""),
        ("flagged", totals.flagged, "warn" if totals.flagged else ""),
        ("turns", totals.turns, ""),
        ("agents", len(totals.agents), ""),
    ]
    for label, value, cls in stats:
        out.append(f'<div class="stat {cls}"><span class="stat-n">{value}</span>'
                   f'<span class="stat-l">{_e(label)}</span></div>')
    out.append("</div>")
    if totals.channels:
        out.append('<p class="small">Channels: ' + ", ".join(
            f"{_e(k)} {v}" for k, v in sorted(totals.channels.items(), key=lambda kv: -kv[1])) + "</p>")

    out.append('<div class="overview-grid"><div><h3>Team average per skill</h3>')
    if totals.skill_n:
        out.append('<ul class="skills team">')
        names = [s for s in SKILLS if s in totals.skill_n] + [s for s in totals.skill_n if s not in SKILLS]
        for skill in names + [s for s in SKILLS if s not in totals.skill_n]:
            n = totals.skill_n.get(skill, 0)
            avg = totals.skill_sum[skill] / n if n else None
            label = _label(skill)
            out.append(f'<li class="skill{"" if n else " unscored"}"><div class="skill-row">'
                       f'<span class="skill-name" title="{_e(_skill_definition(skill))}">{_e(label)}</span>'
                       f'{_bar(avg, label, extra=f", average of {n}")}'
                       f'<span class="skill-score band-{_band(avg)}">{_fmt_score(avg)}</span>'
                       f'<span class="small n">{f"n={n}" if n else "not scored"}</span></div></li>')
        out.append("</ul>")
    else:
        out.append('<p class="empty">No skill has been scored in these conversations yet.</p>')
    out.append("</div><div><h3>Agents</h3>")
    if totals.agents:
        out.append('<div class="scroll" tabindex="0" role="region" aria-label="Agents"><table class="agents">'
                   '<thead><tr><th scope="col">Agent</th><th scope="col" class="num">'
                   'Conversations</th><th scope="col" class="num">Flagged</th><th scope="col" class="num">'
                   "Average score</th></tr></thead><tbody>")
        for name, a in sorted(totals.agents.items(), key=lambda kv: (-kv[1]["conversations"], kv[0].lower())):
            avg = a["sum"] / a["n"] if a["n"] else None
            out.append(f"<tr><td>{_e(name)}</td><td class=\"num\">{a['conversations']}</td>"
                       f"<td class=\"num\">{a['flagged'] or ''}</td>"
                       f'<td class="num"><span class="band-{_band(avg)}">{_fmt_score(avg)}</span></td></tr>')
        out.append("</tbody></table></div>")
    else:
        out.append('<p class="empty">No agent was named in these conversations.</p>')
    out.append("</div></div>")
    if totals.failures:
        out.append(f'<h3 id="failures">Inputs that could not be read ({len(totals.failures)})</h3>'
                   '<table class="failures"><thead><tr><th scope="col">Source</th><th scope="col">Error</th>'
                   '<th scope="col">Message</th></tr></thead><tbody>')
        for source, code, message, line in totals.failures:
            where = f":{line}" if line else ""
            out.append(f"<tr><td><code>{_e(source)}{_e(where)}</code></td><td><code>{_e(code)}</code></td>"
                       f"<td>{_e(message)}</td></tr>")
        out.append("</tbody></table>")
    out.append("</section>\n")
    return "".join(out)


def queue_order(summaries: Iterable[Summary], *, by_review: bool = False) -> list[Summary]:
    """The conversations to review, most urgent first.

    With ``by_review``: the ``review`` command's order (a high-severity flag first, then urgency from flag
    severities, low skills, a customer still negative at the end), ties by id and source. Without: flagged
    conversations by worst severity, number of flags, lowest skill.
    """
    if by_review:
        from transcript_coach.review import read_first

        return sorted((s for s in summaries if s.urgency > 0),
                      key=lambda s: (not read_first(r.severity for r in s.reasons), -s.urgency, s.id, s.source))
    return sorted((s for s in summaries if s.flags), key=Summary.flag_urgency)


def _review_queue(summaries: Sequence[Summary], *, by_review: bool = False) -> str:
    if by_review and not any(s.reasons for s in summaries) and any(s.flags for s in summaries):
        by_review = False  # nothing ranked by the review rules although there are flags: rank by the flags
    queue = queue_order(summaries, by_review=by_review)
    out = [f'<section id="queue" class="panel"><h2>Review queue <span class="count">{len(queue)}</span></h2>']
    if not queue:
        out.append('<p class="empty">No conversation was flagged for review.</p></section>\n')
        return "".join(out)
    if by_review:
        out.append('<p class="small">Most urgent first, ranked as <code>transcript-coach review</code> ranks them: '
                   "a high-severity flag first, then the severity of each QA flag, skills scored very low, and a "
                   "customer still negative at the end. "
                   'Each reason links to the words behind it.</p><ol class="queue">')
    else:
        out.append('<p class="small">Flagged conversations, most urgent first: highest severity, then number of '
                   'flags, then lowest skill score.</p><ol class="queue">')
    items = [_queue_item(s, by_review) for s in queue]
    out.append("".join(items[:QUEUE_SHOWN]) + "</ol>")
    if len(items) > QUEUE_SHOWN:  # numbered on from the open list (one CSS counter)
        out.append(f'<details class="queue-more"><summary>The other {len(items) - QUEUE_SHOWN} queued '
                   f'conversation(s)</summary><ol class="queue" start="{QUEUE_SHOWN + 1}">'
                   + "".join(items[QUEUE_SHOWN:]) + "</ol></details>")
    out.append("</section>\n")
    return "".join(out)


def _queue_item(s: Summary, by_review: bool) -> str:
    """One entry of the review queue."""
    flags = sorted(s.flags, key=lambda f: -SEVERITY_RANK.get(f[0], 0))
    worst = flags[0][0] if flags else "none"
    if by_review and s.reasons:
        top, others = s.reasons[0], s.reasons[1:]
        badge = (_badge(top.severity) if top.severity
                 else f'<span class="sev sev-none">{_e(_reason_kind(top))}</span>')
        headline, links = _sentence(top.text) or top.code, top.links
        extra = f" · urgency {s.urgency:.0f}"
    else:
        top_flag = flags[0]
        others = []
        badge, headline, links, extra = _badge(top_flag[0]), _sentence(top_flag[2]) or top_flag[1], (), ""
    lowest = s.lowest
    low_text = f"lowest skill: {_label(lowest[0])} {round(lowest[1])}" if lowest else ""
    chips = "".join(f'<span class="chip sev-{_e(sev)}" title="{_e(r)}">{_e(c)}</span>' for sev, c, r in flags)
    return (
        f'<li class="qitem sev-{_e(worst)}"><div class="q-reason">{badge} '
        f'<a href="#{_e(s.anchor)}">{_e(headline)}</a></div>'
        + (_queue_links(links) if links else "")
        + f'<div class="q-meta"><span class="q-id">{_e(s.id)}</span> · '
        f'{_e(", ".join(s.agents) or "no agent named")} · {s.turns} turns'
        f'{" · " + _e(low_text) if low_text else ""}'
        f'{_e(extra)} <span class="chips">{chips}</span></div>'
        + ('<ul class="q-more">' + "".join(
            f'<li>{_badge(r.severity) if r.severity else ""} {_e(_sentence(r.text))}'
            f'{_queue_links(r.links[:1], inline=True) if r.links else ""}</li>' for r in others[:MORE_REASONS])
           + (f'<li><a href="#{_e(s.anchor)}">and {len(others) - MORE_REASONS} more reason(s)</a></li>'
              if len(others) > MORE_REASONS else "") + "</ul>"
           if others else "")
        + "</li>")


def _reason_kind(reason: QueueReason) -> str:
    return {"low_skill": "low skills", "customer_negative_end": "unhappy end"}.get(reason.kind, reason.kind)


def _queue_links(links: Sequence[tuple[str, str, str]], *, inline: bool = False) -> str:
    tag = "span" if inline else "div"
    return (f'<{tag} class="q-evidence">' + "".join(
        f'<a class="ev-link {_e(kind)}" href="#{_e(anchor)}">“{_e(text)}”</a>' for anchor, text, kind in links)
        + f"</{tag}>")


def _index(summaries: Sequence[Summary]) -> str:
    out = ['<section id="conversations" class="panel"><h2>Conversations '
           f'<span class="count">{len(summaries)}</span></h2>']
    if not summaries:
        out.append('<p class="empty">No conversation was scored.</p>\n')
        return "".join(out)  # the section is closed by the page tail, after the conversations
    out.append('<div class="filter"><label for="conv-filter">Filter</label> <input id="conv-filter" type="search" '
               'placeholder="id, agent, channel, flag code…" autocomplete="off"> '
               '<span class="small" id="filter-count" '
               'aria-live="polite"></span></div>')
    out.append('<table class="index"><thead><tr><th scope="col">Conversation</th><th scope="col">Channel</th>'
               '<th scope="col">Agents</th><th scope="col" class="num">Turns</th><th scope="col" class="num">Average'
               '</th><th scope="col">Lowest skill</th><th scope="col">Flags</th></tr></thead><tbody>')
    for s in summaries:
        avg, lowest = s.average, s.lowest
        flags = sorted(s.flags, key=lambda f: -SEVERITY_RANK.get(f[0], 0))
        chips = "".join(f'<span class="chip sev-{_e(sev)}" title="{_e(r)}">{_e(c)}</span>' for sev, c, r in flags)
        name = s.source.replace("\\", "/").rsplit("/", 1)[-1]
        stem = name.rsplit(".", 1)[0]
        where = f'<br><span class="small">{_e(name)}</span>' if s.id not in (name, stem) else ""
        out.append(
            f'<tr><td><a href="#{_e(s.anchor)}">{_e(s.id)}</a>{where}</td><td>{_e(s.channel)}</td>'
            f'<td>{_e(", ".join(s.agents))}</td><td class="num">{s.turns}</td>'
            f'<td class="num"><span class="band-{_band(avg)}">{_fmt_score(avg)}</span></td>'
            f'<td>{_e(f"{_label(lowest[0])} {round(lowest[1])}") if lowest else ""}</td><td>{chips}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _page_tail() -> str:
    return (f"</section>\n</main>\n{_skill_definitions()}\n<script>\n{_asset('report.js')}\n</script>\n"
            "</body>\n</html>\n")


def _skill_definitions() -> str:
    """The skills' definitions by the names shown, once for the page (not in each conversation's section: 15 a
    conversation made 7% of a page of many); the page script shows one when the pointer comes over a skill's name."""
    definitions = {_label(skill): text for skill in (_rubric().get("skills") or {})
                   if (text := _skill_definition(skill))}
    data = json.dumps(definitions, ensure_ascii=True).replace("<", "\\u003c")  # no "</script>" inside
    return f'<script type="application/json" id="skill-definitions">{data}</script>'
