"""Per-agent profiles across many reports: skill means and spreads, strengths and weaknesses against the team,
the weekly trend and the continuous_learning score it gives, and a self-assessment checklist answered from the numbers.

Everything here is a pure function of report dicts (the JSON of the report contract, DESIGN.md §5); error records are
counted and otherwise ignored. The rules, with their numbers in ``data/self_assessment.json``:

- **Who is who.** A report's ``agents`` names are trimmed and compared without case; the most frequent spelling is
  shown. A single first name is merged into a full name when exactly one full name among all the reports starts with
  it ("Priya" -> "Priya Raman"); with two candidates it stays apart and the ambiguity is reported. Names that are only
  a role label ("Agent", "Rep") name nobody: such conversations count in the team figures but make no profile. A
  conversation with two agents counts for each of them on their own part (``metrics.by_agent``: a transfer's first
  agent is not credited with the specialist's fix, nor the specialist blamed for the wait), or, in reports without
  that breakdown, in full for each; a colleague who only left an internal note in it is not profiled on it.
- **Team.** Each conversation counts once in the team mean and standard deviation of a skill.
- **Strengths and weaknesses.** A skill scored in at least ``min_conversations`` of the agent's conversations whose
  mean is at least ``min_difference`` points above (below) the team mean; ``z`` (difference over the team standard
  deviation) is given alongside.
- **Trend.** A conversation's skill score is the mean of its scored skills. Dated conversations (``started_at`` with
  a date; a bare clock time is no date) are grouped by ISO week; undated ones are counted but placed in no week. With
  at least ``trend_min_weeks`` weeks and ``trend_min_conversations`` scored conversations, the least-squares slope of
  the weekly means (points per week, weeks spaced by the calendar) gives continuous_learning =
  50 + 50 * tanh(slope / slope_scale): 50 is flat, above 50 improving, below 50 getting worse. Otherwise it is null
  with the reason.
- **Checklist.** See the description in ``data/self_assessment.json``.
- **Keep doing, to work on.** The strengths and faults the agent's coaching notes came back to (``NoteTally``,
  ``coaching_points``).
"""

from __future__ import annotations

import csv
import functools
import json
import math
import statistics
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, Any

from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.model import SKILLS
from transcript_coach.reporting import printable, spreadsheet_row
from transcript_coach.scoring.rubric import NOTE_KINDS, load_rubric

TREND_SKILL = "continuous_learning"
PROFILE_SKILLS: tuple[str, ...] = tuple(s for s in SKILLS if s != TREND_SKILL)
ANSWERS = ("Yes", "Sometimes", "Not yet", "Not enough evidence")


# --- settings -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Measure:
    """One way a checklist question is answered: a skill's score, or whether some features fired."""

    weight: float
    skill: str | None = None
    features: tuple[str, ...] = ()
    shown_when: str = "present"
    label: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True, slots=True)
class Settings:
    shown_at: float
    yes_share: float
    sometimes_share: float
    checklist_min_conversations: int
    questions: tuple[Question, ...]
    min_conversations: int
    min_difference: float
    trend_min_weeks: int
    trend_min_conversations: int
    slope_scale: float
    flat_slope: float
    coaching_points: int
    praise_points: int
    coaching_min_conversations: int


