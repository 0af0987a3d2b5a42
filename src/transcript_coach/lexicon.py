"""Lexicons: phrases and token patterns in spaCy's own formats, loaded from data files and validated on load.

A lexicon file (``data/lexicons/<name>.json``) is::

    {"description": "...",
     "entries": [
        {"id": "apology.sorry", "feature": "empathy.apology", "phrases": ["I'm sorry", "my apologies"]},
        {"id": "interpretation.understand", "feature": "empathy.interpretation", "negatable": true,
         "pattern": [{"LOWER": "i"}, {"LOWER": {"IN": ["understand", "see"]}}]}
     ]}

``phrases`` go to a ``PhraseMatcher`` on lower-case text; ``pattern`` (or ``patterns``, a list of them) go to a
``Matcher``. ``negatable`` entries do not count when a negation comes shortly before them in the same sentence
("I'm *not* sorry", "I *don't* understand"). Optional keys: ``value`` (the evidence value, default 1),
``suggestion`` (a better phrasing or plain word that notes may quote), ``exclude`` (phrases that, when a match
lies inside one of them, cancel it). A phrase or exclude written with a straight apostrophe ("don't") also stands
for the typographic one ("don\u2019t").

A word list that several patterns share is written once, under ``words``, and named with a ``$`` where a pattern
token would list it: ``"words": {"intensifiers": ["really", "so", "very"]}`` and then
``{"LOWER": {"IN": "$intensifiers"}}`` (also for ``NOT_IN``); a ``phrases`` or ``exclude`` list may name one the same
way, as one of its items (``"exclude": ["$formulaic_apologies"]``), for phrases several entries share.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.attrs import LOWER, NORM, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span
from wordfreq import word_frequency  # at import: wordfreq's own import walks the caller's stack, slower when deep

from transcript_coach.data import load_json, read_json_file
from transcript_coach.errors import DataFileError

NEGATIONS = frozenset(
    {"not", "n't", "never", "no", "nothing", "hardly", "cannot", "cant", "dont", "didnt", "doesnt", "isnt", "wasnt",
     "aren't", "won't", "wont", "without", "nor"}
)
NEGATION_WINDOW = 3  # tokens before a match that a negation may stand in
_SERIAL = itertools.count()  # each Lexicon's own key in ``Doc.user_data``
_WORDS_KEY = ("transcript_coach.lexicon", "words")  # the doc's word sets, shared by every lexicon
_COLUMNS_KEY = ("transcript_coach.lexicon", "columns")  # the doc's token arrays, shared by every lexicon
_WORD_ATTRS = {"ORTH": 0, "TEXT": 0, "LOWER": 1, "NORM": 2}  # pattern key -> column of ``_doc_words``
_COLUMNS = 3
_REQUIRED_OPS = (None, "+")  # quantifiers under which a pattern token must be present in a match


@dataclass(frozen=True, slots=True)
class Required:
    """A pattern token that every match contains: one of ``words`` (hashes) in column ``column`` of ``_doc_words``."""

    column: int
    words: frozenset[int]
    commonness: float


Requirement = tuple[Required, ...]
Check = tuple[tuple[int, frozenset[int]], ...]  # a requirement's (column, words), the least common words first


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    feature: str
    value: float = 1.0
    negatable: bool = False
    suggestion: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    span: Span


class Lexicon:
    """Compiled matchers for one lexicon file. Build once per process (matchers are not cheap).

    A doc is matched once per lexicon: the matches are kept in the doc's ``user_data`` (as token offsets, so the doc
    does not refer to itself), and every later call for that doc, from another extractor, reuses them. Token
    patterns that require the same words (for every token the pattern requires to be a given word,
    ``ORTH``/``LOWER``/``NORM``, a value or an ``IN`` list, those words) share a ``Matcher``, which runs only on docs
    that have, for each of those tokens, one of its words. Most docs have none of a pattern's rarer words, a set
    lookup is much cheaper than a matcher pass, and a matcher pass costs in proportion to the patterns it tries at
    every token. The groups a doc may need are found from the rarest required word set of each (by everyday word
    frequency), looked up among the doc's words.
    """

    def __init__(self, name: str, document: Mapping[str, Any], nlp: Language):
        self.name = name
        self.entries: dict[str, Entry] = {}
        self._key = ("transcript_coach.lexicon", next(_SERIAL))
        self._phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._excludes = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._matchers: dict[Check, Matcher] = {}  # token patterns, by the words they require (none: always tried)
        self._word_patterns: list[WordPattern] = []  # one-token patterns, found without the Matcher
        entries = document.get("entries") if isinstance(document, Mapping) else None
        if not isinstance(entries, list) or not entries:
            raise DataFileError(f"{name}: expected a non-empty list under 'entries'")
        self._words = _word_lists(name, document.get("words", {}))
        for position, raw in enumerate(entries):
            self._add(raw, position, nlp)
        self._groups = tuple(self._matchers.items())
        self._always = tuple(i for i, (check, _) in enumerate(self._groups) if not check)
        self._anchors = _anchors([check for check, _ in self._groups])

    def _add(self, raw: Any, position: int, nlp: Language) -> None:
        where = f"{self.name}: entries[{position}]"
        if not isinstance(raw, Mapping):
            raise DataFileError(f"{where}: expected an object")
        try:
            entry = Entry(
                id=str(raw["id"]),
                feature=str(raw["feature"]),
                value=float(raw.get("value", 1.0)),
                negatable=bool(raw.get("negatable", False)),
                suggestion=raw.get("suggestion"),
            )
        except KeyError as exc:
            raise DataFileError(f"{where}: missing key {exc}") from None
        except (TypeError, ValueError) as exc:
            raise DataFileError(f"{where}: {exc}") from None
        where = f"{self.name}: entry {entry.id!r}"
        if entry.id in self.entries:
            raise DataFileError(f"{where}: duplicate id")
        if "." not in entry.feature:
            raise DataFileError(f"{where}: feature {entry.feature!r} must be 'family.detail'")
        self.entries[entry.id] = entry
        phrases = _phrase_list(raw.get("phrases", []), self._words, where)
        patterns = _named_lists(raw.get("patterns", [raw["pattern"]] if "pattern" in raw else []), self._words, where)
        if not phrases and not patterns:
            raise DataFileError(f"{where}: needs 'phrases' or 'pattern'/'patterns'")
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise DataFileError(f"{where}: 'phrases' must be a list of non-empty strings")
        if phrases:
            self._phrases.add(entry.id, list(nlp.tokenizer.pipe(_with_curly_twins(phrases))))
        if patterns:
            try:
                Matcher(nlp.vocab, validate=True).add(entry.id, patterns)  # validated as the Matcher sees them
            except (ValueError, TypeError, KeyError) as exc:
                message = str(exc).strip().splitlines()
                raise DataFileError(f"{where}: invalid token pattern: {' '.join(m.strip() for m in message)}") \
                    from None
            words = [word_pattern(entry.id, pattern) for pattern in patterns]
            self._word_patterns.extend(w for w in words if w is not None)
            others = [pattern for pattern, w in zip(patterns, words, strict=True) if w is None]
            for pattern in others:
                check = tuple((r.column, r.words) for r in required_words(pattern))
                self._matchers.setdefault(check, Matcher(nlp.vocab)).add(entry.id, [pattern])
        excludes = _phrase_list(raw.get("exclude", []), self._words, where)
        if excludes:
            if not isinstance(excludes, list) or not all(isinstance(p, str) for p in excludes):
                raise DataFileError(f"{where}: 'exclude' must be a list of strings")
            self._excludes.add(entry.id, list(nlp.tokenizer.pipe(_with_curly_twins(excludes))))

    def matches(self, doc: Doc) -> Iterator[Match]:
        """Every match in ``doc`` (longest first where matches of one entry overlap), negations removed."""
        found = doc.user_data.get(self._key)
        if found is None:
            found = doc.user_data[self._key] = tuple(self._find(doc))
        entries = self.entries
        for entry_id, start, end in found:
            yield Match(entries[entry_id], doc[start:end])

    def _find(self, doc: Doc) -> Iterator[tuple[str, int, int]]:
        """(entry id, start, end) of every match in ``doc``, in the order ``matches`` gives them."""
        vocab = doc.vocab.strings
        found: dict[str, list[tuple[int, int]]] = {}
        raw = list(self._phrases(doc)) if len(self._phrases) else []
        raw += self.pattern_matches(doc)
        for match_id, start, end in raw:
            found.setdefault(vocab[match_id], []).append((start, end))
        if not found:
            return
        excluded: dict[str, list[tuple[int, int]]] = {}
        for match_id, start, end in self._excludes(doc) if len(self._excludes) else ():
            excluded.setdefault(vocab[match_id], []).append((start, end))
        for entry_id, spans in found.items():
            entry = self.entries[entry_id]
            taken_end = -1  # sorted by start: a span overlaps a taken one iff it starts before the last taken end
            for start, end in sorted(set(spans), key=lambda s: (s[0], -(s[1] - s[0]))):
                if start < taken_end:
                    continue
                if any(s <= start and end <= e for s, e in excluded.get(entry_id, ())):
                    continue
                if entry.negatable and negated(doc, start):
                    continue
                taken_end = end
                yield entry_id, start, end

    def pattern_matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """(match id, start, end) of the token patterns in ``doc``: what a ``Matcher`` of all of them finds."""
        found = []
        if self._groups:
            words = _doc_words(doc)
            for i in self._candidates(words):
                check, matcher = self._groups[i]
                if all(not allowed.isdisjoint(words[column]) for column, allowed in check):
                    found += matcher(doc)
            if len(found) > 1:
                found.sort(key=lambda m: (m[2], m[1]))  # as one Matcher of them all gives them: by end, then start
        if self._word_patterns:
            found += _word_matches(self._word_patterns, doc)
        return found

    def _candidates(self, words: tuple[frozenset[int], ...]) -> list[int]:
        """The positions in ``_groups`` of the pattern groups that ``doc`` (its ``words``) has the rarest required
        word of, and of those that require none, in order."""
        chosen = set(self._always)
        for column, anchor_words, groups in self._anchors:
            for word in anchor_words & words[column]:
                chosen.update(groups[word])
        return sorted(chosen)


@dataclass(frozen=True, slots=True)
class WordPattern:
    """A one-token pattern that asks only for a word (``ORTH``/``TEXT``, ``LOWER`` or ``NORM``: a value or an
    ``IN`` list) and perhaps whether the token starts a sentence (``IS_SENT_START``, as the Matcher reads it: a
    sentence start is a token whose sentence-start flag is 1). Found from the doc's token arrays: a Matcher pass
    builds a Python object for every token of the doc."""

    match_id: int  # the entry id's hash, as the Matcher gives it
    column: int  # of ``_doc_words``
    words: frozenset[int]
    sent_start: bool | None


def _word_lists(name: str, raw: Any) -> dict[str, list[str]]:
    """A lexicon's shared word lists (its ``words``), checked: names to non-empty lists of strings."""
    if not isinstance(raw, Mapping) or not all(isinstance(words, list) and words and all(
            isinstance(w, str) and w for w in words) for words in raw.values()):
        raise DataFileError(f"{name}: 'words' must map names to non-empty lists of words")
    return {str(key): list(words) for key, words in raw.items()}


