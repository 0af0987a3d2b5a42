"""The transparent default scorer: a rubric data file turns features into a 0-100 score per skill, with reasons.

For each skill the rubric gives the conditions under which it can be judged, a base score, and the signals it draws
on. A signal contributes ``weight x clamp(value / target, -1, 1)`` where ``value`` is a feature from
``features.vectorize`` (a count, or a ``.mean``/``.min``/``.max``), optionally per agent turn; a ``missing`` signal
contributes its weight when the feature did not fire at all (an expected behaviour that did not happen), optionally
only ``when`` a condition holds, and links the evidence of the features it ``cites`` (what called for it: the
customer's problem or feelings, for missing empathy; without such a cue, the customer's most negative sentence). The
score is the base plus the contributions, clamped to 0-100; the reason lists every contribution, and the evidence
behind it is linked by id. A skill that cannot be judged scores ``null`` with the condition's reason; one where
nothing relevant fired scores ``null`` as "no evidence".
"""

from __future__ import annotations

import difflib
import json
import math
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transcript_coach.data import lexicon_entry_ids, load_json, read_json_file
from transcript_coach.errors import DataFileError
from transcript_coach.features import base_feature
from transcript_coach.model import CHANNELS, FAMILIES, SKILLS, SkillScore
from transcript_coach.scoring.conditions import CONDITIONS, Analysed

RUBRIC_FILE = "rubric.json"
# the fields a coaching suggestion may fill in ("Thanks{name}, ..."), made by ``coaching._Values``
SUGGESTION_FIELDS = ("text", "plain", "name", "first_name", "issue", "asked")
CUSTOMER_SENTIMENT = "tone.customer_sentiment"  # cited for something missing when no cue called for it


@dataclass(frozen=True, slots=True)
class Signal:
    feature: str
    weight: float
    target: float = 1.0
    label: str = ""
    per_turn: bool = False
    missing: bool = False
    when: str | None = None
    cites: tuple[str, ...] = ()  # of a missing signal: the features of the evidence that called for it (none found:
    # the customer's most negative sentence, which made the condition hold)

    @property
    def base_feature(self) -> str:
        """The evidence feature behind a statistic: ``tone.politeness.mean`` -> ``tone.politeness``."""
        return base_feature(self.feature)


@dataclass(frozen=True, slots=True)
class SkillRubric:
    skill: str
    definition: str
    requires: tuple[str, ...]
    base: float
    signals: tuple[Signal, ...]
    notes: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Rubric:
    name: str
    version: int
    bands: Mapping[str, float]
    skills: Mapping[str, SkillRubric]
    flags: Mapping[str, Mapping[str, Any]]
    coaching: Mapping[str, Any]
    conditions: Mapping[str, float]

    def band(self, score: float | None) -> str | None:
        if score is None:
            return None
        if score < self.bands["low"]:
            return "low"
        return "strong" if score >= self.bands["strong"] else "fair"


def load_rubric(path: str | Path | None = None) -> Rubric:
    """The shipped rubric, or a team's own rubric file; a broken file is a ``DataFileError`` naming the key."""
    if path is None:
        return parse_rubric(load_json(RUBRIC_FILE), RUBRIC_FILE)
    document = read_json_file(path)
    return parse_rubric(document, str(path))


