"""Lexicons: the shortcuts that spare a Matcher pass (word tests, one-token patterns read from token arrays) find
exactly what spaCy's Matcher finds with the same patterns."""

from __future__ import annotations

import json
from importlib import resources as package_files

import pytest
from spacy.matcher import Matcher

from transcript_coach.data import lexicon_names
from transcript_coach.errors import DataFileError
from transcript_coach.lexicon import Lexicon, WordPattern, word_pattern

TEXTS = [
    "Please could you check? please do. PLEASE help me. Pls hurry",
    "May I ask what happened? You may have seen it. In May we can't go, we cannot go, we can not go.",
    "Good morning! good day to you. Hi there. hi again, I said hi.",
    "If you don't mind, you should have read it. You didn't read the manual. You failed to reply.",
    "I think my order is late. We know. Our team will call us. So what now? And then?",
    "",
    "   ",
    "no sentence end here and you never replied",
]


def _shipped(name: str) -> dict:
    return json.loads(package_files.files("transcript_coach.data").joinpath(f"lexicons/{name}.json").read_text())


def _patterns(document: dict) -> dict[str, list]:
    """Each entry's token patterns, as a plain Matcher takes them: shared word lists ("$name") written out."""
    words = document.get("words", {})

    def written_out(value):
        if isinstance(value, list):
            return [written_out(item) for item in value]
        if isinstance(value, dict):
            return {key: words[item[1:]] if isinstance(item, str) and item.startswith("$") else written_out(item)
                    for key, item in value.items()}
        return value

    out = {}
    for entry in document["entries"]:
        patterns = entry.get("patterns", [entry["pattern"]] if "pattern" in entry else [])
        if patterns:
            out[entry["id"]] = written_out(patterns)
    return out


@pytest.fixture(scope="module")
def docs(coach):
    return list(coach.nlp.pipe(TEXTS))


@pytest.mark.parametrize("name", [name for name in lexicon_names() if _patterns(_shipped(name))])
def test_shipped_patterns_match_as_a_plain_matcher_does(coach, docs, samples, name):
    document = _shipped(name)
    patterns = _patterns(document)
    lexicon = Lexicon(name, document, coach.nlp)
    matcher = Matcher(coach.nlp.vocab)
    for entry_id, entry_patterns in patterns.items():
        matcher.add(entry_id, entry_patterns)
    texts = [line for path in sorted(samples.rglob("*.txt")) for line in path.read_text().splitlines()]
    for doc in [*docs, *coach.nlp.pipe(texts)]:
        assert sorted(lexicon.pattern_matches(doc)) == sorted(matcher(doc)), doc.text


def test_one_token_word_patterns_are_read_from_arrays():
    assert word_pattern("a", [{"LOWER": {"IN": ["please", "pls"]}, "IS_SENT_START": True}]).sent_start is True
    assert isinstance(word_pattern("a", [{"ORTH": "may"}]), WordPattern)
    assert word_pattern("a", [{"NORM": "not"}]).sent_start is None
    # anything else stays with the Matcher
    assert word_pattern("a", [{"LOWER": "you"}, {"LOWER": "should"}]) is None
    assert word_pattern("a", [{"LOWER": "you", "OP": "?"}]) is None
    assert word_pattern("a", [{"LOWER": "you", "IS_ALPHA": True}]) is None
    assert word_pattern("a", [{"LOWER": {"NOT_IN": ["you"]}}]) is None
    assert word_pattern("a", [{"LOWER": "you", "ORTH": "You"}]) is None
    assert word_pattern("a", [{"IS_SENT_START": True}]) is None


def test_word_patterns_with_sentence_starts_match_as_the_matcher(coach, docs):
    patterns = [
        [{"LOWER": {"IN": ["please", "pls"]}, "IS_SENT_START": True}],
        [{"LOWER": {"IN": ["please", "pls"]}, "IS_SENT_START": False}],
        [{"ORTH": "May"}],
        [{"NORM": "not"}],
        [{"TEXT": "hi", "IS_SENT_START": False}],
    ]
    document = {"entries": [{"id": f"e{i}", "feature": "test.word", "pattern": p} for i, p in enumerate(patterns)]}
    lexicon = Lexicon("test", document, coach.nlp)
    matcher = Matcher(coach.nlp.vocab)
    for i, p in enumerate(patterns):
        matcher.add(f"e{i}", [p])
    total = 0
    for doc in docs:
        expected = sorted(matcher(doc))
        assert sorted(lexicon.pattern_matches(doc)) == expected, doc.text
        total += len(expected)
    assert total >= 10


