"""listening.*: phrase tables, paraphrase, detail reuse, re-asks, customer repetition and unanswered questions."""

from __future__ import annotations

import pytest

NEUTRAL = "Hi, I need some help with my subscription please."


def found(hits, *turns, feature: str) -> list[tuple[str, int]]:
    return [(text, turn) for f, text, turn in hits(*turns, family="listening") if f == feature]


def rules(analyze, *turns, feature: str) -> list[tuple[str, str, int, float]]:
    report = analyze(*turns)
    return [(e.text, e.rule, e.turn, e.value) for e in report.evidence if e.feature == feature]


# --- acknowledgement and clarifying questions ------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("I see, thanks for explaining.", ["I see", "thanks for explaining"]),
    ("Got it.", ["Got it"]),
    ("Understood, I'll look into it.", ["Understood"]),
    ("That makes sense.", ["That makes sense"]),
    ("Thank you for letting me know.", ["Thank you for letting me know"]),
    ("Ah, I see what you mean.", ["I see what you mean"]),
    ("Right, so it's the line, not the wifi. That's useful.", ["That's useful"]),
    ("Thanks, that helps narrow it down.", ["that helps"]),
])
def test_acknowledgement_positives(hits, text, expected):
    assert [t for t, _ in found(hits, ("customer", NEUTRAL), ("agent", text),
                                feature="listening.acknowledgement")] == expected


@pytest.mark.parametrize("text", [
    "I see that your order shipped yesterday.",  # reading the account, not acknowledging
    "I don't see any charges on the card.",
    "Have you got it working now?",
    "I haven't got it yet.",
    "It doesn't make sense to reinstall.",
    "I'll follow up tomorrow.",
    "I hope that helps!",  # a closing line
    "Is that helpful?",
])
def test_acknowledgement_negatives(hits, text):
    assert found(hits, ("customer", NEUTRAL), ("agent", text), feature="listening.acknowledgement") == []


@pytest.mark.parametrize("text, expected", [
    ("Just to confirm, you were charged twice?", ["Just to confirm"]),
    ("Do you mean the mobile app?", ["Do you mean"]),
    ("So you're saying the app crashes on start?", ["So you're saying"]),
    ("To make sure I understand, the box was empty?", ["To make sure I understand"]),
    ("Can I check that the address is still correct?", ["Can I check that"]),
    ("Am I right that you ordered two?", ["Am I right that"]),
    ("If I understand correctly, the refund never arrived?", ["If I understand correctly"]),
    ("Thanks. To confirm, the parcel never arrived?", ["To confirm,"]),
    ("OK, so to clarify: it only drops in the evening?", ["to clarify:"]),
    ("I just wanted to confirm your destination. Will that be your hotel?", ["I just wanted to confirm"]),
])
def test_clarifying_positives(hits, text, expected):
    assert [t for t, _ in found(hits, ("customer", NEUTRAL), ("agent", text), feature="listening.clarifying")] \
        == expected


@pytest.mark.parametrize("text", ["I mean, the plan is fine.", "Please confirm your attendance by Friday.",
                                  "It is not correct to say that.",
                                  "I'll check the log on Wednesday and email you to confirm it's clean.",
                                  "I'll call you on Thursday afternoon to confirm the engineer's arrival time.",
                                  "It's okay to confirm by email if that's easier."])
def test_clarifying_negatives(hits, text):
    assert found(hits, ("customer", NEUTRAL), ("agent", text), feature="listening.clarifying") == []


def test_customer_and_internal_turns_are_not_agent_listening(hits):
    turns = (("customer", "I see, got it, thanks for explaining."),
             {"role": "agent", "text": "Got it, I see the issue now.", "internal": True},
             ("agent", "Your refund is on its way."))
    assert found(hits, *turns, feature="listening.acknowledgement") == []


# --- paraphrase ----------------------------------------------------------------------------------------------------

def test_paraphrase_of_the_customers_words(analyze):
    turns = (("customer", "The app keeps crashing whenever I upload photos from my gallery."),
             ("agent", "Thanks for reaching out. So the app crashes every time you upload photos from the gallery?"))
    found_ = rules(analyze, *turns, feature="listening.paraphrase")
    assert [(t, r, turn) for t, r, turn, _ in found_] == [
        ("So the app crashes every time you upload photos from the gallery?", "overlap:customer-words", 1)]
    assert 0.5 <= found_[0][3] <= 1.0