def _need(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        raise DataFileError(f"{where}: missing key '{key}'")
    value = mapping[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DataFileError(f"{where}.{key}: expected {expected}, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise DataFileError(f"{where}.{key}: expected a finite number, got {value!r}")
    return value


def parse_rubric(document: Any, name: str) -> Rubric:
    if not isinstance(document, Mapping):
        raise DataFileError(f"{name}: expected a JSON object")
    version = _need(document, "version", int, name)
    bands = _need(document, "bands", Mapping, name)
    for key in ("low", "strong"):
        _need(bands, key, (int, float), f"{name}: bands")
    skills_doc = _need(document, "skills", Mapping, name)
    unknown = sorted(set(skills_doc) - set(SKILLS))
    if unknown:
        raise DataFileError(f"{name}: skills.{unknown[0]}: not a skill (expected one of {', '.join(SKILLS)})")
    missing = [s for s in SKILLS if s not in skills_doc]
    if missing:
        raise DataFileError(f"{name}: skills.{missing[0]}: missing (every one of the fifteen skills needs an entry)")
    skills = {skill: parse_skill(skill, skills_doc[skill], f"{name}: skills.{skill}") for skill in SKILLS}
    flags = _need(document, "flags", Mapping, name)
    for code, spec in flags.items():
        where = f"{name}: flags.{code}"
        severity = _need(spec, "severity", str, where)
        if severity not in ("low", "medium", "high"):
            raise DataFileError(f"{where}.severity: expected low, medium or high, got {severity!r}")
        _need(spec, "reason", str, where)
        if "threshold" in spec:
            _check_threshold(spec["threshold"], load_json(RUBRIC_FILE)["flags"].get(code, {}).get("threshold"),
                             f"{where}.threshold")
        kinds = spec.get("kinds", {})
        if not isinstance(kinds, Mapping) or not all(isinstance(v, str) for v in kinds.values()):
            raise DataFileError(f"{where}.kinds: expected an object of names by evidence rule, like "
                                '{"lexicon:customer#circumstances.money": "money trouble"}')
        for rule in kinds:
            lexicon, hashed, entry = rule.partition("#")
            if not (lexicon.startswith("lexicon:") and hashed and entry in lexicon_entry_ids()):
                raise DataFileError(f"{where}.kinds.{rule}: not the rule of a lexicon entry ('lexicon:' the lexicon's "
                                    f"name '#' the entry's id){_close(entry, lexicon_entry_ids()) if hashed else ''}")
    coaching = document.get("coaching", {})
    if not isinstance(coaching, Mapping):
        raise DataFileError(f"{name}: coaching: expected an object")
    suggestions = coaching.get("suggestions", {})
    if not isinstance(suggestions, Mapping):
        raise DataFileError(f"{name}: coaching.suggestions: expected an object")
    signals = [signal for skill in skills.values() for signal in skill.signals]
    if name != RUBRIC_FILE:  # a team's rubric may keep the shipped suggestions of signals it has left out
        signals += [signal for skill in load_rubric().skills.values() for signal in skill.signals]
    for key, template in suggestions.items():
        _check_suggestion_key(key, signals, f"{name}: coaching.suggestions.{key}")
        _check_suggestion(template, f"{name}: coaching.suggestions.{key}")
    conditions = document.get("conditions", {})
    if not isinstance(conditions, Mapping) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in conditions.values()):
        raise DataFileError(f"{name}: conditions: expected an object of finite numbers")
    return Rubric(name, version, dict(bands), skills, dict(flags), dict(coaching), dict(conditions))


def _check_threshold(value: Any, shipped: Any, where: str) -> None:
    """A flag's threshold takes the form the shipped rubric gives it: a number, or an object of numbers by channel."""
    def number(x: Any) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)

    if isinstance(shipped, Mapping):
        if not isinstance(value, Mapping) or not all(number(v) for v in value.values()):
            raise DataFileError(f"{where}: expected an object of numbers by channel, like "
                                f"{json.dumps(shipped)}, got {json.dumps(value)[:60]}")
    elif not number(value):
        raise DataFileError(f"{where}: expected a finite number, got {json.dumps(value)[:60]}")


def _check_feature(feature: str, where: str) -> None:
    """A feature a rubric names is ``family.detail`` (``family.*``: any of the family), of a family that has signals:
    a misspelt family would never fire."""
    family, _, detail = feature.partition(".")
    if family not in FAMILIES or not detail:
        raise DataFileError(f"{where}: {feature!r} is not a feature: expected 'family.detail' with a family of "
                            f"{', '.join(FAMILIES)}{_close(family, FAMILIES) if family not in FAMILIES else ''}")


def _check_suggestion_key(key: str, signals: Iterable[Signal], where: str) -> None:
    """A suggestion's key is one the note writer looks up (``coaching._suggest``): the feature of one of ``signals``
    (``missing:`` and the feature, for a missing one), alone, for a channel (``@email``) or for the lexicon entry that
    found the words quoted (``#emotion.loss``), or a family for such an entry (``empathy#emotion.loss``). Any other key
    would never be used, so a misspelt one is refused rather than silently ignored."""
    signals = list(signals)
    features = sorted({f"missing:{s.feature}" if s.missing else s.base_feature for s in signals})
    head, at, channel = key.partition("@")
    feature, hashed, entry = head.partition("#")
    if at and (hashed or channel not in CHANNELS):
        raise DataFileError(f"{where}: after '@' comes a channel, one of {', '.join(CHANNELS)} (and no '#' entry)"
                            f"{_close(channel, CHANNELS)}")
    if hashed and entry.partition("+")[0] not in lexicon_entry_ids():
        raise DataFileError(f"{where}: {entry!r} is no entry of the lexicons (after '#' comes the id of the lexicon "
                            f"entry that found the words, like 'emotion.loss'){_close(entry, lexicon_entry_ids())}")
    families = {s.feature.partition(".")[0] for s in signals} if hashed else set()
    if feature not in features and feature not in families:
        raise DataFileError(f"{where}: {feature!r} is the feature of none of the rubric's signals, so the "
                            f"suggestion would never be used (a missing signal's is written 'missing:' and its "
                            f"feature){_close(feature, features)}")


def _close(written: str, known: Iterable[str]) -> str:
    """", did you mean 'x'?" for the known name closest to a misspelt one, or nothing when none is close."""
    found = difflib.get_close_matches(written, list(known), n=1)
    return f"; did you mean {found[0]!r}?" if found else ""


def _check_suggestion(template: Any, where: str) -> None:
    """A suggestion is text with ``{field}`` names from ``SUGGESTION_FIELDS`` (no format spec or conversion)."""
    if not isinstance(template, str):
        raise DataFileError(f"{where}: expected a string, got {type(template).__name__}")
    try:
        fields = [part[1:] for part in string.Formatter().parse(template) if part[1] is not None]
    except ValueError as exc:
        raise DataFileError(f"{where}: not a valid template ({exc}); a brace itself is written {{{{ or }}}}") from None
    for field, spec, conversion in fields:
        if field not in SUGGESTION_FIELDS or spec or conversion:
            written = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise DataFileError(f"{where}: {written} is not a field a suggestion can use; expected one of "
                                + ", ".join("{" + known + "}" for known in SUGGESTION_FIELDS))


NOTE_KINDS = ("strength", "improvement")


def parse_skill(skill: str, spec: Any, where: str) -> SkillRubric:
    requires = tuple(_need(spec, "requires", list, where))
    for i, condition in enumerate(requires):
        if not isinstance(condition, str) or condition not in CONDITIONS:
            raise DataFileError(f"{where}.requires[{i}]: unknown condition {condition!r} "
                                f"(known: {', '.join(sorted(CONDITIONS))})")
    signals = []
    for i, raw in enumerate(_need(spec, "signals", list, where)):
        at = f"{where}.signals[{i}]"
        feature = _need(raw, "feature", str, at)
        _check_feature(feature, f"{at}.feature")
        when = raw.get("when")
        if when is not None and (not isinstance(when, str) or when not in CONDITIONS):
            raise DataFileError(f"{at}.when: unknown condition {when!r}")
        target = float(_need(raw, "target", (int, float), at)) if "target" in raw else 1.0
        if target == 0:
            raise DataFileError(f"{at}.target: must not be 0")
        cites = raw.get("cites", [])
        if not isinstance(cites, list) or not all(isinstance(c, str) for c in cites):
            raise DataFileError(f"{at}.cites: expected a list of feature names")
        for k, cited in enumerate(cites):
            _check_feature(cited, f"{at}.cites[{k}]")
        if cites and not raw.get("missing", False):
            raise DataFileError(f"{at}.cites: only a 'missing' signal cites evidence (a found one links its own)")
        signals.append(Signal(
            feature=feature,
            weight=float(_need(raw, "weight", (int, float), at)),
            target=target,
            label=str(raw.get("label", feature)),
            per_turn=bool(raw.get("per_turn", False)),
            missing=bool(raw.get("missing", False)),
            when=when,
            cites=tuple(cites),
        ))
    notes = spec.get("notes", {})
    if not isinstance(notes, Mapping) or not all(isinstance(v, str) for v in notes.values()):
        raise DataFileError(f"{where}.notes: expected an object of text templates")
    features = {signal.base_feature for signal in signals}
    for key in notes:
        kind, _, feature = key.partition(":")
        if kind not in NOTE_KINDS or (feature and feature not in features):
            raise DataFileError(f"{where}.notes.{key}: expected 'strength' or 'improvement', optionally followed by "
                                f"':' and a feature of this skill's signals ({', '.join(sorted(features)) or 'none'})")
    return SkillRubric(
        skill=skill,
        definition=_need(spec, "definition", str, where),
        requires=requires,
        base=float(_need(spec, "base", (int, float), where)),
        signals=tuple(signals),
        notes=dict(notes),
    )


@dataclass(frozen=True, slots=True)
class Contribution:
    signal: Signal
    value: float
    points: float


def contributions(rubric: SkillRubric, analysed: Analysed) -> list[Contribution]:
    """What each signal added to or took from the score (zero contributions left out)."""
    agent_turns = max(1, sum(1 for t in analysed.transcript.turns if t.role == "agent" and not t.internal))
    found: list[Contribution] = []
    for signal in rubric.signals:
        if signal.when is not None and CONDITIONS[signal.when](analysed) is not None:
            continue
        if signal.missing:
            if analysed.count(signal.feature) == 0:
                found.append(Contribution(signal, 0.0, signal.weight))
            continue
        if signal.feature not in analysed.features:
            continue
        value = analysed.features[signal.feature]
        if signal.per_turn:
            value /= agent_turns
        points = signal.weight * max(-1.0, min(1.0, value / signal.target))
        if points:
            found.append(Contribution(signal, value, points))
    return found


def unmet_condition(rubric: SkillRubric, analysed: Analysed) -> str | None:
    """The reason the first of the rubric's required conditions does not hold, or None when all hold."""
    for condition in rubric.requires:
        reason = CONDITIONS[condition](analysed)
        if reason is not None:
            return reason
    return None


def score_skill(rubric: SkillRubric, analysed: Analysed) -> SkillScore:
    reason = unmet_condition(rubric, analysed)
    if reason is not None:
        return SkillScore(score=None, confidence=0.0, reason=f"not applicable: {reason}")
    parts = contributions(rubric, analysed)
    if not parts:
        return SkillScore(score=None, confidence=0.0,
                          reason="no evidence either way in this conversation")
    score = max(0.0, min(100.0, rubric.base + sum(p.points for p in parts)))
    points = {p.signal.base_feature: p.points for p in parts if not p.signal.missing}
    observations = sum(1 for e in analysed.evidence if e.feature in points) + sum(1 for p in parts if p.signal.missing)
    cited_worst: list[str] = []
    for part in parts:  # the customer's words that called for what is missing cost what it costs
        cites = part.signal.cites if part.signal.missing else ()
        for feature in cites:
            points[feature] = min(points.get(feature, 0.0), part.points)
        if cites and not any(analysed.count(f) for f in cites):  # no cue: the sentence that read upset called for it
            worst = min((e for e in analysed.evidence if e.feature == CUSTOMER_SENTIMENT and e.value < 0),
                        key=lambda e: e.value, default=None)
            if worst is not None and worst.id not in cited_worst:
                cited_worst.append(worst.id)
    # what cost the most points first (a flag or a reviewer reads the start), then the rest in the order said
    evidence = tuple(cited_worst) + tuple(e.id for e in sorted((e for e in analysed.evidence if e.feature in points),
                                                               key=lambda e: min(0.0, points[e.feature])))
    confidence = round(1 - math.exp(-observations / 3), 2)
    reason = f"base {rubric.base:g}; " + "; ".join(_describe(p) for p in parts) + f" = {score:.0f}"
    return SkillScore(score=round(score, 1), confidence=confidence, reason=reason, evidence=evidence)


def _describe(part: Contribution) -> str:
    sign = "+" if part.points >= 0 else "-"
    if part.signal.missing:
        return f"{sign}{abs(part.points):.0f} no {part.signal.label}"
    shown = f"{part.value:g}" if part.value == int(part.value) else f"{part.value:.2f}"
    return f"{sign}{abs(part.points):.0f} {part.signal.label} ({shown})"
