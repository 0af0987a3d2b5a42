"""The ``Coach``: holds what is expensive to build (pipelines, lexicons, rubric) and turns transcripts into reports.

Build one ``Coach`` per process or batch; ``analyze`` is a function of the transcript alone, so reports do not depend
on what else is in the batch or in which order it came.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from transcript_coach.errors import InputError
from transcript_coach.ingest import IngestOptions, iter_inputs, read_bytes, read_path
from transcript_coach.metrics import conversation_metrics
from transcript_coach.model import SKILLS, Failure, Report, SkillScore, Transcript


@dataclass(frozen=True, slots=True)
class Coach:
    """Scores transcripts. ``options`` says how to read files (agent rosters, limits, a forced format)."""

    options: IngestOptions = IngestOptions()
    strict: bool = False  # let unexpected exceptions (bugs) raise instead of becoming error records

    def analyze(self, transcript: Transcript) -> Report:
        """The report for one transcript."""
        skills = {
            name: SkillScore(score=None, confidence=0.0, reason="not yet scored: skill scoring is not built yet")
            for name in SKILLS
        }
        return Report(
            transcript=transcript,
            skills=skills,
            metrics=conversation_metrics(transcript),
            warnings=transcript.warnings,
        )

    def analyze_many(self, transcripts: Iterable[Transcript]) -> Iterator[Report]:
        """Reports for many transcripts, streamed in input order."""
        for transcript in transcripts:
            yield self.analyze(transcript)

    def read(self, paths: Sequence[str | os.PathLike[str]], *, stdin: bytes | None = None
             ) -> Iterator[Transcript | Failure]:
        """Transcripts from files, folders and ``-`` (the ``stdin`` bytes), with a ``Failure`` per unreadable input."""
        for item in iter_inputs(paths):
            source = "<stdin>" if item == "-" else str(item)
            try:
                if item == "-":
                    yield from read_bytes(stdin or b"", source, self.options, name="")
                else:
                    yield from read_path(item, self.options)
            except InputError as exc:
                yield Failure(source=exc.source, code=exc.code, message=str(exc), line=exc.line)
            except Exception as exc:
                if self.strict:
                    raise
                yield _internal_failure(source, exc)

    def score(self, paths: Sequence[str | os.PathLike[str]], *, stdin: bytes | None = None
              ) -> Iterator[Report | Failure]:
        """Reports (or failures) for every conversation in the given files and folders, streamed."""
        for item in self.read(paths, stdin=stdin):
            if isinstance(item, Failure):
                yield item
                continue
            try:
                yield self.analyze(item)
            except Exception as exc:
                if self.strict:
                    raise
                yield _internal_failure(f"{item.source}#{item.id}", exc)


def _internal_failure(source: str, exc: Exception) -> Failure:
    """A bug met on one input becomes that input's error record, so the rest of the batch is still scored."""
    return Failure(source=source, code="internal_error",
                   message=f"{source}: unexpected error, please report it: {type(exc).__name__}: {exc}")
