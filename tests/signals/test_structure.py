"""structure.*: greeting, self-introduction, the customer's name, closing question, thanks, farewell."""

from __future__ import annotations

import pytest


def _found(hits, *turns, feature, **kwargs):
    return [(text, turn) for f, text, turn in hits(*turns, family="structure", **kwargs) if f == feature]


@pytest.mark.parametrize("text, greeting", [
    ("Hi Maria, thanks for reaching out.", "Hi"),
    ("Good morning! How can I help?", "Good morning"),
    ("Hello there, what seems to be the problem?", "Hello there"),
    ("Welcome to Acme support.", "Welcome to"),
    ("Dear Mr Jones,\n\nThank you for your email.", "Dear"),
    ("Thanks for waiting. Hey, how can I help?", "Hey"),
    ("Thanks for calling Nimbus Fit, this is Dev.", "Thanks for calling"),  # how a call opens
])
def test_greeting_in_first_agent_turn(hits, text, greeting):
    assert _found(hits, ("customer", "my order is late"), ("agent", text), feature="structure.greeting") == [
        (greeting, 1)]


@pytest.mark.parametrize("text", [
    "I said hi to the courier for you.",  # not at the start of a sentence
    "Oh dear, that is not good.",
    "Let me look. This is odd. One more thing. Hello?",  # past the opening sentences
])
def test_not_a_greeting(hits, text):
    assert _found(hits, ("customer", "my order is late"), ("agent", text), feature="structure.greeting") == []


def test_greeting_only_counts_in_the_first_agent_turn(hits):
    found = _found(hits, ("agent", "Your order is on its way."), ("customer", "hi"), ("agent", "Hello again!"),
                   feature="structure.greeting")
    assert found == []


def test_customer_greeting_is_not_the_agents(hits):
    assert _found(hits, ("customer", "Hello, my order is late"), ("agent", "Sorry to hear that."),
                  feature="structure.greeting") == []


@pytest.mark.parametrize("text, intro", [
    ("My name is Sam and I'll be helping you today.", "My name is Sam"),
    ("Hi, my name's Priya Shah.", "my name's Priya Shah"),
    ("You're speaking with Priya today.", "You're speaking with Priya"),
    ("This is Sam from Acme support.", "This is Sam"),
    ("Hi, I'm Sam, your support agent.", "I'm Sam"),
    ("Hello! Priya here from billing.", "Priya here"),
])
def test_introduction(hits, text, intro):
    assert _found(hits, ("customer", "hi"), ("agent", text), feature="structure.introduction") == [(intro, 1)]


@pytest.mark.parametrize("text", [
    "I'm happy to help with that.",
    "This is great news.",
    "I'm Sorry to hear that.",
    "This is Important: please read.",
    "I'm sure it will arrive.",
    "I'm going to check.",
    "Check here: https://example.com",
    "Steps here: open the app.",
])
def test_not_an_introduction(hits, text):
    assert _found(hits, ("customer", "hi"), ("agent", text), feature="structure.introduction") == []


@pytest.mark.parametrize("text, intro", [("Hi, this is Bea.", "this is Bea"),
                                         ("Hello! Bea here, how can I help?", "Bea here")])
def test_introduction_uses_the_agent_speaker_name(analyze, text, intro):
    report = analyze({"role": "customer", "text": "hi"}, {"role": "agent", "speaker": "Bea", "text": text})
    assert [e.text for e in report.evidence if e.feature == "structure.introduction"] == [intro]


def _speakers(report):
    return [(t.role, t.speaker) for t in report.transcript.turns]


