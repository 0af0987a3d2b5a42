"""Shared test fixtures: repository paths and a helper that validates reports against the shipped schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from transcript_coach.cache import VARIABLE as CACHE_VARIABLE
from transcript_coach.schema import schema_errors

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_transcripts"


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory):
    """What the runs of this test session derive and cache (the unpacked language model) goes to a folder of the
    session's own, not to the user's cache folder; commands started by tests inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_VARIABLE, str(tmp_path_factory.mktemp("cache")))
        yield


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
