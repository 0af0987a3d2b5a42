"""timing.*: first response, reply latencies and long gaps from timestamps; acknowledging the wait from words."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from transcript_coach.data import load_json

T0 = datetime(2024, 5, 8, 9, 0, 0)
CHAT_GAP = load_json("lexicons/timing.json")["settings"]["long_gap_seconds"]["chat"]


def _timing(analyze, *turns, channel="chat"):
    report = analyze(*turns, channel=channel)
    return [(e.feature, e.turn, e.text, e.value) for e in report.evidence
            if e.feature.startswith("timing.") and e.feature != "timing.wait_acknowledged"]


def _turn(role, text, at):
    return {"role": role, "text": text, "timestamp": at}


@pytest.mark.parametrize("text, matched", [
    ("Thanks for waiting, I found it.", "Thanks for waiting"),
    ("Sorry for the wait!", "Sorry for the wait"),
    ("Thank you for your patience while I checked.", "Thank you for your patience"),
    ("Please bear with me.", "Please bear with me"),
    ("Give me a minute to look.", "Give me a minute"),
    ("Apologies for the delay in getting back to you.", "Apologies for the delay"),
    ("One moment please.", "One moment please"),
    ("I appreciate your patience.", "I appreciate your patience"),
])
def test_wait_acknowledged(hits, text, matched):
    found = hits(("customer", "Hello?"), ("agent", text), family="timing")
    assert found == [("timing.wait_acknowledged", matched, 1)]


@pytest.mark.parametrize("text", [
    "I'm not sorry for the wait, it was worth it.",  # negated apology
    "The wait time is usually short.",
    "Patience is a virtue.",
    "Thanks for the update.",
])
def test_not_wait_acknowledged(hits, text):
    assert hits(("customer", "Hello?"), ("agent", text), family="timing") == []


def test_customer_words_about_waiting_are_not_acknowledgements(hits):
    assert hits(("customer", "Sorry for the wait, I was away."), ("agent", "No problem."), family="timing") == []


def test_first_response_and_latencies_with_datetimes(analyze):
    found = _timing(analyze,
                    _turn("customer", "Hi, my order is late.", T0),
                    _turn("agent", "Hello! Let me look.", T0 + timedelta(seconds=45)),
                    _turn("customer", "Thanks. It was due Monday.", T0 + timedelta(seconds=60)),
                    _turn("customer", "Order 1234.", T0 + timedelta(seconds=70)),
                    _turn("agent", "Found it. It ships today.", T0 + timedelta(seconds=100)))
    assert found == [
        ("timing.first_response", 1, "Hello", 45.0),
        ("timing.reply_latency", 1, "Hello", 45.0),
        ("timing.reply_latency", 4, "Found it", 40.0),  # from the first unanswered customer message
    ]


def test_long_gap_when_the_reply_is_slow(analyze):
    slow = CHAT_GAP + 300
    found = _timing(analyze,
                    _turn("customer", "Anyone there?", T0),
                    _turn("agent", "Sorry for the wait. How can I help?", T0 + timedelta(seconds=slow)))
    assert ("timing.long_gap", 1, "Sorry for the wait", float(slow)) in found
    assert ("timing.first_response", 1, "Sorry for the wait", float(slow)) in found


def test_no_long_gap_under_the_threshold(analyze):
    found = _timing(analyze, _turn("customer", "Hi", T0),
                    _turn("agent", "Hi!", T0 + timedelta(seconds=CHAT_GAP - 1)))
    assert [f for f, *_ in found] == ["timing.first_response", "timing.reply_latency"]


def test_long_gap_while_the_customer_waits_on_hold(analyze):
    found = _timing(analyze,
                    _turn("customer", "Can you check my refund?", T0),
                    _turn("agent", "Sure, let me check.", T0 + timedelta(seconds=20)),
                    _turn("agent", "OK, it went out yesterday.", T0 + timedelta(seconds=20 + CHAT_GAP + 60)))
    assert ("timing.long_gap", 2, "OK, it went out yesterday", float(CHAT_GAP + 60)) in found


@pytest.mark.parametrize("hold, minutes, long", [
    ("Give me two minutes to upload it.", 2.2, False),  # back in about the time named
    ("This may take a few minutes, bear with me.", 5.5, False),
    ("Give me two minutes to upload it.", 4, True),  # twice as long as named
    ("Let me check.", 2.2, True),  # no time named: the channel's threshold
    ("Can I put you on hold for two minutes?", 4, True),  # a hold, though no "let me check"
])
def test_a_hold_that_names_its_length_is_long_only_past_it(analyze, hold, minutes, long):
    assert CHAT_GAP < 2.2 * 60  # the case this test is about
    found = _timing(analyze,
                    _turn("customer", "Can you check my refund?", T0),
                    _turn("agent", hold, T0 + timedelta(seconds=20)),
                    _turn("agent", "Done, it went out yesterday.", T0 + timedelta(seconds=20 + minutes * 60)))
    assert bool([f for f, *_ in found if f == "timing.long_gap"]) is long


@pytest.mark.parametrize("seconds, long", [(158, False), (200, True)])
def test_a_named_hold_has_at_least_a_minute_to_spare(analyze, seconds, long):
    found = _timing(analyze,
                    _turn("customer", "My bill still says it's estimated.", T0),
                    _turn("agent", "Would it be okay if I put you on hold for about two minutes while I check?",
                          T0 + timedelta(seconds=10)),
                    _turn("customer", "Yes, that's fine.", T0 + timedelta(seconds=16)),
                    _turn("agent", "Thanks for holding. I've moved the reading.", T0 + timedelta(seconds=16 + seconds)),
                    channel="voice")
    assert bool([f for f, *_ in found if f == "timing.long_gap"]) is long


@pytest.mark.parametrize("back_after, long", [(4, False), (7, True)])
def test_the_customer_agreeing_to_a_hold_does_not_end_it(analyze, back_after, long):
    found = _timing(analyze,
                    _turn("customer", "Can you check my refund?", T0),
                    _turn("agent", "Can I put you on hold for five minutes?", T0 + timedelta(seconds=20)),
                    _turn("customer", "Fine.", T0 + timedelta(seconds=25)),
                    _turn("agent", "Thanks for holding, it went out yesterday.",
                          T0 + timedelta(seconds=20 + back_after * 60)))
    assert bool([f for f, *_ in found if f == "timing.long_gap"]) is long


@pytest.mark.parametrize("reply", [
    "I've refunded it. I'll check on Tuesday that it has gone through.",
    "I'll look into it and reply within 24 hours.",
])
def test_a_check_promised_for_later_is_no_hold(analyze, reply):
    found = _timing(analyze,
                    _turn("customer", "I was charged twice.", T0),
                    _turn("agent", reply, T0 + timedelta(hours=2)),
                    _turn("customer", "Any news?", T0 + timedelta(days=6)),
                    _turn("agent", "Yes, it left us on Monday.", T0 + timedelta(days=6, hours=1)), channel="email")
    assert [f for f, *_ in found if f == "timing.long_gap"] == []


def test_long_gap_when_the_customer_chases(analyze):
    found = _timing(analyze,
                    _turn("customer", "Can you check my refund?", T0),
                    _turn("agent", "One moment please.", T0 + timedelta(seconds=20)),
                    _turn("customer", "Hello? Are you still there?", T0 + timedelta(seconds=20 + CHAT_GAP + 1)),
                    _turn("agent", "Yes, sorry!", T0 + timedelta(seconds=CHAT_GAP + 40)))
    assert ("timing.long_gap", 2, "Hello", float(CHAT_GAP + 1)) in found
    assert ("timing.reply_latency", 3, "Yes, sorry", 19.0) in found


def test_agent_waiting_for_the_customer_is_not_a_gap(analyze):
    found = _timing(analyze,
                    _turn("customer", "Hi", T0),
                    _turn("agent", "Could you send me a photo?", T0 + timedelta(seconds=10)),
                    _turn("agent", "Are you still there?", T0 + timedelta(seconds=10 + CHAT_GAP * 3)))
    assert [f for f, *_ in found if f == "timing.long_gap"] == []


def test_clock_only_times(analyze):
    found = _timing(analyze, _turn("customer", "Hi there", "09:14"), _turn("agent", "Hello!", "09:20"))
    assert found[:1] == [("timing.first_response", 1, "Hello", 360.0)]
    assert ("timing.long_gap", 1, "Hello", 360.0) in found


def test_clock_only_times_across_midnight(analyze):
    found = _timing(analyze, _turn("customer", "Hi there", time(23, 59)), _turn("agent", "Hello!", time(0, 1)))
    assert found == [("timing.first_response", 1, "Hello", 120.0), ("timing.reply_latency", 1, "Hello", 120.0)]


def test_mixed_naive_and_aware_datetimes(analyze):
    found = _timing(analyze, _turn("customer", "Hi there", datetime(2024, 5, 8, 9, 0, tzinfo=timezone.utc)),
                    _turn("agent", "Hello!", datetime(2024, 5, 8, 9, 1)))
    assert found[0] == ("timing.first_response", 1, "Hello", 60.0)


def test_out_of_order_times_are_skipped(analyze):
    found = _timing(analyze, _turn("customer", "Hi there", T0), _turn("agent", "Hello!", T0 - timedelta(minutes=5)))
    assert found == []


def test_no_timestamps_no_timing_evidence(analyze):
    report = analyze(("customer", "Hi, where is my order?"), ("agent", "Sorry for the wait! Let me check."),
                     ("customer", "Hello??"), ("agent", "It ships today."))
    assert [(e.feature, e.text) for e in report.evidence if e.feature.startswith("timing.")] == [
        ("timing.wait_acknowledged", "Sorry for the wait")]


def test_partial_timestamps_measure_only_what_is_known(analyze):
    found = _timing(analyze, {"role": "customer", "text": "Hi"}, _turn("agent", "Hello!", T0),
                    _turn("customer", "Where is it?", T0 + timedelta(seconds=5)),
                    _turn("agent", "Checking.", T0 + timedelta(seconds=35)))
    assert found == [("timing.reply_latency", 3, "Checking", 30.0)]


def test_email_gaps_are_measured_in_days(analyze):
    hours = _timing(analyze, _turn("customer", "My invoice is wrong.", T0),
                    _turn("agent", "Thanks, I have corrected it.", T0 + timedelta(hours=5)), channel="email")
    assert [f for f, *_ in hours if f == "timing.long_gap"] == []
    days = _timing(analyze, _turn("customer", "My invoice is wrong.", T0),
                   _turn("agent", "Thanks, I have corrected it.", T0 + timedelta(days=3)), channel="email")
    assert ("timing.long_gap", 1, "Thanks, I have corrected it", 3 * 86400.0) in days


def test_an_email_replys_wait_is_quoted_past_its_salutation(analyze):
    found = _timing(analyze, _turn("customer", "My invoice is wrong.", T0),
                    _turn("agent", "Hi Greta,\n\nYou're right, and I'm sorry: I have corrected it.",
                          T0 + timedelta(days=3)), channel="email")
    assert ("timing.long_gap", 1, "You're right, and I'm sorry: I have corrected it", 3 * 86400.0) in found
    only = _timing(analyze, _turn("customer", "My invoice is wrong.", T0),
                   _turn("agent", "Hi Greta,", T0 + timedelta(days=3)), channel="email")
    assert ("timing.long_gap", 1, "Hi Greta", 3 * 86400.0) in only


@pytest.mark.parametrize("customer, long", [("Thank you both, that was quick.", False), ("ok thanks", False),
                                             ("Thanks. Will it retry?", True), ("Why was I charged twice?", True),
                                             ("Booking no YIUBPF. Thanks.", True),  # a detail to act on
                                             ("I did not receive anything. Thanks", True)])  # a problem
def test_a_reply_after_the_customer_only_said_thanks_ends_no_wait(analyze, customer, long):
    found = _timing(analyze, _turn("customer", "Was I refunded?", T0),
                    _turn("agent", "Yes, I've refunded the charge.", T0 + timedelta(seconds=30)),
                    _turn("customer", customer, T0 + timedelta(seconds=60)),
                    _turn("agent", "You're welcome! Anything else?", T0 + timedelta(seconds=60 + CHAT_GAP * 3)))
    assert bool([f for f, *_ in found if f == "timing.long_gap"]) is long


def test_the_queue_after_a_handover_is_no_long_gap(analyze):
    found = _timing(analyze, _turn("customer", "Human please", T0),
                    {"role": "bot", "text": "Connecting you to an agent. The wait is about 3 minutes.",
                     "timestamp": T0 + timedelta(seconds=2)},
                    _turn("agent", "Hi, Rosa here.", T0 + timedelta(seconds=CHAT_GAP * 2)),
                    _turn("customer", "Hi, I was charged twice.", T0 + timedelta(seconds=CHAT_GAP * 2 + 30)),
                    _turn("agent", "Sorry, checking now.", T0 + timedelta(seconds=CHAT_GAP * 5)))
    assert sorted((f, turn) for f, turn, *_ in found if f in ("timing.reply_latency", "timing.long_gap")) == [
        ("timing.long_gap", 4), ("timing.reply_latency", 2), ("timing.reply_latency", 4)]  # the agent's own wait counts


@pytest.mark.parametrize("customer, long", [
    ("That works, thanks. Can't believe it was across the road!", False),  # asked for nothing: the update came
    ("Thanks. Will it arrive today?", True),  # a question waited two hours
    ("Thanks. When will it get here", True),  # a question without its question mark
])
def test_a_promised_update_ends_no_wait_unless_the_customer_asked(analyze, customer, long):
    found = _timing(analyze,
                    _turn("customer", "My parcel never came.", T0),
                    _turn("agent", "I'll ask the driver to collect it and update you by 6pm.",
                          T0 + timedelta(minutes=1)),
                    _turn("customer", customer, T0 + timedelta(minutes=2)),
                    _turn("agent", "Hi Leo, as promised: the driver collected your parcel.", T0 + timedelta(hours=2)))
    assert bool([f for f, *_ in found if f == "timing.long_gap"]) is long


def test_bot_and_system_turns_are_not_replies(analyze):
    found = _timing(analyze, _turn("customer", "Hi", T0),
                    {"role": "bot", "text": "An agent will be with you shortly.",
                     "timestamp": T0 + timedelta(seconds=1)},
                    {"role": "system", "text": "Sam joined the chat", "timestamp": T0 + timedelta(seconds=50)},
                    _turn("agent", "Hi, I'm Sam.", T0 + timedelta(seconds=60)))
    assert found[0] == ("timing.first_response", 3, "Hi, I'm Sam", 60.0)
