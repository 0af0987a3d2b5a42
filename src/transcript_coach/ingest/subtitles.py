"""Call transcripts as subtitles: WebVTT (``.vtt``, read with webvtt-py) and SubRip (``.srt``, read with srt).

Speakers come from WebVTT voice spans (``<v Agent Ravi>``, ``<v.loud Mei>``, several in one cue), or else from a
``Name:`` / ``- Name:`` / ``[Name]`` prefix on a cue line (the same label rules as chat logs). A cue without one
continues the speaker before it, and consecutive cues of one speaker become one turn. Cue times are offsets from the
start of the call, given as ``datetime.time`` values (``00:00:03.120``); a ``NOTE recorded: 2026-04-03T09:14:00Z``
block turns them into date-times. ``NOTE agents: Ravi, Mei`` names the agents and ``NOTE customer: Dana Kim`` (or
``caller:``) the customer; several declarations can share a line as sentences (``Agent: Tom Becker. Customer: Dana
Kim.``), and a value that is not a list of names is ignored. A voice class that is a role word
(``<v.agent Tom Becker>``, ``<v.customer Dana>``) gives that voice's role in every cue (label ``Tom Becker
(agent)``). In WebVTT, a ``-->`` line where a cue timing belongs that webvtt-py cannot read is an error with its
line (webvtt-py drops such a cue silently).

What the libraries do, and what this module adds:

- webvtt-py 0.6 reads the blocks and timings, and silently drops a cue whose timing it cannot read; the timing lines
  it dropped are found here and reported as errors with their line. ``Caption.voice`` only gives the first voice of
  a cue when the cue starts with it, so voice spans are read here from ``raw_text``; ``Caption.text`` strips tags but
  leaves entities (``&amp;``), which are decoded here. NOTE blocks come back as comment strings without lines.
- srt 3.5 matches the whole file with one regular expression that takes quadratic (or worse) time on long runs of
  spaces or digits outside cues, so the file is first checked block by block here, in linear time, with line numbers
  in the errors; only a file that passes is given to ``srt.parse``, with runs of spaces and blank lines collapsed
  (a line starting with a number of more than 32 digits is refused: srt's look-ahead is quadratic on it).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from transcript_coach.errors import InputError
from transcript_coach.ingest.base import Conversation, IngestOptions, RawTurn, finish, parser, source_stem
from transcript_coach.ingest.chat import (
    label_info,
    looks_like_name,
    looks_like_speaker,
    norm_label,
    preview,
    split_speaker,
)
from transcript_coach.ingest.roles import lexicon
from transcript_coach.ingest.records import read_time_value
from transcript_coach.model import Timestamp

CODE = "malformed_subtitles"

# WebVTT timing lines, as far as needed to find the ones webvtt-py could not read.
_VTT_TIMING_LIKE = re.compile(r"\s*[0-9][0-9:.,]*\s*-->")
_VTT_TS = r"(?:(\d{1,10}):)?(\d{1,2}):(\d{1,2})\.(\d{1,3})"
_VTT_TIMING = re.compile(rf"\s*{_VTT_TS}\s*-->\s*{_VTT_TS}")
_VOICE_TAG = re.compile(r"v(?P<classes>(?:\.[^\s.]+)*)(?:[ \t]+(?P<name>.*))?")

# SubRip, as srt reads it: any of its delimiters between the fields, "-->" (or "- >").
_D = "[,.:\uff0c\uff0e\u3002\uff1a]"
_SRT_TS = rf"(?P<h>\d+){_D}(?P<m>\d+){_D}(?P<s>\d+)(?:{_D}(?P<f>\d*))?"
_SRT_TS_START = re.compile(rf"\d+{_D}\d+{_D}\d+")
_SRT_TIMING = re.compile(rf"(?P<start>\d+{_D}\d+{_D}\d+(?:{_D}\d*)?) ?-[ -] ?> ?(?P<end>\d+{_D}\d+{_D}\d+(?:{_D}\d*)?)")
_SRT_INDEX = re.compile(r"-?\d+(?:\.\d*)?")
_SRT_OVERRIDE = re.compile(r"\{\\[^{}]{0,200}\}")  # {\an8} positioning codes
_LONG_NUMBER = 32  # a line starting with a longer run of digits is not subtitle text (and slows srt down)
_HSPACE = re.compile(r"[^\S\n]+")
_EXPECT_SRT = "expected a cue number, a timing line like '00:00:01,000 --> 00:00:04,000', then the cue text"
_EXPECT_VTT = "expected a timing line like '00:00:01.000 --> 00:00:04.000' followed by the cue text"

# Speaker prefixes on cue lines: "- Name: text", ">> Name: text", "[Name] text".
_DASH = re.compile(r"(?:[-\u2013\u2014]|>>)\s*")
_BRACKET_NAME = re.compile(r"\[(?P<label>[^\[\]:]{1,40})\]:?\s+")
_SOUNDS = frozenset(
    """music laughter laughs laughing applause inaudible crosstalk silence noise sighs sigh coughs cough static
    pause beep beeps ringing rings typing hold chuckles chuckling indistinct unintelligible foreign background
    clears throat no audio dial tone phone ringing on hold hold music""".split()
)

_NOTE_AGENT_KEYS = frozenset({"agents", "agent", "agent names", "agent name"})
_NOTE_CUSTOMER_KEYS = frozenset({"customer", "customers", "customer name", "caller", "caller name", "client"})
# "Agent: Tom Becker. Customer: Dana Kim." holds two declarations: split before a "Key:" that follows a sentence end.
_NOTE_SENTENCES = re.compile(r"(?<=[.;])\s+(?=[A-Za-z][A-Za-z ]{0,24}:)")
_NAME_LIST = re.compile(r"[,;&/]|\band\b", re.IGNORECASE)  # no \s* around it: quadratic on long spaces
_NOTE_START_KEYS = frozenset(
    {"recorded", "recorded at", "recording started", "started", "started at", "start", "start time", "call start",
     "call started", "call started at", "date"}
)
_NOTE_ID_KEYS = frozenset({"conversation id", "call id", "id", "ticket", "ticket id", "recording id", "session id"})


@dataclass(slots=True)
class _Cue:
    """A cue as a list of (speaker label or None, text) segments, with its start offset and timing line."""

    start_ms: int
    line: int | None
    segments: list[tuple[str | None, str]]
    end_ms: int | None = None


@dataclass(slots=True)
class _Meta:
    agents: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    start: datetime | None = None
    id: str | None = None
    voice_roles: dict[str, str] = field(default_factory=dict)  # voice name -> role word of its class (<v.agent Tom>)
    end_ms: int | None = None  # when the last cue ends


# --- shared ----------------------------------------------------------------------------------------------------
def _tokens(line: str) -> Iterator[tuple[str, bool]]:
    """Text and tags of one cue line, ``(text, False)`` / ``(tag content, True)``, in linear time."""
    pos = 0
    while True:
        start = line.find("<", pos)
        if start < 0:
            break
        end = line.find(">", start + 1)
        if end < 0:
            break
        if start > pos:
            yield line[pos:start], False
        yield line[start + 1:end], True
        pos = end + 1
    if pos < len(line):
        yield line[pos:], False


def _clean(text: str) -> str:
    return " ".join(text.split())


def _speaker_prefix(line: str, known: set[str], in_message: bool) -> tuple[str, str] | None:
    """``(label, text)`` when a cue line starts with a speaker: ``Name:``, ``- Name:``, ``>> Name:``, ``[Name]``."""
    rest = line
    dash = _DASH.match(rest)
    if dash is not None:
        rest = rest[dash.end():]
    if rest.startswith("["):
        match = _BRACKET_NAME.match(rest)
        if match is not None:
            label = match["label"].strip()
            info = label_info(label)
            if info is not None and not (set(info.key.split(" ")) & _SOUNDS) and looks_like_speaker(
                info, known=known, in_message=in_message
            ):
                return label, rest[match.end():].strip()
        return None
    split = split_speaker(rest)
    if split is None:
        return None
    info = label_info(split[0])
    if info is None or not looks_like_speaker(info, known=known, in_message=in_message):
        return None
    return split


def _prefix_segments(text_lines: list[str], known: set[str], in_message: bool) -> list[tuple[str | None, str]]:
    """Split a cue's (tag-free) lines where a line starts with a speaker prefix."""
    segments: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text_lines:
        found = _speaker_prefix(line.strip(), known, in_message or len(segments) > 1)
        if found is not None:
            label, text = found
            info = label_info(label)
            if info is not None:
                known.add(info.key)
                known.add(info.name_key)
            segments.append((label, [text]))
        else:
            segments[-1][1].append(line)
    return [(label, _clean(" ".join(parts))) for label, parts in segments if label is not None or parts]


