"""Interrupted runs: ``score -o FILE`` (JSONL) writes through a journal, and ``--resume`` continues from it.

While it runs, reports go to ``FILE.partial`` one complete line at a time (flushed after every line, synced to disk
at least once a second), and ``FILE.partial.done`` records the run's input list and then, in order, each input
whose reports are all in the journal. A finished run renames the journal to ``FILE`` (or, for a ``FILE`` named
``.gz``, ``.bz2`` or ``.xz``, writes it compressed as ``FILE`` and removes it) and removes the sidecar; an
interrupted one (Ctrl-C, SIGTERM, a crash, a full disk) leaves both behind. For a compressed ``FILE`` the journal
holds each line compressed on its own (a length, then the line's zlib stream): a year's reports take a quarter of
the disk they would as text while the run lasts, and a line cut short is still told from a whole one. Resuming
drops a trailing incomplete line, skips the inputs already done, reads the input that was half done (and any
finished after the last marker) without scoring the conversations already in the journal, and appends the rest: the
finished file equals an uninterrupted run's, line for line (reports do not depend on what else is in the batch, and
come in input order, one line per conversation or unreadable input).

The input list and the options are those of the interrupted run; resuming with other ones is refused, and so is
resuming when the inputs no longer give the conversations the journal has (a file changed since). The journal is read
a line at a time, never whole: a run of a million conversations leaves a journal of gigabytes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from transcript_coach.errors import UsageError
from transcript_coach.model import Failure, Report, Transcript
from transcript_coach.ingest.compression import named
from transcript_coach.reporting import TEXT_ERRORS, Encoded, atomic_output, jsonl_line

Item = Report | Failure | Encoded
Input = Path | str

SYNC_SECONDS = 1.0
_FORMAT = "transcript-coach/journal/v1"
_LEVEL = 1  # zlib's fastest: the journal of a compressed FILE is temporary, and written by the main process
_CHUNK = 1 << 20  # bytes of a compressed journal line read at a time


class _TextLines:
    """A journal of lines as text, as the output file holds them."""

    name = "text"

    def encode(self, line: str) -> bytes:
        return line.encode("utf-8", TEXT_ERRORS)

    def read(self, handle: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
        """(offset, line) of each line from ``handle``'s position; a line cut short (the run stopped while writing
        it) without its newline."""
        offset = handle.tell()
        for line in iter(handle.readline, b""):
            yield offset, line
            offset += len(line)

    def copy(self, journal: IO[bytes], out: IO[str], path: Path, sidecar: Path) -> None:
        """The journal's text into ``out``."""
        shutil.copyfileobj(io.TextIOWrapper(journal, encoding="utf-8", newline=""), out, 1 << 20)


