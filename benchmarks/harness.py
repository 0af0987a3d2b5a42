"""What the evaluation scripts share: running signal families over many transcripts, and binary-label scores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from transcript_coach import Coach, Transcript
from transcript_coach.nlp import annotate
from transcript_coach.signals import extract

BATCH = 500


def features_found(transcripts: Sequence[Transcript], families: Sequence[str], *, turn: int | None = None,
                   coach: Coach | None = None) -> list[set[str]]:
    """The features the named families find in each transcript (only in turn ``turn`` when given), through the
    library's own NLP stage and extractors, a batch of transcripts per ``nlp.pipe`` call."""
    coach = coach or Coach()
    found: list[set[str]] = []
    for begin in range(0, len(transcripts), BATCH):
        batch = list(transcripts[begin:begin + BATCH])
        for docs in annotate(coach.nlp, batch, ["en"] * len(batch)):
            evidence = extract(docs, coach.resources, families=families)
            found.append({e.feature for e in evidence if turn is None or e.turn == turn})
    return found


def binary_scores(pairs: Iterable[tuple[bool, bool]]) -> dict[str, float]:
    """Precision, recall and F1 of the positive class, macro-F1 over both classes, accuracy, the positive rate and n,
    from (predicted, gold) pairs."""
    tp = fp = fn = tn = 0
    for predicted, gold in pairs:
        tp += predicted and gold
        fp += predicted and not gold
        fn += gold and not predicted
        tn += not predicted and not gold
    n = tp + fp + fn + tn

    def f1(hits: int, false_pos: int, misses: int) -> float:
        return 2 * hits / (2 * hits + false_pos + misses) if hits else 0.0

    return {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": f1(tp, fp, fn),
        "macro_f1": (f1(tp, fp, fn) + f1(tn, fn, fp)) / 2,
        "accuracy": (tp + tn) / n if n else 0.0,
        "positive_rate": (tp + fn) / n if n else 0.0,
        "n": n,
    }


def write_results_section(results: Path, name: str, body: str) -> None:
    """Put ``body`` between the ``<!-- name:start -->`` / ``<!-- name:end -->`` markers of RESULTS.md (replacing
    what was there, or appending the section)."""
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    results.write_text(text, encoding="utf-8")
