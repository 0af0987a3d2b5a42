"""Per-message records: JSON Lines, CSV/TSV, and generic JSON lists of turns.

Every format here reads a record (a JSON object or a CSV row) as one message through ``raw_turn_from_record``, which
accepts the column names exports commonly use (``text``/``message``/``body``..., ``speaker``/``author``...,
``role``, ``timestamp``/``created_at``..., ``internal``/``private``/``public``...), case-insensitively, in
``snake_case``, ``camelCase`` or with spaces (``Conversation ID``). Files holding many conversations are grouped by
a conversation id column (``conversation_id``, ``ticket_id``, ``thread_id``...; never a bare ``id``, which is
usually the message's own id), in order of first appearance, and each conversation is yielded as soon as its last
record has been read (``_conversations``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from email.utils import parseaddr
from typing import Any, AnyStr, BinaryIO, ContextManager

from transcript_coach.errors import InputError
from transcript_coach.ingest.base import (
    Conversation,
    IngestOptions,
    RawTurn,
    finish_all,
    load_json_document,
    parser,
    source_stem,
    too_large,
)
from transcript_coach.ingest.html import html_to_text
from transcript_coach.ingest.roles import lexicon, parse_label
from transcript_coach.ingest.chat import DateOrder, day_first_warning, numeric_date, numeric_date_order
from transcript_coach.ingest.compression import DAMAGED, Compression, read_at_most, read_failure
from transcript_coach.ingest.decoding import Lines, changed, check_unchanged, file_version, reopened
from transcript_coach.ingest.timestamps import parse_clock, parse_timestamp
from transcript_coach.model import Channel, Failure, Role, Timestamp, Transcript

TEXT_KEYS = ("text", "message", "body", "content", "comment", "msg", "utterance", "transcript", "plain_body",
             "body_text", "message_content", "message_text", "message_body", "chat_message")
HTML_TEXT_KEYS = ("html_body", "body_html")
SPEAKER_KEYS = ("speaker", "author", "sender", "name", "from", "user", "speaker_name", "author_name", "sender_name",
                "actor_name", "actor", "participant_name", "participant")
ROLE_KEYS = ("role", "speaker_role", "author_role", "author_type", "sender_type", "sender_role", "actor_type",
             "actor_role", "participant_type", "participant_role", "user_type")
# Boolean columns that say who wrote the message: true means an agent (or a customer for the inverted ones).
AGENT_FLAG_KEYS = {"from_agent": True, "is_agent": True, "author_is_not_client": True,
                   "from_customer": False, "is_customer": False}
TYPE_KEYS = ("type", "message_type", "part_type")
TIME_KEYS = ("timestamp", "time", "created_at", "created", "date", "datetime", "sent_at", "ts", "created_time",
             "sent_time", "message_time", "posted_at", "created_on", "sent_on")
INTERNAL_KEYS = ("internal", "is_internal", "private", "is_private", "note", "is_note")
ADDRESS_KEYS = ("email", "author_email", "from_email", "sender_email")
CONVERSATION_ID_KEYS = ("conversation_id", "conversation", "conversationid", "ticket_id", "ticket", "thread_id",
                        "thread", "chat_id", "dialog_id", "dialogue_id", "session_id", "case_id", "call_id")
TURN_LIST_KEYS = ("turns", "messages", "conversation", "utterances")
CONVERSATION_OWN_ID_KEYS = ("id",) + CONVERSATION_ID_KEYS

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_KEY_SEPARATORS = re.compile(r"[\s\-.]+")
# Markup that only HTML bodies contain; a chat message with a bare "<" or "&" is left alone.
_HTML_MARKUP = re.compile(r"<(?:p|div|br|li|ul|ol|table|blockquote)\b[^<>]{0,200}>|</(?:p|div|li|ul|ol|span|a|b|"
                          r"strong|em|i|table|blockquote|h[1-6])>", re.IGNORECASE)
_TRUE = frozenset({"true", "yes", "y", "1", "t", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "f", "off", ""})
_CHANNELS: dict[str, Channel] = {
    "chat": "chat", "live chat": "chat", "livechat": "chat", "messaging": "chat", "web": "chat", "sms": "chat",
    "email": "email", "e-mail": "email", "mail": "email",
    "voice": "voice", "phone": "voice", "call": "voice", "phone call": "voice", "telephone": "voice",
}
_CSV_FIELD_LIMIT = 64 * 1024 * 1024
_SHOWN_KEYS = 15


# --- small shared helpers (also used by helpdesk.py) -------------------------------------------------------------

def normalize_key(key: object) -> str:
    """``"Conversation ID"``, ``"conversationId"``, ``"conversation-id"`` -> ``"conversation_id"``."""
    return _normalize_key(key if isinstance(key, str) else str(key))


@functools.lru_cache(maxsize=4096)
def _normalize_key(key: str) -> str:
    text = _CAMEL.sub("_", key.strip())
    return _KEY_SEPARATORS.sub("_", text).casefold()



def parse_flag(value: object) -> bool | None:
    """``True``/``False`` from booleans, 1/0 and the words true/false/yes/no; ``None`` when absent or empty.

    Raises ``ValueError`` for anything else (the caller names the key)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
        raise ValueError(value)
    if isinstance(value, str):
        word = value.strip().casefold()
        if not word:
            return None
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError(value)


def channel_from_value(value: object) -> Channel | None:
    """A channel word from an export (``email``, ``phone``, ``chat``...) as chat / email / voice, else ``None``."""
    if not isinstance(value, str):
        return None
    return _CHANNELS.get(" ".join(value.replace("_", " ").casefold().split()))


def html_text(markup: str, source: str, where: str) -> str:
    """``html_to_text`` that turns pathological markup into an ``InputError`` instead of a crash."""
    try:
        return html_to_text(markup)
    except RecursionError:
        raise InputError(source, f"{where}: HTML nested too deeply to read", code="unsupported_structure") from None


