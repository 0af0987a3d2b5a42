"""timing.*: how long the customer waited, from the transcript's timestamps, and whether the agent said so.

- ``timing.first_response``: seconds from the first customer turn to the first agent turn after it (value), on the
  reply's first sentence.
- ``timing.reply_latency``: for each agent turn that answers customer turns, the seconds since the first of the
  customer turns it answers (what the customer waited), on the reply's first sentence.
- ``timing.long_gap``: a wait longer than ``settings.long_gap_seconds[channel]`` (chat, voice, email: e-mail gaps are
  measured in days): a reply latency over it (rule ``timestamps:gap-reply``), or a silence after the agent put the
  customer on hold ("let me check", "one moment") ended by the agent's next turn or by the customer chasing
  ("hello? are you there?") (rule ``timestamps:gap-hold``); a hold that names its length ("give me two minutes",
  ``settings.hold_minutes``) is long only past that length with ``settings.hold_slack`` (a share of it) or
  ``settings.hold_slack_seconds`` to spare, whichever is more ("about two minutes" that took 2:44 is not long), and
  one that names a later time ("I'll check on Tuesday", "within 24 hours") is a commitment, not a hold. Value = seconds;
  evidence on the first sentence of the turn after the gap, past an e-mail's salutation line ("Hi Greta,": at most
  ``settings.salutation_max_words`` words ending in a comma).
- ``timing.wait_acknowledged``: "thanks for waiting", "sorry for the wait", "thank you for your patience", "bear with
  me", "give me a minute" in an agent turn (needs no timestamps).

Only agent and customer turns that the customer saw count (bot and system lines and internal notes are skipped);
the wait before the first agent turn after a bot or system line (the queue after a handover or transfer) is measured
but is no long gap: the agent was not there yet; nor is the wait before an update the agent promised ("as promised,
the driver collected your parcel") when the customer asked nothing meanwhile ("That works, thanks!"): whether the
update came on time is the promise ledger's question. Measurements need a timestamp on both ends (``seconds_between``
handles clock-only times and mixed naive/aware datetimes). Out-of-order times (a negative gap, or a clock-only gap
over 12 hours, which would mean midnight was crossed backwards) are skipped rather than guessed. Without timestamps
there is no timing evidence except ``timing.wait_acknowledged``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from spacy.tokens import Doc, Span

from transcript_coach.ingest.timestamps import seconds_between
from transcript_coach.model import Timestamp, Turn
from transcript_coach.nlp import TranscriptDocs, doc_sentences, doc_text
from transcript_coach.phrases import Phrases, norm
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.listening import details, is_question, words
from transcript_coach.signals.promise import parse_due
from transcript_coach.signals.resources import Resources

_CLOCK_ONLY_LIMIT = 12 * 3600
PROBLEM = "customer.problem"  # the customer.json kind of cue that tells a problem ("did not receive")


@extractor("timing")
def timing(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    lexicon = res.lexicon("timing")
    hold_entries = frozenset(res.setting("timing", "hold_entries"))
    durations = res.cached("timing.hold_durations", lambda: _durations(res.setting("timing", "hold_minutes")))
    later = float(res.setting("timing", "hold_max_seconds"))
    holds: dict[int, float] = {}  # agent turns that put the customer on hold: the minutes they named (0: none)
    for turn, doc in docs.turns(role="agent"):
        for match in lexicon.matches(doc):
            if match.entry.id in hold_entries and not _names_a_later_time(match.span.sent, later):
                holds[turn.index] = _named_minutes(doc, durations)
            if match.entry.feature == "timing.wait_acknowledged":
                yield span_hit(match.entry.feature, turn.index, match.span, f"lexicon:timing#{match.entry.id}")
    transcript = docs.transcript
    if transcript.started_at is None:
        return
    thresholds = res.setting("timing", "long_gap_seconds")
    threshold = float(thresholds.get(transcript.channel, thresholds["chat"]))
    slack = float(res.setting("timing", "hold_slack"))
    slack_seconds = float(res.setting("timing", "hold_slack_seconds"))
    promise = res.lexicon("promise")
    promised = frozenset(turn.index for turn, doc in docs.turns(role="agent")
                         if any(m.entry.feature == "promise.follow_through" for m in promise.matches(doc)))
    question_words = words(res)
    asking = frozenset(turn.index for turn, doc in docs.turns(role="customer")
                       if promised and any(is_question(s, question_words) for s in doc_sentences(doc)))
    thanking = frozenset(turn.index for turn, doc in docs.turns(role="customer") if _only_thanks(doc, res))
    allowed = {turn: max(threshold, minutes * 60 * slack, minutes * 60 + slack_seconds) if minutes else threshold
               for turn, minutes in holds.items()}
    yield from _gaps(docs, allowed, threshold, int(res.setting("timing", "salutation_max_words")), promised, asking,
                     thanking)


_LATER_KINDS = frozenset({"days", "bdays", "weeks", "months", "day", "weekday", "date", "clock"})


def _only_thanks(doc: Doc, res: Resources) -> bool:
    """A customer turn that only thanks ("Thank you both, that was quick.", "Cheers"): short, with a thanks word, and
    no question, no detail to act on (a code, a number, an e-mail, a field's cue: "Booking no YIUBPF. Thanks.") and no
    problem cue ("I did not receive anything. Thanks")."""
    if len(doc_text(doc).split()) > int(res.setting("timing", "thanks_max_words")):
        return False
    thanks = frozenset(res.setting("timing", "thanks_words"))
    if not any(t.lower_ in thanks for t in doc):
        return False
    w = words(res)
    cues = res.cached("timing.field_cues", lambda: frozenset().union(
        *(c for c, value in w.fields.values() if value != "word")))
    return (not details(doc, w) and not any(t.lower_ in cues for t in doc)
            and not any(m.entry.feature == PROBLEM for m in res.lexicon("customer").matches(doc))
            and not any(is_question(s, w) for s in doc_sentences(doc)))


def _names_a_later_time(sentence: Span, later: float) -> bool:
    """Whether a sentence names a time beyond a hold ("I'll check on Tuesday", "I'll look into it and reply within
    24 hours"): a day, a date, a clock time or more than ``later`` seconds from now. That is a commitment for later
    (promise.*), not a wait the customer sits through."""
    words = [norm(t.text) for t in sentence]
    for k in range(len(words)):
        parsed = parse_due(words, k)
        if parsed is not None:
            due = parsed[1]
            if due.kind in _LATER_KINDS or (due.kind == "relative" and due.amount > later):
                return True
    return False


def _durations(minutes: Mapping[str, float]) -> Phrases:
    return Phrases(list(minutes), [float(m) for m in minutes.values()])


def _named_minutes(doc: Doc, durations: Phrases) -> float:
    """The longest time a hold names ("give me two minutes", "this may take a few minutes"), in minutes; 0 for
    none."""
    words = [norm(t.text) for t in doc]
    found = 0.0
    for i in range(len(words)):
        length = durations.longest(words, i)
        if length:
            found = max(found, float(durations.get(words, i, length)))  # type: ignore[arg-type]
    return found


def _elapsed(earlier: Timestamp | None, later: Timestamp | None) -> float | None:
    if earlier is None or later is None:
        return None
    seconds = seconds_between(earlier, later)
    if seconds is None or seconds < 0:
        return None
    if not (isinstance(earlier, datetime) and isinstance(later, datetime)) and seconds > _CLOCK_ONLY_LIMIT:
        return None
    return seconds


def _lead(docs: TranscriptDocs, turn: Turn, salutation: int) -> tuple[int, int]:
    """Character span of a turn's first sentence (without its end punctuation), past an e-mail's salutation line
    ("Hi Greta,", "Dear Mr Holm,": at most ``salutation`` words ending in a comma greet, and say nothing)."""
    doc: Doc = docs.docs[turn.index]
    first: tuple[int, int] | None = None
    for sentence in doc_sentences(doc):
        tokens = [t for t in sentence if not t.is_space]
        greets = len(tokens) <= salutation and bool(tokens) and tokens[-1].text == ","
        while len(tokens) > 1 and tokens[-1].is_punct:
            tokens.pop()
        if tokens:
            span = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
            if not greets:
                return span
            first = first or span
    return first or (0, len(turn.text))


def _after_handover(turns: Sequence[Turn]) -> frozenset[int]:
    """Agent turns that come after a bot or system line and before any other agent turn since ("Connecting you to an
    agent", "Transferred to Billing"): the wait before them is the queue, not the agent's."""
    found = set()
    handed = False
    for turn in turns:
        if not turn.customer_facing:
            continue
        if turn.role in ("bot", "system"):
            handed = True
        elif turn.role == "agent":
            if handed:
                found.add(turn.index)
            handed = False
    return frozenset(found)


def _hit(docs: TranscriptDocs, feature: str, turn: Turn, rule: str, value: float, salutation: int) -> Hit:
    start, end = _lead(docs, turn, salutation)
    return Hit(feature, turn.index, start, end, rule, round(value, 3))


def _gaps(docs: TranscriptDocs, holds: Mapping[int, float], threshold: float, salutation: int,
          promised: frozenset[int] = frozenset(), asking: frozenset[int] = frozenset(),
          thanking: frozenset[int] = frozenset()) -> Iterator[Hit]:
    """Waits longer than ``threshold`` seconds; after a hold, longer than the seconds ``holds`` allows that turn. A
    ``promised`` agent turn (an update the agent said would come: "as promised, ...") after customer turns none of
    which is ``asking`` (asks a question) ends no wait for a reply, nor does any reply after customer turns that are
    all ``thanking`` ("Thank you both, that was quick.": short, with thanks, and no question, detail to act on
    or problem in it): the customer waited for nothing."""
    turns = [t for t in docs.transcript.turns if t.customer_facing and t.role in ("agent", "customer")]
    queued = _after_handover(docs.transcript.turns)
    first_customer = next((t for t in turns if t.role == "customer"), None)
    first_reply = next((t for t in turns if first_customer and t.role == "agent" and t.index > first_customer.index),
                       None)
    if first_customer is not None and first_reply is not None:
        seconds = _elapsed(first_customer.timestamp, first_reply.timestamp)
        if seconds is not None:
            yield _hit(docs, "timing.first_response", first_reply, "timestamps:first-response", seconds, salutation)
    waiting, waiting_since, asked, thanked = False, None, False, True
    hold_at: Timestamp | None = None
    allowed = threshold
    for turn in turns:
        if turn.role == "customer":
            asked = asked or turn.index in asking
            thanked = thanked and turn.index in thanking
            if hold_at is not None:
                seconds = _elapsed(hold_at, turn.timestamp)
                if seconds is not None and seconds > allowed:  # chasing an agent away too long ("are you there?")
                    yield _hit(docs, "timing.long_gap", turn, "timestamps:gap-hold", seconds, salutation)
                    hold_at = None
                # else the hold goes on: the customer's "Fine." or a question meanwhile waits within it
            if not waiting or waiting_since is None:
                waiting_since = turn.timestamp if waiting_since is None else waiting_since
            waiting = True
            continue
        if waiting:
            seconds = _elapsed(waiting_since, turn.timestamp)
            if seconds is not None:
                yield _hit(docs, "timing.reply_latency", turn, "timestamps:reply", seconds, salutation)
                if (hold_at is None and seconds > threshold and turn.index not in queued and not thanked
                        and (asked or turn.index not in promised)):
                    yield _hit(docs, "timing.long_gap", turn, "timestamps:gap-reply", seconds, salutation)
        if hold_at is not None:
            seconds = _elapsed(hold_at, turn.timestamp)
            if seconds is not None and seconds > allowed:
                yield _hit(docs, "timing.long_gap", turn, "timestamps:gap-hold", seconds, salutation)
        waiting, waiting_since, asked, thanked = False, None, False, True
        hold_at = turn.timestamp if turn.index in holds else None
        allowed = holds.get(turn.index, threshold)
