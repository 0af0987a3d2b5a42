"""How well scores agree with a QA team's human scores: the statistics behind ``evaluate`` and the model cards.

All functions are pure: arrays in, plain numbers out. ``human`` is on the team's scale (see ``labels.Scale``),
``points`` is the scorer's 0-100 score, mapped onto that scale before comparing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from transcript_coach.features import base_feature
from transcript_coach.labels import Scale


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rank correlation; ``None`` when either side is constant (it is undefined then)."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    value = float(spearmanr(a, b).statistic)
    return value if math.isfinite(value) else None


def categories(values: Sequence[float], scale: Scale, *, max_levels: int, bins: int) -> np.ndarray:
    """Values on ``scale`` as ordered category numbers, for kappa: the scale's own levels when it has few integer
    levels (a 1-5 rubric), else ``bins`` equal-width bins over the scale."""
    values = np.clip(np.asarray(values, dtype=float), scale.low, scale.high)
    if scale.kind == "binary":
        return (values >= 0.5).astype(int)
    if len(scale.levels) <= max_levels and all(float(v).is_integer() for v in scale.levels):
        return np.rint(values).astype(int) - int(scale.low)
    width = (scale.high - scale.low) / bins or 1.0
    return np.minimum(((values - scale.low) / width).astype(int), bins - 1)


def quadratic_kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if len(a) < 2 or (len(set(a.tolist())) < 2 and len(set(b.tolist())) < 2):
        return None
    value = float(cohen_kappa_score(a, b, weights="quadratic"))
    return value if math.isfinite(value) else None


def statistics(human: np.ndarray, points: np.ndarray, scale: Scale, conf: Mapping[str, Any]) -> dict[str, Any]:
    """Spearman, MAE (on the team's scale) and quadratic-weighted kappa; for pass/fail also accuracy and the
    confusion matrix (the scorer passes at ``pass_threshold`` points)."""
    predicted = np.array([scale.from_points(p) for p in points])
    out: dict[str, Any] = {"n": len(human), "spearman": spearman(human, points)}
    if scale.kind == "binary":
        truth = (human >= 0.5).astype(int)
        passed = (points >= conf["pass_threshold"]).astype(int)
        out["accuracy"] = float(np.mean(truth == passed)) if len(truth) else None
        out["kappa"] = quadratic_kappa(truth, passed)
        out["confusion"] = {"human_pass_scored_pass": int(np.sum((truth == 1) & (passed == 1))),
                            "human_pass_scored_fail": int(np.sum((truth == 1) & (passed == 0))),
                            "human_fail_scored_pass": int(np.sum((truth == 0) & (passed == 1))),
                            "human_fail_scored_fail": int(np.sum((truth == 0) & (passed == 0)))}
        out["mae"] = float(np.mean(np.abs(truth - points / 100.0))) if len(truth) else None
        return out
    out["mae"] = float(np.mean(np.abs(human - predicted))) if len(human) else None
    kw = {"max_levels": conf["max_levels"], "bins": conf["bins"]}
    out["kappa"] = quadratic_kappa(categories(human, scale, **kw), categories(predicted, scale, **kw))
    return out


def bootstrap(human: np.ndarray, points: np.ndarray, scale: Scale, conf: Mapping[str, Any], *, rounds: int,
              seed: int, names: Sequence[str] = ("spearman", "mae", "kappa", "accuracy")) -> dict[str, list[float]]:
    """95% percentile intervals of the statistics over ``rounds`` resamples of the conversations."""
    rng = np.random.default_rng(seed)
    drawn: dict[str, list[float]] = {name: [] for name in names}
    n = len(human)
    if n < 3 or rounds <= 0:
        return {}
    for _ in range(rounds):
        pick = rng.integers(0, n, n)
        values = statistics(human[pick], points[pick], scale, conf)
        for name in names:
            if values.get(name) is not None:
                drawn[name].append(values[name])
    return {name: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
            for name, v in drawn.items() if len(v) >= rounds // 2}


def disagreements(errors: np.ndarray, inputs: Sequence[Mapping[str, float]], *, top: int, min_fired: int,
                  describe: Callable[[str], str] = str) -> list[dict[str, Any]]:
    """The features most associated with the scorer's error (scorer minus human, on the team's scale): Spearman
    correlation between each feature and the error, over the conversations, for features that fired in at least
    ``min_fired`` of them. A positive correlation means the scorer rates higher than the humans when it fires."""
    names = sorted({name for item in inputs for name in item})
    found = []
    for name in names:
        values = np.array([item.get(name, 0.0) for item in inputs])
        fired = int(np.sum(values != 0))
        if fired < min_fired:
            continue
        r = spearman(values, errors)
        if r is None:
            continue
        gap = float(np.mean(errors[values != 0]))
        found.append({"feature": name, "r": round(r, 4), "fired": fired, "mean_error_when_fired": round(gap, 4),
                      "direction": "scores higher than the humans" if r > 0 else "scores lower than the humans"})
    found.sort(key=lambda d: (-abs(d["r"]), d["feature"]))
    shown, seen = [], set()
    for item in found:  # one line per signal: its count or its strongest statistic
        signal = base_feature(item["feature"])
        if signal not in seen:
            seen.add(signal)
            shown.append(item)
    return shown[:top]

