"""promise.*: agent commitments (who, what, by when), offers, and whether a later agent turn keeps them; the ledger.

Features
- ``promise.specific``: a commitment with an owner, an action and a time frame or a concrete deliverable
  ("I'll email you the label by 5pm", "we'll process your refund").
- ``promise.vague``: a commitment without one ("we'll look into it", "someone will be in touch", "we'll get back to you
  soon"); also hedged ones ("hopefully we'll ...", "I'll try to ...") and any made by an unnamed "someone".
- ``promise.conditional``: a commitment that depends on a condition ("if it doesn't arrive by Friday, I'll refund you";
  rule ``conditional:*``) or an offer the customer may take up ("I can resend it if you'd like", "would you like me to
  ...?", "shall I ...?"; rule ``offer:*``).
- ``promise.kept_late``: a specific commitment with a due time that a later turn kept only after that time (and
  ``overdue_grace``): "your refund will be processed within 3 working days", done eight days later. Evidence: the
  commitment; rule ``keep:after-due``. Its ``Promise`` is "kept", and TC104 names it.
- ``promise.vague_kept``: a vague commitment that a later turn kept ("we'll get you in" and then "Done, you can log in
  now"): with the thing done, the customer had nothing to chase, so it is no fault. In the ledger, "kept".
- ``promise.made_specific``: a general vague commitment ("Don't worry, we'll sort this out together", "we'll get back
  to you"; not one of "someone" nor a hedged one) that the agent follows with a specific one before the customer writes
  again ("I've booked an engineer for tomorrow between 8am and 12pm"): not vague, and not in the ledger (the specific
  one is). Rule: the commitment's, with ``+made-specific``.
- ``promise.immediate``: an action the agent ("I", "we", "let me") announces for right now ("let me check that for
  you", "I'll do that right away", "I'll be with you in a moment"). These are process talk, fulfilled within the
  conversation: they can be kept but are not in the ledger. "let me call you back tomorrow" (a "let me" with a
  future time) is a commitment; "our team will reach out right away" is a (vague) commitment of someone else.
- ``promise.due``: the due expression of a commitment ("by Friday", "within the hour", "in 3-5 business days").
- ``promise.kept``: the later agent sentence that keeps an earlier commitment ("I've just sent the confirmation",
  "Done - the refund is processed", "as promised, ..."), or the customer's saying the promised thing came ("ok. got
  the email", "the refund has arrived"; rule ``keep:customer``).
- ``promise.follow_through``: the agent coming back to an earlier contact or promise, which may lie in another
  conversation ("As promised when we chatted on Tuesday, ...", "just following up on", "as agreed"): an outbound
  update that keeps a promise from last week's chat has no commitment of its own to keep.

Decisions (documented here because tests and the ledger rely on them)
- Actors (named in the rule: ``commitment:i``, ``:we``, ``:team``, ``:someone``, ``:you-will``, ``:let-me``,
  ``:arranged``, ``:thing``): "I", "we" (also when said before "and will": "we're looking into it and will be in
  touch"), a colleague the agent has arranged it with ("I've asked my team lead to call you tomorrow", "we've booked an
  engineer to visit on Friday"; asking the customer is none), or a visit, call or collection booked for a time of
  its own ("I've booked an engineer for Thursday", "your collection is rescheduled for Monday"; the words are
  ``booking`` and ``booked_things``; undated, "I've booked a callback" is done, not promised),
  "the/our/a ... team/department/colleague/specialist/engineer/courier...", "someone" (always vague), and "you
  will/'ll/should receive|get|hear|be contacted|be refunded..." - a statement made on the company's behalf,
  classified like any other commitment except that it is specific only with a time frame ("you'll receive an email
  within 24 hours" is specific, "you'll get an email" and "you'll hear from us soon" vague; "you'll get charged" is no
  promise), and a thing the company delivers, named (``things``), that will be done (``thing_results``) or will come
  (``thing_verbs``) by a time ("your refund will be processed within 5 working days", "a new card will arrive by
  Friday"; without a time, "your order will arrive soon", it is no commitment; the customer saying it came keeps it,
  as for "you will"). "they will ..." and "it will arrive tomorrow" are predictions, not commitments (on a travel
  line "it" is the train: "It will arrive at 17:23"). The action is the rest
  of the evidence span (the verb phrase up to the end of its clause).
- Not commitments: negated ones ("I won't be able to", "we will not", "I'll never"), inverted or embedded questions
  ("will you ...?", "I'm not sure when we'll get stock"), non-actions ("I'll need your order number", "I'll be happy
  to help"), customer sentences, bot and system turns, internal notes.
- Specific vs vague: vague when the actor is "someone", the commitment is hedged, or the action is a vague one
  ("look into", "get back to you", "keep you posted", "check", "see what we can do") without a time frame; specific
  when it has a time frame, a concrete action verb ("send", "refund", "call"...) or a deliverable ("label", "link").
  "soon", "shortly", "asap" are not time frames; "the day before", "the morning of" (the visit, dated elsewhere:
  ``due.event_relative``) are, without a due time of their own. A bare weekday before the commitment is an object,
  not a deadline ("Saturday and Sunday, I'll refund"); "by Friday, I'll ..." is a deadline; a time before the first
  commitment with a conjunction between belongs to another clause ("why it only drops in the evening, so let me
  check").
- Due times are normalised against the promise turn's timestamp (``resolve_due``): "by/on Friday" means Friday at the
  end of business (``settings.due.end_of_business``, 17:00) - today if said on a Friday before 17:00, otherwise the
  next Friday; "next Friday" is the next Friday strictly after today; "tomorrow" 17:00 of the next day, "tomorrow
  morning" 12:00, "afternoon" 17:00, "evening" 21:00, "tonight" / "before you go to sleep" 23:59 today; "end of day" /
  "today" 17:00 (23:59 when said after 17:00); "by 5pm" today at 17:00 (tomorrow if 17:00 has passed); a day or date
  with a window ("Thursday between 9am and 1pm", "tomorrow from 9 to 1pm", "18 February between 8am and 12pm") at the
  window's end ("Friday, 3pm" at 15:00); a date in words ("on the twelfth", "the first of June") as one in figures;
  "within the hour" / "within 24 hours" exactly that long after the turn; "in 3-5 business days" the end
  of business of the 5th business day after (ranges take the upper bound, business days skip Saturdays and Sundays, no
  holidays); "in 2 days" / "within a week" the end of business of that day; "this week" / "end of the week" Friday
  17:00, "next week" the Friday after; "this weekend" Sunday 23:59. Times without am/pm are read as 24-hour; time-zone
  names are ignored (the turn's own time zone is used, aware timestamps stay aware). With a clock-only timestamp
  (``datetime.time``) only same-day, clock-relative expressions are normalised ("within the hour", "by 5pm", "end of
  day"); otherwise ``due`` is None and the expression stays in the evidence.
- Keeping: a later agent sentence in past or perfect phrasing ("I've sent", "we processed", "has been issued", "is
  processed"; or seen done by someone else: "I can see our team collected the table", ``keep.seen``) that shares a
  content word or its verb (lemmas, with synonym groups such as send/email/forward) with the commitment keeps it; "as
  promised", "Done", "here's the ..." keep the most recent open commitment the agent owed when nothing shares words
  (not a "you'll get an email confirmation", for the customer to receive). Negated sentences ("I haven't sent it
  yet"), failures ("I forgot to book it", ``keep.failures``) and future conditions
  ("once it's delivered") keep nothing; a search ("I found a flight", ``keep.search_verbs``) keeps only a commitment
  to look ("let me check flights"), not one to book; only the 50 most recent open commitments can be kept. A
  commitment for a later day ("On Friday I'll check ...", "Tomorrow I'll call you"; not a deadline: "by Friday") is
  kept only by what is said from that day on. A customer sentence keeps a commitment when a word of receipt
  (``keep.received``: "got", "received", "arrived", "see") has near it a content word the commitment shares ("got
  the email" keeps "you'll get a confirmation email"); not "Got it, thanks" (nothing named), "I got charged again" (a
  participle), a question or a negated sentence.
- Ledger status: kept (a later turn keeps it); overdue (its due time passed more than ``due.overdue_grace_minutes``
  before the transcript's last timestamp: an e-mail promised "in a minute" as a chat closes is not shown late);
  open (not kept, not overdue, and the transcript has timestamps); unknown (no timestamps and not kept). A date in
  the condition belongs to the condition ("if it doesn't arrive by Friday, I'll refund you": no due time), and a
  conditional commitment's time frame anchored to an event ("if he emails it, I'll add it within 15 minutes of
  receiving it": ``settings.due.anchors`` after the time frame) runs from when that happens, which the transcript
  does not say: no due time either (the time frame stays in the evidence as ``promise.due``). Otherwise ("if that
  doesn't help, someone will call you within 24 hours") it runs from the turn. Offers and immediate actions are not
  in the ledger.
"""

