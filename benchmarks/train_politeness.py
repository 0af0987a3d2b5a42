"""Retrain the shipped politeness model from scratch on the Stanford Politeness Corpus and rewrite model + card.

    python benchmarks/train_politeness.py [DATA_DIR]     # DATA_DIR defaults to ../shared/data next to the repo

Reads ``DATA_DIR/stanford_politeness/{stack-exchange,wikipedia}.annotated.csv`` (never copied into the repository),
labels each domain's top quartile of the normalised score polite (1) and its bottom quartile impolite (0) (the
middle half is left out, as in Danescu-Niculescu-Mizil et al. 2013), computes the features with the library's own
``PolitenessFeaturizer`` (the same function the ``tone`` extractor uses at run time), measures the training recipe by
grouped k-fold cross-validation, then fits on all labelled requests and writes
``src/transcript_coach/data/models/politeness.json`` and ``politeness.card.json``.

Reproducible: files and rows are read in sorted order, every split has a fixed seed, coefficients are rounded, so the
same data and library versions give the same model bytes (the card's date comes from SOURCE_DATE_EPOCH when set).
``eval_politeness.py`` imports ``load_corpus``, ``featurize`` and ``cross_validate`` from here.
"""

from __future__ import annotations

import csv
import hashlib
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
CORPUS = "stanford_politeness"
FILES = {"stack-exchange.annotated.csv": "stack_exchange", "wikipedia.annotated.csv": "wikipedia"}
SEED = 20130804  # ACL 2013
FOLDS = 10
MIN_DF = 3


@dataclass(frozen=True)
class Request:
    domain: str  # "wikipedia" | "stack_exchange"
    community: str
    id: str
    text: str
    score: float
    label: int | None  # 1 polite (top quartile of its domain), 0 impolite (bottom quartile), None otherwise


