"""tone.politeness against the Stanford Politeness Corpus: polite (top quartile of the normalised score) vs impolite
(bottom quartile), accuracy (score > 0) and ROC AUC, always on requests the evaluated model was NOT trained on.

    python benchmarks/eval_politeness.py [DATA_DIR]      # DATA_DIR defaults to ../shared/data next to the repo

- ``both domains``: 10-fold cross-validation grouped by request text; each fold reruns the whole training recipe of
  ``train_politeness.py`` (vocabulary, C by inner CV, fit) on the other nine folds.
- ``wikipedia`` / ``stack_exchange``: the same within one domain (the paper's in-domain setting).
- ``wikipedia->stack_exchange`` and the reverse: train on one domain, test on the other (cross-domain).
- ``runtime path``: the fold models plugged into the ``tone`` extractor, each request given as one agent turn; the
  request's score is the mean of its sentences' ``tone.politeness`` evidence, i.e. what a report shows.
- ``rules only``: no model, the hand-weighted strategy score of ``politeness.rule_score`` (weights in tone.json), to
  show what the trained model adds.
- ``one annotator``: the ceiling this data allows. Each rater's own z-normalised rating is scored against the
  quartile label of the other four raters' mean, averaged over the five rater positions: how well a single human
  agrees with the rest. A model is unlikely to agree with the panel better than one of its members.

Reference points (Danescu-Niculescu-Mizil et al. 2013, in-domain accuracy, full corpus): linguistically informed SVM
Wikipedia 83.8 %, Stack Exchange 78.2 %; human agreement 86.7 % / 80.9 %.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_politeness as tp  # noqa: E402  (the shared training code)

SIGNAL = "tone.politeness"
TARGET_AUC = 0.86
TARGET_ACCURACY = 0.80


def rows(data_dir: Path) -> list[dict]:
    import numpy as np

    from transcript_coach.data import load_json
    from transcript_coach.politeness import PolitenessModel, rule_score

    requests, _ = tp.load_corpus(Path(data_dir))
    labelled = [r for r in requests if r.label is not None]
    featurizer, features = tp.featurize(labelled)
    labels = np.array([r.label for r in labelled])
    groups = [tp.group_key(r.text) for r in labelled]
    domains = np.array([r.domain for r in labelled])
    out: list[dict] = []

    def add(dataset, labels_, scores_, note, *, targets=False):
        m = tp.metrics(labels_, scores_)
        out.append(dict(signal=SIGNAL, dataset=dataset, metric="roc_auc", value=m["roc_auc"],
                        target=TARGET_AUC if targets else None, n=m["n"], note=note))
        out.append(dict(signal=SIGNAL, dataset=dataset, metric="accuracy", value=m["accuracy"],
                        target=TARGET_ACCURACY if targets else None, n=m["n"], note=note))

    # Both domains, 10-fold; the fold models also go through the tone extractor (the run-time path).
    runtime = np.full(len(labelled), np.nan)
    runtime_path = RuntimePath([r.text for r in labelled])

    def through_extractor(test, model):
        runtime[test] = runtime_path.scores(test, model)

    scores, _ = tp.cross_validate(features, labels, groups, featurizer, on_fold=through_extractor)
    add("stanford_politeness both domains", labels, scores,
        f"{tp.FOLDS}-fold grouped CV, request-level model score", targets=True)
    add("stanford_politeness both domains, runtime path", labels, runtime,
        "same folds; mean of the tone extractor's per-sentence tone.politeness")
    for domain in ("wikipedia", "stack_exchange"):
        mask = domains == domain
        add(f"stanford_politeness {domain} (pooled model)", labels[mask], scores[mask],
            "the both-domain CV scores restricted to this domain")

    # In-domain, as in the paper.
    for domain, paper in (("wikipedia", "paper: SVM 83.8%, humans 86.7%"),
                          ("stack_exchange", "paper: SVM 78.2%, humans 80.9%")):
        idx = np.flatnonzero(domains == domain)
        s, _ = tp.cross_validate([features[i] for i in idx], labels[idx], [groups[i] for i in idx], featurizer)
        add(f"stanford_politeness {domain} in-domain", labels[idx], s, f"{tp.FOLDS}-fold CV in-domain; {paper}")

    # Cross-domain.
    for source, target in (("wikipedia", "stack_exchange"), ("stack_exchange", "wikipedia")):
        tr = np.flatnonzero(domains == source)
        te = np.flatnonzero(domains == target)
        fit = tp.train([features[i] for i in tr], labels[tr], [groups[i] for i in tr], featurizer)
        model = PolitenessModel(fit.model, featurizer)
        s = [2.0 * model.model.predict(features[i]) - 1.0 for i in te]
        add(f"stanford_politeness {source}->{target}", labels[te], s, "train on one domain, test on the other")

    # No model: the strategy rules alone.
    weights = load_json("lexicons/tone.json")["settings"]["rule_weights"]
    rule = np.array([rule_score(f, weights) for f in features])
    add("stanford_politeness both domains, rules only", labels, rule,
        "no model: hand-weighted strategy sum (> 0 = polite); the model must beat this")
    for domain in ("wikipedia", "stack_exchange"):
        mask = domains == domain
        add(f"stanford_politeness {domain}, rules only", labels[mask], rule[mask], "no model, in-domain")

    for domain, (auc, accuracy, n) in annotator_ceiling(Path(data_dir)).items():
        for metric, value in (("roc_auc", auc), ("accuracy", accuracy)):
            out.append(dict(signal="human rater", dataset=f"stanford_politeness {domain}, one annotator",
                            metric=metric, value=value, target=None, n=n,
                            note="one rater's rating vs the quartile label of the other four (mean over raters)"))
    return out


def annotator_ceiling(data_dir: Path) -> dict[str, tuple[float, float, int]]:
    """Per domain and pooled: mean ROC AUC and accuracy of one rater against the quartile label (per domain, as in
    training) of the other four, and n.

    Ratings are z-normalised per rater (as the corpus's Normalized Score is); accuracy thresholds the rater's z-score
    at 0 (their own mean)."""
    import csv
    from collections import defaultdict

    import numpy as np
    from sklearn.metrics import roc_auc_score

    raters = range(1, 6)
    pairs: dict[str, list[tuple]] = {}  # domain -> per rater position: (truth, that rater's z-scores)
    for name, domain in sorted(tp.FILES.items()):
        with open(data_dir / tp.CORPUS / name, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        given = defaultdict(list)
        for row in rows:
            for k in raters:
                given[row[f"TurkId{k}"]].append(float(row[f"Score{k}"]))
        stats = {rater: (np.mean(v), np.std(v) or 1.0) for rater, v in given.items()}
        z = np.array([[(float(row[f"Score{k}"]) - stats[row[f"TurkId{k}"]][0]) / stats[row[f"TurkId{k}"]][1]
                       for k in raters] for row in rows])
        pairs[domain] = []
        for k in range(z.shape[1]):
            others = np.delete(z, k, axis=1).mean(axis=1)
            q1, q3 = np.percentile(others, [25, 75])
            kept = (others <= q1) | (others >= q3)
            pairs[domain].append(((others[kept] >= q3).astype(int), z[kept, k]))
    positions = range(len(raters))
    pairs["both domains"] = [tuple(np.concatenate([pairs[d][k][i] for d in tp.FILES.values()]) for i in (0, 1))
                             for k in positions]
    out = {}
    for domain, per_rater in pairs.items():
        auc = np.mean([roc_auc_score(truth, score) for truth, score in per_rater])
        accuracy = np.mean([np.mean((score > 0) == (truth == 1)) for truth, score in per_rater])
        out[domain] = (round(float(auc), 4), round(float(accuracy), 4), min(len(t) for t, _ in per_rater))
    return out


class RuntimePath:
    """Scores requests through the ``tone`` extractor with a given politeness model (each request = one agent turn)."""

    def __init__(self, texts: list[str]):
        from transcript_coach import Transcript
        from transcript_coach.nlp import annotate, load_pipeline
        from transcript_coach.signals.resources import Resources
        from transcript_coach.signals.tone import tone_kit

        nlp = load_pipeline()
        transcripts = [Transcript.from_turns([{"role": "agent", "text": t}], id=str(i)) for i, t in enumerate(texts)]
        self.docs = annotate(nlp, transcripts, ["en"] * len(transcripts))
        self.res = Resources(nlp)
        self.kit = tone_kit(self.res)

    def scores(self, indices, model) -> list[float]:
        from transcript_coach.signals import extract

        self.kit.politeness = model
        out = []
        for i in indices:
            values = [e.value for e in extract(self.docs[i], self.res, ["tone"]) if e.feature == SIGNAL]
            out.append(sum(values) / len(values) if values else 0.0)
        return out


def main(argv: list[str]) -> int:
    data_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    table = rows(data_dir)
    width = max(len(r["dataset"]) for r in table)
    print(f"{'signal':16} {'dataset':{width}} {'metric':9} {'value':>6} {'target':>6} {'n':>5}  note")
    for r in table:
        target = "" if r["target"] is None else f"{r['target']:.2f}"
        print(f"{r['signal']:16} {r['dataset']:{width}} {r['metric']:9} {r['value']:6.3f} {target:>6} {r['n']:5}  "
              f"{r['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
