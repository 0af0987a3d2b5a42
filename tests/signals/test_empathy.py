"""empathy.*: tables of agent sentences per detector, context (responsiveness, bare "sorry"), over-apology, offsets."""

from __future__ import annotations

import pytest

NEUTRAL = "Hi, I have a question about my account settings."
EMOTIONAL = "I'm so upset and stressed, my parcel with my mum's birthday present never arrived."
PROBLEM = "My parcel never arrived."


@pytest.fixture(scope="module")
def agent(hits):
    """``agent(text, feature, customer=...)`` -> matched texts of ``feature`` in the agent's reply (turn 1)."""

    def run(text: str, feature: str, customer: str = NEUTRAL) -> list[str]:
        found = hits(("customer", customer), ("agent", text), family="empathy")
        return [t for f, t, turn in found if f == feature and turn == 1]

    return run


def rules(analyze, *turns, feature: str) -> list[tuple[str, str, int]]:
    report = analyze(*turns)
    return [(e.text, e.rule, e.turn) for e in report.evidence if e.feature == feature]


# --- emotional reactions -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # support style
    ("I'm so sorry to hear that your parcel went missing.", ["sorry to hear that"]),
    ("Oh no, that sounds really stressful!", ["Oh no", "that sounds really stressful"]),
    ("That's awful, thank you for telling us.", ["That's awful"]),
    ("How frustrating!", ["How frustrating"]),
    ("That's really disruptive when you're working from home.", ["That's really disruptive when"]),
    ("That's so frustrating for you.", ["That's so frustrating for you"]),
    ("Being declined at a pharmacy abroad is stressful.", ["Being declined at a pharmacy abroad is stressful"]),
    ("Having to chase us twice is really frustrating, I know.", ["Having to chase us twice is really frustrating"]),
    ("I'm sorry, being declined abroad is stressful.", ["being declined abroad is stressful"]),
    ("That's a horrible surprise to find on your statement.", ["That's a horrible surprise"]),
    ("I'm glad to hear the new router works.", ["I'm glad to hear"]),
    ("Take care and have a lovely evening.", ["Take care"]),
    # peer-support style (written for this test)
    ("Hang in there, it gets better.", ["Hang in there", "it gets better"]),
    ("You're not alone in feeling this way.", ["You're not alone"]),
    ("You\u2019re not alone.", ["You\u2019re not alone"]),
    ("youre not alone", ["youre not alone"]),
    ("Feel free to message me if you ever need someone to talk to.",
     ["Feel free to message", "if you ever need", "someone to talk to"]),
    ("Sending hugs, I hope you feel better soon.", ["Sending hugs", "hope you feel better"]),
    ("My heart goes out to you.", ["My heart goes out"]),
    ("Please don't do it, you matter.", ["Please don't do it", "you matter"]),
])
def test_emotional_reaction_positives(agent, text, expected):
    assert agent(text, "empathy.emotional_reaction") == expected


@pytest.mark.parametrize("text", [
    "Please send me the invoice.",
    "Hope this helps.",
    "I'm not sorry to hear that the promotion ended.",  # negated
    "Please DM me your account number.",  # a channel instruction, not an offer to listen
    "We're here to help, send us a DM.",  # reassurance, not an emotional reaction
    "Please don't hesitate to contact us.",
    "Sorry, what?",
    "It's hard to say when it will arrive.",
    "That is a hard drive issue.",
    "That's hard for me to say.",
    "This is difficult to answer without the order number.",
])
def test_emotional_reaction_negatives(agent, text):
    assert agent(text, "empathy.emotional_reaction") == []


def test_closing_wishes_are_weak(analyze):
    found = rules(analyze, ("customer", NEUTRAL), ("agent", "Good luck with the move!"),
                  feature="empathy.emotional_reaction")
    assert [t for t, _, _ in found] == ["Good luck"]
    report = analyze(("customer", NEUTRAL), ("agent", "Good luck with the move!"))
    assert [e.value for e in report.evidence if e.feature == "empathy.emotional_reaction"] == [0.5]


