"""Benchmark: promise.* against the Parakweet e-mail intent labels (a proxy, not a commitment gold set).

Each labelled sentence is run as a one-turn conversation spoken by the agent, through the library's own extractors
(``annotate`` + ``extract`` with the shared ``Coach`` resources). Predicted positive: any ``promise.*`` evidence.
A second row counts a sentence as positive when it has promise evidence OR an instruction to the reader
(``resolution.steps``: "please call me", "click here"), since the Parakweet "Yes" label covers requests and calls
to action as well as offers/commitments. The label does not separate requests from commitments, so neither row
is a measurement of commitment detection proper: precision is hurt by commitments the annotators marked "No"
(and helped or hurt by requests), recall is capped by the many "Yes" sentences that are requests.

Data: ``parakweet_email_intent/Ask0729-fixed.txt`` (Apache-2.0, (c) 2014 Parakweet Labs), read in place.
"""

from __future__ import annotations

import sys
from pathlib import Path

from transcript_coach import Transcript

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import binary_scores, features_found  # noqa: E402

DATASET = "parakweet_email_intent"
FILE = "Ask0729-fixed.txt"


def _load(data_dir: Path) -> list[tuple[bool, str]]:
    items = []
    with open(data_dir / DATASET / FILE, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            label, _, sentence = line.rstrip("\n").partition("\t")
            if label in ("Yes", "No") and sentence.strip():
                items.append((label == "Yes", sentence.strip()))
    return items


def _predict(sentences: list[str]) -> list[set[str]]:
    transcripts = [Transcript.from_turns([{"role": "agent", "text": s}], id=f"s{i}") for i, s in enumerate(sentences)]
    return features_found(transcripts, ["promise", "resolution"])


def rows(data_dir: Path) -> list[dict]:
    items = _load(Path(data_dir))
    gold = [label for label, _ in items]
    features = _predict([sentence for _, sentence in items])
    promise = [any(f.startswith("promise.") for f in found) for found in features]
    either = [p or "resolution.steps" in found for p, found in zip(promise, features)]
    notes = {
        "promise.*": "proxy: Parakweet 'Yes' = request OR offer/commitment; predicted = any promise.* evidence",
        "promise.* or resolution.steps": "proxy: predicted = promise.* evidence or an instruction to the reader",
    }
    out = []
    for signal, pred in (("promise.*", promise), ("promise.* or resolution.steps", either)):
        scores = binary_scores(zip(pred, gold))
        for metric in ("precision", "recall", "f1", "accuracy"):
            value = scores[metric]
            out.append({"signal": signal, "dataset": DATASET, "metric": metric, "value": round(value, 4),
                        "target": None, "n": len(gold), "note": notes[signal]})
    return out


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    for row in rows(folder):
        print(f"{row['signal']:30} {row['dataset']:24} {row['metric']:10} {row['value']:.4f}  n={row['n']}  "
              f"{row['note']}")
