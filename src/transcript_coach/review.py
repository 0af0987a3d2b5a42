"""The review queue: which conversations a QA reviewer should read first, why, and the words behind each reason.

``review_queue(reports, top)`` is a pure function of report dicts (the JSON of the report contract). The rules, with
their numbers in ``data/review.json``:

- **Urgency** is the sum of: each QA flag's severity weight (high > medium > low); for the skills scored below a
  threshold (continuous_learning excluded), one "low_skills" reason weighing, per skill, a share of the points under
  the threshold, capped per skill (a low-skill flag of the rubric, if raised, counts as a flag besides: it says "very
  low", this says how low and where); and a weight when the customer's closing sentiment is still negative, unless a
  flag (such as the rubric's own negative-ending flag) already cites that same evidence. Conversations with urgency 0
  are not queued. Error records are returned apart as "could not be scored".
- **Evidence lines** of a reason are its evidence ids looked up in the report's ``evidence`` (turn, speaker, exact
  words). For low skills: what the skill's improvement notes quote first, then its negative-valued evidence, then the
  rest, interleaved across the skills lowest first.
- **Order**: conversations with a flag of a severity to read first (``read_first``: high) before all others, so
  that a data-security breach or abuse is never queued below a conversation that merely adds up several lesser
  reasons; within each, most urgent first; ties by report id, then source.
- **Even spread** (``top``): the slots are given one at a time to the agent with the fewest conversations picked so
  far, among the agents who still have queued conversations left (ties: the agent whose next conversation is more
  urgent, then its report id); that agent's most urgent remaining conversation is picked. A conversation with two
  agents counts against both. Conversations without a named agent form one bucket of their own. So no agent takes a
  second slot while another agent with queued conversations has none, and so on. The picked conversations are then
  listed most urgent first.

Agent names are normalised as in ``profiles.resolve_agent_names`` ("Priya" and "Priya Raman" are one bucket).

Reports are read as a stream and only the reasons of a queued one are kept: with ``top``, of the few conversations
each agent name could still have picked; without, of every one, in a temporary file (``_Spill``), its place in the
queue in memory.

``load_reports`` reads what the ``review`` and ``agents`` commands are given: report files written by ``score`` (JSON
Lines or a JSON array, compressed or not, whose first report is of this schema) or transcripts, which it scores first,
and folders and zip archives of either (``ingest.report_files``). ``Distinct`` passes each conversation on once.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import IO, Any

from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError, InputError
from transcript_coach.ingest import iter_inputs, one_or_many
from transcript_coach.ingest.compression import DAMAGED, compression_of, read_failure
from transcript_coach.ingest.report_files import is_reports_file  # noqa: F401 (review.is_reports_file, as before)
from transcript_coach.ingest.report_files import (ArrayReader, first_element, first_object, is_array_name,
                                                  report_file_kind, report_kind, report_text)
from transcript_coach.model import REPORT_SCHEMA, SKILLS
from transcript_coach.profiles import AgentNames, NameTally, names_someone
from transcript_coach.reporting import printable

NO_AGENT = "(no agent)"


# --- settings -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ReviewSettings:
    severity_weights: Mapping[str, float]
    low_skill_below: float
    low_skill_points_per_point: float
    low_skill_max: float
    negative_feature: str
    negative_at_most: float
    negative_weight: float
    max_evidence_lines: int
    read_first: frozenset[str]  # flag severities that queue a conversation ahead of every one without such a flag


@functools.cache
def review_settings() -> ReviewSettings:
    name = "review.json"
    data = load_json(name)
    try:
        weights = {key: float(data["severity_weights"][key]) for key in ("high", "medium", "low")}
        if not weights["high"] > weights["medium"] > weights["low"] >= 0:
            raise DataFileError(f"{name}: severity_weights must satisfy high > medium > low >= 0")
        low, negative = data["low_skill"], data["customer_negative_end"]
        return ReviewSettings(
            severity_weights=weights,
            low_skill_below=float(low["below"]),
            low_skill_points_per_point=float(low["points_per_point"]),
            low_skill_max=float(low["max_per_skill"]),
            negative_feature=str(negative["feature"]),
            negative_at_most=float(negative["at_most"]),
            negative_weight=float(negative["weight"]),
            max_evidence_lines=int(data["max_evidence_lines"]),
            read_first=_severities(name, data["read_first"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(f"{name}: missing or invalid entry: {exc}") from None


def _severities(name: str, value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not set(value) <= {"high", "medium", "low"}:
        raise DataFileError(f"{name}: read_first must be a list of severities (high, medium, low), got {value!r}")
    return frozenset(value)


# --- values ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class EvidenceLine:
    """One piece of evidence, located: the turn it is in, who spoke, the exact words, and for a word or two ("didn't",
    "refund") the sentence they are in, which is what a reviewer needs to read."""

    id: str
    turn: int | None
    speaker: str | None
    role: str | None
    feature: str | None
    text: str
    start: int | None = None
    end: int | None = None
    sentence: str | None = None

    @property
    def shown(self) -> str:
        return self.sentence or self.text

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "turn": self.turn, "speaker": self.speaker, "role": self.role,
                "feature": self.feature, "text": self.text, "start": self.start, "end": self.end,
                "sentence": self.sentence}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a conversation was queued: a flag, a low skill score or a customer still unhappy at the end."""

    kind: str  # flag | low_skill | customer_negative_end
    code: str
    severity: str | None
    text: str
    weight: float
    evidence: tuple[EvidenceLine, ...] = ()
    missing: tuple[str, ...] = ()  # evidence ids the report does not contain

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": self.code, "severity": self.severity, "text": self.text,
                "weight": round(self.weight, 2), "evidence": [e.id for e in self.evidence],
                "missing_evidence": list(self.missing)}


