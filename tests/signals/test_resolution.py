"""resolution.*: steps, checking and confirming the fix, escalation, transfer, manager requests, refusals."""

from __future__ import annotations

import pytest

from transcript_coach.signals.resolution import numbered_steps


def _agent(hits, text, feature):
    return [t for f, t, turn in hits(("customer", "My wifi keeps dropping."), ("agent", text), family="resolution")
            if f == feature]


@pytest.mark.parametrize("text, steps", [
    ("Please restart the router.", ["Please restart the router"]),
    ("Go to Settings > Wi-Fi and tap Forget. Then reconnect.",
     ["Go to Settings > Wi-Fi and tap Forget", "Then reconnect"]),
    ("Could you try restarting the app?", ["Could you try restarting the app"]),
    ("You can also try clearing the cache.", ["You can also try clearing the cache"]),
    ("I'd recommend updating the firmware first.", ["I'd recommend updating the firmware first"]),
    ("Here's what to do: unplug it for ten seconds.", ["Here's what to do", "unplug it for ten seconds"]),
    ("1. Unplug the router\n2. Wait ten seconds\n3. Plug it back in",
     ["1. Unplug the router", "2. Wait ten seconds", "3. Plug it back in"]),
    ("Step 1: open the app. Step 2: tap Settings.", ["Step 1: open the app.", "Step 2: tap Settings."]),
    ("You'll need to sign out and back in.", ["You'll need to sign out and back in"]),
    ("Try to restart it once more.", ["Try to restart it once more"]),
    ("Here's the fix: 1. In KeyGate, open the app and copy the certificate. 2. In our dashboard, go to Settings and "
     "paste it.", ["Here's the fix", "1. In KeyGate, open the app and copy the certificate.",
                   "2. In our dashboard, go to Settings and paste it."]),
    ("1. Open the app. 2. Tap Settings. That should clear it up.", ["1. Open the app.", "2. Tap Settings."]),
    ("On your phone, tap Settings.", ["On your phone, tap Settings"]),
    ("If you can't log in, reset your password.", ["If you can't log in, reset your password"]),
    ("You'll want to restart the app first.", ["You'll want to restart the app first"]),
    ("Check in the settings menu that Bluetooth is on.", ["Check in the settings menu that Bluetooth is on"]),
])
def test_steps(hits, text, steps):
    assert _agent(hits, text, "resolution.steps") == steps


@pytest.mark.parametrize("text", [
    "Could you send me your order number?",  # a request for information, not a step
    "Hold on a moment please.",
    "Go ahead and tell me what happened.",
    "I checked your account and it looks fine.",  # the agent's own action
    "We have 2. Then again, it may vary.",  # not a list
    "Let me know if you need anything else.",
    "Try to get some rest, and safe travels!",
    "Try not to worry about it.",
    "1. Your parcel was mis-sorted on Monday.\n2. The driver brought it back today.",  # a numbered explanation
    "In that case, we'll send a new one.",  # a lead phrase, then no instruction
    "When you called yesterday, check-in was closed.",
    "Check-in is at 3pm.",  # a noun
    "Kindly allow 5-7 working days for a response.",  # a wait, not a step
    "Please allow up to 10 days for the refund to appear.",
    "Search revealed 10 results. 100 Greenwich Street has a 4.0 rating.",  # "search" names what was done
    "Search found 8 results for you.",
    "You want to visit Bennington Apartments on March 14th?",  # what the customer wants, confirmed
    "Will you go to the hotel on March 5th?",  # the customer's plans
    "You can check in to the guesthouse from 15:00.",  # a hotel's check-in
    "Check in time starts at 3 and ends at noon.",
])
def test_not_steps(hits, text):
    assert _agent(hits, text, "resolution.steps") == []


def test_customer_instructions_are_not_steps(hits):
    found = hits(("customer", "Please restart my service."), ("agent", "Sure."), family="resolution")
    assert found == []


@pytest.mark.parametrize("text, items", [
    ("1. a\n2. b", [(0, 4), (5, 9)]),
    ("1) Open it 2) Close it", [(0, 10), (11, 22)]),
    ("2. b\n3. c", []),  # a list starts at 1
    ("1. only one", []),
    ("version 1.2 and 2. something", []),
])
def test_numbered_steps_helper(text, items):
    assert numbered_steps(text) == items


