"""Per-agent scores in a conversation that several agents handled (metrics.by_agent)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from transcript_coach import Coach, Transcript
from transcript_coach.scoring.by_agent import turn_owners

START = datetime(2026, 11, 4, 14, 0)


def _transfer(first_reply_after: float = 400):
    """Kim answers late, asks again for what the customer gave and transfers coldly; Rosa picks it up well."""
    turns = [
        ("customer", "Dev", 0, "Hi, I was charged twice for my October bill, £48.99 both times. Account 77120."),
        ("agent", "Kim", first_reply_after, "hi, what is your account number"),
        ("customer", "Dev", first_reply_after + 30, "I just gave it. 77120."),
        ("agent", "Kim", first_reply_after + 90, "billing issues are handled by another team, transferring you now"),
        ("system", None, first_reply_after + 95, "Chat transferred to Billing"),
        ("agent", "Rosa", first_reply_after + 200, "Hi Dev, I'm Rosa from Billing. I can see the two payments of "
                                                   "£48.99 for account 77120, so you won't need to explain it "
                                                   "again. I'm so sorry about the double charge."),
        ("agent", "Rosa", first_reply_after + 260, "I've refunded the second payment just now."),
        ("customer", "Dev", first_reply_after + 300, "Great, thanks Rosa, that was quick."),
        ("agent", "Rosa", first_reply_after + 320, "You're welcome, Dev. Have a good evening."),
    ]
    return Transcript.from_turns([{"role": r, "speaker": s, "timestamp": START + timedelta(seconds=t), "text": x}
                                  for r, s, t, x in turns], id="transfer")


def test_each_turn_belongs_to_the_agent_who_spoke_last_or_the_first_to_speak():
    owners = turn_owners(_transfer())
    assert [owners[i] for i in range(9)] == ["Kim", "Kim", "Kim", "Kim", "Kim", "Rosa", "Rosa", "Rosa", "Rosa"]


def test_each_agent_is_scored_on_their_own_part():
    report = Coach().analyze(_transfer())
    by_agent = report.metrics["by_agent"]
    assert set(by_agent) == {"Kim", "Rosa"} and by_agent["Kim"]["turns"] == 2 and by_agent["Rosa"]["turns"] == 3
    kim, rosa = by_agent["Kim"]["skills"], by_agent["Rosa"]["skills"]
    assert "questions the customer had already answered" in kim["active_listening"]["reason"]
    assert "questions the customer had already answered" not in rosa["active_listening"]["reason"]
    assert kim["active_listening"]["score"] < report.skills["active_listening"].score
    assert rosa["empathy"]["score"] > kim["empathy"]["score"]
    assert "long silences" in kim["time_management"]["reason"] and "long silences" not in (
        rosa["time_management"]["reason"] or "")
    assert set(kim) == set(report.skills)  # every skill, null where that agent's part shows none
    assert report.to_dict()["metrics"]["by_agent"] == by_agent


@pytest.mark.parametrize("turns", [
    [("customer", "Dev", "My bill is wrong."), ("agent", "Kim", "Let me check."), ("agent", "Kim", "Fixed it.")],
    [("customer", "Dev", "My bill is wrong."), ("agent", None, "Let me check.")],
])
def test_one_agent_has_no_breakdown(turns):
    report = Coach().analyze(Transcript.from_turns([{"role": r, "speaker": s, "text": x} for r, s, x in turns]))
    assert "by_agent" not in report.metrics


def test_an_internal_note_by_someone_else_is_no_second_agent():
    report = Coach().analyze(Transcript.from_turns([
        {"role": "customer", "speaker": "Dev", "text": "My bill is wrong."},
        {"role": "agent", "speaker": "Kim", "text": "I'm sorry, let me check that for you."},
        {"role": "agent", "speaker": "Sam (team lead)", "internal": True, "text": "Approved a goodwill credit."},
        {"role": "agent", "speaker": "Kim", "text": "I've added a £10 credit and corrected the bill."}]))
    assert "by_agent" not in report.metrics