def _offset(ms: int, meta: _Meta) -> Timestamp | None:
    if meta.start is not None:
        return meta.start + timedelta(milliseconds=ms)
    hours, rest = divmod(ms, 3_600_000)
    if hours >= 24:
        return None
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return time(hours, minutes, seconds, millis * 1000)


def _to_turns(cues: list[_Cue], meta: _Meta) -> tuple[tuple[RawTurn, ...], list[str]]:
    """Merge consecutive segments of one speaker; a segment without a speaker continues the one before."""
    merged: list[tuple[str | None, list[str], int, int | None]] = []  # label, texts, start ms, line
    last_key: str | None = None
    for cue in cues:
        for label, text in cue.segments:
            if not text:
                continue
            key = None if label is None else norm_label(label)
            if merged and (key is None or key == last_key):
                merged[-1][1].append(text)
                continue
            merged.append((label, [text], cue.start_ms, cue.line))
            last_key = key
    warnings: list[str] = []
    turns = []
    late = 0
    customers = {norm_label(n) for n in meta.customers} - {norm_label(n) for n in meta.agents}
    for label, texts, start_ms, line in merged:
        stamp = _offset(start_ms, meta)
        late += stamp is None
        role = None
        if label is not None and customers:
            info = label_info(label)
            if info is not None and info.role is None and (info.key in customers or info.name_key in customers):
                role = "customer"  # the NOTE block names the customer
        turns.append(RawTurn(text=" ".join(texts), label=label, role=role, timestamp=stamp, line=line))
    ends = [cue.end_ms for cue in cues if cue.end_ms is not None]
    meta.end_ms = max(ends) if ends else None
    if late:
        warnings.append(f"{late} turn(s) start more than 24 hours into the recording; their times are left out")
    if merged and all(label is None for label, *_ in merged):
        warnings.append(
            "no speaker names in the captions (no <v Name> voice tags or 'Name:' prefixes): every turn is "
            "unattributed"
        )
    return tuple(turns), warnings