@pytest.mark.parametrize("text, asked", [
    ("Did that work?", "Did that work"),
    ("Is it working now?", "Is it working now"),
    ("Let me know if that helps!", "Let me know if that helps"),
    ("Are you able to log in now?", "Are you able to log in now"),
    ("Does that answer your question?", "Does that answer your question"),
    ("It should arrive within a minute. Could you let me know when you see it?", "let me know when you see it"),
    ("Great news. Could you print a test page to make sure it works?", "to make sure it works"),
])
def test_confirmation_asked(hits, text, asked):
    assert _agent(hits, text, "resolution.confirmation_asked") == [asked]


def test_confirmation_asked_is_an_agent_signal(hits):
    assert [f for f, *_ in hits(("customer", "Did that work?"), ("agent", "Yes."), family="resolution")] == []


def _customer_after_steps(hits, text):
    found = hits(("customer", "My wifi keeps dropping."), ("agent", "Please restart the router."),
                 ("customer", text), family="resolution")
    return [(f, t) for f, t, turn in found if turn == 2]


@pytest.mark.parametrize("text, confirmed", [
    ("That worked, thanks!", "That worked"),
    ("It's working now.", "It's working now"),
    ("Sorted, thanks.", "Sorted, thanks"),
    ("Perfect, that did the trick.", "that did the trick"),
    ("ok all good now", "all good now"),
    ("Oh great, that's much better. Thanks.", "that's much better"),
    ("It works!! You're a lifesaver.", "It works!"),
    ("Yes, it works, thank you", "Yes, it works"),
    ("I'm back in, cheers.", "I'm back in"),
    ("got it. ok I set a new password and I'm in", "and I'm in"),
    ("The web app works, thanks Ben.", "The web app works,"),  # what they were pointed to works
    ("My new card works now!", "My new card works now!"),
    ("ok done, it says ready now!", "says ready now"),
    ("printed fine. thanks so much", "printed fine"),
])
def test_confirmed(hits, text, confirmed):
    assert _customer_after_steps(hits, text) == [("resolution.confirmed", confirmed)]


@pytest.mark.parametrize("text, unresolved", [
    ("It's still not working.", "still not working"),
    ("That didn't help.", "didn't help"),
    ("No luck, same error.", "No luck"),
    ("You didn't answer my question. Forget it.", "You didn't answer my question"),
    ("you didn't answer my questions", "you didn't answer my questions"),
    ("Forget it, this is a waste of time.", "Forget it"),
    ("It still hasn't arrived.", "still hasn't arrived"),
    ("I've done that every night. It doesn't help.", "doesn't help"),
    ("I still haven't received the refund.", "still haven't received"),
])
def test_unresolved_after_steps(hits, text, unresolved):
    found = _customer_after_steps(hits, text)
    assert ("resolution.unresolved", unresolved) in found
    assert not [f for f, _ in found if f == "resolution.confirmed"]


@pytest.mark.parametrize("text", [
    "It worked?",  # a question
    "It's not working.",
    "It never worked properly.",
    "Is it fixed on your side?",
    "After two hours we finally fixed it ourselves, no thanks to you.",
    "Get my app up and running NOW.",
    "It works on my phone but not on the laptop.",
    "It works, but only on wifi.",
    "The web app works but the phone app still doesn't.",
    "The old card worked fine until yesterday.",
    "Ok, done. It's back on. Speed test says 4.1 Mbps.",  # the router, restarted
])
def test_not_confirmed(hits, text):
    assert [f for f, _ in _customer_after_steps(hits, text) if f == "resolution.confirmed"] == []


def test_problem_statement_is_not_unresolved(hits):
    found = hits(("customer", "My wifi doesn't work."), ("agent", "Sorry to hear that."), family="resolution")
    assert found == []


