"""Report files: what ``score`` writes in JSON Lines or JSON, told apart from transcripts.

A report file is a ``.jsonl`` file whose first non-empty line is a JSON object of a transcript-coach report schema, or
a ``.json`` file that is an array whose first element is one (``score --format json``); compressed too
(``.jsonl.gz``, ``.json.bz2``, ...), on disk or in a zip archive (``ARCHIVE/MEMBER``). ``review`` and ``agents`` read
one as reports; a folder or archive walk for ``score`` passes over one (``iter_inputs``), so that scoring a folder
again, with last run's output written into it, does not score those reports as conversations.

The other outputs (``score --format csv`` or ``--format table``, the queue ``review`` writes, the profiles ``agents``
writes) are told by how they begin (``output_kind``): they are neither transcripts nor reports, and a walk passes over
them for every command.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from transcript_coach.errors import InputError
from transcript_coach.ingest import archive
from transcript_coach.ingest.compression import DAMAGED, Compression, compression_of, inner_name
from transcript_coach.model import REPORT_SCHEMA

REPORT_SCHEMA_PREFIX = "transcript-coach/report/"
# How long the first element of a JSON file may be to be told a report: a report is far shorter, and a file whose
# first element is longer (one huge ticket of an export, say) is scored as transcripts without being read twice
FIRST_ELEMENT_CHARS = 1 << 22
OUTPUT_HEAD_BYTES = 4096  # holds how any output other than reports begins (``output_kind``)
_SPACE = re.compile(r"[ \t\n\r]*")


def first_object(lines: Iterable[str]) -> Any:
    """The JSON value of the first non-empty line (None when it is not JSON, or there is none)."""
    for line in lines:
        if line.strip():
            try:
                return json.loads(line)
            except (ValueError, RecursionError):
                return None
    return None


def first_element(handle: IO[str]) -> Any:
    """The first element of a JSON array, when the text of ``handle`` is one and that element is whole (in a
    compressed file cut short further on, too); else None. Only that element is read."""
    reader = ArrayReader(handle)
    if not reader.take("["):
        return None
    element = reader.value(FIRST_ELEMENT_CHARS)
    return None if element is None else element[0]


def report_kind(first: Any) -> str | None:
    """"v1" for a report (or error record) of this schema, "other" for another report schema version, else None."""
    if isinstance(first, dict) and isinstance(first.get("schema"), str):
        if first["schema"] == REPORT_SCHEMA:
            return "v1"
        if first["schema"].startswith(REPORT_SCHEMA_PREFIX):
            return "other"
    return None


def is_array_name(path: str) -> bool:
    """Whether a report file of this name is a JSON array (``.json``), not JSON Lines (``.jsonl``)."""
    return inner_name(path).lower().endswith(".json")


REPORT_KINDS = ("v1", "other")  # what ``report_file_kind`` says of a report file (``report_kind``)


def report_file_kind(path: str) -> str | None:
    """The schema of the reports in ``path`` (``report_kind``: "v1" or "other") when it is a report file (see the
    module documentation); None when it is not."""
    if not _report_name(path):
        return None
    try:
        with _report_bytes(path) as (stream, _):
            return _reports_in(stream, path, _head(stream))
    except (OSError, InputError, *DAMAGED):
        return None  # scored as a transcript, whose reading says what is wrong with it


def written_kind(path: str) -> str | None:
    """What transcript-coach wrote ``path`` as, told in one opening of the file: a report file's schema
    (``report_file_kind``, one of ``REPORT_KINDS``), or the command of another output (``output_kind``); None for any
    other file, or one that cannot be read (its reading says why)."""
    try:
        with _report_bytes(path) as (stream, _):
            head = _head(stream)
            return output_kind(head) or (_reports_in(stream, path, head) if _report_name(path) else None)
    except (OSError, InputError, *DAMAGED):
        return None


def _head(stream: IO[bytes]) -> bytes:
    """Up to ``OUTPUT_HEAD_BYTES`` from the start of ``stream``: those before the damage when a compressed file is cut
    short within them (``read1`` gives what is there; ``read`` would raise and give nothing)."""
    parts: list[bytes] = []
    size = 0
    with contextlib.suppress(*DAMAGED):
        while size < OUTPUT_HEAD_BYTES and (block := stream.read1(OUTPUT_HEAD_BYTES - size)):  # type: ignore
            parts.append(block)
            size += len(block)
    return b"".join(parts)


def _report_name(path: str) -> bool:
    return inner_name(path).lower().endswith((".jsonl", ".json"))


def _reports_in(stream: IO[bytes], path: str, head: bytes) -> str | None:
    """``report_kind`` of the report file ``path`` open as ``stream``, whose first bytes, already read, are ``head``
    (most JSON files are told by them alone)."""
    array = is_array_name(path)
    if not head.lstrip(b"\xef\xbb\xbf \t\n\r").startswith(b"[" if array else b"{"):
        return None
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
    return report_kind(first_element(text) if array else first_object(text))


def output_kind(head: bytes) -> str | None:
    """The command that wrote a file whose first bytes are ``head``, when it is one of transcript-coach's outputs
    other than reports (``score --format csv``, ``review``, ``agents --format json``, ...): scores, a queue or
    profiles, which are neither transcripts nor reports. None for any other file."""
    text = head[:OUTPUT_HEAD_BYTES].removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="ignore")
    return next((command for command, pattern in _output_patterns().items() if pattern.match(text)), None)


@functools.cache
def _output_patterns() -> dict[str, re.Pattern[str]]:
    """How each output begins: a header line as its writer makes it, or the start of its first line."""
    from transcript_coach import profiles, reporting  # imported here: reporting imports ingest

    def line(text: str) -> str:
        return re.escape(text) + r"[ \t\r]*$"

    patterns = {
        "score --format csv": line(reporting.CSV_HEADER),
        "score --format table": line(reporting.TABLE_HEADER),
        "review": r"Review queue: (?:\d+ (?:of \d+ )?conversation\(s\) needing review|nothing to review)",
        "review --format jsonl": r'\{"rank": \d+, "urgency": ',
        "agents": r"\d+ conversation\(s\), \d+ agent\(s\)[.;]",
        "agents --format json": r'\[\s*\{\s*"agent": "(?:[^"\\]|\\.)*",\s*"aliases": \[',
        "agents --format csv": line(",".join(profiles.csv_columns())),
    }
    return {command: re.compile(pattern, re.MULTILINE) for command, pattern in patterns.items()}


class ArrayReader:
    """A JSON text read forward from a text stream, holding only what is not yet read. It is read in small blocks,
    since a compressed stream cut short raises on the read that meets the cut and what that read held is lost; a value
    is decoded when what is held has doubled since the last try, so a long one is decoded about twice in all."""

    BLOCK = 1 << 14
    _decoder = json.JSONDecoder()

    def __init__(self, handle: IO[str]):
        self.handle = handle
        self.text = handle.read(self.BLOCK).removeprefix("\ufeff")
        self.at = 0
        self.eof = not self.text

    def _more(self, wanted: int) -> bool:
        """Read on until ``wanted`` characters are held past the position (or the text ends); whether any were."""
        parts = [self.text[self.at:]]
        held = len(parts[0])
        while held < wanted and not self.eof:
            block = self.handle.read(self.BLOCK)
            self.eof = not block
            parts.append(block)
            held += len(block)
        self.text, self.at = "".join(parts), 0
        return held > len(parts[0])

    def next_char(self) -> str:
        """The next character that is not JSON whitespace, left unread ("" at the end)."""
        while True:
            self.at = _SPACE.match(self.text, self.at).end()  # type: ignore[union-attr]
            if self.at < len(self.text) or not self._more(1):
                return self.text[self.at:self.at + 1]

    def take(self, char: str) -> bool:
        """Whether ``char`` comes next (JSON whitespace aside); if so, it is read past."""
        if self.next_char() != char:
            return False
        self.at += 1
        return True

    def value(self, limit: int | None = None) -> tuple[Any] | None:
        """The JSON value that starts here (in a tuple), read past; None when there is none (cut short, damaged), or
        none within ``limit`` characters."""
        self.next_char()
        while True:
            try:
                value, self.at = self._decoder.raw_decode(self.text, self.at)
                return (value,)
            except ValueError:
                held = len(self.text) - self.at
                if (limit is not None and held > limit) or not self._more(2 * held):
                    return None
            except RecursionError:
                return None


def is_reports_file(path: str) -> bool:
    """Whether ``path`` is a report file (see the module documentation)."""
    return report_file_kind(path) is not None


@contextlib.contextmanager
def report_text(path: str) -> Iterator[tuple[IO[str], Compression | None]]:
    """The file as UTF-8 text, through its decompressor when it is compressed (and which compression that is); a
    file in a zip archive (``ARCHIVE/MEMBER``) too, read from the archive."""
    with _report_bytes(path) as (stream, kind):
        yield io.TextIOWrapper(stream, encoding="utf-8", errors="replace"), kind


@contextlib.contextmanager
def _report_bytes(path: str) -> Iterator[tuple[IO[bytes], Compression | None]]:
    """``report_text``'s bytes. Only a regular file is opened: a pipe opened and closed unread breaks its writer."""
    if not os.path.isfile(path):
        member = _member(path)
        with member.open() as stream:
            yield stream, member.kind
        return
    with open(path, "rb") as handle:
        kind = _compression(handle, path)
        yield handle if kind is None else kind.open(handle), kind


def _member(path: str) -> archive.Member:
    """The file in a zip archive that ``path`` names (``ARCHIVE/MEMBER``), read as it goes: no size limit."""
    located = archive.locate(Path(path))
    if located is None:
        raise FileNotFoundError(path)
    return archive.member(*located, path, limit=sys.maxsize)


def _compression(handle: IO[bytes], path: str) -> Compression | None:
    """The compression of the file open as ``handle``, which is left at its start (a zip archive, which holds no
    report, is read as it is)."""
    try:
        return compression_of(handle.read(16), path)
    except InputError:
        return None
    finally:
        handle.seek(0)
