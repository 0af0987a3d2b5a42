"""Shared test fixtures: repository paths, a helper that validates reports against the shipped schema, and one that
says what a reading of an input gives; and the Hypothesis settings of every property test."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from transcript_coach.cache import VARIABLE as CACHE_VARIABLE
from transcript_coach.errors import InputError
from transcript_coach.schema import schema_errors

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_transcripts"

# Property tests check behaviour, not speed: an example taking over Hypothesis's default 200 ms on a busy machine
# (a CI runner, say) is no failure. The speed of the pipeline is measured by benchmarks/.
settings.register_profile("transcript-coach", deadline=None)
settings.load_profile("transcript-coach")


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


@pytest.fixture(scope="session")
def reading_outcome():
    """What a reading gives, to compare two readings of one input: its transcripts, or its ``InputError``'s code,
    line and message."""

    def outcome(read):
        try:
            return list(read())
        except InputError as error:
            return error.code, error.line, str(error)

    return outcome


@pytest.fixture
def assert_valid():
    def check(document: dict) -> dict:
        errors = schema_errors(document)
        assert not errors, "\n".join(errors)
        return document

    return check
