"""Bytes to text: UTF-8 (with or without BOM), UTF-16, then a guessed legacy encoding with a warning.

``decode`` turns a whole input into text. ``Lines`` gives a text a line at a time, as often as a parser needs to read
it; ``file_lines`` makes one that reads a UTF-8 file from disk on each reading (``stream_lines``, any stream that can
be opened again: a file in a zip archive too), so a big export is never held whole, neither as bytes nor as text.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import BinaryIO, ContextManager

from transcript_coach.errors import InputError
from transcript_coach.ingest.base import too_large
from transcript_coach.ingest.compression import DAMAGED, Compression, read_failure

# Control characters that never appear in text files (tab, newlines and form feed are fine).
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")
_MAX_CONTROL_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    warnings: tuple[str, ...] = ()
    escaped: bool = False  # non-ASCII characters written as JSON escapes (``decode_json``)


def _looks_like_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: every other byte is NUL in mostly-ASCII text."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


_CHECKED = 65536  # characters looked at for signs of a binary file


def _check_text(text: str, source: str, encoding: str) -> None:
    sample = text[:_CHECKED]
    control = len(_CONTROL.findall(sample))
    if "\x00" in sample or control > _MAX_CONTROL_SHARE * max(len(sample), 1):
        raise InputError(
            source,
            f"looks like a binary file, not text (read as {encoding}); expected a transcript in a text format",
            code="binary",
        )


def decode(data: bytes, source: str) -> Decoded:
    """Decode a whole input, or raise ``InputError`` for empty or binary content."""
    if not data.strip():
        raise InputError(source, "file is empty; expected a transcript", code="empty")
    encoding = _unicode_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return _decode_legacy(data, source)
    _check_text(text, source, encoding)
    return Decoded(text.replace("\r\n", "\n").replace("\r", "\n"), encoding)


def _unicode_encoding(data: bytes) -> str:
    """The Unicode encoding ``data`` is in if it is in one: by its BOM, else UTF-16 by its NUL bytes, else UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return _looks_like_utf16(data) or "utf-8"


_STEP = 1 << 20  # bytes decoded at a time by ``decode_json``
_NON_ASCII = re.compile("[^\x00-\x7f]+")


def decode_json(data: bytes, source: str) -> Decoded:
    """``decode`` for a JSON document, except that UTF-8 is decoded a megabyte at a time into ASCII text, each
    non-ASCII character written as its JSON escape (``\\u00e9``; an emoji as a pair): the same document to a JSON
    parser, which can hold a character outside its strings only in a document that is not valid JSON either way.
    Python holds that text at a byte a character, where the text itself takes four bytes a character as soon as it
    holds one emoji. ``escaped`` says whether anything was written as an escape (a parser's column numbers then
    count an escape's characters). Anything but UTF-8 goes to ``decode``."""
    encoding = _unicode_encoding(data)
    if not data.strip() or not encoding.startswith("utf-8"):
        return decode(data, source)
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    parts: list[str] = []
    escaped = False
    try:
        for start in range(0, len(data), _STEP):
            part = decoder.decode(view[start:start + _STEP], final=start + _STEP >= len(data))
            if not start:
                _check_text(part, source, encoding)  # a step holds more characters than the check looks at
            if not part.isascii():
                part, escaped = _NON_ASCII.sub(_escapes, part), True
            parts.append(part)
    except UnicodeDecodeError:
        return decode(data, source)
    text = "".join(parts)
    del parts
    return Decoded(text.replace("\r\n", "\n").replace("\r", "\n"), encoding, escaped=escaped)


def _escapes(run: re.Match[str]) -> str:
    return encode_basestring_ascii(run.group())[1:-1]  # a run of non-ASCII characters, as JSON escapes


# Support exports in a legacy encoding are most often Windows-1252: prefer it among equally good guesses.
_PREFERRED = ("cp1252", "latin_1", "iso8859_15")


def _guess_legacy(matches) -> str:
    best = matches.best()
    if best is None:
        return "cp1252"
    tied = [m.encoding for m in matches
            if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.01]
    return next((e for e in _PREFERRED if e in tied), best.encoding)


def _decode_legacy(data: bytes, source: str) -> Decoded:
    if b"\x00" in data[:65536]:
        raise InputError(source, "looks like a binary file, not text; expected a transcript in a text format",
                         code="binary")
    from charset_normalizer import from_bytes

    encoding = _guess_legacy(from_bytes(data[: 1 << 20]))
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        encoding = "cp1252"
        text = data.decode(encoding, errors="replace")
    _check_text(text, source, encoding)
    warning = (f"{source}: not valid UTF-8 or UTF-16; read as {encoding} (a guess): check accented letters and "
               "symbols, or re-save the file as UTF-8")
    return Decoded(text.replace("\r\n", "\n").replace("\r", "\n"), encoding, (warning,))


@dataclass(frozen=True, slots=True)
class Lines:
    """A text, a line at a time, from its start each time it is called: each line ends with ``\\n`` (the last may not),
    ``\\r\\n`` and ``\\r`` already read as ``\\n``, as in the text ``decode`` gives."""

    read: Callable[[], Iterator[str]]

    def __call__(self) -> Iterator[str]:
        return self.read()

    @classmethod
    def of(cls, text: str) -> Lines:
        """The lines of a text already decoded."""
        return cls(functools.partial(_text_lines, text))