def describe(value: object) -> str:
    """How a JSON value looks, for messages: ``null``, ``a number (3)``, ``a list``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({_short(value)})"
    if isinstance(value, str):
        return f"text ({_short(value)})"
    if is_array(value):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def show_keys(keys: object) -> str:
    names = [str(k) for k in keys]  # type: ignore[attr-defined]
    if not names:
        return "none"
    shown = ", ".join(names[:_SHOWN_KEYS])
    return shown + (f" (and {len(names) - _SHOWN_KEYS} more)" if len(names) > _SHOWN_KEYS else "")


def load_json(text: str, source: str) -> object:
    """``load_json_document`` that also turns the number-size ``ValueError`` of ``json`` into an ``InputError``."""
    try:
        return load_json_document(text, source)
    except ValueError as exc:
        raise InputError(source, f"malformed JSON: {exc}", code="malformed_json") from None


_JSON_SPACE = re.compile(r"[ \t\n\r]*")  # what the json module skips between values
_DECODER = json.JSONDecoder()


class JsonArray(Sequence[object]):
    """The elements of a document that is a JSON array, each decoded from the document's text when it is asked for:
    an export of thousands of conversations is never held as objects all at once (a decoded document takes about
    ten times its text). ``JsonArray.of`` makes one; ``compact`` keeps the text as UTF-8 instead (Python holds a
    text with one emoji in it at four bytes a character); over a ``StreamBytes``, each element is read from the file
    when it is asked for (``load_json_file``)."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str | bytes | StreamBytes, starts: list[int]):
        self._text = text
        self._starts = starts  # where each element starts in ``_text``, then where the last one ends

    @classmethod
    def of(cls, text: str) -> JsonArray | None:
        """``text`` as a ``JsonArray`` when it is a valid JSON document whose top level is an array (each element is
        decoded once to check it, then let go); None otherwise (``load_json`` then says what is wrong)."""
        scan = _Scan.of(text)
        try:
            scanned = scan.array(scan.space(0)[0])
        except (ValueError, RecursionError):
            return None
        if scanned is None or scan.space(scanned[1])[1]:
            return None
        return cls(text, scanned[0])

    @classmethod
    def of_lines(cls, text: str) -> JsonArray | None:
        """``text`` as a ``JsonArray`` of its lines when it holds two or more lines and each line that is not blank
        is one JSON object (Zendesk's full export); None otherwise."""
        starts = _object_lines(Lines.of(text)(), 0)  # a line at a time, not the whole text split into a second copy
        return None if starts is None else cls(text, starts)

    def compact(self) -> JsonArray:
        """The same array over the UTF-8 bytes of its text (unless the text is ASCII, which Python already holds at a
        byte a character, or is not held)."""
        text = self._text
        if not isinstance(text, str) or text.isascii():
            return self
        starts, at, done = [], 0, 0
        for start in self._starts:
            at += len(text[done:start].encode("utf-8"))
            done = start
            starts.append(at)
        return JsonArray(text.encode("utf-8"), starts)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError("JsonArray index out of range")
        return self._element(index % len(self))

    def __iter__(self) -> Iterator[object]:
        for index in range(len(self)):
            yield self._element(index)

    def _element(self, index: int) -> object:
        text, start = self._text, self._starts[index]
        if isinstance(text, str):
            return _DECODER.raw_decode(text, start)[0]
        return _DECODER.raw_decode(text[start:self._starts[index + 1]].decode("utf-8"))[0]  # bytes, or a StreamBytes


def _object_lines(lines: Iterable[AnyStr], at: int) -> list[int] | None:
    """Where each line that is not blank starts (past its leading space), counting from ``at``, then where the last
    line ends, when there are two or more such lines and each is one JSON object; None otherwise. The lines are text,
    or UTF-8 bytes read from a file."""
    starts: list[int] = []
    try:
        for line in lines:
            stripped = line.lstrip()
            if stripped.strip():
                if not isinstance(json.loads(line), dict):
                    return None
                starts.append(at + len(line) - len(stripped))
            at += len(line)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return [*starts, at] if len(starts) >= 2 else None


@dataclass(frozen=True, slots=True)
class LoadedJson:
    """A JSON document already loaded from its file (``load_json_file``), given to a ``json`` parser for its text."""

    document: object


class StreamBytes:
    """The bytes of a stream between two offsets (``stream_bytes[start:end]``), read forward from ``again()``, the
    stream from its start (a file opened again, which refuses a file changed since: ``decoding.reopened``), opened
    anew when an earlier part is asked for: a compressed file, or a file in a zip archive, cannot be read at an offset
    without reading up to it. Parts asked for in order (the elements of an array as they are read) cost one reading
    of the stream, and one opening; the last part is kept, as it is often asked for again (the first element, by the
    tests that tell an export's flavour). ``kind``: the compression read through, which a damaged stream's message
    names."""

    __slots__ = ("_again", "_source", "_kind", "_unchanged", "_open", "_stream", "_at", "_last")

    def __init__(self, again: Callable[[], ContextManager[BinaryIO]], source: str, kind: Compression | None,
                 unchanged: Callable[[], None] | None = None):
        self._again, self._source, self._kind = again, source, kind
        self._unchanged = unchanged  # raises InputError when the file was written to or replaced since the scan
        self._open = contextlib.ExitStack()
        self._stream: BinaryIO | None = None
        self._at = 0  # where the stream is
        self._last: tuple[int, int, bytes] | None = None

    def __getitem__(self, part: slice) -> bytes:
        start, stop = part.start, part.stop
        if self._last is not None and self._last[:2] == (start, stop):
            return self._last[2]
        if self._unchanged is not None:  # a stream kept open reads on in a file rewritten where it is
            self._unchanged()
        if self._stream is None or start < self._at:
            self.close()
            self._stream, self._at = self._open.enter_context(self._again()), 0
        try:
            while self._at < start:  # what lies between the parts asked for
                skipped = len(self._stream.read(min(start - self._at, _SCAN_BLOCK)))
                if not skipped:
                    raise changed(self._source)
                self._at += skipped
            data = read_at_most(self._stream, stop - start, stop - start)
        except DAMAGED as exc:
            raise read_failure(self._source, self._kind, exc) from None
        if len(data) < stop - start:
            raise changed(self._source)
        self._at = stop
        self._last = (start, stop, data)
        return data

    def close(self) -> None:
        self._open.close()
        self._stream = None

    def __del__(self) -> None:
        self.close()


_SCAN_BLOCK = 1 << 18  # bytes read at a time while a file is scanned
_UTF8_STEP = 1 << 16  # bytes checked as UTF-8 at a time (the decoded text takes up to four bytes a character)


