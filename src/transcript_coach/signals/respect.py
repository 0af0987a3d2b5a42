"""Cultural respect in the agent's words, from ``data/lexicons/respect.json``.

``structure.personalisation``: care with the customer's name (asking how to address or pronounce it), language
(offering another language or an interpreter), time zone and holidays. ``tone.insensitive``: remarks about the
customer's language, accent, name or background, and assumptions. ``tone.dismissive``: condescension and
impatience ("calm down", "as I already said", "how many times"), and ``tone.unhurried``, its opposite: the customer's
pace respected ("take your time", "happy to go through it again"). ``tone.blame_others``: blame passed to colleagues,
other teams or partners in front of the customer ("the delivery team messed up again", "that's not on us"). All read
agent turns only; negations ("I'm not saying your English ...") do not cancel a remark, because the remark itself is
the problem (except "it isn't the courier's fault": the entry says so).
"""

from __future__ import annotations

from collections.abc import Iterator

from transcript_coach.nlp import TranscriptDocs
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.resources import Resources


def _matches(docs: TranscriptDocs, res: Resources, feature: str) -> Iterator[Hit]:
    lexicon = res.lexicon("respect")
    for turn, doc in docs.turns("agent"):
        for match in lexicon.matches(doc):
            if match.entry.feature == feature:
                yield span_hit(feature, turn.index, match.span, f"lexicon:respect#{match.entry.id}")


@extractor("structure")
def personalisation(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    yield from _matches(docs, res, "structure.personalisation")


@extractor("tone")
def disrespect(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    yield from _matches(docs, res, "tone.insensitive")
    yield from _matches(docs, res, "tone.dismissive")
    yield from _matches(docs, res, "tone.blame_others")
    yield from _matches(docs, res, "tone.unhurried")
