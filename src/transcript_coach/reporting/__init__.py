"""Writing reports: JSONL (the default), a JSON array, CSV (one row per transcript) or a readable table.

Every writer streams: it takes an iterable of ``Report`` / ``Failure`` values and writes each as it comes, so a batch
never has to be held in memory. ``atomic_output`` makes a file appear only once it is complete.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from transcript_coach.ingest.compression import Compression, named
from transcript_coach.model import SKILLS, Failure, Report

Item = Report | Failure
Writer = Callable[[Iterable[Item], IO[str]], None]

# How every text written as UTF-8 (outputs, journals, standard output) takes a character UTF-8 has no bytes for: a
# lone surrogate, which is how Python holds the bytes of a file name that are not UTF-8 (a report's source). It is
# written as its escape (\udce9), which inside a JSON string is the JSON escape and reads back as the same name.
TEXT_ERRORS = "backslashreplace"

# C0 and C1 controls, the line and paragraph separators and the bidirectional overrides (which reorder what follows)
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` for a line of a terminal or of a text listing: its control characters (a newline or an escape sequence
    in a file name, say) written as a Python string writes them (``\\n``, ``\\x1b``), so that one message stays on
    one line and cannot restyle or retitle the terminal it is shown on."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


def report_json(document: dict[str, Any]) -> str:
    """A report document (``to_dict()``) as the one line of JSON every JSONL output writes (without its newline)."""
    return json.dumps(document, ensure_ascii=False)


def jsonl_line(item: Item | Encoded) -> str:
    """One report (or error record) as a line of JSONL, newline included."""
    if isinstance(item, Encoded):
        return item.line
    return report_json(item.to_dict()) + "\n"


@dataclass(frozen=True, slots=True)
class Encoded:
    """A report or error record already written as its JSONL line, with what a caller needs to know about it
    without decoding the line. ``encode`` makes one; ``Coach.score(..., transform=encode)`` has them made where the
    reports are made (in the worker processes with ``jobs`` > 1), so the main process only writes lines."""

    line: str
    source: str
    id: str | None = None  # a report's conversation id; None for an error record
    warnings: tuple[str, ...] = ()
    message: str | None = None  # an error record's message; None for a report

    @property
    def failed(self) -> bool:
        return self.message is not None

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.line)


def encode(item: Item) -> Encoded:
    """``item`` as its JSONL line (``jsonl_line``), with its source, id, warnings or error message alongside."""
    if isinstance(item, Failure):
        return Encoded(jsonl_line(item), item.source, message=item.message)
    return Encoded(jsonl_line(item), item.source, item.id, item.warnings)


def write_jsonl(items: Iterable[Item | Encoded], out: IO[str]) -> None:
    for item in items:
        out.write(jsonl_line(item))


def write_json(items: Iterable[Item], out: IO[str]) -> None:
    out.write("[")
    for i, item in enumerate(items):
        out.write(",\n" if i else "\n")
        out.write(json.dumps(item.to_dict(), ensure_ascii=False, indent=2))
    out.write("\n]\n")


CSV_COLUMNS = ("id", "source", "format", "channel", "agents", "started_at", "ended_at", "turns", "flags", "warnings",
               "error") + SKILLS
CSV_HEADER = ",".join(CSV_COLUMNS)  # the first line of the CSV (no column name needs quoting)


def _csv_row(item: Item) -> dict[str, Any]:
    if isinstance(item, Failure):
        return {"source": item.source, "error": f"{item.code}: {item.message}"}
    doc = item.to_dict()
    row = {key: doc[key] for key in ("id", "source", "format", "channel", "started_at", "ended_at")}
    row.update(
        agents="; ".join(doc["agents"]),
        turns=len(doc["turns"]),
        flags="; ".join(f["code"] for f in doc["flags"]),
        warnings=" | ".join(doc["warnings"]),
    )
    for skill, value in doc["skills"].items():
        row[skill] = "" if value["score"] is None else round(value["score"])
    return row


def write_csv(items: Iterable[Item], out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow(spreadsheet_row(_csv_row(item)))


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_row(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row that a spreadsheet shows rather than runs: text that begins as a formula would (a customer can name
    themselves "=HYPERLINK(...)" in a chat widget, and names reach the agents and id columns) gets a leading
    apostrophe, which spreadsheets do not show. Numbers, and text that reads as one ("-3"), are left as they are."""
    return {key: "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS)
            and not _number(value) else value for key, value in row.items()}


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