from __future__ import annotations

import bisect
import calendar
import functools
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from spacy.tokens import Doc, Span, Token

from transcript_coach.data import load_json
from transcript_coach.ingest.timestamps import seconds_between
from transcript_coach.model import Evidence, Promise, Timestamp
from transcript_coach.nlp import TranscriptDocs, doc_sentences
from transcript_coach.phrases import Phrases, norm, split_phrase
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.resources import Resources

VAGUE_KEPT = "promise.vague_kept"  # a vague commitment a later turn kept: nothing was left for the customer to chase
COMMITMENT_FEATURES = ("promise.specific", "promise.vague", VAGUE_KEPT, "promise.conditional", "promise.immediate")
MADE_SPECIFIC = "promise.made_specific"  # a general commitment the agent went on to make specific: in no ledger
LEDGER_RULES = ("commitment:", "conditional:")
_KEEP_RULES = ("commitment:", "conditional:", "immediate:")  # what a later turn can keep (offers cannot)
_KEEP_WINDOW = 50  # a later sentence keeps one of the 50 most recent open commitments, not any from hours before
CUSTOMER_KEEP = "keep:customer"  # the rule of a customer's sentence saying a promised thing came
_RECEIVE_RULES = ("commitment:you-will", "commitment:thing")  # "you'll get an email", "your refund will arrive
# within 5 days": for the customer to receive, not the agent to do

_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm|a\.m\.?|p\.m\.?)?$")
_NUM_UNIT = re.compile(r"^(\d{1,3}(?:\.\d)?)([a-z]{1,5})$")
_ORDINAL = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$")
_NUMBER = re.compile(r"^\d{1,3}(?:\.\d{1,2})?$")
_PUNCT_END = frozenset({".", "!", "?", ",", ";", ":", "...", "\u2026"})
_LATER_DAYS = frozenset({"tomorrow", "next", "day+2"})  # named days (Due.day) that are a day, not a window
_SUBORDINATORS = frozenset({"once", "when", "after", "if", "until", "unless", "before", "whenever", "as"})


# --- word tables (from data/lexicons/promise.json) -------------------------------------------------------------------

@dataclass(frozen=True)
class _Vocab:
    modals: frozenset[str]
    skip: frozenset[str]
    skip_phrases: Phrases
    negations: frozenset[str]
    non_actions: frozenset[str]
    be_phrases: Phrases
    be_ing_lemmas: frozenset[str]
    verbs_only_before: dict[str, frozenset[str]]
    not_verbs: frozenset[str]
    clause_openers: frozenset[str]
    immediate_actions: Phrases
    hedges: Phrases
    question_openers: frozenset[str]
    not_due_after: frozenset[str]
    vague_actions: Phrases
    concrete: frozenset[str]
    deliverables: frozenset[str]
    conditionals: Phrases
    clause_subjects: frozenset[str]  # "If ..., you can claim, and I'll text you": the condition has its own clause
    embedded_verbs: frozenset[str]
    offer_conditions: Phrases
    breaks: frozenset[str]
    break_only_before: dict[str, frozenset[str]]
    embedded_before_actor: frozenset[str]
    booking: frozenset[str]  # "booked", "scheduled": the action of a dated booking ("I've booked a courier for 9am")
    thing_results: frozenset[str]  # "your refund will be processed": what will be done to a thing
    thing_verbs: frozenset[str]  # "a new card will arrive": what a thing will do
    # due expressions
    prefixes: Phrases
    prefixes_for: dict[str, frozenset[str]]
    relative_prefixes: frozenset[str]
    deadline_prefixes: Phrases  # "by Friday" is a deadline, "on Friday" / "Friday" a day: see _first_keeper
    anchors: frozenset[str]  # after a time frame: it runs from the event named next ("15 minutes of receiving it")
    number_words: dict[str, float]
    units: Phrases
    unit_suffixes: dict[str, object]
    weekdays: dict[str, int]
    weekday_abbreviations: frozenset[str]
    months: dict[str, int]
    ordinal_words: dict[str, int]  # "twelfth": a day of the month said in words
    ordinal_tens: dict[str, int]  # "twenty" in "twenty-first"
    after_spoken_day: frozenset[str]  # words that may follow "on the twelfth" (not "on the first attempt")
    day_phrases: Phrases
    parts: dict[str, tuple[int, int]]
    end_of_business: tuple[int, int]
    end_of_day: tuple[int, int]
    clock_words: dict[str, tuple[int, int]]
    ampm: dict[str, str]
    trailing: Phrases
    vague_times: Phrases
    event_times: Phrases  # "the day before" (the visit): a time frame that runs from an event the text dates elsewhere
    immediate_times: Phrases
    # keeping
    keep_subjects: frozenset[str]
    keep_perfect: frozenset[str]
    keep_fillers: frozenset[str]
    keep_copula: frozenset[str]
    keep_negations: frozenset[str]
    keep_failures: Phrases  # "I forgot to book it", "I failed to make the appointment": not done
    keep_search: frozenset[str]  # "I found a flight": done only if the commitment was a search, not a booking
    aux_lemmas: frozenset[str]
    keep_markers: Phrases
    keep_start_markers: Phrases
    generic: frozenset[str]
    keep_stopwords: frozenset[str]
    synonyms: dict[str, str]
    keep_praise: Phrases  # "Well done.": praise for the customer, not "Done."
    keep_reports: frozenset[str]  # a commitment to report ("I'll message you to confirm ..."): kept by the report
    keep_not_done: frozenset[str]  # "it's called Settings", "I'm pleased": naming or feeling, nothing done
    keep_done_after: frozenset[str]  # those that are done after "I"/"we": "I've called the courier"
    keep_seen: Phrases  # "I can see", "our records show": what follows was done, whoever did it
    keep_seen_not_subjects: frozenset[str]  # "I can see you were charged twice": the customer's problem, not a keep
    received: frozenset[str]  # the customer saying a thing came: "got the email", "the refund arrived"
    overdue_grace: float  # seconds past a due time before an unkept commitment is overdue


@functools.cache
def _vocab() -> _Vocab:
    lexicon = load_json("lexicons/promise.json")
    s = lexicon["settings"]
    due, keep = s["due"], s["keep"]
    synonyms = {norm(word): group[0] for group in keep["synonyms"] for word in group}
    units = due["units"]
    return _Vocab(
        modals=frozenset(map(norm, s["modals"])),
        skip=frozenset(map(norm, s["skip_after_modal"])),
        skip_phrases=Phrases(s["skip_phrases_after_modal"]),
        negations=frozenset(map(norm, s["negations"])),
        non_actions=frozenset(s["non_actions"]),
        be_phrases=Phrases(s["be_phrases"]),
        be_ing_lemmas=frozenset(s["be_ing_lemmas"]),
        verbs_only_before={k: frozenset(v) for k, v in s["verbs_only_before"].items()},
        not_verbs=frozenset(s["not_verbs"]),
        clause_openers=frozenset(s["clause_openers"]),
        immediate_actions=Phrases(s["immediate_actions"]),
        hedges=Phrases(s["hedges_before_actor"]),
        question_openers=frozenset(s["question_openers"]),
        not_due_after=frozenset(s["not_due_after"]),
        vague_actions=Phrases(s["vague_actions"]),
        concrete=frozenset(s["concrete_actions"]),
        deliverables=frozenset(s["deliverables"]),
        conditionals=Phrases(s["conditionals"]),
        clause_subjects=frozenset(s["clause_subjects"]),
        embedded_verbs=frozenset(s["embedded_question_verbs"]),
        offer_conditions=Phrases(s["offer_conditions"]),
        breaks=frozenset(map(norm, s["clause_breaks"])),
        break_only_before={k: frozenset(v) for k, v in s["break_only_before"].items()},
        embedded_before_actor=frozenset(s["embedded_before_actor"]),
        booking=frozenset(lexicon["words"]["booking"]),
        thing_results=frozenset(lexicon["words"]["thing_results"]),
        thing_verbs=frozenset(lexicon["words"]["thing_verbs"]),
        prefixes=Phrases(due["prefixes"]),
        prefixes_for={k: frozenset(" ".join(split_phrase(p)) for p in v) for k, v in due["prefixes_for"].items()},
        relative_prefixes=frozenset(due["relative_prefixes"]),
        deadline_prefixes=Phrases(due["deadline_prefixes"]),
        anchors=frozenset(due["anchors"]),
        number_words={k: float(v) for k, v in {**due["number_words"], **due["approximate_numbers"]}.items()},
        units=Phrases(list(units), list(units.values())),
        unit_suffixes=dict(due["unit_suffixes"]),
        weekdays=dict(due["weekdays"]),
        weekday_abbreviations=frozenset(due["weekday_abbreviations"]),
        months=dict(due["months"]),
        ordinal_words={k: int(v) for k, v in due["ordinal_words"].items()},
        ordinal_tens={k: int(v) for k, v in due["ordinal_tens"].items()},
        after_spoken_day=frozenset(due["after_spoken_day"]),
        day_phrases=Phrases(list(due["day_phrases"]), list(due["day_phrases"].values())),
        parts={k: (int(v[0]), int(v[1])) for k, v in due["parts_of_day"].items()},
        end_of_business=(int(due["end_of_business"][0]), int(due["end_of_business"][1])),
        end_of_day=(int(due["end_of_day"][0]), int(due["end_of_day"][1])),
        clock_words={k: (int(v[0]), int(v[1])) for k, v in due["clock_words"].items()},
        ampm=dict(due["ampm"]),
        trailing=Phrases(due["trailing"]),
        vague_times=Phrases(due["vague"]),
        event_times=Phrases(due["event_relative"]),
        immediate_times=Phrases(s["immediate_times"]),
        keep_subjects=frozenset(keep["subject"]),
        keep_perfect=frozenset(map(norm, keep["perfect_aux"])),
        keep_fillers=frozenset(keep["fillers"]),
        keep_copula=frozenset(map(norm, keep["copula"])),
        keep_negations=frozenset(map(norm, keep["negations"])),
        keep_failures=Phrases(keep["failures"]),
        keep_search=frozenset(keep["search_verbs"]),
        aux_lemmas=frozenset(keep["aux_lemmas"]),
        keep_markers=Phrases(keep["markers"]),
        keep_start_markers=Phrases(keep["start_markers"]),
        generic=frozenset(keep["generic"]),
        keep_stopwords=frozenset(keep["keep_stopwords"]),
        synonyms=synonyms,
        keep_praise=Phrases(keep["praise"]),
        keep_reports=frozenset(keep["reports"]),
        keep_not_done=frozenset(keep["not_done"]),
        keep_done_after=frozenset(keep["done_after_subject"]),
        keep_seen=Phrases(keep["seen"]),
        keep_seen_not_subjects=frozenset(keep["seen_not_subjects"]),
        received=frozenset(keep["received"]),
        overdue_grace=float(due["overdue_grace_minutes"]) * 60,
    )