@pytest.mark.parametrize("label, text, name", [
    ("SPEAKER_00", "Thank you for calling Northwind, my name is Priti, how can I help?", "Priti"),
    ("Agent", "Hi, my name's Priya Shah.", "Priya Shah"),
    ("Rep", "Hello! Bea here from billing.", "Bea"),
    ("Speaker 1", "You're speaking with Lucia today.", "Lucia"),
    (None, "Hi, I'm Sam, your support agent.", "Sam"),
    ("SPEAKER_00", "Good afternoon, you're through to Fernway Bank, my name is Joel.", "Joel"),  # not the bank
    ("Speaker 1", "thanks for calling northwind energy my name is dev how can i help you today", "Dev"),  # speech
    ("Agent", "thank you for calling northpoint energy this is maria how can i help", "Maria"),
    ("Agent", "northpoint energy this is maria speaking", "Maria"),
])
def test_an_agent_labelled_without_a_name_is_named_after_their_introduction(analyze, label, text, name):
    report = analyze({"role": "customer", "speaker": "SPEAKER_01", "text": "hi, my bill is wrong"},
                     {"role": "agent", "speaker": label, "text": text},
                     {"role": "customer", "speaker": "SPEAKER_01", "text": "ok"},
                     {"role": "agent", "speaker": label, "text": "Let me check."})
    assert _speakers(report) == [("customer", "SPEAKER_01"), ("agent", name)] * 2
    assert report.transcript.agents == (name,)
    assert [w for w in report.warnings if "introduction" in w] == [
        f"roles: agent {label or '(no name)'!r} named {name!r} after their introduction in turn 2"]


def test_a_lower_case_name_names_the_agent_only_in_text_all_in_lower_case(analyze):
    report = analyze({"role": "customer", "speaker": "SPEAKER_01", "text": "hi"},
                     {"role": "agent", "speaker": "Agent", "text": "Hello, my name is dev and I work in Billing."})
    assert _speakers(report)[1] == ("agent", "Agent")


@pytest.mark.parametrize("text", ["thank you for calling this is great how can i help",  # a common word
                                  "ok this is checking how long it takes",  # a verb form
                                  "this is maria's account how can i help",
                                  "Thank you for calling, this is maria how can I help"])  # not all lower case
def test_a_lower_case_this_is_names_nobody_unless_it_reads_as_a_name(analyze, text):
    report = analyze({"role": "customer", "speaker": "SPEAKER_01", "text": "hi"},
                     {"role": "agent", "speaker": "Agent", "text": text})
    assert _speakers(report)[1] == ("agent", "Agent")


def test_a_second_introduction_under_the_same_label_names_the_turns_from_there_on(analyze):
    report = analyze(("customer", "my bill is wrong"), ("agent", "Let me look."),
                     ("agent", "Hi, I'm Sam from billing."), ("customer", "ok"),
                     ("agent", "Hi, this is Priya, taking over from Sam."), ("customer", "thanks"))
    assert [t.speaker for t in report.transcript.turns if t.role == "agent"] == ["Sam", "Sam", "Priya"]
    assert report.transcript.agents == ("Sam", "Priya")


@pytest.mark.parametrize("label, text", [
    ("Tom", "Hi, this is Ravi from Acme."),  # the label names someone already
    ("Agent", "Thank you for calling, you've reached Northwind."),  # the company, not the agent
    ("Agent", "I'm happy to help with that."),
])
def test_agents_are_not_renamed_without_an_introduction_of_their_own(analyze, label, text):
    report = analyze({"role": "customer", "text": "hi"}, {"role": "agent", "speaker": label, "text": text})
    assert _speakers(report)[1] == ("agent", label)
    assert not [w for w in report.warnings if "introduction" in w]


def test_name_use_from_speaker_label(analyze):
    report = analyze({"role": "customer", "speaker": "Maria Lopez", "text": "my parcel is lost"},
                     {"role": "agent", "speaker": "Sam", "text": "Sorry Maria, let me check. Ms Lopez, is that right?"})
    assert [(e.text, e.rule) for e in report.evidence if e.feature == "structure.name_use"] == [
        ("Maria", "name:speaker"), ("Lopez", "name:speaker")]


def test_a_full_name_is_one_use(analyze):
    report = analyze({"role": "customer", "speaker": "Mei Ling", "text": "hi"},
                     {"role": "agent", "text": "You're very welcome, Mei Ling. Bye Mei!"})
    assert [e.text for e in report.evidence if e.feature == "structure.name_use"] == ["Mei Ling", "Mei"]


