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
lies inside one of them, cancel it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from transcript_coach.data import load_json, read_json_file
from transcript_coach.errors import DataFileError

NEGATIONS = frozenset(
    {"not", "n't", "never", "no", "nothing", "hardly", "cannot", "cant", "dont", "didnt", "doesnt", "isnt", "wasnt",
     "aren't", "won't", "wont", "without", "nor"}
)
NEGATION_WINDOW = 3  # tokens before a match that a negation may stand in


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
    """Compiled matchers for one lexicon file. Build once per process (matchers are not cheap)."""

    def __init__(self, name: str, document: Mapping[str, Any], nlp: Language):
        self.name = name
        self.entries: dict[str, Entry] = {}
        self._phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._patterns = Matcher(nlp.vocab, validate=True)
        self._excludes = PhraseMatcher(nlp.vocab, attr="LOWER")
        entries = document.get("entries") if isinstance(document, Mapping) else None
        if not isinstance(entries, list) or not entries:
            raise DataFileError(f"{name}: expected a non-empty list under 'entries'")
        for position, raw in enumerate(entries):
            self._add(raw, position, nlp)

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
        phrases = raw.get("phrases", [])
        patterns = raw.get("patterns", [raw["pattern"]] if "pattern" in raw else [])
        if not phrases and not patterns:
            raise DataFileError(f"{where}: needs 'phrases' or 'pattern'/'patterns'")
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
            raise DataFileError(f"{where}: 'phrases' must be a list of non-empty strings")
        if phrases:
            phrases = phrases + [p.replace("'", "\u2019") for p in phrases if "'" in p]  # typographic apostrophes
            self._phrases.add(entry.id, list(nlp.tokenizer.pipe(phrases)))
        if patterns:
            try:
                self._patterns.add(entry.id, patterns)
            except (ValueError, TypeError, KeyError) as exc:
                message = str(exc).strip().splitlines()
                raise DataFileError(f"{where}: invalid token pattern: {' '.join(m.strip() for m in message)}") \
                    from None
        excludes = raw.get("exclude", [])
        if excludes:
            if not isinstance(excludes, list) or not all(isinstance(p, str) for p in excludes):
                raise DataFileError(f"{where}: 'exclude' must be a list of strings")
            self._excludes.add(entry.id, list(nlp.tokenizer.pipe(excludes)))

    def matches(self, doc: Doc) -> Iterator[Match]:
        """Every match in ``doc`` (longest first where matches of one entry overlap), negations removed."""
        vocab = doc.vocab.strings
        found: dict[str, list[tuple[int, int]]] = {}
        raw = list(self._phrases(doc)) if len(self._phrases) else []
        if len(self._patterns):  # an empty Matcher warns on every call
            raw += self._patterns(doc)
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
                yield Match(entry, doc[start:end])


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