@functools.cache
def settings() -> Settings:
    """The checklist and profile settings of ``data/self_assessment.json``, validated (errors name the entry)."""
    name = "self_assessment.json"
    data = load_json(name)
    try:
        thresholds, profile = data["thresholds"], data["profile"]
        questions = []
        for i, entry in enumerate(data["questions"]):
            measures = []
            for j, m in enumerate(entry["measures"]):
                where = f"{name}: questions[{i}] ({entry.get('id')}) measures[{j}]"
                if ("skill" in m) == ("features" in m):
                    raise DataFileError(f"{where}: give either 'skill' or 'features'")
                if "skill" in m and m["skill"] not in PROFILE_SKILLS:
                    raise DataFileError(f"{where}: unknown skill {m['skill']!r}")
                if m.get("shown_when", "present") not in ("present", "absent"):
                    raise DataFileError(f"{where}: 'shown_when' must be 'present' or 'absent'")
                if "features" in m and not (m["features"] and all(isinstance(f, str) for f in m["features"])):
                    raise DataFileError(f"{where}: 'features' must be a non-empty list of feature names")
                measures.append(Measure(
                    weight=float(m.get("weight", 1)), skill=m.get("skill"), features=tuple(m.get("features", ())),
                    shown_when=m.get("shown_when", "present"),
                    label=m.get("label")
                    or (m["skill"].replace("_", " ") if "skill" in m else ", ".join(m["features"])),
                ))
            questions.append(Question(id=str(entry["id"]), question=str(entry["question"]), measures=tuple(measures)))
        return Settings(
            shown_at=float(thresholds["shown_at"]),
            yes_share=float(thresholds["yes_share"]),
            sometimes_share=float(thresholds["sometimes_share"]),
            checklist_min_conversations=int(thresholds["min_conversations"]),
            questions=tuple(questions),
            min_conversations=int(profile["min_conversations"]),
            min_difference=float(profile["min_difference"]),
            trend_min_weeks=int(profile["trend_min_weeks"]),
            trend_min_conversations=int(profile["trend_min_conversations"]),
            slope_scale=float(profile["slope_scale"]),
            flat_slope=float(profile["flat_slope"]),
            coaching_points=int(profile["coaching_points"]),
            praise_points=int(profile["praise_points"]),
            coaching_min_conversations=int(profile["coaching_min_conversations"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(f"{name}: missing or invalid entry: {exc}") from None


# --- agent names ----------------------------------------------------------------------------------------------------

@functools.cache
def _role_labels() -> frozenset[str]:
    return frozenset(word.casefold() for word in load_json("roles.json")["labels"]["agent"])


def _tidy(name: str) -> str:
    return " ".join(name.split())


def names_someone(name: str) -> bool:
    """Whether a name as a report writes it can stand for an agent: it is not blank, nor a role label ("Agent").
    Which agent it stands for takes every report's names (``resolve_agent_names``); whether it stands for one does
    not."""
    key = _tidy(name).casefold()
    return bool(key) and key not in _role_labels()


@dataclass(frozen=True, slots=True)
class NameMerge:
    """A name as written in a report, the agent it was counted as, and why."""

    name: str
    agent: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "agent": self.agent, "reason": self.reason}


@dataclass(frozen=True)
class AgentNames:
    """Which agent each name in the reports stands for (``None``: a role label such as "Agent", nobody in
    particular), the merges made and the first names left apart because they were ambiguous."""

    agent_of: Mapping[str, str | None]
    merges: tuple[NameMerge, ...] = ()
    ambiguous: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    def agents(self, names: Iterable[object]) -> tuple[str, ...]:
        """The distinct agents that one report's names (its ``agents``) stand for, in order of appearance (empty: no
        named agent)."""
        found: dict[str, None] = {}
        for name in names:
            agent = self.agent_of.get(name) if isinstance(name, str) else None
            if agent:
                found.setdefault(agent, None)
        return tuple(found)

    def aliases(self, agent: str) -> tuple[str, ...]:
        """The other spellings counted as ``agent``."""
        return self._aliases.get(agent, ())

    @functools.cached_property
    def _aliases(self) -> dict[str, tuple[str, ...]]:
        """Every agent's other spellings, found in one pass over the merges (not one per agent: a year's names)."""
        spellings: dict[str, set[str]] = defaultdict(set)
        for merge in self.merges:
            if merge.name != merge.agent:
                spellings[merge.agent].add(merge.name)
        return {agent: tuple(sorted(names)) for agent, names in spellings.items()}


class NameTally:
    """The agent names of reports read one at a time, counted (``add``), for ``resolve_agent_names`` once all are
    read (``resolve``): the reports need not be held to resolve the names in them, and the names as a report gives
    them are what ``AgentNames.agents`` reads later."""

    def __init__(self) -> None:
        self._seen: Counter[tuple[str, ...]] = Counter()

    def add(self, report: Mapping[str, Any]) -> tuple[str, ...]:
        """Count the names of ``report``, and return them (for ``AgentNames.agents`` once they are resolved)."""
        names = tuple(name for name in report.get("agents") or () if isinstance(name, str))
        self._seen[names] += 1
        return names

    def resolve(self) -> AgentNames:
        return resolve_agent_names({"agents": names} for names, count in self._seen.items() for _ in range(count))


def resolve_agent_names(reports: Iterable[Mapping[str, Any]]) -> AgentNames:
    """Normalise the agent names of many reports (see the module docstring for the rules)."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)  # casefolded key -> tidy spelling -> count
    raw_names: set[str] = set()
    for report in reports:
        if "error" in report:
            continue
        for name in report.get("agents") or ():
            if isinstance(name, str) and name.strip():
                raw_names.add(name)
                spellings[_tidy(name).casefold()][_tidy(name)] += 1
    display = {key: min(counts, key=lambda s: (-counts[s], s)) for key, counts in spellings.items()}
    labels = sorted(display[k] for k in display if k in _role_labels())
    people = {k: v for k, v in display.items() if k not in _role_labels()}
    full_names: dict[str, list[str]] = defaultdict(list)  # by first name
    for key in people:
        words = key.split()
        if len(words) > 1:
            full_names[words[0]].append(key)
    target: dict[str, str] = {}
    reasons: dict[str, str] = {}
    ambiguous = []
    for key in people:
        target[key] = people[key]
        if len(key.split()) == 1:
            matches = sorted(full_names.get(key, ()))
            if len(matches) == 1:
                target[key] = people[matches[0]]
                reasons[key] = f"first name of the only full name starting with {people[key]!r}"
            elif len(matches) > 1:
                ambiguous.append(f"{people[key]!r} was not merged: it could be any of "
                                 + ", ".join(repr(people[m]) for m in matches))
    agent_of: dict[str, str | None] = {}
    merges = []
    for name in sorted(raw_names):
        key = _tidy(name).casefold()
        if key not in people:
            agent_of[name] = None
            continue
        agent = target[key]
        agent_of[name] = agent
        if name != agent:
            reason = reasons.get(key) or "same name up to case and spacing"
            merges.append(NameMerge(name=name, agent=agent, reason=reason))
    return AgentNames(agent_of=agent_of, merges=tuple(merges), ambiguous=tuple(ambiguous), labels=tuple(labels))


# --- conversations --------------------------------------------------------------------------------------------------

def conversation_date(started_at: Any) -> date | None:
    """The calendar date of an ISO 8601 ``started_at``; ``None`` for a missing value or a bare clock time."""
    if not isinstance(started_at, str):
        return None
    try:
        return datetime.fromisoformat(started_at).date()
    except ValueError:
        return None


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


_SKILL_INDEX = {skill: i for i, skill in enumerate(PROFILE_SKILLS)}
_NO_SCORE = -32768  # in a table of tenths: the report has no score for that skill


@functools.cache
def _checklist_features() -> frozenset[str]:
    return frozenset(f for q in settings().questions for m in q.measures for f in m.features)


class _Numbered:
    """Equal values kept once, each by a number."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._numbers: dict[Any, int] = {}

    def number(self, value: Any) -> int:
        found = self._numbers.get(value)
        if found is None:
            found = self._numbers[value] = len(self.values)
            self.values.append(value)
        return found


def _tenths(value: float) -> int | None:
    """``value`` (a score, or NaN for none) as a table of tenths keeps it, or None when such a table cannot."""
    if math.isnan(value):
        return _NO_SCORE
    if abs(value) < 3276:
        tenths = round(value * 10)
        if tenths / 10 == value:
            return tenths
    return None


def report_name(report: Mapping[str, Any]) -> str:
    """A conversation's name as profiles list it: "source#id"."""
    return f"{report.get('source')}#{report.get('id')}"


def facing_agents(report: Mapping[str, Any], agents: tuple[str, ...]) -> tuple[str, ...]:
    """Those of the report's agent names (``agents``) who wrote to the customer: a colleague who only left an internal
    note did not handle the conversation (all of them when none of the names wrote a turn)."""
    facing = {t.get("speaker") for t in report.get("turns") or () if isinstance(t, Mapping)
              and t.get("role") == "agent" and not t.get("internal")}
    return tuple(a for a in agents if a in facing) if facing.intersection(agents) else agents


class ConversationTable:
    """What the profiles need from each report, and no more, a column per field: a year's reports are read as a
    stream (``add``) and this is what is kept of each. Besides its name ("source#id", as a profile lists it), that is
    about 44 bytes: its day, a number for the agent names it gives and one for the checklist's features with
    evidence (equal name lists and feature sets are kept once), and its score for each of PROFILE_SKILLS, kept as
    tenths of a point in two bytes while every score is a whole number of tenths, as ``score`` writes them (as
    eight-byte floats from the first that is not), and, for a conversation several agents handled, as much again for
    each agent's part (a row that points at its whole conversation's). A report held is tens of kilobytes. Rows are
    numbered from 0 in the order added; the functions below take the table and the rows they are about."""

    def __init__(self) -> None:
        self.reports: list[str] = []
        self._scores = array("h")  # len(PROFILE_SKILLS) a row: tenths, _NO_SCORE where none; or floats, NaN where none
        self._days = array("i")  # date.toordinal(); 0 for an undated conversation
        self._agents = array("i")
        self._fired = array("i")
        self._whole = array("i")  # an agent's part: the row of its whole conversation; -1 for a whole conversation
        self._parts = 0  # rows of agents' parts
        self._conversations: array[int] | None = None  # the rows of whole conversations, kept until a row is added
        self._agent_names = _Numbered()
        self._fired_sets = _Numbered()

    def __len__(self) -> int:
        return len(self.reports)

    def add(self, report: Mapping[str, Any], agents: tuple[str, ...]) -> None:
        """Keep what the profiles need of ``report``, whose agent names (as it gives them) are ``agents``: a row for
        the conversation and, when it gives each agent's part (``metrics.by_agent``), a row for each part, which
        those agents are profiled on instead."""
        metrics = report.get("metrics") if isinstance(report.get("metrics"), Mapping) else {}
        language = metrics.get("language") if isinstance(metrics.get("language"), Mapping) else {}
        fired = None
        if language.get("code", "en") == "en":  # features were extracted
            fired = _checklist_features().intersection(
                e.get("feature") for e in report.get("evidence") or () if isinstance(e, Mapping))
        day = conversation_date(report.get("started_at"))
        name = report_name(report)
        agents = facing_agents(report, agents)
        parts = metrics.get("by_agent") if isinstance(metrics.get("by_agent"), Mapping) else {}
        parts = {a: part for a, part in parts.items() if a in agents and isinstance(part, Mapping)}
        whole = len(self)
        self._add_row(name, report.get("skills"), day, tuple(a for a in agents if a not in parts), fired, -1)
        for agent, part in parts.items():
            self._add_row(name, part.get("skills"), day, (agent,), fired, whole)

    def _add_row(self, name: str, skills: Any, day: date | None, agents: tuple[str, ...],
                 fired: frozenset[str] | None, whole: int) -> None:
        scores = [math.nan] * len(PROFILE_SKILLS)
        for skill, value in (skills if isinstance(skills, Mapping) else {}).items():
            score = value.get("score") if isinstance(value, Mapping) else None
            if (skill in _SKILL_INDEX and isinstance(score, int | float) and not isinstance(score, bool)
                    and math.isfinite(score)):
                scores[_SKILL_INDEX[skill]] = float(score)
        self._add_scores(scores)
        self.reports.append(name)
        self._days.append(day.toordinal() if day is not None else 0)
        self._agents.append(self._agent_names.number(agents))
        self._fired.append(self._fired_sets.number(fired))
        self._whole.append(whole)
        self._parts += whole >= 0
        self._conversations = None

    def conversations(self) -> Sequence[int]:
        """The rows of whole conversations (each counts once in the team figures), not of agents' parts."""
        if self._parts == 0:
            return range(len(self))
        if self._conversations is None:  # read for every checklist measure: made once
            self._conversations = array("I", (row for row in range(len(self)) if self._whole[row] < 0))
        return self._conversations

    def whole(self, row: int) -> int:
        """The row of the conversation ``row`` is about: itself, or for an agent's part, its whole conversation."""
        return row if self._whole[row] < 0 else self._whole[row]

    def split(self, row: int) -> bool:
        """Whether ``row`` is an agent's part of a conversation several agents handled."""
        return self._whole[row] >= 0

    def _add_scores(self, scores: list[float]) -> None:
        if self._scores.typecode == "h":
            tenths = [_tenths(value) for value in scores]
            if None not in tenths:
                self._scores.extend(tenths)  # type: ignore[arg-type]
                return
            self._scores = array("d", (math.nan if t == _NO_SCORE else t / 10 for t in self._scores))
        self._scores.extend(scores)

    def scores(self, rows: Iterable[int], skill: str) -> list[float]:
        """The scores of ``skill`` in those of ``rows`` that have one."""
        width, at, column = len(PROFILE_SKILLS), _SKILL_INDEX[skill], self._scores
        return self._present(column[row * width + at] for row in rows)

    def overall(self, row: int) -> float | None:
        """The conversation's skill score: the mean of its scored skills."""
        width = len(PROFILE_SKILLS)
        scored = self._present(self._scores[row * width:(row + 1) * width])
        return statistics.fmean(scored) if scored else None

    def _present(self, stored: Iterable[float]) -> list[float]:
        """The scores among values of the score column, leaving out those that say "no score"."""
        if self._scores.typecode == "h":
            return [tenths / 10 for tenths in stored if tenths != _NO_SCORE]
        return [value for value in stored if not math.isnan(value)]

    def day(self, row: int) -> date | None:
        ordinal = self._days[row]
        return date.fromordinal(ordinal) if ordinal else None

    def agents(self, row: int) -> tuple[str, ...]:
        """The agent names the report gives, for ``AgentNames.agents``."""
        return self._agent_names.values[self._agents[row]]

    def fired(self, row: int) -> frozenset[str] | None:
        """The checklist's features with evidence; None when features were not extracted (not English)."""
        return self._fired_sets.values[self._fired[row]]


MISSING = "missing"  # a note about something the agent did not do: it quotes the customer's words that called for it


Point = tuple[str, str, str]  # a kind of note: its kind ("strength", "improvement"), skill, and what it is about


class NoteTally:
    """The coaching notes of reports read one at a time (``add``), per agent name as a report writes it: in how many
    conversations each kind of note was written (strength or improvement, a skill, and the feature of the words the
    note quotes, or ``MISSING`` for something not done, where the note quotes the customer's words that called for
    it), and the latest such note (by conversation day; of equal days, the last read). A note quoting an agent's
    words is that agent's; one quoting the customer's (a question left unanswered, something missing) is every
    agent's who wrote to the customer. Kept: a count and a note per name and kind of note, however many reports
    there are."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, Point]] = Counter()  # (name, point) -> conversations
        self._latest: dict[tuple[str, Point], tuple[int, dict[str, Any]]] = {}

    def add(self, report: Mapping[str, Any], agents: tuple[str, ...]) -> None:
        """Count the coaching notes of ``report``, whose agent names (as it gives them) are ``agents``."""
        turns = [t for t in report.get("turns") or () if isinstance(t, Mapping)]
        evidence = {e.get("id"): e for e in report.get("evidence") or () if isinstance(e, Mapping)}
        day = conversation_date(report.get("started_at"))
        ordinal = day.toordinal() if day is not None else 0
        noted: set[tuple[str, Point]] = set()
        for note in report.get("notes") or ():
            if not isinstance(note, Mapping) or note.get("kind") not in NOTE_KINDS or note.get("skill") not in SKILLS:
                continue
            quoted = evidence.get(next(iter(note.get("evidence") or ()), None)) or {}
            turn = quoted.get("turn")
            said = turns[turn] if isinstance(turn, int) and 0 <= turn < len(turns) else {}
            about = quoted.get("feature") if (note["skill"], quoted.get("feature")) in _signal_labels() else MISSING
            names = (said.get("speaker"),) if said.get("role") == "agent" else facing_agents(report, agents)
            for name in names:
                key = (name, (note["kind"], note["skill"], about))
                if isinstance(name, str) and key not in noted:
                    noted.add(key)
                    self._counts[key] += 1
                    if ordinal >= self._latest.get(key, (0, None))[0]:
                        self._latest[key] = (ordinal, {
                            "report": report_name(report), "day": day.isoformat() if day else None,
                            "text": str(note.get("text") or ""), "suggestion": note.get("suggestion")})

    def by_agent(self, names: AgentNames) -> dict[str, dict[Point, tuple[int, int, dict[str, Any]]]]:
        """Per agent (names resolved), per kind of note: conversations, and the latest note with its day."""
        merged: dict[str, dict[Point, tuple[int, int, dict[str, Any]]]] = defaultdict(dict)
        for (name, point), count in self._counts.items():
            for agent in names.agents((name,)):
                ordinal, latest = self._latest[(name, point)]
                before = merged[agent].get(point)
                if before is not None:
                    count += before[0]
                    if before[1] > ordinal:
                        ordinal, latest = before[1], before[2]
                merged[agent][point] = (count, ordinal, latest)
        return merged


@functools.cache
def _signal_labels() -> dict[tuple[str, str], str]:
    """What the shipped rubric calls each kind of fault: (skill, feature) -> its signal's label, and (skill,
    ``MISSING``) -> "no " and the label of the skill's first signal of something missing."""
    labels: dict[tuple[str, str], str] = {}
    for skill, spec in load_rubric().skills.items():
        for signal in spec.signals:
            key = (skill, MISSING) if signal.missing else (skill, signal.base_feature)
            labels.setdefault(key, f"no {signal.label}" if signal.missing else signal.label)
    return labels


def coaching_points(found: Mapping[Point, tuple[int, int, dict[str, Any]]], conversations: int, kind: str,
                    config: Settings) -> tuple[CoachingPoint, ...]:
    """The notes of ``kind`` written in at least ``coaching_min_conversations`` of an agent's conversations about
    one thing, the most often written first (of equals, the most recent), at most ``coaching_points`` improvements
    or ``praise_points`` strengths."""
    ranked = sorted(((skill, about, count, ordinal, latest) for (of, skill, about), (count, ordinal, latest)
                     in found.items() if of == kind and count >= config.coaching_min_conversations),
                    key=lambda x: (-x[2], -x[3], x[0], x[1]))
    most = config.coaching_points if kind == "improvement" else config.praise_points
    return tuple(CoachingPoint(skill=skill, about=about, label=_signal_labels().get((skill, about), about),
                               conversations=count, share=count / conversations if conversations else 0.0,
                               latest=latest)
                 for skill, about, count, _, latest in ranked[:most])


# --- results --------------------------------------------------------------------------------------------------------

def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True, slots=True)
class SkillStat:
    """An agent's mean, standard deviation (sample; null below 2) and n for one skill, against the team."""

    skill: str
    mean: float | None
    sd: float | None
    n: int
    team_mean: float | None
    team_sd: float | None
    team_n: int

    @property
    def difference(self) -> float | None:
        return None if self.mean is None or self.team_mean is None else self.mean - self.team_mean

    @property
    def z(self) -> float | None:
        if self.difference is None or not self.team_sd:
            return None
        return self.difference / self.team_sd

    def to_dict(self) -> dict[str, Any]:
        return {"mean": _r(self.mean), "sd": _r(self.sd), "n": self.n, "team_mean": _r(self.team_mean),
                "team_sd": _r(self.team_sd), "team_n": self.team_n, "difference": _r(self.difference),
                "z": _r(self.z, 2)}


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One ISO week of an agent's history: conversations that week, how many were scored, their mean score."""

    week: str
    monday: date
    conversations: int
    scored: int
    mean: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "conversations": self.conversations, "scored": self.scored, "mean": _r(self.mean)}