def test_name_use_from_what_the_customer_says_counts_from_then_on(analyze):
    report = analyze({"role": "agent", "text": "Hi Grace? Who am I speaking with?"},
                     {"role": "customer", "text": "My name is Grace and my router is broken."},
                     {"role": "agent", "text": "Thanks Grace, let me help."})
    assert [(e.text, e.turn, e.rule) for e in report.evidence if e.feature == "structure.name_use"] == [
        ("Grace", 2, "name:stated")]


@pytest.mark.parametrize("signed, found", [
    ("Thanks,\nOlu", [("Olu", "name:signed")]),
    ("Kind regards,\nOlu Adeyemi", [("Olu", "name:signed")]),
    ("Thanks!", []),  # no name
    ("Sent from my iPhone", []),
])
def test_a_customer_named_by_their_sign_off(analyze, signed, found):
    report = analyze({"role": "customer", "speaker": "olu.adeyemi@example.org",
                      "text": "Hi,\n\nMy wardrobe arrived with a split panel.\n\n" + signed},
                     {"role": "agent", "speaker": "Grace", "text": "Hi Olu, I'm sorry about the panel."})
    assert [(e.text, e.rule) for e in report.evidence if e.feature == "structure.name_use"] == found


@pytest.mark.parametrize("speaker", ["Customer", "Visitor 1234", "jane.doe@example.com", "Guest"])
def test_generic_speaker_labels_are_not_names(analyze, speaker):
    report = analyze({"role": "customer", "speaker": speaker, "text": "hello"},
                     {"role": "agent", "text": "Hello Customer, hi Guest, hi Visitor, hi Jane."})
    assert [e.text for e in report.evidence if e.feature == "structure.name_use"] == []


@pytest.mark.parametrize("speaker, text, found", [
    ("Olu Adeyemi", "Dear Customer,\n\nThank you for contacting Larkspur Home.", ["Dear Customer"]),
    ("Olu Adeyemi", "Dear Sir or Madam, your request has been forwarded.", ["Dear Sir or Madam"]),
    ("Customer", "Dear Customer, thank you for your email.", []),  # the name is not known
    ("Olu Adeyemi", "Dear Olu, thank you for your email.", []),
])
def test_a_generic_salutation_when_the_name_is_known(analyze, speaker, text, found):
    report = analyze({"role": "customer", "speaker": speaker, "text": "The panel is split."},
                     {"role": "agent", "text": text})
    assert [e.text for e in report.evidence if e.feature == "structure.generic_address"] == found


@pytest.mark.parametrize("asked, later, found", [
    ("Please use my full name, Oluwaseun.", "Sure Olu. Done, Morenike is on the booking.", ["Olu"]),
    ("It's Tomasz, not Tom.", "Thanks Tom, let me check.", ["Tom"]),
    ("It's Tomasz. It's spelled right there on the account.", "Okay Tom.", ["Tom"]),
    ("Call me Christopher, please.", "Thanks, Chris. And thanks, Christopher.", ["Chris"]),
    ("Please use my full name, Oluwaseun.", "Sure, Oluwaseun. Done.", []),  # as asked
    ("My order is late.", "Sure Olu, let me check.", []),  # no name asked for
])
def test_a_name_shortened_after_the_customer_asked_for_it_in_full(analyze, asked, later, found):
    report = analyze({"role": "customer", "speaker": "Oluwaseun Adebayo", "text": "Hi, I need to add a name."},
                     {"role": "agent", "text": "Hi! What's the name?"},
                     {"role": "customer", "speaker": "Oluwaseun Adebayo", "text": asked},
                     {"role": "agent", "text": later})
    assert [e.text for e in report.evidence if e.feature == "structure.name_shortened"] == found


def test_a_shortened_name_before_the_customer_asked_is_not_counted(analyze):
    report = analyze({"role": "customer", "speaker": "Oluwaseun Adebayo", "text": "Hi."},
                     {"role": "agent", "text": "Hi Olu!"},
                     {"role": "customer", "text": "Please use my full name, Oluwaseun."},
                     {"role": "agent", "text": "Of course, Oluwaseun."})
    assert [e.text for e in report.evidence if e.feature == "structure.name_shortened"] == []


