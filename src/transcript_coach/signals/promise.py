"""promise.*: agent commitments and the promise ledger (being written)."""

from __future__ import annotations

from transcript_coach.model import Evidence, Promise
from transcript_coach.nlp import TranscriptDocs


def ledger(docs: TranscriptDocs, evidence: tuple[Evidence, ...]) -> tuple[Promise, ...]:
    return ()