class _Scan:
    """A JSON text read forward from a position, value by value: a text held whole (``_Scan.of``), or a regular
    file's bytes as text of a character a byte (Latin-1), so that a position in the text is an offset in the file,
    read a block at a time as the scan moves on (what is behind it is let go), each block checked as UTF-8 on the way.
    JSON's own characters are ASCII, so ``json`` finds the same values in that text as in the decoded one, and where
    each begins and ends in the file."""

    def __init__(self, handle: BinaryIO | None, start: int = 0, text: str = "", *,
                 bound: tuple[int, str] | None = None):
        self.handle = handle
        self.text = text
        self.base = start  # the position of text[0]
        self.eof = handle is None
        self.bound = bound  # a stream of unknown size is refused past this limit (with the source to name)
        self._utf8 = codecs.getincrementaldecoder("utf-8")()

    @classmethod
    def of(cls, text: str) -> _Scan:
        return cls(None, 0, text)

    def _more(self, at: int) -> bool:
        """Read on, keeping the text from ``at``: a block, or as much again as a value being read has."""
        if self.handle is None:
            return False
        kept = self.text[at - self.base:]
        block = self.handle.read(max(_SCAN_BLOCK, len(kept)))  # a big value is decoded a few times, not n times
        if self.bound is not None and at + len(kept) + len(block) > self.bound[0]:
            raise too_large(self.bound[1], None, self.bound[0], decompressed=True)
        for step in range(0, len(block), _UTF8_STEP):
            self._utf8.decode(block[step:step + _UTF8_STEP])  # UnicodeDecodeError: not UTF-8
        self._utf8.decode(b"", final=not block)
        self.eof = not block
        self.text, self.base = kept + block.decode("latin-1"), at
        return bool(block)

    def space(self, at: int) -> tuple[int, str]:
        """Where the first character at or after ``at`` that is not JSON whitespace is, and that character ("" at the
        end of the text)."""
        while True:
            found = _JSON_SPACE.match(self.text, at - self.base).end()  # type: ignore[union-attr]
            if found < len(self.text) or not self._more(at):
                return self.base + found, self.text[found:found + 1]

    def value(self, at: int) -> tuple[object, int]:
        """The JSON value at ``at`` and where it ends (``ValueError`` when there is none)."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, at - self.base)
                if end < len(self.text) or self.eof:  # a number at the end of a block may go on in the next
                    return value, self.base + end
            except ValueError:
                if self.eof:
                    raise
            self._more(at)

    def array(self, at: int) -> tuple[list[int], int] | None:
        """The array at ``at``, each element decoded once to check it and let go: where each element starts followed
        by where the last one ends, and where the array ends; None when there is no valid array there."""
        at, char = self.space(at)
        if char != "[":
            return None
        starts: list[int] = []
        at, char = self.space(at + 1)
        end = at
        while char != "]":
            if starts:
                if char != ",":
                    return None
                at, char = self.space(at + 1)
            starts.append(at)
            end = self.value(at)[1]
            at, char = self.space(end)
        return [*starts, end], at + 1

    def members(self, at: int, elements: str | StreamBytes) -> dict[str, object] | None:
        """The members of the object at ``at``, as ``json`` decodes them, except that a list of conversations it
        holds (``tickets`` or ``conversations`` with more than one element) is a ``JsonArray`` over ``elements``,
        what the positions are in; None when there is no valid object there or anything but space follows it."""
        at, char = self.space(at)
        if char != "{":
            return None
        members: dict[str, object] = {}
        lazy = False
        at, char = self.space(at + 1)
        while char != "}":
            if members:
                if char != ",":
                    return None
                at, char = self.space(at + 1)
            if char != '"':
                return None
            key, at = self.value(at)
            at, char = self.space(at)
            if char != ":":
                return None
            at, char = self.space(at + 1)
            if key in _WRAPPED_LISTS and not lazy and char == "[":
                scanned = self.array(at)
                if scanned is None:
                    return None
                array, at = JsonArray(elements, scanned[0]), scanned[1]
                lazy = len(array) > 1
                members[key] = array if lazy else list(array)
            else:
                members[key], at = self.value(at)
            at, char = self.space(at)
        return None if self.space(at + 1)[1] else members


# the keys under which an export wraps its list of conversations ({"tickets": [...]}, {"conversations": [...]})
_WRAPPED_LISTS = frozenset({"tickets", "conversations"})


def load_json_file(handle: BinaryIO, path: str, source: str, kind: Compression | None = None, limit: int = 0
                   ) -> object | None:
    """What ``load_json_lazily`` gives for the text of the regular file open as ``handle``, read from disk a block
    at a time rather than held: a document that is an array, or an object that wraps a list of conversations (seen in
    its first block), as a ``JsonArray`` whose elements are read from the file when asked for; Zendesk's full export
    (a ticket per line) the same way. None for any other file, or one that is not valid UTF-8 JSON: the caller reads
    it as text, which also says what is wrong. A compressed file (``kind``) is read through its decompressor, and
    refused (``too_large``) past ``limit`` decompressed bytes (``load_json_stream``)."""
    version = file_version(handle)
    handle.seek(0)
    return load_json_stream(handle if kind is None else kind.open(handle),
                            functools.partial(reopened, path, source, version, kind), source, kind, limit,
                            size=version[2] if kind is None else None,
                            unchanged=functools.partial(check_unchanged, path, source, version))


def load_json_stream(stream: BinaryIO, again: Callable[[], ContextManager[BinaryIO]], source: str,
                     kind: Compression | None, limit: int, *, size: int | None = None,
                     unchanged: Callable[[], None] | None = None) -> object | None:
    """``load_json_file`` for a stream at its start (``kind``: what it is read through, if anything: a compressed
    file, a file in a zip archive), of ``size`` bytes when that is known: the scan, and the elements read forward from
    ``again()``, the same bytes from their start (``StreamBytes``, checking ``unchanged()`` first each time). A stream
    of unknown size is refused (``too_large``) past ``limit`` bytes, counted as they are read."""
    try:
        data = StreamBytes(again, source, kind, unchanged)
        return _load_json(stream, data, size, None if size is not None else (limit, source))
    except DAMAGED as exc:
        raise read_failure(source, kind, exc) from None


def _load_json(handle: BinaryIO, data: StreamBytes, size: int | None,
               bound: tuple[int, str] | None = None) -> object | None:
    """``load_json_file`` over ``handle`` (``size`` bytes, when known), the elements read from ``data``; a stream
    of unknown size is refused past ``bound`` (a limit, and the source the error names)."""
    handle.seek(0)
    head = handle.read(_SCAN_BLOCK)
    start = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    wrapped = any(f'"{key}"'.encode() in head for key in _WRAPPED_LISTS)
    whole = len(head) == size if size is not None else len(head) < _SCAN_BLOCK
    if (whole and not wrapped and head[start:].lstrip().startswith(b"{")
            and sum(1 for line in head.splitlines() if line.strip()) < 2):
        return None  # one object on one line, as a folder of a conversation a file has: read as text
    del head
    try:
        handle.seek(start)
        scan = _Scan(handle, start, bound=bound)
        at, char = scan.space(start)
        if char == "[":
            scanned = scan.array(at)
            return None if scanned is None or scan.space(scanned[1])[1] else JsonArray(data, scanned[0])
        if char != "{":
            return None
        members = scan.members(at, data) if wrapped else None
        if members is not None and any(isinstance(value, JsonArray) for value in members.values()):
            return members
        handle.seek(start)
        starts = _object_lines(handle if bound is None else _bounded_lines(handle, start, *bound), start)
        return None if starts is None else JsonArray(data, starts)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def _bounded_lines(stream: BinaryIO, start: int, limit: int, source: str) -> Iterator[bytes]:
    """The lines of ``stream`` (at ``start``), refused (``too_large``) past ``limit`` bytes: no line is read past
    it either."""
    left = limit + 1 - start
    while line := stream.readline(left):
        left -= len(line)
        if left <= 0:
            raise too_large(source, None, limit, decompressed=True)
        yield line


def is_array(value: object) -> bool:
    """A JSON array: a decoded list, or a ``JsonArray``."""
    return isinstance(value, list | JsonArray)


def load_json_lazily(text: str, source: str) -> object:
    """``load_json``, except that a document that is an array comes as a ``JsonArray`` (its elements decoded one at
    a time when read), and so does the list of conversations an object wraps (``tickets`` or ``conversations``)."""
    array = JsonArray.of(text)
    if array is not None:
        return array.compact()
    members = None
    if any(f'"{key}"' in text for key in _WRAPPED_LISTS):
        try:
            members = _Scan.of(text).members(0, text)
        except (ValueError, RecursionError):
            pass
    if members is None:
        return load_json(text, source)
    return {key: value.compact() if isinstance(value, JsonArray) else value for key, value in members.items()}


def conversations_of(elements: Sequence[object], path: str | None,
                     build: Callable[[object, str, int, int], Conversation]) -> Iterator[Conversation]:
    """``build(element, its key path, index, count)`` for each element of a list of conversations (or tickets) at
    key path ``path`` (None: ``elements`` is the document alone, at path ""), in order. Every element is built once
    first, and let go, so that a bad one anywhere is the file's error record, raised before any conversation is
    given; a ``JsonArray`` is never decoded whole."""
    count = len(elements)

    def built() -> Iterator[Conversation]:
        for index, element in enumerate(elements):
            yield build(element, "" if path is None else f"{path}[{index}]", index, count)

    if count > 1:
        for _ in built():
            pass
    return built()


def _short(value: object, limit: int = 60) -> str:
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        return "a number too large to print"
    return text if len(text) <= limit else text[: limit - 4] + "..." + text[-1]


def _is_text_value(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool))


# --- one record, one message ---------------------------------------------------------------------------------------

class _Fields:
    """A record's keys normalised (first spelling wins), remembering how each was written."""

    def __init__(self, record: Mapping[Any, Any] | None = None):
        self.values: dict[str, Any] = {}
        self.names: dict[str, str] = {}
        for key, value in (record or {}).items():
            norm = normalize_key(key)
            if norm not in self.values:
                self.values[norm] = value
                self.names[norm] = str(key)

    @classmethod
    def from_row(cls, keys: list[str], names: dict[str, str], row: list[str]) -> _Fields:
        """A CSV row, its header already normalised (unique keys)."""
        fields = cls()
        fields.values = dict(zip(keys, row, strict=False))
        fields.names = names
        return fields

    def first(self, keys: tuple[str, ...]) -> tuple[str, Any] | None:
        """The first of ``keys`` with a value that is not null or blank text."""
        for key in keys:
            value = self.values.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            return key, value
        return None

    def has_any(self, keys: tuple[str, ...]) -> bool:
        return any(k in self.values for k in keys)


