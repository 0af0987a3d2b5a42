"""Timestamps as they appear in exports: ISO 8601, epoch seconds or milliseconds, common chat forms, bare clock times.

``parse_timestamp`` returns a ``datetime`` when a date is known and a ``time`` when only the clock is (``[09:14]``);
it never invents a date. Unreadable values give ``None`` and the caller decides whether that is an error.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone, tzinfo

from transcript_coach.model import Timestamp

_CLOCK = re.compile(
    r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,6}))?)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?$"
)
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%Y-%m-%d %I:%M:%S %p",
    "%Y-%m-%d %I:%M %p",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
)
# strptime fails slowly, and every form begins with a number or a month name: only the forms that can match the first
# character are tried, so an email attribution's date ("Mon, 3 Mar 2026 ...") does not fail all fourteen
_NUMERIC_FORMATS = tuple(f for f in _DATE_FORMATS if not f.startswith("%b"))
_NAMED_FORMATS = tuple(f for f in _DATE_FORMATS if f.startswith("%b"))
# Epoch values between 2000-01-01 and 2100-01-01, in seconds or milliseconds.
_EPOCH_S = (946684800, 4102444800)


def parse_clock(text: str) -> time | None:
    """``09:14``, ``09:14:02``, ``9:14 PM``, ``10:42 a.m.`` as a clock time."""
    match = _CLOCK.match(text.strip())
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"])
    second = int(match["s"] or 0)
    micro = int((match["f"] or "0").ljust(6, "0"))
    ampm = (match["ampm"] or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second, micro)


def parse_timestamp(value: object) -> Timestamp | None:
    """A timestamp from an export field, or ``None`` when the value is empty or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime | time):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | float):
        try:
            return _from_epoch(float(value))
        except OverflowError:
            return None
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{9,13}(\.\d{1,9})?", text):
        return _from_epoch(float(text))
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        pass
    for fmt in _formats_for(text):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    clock = parse_clock(text)
    if clock is not None:
        return clock
    if not re.search(r"\d{4}", text):  # dateutil fills a missing year from today: never guess one
        return None
    from dateutil import parser as dateparser

    try:
        return dateparser.parse(text, tzinfos=_zone)
    except (ValueError, OverflowError, TypeError):
        return None


def _zone(name: str | None, offset: int | None) -> tzinfo | None:
    """The zone dateutil gives a date-time it parses: from its offset in seconds (0 for "UTC", "GMT", "Z"); None, no
    zone, for a zone named only by an abbreviation ("CEST", "PDT"; some stand for several zones), where dateutil
    would warn on standard error, or take the machine's own zone when the abbreviation is that zone's."""
    from dateutil import tz

    if offset is None:
        return None
    return tz.UTC if offset == 0 else tz.tzoffset(name, offset)


def _formats_for(text: str) -> tuple[str, ...]:
    """The forms of ``_DATE_FORMATS`` that can match ``text``, a stripped non-empty text, by its first character."""
    if text[0].isdigit():
        return _NUMERIC_FORMATS
    return _NAMED_FORMATS if text[0].isalpha() else ()


def _from_epoch(value: float) -> datetime | None:
    if _EPOCH_S[0] * 1000 <= value < _EPOCH_S[1] * 1000:
        value /= 1000
    if _EPOCH_S[0] <= value < _EPOCH_S[1]:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return None


def seconds_between(earlier: Timestamp, later: Timestamp) -> float | None:
    """Seconds from one timestamp to the next; clock-only times roll over midnight at most once."""
    if isinstance(earlier, datetime) and isinstance(later, datetime):
        if (earlier.tzinfo is None) != (later.tzinfo is None):
            earlier, later = earlier.replace(tzinfo=None), later.replace(tzinfo=None)
        return (later - earlier).total_seconds()
    a, b = _clock_seconds(earlier), _clock_seconds(later)
    delta = b - a
    return delta + 86400 if delta < 0 else delta


def duration_text(seconds: float) -> str:
    """A wait as a reader says it: "12 seconds", "26 minutes", "4.1 hours", "3.4 days"."""
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 90:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} second{'' if round(seconds) == 1 else 's'}"


def _clock_seconds(value: Timestamp) -> float:
    clock = value.timetz() if isinstance(value, datetime) else value
    return clock.hour * 3600 + clock.minute * 60 + clock.second + clock.microsecond / 1e6