def _with_curly_twins(phrases: list[str]) -> list[str]:
    """The phrases, and each one with a straight apostrophe also with a typographic one ("don't" and "don\u2019t")."""
    return list(dict.fromkeys(phrases + [p.replace("'", "\u2019") for p in phrases if "'" in p]))


def _phrase_list(value: Any, words: Mapping[str, list[str]], where: str) -> Any:
    """A list of phrases with each ``"$name"`` item replaced by the shared word list of that name; anything else as
    it is (checked by the caller)."""
    if not isinstance(value, list):
        return value
    out: list[Any] = []
    for item in value:
        if isinstance(item, str) and item.startswith("$"):
            out.extend(_named_lists({"IN": item}, words, where)["IN"])
        else:
            out.append(item)
    return out


def _named_lists(value: Any, words: Mapping[str, list[str]], where: str) -> Any:
    """``value`` (patterns, or a part of one) with each ``"$name"`` given to ``IN`` or ``NOT_IN`` replaced by the
    shared word list of that name."""
    if isinstance(value, list):
        return [_named_lists(item, words, where) for item in value]
    if not isinstance(value, Mapping):
        return value
    out = {}
    for key, item in value.items():
        if key in ("IN", "NOT_IN") and isinstance(item, str) and item.startswith("$"):
            if item[1:] not in words:
                raise DataFileError(f"{where}: {item!r} names no list under 'words' (it has: "
                                    f"{', '.join(sorted(words)) or 'none'})")
            item = words[item[1:]]
        out[key] = _named_lists(item, words, where)
    return out


