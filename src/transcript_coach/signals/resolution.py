"""resolution.*: how the problem gets solved.

- ``resolution.steps`` (agent): instructions offered - numbered steps ("1. Restart the router 2. ...", "Step 1: ...",
  one hit per item that starts with an instruction verb; "1. Your parcel was mis-sorted" explains, it is no step),
  instruction sentences that start with an action verb ("Clear your cache", "Please go to Settings", "Could you try
  restarting the app?", "You'll need to sign out", "Try to restart it" but not "try to get some rest"), also after a
  short lead phrase ending in a comma ("In KeyGate, open the app", "If you can't log in, reset your password"),
  recommendations ("I'd recommend ...", evidence from the cue to the end of the sentence) and cue phrases ("here's
  what to do", "here's the fix", "follow these steps"). One hit per sentence. Requests for information ("could you
  send me your order number?") and a verb joined to a hyphen ("Check-in is at 3pm") are not steps.
- ``resolution.repeated_step`` (agent): a step sent again, word for word and figure for figure (case and punctuation
  aside), in a later turn after the customer has answered it ("Please restart your router ..." pasted again after
  "I've done that, it doesn't help"): the same fix offered again instead of another. It is not counted as a step.
- ``resolution.confirmation_asked`` (agent): "did that work?", "is it working now?", "let me know if that helps".
- ``resolution.confirmed`` (customer): "that worked", "it's working now", "all sorted, thanks"; negated ("it's still
  not working" does not match "it's working"; "not fixed") and questions ("it worked?") do not count.
- ``resolution.unresolved`` (customer): "still not working", "that didn't help", "no luck" - only after the agent has
  offered steps, reported a fix or asked whether it worked (before that, "it doesn't work" is the problem
  statement); giving up ("forget it", "that doesn't answer my question") after any reply.
- ``resolution.escalation`` (agent): "I'll escalate", "I've raised this with", "pass this to our ... team".
- ``resolution.transfer``: the agent transferring ("I'll transfer you to billing") and system lines ("Chat
  transferred to Priya", "Ticket reassigned to Tier 2"; rule ``system:transfer``). A transfer only offered, in a
  question or an offer as promise.* reads offers ("Would you like me to transfer you?", "If it's easier, I can
  transfer you to her"), is none.
- ``resolution.consult`` (agent): a colleague or team consulted for the customer ("I'll ask our card security
  team", "let me check with my colleague", "I've spoken to my supervisor") or what they said passed on ("my colleague
  in card security explained", "our engineers confirmed"). Sending the customer to them ("you can ask our team")
  is not consulting.
- ``resolution.manager_request`` (customer): "let me speak to your manager", "escalate this", "I want to make a
  complaint".
- ``resolution.human_request`` (customer): asking for a person rather than a bot ("agent please", "can I talk to a
  human?", "a real person"), or taking up a bot's offer of one ("Would you like to talk to an agent?" "yes":
  ``human_offers``, ``human_offer_accepted``; rule ``answer:agent-offer``). TC113 when no agent wrote after it.
- ``resolution.refusal`` (agent): "there's nothing I can do", "that's not possible", "not my department"; not when
  what the agent can do follows in the sentence or opens the next ("I'm unable to refund worn boots. What I can do
  is ...", tone.json's ``offer_after_cannot``: the no paired with an offer, as coaching asks), or comes in the
  agent's next message, sent before the customer spoke ("One more thing: I can freeze your membership"); nor in a
  yes/no question ("Are you sure I can't help you with a reservation?").
- ``resolution.alternative`` (agent): another route offered ("alternatively", "if you'd prefer", "I can also").
- ``resolution.diagnosis`` (agent): a question that narrows down the cause ("Did anything change recently?", "Is it
  only on wifi?", "Which browser are you using?", "When did it start?"), one hit per question sentence (as
  listening.is_question reads them).
- ``resolution.cause`` (agent): the cause explained ("that's because ...", "this happens when ...", "the reason is
  ...", "caused by ...").
- ``resolution.action`` (agent): something already put right for the customer, in perfect or past phrasing ("I've
  refunded the second charge", "I went ahead and cancelled it", "your account has been unlocked", "it's now fixed",
  "I've asked the driver to collect it"), or a booking, payment, refund... reported done ("Booking was successful",
  "your reservation is confirmed", "the payment has gone through"); evidence from the start of its clause to the
  end of the sentence. Not when negated ("I haven't refunded it yet"), in a clause of condition, time or doubt
  ("once I've processed it, ...", "if it has been shipped", "to make sure it has been fixed"), after a modal ("it
  should have been refunded", "you'll have been credited by then"), or when only a message was sent ("we've sent
  you a DM"). Escalating and transferring have their own features; checking and noting are not actions here.
- ``resolution.case_note`` (agent, internal): a case note left for colleagues, an internal note of at least
  ``case_note_min_words`` words that records rather than guesses ("Misdelivery: GPS drop at 14 Elm Row ... flagged
  to the depot lead"; not "prob needs a swap, not sure if the warranty is 12 or 24 months, check later": no hedge,
  guess or don't-know of the knowledge lexicon); evidence: the note up to the end of its first sentence.
- ``resolution.warm_handoff`` / ``resolution.cold_transfer`` (agent): a handoff that carries the context over
  ("I can see from the notes", "you won't need to repeat") vs one that leaves the customer to start again ("not my
  department", "you'll have to call").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from spacy.tokens import Doc, Span, Token

from transcript_coach.data import load_json
from transcript_coach.nlp import TranscriptDocs, doc_sentences, doc_text
from transcript_coach.phrases import Phrases, norm
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.listening import asking_aux, is_question, words
from transcript_coach.signals.promise import offers_something
from transcript_coach.signals.resources import Resources
from transcript_coach.signals.respect import disparaging
from transcript_coach.signals.tone import next_message, tone_kit

AGENT_FEATURES = frozenset({"resolution.steps", "resolution.confirmation_asked", "resolution.escalation",
                            "resolution.transfer", "resolution.refusal", "resolution.alternative",
                            "resolution.warm_handoff", "resolution.cold_transfer", "resolution.action",
                            "resolution.cause", "resolution.consult"})
CUSTOMER_FEATURES = frozenset({"resolution.confirmed", "resolution.unresolved", "resolution.manager_request",
                               "resolution.human_request"})

# A list number at the start of a line or after whitespace ("1. Restart", "2) Try"), or "Step 3:".
_NUMBERED = re.compile(r"(?<![^\s])(\d{1,2})[.)](?=[ \t]+\S)|\b[Ss]tep[ \t]?(\d{1,2})[ \t]?[:.)-]")


@dataclass(frozen=True, slots=True)
class _Settings:
    openers: frozenset[str]  # words an instruction may follow ("please", "now", "could you")
    blockers: Phrases  # instruction verbs in phrases that are no instruction ("hold on", "go ahead")
    timeline_verbs: frozenset[str]  # before a number, a timeline to wait out, not a step ("allow 5-7 days")
    leads: frozenset[str]  # first words of a short phrase before an instruction ("in KeyGate, open ...")
    lead_max_tokens: int
    list_min_items: int
    case_note_min_words: int
    human_offers: Phrases  # a bot's "Would you like to talk to an agent?"
    human_offer_accepted: frozenset[str]  # the first word of a reply that takes it up: "yes", "please", "agent"


@functools.cache
def _settings() -> _Settings:
    s = load_json("lexicons/resolution.json")["settings"]
    blockers, timeline = Phrases(s["imperative_blockers"]), frozenset(s["timeline_verbs"])
    return _Settings(frozenset(s["sentence_openers"]), blockers, timeline,
                     frozenset(s["instruction_leads"]["words"]), int(s["instruction_leads"]["max_tokens"]),
                     int(s["list_min_items"]), int(s["case_note_min_words"]), Phrases(s["human_offers"]),
                     frozenset(map(norm, s["human_offer_accepted"])))


def _takes_up(doc: Doc, settings: _Settings) -> Token | None:
    """The first word of a customer turn that takes up a bot's offer of an agent ("yes", "yes please", "agent"), or
    None ("no thanks", "what are your opening hours?")."""
    first = next((t for t in doc if not (t.is_space or t.is_punct)), None)
    return first if first is not None and norm(first.text) in settings.human_offer_accepted else None


def _past_lead(doc: Doc, k: int, stop: int, settings: _Settings) -> int:
    """The position after the comma of a short phrase that starts at ``k`` and leads into an instruction ("In KeyGate,
    open the app", "Once it restarts, sign in", "If you can't log in, reset ..."); ``k`` itself when none does."""
    if doc[k].lower_ in settings.leads:
        for j in range(k + 1, min(stop, k + settings.lead_max_tokens + 1)):
            if doc[j].text == ",":
                return j + 1
    return k


class _ActionBlockers(NamedTuple):
    clause: Phrases  # a clause of condition, time or doubt ("once", "if", "make sure")
    modals: frozenset[str]  # "it should have been refunded"
    channel: Phrases  # only a message was sent ("we've sent you a DM")
    channel_fillers: frozenset[str]
    other_subjects: frozenset[str]  # "you've already changed the batteries": done, but not by the agent


@functools.cache
def _action_blockers() -> _ActionBlockers:
    s = load_json("lexicons/resolution.json")["settings"]["action_blockers"]
    return _ActionBlockers(Phrases(s["clause"]), frozenset(map(norm, s["before"])), Phrases(s["channel"]),
                           frozenset(map(norm, s["channel_fillers"])), frozenset(map(norm, s["other_subjects"])))


def _instruction_verbs() -> frozenset[str]:
    entries = load_json("lexicons/resolution.json")["entries"]
    return frozenset(p for e in entries if e["id"] == "steps.imperative" for p in e["phrases"])


def numbered_steps(text: str, min_items: int = 2) -> list[tuple[int, int]]:
    """Character spans of the items of numbered lists (1, 2, 3 ... in order, at least ``min_items`` long)."""
    marks = [(m.start(), int(m[1] or m[2]), m.end()) for m in _NUMBERED.finditer(text)]
    items: list[tuple[int, int]] = []
    run: list[tuple[int, int, int]] = []

    def close() -> None:
        if len(run) >= min_items:
            for k, (start, _, _) in enumerate(run):
                end = run[k + 1][0] if k + 1 < len(run) else _line_end(text, start)
                chunk = text[start:end].rstrip()
                items.append((start, start + len(chunk)))

    for mark in marks:
        if run and mark[1] == run[-1][1] + 1:
            run.append(mark)
        else:
            close()
            run = [mark] if mark[1] == 1 else []
    close()
    return items


def _instruction_item(doc: Doc, start: int, end: int, settings: _Settings, verbs: frozenset[str]) -> bool:
    """A list item that tells the reader what to do: its first word (after openers and a lead phrase) is an
    instruction verb ("2. Tap Settings", "3. Then restart", "1. In KeyGate, copy ..."), not a report ("1. Your parcel
    was mis-sorted")."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return False
    k = span.start
    while k < span.end:
        token = doc[k]
        if token.is_punct or token.is_space or token.like_num or token.lower_ in ("step",):
            k += 1
            continue
        if token.lower_ in verbs:
            return True
        after = _past_lead(doc, k, span.end, settings)
        if after == k and token.lower_ not in settings.openers:
            return False
        k = max(after, k + 1)
    return False


def _item_end(doc: Doc, start: int, end: int) -> int:
    """Where a numbered item from ``start`` to ``end`` (the next number or the end of its line) ends: at the end of
    its first sentence if that comes first ("2. Paste it. Since nobody can log in, I've ..." on one line)."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or not len(span):
        return end
    stop = min(end, span[0].sent.end_char)
    return start + len(doc_text(doc)[start:stop].rstrip())


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _sentence_span(doc: Doc, sent: Span, start: int | None = None) -> tuple[int, int]:
    end = sent.end
    while end > sent.start + 1 and (doc[end - 1].is_punct or doc[end - 1].is_space):
        end -= 1
    first = sent.start if start is None else start
    while first < end - 1 and doc[first].is_space:
        first += 1
    return doc[first].idx, doc[end - 1].idx + len(doc[end - 1].text)


def _done(doc: Doc, span: Span) -> int | None:
    """Where the clause of an action match starts, when it states something done; None in a clause that opens with a
    condition, time or doubt ("once I've processed it", "if it has been shipped", "make sure it has been fixed"),
    after a modal ("it should have been refunded"), when what was sent is only a message ("we've sent you a DM") or
    when the customer or someone else did it ("you've already changed the batteries"; "you've been refunded" is
    done for them)."""
    clause, modals, channel, fillers, others = _action_blockers()
    start = span.start
    before = norm(doc[start - 1].text) if start > span.sent.start else ""
    if before in modals:
        return None
    if before in others and span[0].norm_ in ("have", "has") and not any(t.lower_ == "been" for t in span):
        return None  # "you've already changed the batteries": active, and not the agent
    while start > span.sent.start and not doc[start - 1].is_punct:
        start -= 1
    if clause.anywhere([norm(t.text) for t in doc[start:span.start]]):
        return None
    after = [norm(t.text) for t in doc[span.end:min(span.end + 6, span.sent.end)]]
    k = 0
    while k < len(after) and k < 3 and after[k] in fillers:
        k += 1
    return None if channel.longest(after, k) else start


_ADVISING = frozenset({"'ll", "’ll", "will", "may", "might", "'d"})  # before "want to": "you'll want to restart it"


def _imperative(doc: Doc, span: Span, settings: _Settings, verbs: frozenset[str]) -> int | None:
    """Where an instruction starts when ``span`` is an instruction verb opening its sentence or a clause after a
    colon ("Here's what to do: unplug it"), after openers like "please", "now", "could you" or a short lead phrase
    ("In the app, tap ..."); else None."""
    sent = span.sent
    start = sent.start
    for k in range(span.start - 1, sent.start - 1, -1):
        if doc[k].text in (":", ";", "\u2014", "\u2013"):
            start = k + 1
            break
    k = start
    while k < span.start:
        after = _past_lead(doc, k, span.start, settings)
        token = doc[k]
        if after == k and not (token.is_punct or token.is_space or token.lower_ in settings.openers or token.like_num):
            return None
        k = max(after, k + 1)
    lead = [t.lower_ for t in doc[start:span.start] if not (t.is_punct or t.is_space)]
    if lead[:2] in (["will", "you"], ["do", "you"], ["did", "you"]):
        return None  # "Will you go to the hotel on March 5th?": the customer's plans, not a step
    want = lead.index("want") if "want" in lead else None
    if want is not None and (want == 0 or lead[want - 1] not in _ADVISING):
        return None  # "You want to make a reservation?": what they want (not "you'll want to restart it")
    if span.end < sent.end and not doc[span.start].whitespace_ and doc[span.end].text == "-":
        return None  # "Check-in is at 3pm": a noun
    words = [t.lower_ for t in doc[span.start:min(span.start + 3, sent.end)]]
    if settings.blockers.longest(words, 0):
        return None
    if words[0] in settings.timeline_verbs and span.end < sent.end and doc[span.end].like_num:
        return None  # "Kindly allow 5-7 working days for a response": a wait, not a step
    if words[0] == "try" and len(words) > 1 and words[1] in ("to", "and", "not"):
        # "try to restart it" is a step, "try to get some rest" is a kind word
        if len(words) < 3 or words[1] == "not" or words[2] not in verbs:
            return None
    return start


def _words_of(doc: Doc, start: int, end: int) -> tuple[str, ...]:
    """The words and figures between two character offsets, lower case, without punctuation: what makes two steps
    the same step."""
    span = doc.char_span(start, end, alignment_mode="expand")
    return tuple(t.lower_ for t in span if not (t.is_punct or t.is_space)) if span is not None else ()


def _offered(sent: Span, res: Resources) -> bool:
    """Whether a sentence offers something rather than doing it: a question ("Can I transfer you to billing?") or an
    offer as commitments are read ("Would you like me to transfer you?", "If it's easier, I can transfer you")."""
    return sent.text.rstrip().endswith("?") or offers_something(sent, res)


def _guessing(doc: Doc, res: Resources) -> bool:
    """Whether a note guesses rather than records ("not sure if ...", "probably", "no idea"): the knowledge lexicon's
    hedges, guesses and don't-knows."""
    return any(res.lexicon("knowledge").matches(doc))


@extractor("resolution")
def resolution(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    lexicon = res.lexicon("resolution")
    settings = _settings()
    question_words = words(res)
    verbs = res.cached("resolution.instruction_verbs", _instruction_verbs)
    fix_offered = False  # steps given, a fix reported or whether it worked asked: "still not working" is news
    replied = False
    steps_given: dict[tuple[str, ...], int] = {}  # a step's words -> the agent turn it was first given in
    last_customer = -1
    for turn, doc in docs.turns("agent", internal=True):
        if turn.internal and sum(t.is_alpha for t in doc) >= settings.case_note_min_words and not _guessing(doc, res) \
                and not disparaging(doc, res):
            yield Hit("resolution.case_note", turn.index, *_sentence_span(doc, doc_sentences(doc)[0]), "internal:note")
    human_offered = False  # the latest bot turn asked whether the customer wants an agent
    for turn, doc in docs.turns():
        if turn.role == "bot":
            said = [norm(t.text) for t in doc if not t.is_space]
            human_offered = "?" in said and settings.human_offers.anywhere(said)
            continue
        if turn.role == "system":
            for match in lexicon.matches(doc):
                if match.entry.id == "transfer.system":
                    start, end = _sentence_span(doc, match.span.sent)
                    yield Hit("resolution.transfer", turn.index, start, end, "system:transfer")
                    break
            continue
        if turn.role == "customer":
            last_customer = turn.index
            accepted = _takes_up(doc, settings) if human_offered else None
            if accepted is not None:
                yield Hit("resolution.human_request", turn.index, accepted.idx, accepted.idx + len(accepted.text),
                          "answer:agent-offer")
            human_offered = False
            for match in lexicon.matches(doc):
                feature = match.entry.feature
                if feature not in CUSTOMER_FEATURES:
                    continue
                if feature == "resolution.confirmed" and doc[match.span.sent.end - 1].text.endswith("?"):
                    continue
                if feature == "resolution.unresolved" and not (
                        fix_offered or (replied and match.entry.id == "unresolved.gave_up")):
                    continue
                yield span_hit(feature, turn.index, match.span, f"lexicon:resolution#{match.entry.id}")
            continue
        if turn.role != "agent":
            continue
        replied = True
        step_spans: list[tuple[int, int, str]] = [
            (a, _item_end(doc, a, b), "regex:numbered-step")
            for a, b in numbered_steps(doc_text(doc), settings.list_min_items)
            if _instruction_item(doc, a, b, settings, verbs)]
        asked: set[int] = set()  # sentences with a diagnostic question: one hit each
        for match in lexicon.matches(doc):
            entry, span = match.entry, match.span
            rule = f"lexicon:resolution#{entry.id}"
            if entry.id == "steps.imperative":
                start = _imperative(doc, span, settings, verbs)
                if start is not None:
                    step_spans.append((*_sentence_span(doc, span.sent, start), rule))
            elif entry.id == "steps.suggest":
                step_spans.append((*_sentence_span(doc, span.sent, span.start), rule))
            elif entry.feature == "resolution.steps":
                step_spans.append((span.start_char, span.end_char, rule))
            elif entry.feature == "resolution.action":
                start = _done(doc, span)
                if start is not None:
                    fix_offered = True
                    yield Hit(entry.feature, turn.index, *_sentence_span(doc, span.sent, start), rule)
            elif entry.feature == "resolution.diagnosis":
                if span.sent.start not in asked and is_question(span.sent, question_words):
                    asked.add(span.sent.start)
                    yield Hit(entry.feature, turn.index, *_sentence_span(doc, span.sent), rule)
            elif entry.feature in AGENT_FEATURES:
                if entry.feature == "resolution.transfer" and _offered(span.sent, res):
                    continue
                if entry.feature == "resolution.refusal" and (tone_kit(res).offers_after(
                        span, next_message(docs, turn.index)) or asking_aux(span.sent, question_words)[0]):
                    continue  # the no paired with what the agent can do, as coaching asks; or a question
                if entry.feature == "resolution.confirmation_asked":
                    fix_offered = True
                yield span_hit(entry.feature, turn.index, span, rule)
        taken: list[tuple[int, int]] = []
        for start, end, rule in step_spans:  # numbered items first, then one hit per sentence
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            fix_offered = True
            said = _words_of(doc, start, end)
            if said and steps_given.setdefault(said, turn.index) < last_customer:
                yield Hit("resolution.repeated_step", turn.index, start, end, "repeat:step")
            else:
                yield Hit("resolution.steps", turn.index, start, end, rule)
