"""Reading transcripts: one parser module per format, chosen by file extension, then by sniffing the content.

``read_bytes`` and ``read_path`` yield ``Transcript`` values and raise ``InputError`` (with the source, the line
where possible and what was expected) for anything that cannot be read. ``iter_inputs`` walks files and folders.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, get_args

from transcript_coach.errors import InputError
from transcript_coach.ingest import archive
from transcript_coach.ingest.base import (
    DEFAULT_MAX_FILE_BYTES,
    PARSERS,
    Conversation,
    IngestOptions,
    ParserSpec,
    finish,
    too_large,
)
from transcript_coach.ingest.compression import (
    compression_of,
    decompress,
    inner_name,
    read_at_most,
    read_decompressed,
    read_failure,
    refuse_tar,
)
from transcript_coach.ingest.decoding import Lines, decode, decode_json, file_lines, stream_lines
from transcript_coach.ingest.records import LoadedJson, load_json_file, load_json_stream
from transcript_coach.ingest.report_files import REPORT_KINDS, output_kind, written_kind
from transcript_coach.model import Channel, Failure, Transcript

for _module in ("chat", "records", "helpdesk", "email", "subtitles"):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "IngestOptions",
    "FORMATS",
    "detect_format",
    "distinct_inputs",
    "from_records",
    "input_size",
    "iter_inputs",
    "one_or_many",
    "read_bytes",
    "read_path",
]

FORMATS: tuple[str, ...] = tuple(sorted(PARSERS))
logger = logging.getLogger(__name__)
T = TypeVar("T")
SUFFIXES: dict[str, str] = {suffix: spec.name for spec in PARSERS.values() for suffix in spec.suffixes}
_OUTPUT_FORMATS = ("chat", "csv", "json", "jsonl")  # what transcript-coach's outputs are named as (``_skipped``)

_CORE_HEADERS = frozenset({"from", "to", "date", "subject", "message-id"})
# [^\S\n]* before the newline, not \s*: two \s* around a \n backtrack quadratically on a run of blank lines
_SRT_START = re.compile(r"^\s*\d+[^\S\n]*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->", re.MULTILINE)
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
) -> Iterator[Transcript | Failure]:
    """Parse one input's content, compressed (gzip, bzip2, xz) or not; ``name`` (default: ``source``) is used to
    detect the format by extension. As ``read_path``, a ``Failure`` in place of a conversation without text."""
    yield from _read_data(data, source, options, name or source)


def _read_data(data: bytes, source: str, options: IngestOptions, name: str) -> Iterator[Transcript | Failure]:
    """``read_bytes``, as a generator that holds the decompressed content only (``data`` is let go on return)."""
    limit = options.max_file_bytes
    kind = compression_of(data[:16], source)
    if kind is not None:
        data = decompress(data, source, kind, limit + 1)
        name = inner_name(name)
    if len(data) > limit:
        raise too_large(source, None if kind else len(data), limit, decompressed=kind is not None)
    return _parse(data, source, options, _parser(name, data[:8192], source, options))


def _parser(name: str, head: bytes, source: str, options: IngestOptions) -> ParserSpec:
    """The parser of an input: the format forced in ``options``, else detected from its name and first bytes (a tar
    archive is refused)."""
    refuse_tar(head, source)
    command = None if options.format else output_kind(head)
    if command is not None:
        raise InputError(source, f"is {_output_problem(command)}", line=1, code="unsupported_structure")
    fmt = options.format or detect_format(name, head)
    spec = PARSERS.get(fmt)
    if spec is None:
        raise InputError(source, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", code="usage")
    return spec


def _parse(data: bytes, source: str, options: IngestOptions, spec: ParserSpec) -> Iterator[Transcript | Failure]:
    if spec.binary:
        if not data.strip():
            raise InputError(source, "file is empty; expected a transcript", code="empty")
        yield from spec.read(data, source, options)
        return
    decoded = decode_json(data, source) if spec.json else decode(data, source)
    warnings = decoded.warnings
    transcripts = spec.read(Lines.of(decoded.text) if spec.lines else decoded.text, source, options)
    if decoded.escaped:  # a JSON parser checks the whole document before it gives its first conversation
        transcripts = iter(transcripts)
        try:
            first = next(transcripts, None)
        except InputError as error:
            if error.code != "malformed_json":
                raise
            # its column would count the escapes' characters: the document is read as the file has it instead
            transcripts, first = iter(spec.read(decode(data, source).text, source, options)), None
        if first is not None:
            transcripts = itertools.chain([first], transcripts)
    del data, decoded  # held no longer than decoding it takes (the caller lets go of it too); the parser holds the
    # text only as long as it needs it
    for transcript in transcripts:
        if warnings and isinstance(transcript, Transcript):
            transcript = _with_warnings(transcript, warnings)
        yield transcript


def read_path(path: str | os.PathLike[str], options: IngestOptions = IngestOptions()
              ) -> Iterator[Transcript | Failure]:
    """Parse one file (every conversation in it), compressed (gzip, bzip2, xz) or not: a ``Transcript`` per
    conversation, and a ``Failure`` in place of one that has no text (the file's other conversations are still read);
    ``InputError`` when the file itself cannot be read. A regular UTF-8 file in a format read a line at a time (CSV,
    JSON Lines) is read from disk on each reading (``decoding.file_lines``), and so is a JSON list of conversations
    (``records.load_json_file``), through its decompressor if it is compressed; any other is read whole, once.

    A zip archive gives the conversations of each of its members in turn (``iter_inputs`` lists them as inputs of
    their own, so that each has its own error record); ``ARCHIVE/MEMBER`` reads one member (``ingest.archive``)."""
    path = Path(path)
    source = str(path)
    limit = options.max_file_bytes
    from_disk: tuple[ParserSpec, Lines | LoadedJson] | None = None
    members: list[Path] | None = None  # the inputs of a zip archive
    member: tuple[Path, str] | None = None  # the archive and name of ARCHIVE/MEMBER
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError
            regular = stat.S_ISREG(info.st_mode)
            head = handle.read(8192)
            if regular and archive.is_archive(head):
                members = list(archive.member_inputs(path, _known))
            elif regular and path.name.casefold().endswith(archive.SUFFIX):
                raise InputError(source, "is named .zip but is not a zip archive; expected a zip archive",
                                 code="unreadable")
            elif regular and info.st_size > limit:
                raise too_large(source, info.st_size, limit)
            elif regular:
                from_disk = _from_disk(handle, head, path, source, options)
                handle.seek(0)
                head = b""
            if from_disk is None and members is None:  # a pipe or device has no size to check first: read no
                # more than the limit
                data = head + read_at_most(handle, max(0, limit + 1 - len(head)), info.st_size)
    except (FileNotFoundError, NotADirectoryError):
        member = archive.locate(path)  # ARCHIVE/MEMBER
        if member is None:
            raise InputError(source, "no such file", code="not_found") from None
    except IsADirectoryError:
        raise InputError(source, _folder_problem(path), code="unreadable") from None
    except OSError as exc:
        raise read_failure(source, None, exc) from None
    if member is not None:
        yield from _read_member(archive.member(*member, source, limit), options)
        return
    if members is not None:  # every member in turn, as if each were named (``iter_inputs`` lists them so)
        for member_path in members:
            yield from read_path(member_path, options)
        return
    if from_disk is not None:
        spec, content = from_disk
        yield from spec.read(content, source, options)
        return
    if len(data) > limit:
        raise too_large(source, None, limit)
    parsed = _read_data(data, source, options, path.name)
    del data  # see _parse
    yield from parsed


def _read_member(member: archive.Member, options: IngestOptions) -> Iterator[Transcript | Failure]:
    """A file in a zip archive: a format read a line at a time, or a JSON list of conversations, when it is UTF-8
    text, from the archive on each reading (``decoding.stream_lines``, ``records.load_json_stream``); any other read
    whole."""
    name, source, limit = member.info.filename, member.source, options.max_file_bytes
    with member.open() as stream:
        head = read_decompressed(stream, source, member.kind, 8192)
    spec = _parser(inner_name(name), head, source, options)
    content: Lines | LoadedJson | None = None
    if spec.lines:
        with member.open() as stream:
            content = stream_lines(stream, member.open, source, member.kind, size=member.size, limit=limit)
    elif spec.json:
        with member.open() as stream:
            document = load_json_stream(stream, member.open, source, member.kind, limit, size=member.size)
        content = None if document is None else LoadedJson(document)
    if content is not None:
        yield from spec.read(content, source, options)
    else:
        yield from _read_data(member.read(), source, options, name)


def _from_disk(handle: BinaryIO, head: bytes, path: Path, source: str, options: IngestOptions
               ) -> tuple[ParserSpec, Lines | LoadedJson] | None:
    """The parser of a regular file and what it reads from disk rather than from the file's text held whole: the
    lines of a format read a line at a time, or a JSON list of conversations, when it is UTF-8 text (compressed or
    not). None for any other file, which is read whole."""
    kind = compression_of(head, source)
    if kind is not None:
        handle.seek(0)
        head = read_decompressed(kind.open(handle), source, kind, 8192)
    spec = _parser(path.name if kind is None else inner_name(path.name), head, source, options)
    if spec.lines:
        handle.seek(0)
        lines = file_lines(handle, path, source, kind, options.max_file_bytes)
        return None if lines is None else (spec, lines)
    if spec.json:
        document = load_json_file(handle, str(path), source, kind, options.max_file_bytes)
        return None if document is None else (spec, LoadedJson(document))
    return None


def _folder_problem(path: Path) -> str:
    try:
        os.listdir(path)
    except OSError as exc:  # a folder met in a walk that could not be listed
        return f"folder cannot be read: {exc.strerror or exc}; its files were not scored"
    return "is a folder; expected a file"


def one_or_many(items: Iterable[T] | T) -> Iterable[T]:
    """``items``, or a list of it when it is one: a string or path is one path (or name), never its characters (one
    of which, "/", would have a folder walk search the whole disk)."""
    return [items] if isinstance(items, (str, os.PathLike)) else items  # type: ignore[list-item,return-value]


def distinct_inputs(paths: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """``paths`` as a user named them, less those that would give conversations twice: a path named again (the same
    file or folder, however written), and a path inside a folder or zip archive also named whose walk reads it (not
    under a hidden folder; a file in a format a walk reads). Also the paths left out, each with why. ``-`` counts
    once."""
    named = list(paths)
    reals = ["-" if p == "-" else os.path.realpath(p) for p in named]
    position = {real: index for index, real in reversed(list(enumerate(reals)))}  # each real path's first naming
    kept: list[str] = []
    left: list[tuple[str, str]] = []
    for index, (path, real) in enumerate(zip(named, reals)):
        container = None if real == "-" else next(
            (parent for parent in _ancestors(real) if parent in position and _walk_reads(parent, real)), None)
        if container is not None:
            left.append((path, f"it is in {named[position[container]]}, also named, which reads it"))
        elif position[real] != index:
            left.append((path, "named more than once; read once"))
        else:
            kept.append(path)
    return kept, left


def _ancestors(real: str) -> Iterator[str]:
    parent = os.path.dirname(real)
    while parent != real:
        yield parent
        real, parent = parent, os.path.dirname(parent)


def _walk_reads(top: str, real: str) -> bool:
    """Whether a walk of the folder or zip archive ``top`` reaches ``real``, a path under it: no hidden part on the
    way, and a file in a format a walk reads (a folder's own files are judged as its walk meets them)."""
    parts = os.path.relpath(real, top).split(os.sep)
    return not any(part.startswith(".") for part in parts) and (os.path.isdir(real) or _walked(parts[-1]))


def iter_inputs(paths: Iterable[str | os.PathLike[str]], *, report_files: bool = False,
                leave_out: str | os.PathLike[str] | None = None,
                told: dict[str, str | None] | None = None) -> Iterator[Path | str]:
    """Files named directly (any extension, links followed), files under folders (recursively, known extensions only,
    also with a compression suffix after them, ``.gz``, ``.bz2`` or ``.xz``; sorted), and ``"-"`` for standard input.
    A zip archive, named or in a folder (``*.zip``), is walked as a folder: its members' inputs,
    ``ARCHIVE/MEMBER``, in its place (``ingest.archive``); one that cannot be read is yielded itself, so that
    ``read_path`` reports it. ``paths`` may be one path (``one_or_many``).

    In folders, hidden files and folders are skipped silently, and symbolic links (to files or folders) and pipes,
    sockets or devices are skipped with a warning logged on ``transcript_coach.ingest``: a walk never leaves the
    folder it was given and never blocks on a pipe. A folder that cannot be listed is yielded itself, so that
    ``read_path`` reports it as unreadable. A report file (``score``'s output, see ``ingest.report_files``) met in a
    folder or archive is skipped with a warning too, unless ``report_files`` (for the commands that read reports): a
    folder scored again with last run's reports written into it is not scored with them as conversations. Named, it
    is read as any file is. So is ``leave_out``, the file a run writes its output to (in whatever format), which a
    walk skips with a warning, as it does the other outputs of transcript-coach (``report_files.output_kind``): a
    table or CSV of scores, a review queue, agent profiles. ``told``, when given, receives what a walk opened a file
    it yields to tell, by the file's path as text: ``report_files.report_file_kind``'s answer, without opening it
    again."""
    left_out = None if leave_out is None else os.path.abspath(leave_out)
    for raw in one_or_many(paths):
        if str(raw) == "-":
            yield "-"
            continue
        path = Path(raw)
        for item in _walk(path) if path.is_dir() else _file_inputs(path):
            skipped = item != path and _skipped(item, left_out, report_files, told)  # met in a walk, not named
            if skipped:
                logger.warning("%s: skipped: %s", item, skipped)
            else:
                yield item


def _skipped(item: Path, left_out: str | None, report_files: bool, told: dict[str, str | None] | None
             ) -> str | None:
    """Why ``iter_inputs`` passes over a file a walk met, or None (and then, in ``told``, what the file was told to
    be, when it was opened to tell)."""
    if left_out is not None and os.path.abspath(item) == left_out:
        return "the file this run writes its output to"
    if SUFFIXES.get(Path(inner_name(item.name)).suffix.casefold()) not in _OUTPUT_FORMATS:
        return None
    written = written_kind(str(item))
    if written in REPORT_KINDS and not report_files:
        return ("a report file written by transcript-coach, not transcripts (review and agents read it; name the "
                "file itself to score its conversations again)")
    if written is not None and written not in REPORT_KINDS:
        return _output_problem(written)
    if told is not None:
        told[str(item)] = written  # what report_file_kind would say of it
    return None


def _output_problem(command: str) -> str:
    """What is said of an output of ``command`` (``report_files.output_kind``) met as an input."""
    return (f"an output of transcript-coach {command}: not transcripts, and not reports (review and agents read the "
            "reports score writes as JSON Lines or JSON)")


def _file_inputs(path: Path) -> Iterator[Path]:
    """``path``, or the inputs of the zip archive, or of the folder in one (``ARCHIVE/FOLDER``), it is."""
    members: Iterator[Path] | None = None
    try:
        if stat.S_ISREG(os.stat(path).st_mode):  # not opened otherwise: a pipe opened and closed unread breaks
            with open(path, "rb") as handle:
                if archive.is_archive(handle.read(4)):
                    members = archive.member_inputs(path, _known)
    except (FileNotFoundError, NotADirectoryError):
        located = archive.locate(path)
        if located is not None and archive.is_folder(*located):
            members = archive.member_inputs(located[0], _known, located[1])
    except OSError:
        pass  # read_path says what is wrong with it
    try:
        first = next(members, None) if members is not None else None
    except InputError:
        members = None
    if members is None:
        yield path
    elif first is None:
        logger.warning("%s: skipped: the zip archive holds no file in a known format (%s)", path,
                       ", ".join(sorted(SUFFIXES)))
    else:
        yield first
        yield from members


def input_size(path: str | os.PathLike[str]) -> int:
    """The bytes of a file ``iter_inputs`` gives (of a zip archive's member: decompressed, as the archive says), or
    0 when that cannot be told (``read_path`` says why it cannot be read)."""
    try:
        return os.stat(path).st_size
    except OSError:
        member = archive.locate(Path(path))
        return archive.member_size(*member) if member is not None else 0


def _known(name: str) -> bool:
    """Whether a file of this name is read in a folder: a known format, maybe compressed (``chats.jsonl.gz``)."""
    return Path(inner_name(name)).suffix.casefold() in SUFFIXES


def _walked(name: str) -> bool:
    """Whether a folder walk reads a file of this name: a known format, or a zip archive (as a folder)."""
    return name.casefold().endswith(archive.SUFFIX) or _known(name)


def _walk(top: Path) -> Iterator[Path]:
    """Depth first, each folder's files before its subfolders, names sorted (the order of ``os.walk``)."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            files, subfolders = _listing(folder)
        except OSError:
            yield folder
            continue
        for name in files:
            path = folder / name
            if name.casefold().endswith(archive.SUFFIX):
                yield from _file_inputs(path)
            else:
                yield path
        stack.extend(folder / name for name in reversed(subfolders))


def _listing(folder: Path) -> tuple[list[str], list[str]]:
    """The names of the files a walk reads in ``folder`` (known formats and zip archives) and of its subfolders,
    each sorted; what it skips is logged, in name order. Only names are kept: while the files of a flat folder of a
    million are scored, its listing takes about 120 MB, where an ``os.DirEntry`` per file took 230-320 MB."""
    files: list[str] = []
    folders: list[str] = []
    skipped: list[tuple[str, str]] = []
    with os.scandir(folder) as listing:
        for entry in listing:
            name = entry.name
            if name.startswith("."):
                continue
            known = _walked(name)
            try:
                if entry.is_symlink():
                    if known or entry.is_dir():
                        skipped.append((name, "a symbolic link inside a folder is not followed (name the file "
                                              "itself to read it)"))
                elif entry.is_dir(follow_symlinks=False):
                    folders.append(name)
                elif known and entry.is_file(follow_symlinks=False):
                    files.append(name)
                elif known:
                    skipped.append((name, "not a regular file (a pipe, socket or device)"))
                elif name.casefold().endswith(archive.UNREAD):
                    skipped.append((name, "an archive of a kind that is not read (only zip archives are); unpack it "
                                          "to score its files"))
            except OSError as exc:
                skipped.append((name, str(exc.strerror or exc)))
    for name, why in sorted(skipped):
        logger.warning("%s: skipped: %s", folder / name, why)
    files.sort()
    folders.sort()
    return files, folders


def from_records(
    records: Iterable[Mapping[str, Any]],
    *,
    id: str | int = "conversation",
    channel: str = "chat",
    source: str = "<python>",
    agents: Iterable[str] | str = (),
    options: IngestOptions = IngestOptions(),
) -> Transcript:
    """A transcript from plain dicts (the Python API's ``Transcript.from_turns``). ``id`` may be a whole number (a
    ticket number), ``agents`` one name."""
    from transcript_coach.ingest.records import raw_turn_from_record

    if isinstance(records, (Mapping, str, bytes)):
        raise TypeError(f"expected a list of messages (dicts with 'text'), got one {type(records).__name__}")
    if isinstance(id, bool) or not isinstance(id, (str, int)):
        raise TypeError(f"id must be a string or a whole number, got {id!r}")
    if channel not in get_args(Channel):
        raise ValueError(f"channel must be one of {', '.join(get_args(Channel))}, got {channel!r}")
    turns = tuple(raw_turn_from_record(r, source, i + 1) for i, r in enumerate(records))
    return finish(
        Conversation(turns, id=str(id), channel=channel, agents=tuple(one_or_many(agents))),  # type: ignore[arg-type]
        source=source,
        format="python",
        options=options,
    )


def _with_warnings(transcript: Transcript, warnings: Iterable[str]) -> Transcript:
    from dataclasses import replace

    return replace(transcript, warnings=tuple(warnings) + transcript.warnings)
