"""The language stage: spaCy runs once over every turn of a batch and the parses travel with the transcript.

The default pipeline needs no trained model (spaCy's English tokenizer, a sentencizer and the lookup lemmatizer from
``spacy-lookups-data``), so it works offline on a fresh install. ``--spacy-model NAME`` uses an installed trained
pipeline instead, for better lemmas and sentence boundaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from transcript_coach.errors import UsageError
from transcript_coach.model import Role, Transcript, Turn

# Text beyond this many characters of one turn is not analysed (it is still in the report): spaCy's own limit is
# 1,000,000 characters, and no support message needs more than this to be understood.
MAX_ANALYSED_CHARS = 100_000
BATCH_TURNS = 2000


def load_pipeline(model: str | None = None) -> Language:
    """The default rule-based English pipeline, or the installed trained pipeline called ``model``."""
    if model:
        try:
            nlp = spacy.load(model, exclude=["ner"] if model.startswith("en_core") else [])
        except OSError:
            raise UsageError(
                f"spaCy pipeline {model!r} is not installed. Install it into this environment first, e.g. "
                f"'python -m spacy download {model}' on a machine with network access, or 'pip install' its wheel; "
                "or leave out --spacy-model to use the built-in rule-based pipeline."
            ) from None
        if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
            nlp.add_pipe("sentencizer")
        if not nlp.has_pipe("lemmatizer"):  # lexicon patterns match on lemmas
            _add_lookup_lemmatizer(nlp)
        return nlp
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    _add_lookup_lemmatizer(nlp)
    return nlp


def _add_lookup_lemmatizer(nlp: Language) -> None:
    """spaCy's lookup lemmatizer (tables from spacy-lookups-data, a dependency: no download)."""
    lemmatizer = nlp.add_pipe("lemmatizer", name="lemmatizer", config={"mode": "lookup", "overwrite": False})
    try:
        lemmatizer.initialize(nlp=nlp)
    except (ImportError, ValueError, OSError) as exc:
        raise UsageError(f"the lemma tables could not be loaded ({exc}); reinstall transcript-coach, which "
                         "depends on spacy-lookups-data") from None


@dataclass(frozen=True, slots=True)
class TranscriptDocs:
    """A transcript with one spaCy ``Doc`` per turn (``docs[i]`` parses ``transcript.turns[i].text``)."""

    transcript: Transcript
    docs: tuple[Doc, ...]
    language: str = "en"

    def turns(self, role: Role | None = None, *, internal: bool = False) -> Iterator[tuple[Turn, Doc]]:
        """Turns (with their parse) of one role; internal notes only when ``internal`` is true."""
        for turn, doc in zip(self.transcript.turns, self.docs, strict=True):
            if (role is None or turn.role == role) and (internal or not turn.internal):
                yield turn, doc


def annotate(nlp: Language, transcripts: Sequence[Transcript], languages: Sequence[str]) -> list[TranscriptDocs]:
    """Parse every turn of every transcript in one ``nlp.pipe`` stream."""
    texts = (turn.text[:MAX_ANALYSED_CHARS] for t in transcripts for turn in t.turns)
    docs = iter(nlp.pipe(texts, batch_size=256))
    return [
        TranscriptDocs(t, tuple(next(docs) for _ in t.turns), language)
        for t, language in zip(transcripts, languages, strict=True)
    ]


def batches(transcripts: Iterable[Transcript], max_turns: int = BATCH_TURNS) -> Iterator[list[Transcript]]:
    """Group a stream of transcripts so each ``nlp.pipe`` call sees a few thousand turns, not the whole corpus."""
    batch: list[Transcript] = []
    turns = 0
    for transcript in transcripts:
        batch.append(transcript)
        turns += len(transcript.turns)
        if turns >= max_turns:
            yield batch
            batch, turns = [], 0
    if batch:
        yield batch