def raw_turn_from_record(record: Mapping[Any, Any], source: str, line: int | None, *,
                         where: str | None = None, day_first: bool = True, fields: _Fields | None = None) -> RawTurn:
    """One message from a dict or CSV row; ``where`` names the record in errors when there is no line (``turns[3]``);
    ``fields``, when given, are the record's fields already read.

    Raises ``InputError`` (code ``unsupported_structure``) for a record without a text field, a text or speaker of
    the wrong type, an unreadable timestamp or an internal flag that is not true/false.
    """
    if not isinstance(record, Mapping):
        prefix = f"{where}: " if where else ""
        raise InputError(source, f"{prefix}expected a message object with a text field, found {describe(record)}",
                         line=line, code="unsupported_structure")
    return _raw_turn(fields if fields is not None else _Fields(record), source, line, where or "", day_first)


def _raw_turn(fields: _Fields, source: str, line: int | None, w: str, day_first: bool = True) -> RawTurn:
    prefix = f"{w}: " if w else ""
    if not fields.has_any(TEXT_KEYS + HTML_TEXT_KEYS):
        raise InputError(
            source,
            f"{prefix}message has no text field (found keys: {show_keys(fields.names.values())}; "
            f"expected one of: {', '.join(TEXT_KEYS)})",
            line=line, code="unsupported_structure",
        )
    text = _text_of(fields, source, line, w)
    label, address, dict_role = _speaker_of(fields, source, line, w)
    role, internal = _role_of(fields, source, line, w)
    if role is None:
        role = dict_role
    if role is None and label is None:
        # An unrecognised role value ("Tier 2") is still the best name there is for who wrote it.
        found = fields.first(ROLE_KEYS)
        if found is not None and _is_text_value(found[1]):
            label = str(found[1]).strip()
    found_address = fields.first(ADDRESS_KEYS)
    if found_address is not None and isinstance(found_address[1], str) and "@" in found_address[1]:
        address = parseaddr(found_address[1])[1] or found_address[1].strip()
    return RawTurn(
        text=text,
        label=label,
        role=role,
        timestamp=_timestamp_of(fields, source, line, w, day_first),
        internal=internal,
        line=line,
        address=address,
    )


def _key_path(where: str, name: str) -> str:
    return f"{where}.{name}" if where else f"'{name}'"