@pytest.mark.parametrize("agent", [
    "Let me check that for you.",
    "Thanks for contacting us, I'm happy to help today.",  # only common or ignored words
    "Please restart the router and try again.",  # unrelated content
])
def test_no_paraphrase(analyze, agent):
    turns = (("customer", "The app keeps crashing whenever I upload photos from my gallery."), ("agent", agent))
    assert rules(analyze, *turns, feature="listening.paraphrase") == []


def test_paraphrase_reads_the_opening_and_the_latest_customer_block(analyze):
    opening = (("customer", "My blender arrived with a cracked jug."), ("agent", "What's the order number?"),
               ("customer", "It's 55120."))
    summed_up = ("agent", "I'm sorry the blender arrived with a cracked jug.")
    assert [t for t, _, turn, _ in rules(analyze, *opening, summed_up, feature="listening.paraphrase")] == [
        "I'm sorry the blender arrived with a cracked jug."]
    greeted_first = (("customer", "Hello there."), ("agent", "Hi, how can I help?"), *opening)
    assert len(rules(analyze, *greeted_first, summed_up, feature="listening.paraphrase")) == 1
    middle = (("customer", "My toaster is fine but the kettle leaks."), ("agent", "Let me look."),
              ("customer", "My blender arrived with a cracked jug."), ("agent", "Let me look."),
              ("customer", "Also the lid is missing."))
    assert rules(analyze, *middle, summed_up, feature="listening.paraphrase") == []


# --- reuse of details ----------------------------------------------------------------------------------------------

def test_reuse_of_codes_and_emails(analyze):
    turns = (("customer", "My order PP-77310925 hasn't arrived, my email is jo.baker@example.com."),
             ("agent", "Thanks, I've found order PP-77310925 under jo.baker@example.com."))
    assert [(t, r) for t, r, _, _ in rules(analyze, *turns, feature="listening.detail_reuse")] == [
        ("PP-77310925", "reuse:code"), ("jo.baker@example.com", "reuse:email")]


@pytest.mark.parametrize("customer, agent, reused", [
    ("The reading on the meter is 46875.", "Your reading is 46,875.", ["46,875"]),
    ("Please send $1,490 to Abhinav.", "Sending $1,490 to Abhinav.", ["1,490"]),
    ("The reading on the meter is 46875.", "Your reading is 48,210.", []),
])
def test_a_number_written_with_thousands_separators_is_the_same_detail(analyze, customer, agent, reused):
    found = rules(analyze, ("customer", customer), ("agent", agent), feature="listening.detail_reuse")
    assert [t for t, r, _, _ in found if r == "reuse:code"] == reused


def test_reuse_of_name_and_product(analyze):
    turns = (("customer", "Hi, my name is Priya and my iPhone keeps restarting."),
             ("agent", "Hi Priya, I'm sorry your iPhone is restarting."))
    assert [(t, r) for t, r, _, _ in rules(analyze, *turns, feature="listening.detail_reuse")] == [
        ("Priya", "reuse:name"), ("iPhone", "reuse:product")]


@pytest.mark.parametrize("answer, found", [
    ("It's Grace Mensah.", [("Grace", "reuse:name")]),
    ("Grace Mensah", [("Grace", "reuse:name")]),
    ("Yes, it's Grace.", [("Grace", "reuse:name")]),
    ("Sure, one moment, I'm just finding my glasses.", []),  # no name given
])
def test_a_name_given_when_asked_for_is_the_customers(analyze, answer, found):
    turns = ({"role": "agent", "speaker": "SPEAKER_00", "text": "Can I take the account holder's name?"},
             {"role": "customer", "speaker": "SPEAKER_01", "text": answer},
             {"role": "agent", "speaker": "SPEAKER_00", "text": "Thanks Grace, I can see the account."})
    assert [(t, r) for t, r, _, _ in rules(analyze, *turns, feature="listening.detail_reuse")] == found