def _note_names(value: str) -> list[str] | None:
    """The names of a roster value (``Ravi, Mei`` / ``Tom Becker.``), or ``None`` when it is not a list of names."""
    names = [n.strip().rstrip(".!,;:").strip() for n in _NAME_LIST.split(value.strip().rstrip(".!;"))]
    names = [n for n in names if n]
    if not names or len(names) > 8 or not all(looks_like_name(n) for n in names):
        return None
    return names


def _read_notes(comments: list[str], meta: _Meta) -> None:
    """``NOTE agents: Ravi, Mei``, ``NOTE customer: Dana Kim``, ``NOTE recorded: 2026-04-03T09:14:00Z``, ``NOTE call
    id: C-19``; several on one line as sentences (``Agent: Tom Becker. Customer: Dana Kim.``). A roster value that
    is not a list of names is ignored."""
    for comment in comments:
        for line in (piece for text_line in comment.split("\n") for piece in _NOTE_SENTENCES.split(text_line)):
            key, sep, value = line.partition(":")
            if not sep:
                continue
            key, value = norm_label(key), value.strip()
            if key in _NOTE_AGENT_KEYS or key in _NOTE_CUSTOMER_KEYS:
                names = _note_names(value)
                if names is not None:
                    (meta.agents if key in _NOTE_AGENT_KEYS else meta.customers).extend(names)
            elif key in _NOTE_START_KEYS and meta.start is None and ":" in value:
                stamp = read_time_value(re.sub(r"\s*\([^()]*\)\s*$", "", value))  # "17:42 (UK time)"
                if isinstance(stamp, datetime):
                    meta.start = stamp
            elif key in _NOTE_ID_KEYS and value and meta.id is None:
                meta.id = value[:120]