def _text_of(fields: _Fields, source: str, line: int | None, where: str) -> str:
    found = fields.first(TEXT_KEYS)
    if found is not None:
        key, value = found
        text = _coerce_text(value, fields.names[key], source, line, where)
        if _HTML_MARKUP.search(text):
            return html_text(text, source, _key_path(where, fields.names[key]))
        return text
    found = fields.first(HTML_TEXT_KEYS)
    if found is not None:
        key, value = found
        return html_text(_coerce_text(value, fields.names[key], source, line, where), source,
                         _key_path(where, fields.names[key]))
    return ""


def _coerce_text(value: object, key: str, source: str, line: int | None, where: str) -> str:
    if _is_text_value(value):
        return str(value)
    if isinstance(value, dict):
        # {"text": "..."} / {"body": "..."}: a message wrapped one level deeper.
        for inner in ("text", "body", "content", "value"):
            if _is_text_value(value.get(inner)):
                return str(value[inner])
    if isinstance(value, list) and value:
        # A list of text parts: ["line one", "line two"] or [{"type": "text", "text": "..."}].
        parts = []
        for part in value:
            if _is_text_value(part):
                parts.append(str(part))
            elif isinstance(part, dict) and _is_text_value(part.get("text")):
                parts.append(str(part["text"]))
            else:
                parts = []
                break
        if parts:
            return "\n".join(parts)
    raise InputError(source, f"{_key_path(where, key)}: expected the message text, found {describe(value)}", line=line,
                     code="unsupported_structure")


def _speaker_of(fields: _Fields, source: str, line: int | None,
                where: str) -> tuple[str | None, str | None, Role | None]:
    """(label, address, role stated by a nested author object) of a record."""
    found = fields.first(SPEAKER_KEYS)
    if found is None:
        return None, None, None
    key, value = found
    if isinstance(value, dict):
        author = _Fields(value)
        name = author.first(("name", "display_name", "full_name", "username", "email"))
        email = author.first(("email",))
        label = str(name[1]).strip() if name is not None and _is_text_value(name[1]) else None
        if label is None:
            ident = author.first(("id",))
            label = f"user-{ident[1]}" if ident is not None and _is_text_value(ident[1]) else None
        address = email[1].strip() if email is not None and isinstance(email[1], str) else None
        role_found = author.first(("role",) + TYPE_KEYS)
        role = _role_word(role_found[1], exact=True)[0] if role_found is not None else None
        return label, address, role
    if not _is_text_value(value):
        raise InputError(source, f"{_key_path(where, fields.names[key])}: expected the speaker's name, found "
                         f"{describe(value)}", line=line, code="unsupported_structure")
    text = " ".join(str(value).split())
    if "@" in text:
        name, addr = parseaddr(text)
        if "@" in addr:
            return (name.strip() or addr), addr, None
    return text, None, None


def _role_word(value: object, *, exact: bool) -> tuple[Role | None, bool]:
    """(role, internal) a role value states; ``exact`` accepts only a whole role word (for ``type`` columns)."""
    if not isinstance(value, str):
        return None, False
    text = " ".join(value.replace("_", " ").split())
    if not text:
        return None, False
    lex = lexicon()
    key = text.casefold().replace("’", "'")
    if key in lex.internal or key in ("internal note", "private note"):
        return "agent", True
    if exact:
        return lex.labels.get(key), False
    parsed = parse_label(text)
    return parsed.role, parsed.internal


def _role_of(fields: _Fields, source: str, line: int | None, where: str) -> tuple[Role | None, bool]:
    """(role, internal) from role columns, agent/customer flags, ``type`` columns and internal/public flags."""
    role: Role | None = None
    internal = False
    found = fields.first(ROLE_KEYS)
    if found is not None:
        role, internal = _role_word(found[1], exact=False)
    if role is None:
        for key, agent_when_true in AGENT_FLAG_KEYS.items():
            if key not in fields.values:
                continue
            flag = _flag(fields, key, source, line, where)
            if flag is not None:
                role = "agent" if flag == agent_when_true else "customer"
                break
    for key in TYPE_KEYS:
        type_role, type_internal = _role_word(fields.values.get(key), exact=True)
        role = role or type_role
        internal = internal or type_internal
    for key in INTERNAL_KEYS:
        if key in fields.values:
            if key == "note" and isinstance(fields.values[key], str) and \
                    fields.values[key].strip().casefold() not in _TRUE | _FALSE:
                continue  # a "note" column holding the note's words, not a flag
            internal = internal or bool(_flag(fields, key, source, line, where))
    if "public" in fields.values:
        public = _flag(fields, "public", source, line, where)
        internal = internal or public is False
    visibility = fields.values.get("visibility")
    if isinstance(visibility, str) and visibility.strip().casefold() in ("internal", "private"):
        internal = True
    return role, internal


def _flag(fields: _Fields, key: str, source: str, line: int | None, where: str) -> bool | None:
    try:
        return parse_flag(fields.values[key])
    except ValueError:
        raise InputError(source, f"{_key_path(where, fields.names[key])}: expected true/false (or yes/no, 1/0), found "
                         f"{describe(fields.values[key])}", line=line, code="unsupported_structure") from None


TIMESTAMP_EXPECTED = ("expected ISO 8601 (2024-03-01T09:14:00Z), epoch seconds between 2000 and 2100 (or epoch "
                      "milliseconds), or a date and time such as 2024-03-01 09:14 or 03/04/2024 09:14")
_NUMERIC_STAMP = re.compile(r"\s*(?P<date>\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2}))(?:(?:,?\s+|T)(?P<clock>\d{1,2}:\d{2}"
                            r"(?::\d{2}(?:[.,]\d{1,6})?)?(?:\s?[AaPp]\.?[Mm]\.?)?))?\s*")


def read_time_value(value: object, day_first: bool = True) -> Timestamp | None:
    """A timestamp field's value, or ``None`` when it cannot be read (never raises). Numeric dates (``03/04/2026``,
    ``3/14/26 9:14 AM``) are read day first unless ``day_first`` is false or only the month-first reading is a
    date; everything else goes to ``parse_timestamp``."""
    if isinstance(value, str):
        match = _NUMERIC_STAMP.fullmatch(value)
        if match is not None:
            day = numeric_date(match["date"], day_first)
            if day is None:
                return None
            if match["clock"] is None:
                return datetime(day.year, day.month, day.day)
            clock = parse_clock(match["clock"])
            return datetime.combine(day, clock) if clock is not None else None
    try:
        return parse_timestamp(value)
    except (OverflowError, ValueError, TypeError, OSError):  # a huge epoch number, a date out of range
        return None


