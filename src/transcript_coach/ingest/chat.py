"""Plain-text chat logs: ``Speaker: message`` lines with optional timestamps, header lines and system events.

A line starts a new message when it reads ``[timestamp] Speaker: text`` (or ``Speaker [timestamp]: text``) and the
speaker label is believable: a role word (``Agent``, ``Customer (Dana)``, ``Lumora Assistant (bot)``), a speaker
already seen, an agent the header or the roster names, or a short proper name (``Dana``, ``Mary-Jane O'Neil``).
Every other line continues the message before it, so ``Note: the router...`` or ``Steps: 1. ...`` inside a message
stay in it. When the log stamps its messages, a line without a timestamp only starts a message for a speaker already
seen. Lines before the first message are the header: a title (its date is kept), ``Date:``, ``Agents:``,
``Conversation ID:`` and similar keys; ``Agent: Tom`` and ``Customer: Dana`` declare roles when that name then
speaks (otherwise the line is a message). ``*** Chat transferred to Priya ***``, ``--- Tom has joined ---``,
``[System] ...`` and ``System: ...`` become turns labelled ``System``.

``split_speaker`` and ``looks_like_speaker`` are shared with the subtitle parser (``Name: text`` cue prefixes).

Timestamps: clock times (``[09:14]``, ``(08:01:15 AM)``), ISO 8601 (with ``Z``, an offset or ``UTC``), month names
(``[Apr 3, 2026 9:14 AM]``) and numeric dates as WhatsApp and others write them (``3/14/26, 9:14 AM - ``,
``[14.03.26, 09:14:11]``, ``03/04/2026, 09:14 - ``). Numeric dates are read day first (``03/04/2026`` is 3 April)
unless a date in the file can only be read month first (``3/14/26``): one rule for the whole file, also used for
CSV date columns (``numeric_date_order``). A file whose dates could all be read both ways gets a warning.
``parse_chat_block`` reads chat lines kept inside another export (a Zendesk comment holding a chat transcript).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo

from transcript_coach.errors import InputError
from transcript_coach.ingest.base import Conversation, IngestOptions, RawTurn, finish, parser, source_stem
from transcript_coach.ingest.roles import lexicon, parse_label
from transcript_coach.ingest.timestamps import parse_clock, parse_timestamp
from transcript_coach.model import Timestamp

MAX_LABEL_CHARS = 40
MAX_LABEL_WORDS = 5
_COLON_WINDOW = MAX_LABEL_CHARS + 24  # room for "Tom [2026-04-03 09:14:02]" before the colon

# --- timestamps ------------------------------------------------------------------------------------------------
_AMPM = r"(?:\s?[AaPp]\.?[Mm]\.?)"
_CLOCK = rf"\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d{{1,6}})?)?{_AMPM}?"
_ZONE = r"(?:Z|[+-]\d{2}:?\d{2}|\s?(?:UTC|GMT))"
_ISO = rf"\d{{4}}-\d{{2}}-\d{{2}}[T ]{_CLOCK}{_ZONE}?"
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]{0,6}\.?"
# 03/04/2026, 3/14/26, 14.03.26, 03-04-2026: day and month in an order the file decides (see numeric_date_order)
_NUMERIC = r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
_SLASH = rf"{_NUMERIC},?\s{_CLOCK}"
_NAMED = rf"(?:{_MONTHS}\s\d{{1,2}},?\s\d{{4}}|\d{{1,2}}\s{_MONTHS}\s\d{{4}}),?\s(?:at\s)?{_CLOCK}{_ZONE}?"
_STAMP = rf"(?P<ts>{_ISO}|{_SLASH}|{_NAMED}|{_CLOCK})"
# a zone named by its abbreviation ("CEST", "PDT"; UTC and GMT are _ZONE's): only inside brackets, where it cannot be
# a speaker's name
_ZONE_NAME = r"\s(?!(?:AM|PM|UTC|GMT)\b)[A-Z]{2,5}"
_BRACKETED_STAMP = rf"(?P<ts>(?:{_ISO}|{_SLASH}|{_NAMED}|{_CLOCK})(?:{_ZONE_NAME})?)"
# "[09:14] ", "(2026-04-03T09:14:02Z) ", "[10:42 AM] - ", "[3/14/26, 9:14:11 AM] ", "[2026-04-03 09:14 CEST] "
_BRACKET_TS = re.compile(rf"\s*[\[(]\s?{_BRACKETED_STAMP}\s?[\])](?:\s*[-\u2013\u2014|](?=\s))?\s*")
# "09:14 ", "10:42 AM ", "2026-04-03 09:14:02 ", "03/04/2026, 09:14 - ", "3/14/26, 9:14 AM - "
_PLAIN_TS = re.compile(rf"\s*{_STAMP}(?:\s*[-\u2013\u2014|])?\s+")
# "Tom [09:14]: hi", "Tom (09:14): hi", "Agent (Tom) [09:14]: hi"
_LABEL_TS = re.compile(
    r"(?P<label>[^\s:\[\]()][^:\[\]()]{0,39}?(?:\s?[(\[][^:\[\]()]{1,30}[)\]])?)"
    rf"\s*[\[(]\s?{_BRACKETED_STAMP}\s?[\])]\s*:(?=\s|$)"
)
_CLOCK_ONLY = re.compile(rf"{_CLOCK}")
_NUMERIC_DATE_CLOCK = re.compile(rf"(?P<date>{_NUMERIC}),?\s(?P<clock>{_CLOCK})")
_NUMERIC_DATE = re.compile(r"(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4}|\d{2})")
_TRAILING_ZONE = re.compile(r"\s?(?:UTC|GMT)$")
_TRAILING_ZONE_NAME = re.compile(rf"{_ZONE_NAME}$")
# Where a log's own dates are: at the start of a line (a message stamp) or in a Date:/Started: header.
_LEADING_NUMERIC_DATE = re.compile(
    r"^[ \t]*(?:[\[(][ \t]?|(?:date|started|start time|started at|created|created at)[ \t]*:[ \t]*)?"
    r"(\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2}))(?![\d:])",
    re.IGNORECASE | re.MULTILINE,
)
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")

# --- dates in titles and Date: headers -------------------------------------------------------------------------
_DATE_IN_TEXT = re.compile(
    rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{4}}|\d{{1,2}}\s{_MONTHS}\s\d{{4}}|"
    rf"{_MONTHS}\s\d{{1,2}},?\s\d{{4}})\b",
    re.IGNORECASE,
)

# --- system lines ----------------------------------------------------------------------------------------------
_SYSTEM_TAG = re.compile(r"\s*[\[(<](?P<tag>[A-Za-z ]{2,20})[\])>]\s*:?\s*")
_INTERNAL_TAG = re.compile(r"\s*[\[(](?P<tag>internal(?: note)?|private(?: note)?|whisper)[\])]\s*", re.IGNORECASE)
_EVENTS = (
    re.compile(r"(?:[^:]{1,60}\s)?(?:has\s|have\s)?(?:joined|left|entered|exited)\s(?:the\s)?"
               r"(?:chat|conversation|room|session|call)\b", re.IGNORECASE),
    re.compile(r"(?:the\s)?(?:chat|conversation|session|call)\s(?:was\s|has\sbeen\s|is\s)?"
               r"(?:transferred|ended|started|closed|assigned|reassigned|escalated|queued|disconnected|resumed)\b",
               re.IGNORECASE),
    re.compile(r"(?:[^:]{1,60}\s)?(?:transferred|assigned|escalated)\s(?:the\s)?(?:chat|conversation)\b",
               re.IGNORECASE),
    re.compile(r"(?:customer|visitor|user|agent|caller)\s(?:disconnected|closed the chat|left|timed out)\b",
               re.IGNORECASE),
)

# --- labels ----------------------------------------------------------------------------------------------------
_SPACES = re.compile(r"\s+")
_TRAILING_GROUP = re.compile(r"\s*[(\[](?P<inner>[^()\[\]]{1,30})[)\]]$")
_NUMBERED_SPEAKER = re.compile(r"(?:speaker|participant|person|voice|spk|party)[\s_-]?\d{1,3}", re.IGNORECASE)
_LOOSE_WORD = re.compile(r"[\w.'\u2019@\-]+")
_DASHES = frozenset("-\u2013\u2014")  # a dash between words inside a label's brackets: "Agent (Support - Kim)"
_FORBIDDEN = frozenset('?!;,"\u201c\u201d\u2026*<>{}=+\\~^%$/`|#')
_PARTICLES = frozenset(
    "de da das do dos van von der den la le del della di du bin ibn al el ten ter y e st st. mc".split()
)
# Words that start ordinary sentences ending in a colon ("Note: ...", "Steps: ...", "Your order: ...").
_PROSE_FIRST = frozenset(
    """note notes nb n.b ps p.s pps p.p.s step steps update updated edit edited important warning caution attention
    tip tips hint example examples e.g eg i.e ie answer question q result results reason reasons summary recap
    error errors status ref reference order orders account address email e-mail phone mobile tel total subtotal
    price cost amount name date time fyi re fw fwd subject option options solution problem issue issues cause fix
    workaround details detail link links url website password username login here here's heres also however then
    next first second third finally now so but and or yes no ok okay thanks thank please sorry well actually
    basically honestly tracking ticket case confirmation code model serial version postcode zip location
    instructions requirements features pros cons benefits plan package delivery shipping payment refund balance
    due deadline policy terms conclusion quote comments comment feedback context background goal to from cc bcc
    sent reminder disclaimer why what how when where who which because remember key input output expected actual
    before after today tomorrow yesterday tonight morning afternoon evening monday tuesday wednesday thursday
    friday saturday sunday message text title description category type priority severity size colour color
    quantity qty sku item items product products device router modem speed download upload ping signal wifi
    network ssid ip mac dns firmware software hardware browser app agenda overview timeline eta estimated current
    new old previous original the a an this that these those my your our their his its i we they he she it
    there if in on at for with by about as of all some any each every most step-by-step attached attachment
    hours opening closing open closed cancellation cancelled returns return warranty invoice receipt agents
    channel conversation chat session transcript started start ended end duration language queue department
    brand source rating tags exported created good hello hi hey dear welcome great perfect sure excellent awesome
    wow oh ah hmm""".split()
)
_PROSE_LAST = frozenset(
    """chat transcript log logs conversation export history session record details info id no number name email
    address phone code ref reference type status date time""".split()
)
# Role words that also head ordinary lines ("Contact: ...", "Service: Fibre 150"): only a speaker when stamped,
# already seen, or before the first message.
_PROSE_ROLE_WORDS = frozenset({"info", "contact", "service", "event", "lead", "notification"})

_SHAPE_NONE, _SHAPE_LOOSE, _SHAPE_NAME = 0, 1, 2

# --- header keys -----------------------------------------------------------------------------------------------
_HEADER_KEYS = frozenset(
    {
        "date", "agents", "agent names", "agent name", "assigned agent", "assigned to", "channel", "ticket",
        "ticket id", "ticket number", "ticket no", "conversation", "conversation id", "chat id", "chat",
        "session id", "session", "subject", "transcript", "started", "start time", "started at", "start",
        "ended", "ended at", "end time", "duration", "language", "title", "queue", "department", "brand",
        "customer name", "customer email", "visitor name", "source", "rating", "tags", "status", "priority",
        "exported", "exported at", "created", "created at", "case", "case id", "case number", "reference",
        "customer id", "user id", "visitor id", "account", "account number", "order", "order number", "email",
        "phone", "name", "location", "device", "browser", "url", "page", "ip", "platform", "wait time", "group",
        "team", "topic", "category", "type", "reason", "contact reason", "product", "plan", "csat",
    }
)
_ID_KEYS = frozenset(
    {"conversation id", "conversation", "chat id", "ticket", "ticket id", "ticket number", "ticket no",
     "session id", "case id", "case number", "case"}
)
_DATE_KEYS = frozenset({"date", "started", "start time", "started at", "start", "created", "created at"})
_AGENTS_KEYS = frozenset({"agents", "agent names", "assigned agent", "assigned to"})
_SINGLE_AGENT_KEYS = frozenset({"agent", "agent name", "rep", "representative", "advisor"})
# "Customer: Dana" in the header names the customer when Dana then speaks (else it is the customer's message).
_CUSTOMER_KEYS = frozenset({"customer", "client", "caller", "visitor", "requester"})
_CUSTOMER_NAME_KEYS = frozenset({"customer name", "visitor name", "client name", "caller name"})
_GREETINGS = frozenset(
    "hi hello hey hiya yes no ok okay thanks thank good morning afternoon evening welcome sure great sorry".split()
)
_MAX_AGENT_HEADER_LINES = 50  # "Agent: Tom" is read as a header only among the first lines
_LOOKAHEAD = 200_000  # characters searched after an "Agent: Tom" header line for Tom speaking
_LIST_SPLIT = re.compile(r"[,;&/]|\band\b", re.IGNORECASE)  # no \s* around it: quadratic on long spaces


def norm_label(text: str) -> str:
    """A label as compared: case-folded, single spaces, straight apostrophes."""
    return _SPACES.sub(" ", text.strip().casefold().replace("\u2019", "'"))


def preview(text: str, limit: int = 80) -> str:
    """A line as quoted in messages: trimmed to ``limit`` characters."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- speaker labels --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LabelInfo:
    """What a candidate speaker label looks like, independent of the conversation around it."""

    label: str
    key: str
    name_key: str
    role: str | None
    whole_role: bool  # the whole label is a role word ("Agent", "customer", "Tech support")
    shape: int
    prose: bool


