"""EPITOME (Sharma et al., EMNLP 2020), Reddit portion: does ``empathy.*`` find the three empathy mechanisms?

Each (seeker post, response post) pair becomes a two-turn transcript: the seeker post as a customer turn, the response
as an agent turn (so the customer context that ``empathy.responsive`` and the bare-"sorry" rule read is there). A
mechanism is predicted when the response has any evidence of its feature; the gold label is positive when the
annotated level is 1 (weak) or 2 (strong). We report binary precision, recall and F1 of the positive class, accuracy,
macro-F1 (the mean of the positive and negative classes' F1) and, as a floor, the F1 of predicting every item
positive. The paper reports macro-F1 for its fine-tuned RoBERTa model (ER 74.5, IP 62.6, EX 72.6), but over the three
levels (none/weak/strong) on its own test split: our two-class macro-F1 on development data is an easier task and
is not directly comparable.

The lexicon was designed while looking at this data (the 80 % development slice in ``shared/data``; the other 20 % is
withheld), so these numbers are optimistic for unseen text: read them as a development score, not a test score.

Usage: ``python benchmarks/eval_empathy.py [DATA_DIR]`` (default: ``../shared/data`` next to the repository).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from transcript_coach import Coach, Transcript

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import binary_scores, features_found  # noqa: E402

DATASET = "epitome-reddit-dev80"
FILES = {
    "empathy.emotional_reaction": ("emotional-reactions-reddit.csv", 0.70, 0.745),
    "empathy.interpretation": ("interpretations-reddit.csv", 0.60, 0.626),
    "empathy.exploration": ("explorations-reddit.csv", 0.70, 0.726),
}
NOTE = "lexicon designed looking at this 80% split"


def load(data_dir: Path) -> list[dict]:
    """One record per (seeker, response) pair with the level of each mechanism."""
    folder = Path(data_dir) / "epitome_empathy"
    tables = {}
    for feature, (name, _, _) in FILES.items():
        with open(folder / name, encoding="utf-8", newline="") as fh:
            tables[feature] = list(csv.DictReader(fh))
    first = next(iter(tables.values()))
    records = []
    for i, row in enumerate(first):
        levels = {}
        for feature, rows_ in tables.items():
            other = rows_[i]
            if (other["sp_id"], other["rp_id"]) != (row["sp_id"], row["rp_id"]):
                raise ValueError(f"EPITOME files are not aligned at row {i}")
            levels[feature] = int(other["level"])
        records.append({"id": f"{row['sp_id']}/{row['rp_id']}", "seeker": row["seeker_post"],
                        "response": row["response_post"], "levels": levels})
    return records


def predict(records: list[dict], coach: Coach | None = None) -> list[set[str]]:
    """The empathy features found in each response (run through the library's extractor)."""
    coach = coach or Coach()
    transcripts = [
        Transcript.from_turns([{"role": "customer", "text": r["seeker"]}, {"role": "agent", "text": r["response"]}],
                              id=r["id"])
        for r in records
    ]
    return features_found(transcripts, ["empathy"], turn=1, coach=coach)


def rows(data_dir: Path) -> list[dict]:
    records = load(data_dir)
    found = predict(records)
    out = []
    for feature, (_, target, paper_macro) in FILES.items():
        gold = [r["levels"][feature] >= 1 for r in records]
        pred = [feature in f for f in found]
        s = binary_scores(zip(pred, gold))
        s.pop("n")
        s["baseline_f1"] = binary_scores((True, g) for g in gold)["f1"]
        for metric in ("f1", "precision", "recall", "accuracy", "macro_f1", "baseline_f1"):
            note = NOTE
            if metric == "f1":
                note = f"binary F1, positive = level>=1 ({s['positive_rate']:.0%} of items); {NOTE}"
            elif metric == "macro_f1":
                note = (f"2-class; paper's RoBERTa: {paper_macro:.3f} macro-F1 over 3 levels on its test split "
                        f"(not comparable); {NOTE}")
            elif metric == "baseline_f1":
                note = "F1 of predicting every item positive (floor)"
            out.append({"signal": feature, "dataset": DATASET, "metric": metric, "value": round(s[metric], 4),
                        "target": target if metric == "f1" else None, "n": len(records), "note": note})
    return out


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    print(f"{'signal':28} {'dataset':20} {'metric':12} {'value':>7} {'target':>7} {'n':>6}  note")
    for row in rows(data_dir):
        target = "" if row["target"] is None else f"{row['target']:.2f}"
        print(f"{row['signal']:28} {row['dataset']:20} {row['metric']:12} {row['value']:7.4f} {target:>7} "
              f"{row['n']:6d}  {row['note']}")