# --- WebVTT ----------------------------------------------------------------------------------------------------
def _voice_segments(raw_lines: list[str], roles: dict[str, str] | None = None
                    ) -> tuple[list[tuple[str | None, str]], bool]:
    """Segments of a cue split at ``<v Name>`` spans (tags removed, entities decoded), and whether it had any. A
    voice class that is a role word (``<v.agent Tom Becker>``, ``<v.customer Dana>``) is noted in ``roles``."""
    segments: list[tuple[str | None, list[str]]] = [(None, [])]
    voiced = False
    for line in raw_lines:
        for token, is_tag in _tokens(line):
            if not is_tag:
                segments[-1][1].append(token)
                continue
            if token[:1] == "v" and (len(token) == 1 or token[1] in ". \t"):
                match = _VOICE_TAG.fullmatch(token)
                name = (match["name"] or "").strip() if match else ""
                if name:
                    voiced = True
                    segments.append((_clean(name), []))
                    if roles is not None and match["classes"]:
                        for cls in match["classes"].split(".")[1:]:
                            word = norm_label(cls.replace("-", " ").replace("_", " "))
                            if lexicon().labels.get(word) in ("agent", "customer", "bot"):
                                roles.setdefault(_clean(name), word)
                                break
        segments[-1][1].append(" ")
    return [(label, _clean(html.unescape("".join(parts)))) for label, parts in segments], voiced


def _vtt_timing_ms(line: str) -> tuple[int, int] | None:
    """Start and end of a timing line in milliseconds, read as webvtt-py reads them."""
    match = _VTT_TIMING.match(line)
    if match is None:
        return None
    g = match.groups()
    return tuple(  # type: ignore[return-value]
        ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(f.ljust(3, "0"))
        for h, m, s, f in (g[:4], g[4:])
    )


def _vtt_reads(line: str) -> bool:
    """Whether webvtt-py reads this timing line on its own (a cue it dropped for its place, not its timing)."""
    try:
        return bool(webvtt.from_string(f"WEBVTT\n\n{line}\nx\n").captions)
    except (MalformedFileError, MalformedCaptionError, ValueError):
        return False


def _vtt_lines(lines: list[str], captions, first: int, source: str) -> list[int | None]:
    """The line of each caption's timing line; an error for a timing line webvtt-py could not read."""
    found: list[int | None] = [None] * len(captions)
    index = 0
    position = 0  # the line's place in its block (1 = first line)
    block_first = ""
    for number, line in enumerate(lines, start=first):
        if not line.strip():
            position = 0
            continue
        position += 1
        if position == 1:
            block_first = line
        if "-->" not in line or block_first.startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        # A cue's timing line is its first line, or its second after a cue identifier: there any "-->" line that
        # is not a timing webvtt-py reads (it drops such cues silently) is an error.
        timing_place = position == 1 or (position == 2 and "-->" not in block_first)
        if not (timing_place or _VTT_TIMING_LIKE.match(line)):
            continue
        timing = _vtt_timing_ms(line)
        if index < len(captions) and timing == (
            captions[index].start_time.in_milliseconds(), captions[index].end_time.in_milliseconds()
        ):
            found[index] = number
            index += 1
            continue
        if timing is None or not _vtt_reads(line):
            raise InputError(source, f"cue timing {preview(line, 60)!r} could not be read; {_EXPECT_VTT}",
                             line=number, code=CODE)
    return found