@functools.lru_cache(maxsize=16384)
def label_info(label: str) -> LabelInfo | None:
    """Facts about a label, or ``None`` when it cannot be a speaker label at all (too long, sentence punctuation)."""
    label = _SPACES.sub(" ", label.strip())
    if not label or len(label) > MAX_LABEL_CHARS or any(ch in _FORBIDDEN for ch in label):
        return None
    words = label.split(" ")
    if len(words) > MAX_LABEL_WORDS:
        return None
    key = norm_label(label)
    parsed = parse_label(label)
    whole_role = key in lexicon().labels
    outer = label
    group = _TRAILING_GROUP.search(label)
    if group is not None and group.start() > 0:
        outer = label[: group.start()]
        if not _loose_words([w for w in group["inner"].split(" ") if w not in _DASHES]):  # "(Support - Kim)"
            return None
    outer_words = outer.split(" ")
    if _NUMBERED_SPEAKER.fullmatch(outer) or _name_words(outer_words):
        shape = _SHAPE_NAME
    elif len(outer_words) <= 2 and _loose_words(outer_words):
        shape = _SHAPE_LOOSE
    else:
        shape = _SHAPE_NONE
    first, last = outer_words[0].casefold().rstrip(".:"), outer_words[-1].casefold().rstrip(".:")
    prose = first.replace("\u2019", "'") in _PROSE_FIRST or (len(outer_words) > 1 and last in _PROSE_LAST)
    return LabelInfo(label, key, norm_label(parsed.name), parsed.role, whole_role, shape, prose)


