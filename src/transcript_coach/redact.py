"""PII redaction: personal data in a transcript is replaced by typed placeholders (``[EMAIL]``, ``[PHONE]``, ...)
before the transcript is analysed, so every text of the report (turns, evidence, notes, promises, flag reasons)
derives from the redacted text and evidence offsets stay valid.

What is found (words, numbers and placeholders in ``data/redact.json``):

- ``email``: addresses ``local@domain.tld``.
- ``phone``: numbers the ``phonenumbers`` library finds valid for one of the ``phone.regions``; a number that is only
  *possible* (right length, unassigned range) counts when written in international ``+...`` form or when a phone cue
  ("call", "my number", ...) comes shortly before it (or at the end of the previous turn).
- ``card``: 13-19 digits, optionally grouped by spaces or dashes, starting with a card issuer digit, Luhn-checked.
- ``iban``: country code, check digits and the country's IBAN length, mod-97 checked.
- ``address``: US/UK street addresses ("221B Baker Street", "350 5th Ave, Apt 4"; with the city when a state or
  postcode follows), UK postcodes, a state with a ZIP code ("CA 94107", "NY 10001-1234"), and a code after a
  postcode cue ("zip code 94107").
- ``order`` / ``account``: an identifier with a digit after a cue word ("order #A12345", "account number
  4410-2287", "booking confirmation for HS-30655"), and every later use of that identifier in the transcript.
- ``name``: the names of the people whose names are not kept (customers; agents too when ``keep_agent_names`` is
  off): from speaker labels, and from what they say ("my name is Dana Kim"), matched as whole words anywhere in the
  transcript ("Dana's"); and a capitalised name after an honorific ("Mr. Okoro").

Terms on the allow list (product names such as "Jordan" or "Model X") are never redacted. Transcript ids and sources
(file names) are kept; speaker labels of people whose names are not kept become a generic label ("Customer").

``find_pii(text, names, settings)`` gives the spans of one text; ``redact_transcript(transcript, settings, allow)``
gives the redacted transcript and how many spans of each kind were replaced. Every pattern is linear in the length of
the text (bounded repetitions only, anchored by look-behinds), so a very long line stays fast.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError, UsageError
from transcript_coach.model import Transcript, Turn

if TYPE_CHECKING:
    from spacy.tokens import Doc

SETTINGS_FILE = "redact.json"
KINDS: tuple[str, ...] = ("email", "phone", "card", "iban", "address", "order", "account", "name")
# When two findings overlap, the one whose kind comes first here wins ("dana.kim@example.com" is an email, not a name).
_PRIORITY = {kind: rank for rank, kind in enumerate(("email", "iban", "card", "order", "account", "phone", "address",
                                                     "name"))}


# --- settings -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RedactOptions:
    """What a user chooses: ``allow`` terms are never redacted; ``keep_agent_names`` keeps agents' names (reports are
    per agent); ``phone_regions`` (ISO country codes) replace the regions of ``data/redact.json`` for numbers written
    without a ``+`` country code."""

    allow: tuple[str, ...] = ()
    keep_agent_names: bool = True
    phone_regions: tuple[str, ...] | None = None

    def __post_init__(self) -> None:  # lists given from Python become tuples: options are hashable (cached settings)
        if isinstance(self.allow, str) or isinstance(self.phone_regions, str):
            raise TypeError("RedactOptions: allow and phone_regions take a sequence of strings, not one string")
        object.__setattr__(self, "allow", tuple(self.allow))
        if self.phone_regions is not None:
            object.__setattr__(self, "phone_regions", tuple(self.phone_regions))


@dataclass(frozen=True, slots=True)
class RedactSettings:
    """``data/redact.json``, validated and compiled (build with ``redact_settings``)."""

    placeholders: Mapping[str, str]
    keep_roles: frozenset[str]
    speaker_replacement: Mapping[str, str]
    generic_labels: frozenset[str]
    name_min_chars: int
    honorifics: tuple[str, ...]
    honorifics_folded: frozenset[str]
    not_email_names: frozenset[str]
    lowercase_max_zipf: float
    phone_regions: tuple[str, ...]
    phone_cue: re.Pattern[str]
    phone_cue_window: int
    phone_min_digits: int
    card_min_digits: int
    card_max_digits: int
    card_first_digits: str
    iban_lengths: Mapping[str, int]
    id_min_chars: int
    id_max_chars: int
    id_min_digits_if_numeric: int
    not_postcode_inward: frozenset[str]
    not_street_words: frozenset[str]
    patterns: Mapping[str, re.Pattern[str]]
    stated_name: re.Pattern[str]
    title_only_cues: frozenset[str]
    sentence_start_cues: frozenset[str]
    not_names: frozenset[str]
    max_stated_words: int

    def placeholder(self, kind: str) -> str:
        return self.placeholders[kind]


def _words(data: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        raise DataFileError(f"{SETTINGS_FILE}: {where}.{key} must be a list of non-empty strings")
    return value


def _number(data: Mapping[str, Any], key: str, where: str, kind: type = int) -> Any:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise DataFileError(f"{SETTINGS_FILE}: {where}.{key} must be a{'n integer' if kind is int else ' number'}")
    return kind(value)


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise DataFileError(f"{SETTINGS_FILE}: '{key}' must be an object")
    return value


def _alternation(words: Iterable[str], *, flexible_space: bool = True) -> str:
    """A regex alternation of literal words, longest first; with ``flexible_space`` inner spaces match one or two
    blanks and an apostrophe matches a curly one too."""
    escaped = []
    for word in sorted(set(words), key=lambda w: (-len(w), w)):
        text = re.escape(word.strip())
        if flexible_space:
            text = text.replace(r"\ ", r"[ \t]{1,2}").replace("'", "['\u2019]")
        escaped.append(text)
    return "(?:" + "|".join(escaped) + ")"


@functools.cache
def redact_settings(options: RedactOptions = RedactOptions()) -> RedactSettings:
    """The settings of ``data/redact.json`` adjusted by ``options`` (cached per process). A broken data file raises
    ``DataFileError`` naming the key; an unknown phone region raises ``UsageError``."""
    import phonenumbers

    data = load_json(SETTINGS_FILE)
    if not isinstance(data, Mapping):
        raise DataFileError(f"{SETTINGS_FILE}: must be a JSON object")
    placeholders = _section(data, "placeholders")
    missing = [kind for kind in KINDS if not isinstance(placeholders.get(kind), str) or not placeholders[kind]]
    if missing:
        raise DataFileError(f"{SETTINGS_FILE}: placeholders needs a non-empty text for {', '.join(missing)}")
    speakers, names, phone = _section(data, "speakers"), _section(data, "names"), _section(data, "phone")
    card, iban, ids, address = (_section(data, key) for key in ("card", "iban", "identifiers", "address"))
    replacement = _section(speakers, "replacement")
    lengths = _section(iban, "lengths")
    if not all(isinstance(v, int) and re.fullmatch("[A-Z]{2}", k) for k, v in lengths.items()):
        raise DataFileError(f"{SETTINGS_FILE}: iban.lengths must map two-letter country codes to lengths")
    states = _section(address, "us_states")
    regions = options.phone_regions if options.phone_regions is not None else tuple(_words(phone, "regions", "phone"))
    regions = tuple(region.strip().upper() for region in regions)
    unknown = [region for region in regions if region not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise UsageError(f"unknown phone region(s) {', '.join(unknown)}: use two-letter country codes such as US, GB")
    keep_roles = set(_words(speakers, "keep_roles", "speakers"))
    if not options.keep_agent_names:
        keep_roles.discard("agent")
    stated_cues = _words(names, "stated_cues", "names")
    return RedactSettings(
        placeholders=dict(placeholders),
        keep_roles=frozenset(keep_roles),
        speaker_replacement={str(k): str(v) for k, v in replacement.items()},
        generic_labels=frozenset(w.casefold() for w in _words(speakers, "generic_labels", "speakers")),
        name_min_chars=_number(names, "min_chars", "names"),
        honorifics=tuple(_words(names, "honorifics", "names")),
        honorifics_folded=frozenset(w.casefold() for w in _words(names, "honorifics", "names")),
        not_email_names=frozenset(w.casefold() for w in (*_words(names, "not_email_names", "names"),
                                                          *_words(speakers, "generic_labels", "speakers"))),
        lowercase_max_zipf=_number(names, "lowercase_max_zipf", "names", float),
        phone_regions=regions,
        phone_cue=re.compile(rf"(?<![a-z]){_alternation(w.casefold() for w in _words(phone, 'cues', 'phone'))}"),
        phone_cue_window=_number(phone, "cue_window", "phone"),
        phone_min_digits=_number(phone, "min_digits", "phone"),
        card_min_digits=_number(card, "min_digits", "card"),
        card_max_digits=_number(card, "max_digits", "card"),
        card_first_digits=str(card.get("first_digits", "")),
        iban_lengths=dict(lengths),
        id_min_chars=_number(ids, "min_chars", "identifiers"),
        id_max_chars=_number(ids, "max_chars", "identifiers"),
        id_min_digits_if_numeric=_number(ids, "min_digits_if_numeric", "identifiers"),
        not_postcode_inward=frozenset(_words(address, "not_postcode_inward", "address")),
        not_street_words=frozenset(_words(_section(address, "lowercase_street"), "not_words",
                                          "address.lowercase_street")),
        patterns=_compile_patterns(card, ids, address, states, names),
        stated_name=_stated_name_pattern(stated_cues, _words(names, "honorifics", "names"),
                                         _number(names, "max_stated_words", "names")),
        title_only_cues=frozenset(w.casefold() for w in _words(names, "stated_cues_title_only", "names")),
        sentence_start_cues=frozenset(w.casefold() for w in _words(names, "stated_cues_sentence_start", "names")),
        not_names=frozenset(w.casefold() for w in _words(names, "not_names", "names")),
        max_stated_words=_number(names, "max_stated_words", "names"),
    )


# A name word: a letter, then letters, apostrophes or hyphens ("O'Brien", "Mary-Jane", "Wiśniewski").
_NAME_WORD = r"[^\W\d_]{1,40}(?:['\u2019\-][^\W\d_]{1,40})?"
_TITLE_WORD = r"[A-Z\u00C0-\u00D6\u00D8-\u00DE][^\W\d_]{0,40}(?:['\u2019\-][^\W\d_]{1,40})?"


def _stated_name_pattern(cues: Sequence[str], honorifics: Sequence[str], max_words: int) -> re.Pattern[str]:
    """'my name is Dana Kim': the cue, then up to ``max_words`` name words."""
    return re.compile(
        rf"(?<![^\W_])(?P<cue>(?i:{_alternation(cues)}))[ \t]{{1,3}}"
        rf"(?P<name>(?:{_alternation(honorifics)}\.?[ \t]{{1,2}})?"
        rf"{_NAME_WORD}(?:[ \t]{_TITLE_WORD}){{0,{max(0, max_words - 1)}}})"
    )


def _compile_patterns(card: Mapping[str, Any], ids: Mapping[str, Any], address: Mapping[str, Any],
                      states: Mapping[str, Any], names: Mapping[str, Any]) -> dict[str, re.Pattern[str]]:
    min_digits, max_digits = _number(card, "min_digits", "card"), _number(card, "max_digits", "card")
    fillers = _words(ids, "fillers", "identifiers")
    word_fillers = [f for f in fillers if f[0].isalnum()]
    mark_fillers = "".join(re.escape(f) for f in fillers if len(f) == 1 and not f.isalnum())
    glue = (rf"(?:[ \t]{{0,3}}(?:(?i:{_alternation(word_fillers)})(?![A-Za-z0-9])\.?"
            rf"{'|[' + mark_fillers + ']' if mark_fillers else ''})){{0,{_number(ids, 'max_fillers', 'identifiers')}}}"
            r"[ \t]{0,3}")
    max_id = _number(ids, "max_chars", "identifiers")
    ident = rf"(?P<id>[A-Za-z0-9](?:[A-Za-z0-9\-/]{{0,{max_id - 2}}}[A-Za-z0-9])?)(?![A-Za-z0-9])"
    suffixes = _words(address, "street_suffixes", "address")
    lower_suffixes = _words(address, "lowercase_suffixes", "address")
    lower = _section(address, "lowercase_street")
    max_words = _number(address, "max_street_words", "address")
    postal_code = r"[A-Za-z0-9]{2,8}(?:[ \t][0-9][A-Za-z]{2}|-[0-9]{4})?"  # 94107, 94107-1234, BR7 4QN
    units = _words(address, "unit_words", "address")
    directions = _words(address, "directions", "address")
    abbreviations = [str(k) for k in states]
    state_names = [str(v) for v in states.values()]
    uk_postcode = r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)[ \t]?[0-9][ABD-HJLNP-UW-Z]{2}"
    zip_code = r"[0-9]{5}(?:-[0-9]{4})?"
    state = rf"(?:{_alternation(abbreviations)}|{_alternation(state_names)})"
    city = rf"(?:{_TITLE_WORD}[ \t]){{0,2}}{_TITLE_WORD}"
    unit = rf"{_alternation(units)}\.?[ \t]?#?[A-Za-z0-9\-]{{1,6}}(?![A-Za-z0-9])"
    street = (
        rf"(?<![\w\-/.,@#])(?:{unit},?[ \t]{{1,2}})?[0-9]{{1,6}}[A-Za-z]?(?:-[0-9]{{1,6}})?[ \t]{{1,2}}"
        rf"(?:{_alternation(directions)}\.?[ \t])?"
        rf"(?:(?:{_TITLE_WORD}|[0-9]{{1,3}}(?:st|nd|rd|th))[ \t]){{1,{max_words}}}"
        rf"(?:{_alternation(suffixes)}|{_alternation(lower_suffixes)})(?![A-Za-z0-9])"
        rf"(?:\.?,?[ \t]{{1,2}}{unit})?"
        rf"(?:,[ \t]{{1,2}}{city}(?:,?[ \t]{{1,2}}(?:{state}(?:,?[ \t]{{1,2}}{zip_code})?|{uk_postcode})))?"
        r"(?![A-Za-z0-9])"
    )
    honorifics = _words(names, "honorifics", "names")
    return {
        "email": re.compile(
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@"
            r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
        ),
        "card": re.compile(rf"(?<![0-9\-])[0-9](?:[ \-]?[0-9]){{{min_digits - 1},{max_digits - 1}}}(?![0-9])"),
        "iban": re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]){10,30}"),
        "phone_candidate": re.compile(r"(?<![\w+\-])\+?\(?[0-9][0-9 \t().\-/]{4,24}[0-9](?![0-9])"),
        "order": re.compile(rf"(?<![A-Za-z0-9])(?i:{_alternation(_words(ids, 'order_cues', 'identifiers'))})"
                            rf"(?![A-Za-z0-9]){glue}#?{ident}"),
        "account": re.compile(rf"(?<![A-Za-z0-9])(?i:{_alternation(_words(ids, 'account_cues', 'identifiers'))})"
                              rf"(?![A-Za-z0-9]){glue}#?{ident}"),
        "postal_cue": re.compile(rf"(?<![A-Za-z0-9])(?i:{_alternation(_words(address, 'postal_cues', 'address'))})"
                                 rf"(?![A-Za-z0-9]){glue}(?P<id>{postal_code})"
                                 r"(?![A-Za-z0-9])"),
        "street": re.compile(street),
        "street_lower": re.compile(
            rf"(?<![\w\-/.,@#])[0-9]{{{_number(lower, 'min_number_digits', 'address.lowercase_street')},6}}"
            rf"[ \t]{{1,2}}(?P<words>(?:[a-z]{{3,20}}[ \t]{{1,2}}){{1,3}})"
            rf"{_alternation(_words(lower, 'suffixes', 'address.lowercase_street'))}(?![A-Za-z0-9])"),
        "uk_postcode": re.compile(rf"(?<![A-Za-z0-9])(?P<code>{uk_postcode})(?![A-Za-z0-9])"),
        "state_zip": re.compile(rf"(?<![A-Za-z0-9]){state},?[ \t]{{1,2}}{zip_code}(?![0-9])"),
        "honorific": re.compile(rf"(?<![A-Za-z]){_alternation(honorifics)}\.?[ \t]{{1,2}}"
                                rf"(?P<name>{_TITLE_WORD}(?:[ \t]{_TITLE_WORD})?)"),
        "name_request": re.compile(rf"(?i:{_alternation(_words(names, 'request_cues', 'names'))})"),
        "name_reply": re.compile(rf"(?:(?i:it's|it\u2019s|i'm|i\u2019m|this is|my name is|name is)[ \t]{{1,3}})?"
                                 rf"(?P<name>{_NAME_WORD}(?:[ \t]{{1,2}}{_NAME_WORD}){{0,2}})[ \t]*[.!]?"),
        "addressed": re.compile(rf"(?<![^\W_])(?i:{_alternation(_words(names, 'address_cues', 'names'))}),?[ \t]{{1,3}}"
                                rf"(?P<name>{_TITLE_WORD}(?:[ \t]{_TITLE_WORD})?)(?=[ \t]{{0,3}}(?:[,.!?:;\n]|$))"),
    }


# --- spans ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PiiSpan:
    """``text[start:end]`` is personal data of ``kind`` (one of ``KINDS``)."""

    start: int
    end: int
    kind: str

    def overlaps(self, other: PiiSpan) -> bool:
        return self.start < other.end and other.start < self.end


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of payment card numbers."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN written without spaces."""
    rearranged = iban[4:] + iban[:4]
    if not rearranged.isalnum() or not rearranged.isascii():
        return False
    return int("".join(str(int(c, 36)) for c in rearranged.upper())) % 97 == 1