@dataclass(frozen=True, slots=True)
class Trend:
    """The continuous_learning score from the weekly trend, or ``None`` with the reason."""

    score: float | None
    reason: str
    slope: float | None = None  # points per week
    direction: str | None = None  # rising | flat | falling
    weeks: int = 0
    conversations: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"score": _r(self.score), "reason": self.reason, "slope_per_week": _r(self.slope, 2),
                "direction": self.direction, "weeks": self.weeks, "conversations": self.conversations}


@dataclass(frozen=True, slots=True)
class MeasureResult:
    """One measure of a checklist question for one agent: in how many conversations it was shown, out of n."""

    label: str
    kind: str  # skill | feature
    weight: float
    shown: int
    n: int
    used: bool
    mean: float | None = None  # skills only
    team_mean: float | None = None
    team_share: float | None = None

    @property
    def share(self) -> float | None:
        return self.shown / self.n if self.n else None

    def describe(self, shown_at: float, minimum: int) -> str:
        if not self.used:
            return (f"{self.label}: only {self.n} conversation(s) with evidence, needs {minimum}" if self.n else
                    f"{self.label}: no evidence")
        if self.kind == "skill":
            team = "" if self.team_mean is None else f", team {self.team_mean:.0f}"
            return (f"{self.label} mean {self.mean:.0f} over {self.n} conversation(s){team}; "
                    f"{shown_at:.0f}+ in {self.shown} of {self.n}")
        team = "" if self.team_share is None else f" (team {self.team_share:.0%})"
        return f"{self.label} in {self.shown} of {self.n} conversation(s){team}"

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.label, "kind": self.kind, "weight": self.weight, "shown": self.shown, "n": self.n,
                "share": _r(self.share, 3), "used": self.used, "mean": _r(self.mean), "team_mean": _r(self.team_mean),
                "team_share": _r(self.team_share, 3)}