@dataclass(frozen=True, slots=True)
class QueueItem:
    rank: int
    urgency: float
    report_id: str
    source: str
    agents: tuple[str, ...]  # as written in the report
    buckets: tuple[str, ...]  # the normalised agents it counts against (NO_AGENT when none)
    started_at: str | None
    reasons: tuple[Reason, ...]

    @property
    def evidence(self) -> tuple[EvidenceLine, ...]:
        """Every evidence line of every reason, once, in order of appearance."""
        seen: dict[str, EvidenceLine] = {}
        for reason in self.reasons:
            for line in reason.evidence:
                seen.setdefault(line.id, line)
        return tuple(seen.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "urgency": round(self.urgency, 2),
            "id": self.report_id,
            "source": self.source,
            "agents": list(self.agents),
            "review_buckets": list(self.buckets),
            "started_at": self.started_at,
            "reasons": [r.to_dict() for r in self.reasons],
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class Review:
    """The queue, the error records ("could not be scored") and how many conversations had nothing to review."""

    items: Sequence[QueueItem]  # the whole queue is read back from a temporary file as it is asked for
    failures: tuple[Mapping[str, Any], ...]
    queued: int  # conversations with urgency > 0 (before --top)
    clean: int  # conversations with nothing to review
    names: AgentNames

    @property
    def conversations(self) -> int:
        """How many reports (not error records) were read."""
        return self.queued + self.clean


# --- urgency --------------------------------------------------------------------------------------------------------

_SENTENCES = ("tone.customer_sentiment", "tone.agent_sentiment")  # evidence that marks whole sentences
_FEW_WORDS = 3  # evidence shorter than this many words is shown in its sentence


def _lines(report: Mapping[str, Any], ids: Iterable[Any]) -> tuple[tuple[EvidenceLine, ...], tuple[str, ...]]:
    items = [e for e in report.get("evidence") or () if isinstance(e, Mapping)]
    evidence = {e.get("id"): e for e in items}
    turns = report.get("turns") or []
    sentences: dict[Any, list[tuple[int, int, str]]] | None = None  # built when a short cue needs it
    found, missing = [], []
    for eid in dict.fromkeys(ids):
        item = evidence.get(eid)
        if item is None:
            missing.append(str(eid))
            continue
        index, start, end, text = item.get("turn"), item.get("start"), item.get("end"), str(item.get("text", ""))
        turn = turns[index] if isinstance(index, int) and 0 <= index < len(turns) else {}
        sentence = None
        if len(text.split()) < _FEW_WORDS and isinstance(start, int) and isinstance(end, int):
            sentences = _sentence_spans(items) if sentences is None else sentences
            sentence = next((t for a, b, t in sentences.get(index, ()) if a <= start and end <= b and t != text), None)
        found.append(EvidenceLine(id=str(eid), turn=index if isinstance(index, int) else None,
                                  speaker=turn.get("speaker"), role=turn.get("role"), feature=item.get("feature"),
                                  text=text, start=start, end=end, sentence=sentence))
    return tuple(found), tuple(missing)


def _sentence_spans(items: Iterable[Mapping[str, Any]]) -> dict[Any, list[tuple[int, int, str]]]:
    """Turn -> (start, end, text) of each sentence that sentence-level evidence marks in it."""
    spans: dict[Any, list[tuple[int, int, str]]] = {}
    for e in items:
        start, end = e.get("start"), e.get("end")
        if e.get("feature") in _SENTENCES and isinstance(start, int) and isinstance(end, int):
            spans.setdefault(e.get("turn"), []).append((start, end, str(e.get("text", ""))))
    return spans


def _parts(report: Mapping[str, Any], skill: str) -> str:
    """" (Kim 21, Rosa 67)": each agent's score of ``skill`` on their own part of a conversation several agents
    handled (``metrics.by_agent``), which says whose part it was; nothing otherwise."""
    metrics = report.get("metrics") if isinstance(report.get("metrics"), Mapping) else {}
    parts = metrics.get("by_agent") if isinstance(metrics.get("by_agent"), Mapping) else {}
    shown = []
    for agent, part in parts.items():
        skills = part.get("skills") if isinstance(part, Mapping) and isinstance(part.get("skills"), Mapping) else {}
        entry = skills.get(skill) if isinstance(skills.get(skill), Mapping) else {}
        score = entry.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool):
            shown.append(f"{agent} {score:.0f}")
    return f" ({', '.join(shown)})" if shown else ""


