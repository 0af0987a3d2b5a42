"""transcript-coach: score customer-support conversations for fifteen customer-service skills, with evidence.

    >>> from transcript_coach import Coach, Transcript
    >>> report = Coach().analyze(Transcript.from_turns([
    ...     {"role": "customer", "text": "My parcel never arrived."},
    ...     {"role": "agent", "speaker": "Tom", "text": "I'm sorry about that, let me check the tracking."},
    ... ]))
    >>> report.to_dict()["agents"]
    ['Tom']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transcript_coach.errors import CoachError, DataFileError, InputError, UsageError
from transcript_coach.ingest import IngestOptions, read_bytes, read_path
from transcript_coach.model import (
    REPORT_SCHEMA,
    SKILLS,
    Evidence,
    Failure,
    Flag,
    Note,
    Promise,
    Report,
    SkillScore,
    Transcript,
    Turn,
)

if TYPE_CHECKING:
    from transcript_coach.coach import Coach

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``Coach`` is imported on first use: it brings in spaCy (about a second), which reading reports does not need."""
    if name == "Coach":
        from transcript_coach.coach import Coach

        return Coach
    raise AttributeError(f"module 'transcript_coach' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "Coach"])

__all__ = [
    "REPORT_SCHEMA",
    "SKILLS",
    "Coach",
    "CoachError",
    "DataFileError",
    "Evidence",
    "Failure",
    "Flag",
    "IngestOptions",
    "InputError",
    "Note",
    "Promise",
    "Report",
    "SkillScore",
    "Transcript",
    "Turn",
    "UsageError",
    "read_bytes",
    "read_path",
]