def _words(tokens: Sequence[Token] | Span | Doc) -> list[str]:
    return [norm(t.text) for t in tokens]


# --- due expressions -------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Due:
    """A parsed due expression. ``kind``: relative (``amount`` seconds), days / bdays / weeks / months (``amount``
    of them), day (a named day: ``day``), weekday, clock, date, and the non-deadlines vague and now."""

    kind: str
    amount: float = 0.0
    day: str | None = None
    weekday: int | None = None
    strictly_next: bool = False
    month: int | None = None
    mday: int | None = None
    hm: tuple[int, int] | None = None

    @property
    def deadline(self) -> bool:
        return self.kind not in ("vague", "now")


def parse_due(words: Sequence[str], i: int) -> tuple[int, Due] | None:
    """The due expression starting at ``words[i]`` (normalised lower-case tokens): (end index, Due), or None."""
    v = _vocab()
    length = v.immediate_times.longest(words, i)
    if length:
        return i + length, Due("now")
    plen = v.prefixes.longest(words, i)
    for skip in ((plen, 0) if plen else (0,)):
        prefix = " ".join(words[i:i + skip])
        found = _due_core(words, i + skip, prefix, v)
        if found:
            end, due = found
            category = {"days": "relative", "bdays": "relative", "weeks": "relative", "months": "relative"}.get(
                due.kind, due.kind)
            if prefix and prefix not in v.prefixes_for.get(category, ()):
                continue  # "gets in tomorrow": "in" does not introduce a day
            return end + v.trailing.longest(words, end), due
    length = v.vague_times.longest(words, i)
    if length:
        return i + length, Due("vague")
    length = v.event_times.longest(words, i)
    if length:
        return i + length, Due("event")  # a time frame with no due time of its own
    return None


def _due_core(words, j: int, prefix: str, v: _Vocab) -> tuple[int, Due] | None:
    n = len(words)
    if j >= n:
        return None
    found = _relative(words, j, prefix, v)
    if found:
        return found
    length = v.day_phrases.longest(words, j)
    if length:
        name = str(v.day_phrases.get(words, j, length))
        end = j + length
        hm = None
        if end < n and words[end] in v.parts:
            hm, end = v.parts[words[end]], end + 1
        clock = _clock_after(words, end, v)
        if clock:
            end, hm = clock
        return end, Due("day", day=name, hm=hm)
    w, lead, strictly = j, False, False
    if words[w] in ("this", "next", "coming", "following"):
        lead, strictly = True, words[w] in ("next", "following")
        w += 1
    if w < n and words[w] in v.weekdays and _weekday_ok(words, w, lead or bool(prefix), v):
        end, hm = w + 1, None
        after = end + (end < n and words[end] == ",")
        dated = _date(words, after, v, introduced=True) if after < n and not lead else None
        if dated:
            return dated  # "Friday 27 November between 8am and 12pm": the date says which Friday, and the window
        if end < n and words[end] in v.parts:
            hm, end = v.parts[words[end]], end + 1
        clock = _clock_after(words, end, v)
        if clock:
            end, hm = clock
        return end, Due("weekday", weekday=v.weekdays[words[w]], strictly_next=strictly, hm=hm)
    if lead:
        return None
    clock = _clock(words, j, v)
    if clock:
        end, hm = clock
        if end < n:
            length = v.day_phrases.longest(words, end)
            if length:
                return end + length, Due("day", day=str(v.day_phrases.get(words, end, length)), hm=hm)
            w = end + 1 if words[end] == "on" else end
            if w < n and words[w] in v.weekdays and _weekday_ok(words, w, True, v):
                return w + 1, Due("weekday", weekday=v.weekdays[words[w]], hm=hm)
        return end, Due("clock", hm=hm)
    return _date(words, j, v, introduced=bool(prefix))


def _weekday_ok(words, w: int, introduced: bool, v: _Vocab) -> bool:
    if w + 1 < len(words) and words[w + 1] in ("'s", "s"):
        return False  # "Friday's order"
    if words[w] in v.weekday_abbreviations:
        return introduced
    return True


def _relative(words, j: int, prefix: str, v: _Vocab) -> tuple[int, Due] | None:
    n, w = len(words), j
    lead = False
    while w < n and words[w] in ("the", "next", "following", "coming", "another", "upcoming"):
        lead = lead or words[w] != "the"
        w += 1
    amount: float | None = None
    if w < n:
        match = _NUM_UNIT.match(words[w])
        if match and match[2] in v.unit_suffixes:
            return _relative_end(words, w + 1, float(match[1]), v.unit_suffixes[match[2]], prefix, v)
    if w < n and _NUMBER.match(words[w]):
        amount, w = float(words[w]), w + 1
        if w + 1 < n and words[w] in ("-", "to", "or", "\u2013") and _NUMBER.match(words[w + 1]):
            amount, w = max(amount, float(words[w + 1])), w + 2
    elif w < n and words[w] in v.number_words:
        amount, w = v.number_words[words[w]], w + 1
        if words[w - 1] in ("a", "an") and w < n and words[w] in ("couple", "few"):
            amount, w = v.number_words[words[w]], w + 1
        if w < n and words[w] == "of":
            w += 1
        if words[w - 1] == "half" and w < n and words[w] in ("a", "an"):
            w += 1
        if w + 1 < n and words[w] in ("or", "to", "-") and words[w + 1] in v.number_words:
            amount, w = max(amount, v.number_words[words[w + 1]]), w + 2
    if w < n and words[w] == "more":
        w += 1
    length = v.units.longest(words, w)
    if not length:
        return None
    unit = v.units.get(words, w, length)
    if amount is None:
        if w == j or not (lead or isinstance(unit, (int, float))) or v.units.longest(words, w + length):
            return None  # "in minutes", "later in the day": no amount, no deadline; "by the second week": an ordinal
        amount = 1.0  # "within the hour", "in the next hour", "over the next week"
    return _relative_end(words, w + length, amount, unit, prefix, v)


def _relative_end(words, end: int, amount: float, unit: object, prefix: str, v: _Vocab) -> tuple[int, Due] | None:
    if end + 1 < len(words) and words[end] == "from" and words[end + 1] == "now":
        end += 2
    elif prefix not in v.relative_prefixes:
        return None  # "it takes 3 days" is a duration, not a deadline
    if isinstance(unit, (int, float)):
        return end, Due("relative", amount=amount * float(unit))
    return end, Due({"day": "days", "bday": "bdays", "week": "weeks", "month": "months"}[str(unit)], amount=amount)


