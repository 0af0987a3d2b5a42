"""The end-of-conversation customer-satisfaction estimate, ``metrics.satisfaction`` in a report.

A fixed formula in ``data/satisfaction.json`` written in the rubric's form (``scoring.rubric``: base plus weighted,
clamped signal contributions), on a 1-5 scale like a post-chat survey. It reads the customer's side: tone at the end
and overall, whether it rose, whether the fix was confirmed, repeats, unanswered questions, frustration. It is not
fitted to any ratings; ``benchmarks/eval_satisfaction.py`` measures it against the USS ratings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.scoring.conditions import Analysed
from transcript_coach.scoring.rubric import SkillRubric, contributions, parse_skill, unmet_condition

SETTINGS_FILE = "satisfaction.json"


@dataclass(frozen=True)
class SatisfactionFormula:
    rubric: SkillRubric
    low: float
    high: float


@functools.cache
def formula() -> SatisfactionFormula:
    document = load_json(SETTINGS_FILE)
    try:
        low, high = float(document["scale"]["low"]), float(document["scale"]["high"])
    except (KeyError, TypeError, ValueError):
        raise DataFileError(f"{SETTINGS_FILE}: scale: expected {{'low': number, 'high': number}}") from None
    return SatisfactionFormula(parse_skill("satisfaction", document.get("estimate"), f"{SETTINGS_FILE}: estimate"),
                               low, high)


def estimate_satisfaction(analysed: Analysed) -> dict[str, Any]:
    """``{"estimate": 1-5 or None, "scale": [low, high], "reason": ..., "evidence": [ids]}``."""
    spec = formula()
    reason = unmet_condition(spec.rubric, analysed)
    if reason is not None:
        return {"estimate": None, "scale": [spec.low, spec.high], "reason": f"not estimated: {reason}",
                "evidence": []}
    parts = contributions(spec.rubric, analysed)
    value = max(spec.low, min(spec.high, spec.rubric.base + sum(p.points for p in parts)))
    shown = "; ".join(f"{'+' if p.points >= 0 else '-'}{abs(p.points):.2f} {p.signal.label}" for p in parts)
    features = {p.signal.base_feature for p in parts if not p.signal.missing}
    return {
        "estimate": round(value, 2),
        "scale": [spec.low, spec.high],
        "reason": f"base {spec.rubric.base:g}" + (f"; {shown}" if shown else "") + f" = {value:.2f}",
        "evidence": [e.id for e in analysed.evidence if e.feature in features],
    }