def test_reuse_of_speaker_name_phone_and_date(analyze):
    turns = ({"role": "customer", "speaker": "Maria Lopez",
              "text": "It was due on 12 March, please call me on 020 7946 0958."},
             {"role": "agent", "speaker": "Tom", "text": "Maria, I'll call 020 7946 0958 about the 12 March delivery."})
    assert [(t, r) for t, r, _, _ in rules(analyze, *turns, feature="listening.detail_reuse")] == [
        ("Maria", "reuse:name"), ("020 7946 0958", "reuse:phone"), ("12 March", "reuse:date")]


def test_details_the_agent_gave_first_are_not_reuse(analyze):
    turns = (("customer", NEUTRAL), ("agent", "Your new reference is AB-123456."),
             ("customer", "Thanks, AB-123456 noted."), ("agent", "AB-123456 will be processed today."))
    assert rules(analyze, *turns, feature="listening.detail_reuse") == []


def test_common_capitalised_words_are_not_products(analyze):
    turns = (("customer", "@Brand Sorry, Imagine my surprise when the box was empty."),
             ("agent", "I'm sorry, imagine that. Let me help."))
    assert rules(analyze, *turns, feature="listening.detail_reuse") == []


# --- re-asking for details -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("customer, agent, rule", [
    ("My order 48213 never arrived.", "Can I have your order number?", "reask:order_number"),
    ("Hi, my email is sam@example.com and I can't log in.", "What's your email address?", "reask:email"),
    ("Please call me back on +44 20 7946 0958.", "Could you give me your phone number?", "reask:phone"),
    ("My name is Priya Shah and my card was declined.", "May I have your full name please?", "reask:name"),
    ("My Galaxy tablet won't charge.", "What device are you using?", "reask:device"),
    ("My account number is 99812345 and it is locked.", "Can you provide your account number?", "reask:account"),
])
def test_reask_for_a_given_field(analyze, customer, agent, rule):
    assert [(t, r) for t, r, _, _ in rules(analyze, ("customer", customer), ("agent", agent),
                                           feature="listening.reask")] == [(agent, rule)]


@pytest.mark.parametrize("customer, agent", [
    ("My order 48213 never arrived.", "Is your order number 48213?"),  # a confirmation that uses the value
    ("My parcel never arrived.", "Can I have your order number?"),  # never given
    ("Hi, my email is sam@example.com.", "For security, can you confirm your email address?"),
    ("My order 48213 never arrived.", "Your order number is noted."),  # not a request
    ("My Galaxy tablet won't charge.", "Please restart your device."),
    ("My iPhone keeps restarting.", "Which model do you have and is iOS 11.1 installed on it?"),  # more than said
])
def test_no_reask(analyze, customer, agent):
    assert rules(analyze, ("customer", customer), ("agent", agent), feature="listening.reask") == []


def test_a_code_given_in_answer_to_the_bot_is_given(analyze):
    turns = (("customer", "My parcel says delivered but it's not here"),
             ("bot", "Sorry to hear that! Can you give me your tracking number?"), ("customer", "PX-4421907"),
             ("agent", "Hi Lena, I'm Chris. Can I have your tracking number please?"))
    assert [(t, r) for t, r, _, _ in rules(analyze, *turns, feature="listening.reask")] == [
        ("Can I have your tracking number please?", "reask:order_number")]
    unasked = (turns[0], ("bot", "Sorry to hear that!"), turns[2], turns[3])
    assert rules(analyze, *unasked, feature="listening.reask") == []  # nothing said what the code was


def test_reask_later_in_the_conversation(hits):
    turns = (("customer", "Hi, my order 48213 arrived broken."), ("agent", "I'm sorry about that."),
             ("customer", "What can you do?"), ("agent", "Sure, what is the order number?"))
    assert found(hits, *turns, feature="listening.reask") == [("Sure, what is the order number?", 3)]


