"""The one place evidence becomes numbers: a flat ``{feature name: value}`` map per transcript.

For each feature that fired: ``<feature>`` is how many times it fired, and ``<feature>.mean`` / ``.min`` / ``.max``
summarise its values when they carry a measurement (sentiment, politeness, latency) rather than a plain 1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from transcript_coach.model import Evidence

STAT_SUFFIXES = (".mean", ".min", ".max")


def base_feature(name: str) -> str:
    """The evidence feature behind a statistic: ``tone.politeness.mean`` -> ``tone.politeness``."""
    for suffix in STAT_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def vectorize(evidence: Iterable[Evidence]) -> dict[str, float]:
    values: Mapping[str, list[float]]
    values = defaultdict(list)
    for item in evidence:
        values[item.feature].append(float(item.value))
    features: dict[str, float] = {}
    for name in sorted(values):
        observed = values[name]
        features[name] = float(len(observed))
        if any(v != 1.0 for v in observed):
            features[f"{name}.mean"] = round(sum(observed) / len(observed), 4)
            features[f"{name}.min"] = round(min(observed), 4)
            features[f"{name}.max"] = round(max(observed), 4)
    return features