def _name_words(words: list[str]) -> bool:
    """Capitalised words (or uncased scripts) with letters and ``.'-``: ``Mary-Jane O'Neil``, ``J. Smith``."""
    last = len(words) - 1
    for i, word in enumerate(words):
        if not word or not word[0].isalpha():
            return False
        if not all(ch.isalpha() or ch in ".'\u2019-" for ch in word):
            return False
        if word[0].islower() and not (0 < i < last and word.casefold() in _PARTICLES):
            return False
    return True


def looks_like_name(text: str) -> bool:
    """A person's name as rosters write it: one to four capitalised words (``Tom``, ``Mary-Jane O'Neil``)."""
    words = _SPACES.sub(" ", text.strip()).split(" ")
    return 1 <= len(words) <= 4 and len(text) <= MAX_LABEL_CHARS and _name_words(words)


def _loose_words(words: list[str]) -> bool:
    """User-name-like tokens: ``dana_k``, ``user123``, ``j.smith``; each with a letter."""
    return all(_LOOSE_WORD.fullmatch(w) and any(ch.isalpha() for ch in w) for w in words)


def looks_like_speaker(
    info: LabelInfo,
    *,
    known: set[str] | frozenset[str] = frozenset(),
    stamped: bool = False,
    in_message: bool = False,
    strict: bool = False,
) -> bool:
    """Whether a ``label:`` at the start of a line names who is speaking.

    ``known``: normalised labels and names seen as speakers or declared as agents; ``stamped``: the line carries a
    timestamp; ``in_message``: a message is open that the line could continue; ``strict``: only known speakers
    may start a message (a stamped log's line without a timestamp).
    """
    if info.key in known or info.name_key in known:
        return True
    if info.whole_role and info.role == "system" and info.key not in _PROSE_ROLE_WORDS:
        return True  # "System: ..." lines are events wherever they are
    if strict:
        return False
    if info.whole_role:
        return stamped or not in_message or info.key not in _PROSE_ROLE_WORDS
    if info.prose:
        return False
    if info.shape == _SHAPE_NAME:
        return True
    return stamped and info.shape == _SHAPE_LOOSE