@pytest.mark.parametrize("agent, customer, unresolved", [
    ("Your request has been forwarded to the relevant department.", "That doesn't answer my question.",
     ["That doesn't answer my question"]),  # giving up needs no steps before it
    ("Your request has been forwarded to the relevant department.", "It still doesn't work.", []),  # the problem
    ("I've reset your router from our side.", "It still doesn't work.", ["still doesn't work"]),  # after a fix
])
def test_unresolved_after_a_reply(hits, agent, customer, unresolved):
    found = hits(("customer", "My wifi keeps dropping."), ("agent", agent), ("customer", customer),
                 family="resolution")
    assert [t for f, t, turn in found if f == "resolution.unresolved"] == unresolved


def test_a_reminder_is_not_giving_up(hits):
    found = _customer_after_steps(hits, "Ok, I'll try that. Please don't forget it, I need it by Friday.")
    assert [f for f, _ in found if f == "resolution.unresolved"] == []


@pytest.mark.parametrize("text, offered", [
    ("Alternatively, I can send a replacement.", ["Alternatively"]),
    ("Just so you have all the options: you don't need to cancel to stop a delivery.",
     ["all the options", "you don't need to cancel"]),
    ("Which would suit you best?", ["Which would suit you"]),
    ("I can pause it instead of cancelling, if you like.", ["instead of cancelling"]),
    ("I can't change the date.", []),
    ("No worries, let's do it a simpler way.", ["a simpler way"]),
    ("Let me put it more simply: switch the router off and on.", []),  # other words, not another route
    ("i know it's not ideal in the meantime i can add a fifteen pound credit to your account",
     ["in the meantime i can"]),
])
def test_alternatives(hits, text, offered):
    assert _agent(hits, text, "resolution.alternative") == offered


@pytest.mark.parametrize("text, matched", [
    ("I'll escalate this to our network team.", "escalate"),
    ("I've raised this with the billing team.", "raised this with"),
    ("I'll pass this on to our returns team.", "pass this on to"),
    ("I've opened a ticket with engineering.", "opened a ticket"),
])
def test_escalation(hits, text, matched):
    assert _agent(hits, text, "resolution.escalation") == [matched]


@pytest.mark.parametrize("text", [
    "I can't escalate this, unfortunately.",
    "There is no need to escalate.",
    "I've raised your credit limit.",
])
def test_not_escalation(hits, text):
    assert _agent(hits, text, "resolution.escalation") == []


@pytest.mark.parametrize("text, matched", [
    ("I'll transfer you to billing now.", "transfer you to"),
    ("Let me connect you with a specialist.", "connect you with"),
    ("I'm transferring your chat to Priya.", "I'm transferring"),
])
def test_transfer_by_agent(hits, text, matched):
    assert _agent(hits, text, "resolution.transfer") == [matched]


@pytest.mark.parametrize("text", [
    "If it's easier, my colleague Marta speaks Polish and I can transfer you to her.",
    "Would you like me to transfer you to our billing team?",
    "Do you want me to connect you with a specialist?",
    "I can put you through to a colleague if you'd like.",
])
def test_a_transfer_offered_is_no_transfer(hits, text):
    assert _agent(hits, text, "resolution.transfer") == []


@pytest.mark.parametrize("text, found", [
    ("I'm not sure, so I'll ask our card security team.", ["I'll ask our card security team"]),
    ("Let me check with my colleague in billing.", ["Let me check with my colleague"]),
    ("I've just spoken to my supervisor and she agrees.", ["I've just spoken to my supervisor"]),
    ("I checked with the warehouse team this morning.", ["I checked with the warehouse team"]),
    ("My colleague in card security explained it: the shop is registered in Spain.",
     ["My colleague in card security explained"]),
    ("Our engineers confirmed the line is fixed.", ["Our engineers confirmed"]),
    ("I'll still be checking with the development team to find out more.",
     ["I'll still be checking with the development team"]),
    ("I spoke to store and they told me the freezer was faulty.", ["I spoke to store"]),
    ("So I'd like to check with my team lead.", ["I'd like to check with my team lead"]),
    ("You can ask our team in store.", []),  # the customer is sent elsewhere
    ("Please check with your bank.", []),
    ("I'll ask you to send a photo to the team.", []),
    ("Our team is working on it.", []),
    ("I've also asked a Spanish-speaking colleague to email you the details.",
     ["I've also asked a Spanish-speaking colleague"]),
])
def test_consulting_a_colleague(hits, text, found):
    assert _agent(hits, text, "resolution.consult") == found