def _emails(text: str, s: RedactSettings) -> Iterable[PiiSpan]:
    for m in s.patterns["email"].finditer(text):
        yield PiiSpan(m.start(), m.end(), "email")


def _cards(text: str, s: RedactSettings) -> Iterable[PiiSpan]:
    for m in s.patterns["card"].finditer(text):
        run = m.group()
        # the whole run of digits, else its longest part that ends at a separator ("4111 1111 1111 1111 12/27")
        ends = [len(run)] + [i for i in range(len(run) - 1, 0, -1) if run[i] in " -"]
        for end in ends:
            digits = re.sub(r"[^0-9]", "", run[:end])
            if len(digits) < s.card_min_digits:
                break
            if (len(digits) <= s.card_max_digits and luhn_ok(digits)
                    and (not s.card_first_digits or digits[0] in s.card_first_digits)):
                yield PiiSpan(m.start(), m.start() + end, "card")
                break


def _ibans(text: str, s: RedactSettings) -> Iterable[PiiSpan]:
    pattern = s.patterns["iban"]
    m = pattern.search(text)
    while m is not None:
        end = _iban_end(text, m, s)
        if end is not None:
            yield PiiSpan(m.start(), end, "iban")
        # a candidate may run on into the next words ("... 32 and DE89..."): look again just after its start
        m = pattern.search(text, end if end is not None else m.start() + 1)