def split_speaker(text: str) -> tuple[str, str] | None:
    """``("Tom", "hi")`` for ``"Tom: hi"``: a short label, a colon, then a space or the end of the line."""
    colon = text.find(":", 0, _COLON_WINDOW)
    if colon <= 0:
        return None
    after = colon + 1
    if after < len(text) and not text[after].isspace():
        return None
    label = text[:colon].strip()
    if not label or len(label) > MAX_LABEL_CHARS:
        return None
    return label, text[after:].strip()


# --- timestamps ------------------------------------------------------------------------------------------------
def numeric_date(text: str, day_first: bool = True) -> date | None:
    """The date of ``03/04/2026``, ``3/14/26`` or ``14.03.26``: day first (3 April) unless ``day_first`` is false or
    that reading is impossible (14 is no month); two-digit years are 20xx. ``None`` when neither reading is a date."""
    match = _NUMERIC_DATE.fullmatch(text.strip())
    if match is None:
        return None
    a, b, year = int(match["a"]), int(match["b"]), int(match["y"])
    if len(match["y"]) == 2:
        year += 2000
    readings = ((a, b), (b, a)) if day_first else ((b, a), (a, b))  # (day, month)
    for day, month in readings:
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


@dataclass(frozen=True, slots=True)
class DateOrder:
    """What the numeric dates seen so far say of the order a file writes day and month in (``numeric_date_order``),
    for a reader that meets the dates one at a time."""

    only_day_first: bool = False
    only_month_first: bool = False
    example: str | None = None  # the first date that could be read both ways

    def seen(self, value: object) -> DateOrder:
        """This order with ``value`` (any field value; only text holding a numeric date counts) seen too."""
        match = _NUMERIC_DATE.search(value) if isinstance(value, str) else None
        if match is None:
            return self
        a, b = int(match["a"]), int(match["b"])
        if a > 12 >= b:
            return self if self.only_day_first else replace(self, only_day_first=True)
        if b > 12 >= a:
            return self if self.only_month_first else replace(self, only_month_first=True)
        if a != b and a <= 12 and b <= 12 and self.example is None:
            return replace(self, example=match.group(0))
        return self

    def decided(self) -> tuple[bool, str | None]:
        """``(day_first, example)``, as ``numeric_date_order`` describes."""
        if self.only_month_first and not self.only_day_first:
            return False, None
        return True, (None if self.only_day_first else self.example)