@pytest.mark.parametrize("text, expected", [
    ("Thanks for your patience.\n\nBest wishes,\nElena Varga", []),  # an email's sign-off: a farewell
    ("Take care,\nSam", []),
    ("All the best with the new flat, and take care.\n\nKind regards,\nSam", ["All the best", "take care"]),
    ("Hope this helps take care of things for you.", []),  # looking after something, no wish
])
def test_a_sign_off_is_no_closing_wish(agent, text, expected):
    assert agent(text, "empathy.emotional_reaction") == expected


# --- interpretations -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("I understand how frustrating this must be.", ["I understand", "how frustrating this must be"]),
    ("It sounds like you've been let down.", ["It sounds like you"]),
    ("That must be really hard.", ["must be really hard"]),
    ("I can only imagine how that felt.", ["I can only imagine"]),
    ("I can't imagine how stressful the move was.", ["can't imagine how"]),
    ("I've been in the same situation myself.", ["same situation"]),
    ("I know the feeling.", ["I know the feeling"]),
    ("I can relate to that.", ["I can relate"]),
    ("When I was at university I had panic attacks too.", ["When I was"]),
    ("I had the same problem with my old laptop.", ["I had the same"]),
    ("We understand your frustration.", ["We understand", "your frustration"]),
])
def test_interpretation_positives(agent, text, expected):
    assert agent(text, "empathy.interpretation") == expected


@pytest.mark.parametrize("text, expected", [
    ("I've also switched on an add-on block, so nothing new can be added.", []),  # an action
    ("I'm also sending you the label by email.", []),
    ("I also checked the courier's records.", []),
    ("I'm also sharing this case with our team so we can make the page clearer.", []),
    ("I also have the Cambridge Belfry, which is cheap.", []),  # another option
    ("Yes, I also found Dr. Hunt, who's an ophthalmologist.", []),
    ("I will be happy to cancel that if you need me too.", []),  # "to" mistyped
    ("I have also corrected the seat count on your account.", []),
    ("I've also been through a broken boiler in winter.", ["I've also"]),  # a shared experience
    ("I also have a similar problem with my phone.", ["I also"]),
])
def test_i_also_is_shared_experience_only_before_no_action(agent, text, expected):
    assert agent(text, "empathy.interpretation") == expected


def test_self_disclosure_is_a_sentence_level_interpretation(analyze):
    text = "Thanks for writing. My mum struggled with this for years. Let me check your plan."
    found = rules(analyze, ("customer", NEUTRAL), ("agent", text), feature="empathy.interpretation")
    assert found == [("My mum struggled with this for years.", "self-disclosure", 1)]


@pytest.mark.parametrize("text", [
    "I don't understand your question.",  # negated
    "I dont understand what you mean.",  # negation without apostrophe
    "I checked your account and the order shipped.",
    "I also checked the tracking page.",
    "Could I also ask you to send a screenshot?",
    "It can be difficult to assign the same seats.",
    "Please return my call at the number provided.",  # 'number' is not 'numb'
    "I'm sorry you feel this way.",  # the customer's feeling: an emotional reaction, not a disclosure
    "Do I understand that the flight is closed?",
    "I never felt that the app was slow.",
])
def test_interpretation_negatives(agent, text):
    assert agent(text, "empathy.interpretation") == []


# --- explorations --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("How are you feeling about all this?", ["How are you feeling about all this?"]),
    ("What happened when you tried to log in?", ["What happened when you tried to log in?"]),
    ("Can you tell me more about what happened?", ["Can you tell me more about what happened?"]),
    ("Tell me more about the problem.", ["Tell me more about the problem."]),
    ("How long has this been going on?", ["How long has this been going on?"]),
    ("Thanks. What happened?", ["What happened?"]),
    ("Have you talked to anyone about this?", ["Have you talked to anyone about this?"]),
    ("do you feel like it is getting worse", ["do you feel like it is getting worse"]),
])
def test_exploration_positives(agent, text, expected):
    assert agent(text, "empathy.exploration") == expected


