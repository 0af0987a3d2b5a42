"""Which language a conversation is in, with an offline detector (py3langid: small, bundled model, no downloads).

Signals built on English lexicons are not guessed for other languages: the report names the language found and the
skills that depend on English are not scored.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.model import Transcript

_SAMPLE_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1, or "und" when there is too little text to tell
    confidence: float
    method: str = "langid"  # how it was told: "langid", "english-words" (the common-word check) or "too-short"

    @property
    def english(self) -> bool:
        """Whether the English lexicons apply: English, or too little text to say otherwise."""
        return self.code in ("en", "und")

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "confidence": round(self.confidence, 3), "method": self.method}


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load_identifier() -> None:
    """Load py3langid's model now rather than when a conversation first needs it (about 0.4 s and 70 MB): worker
    processes forked afterwards share this copy instead of each loading its own."""
    _identifier()


def detect_language(transcript: Transcript) -> Language:
    """The conversation's language, from what its agents, customers and bots wrote (internal notes aside).

    Mostly common English words ("the", "you", "please", ...: ``english_words`` in data/signals.json) is English at
    once; any other text goes to py3langid, whose answer is kept when it is sure enough."""
    settings = _settings()
    text = " ".join(t.text for t in transcript.turns if not t.internal and t.role in ("agent", "customer", "bot"))
    text = text[:_SAMPLE_CHARS]
    words = text.lower().split()
    if len(words) < settings.min_words:
        return Language("und", 0.0, "too-short")
    share = sum(w.strip(_PUNCTUATION).replace("’", "'") in settings.english_words for w in words) / len(words)
    if share >= settings.english_share:
        return Language("en", share, "english-words")
    code, confidence = _identifier().classify(text)
    if code != "en" and confidence < settings.min_confidence:
        return Language("und", float(confidence))
    return Language(code, float(confidence))


_PUNCTUATION = ".,!?;:\"'()[]{}<>*-’“”"


@dataclass(frozen=True, slots=True)
class _Settings:
    min_words: int
    min_confidence: float
    english_share: float
    english_words: frozenset[str]


@functools.cache
def _settings() -> _Settings:
    document = load_json("signals.json")["language"]
    try:
        words = document["english_words"]
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise TypeError("english_words must be a list of words")
        return _Settings(int(document["min_words"]), float(document["min_confidence"]),
                         float(document["english_share"]),
                         frozenset(w.strip().lower().replace("’", "'") for w in words))
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(f"signals.json: language: {exc}; expected min_words, min_confidence, english_share "
                            "and a list english_words") from None