def _iban_end(text: str, m: re.Match[str], s: RedactSettings) -> int | None:
    """Where the IBAN starting at ``m`` ends: after its country's number of characters (spaces aside), at a word
    boundary, with a valid checksum; None when it is not an IBAN."""
    length = s.iban_lengths.get(m.group()[:2].upper())
    if length is None:
        return None
    chars = 0
    for end in range(m.start(), m.end()):
        if text[end] != " ":
            chars += 1
            if chars == length:
                end += 1
                if end < len(text) and text[end].isalnum():
                    return None
                return end if iban_ok(text[m.start():end].replace(" ", "")) else None
    return None


def _phones(text: str, s: RedactSettings, before: str = "") -> Iterable[PiiSpan]:
    import phonenumbers
    from phonenumbers import Leniency, PhoneNumberMatcher

    for candidate in s.patterns["phone_candidate"].finditer(text):
        if sum(c.isdigit() for c in candidate.group()) < s.phone_min_digits:
            continue
        lo, hi = max(0, candidate.start() - 3), min(len(text), candidate.end() + 3)
        window = text[lo:hi]
        found: list[tuple[int, int]] = []
        for region in s.phone_regions:
            for match in PhoneNumberMatcher(window, region, leniency=Leniency.POSSIBLE):
                start, end = lo + match.start, lo + match.end
                if any(a < end and start < b for a, b in found):
                    continue
                if not (phonenumbers.is_valid_number(match.number) or match.raw_string.startswith("+")
                        or _phone_cue_before(text, start, before, s)):
                    continue
                found.append((start, end))
        yield from (PiiSpan(a, b, "phone") for a, b in found)


