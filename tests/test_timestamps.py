from __future__ import annotations

import time as clock
import warnings
from datetime import datetime, time, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transcript_coach.ingest import timestamps
from transcript_coach.ingest.timestamps import parse_clock, parse_timestamp, seconds_between

UTC = timezone.utc


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-04-03T09:14:02Z", datetime(2026, 4, 3, 9, 14, 2, tzinfo=UTC)),
        ("2026-04-03 09:14:02", datetime(2026, 4, 3, 9, 14, 2)),
        ("2026-04-03 09:14", datetime(2026, 4, 3, 9, 14)),
        ("03/04/2026 09:14", datetime(2026, 4, 3, 9, 14)),
        (1775207642, datetime(2026, 4, 3, 9, 14, 2, tzinfo=UTC)),
        ("1775207642000", datetime(2026, 4, 3, 9, 14, 2, tzinfo=UTC)),
        ("Fri, 3 Apr 2026 09:14:02 +0000", datetime(2026, 4, 3, 9, 14, 2, tzinfo=UTC)),
        ("09:14", time(9, 14)),
        ("10:42 AM", time(10, 42)),
        ("12:05 pm", time(12, 5)),
        ("12:05 a.m.", time(0, 5)),
        ("", None),
        (None, None),
        ("not a time", None),
        ("5", None),
        ("Tuesday", None),
        (True, None),
        (12, None),
    ],
)
def test_parse_timestamp(value, expected):
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("text, expected", [
    ("2026-04-03 09:14:02 CEST", datetime(2026, 4, 3, 9, 14, 2)),
    ("3 April 2026 9:14 PDT", datetime(2026, 4, 3, 9, 14)),
    ("Fri, 3 Apr 2026 09:14:02 GMT", datetime(2026, 4, 3, 9, 14, 2, tzinfo=UTC)),
    ("Fri, 3 Apr 2026 09:14:02 +0200", datetime(2026, 4, 3, 7, 14, 2, tzinfo=UTC)),
])
def test_a_zone_named_only_by_its_abbreviation_is_left_out_silently_on_every_machine(text, expected, monkeypatch):
    monkeypatch.setattr(clock, "tzname", ("CEST", "PDT"))  # as on a machine in one of those zones
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing on standard error
        parsed = parse_timestamp(text)
    assert parsed == expected and (parsed.tzinfo is None) == (expected.tzinfo is None)


@pytest.mark.parametrize("text", ["24:00", "13:00 PM", "9:60", "1:2"])
def test_impossible_clock_times_are_rejected(text):
    assert parse_clock(text) is None


def test_seconds_between_datetimes_and_clock_times():
    assert seconds_between(datetime(2026, 1, 1, 9), datetime(2026, 1, 1, 9, 1, 30)) == 90
    assert seconds_between(time(23, 59), time(0, 1)) == 120
    assert seconds_between(datetime(2026, 1, 1, 9, tzinfo=UTC), datetime(2026, 1, 1, 9, 5)) == 300


@given(moment=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
       form=st.sampled_from(timestamps._DATE_FORMATS))
def test_every_text_a_date_form_writes_is_tried_with_that_form(moment, form):
    """Only the forms that can match a text's first character are tried: never one that would have read it."""
    text = moment.strftime(form)
    assert form in timestamps._formats_for(text)
    assert isinstance(parse_timestamp(text), datetime)

