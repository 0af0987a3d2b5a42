"""``tone.misspelling``: a word the agent wrote with a letter dropped, added, changed or two letters swapped
("resturant", "successfuly", "anyhting", "avaialble").

A lower-case word (a capitalised one may be a name) that ``jargon.misspelt`` reads as a common word misspelt (the
``misspelling`` settings of ``jargon.json``: rare in English, yet known to wordfreq, and one edit after its first
letter from a common word), not written by the customer (a place or product name the agent repeats) and not before
a word of ``jargon.json``'s ``name_heads`` ("tenison road"). Rule ``wordfreq:misspelling``; the value is the word's
Zipf frequency. Such a word is no jargon.
"""

from __future__ import annotations

from collections.abc import Iterator

from transcript_coach.lexicon import lower_word_hashes, word_hashes
from transcript_coach.nlp import TranscriptDocs
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.jargon import misspelt, settings
from transcript_coach.signals.resources import Resources


@extractor("tone")
def misspellings(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    customer: frozenset[int] | None = None  # the customer's words (lower-case hashes), read when needed
    heads = settings(res).name_heads
    freq = res.word_frequencies()
    strings = res.nlp.vocab.strings
    for turn, doc in docs.turns("agent"):
        typos = {strings[h] for h in word_hashes(doc)} if doc else set()
        typos = {w for w in typos if w.islower() and w.isalpha() and misspelt(res, w)}
        if not typos:
            continue  # nearly every turn: its distinct words are looked up once each, its tokens never
        if customer is None:
            customer = frozenset().union(*(lower_word_hashes(d) for _, d in docs.turns("customer")))
        for token in doc:
            if token.text not in typos or token.lower in customer:
                continue
            if token.i + 1 < len(doc) and doc[token.i + 1].lower_ in heads:
                continue  # a place written in lower case: "tenison road", "efes restaurant"
            yield span_hit("tone.misspelling", turn.index, doc[token.i:token.i + 1], "wordfreq:misspelling",
                           freq.zipf(token.text))