def _phone_cue_before(text: str, start: int, before: str, s: RedactSettings) -> bool:
    """A phone cue word within ``phone.cue_window`` characters before ``start``, or, near the start of the turn, at
    the end of the previous turn ("What number should I call?" - "07700 900123")."""
    window = s.phone_cue_window
    preceding = text[max(0, start - window):start]
    if start < window:
        preceding = before[-window:] + "\n" + preceding
    return s.phone_cue.search(preceding.lower()) is not None


_MEASURE = re.compile(r"[0-9]+[a-z]+")  # "30minutes", "10am", "2nd": a quantity, not an identifier


def _identifiers(text: str, s: RedactSettings) -> Iterable[PiiSpan]:
    for kind in ("order", "account"):
        for m in s.patterns[kind].finditer(text):
            ident = m.group("id")
            if _identifier_ok(ident, s):
                yield PiiSpan(m.start("id"), m.end("id"), kind)


def _identifier_ok(ident: str, s: RedactSettings) -> bool:
    digits = sum(c.isdigit() for c in ident)
    if not digits or not s.id_min_chars <= len(ident) <= s.id_max_chars or _MEASURE.fullmatch(ident):
        return False
    return not (digits == len(ident) and digits < s.id_min_digits_if_numeric)


def _addresses(text: str, s: RedactSettings) -> Iterable[PiiSpan]:
    for m in s.patterns["street"].finditer(text):
        yield PiiSpan(m.start(), m.end(), "address")
    for m in s.patterns["street_lower"].finditer(text):
        if s.not_street_words.isdisjoint(m.group("words").split()):
            yield PiiSpan(m.start(), m.end(), "address")
    for m in s.patterns["uk_postcode"].finditer(text):
        if m.group("code")[-2:] not in s.not_postcode_inward:
            yield PiiSpan(m.start(), m.end(), "address")
    for m in s.patterns["state_zip"].finditer(text):
        yield PiiSpan(m.start(), m.end(), "address")
    for m in s.patterns["postal_cue"].finditer(text):
        if any(c.isdigit() for c in m.group("id")):
            yield PiiSpan(m.start("id"), m.end("id"), "address")


