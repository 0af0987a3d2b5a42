"""What the customer expresses: emotion and problem statements, from ``data/lexicons/customer.json``.

``tone.customer_emotion`` ("I'm furious", "not happy") and ``tone.customer_problem`` ("it doesn't work", "never
arrived") point at the customer's own words. They tell scoring when empathy was called for and when there was a
grievance to resolve: sentiment scores alone miss most complaints, which are written in neutral words ("It's been
two weeks. Nobody answers my emails.").
"""

from __future__ import annotations

from collections.abc import Iterator

from transcript_coach.nlp import TranscriptDocs
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.listening import matches
from transcript_coach.signals.resources import Resources

_FEATURES = {"customer.emotion": "tone.customer_emotion", "customer.problem": "tone.customer_problem"}


@extractor("tone")
def customer_cues(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    for turn, doc in docs.turns("customer"):
        for match in matches(res, "customer", doc):
            feature = _FEATURES.get(match.entry.feature)
            if feature is not None:
                yield span_hit(feature, turn.index, match.span, f"lexicon:customer#{match.entry.id}")