def test_transfer_from_system_line(hits):
    found = hits(("customer", "I need billing."), ("agent", "One moment."), ("system", "Chat transferred to Priya."),
                 ("agent", "Hi, Priya here."), family="resolution")
    assert [(f, t, turn, ) for f, t, turn in found] == [("resolution.transfer", "Chat transferred to Priya", 2)]


def test_system_lines_without_transfer_are_ignored(hits):
    assert hits(("customer", "hi"), ("system", "Priya joined the chat."), family="resolution") == []


@pytest.mark.parametrize("text, matched", [
    ("Let me speak to your manager.", "speak to your manager"),
    ("I want to talk to a supervisor now!", "talk to a supervisor"),
    ("Please escalate this.", "escalate this"),
    ("I want to make a complaint.", "make a complaint"),
    ("Get me your manager.", "Get me your manager"),
])
def test_manager_request(hits, text, matched):
    found = hits(("agent", "How can I help?"), ("customer", text), family="resolution")
    assert found == [("resolution.manager_request", matched, 1)]


@pytest.mark.parametrize("text", [
    "I don't want to speak to a manager, just fix it.",
    "My manager asked me to contact you.",
    "I spoke to your colleague yesterday.",
])
def test_not_manager_request(hits, text):
    assert hits(("agent", "How can I help?"), ("customer", text), family="resolution") == []


@pytest.mark.parametrize("text, matched", [
    ("Unfortunately there's nothing I can do.", "nothing I can do"),
    ("That's not possible, sorry.", "That's not possible"),
    ("That's not my department.", "not my department"),
    ("I'm unable to help with refunds.", "I'm unable to help"),
    ("Worn footwear can only be returned if it's faulty, so please keep them.", "can only be returned if"),
    ("I'm unable to refund worn boots. I can see why that's annoying.", "I'm unable to"),  # no offer follows
    ("It's the only way we can do it, sorry.", "It's the only way"),
    ("You have to use the online form, there's no other way.", "there's no other way"),
    ("Please note that this decision is final.", "this decision is final"),
    ("Unfortunately refunds aren't something I can do.", "aren't something I can do"),
])
def test_refusal(hits, text, matched):
    assert _agent(hits, text, "resolution.refusal") == [matched]


@pytest.mark.parametrize("text", [
    "If there's nothing else, have a great day!",
    "I can help you with that.",
    "It's possible to change the date.",
    "The only way to reset it is to hold the button for ten seconds.",  # an instruction, not a no
    "It's the only way to be sure the charger is at fault, so let's try it.",
    # a no followed by an offer to try another way
    "I'm unable to book you a table at 16:15. Would you like to try another time?",
    "I'm afraid not. Would you like to try a different price range?",
    "I am unable to get a reservation for 2 at 17:45. Should I try a different time?",
    # a no followed by passing the case to whoever can
    "Unfortunately refunds aren't something I can do from my side. I'll pass it over to the billing team.",
    "I'm unable to change the tariff myself, so I'll escalate it to my manager today.",
    "You're booked. If you need to contact them, their number is 07134 286519.",  # where to reach them, if need be
    "Are you sure I can't help you with a reservation?",  # a question
])
def test_not_refusal(hits, text):
    assert _agent(hits, text, "resolution.refusal") == []


@pytest.mark.parametrize("text, offer", [
    ("I'm unable to refund worn boots. What I can do is give you a 15% discount code.", "What I can do is"),
    ("Nothing I can do about the fee, but I can offer you a free month instead.", "but I can offer"),
])
def test_a_no_paired_with_what_the_agent_can_do_is_an_alternative_not_a_refusal(hits, text, offer):
    assert _agent(hits, text, "resolution.refusal") == []
    assert offer in _agent(hits, text, "resolution.alternative")


