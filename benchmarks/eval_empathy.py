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
from transcript_coach.nlp import annotate
from transcript_coach.signals import extract

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
    found: list[set[str]] = []
    step = 500
    for k in range(0, len(transcripts), step):
        batch = transcripts[k:k + step]
        for docs in annotate(coach.nlp, batch, ["en"] * len(batch)):
            evidence = extract(docs, coach.resources, families=["empathy"])
            found.append({e.feature for e in evidence if e.turn == 1})
    return found


def scores(gold: list[bool], pred: list[bool]) -> dict[str, float]:
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum(p and not g for g, p in zip(gold, pred))
    fn = sum(g and not p for g, p in zip(gold, pred))
    tn = len(gold) - tp - fp - fn

    def f1(tp_: int, fp_: int, fn_: int) -> float:
        return 2 * tp_ / (2 * tp_ + fp_ + fn_) if tp_ else 0.0

    return {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": f1(tp, fp, fn),
        "macro_f1": (f1(tp, fp, fn) + f1(tn, fn, fp)) / 2,
        "accuracy": (tp + tn) / len(gold) if gold else 0.0,
        "positive_rate": (tp + fn) / len(gold) if gold else 0.0,
    }


def rows(data_dir: Path) -> list[dict]:
    records = load(data_dir)
    found = predict(records)
    out = []
    for feature, (_, target, paper_macro) in FILES.items():
        gold = [r["levels"][feature] >= 1 for r in records]
        pred = [feature in f for f in found]
        s = scores(gold, pred)
        s["baseline_f1"] = scores(gold, [True] * len(gold))["f1"]
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