def _honorific_names(text: str, s: RedactSettings) -> Iterable[PiiSpan]:
    for m in s.patterns["honorific"].finditer(text):
        yield PiiSpan(m.start("name"), m.end("name"), "name")


def _ascii_fold(word: str) -> str:
    """'Siobhán' -> 'Siobhan': names are often typed without their accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@functools.lru_cache(maxsize=256)
def _names_pattern(names: tuple[str, ...], lowercase_max_zipf: float) -> re.Pattern[str] | None:
    """Whole-word matches of ``names`` as written, capitalised and in capitals, and in lower case unless the word is
    common in lower-case English ("Will", "Mark": "will", "mark" are kept)."""
    import wordfreq

    forms: set[str] = set()
    for name in names:
        for form in {name, _ascii_fold(name)}:
            forms.update({form, form[:1].upper() + form[1:], form.upper()})
            if wordfreq.zipf_frequency(form.lower(), "en") <= lowercase_max_zipf:
                forms.add(form.lower())
    if not forms:
        return None
    return re.compile(rf"(?<![^\W_]){_alternation(forms, flexible_space=False)}(?![^\W_])")


@functools.lru_cache(maxsize=256)
def _known_ids_pattern(ids: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9\-])(?i:{_alternation(ids, flexible_space=False)})(?![A-Za-z0-9])")


def find_pii(text: str, names: Iterable[str] = (), settings: RedactSettings | None = None,
             known_ids: Mapping[str, str] | None = None, before: str = "") -> list[PiiSpan]:
    """Non-overlapping spans of personal data in ``text``, in order. ``names`` are people's names to find as whole
    words; ``known_ids`` maps identifiers already found with a cue (``{"LH-448120": "order"}``) to their kind, so that
    a bare later use is found too; ``before`` is the text just before ``text`` (the previous turn), where a phone cue
    may be ("What number should I call?")."""
    s = settings or redact_settings()
    found: list[PiiSpan] = []
    for finder in (_emails, _ibans, _cards, _identifiers, _addresses, _honorific_names):
        found.extend(finder(text, s))
    found.extend(_phones(text, s, before))
    if known_ids:
        kinds = {ident.casefold(): kind for ident, kind in known_ids.items()}
        pattern = _known_ids_pattern(tuple(sorted(kinds)))
        found.extend(PiiSpan(m.start(), m.end(), kinds[m.group().casefold()]) for m in pattern.finditer(text))
    pattern = _names_pattern(tuple(sorted(set(names))), s.lowercase_max_zipf)
    if pattern is not None:
        found.extend(PiiSpan(m.start(), m.end(), "name") for m in pattern.finditer(text))
    return _merge_names(_resolve(found), text)


def _resolve(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Overlaps settled by kind priority, then by length (longer first), then by position."""
    taken: list[PiiSpan] = []
    for span in sorted(spans, key=lambda p: (_PRIORITY[p.kind], p.start - p.end, p.start)):
        if not any(span.overlaps(other) for other in taken):
            taken.append(span)
    return sorted(taken, key=lambda p: p.start)


