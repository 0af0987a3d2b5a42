"""Reading transcripts: one parser module per format, chosen by file extension, then by sniffing the content.

``read_bytes`` and ``read_path`` yield ``Transcript`` values and raise ``InputError`` (with the source, the line
where possible and what was expected) for anything that cannot be read. ``iter_inputs`` walks files and folders.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from transcript_coach.errors import InputError
from transcript_coach.ingest.base import (
    DEFAULT_MAX_FILE_BYTES,
    PARSERS,
    Conversation,
    IngestOptions,
    finish,
)
from transcript_coach.ingest.decoding import decode
from transcript_coach.model import Transcript

for _module in ("chat", "records", "helpdesk", "email", "subtitles"):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "IngestOptions",
    "FORMATS",
    "detect_format",
    "from_records",
    "iter_inputs",
    "read_bytes",
    "read_path",
]

FORMATS: tuple[str, ...] = tuple(sorted(PARSERS))
SUFFIXES: dict[str, str] = {suffix: spec.name for spec in PARSERS.values() for suffix in spec.suffixes}

_CORE_HEADERS = frozenset({"from", "to", "date", "subject", "message-id"})
_SRT_START = re.compile(r"^\s*\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->", re.MULTILINE)
_EMAIL_HEADER = re.compile(r"^(from|to|subject|date|message-id|received|return-path|mime-version|delivered-to|"
                           r"reply-to|content-type|dkim-signature|authentication-results|arc-[\w-]+|x-[\w-]+):",
                           re.IGNORECASE | re.MULTILINE)


def detect_format(name: str, head: bytes) -> str:
    """The format of an input: by its extension, else by the first bytes of its content."""
    suffix = Path(name).suffix.casefold()
    fmt = SUFFIXES.get(suffix)
    if fmt == "chat":  # .txt and .log are generic: a JSON export or an email saved as .txt is read as what it is
        sniffed = sniff_format(head)
        return sniffed if sniffed in ("json", "jsonl", "email", "mbox", "vtt") else fmt
    return fmt or sniff_format(head)


def sniff_format(head: bytes) -> str:
    text = head[:8192].decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("WEBVTT"):
        return "vtt"
    if _SRT_START.match(text):
        return "srt"
    if text.startswith("From ") and "\n" in text:
        return "mbox"
    first_line = text.split("\n", 1)[0]
    if text.startswith("{") or re.match(r"\[\s*[\[{\"\]]", text):  # not "[09:14] Tom: ..." chat lines
        if text.startswith("{") and first_line.rstrip().endswith("}") and "\n{" in text:
            return "jsonl"
        return "json"
    block = text.split("\n\n", 1)[0]
    headers = {m.group(1).lower() for m in _EMAIL_HEADER.finditer(block)}
    if _EMAIL_HEADER.match(first_line) and "\n\n" in text and len(headers & _CORE_HEADERS) >= 2:
        return "email"
    if first_line.count(",") >= 2 and re.search(r"conversation|ticket|thread|chat|session", first_line, re.I):
        return "csv"
    return "chat"


def read_bytes(
    data: bytes, source: str, options: IngestOptions = IngestOptions(), *, name: str | None = None
) -> Iterator[Transcript]:
    """Parse one input's content; ``name`` (default: ``source``) is used to detect the format by extension."""
    if len(data) > options.max_file_bytes:
        raise InputError(
            source,
            f"file is {len(data) / 1048576:.1f} MB, over the {options.max_file_bytes / 1048576:.0f} MB limit; "
            "split the export or raise the limit with --max-file-size",
            code="too_large",
        )
    fmt = options.format or detect_format(name or source, data[:8192])
    spec = PARSERS.get(fmt)
    if spec is None:
        raise InputError(source, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", code="usage")
    if spec.binary:
        if not data.strip():
            raise InputError(source, "file is empty; expected a transcript", code="empty")
        yield from spec.read(data, source, options)
        return
    decoded = decode(data, source)
    for transcript in spec.read(decoded.text, source, options):
        if decoded.warnings:
            transcript = _with_warnings(transcript, decoded.warnings)
        yield transcript


def read_path(path: str | os.PathLike[str], options: IngestOptions = IngestOptions()) -> Iterator[Transcript]:
    """Parse one file (every conversation in it)."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > options.max_file_bytes:
            raise InputError(
                source,
                f"file is {size / 1048576:.1f} MB, over the {options.max_file_bytes / 1048576:.0f} MB limit; "
                "split the export or raise the limit with --max-file-size",
                code="too_large",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(source, "no such file", code="not_found") from None
    except IsADirectoryError:
        raise InputError(source, "is a folder; expected a file", code="unreadable") from None
    except OSError as exc:
        raise InputError(source, f"cannot be read: {exc.strerror or exc}", code="unreadable") from None
    yield from read_bytes(data, source, options, name=path.name)


def iter_inputs(paths: Sequence[str | os.PathLike[str]]) -> Iterator[Path | str]:
    """Files named directly (any extension), files under folders (recursively, known extensions only, sorted), and
    ``"-"`` for standard input. Hidden files and folders are skipped; links to folders are not followed."""
    for raw in paths:
        if str(raw) == "-":
            yield "-"
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path)
        else:
            yield path


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.casefold() in SUFFIXES:
                yield Path(root) / name


def from_records(
    records: Sequence[Mapping[str, Any]],
    *,
    id: str = "conversation",
    channel: str = "chat",
    source: str = "<python>",
    agents: Sequence[str] = (),
    options: IngestOptions = IngestOptions(),
) -> Transcript:
    """A transcript from plain dicts (the Python API's ``Transcript.from_turns``)."""
    from transcript_coach.ingest.records import raw_turn_from_record

    turns = tuple(raw_turn_from_record(r, source, i + 1) for i, r in enumerate(records))
    return finish(
        Conversation(turns, id=id, channel=channel, agents=tuple(agents)),  # type: ignore[arg-type]
        source=source,
        format="python",
        options=options,
    )


def _with_warnings(transcript: Transcript, warnings: Iterable[str]) -> Transcript:
    from dataclasses import replace

    return replace(transcript, warnings=tuple(warnings) + transcript.warnings)