def word_pattern(entry_id: str, pattern: Any) -> WordPattern | None:
    """``pattern`` as a ``WordPattern``, or None when it is any other kind (a valid Matcher pattern)."""
    if len(pattern) != 1 or not isinstance(pattern[0], Mapping):
        return None
    column = words = None
    sent_start: bool | None = None
    for key, value in pattern[0].items():
        key = str(key).upper()
        if key == "IS_SENT_START" and isinstance(value, bool):
            sent_start = value
        elif key in _WORD_ATTRS and column is None:
            if isinstance(value, Mapping) and list(value) == ["IN"]:
                value = value["IN"]
            elif isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return None
            column, words = _WORD_ATTRS[key], frozenset(get_string_id(v) for v in value)
        else:
            return None  # an operator, another attribute, a second word attribute
    if column is None:
        return None
    return WordPattern(get_string_id(entry_id), column, words, sent_start)


def _word_matches(patterns: list[WordPattern], doc: Doc) -> list[tuple[int, int, int]]:
    """(match id, start, end) of every token of ``doc`` that one of ``patterns`` matches, by token then pattern."""
    present = _doc_words(doc)
    candidates = [p for p in patterns if not p.words.isdisjoint(present[p.column])]
    if not candidates:
        return []
    columns = _doc_columns(doc)
    starts = columns[_COLUMNS]
    found = []
    for i in range(len(doc)):
        for p in candidates:
            if columns[p.column][i] in p.words and (p.sent_start is None or (starts[i] == 1) == p.sent_start):
                found.append((p.match_id, i, i + 1))
    return found


