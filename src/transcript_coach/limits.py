"""Limits that keep one hostile or enormous input from stalling a batch.

The defaults live in ``data/limits.json``. A file over the size limit is refused, so is a conversation of more
messages than the turn limit, and a turn over the length limit is cut (all in ``ingest``). The time limit is
cooperative: ``Coach`` runs each transcript's analysis inside ``time_limit``, and the analysis calls ``check_time``
between steps (per turn parsed, per extractor, per piece of evidence); past the deadline it raises
``AnalysisTimeout``, which ``Coach.score`` turns into that conversation's error record while the batch goes on. No
thread is ever killed.

A long run is bounded too: ``PIPELINE_NEW_STRINGS`` is how many word forms spaCy's vocabulary may gather before a
``Coach`` builds its pipeline anew (``Coach._analyze``), so memory does not grow with the number of conversations.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from transcript_coach.data import load_json
from transcript_coach.errors import AnalysisTimeout, DataFileError


def _setting(name: str, minimum: float) -> float:
    value = load_json("limits.json").get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < minimum:
        raise DataFileError(f"limits.json: {name!r} must be a number of at least {minimum}, got {value!r}")
    return value


DEFAULT_MAX_FILE_BYTES = int(_setting("max_file_megabytes", 0.001) * 1024 * 1024)
DEFAULT_MAX_TURNS = int(_setting("max_turns", 1))
DEFAULT_MAX_TURN_CHARS = int(_setting("max_turn_chars", 1))
DEFAULT_TIMEOUT_SECONDS = float(_setting("timeout_seconds", 0))
PIPELINE_NEW_STRINGS = int(_setting("pipeline_new_strings", 1))
ADDRESS_SPACE_NEEDED = int(_setting("address_space_megabytes", 1) * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class _Deadline:
    end: float
    seconds: float
    source: str
    conversation: str


_current: ContextVar[_Deadline | None] = ContextVar("transcript_coach_deadline", default=None)


@contextlib.contextmanager
def time_limit(seconds: float | None, *, source: str, conversation: str) -> Iterator[None]:
    """Within the block, ``check_time`` raises ``AnalysisTimeout`` once ``seconds`` have passed (None or 0: no
    limit). Never ``yield`` from a generator inside the block: the limit would leak to the caller's code."""
    if not seconds:
        yield
        return
    token = _current.set(_Deadline(time.monotonic() + seconds, seconds, source, conversation))
    try:
        yield
    finally:
        _current.reset(token)


def check_time() -> None:
    """Raise ``AnalysisTimeout`` if the current ``time_limit`` has passed; cheap enough to call per turn or hit."""
    deadline = _current.get()
    if deadline is not None and time.monotonic() > deadline.end:
        raise AnalysisTimeout(deadline.source, deadline.conversation, deadline.seconds)
