"""Fixtures for signal tests: one Coach per test session, and helpers that run a few turns through it."""

from __future__ import annotations

import pytest

from transcript_coach import Coach, Transcript


@pytest.fixture(scope="session")
def coach() -> Coach:
    return Coach()


@pytest.fixture(scope="session")
def analyze(coach):
    """``analyze(("customer", "text"), ("agent", "text"), ...)`` -> the Report. Items may also be dicts."""

    def run(*turns, **kwargs):
        records = [t if isinstance(t, dict) else {"role": t[0], "text": t[1]} for t in turns]
        return coach.analyze(Transcript.from_turns(records, **kwargs))

    return run


@pytest.fixture(scope="session")
def hits(analyze):
    """``hits(turns..., family="empathy")`` -> [(feature, matched text, turn)] for features of that family."""

    def run(*turns, family: str, **kwargs):
        report = analyze(*turns, **kwargs)
        return [(e.feature, e.text, e.turn) for e in report.evidence if e.feature.startswith(family + ".")]

    return run