def test_shared_word_lists_are_named_in_patterns(coach):
    document = {"words": {"sorry": ["sorry", "apologies"], "not_me": ["i", "we"]},
                "entries": [{"id": "x", "feature": "test.x", "patterns": [
                    [{"LOWER": {"NOT_IN": "$not_me"}}, {"LOWER": "am"}, {"LOWER": {"IN": "$sorry"}}],
                    [{"LOWER": "my"}, {"LOWER": {"IN": "$sorry"}}]]}]}
    lexicon = Lexicon("test", document, coach.nlp)
    doc = coach.nlp("My apologies. He am sorry. I am sorry. So sorry.")
    assert [m.span.text for m in lexicon.matches(doc)] == ["My apologies", "He am sorry"]


def test_shared_phrase_lists_are_named_in_phrases_and_excludes(coach):
    document = {"words": {"formula": ["sorry for any inconvenience", "sorry about any inconvenience"]},
                "entries": [{"id": "a", "feature": "test.a", "phrases": ["sorry"], "exclude": ["$formula"]},
                            {"id": "b", "feature": "test.b", "phrases": ["$formula"]}]}
    lexicon = Lexicon("test", document, coach.nlp)
    doc = coach.nlp("Sorry for any inconvenience. I'm so sorry about the delay.")
    assert sorted((m.entry.id, m.span.text) for m in lexicon.matches(doc)) == [
        ("a", "sorry"), ("b", "Sorry for any inconvenience")]
    with pytest.raises(DataFileError, match="names no list"):
        Lexicon("test", {"entries": [{"id": "a", "feature": "test.a", "phrases": ["x"], "exclude": ["$nope"]}]},
                coach.nlp)


def test_a_straight_apostrophe_stands_for_a_typographic_one_in_phrases_and_excludes(coach):
    document = {"entries": [{"id": "a", "feature": "test.a", "phrases": ["doesn't work"],
                             "exclude": ["it doesn't work for me either"]}]}
    lexicon = Lexicon("test", document, coach.nlp)
    doc = coach.nlp("It doesn\u2019t work. It doesn\u2019t work for me either.")
    assert [m.span.text for m in lexicon.matches(doc)] == ["doesn\u2019t work"]


@pytest.mark.parametrize("words, reference, message", [
    ({"sorry": ["sorry"]}, "$sory", r"'\$sory' names no list under 'words' \(it has: sorry\)"),
    ({"sorry": []}, "$sorry", "'words' must map names to non-empty lists of words"),
    ({"sorry": "sorry"}, "$sorry", "'words' must map names to non-empty lists of words"),
])
def test_shared_word_lists_are_checked(coach, words, reference, message):
    document = {"words": words,
                "entries": [{"id": "x", "feature": "test.x", "pattern": [{"LOWER": {"IN": reference}}]}]}
    with pytest.raises(DataFileError, match=message):
        Lexicon("test", document, coach.nlp)


def test_a_bad_word_pattern_is_still_refused(coach):
    document = {"entries": [{"id": "x", "feature": "test.x", "pattern": [{"LOWER": {"IN": "please"}}]}]}
    with pytest.raises(DataFileError, match="invalid token pattern"):
        Lexicon("test", document, coach.nlp)


def test_patterns_grouped_by_their_required_words_match_as_one_matcher(coach, docs):
    # patterns that share required words share a matcher; one that requires no word is tried on every doc
    patterns = {
        "read": [[{"LOWER": "you"}, {"LOWER": {"IN": ["didn't", "did"]}}, {"LOWER": "read", "OP": "?"}]],
        "read_too": [[{"LOWER": "you"}, {"LOWER": {"IN": ["didn't", "did"]}}]],
        "modal": [[{"LOWER": {"IN": ["may", "can"]}}, {"IS_ALPHA": True, "OP": "+"}, {"LOWER": "go"}]],
        "title": [[{"IS_TITLE": True}, {"IS_PUNCT": True, "OP": "?"}]],
        "any_not": [[{"LOWER": {"IN": ["not", "never"]}, "OP": "?"}, {"LOWER": "go"}]],
    }
    document = {"entries": [{"id": key, "feature": "test.group", "patterns": value} for key, value in patterns.items()]}
    lexicon = Lexicon("test", document, coach.nlp)
    matcher = Matcher(coach.nlp.vocab)
    for key, value in patterns.items():
        matcher.add(key, value)
    found = set()
    for doc in docs:
        expected = sorted(matcher(doc))
        assert sorted(lexicon.pattern_matches(doc)) == expected, doc.text
        found.update(coach.nlp.vocab.strings[match_id] for match_id, _, _ in expected)
    assert found == set(patterns)
