"""Signal extractors: small functions from a parsed transcript to evidence spans, one module per family.

An extractor is ``fn(docs: TranscriptDocs, res: Resources) -> Iterable[Hit]`` registered with ``@extractor(family)``;
adding a module to this package is enough to run it. ``extract`` runs them all, checks every hit against its turn's
text and gives the evidence stable ids. Extractors never compute scores: ``features.py`` turns evidence into numbers.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from spacy.tokens import Span, Token

from transcript_coach.limits import check_time
from transcript_coach.model import FAMILIES, Evidence
from transcript_coach.nlp import TranscriptDocs
from transcript_coach.signals.resources import Resources


@dataclass(frozen=True, slots=True)
class Hit:
    """Evidence before it has an id: ``feature`` fired on ``turns[turn].text[start:end]`` by ``rule``."""

    feature: str
    turn: int
    start: int
    end: int
    rule: str
    value: float = 1.0


def span_hit(feature: str, turn: int, span: Span | Token, rule: str, value: float = 1.0) -> Hit:
    if isinstance(span, Token):
        return Hit(feature, turn, span.idx, span.idx + len(span.text), rule, value)
    return Hit(feature, turn, span.start_char, span.end_char, rule, value)


Extractor = Callable[[TranscriptDocs, Resources], Iterable[Hit]]
EXTRACTORS: dict[str, list[Extractor]] = {}


def extractor(family: str):
    """Register ``fn`` as an extractor of ``family`` (its features must be named ``family.*``)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown signal family {family!r}")

    def register(fn: Extractor) -> Extractor:
        EXTRACTORS.setdefault(family, []).append(fn)
        return fn

    return register


def extract(docs: TranscriptDocs, res: Resources, families: Iterable[str] | None = None) -> tuple[Evidence, ...]:
    """Evidence from every registered extractor (or the named families), ordered by turn and position."""
    turns = docs.transcript.turns
    hits: set[Hit] = set()
    for family in families if families is not None else EXTRACTORS:
        for fn in EXTRACTORS.get(family, ()):
            check_time()
            for h in fn(docs, res):
                check_time()
                if not h.feature.startswith(family + "."):
                    raise ValueError(f"extractor {fn.__name__} emitted {h.feature!r} outside family {family!r}")
                text = turns[h.turn].text
                if not 0 <= h.start <= h.end <= len(text):
                    raise ValueError(f"extractor {fn.__name__} emitted offsets {h.start}:{h.end} outside turn {h.turn}")
                hits.add(h)
    ordered = sorted(hits, key=lambda h: (h.turn, h.start, h.end, h.feature, h.rule))
    return tuple(
        Evidence(f"e{i}", h.feature, h.turn, h.start, h.end, turns[h.turn].text[h.start:h.end], h.rule, h.value)
        for i, h in enumerate(ordered, 1)
    )


for _module in pkgutil.iter_modules(__path__):
    if _module.name != "resources":
        importlib.import_module(f"{__name__}.{_module.name}")