@pytest.mark.parametrize("text", [
    "What's your order number?",  # asking for an identifier
    "Could you confirm the email address on the account?",
    "Could you please restart the app?",  # a request phrased as a question
    "Can you try clearing the cache?",
    "Could you write in English please?",
    "Could you print a test page to make sure it works?",
    "Can you speak a bit louder?",
    "Is there anything else I can help you with?",  # housekeeping
    "Does that make sense?",
    "Would you like me to send a replacement?",
    "Don't worry about it.",  # imperative, not a question
    "Do your best.",
    "I wonder where it went.",
    "What's happening is the line to your home is re-syncing.",  # a statement that opens like a question
    "What I can do is send you a new one",
    "Before we go any further, did you know you can get 50% off if you stay?",  # a sales pitch
    "Have you considered our Basic plan at £4.99?",
    "Did you actually read the quick start guide?",  # condescension, not interest
])
def test_exploration_negatives(agent, text):
    assert agent(text, "empathy.exploration") == []


# --- apologies -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Sorry for the delay in getting back to you.", ["Sorry for the delay"]),
    ("I apologise for the confusion.", ["apologise for the confusion"]),
    ("My apologies!", ["My apologies"]),
    ("I'm sorry, I can't find that order.", ["sorry"]),
    ("We're sorry your order is late.", ["sorry your order is late"]),
    ("Sorry you had to wait so long.", ["Sorry you had to wait"]),
    ("I'm sorry you didn't hear back, that's not okay.", ["sorry you didn't hear back"]),
    ("So sorry you haven’t received the refund yet.", ["sorry you haven’t received the refund yet"]),
    ("My bad, I sent the wrong link.", ["My bad"]),
    ("I'm so sorry about that, let me fix it.", ["sorry about that"]),
])
def test_apology_positives(agent, text, expected):
    assert agent(text, "empathy.apology", customer=PROBLEM) == expected


@pytest.mark.parametrize("text", [
    "No need to apologise!",
    "There's no need to apologize.",
    "I'm not sorry about that decision.",
    "Sorry?",
    "My bad experiences with this brand are over.",
    "I feel sorry for anyone stuck in that queue.",
    "We apologise for any inconvenience this may have caused.",  # a formula that names nothing
    "Sorry for any inconvenience.",
    "Our apologies for any inconvenience.",
])
def test_apology_negatives(agent, text):
    assert agent(text, "empathy.apology", customer=PROBLEM) == []


def test_bare_sorry_after_an_emotion_is_an_emotional_reaction(analyze):
    turns = (("customer", "I'm devastated, my dog died and now the parcel with his ashes is lost."),
             ("agent", "I'm so sorry."))
    assert rules(analyze, *turns, feature="empathy.emotional_reaction") == [
        ("sorry", "lexicon:empathy#sorry.any+context", 1)]
    assert rules(analyze, *turns, feature="empathy.apology") == []


def test_bare_sorry_after_a_plain_problem_is_an_apology(analyze):
    turns = (("customer", PROBLEM), ("agent", "I'm so sorry."))
    assert rules(analyze, *turns, feature="empathy.apology") == [("sorry", "lexicon:empathy#sorry.any", 1)]
    assert rules(analyze, *turns, feature="empathy.emotional_reaction") == []


