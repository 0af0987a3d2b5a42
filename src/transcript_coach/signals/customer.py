"""What the customer expresses: emotion and problem statements, from ``data/lexicons/customer.json``.

``tone.customer_emotion`` ("I'm furious", "not happy") and ``tone.customer_problem`` ("it doesn't work", "never
arrived") point at the customer's own words. They tell scoring when empathy was called for and when there was a
grievance to resolve: sentiment scores alone miss most complaints, which are written in neutral words ("It's been
two weeks. Nobody answers my emails."). ``tone.customer_vulnerable`` is words of self-harm or suicide ("I just want
to end it all"), meant or not: a person should read how the agent answered them (TC115).
``tone.customer_circumstances`` is the customer telling of circumstances that can leave them vulnerable: illness ("I'm
going through chemo", "my dad is in hospital"), money trouble ("I was made redundant and can't afford it"), abuse or
homelessness; TC116 puts them in front of a person, and they call for empathy as a problem does.
``tone.customer_older`` is the customer telling of their older age ("I'm 82, I don't go to town much", "I'm a
pensioner"): TC116 too, but no call for sympathy (being 82 is no misfortune to be sorry about).
``tone.customer_abuse`` is the customer insulting or swearing at the agent ("you idiots", "you're useless", "screw
you"; not swearing about the service, "this is crap"): TC118 puts the conversation in front of a person, for the
agent's sake and so that its scores are read with it in mind.
``tone.customer_churn`` is the customer saying they will leave ("I'll take my business elsewhere", "I'm considering
switching to @rival", "please close my account"; not cancelling a booking): TC119, while a call-back may keep them.
``tone.customer_legal`` is the customer speaking of legal action, a regulator or a chargeback ("I'll be contacting my
solicitor", "reporting you to trading standards"; not "paperwork for my solicitor"): TC120, a complaint to record.
Exclamation marks ("!!", "?!") are no upset in a message that reads glad: sentiment at least ``glad_min_sentiment``, a
word of ``glad_words`` and no other cue of upset or a problem ("I can see myself now!! oh thank you"; not "please help,
it's not arrived!! no help at all!!" nor "you could do better!!").
"""

from __future__ import annotations

from collections.abc import Iterator

from transcript_coach.nlp import TranscriptDocs
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.listening import matches
from transcript_coach.signals.resources import Resources
from transcript_coach.signals.tone import tone_kit

_FEATURES = {"customer.emotion": "tone.customer_emotion", "customer.problem": "tone.customer_problem",
             "customer.vulnerable": "tone.customer_vulnerable", "customer.circumstances": "tone.customer_circumstances",
             "customer.abuse": "tone.customer_abuse", "customer.churn": "tone.customer_churn",
             "customer.legal": "tone.customer_legal", "customer.older": "tone.customer_older"}


_PUNCTUATION_ONLY = "emotion.shout"  # "!!": upset, or glad


@extractor("tone")
def customer_cues(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    glad_sentiment = float(res.setting("customer", "glad_min_sentiment"))
    glad_words = res.cached("customer.glad_words", lambda: frozenset(res.setting("customer", "glad_words")))
    for turn, doc in docs.turns("customer"):
        found = [(m, _FEATURES[m.entry.feature]) for m in matches(res, "customer", doc) if m.entry.feature in _FEATURES]
        punctuation = [m for m, _ in found if m.entry.id == _PUNCTUATION_ONLY]
        glad = (punctuation and len(punctuation) == len(found) and any(t.lower_ in glad_words for t in doc)
                and tone_kit(res).customer_sentiment.score(turn.text) >= glad_sentiment)
        for match, feature in found:
            if not (glad and match.entry.id == _PUNCTUATION_ONLY):
                yield span_hit(feature, turn.index, match.span, f"lexicon:customer#{match.entry.id}")