def _time_values(records: list[_Fields]) -> list[str]:
    """The text values of every timestamp column, to see how the file writes its numeric dates."""
    return [v for f in records for k in TIME_KEYS if isinstance(v := f.values.get(k), str)]


def _timestamp_of(fields: _Fields, source: str, line: int | None, where: str,
                  day_first: bool = True) -> Timestamp | None:
    found = fields.first(TIME_KEYS)
    if found is None:
        return None
    key, value = found
    stamp = None if isinstance(value, dict | list) else read_time_value(value, day_first)  # datetime/time too
    if stamp is None:
        raise InputError(
            source,
            f"{_key_path(where, fields.names[key])}: unreadable timestamp {_short(value)}; {TIMESTAMP_EXPECTED}",
            line=line, code="unsupported_structure",
        )
    if key == "time" and isinstance(stamp, time):
        # Separate date and time columns: put them together.
        day = fields.first(("date",))
        day_stamp = read_time_value(day[1], day_first) if day is not None and _is_text_value(day[1]) else None
        if isinstance(day_stamp, datetime) and day_stamp.time() == time(0):
            return datetime.combine(day_stamp.date(), stamp, tzinfo=stamp.tzinfo or day_stamp.tzinfo)
    return stamp


# --- grouping records into conversations ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Record:
    """One record of a JSON Lines or CSV file: a message's fields, or (a JSON Lines line) a whole conversation."""

    line: int
    fields: _Fields
    whole: dict[str, Any] | None = None


@dataclass
class _Group:
    """A conversation's messages while it is being read."""

    id: str | None
    turns: list[RawTurn] = field(default_factory=list)
    channel: Channel | None = None
    orphans: list[int] = field(default_factory=list)

    def add(self, turn: RawTurn, fields: _Fields, line: int, has_id: bool) -> None:
        self.turns.append(turn)
        if self.channel is None:
            self.channel = channel_from_value(fields.values.get("channel"))
        if not has_id:
            self.orphans.append(line)

    def conversation(self, fallback_id: str) -> Conversation:
        warnings: tuple[str, ...] = ()
        if self.orphans:
            lines = ", ".join(str(n) for n in self.orphans[:10]) + (" ..." if len(self.orphans) > 10 else "")
            warnings = (f"{len(self.orphans)} message(s) without a conversation id (line {lines}) were kept with the "
                        "conversation before them",)
        return Conversation(tuple(self.turns), id=self.id or fallback_id, channel=self.channel or "chat",
                            warnings=warnings)


class _Ids:
    """Which conversation each message of a file belongs to, read in file order: the value in the id column; a message
    without one belongs to the conversation of the message before it. The key is that value, or ``None`` for the one
    conversation of a file without an id column."""

    def __init__(self, source: str, id_key: str | None, id_name: str | None, code: str):
        self.source = source
        self.id_key = id_key
        self.id_name = id_name
        self.code = code
        self.last: str | None = None

    def __call__(self, fields: _Fields, line: int) -> tuple[str | None, bool]:
        """The message's conversation key, and whether the message names it (false: it continues the one before)."""
        if self.id_key is None:
            return None, True
        value = fields.values.get(self.id_key)
        if isinstance(value, dict):
            value = _Fields(value).first(("id", "conversation_id"))
            value = value[1] if value is not None else None
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if self.last is None:
                raise InputError(self.source, f"the first message has no conversation id in '{self.id_name}'; "
                                 "expected an id on every message (or at least on each conversation's first)",
                                 line=line, code=self.code)
            return self.last, False
        if not _is_text_value(value):
            raise InputError(self.source, f"'{self.id_name}': expected a conversation id, found {describe(value)}",
                             line=line, code="unsupported_structure")
        self.last = str(value)
        return self.last, True


_DONE = object()


def _conversations(records: Callable[[], Iterator[_Record]], source: str, *, id_key: str | None,
                   id_name: str | None, code: str, stem: str, time_keys: tuple[str, ...],
                   empty: InputError) -> Iterator[Conversation]:
    """The conversations of a file of records (``records()`` reads them from the start each time it is called),
    grouped by conversation id in order of first appearance, each yielded as soon as its last record has been read.

    The records are read twice. The first reading checks every record, so that an error anywhere in the file is
    raised before any conversation is yielded (``empty`` when there is no record); it also learns the order the file
    writes numeric dates in (from the ``time_keys`` fields) and where each conversation ends. The second builds the
    conversations and lets each go once it is yielded, so memory holds the conversations still open (one at a time
    when the file keeps each conversation's messages together) and where each ends, rather than the whole file. A
    conversation without an id is named after ``stem`` (``stem-2`` when the file holds several)."""
    dates = DateOrder()
    ends: dict[str | int | None, int] = {}  # conversation key (a whole one's: its record) -> its last record
    ids = _Ids(source, id_key, id_name, code)
    for index, record in enumerate(records()):
        if record.whole is not None:
            _generic_conversation(record.whole, source, "", f"{stem}-{record.line}", line=record.line)
            ends[index] = index
            continue
        for key in time_keys:
            dates = dates.seen(record.fields.values.get(key))
        _raw_turn(record.fields, source, record.line, "")  # its reading of dates raises the same errors either way
        ends[ids(record.fields, record.line)[0]] = index
    if not ends:
        raise empty
    day_first, ambiguous = dates.decided()
    warnings = (day_first_warning(ambiguous),) if ambiguous is not None else ()
    # only a file without an id column has a conversation without an id (None): named after the file, and numbered
    # by its place when the file also holds whole conversations
    fallback = stem if len(ends) == 1 or None not in ends else f"{stem}-{list(ends).index(None) + 1}"
    keys = iter(ends)
    due = next(keys)  # the next conversation to yield
    groups: dict[str | None, _Group] = {}
    complete: dict[str | int | None, Conversation] = {}
    ids = _Ids(source, id_key, id_name, code)
    for index, record in enumerate(records()):
        if record.whole is not None:
            complete[index] = _generic_conversation(record.whole, source, "", f"{stem}-{record.line}",
                                                    line=record.line)
        else:
            turn = _raw_turn(record.fields, source, record.line, "", day_first)
            key, has_id = ids(record.fields, record.line)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(key)
            group.add(turn, record.fields, record.line, has_id)
            if index == ends[key]:
                complete[key] = groups.pop(key).conversation(fallback)
        while due in complete:
            conversation = complete.pop(due)
            yield replace(conversation, warnings=conversation.warnings + warnings) if warnings else conversation
            due = next(keys, _DONE)