class _ZlibLines:
    """A journal of lines each compressed on its own: its length (4 bytes, big-endian), then its zlib stream. A line
    cut short anywhere is told from a whole one."""

    name = "zlib"

    def encode(self, line: str) -> bytes:
        packed = zlib.compress(line.encode("utf-8", TEXT_ERRORS), _LEVEL)
        return struct.pack(">I", len(packed)) + packed

    def read(self, handle: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
        """(offset, line) of each line from ``handle``'s position: a line cut short without its newline (empty), and
        nothing after it; None for a line that is damaged, and nothing after it."""
        offset = handle.tell()
        while head := handle.read(4):
            line = _unpacked(handle, struct.unpack(">I", head)[0]) if len(head) == 4 else b""
            yield offset, line
            if not line or not line.endswith(b"\n"):
                return
            offset = handle.tell()

    def copy(self, journal: IO[bytes], out: IO[str], path: Path, sidecar: Path) -> None:
        """The journal's lines, decompressed, into ``out``; ``UsageError`` for one that is not whole (the journal
        ``path`` was changed meanwhile)."""
        for number, (_, line) in enumerate(self.read(journal), 1):
            if line is None or not line.endswith(b"\n"):
                raise _not_a_report(path, number, sidecar)
            out.write(line.decode("utf-8"))


def _unpacked(handle: IO[bytes], size: int) -> bytes | None:
    """The line whose zlib stream is the next ``size`` bytes of ``handle``: empty when the journal ends first (the
    run stopped while writing it), None when the stream is damaged or does not end where its length says. Read a
    chunk at a time: a damaged length (up to 4 GB) costs no more than the stream that follows it."""
    unpack = zlib.decompressobj()
    parts = []
    while size:
        chunk = handle.read(min(size, _CHUNK))
        if not chunk:
            return b""
        size -= len(chunk)
        try:
            parts.append(unpack.decompress(chunk))
        except zlib.error:
            return None
        if unpack.eof and (size or unpack.unused_data):
            return None
    return b"".join(parts) if unpack.eof else None


_Store = _TextLines | _ZlibLines
_STORES: dict[str, _Store] = {store.name: store for store in (_TextLines(), _ZlibLines())}


def _lock(output: Path) -> int | None:
    """An exclusive lock on ``output``'s sidecar (made empty if missing, never truncated here), held by the returned
    descriptor: two runs writing the same ``-o FILE`` at once would each truncate the other's journal, so the second
    is refused instead. None where the system or file system offers no locks (the runs are then not guarded)."""
    try:
        import fcntl
    except ImportError:  # not on a POSIX system
        return None
    path = done_path(output)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return None  # _start or _continue says what is wrong with the folder
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise UsageError(f"cannot write {output}: another transcript-coach run is writing it now ({path} is in use); "
                         "wait for that run to end, or write elsewhere") from None
    except OSError:  # a file system without locks
        os.close(descriptor)
        return None
    return descriptor


def _unlock(descriptor: int | None) -> None:
    if descriptor is not None:
        with contextlib.suppress(OSError):
            os.close(descriptor)


def journal_path(output: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(output)}.partial")


def done_path(output: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(output)}.partial.done")


def input_key(item: Input) -> str:
    """The ``source`` that an input's reports and error records carry."""
    return "<stdin>" if item == "-" else str(item)


def written_for(document: dict[str, Any], item: Transcript | Failure) -> bool:
    """Whether a journal line is what ``item``, read again, gives: the report of that conversation (or the error
    record of its analysis: a timeout, under its file's name or ``<file>#<id>``), or the error record of that
    unreadable input."""
    source = document.get("source")
    error = document.get("error")
    if isinstance(item, Failure):
        return isinstance(error, dict) and source == item.source and error.get("code") == item.code
    if error is not None:
        return source in (item.source, f"{item.source}#{item.id}")
    return source == item.source and document.get("id") == item.id


class InputTracker:
    """Follows a stream of items through the ordered input list: an input is complete once an item of a later input
    arrives (items come in input order), or when the stream ends."""

    def __init__(self, inputs: Sequence[str], start: int = 0):
        self.inputs = inputs  # as text; each one's key (``input_key``) is made when it is looked at
        self.position = start

    def owner(self, source: str) -> int | None:
        """The index of the input (at or after the current one) that an item with this ``source`` came from; an
        analysis error record's source is ``<file>#<conversation id>``."""
        for index in range(self.position, len(self.inputs)):
            key = input_key(self.inputs[index])
            if source == key or source.startswith(key + "#"):
                return index
        return None

    def advance(self, source: str) -> list[str]:
        """Move to the input of ``source``; the keys of the inputs completed by the move."""
        index = self.owner(source)
        if index is None or index == self.position:
            return []
        completed = [input_key(item) for item in self.inputs[self.position:index]]
        self.position = index
        return completed


class Journal:
    """The journal of one ``score -o FILE`` run. Use ``Journal.open``, then score ``pending`` (the inputs still to
    score) with ``Coach.score(..., skip=journal.skip)``, ``write`` every item, and ``finish`` (or ``close`` to keep
    it)."""

    def __init__(self, output: Path, inputs: list[str], done: int, kept: int, failed: int, resumed: bool,
                 written: int = 0, written_from: int = 0, store: _Store = _STORES["text"]):
        self.output = output
        self.store = store
        self.path = journal_path(output)
        self.done_path = done_path(output)
        self.inputs = inputs  # as the sidecar lists them: paths as text ("-": standard input), 300 bytes a file less
        # than Path objects (a year's export: hundreds of megabytes); Coach.score takes either
        self.pending = inputs[done:]
        self.kept = kept  # lines kept from the interrupted run
        self.failed_before = failed  # error records among them
        self.resumed = resumed
        self.lines = kept
        self.unmatched = written  # lines of pending inputs in the journal that no conversation read has matched yet
        self._written_from = written_from  # where the first of them starts in the journal, in bytes
        self._reader: IO[bytes] | None = None
        self._read: Iterator[tuple[int, bytes | None]] | None = None
        self._tracker = InputTracker(inputs, done)
        self._completed: list[str] = []
        self._last_sync = time.monotonic()
        self._journal: IO[bytes] | None = None
        self._done: IO[str] | None = None
        self._lock: int | None = None  # held from opening to finishing or closing (``_lock``)

    # ---- opening -------------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, output: str | os.PathLike[str], *, inputs: Iterable[Input], command: dict[str, Any],
             resume: bool) -> Journal:
        """Start a journal for ``output`` (replacing any earlier one), or with ``resume`` continue the earlier one if
        there is one (see ``found``). ``command`` (the paths and options as given) must match the earlier run's.
        Raises ``UsageError`` when the earlier journal cannot be continued."""
        output = Path(output)
        command = json.loads(json.dumps(command))  # as it reads back from the sidecar
        made = not done_path(output).exists()
        lock = _lock(output)
        try:
            if resume and journal_path(output).exists():
                journal = cls._continue(output, command)
            else:
                journal = cls._start(output, [str(i) for i in inputs], command)
        except BaseException:
            if made and lock is not None:  # the sidecar the lock made, still empty: not left behind
                with contextlib.suppress(OSError):
                    os.unlink(done_path(output))
            _unlock(lock)
            raise
        journal._lock = lock
        return journal

    @classmethod
    def _start(cls, output: Path, inputs: list[str], command: dict[str, Any]) -> Journal:
        store = _STORES["text" if named(output.name) is None else "zlib"]
        journal = cls(output, inputs, 0, 0, 0, resumed=False, store=store)
        header = {"format": _FORMAT, "command": command, "inputs": inputs}
        if store.name != "text":
            header["journal"] = store.name  # a journal without it, of an earlier version, is text
        journal._done = open(journal.done_path, "w", encoding="utf-8", errors=TEXT_ERRORS, newline="")  # noqa: SIM115
        journal._done.write(json.dumps(header, ensure_ascii=False) + "\n")
        journal._done.flush()
        journal._journal = open(journal.path, "wb")  # noqa: SIM115
        journal._sync()
        return journal

    @classmethod
    def _continue(cls, output: Path, command: dict[str, Any]) -> Journal:
        path, sidecar = journal_path(output), done_path(output)
        header, done = _read_sidecar(sidecar, path)
        if header.get("command") != command:
            raise UsageError(f"cannot resume: {path} was left by a run with other inputs or options; rerun that "
                             "command with --resume, or leave out --resume to start over")
        inputs: list[str] = header["inputs"]
        store = _STORES[header.get("journal", "text")]
        tracker = InputTracker(inputs)
        kept = failed = written = written_from = 0
        for offset, source, error in _journal_lines(path, sidecar, store):
            kept += 1
            failed += error
            tracker.advance(source)
            if tracker.position >= done:
                written_from = written_from if written else offset
                written += 1
        journal = cls(output, inputs, done, kept, failed, resumed=True, written=written,
                      written_from=written_from, store=store)
        journal._done = open(sidecar, "a", encoding="utf-8", errors=TEXT_ERRORS, newline="")  # noqa: SIM115
        journal._journal = open(path, "ab")  # noqa: SIM115
        return journal

    # ---- reading again what is written ----------------------------------------------------------------------------

    @property
    def skip(self) -> Callable[[Transcript | Failure], bool] | None:
        """What ``Coach.score(journal.pending, skip=...)`` needs to leave out the conversations of the pending inputs
        that the journal already has (``written``); None when it has none."""
        return self.written if self.unmatched else None

    def written(self, item: Transcript | Failure) -> bool:
        """True while ``item``, the next conversation (or unreadable input) read from the pending inputs, is one
        whose line the interrupted run wrote; False from the first that is not. Those lines are the first lines of
        the pending inputs' output, so they are matched in order, each against the next line; a conversation that
        is not the one its line is for means the inputs changed since, and raises ``UsageError``."""
        if not self.unmatched:
            self._stop_reading()
            return False
        if self._read is None:
            self._reader = open(self.path, "rb")  # noqa: SIM115
            self._reader.seek(self._written_from)
            self._read = self.store.read(self._reader)
        number = self.kept - self.unmatched + 1
        _, line = next(self._read, (0, None))
        document = _document(line or b"")  # only its start and end were read when the journal was opened
        if document is None:
            raise _not_a_report(self.path, number, self.done_path)
        if not written_for(document, item):
            what = f"conversation {item.id!r}" if isinstance(item, Transcript) else f"an error record ({item.code})"
            raise UsageError(f"cannot resume: {item.source} gives {what} where line {number} of {self.path} has "
                             f"{_described(document)}: the inputs changed since the interrupted run; leave out "
                             "--resume to score everything again")
        self.unmatched -= 1
        return True

    def _stop_reading(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = self._read = None

    # ---- writing -------------------------------------------------------------------------------------------------

    def write(self, item: Item) -> None:
        """Append one item as a complete, flushed line; record the inputs it shows are complete."""
        assert self._journal is not None, "journal is closed"
        self._journal.write(self.store.encode(jsonl_line(item)))
        self._journal.flush()
        self.lines += 1
        self._completed += self._tracker.advance(item.source)
        if time.monotonic() - self._last_sync >= SYNC_SECONDS:
            self._sync()

    def finish(self) -> None:
        """Every input is done: the journal becomes the output file (atomically) and the sidecar goes. Raises
        ``UsageError`` when the inputs gave fewer conversations than the journal has (they changed since)."""
        assert self._journal is not None and self._done is not None, "journal is closed"
        if self.unmatched:
            raise UsageError(f"cannot resume: the inputs give fewer conversations than {self.path} has: they changed "
                             "since the interrupted run; leave out --resume to score everything again")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self._journal.close()
        self._done.close()
        self._journal = self._done = None
        if named(self.output.name) is None and self.store.name == "text":
            os.replace(self.path, self.output)
        else:  # compressed as the name says, at the end
            with open(self.path, "rb") as journal, atomic_output(self.output) as out:
                self.store.copy(journal, out, self.path, self.done_path)
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.unlink(self.done_path)
        _unlock(self._lock)  # only now: another run could otherwise start a journal while this one became FILE
        self._lock = None

    def close(self) -> None:
        """Stop without finishing: keep the journal and the sidecar, synced, for ``--resume``."""
        self._stop_reading()
        if self._journal is not None:
            with contextlib.suppress(OSError):
                self._sync()
            for handle in (self._journal, self._done):
                with contextlib.suppress(OSError):
                    handle.close()  # type: ignore[union-attr]
            self._journal = self._done = None
        _unlock(self._lock)
        self._lock = None

    def _sync(self) -> None:
        """Journal lines reach the disk before the markers that say their inputs are done."""
        assert self._journal is not None and self._done is not None
        self._journal.flush()
        os.fsync(self._journal.fileno())
        if self._completed:
            self._done.write("".join(json.dumps(key, ensure_ascii=False) + "\n" for key in self._completed))
            self._completed = []
        self._done.flush()
        os.fsync(self._done.fileno())
        self._last_sync = time.monotonic()


def _read_sidecar(sidecar: Path, journal: Path) -> tuple[dict[str, Any], int]:
    """The header recorded beside a journal, and how many of its inputs are recorded as done, read a line at a time
    (a trailing incomplete line is ignored): each must be the next input of the header's list."""
    problem = f"cannot resume: {sidecar} is missing or damaged; delete {journal} and start over"
    try:
        with open(sidecar, encoding="utf-8", newline="\n") as handle:
            first = handle.readline()
            header = json.loads(first) if first.endswith("\n") else None
            if (not isinstance(header, dict) or header.get("format") != _FORMAT
                    or not isinstance(header.get("inputs"), list) or header.get("journal", "text") not in _STORES
                    or not all(isinstance(item, str) for item in header["inputs"])):
                raise UsageError(problem)
            inputs = header["inputs"]
            done = 0
            for line in handle:
                if not line.endswith("\n"):
                    break  # being written when the run stopped
                key = json.loads(line)
                if not isinstance(key, str):
                    raise UsageError(problem)
                if done >= len(inputs) or key != input_key(inputs[done]):
                    raise UsageError(f"cannot resume: {sidecar} does not match its input list; delete {journal} and "
                                     f"{sidecar} and start over")
                done += 1
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise UsageError(problem) from None
    return header, done


def _journal_lines(path: Path, sidecar: Path, store: _Store) -> Iterator[tuple[int, str, bool]]:
    """The byte offset where each complete line of a journal starts, with the ``source`` of its report or error record
    and whether it is an error record, read a line at a time; a trailing incomplete line (the run stopped while
    writing it) is then cut off the file, so that what is appended next starts on a line of its own."""
    with open(path, "rb+") as handle:
        for number, (offset, line) in enumerate(store.read(handle), 1):
            if line is not None and not line.endswith(b"\n"):
                handle.truncate(offset)
                return
            head = None if line is None else _line_head(line)
            if head is None:
                raise _not_a_report(path, number, sidecar)
            yield offset, *head


# How a journal line starts, as ``jsonl_line`` writes it: a report {"schema": ..., "id": ..., "source": ...,
# "format": ...}, an error record {"schema": ..., "source": ..., "error": ...}. Its source and kind are read from
# there: decoding a whole report takes ten times as long as reading it (a million reports: two minutes).
_STRING = rb'"(?:[^"\\]|\\.)*"'
_HEAD = re.compile(rb'\{"schema": ' + _STRING + rb', (?P<id>"id": ' + _STRING + rb', )?"source": (?P<source>'
                   + _STRING + rb'), "(?P<next>\w+)": ')


def _line_head(line: bytes) -> tuple[str, bool] | None:
    """The ``source`` of a journal line and whether it is an error record; None when it is not a report or error
    record (a line not laid out as ``jsonl_line`` writes them is decoded whole)."""
    match = _HEAD.match(line)
    if match and line.endswith(b"}\n"):
        error = match["next"] == b"error"
        if error != bool(match["id"]):
            with contextlib.suppress(ValueError):  # a damaged source ("\q", a raw tab): the whole line decides
                return json.loads(match["source"]), error
    document = _document(line)
    return None if document is None else (str(document.get("source")), "error" in document)


def _document(line: bytes) -> dict[str, Any] | None:
    """A journal line decoded, or None when it is not a JSON object."""
    try:
        document = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _not_a_report(path: Path, number: int, sidecar: Path) -> UsageError:
    return UsageError(f"cannot resume: {path}:{number} is not a report; delete {path} and {sidecar} and start over")


def _described(document: dict[str, Any]) -> str:
    error = document.get("error")
    if isinstance(error, dict):
        return f"an error record ({error.get('code')}) of {document.get('source')}"
    return f"conversation {document.get('id')!r} of {document.get('source')}"
