"""Word sequences looked up at a position of a list of words: the fixed phrases the signal code checks around a
lexicon match ("once" before "I've processed it", "a DM" after "we've sent you"), from the word lists of the data
files. Words are lower-case, with curly apostrophes made straight (``norm``); a phrase is split as spaCy's tokenizer
splits it, clitics apart ("don't" -> "do", "n't")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_CLITIC = re.compile(r"^(.+?)(n't|'s|'d|'ll|'re|'ve|'m)$")


def norm(text: str) -> str:
    """A word as the phrase tables hold it: lower case, straight apostrophes."""
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def split_phrase(phrase: str) -> tuple[str, ...]:
    """A phrase as the tokenizer would split it (clitics apart): "if you'd like" -> (if, you, 'd, like)."""
    words: list[str] = []
    for piece in norm(phrase).split():
        match = _CLITIC.match(piece)
        words.extend((match[1], match[2]) if match else (piece,))
    return tuple(words)


class Phrases:
    """Longest-match lookup of word sequences at a position of a word list."""

    def __init__(self, phrases: Iterable[str | Sequence[str]], values: Iterable[object] | None = None):
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        self.value: dict[tuple[str, ...], object] = {}
        values = list(values) if values is not None else None
        for position, phrase in enumerate(phrases):
            words = split_phrase(phrase) if isinstance(phrase, str) else tuple(norm(w) for w in phrase)
            self.by_first.setdefault(words[0], []).append(words)
            self.value[words] = values[position] if values is not None else True
        for group in self.by_first.values():
            group.sort(key=len, reverse=True)

    def longest(self, words: Sequence[str], i: int, stop: int | None = None) -> int:
        """The length of the longest phrase that starts at ``words[i]`` (and ends by ``stop``), 0 for none."""
        stop = len(words) if stop is None else stop
        if i >= stop:
            return 0
        for phrase in self.by_first.get(words[i], ()):
            if i + len(phrase) <= stop and tuple(words[i:i + len(phrase)]) == phrase:
                return len(phrase)
        return 0

    def anywhere(self, words: Sequence[str]) -> bool:
        """Whether a phrase starts at any position of ``words``."""
        return any(self.longest(words, i) for i in range(len(words)))

    def get(self, words: Sequence[str], i: int, length: int) -> object:
        return self.value[tuple(words[i:i + length])]
