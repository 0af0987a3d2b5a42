"""Compressed inputs and outputs: an export compressed with gzip, bzip2 or xz is read through its decompressor, never
unpacked to disk and never held whole when its format is read a line at a time (``decoding.file_lines``); an output
whose name ends in ``.gz``, ``.bz2`` or ``.xz`` is written compressed (``reporting.atomic_output``).

A compressed input is recognised by its first bytes, whatever its name; its format is then found as for any input,
from its name without the compression suffix (``chats.jsonl.gz`` is JSON Lines) and the first decompressed bytes.
The size limit applies to the decompressed bytes, counted as they are read, so a small file that would decompress to
gigabytes is refused without being held. A zip archive holds files rather than one compressed stream: a zip file on
disk is read as a folder (``ingest.archive``); one met anywhere else (standard input, inside another archive) is
refused with a message saying so.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

from transcript_coach.errors import InputError


@dataclass(frozen=True, slots=True)
class Compression:
    name: str
    suffixes: tuple[str, ...]  # lower case, with the dot
    starts: Callable[[bytes], bool]  # whether a file's first bytes are this compression's
    open: Callable[[BinaryIO], BinaryIO]  # the decompressed stream of a binary file object
    write: Callable[[BinaryIO], BinaryIO]  # a stream that writes compressed to a binary file object (left open)


_BZIP2_BLOCK = (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")  # a first block, or the end of no data

COMPRESSIONS: tuple[Compression, ...] = (
    Compression("gzip", (".gz", ".gzip"), lambda head: head.startswith(b"\x1f\x8b\x08"),
                lambda handle: gzip.GzipFile(fileobj=handle, mode="rb"),
                lambda handle: gzip.GzipFile(fileobj=handle, mode="wb", mtime=0)),  # no time: the same bytes each run
    Compression("bzip2", (".bz2",),
                lambda head: head[:3] == b"BZh" and head[3:4] in b"123456789" and head[4:10] in _BZIP2_BLOCK,
                bz2.BZ2File, lambda handle: bz2.BZ2File(handle, "wb")),
    Compression("xz", (".xz",), lambda head: head.startswith(b"\xfd7zXZ\x00"), lzma.LZMAFile,
                lambda handle: lzma.LZMAFile(handle, "wb")),
)
_BY_SUFFIX = {suffix: kind for kind in COMPRESSIONS for suffix in kind.suffixes}
ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip archive's first member, or an empty archive

# what a damaged or cut-short stream raises while it is read (gzip's BadGzipFile and bz2's errors are OSErrors; a
# file in a zip archive raises BadZipFile on a wrong checksum)
DAMAGED = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


def compression_of(head: bytes, source: str) -> Compression | None:
    """The compression an input's first bytes (at least ten) show, or None for an uncompressed input. A zip archive
    raises ``InputError``."""
    if head.startswith(ZIP_STARTS):
        raise InputError(source, "is a zip archive, which holds files rather than one transcript: one is read as a "
                         "folder when it is a file on disk, not from standard input or from inside another archive; "
                         "save it to a file, or unpack it", code="binary")
    return next((kind for kind in COMPRESSIONS if kind.starts(head)), None)


def refuse_tar(head: bytes, source: str) -> None:
    """``InputError`` when an input's first (decompressed) bytes are a tar archive's: many files, not one transcript."""
    if head[257:262] == b"ustar":  # POSIX tar: the magic word of the first file's header
        raise InputError(source, "is a tar archive, which holds files rather than one transcript; unpack it (tar -xf) "
                         "and score the folder (a zip archive is read as the folder it holds)", code="binary")


def named(name: str) -> Compression | None:
    """The compression a file name's suffix says (``reports.jsonl.gz``: gzip), or None."""
    stem, dot, suffix = name.rpartition(".")
    return _BY_SUFFIX.get(f".{suffix.casefold()}") if dot and stem else None


def inner_name(name: str) -> str:
    """``name`` without a compression suffix (``chats.jsonl.gz``: ``chats.jsonl``), for finding the format by name."""
    return name.rpartition(".")[0] if named(name) else name


def read_failure(source: str, kind: Compression | None, error: Exception) -> InputError:
    """The ``InputError`` for ``error``, raised while reading an input (decompressed with ``kind``, if not None): a
    damaged or cut-short stream, or a file the system cannot read."""
    if kind is not None and not getattr(error, "errno", None):  # the decompressor's, not the disk's
        detail = str(error).strip() or type(error).__name__
        return InputError(source, f"the {kind.name} data is damaged or cut short ({detail}); expected a complete "
                          f"{kind.suffixes[0]} file", code="unreadable")
    return InputError(source, f"cannot be read: {getattr(error, 'strerror', None) or error}", code="unreadable")


_STEP = 1 << 20


def read_at_most(stream: BinaryIO, at_most: int, size: int = _STEP) -> bytes:
    """The bytes of ``stream`` to its end, no more than ``at_most`` of them: ``size`` + 1 in one read (a file's size,
    when it is known), then a megabyte at a time. (``read(n)`` sets aside n bytes before it reads: a limit of a
    terabyte would fail with ``MemoryError`` on any file.)"""
    parts = [stream.read(min(at_most, size + 1))]
    read = len(parts[0])
    while parts[-1] and read < at_most:
        parts.append(stream.read(min(at_most - read, _STEP)))
        read += len(parts[-1])
    parts = [part for part in parts if part]
    return parts[0] if len(parts) == 1 else b"".join(parts)  # one part is not copied; none is b""


def read_decompressed(stream: BinaryIO, source: str, kind: Compression, at_most: int) -> bytes:
    """The decompressed bytes of ``stream``, no more than ``at_most`` of them."""
    try:
        return read_at_most(stream, at_most)
    except DAMAGED as error:
        raise read_failure(source, kind, error) from None


def decompress(data: bytes, source: str, kind: Compression, at_most: int) -> bytes:
    """``data`` decompressed, no more than ``at_most`` bytes of it."""
    return read_decompressed(kind.open(BytesIO(data)), source, kind, at_most)
