"""phrases.Phrases: word sequences found at a position of a word list, as the tokenizer splits them."""

from __future__ import annotations

from transcript_coach.phrases import Phrases, norm, split_phrase


def test_a_phrase_is_split_as_the_tokenizer_splits_it():
    assert split_phrase("Don’t worry") == ("do", "n't", "worry")
    assert norm("I’M") == "i'm"


def test_the_longest_phrase_at_a_position_and_anywhere():
    phrases = Phrases(["as soon as", "as", "make sure"])
    words = ["once", "as", "soon", "as", "we", "make", "sure"]
    assert phrases.longest(words, 1) == 3
    assert phrases.longest(words, 4) == 0
    assert phrases.longest(words, 5, stop=6) == 0  # "make sure" would run past the stop
    assert phrases.anywhere(words) and not phrases.anywhere(["we", "refunded", "it"])