@dataclass(frozen=True, slots=True)
class ChecklistAnswer:
    id: str
    question: str
    answer: str  # one of ANSWERS
    share: float | None
    basis: str
    measures: tuple[MeasureResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "answer": self.answer, "share": _r(self.share, 3),
                "basis": self.basis, "measures": [m.to_dict() for m in self.measures]}


@dataclass(frozen=True, slots=True)
class CoachingPoint:
    """A fault the agent's coaching notes came back to: in how many of the agent's conversations, and the latest
    note about it (its conversation, day, text and suggested phrasing)."""

    skill: str
    about: str  # the feature of the words the notes quote, or MISSING
    label: str
    conversations: int
    share: float
    latest: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"skill": self.skill, "about": self.about, "label": self.label, "conversations": self.conversations,
                "share": round(self.share, 3), "latest": dict(self.latest)}


@dataclass(frozen=True)
class AgentProfile:
    name: str
    aliases: tuple[str, ...]
    conversations: int
    shared: int  # conversations with another agent too (on the agent's own part, where the report gives it)
    dated: int
    undated: int
    skills: Mapping[str, SkillStat]
    strengths: tuple[str, ...]
    weaknesses: tuple[str, ...]
    weeks: tuple[WeekPoint, ...]
    continuous_learning: Trend
    checklist: tuple[ChecklistAnswer, ...]
    reports: tuple[str, ...] = field(default=())  # "source#id" of each conversation
    coaching: tuple[CoachingPoint, ...] = field(default=())  # faults the notes came back to, most often first
    praise: tuple[CoachingPoint, ...] = field(default=())  # strengths the notes came back to, most often first

    @property
    def scored(self) -> int:
        return max((s.n for s in self.skills.values()), default=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.name,
            "aliases": list(self.aliases),
            "conversations": self.conversations,
            "shared_conversations": self.shared,
            "dated_conversations": self.dated,
            "undated_conversations": self.undated,
            "skills": {skill: stat.to_dict() for skill, stat in self.skills.items()},
            "strengths": list(self.strengths),
            "weaknesses": list(self.weaknesses),
            "weeks": [w.to_dict() for w in self.weeks],
            "continuous_learning": self.continuous_learning.to_dict(),
            "checklist": [a.to_dict() for a in self.checklist],
            "coaching": [c.to_dict() for c in self.coaching],
            "praise": [c.to_dict() for c in self.praise],
            "reports": list(self.reports),
        }


