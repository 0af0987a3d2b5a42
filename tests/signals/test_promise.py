"""promise.*: commitments, offers, due expressions, keeping, and the promise ledger."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

COMMITMENTS = ("promise.specific", "promise.vague", "promise.conditional", "promise.immediate")


def _commitments(hits, text):
    return [(f, t) for f, t, turn in hits(("customer", "Hi, I need help with my order."), ("agent", text),
                                          family="promise") if f in COMMITMENTS]


def _dues(hits, text):
    return [t for f, t, _ in hits(("customer", "Hi"), ("agent", text), family="promise") if f == "promise.due"]


@pytest.mark.parametrize("text, feature, matched", [
    # specific: an owner, an action and a time frame or a concrete deliverable
    ("I'll email you the label by 5pm.", "promise.specific", "I'll email you the label by 5pm"),
    ("I will send you a replacement.", "promise.specific", "I will send you a replacement"),
    ("We'll process your refund in 3-5 business days.", "promise.specific",
     "We'll process your refund in 3-5 business days"),
    ("I'm going to call you tomorrow morning.", "promise.specific", "I'm going to call you tomorrow morning"),
    ("I'll be in touch by Friday.", "promise.specific", "I'll be in touch by Friday"),
    ("Our billing team will credit your account.", "promise.specific", "Our billing team will credit your account"),
    ("A technician will come out on Monday.", "promise.specific", "A technician will come out on Monday"),
    ("You will receive an email within 24 hours.", "promise.specific", "You will receive an email within 24 hours"),
    ("You'll also get an email confirming the refund today.", "promise.specific",
     "You'll also get an email confirming the refund today"),
    ("You'll automatically be refunded within 5 days.", "promise.specific",
     "You'll automatically be refunded within 5 days"),
    ("Let me call you back tomorrow.", "promise.specific", "Let me call you back tomorrow"),
    ("I\u2019ll resend the link tonight.", "promise.specific", "I\u2019ll resend the link tonight"),
    ("i'll check with the warehouse and get back to you by Friday", "promise.specific",
     "i'll check with the warehouse and get back to you by Friday"),
    # arranged with a colleague on the customer's behalf
    ("I've asked my team lead, Chris, to call you tomorrow before 12pm about compensation.", "promise.specific",
     "I've asked my team lead, Chris, to call you tomorrow before 12pm about compensation"),
    ("We've booked an engineer to visit on Friday.", "promise.specific",
     "We've booked an engineer to visit on Friday"),
    ("I've asked the warehouse to look into it.", "promise.vague", "I've asked the warehouse to look into it"),
    ("I've booked ClearView to replace the windscreen on Friday.", "promise.specific",
     "I've booked ClearView to replace the windscreen on Friday"),
    # a dated booking: the visit, call or collection is the commitment
    ("I've booked an engineer for Thursday.", "promise.specific", "I've booked an engineer for Thursday"),
    ("I've scheduled a callback for tomorrow at 10am.", "promise.specific",
     "I've scheduled a callback for tomorrow at 10am"),
    ("I've booked you a technician for Monday morning.", "promise.specific",
     "I've booked you a technician for Monday morning"),
    ("The engineer is booked for 18 February.", "promise.specific", "The engineer is booked for 18 February"),
    ("Your collection has been rescheduled for next week.", "promise.specific",
     "Your collection has been rescheduled for next week"),
    ("I've booked a check for Friday to make sure the readings come through.", "promise.specific",
     "I've booked a check for Friday to make sure the readings come through"),
    # vague: no time frame, vague action, unnamed owner, hedged
    ("It should be processed soon. You will get an email.", "promise.vague", "You will get an email"),
    ("The engineer is booked for 18 February. You'll get a text the day before.", "promise.specific",
     "You'll get a text the day before"),  # a time frame from the visit
    ("We're looking into it and will be in touch once we have an update.", "promise.vague", "will be in touch"),
    ("I've passed this on and will call you by Friday.", "promise.specific", "will call you by Friday"),
    ("We'll look into it.", "promise.vague", "We'll look into it"),
    ("Someone will be in touch.", "promise.vague", "Someone will be in touch"),
    ("We'll get back to you soon.", "promise.vague", "We'll get back to you soon"),
    ("I'll keep you posted.", "promise.vague", "I'll keep you posted"),
    ("I'll see what I can do.", "promise.vague", "I'll see what I can do"),
    ("You'll hear from us shortly.", "promise.vague", "You'll hear from us shortly"),
    ("Someone will call you tomorrow.", "promise.vague", "Someone will call you tomorrow"),
    ("I'll try to get it to you by Monday.", "promise.vague", "I'll try to get it to you by Monday"),
    ("Hopefully we'll have it back in stock next week.", "promise.vague",
     "we'll have it back in stock next week"),
    ("The next available agent will be with you as soon as possible.", "promise.vague",
     "The next available agent will be with you as soon as possible"),
    ("Our team will reach out right away.", "promise.vague", "Our team will reach out right away"),
    # conditional commitments and offers
    ("If it doesn't arrive by Friday, I'll refund you.", "promise.conditional",
     "If it doesn't arrive by Friday, I'll refund you"),
    ("I'll refund you if it doesn't arrive by Friday.", "promise.conditional",
     "I'll refund you if it doesn't arrive by Friday"),
    ("I can resend the invoice if you'd like.", "promise.conditional", "I can resend the invoice if you'd like"),
    ("If it fails, call us and I'll send an engineer.", "promise.conditional",
     "If it fails, call us and I'll send an engineer"),  # the sending waits on the call
    # the condition governs the clause after it, not a commitment joined on with ", and"
    ("If food is spoiled, you can claim for it too, and I'll text you the form link straight after this call.",
     "promise.specific", "I'll text you the form link straight after this call"),
    ("Would you like me to send a replacement?", "promise.conditional", "Would you like me to send a replacement"),
    ("Shall I book the engineer for Tuesday?", "promise.conditional", "Shall I book the engineer for Tuesday"),
    # immediate actions: process talk, not follow-ups
    ("Let me check that for you.", "promise.immediate", "Let me check that for you"),
    ("I'll pull up your account right now.", "promise.immediate", "I'll pull up your account right now"),
    ("I'll be with you in a moment.", "promise.immediate", "I'll be with you in a moment"),
    ("I've opened claim HG-55120 and an emergency plumber will call you back tomorrow by 10am.", "promise.specific",
     "an emergency plumber will call you back tomorrow by 10am"),  # a third party the agent arranged
    ("I'll take you through it, there's no rush at all.", "promise.immediate", "I'll take you through it"),
    ("I'll walk you through the settings.", "promise.immediate", "I'll walk you through the settings"),
    ("That's billing, I'll put you through to them.", "promise.immediate", "I'll put you through to them"),
    ("Home moves aren't my department. I'll transfer you.", "promise.immediate", "I'll transfer you"),
    ("Hi Margaret, I'm Leo and I'll help you with that.", "promise.immediate", "I'll help you with that"),
    ("Your English is fine. I will help you.", "promise.immediate", "I will help you"),
    ("I will help you tomorrow.", "promise.specific", "I will help you tomorrow"),
    # "I'll" as a fast chat writes it
    ("ah ok. ill raise a claim with the courier today", "promise.specific", "ill raise a claim with the courier today"),
    ("Ill look into it.", "promise.vague", "Ill look into it"),
    # a thing the company will deliver, with a time frame
    ("Your refund will be processed within 5 working days.", "promise.specific",
     "Your refund will be processed within 5 working days"),
    ("Your replacement will be with you by Thursday.", "promise.specific",
     "Your replacement will be with you by Thursday"),
    ("Your refund of £64.99 will be processed within 3 working days.", "promise.specific",
     "Your refund of £64.99 will be processed within 3 working days"),
    ("The 329 euros will be refunded within 5 working days, and a new card will arrive by post by Friday.",
     "promise.specific", "a new card will arrive by post by Friday"),
])
def test_commitments(hits, text, feature, matched):
    assert (feature, matched) in _commitments(hits, text)


@pytest.mark.parametrize("text", [
    "I've asked you to send the photo twice now.",  # asked the customer: no one of ours commits
    # a thing's future without a time frame, or no delivery at all
    "Your order will arrive soon.",
    "The app will be slow until Friday.",
    "Your account will be on hold until Friday.",
    "Your account will need to be verified by Friday.",
    # a booking without a time of its own is done, not promised; a booking of the customer's trip is no visit of ours
    "I've booked a callback.",
    "I've booked the engineer for you.",
    "I've booked your flight for Thursday.",
    "I booked the appointment for next Tuesday at 12 pm.",  # the customer's own appointment, at a salon
    "The courier has confirmed the morning slot for Friday.",  # the courier confirmed: no booking passive
    # negated
    "I won't be able to do that.",
    "We will not charge you twice.",
    "I'll never share your details.",
    "I'm not going to cancel it.",
    # questions and embedded questions
    "Will you be home on Friday?",
    "I'm not sure when we'll get more stock.",
    "When do you think we will be able to ship it?",
    # not actions
    "I'll be happy to help.",
    "I'm sorry your mum is ill, I hope she feels better soon.",  # the word, not "I'll"
    "She has been ill for weeks.",
    "We will be closed on Monday.",
    "I'll need your order number.",
    "We will have 9 people at the event.",
    "We look forward to hearing from you.",
    "I am going to Chicago tomorrow.",
    "You will need to reset your password.",
    "It will arrive tomorrow.",
    "They will ship it on Friday.",
    "Let me know if you need anything else.",
    "Please don't let me down.",
    "It allows me to see your order history.",
    "I can see the order on my side.",
    "To make sure that you will receive our emails, add us to your contacts.",
    "The parcel was damaged and will be replaced.",  # "and will" with no one of ours before it
    "You'll get charged for the extra bag.",
    "I'll just call you Tom, if that's okay.",
    "I can recommend a Chevrolet Cruze which you can pick up on March 2nd, and will cost you $130.",  # a price
])
def test_non_commitments(hits, text):
    assert _commitments(hits, text) == []


def test_customer_sentences_are_not_agent_promises(hits):
    found = hits(("customer", "I'll send you the photo tomorrow and we'll see."), ("agent", "Thanks!"),
                 family="promise")
    assert found == []


def test_bot_and_internal_turns_are_not_agent_promises(analyze):
    report = analyze({"role": "customer", "text": "Where is my parcel?"},
                     {"role": "bot", "text": "An agent will call you within the hour."},
                     {"role": "agent", "text": "I'll refund it tomorrow.", "internal": True})
    assert [e for e in report.evidence if e.feature.startswith("promise.")] == []
    assert report.promises == ()


@pytest.mark.parametrize("text, due", [
    ("I'll call you by Friday.", "by Friday"),
    ("I'll send it within the hour.", "within the hour"),
    ("I'll email you tomorrow morning.", "tomorrow morning"),
    ("We'll ship it in 3-5 business days.", "in 3-5 business days"),
    ("I'll send the label by 5pm today.", "by 5pm today"),
    ("I'll call you before you go to sleep.", "before you go to sleep"),
    ("I'll call you on Monday.", "on Monday"),
    ("I'll send it in the next couple of minutes.", "in the next couple of minutes"),
    ("I'll have it done by end of day.", "by end of day"),
    ("You'll get a reply within 24 hours.", "within 24 hours"),
    ("I'll update you by March 3rd.", "by March 3rd"),
    ("I'll call you Friday.", "Friday"),
    ("By Friday, I'll have the refund processed.", "By Friday"),
    ("Tomorrow morning I'll call you with the result.", "Tomorrow morning"),
])
def test_due_expressions(hits, text, due):
    assert _dues(hits, text) == [due]


@pytest.mark.parametrize("text", [
    "We'll get back to you soon.",  # vague times are not deadlines
    "I'll send it as soon as possible.",
    "I'll send the invoice for Friday's order.",  # a weekday that names something else
    "I'll check what happened last Friday.",
    "I will send an email later in the day.",
    "If it doesn't arrive by Friday, I'll refund you.",  # the date belongs to the condition
    "I can call you tomorrow if you'd like.",  # offers carry no deadline
    "The two nights you can't use, Saturday and Sunday, I'll refund in full.",  # weekdays as objects
    # the time of another clause, which a conjunction parts from the commitment
    "I'm not 100% sure why it would only happen in the evening, to be honest, so let me check with the team.",
    "It broke on Monday and I'll send a new one.",
    "I'll send the first one to you now.",  # ordinals that count, not date
    "I'll check it again on the second attempt.",
    "We'll deliver by the second week of December.",  # no due time of its own, and not one second from now
])
def test_no_due_expression(hits, text):
    assert _dues(hits, text) == []


def test_a_due_time_inside_the_commitment_wins_over_one_before_it(analyze):
    report = analyze(("customer", "Hi"), ("agent", "I've booked our senior engineer for 8am tomorrow, and I'll call "
                                                   "you at 7:30am."))
    by_id = {e.id: e for e in report.evidence}
    assert [(p.text, [by_id[i].text for i in p.evidence if by_id[i].feature == "promise.due"])
            for p in report.promises] == [("I've booked our senior engineer for 8am tomorrow", ["8am tomorrow"]),
                                          ("I'll call you at 7:30am", ["at 7:30am"])]


# --- keeping ---------------------------------------------------------------------------------------------------------

def _kept(hits, promise_text, later_text, later_role="agent"):
    found = hits(("customer", "Can you help?"), ("agent", promise_text), ("customer", "ok thanks"),
                 (later_role, later_text), family="promise")
    return [t for f, t, turn in found if f == "promise.kept"]


@pytest.mark.parametrize("promise_text, later, kept", [
    ("I'll send you the confirmation email.", "I've just sent the confirmation.", "I've just sent the confirmation"),
    ("I'll refund you today.", "Done - the refund is processed.", "Done - the refund is processed"),
    ("I'll email you the label.", "I've emailed the label to your work address.",
     "I've emailed the label to your work address"),
    ("I'll forward the invoice.", "Invoice sent, you should see it shortly. I have forwarded it to billing too.",
     "I have forwarded it to billing too"),
    ("Let me check your order.", "I checked and it left the warehouse today.",
     "I checked and it left the warehouse today"),
    ("I'll send the link shortly.", "As promised, here it is: example.com/reset",
     "As promised, here it is: example.com/reset"),
    ("We'll cancel the duplicate order.", "The duplicate order has been cancelled.",
     "The duplicate order has been cancelled"),
    ("If IT emails the certificate, I'll paste it in for you.", "I've uploaded the new certificate.",
     "I've uploaded the new certificate"),  # a synonym of the verb
    ("Let me look for a dentist near you.", "I found a dentist's office in Sunnyvale.",
     "I found a dentist's office in Sunnyvale"),  # found: what a search promised
    ("I'll check whether it's in stock.", "Good news, it's in stock.", "Good news, it's in stock"),
    ("I'll ring the courier for you.", "I've called the courier and he's on his way.",
     "I've called the courier and he's on his way"),  # "called" after "I": done, not a name ("it's called")
    ("Our collection team will remove the broken table.", "I can see our team collected the table at 9:15am.",
     "I can see our team collected the table at 9:15am"),  # seen done by someone else
    ("The engineer will replace the boiler part.", "I've checked and the engineer replaced the part yesterday.",
     "I've checked and the engineer replaced the part yesterday"),
])
def test_kept(hits, promise_text, later, kept):
    assert _kept(hits, promise_text, later) == [kept]


@pytest.mark.parametrize("later", ["Hi Kwame,\n\nAs promised, I've sent the confirmation.",
                                   "Thanks for waiting.\nAs promised, I've sent the confirmation."])
def test_kept_after_a_line_break_quotes_the_sentence_without_it(hits, later):
    assert _kept(hits, "I'll send you the confirmation email.", later) == ["As promised, I've sent the confirmation"]


@pytest.mark.parametrize("promise_text, later", [
    ("I'll send you the confirmation email.", "I haven't sent the confirmation yet, sorry."),  # negated
    ("I'll send you the confirmation email.", "Your parcel was delivered yesterday."),  # shares nothing
    ("I'll send you the confirmation email.", "I will send the confirmation now."),  # future, not fulfilment
    ("I'll call you tomorrow.", "I've updated your address."),  # a different action
    ("I'll email you the tracking link.", "You'll get a text once it's emailed."),  # a future condition
    ("We'll get your video calls going again together.", "Tap the grey cog. It's called Settings."),  # naming
    ("We'll get your video calls going again together.", "Well done. Now scroll down to Apps."),  # praise
    ("I will book the room for you.", "My apologies, it appears that I forgot to book your room."),  # a failure
    ("I'll make the appointment for you.", "I'm sorry, I failed to make the appointment."),
    ("I'll book the Delta flight to Sydney.", "I found a flight to Sydney with Alaska Airlines."),  # found, not booked
    ("You'll get an email confirmation.", "Good news, admission is free."),  # a marker, and nothing the agent owed
    ("You will receive an email confirmation.", "Here is your reference number: PIS9UFX2."),
    ("I'll refund the duplicate charge.", "I can see you were charged twice."),  # what the customer said, seen
    ("I'll retry the payment.", "I can see the payment failed again."),  # a failure, seen
])
def test_not_kept(hits, promise_text, later):
    assert _kept(hits, promise_text, later) == []


@pytest.mark.parametrize("promise_text, later, kept", [
    ("I'll send you the label.", "I've received the label, thanks.", "I've received the label, thanks"),
    ("You'll get a confirmation email in a minute.", "ok. got the email. thanks", "got the email"),
    ("I'll refund the £42 today.", "The refund has arrived, cheers!", "The refund has arrived, cheers"),
    ("We'll credit your account.", "Yes, I can see the credit now.", "Yes, I can see the credit now"),
])
def test_the_customer_saying_a_promised_thing_came_keeps_the_promise(analyze, hits, promise_text, later, kept):
    assert _kept(hits, promise_text, later, later_role="customer") == [kept]
    report = analyze(("customer", "Can you help?"), ("agent", promise_text), ("customer", later))
    (promise,) = report.promises
    by_id = {e.id: e for e in report.evidence}
    assert promise.status == "kept" and by_id[promise.evidence[-1]].rule == "keep:customer"


@pytest.mark.parametrize("promise_text, later", [
    ("I'll send you the label.", "I haven't received the label yet."),  # negated
    ("I'll send you the label.", "Have you sent the label?"),  # a question
    ("I'll send you the confirmation email.", "Got it, thanks!"),  # understood: nothing named came
    ("I'll refund the charge today.", "I got charged again this morning."),  # "got charged": no receipt
    ("I'll send you the label.", "I got a letter from the bank."),  # something else came
])
def test_the_customer_saying_something_else_keeps_nothing(hits, promise_text, later):
    assert _kept(hits, promise_text, later, later_role="customer") == []


def test_keeping_in_the_same_turn_does_not_count(hits):
    found = hits(("customer", "Hi"), ("agent", "I'll send the label. I've sent the label."), family="promise")
    assert [f for f, _, _ in found if f == "promise.kept"] == []


@pytest.mark.parametrize("text, found", [
    ("As promised, I've checked on your refund this morning.", ["As promised"]),
    ("Hi Chris, just following up on the refund we talked about.", ["just following up"]),
    ("Further to our call yesterday, the engineer is booked.", ["Further to our call"]),
    ("Thanks for your email. Further to your question, the fee is $5.", []),  # a reply, not a follow-up
    ("I'm not following up on that, sorry.", []),
])
def test_follow_through_on_an_earlier_contact(hits, text, found):
    turns = hits(("agent", text), family="promise")
    assert [t for f, t, _ in turns if f == "promise.follow_through"] == found


def test_follow_through_is_the_agents(hits):
    turns = hits(("customer", "As promised, here's the photo."), ("agent", "Thanks."), family="promise")
    assert [f for f, _, _ in turns if f == "promise.follow_through"] == []


def test_the_best_matching_promise_is_kept(analyze):
    report = analyze(("customer", "Two problems."),
                     ("agent", "I'll email you the return label. I'll also refund the shipping fee."),
                     ("customer", "Thanks."),
                     ("agent", "I've emailed the return label."))
    by_text = {p.text: p.status for p in report.promises}
    assert by_text["I'll email you the return label"] == "kept"
    assert by_text["I'll also refund the shipping fee"] == "unknown"


# --- the ledger ------------------------------------------------------------------------------------------------------

WEDNESDAY = datetime(2024, 5, 8, 10, 0)  # a Wednesday


def _ledger(analyze, promise_text, *, said=WEDNESDAY, last=None, later=None):
    turns = [{"role": "customer", "text": "Where is my refund?", "timestamp": said},
             {"role": "agent", "text": promise_text, "timestamp": said}]
    if later is not None or last is not None:
        turns.append({"role": "agent" if later else "customer", "text": later or "ok", "timestamp": last or said})
    return analyze(*turns).promises


def test_ledger_kept_links_the_evidence(analyze):
    report = analyze(("customer", "Can I get the label?"),
                     ("agent", "I'll email you the label by Friday."),
                     ("customer", "Thanks"),
                     ("agent", "I've just emailed the label."))
    (promise,) = report.promises
    assert promise.status == "kept" and promise.turn == 1 and promise.text == "I'll email you the label by Friday"
    ids = {e.id: e for e in report.evidence}
    assert [ids[i].feature for i in promise.evidence] == ["promise.specific", "promise.due", "promise.kept"]
    assert ids[promise.evidence[2]].turn == 3


@pytest.mark.parametrize("promised, report_text", [
    ("I've asked the driver to collect it this afternoon. I'll message you here by 6pm to confirm it's been picked up.",
     "As promised: the driver collected your parcel at 4:52pm."),
    ("I've asked the driver to collect it and bring it to you by 6pm today, and I'll message you here once it's done.",
     "As promised: your parcel was delivered to number 41 at 5:12pm."),  # "bring" kept by "delivered"
])
def test_a_report_keeps_the_promise_to_report_as_well_as_what_it_reports(analyze, promised, report_text):
    report = analyze(("customer", "The parcel went to the wrong house."), ("agent", promised),
                     ("customer", "Thanks"), ("agent", report_text))
    assert [p.status for p in report.promises] == ["kept", "kept"]


def test_ledger_due_by_friday_from_wednesday_is_friday_end_of_business(analyze):
    (promise,) = _ledger(analyze, "I'll email you the label by Friday.")
    assert promise.due == datetime(2024, 5, 10, 17, 0)


def test_ledger_overdue_when_the_transcript_goes_past_the_due_time(analyze):
    (promise,) = _ledger(analyze, "I'll email you the label by Friday.", last=datetime(2024, 5, 11, 9, 0))
    assert promise.status == "overdue"


def test_a_thing_promised_by_a_date_is_overdue_when_it_has_not_come(analyze):
    report = analyze({"role": "customer", "text": "Where is my refund?", "timestamp": WEDNESDAY},
                     {"role": "agent", "text": "Your refund will be processed within 2 working days.",
                      "timestamp": WEDNESDAY},
                     {"role": "customer", "text": "It's Tuesday and still nothing.",
                      "timestamp": datetime(2024, 5, 14, 9, 0)})
    (promise,) = report.promises
    assert promise.status == "overdue" and "TC104" in {f.code for f in report.flags}
    came = analyze(("customer", "Where is my refund?"), ("agent", "Your refund will be processed within 2 working "
                                                                  "days."), ("customer", "The refund has arrived!"))
    assert [p.status for p in came.promises] == ["kept"]


def test_ledger_open_when_the_transcript_ends_before_the_due_time(analyze):
    (promise,) = _ledger(analyze, "I'll email you the label by Friday.", last=datetime(2024, 5, 9, 9, 0))
    assert promise.status == "open"


def test_ledger_open_without_due_time_when_there_are_timestamps(analyze):
    (promise,) = _ledger(analyze, "We'll look into it.", last=datetime(2024, 5, 20, 9, 0))
    assert promise.due is None and promise.status == "open"


def test_ledger_unknown_without_timestamps(analyze):
    report = analyze(("customer", "Where is it?"), ("agent", "I'll call you tomorrow."), ("customer", "ok"))
    (promise,) = report.promises
    assert promise.status == "unknown" and promise.due is None
    assert [e.text for e in report.evidence if e.id in promise.evidence] == ["I'll call you tomorrow", "tomorrow"]


def test_ledger_within_the_hour_from_a_clock_time(analyze):
    (promise,) = _ledger(analyze, "I'll call you back within the hour.", said="09:14", last="09:40")
    assert promise.due == time(10, 14) and promise.status == "open"
    (promise,) = _ledger(analyze, "I'll call you back within the hour.", said="09:14", last="10:30")
    assert promise.status == "overdue"


def test_ledger_clock_time_cannot_place_a_weekday(analyze):
    report = analyze({"role": "customer", "text": "Hi", "timestamp": "09:14"},
                     {"role": "agent", "text": "I'll send it by Friday.", "timestamp": "09:15"})
    (promise,) = report.promises
    assert promise.due is None and promise.status == "open"
    assert "by Friday" in [e.text for e in report.evidence if e.id in promise.evidence]


def test_ledger_a_due_time_just_passed_as_the_conversation_ends_is_no_overdue(analyze):
    said = datetime(2026, 11, 7, 10, 0, 40)
    (promise,) = _ledger(analyze, "You'll get an updated confirmation email in a minute.", said=said,
                         last=said + timedelta(seconds=85))  # the chat closed 25 s after the minute
    assert promise.status == "open"
    (promise,) = _ledger(analyze, "You'll get an updated confirmation email in a minute.", said=said,
                         last=said + timedelta(minutes=4))
    assert promise.status == "overdue"


@pytest.mark.parametrize("promise_text, later, day, kept", [
    # scheduled for a later day: what the agent did earlier that day is something else
    ("On Friday I'll check that your bank has accepted the refund and email you.",
     "I've flagged both emails to my team lead so we can find out how they were missed.", 0, False),
    ("Tomorrow I'll call you with the engineer's report.", "I've called the engineer to book him in.", 0, False),
    ("Tomorrow I'll call you with the engineer's report.", "As promised, I called you this morning.", 1, True),
    # a deadline, not a day: kept early
    ("I'll email you the label by Friday.", "I've emailed the label.", 0, True),
])
def test_a_commitment_for_a_later_day_is_kept_only_from_that_day(analyze, promise_text, later, day, kept):
    (promise,) = _ledger(analyze, promise_text, last=WEDNESDAY + timedelta(days=day, hours=1), later=later)
    assert (promise.status == "kept") is kept
    report = analyze({"role": "customer", "text": "Where is my refund?", "timestamp": WEDNESDAY},
                     {"role": "agent", "text": promise_text, "timestamp": WEDNESDAY},
                     {"role": "agent", "text": later, "timestamp": WEDNESDAY + timedelta(days=day, hours=1)})
    assert any(e.feature == "promise.kept" for e in report.evidence) is kept


def test_a_dated_booking_is_in_the_ledger_and_kept_when_the_visit_happens(analyze):
    (promise,) = _ledger(analyze, "I've booked an engineer for Friday.", last=WEDNESDAY + timedelta(days=2),
                         later="I can see the engineer visited this morning and replaced the valve.")
    assert promise.due == datetime(2024, 5, 10, 17, 0) and promise.status == "kept"
    (promise,) = _ledger(analyze, "I've booked an engineer for Friday.", last=WEDNESDAY + timedelta(days=3))
    assert promise.status == "overdue"


def test_ledger_kept_beats_overdue(analyze):
    (promise,) = _ledger(analyze, "I'll send you the label within the hour.", last=WEDNESDAY + timedelta(hours=3),
                         later="I've sent the label, sorry it took longer.")
    assert promise.status == "kept"


@pytest.mark.parametrize("kept_after, late", [(timedelta(hours=3), True), (timedelta(minutes=40), False)])
def test_a_commitment_kept_after_its_due_time_is_kept_late(analyze, kept_after, late):
    report = analyze({"role": "customer", "text": "Where is my label?", "timestamp": WEDNESDAY},
                     {"role": "agent", "text": "I'll send you the label within the hour.", "timestamp": WEDNESDAY},
                     {"role": "agent", "text": "I've sent the label.", "timestamp": WEDNESDAY + kept_after})
    assert [p.status for p in report.promises] == ["kept"]
    found = [(e.text, e.rule) for e in report.evidence if e.feature == "promise.kept_late"]
    assert found == ([("I'll send you the label within the hour", "keep:after-due")] if late else [])
    flags = [f.reason for f in report.flags if f.code == "TC104"]
    assert flags == (["a commitment was not kept by its due time (1 kept late)"] if late else [])


@pytest.mark.parametrize("text, said, due", [
    # by <weekday>: that day at 17:00 (end of business); today if said that morning, else next week
    ("I'll send it by Friday.", datetime(2024, 5, 8, 10), datetime(2024, 5, 10, 17)),
    ("I'll send it by Friday.", datetime(2024, 5, 10, 9), datetime(2024, 5, 10, 17)),
    ("I'll send it by Friday.", datetime(2024, 5, 10, 18), datetime(2024, 5, 17, 17)),
    ("I'll send it next Friday.", datetime(2024, 5, 10, 9), datetime(2024, 5, 17, 17)),
    ("I'll call you on Monday afternoon.", datetime(2024, 5, 8, 10), datetime(2024, 5, 13, 17)),
    # a window: its end
    ("A courier will collect it on Thursday between 9am and 1pm.", datetime(2024, 5, 8, 10), datetime(2024, 5, 9, 13)),
    ("The engineer will come on 18 May between 8am and 12pm.", datetime(2024, 5, 8, 10), datetime(2024, 5, 18, 12)),
    ("I've booked an engineer for Saturday 18 May between 8am and 12pm.", datetime(2024, 5, 8, 10),
     datetime(2024, 5, 18, 12)),  # the date says which Saturday
    ("The engineer will come on Saturday, 18 May.", datetime(2024, 5, 8, 10), datetime(2024, 5, 18, 17)),
    ("I'll send it by the 15th at 3pm.", datetime(2024, 5, 8, 10), datetime(2024, 5, 15, 15)),
    ("We'll deliver it tomorrow from 9 to 1pm.", datetime(2024, 5, 8, 10), datetime(2024, 5, 9, 13)),
    ("I'll call you on Monday between you and me.", datetime(2024, 5, 8, 10), datetime(2024, 5, 13, 17)),
    # relative: exactly that long
    ("I'll call you within the hour.", datetime(2024, 5, 8, 9, 14), datetime(2024, 5, 8, 10, 14)),
    ("You'll get a reply within 24 hours.", datetime(2024, 5, 8, 9, 14), datetime(2024, 5, 9, 9, 14)),
    ("I'll send it in the next couple of minutes.", datetime(2024, 5, 8, 9, 14), datetime(2024, 5, 8, 9, 16)),
    # named days and parts of days
    ("I'll email you tomorrow morning.", datetime(2024, 5, 8, 15), datetime(2024, 5, 9, 12)),
    ("I'll email you tomorrow.", datetime(2024, 5, 8, 15), datetime(2024, 5, 9, 17)),
    ("I'll send the label by 5pm today.", datetime(2024, 5, 8, 15), datetime(2024, 5, 8, 17)),
    ("I'll send the label by 5pm.", datetime(2024, 5, 8, 18), datetime(2024, 5, 9, 17)),
    ("I'll have it done by end of day.", datetime(2024, 5, 8, 9), datetime(2024, 5, 8, 17)),
    ("I'll text you before you go to sleep.", datetime(2024, 5, 8, 15), datetime(2024, 5, 8, 23, 59)),
    ("I'll update you by the end of the week.", datetime(2024, 5, 8, 9), datetime(2024, 5, 10, 17)),
    ("I'll update you next week.", datetime(2024, 5, 8, 9), datetime(2024, 5, 17, 17)),
    # business days skip the weekend (Thursday + 5 business days = next Thursday)
    ("We'll ship it in 3-5 business days.", datetime(2024, 5, 9, 11), datetime(2024, 5, 16, 17)),
    ("We'll ship it within 2 working days.", datetime(2024, 5, 10, 11), datetime(2024, 5, 14, 17)),
    ("We'll ship it within 2 days.", datetime(2024, 5, 10, 11), datetime(2024, 5, 12, 17)),
    # dates
    ("I'll update you by March 3rd.", datetime(2024, 5, 8, 9), datetime(2025, 3, 3, 17)),
    ("I'll update you by the 15th.", datetime(2024, 5, 8, 9), datetime(2024, 5, 15, 17)),
    # dates in words, and a time after a comma
    ("I'll call you back on the twelfth to go through it.", datetime(2024, 5, 8, 9), datetime(2024, 5, 12, 17)),
    ("I'll call you back on the twenty-first.", datetime(2024, 5, 8, 9), datetime(2024, 5, 21, 17)),
    ("I'll send it on the first of June.", datetime(2024, 5, 8, 9), datetime(2024, 6, 1, 17)),
    ("I'll call you on Friday, 3pm.", datetime(2024, 5, 8, 9), datetime(2024, 5, 10, 15)),
])
def test_due_normalisation(analyze, text, said, due):
    (promise,) = _ledger(analyze, text, said=said)
    assert promise.due == due


def test_due_keeps_the_time_zone_of_aware_timestamps(analyze):
    said = datetime(2024, 5, 10, 15, 0, tzinfo=timezone(timedelta(hours=2)))
    (promise,) = _ledger(analyze, "I'll send the label by 5pm today.", said=said,
                         last=datetime(2024, 5, 10, 16, 30, tzinfo=timezone.utc))
    assert promise.due == datetime(2024, 5, 10, 17, 0, tzinfo=timezone(timedelta(hours=2)))
    assert promise.status == "overdue"  # 16:30 UTC is 18:30 at +02:00


@pytest.mark.parametrize("text, said", [
    ("I'll call you tomorrow.", "09:14"),  # needs a date
    ("I'll send it in 3 business days.", "09:14"),
    ("I'll call you in 20 hours.", "09:14"),  # past midnight: the clock cannot say which day
])
def test_due_not_normalised_from_clock_times(analyze, text, said):
    (promise,) = _ledger(analyze, text, said=said)
    assert promise.due is None


@pytest.mark.parametrize("text, said, due", [
    ("I'll call you back in 20 minutes.", "09:14", time(9, 34)),
    ("I'll send it by 5pm.", "09:14", time(17, 0)),
    ("I'll finish it by end of day.", "09:14", time(17, 0)),
])
def test_due_from_clock_times_same_day(analyze, text, said, due):
    (promise,) = _ledger(analyze, text, said=said)
    assert promise.due == due


def test_conditional_in_ledger_without_due(analyze):
    (promise,) = _ledger(analyze, "If it doesn't arrive by Friday, I'll refund you.",
                         last=datetime(2024, 5, 20, 9, 0))
    assert promise.due is None and promise.status == "open"
    assert promise.text == "If it doesn't arrive by Friday, I'll refund you"


def test_a_conditional_time_frame_anchored_to_an_event_has_no_due_time(analyze):
    # the 15 minutes start when the colleague's email arrives, which the transcript does not say
    (promise,) = _ledger(analyze, "If your colleague emails it to us, I'll add it within 15 minutes of receiving it.",
                         last=WEDNESDAY + timedelta(hours=2))
    assert promise.due is None and promise.status == "open"
    assert len(promise.evidence) == 2  # the time frame stays in the evidence


def test_a_conditional_time_frame_without_an_anchor_runs_from_the_turn(analyze):
    (promise,) = _ledger(analyze, "If that doesn't help, someone from our team will call you within 24 hours.",
                         last=WEDNESDAY + timedelta(days=3))
    assert promise.due == WEDNESDAY + timedelta(hours=24) and promise.status == "overdue"


def test_offers_and_immediate_actions_are_not_in_the_ledger(analyze):
    report = analyze(("customer", "Hi"), ("agent", "Let me check that for you. Would you like me to resend it?"))
    features = [e.feature for e in report.evidence if e.feature.startswith("promise.")]
    assert features == ["promise.immediate", "promise.conditional"]
    assert report.promises == ()


def test_an_offer_for_the_customer_to_take_up_is_not_in_the_ledger(analyze):
    report = analyze(("customer", "I want to cancel."),
                     ("agent", "I can match that price. If you'd still rather leave, I'll cancel it now."))
    assert report.promises == ()


def test_two_commitments_in_one_sentence_take_their_own_due(analyze):
    report = analyze({"role": "customer", "text": "Hi", "timestamp": WEDNESDAY},
                     {"role": "agent", "text": "I'll check today and I'll call you on Friday.", "timestamp": WEDNESDAY})
    assert [(p.text, p.due) for p in report.promises] == [
        ("I'll check today", datetime(2024, 5, 8, 17)), ("I'll call you on Friday", datetime(2024, 5, 10, 17))]


def test_report_with_promises_is_valid(analyze, assert_valid):
    report = analyze({"role": "customer", "text": "Hi", "timestamp": WEDNESDAY},
                     {"role": "agent", "text": "I'll email you the label within the hour.", "timestamp": WEDNESDAY},
                     {"role": "agent", "text": "I've emailed the label.",
                      "timestamp": WEDNESDAY + timedelta(minutes=5)})
    document = assert_valid(report.to_dict())
    assert document["promises"] == [{"turn": 1, "text": "I'll email you the label within the hour",
                                     "due": "2024-05-08T11:00:00", "status": "kept",
                                     "evidence": list(report.promises[0].evidence)}]
    texts = {e["id"]: e["text"] for e in document["evidence"]}
    assert [texts[i] for i in document["promises"][0]["evidence"]] == [
        "I'll email you the label within the hour", "within the hour", "I've emailed the label"]


@pytest.mark.parametrize("agent, made_specific, vague", [
    # a general commitment the agent makes specific before the customer writes again: reassurance, not vagueness
    (("Don't worry, we'll sort this out together.",
      "I've booked an engineer for tomorrow between 8am and 12pm, and I'll text you the confirmation."), True, False),
    (("We'll get back to you. I'll email you the returns label by Friday.",), True, False),
    (("We'll look into this and get back to you by 5pm today.",), False, False),  # one specific commitment
    (("Someone will be in touch. I'll email you the returns label by Friday.",), False, True),  # "someone"
    (("I'll try to sort it. I'll email you the returns label by Friday.",), False, True),  # hedged
    (("We'll sort this out together.",), False, True),  # nothing specific follows
])
def test_a_general_commitment_made_specific_at_once_is_not_vague(analyze, agent, made_specific, vague):
    turns = [("customer", "My internet has been down since yesterday.")] + [("agent", text) for text in agent]
    report = analyze(*turns)
    features = [e.feature for e in report.evidence if e.feature.startswith("promise.")]
    assert ("promise.made_specific" in features, "promise.vague" in features) == (made_specific, vague)
    general = next((e for e in report.evidence if e.feature == "promise.made_specific"), None)
    assert general is None or all(p.text != general.text for p in report.promises)  # not in the ledger
    assert any(p.text.startswith("I") for p in report.promises) or not made_specific  # the specific one is


def test_a_general_commitment_stays_vague_when_the_customer_wrote_before_the_specific_one(analyze):
    report = analyze(("customer", "My internet has been down since yesterday."),
                     ("agent", "Don't worry, we'll sort this out together."),
                     ("customer", "Ok, thanks."),
                     ("agent", "I've booked an engineer for tomorrow between 8am and 12pm."))
    features = [e.feature for e in report.evidence if e.feature.startswith("promise.")]
    assert "promise.vague" in features and "promise.made_specific" not in features
    assert len(report.promises) == 2


def test_a_vague_commitment_kept_later_is_no_fault(analyze):
    report = analyze(("customer", "I'm locked out of my account and can't see my order."),
                     ("agent", "Understood, we'll get you in so you can see it."),
                     ("customer", "Thanks."),
                     ("agent", "Done: I've reset your login and you can sign in now."))
    features = [e.feature for e in report.evidence if e.feature.startswith("promise.")]
    assert "promise.vague_kept" in features and "promise.vague" not in features
    assert [(p.text, p.status) for p in report.promises] == [("we'll get you in", "kept")]
    assert "vague" not in report.skills["follow_up"].reason
    assert not any(f.code == "TC105" for f in report.flags)


def test_a_vague_commitment_not_kept_stays_vague(analyze):
    report = analyze(("customer", "I'm locked out of my account and can't see my order."),
                     ("agent", "Understood, we'll get you in so you can see it."),
                     ("customer", "Thanks."))
    assert [e.feature for e in report.evidence if e.feature.startswith("promise.")] == ["promise.vague"]
    assert "-14 vague commitments (1)" in report.skills["follow_up"].reason