def _low_skills(report: Mapping[str, Any], config: ReviewSettings) -> list[tuple[str, float, float]]:
    """(skill, score, weight) of each skill scored below the threshold, lowest score first."""
    low = []
    for skill in SKILLS:
        value = (report.get("skills") or {}).get(skill) or {}
        score = value.get("score")
        if skill == "continuous_learning" or not isinstance(score, int | float) or isinstance(score, bool):
            continue
        if score < config.low_skill_below:
            weight = min(config.low_skill_max, (config.low_skill_below - score) * config.low_skill_points_per_point)
            low.append((skill, float(score), weight))
    return sorted(low, key=lambda item: (item[1], item[0]))


def _telling_evidence(report: Mapping[str, Any], skill: str) -> list[str]:
    """The evidence that best shows why a skill scored low: what its improvement notes quote, then its evidence with a
    negative value (sentiment, politeness), most negative first, then the rest in report order."""
    noted = [i for note in report.get("notes") or () if isinstance(note, Mapping) and note.get("skill") == skill
             and note.get("kind") == "improvement" for i in note.get("evidence") or ()]
    values = {e.get("id"): e.get("value") for e in report.get("evidence") or () if isinstance(e, Mapping)}
    own = list(((report.get("skills") or {}).get(skill) or {}).get("evidence") or ())

    def value(eid: str) -> float:
        v = values.get(eid)
        return v if isinstance(v, int | float) else 0.0

    negative = sorted((i for i in own if value(i) < 0), key=value)
    return list(dict.fromkeys([*noted, *negative, *own]))


def _interleave(lists: Sequence[Sequence[str]]) -> list[str]:
    """The first item of each list, then the second of each, ... (each id once)."""
    out: dict[str, None] = {}
    for i in range(max((len(items) for items in lists), default=0)):
        for items in lists:
            if i < len(items):
                out.setdefault(items[i], None)
    return list(out)


def reasons_for(report: Mapping[str, Any], config: ReviewSettings | None = None) -> tuple[Reason, ...]:
    """Every reason to review one report, each with its weight and evidence (most weighty first)."""
    config = config or review_settings()
    reasons = []
    flagged: set[str] = set()
    for flag in report.get("flags") or ():
        severity = flag.get("severity")
        ids = list(flag.get("evidence") or ())
        flagged.update(map(str, ids))
        found, missing = _lines(report, ids)
        reasons.append(Reason(kind="flag", code=str(flag.get("code")), severity=severity,
                              text=str(flag.get("reason") or flag.get("code")),
                              weight=config.severity_weights.get(severity, 0.0), evidence=found, missing=missing))
    low = _low_skills(report, config)
    if low:
        weight = sum(w for _, _, w in low)
        ids = _interleave([_telling_evidence(report, skill) for skill, _, _ in low])
        found, missing = _lines(report, ids)
        listed = ", ".join(f"{skill.replace('_', ' ')} {score:.0f}{_parts(report, skill)}" for skill, score, _ in low)
        reasons.append(Reason(kind="low_skill", code="low_skills", severity=None,
                              text=f"{len(low)} skill(s) below {config.low_skill_below:.0f}: {listed}",
                              weight=weight, evidence=found, missing=missing))
    closing = [e for e in report.get("evidence") or ()
               if isinstance(e, Mapping) and e.get("feature") == config.negative_feature]
    if closing:
        last = closing[-1]
        value = last.get("value")
        if isinstance(value, int | float) and value <= config.negative_at_most and str(last.get("id")) not in flagged:
            found, missing = _lines(report, [last.get("id")])
            reasons.append(Reason(kind="customer_negative_end", code="customer_negative_end", severity=None,
                                  text=f"the customer was still negative at the end (closing sentiment {value:+.2f})",
                                  weight=config.negative_weight, evidence=found, missing=missing))
    return tuple(sorted(reasons, key=lambda r: -r.weight))


