"""A QA team's own scorer: one linear model per skill, fitted to the team's human scores (``transcript-coach train``)
and used by ``score --model DIR`` in place of the rubric for the skills it covers.

Inputs are the pipeline's own features (``features.vectorize``: how often each signal fired, and the mean / min /
max of measured ones) plus a few conversation sizes (``metrics``); counts go through a transform (log1p, presence
or raw) chosen by cross-validation together with the regularisation strength. Models are ridge regressions for
numeric scales and logistic regressions for pass/fail, standardised during fitting and stored unstandardised as
JSON linear models (``linear_model.py``) with a card: the score is a dot product, so a model file can never run
code. A skill's reason lists the largest contributions against the average training conversation and links the
evidence behind them.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.features import STAT_SUFFIXES, base_feature
from transcript_coach.labels import Scale, SkillLabels
from transcript_coach.linear_model import LinearModel, card_path, load_linear_model, save_linear_model
from transcript_coach.model import FAMILIES, SKILLS, SkillScore
from transcript_coach.scoring.conditions import CONDITIONS, Analysed

FEATURE_SET = "transcript-coach/skill-features/v1"
TASK_PREFIX = "skill:"
METRIC_PREFIX = "metric:"
TRANSFORMS = {
    "log1p": math.log1p,
    "presence": lambda count: 1.0 if count > 0 else 0.0,
    "raw": float,
}


def settings() -> Mapping[str, Any]:
    return load_json("calibration.json")


def model_inputs(features: Mapping[str, float], metrics: Mapping[str, Any], transform: str,
                 metric_names: Sequence[str]) -> dict[str, float]:
    """The model's inputs for one conversation: signal counts through ``transform``, statistics as they are, and
    ``log1p`` of the conversation sizes named in ``metric_names``."""
    count = TRANSFORMS[transform]
    inputs = {name: (float(value) if name.endswith(STAT_SUFFIXES) else count(float(value)))
              for name, value in features.items()}
    for name in metric_names:
        value = metrics.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            inputs[METRIC_PREFIX + name] = math.log1p(max(0.0, float(value)))
    return inputs


@dataclass(frozen=True)
class Example:
    """One labelled conversation as training sees it."""

    id: str
    features: Mapping[str, float]
    metrics: Mapping[str, Any]


def example_from_report(report: Mapping[str, Any]) -> Example:
    metrics = report.get("metrics") or {}
    return Example(str(report.get("id")), dict(metrics.get("features") or {}), metrics)


# --- training (scikit-learn is imported only here) -------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    transform: str
    strength: float  # ridge alpha or logistic C
    inner_score: float


def _vocabulary(rows: Sequence[Mapping[str, float]], min_df: int) -> list[str]:
    counts: dict[str, int] = {}
    for row in rows:
        for name, value in row.items():
            if value:
                counts[name] = counts.get(name, 0) + 1
    return sorted(n for n, c in counts.items() if c >= min_df)


def _matrix(rows: Sequence[Mapping[str, float]], names: Sequence[str]):
    import numpy as np

    index = {n: i for i, n in enumerate(names)}
    x = np.zeros((len(rows), len(names)))
    for r, row in enumerate(rows):
        for name, value in row.items():
            c = index.get(name)
            if c is not None:
                x[r, c] = value
    return x


def _estimator(kind: str, strength: float, seed: int):
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "binary":
        model = LogisticRegression(C=strength, solver="liblinear", random_state=seed)
    else:
        model = Ridge(alpha=strength)
    return make_pipeline(StandardScaler(), model)


def _splitter(kind: str, y, folds: int, seed: int):
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold

    if kind == "binary":
        smallest = int(min(np.sum(y == 1), np.sum(y == 0)))
        return StratifiedKFold(n_splits=max(2, min(folds, smallest)), shuffle=True, random_state=seed)
    return KFold(n_splits=max(2, min(folds, len(y))), shuffle=True, random_state=seed)


def _choose(examples: Sequence[Example], y, kind: str, conf: Mapping[str, Any], seed: int) -> Choice:
    """The transform and regularisation with the best inner cross-validated score (MSE or ROC AUC)."""
    import numpy as np
    from sklearn.model_selection import cross_val_score

    grid = conf["logistic_cs"] if kind == "binary" else conf["ridge_alphas"]
    scoring = "roc_auc" if kind == "binary" else "neg_mean_squared_error"
    best: Choice | None = None
    for transform in conf["transforms"]:
        rows = [model_inputs(e.features, e.metrics, transform, conf["metric_features"]) for e in examples]
        names = _vocabulary(rows, conf["min_df"])
        if not names:
            continue
        x = _matrix(rows, names)
        for strength in grid:
            cv = _splitter(kind, y, conf["folds"], seed)
            score = float(np.mean(cross_val_score(_estimator(kind, strength, seed), x, y, cv=cv, scoring=scoring)))
            if best is None or score > best.inner_score + 1e-12:
                best = Choice(transform, float(strength), round(score, 6))
    if best is None:
        raise ValueError("no feature fired in enough labelled conversations")
    return best


def _fit(examples: Sequence[Example], y, kind: str, choice: Choice, conf: Mapping[str, Any], seed: int
         ) -> tuple[list[str], list[float], float, list[float]]:
    """Fit with ``choice``; coefficients unstandardised. Returns (names, coef, intercept, input means)."""
    import numpy as np

    rows = [model_inputs(e.features, e.metrics, choice.transform, conf["metric_features"]) for e in examples]
    names = _vocabulary(rows, conf["min_df"])
    x = _matrix(rows, names)
    pipeline = _estimator(kind, choice.strength, seed).fit(x, y)
    scaler, model = pipeline[0], pipeline[-1]
    scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
    coef = np.ravel(model.coef_) / scale
    intercept = float(np.ravel([model.intercept_])[0] - np.sum(coef * scaler.mean_))
    return names, [float(c) for c in coef], intercept, [float(m) for m in scaler.mean_]


def _predict_points(names, coef, intercept, kind: str, scale: Scale, rows) -> list[float]:
    model = LinearModel(task="fold", feature_names=tuple(names), coef=tuple(coef), intercept=intercept,
                        link="logistic" if kind == "binary" else "identity")
    return [_points(model.predict(row), kind, scale) for row in rows]


def _points(prediction: float, kind: str, scale: Scale) -> float:
    return 100.0 * prediction if kind == "binary" else scale.to_points(prediction)


@dataclass(frozen=True)
class TrainResult:
    skill: str
    n: int
    choice: Choice | None
    metrics: Mapping[str, Any]
    path: Path | None = None
    skipped: str | None = None


def train_skill(labels: SkillLabels, examples: Sequence[Example], out_dir: str | Path, *, labels_sha256: str,
                labels_name: str) -> TrainResult:
    """Fit, measure by outer cross-validation (the whole recipe rerun inside each fold) and save one skill's model."""
    import numpy as np
    import sklearn

    from transcript_coach.agreement import statistics

    conf = settings()["training"]
    seed = int(conf["seed"])
    scale = labels.scale
    kind = scale.kind
    examples = sorted(examples, key=lambda e: e.id)
    y = np.array([labels.scores[e.id] for e in examples])
    if kind == "binary":
        y = (y >= 0.5).astype(int)
    n = len(examples)
    if n < conf["min_labels"]:
        return TrainResult(labels.skill, n, None, {}, skipped=f"only {n} labelled conversations matched "
                                                              f"(at least {conf['min_labels']} are needed)")
    if len(set(y.tolist())) < 2 or (kind == "binary" and min(np.sum(y == 1), np.sum(y == 0)) < 2):
        return TrainResult(labels.skill, n, None, {}, skipped="the human scores hardly vary: nothing to learn")

    # Outer cross-validation: what the card reports is measured on conversations the fold's model never saw.
    points = np.zeros(n)
    for k, (train, test) in enumerate(_splitter(kind, y, conf["folds"], seed).split(np.zeros(n), y)):
        part = [examples[i] for i in train]
        choice = _choose(part, y[train], kind, conf, seed + k)
        names, coef, intercept, _ = _fit(part, y[train], kind, choice, conf, seed + k)
        rows = [model_inputs(examples[i].features, examples[i].metrics, choice.transform, conf["metric_features"])
                for i in test]
        points[test] = _predict_points(names, coef, intercept, kind, scale, rows)
    human = y.astype(float)
    measured = statistics(human, points, scale, settings()["evaluation"])
    if kind == "binary":
        from sklearn.metrics import roc_auc_score

        measured["roc_auc"] = float(roc_auc_score(y, points))

    choice = _choose(examples, y, kind, conf, seed)
    names, coef, intercept, means = _fit(examples, y, kind, choice, conf, seed)
    data_hash = hashlib.sha256(json.dumps(
        [[e.id, labels.scores[e.id], sorted(e.features.items())] for e in examples], sort_keys=True,
        default=str).encode("utf-8")).hexdigest()
    card = {
        "name": f"transcript-coach team model for {labels.skill}",
        "description": f"Predicts the team's {scale.describe()} human score for {labels.skill} from the pipeline's "
                       "features; the report shows it as 0-100.",
        "created": date.today().isoformat(),
        "training_data": {"labels_file": labels_name, "labels_sha256": labels_sha256, "data_sha256": data_hash,
                          "n_conversations": n},
        "licence": "the team's own data",
        "label": {"skill": labels.skill, **scale.to_dict()},
        "n": n,
        "hyperparameters": {"model": "LogisticRegression(liblinear, l2)" if kind == "binary" else "Ridge",
                            "transform": choice.transform,
                            ("C" if kind == "binary" else "alpha"): choice.strength,
                            "inner_score": choice.inner_score, "folds": conf["folds"], "min_df": conf["min_df"],
                            "seed": seed},
        "metrics": {"method": f"{conf['folds']}-fold cross-validation; model choice and fit rerun inside each fold",
                    **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in measured.items()}},
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "training_code": "transcript-coach train (transcript_coach.skill_models.train_skill)",
        "intended_use": "Scores a conversation the way this team's reviewers would, as one input to coaching.",
        "limitations": "Learns only what the pipeline's features can see; agreement is measured on this team's "
                       "conversations and may not transfer to another team or channel.",
    }
    extractor = {"feature_set": FEATURE_SET, "skill": labels.skill, "transform": choice.transform,
                 "metric_features": list(conf["metric_features"]), "scale": scale.to_dict(),
                 "feature_means": [round(m, 8) for m in means]}
    path, _ = save_linear_model(Path(out_dir) / f"{labels.skill}.json", task=TASK_PREFIX + labels.skill,
                                feature_names=names, coef=coef, intercept=intercept, card=card,
                                link="logistic" if kind == "binary" else "identity", extractor=extractor,
                                description=f"Team model for {labels.skill} ({scale.describe()}); see the card.")
    return TrainResult(labels.skill, n, choice, measured, path=path)