# --- validation and reassurance ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("That's completely understandable.", ["completely understandable"]),
    ("You're right to be upset.", ["You're right to be"]),
    ("Anyone would be frustrated after that.", ["Anyone would be"]),
    ("I would be annoyed too.", ["I would be annoyed too"]),
    ("It's not your fault.", ["not your fault"]),
    ("Your feelings are valid.", ["Your feelings are valid"]),
    ("It's completely normal to feel nervous about this.", ["completely normal"]),
    # the customer is not the only one: a mistake made ordinary
    ("You're not hopeless at all, lots of people press that one.", ["You're not hopeless", "lots of people press"]),
    ("Honestly, you're not the only one who's missed it.", ["you're not the only one"]),
    ("It's an easy mistake to make.", ["easy mistake to make"]),
    ("That happens to the best of us.", ["happens to the best of us"]),
    ("i know it's not ideal in the meantime i can add a credit", ["i know it's not ideal"]),
    ("I know that's not what you wanted to hear.", ["not what you wanted to hear"]),
])
def test_validation_positives(agent, text, expected):
    assert agent(text, "empathy.validation") == expected


@pytest.mark.parametrize("text", ["That isn't understandable to me.", "Please validate your email.",
                                  "Anyone can sign up online.",
                                  "If it asks for your PIN, that's normal.",  # about the card, not a feeling
                                  "Lots of people have booked it already, so act fast.",
                                  "How many people do you need it for?",
                                  "It's easy to do: tap Settings, then Apps.",
                                  "A VPN is not ideal for streaming."])
def test_validation_negatives(agent, text):
    assert agent(text, "empathy.validation") == []


@pytest.mark.parametrize("text, expected", [
    ("Don't worry, we'll get this sorted for you.", ["Don't worry", "we'll get this sorted"]),
    ("You're in good hands.", ["You're in good hands"]),
    ("I'll make sure the refund goes through today.", ["I'll make sure"]),
    ("Rest assured the charge will be reversed.", ["Rest assured"]),
    ("Take your time.", ["Take your time"]),
    ("You're not slow at all, you're doing really well.", ["You're not slow", "you're doing really well"]),
    ("Your money is safe.", ["Your money is safe"]),
    ("Hi Margaret, I'm Leo and I'll help you with that.", ["I'll help you with that"]),
    ("Let's switch it back on together.", ["Let's switch it back on together"]),
    ("Your English is fine. I will help you.", ["Your English is fine", "I will help you"]),
])
def test_reassurance_positives(agent, text, expected):
    assert agent(text, "empathy.reassurance") == expected


@pytest.mark.parametrize("text", ["I'm not sure I can fix this.", "Make sure the cable is plugged in.",
                                  "I can't make sure of that.", "I'm afraid I won't help you with that.",
                                  "Let's not do that together."])
def test_reassurance_negatives(agent, text):
    assert agent(text, "empathy.reassurance") == []


# --- responsiveness ------------------------------------------------------------------------------------------------

def test_empathy_after_customer_emotion_is_responsive(analyze):
    found = rules(analyze, ("customer", EMOTIONAL), ("agent", "I'm so sorry to hear that."),
                  feature="empathy.responsive")
    assert found == [("sorry to hear that", "context:customer-emotion", 1)]


@pytest.mark.parametrize("problem", [
    "The app keeps crashing when I upload photos.",
    "I ordered a large jacket but received a medium.",
    "Hello, my parcel is for my trip next week. Can you help?",
    "Hi, yeah, my bill this month is double what it normally is.",
    "hi my printer says offline but its on and the wifi is fine",
])
def test_empathy_after_a_problem_is_responsive(analyze, problem):
    found = rules(analyze, ("customer", problem), ("agent", "I understand, let me check."),
                  feature="empathy.responsive")
    assert found == [("I understand", "context:customer-problem", 1)]


def test_empathy_without_customer_cue_is_not_responsive(analyze):
    assert rules(analyze, ("customer", NEUTRAL), ("agent", "I understand."), feature="empathy.responsive") == []