def numeric_date_order(values) -> tuple[bool, str | None]:
    """How a file writes numeric dates, from all of them: ``(day_first, example)``.

    Day first unless some date can only be read month first (``3/14/26``) and none only day first. ``example`` is
    a date that could be read both ways when no date settles the order (then it is read day first, and the file
    should say so: ``day_first_warning``); ``None`` otherwise."""
    return functools.reduce(DateOrder.seen, values, DateOrder()).decided()


def day_first_warning(example: str) -> str:
    """The warning for a file whose numeric dates could all be read both ways."""
    read = numeric_date(example, True)
    shown = f"{read.day} {_MONTH_NAMES[read.month - 1]}" if read is not None else "day, month"
    return f"dates like {example} were read day-first ({shown})"


def read_timestamp(text: str, day_first: bool = True) -> Timestamp | None:
    """A message timestamp: a clock time, or a date and time (fast paths for the common forms). A zone named by an
    abbreviation other than UTC or GMT ("CEST"; some stand for several zones) is left out: the time has no zone."""
    text = _TRAILING_ZONE_NAME.sub("", text.strip())
    if _CLOCK_ONLY.fullmatch(text):
        return parse_clock(text)
    match = _NUMERIC_DATE_CLOCK.fullmatch(text)
    if match is not None:
        clock = parse_clock(match["clock"])
        day = numeric_date(match["date"], day_first)
        if clock is None or day is None:
            return None
        return datetime.combine(day, clock)
    if ":" not in text:
        return None
    zone = _TRAILING_ZONE.search(text)
    if zone is not None:
        text = text[: zone.start()] + "+00:00"
    try:
        return parse_timestamp(text.replace(" at ", " "))
    except (ValueError, OverflowError):
        return None


def date_in_text(text: str, day_first: bool = True) -> date | None:
    """The first date written in a title or header value (``Chat transcript - Parcelpoint - 2026-03-12``)."""
    match = _DATE_IN_TEXT.search(text)
    if match is None:
        return None
    found = match.group(0)
    if found[:4].isdigit() and "-" in found:
        try:
            return date.fromisoformat(found)
        except ValueError:
            return None
    if _NUMERIC_DATE.fullmatch(found):
        return numeric_date(found, day_first)
    value = parse_timestamp(found.replace(".", ""))
    return value.date() if isinstance(value, datetime) else None


