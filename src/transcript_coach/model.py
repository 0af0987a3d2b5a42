"""The project's data types: immutable values passed from one stage to the next.

``Transcript`` and ``Turn`` come out of ingest; ``Evidence``, ``SkillScore``, ``Note``, ``Flag`` and ``Promise`` come
out of analysis; ``Report`` is the versioned contract (``to_dict`` gives exactly the JSON of DESIGN.md §5) and
``Failure`` is the error record written in its place when an input cannot be read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, time
from typing import Any, Literal

REPORT_SCHEMA = "transcript-coach/report/v1"

Role = Literal["agent", "customer", "bot", "system"]
Channel = Literal["chat", "email", "voice"]
ROLES: tuple[str, ...] = ("agent", "customer", "bot", "system")
CHANNELS: tuple[str, ...] = ("chat", "email", "voice")
# signal families: every evidence feature is named "<family>.<detail>" (one extractor module per family)
FAMILIES: tuple[str, ...] = ("listening", "empathy", "jargon", "tone", "promise", "structure", "timing", "resolution",
                             "knowledge")

SKILLS: tuple[str, ...] = (
    "active_listening",
    "empathy",
    "patience",
    "clear_communication",
    "problem_solving",
    "time_management",
    "adaptability",
    "positive_attitude",
    "conflict_resolution",
    "product_knowledge",
    "professionalism",
    "follow_up",
    "teamwork",
    "cultural_sensitivity",
    "continuous_learning",
)

Timestamp = datetime | time


def _compact_pickle(cls):
    """Pickle instances of the frozen dataclass ``cls`` as a call with its field values: reports travel from worker
    processes (``--jobs``) many thousands of objects at a time, and the state methods dataclasses generate for
    slotted classes look up the fields again for every object."""
    names = tuple(f.name for f in fields(cls))

    def __reduce__(self):
        return cls, tuple(getattr(self, name) for name in names)

    cls.__reduce__ = __reduce__
    return cls


def format_timestamp(value: Timestamp | None) -> str | None:
    """ISO 8601 text for a full date-time or a bare clock time (chat logs often carry only ``[09:14]``)."""
    return None if value is None else value.isoformat()


@_compact_pickle
@dataclass(frozen=True, slots=True)
class Turn:
    """One message of a conversation. ``line`` is where it starts in the source file, when known."""

    index: int
    role: Role
    text: str
    speaker: str | None = None
    timestamp: Timestamp | None = None
    internal: bool = False
    line: int | None = field(default=None, compare=False)

    @property
    def customer_facing(self) -> bool:
        """Text the customer saw: internal notes are context, never scored as customer-facing."""
        return not self.internal

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "role": self.role,
            "speaker": self.speaker,
            "timestamp": format_timestamp(self.timestamp),
            "internal": self.internal,
            "text": self.text,
        }


@_compact_pickle
@dataclass(frozen=True, slots=True)
class Transcript:
    """A whole conversation as read from one source, with roles resolved."""

    id: str
    turns: tuple[Turn, ...]
    source: str = "<python>"
    format: str = "python"
    channel: Channel = "chat"
    warnings: tuple[str, ...] = ()
    ended: Timestamp | None = None  # when the source says the conversation ended (a call's last cue), if known

    @property
    def agents(self) -> tuple[str, ...]:
        """Names of the human agents, in order of first appearance."""
        names: dict[str, None] = {}
        for turn in self.turns:
            if turn.role == "agent" and turn.speaker:
                names.setdefault(turn.speaker, None)
        return tuple(names)

    @property
    def started_at(self) -> Timestamp | None:
        return next((t.timestamp for t in self.turns if t.timestamp is not None), None)

    @property
    def ended_at(self) -> Timestamp | None:
        if self.ended is not None:
            return self.ended
        return next((t.timestamp for t in reversed(self.turns) if t.timestamp is not None), None)

    def has_role(self, role: str) -> bool:
        return any(t.role == role and not t.internal for t in self.turns)

    @classmethod
    def from_turns(
        cls,
        turns: Iterable[Mapping[str, Any]],
        *,
        id: str | int = "conversation",
        channel: Channel = "chat",
        source: str = "<python>",
        agents: Iterable[str] | str = (),
    ) -> Transcript:
        """Build a transcript from plain Python data: dicts with ``text`` and ``role`` and/or ``speaker``; ``id`` may
        be a ticket number, ``agents`` (a roster) one name.

        Optional keys: ``timestamp`` (ISO 8601 text, epoch seconds, ``datetime`` or ``time``) and ``internal``.
        Roles missing from the dicts are resolved as for files (labels, the ``agents`` roster, cue phrases).
        """
        from transcript_coach.ingest import from_records

        return from_records(turns, id=id, channel=channel, source=source, agents=agents)


@_compact_pickle
@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of one turn's text that a rule matched: ``turns[turn].text[start:end] == text`` always holds."""

    id: str
    feature: str
    turn: int
    start: int
    end: int
    text: str
    rule: str
    value: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "feature": self.feature,
            "turn": self.turn,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "rule": self.rule,
            "value": self.value,
        }