def test_responsiveness_reads_the_most_recent_customer_turn(analyze):
    turns = (("customer", EMOTIONAL), ("agent", "Let me look into it."), ("customer", "Ok, thanks."),
             ("agent", "I understand how you feel."))
    assert rules(analyze, *turns, feature="empathy.interpretation")  # the empathy is found...
    assert rules(analyze, *turns, feature="empathy.responsive") == []  # ...but "Ok, thanks." expressed nothing


# --- hard circumstances passed over ---------------------------------------------------------------------------------

JOB_LOST = "Hi, I got a bill for £112 and I can't pay it this month. I lost my job in October."
LATER_KIND = ("agent", "I'm sorry to hear that. We can set up a payment plan.")


def test_a_reply_that_goes_straight_past_hard_circumstances_is_passed_over(analyze):
    found = rules(analyze, ("customer", JOB_LOST),
                  ("agent", "Hello Dana, thanks for getting in touch. Can I take your account number please?"),
                  ("customer", "44120987"), LATER_KIND, feature="empathy.passed_over")
    assert found == [("Hello Dana, thanks for getting in touch.", "context:customer-told#circumstances.money", 1)]


@pytest.mark.parametrize("reply", [
    "I'm sorry to hear about your job, Dana. Can I take your account number please?",
    "That sounds really hard. Can I take your account number please?",
    "Don't worry, we'll find a way through this together.",
])
def test_a_reply_that_answers_the_circumstances_passes_nothing_over(analyze, reply):
    assert rules(analyze, ("customer", JOB_LOST), ("agent", reply), ("customer", "44120987"), LATER_KIND,
                 feature="empathy.passed_over") == []


def test_with_no_empathy_anywhere_nothing_is_passed_over(analyze):
    # the rubric's missing empathy says it: not twice
    assert rules(analyze, ("customer", JOB_LOST), ("agent", "Can I take your account number please?"),
                 ("customer", "44120987"), ("agent", "We can set up a payment plan."),
                 feature="empathy.passed_over") == []


def test_only_the_first_reply_after_the_circumstances_is_read(analyze):
    turns = (("customer", JOB_LOST), ("bot", "An agent will be with you shortly."),
             ("customer", "Hello?"),
             ("agent", "Dear Ms Lee,\n\nThank you for your message. What is your account number?"),
             ("customer", "44120987"), ("agent", "Thanks. The bill is correct."), LATER_KIND)
    found = rules(analyze, *turns, feature="empathy.passed_over")
    assert found == [("Dear Ms Lee,\n\nThank you for your message.", "context:customer-told#circumstances.money", 3)]


def test_older_age_calls_for_no_sympathy_so_none_is_passed_over(analyze):
    assert rules(analyze, ("customer", "I'm 82, I don't even go to town much. Someone used my card in Lisbon."),
                 ("agent", "Can I take your full name please?"), LATER_KIND, feature="empathy.passed_over") == []


def test_words_of_self_harm_passed_over(analyze):
    found = rules(analyze, ("customer", "Honestly I just want to end it all, nothing works any more."),
                  ("agent", "Please restart the router and try again."), LATER_KIND, feature="empathy.passed_over")
    assert [(turn, rule) for _, rule, turn in found] == [(1, "context:customer-told#vulnerable.harm")]


@pytest.mark.parametrize("customer", ["That doesn't answer my question. Is anyone actually reading these?",
                                      "5-7 days just to get a response? Did you even read my email?",
                                      "you didn't answer my questions", "You still haven't answered my questions."])
def test_a_customer_ignored_is_upset(analyze, customer):
    found = rules(analyze, ("customer", customer), ("agent", "You're right, and I'm sorry."),
                  feature="empathy.responsive")
    assert [rule for _, rule, _ in found] == ["context:customer-emotion"] * len(found) and found


