"""Shared test fixtures: repository paths and a helper that validates reports against the shipped schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from transcript_coach.schema import schema_errors

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_transcripts"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def assert_valid():
    def check(document: dict) -> dict:
        errors = schema_errors(document)
        assert not errors, "\n".join(errors)
        return document

    return check