@pytest.mark.parametrize("follow_up, paired", [
    ("One more thing: I can freeze your membership for up to three months at no cost.", True),
    ("Would you like me to set up a freeze instead?", True),
    ("I can see why that's disappointing.", False),  # sympathy, no offer
    ("Have a good day.", False),
])
def test_a_no_followed_by_an_offer_in_the_agents_next_message_is_no_refusal(analyze, follow_up, paired):
    refusal = "Unfortunately I'm unable to refund a month that has already passed."
    at_once = analyze(("customer", "I'd like a refund for October."), ("agent", refusal), ("agent", follow_up))
    features = {e.feature for e in at_once.evidence if e.turn == 1}
    assert ("resolution.refusal" in features) is not paired
    assert ("tone.negative_phrasing" in features) is not paired
    later = analyze(("customer", "I'd like a refund for October."), ("agent", refusal), ("customer", "Why not?"),
                    ("agent", follow_up))  # the customer had to push: the no stood on its own
    assert "resolution.refusal" in {e.feature for e in later.evidence if e.turn == 1}


@pytest.mark.parametrize("text, done", [
    ("I've refunded the second charge.", ["I've refunded the second charge"]),
    ("First, I've frozen your card so no more payments can go out.",
     ["I've frozen your card so no more payments can go out"]),
    ("I have gone ahead and cancelled the order.", ["I have gone ahead and cancelled the order"]),
    ("I went ahead and reset your password.", ["I went ahead and reset your password"]),
    ("We already cancelled the renewal.", ["We already cancelled the renewal"]),
    ("I’ve reissued the voucher.", ["I’ve reissued the voucher"]),
    ("Okay, I've updated the address on the order.", ["I've updated the address on the order"]),
    ("Your account has been unlocked.", ["Your account has been unlocked"]),
    ("The duplicate charge is now reversed.", ["The duplicate charge is now reversed"]),
    ("I can confirm your refund has been processed.", ["I can confirm your refund has been processed"]),
    ("I've asked the driver to collect it today.", ["I've asked the driver to collect it today"]),
    ("We have reshipped it with express delivery.", ["We have reshipped it with express delivery"]),
    ("Done. I've rebilled it with the actual reading.", ["I've rebilled it with the actual reading"]),
    ("I've turned on a temporary password login for you.", ["I've turned on a temporary password login for you"]),
    ("I've uploaded the new certificate.", ["I've uploaded the new certificate"]),
    ("Booking was successful. Reference number is 0013.", ["Booking was successful"]),
    ("Your reservation has been confirmed for Friday.", ["Your reservation has been confirmed for Friday"]),
    ("The transfer is now complete.", ["The transfer is now complete"]),
    ("Your payment has gone through.", ["Your payment has gone through"]),
    ("You've been refunded in full.", ["You've been refunded in full"]),  # done for the customer
    ("I've found Margaret's account and put a hold on it today.",
     ["I've found Margaret's account and put a hold on it today"]),  # the second of two things done
    ("We've looked into it and refunded the duplicate.", ["We've looked into it and refunded the duplicate"]),
])
def test_action_taken(hits, text, done):
    assert _agent(hits, text, "resolution.action") == done


@pytest.mark.parametrize("text", [
    "I haven't refunded it yet.",
    "I have not cancelled the order.",
    "I don't think we've refunded it.",
    "Once I've processed the refund you'll get an email.",
    "If it has been shipped, I'll stop it.",
    "As soon as we've fixed the outage, I'll let you know.",
    "We want to make sure this has been resolved for you.",
    "It should have been refunded by now.",
    "You'll have been credited by Friday.",
    "We've just sent you a DM.",
    "I have sent you a direct message with the details.",
    "I just asked you for the order number.",
    "I've escalated this to our billing team.",
    "I've checked your account and I can see the charge.",
    "We have issues with the courier today.",
    "Has it been fixed?",
    "We sent the parcel to the wrong address.",
    "Was the booking successful?",
    "Is your booking confirmed?",
    "Once your booking is confirmed you'll get an email.",
    "I'm afraid the booking wasn't successful.",
    "If the payment goes through, you'll see it.",
    "As you've already changed the batteries, I won't ask you to do that again.",  # the customer did it
    "I have no idea and cancelled nothing.",
])
def test_not_action_taken(hits, text):
    assert _agent(hits, text, "resolution.action") == []