def read_first(severities: Iterable[str | None]) -> bool:
    """Whether a conversation with reasons of these severities is queued ahead of every other (``read_first``)."""
    first = review_settings().read_first
    return any(severity in first for severity in severities)


def _order(item: QueueItem) -> tuple[bool, float, str, str]:
    return (not read_first(r.severity for r in item.reasons), -item.urgency, item.report_id, item.source)


def spread(items: Sequence[QueueItem], top: int) -> list[QueueItem]:
    """Pick ``top`` items round-robin across agents (see the module docstring), then order them by urgency."""
    buckets: dict[str, list[QueueItem]] = {}
    for item in sorted(items, key=_order):
        for bucket in item.buckets:
            buckets.setdefault(bucket, []).append(item)
    charged: Counter[str] = Counter()
    picked: dict[int, QueueItem] = {}
    while len(picked) < top:
        options = []
        for bucket, queue in buckets.items():
            while queue and id(queue[0]) in picked:
                queue.pop(0)
            if queue:
                options.append((charged[bucket], _order(queue[0]), bucket == NO_AGENT, bucket))
        if not options:
            break
        bucket = min(options)[-1]
        item = buckets[bucket].pop(0)
        picked[id(item)] = item
        charged.update(item.buckets)
    return sorted(picked.values(), key=_order)


_Ref = tuple[int, int] | QueueItem  # where a spilled item is in its file (offset, length), or the item itself
# order, reading order, names, the item or where it is
_Entry = tuple[tuple[bool, float, str, str], int, tuple[str, ...], _Ref]