def parse_vtt(text: str, source: str) -> Conversation:
    all_lines = text.split("\n")
    if all_lines and all_lines[0].startswith("\ufeff"):
        all_lines[0] = all_lines[0][1:]
    skip = 0
    while skip < len(all_lines) and not all_lines[skip].strip():
        skip += 1  # blank lines before the header are tolerated
    lines = all_lines[skip:]
    if not lines:
        raise InputError(source, "file is empty; expected the file to start with 'WEBVTT'", line=1, code=CODE)
    if not lines[0].startswith("WEBVTT"):
        raise InputError(source, f"expected the file to start with 'WEBVTT', got {preview(lines[0], 60)!r}",
                         line=skip + 1, code=CODE)
    try:
        document = webvtt.from_buffer(io.StringIO("\n".join(lines)))
    except (MalformedFileError, MalformedCaptionError, ValueError) as exc:
        raise InputError(source, f"malformed WebVTT: {exc}", line=skip + 1, code=CODE) from None
    captions = list(document.captions)
    numbers = _vtt_lines(lines, captions, skip + 1, source)
    if not captions:
        raise InputError(source, f"no cues found; {_EXPECT_VTT}", code=CODE)

    meta = _Meta()
    comments = list(document.header_comments) + list(document.footer_comments)
    for item in [*document.styles, *document.regions, *captions]:
        comments.extend(getattr(item, "comments", []) or [])
    _read_notes(comments, meta)

    voiced_cues = [_voice_segments(c.lines, meta.voice_roles) for c in captions]
    any_voice = any(voiced for _, voiced in voiced_cues)
    known: set[str] = {norm_label(a) for a in meta.agents + meta.customers}
    cues: list[_Cue] = []
    for caption, number, (segments, _) in zip(captions, numbers, voiced_cues, strict=True):
        start_ms = caption.start_time.in_milliseconds()
        if not any_voice:
            plain = [_clean(html.unescape("".join(t for t, tag in _tokens(line) if not tag))) for line in caption.lines]
            segments = _prefix_segments([p for p in plain if p], known, bool(cues))
        elif meta.voice_roles:  # every cue of a voice that a class names: "Tom Becker (agent)"
            segments = [(f"{label} ({meta.voice_roles[label]})" if label in meta.voice_roles else label, text)
                        for label, text in segments]
        cues.append(_Cue(start_ms, number, segments, caption.end_time.in_milliseconds()))
    turns, warnings = _to_turns(cues, meta)
    return Conversation(turns=turns, id=meta.id or source_stem(source), channel="voice",
                        agents=tuple(dict.fromkeys(meta.agents)), warnings=tuple(warnings),
                        ended_at=_call_end(meta))


# --- SubRip ----------------------------------------------------------------------------------------------------
def _srt_check(lines: list[str], source: str) -> tuple[list[int], str, list[int]]:
    """Check the block structure in linear time: the timing lines' numbers, the text to give ``srt.parse`` and the
    line number in the file of each of its lines.

    Lines are trimmed and runs of spaces and of blank lines collapsed (srt is slow on long whitespace runs). The
    rules are srt's: a cue starts with a timing line at the start of a block, or with a number line followed by a
    timing line; any other line is text of the cue before it.
    """
    clean = [_HSPACE.sub(" ", raw).strip() for raw in lines]
    out: list[str] = []
    origin: list[int] = []
    timing_lines: list[int] = []
    block_start = True
    timing_next = False
    seen_cue = False
    for i, line in enumerate(clean):
        if not line:
            if not block_start:
                out.append("")
                origin.append(i + 1)
            block_start = True
            continue
        number = i + 1
        run = len(line.lstrip("-")) - len(line.lstrip("-").lstrip("0123456789."))
        if run > _LONG_NUMBER:
            raise InputError(source, f"a line starting with a {run}-digit number is not subtitle text; "
                             f"{_EXPECT_SRT}", line=number, code=CODE)
        if timing_next or (block_start and _SRT_TS_START.match(line)):
            _srt_timing(line, number, source)
            timing_lines.append(number)
            seen_cue = True
            timing_next = False
        elif _SRT_INDEX.fullmatch(line) and i + 1 < len(clean) and _SRT_TS_START.match(clean[i + 1]):
            timing_next = True  # the cue number; its timing is on the next line
        elif not seen_cue:
            raise InputError(source, f"expected a subtitle cue, got {preview(line, 60)!r}; {_EXPECT_SRT}",
                             line=number, code=CODE)
        out.append(line)
        origin.append(number)
        block_start = False
    return timing_lines, "\n".join(out) + "\n", origin


