"""What every parser shares: options, the raw turn a parser emits, the parser registry, and ``finish``.

A parser reads one input and yields transcripts made with ``finish``, which resolves roles in one place for every
format (see ``roles.py``) and numbers the turns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from transcript_coach.errors import InputError
from transcript_coach.ingest.compression import inner_name
from transcript_coach.limits import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TURN_CHARS, DEFAULT_MAX_TURNS
from transcript_coach.model import Channel, Failure, Role, Timestamp, Transcript, Turn

# re-exported: the limits ingest applies
__all__ = ["DEFAULT_MAX_FILE_BYTES", "DEFAULT_MAX_TURNS", "DEFAULT_MAX_TURN_CHARS"]


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """How to read inputs: role rosters, limits and an optional forced format.

    ``max_file_bytes``: a larger file (decompressed, for a compressed one) is refused (``too_large``);
    ``max_turns``: a conversation of more messages is refused (``too_long``; a file's other conversations are read);
    ``max_turn_chars``: a longer message is cut to this many characters, with a warning in the report naming the turn.
    """

    agents: tuple[str, ...] = ()
    agent_pattern: re.Pattern[str] | None = None
    agent_domains: tuple[str, ...] = ()
    format: str | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS
    max_turns: int = DEFAULT_MAX_TURNS

    def __post_init__(self) -> None:
        """Options given from Python, checked here rather than met as an error on every file: lists become tuples,
        a pattern given as text is compiled."""
        for name in ("agents", "agent_domains"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"IngestOptions: {name} takes a sequence of strings, not one string")
            object.__setattr__(self, name, tuple(value))
        if isinstance(self.agent_pattern, str):
            try:
                object.__setattr__(self, "agent_pattern", re.compile(self.agent_pattern))
            except re.error as exc:
                raise ValueError(f"IngestOptions: agent_pattern is not a valid regular expression: {exc}") from None
        elif self.agent_pattern is not None and not isinstance(self.agent_pattern, re.Pattern):
            raise TypeError(f"IngestOptions: agent_pattern must be a regular expression, got {self.agent_pattern!r}")
        if self.format is not None and PARSERS and self.format not in PARSERS:
            raise ValueError(f"IngestOptions: unknown format {self.format!r}; expected one of "
                             f"{', '.join(sorted(PARSERS))}")
        for name in ("max_file_bytes", "max_turn_chars", "max_turns"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"IngestOptions: {name} must be a whole number of at least 1, got {value!r}")


# What Python holds for half of an escape pair in JSON ("\\ud83d") and for the bytes of a file name that are not UTF-8
_SURROGATES = "\ud800-\udfff"
# Control characters but tab, line breaks and form feeds (\t \n \v \f \r, NEL): escape codes (ESC, CSI) that would
# drive the terminal a table or review queue is read in, and the rest, which no support conversation means
_CONTROLS = "\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f"
_LONE_SURROGATE = re.compile(f"[{_SURROGATES}]")
_CONTROL = re.compile(f"[{_CONTROLS}]")
_UNSHOWABLE = re.compile(f"[{_SURROGATES}{_CONTROLS}]")


def source_stem(source: str) -> str:
    """The conversation id for a file that does not name one: its name without the extension (and without a
    compression suffix: ``chats.txt.gz`` gives ``chats``), or ``stdin``. Bytes of the name that are not UTF-8 are
    U+FFFD in it."""
    if source in ("", "-", "<stdin>", "stdin"):
        return "stdin"
    return _LONE_SURROGATE.sub("\N{REPLACEMENT CHARACTER}", Path(inner_name(Path(source).name)).stem) or "stdin"


def too_large(source: str, size: int | None, limit: int, *, decompressed: bool = False) -> InputError:
    """The ``too_large`` error of an input over ``limit`` bytes (``size``: its size, when known)."""
    if decompressed:
        found = "decompressed, the file is"
    else:
        found = f"file is {size / 1048576:.1f} MB," if size is not None else "input is"
    return InputError(source, f"{found} over the {limit / 1048576:g} MB limit; split the export or raise the limit "
                      "with --max-file-size", code="too_large")


@dataclass(frozen=True, slots=True)
class RawTurn:
    """A message as a parser found it, before roles are resolved.

    ``label`` is the speaker as written (``"Agent (Tom)"``); ``role`` is set when the format itself says who wrote
    it (a helpdesk's author type); ``address`` is the author's email address when known.
    """

    text: str
    label: str | None = None
    role: Role | None = None
    timestamp: Timestamp | None = None
    internal: bool = False
    line: int | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class ParserSpec:
    name: str
    read: Callable[..., Iterable[Transcript | Failure]]
    suffixes: tuple[str, ...]
    binary: bool
    description: str
    lines: bool = False
    json: bool = False


PARSERS: dict[str, ParserSpec] = {}


def parser(name: str, *, suffixes: tuple[str, ...] = (), binary: bool = False, lines: bool = False,
           json: bool = False, description: str = ""):
    """Register ``fn(content, source, options) -> Iterable[Transcript | Failure]`` as the parser for format ``name``.

    ``content`` is the decoded text; the raw bytes when ``binary`` is true (email carries its own charsets); a
    ``decoding.Lines`` when ``lines`` is true (a format of many conversations, read a line at a time, and from disk
    when it is a UTF-8 file, so that a big export is never held whole); a JSON document as ASCII text when ``json``
    is true (``decoding.decode_json``: non-ASCII characters as JSON escapes), or, for a list of conversations in a
    regular UTF-8 file, the document read from disk (``records.LoadedJson``, see ``records.load_json_file``).
    """

    def register(fn: Callable[..., Iterable[Transcript | Failure]]) -> Callable[..., Iterable[Transcript | Failure]]:
        if name in PARSERS:
            raise ValueError(f"parser {name!r} registered twice")
        PARSERS[name] = ParserSpec(name, fn, suffixes, binary, description or (fn.__doc__ or "").strip(), lines,
                                   json)
        return fn

    return register


@dataclass(frozen=True, slots=True)
class Conversation:
    """Turns of one conversation plus what the parser knows about it, ready for ``finish``."""

    turns: tuple[RawTurn, ...]
    id: str
    channel: Channel = "chat"
    agents: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = ()
    ended_at: Timestamp | None = None  # the end, when the source records it beyond the last message's start


def finish(conversation: Conversation, *, source: str, format: str, options: IngestOptions) -> Transcript:
    """Replace what cannot be shown (``_showable``), resolve roles, drop empty messages and number the turns; raise
    ``InputError`` if nothing is left, or too much is."""
    from transcript_coach.ingest.roles import resolve_roles

    conversation, replaced, controls = _showable(conversation)
    raw = [t for t in conversation.turns if t.text.strip()]
    if not raw:
        raise InputError(source, f"conversation {conversation.id!r} has no messages with text", code="no_turns")
    if len(raw) > options.max_turns:
        raise InputError(source, f"conversation {conversation.id!r} has {len(raw):,} messages, over the limit of "
                         f"{options.max_turns:,} (raise it with --max-turns): is it one conversation? An export "
                         "whose conversations are not told apart (no conversation id column) reads as one",
                         code="too_long")
    warnings = list(conversation.warnings)
    if replaced:
        warnings.append(f"{replaced} character(s) that are not valid Unicode (lone UTF-16 surrogates, such as half of "
                        "an emoji cut off by the system that exported it) replaced with \N{REPLACEMENT CHARACTER}")
    if controls:
        warnings.append(f"{controls} control character(s) (such as the escape codes that drive a terminal) replaced "
                        "with \N{REPLACEMENT CHARACTER}")
    ordered = _in_time_order(raw)
    if ordered is not raw:
        raw = ordered
        warnings.append("messages were not in time order in the source (e.g. newest first); sorted by timestamp")
    resolved, role_warnings = resolve_roles(raw, options, extra_agents=conversation.agents)
    turns = tuple(
        Turn(
            index=i,
            role=role,
            text=_cut(t.text.strip("\n").rstrip(), i, t.line, options.max_turn_chars, warnings),
            speaker=speaker,
            timestamp=t.timestamp,
            internal=internal,
            line=t.line,
        )
        for i, (t, (role, speaker, internal)) in enumerate(zip(raw, resolved, strict=True))
    )
    warnings += role_warnings
    public_roles = {t.role for t in turns if not t.internal}
    if "customer" not in public_roles:
        warnings.append("one-sided conversation: no customer messages, so skills that need the customer are not scored")
    elif not public_roles & {"agent", "bot"}:
        warnings.append("one-sided conversation: no agent replies, so the agent's skills are not scored")
    return Transcript(
        id=conversation.id,
        turns=turns,
        source=source,
        format=format,
        channel=conversation.channel,
        warnings=tuple(warnings),
        ended=conversation.ended_at,
    )


def _showable(conversation: Conversation) -> tuple[Conversation, int, int]:
    """``conversation`` with every lone surrogate and control character in its texts, names and id replaced by
    U+FFFD, and how many of each there were. A JSON export may hold half of an emoji's escape pair (``"\\ud83d"``, the
    text cut by the system that exported it), which Python decodes to a lone surrogate: UTF-8 has no bytes for one,
    and spaCy refuses it. It may hold a control character too (``"\\u001b[2J"``, a customer's name chosen to clear
    the screen of whoever reads the table or review queue in a terminal)."""
    found = controls = 0

    def valid(text: str) -> str:
        nonlocal found, controls
        if _UNSHOWABLE.search(text) is None:
            return text
        text, count = _LONE_SURROGATE.subn("\N{REPLACEMENT CHARACTER}", text)
        found += count
        text, count = _CONTROL.subn("\N{REPLACEMENT CHARACTER}", text)
        controls += count
        return text

    def valid_turn(turn: RawTurn) -> RawTurn:
        text, label, address = valid(turn.text), _maybe(valid, turn.label), _maybe(valid, turn.address)
        if (text, label, address) == (turn.text, turn.label, turn.address):
            return turn
        return replace(turn, text=text, label=label, address=address)

    turns = tuple(valid_turn(turn) for turn in conversation.turns)
    ident = valid(conversation.id)
    agents = tuple(valid(name) for name in conversation.agents)
    warnings = tuple(valid(warning) for warning in conversation.warnings)
    if not found and not controls:  # nearly always: nothing is rebuilt
        return conversation, 0, 0
    return replace(conversation, turns=turns, id=ident, agents=agents, warnings=warnings), found, controls


def _maybe(function: Callable[[str], str], text: str | None) -> str | None:
    return None if text is None else function(text)


def _cut(text: str, index: int, line: int | None, limit: int, warnings: list[str]) -> str:
    """The text of turn ``index``, cut to ``limit`` characters with a warning when it is longer."""
    if len(text) <= limit:
        return text
    where = f"turn {index + 1}" + (f" (line {line})" if line is not None else "")  # counted from 1, as notes do
    warnings.append(f"{where} is {len(text):,} characters long; only its first {limit:,} were kept "
                    "(raise the limit with --max-turn-chars)")
    return text[:limit].rstrip()


def _in_time_order(turns: list[RawTurn]) -> list[RawTurn]:
    """The turns sorted by timestamp (stable) when every one has a full date-time and the source order is not
    chronological; otherwise the same list. Clock-only times are left in file order: midnight makes them ambiguous."""
    stamps = [t.timestamp for t in turns]
    if not all(isinstance(s, datetime) for s in stamps):
        return turns
    keys = [s.replace(tzinfo=None) - (s.utcoffset() or timedelta(0)) for s in stamps]  # type: ignore[union-attr]
    if all(a <= b for a, b in zip(keys, keys[1:])):
        return turns
    return [turn for _, _, turn in sorted(zip(keys, range(len(turns)), turns))]


def finish_all(
    conversations: Iterable[Conversation], *, source: str, format: str, options: IngestOptions
) -> Iterator[Transcript | Failure]:
    """``finish`` for each conversation of a file; one that has no text (a ticket with only attachments, say) gives
    a ``Failure`` in its place, naming it, and the file's other conversations are still read."""
    for conversation in conversations:
        try:
            yield finish(conversation, source=source, format=format, options=options)
        except InputError as exc:
            yield Failure(source=exc.source, code=exc.code, message=str(exc), line=exc.line)


def load_json_document(text: str, source: str) -> object:
    """Parse JSON text, turning syntax errors into an ``InputError`` with the line and what was expected."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"malformed JSON: {exc.msg} (column {exc.colno})", line=exc.lineno,
                         code="malformed_json") from None
    except ValueError as exc:  # an integer over Python's 4300-digit limit is not a JSONDecodeError
        raise InputError(source, f"malformed JSON: {exc}", code="malformed_json") from None
    except RecursionError:
        raise InputError(source, "JSON nested too deeply to be a transcript export", code="malformed_json") from None