@pytest.mark.parametrize("speaker, reply, found", [
    ("Joan Ferris", "Hi John, sorry to hear that. Thanks John. Anything else, John?", ["John", "John", "John"]),
    ("Sarah Ng", "Thank you Sara, that's done.", ["Sara"]),
    ("Stephen Cole", "Steven, I've checked the order.", ["Steven"]),  # a long name: two letters off
    ("Joan Ferris", "Hi Joan, John from the returns team will call you.", []),  # not addressed to the customer
    ("Joan Ferris", "Hi Jean, this is Jean from support.", []),  # the agent's own name
    ("Mark Hale", "Mask orders ship on Monday, Mark.", []),
    ("Ian Roe", "Hi Ivan, I've checked it.", ["Ivan"]),
    ("Ian Roe", "Hi Ryan, I've checked it.", []),  # a name of its own, as far as the words tell
])
def test_the_customer_addressed_by_a_slip_of_their_name(analyze, speaker, reply, found):
    report = analyze({"role": "customer", "speaker": speaker, "text": "My thermostat keeps going offline."},
                     {"role": "agent", "speaker": "Jean", "text": reply})
    assert [e.text for e in report.evidence if e.feature == "structure.misnamed"] == found


def test_a_misnamed_customer_costs_professionalism_and_respect(analyze):
    turns = ({"role": "customer", "speaker": "Joan Ferris", "text": "My thermostat keeps going offline."},
             {"role": "customer", "speaker": "Joan Ferris", "text": "It's Joan."})
    right = analyze(turns[0], {"role": "agent", "text": "Hi Joan, let me check."}, turns[1])
    wrong = analyze(turns[0], {"role": "agent", "text": "Hi John, let me check."}, turns[1])
    for skill in ("professionalism", "cultural_sensitivity"):
        assert (wrong.skills[skill].score or 0) < (right.skills[skill].score or 100), skill
    (note,) = [n for n in wrong.notes if n.skill == "cultural_sensitivity"]
    assert note.text.startswith("The customer's name was wrong here") and "“Thanks, Joan.”" in note.suggestion


def test_names_that_are_common_words_need_capitals_and_not_sentence_start(analyze):
    report = analyze({"role": "customer", "speaker": "Will Turner", "text": "hi"},
                     {"role": "agent", "text": "Will you check your email? I will. Thanks, Will."})
    assert [e.text for e in report.evidence if e.feature == "structure.name_use"] == ["Will"]
    (name,) = [e for e in report.evidence if e.feature == "structure.name_use"]
    assert name.start == report.transcript.turns[1].text.rindex("Will")


@pytest.mark.parametrize("text, closing", [
    ("Is there anything else I can help you with?", "Is there anything else I can help you with"),
    ("Anything else I can do for you today?", "Anything else I can"),
    ("Anything else?", "Anything else?"),
    ("Let me know if there's anything else.", "Let me know if there's anything else"),
    ("Can I help with anything else?", "Can I help with anything else"),
    ("If you have any other questions, just reply.", "If you have any other questions"),
])
def test_closing_question(hits, text, closing):
    assert _found(hits, ("customer", "thanks"), ("agent", text), feature="structure.closing_question") == [
        (closing, 1)]


@pytest.mark.parametrize("text", [
    "There isn't anything else I can do, sorry.",  # a refusal, not an offer
    "Did you try anything else before that?",
    "I have nothing else to add.",
])
def test_not_a_closing_question(hits, text):
    assert _found(hits, ("customer", "thanks"), ("agent", text), feature="structure.closing_question") == []