def required_words(pattern: Any) -> Requirement:
    """For each token of a ``Matcher`` pattern that every match must contain and that is fixed by ``ORTH``/``TEXT``,
    ``LOWER`` or ``NORM`` (a value, or an ``IN`` list): the column of ``_doc_words``, the word hashes allowed and
    how common those words are in everyday English (the sum of their word frequencies; 1 when unknown)."""
    # only the order of the tests (speed), never their outcome, depends on word frequencies
    required = []
    for token in pattern:
        if not isinstance(token, Mapping) or token.get("OP") not in _REQUIRED_OPS:
            continue
        for key, value in token.items():
            column = _WORD_ATTRS.get(str(key).upper())
            if column is None:
                continue
            if isinstance(value, Mapping) and isinstance(value.get("IN"), list):
                value = value["IN"]
            elif isinstance(value, (str, int)) and not isinstance(value, bool):
                value = [value]
            else:
                continue
            if all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
                common = sum(word_frequency(v, "en") if isinstance(v, str) else 1.0 for v in value)
                required.append(Required(column, frozenset(get_string_id(v) for v in value), common))
                break
    return tuple(sorted(required, key=lambda r: r.commonness))  # the least common first: most docs fail it


def _anchors(checks: list[Check]) -> tuple[tuple[int, frozenset[int], dict[int, tuple[int, ...]]], ...]:
    """Per column of ``_doc_words`` that some check's first (rarest) required word set is in: the column, the words
    of those sets, and for each word the positions in ``checks`` of the checks whose set has it. Checks that require
    no word are left out."""
    columns: list[dict[int, list[int]]] = [{} for _ in range(_COLUMNS)]
    for position, check in enumerate(checks):
        if check:
            column, words = check[0]
            for word in words:
                columns[column].setdefault(word, []).append(position)
    return tuple((column, frozenset(groups), {word: tuple(positions) for word, positions in groups.items()})
                 for column, groups in enumerate(columns) if groups)


def _doc_words(doc: Doc) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    """The ``ORTH``, ``LOWER`` and ``NORM`` hashes of the doc's tokens, computed once per doc."""
    words = doc.user_data.get(_WORDS_KEY)
    if words is None:
        words = doc.user_data[_WORDS_KEY] = tuple(frozenset(column) for column in _doc_columns(doc)[:_COLUMNS])
    return words


def _doc_columns(doc: Doc) -> tuple[list[int], ...]:
    """Per token, in columns: the ``ORTH``, ``LOWER`` and ``NORM`` hashes and the sentence-start flag (1 at a start);
    computed once per doc."""
    columns = doc.user_data.get(_COLUMNS_KEY)
    if columns is None:
        table = doc.to_array([ORTH, LOWER, NORM, SENT_START]).T.tolist() if len(doc) else [[]] * (_COLUMNS + 1)
        columns = doc.user_data[_COLUMNS_KEY] = tuple(table)
    return columns


def word_hashes(doc: Doc) -> frozenset[int]:
    """The ``ORTH`` hashes of the doc's distinct tokens (computed once per doc, shared with the lexicons' matching)."""
    return _doc_words(doc)[0]


def lower_word_hashes(doc: Doc) -> frozenset[int]:
    """The ``LOWER`` hashes of the doc's distinct tokens (computed once per doc, shared with the lexicons' matching)."""
    return _doc_words(doc)[1]


def lower_hashes(doc: Doc) -> list[int]:
    """Per token, the hash of its lower-case form (``Token.lower``), from the doc's token arrays (made once per doc
    and shared with the lexicons' matching)."""
    return _doc_columns(doc)[1]


def negated(doc: Doc, start: int, window: int = NEGATION_WINDOW) -> bool:
    """A negation word within ``window`` tokens before ``start``, in the same clause (O(window) per call)."""
    for k in range(start - 1, max(0, start - window) - 1, -1):
        token = doc[k]
        if token.is_punct or doc[k + 1].is_sent_start:
            return False
        if token.lower_ == "no":  # "Oh no, that sounds awful": a lone "no" is an interjection
            return not (k + 1 < len(doc) and doc[k + 1].is_punct)
        if token.lower_ in NEGATIONS or token.norm_ == "not":  # norm catches "dont", "cant" (-> "do" + "nt")
            return True
    return False


def load_lexicon(name: str, nlp: Language, path: str | Path | None = None) -> Lexicon:
    """The lexicon shipped as ``data/lexicons/<name>.json``, or one read from ``path``."""
    if path is None:
        return Lexicon(f"lexicons/{name}.json", load_json(f"lexicons/{name}.json"), nlp)
    document = read_json_file(path)
    return Lexicon(str(path), document, nlp)