def _merge_names(spans: list[PiiSpan], text: str) -> list[PiiSpan]:
    """'Dana Kim' is one name: name spans separated only by blanks become one span."""
    merged: list[PiiSpan] = []
    for span in spans:
        previous = merged[-1] if merged else None
        if (previous is not None and previous.kind == span.kind == "name"
                and text[previous.end:span.start] in (" ", "  ", "\t")):
            merged[-1] = PiiSpan(previous.start, span.end, "name")
        else:
            merged.append(span)
    return merged


def allowed(spans: Iterable[PiiSpan], text: str, allow: Sequence[str]) -> list[PiiSpan]:
    """``spans`` without those lying inside an occurrence of an allowed term (case-insensitive, whole words)."""
    spans = list(spans)
    if not allow or not spans:
        return spans
    pattern = re.compile(rf"(?<![^\W_])(?i:{_alternation(allow, flexible_space=False)})(?![^\W_])")
    zones = [(m.start(), m.end()) for m in pattern.finditer(text)]
    return [p for p in spans if not any(a <= p.start and p.end <= b for a, b in zones)]


def replace_spans(text: str, spans: Sequence[PiiSpan], settings: RedactSettings) -> str:
    """``text`` with every span replaced by its kind's placeholder."""
    parts: list[str] = []
    at = 0
    for span in spans:
        parts.append(text[at:span.start])
        parts.append(settings.placeholder(span.kind))
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


# --- transcripts ----------------------------------------------------------------------------------------------------

def speaker_name_parts(speaker: str | None, settings: RedactSettings) -> list[str]:
    """The name words of a speaker label ("Dana Kim (customer)" -> Dana, Kim): not generic labels, honorifics, e-mail
    addresses or words with digits, and at least ``names.min_chars`` long."""
    if not speaker:
        return []
    honorifics = {h.casefold() for h in settings.honorifics}
    parts = []
    for word in re.split(r"[\s,;:()\[\]<>\"/|]+", speaker):
        word = word.strip(".'\u2019-")
        if ("@" in word or len(word) < settings.name_min_chars or not re.fullmatch(_NAME_WORD, word)
                or word.casefold() in settings.generic_labels or word.casefold() in honorifics):
            continue
        parts.append(word)
    return parts


_CONTRACTION = re.compile(r"['\u2019](?:m|s|re|ve|ll|d|t)$")  # "I'm", "Dana's": not a name as written


def _name_words(words: Iterable[str], settings: RedactSettings, *, title_only: bool) -> list[str]:
    """The leading words that can be a name: not a stop word, a listed non-name ("Sorry", "Monday") or an
    honorific (skipped: "Mr. Okoro" -> Okoro); capitalised after the first word, or always when ``title_only``."""
    from spacy.lang.en.stop_words import STOP_WORDS

    found: list[str] = []
    for word in words:
        word = word.rstrip(".")
        folded = word.casefold()
        if folded in settings.honorifics_folded and not found:
            continue
        if (folded in settings.not_names or folded in STOP_WORDS or folded in settings.generic_labels
                or len(word) < settings.name_min_chars or ((found or title_only) and not word[:1].isupper())
                or _CONTRACTION.search(folded)):
            break
        found.append(word)
    return found


def stated_names(text: str, settings: RedactSettings) -> list[str]:
    """Names a person gives for themselves: "my name is Dana Kim" -> Dana, Kim. After cues such as "this is" and
    "I'm" only capitalised words count ("I'm Dana", not "I'm still waiting")."""
    found: list[str] = []
    for m in settings.stated_name.finditer(text):
        cue = " ".join(m.group("cue").casefold().replace("\u2019", "'").split())
        if cue in settings.sentence_start_cues and text[:m.start()].rstrip()[-1:] not in ("", ".", "!", "?", ",", ":"):
            continue  # "It's Dana" answers a question; "on It's Way" does not
        found.extend(_name_words(m.group("name").split(), settings, title_only=cue in settings.title_only_cues))
    return found