# --- the parser ------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Message:
    label: str | None
    timestamp: Timestamp | None
    line: int
    lines: list[str] = field(default_factory=list)
    internal: bool = False

    def text(self) -> str:
        out: list[str] = []
        for line in self.lines:
            if not line and (not out or not out[-1]):
                continue  # one blank line between paragraphs, none at the start
            out.append(line)
        while out and not out[-1]:
            out.pop()
        return "\n".join(out)


@dataclass(slots=True)
class _Line:
    """A line taken apart: its timestamp, then a system event, or a speaker and text, or neither."""

    timestamp: Timestamp | None = None
    system: str | None = None
    label: str | None = None
    text: str = ""
    internal: bool = False
    info: LabelInfo | None = None


def _take_timestamp(line: str, day_first: bool = True) -> tuple[Timestamp | None, str]:
    """A leading timestamp (``[09:14]``, ``(09:14)``, ``10:42 AM``, ``2026-04-03 09:14:02``) and the rest."""
    first = line[:1]
    pattern = _BRACKET_TS if first in ("[", "(") else _PLAIN_TS if first.isdigit() else None
    if pattern is not None:
        match = pattern.match(line)
        if match is not None:
            value = read_timestamp(match["ts"], day_first)
            if value is not None:
                return value, line[match.end():]
    return None, line


def _system_text(rest: str, stamped: bool) -> str | None:
    """The text of a system line (``*** ... ***``, ``--- ... ---``, ``[System] ...``), else ``None``."""
    head = rest[:3]
    if head in ("***", "---", "===", "###") and rest.rstrip().endswith(head):
        inner = rest.strip().strip(head[0]).strip()
        return inner or None
    if rest[:1] in ("[", "(", "<"):
        match = _SYSTEM_TAG.match(rest)
        if match is not None and lexicon().labels.get(norm_label(match["tag"])) == "system":
            return rest[match.end():].strip() or match["tag"].strip()
    if stamped and len(rest) <= 160 and any(pattern.match(rest) for pattern in _EVENTS):
        return rest.strip()
    return None


def analyse_line(line: str, day_first: bool = True) -> _Line:
    timestamp, rest = _take_timestamp(line, day_first)
    result = _Line(timestamp=timestamp)
    system = _system_text(rest, timestamp is not None)
    if system is not None:
        result.system = system
        return result
    if rest[:1] in ("[", "("):
        internal = _INTERNAL_TAG.match(rest)
        if internal is not None:
            result.internal = True
            rest = rest[internal.end():]
    match = _LABEL_TS.match(rest) if "[" in rest[:_COLON_WINDOW] or "(" in rest[:_COLON_WINDOW] else None
    if match is not None:
        value = read_timestamp(match["ts"], day_first)
        if value is not None:
            if result.timestamp is None:
                result.timestamp = value
            result.label, result.text = match["label"].strip(), rest[match.end():].strip()
    if result.label is None:
        split = split_speaker(rest)
        if split is not None:
            result.label, result.text = split
    if result.label is not None:
        result.info = label_info(result.label)
    return result


def _header_key(info: _Line) -> str | None:
    if info.label is None or info.timestamp is not None:
        return None
    key = norm_label(info.label)
    return key if key in _HEADER_KEYS or key in _SINGLE_AGENT_KEYS or key in _CUSTOMER_KEYS else None


def _names(value: str) -> list[str]:
    return [n.strip() for n in _LIST_SPLIT.split(value) if n.strip()]


def _declares_speaker(value: str, text: str, start: int) -> bool:
    """``Agent: Tom`` (or ``Customer: Dana``) before the first message declares a speaker's role when ``Tom`` then
    speaks (``Tom:``, ``(Tom)``)."""
    names = _names(value)
    if not names or len(names) > 6:
        return False
    for name in names:
        words = name.split(" ")
        if len(words) > 3 or not _name_words(words) or norm_label(words[0]) in _GREETINGS:
            return False
    end = start + _LOOKAHEAD
    return any(text.find(needle, start, end) >= 0 for n in names for needle in (f"{n}:", f"({n})", f"{n} ("))


@dataclass(slots=True)
class _State:
    source: str
    messages: list[_Message] = field(default_factory=list)
    current: _Message | None = None
    known: set[str] = field(default_factory=set)
    agents: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    conversation_id: str | None = None
    day_first: bool = True
    day: date | None = None
    speakers: int = 0
    stamped_log: bool | None = None
    header: bool = True
    title_seen: bool = False
    header_lines: int = 0
    stray: list[tuple[int, str]] = field(default_factory=list)
    first_line: tuple[int, str] | None = None


def _open(state: _State, message: _Message) -> None:
    state.messages.append(message)
    state.current = message