def _clock(words, j: int, v: _Vocab) -> tuple[int, tuple[int, int]] | None:
    if j >= len(words):
        return None
    if words[j] in v.clock_words:
        return j + 1, v.clock_words[words[j]]
    match = _CLOCK.match(words[j])
    if not match:
        return None
    hour, minute, ampm, end = int(match[1]), int(match[2] or 0), match[3], j + 1
    if not ampm and end < len(words) and words[end] in v.ampm:
        ampm, end = words[end], end + 1
    if not ampm and match[2] is None:
        if end < len(words) and words[end] == "o'clock":
            end += 1
        else:
            return None  # a bare number is not a time
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    if hour > 23 or minute > 59:
        return None
    return end, (hour, minute)


def _clock_after(words, end: int, v: _Vocab) -> tuple[int, tuple[int, int]] | None:
    """A time after a day: "at 10am", "by 3pm", ", 3pm", or a window ("between 9am and 1pm", "from 9 to 1pm"), whose
    end is the deadline."""
    if end >= len(words):
        return None
    if words[end] in ("at", "by", "before", "around", ","):  # "on Friday, 3pm"
        return _clock(words, end + 1, v)
    if words[end] in ("between", "from") and end + 1 < len(words):
        start = _clock(words, end + 1, v)
        k = start[0] if start else end + 2 if words[end + 1].isdigit() and len(words[end + 1]) <= 2 else None
        if k is not None and k < len(words) and words[k] in ("and", "to", "until", "till", "-", "\u2013"):
            return _clock(words, k + 1, v)
    return None


def _date(words, j: int, v: _Vocab, introduced: bool = False) -> tuple[int, Due] | None:
    """A date: "18 February", "the 3rd of December", "February 18th", "by the 15th"; in words too ("the first of
    December", and after a word such as "on" or "by" that ``introduced`` it, "on the twelfth" followed by nothing,
    punctuation or a word of ``after_spoken_day``: not "on the first attempt")."""
    n, w = len(words), j
    if words[w] == "the":
        w += 1
    found = _day_of_month(words, w, v)
    if found:
        day, end, kind = found
        k = end + (end < n and words[end] == "of")
        if k < n and words[k] in v.months:
            return _with_clock(words, k + 1, Due("date", month=v.months[words[k]], mday=day), v)
        spoken_day = kind == "spoken" and introduced and (end == n or words[end] in _PUNCT_END
                                                          or words[end] in v.after_spoken_day)
        if w > j and (kind == "ordinal" or spoken_day):
            return _with_clock(words, end, Due("date", mday=day), v)  # "by the 15th", "on the twelfth"
        return None
    if w < n and words[w] in v.months:
        k = w + 1
        if k < n and words[k] == "the":
            k += 1
        match = _ORDINAL.match(words[k]) if k < n else None
        if match:
            return _with_clock(words, k + 1, Due("date", month=v.months[words[w]], mday=int(match[1])), v)
    return None


def _day_of_month(words, w: int, v: _Vocab) -> tuple[int, int, str] | None:
    """(day, end, kind) of a day of the month at ``words[w]``: "12" (kind "number"), "12th" ("ordinal"), "twelfth",
    "twenty-first" ("spoken")."""
    if w >= len(words):
        return None
    match = _ORDINAL.match(words[w])
    if match:
        return int(match[1]), w + 1, "ordinal" if match[2] else "number"
    if words[w] in v.ordinal_tens:
        k = w + 1 + (w + 1 < len(words) and words[w + 1] == "-")
        unit = v.ordinal_words.get(words[k], 10) if k < len(words) else 10
        return (v.ordinal_tens[words[w]] + unit, k + 1, "spoken") if unit < 10 else None
    if words[w] in v.ordinal_words:
        return v.ordinal_words[words[w]], w + 1, "spoken"
    return None


def _with_clock(words, end: int, due: Due, v: _Vocab) -> tuple[int, Due]:
    """A date and the time after it, if any: "on 18 February between 8am and 12pm" is due at noon."""
    clock = _clock_after(words, end, v)
    return (clock[0], replace(due, hm=clock[1])) if clock else (end, due)


def resolve_due(due: Due, timestamp: Timestamp | None) -> Timestamp | None:
    """The due time of ``due`` said at ``timestamp`` (conventions in the module docstring), or None."""
    if timestamp is None or not due.deadline:
        return None
    try:
        if isinstance(timestamp, datetime):
            return _resolve_datetime(due, timestamp, _vocab())
        return _resolve_clock(due, timestamp, _vocab())
    except (ValueError, OverflowError):
        return None


def _minutes(hm: tuple[int, int]) -> int:
    return hm[0] * 60 + hm[1]


def _resolve_datetime(due: Due, ts: datetime, v: _Vocab) -> datetime | None:
    today, now = ts.date(), ts.hour * 60 + ts.minute

    def at(day: date, hm: tuple[int, int]) -> datetime:
        return datetime(day.year, day.month, day.day, hm[0], hm[1], tzinfo=ts.tzinfo)

    eob = v.end_of_business
    if due.kind == "relative":
        return ts + timedelta(seconds=due.amount)
    count = math.ceil(due.amount)
    if due.kind == "days":
        return at(today + timedelta(days=count), eob)
    if due.kind == "weeks":
        return at(today + timedelta(days=7 * count), eob)
    if due.kind == "months":
        return at(today + timedelta(days=30 * count), eob)
    if due.kind == "bdays":
        day = today
        while count > 0:
            day += timedelta(days=1)
            count -= day.weekday() < 5
        return at(day, eob)
    if due.kind == "day":
        base, _, part = (due.day or "").partition(" ")
        hm = due.hm or (v.parts[part] if part in v.parts else None)
        if base in ("today", "eod"):
            return at(today, hm or (eob if now < _minutes(eob) else v.end_of_day))
        if base == "tonight":
            return at(today, hm or v.parts["night"])
        if base in ("tomorrow", "next"):
            return at(today + timedelta(days=1), hm or eob)
        if base == "day+2":
            return at(today + timedelta(days=2), hm or eob)
        friday = today + timedelta(days=4 - today.weekday())
        if base == "end_of_week":
            if today.weekday() > 4 or (today.weekday() == 4 and now >= _minutes(hm or eob)):
                friday += timedelta(days=7)
            return at(friday, hm or eob)
        if base == "end_of_next_week":
            return at(friday + timedelta(days=7), hm or eob)
        if base == "weekend":
            return at(today + timedelta(days=6 - today.weekday()), hm or v.end_of_day)
        if base == "end_of_month":
            return at(today.replace(day=calendar.monthrange(today.year, today.month)[1]), hm or eob)
        return None
    if due.kind == "weekday" and due.weekday is not None:
        hm = due.hm or eob
        ahead = (due.weekday - today.weekday()) % 7
        if due.strictly_next:
            ahead = ahead or 7
        elif ahead == 0 and now >= _minutes(hm):
            ahead = 7
        return at(today + timedelta(days=ahead), hm)
    if due.kind == "clock" and due.hm:
        result = at(today, due.hm)
        return result if result > ts else result + timedelta(days=1)
    if due.kind == "date" and due.mday:
        if due.month:
            result = date(today.year, due.month, due.mday)
            if result < today:
                result = date(today.year + 1, due.month, due.mday)
        else:
            result = date(today.year, today.month, due.mday) if due.mday >= today.day else (
                date(today.year + (today.month == 12), today.month % 12 + 1, due.mday))
        return at(result, due.hm or eob)
    return None