@pytest.mark.parametrize("text, asked", [
    ("Is it everyone on the team, or only people using single sign-on?",
     ["Is it everyone on the team, or only people using single sign-on"]),
    ("Thanks. Did anything change on your side recently, like a new certificate?",
     ["Did anything change on your side recently, like a new certificate"]),
    ("How long has this been happening? Which device are you using?",
     ["How long has this been happening", "Which device are you using"]),
    ("Is it only on wifi, or is it the same on mobile data?", ["Is it only on wifi, or is it the same on mobile data"]),
    ("Does it drop on every device, or only on wifi?", ["Does it drop on every device, or only on wifi"]),
    ("Let me know which device you're using.", []),  # not asked as a question
    ("Have you tried restarting your router?", []),  # a suggestion asked as a question: it finds no cause
    ("Is there anything else I can help with?", []),
])
def test_diagnostic_questions(hits, text, asked):
    assert _agent(hits, text, "resolution.diagnosis") == asked


@pytest.mark.parametrize("text, cause", [
    ("That's because the signing certificate changed.", ["That's because"]),
    ("This happens when the router picks a busy channel.", ["This happens when"]),
    ("The loop is caused by an expired certificate.", ["caused by"]),
    ("Thanks, Marta. I think I've found the problem: the account has an old address.", ["I've found the problem"]),
    ("That's not because of anything you did.", []),
    ("That usually means the tablet hasn't been given permission to use its camera.", ["That usually means"]),
    ("My team lead confirmed the app had a bug for November cancellations.", ["had a bug"]),
    ("That means your refund is on its way.", []),  # what follows, not why
    ("Your readings were received but weren't applied because the serial number on your account is wrong.",
     ["applied because the"]),
    ("Our system retried the payment because your bank was slow to confirm the first one.",
     ["retried the payment because your"]),
    ("I'm calling because your parcel has arrived.", []),  # why the agent calls, not why it went wrong
    ("The refund was never released because the return was attached to the wrong order line.",
     ["released because the"]),
    ("October and November were estimated from last winter's usage. That's why it's high.", ["That's why it's"]),
    ("The card on file expired, which is why your renewal failed.", ["which is why your"]),
    ("That's why I'm here.", []),
    ("That points to a fault at the street cabinet, not your router.", ["That points to"]),
    ("Orange usually means the router has lost sync with the exchange.", ["usually means the"]),
    ("There's a known fault on the cabinet that's causing drops at peak times.", ["a known fault", "that's causing"]),
])
def test_cause_explained(hits, text, cause):
    assert _agent(hits, text, "resolution.cause") == cause


def test_questions_and_causes_are_agent_signals(hits):
    found = hits(("customer", "Did anything change? It's because of the update, I think."), ("agent", "Thanks."),
                 family="resolution")
    assert [f for f, _, _ in found if f in ("resolution.diagnosis", "resolution.cause")] == []


def test_action_taken_is_an_agent_signal(hits):
    found = hits(("customer", "I've cancelled the order myself and reset my password."), ("agent", "Thanks."),
                 family="resolution")
    assert [f for f, _, _ in found if f == "resolution.action"] == []


@pytest.mark.parametrize("text, handoff", [
    ("I can see from the notes that the router was replaced.", "I can see from the notes"),
    ("Hi, I'm Priya. I can see from your chat with our assistant that the account is locked.",
     "I can see from your chat"),
    ("I'm passing this to billing, so you won't need to repeat anything.", "you won't need to repeat"),
    ("Hi Kofi, I can see you told our assistant you were charged after cancelling.", "you told our assistant"),
    ("I've told her the booking number and that the refund is due.", "I've told her"),
    ("Refunds are with our payments team, so you won't need to explain it again.", "you won't need to explain"),
    ("Hi, I'm Ana from payments. Lars has filled me in on HB-20931.", "filled me in"),
])
def test_warm_handoff(hits, text, handoff):
    assert _agent(hits, text, "resolution.warm_handoff") == [handoff]


@pytest.mark.parametrize("text, transfer", [
    ("That's not my department.", "not my department"),
    ("You'll have to call the other number and explain it again.", "You'll have to call"),
    ("Not sure. You need to contact the driver.", "You need to contact the"),
    ("That's billing, I'll put you through to them.", "That's billing"),
    ("You'll have to ring the courier. I don't have their number.", "You'll have to ring"),
    ("You need to phone the bank yourself.", "You need to phone"),
    ("You can return it to the shop you bought it from.", "return it to the shop you"),
])
def test_cold_transfer(hits, text, transfer):
    assert _agent(hits, text, "resolution.cold_transfer")[:1] == [transfer]