def _text_lines(text: str) -> Iterator[str]:
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield text[start:end + 1]
        start = end + 1
    if start < len(text):
        yield text[start:]


_BLOCK = 1 << 16  # bytes checked at a time: small, as a block is held as text too while it is checked


def file_lines(handle: BinaryIO, path: str | os.PathLike[str], source: str, kind: Compression | None = None,
               limit: int = 0) -> Lines | None:
    """The lines of the regular file open as ``handle`` (binary, at its start), read again from ``path`` on each
    reading (``stream_lines``). A reading that finds the file changed (another file, size or time, or more or fewer
    bytes than it had) raises an ``InputError`` rather than mixing versions. A compressed file (``kind``) is read
    through its decompressor each time; one that decompresses to more than ``limit`` bytes is refused
    (``too_large``)."""
    version = file_version(handle)
    return stream_lines(handle if kind is None else kind.open(handle),
                        functools.partial(reopened, path, source, version, kind), source, kind,
                        size=version[2] if kind is None else None, limit=limit)


def stream_lines(stream: BinaryIO, again: Callable[[], ContextManager[BinaryIO]], source: str,
                 kind: Compression | None = None, *, size: int | None = None, limit: int = 0) -> Lines | None:
    """The lines of the binary ``stream`` (at its start), when it is UTF-8 text (with or without a BOM), read from
    ``again()``, the same bytes from their start, on each reading; ``None`` when it is not UTF-8 (``decode`` then
    reads it whole: UTF-16, a legacy encoding). One pass over ``stream`` checks it, a block at a time, and raises the
    ``InputError`` that ``decode`` would for an empty or binary input. ``size``: how many bytes it has, when that is
    known (no more are read, and a reading that finds more or fewer raises ``InputError``); else it is read to its
    end, and refused (``too_large``) past ``limit`` bytes. ``kind``: the compression it is read through, which a
    damaged stream's message names."""
    left = size if size is not None else limit + 1
    try:
        head = stream.read(min(4096, left))
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_like_utf16(head):
            return None
        encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        decoder = codecs.getincrementaldecoder(encoding)()
        blank = True
        start = ""  # the text's first characters, for the check ``decode`` makes
        block, left = head, left - len(head)  # no further than the size it had: a file may be growing
        read = 0
        while block:
            read += len(block)
            blank = blank and not block.strip()
            text = decoder.decode(block)
            if len(start) < _CHECKED:
                start += text[:_CHECKED]
            block = stream.read(min(_BLOCK, left))
            left -= len(block)
        if size is None and read > limit:
            raise too_large(source, None, limit, decompressed=True)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    except DAMAGED as error:
        raise read_failure(source, kind, error) from None
    if blank:
        raise InputError(source, "file is empty; expected a transcript", code="empty")
    _check_text(start, source, encoding)
    return Lines(functools.partial(_read_lines, again, source, encoding, read, kind))


def file_version(handle: BinaryIO) -> tuple[int, int, int, int]:
    """What tells a file from another one or from itself changed: device, inode, size and modification time."""
    return _version(os.fstat(handle.fileno()))


def _version(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def changed(source: str) -> InputError:
    """The error of an input found to have changed between two readings."""
    return InputError(source, "the file changed while it was being read; expected a file that stays the same until "
                      "it is scored", code="unreadable")


def check_unchanged(path: str | os.PathLike[str], source: str, version: tuple[int, ...]) -> None:
    """``InputError`` when the file at ``path`` is no longer the file of ``version`` (``file_version``): replaced,
    or written to."""
    try:
        info = os.stat(path)
    except OSError:
        raise changed(source) from None
    if _version(info) != version:
        raise changed(source)


@contextlib.contextmanager
def reopened(path: str | os.PathLike[str], source: str, version: tuple[int, ...], kind: Compression | None
             ) -> Iterator[BinaryIO]:
    """The file at ``path`` open again for another reading (binary, through its decompressor when it is compressed),
    when it is still the file of ``version`` (``file_version``); else an ``InputError``."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise InputError(source, f"cannot be read again: {exc.strerror or exc}", code="unreadable") from None
    with handle:
        if file_version(handle) != version:
            raise changed(source)
        yield handle if kind is None else kind.open(handle)


def _read_lines(again: Callable[[], ContextManager[BinaryIO]], source: str, encoding: str, size: int,
                kind: Compression | None) -> Iterator[str]:
    with again() as stream:
        read = 0
        try:
            for number, raw in enumerate(stream):
                read += len(raw)
                if read > size:  # written to since it was opened
                    raise changed(source)
                line = raw.decode(encoding if number == 0 else "utf-8")
                if "\r" in line:
                    yield from _text_lines(line.replace("\r\n", "\n").replace("\r", "\n"))
                else:
                    yield line
        except DAMAGED as exc:
            raise read_failure(source, kind, exc) from None
        if read < size:
            raise changed(source)