@dataclass(frozen=True)
class Profiles:
    """Every agent's profile, plus what a reader needs to trust it: merges, ambiguities, what was left out."""

    agents: tuple[AgentProfile, ...]
    names: AgentNames
    conversations: int
    unnamed: int  # conversations with no named agent: in the team figures only
    failures: tuple[Mapping[str, Any], ...]
    team: Mapping[str, SkillStat]

    def find(self, name: str) -> AgentProfile | None:
        """The profile for a name as written anywhere in the reports, or its agent's name, ignoring case."""
        key = _tidy(name).casefold()
        for profile in self.agents:
            if key in {_tidy(n).casefold() for n in (profile.name, *profile.aliases)}:
                return profile
        matches = [p for p in self.agents if p.name.casefold().split()[0] == key]
        return matches[0] if len(matches) == 1 else None


# --- computing ------------------------------------------------------------------------------------------------------

def _stats(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of y on x."""
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def weekly(table: ConversationTable, rows: Iterable[int] | None = None) -> tuple[WeekPoint, ...]:
    """The dated conversations of ``rows`` (default: every conversation of the table) grouped by ISO week, oldest
    first."""
    by_week: dict[date, array[int]] = {}
    for row in table.conversations() if rows is None else rows:
        day = table.day(row)
        if day is not None:
            by_week.setdefault(_monday(day), array("I")).append(row)
    points = []
    for monday in sorted(by_week):
        week = by_week[monday]
        overall = [value for row in week if (value := table.overall(row)) is not None]
        points.append(WeekPoint(week=iso_week(monday), monday=monday, conversations=len(week), scored=len(overall),
                                mean=statistics.fmean(overall) if overall else None))
    return tuple(points)


def learning_trend(weeks: Sequence[WeekPoint], config: Settings | None = None) -> Trend:
    """continuous_learning from the weekly means (see the module docstring)."""
    config = config or settings()
    scored = [w for w in weeks if w.mean is not None]
    n = sum(w.scored for w in scored)
    if not weeks:
        return Trend(None, "no dated conversations, so there is no trend over time")
    if not scored:
        return Trend(None, "no dated conversation has skill scores yet", weeks=0)
    if len(scored) < config.trend_min_weeks:
        return Trend(None, f"scored conversations in only {len(scored)} ISO week(s); a trend needs "
                           f"{config.trend_min_weeks}", weeks=len(scored), conversations=n)
    if n < config.trend_min_conversations:
        return Trend(None, f"only {n} scored dated conversation(s); a trend needs {config.trend_min_conversations}",
                     weeks=len(scored), conversations=n)
    first = scored[0].monday
    rate = slope([((w.monday - first).days / 7, w.mean) for w in scored])  # type: ignore[misc]
    score = min(100.0, max(0.0, 50 + 50 * math.tanh(rate / config.slope_scale)))
    direction = "rising" if rate >= config.flat_slope else "falling" if rate <= -config.flat_slope else "flat"
    verb = {"rising": "rose", "falling": "fell", "flat": "stayed flat, changing"}[direction]
    reason = (f"weekly mean skill score {verb} {abs(rate):.1f} points a week over {len(scored)} weeks "
              f"({scored[0].week} to {scored[-1].week}, {n} conversations)")
    return Trend(score, reason, slope=rate, direction=direction, weeks=len(scored), conversations=n)


def _shown(measure: Measure, fired: frozenset[str]) -> bool:
    shown = not fired.isdisjoint(measure.features)
    return shown if measure.shown_when == "present" else not shown


def _known(table: ConversationTable, rows: Iterable[int]) -> list[frozenset[str]]:
    """The checklist features with evidence of each of ``rows`` whose features were extracted."""
    return [fired for row in rows if (fired := table.fired(row)) is not None]


def team_value(measure: Measure, table: ConversationTable) -> float | None:
    """The team's figure for a measure: the mean score of a skill, or the share of conversations showing a feature
    measure (each conversation once)."""
    everyone = table.conversations()
    if measure.skill:
        scores = table.scores(everyone, measure.skill)
        return statistics.fmean(scores) if scores else None
    known = _known(table, everyone)
    return sum(_shown(measure, fired) for fired in known) / len(known) if known else None


def _measure(measure: Measure, table: ConversationTable, mine: Sequence[int], team: float | None,
             config: Settings) -> MeasureResult:
    if measure.skill:
        scores = table.scores(mine, measure.skill)
        return MeasureResult(
            label=measure.label, kind="skill", weight=measure.weight, n=len(scores),
            shown=sum(s >= config.shown_at for s in scores), used=len(scores) >= config.checklist_min_conversations,
            mean=statistics.fmean(scores) if scores else None, team_mean=team,
        )
    known = _known(table, mine)
    return MeasureResult(
        label=measure.label, kind="feature", weight=measure.weight, n=len(known),
        shown=sum(_shown(measure, fired) for fired in known), used=len(known) >= config.checklist_min_conversations,
        team_share=team,
    )


def answer_question(question: Question, table: ConversationTable, mine: Sequence[int],
                    config: Settings | None = None, team: Mapping[Measure, float | None] | None = None
                    ) -> ChecklistAnswer:
    """Answer one checklist question for the conversations ``mine`` (rows of ``table``) against the whole table, the
    team (``team``: the team figures of the measures, when already computed)."""
    config = config or settings()
    results = tuple(_measure(m, table, mine, team[m] if team is not None else team_value(m, table), config)
                    for m in question.measures)
    used = [r for r in results if r.used]
    if not used:
        share, answer = None, "Not enough evidence"
    else:
        share = sum(r.weight * r.share for r in used) / sum(r.weight for r in used)  # type: ignore[operator]
        answer = ("Yes" if share >= config.yes_share else "Sometimes" if share >= config.sometimes_share
                  else "Not yet")
    basis = "; ".join(r.describe(config.shown_at, config.checklist_min_conversations) for r in results)
    return ChecklistAnswer(id=question.id, question=question.question, answer=answer, share=share, basis=basis,
                           measures=results)


def build_profiles(reports: Iterable[Mapping[str, Any]]) -> Profiles:
    """Profiles of every named agent in ``reports`` (report dicts; error records are counted, not profiled)."""
    config = settings()
    failures: list[Mapping[str, Any]] = []
    table = ConversationTable()  # what each report gives, not the report
    tally = NameTally()
    notes = NoteTally()
    for report in reports:
        if "error" in report:
            failures.append(report)
        else:
            agents = tally.add(report)
            table.add(report, agents)
            notes.add(report, agents)
    names = tally.resolve()
    noted = notes.by_agent(names)
    agents_of = functools.cache(names.agents)  # a report's names: the agents they stand for
    everyone = table.conversations()
    team: dict[str, SkillStat] = {}
    for skill in PROFILE_SKILLS:
        values = table.scores(everyone, skill)
        mean, sd = _stats(values)
        team[skill] = SkillStat(skill, None, None, 0, mean, sd, len(values))
    team_figures = {m: team_value(m, table) for q in config.questions for m in q.measures}
    by_agent: dict[str, array[int]] = {}
    counted: set[tuple[str, int]] = set()  # (agent, conversation) of parts, once: one person, two spellings
    for row in range(len(table)):
        for agent in agents_of(table.agents(row)):
            if table.split(row):
                if (agent, table.whole(row)) in counted:
                    continue
                counted.add((agent, table.whole(row)))
            by_agent.setdefault(agent, array("I")).append(row)
    profiles = []
    for agent in sorted(by_agent, key=str.casefold):
        mine = by_agent[agent]
        skills = {}
        for skill in PROFILE_SKILLS:
            values = table.scores(mine, skill)
            mean, sd = _stats(values)
            t = team[skill]
            skills[skill] = SkillStat(skill, mean, sd, len(values), t.team_mean, t.team_sd, t.team_n)
        comparable = [s for s in skills.values() if s.n >= config.min_conversations and s.difference is not None]
        strengths = tuple(s.skill for s in sorted(comparable, key=lambda s: (-s.difference, s.skill))
                          if s.difference >= config.min_difference)
        weaknesses = tuple(s.skill for s in sorted(comparable, key=lambda s: (s.difference, s.skill))
                           if s.difference <= -config.min_difference)
        weeks = weekly(table, mine)
        dated = sum(table.day(row) is not None for row in mine)
        profiles.append(AgentProfile(
            name=agent,
            aliases=names.aliases(agent),
            conversations=len(mine),
            shared=sum(table.split(row) or len(agents_of(table.agents(row))) > 1 for row in mine),
            dated=dated,
            undated=len(mine) - dated,
            skills=skills,
            strengths=strengths,
            weaknesses=weaknesses,
            weeks=weeks,
            continuous_learning=learning_trend(weeks, config),
            checklist=tuple(answer_question(q, table, mine, config, team_figures) for q in config.questions),
            reports=tuple(table.reports[row] for row in mine),
            coaching=coaching_points(noted.get(agent, {}), len(mine), "improvement", config),
            praise=coaching_points(noted.get(agent, {}), len(mine), "strength", config),
        ))
    named_in_parts = {whole for _, whole in counted}
    return Profiles(agents=tuple(profiles), names=names, conversations=len(everyone),
                    unnamed=sum(not agents_of(table.agents(row)) and row not in named_in_parts for row in everyone),
                    failures=tuple(failures),
                    team=team)


def agent_profiles(reports: Iterable[Mapping[str, Any]]) -> list[AgentProfile]:
    """Per-agent profiles across ``reports`` (report dicts as written by ``score``), sorted by name."""
    return list(build_profiles(reports).agents)


# --- writers --------------------------------------------------------------------------------------------------------

def _num(value: float | None, digits: int = 0, *, sign: bool = False) -> str:
    if value is None:
        return "-"
    value = round(value, digits) + 0.0  # no "-0"
    return f"{value:+.{digits}f}" if sign and value else f"{value:.{digits}f}"


def write_text(result: Profiles, agents: Sequence[AgentProfile], out: IO[str]) -> None:
    """A readable profile per agent (names and messages ``printable``: they come from the inputs)."""
    config = settings()
    out.write(f"{result.conversations} conversation(s), {len(result.agents)} agent(s)")
    if result.unnamed:
        out.write(f"; {result.unnamed} conversation(s) without a named agent count in the team figures only")
    out.write(".\n")
    for merge in result.names.merges:
        out.write(f"merged name: {merge.name!r} -> {merge.agent!r} ({merge.reason})\n")
    for note in result.names.ambiguous:
        out.write(f"not merged: {printable(note)}\n")
    if result.names.labels:
        out.write("not agent names (role labels): " + ", ".join(repr(n) for n in result.names.labels) + "\n")
    for failure in result.failures:
        out.write(f"could not be scored: {printable(_failure_text(failure))}\n")
    for profile in agents:
        out.write("\n" + "=" * 78 + "\n")
        out.write(printable(profile.name))
        if profile.aliases:
            out.write(" (also written " + ", ".join(repr(a) for a in profile.aliases) + ")")
        out.write(f"\n{profile.conversations} conversation(s)")
        if profile.shared:
            out.write(f", {profile.shared} shared with another agent (scored on their own part where the report "
                      "gives it, else in full)")
        out.write(f"; {profile.dated} dated, {profile.undated} undated\n\n")
        out.write(f"  {'skill':<22}{'mean':>6}{'sd':>6}{'n':>4}{'team':>7}{'diff':>7}{'z':>7}\n")
        for skill, stat in profile.skills.items():
            mark = " strength" if skill in profile.strengths else " weakness" if skill in profile.weaknesses else ""
            out.write(f"  {skill:<22}{_num(stat.mean):>6}{_num(stat.sd):>6}{stat.n:>4}{_num(stat.team_mean):>7}"
                      f"{_num(stat.difference, sign=True):>7}{_num(stat.z, 1, sign=True):>7}{mark}\n")
        trend = profile.continuous_learning
        out.write(f"  {TREND_SKILL:<22}{_num(trend.score):>6}   (from the weekly trend)\n\n")
        if not profile.strengths and not profile.weaknesses:
            out.write(f"  strengths / weaknesses: none at {config.min_difference:.0f}+ points from the team mean "
                      f"over {config.min_conversations}+ conversations\n")
        else:
            out.write("  strengths: " + (", ".join(profile.strengths) or "-") + "\n")
            out.write("  weaknesses: " + (", ".join(profile.weaknesses) or "-") + "\n")
        if profile.weeks:
            out.write("  weekly mean skill score: " + "; ".join(
                f"{w.week} {_num(w.mean)} (n={w.conversations})" for w in profile.weeks) + "\n")
        out.write(f"  continuous learning: {_num(trend.score)}: {trend.reason}\n")
        for heading, points in (("keep doing", profile.praise), ("to work on", profile.coaching)):
            if points:
                out.write(f"\n  {heading} (noted in {config.coaching_min_conversations}+ conversations)\n")
            for point in points:
                latest = point.latest
                when = f"{latest['day']}, " if latest.get("day") else ""
                out.write(f"  - {point.skill}: {printable(point.label)}: {point.conversations} of "
                          f"{profile.conversations} conversations; latest ({when}"
                          f"{printable(str(latest['report']))}): {printable(str(latest['text']))}\n")
                if latest.get("suggestion"):
                    out.write(f"    try: {printable(str(latest['suggestion']))}\n")
        if all(a.answer == "Not enough evidence" for a in profile.checklist):
            out.write(f"\n  self-assessment: not enough evidence yet for any question (each measure needs "
                      f"{config.checklist_min_conversations} conversations with evidence)\n")
            continue
        out.write("\n  self-assessment\n")
        for answer in profile.checklist:
            out.write(f"  - {answer.question}\n    {answer.answer}: {answer.basis}\n")


def _failure_text(failure: Mapping[str, Any]) -> str:
    error = failure.get("error") or {}
    return str(error.get("message") or f"{failure.get('source')}: {error.get('code')}")


def write_json(result: Profiles, agents: Sequence[AgentProfile], out: IO[str]) -> None:
    """A JSON array, one object per agent (laid out as ``json.dumps(array, indent=2)`` would), written an agent at a
    time: the profiles of thousands of agents make an array of hundreds of megabytes."""
    if not agents:
        out.write("[]\n")
        return
    out.write("[\n")
    for number, profile in enumerate(agents):
        if number:
            out.write(",\n")
        out.write("  " + json.dumps(profile.to_dict(), ensure_ascii=False, indent=2).replace("\n", "\n  "))
    out.write("\n]\n")


def csv_columns() -> tuple[str, ...]:
    return (("agent", "aliases", "conversations", "shared_conversations", "dated_conversations",
             "undated_conversations") + PROFILE_SKILLS + (TREND_SKILL, "continuous_learning_reason", "strengths",
                                                         "weaknesses", "keep_doing", "to_work_on")
            + tuple(f"checklist_{q.id}" for q in settings().questions))


def write_csv(result: Profiles, agents: Sequence[AgentProfile], out: IO[str]) -> None:
    """One row per agent: counts, a column per skill mean, continuous_learning, strengths, checklist answers."""
    writer = csv.DictWriter(out, fieldnames=csv_columns(), lineterminator="\n")
    writer.writeheader()
    for p in agents:
        row: dict[str, Any] = {
            "agent": p.name, "aliases": "; ".join(p.aliases), "conversations": p.conversations,
            "shared_conversations": p.shared, "dated_conversations": p.dated, "undated_conversations": p.undated,
            TREND_SKILL: _num(p.continuous_learning.score, 1) if p.continuous_learning.score is not None else "",
            "continuous_learning_reason": p.continuous_learning.reason,
            "strengths": "; ".join(p.strengths), "weaknesses": "; ".join(p.weaknesses),
            "keep_doing": "; ".join(f"{c.skill}: {c.label} ({c.conversations})" for c in p.praise),
            "to_work_on": "; ".join(f"{c.skill}: {c.label} ({c.conversations})" for c in p.coaching),
        }
        for skill, stat in p.skills.items():
            row[skill] = "" if stat.mean is None else round(stat.mean, 1)
        for answer in p.checklist:
            row[f"checklist_{answer.id}"] = answer.answer
        writer.writerow(spreadsheet_row(row))


PROFILE_WRITERS = {"text": write_text, "json": write_json, "csv": write_csv}
