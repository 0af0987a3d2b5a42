"""Cultural respect in the agent's words, from ``data/lexicons/respect.json``.

``structure.personalisation``: care with the customer's name (asking how to address or pronounce it), language
(offering another language or an interpreter), time zone and holidays. ``tone.insensitive``: remarks about the
customer's language, accent, name or background, and assumptions. ``tone.overfamiliar``: terms of endearment or
matey address ("hi hun", "thanks love", "ok babe", "cheers mate"). ``tone.dismissive``: condescension and
impatience ("calm down", "as I already said", "how many times"), and ``tone.unhurried``, its opposite: the customer's
pace respected ("take your time", "happy to go through it again"). ``tone.blame_others``: blame passed to colleagues,
other teams or partners in front of the customer ("the delivery team messed up again", "that's not on us"). All read
agent turns only; negations ("I'm not saying your English ...") do not cancel a remark, because the remark itself is
the problem (except "it isn't the courier's fault": the entry says so).

Internal notes are read for one thing: words that disparage the customer ("customer is clueless", "not refunding lol":
the entry ``note.disparaging``, feature ``respect.note_disparaging``, never emitted) make their sentence
``tone.insensitive``, rule ``internal:disparaging``. A customer may ask for their records, notes included, and the
colleague who reads the note next meets the customer with that picture. Such a note is no case note either
(``resolution.case_note``).

Once the customer says English is hard for them ("sorry for my english", "english is not my first language": entries
of kind ``customer.language`` in ``data/lexicons/customer.json``), the agent's later replies are read for it:
``tone.language_unadapted`` on each idiom (glossary entries of kind ``idiom``: "sit tight") or slang word (``tone.json``
``tone.informal`` entries, unless the customer wrote the word first) in them, rule ``language:idiom`` or
``language:slang``; without any, and with sentences of at most ``settings.plain_max_words`` words on average,
``tone.plain_language`` on the longest sentence of the first reply after the cue (rule ``language:plain``).
"""

from __future__ import annotations

from collections.abc import Iterator

from spacy.tokens import Doc, Span

from transcript_coach.nlp import TranscriptDocs, doc_sentences
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.model import Turn
from transcript_coach.signals.jargon import IDIOM, candidates
from transcript_coach.signals.resources import Resources
from transcript_coach.signals.tone import INFORMAL, LANGUAGE


NOTE_DISPARAGING = "respect.note_disparaging"  # an entry's feature, never emitted: read in internal notes only


_DISRESPECT = frozenset({"tone.insensitive", "tone.dismissive", "tone.blame_others", "tone.unhurried",
                         "tone.overfamiliar"})  # the agent-side tone features of respect.json


def _matches(docs: TranscriptDocs, res: Resources, features: frozenset[str]) -> Iterator[Hit]:
    """The matches of ``features`` in the agent's turns, in one pass."""
    lexicon = res.lexicon("respect")
    for turn, doc in docs.turns("agent"):
        for match in lexicon.matches(doc):
            if match.entry.feature in features:
                yield span_hit(match.entry.feature, turn.index, match.span, f"lexicon:respect#{match.entry.id}")


@extractor("structure")
def personalisation(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    yield from _matches(docs, res, frozenset({"structure.personalisation"}))


@extractor("tone")
def disrespect(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    yield from _matches(docs, res, _DISRESPECT)


@extractor("tone")
def disparaging_notes(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    for turn, doc in docs.turns("agent", internal=True):
        if turn.internal:  # the sentence, so that the words are read in their context
            for sentence in dict.fromkeys(span.sent for span in disparaging(doc, res)):
                yield span_hit("tone.insensitive", turn.index, sentence, "internal:disparaging")


def disparaging(doc: Doc, res: Resources) -> list[Span]:
    """The words of ``doc`` that disparage the customer, as an internal note may (``note.disparaging``)."""
    return [m.span for m in res.lexicon("respect").matches(doc) if m.entry.feature == NOTE_DISPARAGING]


@extractor("tone")
def language_care(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    cue = next((turn.index for turn, doc in docs.turns("customer")
                if any(m.entry.feature == LANGUAGE for m in res.lexicon("customer").matches(doc))), None)
    if cue is None:
        return
    replies: list[tuple[Turn, Doc]] = []
    unadapted: list[Hit] = []
    written: set[str] = set()  # the customer's words so far: their own slang may be answered in kind
    for turn, doc in docs.turns():
        if turn.role == "customer":
            written.update(t.lower_ for t in doc)
        elif turn.role == "agent" and turn.index > cue:
            replies.append((turn, doc))
            unadapted.extend(_unadapted(turn.index, doc, res, written))
    if not replies:
        return
    yield from unadapted
    sentences = [s for _, doc in replies for s in doc_sentences(doc)]
    words = sum(1 for s in sentences for t in s if not t.is_punct)
    if unadapted or words > float(res.setting("respect", "plain_max_words")) * len(sentences):
        return
    turn, doc = replies[0]
    yield span_hit("tone.plain_language", turn.index, max(doc_sentences(doc), key=len), "language:plain")


def _unadapted(turn: int, doc: Doc, res: Resources, written: set[str]) -> Iterator[Hit]:
    """Idioms, and slang the customer has not ``written`` first, in one agent reply."""
    for cand in candidates(res, doc):
        if cand.feature == IDIOM:
            yield span_hit("tone.language_unadapted", turn, doc[cand.start:cand.end], "language:idiom")
    for match in res.lexicon("tone").matches(doc):
        if match.entry.feature == INFORMAL and match.span.text.lower() not in written:
            yield span_hit("tone.language_unadapted", turn, match.span, "language:slang")
