"""``train`` and ``evaluate``: a QA team's human scores (``labels.py``) matched to the reports of the same
conversations, then either fitted (``skill_models.py``) or compared with the current scorer (``agreement.py``).

A label's transcript id matches a report's ``id`` (the export's conversation id, or the file name without its
extension), else the report's file name, with or without extension. Labelled ids found in no report, and ids
matching several reports, are listed rather than guessed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from transcript_coach.labels import LabelSet
from transcript_coach.linear_model import card_path
from transcript_coach.model import SKILLS
from transcript_coach.skill_models import TrainResult, example_from_report, settings, train_skill


@dataclass(frozen=True)
class Matched:
    reports: Mapping[str, Mapping[str, Any]]  # label id -> report dict
    missing: tuple[str, ...]  # labelled ids with no report
    ambiguous: tuple[str, ...]  # labelled ids matching several reports
    failures: tuple[Mapping[str, Any], ...]  # error records met while reading


def match_reports(labels: LabelSet, reports: Iterable[Mapping[str, Any]]) -> Matched:
    """The reports of the labelled conversations among ``reports`` (read as a stream: only those a label's id matches
    are kept, so a year's reports against a few hundred labels hold a few hundred reports)."""
    ids = labels.ids
    by_key: dict[str, list[Mapping[str, Any]]] = {}
    failures = []
    for report in reports:
        if "error" in report:
            failures.append(report)
            continue
        source = os.path.basename(str(report.get("source") or ""))
        keys = {str(report.get("id")), source, os.path.splitext(source)[0]} & ids
        for key in keys:
            by_key.setdefault(key, []).append(report)
    matched, missing, ambiguous = {}, [], []
    for ident in sorted(ids):
        found = by_key.get(ident, [])
        exact = [r for r in found if str(r.get("id")) == ident]
        candidates = exact or found
        if not candidates:
            missing.append(ident)
        elif len({(r.get("source"), r.get("id")) for r in candidates}) > 1:
            ambiguous.append(ident)
        else:
            matched[ident] = candidates[0]
    return Matched(matched, tuple(missing), tuple(ambiguous), tuple(failures))


def train(labels: LabelSet, matched: Matched, out_dir: str | os.PathLike[str]) -> list[TrainResult]:
    """One model per labelled skill, written to ``out_dir``."""
    results = []
    for skill_labels in labels.skills.values():
        examples = [replace(example_from_report(matched.reports[i]), id=i)  # keyed by the label's id
                    for i in sorted(skill_labels.scores) if i in matched.reports]
        results.append(train_skill(skill_labels, examples, out_dir, labels_sha256=labels.sha256,
                                   labels_name=os.path.basename(labels.source)))
    return results


def earlier_models(out_dir: str | os.PathLike[str], written: set[str]) -> Iterator[tuple[str, Path, str]]:
    """The skill models in ``out_dir`` that a training run did not write (``written``), which ``score --model`` uses
    too: each skill, its model file and what its card says it was trained on ("" when the card cannot be read)."""
    for skill in SKILLS:
        path = Path(out_dir) / f"{skill}.json"
        if skill in written or not path.is_file():
            continue
        try:
            data = json.loads(card_path(path).read_text(encoding="utf-8"))["training_data"]
            origin = f" (on {data['labels_file']}, {data['n_conversations']} conversations)"
        except (OSError, ValueError, KeyError, TypeError):
            origin = ""
        yield skill, path, origin


# --- evaluate ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SkillAgreement:
    skill: str
    scale: Mapping[str, Any]
    labelled: int
    compared: int
    unscored: int  # labelled and matched, but the scorer gave null
    statistics: Mapping[str, Any]
    intervals: Mapping[str, list[float]]
    disagreements: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Evaluation:
    labels: str
    scorer: str
    skills: tuple[SkillAgreement, ...]
    missing: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    failures: tuple[Mapping[str, Any], ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "scorer": self.scorer,
            "bootstrap": self.settings.get("bootstrap"),
            "skills": [{"skill": s.skill, "scale": dict(s.scale), "labelled": s.labelled, "compared": s.compared,
                        "unscored": s.unscored, **_rounded(s.statistics), "ci95": dict(s.intervals),
                        "disagreeing_features": list(s.disagreements)} for s in self.skills],
            "labelled_not_found": list(self.missing),
            "ambiguous_ids": list(self.ambiguous),
            "unreadable_inputs": [{"source": f.get("source"), **dict(f.get("error", {}))} for f in self.failures],
        }


def evaluate(labels: LabelSet, matched: Matched, *, scorer: str, bootstrap_rounds: int | None = None
             ) -> Evaluation:
    import numpy as np

    from transcript_coach import agreement
    from transcript_coach.skill_models import model_inputs

    conf = dict(settings()["evaluation"])
    if bootstrap_rounds is not None:
        conf["bootstrap"] = bootstrap_rounds
    metric_names = settings()["training"]["metric_features"]
    results = []
    for skill in SKILLS:
        if skill not in labels.skills:
            continue
        skill_labels = labels.skills[skill]
        scale = skill_labels.scale
        human, points, inputs = [], [], []
        unscored = 0
        for ident in sorted(skill_labels.scores):
            report = matched.reports.get(ident)
            if report is None:
                continue
            score = (report.get("skills") or {}).get(skill, {}).get("score")
            if score is None:
                unscored += 1
                continue
            human.append(skill_labels.scores[ident])
            points.append(float(score))
            metrics = report.get("metrics") or {}
            inputs.append(model_inputs(metrics.get("features") or {}, metrics, "raw", metric_names))
        h, p = np.array(human, dtype=float), np.array(points, dtype=float)
        stats = agreement.statistics(h, p, scale, conf) if len(h) else {"n": 0}
        intervals = agreement.bootstrap(h, p, scale, conf, rounds=int(conf["bootstrap"]), seed=int(conf["seed"]))
        errors = np.array([scale.from_points(x) for x in p]) - (h if scale.kind != "binary" else (h >= 0.5))
        found = agreement.disagreements(errors, inputs, top=conf["disagreeing_features"],
                                        min_fired=conf["min_fired"]) if len(h) >= 3 else []
        results.append(SkillAgreement(skill, scale.to_dict(), len(skill_labels.scores), len(h), unscored, stats,
                                      intervals, tuple(found)))
    return Evaluation(labels.source, scorer, tuple(results), matched.missing, matched.ambiguous, matched.failures,
                      conf)


def _rounded(stats: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in stats.items()}


def _fmt(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _interval(intervals: Mapping[str, list[float]], name: str) -> str:
    low_high = intervals.get(name)
    return f" [{low_high[0]:.2f}, {low_high[1]:.2f}]" if low_high else ""


def write_evaluation_text(result: Evaluation, out: IO[str]) -> None:
    out.write(f"Agreement of the {result.scorer} with the human scores in {result.labels}\n")
    out.write(f"(95% bootstrap intervals over {result.settings.get('bootstrap')} resamples of the conversations; "
              "MAE on the team's scale)\n\n")
    header = f"{'skill':22} {'scale':10} {'n':>4} {'null':>4}  {'spearman':22} {'MAE':22} {'QW kappa':22}"
    out.write(header + "\n" + "-" * len(header) + "\n")
    for s in result.skills:
        st = s.statistics
        scale = "pass/fail" if s.scale["kind"] == "binary" else f"{s.scale['low']:g}-{s.scale['high']:g}"
        out.write(f"{s.skill:22} {scale:10} {s.compared:4d} {s.unscored:4d}  "
                  f"{_fmt(st.get('spearman')) + _interval(s.intervals, 'spearman'):22} "
                  f"{_fmt(st.get('mae')) + _interval(s.intervals, 'mae'):22} "
                  f"{_fmt(st.get('kappa')) + _interval(s.intervals, 'kappa'):22}\n")
    for s in result.skills:
        confusion = s.statistics.get("confusion")
        if confusion:
            out.write(f"\n{s.skill} (pass/fail, scorer passes at {result.settings.get('pass_threshold')} points): "
                      f"accuracy {_fmt(s.statistics.get('accuracy'))}{_interval(s.intervals, 'accuracy')}\n")
            out.write(f"  {'':16} {'scored pass':>12} {'scored fail':>12}\n")
            out.write(f"  {'human pass':16} {confusion['human_pass_scored_pass']:12d} "
                      f"{confusion['human_pass_scored_fail']:12d}\n")
            out.write(f"  {'human fail':16} {confusion['human_fail_scored_pass']:12d} "
                      f"{confusion['human_fail_scored_fail']:12d}\n")
    listed = [s for s in result.skills if s.disagreements]
    if listed:
        out.write("\nFeatures that disagree most (Spearman r between the feature and the scorer's error):\n")
        for s in listed:
            out.write(f"  {s.skill}:\n")
            for d in s.disagreements:
                out.write(f"    {d['feature']:34} r={d['r']:+.2f} in {d['fired']} conversations: "
                          f"{d['direction']}\n")
    if result.missing:
        shown = ", ".join(result.missing[:10]) + (" ..." if len(result.missing) > 10 else "")
        out.write(f"\n{len(result.missing)} labelled conversation(s) not found in the inputs: {shown}\n")
    if result.ambiguous:
        out.write(f"{len(result.ambiguous)} labelled id(s) match several conversations and were left out: "
                  f"{', '.join(result.ambiguous[:10])}\n")


def write_evaluation_json(result: Evaluation, out: IO[str]) -> None:
    json.dump(result.to_dict(), out, indent=2, ensure_ascii=False, allow_nan=False)
    out.write("\n")


EVALUATION_WRITERS = {"text": write_evaluation_text, "json": write_evaluation_json}
