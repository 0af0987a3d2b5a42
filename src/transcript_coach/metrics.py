"""Conversation-level counts that need no language analysis: who spoke how much, and for how long."""

from __future__ import annotations

from typing import Any

from transcript_coach.ingest.timestamps import seconds_between
from transcript_coach.model import ROLES, Transcript


def conversation_metrics(transcript: Transcript) -> dict[str, Any]:
    turns = transcript.turns
    public = [t for t in turns if not t.internal]
    metrics: dict[str, Any] = {"turns": len(turns), "internal_notes": len(turns) - len(public)}
    for role in ROLES:
        metrics[f"{role}_turns"] = sum(1 for t in public if t.role == role)
    for role in ("agent", "customer"):
        metrics[f"{role}_words"] = sum(len(t.text.split()) for t in public if t.role == role)
    start, end = transcript.started_at, transcript.ended_at
    metrics["duration_seconds"] = (
        seconds_between(start, end) if start is not None and end is not None and len(turns) > 1 else None
    )
    return metrics