def _resolve_clock(due: Due, ts: time, v: _Vocab) -> time | None:
    """Clock-only timestamps: only same-day expressions relative to the clock can be placed."""
    now = ts.hour * 3600 + ts.minute * 60 + ts.second

    def clock(seconds: float) -> time | None:
        if not now < seconds < 86400:
            return None
        seconds = int(seconds)
        return time(seconds // 3600, seconds % 3600 // 60, seconds % 60, tzinfo=ts.tzinfo)

    if due.kind == "relative":
        return clock(now + due.amount)
    if due.kind == "clock" and due.hm:
        return clock(_minutes(due.hm) * 60)
    if due.kind == "day":
        base, _, part = (due.day or "").partition(" ")
        hm = due.hm or (v.parts[part] if part in v.parts else None)
        if base in ("today", "eod"):
            hm = hm or (v.end_of_business if now < _minutes(v.end_of_business) * 60 else v.end_of_day)
            return clock(_minutes(hm) * 60)
        if base == "tonight":
            return clock(_minutes(hm or v.parts["night"]) * 60)
    return None


# --- commitments -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Commitment:
    turn: int
    start: int  # character offsets in the turn text
    end: int
    feature: str
    rule: str
    due: tuple[int, int] | None = None  # character span of the due expression
    due_rule: str | None = None
    general: bool = False  # vague only for want of a time frame or a concrete action ("we'll sort this out")


class _Keeper(NamedTuple):
    """A sentence that may keep a commitment: an agent's saying it was done, or a customer's saying it came."""

    turn: int
    start: int  # character offsets in the turn text
    end: int
    phrasing: bool  # past or perfect phrasing ("I've sent", "the refund is processed", "got the email")
    marker: bool  # a keeping marker ("as promised", "Done", "here's the ...")
    lemmas: frozenset[str]
    needs: str | None = None  # a lemma the kept commitment must have: "I found a flight" keeps a search ("check")


@dataclass(slots=True)
class _Candidate:
    """A commitment being read: token positions in the doc, filled in step by step."""

    actor: str
    start: int  # first token of the evidence span
    verb: int  # first token of the action
    clause_end: int  # token after the action clause
    span_end: int
    conditional: bool = False
    offer: bool = False
    hedged: bool = False
    immediate: bool = False
    someone: bool = False
    dated: bool = False  # a booking ("I've booked an engineer"): a commitment only with a time of its own
    due: tuple[int, int, Due] | None = None


def _strip_end(doc: Doc, start: int, end: int) -> int:
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space) and doc[end - 1].text not in (")", "]"):
        end -= 1
    return end


def _is_break(words: Sequence[str], doc: Doc, k: int, v: _Vocab) -> bool:
    word = words[k]
    if word in ("-", "\u2013", "\u2014"):
        return k > 0 and bool(doc[k - 1].whitespace_)
    if word not in v.breaks:
        return False
    if word == "if" and k > 0 and words[k - 1] in v.embedded_verbs:
        return False  # "I'll see if ...", "I'll check if ..." 
    only = v.break_only_before.get(word)
    if only is not None:
        return k + 1 < len(words) and words[k + 1] in only
    return True


def _conditional_at(words: Sequence[str], k: int, v: _Vocab) -> int:
    """Length of a condition word ("if", "unless", "in case") at ``k`` that is not an embedded question."""
    length = v.conditionals.longest(words, k)
    if not length:
        return 0
    if any(words[p] in v.embedded_verbs for p in range(max(0, k - 2), k)):
        return 0  # "check if", "find out if", "not sure if"
    return length


def _governs_another_clause(words: Sequence[str], k: int, actor: int, v: _Vocab) -> bool:
    """Whether the condition at ``k`` governs a clause of its own, to which the commitment at ``actor`` is joined by
    ", and": "If food is spoiled, you can claim for it, and I'll text you the form" (the texting is unconditional;
    not "If it fails, call us and I'll send an engineer", whose sending waits on the call)."""
    if actor < 2 or words[actor - 1] != "and" or words[actor - 2] != ",":
        return False
    comma = next((p for p in range(k + 1, actor - 2) if words[p] == ","), None)
    return comma is not None and words[comma + 1] in v.clause_subjects


def _sentences(doc: Doc) -> list[Span]:
    return list(doc_sentences(doc)) or [doc[:]]


def _find(turn: int, doc: Doc, lexicon, v: _Vocab) -> list[_Commitment]:
    matches = list(lexicon.matches(doc))
    if not matches:
        return []
    sentences = _sentences(doc)
    starts = [s.start for s in sentences]
    by_sentence: dict[int, list] = {}
    for match in matches:  # (Span.sent walks the doc: look the sentence up instead)
        by_sentence.setdefault(bisect.bisect_right(starts, match.span.start) - 1, []).append(match)
    words = _words(doc)
    found: list[_Commitment] = []
    for index, group in by_sentence.items():
        found.extend(_sentence(turn, doc, words, sentences[index], group, v))
    return sorted(found, key=lambda c: (c.start, c.end))


def _offer_rule(entry: str, has_offer_condition: bool) -> str | None:
    """The rule of an offer match: "would you like me to ...?", or "I can ..." in a sentence with an offer condition
    ("if you'd like", "if it's easier"); None when the match offers nothing."""
    if entry == "offer.question":
        return "offer:question"
    return "offer:if-you-like" if entry == "offer.can" and has_offer_condition else None


def offers_something(sent: Span, res: Resources) -> bool:
    """Whether a sentence offers the customer something rather than doing it, as commitments are read ("Would you
    like me to transfer you?", "If it's easier, I can transfer you to her")."""
    v = _vocab()
    words = _words(sent)
    condition = any(v.offer_conditions.longest(words, k) for k in range(len(words)))
    return any(_offer_rule(m.entry.id, condition) for m in res.lexicon("promise").matches(sent.doc)
               if sent.start <= m.span.start < sent.end)


def _sentence(turn: int, doc: Doc, words: list[str], sent: Span, matches, v: _Vocab) -> list[_Commitment]:
    s_start, s_end = sent.start, _strip_end(doc, sent.start, sent.end)
    offers: list[tuple[int, int, str]] = []
    has_offer_condition = any(v.offer_conditions.longest(words, k, sent.end) for k in range(s_start, sent.end))
    for match in sorted(matches, key=lambda m: m.span.start):
        rule = _offer_rule(match.entry.id, has_offer_condition)
        if rule and not any(a <= match.span.start < b for a, b, _ in offers):
            offers.append((s_start if match.entry.id == "offer.can" else match.span.start, s_end, rule))
    question = doc[sent.end - 1].text.endswith("?") and words[s_start] in v.question_openers
    cues = sorted((m for m in matches if m.entry.id.startswith(("actor.", "let_me")) and not question),
                  key=lambda m: m.span.start)  # "when do you think we'll get it?" commits to nothing
    cue_starts = frozenset(m.span.start for m in cues)
    candidates: list[_Candidate] = []
    taken_until = s_start
    for match in cues:
        if match.span.start < taken_until or any(a <= match.span.start < b for a, b, _ in offers):
            continue
        candidate = _candidate(doc, words, match, sent, cue_starts, v)
        if candidate is None:
            continue
        taken_until = match.span.end
        candidates.append(candidate)
    if not candidates and not offers:
        return []
    # conditions and offers phrased as conditions
    previous_end = s_start
    for c in candidates:
        for k in range(previous_end, c.start):
            length = _conditional_at(words, k, v)
            if length and not _governs_another_clause(words, k, c.start, v):
                c.conditional, c.start = True, k
                c.offer = bool(v.offer_conditions.longest(words, k, sent.end))
                break
        after = c.clause_end + (c.clause_end < s_end and words[c.clause_end] == ",")
        if not c.conditional and after < s_end and _conditional_at(words, after, v):
            c.conditional = True  # "I'll refund you(,) if it doesn't arrive by Friday"
            c.offer = bool(v.offer_conditions.longest(words, after, sent.end))
            later = next((s for s in range(after, s_end) if s in cue_starts), s_end)
            c.span_end = _strip_end(doc, c.clause_end, later)
        if any(v.hedges.longest(words, k, c.start) for k in range(previous_end, c.start)):
            c.hedged = True
        previous_end = c.clause_end
    # due expressions: each goes to the commitment whose span holds it, else the nearest before it, else after it
    k = s_start
    conditions = [(c.start, c.verb) for c in candidates if c.conditional and c.start < c.verb] + [
        (c.clause_end, c.span_end) for c in candidates if c.conditional and c.span_end > c.clause_end]
    blocked = [0] * (s_end - s_start + 1)  # token positions inside a condition or an offer
    for a, b in conditions + [(a, b) for a, b, _ in offers]:
        blocked[max(a, s_start) - s_start] += 1
        blocked[min(b, s_end) - s_start] -= 1
    for i in range(1, len(blocked)):
        blocked[i] += blocked[i - 1]
    starts = [doc[c.start].idx for c in candidates]
    verbs = [c.verb - 3 for c in candidates]
    sentence_words = words[:s_end]
    while k < s_end:
        parsed = parse_due(sentence_words, k) if not (k > s_start and words[k - 1] in v.not_due_after) else None
        if not parsed:
            k += 1
            continue
        end, due = parsed
        if due.kind == "weekday" and candidates and k < candidates[0].start and not v.prefixes.longest(words, k):
            k = max(end, k + 1)  # "Saturday and Sunday, I'll refund": a bare weekday before the promise is an object
            continue
        if candidates and end <= candidates[0].start and any(
                w.isalpha() and w in v.breaks for w in words[end:candidates[0].start]):
            k = max(end, k + 1)  # "why it drops in the evening, so let me check": the time of another clause
            continue
        if due.kind == "now":
            near = bisect.bisect_right(verbs, k) - 1
            if near >= 0 and k < candidates[near].clause_end:
                candidates[near].immediate = True
        elif due.deadline and not blocked[k - s_start] and candidates:
            c = candidates[_owner(starts, doc[k].idx)]
            inside = c.start <= k < c.span_end
            # the first due wins, unless it lay outside the commitment and this one is inside ("I've booked the
            # engineer for 8am tomorrow, and I'll call you at 7:30am")
            if (c.due is None or (inside and not c.start <= c.due[0] < c.span_end)) \
                    and not (c.conditional and not inside):
                c.due = (k, end, due)
        k = max(end, k + 1)
    out: list[_Commitment] = []
    candidates = [c for c in candidates if not c.dated or (c.due is not None and c.start <= c.due[0] < c.span_end)]
    for a, b, rule in offers:
        out.append(_Commitment(turn, doc[a].idx, _end_char(doc, b), "promise.conditional", rule))
    for c in candidates:
        out.append(_classify(turn, doc, words, c, v))
    return out