# --- loading and scoring ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SkillModel:
    skill: str
    model: LinearModel
    transform: str
    metric_names: tuple[str, ...]
    scale: Scale
    means: Mapping[str, float]
    source: str
    weights: Mapping[str, float]  # feature name -> coefficient, built once at load

    @property
    def kind(self) -> str:
        return self.scale.kind

    def agreement(self) -> float:
        """Cross-validated agreement from the card, as a 0-1 confidence factor."""
        metrics = self.model.card.get("metrics", {})
        if self.kind == "binary":
            auc = metrics.get("roc_auc")
            return max(0.0, 2 * float(auc) - 1) if isinstance(auc, int | float) else 0.5
        rho = metrics.get("spearman")
        return max(0.0, float(rho)) if isinstance(rho, int | float) else 0.5

    def score(self, analysed: Analysed, metrics: Mapping[str, Any]) -> SkillScore:
        conf = settings()["scoring"]
        inputs = model_inputs(analysed.features, metrics, self.transform, self.metric_names)
        weights = self.weights
        if not any(inputs.get(name) and weights.get(name) for name in inputs if not name.startswith(METRIC_PREFIX)):
            return SkillScore(score=None, confidence=0.0,
                              reason="no evidence: none of the signals the team model uses fired")
        prediction = self.model.predict(inputs)
        points = round(_points(prediction, self.kind, self.scale), 1)
        parts = sorted(((w * (inputs.get(name, 0.0) - self.means.get(name, 0.0)), name)
                        for name, w in weights.items()), key=lambda p: (-abs(p[0]), p[1]))
        top = [(c, name) for c, name in parts[: conf["top_contributions"]] if abs(c) >= conf["min_contribution"]]
        shown = "; ".join(_describe(c, name, analysed.features) for c, name in top)
        value = f"P(pass) {prediction:.2f}" if self.kind == "binary" else f"{prediction:.2f} on the " \
                f"{self.scale.describe()}"
        unit = "log-odds" if self.kind == "binary" else "points of the scale"
        reason = (f"team model ({self.model.card.get('n', '?')} labelled conversations): {value} = {points:.0f}/100"
                  + (f"; against the average conversation ({unit}): {shown}" if shown else ""))
        features = {base_feature(name) for c, name in top if analysed.features.get(name)}
        evidence = tuple(e.id for e in analysed.evidence if e.feature in features)
        confidence = round(self.agreement() * (1 - math.exp(-max(1, len(evidence)) / 3)), 2)
        return SkillScore(score=points, confidence=confidence, reason=reason, evidence=evidence)


