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

from transcript_coach.coach import Coach
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

__version__ = "0.1.0"

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