def load_corpus(data_dir: Path) -> tuple[list[Request], dict[str, Any]]:
    """All requests (sorted by domain, id, text) with quartile labels, and a description of what was read."""
    import numpy as np

    folder = Path(data_dir) / CORPUS
    requests: list[Request] = []
    files = []
    quartiles = {}
    for name in sorted(FILES):
        path = folder / name
        raw = path.read_bytes()
        files.append({"path": f"{CORPUS}/{name}", "sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)})
        rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
        domain = FILES[name]
        scores = np.array([float(r["Normalized Score"]) for r in rows])
        q1, q3 = (float(q) for q in np.percentile(scores, [25, 75]))
        quartiles[domain] = {"q1": round(q1, 6), "q3": round(q3, 6), "rows": len(rows)}
        for row in rows:
            score = float(row["Normalized Score"])
            label = 1 if score >= q3 else 0 if score <= q1 else None
            requests.append(Request(domain, row["Community"], row["Id"], row["Request"], score, label))
    requests.sort(key=lambda r: (r.domain, r.id, r.text, r.score))
    combined = hashlib.sha256("".join(f["sha256"] for f in files).encode()).hexdigest()
    info = {"files": files, "sha256": combined, "quartiles": quartiles}
    return requests, info


def featurize(requests: Sequence[Request]):
    """The featurizer (built from the shipped tone.json) and each request's features."""
    from transcript_coach.nlp import load_pipeline
    from transcript_coach.politeness import build_featurizer

    nlp = load_pipeline()
    featurizer = build_featurizer(nlp)
    features = [featurizer.document_features(doc) for doc in nlp.pipe((r.text for r in requests), batch_size=256)]
    return featurizer, features


def group_key(text: str) -> str:
    """Requests with the same text (the Stack Exchange file repeats some) stay on one side of every split."""
    return " ".join(text.lower().split())


def train(features, labels, groups, featurizer, *, seed: int = SEED):
    """The one training recipe (vocabulary, C by inner CV, fit): used for the shipped model and for every fold."""
    from transcript_coach.politeness import extractor_info, fit_politeness

    return fit_politeness(features, labels, fixed=featurizer.fixed_features, extractor=extractor_info(featurizer),
                          groups=groups, min_df=MIN_DF, seed=seed)


def cross_validate(features, labels, groups, featurizer, *, folds: int = FOLDS, seed: int = SEED, on_fold=None):
    """Out-of-fold politeness scores in [-1, 1] for every item: each fold's model is trained with ``train`` on the
    other folds only and scores through ``PolitenessModel`` (the run-time code). ``on_fold(test_indices, model)`` is
    called with each fold's ``PolitenessModel``. Returns (scores, per-fold list)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold

    from transcript_coach.politeness import PolitenessModel

    y = np.asarray(labels)
    scores = np.zeros(len(y))
    per_fold = []
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (tr, te) in enumerate(splitter.split(np.zeros(len(y)), y, np.asarray(groups))):
        fit = train([features[i] for i in tr], y[tr], [groups[i] for i in tr], featurizer, seed=seed + k)
        model = PolitenessModel(fit.model, featurizer)
        scores[te] = [2.0 * model.model.predict(features[i]) - 1.0 for i in te]
        if on_fold is not None:
            on_fold(te, model)
        per_fold.append({"fold": k, "n": len(te), "C": fit.C,
                         "accuracy": round(float(np.mean((scores[te] > 0) == (y[te] == 1))), 4),
                         "roc_auc": round(float(roc_auc_score(y[te], scores[te])), 4)})
    return scores, per_fold


def metrics(labels, scores) -> dict[str, float]:
    import numpy as np
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels)
    s = np.asarray(scores)
    return {"accuracy": round(float(np.mean((s > 0) == (y == 1))), 4),
            "roc_auc": round(float(roc_auc_score(y, s)), 4), "n": int(len(y))}


def main(argv: list[str]) -> int:
    import numpy as np
    import sklearn

    from transcript_coach.linear_model import save_linear_model
    from transcript_coach.politeness import TASK, shipped_model_path

    data_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_DATA
    requests, info = load_corpus(data_dir)
    labelled = [r for r in requests if r.label is not None]
    featurizer, features = featurize(labelled)
    labels = [r.label for r in labelled]
    groups = [group_key(r.text) for r in labelled]
    print(f"{len(labelled)} labelled requests ({sum(labels)} polite), {FOLDS}-fold cross-validation...",
          file=sys.stderr)
    scores, per_fold = cross_validate(features, labels, groups, featurizer)
    cv = metrics(labels, scores)
    print(f"cross-validated: accuracy {cv['accuracy']:.3f}, ROC AUC {cv['roc_auc']:.3f}", file=sys.stderr)
    fit = train(features, labels, groups, featurizer)

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    created = (datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)).date()
    card = {
        "name": "transcript-coach politeness (logistic regression over politeness strategies and n-grams)",
        "description": "Scores how polite a request or sentence reads: 2 * P(polite) - 1 in [-1, 1]. Used by the tone "
                       "extractor as tone.politeness on each agent sentence.",
        "created": created.isoformat(),
        "training_data": {
            "name": "Stanford Politeness Corpus (Wikipedia and Stack Exchange requests), the 80% development slice",
            "citation": "Cristian Danescu-Niculescu-Mizil, Moritz Sudhof, Dan Jurafsky, Jure Leskovec, Christopher "
                        "Potts. A computational approach to politeness with application to social factors. ACL 2013.",
            "source": "https://github.com/sudhof/politeness (branch python3, commit "
                      "0449a15089479ee94ecad6b1698e8f3a2e5637ce), corpora/*.annotated.csv",
            "files": info["files"],
            "sha256": info["sha256"],
            "quartiles": info["quartiles"],
            "n_labelled": len(labelled),
            "n_polite": int(sum(labels)),
        },
        "licence": {
            "text": "The request texts are user contributions to Wikipedia and Stack Exchange, licensed CC BY-SA; the "
                    "annotations come from the authors' repository (Apache-2.0).",
            "attribution": "Trained on the Stanford Politeness Corpus (Danescu-Niculescu-Mizil et al., ACL 2013): "
                           "requests by Wikipedia and Stack Exchange contributors, CC BY-SA.",
            "derived_work": "This model file (its n-gram vocabulary is drawn from the corpus text) is a derived work "
                            "of CC BY-SA material: it is distributed under CC BY-SA 4.0 and carries this attribution.",
            "model_licence": "CC-BY-SA-4.0",
        },
        "label": {
            "definition": "1 (polite) = top quartile of the normalised politeness score within its domain; 0 "
                          "(impolite) = bottom quartile; the middle half is not used",
            "score_field": "Normalized Score",
        },
        "n": len(labelled),
        "hyperparameters": {"model": "LogisticRegression(solver='liblinear', penalty='l2')", "C": fit.C,
                            "C_grid_inner_roc_auc": dict(fit.inner_auc), "min_df": fit.min_df,
                            "inner_folds": 5, "seed": SEED},
        "metrics": {
            "method": f"{FOLDS}-fold StratifiedGroupKFold cross-validation (grouped by request text), the whole "
                      "recipe (vocabulary, C, fit) rerun inside each fold; scores thresholded at 0",
            "folds": FOLDS,
            "accuracy": cv["accuracy"],
            "roc_auc": cv["roc_auc"],
            "n": cv["n"],
            "per_fold": per_fold,
        },
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "libraries": {"spacy": _version("spacy"), "vaderSentiment": _version("vaderSentiment"),
                      "spacy-lookups-data": _version("spacy-lookups-data")},
        "training_code": "benchmarks/train_politeness.py (features: transcript_coach.politeness.PolitenessFeaturizer)",
        "intended_use": "Relative politeness of customer-support agent sentences; one signal among many for coaching, "
                        "not a judgement of a person.",
        "limitations": "Trained on whole requests (1-3 sentences) from Wikipedia editors and Stack Exchange users, "
                       "applied to single support-chat sentences; English only; the paper's human agreement bounds "
                       "what any model can reach on this task.",
    }
    model_path, card_file = save_linear_model(
        shipped_model_path(), task=TASK, feature_names=fit.model.feature_names, coef=fit.model.coef,
        intercept=fit.model.intercept, link="logistic", extractor=dict(fit.model.extractor), card=card,
        description="Politeness of a request or sentence. Derived work of the Stanford Politeness Corpus "
                    "(Danescu-Niculescu-Mizil et al., ACL 2013; Wikipedia and Stack Exchange text, CC BY-SA), "
                    "distributed under CC BY-SA 4.0; see politeness.card.json for data, metrics and attribution.",
    )
    print(f"wrote {model_path} ({len(fit.model.feature_names)} features, C={fit.C}) and {card_file}", file=sys.stderr)
    return 0


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv))