@pytest.mark.parametrize("customer, upset", [
    ("I can see myself now in the little box!! oh thank you", False),  # joy
    ("Thank you so much, you are the best!!", False),
    ("Your support is useless!!", True),
    ("Raw meat!!!! It does not say unwrapped raw meat!!!", True),
    ("Why has my order not been emailed yet???", True),
    ("Do you ship to Canada??", False),  # eager, not upset
    ("yes please!! \U0001F64F", False),  # taking up an offer
    ("How am I supposed to contact the driver? You're the courier.", True),
    ("It is Monday and I have heard nothing since your email of Tuesday.", True),
    ("Nobody called this morning. The ceiling is bulging now.", True),
    ("Still nothing. This is the second day.", True),
    ("I still haven't received it. You said it would be back within 48 hours.", True),  # a promise broken
    ("It's been three weeks and nobody has told me anything.", True),
    ("You said you would call me.", True),
    ("I was told an engineer would call me on Monday to book a visit.", True),
    ("I was told to restart it, and it works now.", False),
    # words of feeling that, in a support conversation, mostly are not
    ("Just the postcode and entrance fee I am afraid.", False),  # the polite "I'm afraid"
    ("I'll be traveling alone on Sunday, for 2 nights.", False),
    ("The box arrived empty.", False),  # a problem, not a feeling
    ("My watch died at the gym tonight.", False),
    ("Since my husband passed away I feel so alone.", True),
    # a loss: a feeling, not the lost card of "I lost my card"
    ("My mum passed away last month and I need to close her account.", True),
    ("I lost my husband in May.", True),
    ("The funeral is on Friday, so I need it by Thursday.", True),
    ("A Madea Family Funeral works for me.", False),  # a film's title
    # disagreement and ultimatums
    ("The drivers left in two minutes. This is your mistake, not mine.", True),
    ("I want the green sofa before 12 December or a full refund.", True),
    ("That's not fair, I paid on time.", True),
    # threats to leave or to complain outside the company, and "nothing was done"
    ("If this isn't sorted today I'm cancelling and reporting you to my bank.", True),
    ("I'm ready to file a complaint with the Better Business Bureau.", True),
    ("I'll be taking my business elsewhere.", True),
    ("I was charged twice and nobody has done anything.", True),
    ("I will never fly with you again.", True),
    ("I'd like to cancel my membership, I'm moving abroad.", False),
    # the customer telling the agent they are being rude or condescending
    ("I read it. I'm not stupid. There's no need to be rude.", True),
    ("Please don't talk to me like that, it's patronising.", True),
])
def test_exclamations_are_upset_only_when_not_glad(analyze, customer, upset):
    found = rules(analyze, ("customer", customer), ("agent", "Thanks for letting me know."),
                  feature="tone.customer_emotion")
    assert bool(found) is upset


@pytest.mark.parametrize("customer, cue", [("A stone cracked my windscreen on the motorway.", "cracked"),
                                           ("The tap under the sink is leaking again.", "leaking"),
                                           ("Every time I log in it logs me out.", "Every time I log"),
                                           ("My order #5531 arrived without the charger.", "arrived without"),
                                           ("My partner's old laptop barely works.", "barely works"),
                                           ("It's now been almost three weeks.", "been almost three weeks"),
                                           ("I've been waiting a week for the engineer.", "waiting a week"),
                                           ("Your price went up again and I found a cheaper deal.", "price went up"),
                                           ("i got a bill for four hundred pounds and it's normally about ninety",
                                            "it's normally"),
                                           ("my package it say delivered but i not receive", "not receive"),
                                           ("Tracking says delivered but there's nothing here.", "says delivered")])
def test_problem_statements(analyze, customer, cue):
    found = rules(analyze, ("customer", customer), ("agent", "Thanks for letting me know."),
                  feature="tone.customer_problem")
    assert cue in [text for text, _, _ in found]


@pytest.mark.parametrize("customer", ["It's been a pleasure, thanks.", "It has been 3 years since I moved.",
                                      "Perfect, thanks for waiting with me."])
def test_time_that_passed_is_no_problem_by_itself(analyze, customer):
    found = rules(analyze, ("customer", customer), ("agent", "Thanks for letting me know."),
                  feature="tone.customer_problem")
    assert found == []


