"""Which language a conversation is in, with an offline detector (py3langid: small, bundled model, no downloads).

Signals built on English lexicons are not guessed for other languages: the report names the language found and the
skills that depend on English are not scored.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from transcript_coach.data import load_json
from transcript_coach.model import Transcript

_SAMPLE_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1, or "und" when there is too little text to tell
    confidence: float

    @property
    def english(self) -> bool:
        """Whether the English lexicons apply: English, or too little text to say otherwise."""
        return self.code in ("en", "und")

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "confidence": round(self.confidence, 3)}


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(transcript: Transcript) -> Language:
    settings = load_json("signals.json")["language"]
    text = " ".join(t.text for t in transcript.turns if not t.internal and t.role in ("agent", "customer", "bot"))
    text = text[:_SAMPLE_CHARS]
    if len(text.split()) < settings["min_words"]:
        return Language("und", 0.0)
    code, confidence = _identifier().classify(text)
    if code != "en" and confidence < settings["min_confidence"]:
        return Language("und", float(confidence))
    return Language(code, float(confidence))