@_compact_pickle
@dataclass(frozen=True, slots=True)
class SkillScore:
    """A 0-100 score, or ``None`` with the reason there was nothing to score; ``evidence``: the ids of the evidence
    behind it, what cost the most points first."""

    score: float | None
    confidence: float
    reason: str
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "confidence": self.confidence,
            "reason": self.reason,
            "evidence": list(self.evidence),
        }


@_compact_pickle
@dataclass(frozen=True, slots=True)
class Note:
    skill: str
    kind: Literal["strength", "improvement"]
    text: str
    suggestion: str | None = None
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "skill": self.skill,
            "kind": self.kind,
            "text": self.text,
            "suggestion": self.suggestion,
            "evidence": list(self.evidence),
        }


@_compact_pickle
@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    severity: Literal["low", "medium", "high"]
    reason: str
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "reason": self.reason, "evidence": list(self.evidence)}


@_compact_pickle
@dataclass(frozen=True, slots=True)
class Promise:
    turn: int
    text: str
    due: Timestamp | None
    status: Literal["kept", "open", "overdue", "unknown"]
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "text": self.text,
            "due": format_timestamp(self.due),
            "status": self.status,
            "evidence": list(self.evidence),
        }


@_compact_pickle
@dataclass(frozen=True, slots=True)
class Report:
    """Everything known about one transcript: the report contract, version 1."""

    transcript: Transcript
    skills: Mapping[str, SkillScore]
    evidence: tuple[Evidence, ...] = ()
    notes: tuple[Note, ...] = ()
    flags: tuple[Flag, ...] = ()
    promises: tuple[Promise, ...] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.transcript.id

    @property
    def source(self) -> str:
        return self.transcript.source

    def to_dict(self) -> dict[str, Any]:
        t = self.transcript
        return {
            "schema": REPORT_SCHEMA,
            "id": t.id,
            "source": t.source,
            "format": t.format,
            "channel": t.channel,
            "agents": list(t.agents),
            "started_at": format_timestamp(t.started_at),
            "ended_at": format_timestamp(t.ended_at),
            "warnings": list(self.warnings),
            "turns": [turn.to_dict() for turn in t.turns],
            "evidence": [e.to_dict() for e in self.evidence],
            "skills": {name: self.skills[name].to_dict() for name in SKILLS if name in self.skills},
            "notes": [n.to_dict() for n in self.notes],
            "flags": [f.to_dict() for f in self.flags],
            "promises": [p.to_dict() for p in self.promises],
            "metrics": dict(self.metrics),
        }


@_compact_pickle
@dataclass(frozen=True, slots=True)
class Failure:
    """The error record written in a report's place when an input cannot be read."""

    source: str
    code: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "source": self.source,
            "error": {"code": self.code, "message": self.message, "line": self.line},
        }