def addressed_names(text: str, settings: RedactSettings) -> list[str]:
    """Names an agent addresses the customer by: "Hi Chris," "Thanks, Marta." "Dear Siobhán,"."""
    found: list[str] = []
    for m in settings.patterns["addressed"].finditer(text):
        found.extend(_name_words(m.group("name").split(), settings, title_only=True))
    return found


def honorific_names(text: str, settings: RedactSettings) -> list[str]:
    """Names after an honorific: "Mr. Okoro", "Ms Tan"."""
    return [word for m in settings.patterns["honorific"].finditer(text) for word in m.group("name").split()
            if word.casefold() not in settings.not_names]


def email_names(text: str, settings: RedactSettings) -> list[str]:
    """Name-like parts of the e-mail addresses in ``text``: "marta.lindqvist@example.com" -> Marta, Lindqvist
    (not generic mailbox words such as "support" or "no-reply", nor parts shorter than three letters)."""
    found: list[str] = []
    for m in settings.patterns["email"].finditer(text):
        local = m.group().split("@", 1)[0]
        for part in re.split(r"[._+\-]+", local):
            if len(part) >= 3 and part.isalpha() and part.casefold() not in settings.not_email_names:
                found.append(part[:1].upper() + part[1:].lower())
    return found


def answered_names(text: str, asked: str, settings: RedactSettings) -> list[str]:
    """A reply that is only a name ("Crystal Minh", "it's dana kim.") to a turn that asked for it ("May I have your
    name?")."""
    if settings.patterns["name_request"].search(asked) is None:
        return []
    m = settings.patterns["name_reply"].fullmatch(text.strip())
    return _name_words(m.group("name").split(), settings, title_only=False) if m else []


def transcript_names(transcript: Transcript, settings: RedactSettings, allow: Sequence[str] = ()) -> tuple[str, ...]:
    """The names to redact in ``transcript``: of each person whose role's names are not kept (customers), the name
    words of their speaker labels, the names they give ("my name is ...", or a reply that is only a name when asked
    for it) and the name-like parts of their e-mail addresses; and the names agents address people by ("Hi Chris,")
    and names after honorifics ("Mr. Okoro"), unless they are a kept speaker's own name. Allowed terms are never
    names."""
    allowed_terms = {term.casefold() for term in allow}
    kept = {part.casefold() for turn in transcript.turns if turn.role in settings.keep_roles
            for part in speaker_name_parts(turn.speaker, settings)}
    names: dict[str, None] = {}
    asked = ""  # the latest turn of someone else
    for turn in transcript.turns:
        if turn.role in settings.keep_roles:
            own: list[str] = []
            asked = turn.text
        else:
            own = [*speaker_name_parts(turn.speaker, settings), *stated_names(turn.text, settings),
                   *email_names(turn.text, settings), *email_names(turn.speaker or "", settings),
                   *answered_names(turn.text, asked, settings)]
        others = honorific_names(turn.text, settings)
        if turn.role == "agent":
            others += addressed_names(turn.text, settings)
        for name in own + [name for name in others if name.casefold() not in kept]:
            if name.casefold() not in allowed_terms:
                names.setdefault(name, None)
    return tuple(names)


def _identifier_ids(texts: Iterable[str], settings: RedactSettings, allow: Sequence[str]) -> dict[str, str]:
    """Identifiers found after a cue anywhere in the transcript, so that bare later uses are redacted too."""
    allowed_terms = {term.casefold() for term in allow}
    ids: dict[str, str] = {}
    for text in texts:
        for span in _identifiers(text, settings):
            ident = text[span.start:span.end]
            if ident.casefold() not in allowed_terms:
                ids.setdefault(ident, span.kind)
    return ids


def redact_text(text: str, names: Sequence[str], settings: RedactSettings, allow: Sequence[str] = (),
                known_ids: Mapping[str, str] | None = None, before: str = "") -> tuple[str, list[PiiSpan]]:
    """``text`` with its personal data replaced, and the spans that were replaced (offsets in the original)."""
    spans = allowed(find_pii(text, names, settings, known_ids, before), text, allow)
    return replace_spans(text, spans, settings), spans


def transcript_pii(transcript: Transcript, settings: RedactSettings | None = None, allow: Sequence[str] = ()
                   ) -> tuple[tuple[str, ...], dict[str, str], list[list[PiiSpan]]]:
    """What ``redact_transcript`` replaces: the names looked for, the identifiers found after a cue, and the spans
    of each turn's text (allowed terms left out)."""
    s = settings or redact_settings()
    allow = tuple(term.strip() for term in allow if term.strip())
    names = transcript_names(transcript, s, allow)
    known_ids = _identifier_ids((t.text for t in transcript.turns), s, allow)
    befores = ["", *(t.text for t in transcript.turns[:-1])]
    spans = [allowed(find_pii(turn.text, names, s, known_ids, before), turn.text, allow)
             for turn, before in zip(transcript.turns, befores, strict=True)]
    # a phone number found once (after a cue) is found wherever it is repeated ("Details of (977) 625-2661 entered")
    phones = {turn.text[p.start:p.end] for turn, found in zip(transcript.turns, spans, strict=True) for p in found
              if p.kind == "phone"} - set(known_ids)
    if phones:
        known_ids = {**known_ids, **dict.fromkeys(phones, "phone")}
        for i, (turn, before) in enumerate(zip(transcript.turns, befores, strict=True)):
            if any(phone in turn.text for phone in phones):
                spans[i] = allowed(find_pii(turn.text, names, s, known_ids, before), turn.text, allow)
    return names, known_ids, spans