# --- JSON Lines -----------------------------------------------------------------------------------------------------

def _is_conversation_object(fields: _Fields) -> bool:
    return not fields.has_any(TEXT_KEYS + HTML_TEXT_KEYS) and any(
        isinstance(fields.values.get(k), list) for k in TURN_LIST_KEYS)


def _jsonl_records(content: Lines, source: str) -> Iterator[_Record]:
    for number, raw in enumerate(content(), 1):
        if not raw.strip():
            continue
        raw = raw.removesuffix("\n")  # so that a line cut short is reported on its own line
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(source, f"malformed JSON: {exc.msg} (column {exc.colno}); expected one JSON object "
                             "per line", line=number, code="malformed_json") from None
        except (ValueError, RecursionError) as exc:
            raise InputError(source, f"malformed JSON: {exc if isinstance(exc, ValueError) else 'nested too deeply'}",
                             line=number, code="malformed_json") from None
        if not isinstance(obj, dict):
            raise InputError(source, f"expected a JSON object on each line (one message, or one conversation with "
                             f"'turns'), found {describe(obj)}", line=number, code="malformed_json")
        fields = _Fields(obj)
        yield _Record(number, fields, obj if _is_conversation_object(fields) else None)


@parser("jsonl", suffixes=(".jsonl", ".ndjson"), lines=True,
        description="JSON Lines: one message per line (grouped by a conversation id), or one conversation per line")
def read_jsonl(content: Lines, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    records = functools.partial(_jsonl_records, content, source)
    names: dict[str, str] = {}  # every message key, as the first message with it writes it
    for record in records():  # one more reading, for the id column: the first alias any message has
        if record.whole is None:
            for key, name in record.fields.names.items():
                names.setdefault(key, name)
    id_key = next((k for k in CONVERSATION_ID_KEYS if k in names), None)
    conversations = _conversations(
        records, source, id_key=id_key, id_name=names[id_key] if id_key else None, code="unsupported_structure",
        stem=source_stem(source), time_keys=TIME_KEYS,
        empty=InputError(source, "no JSON objects found; expected one message per line", code="no_turns"))
    yield from finish_all(conversations, source=source, format="jsonl", options=options)


# --- CSV / TSV ------------------------------------------------------------------------------------------------------

def _sniff_delimiter(content: Lines, source: str) -> str:
    if source.casefold().endswith(".tsv"):
        return "\t"
    return header_delimiter(content())


def header_delimiter(lines: Iterable[str]) -> str:
    """The delimiter of a CSV file of ``lines``, read from its header, the first line that is not blank (the others
    are not read): the commonest of comma, tab and semicolon (the one spreadsheets save with where a comma is the
    decimal point) outside quotes; a comma when there is none."""
    header = next((line for line in lines if line.strip()), "")
    counts = {d: 0 for d in (",", "\t", ";")}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])  # ties keep the first: comma, then tab
    return best if counts[best] else ","


@parser("csv", suffixes=(".csv", ".tsv"), lines=True,
        description="CSV/TSV with a header: one message per row, grouped by a conversation id column")