def _read_header(state: _State, key: str, value: str, text: str, start: int) -> bool:
    """Take a ``Key: value`` line before the first message as metadata; ``False`` if it is a message after all."""
    if key in _SINGLE_AGENT_KEYS:
        if state.header_lines > _MAX_AGENT_HEADER_LINES or not _declares_speaker(value, text, start):
            return False
        key = "agents"
    if key in _CUSTOMER_KEYS or key in _CUSTOMER_NAME_KEYS:
        declared = state.header_lines <= _MAX_AGENT_HEADER_LINES and _declares_speaker(value, text, start)
        if declared:
            for name in _names(value):
                state.customers.append(name)
                state.known.add(norm_label(name))
        return declared or key in _CUSTOMER_NAME_KEYS
    if key in _AGENTS_KEYS:
        for name in _names(value):
            state.agents.append(name)
            state.known.add(norm_label(name))
    elif key in _ID_KEYS and value and state.conversation_id is None:
        cleaned = _SPACES.sub(" ", value.strip().lstrip("#").strip())[:120]
        state.conversation_id = cleaned or None
    elif key in _DATE_KEYS and state.day is None:
        state.day = date_in_text(value, state.day_first)
        if state.day is None:
            stamp = parse_timestamp(value)
            state.day = stamp.date() if isinstance(stamp, datetime) else None
    return True


def parse_chat(text: str, source: str, options: IngestOptions = IngestOptions(), *,
               day: date | None = None) -> Conversation:
    """Read a chat log into a ``Conversation`` (roles unresolved); raises ``InputError`` with code ``no_speakers``.

    ``day`` is the date of clock-only timestamps when the log itself does not give one. Numeric dates are read in
    the order the file settles (``numeric_date_order``); a file whose dates could all be read both ways is read
    day first, with a warning."""
    state = _State(source)
    state.known.update(norm_label(name) for name in options.agents)
    state.day_first, ambiguous = numeric_date_order(m.group(1) for m in _LEADING_NUMERIC_DATE.finditer(text))
    lines = text.split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    offset = 0  # character offset of the current line, for header look-ahead
    for lineno, raw in enumerate(lines, start=1):
        line_start = offset
        offset += len(raw) + 1
        line = raw.strip()
        if not line:
            if state.current is not None and not state.header:
                state.current.lines.append("")
            continue
        if state.first_line is None:
            state.first_line = (lineno, line)
        parsed = analyse_line(line, state.day_first)
        if parsed.system is not None:
            _open(state, _Message("System", parsed.timestamp, lineno, [parsed.system]))
            continue
        if state.header:
            state.header_lines += 1
            key = _header_key(parsed)
            if key is not None and _read_header(state, key, parsed.text, text, line_start + len(raw)):
                continue
        if parsed.info is not None and _starts_message(state, parsed):
            _start_message(state, parsed, lineno)
            continue
        if state.header:
            _stray(state, lineno, line, parsed)
            continue
        if state.current is not None:
            state.current.lines.append(line)
    if state.speakers == 0:
        raise _no_speakers(state)
    if state.day is None:
        state.day = day
    turns = _to_raw_turns(state, options)
    warnings = _stray_warning(state)
    if ambiguous is not None and any(isinstance(t.timestamp, datetime) for t in turns):
        warnings += (day_first_warning(ambiguous),)
    return Conversation(
        turns=turns,
        id=state.conversation_id or source_stem(source),
        channel="chat",
        agents=tuple(dict.fromkeys(state.agents)),
        warnings=warnings,
    )


def _starts_message(state: _State, parsed: _Line) -> bool:
    info = parsed.info
    assert info is not None
    stamped = parsed.timestamp is not None
    in_message = state.current is not None and not state.header
    strict = bool(state.stamped_log) and not stamped and in_message
    return looks_like_speaker(info, known=state.known, stamped=stamped, in_message=in_message, strict=strict)


def _start_message(state: _State, parsed: _Line, lineno: int) -> None:
    info = parsed.info
    assert info is not None and parsed.label is not None
    if state.stamped_log is None:
        state.stamped_log = parsed.timestamp is not None
    state.header = False
    state.speakers += 1
    state.known.add(info.key)
    if info.name_key:
        state.known.add(info.name_key)
    label = _SPACES.sub(" ", parsed.label)
    _open(state, _Message(label, parsed.timestamp, lineno, [parsed.text], internal=parsed.internal))