def _end_char(doc: Doc, end: int) -> int:
    return doc[end - 1].idx + len(doc[end - 1].text)


def _owner(starts: Sequence[int], at: int) -> int:
    """Index of the commitment a due expression starting at character ``at`` belongs to: the one whose span holds it,
    else the nearest one before it, else the first after it (``starts``: where one sentence's commitments start, in
    text order; their spans do not overlap)."""
    return max(bisect.bisect_right(starts, at) - 1, 0)


def _candidate(doc: Doc, words: list[str], match, sent: Span, cue_starts: frozenset[int], v: _Vocab
               ) -> _Candidate | None:
    span, entry = match.span, match.entry.id
    previous = words[span.start - 1] if span.start > sent.start else ""
    dated = False
    if previous in v.negations or previous in ("do", "did"):
        return None  # "don't let me down"
    if entry == "let_me":
        if previous and not (doc[span.start - 1].is_punct or previous in v.clause_openers):
            return None  # "it allowed me to travel", "one of those let me get Alan ... things"
        actor = "let-me"
        verb = span.end - 1 if words[span.start] == "let" else span.end
        if words[verb] == "just":
            verb += 1
    elif entry == "actor.and_will":  # "I've passed this on and will let you know": the subject said before
        actor = next((words[k] for k in range(span.start - 1, sent.start - 1, -1) if words[k] in ("i", "we")), "")
        if not actor:
            return None  # "the parcel was damaged and will be replaced": no one of ours commits
        verb = span.end
    elif entry == "actor.i_unmarked":  # "ill raise a claim now", as a fast chat writes "I'll"
        verb = span.end
        if verb >= sent.end or not (words[verb] in v.concrete or v.vague_actions.longest(words, verb, sent.end)):
            return None  # "my mum is ill", "ill for weeks": the word, not "I'll"
        actor = "i"
    elif entry == "actor.booked":  # "I've booked an engineer for Thursday": the booking is the action, when dated
        if span.end < sent.end and words[span.end] == "to":
            return None  # "I've booked an engineer to visit on Friday": the arranged actor reads it
        actor = "arranged"
        verb = next(k for k in range(span.end - 1, span.start - 1, -1) if words[k] in v.booking)
        dated = True
    else:
        actor = {"actor.i": "i", "actor.we": "we", "actor.team": "team", "actor.someone": "someone",
                 "actor.you_receive": "you-will", "actor.arranged": "arranged", "actor.thing": "thing"}[entry]
        if previous in v.embedded_before_actor:
            return None  # "I'm not sure when we'll get stock", "what will I ..."
        if actor == "you-will" and previous in ("that", "so", "ensure", "sure"):
            return None  # "to ensure that you will receive our emails, ..."
        modal = next((k for k in range(span.start + 1, span.end) if words[k] in v.modals), span.end - 1)
        verb = modal + 1
        if actor == "thing":  # "your refund will be processed within 5 days", "a new card will arrive by Friday"
            if verb + 1 < sent.end and words[verb] == "be":
                if words[verb + 1] in v.thing_results:
                    verb += 1  # "be processed": the action; else "be with you" is read as for any actor, "be slow" not
            elif verb >= sent.end or doc[verb].lemma_.lower() not in v.thing_verbs:
                return None  # "your account will need ...": nothing promised
            dated = True  # and only with a time frame: "your order will arrive" is no commitment of ours
    hedged = False
    while not dated and verb < sent.end:
        length = v.skip_phrases.longest(words, verb, sent.end)
        if length:
            hedged = hedged or words[verb] == "try"
            verb += length
        elif words[verb] in v.skip:
            verb += 1
        else:
            break
    if verb >= sent.end or words[verb] in v.negations or not doc[verb].is_alpha or words[verb] in v.not_verbs:
        return None
    if doc[verb].is_title and verb > sent.start and not doc[verb - 1].is_punct and words[verb] != "i" and \
            not doc[verb].text.isupper() and not doc[sent.start:verb].text.istitle():
        return None  # "I am going to Chicago": a name where the action should be
    lemma = doc[verb].lemma_.lower()
    following = words[verb + 1] if verb + 1 < sent.end else ""
    immediate = bool(v.immediate_actions.longest(words, verb, sent.end))
    if actor == "you-will":
        if lemma == "get" and following.endswith("ed"):
            return None  # "you'll get charged": what happens to the customer, not what we will deliver
    elif immediate:
        pass
    elif words[verb] == "be":
        if not (v.be_phrases.longest(words, verb + 1, sent.end) or (
                following.endswith("ing") and doc[verb + 1].lemma_.lower() in v.be_ing_lemmas)):
            return None  # "I'll be happy to help", "we will be closed", "I will be in London"
    elif lemma in v.verbs_only_before:
        if following not in v.verbs_only_before[lemma]:
            return None  # "we will have 9 for dinner", "we'll see", "we look forward to"
    elif lemma in v.non_actions or words[verb] in v.non_actions or words[verb] in v.modals:
        return None
    elif lemma == "call" and following == "you" and verb + 2 < sent.end and doc[verb + 2].is_title and \
            words[verb + 2] not in v.weekdays and words[verb + 2] not in v.months:
        return None  # "I'll just call you Tom": a name, not a phone call
    end = verb + 1
    while end < sent.end and not (_is_break(words, doc, end, v) or end in cue_starts or doc[end].is_punct and
                                  words[end] in _PUNCT_END):
        end += 1
    clause_end = end
    span_end = _strip_end(doc, span.start, clause_end)
    if span_end <= verb:
        span_end = verb + 1
    start = span.start + (entry == "actor.and_will")  # the commitment starts at "will", not at "and"
    return _Candidate(actor, start, verb, clause_end, span_end, hedged=hedged, immediate=immediate,
                      someone=actor == "someone", dated=dated)


def _classify(turn: int, doc: Doc, words: list[str], c: _Candidate, v: _Vocab) -> _Commitment:
    start, end = doc[c.start].idx, _end_char(doc, c.span_end)
    due = (doc[c.due[0]].idx, _end_char(doc, c.due[1])) if c.due else None
    due_rule = f"due:{c.due[2].kind}" if c.due else None
    if c.offer:
        return _Commitment(turn, start, end, "promise.conditional", "offer:if-you-like")
    if c.conditional:
        return _Commitment(turn, start, end, "promise.conditional", f"conditional:{c.actor}", due, due_rule)
    general = False
    if c.someone or c.hedged:
        feature = "promise.vague"
    elif due is None and (c.actor == "let-me" or c.immediate and c.actor in ("i", "we")):
        return _Commitment(turn, start, end, "promise.immediate", f"immediate:{c.actor}")
    elif due is not None:
        feature = "promise.specific"
    elif c.actor == "you-will" or v.vague_actions.longest(words, c.verb, c.clause_end):
        feature = "promise.vague"  # "you'll get an email": for the customer's side only a time frame is specific
        general = c.actor != "you-will"
    elif doc[c.verb].lemma_.lower() in v.concrete or any(
            doc[k].lemma_.lower() in v.deliverables or words[k] in v.deliverables for k in range(c.verb, c.clause_end)):
        feature = "promise.specific"
    else:
        feature, general = "promise.vague", True
    return _Commitment(turn, start, end, feature, f"commitment:{c.actor}", due, due_rule, general)


def _made_specific(found: list[_Commitment], docs: TranscriptDocs) -> list[_Commitment]:
    """``found`` with each general vague commitment ("Don't worry, we'll sort this out together", "we'll get back to
    you") that the agent follows with a specific one before the customer writes again ("I've booked an engineer for
    tomorrow between 8am and 12pm") made ``promise.made_specific``: the specific one says what the general one meant,
    and it is the one to hold the agent to. Found in turn order."""
    turns = docs.transcript.turns
    out = list(found)
    for i, c in enumerate(found):
        if c.feature != "promise.vague" or not c.general:
            continue
        for later in found[i + 1:]:
            if any(turns[k].role == "customer" for k in range(c.turn + 1, later.turn + 1)):
                break
            if later.feature == "promise.specific":
                out[i] = replace(c, feature=MADE_SPECIFIC, rule=f"{c.rule}+made-specific")
                break
    return out