@pytest.mark.parametrize("text, thanks", [
    ("Thank you for contacting Acme.", "Thank you for contacting Acme"),
    ("Thanks for your patience.", "Thanks for your patience"),
    ("Thank you so much for waiting.", "Thank you so much for waiting"),
    ("thanks for reaching out!", "thanks for reaching out"),
    ("Thank you for choosing us.", "Thank you for choosing us"),
])
def test_thanks(hits, text, thanks):
    assert _found(hits, ("customer", "hi"), ("agent", text), feature="structure.thanks") == [(thanks, 1)]


@pytest.mark.parametrize("text", ["Thanks!", "Thank you.", "No thanks needed."])
def test_plain_thanks_is_not_structure(hits, text):
    assert _found(hits, ("customer", "hi"), ("agent", text), feature="structure.thanks") == []


@pytest.mark.parametrize("text, farewell", [
    ("Have a great day!", "Have a great day"),
    ("Have a wonderful rest of your day.", "Have a wonderful rest of your day"),
    ("Enjoy your weekend!", "Enjoy your weekend"),
    ("Take care.", "Take care"),
    ("Bye for now!", "Bye for now"),
    ("Kind regards,\nSam", "Kind regards"),
    ("Done! Your membership is frozen. Get well soon.", "Get well soon"),
    ("Good luck with the move!", "Good luck with the move"),
    ("Safe travels, and enjoy Lisbon.", "Safe travels"),
])
def test_farewell(hits, text, farewell):
    assert _found(hits, ("customer", "thanks"), ("agent", text), feature="structure.farewell") == [(farewell, 1)]


@pytest.mark.parametrize("text", [
    "I hope this helps take care of things.",
    "Have a look at the attached guide.",
    "Did you have a problem with the day pass?",
    "You can have a one-time refund.",
    "Good luck finding that on our website, it's hidden.",  # sarcasm is no wish
])
def test_not_a_farewell(hits, text):
    assert _found(hits, ("customer", "thanks"), ("agent", text), feature="structure.farewell") == []


def test_customer_farewell_is_not_the_agents(hits):
    assert _found(hits, ("agent", "Done!"), ("customer", "Thanks, have a great day! Bye"),
                  feature="structure.farewell") == []


def test_full_conversation_frame(hits):
    found = hits({"role": "customer", "speaker": "Ana", "text": "Hi, my card was charged twice."},
                 {"role": "agent", "speaker": "Tom",
                  "text": "Hi Ana, thank you for contacting us! My name is Tom. Let me look into that."},
                 {"role": "customer", "speaker": "Ana", "text": "Thanks"},
                 {"role": "agent", "speaker": "Tom",
                  "text": "The duplicate charge is refunded, Ana. Is there anything else I can help with? "
                          "Have a lovely day!"},
                 family="structure")
    assert [(f, t) for f, t, _ in found] == [
        ("structure.greeting", "Hi"), ("structure.name_use", "Ana"),
        ("structure.thanks", "thank you for contacting us"),
        ("structure.introduction", "My name is Tom"), ("structure.name_use", "Ana"),
        ("structure.closing_question", "Is there anything else I can help with"),
        ("structure.farewell", "Have a lovely day")]


@pytest.mark.parametrize("text, fields", [
    ("Hi {{first_name}}, thanks for reaching out!", ["{{first_name}}"]),
    ("Dear %FIRSTNAME%, your order ${order.id} has shipped.", ["%FIRSTNAME%", "${order.id}"]),
    ("Hello {customer_name}, and <<Agent Name>> here.", ["{customer_name}", "<<Agent Name>>"]),
    ("Hi [NAME], your order [ORDER] is on its way.", []),  # redaction placeholders
    ("Use the code {2} or 50% off, 100%!", []),
])
def test_a_template_field_sent_unfilled(analyze, text, fields):
    report = analyze(("customer", "Hi, where is my order?"), ("agent", text))
    assert [e.text for e in report.evidence if e.feature == "structure.template_field"] == fields
    if fields:
        assert "template fields sent unfilled" in report.skills["professionalism"].reason


def test_a_template_field_in_an_internal_note_is_none(analyze):
    report = analyze({"role": "customer", "text": "Hi"},
                     {"role": "agent", "text": "Use macro 'refund' with {{first_name}} filled in.", "internal": True},
                     {"role": "agent", "text": "Hi Dana, I've refunded it."})
    assert [e for e in report.evidence if e.feature == "structure.template_field"] == []


