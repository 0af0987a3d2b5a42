"""A QA team's human scores: ``LABELS.csv`` read into one scale per skill.

Long format (a row per score): a transcript id column, a ``skill`` column and a score column. Wide format (a row per
transcript): a transcript id column and one column per skill. Column names and the pass/fail words come from
``data/calibration.json``. A skill's scores are either numbers on any scale (1-5, 0-100, ...) or pass/fail words
(pass, fail, yes, no, ...). Several scores for one transcript and skill (two reviewers) are averaged. Every problem
names the file and the line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from transcript_coach.data import load_json
from transcript_coach.errors import InputError
from transcript_coach.ingest.decoding import Lines, decode
from transcript_coach.ingest.records import header_delimiter
from transcript_coach.model import SKILLS

MAX_LABEL_FILE_BYTES = 200 * 1048576


@dataclass(frozen=True)
class Scale:
    """How a skill was scored: ``binary`` (1 = pass, 0 = fail) or ``numeric`` between ``low`` and ``high``."""

    kind: str
    low: float
    high: float
    levels: tuple[float, ...]  # the distinct scores given, sorted

    def to_points(self, value: float) -> float:
        """A value on this scale as 0-100 (clipped to the scale)."""
        if self.high == self.low:
            return 50.0
        value = min(self.high, max(self.low, value))
        return 100.0 * (value - self.low) / (self.high - self.low)

    def from_points(self, points: float) -> float:
        """0-100 back on this scale."""
        return self.low + (self.high - self.low) * min(100.0, max(0.0, points)) / 100.0

    def describe(self) -> str:
        return "pass/fail" if self.kind == "binary" else f"{self.low:g}-{self.high:g} scale"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "low": self.low, "high": self.high, "levels": list(self.levels)}

    @classmethod
    def from_dict(cls, value: Mapping) -> Scale:
        return cls(str(value["kind"]), float(value["low"]), float(value["high"]),
                   tuple(float(v) for v in value["levels"]))


@dataclass(frozen=True)
class SkillLabels:
    skill: str
    scale: Scale
    scores: Mapping[str, float]  # transcript id -> score (mean of its rows)


@dataclass(frozen=True)
class LabelSet:
    source: str
    skills: Mapping[str, SkillLabels]
    rows: int
    averaged: int  # (transcript, skill) pairs that had several scores
    sha256: str = ""  # of the file's bytes, for model cards

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(i for labels in self.skills.values() for i in labels.scores)


def settings() -> Mapping:
    return load_json("calibration.json")["labels"]


def read_labels(path: str | os.PathLike[str]) -> LabelSet:
    source = str(path)
    try:
        raw = Path(path).read_bytes()[: MAX_LABEL_FILE_BYTES + 1]
    except OSError as exc:
        raise InputError(source, f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_LABEL_FILE_BYTES:
        raise InputError(source, f"larger than {MAX_LABEL_FILE_BYTES // 1048576} MB: not a label file")
    if not raw.strip():
        raise InputError(source, "empty: expected a header row (transcript id, skill, score) and scores", line=1)
    return replace(parse_labels(decode(raw, source).text, source), sha256=hashlib.sha256(raw).hexdigest())


def parse_labels(text: str, source: str) -> LabelSet:
    conf = settings()
    delimiter = "\t" if source.endswith(".tsv") else header_delimiter(Lines.of(text)())
    decimal_comma = delimiter == ";"  # a spreadsheet saved where a comma is the decimal point: 4,5 is four and a half
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(source, "empty: expected a header row (transcript id, skill, score)", line=1) from None
    columns = [_norm(c) for c in header]
    id_col = _find(columns, conf["id_columns"])
    if id_col is None:
        raise InputError(source, f"no transcript id column: expected one of {', '.join(conf['id_columns'])} in the "
                                 f"header, found {', '.join(header)}", line=1)
    skill_col = _find(columns, conf["skill_columns"])
    score_col = _find(columns, conf["score_columns"])
    wide = {i: _skill_name(c, conf) for i, c in enumerate(columns) if i != id_col and _skill_name(c, conf)}
    if skill_col is None and not wide:
        raise InputError(source, "expected a 'skill' column and a score column (one row per score), or one column "
                                 f"per skill ({', '.join(SKILLS)})", line=1)
    if skill_col is not None and score_col is None:
        raise InputError(source, f"no score column: expected one of {', '.join(conf['score_columns'])}", line=1)

    collected: dict[str, dict[str, list[tuple[float, bool, int]]]] = defaultdict(lambda: defaultdict(list))
    rows = 0
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        ident = _cell(row, id_col).strip()
        if not ident:
            raise InputError(source, "empty transcript id", line=line)
        if skill_col is not None:
            skill = _skill_name(_cell(row, skill_col), conf)
            if skill is None:
                raise InputError(source, f"unknown skill {_cell(row, skill_col)!r}: expected one of "
                                         f"{', '.join(SKILLS)}", line=line)
            cells = [(skill, _cell(row, score_col))]
        else:
            cells = [(skill, _cell(row, i)) for i, skill in wide.items()]
        for skill, cell in cells:
            if not cell.strip() and skill_col is None:
                continue  # wide format: this transcript was not scored on this skill
            value, passfail = _score(cell, conf, source, line, skill, decimal_comma)
            collected[skill][ident].append((value, passfail, line))
    if not collected:
        raise InputError(source, "no scores found below the header")

    skills: dict[str, SkillLabels] = {}
    averaged = 0
    for skill in SKILLS:
        if skill not in collected:
            continue
        kinds = {passfail for values in collected[skill].values() for _, passfail, _ in values}
        if len(kinds) > 1:
            line = min(ln for values in collected[skill].values() for _, pf, ln in values if not pf)
            raise InputError(source, f"skill {skill}: pass/fail words and numbers are mixed; use one kind of score "
                                     "per skill", line=line)
        binary = kinds == {True}
        scores = {}
        for ident, values in collected[skill].items():
            averaged += len(values) > 1
            scores[ident] = sum(v for v, _, _ in values) / len(values)
        levels = tuple(sorted({v for values in collected[skill].values() for v, _, _ in values}))
        scale = Scale("binary", 0.0, 1.0, levels) if binary else Scale("numeric", levels[0], levels[-1], levels)
        skills[skill] = SkillLabels(skill, scale, scores)
    return LabelSet(source, skills, rows, averaged)


def _norm(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


def _find(columns: list[str], names: list[str]) -> int | None:
    wanted = [_norm(n) for n in names]
    for name in wanted:
        if name in columns:
            return columns.index(name)
    return None


def _skill_name(text: str, conf: Mapping) -> str | None:
    key = _norm(text).replace(" ", "_")
    if key in SKILLS:
        return key
    alias = conf["skill_aliases"].get(key.replace("_", ""), conf["skill_aliases"].get(key))
    return alias if alias in SKILLS else None


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def _score(cell: str, conf: Mapping, source: str, line: int, skill: str, decimal_comma: bool = False
           ) -> tuple[float, bool]:
    word = _norm(cell)
    if word in conf["pass_words"]:
        return 1.0, True
    if word in conf["fail_words"]:
        return 0.0, True
    number = word.rstrip("%")
    if decimal_comma and number.count(",") == 1:
        number = number.replace(",", ".")
    try:
        value = float(number)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(source, f"{skill}: score {cell!r} is neither a number nor pass/fail", line=line)
    return value, False
