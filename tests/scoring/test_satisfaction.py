"""metrics.satisfaction: the end-of-conversation customer-satisfaction estimate."""

from __future__ import annotations

import pytest

from transcript_coach import Transcript
from transcript_coach.coach import Coach


@pytest.fixture(scope="module")
def coach():
    return Coach()


def estimate(coach, turns):
    return coach.analyze(Transcript.from_turns(turns, id="t")).to_dict()


HAPPY = [
    {"role": "customer", "text": "Hi, my invoice shows the wrong amount."},
    {"role": "agent", "text": "Thanks for flagging it. I have corrected the invoice and emailed you a new copy."},
    {"role": "customer", "text": "Perfect, that's great, thank you so much! It works now."},
]
ANGRY = [
    {"role": "customer", "text": "Hi, my invoice shows the wrong amount."},
    {"role": "agent", "text": "That is our policy, there is nothing I can do."},
    {"role": "customer", "text": "This is ridiculous. I am furious. I want to speak to a manager, this is useless."},
]


def test_a_pleased_customer_scores_higher_than_an_angry_one(coach, assert_valid):
    happy, angry = estimate(coach, HAPPY), estimate(coach, ANGRY)
    assert_valid(happy)
    assert_valid(angry)
    high, low = happy["metrics"]["satisfaction"], angry["metrics"]["satisfaction"]
    assert 1 <= low["estimate"] < 3 < high["estimate"] <= 5
    assert "manager" in low["reason"] and low["reason"].startswith("base 3")
    ids = {e["id"]: e["feature"] for e in angry["evidence"]}
    assert low["evidence"] and all(i in ids for i in low["evidence"])
    assert "resolution.manager_request" in {ids[i] for i in low["evidence"]}


def test_no_customer_side_no_estimate(coach):
    report = estimate(coach, [{"role": "agent", "text": "Your refund of $20 was sent today."}])
    satisfaction = report["metrics"]["satisfaction"]
    assert satisfaction["estimate"] is None and satisfaction["reason"].startswith("not estimated")