# --- the customer repeating themselves -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("As I said, the screen is cracked.", ["As I said"]),
    ("I already told you my address!", ["I already told"]),
    ("Again, the refund hasn't arrived.", ["Again,"]),
    ("Like I said before, it does not turn on.", ["Like I said"]),
    ("Are you even reading my messages? I said I already restarted it.", ["I said I already"]),
    ("I've already tried that, twice.", ["I've already tried"]),
    ("Please just cancel it. This is the third time I'm asking.", ["third time I'm asking"]),
    ("This is the 2nd time I have requested a refund.", ["2nd time I have requested"]),
    ("Are you even listening to me? CANCEL IT.", ["Are you even listening"]),
    ("You're not listening, I want a refund.", ["You're not listening"]),
    ("I don't want an upgrade. I've asked twice now. Please just cancel it.", ["I've asked twice now"]),
    ("I have asked for a refund three times in this chat!", ["I have asked for a refund three times in"]),
    ("I said it twice. The box was empty.", ["I said it twice."]),
    ("I just explained everything to Sofia. My broadband doesn't work.", ["I just explained"]),
    ("77120455. Seriously, I gave it already.", ["I gave it already"]),
    ("I don't want to return anything. I asked about changing the ADDRESS.", ["I asked about"]),
    ("That's not what I asked. Can I change the date?", ["That's not what I asked"]),
    ("I know it's correct, I'm saying I can't afford it right now", ["I'm saying"]),  # correcting the reply
    ("No, that's not what I said. I need it at one pm.", ["not what I said"]),
    ("What I'm saying is the router works but the wifi doesn't.", ["What I'm saying is"]),
    ("I'm not asking for a refund, I want a new one.", ["I'm not asking"]),
    ("I'm saying thanks for the help, that's all.", []),
    ("I'm saying this because it happened last year too.", []),
    ("It was the third time I flew with you this year.", []),  # no asking again
    ("I asked the driver twice to leave it in the porch.", []),  # asking someone else
    ("We asked the hotel three times for a cot.", []),
])
def test_repeat_markers(hits, text, expected):
    turns = (("agent", "Hello, how can I help?"), ("customer", text))
    assert [t for t, _ in found(hits, *turns, feature="listening.customer_repeat")] == expected


@pytest.mark.parametrize("text, expected", [
    ("I've given it to you people three times already. KL-77120", ["given it to you people three times already"]),
    ("I gave you my order number twice already.", ["gave you my order number twice already"]),
    ("I've restarted it three times already.", []),
])
def test_repeats_from_earlier_contacts_are_their_own_signal(hits, text, expected):
    turns = (("agent", "Could you give me the order number?"), ("customer", text))
    assert [t for t, _ in found(hits, *turns, feature="listening.customer_repeat_earlier")] == expected
    assert found(hits, *turns, feature="listening.customer_repeat") == []  # not this agent's doing


@pytest.mark.parametrize("text", ["As I said on the phone yesterday, the screen is cracked.",
                                  "Once again my parcel has not arrived.", "I've asked twice now. Cancel my plan."])
def test_a_repeat_marker_before_any_reply_points_to_earlier_contacts(hits, text):
    opening = found(hits, ("customer", text), ("agent", "Hello, how can I help?"), feature="listening.customer_repeat")
    earlier = found(hits, ("customer", text), ("agent", "Hello, how can I help?"),
                    feature="listening.customer_repeat_earlier")
    assert opening == [] and [turn for _, turn in earlier] == [0]
    later = (("customer", "Hi."), ("agent", "Hello, how can I help?"), ("customer", text))
    assert [turn for _, turn in found(hits, *later, feature="listening.customer_repeat")] == [2]


@pytest.mark.parametrize("text", ["I'm saying this as a customer of six years: the bill is wrong.",
                                  "The driver said that's not what I said on the form."])
def test_a_correction_before_any_reply_corrects_nothing(hits, text):
    turns = (("customer", text), ("agent", "Hello, how can I help?"))
    assert found(hits, *turns, feature="listening.customer_repeat") == []
    assert found(hits, *turns, feature="listening.customer_repeat_earlier") == []


def test_a_repeat_from_earlier_contacts_flags_but_costs_no_skill(analyze):
    asked = (("customer", "My refund never came."), ("agent", "I'm sorry. Could you give me the order number?"))
    plain = analyze(*asked, ("customer", "It's KL-77120."))
    again = analyze(*asked, ("customer", "I've given it to you people three times already. KL-77120"))
    assert "TC108" in {f.code for f in again.flags} and "TC108" not in {f.code for f in plain.flags}
    for skill in ("active_listening", "adaptability", "teamwork"):
        assert again.skills[skill].score == plain.skills[skill].score


@pytest.mark.parametrize("text", ["I tried again, still broken.", "Can you say that again?",
                                  "I said thanks to the driver."])