def read_csv(content: Lines, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    delimiter = _sniff_delimiter(content, source)

    def rows() -> Iterator[tuple[int, list[str]]]:
        return _csv_rows(csv.reader(content(), delimiter=delimiter, strict=True), source)

    header_line, header = next(rows(), (1, []))
    names = _unique_names(header)
    keys = [normalize_key(n) for n in names]
    key_names = dict(zip(keys, names, strict=True))
    if not any(k in TEXT_KEYS + HTML_TEXT_KEYS for k in keys):
        found = show_keys(n for n in names if n.strip())
        raise InputError(
            source,
            f"no message text column in the header (found columns: {found}); expected a header row naming one of: "
            f"{', '.join(TEXT_KEYS)}",
            line=header_line, code="malformed_csv",
        )
    id_key = next((k for k in CONVERSATION_ID_KEYS if k in keys), None)

    def records() -> Iterator[_Record]:
        body = rows()
        next(body, None)  # the header
        for line, row in body:
            if len(row) > len(names):
                if any(cell.strip() for cell in row[len(names):]):
                    raise InputError(
                        source,
                        f"row has {len(row)} fields but the header has {len(names)}; a message probably contains an "
                        f"unquoted {_delimiter_name(delimiter)} or a stray quote (quote such fields with \"...\")",
                        line=line, code="malformed_csv",
                    )
                row = row[: len(names)]
            yield _Record(line, _Fields.from_row(keys, key_names, row))

    conversations = _conversations(
        records, source, id_key=id_key, id_name=key_names[id_key] if id_key else None, code="malformed_csv",
        stem=source_stem(source), time_keys=tuple(k for k in keys if k in TIME_KEYS),
        empty=InputError(source, "the CSV has a header but no message rows", line=header_line, code="no_turns"))
    yield from finish_all(conversations, source=source, format="csv", options=options)


def _csv_rows(reader: Any, source: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, cells) for every non-blank row, with csv errors as ``InputError``."""
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if "unexpected end of data" in message:
                message = f"a quoted field that starts on line {start} is never closed (a stray '\"'?)"
                line = start
            elif "field larger than field limit" in message:
                message = f"a field is longer than {_CSV_FIELD_LIMIT} characters; expected message text (a stray "\
                          "quote can make the rest of the file one field)"
                line = start
            else:
                message = f"malformed CSV: {message}; expected RFC 4180 quoting (a quote inside a quoted field is "\
                          "written twice: \"\")"
                line = reader.line_num
            raise InputError(source, message, line=line, code="malformed_csv") from None
        if not row or not any(cell.strip() for cell in row):
            continue
        yield start, row


def _unique_names(header: list[str]) -> list[str]:
    seen: set[str] = set()
    names = []
    for i, raw in enumerate(header):
        name = raw.strip().lstrip("\ufeff") or f"column {i + 1}"
        while normalize_key(name) in seen:
            name = f"{name} ({i + 1})"
        seen.add(normalize_key(name))
        names.append(name)
    return names


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", "\t": "tab", ";": "semicolon"}.get(delimiter, repr(delimiter))


# --- generic JSON turns --------------------------------------------------------------------------------------------

def _turn_list_key(fields: _Fields) -> str | None:
    return next((k for k in TURN_LIST_KEYS if isinstance(fields.values.get(k), list)), None)


def _looks_like_conversation(obj: object) -> bool:
    return isinstance(obj, dict) and _is_conversation_object(_Fields(obj))


def _looks_like_turn(obj: object) -> bool:
    return isinstance(obj, dict) and _Fields(obj).has_any(TEXT_KEYS + HTML_TEXT_KEYS)


def looks_generic(obj: object) -> bool:
    """Whether a JSON document is generic turns: a list of turn objects, ``{"turns": [...]}`` (or ``messages``,
    ``conversation``, ``utterances``), a list of such conversations, or ``{"conversations": [...]}`` of them."""
    if is_array(obj):
        # Any recognisable item is enough: parse_generic then names the item that is wrong ("[3]").
        return any(_looks_like_turn(x) or _looks_like_conversation(x) for x in obj)
    if isinstance(obj, dict):
        if _looks_like_conversation(obj):
            return True
        conversations = _Fields(obj).values.get("conversations")
        return is_array(conversations) and bool(conversations) and _looks_like_conversation(conversations[0])
    return False


def parse_generic(obj: object, source: str, options: IngestOptions, *,
                  format: str = "json-turns") -> Iterator[Transcript | Failure]:
    """Transcripts from a generic JSON document (see ``looks_generic``); bad structure raises ``InputError``
    naming the key path (``conversations[2].turns[5]``)."""
    stem = source_stem(source)
    elements: Sequence[object]
    prefix: str | None  # the key path of the list of conversations (None: the document is the one conversation)
    if is_array(obj) and not any(_looks_like_conversation(x) for x in obj):  # type: ignore[attr-defined]
        turns = list(obj)  # type: ignore[call-overload]
        conversations = [_conversation_from_turns(turns, _Fields({}), source, "", stem)]
        yield from finish_all(conversations, source=source, format=format, options=options)
        return
    if is_array(obj):
        elements, prefix = obj, ""  # type: ignore[assignment]
    elif isinstance(obj, dict) and _looks_like_conversation(obj):
        elements, prefix = [obj], None
    elif isinstance(obj, dict) and is_array(_Fields(obj).values.get("conversations")):
        fields = _Fields(obj)
        elements, prefix = fields.values["conversations"], fields.names["conversations"]
    else:
        raise InputError(source, f"expected a list of turns or {{\"turns\": [...]}}, found {describe(obj)}",
                         code="unsupported_structure")
    if not elements:
        raise InputError(source, "the list of conversations is empty; expected at least one", code="no_turns")
    conversations = conversations_of(elements, prefix, lambda item, path, index, count: _generic_conversation(
        item, source, path, stem if count == 1 else f"{stem}-{index + 1}"))
    yield from finish_all(conversations, source=source, format=format, options=options)


def _generic_conversation(obj: object, source: str, path: str, fallback_id: str, *,
                          line: int | None = None) -> Conversation:
    at = f"{path}: " if path else ""
    if not isinstance(obj, dict):
        raise InputError(source, f"{at}expected a conversation object with 'turns', found {describe(obj)}",
                         line=line, code="unsupported_structure")
    fields = _Fields(obj)
    key = _turn_list_key(fields)
    if key is None:
        raise InputError(source, f"{at}expected a conversation object with a list under one of "
                         f"{', '.join(TURN_LIST_KEYS)} (found keys: {show_keys(fields.names.values())})",
                         line=line, code="unsupported_structure")
    list_path = f"{path}.{fields.names[key]}" if path else fields.names[key]
    return _conversation_from_turns(fields.values[key], fields, source, list_path, fallback_id, line=line,
                                    meta_path=path)


def _conversation_from_turns(turns: list[Any], meta: _Fields, source: str, path: str, fallback_id: str, *,
                             line: int | None = None, meta_path: str = "") -> Conversation:
    fields = [_Fields(t) if isinstance(t, Mapping) else None for t in turns]
    day_first, ambiguous = numeric_date_order(_time_values([f for f in fields if f is not None]))
    raw = tuple(raw_turn_from_record(t, source, line, where=f"{path}[{i}]", day_first=day_first, fields=f)
                for i, (t, f) in enumerate(zip(turns, fields, strict=True)))
    ident = meta.first(CONVERSATION_OWN_ID_KEYS)
    conv_id = str(ident[1]).strip() if ident is not None and _is_text_value(ident[1]) else fallback_id
    agents: tuple[str, ...] = ()
    agents_value = meta.values.get("agents")
    if agents_value is not None:
        if isinstance(agents_value, str):
            agents_value = [a for a in agents_value.split(",") if a.strip()]
        if not isinstance(agents_value, list) or not all(_is_text_value(a) for a in agents_value):
            where = f"{meta_path}.agents" if meta_path else "agents"
            raise InputError(source, f"{where}: expected a list of agent names, found {describe(agents_value)}",
                             line=line, code="unsupported_structure")
        agents = tuple(str(a).strip() for a in agents_value)
    channel = channel_from_value(meta.values.get("channel")) or "chat"
    warnings = (day_first_warning(ambiguous),) if ambiguous is not None else ()
    return Conversation(raw, id=conv_id, channel=channel, agents=agents, warnings=warnings)


@parser("json-turns", description="Generic JSON: a list of turns, {\"turns\": [...]}, or a list of conversations")
def read_json_turns(content: str, source: str, options: IngestOptions) -> Iterator[Transcript | Failure]:
    doc = load_json_lazily(content, source)
    del content  # a list is kept as UTF-8 by ``doc``
    if not looks_generic(doc):
        found = f"top-level keys: {show_keys(doc)}" if isinstance(doc, dict) else describe(doc)
        raise InputError(source, f"expected a list of turn objects (each with a text field), {{\"turns\": [...]}} "
                         f"or a list of such conversations; found {found}", code="unsupported_structure")
    yield from parse_generic(doc, source, options, format="json-turns")


__all__ = [
    "JsonArray",
    "LoadedJson",
    "channel_from_value",
    "conversations_of",
    "describe",
    "html_text",
    "is_array",
    "load_json",
    "load_json_file",
    "load_json_lazily",
    "looks_generic",
    "normalize_key",
    "parse_flag",
    "parse_generic",
    "raw_turn_from_record",
    "read_csv",
    "read_json_turns",
    "read_jsonl",
    "show_keys",
]
