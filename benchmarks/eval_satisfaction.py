"""The end-of-conversation customer-satisfaction estimate (``metrics.satisfaction``) against the USS ratings.

    python benchmarks/eval_satisfaction.py [DATA_DIR] [--write-card]   # DATA_DIR defaults to ../shared/data

``--write-card`` rewrites ``src/transcript_coach/data/models/satisfaction.card.json``: the formula's hash, the data
files' hashes and the measured correlations (the estimate has no trained parameters, so this is its whole card).

USS (Sun et al., SIGIR 2021) rates, for MultiWOZ and SGD task-oriented dialogues, how satisfied the user is with the
whole dialogue (1-5, several annotators; the mean is used). Each dialogue becomes a transcript (USER = customer,
SYSTEM = agent) scored by the normal pipeline; the estimate is compared with the rating by Spearman correlation per
dialogue. The estimate is a fixed formula (``data/satisfaction.json``), never fitted to these labels; a ridge
regression fitted to them by 10-fold cross-validation over the same features is printed as a reference for what the
features can reach, and is not shipped (USS is evaluation data).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
CORPUS = "uss_user_satisfaction"
FILES = ("MWOZ.txt", "SGD.txt")
SIGNAL = "metrics.satisfaction"


def read_dialogues(path: Path) -> list[tuple[list[dict], float]]:
    """(turns, mean overall rating) per dialogue; turns as ``{"role", "text"}``."""
    dialogues, turns = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            turns = []
            continue
        parts = line.split("\t")
        role, text = parts[0], parts[1] if len(parts) > 1 else ""
        if role == "USER" and text == "OVERALL":
            ratings = [float(r) for r in parts[3].split(",") if r.strip()]
            dialogues.append((turns, sum(ratings) / len(ratings)))
            turns = []
        elif text.strip():
            turns.append({"role": "customer" if role == "USER" else "agent", "text": text})
    return dialogues


def transcripts(data_dir: Path):
    from transcript_coach import Transcript

    for name in FILES:
        for i, (turns, rating) in enumerate(read_dialogues(Path(data_dir) / CORPUS / name)):
            yield name.split(".")[0], Transcript.from_turns(turns, id=f"{name}-{i}", source=name), rating


def scored(data_dir: Path):
    """(corpus, report, rating) for every dialogue."""
    from transcript_coach.coach import Coach

    items = list(transcripts(data_dir))
    reports = Coach().analyze_many(t for _, t, _ in items)
    return [(corpus, report, rating) for (corpus, _, rating), report in zip(items, reports, strict=True)]


def rows(data_dir: Path) -> list[dict]:
    import numpy as np
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from transcript_coach.agreement import spearman
    from transcript_coach.skill_models import _matrix, _vocabulary, model_inputs

    results = scored(data_dir)
    out = []
    for corpus in ("MWOZ", "SGD", "both"):
        chosen = [(r, y) for c, r, y in results if corpus in (c, "both")]
        estimates = [r.metrics["satisfaction"]["estimate"] for r, _ in chosen]
        ratings = [y for _, y in chosen]
        known = [(e, y) for e, y in zip(estimates, ratings, strict=True) if e is not None]
        rho = spearman([e for e, _ in known], [y for _, y in known])
        out.append({"signal": SIGNAL, "dataset": f"uss {corpus}", "metric": "spearman", "value": rho,
                    "target": None, "n": len(known), "note": "shipped formula (data/satisfaction.json), per dialogue"})
        end = [r.metrics["features"].get("tone.customer_end_sentiment.mean", 0.0) for r, _ in chosen]
        out.append({"signal": "tone.customer_end_sentiment", "dataset": f"uss {corpus}", "metric": "spearman",
                    "value": spearman(end, ratings), "target": None, "n": len(chosen),
                    "note": "baseline: the customer's end sentiment alone"})
        inputs = [model_inputs(r.metrics["features"], r.metrics, "log1p", ["agent_turns", "customer_turns",
                                                                           "agent_words", "customer_words"])
                  for r, _ in chosen]
        names = _vocabulary(inputs, 5)
        x = _matrix(inputs, names)
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-1, 3, 9)))
        predicted = cross_val_predict(model, x, np.array(ratings), cv=KFold(10, shuffle=True, random_state=0))
        out.append({"signal": "reference (not shipped)", "dataset": f"uss {corpus}", "metric": "spearman",
                    "value": spearman(predicted, ratings), "target": None, "n": len(chosen),
                    "note": "ridge fitted to the USS ratings, 10-fold CV: what the features can reach"})
    return out


def write_card(data_dir: Path, table: list[dict]) -> Path:
    import hashlib
    import json
    import os
    from datetime import datetime, timezone
    from importlib import resources

    from transcript_coach.linear_model import CARD_SCHEMA

    formula = resources.files("transcript_coach.data").joinpath("satisfaction.json").read_bytes()
    files = [{"path": f"{CORPUS}/{name}", "sha256": hashlib.sha256((Path(data_dir) / CORPUS / name).read_bytes())
              .hexdigest()} for name in FILES]
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    created = (datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)).date()
    card = {
        "schema": CARD_SCHEMA,
        "name": "transcript-coach end-of-conversation customer-satisfaction estimate",
        "task": "satisfaction",
        "description": "metrics.satisfaction: 1-5, a fixed formula over customer-side signals (data/satisfaction.json).",
        "created": created.isoformat(),
        "formula_sha256": hashlib.sha256(formula).hexdigest(),
        "training_data": "none: the weights are set by hand, not fitted",
        "evaluation_data": {"name": "USS user-satisfaction ratings (Sun et al., SIGIR 2021), MultiWOZ and SGD parts, "
                                    "80% slice", "files": files, "label": "mean of the annotators' dialogue-level "
                                                                          "rating (1-5)"},
        "metrics": {f"{r['signal']} | {r['dataset']}": {"spearman": None if r["value"] is None else
                                                        round(r["value"], 4), "n": r["n"], "note": r["note"]}
                    for r in table},
        "evaluation_code": "benchmarks/eval_satisfaction.py",
        "intended_use": "A rough signal of how the customer left the conversation, for sorting and review queues; "
                        "not a substitute for asking the customer.",
        "limitations": "USS dialogues are task-oriented bookings rated mostly 3 of 5; correlations are weak there "
                       "(see metrics) and tone carries most of the estimate.",
    }
    path = REPO / "src" / "transcript_coach" / "data" / "models" / "satisfaction.card.json"
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    data_dir = Path(args[0]) if args else DEFAULT_DATA
    table = rows(data_dir)
    width = max(len(r["dataset"]) for r in table)
    print(f"{'signal':28} {'dataset':{width}} {'metric':9} {'value':>6} {'n':>5}  note")
    for r in table:
        value = "   n/a" if r["value"] is None else f"{r['value']:6.3f}"
        print(f"{r['signal']:28} {r['dataset']:{width}} {r['metric']:9} {value} {r['n']:5}  {r['note']}")
    if "--write-card" in argv:
        print(f"wrote {write_card(data_dir, table)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