def test_repeat_marker_near_misses(hits, text):
    assert found(hits, ("agent", "Hello, how can I help?"), ("customer", text),
                 feature="listening.customer_repeat") == []


def test_a_customer_turn_that_repeats_an_earlier_one(analyze):
    first = "My refund for the broken blender hasn't arrived in my bank account."
    again = "My refund for the broken blender still hasn't arrived in my bank account!"
    turns = (("customer", first), ("agent", "Thanks for waiting."), ("customer", again))
    found_ = rules(analyze, *turns, feature="listening.customer_repeat")
    assert [(t, r, turn) for t, r, turn, _ in found_] == [(again, "overlap:earlier-customer-turn", 2)]
    assert found_[0][3] >= 0.6


def test_repeating_before_any_reply_is_not_counted(analyze):
    first = "My refund for the broken blender hasn't arrived in my bank account."
    turns = (("customer", first), ("customer", first), ("agent", "Let me check."))
    assert rules(analyze, *turns, feature="listening.customer_repeat") == []


# --- unanswered questions ------------------------------------------------------------------------------------------

def test_question_with_an_unrelated_reply_is_unanswered(analyze):
    turns = (("customer", "Hello. When will my refund arrive?"),
             ("agent", "Thanks for contacting us, have a nice day."))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == [
        ("When will my refund arrive?", "question:unaddressed", 0, 1.0)]


OPEN = (("customer", "I was charged after I cancelled."), ("agent", "I've raised a refund for the £39.99."),
        ("customer", "ok good. can you tell me when the refund will show up on my card"))


def test_offering_to_close_with_a_question_open_closes_over_it(analyze):
    turns = (*OPEN, ("agent", "Is there anything else I can help you with today?"))
    assert rules(analyze, *turns, feature="listening.closed_over") == [
        ("Is there anything else I can help you with", "closing:question-open", 3, 1.0)]


@pytest.mark.parametrize("turns", [
    (*OPEN, ("agent", "It will show in 5-10 working days. Is there anything else I can help you with?")),  # answered
    (("customer", "I was charged after I cancelled."),
     ("agent", "I've raised a refund for the £39.99. Is there anything else I can help you with?")),  # none open
    (*OPEN, ("bot", "Is there anything else I can help you with?")),  # a bot's menu is no agent's doing
])
def test_offering_to_close_with_nothing_open_closes_over_nothing(analyze, turns):
    assert rules(analyze, *turns, feature="listening.closed_over") == []


@pytest.mark.parametrize("question, reply", [
    ("Is there a British restaurant in the centre?", "There isn't, I'm sorry, could there be anything else?"),
    ("yes is it refundable?", "sorry it is not. anything else?"),
    ("What films are playing today?", "I'm sorry. I don't have that information. Can I help you with anything else?"),
    ("Do they have a full bar?", "They do not serve liquor."),
    ("How humid will it be?", "Humidity will be around 18%."),  # another form of the word the question used
    ("Who is the director?", "The movie is directed by Jia Zhangke."),
])
def test_a_short_no_or_another_form_of_the_word_answers_the_question(analyze, question, reply):
    turns = (("customer", question), ("agent", reply))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == []
    assert rules(analyze, *turns, feature="listening.closed_over") == []


@pytest.mark.parametrize("question", ["So why is this happening", "ok so can you refund it or not"])
def test_words_before_a_question_leave_it_a_question(analyze, question):
    turns = (("customer", question), ("agent", "Thanks for contacting us, have a nice day."))
    assert [r for _, r, _, _ in rules(analyze, *turns, feature="listening.unanswered_question")] == [
        "question:unaddressed"]


@pytest.mark.parametrize("complaint", ["could you not have said that 15 minutes ago",
                                       "can you just answer the question"])
def test_a_complaint_put_as_a_question_is_no_question_but_upset(analyze, complaint):
    turns = (("customer", complaint), ("agent", "Thanks for contacting us, have a nice day."))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == []
    assert rules(analyze, *turns, feature="tone.customer_emotion")


def test_a_statement_that_opens_like_a_question_is_none(analyze):
    turns = (("customer", "What is happening is the app keeps crashing on my phone"),
             ("agent", "Thanks for contacting us, have a nice day."))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == []


@pytest.mark.parametrize("agent", [
    "Your refund will arrive within five days.",  # shares a content word
    "Unfortunately that takes a while.",  # answer word
    "Yes, it is on its way.",
])
def test_answered_questions(analyze, agent):
    turns = (("customer", "When will my refund arrive?"), ("agent", agent))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == []


@pytest.mark.parametrize("question, reply, unanswered", [
    ("When will my order arrive?", "It's due on Friday by 6pm.", False),  # a time answers "when"
    ("When will my order arrive?", "Let me check that now. Have a good morning!", True),
    ("Why was I charged twice?", "The first payment failed and the retry went through.", False),  # a cause
    ("Why was I charged twice?", "I'm so sorry about that.", True),
    ("but why this happen?", "My colleague explained it: the shop is registered in Spain.", False),
    ("but why this happen?", "I'm not sure why the notice didn't stop it, so I'll ask our team.", False),
    ("Can it export a whole year at once?", "I'm not sure, to be honest. Let me check with our product team.", False),
    ("Can it export a whole year at once?", "Let me find out and email you today.", False),  # not known yet
    ("Did my replacement card get sent?", "Hi! GREAT NEWS, it was posted yesterday.", False),  # an answer's opening
    ("Where do I put the code?", "It's on the first screen.", False),  # a place answers "where"
    ("Where do I put the code?", "Thanks for your patience.", True),
    ("Can it export a whole year at once?", "Let me check that now. Have a good morning!", True),
    ("How much is the upgrade?", "It's $4.99 a month.", False),  # a price
    ("How much is the upgrade?", "Thanks for your patience.", True),
    ("ok, any news?", "There is an outage in your area; it should be fixed by 2pm.", False),  # a status
    ("ok, any news?", "Thank you for waiting.", True),
    ("Ok. So what happens now?", "I've booked an engineer for Thursday between 8am and 1pm.", False),  # next steps
    ("So what happens now?", "Thanks for your patience.", True),
    ("Seven minutes. Right. So what happens now?", "If you can give me a reading now, I'll recalculate it.", False),
    ("Thanks. What's their phone number?", "You can call them on 510-990-7007.", False),  # a phone number
    ("May I know their number?", "It's (020) 7946 0958.", False),
    ("What's their phone number?", "Sorry, I couldn't book it for 2 at 11 am.", True),  # digits, but no phone number
    ("Do you have an email for complaints?", "Yes: write to complaints@shop.example and we'll reply within a day.",
     False),
    ("Where can I download the returns form?", "It's at https://shop.example/returns", False),  # a link
    ("Where is my order?", "Please reach us here: https://shop.example/help", True),  # a link tells no whereabouts
    # a yes/no question's auxiliary taken up with a subject answers it, without "yes" or "no"
    ("Booked 17/03 then. Will I get a new letter?", "You'll get an SMS on the day.", False),
    ("Can it come another day?", "It can come on the 16th, 17th or 19th.", False),
    ("Can it come another day?", "You can reschedule using the link in the delivery email.", True),  # its subject
    ("Do they take orders to go?", "I'm sorry, they do not do take-out.", False),
    ("Is there a train after 8 on Wednesday?", "There is. The 08:01 gets in at 10:52.", False),
    ("Will they refund the fee?", "Can you send me the order number? Is there anything else I can help with?", True),
    ("Will they refund the fee?", "Thanks. We will look at your account now.", True),  # another subject
])
def test_a_reply_of_the_kind_asked_for_answers(analyze, question, reply, unanswered):
    found = rules(analyze, ("customer", question), ("agent", reply), feature="listening.unanswered_question")
    assert bool(found) is unanswered


def test_question_left_when_the_customer_asks_again(analyze):
    turns = (("customer", "Do you ship to Canada?"), ("agent", "Thanks for your message."),
             ("customer", "Can I pay with PayPal?"), ("agent", "Yes, PayPal works."))
    assert [(t, r) for t, r, _, _ in rules(analyze, *turns, feature="listening.unanswered_question")] == [
        ("Do you ship to Canada?", "question:unaddressed")]


def test_a_later_reply_can_answer(analyze):
    turns = (("customer", "Do you ship to Canada?"), ("agent", "Let me check with the team."),
             ("customer", "ok"), ("agent", "We do ship to Canada."))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == []


def test_question_at_the_end_of_the_conversation(analyze):
    turns = (("agent", "Your order is confirmed."), ("customer", "Great, can I change the delivery address later?"))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == [
        ("Great, can I change the delivery address later?", "question:no-reply", 1, 0.0)]


@pytest.mark.parametrize("customer", ["How are you?", "I wonder why.", "When I log in, it crashes.",
                                      "are you stupid? I gave it last time.", "Seriously?",
                                      "What is wrong with you people?", "Is anyone actually reading these?",
                                      "5-7 days just to get a response?", "Are you people idiots?",
                                      "Fix it. Are you guys incompetent?"])
def test_not_flagged_as_unanswered_questions(analyze, customer):
    turns = (("customer", customer), ("agent", "Thanks for the message."))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == []


@pytest.mark.parametrize("customer, question", [
    ("It'll be refunded to my card, won't it", True),  # a question tag after a comma, without "?"
    ("I can still use the old card until then, can't I", True),
    ("I'll pay the rest on Friday, is that ok", True),
    ("So the refund goes back to my card, right", True),
    ("The box was already open, I think", False),
    ("Turn the router off, right now", False),
    ("Ok, right", False),  # too short to be a statement with a tag
    ("I tried that, it didn't work", False),
    ("Thanks, that's fine", False),
])
def test_a_question_tag_without_a_question_mark_asks(analyze, customer, question):
    turns = (("customer", customer), ("agent", "Thanks for the message."))
    assert bool(rules(analyze, *turns, feature="listening.unanswered_question")) is question


def test_a_real_question_with_an_emphatic_word_still_needs_an_answer(analyze):
    turns = (("customer", "Can you really refund the delivery fee?"), ("agent", "Thanks for the message."))
    assert len(rules(analyze, *turns, feature="listening.unanswered_question")) == 1


def test_a_question_that_echoes_the_agent_is_a_reaction_answered_by_any_reply(analyze):
    turns = (("customer", "My line keeps dropping."), ("agent", "I've booked an engineer for Thursday."),
             ("customer", "Thursday? That's three more nights."), ("agent", "I know, and I'm sorry."))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == []
    asked = (("customer", "My line keeps dropping."), ("agent", "I've booked an engineer for Thursday."),
             ("customer", "Friday? Can it be Friday instead?"), ("agent", "I know, and I'm sorry."))
    assert len(rules(analyze, *asked, feature="listening.unanswered_question")) == 2  # not an echo: a request


def test_a_short_question_is_about_the_sentence_before_it(analyze):
    turns = (("customer", "my bank show two payment. why is double?"),
             ("agent", "I can see one payment of 12 euros. The second line is a temporary check."))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == []
    unrelated = (("customer", "my bank show two payment. why is double?"), ("agent", "Hello, I'm Anna."))
    assert len(rules(analyze, *unrelated, feature="listening.unanswered_question")) == 1
    longer = (("customer", "My bank shows two payments. Why did the refund go to the wrong card?"),
              ("agent", "I can see one payment of 12 euros."))
    assert len(rules(analyze, *longer, feature="listening.unanswered_question")) == 1  # a question of its own


def test_question_without_content_words_is_answered_by_any_reply(analyze):
    turns = (("customer", "Can you help me?"), ("agent", "Hello, my name is Tom."))
    assert rules(analyze, *turns, feature="listening.unanswered_question") == []


# --- offsets -------------------------------------------------------------------------------------------------------

def test_offsets_point_at_the_evidence_text(analyze):
    report = analyze(
        {"role": "customer", "speaker": "Ana",
         "text": "  Hi \U0001F44B my order #48213 hasn\u2019t arrived, email ana@example.org. Why is it late?"},
        ("agent", "\n I see. Just to confirm, order 48213 for ana@example.org? Can I have your order number?"),
        ("customer", "As I said, my order #48213 hasn\u2019t arrived, email ana@example.org!"),
        ("agent", "Got it, Ana."),
    )
    found_ = [e for e in report.evidence if e.feature.startswith("listening.")]
    assert {e.feature for e in found_} >= {"listening.acknowledgement", "listening.clarifying",
                                           "listening.detail_reuse", "listening.reask", "listening.customer_repeat",
                                           "listening.unanswered_question"}
    for e in found_:
        assert report.transcript.turns[e.turn].text[e.start:e.end] == e.text
        assert e.text == e.text.strip() and e.text