def test_dropping_off_is_no_problem(analyze):
    found = rules(analyze, ("customer", "Which station would I be dropping off at?"), ("agent", "Kings Cross."),
                  feature="tone.customer_problem")
    assert found == []


def test_negated_customer_emotion_is_no_cue(analyze):
    found = rules(analyze, ("customer", "I'm not angry, just curious about the plans."),
                  ("agent", "I understand."), feature="empathy.responsive")
    assert found == []


# --- over-apology --------------------------------------------------------------------------------------------------

def test_repeated_apology_phrase_is_over_apology(analyze):
    turns = (("customer", PROBLEM), ("agent", "Sorry for the inconvenience. Let me check."),
             ("customer", "Ok."), ("agent", "Sorry for the inconvenience, it is on its way."))
    assert rules(analyze, *turns, feature="empathy.over_apology") == [
        ("Sorry for the inconvenience", "repeat:apology-phrase", 3)]


def test_apologies_beyond_the_threshold_are_over_apology(analyze):
    turns = (("customer", PROBLEM),
             ("agent", "I apologise for the wait. Sorry about the confusion. My apologies. I am so sorry."))
    found = rules(analyze, *turns, feature="empathy.over_apology")
    assert found == [("sorry", "count:apologies", 1)]


def test_a_single_apology_is_fine(analyze):
    assert rules(analyze, ("customer", PROBLEM), ("agent", "Sorry for the wait!"),
                 feature="empathy.over_apology") == []


# --- roles, metamorphic and offsets ---------------------------------------------------------------------------------

def test_customer_and_internal_text_is_not_agent_empathy(hits):
    found = hits(("customer", "I'm so sorry to bother you, I understand you are busy."),
                 {"role": "agent", "text": "Customer sounds upset, I understand why.", "internal": True},
                 ("agent", "Your refund has been issued."), family="empathy")
    assert found == []


@pytest.mark.parametrize("before, empathy, after", [
    ("Thanks for reaching out.", "I'm so sorry to hear about the damaged parcel.", "A replacement ships today."),
    ("I've checked the order.", "That must be really frustrating.", "The courier will collect it on Monday."),
    ("Thanks for the details.", "How are you feeling about the move?", "The new address is saved."),
    ("The charge is reversed.", "You're right to be upset about it.", "It will show within five days."),
])
def test_removing_the_empathy_sentence_removes_the_evidence(analyze, before, empathy, after):
    def empathy_evidence(reply):
        report = analyze(("customer", EMOTIONAL), ("agent", reply))
        return [e for e in report.evidence if e.feature.startswith("empathy.")]

    with_it = empathy_evidence(f"{before} {empathy} {after}")
    assert with_it and all(empathy.startswith(e.text) or e.text in empathy for e in with_it)
    assert empathy_evidence(f"{before} {after}") == []


def test_offsets_point_at_the_evidence_text(analyze):
    report = analyze(
        ("customer", "  I\u2019m so frustrated!! The app crashed again \U0001F621 and I lost my work."),
        ("agent", "\n Oh no \u2014 I\u2019m so sorry to hear that. \U0001F64F How long has this been happening? "
                  "That must be really stressful. Sorry for the trouble. Sorry for the trouble."),
        ("customer", "Since Monday."),
        ("agent", "I understand. Don\u2019t worry, we\u2019ll get this sorted."),
    )
    found = [e for e in report.evidence if e.feature.startswith("empathy.")]
    assert {e.feature for e in found} >= {"empathy.emotional_reaction", "empathy.exploration", "empathy.interpretation",
                                          "empathy.apology", "empathy.reassurance", "empathy.responsive",
                                          "empathy.over_apology"}
    for e in found:
        assert report.transcript.turns[e.turn].text[e.start:e.end] == e.text
        assert e.text == e.text.strip() and e.text