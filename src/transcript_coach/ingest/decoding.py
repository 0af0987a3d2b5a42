"""Bytes to text: UTF-8 (with or without BOM), UTF-16, then a guessed legacy encoding with a warning."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from transcript_coach.errors import InputError

# Control characters that never appear in text files (tab, newlines and form feed are fine).
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")
_MAX_CONTROL_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    warnings: tuple[str, ...] = ()


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


def _check_text(text: str, source: str, encoding: str) -> None:
    sample = text[:65536]
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
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        utf16 = _looks_like_utf16(data)
        candidates = [utf16] if utf16 else ["utf-8"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        _check_text(text, source, encoding)
        return Decoded(text.replace("\r\n", "\n").replace("\r", "\n"), encoding)
    return _decode_legacy(data, source)


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