@pytest.mark.parametrize("text, asked", [
    ("Can you send me your full card number and the CVV so I can try it from here?", ["send me your full card number"]),
    ("Please DM us your online banking password and we'll check.", ["DM us your online banking password"]),
    ("What's your PIN?", ["What's your PIN"]),
    ("Can I take your card number, please?", ["Can I take your card number"]),
    ("Reply with your card details and I'll process the refund.", ["Reply with your card details"]),
    ("For security, can you tell me the PIN for the card?", ["tell me the PIN"]),
    ("Please give us the password for the account.", ["give us the password"]),
])
def test_an_agent_asking_for_a_password_pin_or_card_number(hits, text, asked):
    assert _found(hits, ("customer", "My payment keeps failing."), ("agent", text),
                  feature="structure.sensitive_request") == [(a, 1) for a in asked]


@pytest.mark.parametrize("text", [
    "We will never ask for your PIN or your password.",
    "Please don't share your card details here, use the secure link instead.",
    "Can you DM us your Nectar card number via the link please?",  # a loyalty card
    "Please confirm the last four digits of your card.",
    "I can send your password reset link to the email on file.",
    "Type your new password in the box on the login screen.",  # into their own screen, not to us
    "We'll send the PIN for the new card by post.",  # sending it, not asking for it
    "Can you tell me the password reset link you got?",
])
def test_no_request_for_a_secret(hits, text):
    assert _found(hits, ("customer", "My payment keeps failing."), ("agent", text),
                  feature="structure.sensitive_request") == []


def test_a_call_may_take_a_card_number_but_never_a_pin(hits):
    turns = (("customer", "I'd like to pay my bill."),
             ("agent", "Can I take your card number, please? And never tell anyone your PIN."),
             ("customer", "Sure."), ("agent", "Lastly, what's your PIN?"))
    assert _found(hits, *turns, feature="structure.sensitive_request", channel="voice") == [("what's your PIN", 3)]
    assert len(_found(hits, *turns, feature="structure.sensitive_request")) == 2  # in writing, both


LONG = ("Please can you confirm that you wish to fly from Paris to Atlanta with Delta on March 2nd at 5:35 pm and that "
        "the return flight will be on March 13th at 9:20 am and you wish to get 4 tickets in Economy class, and that "
        "you are happy for me to charge the card ending 4411 for the full amount today?")
WRAPPED = ("I have checked the account and I can see that the payment you made on the\nfourth of March was taken "
           "twice because the card terminal timed out while it was\nwaiting for the bank, so I have asked our billing "
           "team to refund the second payment of the\ntwo to the same card within five working days.")
LIST = ("Thanks for getting back to me. To reset the router please follow these steps\n"
        "- unplug the router from the wall and wait for thirty seconds before you plug it back in again\n"
        "- wait until the light on the front turns solid green which can take up to five minutes\n"
        "- open the app on your phone and tap on the settings page then choose restart network\n")


@pytest.mark.parametrize("text, channel, words", [
    (LONG, "chat", 56.0),
    (WRAPPED, "email", 58.0),  # lines wrapped by hand are one sentence
    (LIST, "email", None),  # a list's lines without full stops are no sentence
    (LONG, "voice", None),  # a call's sentences are its transcriber's
    ("I've refunded the second payment. It will reach your card within 5 working days, and I've emailed you the "
     "confirmation so you have it for your records.", "chat", None),
])
def test_a_sentence_too_long_to_follow(analyze, text, channel, words):
    report = analyze(("customer", "I was charged twice."), ("agent", text), channel=channel)
    found = [e for e in report.evidence if e.feature == "structure.long_sentence"]
    assert [e.value for e in found] == ([words] if words else [])
    if words:
        assert text.startswith(found[0].text) and found[0].text.endswith(("?", "days."))
        assert "-8 sentences too long to follow (1)" in report.skills["clear_communication"].reason