SKILL_ABBREVIATIONS = {
    "active_listening": "LIS", "empathy": "EMP", "patience": "PAT", "clear_communication": "CLR",
    "problem_solving": "SLV", "time_management": "TIM", "adaptability": "ADP", "positive_attitude": "POS",
    "conflict_resolution": "CNF", "product_knowledge": "KNW", "professionalism": "PRO", "follow_up": "FUP",
    "teamwork": "TEAM", "cultural_sensitivity": "CUL", "continuous_learning": "LRN",
}
TABLE_HEADER = (f"{'conversation':<34} {'chan':<5} {'agents':<16} {'turns':>5} "
                + " ".join(f"{SKILL_ABBREVIATIONS[s]:>4}" for s in SKILLS) + "  flags")  # the table's first line


def _clip(text: str, width: int, *, keep_end: bool = False) -> str:
    if len(text) <= width:
        return text
    return "…" + text[-(width - 1):] if keep_end else text[: width - 1] + "…"


def write_table(items: Iterable[Item], out: IO[str]) -> None:
    """One line per conversation: who, how many turns, each skill's score (``-`` = not scored) and the flags (names and
    messages ``printable``: they come from the inputs)."""
    out.write(TABLE_HEADER + "\n" + "-" * len(TABLE_HEADER) + "\n")
    failures = reports = 0
    for item in items:
        if isinstance(item, Failure):
            failures += 1
            out.write(f"{_clip(printable(item.source), 34, keep_end=True):<34} ERROR {printable(item.message)}\n")
            continue
        reports += 1
        doc = item.to_dict()
        name = Path(doc["source"]).name
        if doc["id"] != Path(doc["source"]).stem:  # several conversations in one file
            name = f"{name}#{doc['id']}"
        name, agents = printable(name), printable(", ".join(doc["agents"]))
        scores = " ".join(
            f"{'-' if v['score'] is None else round(v['score']):>4}"
            for v in (doc["skills"][s] for s in SKILLS)
        )
        flags = ",".join(f["code"] for f in doc["flags"])
        out.write(f"{_clip(name, 34, keep_end=True):<34} {doc['channel']:<5} {_clip(agents or '-', 16):<16} "
                  f"{len(doc['turns']):>5} {scores}  {flags}\n")
    out.write(f"\n{reports} conversation(s) scored, {failures} input(s) failed. Skills: "
              + ", ".join(f"{SKILL_ABBREVIATIONS[s]}={s}" for s in SKILLS) + "\n")


WRITERS: dict[str, Writer] = {"jsonl": write_jsonl, "json": write_json, "csv": write_csv, "table": write_table}

from transcript_coach.reporting.html import write_html  # noqa: E402  (after WRITERS: no import cycle)

WRITERS["html"] = write_html


def is_stream(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a pipe, terminal or device (``/dev/stdout``, a FIFO, ``/dev/null``, ``>(gzip > f.gz)``)
    rather than a file or folder: what is written to it goes at once to whatever reads it."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A text file that appears at ``path`` only when the block completes; on any error or signal nothing is left
    behind (Ctrl-C and SIGTERM are held off while the temporary file is being created, so it is always cleaned up).
    A name ending in ``.gz``, ``.bz2`` or ``.xz`` gets the text compressed that way. A pipe or device (``is_stream``)
    is written to as it is, since there is no file to replace (what was written before an error has gone to its
    reader)."""
    if is_stream(path):
        with open(path, "wb") as raw, _text_writer(raw, named(Path(path).name)) as handle:
            yield handle
        return
    target = Path(path)
    blocked = _block_signals()
    name = None
    try:
        fd, name = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
        _restore_signals(blocked)
        with os.fdopen(fd, "wb") as raw:
            with _text_writer(raw, named(target.name)) as handle:
                yield handle
            os.fsync(raw.fileno())
        os.chmod(name, 0o666 & ~_umask())
        os.replace(name, target)
        name = None
    finally:
        _restore_signals(blocked)
        if name is not None:
            with contextlib.suppress(OSError):
                os.unlink(name)


@contextlib.contextmanager
def _text_writer(raw: IO[bytes], kind: Compression | None) -> Iterator[IO[str]]:
    """UTF-8 text written to ``raw``, compressed as ``kind`` says; flushed, and the compressed stream ended, when the
    block completes (``raw`` stays open)."""
    stream = raw if kind is None else kind.write(raw)
    try:
        handle = io.TextIOWrapper(stream, encoding="utf-8", errors=TEXT_ERRORS, newline="")
        yield handle
        handle.detach()  # flushed, and let go without closing ``stream`` when it is collected
        if stream is not raw:
            stream.close()  # the compressed stream's end; the file stays open
    finally:
        if stream is not raw:
            with contextlib.suppress(Exception):
                stream.close()  # after an error too, before the file it writes to closes


def _block_signals() -> set[int] | None:
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _restore_signals(previous: set[int] | None) -> None:
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