# --- keeping ---------------------------------------------------------------------------------------------------------

def _content(tokens: Iterable[Token], v: _Vocab, skip: tuple[int, int] | None = None) -> frozenset[str]:
    lemmas = set()
    for token in tokens:
        if skip and skip[0] <= token.idx < skip[1]:
            continue
        word = token.lower_
        if not (token.is_alpha or "-" in word) or len(word) < 2:
            continue
        if token.is_stop and word not in v.keep_stopwords:
            continue
        lemma = token.lemma_.lower()
        if lemma in v.generic or word in v.generic:
            continue
        lemmas.add(v.synonyms.get(lemma, v.synonyms.get(word, lemma)))
    return frozenset(lemmas)


def _main_clause(tokens: Sequence[Token], v: _Vocab) -> Sequence[Token]:
    """The tokens of a conditional commitment without its condition ("if it doesn't arrive by Friday, ...")."""
    words = _words(tokens)
    if _conditional_at(words, 0, v):
        for k, word in enumerate(words):
            if word in (",", "then") or (k and word in ("i", "we")):
                return tokens[k:]
        return tokens
    for k in range(1, len(words)):
        if _conditional_at(words, k, v):
            return tokens[:k]
    return tokens


def _first_keeper(docs: TranscriptDocs, c: _Commitment, v: _Vocab) -> int:
    """The first turn that can keep ``c``: the next one, or, for a commitment scheduled for a later day ("On Friday
    I'll check that your bank has the refund", "Tomorrow I'll call you"; not a deadline: "by Friday"), the first
    one said on that day (what the agent did earlier is something else). A turn without a timestamp can keep it."""
    turns = docs.transcript.turns
    said = turns[c.turn].timestamp
    if c.due is None or not isinstance(said, datetime):
        return c.turn + 1
    span = docs.docs[c.turn].char_span(c.due[0], c.due[1], alignment_mode="expand")
    words = _words(span) if span is not None else []
    parsed = parse_due(words, 0) if words and not v.deadline_prefixes.longest(words, 0) else None
    day = parsed[1] if parsed else None
    if day is None or not (day.kind in ("weekday", "date") or (day.day or "").partition(" ")[0] in _LATER_DAYS):
        return c.turn + 1
    due = resolve_due(day, said)
    if not isinstance(due, datetime) or due.date() <= said.date():
        return c.turn + 1
    for k in range(c.turn + 1, len(turns)):
        ts = turns[k].timestamp
        if not isinstance(ts, datetime) or ts.date() >= due.date():
            return k
    return len(turns)


def _commitment_lemmas(doc: Doc, c: _Commitment, v: _Vocab) -> frozenset[str]:
    span = doc.char_span(c.start, c.end, alignment_mode="expand")
    if span is None:
        return frozenset()
    tokens: Sequence[Token] = list(span)
    if c.feature == "promise.conditional":
        tokens = _main_clause(tokens, v)
    return _content(tokens, v, c.due)


def _fulfilment(tokens: Sequence[Token], v: _Vocab) -> tuple[bool, bool, str | None]:
    """(past or perfect phrasing, a keeping marker, the lemma a kept commitment needs) in a sentence; negated
    sentences and failures ("I forgot to book it") have neither. What was done is a search ("I found a flight")
    when its verb is one of ``keep.search_verbs``: that keeps a commitment to look, not one to book."""
    words = _words(tokens)
    n = len(words)
    if any(w in v.keep_negations for w in words) or any(v.keep_failures.longest(words, i) for i in range(n)):
        return False, False, None
    k = 0
    while k < n and (words[k] in ("ok", "okay", "alright", "great", "right", "so", "and", "well")
                     or tokens[k].is_punct):
        k += 1
    praised = bool(v.keep_praise.longest(words, 0))
    marker = (not praised and bool(v.keep_start_markers.longest(words, k))) or any(
        v.keep_markers.longest(words, i) for i in range(n))
    for i, word in enumerate(words):
        if any(words[p] in _SUBORDINATORS for p in range(max(0, i - 2), i)):
            continue  # "... once it's delivered": a future condition, not something done
        seen = v.keep_seen.longest(words, i)
        if seen:  # "I can see our team collected the table": done by someone else, and not "you were charged"
            k = i + seen + (i + seen < n and words[i + seen] == "that")
            if k < n and words[k] not in v.keep_seen_not_subjects and any(
                    _past(tokens[j], v) and words[j] not in v.keep_not_done for j in range(k + 1, min(n, k + 5))):
                return True, marker, None
        if word in v.keep_subjects or word in v.keep_perfect:  # "I've sent", "we processed", "it has been issued"
            j = i + 1
            while j < n and j <= i + 4 and (words[j] in v.keep_perfect or words[j] in v.keep_fillers):
                j += 1
            if j < n and _past(tokens[j], v) and (words[j] not in v.keep_not_done or (
                    word in v.keep_subjects and words[j] in v.keep_done_after)):
                return True, marker, _searched(tokens[j], v)
        elif word in v.keep_copula and i > 0:  # "the refund is processed" (regular participles only: "is fine" no)
            j = i + 1
            while j < n and j <= i + 3 and words[j] in v.keep_fillers:
                j += 1
            if j < n and words[j].endswith("ed") and words[j] not in v.keep_not_done and _past(tokens[j], v):
                return True, marker, _searched(tokens[j], v)
    return False, marker, None


def _searched(token: Token, v: _Vocab) -> str | None:
    if token.lower_ not in v.keep_search:
        return None
    lemma = token.lemma_.lower()
    return v.synonyms.get(lemma, lemma)


def _past(token: Token, v: _Vocab) -> bool:
    word, lemma = token.lower_, token.lemma_.lower()
    if not token.is_alpha or word == lemma or lemma in v.aux_lemmas:
        return False
    return not (word.endswith("ing") or word == lemma + "s" or word == lemma + "es")


def _link(commitments: Sequence[tuple[_Commitment, frozenset[str], int]], candidates: Sequence[_Keeper],
          reports: frozenset[str] = frozenset()) -> dict[int, tuple[int, str]]:
    """Which candidate keeps which commitment: {commitment index: (candidate index, rule)}.

    Commitments come with their lemmas and the first turn that can keep them (``_first_keeper``). In text order,
    each candidate keeps the open commitments of earlier turns (the ``_KEEP_WINDOW`` most recent, those it can keep
    by its turn and with the lemma it ``needs``) that share the most words with it, given past/perfect phrasing or a
    marker, or, with a marker and no shared words, the most recent open one the agent owed (not "you'll get an email
    confirmation", which the customer is to receive: "Here is your reference number" does not keep it). A candidate
    with a marker is also the report an open commitment to report promised (its words among ``reports``: "I'll
    message you by 6pm to confirm it's been picked up", kept by "As promised: the driver collected your parcel").
    """
    order = sorted(range(len(commitments)), key=lambda i: (commitments[i][0].turn, commitments[i][0].start))
    kept: dict[int, tuple[int, str]] = {}
    open_: list[int] = []
    pending = 0
    for ci in sorted(range(len(candidates)), key=lambda i: candidates[i][:2]):
        turn, _start, _end, phrasing, marker, lemmas, needs = candidates[ci]
        while pending < len(order) and commitments[order[pending]][0].turn < turn:
            open_.append(order[pending])
            pending += 1
        recent = open_[-_KEEP_WINDOW:]
        window = [i for i in recent if commitments[i][2] <= turn and (needs is None or needs in commitments[i][1])]
        if not (phrasing or marker) or not window:
            continue
        scores = {i: len(commitments[i][1] & lemmas) for i in window}
        best = max(scores.values())
        if best > 0:
            chosen = {i for i in window if scores[i] == best}
            rule = "keep:overlap"
            if marker:
                chosen.update([i for i in window if i not in chosen and commitments[i][1] & reports][-1:])
        elif marker and (owed := [i for i in window if commitments[i][0].rule not in _RECEIVE_RULES]):
            chosen, rule = {owed[-1]}, "keep:marker"
        else:
            continue
        for i in chosen:
            kept[i] = (ci, rule)
        open_[-_KEEP_WINDOW:] = [i for i in recent if i not in chosen]
    return kept


def _received(tokens: Sequence[Token], v: _Vocab) -> frozenset[str]:
    """What a customer sentence says has come ("ok. got the email", "the refund has arrived", "I can see the
    credit now"): the content words of the few tokens after a word of receipt, or nothing. Not in a question or a
    negated sentence ("I still haven't got the email"), and not "got charged" (a participle after it)."""
    words = _words(tokens)
    if not words or words[-1] == "?" or any(w in v.keep_negations for w in words):
        return frozenset()
    for i, word in enumerate(words):
        if word in v.received:
            after = tokens[i + 1:i + 5]
            if after and _past(after[0], v):
                continue
            found = _content(after, v) | _content(tokens[max(0, i - 3):i], v)  # "the refund has arrived"
            if found:
                return found
    return frozenset()