def _srt_timing(line: str, number: int, source: str) -> None:
    match = _SRT_TIMING.match(line)
    if match is None:
        raise InputError(source, f"cue timing {preview(line, 60)!r} could not be read; expected "
                         "'00:00:01,000 --> 00:00:04,000'", line=number, code=CODE)
    for part in (match["start"], match["end"]):
        hours = re.match(r"\d+", part)
        if hours is not None and len(hours.group(0)) > 5:
            raise InputError(source, f"cue time {part!r} is out of range; expected 'HH:MM:SS,mmm'", line=number,
                             code=CODE)


def _srt_start(line: str) -> timedelta | None:
    match = _SRT_TIMING.match(line)
    if match is None:
        return None
    try:
        return srt.srt_timestamp_to_timedelta(match["start"])
    except (ValueError, OverflowError):
        return None


def parse_srt(text: str, source: str) -> Conversation:
    lines = text.split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    timing_lines, checked, origin = _srt_check(lines, source)
    try:
        subtitles = list(srt.parse(checked))
    except srt.SRTParseError as exc:  # not expected after _srt_check, which applies the same rules
        unmatched = exc.unmatched_content
        at = checked.count("\n", 0, exc.expected_start + len(unmatched) - len(unmatched.lstrip()))
        raise InputError(source, f"malformed SubRip near {preview(unmatched, 60)!r}; {_EXPECT_SRT}",
                         line=origin[at] if at < len(origin) else None, code=CODE) from None
    except (ValueError, OverflowError) as exc:
        raise InputError(source, f"malformed SubRip: {exc}; {_EXPECT_SRT}", code=CODE) from None
    if not subtitles:
        raise InputError(source, f"no subtitle cues found; {_EXPECT_SRT}", code=CODE)

    numbers: list[int | None] = []
    pending = [(n, _srt_start(lines[n - 1].strip())) for n in timing_lines]
    position = 0
    for subtitle in subtitles:
        number = None
        for j in range(position, min(position + 3, len(pending))):
            if pending[j][1] == subtitle.start:
                number, position = pending[j][0], j + 1
                break
        numbers.append(number)

    known: set[str] = set()
    cues: list[_Cue] = []
    for subtitle, number in zip(subtitles, numbers, strict=True):
        content = _SRT_OVERRIDE.sub("", subtitle.content)
        plain = [_clean("".join(t for t, tag in _tokens(line) if not tag)) for line in content.split("\n")]
        start_ms = int(subtitle.start.total_seconds() * 1000 + 0.5)
        end_ms = int(subtitle.end.total_seconds() * 1000 + 0.5)
        cues.append(_Cue(start_ms, number, _prefix_segments([p for p in plain if p], known, bool(cues)), end_ms))
    meta = _Meta()
    turns, warnings = _to_turns(cues, meta)
    return Conversation(turns=turns, id=source_stem(source), channel="voice", warnings=tuple(warnings),
                        ended_at=_call_end(meta))


def _call_end(meta: _Meta) -> Timestamp | None:
    """When the last cue ends: the call's end, later than the last turn's start."""
    return _offset(meta.end_ms, meta) if meta.end_ms is not None else None


@parser("vtt", suffixes=(".vtt",), description="WebVTT captions of a call (voice spans or 'Name:' prefixes)")
def read_vtt(content: str, source: str, options: IngestOptions):
    """WebVTT captions of a call."""
    yield finish(parse_vtt(content, source), source=source, format="vtt", options=options)


@parser("srt", suffixes=(".srt",), description="SubRip captions of a call ('Name:' prefixes)")
def read_srt(content: str, source: str, options: IngestOptions):
    """SubRip captions of a call."""
    yield finish(parse_srt(content, source), source=source, format="srt", options=options)
