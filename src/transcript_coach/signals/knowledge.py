"""knowledge.*: how sure the agent sounds, and whether they give exact answers.

- ``knowledge.hedge``: uncertainty about facts - "I think", "I believe", "maybe", "probably", "I'm not sure", "I
  guess", "might be", "should be fine", "as far as I know". Politeness softeners are not hedges and are excluded in
  the lexicon: "I think you'll love it", "maybe you could send a screenshot", "I'm not sure if you've already
  tried ...", "I think that's a great idea", "hopefully this helps", "X may be a good choice for you", "maybe you'd
  prefer another day"; nor is one in a question, an offer rather than doubt ("Something else, perhaps?").
- ``knowledge.dont_know``: "I don't know", "no idea", "idk", "I couldn't tell you" ("I don't know if you've seen our
  new app" and "I can't tell you how sorry I am" are not).
- ``knowledge.guess``: an uncertain diagnosis or trial and error - "it could be X or Y", "my guess is", "not sure but
  try", "worth a try". Where a guess and a hedge overlap ("it might be the router"), only the guess counts.
- ``knowledge.find_out``: not knowing or being unsure, then finding out rather than guessing: a hedge, guess or
  don't-know followed, in the rest of its sentence or the next one, by a commitment to find out (``find_out``: "I'm
  not sure why, so I'll ask our billing team", "I don't know. Let me check with my supervisor"). Evidence from the
  first such admission to the end of the commitment, once per sentence; the admissions it covers count as no hedge,
  guess or don't-know.
- ``knowledge.overpromise``: certainty about what is out of the agent's hands - "100% guaranteed", "it will
  definitely arrive tomorrow", "I promise it'll arrive" (not after a negation: "I can't guarantee it will arrive by
  Friday" is the honest answer).
- ``knowledge.specific``: exact, checkable answers: money amounts, percentages, version numbers, error codes, menu
  paths ("Settings > Privacy > Location"), periods of hours to years ("3-5 business days", "a two-year warranty",
  "every three months"; minutes and seconds are process talk, "give me 5 minutes") and model or part numbers (letters
  and digits mixed, "SM-G991B"), with the pattern as the rule (``regex:money`` ...). Figures the customer already
  wrote earlier do not count (echoing an order number is not product knowledge); times and ordinals ("5pm", "24h",
  "3rd") are not model numbers. A number the customer wrote in digits and the agent in words counts as echoed too
  ("3 weeks" / "Three weeks": the exact number words of promise.json's ``due.number_words``). Amounts a call
  transcript writes in words ("one hundred and ninety two pounds": ``settings.spoken_amount``) are money too, rule
  ``words:money``.

Only agent turns are read: a customer's "I don't know" is not the agent's knowledge.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from spacy.tokens import Doc

from transcript_coach.data import load_json
from transcript_coach.lexicon import Match
from transcript_coach.nlp import TranscriptDocs, doc_text, ends_in_question_mark
from transcript_coach.phrases import Phrases, norm
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.resources import Resources

_PATTERNS = ("money", "percent", "version", "error_code", "menu_path", "period", "model_number")
_UNSURE = ("knowledge.hedge", "knowledge.guess", "knowledge.dont_know")


@functools.cache
def _regexes() -> tuple[tuple[tuple[str, re.Pattern[str]], ...], re.Pattern[str]]:
    s = load_json("lexicons/knowledge.json")["settings"]
    return tuple((name, re.compile(s[name])) for name in _PATTERNS), re.compile(s["not_model"], re.IGNORECASE)


@functools.cache
def _number_words() -> tuple[re.Pattern[str], dict[str, str]]:
    exact = load_json("lexicons/promise.json")["settings"]["due"]["number_words"]  # the one list of number words
    words = {w: str(n) for w, n in exact.items()}
    longest_first = sorted(words, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, longest_first)) + r")\b"), words


def _in_digits(text: str) -> str:
    """Lower-case text with number words as digits ("Three weeks" -> "3 weeks"), to compare figures as written."""
    pattern, words = _number_words()
    return pattern.sub(lambda m: words[m.group()], text.lower())


@dataclass(frozen=True, slots=True)
class _SpokenAmounts:
    numbers: frozenset[str]
    counted_by_a: frozenset[str]  # "a hundred quid": "a" is part of the amount only before these
    joiners: frozenset[str]
    currencies: re.Pattern[str]  # finds a currency word in a turn's text: only then are its tokens read


@functools.cache
def _spoken_amounts() -> _SpokenAmounts:
    s = load_json("lexicons/knowledge.json")["settings"]["spoken_amount"]
    return _SpokenAmounts(frozenset(s["numbers"]), frozenset(s["counted_by_a"]), frozenset(s["joiners"]),
                          re.compile(r"\b(?:" + "|".join(map(re.escape, s["currencies"])) + r")\b", re.IGNORECASE))


def spoken_amounts(doc: Doc) -> Iterator[tuple[int, int]]:
    """Character spans of amounts written in words and ending in a currency ("one hundred and ninety two pounds",
    "twenty-five dollars"), as a call transcript writes them (a weight, "two pounds of flour", reads as one too)."""
    words = _spoken_amounts()
    for found in words.currencies.finditer(doc_text(doc)):
        currency = doc.char_span(found.start(), found.end())
        if currency is None or currency.start == 0 or doc[currency.start - 1].lower_ not in words.numbers:
            continue
        k = currency.start - 1  # walk back over the number words and what joins them
        while k > 0:
            before = doc[k - 1].lower_
            if before == "a" and doc[k].lower_ not in words.counted_by_a:
                break  # "a fifteen pound credit": the amount starts at "fifteen"
            if before in words.numbers:
                k -= 1
            elif before in words.joiners and k > 1 and doc[k - 2].lower_ in words.numbers:
                k -= 2
            else:
                break
        if doc[k].lower_ == "a" and k + 1 == currency.start:
            continue  # "a pound": no amount
        yield doc[k].idx, found.end()


@functools.cache
def _finders() -> Phrases:
    return Phrases(load_json("lexicons/knowledge.json")["settings"]["find_out"])


def _found_out(match: Match, finders: Phrases) -> int | None:
    """Where a commitment to find out ends (a character offset) that follows an admission of not knowing in the rest
    of its sentence or in the next one ("I don't know, but I'll find out", "Not sure. Let me check."); None if none
    does."""
    span = match.span
    doc, sent = span.doc, span.sent
    stop = doc[sent.end].sent.end if sent.end < len(doc) else sent.end
    tokens = [t for t in doc[span.end:stop] if not t.is_space]
    said = [norm(t.text) for t in tokens]
    for i in range(len(said)):
        length = finders.longest(said, i)
        if length:
            last = tokens[i + length - 1]
            return last.idx + len(last.text)
    return None


@extractor("knowledge")
def knowledge(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    lexicon = res.lexicon("knowledge")
    spans, not_model = _regexes()
    customer_text = ""
    for turn, doc in docs.turns():
        if turn.role == "customer":
            customer_text += "\n" + _in_digits(turn.text)
            continue
        if turn.role != "agent":
            continue
        matches = list(lexicon.matches(doc))
        guesses = [m.span for m in matches if m.entry.feature == "knowledge.guess"]
        finding_out: set[int] = set()  # sentences (their first token) already credited with finding out
        for match in matches:
            span = match.span
            if match.entry.feature in _UNSURE:
                end = _found_out(match, _finders())
                if end is not None:
                    if span.sent.start not in finding_out:
                        finding_out.add(span.sent.start)
                        yield Hit("knowledge.find_out", turn.index, span.start_char, end,
                                  f"lexicon:knowledge#{match.entry.id}+find-out")
                    continue
            if match.entry.feature == "knowledge.hedge" and (
                    any(span.start < g.end and g.start < span.end for g in guesses)
                    or ends_in_question_mark(span.sent)):  # "perhaps a different day?": an offer, not doubt
                continue
            yield span_hit(match.entry.feature, turn.index, span, f"lexicon:knowledge#{match.entry.id}")
        text = doc_text(doc)
        unsure = [(m.span.start_char, m.span.end_char) for m in matches if m.entry.feature in _UNSURE]
        taken: list[tuple[int, int]] | None = None  # never inside an address; looked for once something is found
        for name, pattern in spans:
            for found in pattern.finditer(text):
                if taken is None:  # nor inside a hedge: "Not 100% sure" gives no figure
                    taken = [(t.idx, t.idx + len(t.text)) for t in doc if t.like_url or t.like_email] + unsure
                start, end = found.span()
                value = found.group()
                if any(start < e and s < end for s, e in taken) or _in_digits(value) in customer_text:
                    continue
                if name == "model_number" and not_model.search(value):
                    continue
                taken.append((start, end))
                yield Hit("knowledge.specific", turn.index, start, end, f"regex:{name.replace('_', '-')}")
        for start, end in spoken_amounts(doc):
            if not any(start < e and s < end for s, e in taken or ()) and _in_digits(text[start:end]) not in \
                    customer_text:
                yield Hit("knowledge.specific", turn.index, start, end, "words:money")