def _stray(state: _State, lineno: int, line: str, parsed: _Line) -> None:
    """A line before the first message that is not a header: the title (its date kept), else a warning."""
    if not state.title_seen and not state.stray and not state.messages:
        state.title_seen = True
        if state.day is None:
            state.day = date_in_text(line, state.day_first)
        return
    if state.day is None and parsed.label is None:
        state.day = date_in_text(line, state.day_first)
    state.stray.append((lineno, line))


def _stray_warning(state: _State) -> tuple[str, ...]:
    if not state.stray:
        return ()
    numbers = [n for n, _ in state.stray]
    shown = ", ".join(str(n) for n in numbers[:5]) + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
    noun, verb = ("line", "was") if len(numbers) == 1 else ("lines", "were")
    return (
        f"{noun} {shown} before the first message {verb} not a header or a 'Speaker: message' line and "
        f"{verb} left out (first: {preview(state.stray[0][1], 60)!r})",
    )


def _no_speakers(state: _State) -> InputError:
    if state.first_line is None:
        return InputError(state.source, "no text found; expected 'Speaker: message' lines", code="no_speakers")
    lineno, line = state.first_line
    return InputError(
        state.source,
        "no 'Speaker: message' lines found; expected lines like 'Customer: hello' or '[09:14] Agent (Tom): hi', "
        f"got {preview(line)!r}",
        line=lineno,
        code="no_speakers",
    )


def _to_raw_turns(state: _State, options: IngestOptions = IngestOptions()) -> tuple[RawTurn, ...]:
    """Turns with their timestamps; clock times get the header's date, moving to the next day after midnight.
    A speaker the header names as the customer (``Customer: Dana``) is stated as the customer, unless the agents
    roster names them."""
    turns: list[RawTurn] = []
    day = state.day
    previous: time | None = None
    customers = {norm_label(n) for n in state.customers} - {norm_label(n) for n in options.agents}
    for message in state.messages:
        stamp = message.timestamp
        if day is not None and isinstance(stamp, time):
            if previous is not None and _seconds(stamp) < _seconds(previous) - 6 * 3600:
                day += timedelta(days=1)  # 23:58 then 00:03: past midnight
            previous = stamp
            stamp = datetime.combine(day, stamp)
        role = None
        if customers and message.label is not None and not message.internal:
            info = label_info(message.label)
            if info is not None and info.role is None and (info.key in customers or info.name_key in customers):
                role = "customer"
        turns.append(
            RawTurn(text=message.text(), label=message.label, role=role, timestamp=stamp, internal=message.internal,
                    line=message.line)
        )
    return tuple(turns)


def _seconds(clock: time) -> int:
    return clock.hour * 3600 + clock.minute * 60 + clock.second


@parser("chat", suffixes=(".txt", ".log", ".chat"), description="Plain-text chat log: 'Speaker: message' lines")
def read_chat(content: str, source: str, options: IngestOptions):
    """Plain-text chat log: ``[timestamp] Speaker: message`` lines, with optional header lines."""
    yield finish(parse_chat(content, source, options), source=source, format="chat", options=options)


def parse_chat_block(text: str, source: str, *, day: date | None = None, tzinfo: tzinfo | None = None,
                     min_lines: int = 2) -> Conversation | None:
    """Chat lines kept inside another export (a Zendesk comment holding a chat transcript: ``Chat started: ...``
    then ``(08:01:15 AM) Dana Kim: ...`` lines) as a ``Conversation``, read with this module's line grammar.

    ``None`` when the text is not a chat transcript: fewer than ``min_lines`` timestamped ``Name: text`` lines.
    Clock times get the transcript's own date, else ``day``; naive date-times get ``tzinfo``."""
    stamped = 0
    day_first, _ = numeric_date_order(m.group(1) for m in _LEADING_NUMERIC_DATE.finditer(text))
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or not (line[:1].isdigit() or line[:1] in "[("):
            continue
        parsed = analyse_line(line, day_first)
        if parsed.timestamp is not None and parsed.info is not None and parsed.system is None:
            stamped += 1
            if stamped >= min_lines:
                break
    if stamped < min_lines:
        return None
    try:
        conversation = parse_chat(text, source, day=day)
    except InputError:
        return None
    if tzinfo is None:
        return conversation
    turns = tuple(
        replace(t, timestamp=t.timestamp.replace(tzinfo=tzinfo))
        if isinstance(t.timestamp, datetime) and t.timestamp.tzinfo is None else t
        for t in conversation.turns
    )
    return replace(conversation, turns=turns)