def _describe(contribution: float, name: str, features: Mapping[str, float]) -> str:
    sign = "+" if contribution >= 0 else "-"
    if name.startswith(METRIC_PREFIX):
        return f"{sign}{abs(contribution):.2f} {name[len(METRIC_PREFIX):].replace('_', ' ')}"
    value = features.get(name)
    if not value:
        return f"{sign}{abs(contribution):.2f} no {name}"
    shown = f"{value:g}" if float(value).is_integer() else f"{value:.2f}"
    return f"{sign}{abs(contribution):.2f} {name} ({shown})"


@dataclass(frozen=True)
class SkillModels:
    """The team models found in a folder, by skill."""

    folder: str
    models: Mapping[str, SkillModel]

    def apply(self, analysed: Analysed, metrics: Mapping[str, Any], skills: Mapping[str, SkillScore]
              ) -> dict[str, SkillScore]:
        """``skills`` (the rubric's) with each modelled skill rescored. The team's reviewers score a skill whatever the
        rubric's applicability conditions say, so only a conversation without a human agent keeps the rubric's
        ``null``; a model that finds none of its signals scores ``null`` itself."""
        out = dict(skills)
        no_agent = CONDITIONS["agent"](analysed)
        for skill, model in self.models.items():
            out[skill] = (SkillScore(score=None, confidence=0.0, reason=f"not applicable: {no_agent}") if no_agent
                          else model.score(analysed, metrics))
        return out