def redact_transcript(transcript: Transcript, settings: RedactSettings | None = None, allow: Sequence[str] = ()
                      ) -> tuple[Transcript, dict[str, int]]:
    """A new transcript with personal data replaced by placeholders in every turn's text and in the warnings, and the
    speaker labels of people whose names are not kept replaced by a generic label ("Customer"); with the number of
    spans replaced per kind (speaker labels count once per distinct label, as names)."""
    s = settings or redact_settings()
    allow = tuple(term.strip() for term in allow if term.strip())
    names, known_ids, turn_spans = transcript_pii(transcript, s, allow)
    counts = dict.fromkeys(KINDS, 0)
    turns: list[Turn] = []
    replaced_speakers: dict[str, str] = {}
    for turn, spans in zip(transcript.turns, turn_spans, strict=True):
        text = replace_spans(turn.text, spans, s)
        for span in spans:
            counts[span.kind] += 1
        speaker = turn.speaker
        if speaker and turn.role not in s.keep_roles:
            if speaker not in replaced_speakers:
                replaced_speakers[speaker] = _speaker_label(speaker, turn.role, names, s, allow)
                if replaced_speakers[speaker] != speaker:
                    counts["name"] += 1
            speaker = replaced_speakers[speaker]
        turns.append(dataclasses.replace(turn, text=text, speaker=speaker))
    warnings = tuple(redact_text(w, names, s, allow, known_ids)[0] for w in transcript.warnings)
    return dataclasses.replace(transcript, turns=tuple(turns), warnings=warnings), counts


def _speaker_label(speaker: str, role: str, names: Sequence[str], s: RedactSettings, allow: Sequence[str]) -> str:
    """A speaker label with personal data in it becomes the role's generic label; "Customer" or "Visitor" stays."""
    if not allowed(find_pii(speaker, names, s), speaker, allow):
        return speaker
    return s.speaker_replacement.get(role, s.speaker_replacement.get("customer", "Customer"))


# --- placeholders in analysed text ----------------------------------------------------------------------------------

@functools.cache
def _placeholders() -> tuple[re.Pattern[str], dict[str, str], str]:
    """The placeholders as one pattern, their kinds by text, and the characters they start with (read apart from the
    other settings: every analysis asks, redacting or not)."""
    placeholders = _section(load_json(SETTINGS_FILE), "placeholders")
    if not all(isinstance(placeholders.get(kind), str) and placeholders[kind] for kind in KINDS):
        redact_settings()  # raises the error that names what is wrong
    return (re.compile(_alternation(placeholders.values(), flexible_space=False)),
            {text: kind for kind, text in placeholders.items()}, "".join({p[0] for p in placeholders.values()}))


def placeholder(kind: str) -> str:
    """The placeholder of ``kind`` ("name" -> "[NAME]")."""
    return next(text for text, k in _placeholders()[1].items() if k == kind)


def placeholder_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of each redaction placeholder in ``text`` (for signals that count "[NAME]" as the
    customer's name or "[ORDER]" as a detail the customer gave)."""
    pattern, kinds, firsts = _placeholders()
    if not any(c in text for c in firsts):
        return []
    return [(m.start(), m.end(), kinds[m.group()]) for m in pattern.finditer(text)]


def placeholder_tokens(doc: Doc) -> frozenset[int]:
    """Indexes of the tokens of ``doc`` inside a redaction placeholder ("EMAIL" of "[EMAIL]"): such words are not
    acronyms, jargon or shouting. Found once per doc (kept with it), at the cost of one scan of the text when there
    is no placeholder."""
    from transcript_coach.nlp import doc_text  # here: redacting text needs no spaCy

    found = doc.user_data.get(_PLACEHOLDER_TOKENS_KEY)
    if found is None:
        inside: set[int] = set()
        for start, end, _ in placeholder_spans(doc_text(doc)):
            span = doc.char_span(start, end, alignment_mode="contract")
            if span is not None:
                inside.update(range(span.start, span.end))
        found = doc.user_data[_PLACEHOLDER_TOKENS_KEY] = frozenset(inside)
    return found


_PLACEHOLDER_TOKENS_KEY = "transcript_coach.placeholder_tokens"


def read_allow_file(path: str) -> tuple[str, ...]:
    """Allowed terms from a file: one per line; blank lines and lines starting with '#' are skipped."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            lines = handle.read().splitlines()
    except OSError as exc:
        raise UsageError(f"{path}: allow list cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: allow list is not UTF-8 text") from None
    return tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