class _Candidates:
    """The queued conversations, as they are read, that the queue could hold: every one without ``top`` (its reasons
    and evidence waiting in a temporary file, ``_Spill``); with it, those among the ``top`` most urgent of one of
    their names (as written), or of the conversations with no named agent. ``spread`` gives each pick to a bucket's
    most urgent conversation not yet picked, so it never looks further than ``top`` down a bucket. A bucket is one
    or more names merged, or the conversations none of whose names stands for an agent, which a name tells by itself
    (``names_someone``): a conversation ``spread`` can reach is among the ``top`` most urgent of one of its names, or
    of the no-agent ones. Each name keeps at most ``top`` and a quarter more (at least 8 more), and is cut back to
    ``top`` when that is reached: the queue holds a few conversations a name, however many are read."""

    def __init__(self, top: int | None):
        self.top = top
        self._cut_at = None if top is None else top + max(top // 4, 8)
        self._read = 0
        self._kept: dict[str | None, list[_Entry]] = {}  # by name; None: no named agent, or every one without top
        self._spill = _Spill() if top is None else None

    def add(self, named: tuple[str, ...], item: QueueItem) -> None:
        """``named``: the report's names (``NameTally.add``)."""
        # the reading order breaks ties, as a stable sort does; without top every one is kept, its reasons and
        # evidence waiting on disk
        entry = (_order(item), self._read, named, item if self._spill is None else self._spill.put(item))
        self._read += 1
        if self.top is None:
            self._kept.setdefault(None, []).append(entry)
            return
        for name in [name for name in dict.fromkeys(named) if names_someone(name)] or [None]:
            kept = self._kept.setdefault(name, [])
            kept.append(entry)
            if len(kept) > self._cut_at:  # type: ignore[operator]
                kept.sort()
                del kept[self.top:]

    def __len__(self) -> int:
        return self._read

    def queue(self, names: AgentNames) -> _Queue:
        """Without ``top``: every conversation, most urgent first, read back from where it waits."""
        assert self._spill is not None
        return _Queue([(named, ref) for _, _, named, ref in sorted(self._kept.get(None, []))], self._spill, names)

    def entries(self) -> list[tuple[tuple[str, ...], QueueItem]]:
        """With ``top``: (names, item) of each kept conversation, in the order read."""
        kept = {read: (named, item) for entries in self._kept.values()
                for _, read, named, item in sorted(entries)[:self.top]}
        return [kept[read] for read in sorted(kept)]


class _Spill:
    """Queue items in a temporary file, each written as it is read and read back when it is asked for: the whole
    queue of a year's reports holds its order in memory (about 200 bytes a conversation), not the reasons and
    evidence lines (a few kilobytes). An item that JSON cannot hold (a report made in Python with other values in
    it), or that cannot be written (no temporary folder, a full disk), stays in memory."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._end = 0
        with contextlib.suppress(OSError):  # no temporary folder to write to: the queue is kept in memory
            self._file = tempfile.TemporaryFile()  # gone when closed, or when this process ends

    def put(self, item: QueueItem) -> _Ref:
        if self._file is None:
            return item
        try:
            data = json.dumps(_item_fields(item), ensure_ascii=False).encode("utf-8")
            self._file.seek(self._end)
            self._file.write(data)
        except (TypeError, ValueError, OSError):  # not JSON; a full disk
            return item
        self._end += len(data)
        return self._end - len(data), len(data)

    def get(self, ref: _Ref) -> QueueItem:
        if isinstance(ref, QueueItem):
            return ref
        assert self._file is not None
        self._file.seek(ref[0])
        return _item_from_fields(json.loads(self._file.read(ref[1])))


class _Queue(Sequence[QueueItem]):
    """The whole queue, most urgent first: each item read back from its ``_Spill`` when it is asked for, with its
    rank and the buckets its names resolved to."""

    def __init__(self, entries: list[tuple[tuple[str, ...], _Ref]], spill: _Spill, names: AgentNames):
        self._entries = entries
        self._spill = spill
        self._names = names

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        named, ref = self._entries[index]
        rank = range(1, len(self) + 1)[index]
        return replace(self._spill.get(ref), rank=rank, buckets=self._names.agents(named) or (NO_AGENT,))


def _item_fields(item: QueueItem) -> list[Any]:
    """``item`` as JSON values (``_item_from_fields`` makes it again), without its rank and buckets."""
    return [item.urgency, item.report_id, item.source, list(item.agents), item.started_at,
            [[r.kind, r.code, r.severity, r.text, r.weight, list(r.missing),
              [[e.id, e.turn, e.speaker, e.role, e.feature, e.text, e.start, e.end, e.sentence] for e in r.evidence]]
             for r in item.reasons]]


def _item_from_fields(fields: list[Any]) -> QueueItem:
    urgency, report_id, source, agents, started_at, reasons = fields
    return QueueItem(rank=0, urgency=urgency, report_id=report_id, source=source, agents=tuple(agents), buckets=(),
                     started_at=started_at,
                     reasons=tuple(Reason(kind, code, severity, text, weight, tuple(EvidenceLine(*e) for e in lines),
                                          tuple(missing))
                                   for kind, code, severity, text, weight, missing, lines in reasons))


def review(reports: Iterable[Mapping[str, Any]], top: int | None = None) -> Review:
    """The review queue with what was left out of it (error records, conversations with nothing to review)."""
    if top is not None and top < 0:
        raise ValueError("top must be 0 or more")
    config = review_settings()
    failures: list[Mapping[str, Any]] = []
    queued = _Candidates(top)  # the reasons of each report, not the report: a year's reports are read as a stream,
    # and a report is tens of kilobytes held
    tally = NameTally()
    clean = 0
    for report in reports:
        if "error" in report:
            failures.append(report)
            continue
        named = tally.add(report)
        reasons = reasons_for(report, config)
        urgency = sum(r.weight for r in reasons)
        if urgency <= 0:
            clean += 1
            continue
        queued.add(named, QueueItem(
            rank=0, urgency=urgency, report_id=str(report.get("id")), source=str(report.get("source")),
            agents=tuple(report.get("agents") or ()), buckets=(), started_at=report.get("started_at"),
            reasons=reasons,
        ))
    names = tally.resolve()
    if top is None:
        items: Sequence[QueueItem] = queued.queue(names)
    else:
        candidates = [replace(item, buckets=names.agents(named) or (NO_AGENT,)) for named, item in queued.entries()]
        chosen = sorted(candidates, key=_order) if top >= len(queued) else spread(candidates, top)
        items = tuple(replace(c, rank=i) for i, c in enumerate(chosen, 1))
    return Review(items=items, failures=tuple(failures), queued=len(queued), clean=clean, names=names)


def review_queue(reports: Iterable[Mapping[str, Any]], top: int | None = None) -> list[QueueItem]:
    """The conversations to review, most urgent first; with ``top``, at most that many, spread across agents."""
    return list(review(reports, top).items)


# --- writers --------------------------------------------------------------------------------------------------------

def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def failure_text(failure: Mapping[str, Any]) -> str:
    error = failure.get("error") or {}
    message = str(error.get("message") or error.get("code") or "unknown error")
    source = str(failure.get("source", ""))
    return message if source and source in message else f"{source}: {message}"


def _readable_time(started_at: str) -> str:
    """An ISO 8601 start for a person to read: to the minute, with its offset from UTC when it has one
    ("2026-05-05 17:42 +02:00"); anything else (a bare clock time) as it is."""
    try:
        moment = datetime.fromisoformat(started_at)
    except ValueError:
        return started_at
    offset = moment.strftime("%z")
    return moment.strftime("%Y-%m-%d %H:%M") + (f" {offset[:3]}:{offset[3:5]}" if offset else "")


def write_text(result: Review, out: IO[str], *, top: int | None = None) -> None:
    """The queue for a person: rank, urgency, where, who, why, and the evidence lines under each reason. Each line is
    ``printable``: the file names and texts it shows come from the inputs."""
    config = review_settings()

    def line(text: str = "") -> None:
        out.write(printable(text) + "\n")

    shown = len(result.items)
    if shown:
        order = f"{'/'.join(sorted(config.read_first))}-severity flags first, then most urgent" \
            if config.read_first else "most urgent first"
        line(f"Review queue: {shown} of {result.queued} conversation(s) needing review, {order}"
             + (f" (top {top}, spread across agents)" if top is not None and shown < result.queued else "") + ".")
    elif result.queued:  # --top 0: the count alone
        line(f"Review queue: {result.queued} conversation(s) needing review, none shown (top 0).")
    else:
        line("Review queue: nothing to review.")
    for item in result.items:
        line()
        line(f"#{item.rank}  urgency {item.urgency:.1f}  {item.source}#{item.report_id}")
        named = ", ".join(item.agents) or NO_AGENT
        if item.agents and item.buckets == (NO_AGENT,):
            named += " (a role label, no named agent)"
        line(f"    agents: {named}" + (f"  date: {_readable_time(item.started_at)}" if item.started_at else ""))
        for reason in item.reasons:
            label = f"{reason.severity} " if reason.severity else ""
            line(f"    - [{label}{reason.code}] {reason.text}  (+{reason.weight:.1f})")
            spans = list({(e.turn, e.shown): e for e in reason.evidence}.values())
            for evidence in spans[: config.max_evidence_lines]:
                who = evidence.speaker or evidence.role or "?"
                where = f"turn {evidence.turn + 1}" if evidence.turn is not None else "turn ?"  # counted from 1
                line(f"        {where}, {who}: \"{_clip(evidence.shown, 110)}\"")
            extra = len(spans) - config.max_evidence_lines
            if extra > 0:
                line(f"        (+{extra} more evidence)")
            if reason.missing:
                line(f"        (evidence not in the report: {', '.join(reason.missing)})")
    if result.clean:
        line()
        line(f"{result.clean} conversation(s) had nothing to review.")
    if result.failures:
        line()
        line(f"Could not be scored ({len(result.failures)}):")
        for failure in result.failures:
            line(f"    {failure_text(failure)}")


def write_jsonl(result: Review, out: IO[str], *, top: int | None = None) -> None:
    """One JSON object per queued conversation (error records are not written: they go to standard error)."""
    for item in result.items:
        out.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")


QUEUE_WRITERS = {"text": write_text, "jsonl": write_jsonl}


# --- reading what the commands are given ----------------------------------------------------------------------------

def _error_record(source: str, code: str, message: str, line: int | None = None) -> dict[str, Any]:
    return {"schema": REPORT_SCHEMA, "source": source, "error": {"code": code, "message": message, "line": line}}


def _decompressed(data: bytes) -> bytes:
    """Bytes read from standard input, decompressed when they are compressed (``zcat``'s work), else as they are: a
    damaged stream is passed on as it is, to be reported where it is scored as a transcript."""
    try:
        kind = compression_of(data[:16], "<stdin>")
        return data if kind is None else kind.open(io.BytesIO(data)).read()
    except (InputError, *DAMAGED):  # a zip archive, a damaged stream
        return data


_REQUIRED = {"id": str, "source": str, "agents": list, "turns": list, "evidence": list, "skills": dict,
             "flags": list}


def check_report(document: Any) -> str | None:
    """Why a parsed line is not a usable report or error record, or ``None`` when it is (a quick structural check
    of the fields this module and ``profiles`` read; ``schema.schema_errors`` is the full check)."""
    if not isinstance(document, dict):
        return "not a JSON object"
    if document.get("schema") != REPORT_SCHEMA:
        return f"schema is {document.get('schema')!r}, expected {REPORT_SCHEMA!r}"
    if "error" in document:
        return None if isinstance(document["error"], dict) and isinstance(document.get("source"), str) else \
            "an error record needs 'source' and an 'error' object"
    wrong = [key for key, kind in _REQUIRED.items() if not isinstance(document.get(key), kind)]
    if wrong:
        return "missing or invalid " + ", ".join(repr(k) for k in wrong)
    if not isinstance(document.get("notes", []), list):
        return "'notes' must be a list"
    if not all(isinstance(v, dict) for v in document["skills"].values()):
        return "'skills' values must be objects"
    for key in ("turns", "evidence", "flags", "notes"):
        if not all(isinstance(v, dict) for v in document.get(key, ())):
            return f"'{key}' items must be objects"
    if not all(isinstance(name, str) for name in document["agents"]):
        return "'agents' items must be strings"
    if not isinstance(document.get("started_at"), str | None):
        return "'started_at' must be a string or null"
    for item in document["evidence"]:  # their ids and features are looked up and counted
        if not isinstance(item.get("id"), str) or not isinstance(item.get("feature"), str | None):
            return "'evidence' items need a string 'id' (and a string 'feature')"
    citing = [*document["flags"], *document.get("notes", ()), *document["skills"].values()]
    if not all(_evidence_ids(item.get("evidence", [])) for item in citing):
        return "the 'evidence' of flags, notes and skills must be lists of evidence ids"
    if not all(isinstance(flag.get("severity"), str | None) for flag in document["flags"]):
        return "'flags' items' 'severity' must be a string"
    return None


def _evidence_ids(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, str) for i in value)


def parse_reports(lines: Iterable[str], source: str) -> Iterator[dict[str, Any]]:
    """The reports in JSONL text; a line that is not one becomes an error record naming the file and line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except (ValueError, RecursionError) as exc:
            problem = exc if isinstance(exc, ValueError) else "nested too deeply"
            yield _error_record(source, "malformed_report", f"{source}:{number}: not valid JSON ({problem})", number)
            continue
        problem = check_report(document)
        if problem:
            yield _error_record(source, "malformed_report", f"{source}:{number}: not a report: {problem}", number)
        else:
            yield document


def read_report_array(handle: IO[str], source: str) -> Iterator[dict[str, Any]]:
    """The reports of a JSON array (``score --format json``), each element read from ``handle`` as it comes and
    decoded once; an element that is not a report becomes an error record naming it. Where the array is cut short
    (``score --format json > FILE`` stopped, say) or damaged, an error record naming the element comes after the
    reports before it, as for a line of JSON Lines."""
    reader = ArrayReader(handle)
    if not reader.take("["):
        yield _not_an_array(source)
        return
    for number in itertools.count(1):
        if reader.take("]"):
            if reader.next_char():
                yield _error_record(source, "malformed_report", f"{source}: not valid JSON after the end of the "
                                    f"array; its {number - 1} element(s) were read")
            return
        # after the first element, a comma before each (two values with none between them are damage)
        element = reader.value() if number == 1 or reader.take(",") else None
        if element is None:
            yield _error_record(source, "malformed_report", f"{source}: element {number} of the array is cut short "
                                f"or not valid JSON; the {number - 1} element(s) before it were read")
            return
        yield _array_report(element[0], number, source)


class Distinct:
    """The reports of ``reports``, each conversation once: a report whose source and id were met before is the same
    conversation given twice (two report files that overlap, or a report file and the transcript it was scored from
    under the same name), and is left out and counted in ``repeated``. A source is compared as a path from the
    current folder: ``chats/a.txt``, ``./chats/a.txt`` and its absolute path are one file. Error records all pass.
    What is kept of each report is the hash of its source and id (about 60 bytes; two different conversations sharing
    one is a chance of about one in ten million over a million reports)."""

    def __init__(self, reports: Iterable[Mapping[str, Any]]):
        self._reports = reports
        self.repeated = 0

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        seen: set[int] = set()
        for report in self._reports:
            if "error" not in report:
                source = report.get("source")
                if isinstance(source, str) and source:
                    source = os.path.abspath(source)
                key = hash((source, report.get("id")))
                if key in seen:
                    self.repeated += 1
                    continue
                seen.add(key)
            yield report


def _array_report(element: object, number: int, source: str) -> dict[str, Any]:
    """Element ``number`` of a JSON array of reports, or an error record saying why it is not a report."""
    problem = check_report(element)
    if problem:
        return _error_record(source, "malformed_report", f"{source}: element {number} of the array is not a report: "
                             f"{problem}")
    return element  # type: ignore[return-value]


def load_reports(paths: Sequence[str], *, stdin: bytes | None = None, coach: Callable[[], Any] | None = None,
                 jobs: int = 1) -> Iterator[dict[str, Any]]:
    """Report dicts from ``paths`` (or one path): report files (see ``is_reports_file``) are read; anything else
    (transcript files, folders, ``-``) is scored, in ``jobs`` processes, with one ``Coach`` made on first need by
    ``coach()``. Unreadable inputs give error records, never exceptions."""
    made: list[Any] = []

    def scorer() -> Any:
        if not made:
            if coach is None:
                from transcript_coach.coach import Coach

                made.append(Coach())
            else:
                made.append(coach())
        return made[0]

    for path in one_or_many(paths):
        if path == "-":
            data = stdin or b""
            text = _decompressed(data).decode("utf-8", errors="replace")
            array = text.lstrip("\ufeff \t\n\r").startswith("[")
            schema = report_kind(first_element(io.StringIO(text)) if array else first_object(text.splitlines()))
            if schema is None:
                yield from _scored(scorer().score(["-"], stdin=data, jobs=jobs, transform=report_dict))
            elif schema != "v1":
                yield _other_version("<stdin>")
            elif array:
                yield from read_report_array(io.StringIO(text), "<stdin>")
            else:
                yield from parse_reports(text.splitlines(), "<stdin>")
            continue
        # a folder or zip archive may hold report files too: each is read as reports, and each run of other files
        # between them is scored (as one batch). A walk opens a file to tell what it is: what it told is not asked
        # of the file again (a folder of 10,000 report files was read three times, not twice)
        told: dict[str, str | None] = {}
        walked = map(str, iter_inputs([path], report_files=True, told=told))
        kind = functools.partial(_told_kind, told)
        for schema, run in itertools.groupby(walked, key=kind):
            if schema is None:
                yield from _scored(scorer().score(run, jobs=jobs, transform=report_dict))
            else:
                for name in run:
                    yield from _read_reports(name, schema)


def _told_kind(told: dict[str, str | None], name: str) -> str | None:
    """``report_file_kind(name)``, taken from ``told`` when the walk that gave ``name`` said it there."""
    return told.pop(name) if name in told else report_file_kind(name)


def _other_version(source: str) -> dict[str, Any]:
    return _error_record(source, "unsupported_schema", f"{source}: reports of another schema version; this version "
                         f"reads {REPORT_SCHEMA}")


def _not_an_array(source: str) -> dict[str, Any]:
    return _error_record(source, "malformed_report", f"{source}: not valid JSON; expected a JSON array of reports, as "
                         "'score --format json' writes")


def report_dict(item: Any) -> dict[str, Any]:
    """A report or error record as its dict (made where it is scored: in a worker process with ``jobs`` > 1)."""
    return item.to_dict()


def _scored(results: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """What ``Coach.score`` yields; its worker processes (``jobs`` > 1) are ended however the reading ends."""
    with contextlib.closing(results):
        yield from results


def _read_reports(path: str, schema: str) -> Iterator[dict[str, Any]]:
    """The reports of a report file of ``schema`` (``report_file_kind``): JSON Lines, or a JSON array; error records
    for what cannot be read."""
    if schema != "v1":
        yield _other_version(path)
        return
    compression = None
    try:
        with report_text(path) as (handle, compression):
            yield from (read_report_array if is_array_name(path) else parse_reports)(handle, path)
    except InputError as exc:  # a file in a zip archive, which changed meanwhile or cannot be read
        yield _error_record(path, exc.code, str(exc))
    except DAMAGED as exc:  # damaged, cut short, or gone or unreadable since it was told to be a report file
        yield _error_record(path, "unreadable", str(read_failure(path, compression, exc)))
