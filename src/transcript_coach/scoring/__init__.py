"""Skill scoring: the rubric scorer (default, transparent) turns a conversation's features into SkillScores."""

from __future__ import annotations

from transcript_coach.model import SKILLS, SkillScore
from transcript_coach.scoring.conditions import Analysed
from transcript_coach.scoring.rubric import Rubric, load_rubric, score_skill

__all__ = ["Analysed", "Rubric", "load_rubric", "score_skills"]


def score_skills(analysed: Analysed, rubric: Rubric) -> dict[str, SkillScore]:
    return {skill: score_skill(rubric.skills[skill], analysed) for skill in SKILLS}
