"""What extractors share and must build only once per process: the spaCy pipeline, lexicons, settings, caches.

Family modules keep their own expensive objects here with ``res.cached(key, build)`` (a VADER analyzer, a word
frequency table, a trained model), so that each is built the first time it is needed and then reused for every
transcript the ``Coach`` sees.
"""

from __future__ import annotations

import math
import string
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from spacy.language import Language

from transcript_coach.data import lexicon_names, load_json
from transcript_coach.errors import DataFileError
from transcript_coach.lexicon import Lexicon, load_lexicon
from transcript_coach.memo import Memo

T = TypeVar("T")


class Resources:
    """Per-process caches for signal extraction. ``glossary`` is an optional company glossary file."""

    def __init__(self, nlp: Language, *, glossary: str | Path | None = None, kept: Mapping[str, Any] | None = None):
        """``kept``: what another ``Resources`` built that does not depend on its pipeline (``pipeline_free``)."""
        self.nlp = nlp
        self.glossary_path = Path(glossary) if glossary else None
        self._cache: dict[str, Any] = dict(kept or {})
        self._lock = threading.RLock()  # a build may itself use res.cached or res.lexicon

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """The value built once by ``build`` and kept under ``key``."""
        try:
            return self._cache[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    def memo(self, key: str) -> Memo:
        """A per-process memo of decisions about word forms, kept under ``key`` (see ``Memo``)."""
        return self.cached(key, Memo)

    def lexicon(self, name: str) -> Lexicon:
        """The compiled lexicon ``data/lexicons/<name>.json``."""
        return self.cached(f"lexicon:{name}", lambda: load_lexicon(name, self.nlp))

    def word_frequencies(self) -> WordFrequencies:
        """The everyday frequencies of English words (wordfreq's tables)."""
        return self.cached("word-frequencies", WordFrequencies)

    def pipeline_free(self) -> dict[str, Any]:
        """What these resources have built that does not depend on their pipeline (the word frequencies), for the
        resources of a new pipeline to share (``Resources(nlp, kept=...)``)."""
        return {key: self._cache[key] for key in _PIPELINE_FREE if key in self._cache}

    def setting(self, family: str, key: str) -> Any:
        """A threshold or word list from the ``settings`` of ``data/lexicons/<family>.json`` (numbers live in data)."""
        try:
            return load_json(f"lexicons/{family}.json")["settings"][key]
        except (KeyError, TypeError):
            raise DataFileError(f"lexicons/{family}.json: missing setting settings.{key}") from None

    def warm(self) -> None:
        """Build what every transcript needs now (e.g. before forking workers), so that errors surface early."""
        for name in lexicon_names():
            self.lexicon(name)
        for warmer in WARMERS:
            warmer(self)


class WordFrequencies:
    """Zipf frequencies (log10 of uses per billion words) from wordfreq's best English list (its 'large' one), the
    table ``wordfreq.word_frequency`` reads too (one copy in memory)."""

    def __init__(self) -> None:
        import wordfreq

        # asked for as word_frequency asks (positionally): its cache keys a keyword argument apart, and a second copy
        # would take 0.1 s to build and 7-9 MB
        self._freq: dict[str, float] = wordfreq.get_frequency_dict("en", "best")

    def zipf(self, word: str) -> float:
        """The table's value for ``word`` as written (or with a straight apostrophe); 0.0 for a word it lacks."""
        f = self._freq.get(word)
        if not f:
            f = self._freq.get(word.replace("\u2019", "'"))
            if not f:
                return 0.0
        return round(math.log10(f) + 9.0, 2)

    def zipf_frequency(self, word: str) -> float:
        """``wordfreq.zipf_frequency(word, "en")``: a plain lower-case ASCII word is looked up in the table (the
        same value, checked for every such word of the table), anything else is tokenised by wordfreq first."""
        if word.isascii() and word.isalpha() and word.islower():
            return self.zipf(word)
        from wordfreq import zipf_frequency

        return zipf_frequency(word, "en")

    def common_neighbour(self, word: str, min_zipf: float) -> bool:
        """Whether a word at least ``min_zipf`` common is one edit from lower-case ``word`` after its first letter
        (typing slips rarely touch it, and "bants" is no "wants"): a letter dropped, added or changed, or two
        neighbours swapped."""
        least = 10 ** (min_zipf - 9.0)
        freq = self._freq

        def common(candidate: str) -> bool:
            return candidate != word and freq.get(candidate, 0.0) >= least

        if any(common(word[:i] + word[i + 1:]) or common(word[:i] + word[i + 1:i + 2] + word[i] + word[i + 2:])
               for i in range(1, len(word))):
            return True
        return any(common(word[:i] + c + word[i:]) or common(word[:i] + c + word[i + 1:])
                   for i in range(1, len(word) + 1) for c in string.ascii_lowercase)

    def __contains__(self, word: str) -> bool:
        return word in self._freq


_PIPELINE_FREE = ("word-frequencies",)  # cache keys whose values hold nothing of the spaCy pipeline

# Family modules register functions that build (and so validate) their own resources, e.g. the company glossary.
WARMERS: list[Callable[[Resources], object]] = []