def _sentence_tokens(doc: Doc) -> Iterator[tuple[list[Token], int]]:
    """Each sentence's tokens without leading space or trailing punctuation, and the sentence's end character."""
    for sent in doc_sentences(doc):
        start = sent.start
        while start < sent.end and doc[start].is_space:  # a sentence after a line break starts with it
            start += 1
        end = _strip_end(doc, start, sent.end)
        if end > start:
            yield list(doc[start:end]), _end_char(doc, end)


def _keep_candidates(docs: TranscriptDocs, v: _Vocab) -> Iterator[_Keeper]:
    """Each sentence that may keep a commitment: an agent's saying it was done, or a customer's saying it came."""
    for turn, doc in docs.turns():
        if turn.role not in ("agent", "customer"):
            continue
        for tokens, end in _sentence_tokens(doc):
            if turn.role == "customer":
                received = _received(tokens, v)
                if received:
                    yield _Keeper(turn.index, tokens[0].idx, end, True, False, received)
                continue
            phrasing, marker, needs = _fulfilment(tokens, v)
            if phrasing or marker:
                yield _Keeper(turn.index, tokens[0].idx, end, phrasing, marker, _content(tokens, v), needs)


# --- extractor and ledger --------------------------------------------------------------------------------------------

@extractor("promise")
def promises(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    lexicon = res.lexicon("promise")
    v = _vocab()
    found: list[_Commitment] = []
    for turn, doc in docs.turns(role="agent"):
        found.extend(_find(turn.index, doc, lexicon, v))
        for match in lexicon.matches(doc):
            if match.entry.feature == "promise.follow_through":
                yield span_hit(match.entry.feature, turn.index, match.span, f"lexicon:promise#{match.entry.id}")
    found = _made_specific(found, docs)
    keepable = [(c, _commitment_lemmas(docs.docs[c.turn], c, v), _first_keeper(docs, c, v))
                for c in found if c.rule.startswith(_KEEP_RULES) and c.feature != MADE_SPECIFIC]
    candidates = list(_keep_candidates(docs, v)) if keepable else []
    links = _link(keepable, candidates, v.keep_reports) if keepable else {}
    kept = {keepable[i][0] for i in links}
    for c in found:
        yield Hit(VAGUE_KEPT if c.feature == "promise.vague" and c in kept else c.feature, c.turn, c.start, c.end,
                  c.rule)
        if c.due:
            yield Hit("promise.due", c.turn, c.due[0], c.due[1], c.due_rule or "due")
    turns = docs.transcript.turns
    for ci, rule in set(links.values()):
        turn, start, end = candidates[ci][:3]
        yield Hit("promise.kept", turn, start, end, CUSTOMER_KEEP if turns[turn].role == "customer" else rule)
    for i, (ci, _) in sorted(links.items()):
        c = keepable[i][0]
        if c.feature == "promise.specific" and c.due and _late(docs, c, turns[candidates[ci][0]].timestamp, v):
            yield Hit("promise.kept_late", c.turn, c.start, c.end, "keep:after-due")


def _late(docs: TranscriptDocs, c: _Commitment, kept_at: Timestamp | None, v: _Vocab) -> bool:
    """Whether a commitment was kept only after its due time (and the grace past it)."""
    said = docs.transcript.turns[c.turn].timestamp
    parsed = _parse_span(docs.docs[c.turn], *c.due) if said is not None and kept_at is not None else None
    due = resolve_due(parsed, said) if parsed else None
    return due is not None and _past_due(said, due, kept_at, v)


def _past_due(said: Timestamp, due: Timestamp, at: Timestamp, v: _Vocab) -> bool:
    """Whether ``at`` is past the due time of a commitment said at ``said``, and the grace after it."""
    horizon, elapsed = seconds_between(said, due), seconds_between(said, at)
    return horizon is not None and elapsed is not None and elapsed > horizon + v.overdue_grace


def ledger_features(promises: Iterable[Promise]) -> dict[str, float]:
    """What the ledger adds to a conversation's features: ``promise.overdue``, how many commitments passed their due
    time unkept (left out when none did, as a feature that never fired is)."""
    overdue = sum(1 for p in promises if p.status == "overdue")
    return {"promise.overdue": float(overdue)} if overdue else {}


def ledger_evidence(promises: Iterable[Promise]) -> dict[str, tuple[str, ...]]:
    """The evidence behind ``ledger_features``: the ids of the overdue commitments' evidence."""
    overdue = tuple(i for p in promises if p.status == "overdue" for i in p.evidence)
    return {"promise.overdue": overdue} if overdue else {}


def ledger(docs: TranscriptDocs, evidence: tuple[Evidence, ...]) -> tuple[Promise, ...]:
    """One ``Promise`` per commitment in ``evidence``, with its due time and status (see the module docstring)."""
    v = _vocab()
    commitments = [e for e in evidence if e.feature in COMMITMENT_FEATURES and e.rule.startswith(_KEEP_RULES)]
    if not commitments:
        return ()
    sentence_starts: dict[int, list[int]] = {}

    def sentence_of(turn: int, char: int) -> tuple[int, int]:
        if turn not in sentence_starts:
            sentence_starts[turn] = [s[0].idx for s in _sentences(docs.docs[turn]) if len(s)]
        return turn, bisect.bisect_right(sentence_starts[turn], char) - 1

    groups: dict[tuple[int, int], list[Evidence]] = {}
    for c in commitments:
        groups.setdefault(sentence_of(c.turn, c.start), []).append(c)
    due_of: dict[str, Evidence] = {}
    for d in (e for e in evidence if e.feature == "promise.due"):
        same = groups.get(sentence_of(d.turn, d.start))
        if same:
            due_of[same[_owner([c.start for c in same], d.start)].id] = d
    rebuilt = []
    for e in commitments:
        due = due_of.get(e.id)
        c = _Commitment(e.turn, e.start, e.end, e.feature, e.rule, (due.start, due.end) if due else None)
        rebuilt.append((c, _commitment_lemmas(docs.docs[e.turn], c, v), _first_keeper(docs, c, v)))
    kept_evidence = [e for e in evidence if e.feature == "promise.kept"]
    candidates = []
    for e in kept_evidence:
        span = docs.docs[e.turn].char_span(e.start, e.end, alignment_mode="expand")
        tokens = list(span) if span is not None else []
        if e.rule == CUSTOMER_KEEP:
            candidates.append(_Keeper(e.turn, e.start, e.end, True, False, _received(tokens, v)))
        else:
            phrasing, marker, needs = _fulfilment(tokens, v)
            candidates.append(_Keeper(e.turn, e.start, e.end, phrasing, marker, _content(tokens, v), needs))
    kept = _link(rebuilt, candidates, v.keep_reports)
    transcript = docs.transcript
    ended = transcript.ended_at
    out = []
    for index, e in enumerate(commitments):
        if not e.rule.startswith(LEDGER_RULES):
            continue
        said = transcript.turns[e.turn].timestamp
        due_evidence = due_of.get(e.id)
        due_time = None
        if due_evidence is not None and said is not None and not (
                e.feature == "promise.conditional" and _anchored(docs.docs[e.turn], due_evidence, v)):
            parsed = _parse_span(docs.docs[e.turn], due_evidence.start, due_evidence.end)
            due_time = resolve_due(parsed, said) if parsed else None
        ids = [e.id] + ([due_evidence.id] if due_evidence else [])
        if index in kept:
            status = "kept"
            ids.append(kept_evidence[kept[index][0]].id)
        elif due_time is not None and ended is not None and said is not None:
            status = "overdue" if _past_due(said, due_time, ended, v) else "open"
        elif ended is not None:
            status = "open"
        else:
            status = "unknown"
        out.append(Promise(turn=e.turn, text=e.text, due=due_time, status=status, evidence=tuple(ids)))
    return tuple(out)


def _anchored(doc: Doc, due: Evidence, v: _Vocab) -> bool:
    """Whether a time frame runs from an event named right after it ("within 15 minutes of receiving it", "two days
    after it arrives") rather than from when it was said."""
    span = doc.char_span(due.start, due.end, alignment_mode="expand")
    return span is not None and span.end < len(doc) and norm(doc[span.end].text) in v.anchors


def _parse_span(doc: Doc, start: int, end: int) -> Due | None:
    """The due expression at characters ``start:end`` of ``doc``, parsed."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return None
    parsed = parse_due(_words(span), 0)
    return parsed[1] if parsed else None