@pytest.mark.parametrize("text", [
    "I've passed on everything, so you won't need to explain it again.",
    "You don't have to start over, my colleague has your notes.",
    "You're all set. If you need to contact the driver, you can call 07073603005.",  # for later, if needed
])
def test_no_cold_transfer_when_it_is_ruled_out(hits, text):
    assert _agent(hits, text, "resolution.cold_transfer") == []


STEP = "Please restart your router by unplugging it for 30 seconds."


def test_the_same_step_sent_again_after_the_customer_answered(hits):
    found = hits(("customer", "My internet drops every evening."), ("agent", "Thank you for contacting us. " + STEP),
                 ("customer", "I've done that every night. It doesn't help."), ("agent", "Apologies. " + STEP),
                 family="resolution")
    assert [(f, t, turn) for f, t, turn in found if f in ("resolution.steps", "resolution.repeated_step")] == [
        ("resolution.steps", STEP.rstrip("."), 1), ("resolution.repeated_step", STEP.rstrip("."), 3)]


@pytest.mark.parametrize("later", [
    "Please restart your router by unplugging it for 2 minutes.",  # a different step
    "Please check the cable is firmly in.",
])
def test_a_different_step_is_no_repeat(hits, later):
    found = hits(("customer", "My internet drops."), ("agent", STEP), ("customer", "Done, still dropping."),
                 ("agent", later), family="resolution")
    assert [f for f, _, _ in found if f == "resolution.repeated_step"] == []


def test_a_handoff_phrase_from_the_customer_is_not_the_agents(hits):
    found = hits(("customer", "I can see from your chat history that nobody answered."), ("agent", "Sorry."),
                 family="resolution")
    assert [f for f, _, _ in found if f in ("resolution.warm_handoff", "resolution.cold_transfer")] == []


@pytest.mark.parametrize("note, found", [
    ("Misdelivery: GPS drop at 14 Elm Row, customer is at 41. Emailed the depot lead to recover it today.",
     ["Misdelivery: GPS drop at 14 Elm Row, customer is at 41"]),
    ("cust wants supervisor. leaving for TL", []),  # too short to tell a colleague anything
    ("prob needs a swap. not sure if the Hub 5 warranty is 12 or 24 months?? check later", []),  # a guess
    ("customer is clueless, she sent it to the wrong address herself. not refunding lol", []),  # disparaging
])
def test_case_note_left_for_colleagues(analyze, note, found):
    report = analyze({"role": "customer", "text": "My parcel went to the wrong house."},
                     {"role": "agent", "text": "I'm on it.", "speaker": "Kenji"},
                     {"role": "agent", "text": note, "speaker": "Kenji", "internal": True})
    assert [e.text for e in report.evidence if e.feature == "resolution.case_note"] == found


def test_a_customer_facing_reply_is_no_case_note(analyze):
    report = analyze(("customer", "My parcel went to the wrong house."),
                     ("agent", "The driver left it at 14 Elm Row instead of 41; I've asked the depot to recover it."))
    assert [e for e in report.evidence if e.feature == "resolution.case_note"] == []


@pytest.mark.parametrize("customer", ["Can I talk to a human please?", "agent please",
                                      "I want to speak to a real person", "Let me speak to a live agent.",
                                      "Can I speak with a real person?"])
def test_asking_for_a_human_is_no_manager_request(hits, customer):
    found = hits(("bot", "Hi! I'm the virtual assistant. How can I help?"), ("customer", customer),
                 family="resolution")
    assert [f for f, _, _ in found] == ["resolution.human_request"]


def test_a_yes_to_the_bots_offer_of_an_agent_asks_for_a_human(hits):
    found = hits(("customer", "KT-55120"),
                 ("bot", "Sorry, I couldn't find that order. Would you like to talk to an agent?"),
                 ("customer", "yes"), family="resolution")
    assert [(f, t) for f, t, _ in found] == [("resolution.human_request", "yes")]
    declined = hits(("bot", "Would you like to talk to an agent?"), ("customer", "no thanks"), family="resolution")
    assert declined == []