def load_skill_models(folder: str | Path) -> SkillModels:
    """Every ``<skill>.json`` model (with its ``.card.json``) in ``folder``; ``DataFileError`` naming the file on
    anything that is not a team model of this version: another file format, a tampered or mismatched card, a model
    fitted with another scikit-learn, features this version does not compute."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataFileError(f"{folder}: not a folder of models")
    models: dict[str, SkillModel] = {}
    for path in sorted(folder.glob("*.json")):
        if path.name.endswith(".card.json") or path.is_symlink():
            continue
        skill = path.stem
        if skill not in SKILLS:
            continue  # other models (politeness) or notes may share the folder
        models[skill] = _load_one(path, skill)
    if not models:
        raise DataFileError(f"{folder}: no skill models found (expected files like empathy.json with "
                            "empathy.card.json, written by 'transcript-coach train')")
    return SkillModels(str(folder), models)


def _load_one(path: Path, skill: str) -> SkillModel:
    model = load_linear_model(path, TASK_PREFIX + skill)
    where = str(path)
    extractor = model.extractor
    if extractor.get("feature_set") != FEATURE_SET:
        raise DataFileError(f"{where}: key 'extractor.feature_set': expected {FEATURE_SET!r}, found "
                            f"{extractor.get('feature_set')!r}: trained by another version; retrain it")
    trained_with = model.card.get("sklearn_version")
    installed = _sklearn_version()
    if not trained_with or _minor(trained_with) != _minor(installed):
        raise DataFileError(f"{card_path(path)}: key 'sklearn_version': trained with scikit-learn {trained_with}, "
                            f"installed {installed}: retrain with 'transcript-coach train'")
    transform = extractor.get("transform")
    if not isinstance(transform, str) or transform not in TRANSFORMS:
        raise DataFileError(f"{where}: key 'extractor.transform': expected one of {sorted(TRANSFORMS)}, "
                            f"found {transform!r}")
    metric_names = extractor.get("metric_features")
    known_metrics = settings()["training"]["metric_features"]
    if not isinstance(metric_names, list) or any(m not in known_metrics for m in metric_names):
        raise DataFileError(f"{where}: key 'extractor.metric_features': expected a list of {known_metrics}")
    try:
        scale = Scale.from_dict(extractor["scale"])
        means = [float(m) for m in extractor["feature_means"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(f"{where}: key 'extractor': scale or feature_means missing or malformed ({exc})") from None
    if scale.kind not in ("binary", "numeric") or not all(map(math.isfinite, (scale.low, scale.high, *means))):
        raise DataFileError(f"{where}: key 'extractor.scale': not a valid scale")
    if len(means) != len(model.feature_names):
        raise DataFileError(f"{where}: key 'extractor.feature_means': {len(means)} values for "
                            f"{len(model.feature_names)} features")
    if model.link != ("logistic" if scale.kind == "binary" else "identity"):
        raise DataFileError(f"{where}: key 'link': {model.link!r} does not fit a {scale.kind} scale")
    for name in model.feature_names:
        if name.startswith(METRIC_PREFIX):
            ok = name[len(METRIC_PREFIX):] in metric_names
        else:
            ok = name.split(".", 1)[0] in FAMILIES
        if not ok:
            raise DataFileError(f"{where}: feature {name!r} is not one this version of transcript-coach computes: "
                                "the feature set does not match; retrain the model")
    return SkillModel(skill, model, transform, tuple(metric_names), scale,
                      dict(zip(model.feature_names, means, strict=True)), where,
                      dict(zip(model.feature_names, model.coef, strict=True)))


def _sklearn_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        return "none"


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def training_examples(reports: Iterable[Mapping[str, Any]]) -> Iterable[Example]:
    return (example_from_report(r) for r in reports if "error" not in r)