def test_long_hostile_input_is_fast(analyze):
    import time

    text = "1-" * 5000 + "a" * 20000 + "@" * 5000 + " 555 " * 2000
    start = time.perf_counter()
    analyze(("customer", text + "?"), ("agent", text))
    assert time.perf_counter() - start < 10


def test_are_you_even_listening_is_no_question_to_answer(hits):
    turns = (("customer", "I want to cancel."), ("agent", "Have you seen our Basic plan?"),
             ("customer", "Are you even listening to me? Cancel it."), ("agent", "Okay, I'll process that."))
    assert found(hits, *turns, feature="listening.unanswered_question") == []


def test_an_instruction_answers_what_to_do(hits):
    turns = (("customer", "The cover arrived torn."), ("agent", "I've sent a new copy."),
             ("customer", "That's amazing, thank you! What do I do with the torn one?"),
             ("agent", "Please keep it, there's no need to send it back."))
    assert found(hits, *turns, feature="listening.unanswered_question") == []


def _customer_speakers(report):
    return [t.speaker for t in report.transcript.turns if t.role == "customer"]


@pytest.mark.parametrize("label, asked, answer, name", [
    ("SPEAKER_01", "Can I take your name please?", "It's Grace Mensah.", "Grace"),
    ("Customer", "How can I help?", "Hi, my name is Tomasz and my router is down.", "Tomasz"),
    (None, "Who am I speaking with?", "This is Amara.", "Amara"),
])
def test_a_customer_labelled_without_a_name_is_named_after_the_name_they_give(analyze, label, asked, answer, name):
    report = analyze({"role": "customer", "speaker": label, "text": "hello, my bill is wrong"},
                     {"role": "agent", "speaker": "Jonah", "text": asked},
                     {"role": "customer", "speaker": label, "text": answer},
                     {"role": "agent", "speaker": "Jonah", "text": "Thanks, let me check."})
    assert _customer_speakers(report) == [name, name]  # every turn of that speaker, from the first
    assert [w for w in report.warnings if "giving their name" in w] == [
        f"roles: customer {label or '(no name)'!r} named {name!r} after giving their name in turn 3"]


@pytest.mark.parametrize("speaker, asked, answer", [
    ("SPEAKER_01", "How can I help?", "It's Grace."),  # not asked for a name: "It's Grace" may be anything
    ("SPEAKER_01", "Sorted, anything else?", "No, that's all. Thanks, Jonah"),  # the agent's name, not theirs
    ("SPEAKER_01", "How can I help?", "I'm American, so I need a US plug."),
    ("SPEAKER_01", "Please DM us.", "Late? I never got it. I am DMing you the details."),
    ("Dana Kim", "Can I take your name please?", "It's Dana."),  # already named
])
def test_a_customer_is_not_renamed_without_a_name_of_their_own(analyze, speaker, asked, answer):
    report = analyze({"role": "customer", "speaker": speaker, "text": "hello, my bill is wrong"},
                     {"role": "agent", "speaker": "Jonah", "text": asked},
                     {"role": "customer", "speaker": speaker, "text": answer})
    assert _customer_speakers(report) == [speaker, speaker]
    assert not [w for w in report.warnings if "giving their name" in w]


def test_an_answer_form_the_code_does_not_know_is_refused():
    from transcript_coach.errors import DataFileError
    from transcript_coach.signals.listening import _forms

    assert _forms(["phone", "link"]) == {"phone", "link"}
    with pytest.raises(DataFileError, match="unknown form 'fax'"):
        _forms(["fax"])


def test_handles_are_no_shared_words(analyze):
    """@handles address people: a thread whose turns all tag the same brands repeats nothing and paraphrases no one."""
    tags = "@Tesco @sainsburys @AldiUK @Morrisons @marksandspencer"
    report = analyze(("customer", f"{tags} Who makes the best mince pies this year?"),
                     ("agent", f"{tags} Ours, obviously! Sloe gin in every one."),
                     ("customer", f"{tags} Results are in: a tie!"),
                     ("agent", f"{tags} We'll take it."))
    assert not [e for e in report.evidence if e.feature in ("listening.customer_repeat", "listening.paraphrase")]
