"""Respect in the agent's words: care with the customer's name, language and time zone; remarks about their
background; condescension and impatience."""

from __future__ import annotations

import pytest


def _agent(hits, text, feature):
    family = feature.split(".")[0]
    return [t for f, t, turn in hits(("customer", "Where is my parcel?"), ("agent", text), family=family)
            if f == feature and turn == 1]


@pytest.mark.parametrize("text, found", [
    ("Calm down, please.", ["Calm down"]),
    ("How many times do I have to explain this?", ["How many times"]),
    ("As per my previous message, standard shipping has limited tracking.", ["As per my previous message"]),
    ("As previously mentioned, the refund takes 5 days.", ["As previously mentioned"]),
    ("Per my last email, the form is attached.", ["Per my last email"]),
    ("Could you try writing in full sentences?", ["in full sentences"]),
    ("It's not rocket science.", ["not rocket science"]),
    ("Just press the wifi button. Anyone can do it.", ["Anyone can do it"]),
    ("Did you actually read the quick start guide?", ["Did you actually read"]),
    ("Have you tried restarting the printer?", []),
    ("We trust this clarifies the matter.", ["We trust this clarifies"]),
    ("We now consider this matter closed.", ["consider this matter closed"]),
    ("As I've already explained twice, the charge is for the annual plan.", ["As I've already explained"]),
    ("I'm not sure how else to say this, the charge is correct.", ["I'm not sure how else"]),
    ("With all due respect, you should read the emails we send.", ["With all due respect", "you should read"]),
    ("Like I said, it's the annual plan. Not sure what's unclear.", ["Not sure what's unclear"]),
    ("Thanks for your message, the parcel is on its way.", []),
    ("I mentioned it to the courier this morning.", []),
    ("Well, obviously it won't work if the socket is switched off.", ["Well, obviously"]),
    ("Whatever. You can return it to the shop.", ["Whatever."]),
    ("Whatever works best for you.", []),
    ("Well, that's what the manual is for. Page 12.", ["that's what the manual is for"]),
    ("It's online. Just google it.", ["Just google it"]),
    ("I don't really know the app that well. You could try Google maybe.", ["try Google"]),
    ("Look, I have other customers waiting. Just tap the box.", ["I have other customers"]),
    ("It's just a formality, nothing to worry about.", []),
    ("No, that's just how it is.", ["that's just how it is"]),
    ("No offence, but it's in the terms, which you agreed to when you booked.",
     ["No offence, but", "which you agreed to"]),
    ("I'm not sure what you expected.", ["not sure what you expected"]),
    ("You can apply for a refund on the website like everyone else.", ["like everyone else"]),
    ("Everyone else on the flight has been rebooked, and so have you.", []),
    ("It is what it is, I'm afraid.", ["It is what it is"]),
    ("That's just how the router shows it: a green light means it's online.", []),
    ("It's very simple, even my gran can do it.", ["even my gran"]),  # patronising
    ("Honestly, a five year old could set this up.", ["a five year old could"]),
    ("My gran uses the app every day to call us.", []),
])
def test_dismissive(hits, text, found):
    assert _agent(hits, text, "tone.dismissive") == found


@pytest.mark.parametrize("text, found", [
    ("Hi hun! No worries, let me have a look for you sweetie.", ["Hi hun", "for you sweetie"]),
    ("Ok babe, it's showing as pending.", ["Ok babe"]),
    ("That's sorted now, love.", [", love."]),
    ("Cheers mate, all done.", ["Cheers mate"]),
    ("I'd love to help you with that.", []),
    ("Dear Mrs Price, thank you for your letter.", []),
    ("Well played, my friend.", []),  # friendly, not patronising
])
def test_terms_of_endearment_are_over_familiar(hits, text, found):
    assert _agent(hits, text, "tone.overfamiliar") == found


def test_over_familiar_address_costs_professionalism_with_a_note(analyze):
    customer = {"role": "customer", "speaker": "Margaret Price", "text": "My pension payment hasn't shown up."}
    reply = " I'm sorry about that. I can see the payment is pending; it will clear by 9am tomorrow."
    familiar = analyze(customer, {"role": "agent", "text": "Hi hun!" + reply})
    plain = analyze(customer, {"role": "agent", "text": "Hi Margaret!" + reply})
    assert familiar.skills["professionalism"].score < plain.skills["professionalism"].score
    (note,) = [n for n in familiar.notes if n.skill == "professionalism"]
    assert note.text.startswith("This is over-familiar") and "Margaret" in note.suggestion


def test_an_internal_note_that_disparages_the_customer_is_disrespectful(analyze):
    report = analyze({"role": "customer", "text": "I cancelled within the 14 days."},
                     {"role": "agent", "text": "Let me look into it for you.", "speaker": "Tom"},
                     {"role": "agent", "text": "customer is clueless, she cancelled on day 15. not refunding lol",
                      "speaker": "Tom", "internal": True},
                     {"role": "agent", "text": "Cancelled on day 15 per the log; fee stands, refund declined.",
                      "speaker": "Tom", "internal": True},
                     {"role": "agent", "text": "I've checked: it arrived on day 15, lol sorry.", "speaker": "Tom"})
    found = [(e.turn, e.text, e.rule) for e in report.evidence if e.feature == "tone.insensitive"]
    assert found == [(2, "customer is clueless, she cancelled on day 15.", "internal:disparaging"),
                     (2, "not refunding lol", "internal:disparaging")]  # a plain note, and replies, are not read
    assert "TC106" in {f.code for f in report.flags}


@pytest.mark.parametrize("text, found", [
    ("The delivery team messed up again, that's not on us.", ["team messed up", "not on us"]),
    ("The warehouse has screwed up your order.", ["warehouse has screwed up"]),
    ("Honestly it's the courier's fault, not mine.", ["the courier's fault"]),
    ("That's not my fault, billing set it up.", ["not my fault"]),
    ("It isn't the courier's fault: the address label was smudged.", []),  # defending a partner
    ("It's not your fault at all.", []),
    ("We messed up your order, and I'm sorry.", []),  # owning it
    ("I've asked the delivery team to call you today.", []),
])
def test_blame_passed_to_colleagues_or_partners(hits, text, found):
    assert _agent(hits, text, "tone.blame_others") == found


def test_blame_passed_on_raises_tc106_and_makes_teamwork_visible(analyze):
    report = analyze(("customer", "My sofa delivery didn't turn up today."),
                     ("agent", "The delivery team messed up again, that's not on us."))
    assert "TC106" in [f.code for f in report.flags]
    assert report.skills["teamwork"].score is not None and report.skills["teamwork"].score < 60
    assert report.skills["professionalism"].score < 62


@pytest.mark.parametrize("text, found", [
    ("Your English is a bit hard to follow.", ["Your English"]),
    ("9am our time obviously.", ["our time obviously"]),
    ("I can arrange an interpreter if that helps.", []),
    ("Your English is very clear, no need to apologise.", []),  # reassurance after the customer apologised
    ("No need to apologize for your English!", []),
    ("Your English is not very good, so keep it short.", ["Your English"]),
    ("Your English is very good by the way, where are you from originally?", ["where are you from originally"]),
    ("Wow that's a mouthful haha. Can you spell it?", ["that's a mouthful"]),
    ("I'm sorry, I only speak English. Could you write in English please?", ["write in English"]),  # their limit
    ("Sorry, English only please.", ["English only"]),
])
def test_insensitive(hits, text, found):
    assert _agent(hits, text, "tone.insensitive") == found


@pytest.mark.parametrize("text, found", [
    ("How would you like me to address you?", ["How would you like me to address you"]),
    ("I can book it for 9am in your time zone.", ["in your time zone"]),
    ("Our office opens at 9am.", []),
    ("I'll call you at 11:30am your time (6am here).", ["11:30am your time"]),
    ("Shall we say 9 am your time?", ["am your time"]),
    ("Thank you for your time.", []),
    ("If it's easier, my colleague Marta speaks Polish and I can transfer you to her.",
     ["colleague Marta speaks Polish"]),
    ("Our team speaks Spanish too.", ["team speaks Spanish"]),
    ("My colleague speaks English as well.", []),
    ("I've asked a Spanish-speaking colleague to email you the details in Spanish today.",
     ["Spanish-speaking", "details in Spanish"]),
    ("Are you interested in Italian or Chinese cuisine?", []),
    ("Please reply in English or in spanish if easier.", []),  # a language named in lower case: no name, no offer
])
def test_personalisation(hits, text, found):
    assert _agent(hits, text, "structure.personalisation") == found


def test_only_the_agents_words_count(hits):
    found = hits(("customer", "Calm down, I only asked as per my previous message."), ("agent", "Sure."),
                 family="tone")
    assert [f for f, _, _ in found if f == "tone.dismissive"] == []


@pytest.mark.parametrize("text, found", [
    ("Take your time, I'll be right here.", ["Take your time", "I'll be right here"]),
    ("No rush at all, send it whenever you're ready.", ["No rush", "whenever you're ready"]),
    ("We can go as slowly as you like.", ["as slowly as you like"]),
    ("Happy to go through it again.", ["Happy to go through it again"]),
    ("Let's take it one step at a time.", ["one step at a time"]),
    ("Please reply within 5 minutes or the chat will close.", []),
    ("Are you ready to place the order?", []),
])
def test_unhurried(hits, text, found):
    assert _agent(hits, text, "tone.unhurried") == found


# --- a customer who says English is hard for them -----------------------------------------------------------------

LIMITED = ("customer", "sorry my english is not good. my bank show two payment, why?")


def _language(analyze, *turns):
    report = analyze(*turns)
    return report, [(e.feature, e.text, e.turn) for e in report.evidence
                    if e.feature in ("tone.language_unadapted", "tone.plain_language")]


def test_idioms_and_slang_after_the_customer_said_english_is_hard_for_them(analyze):
    report, found = _language(
        analyze, ("agent", "Hiya! Sit tight."), LIMITED,
        ("agent", "No worries mate, it's just a hold, it'll drop off in a few days, give or take."),
        ("customer", "ok lol. when?"), ("agent", "By Friday lol, easy peasy."))
    assert found == [("tone.language_unadapted", "mate", 2), ("tone.language_unadapted", "give or take", 2),
                     ("tone.language_unadapted", "easy peasy", 4)]  # not "Sit tight" before it, nor "lol" after theirs
    assert report.skills["cultural_sensitivity"].score < 65


def test_plain_words_after_the_customer_said_english_is_hard_for_them(analyze):
    report, found = _language(
        analyze, LIMITED,
        ("agent", "Hello. I can see one payment. The second line is a temporary check. It is not a payment."),
        ("customer", "ok thank you"))
    assert found == [("tone.plain_language", "The second line is a temporary check.", 1)]
    assert report.skills["cultural_sensitivity"].score > 65
    note = next(n for n in report.notes if n.skill == "cultural_sensitivity")
    assert note.text.startswith("Plain words for a customer who said English is hard for them:")


def test_an_idiom_is_marked_once_however_it_is_matched(analyze):
    assert _language(analyze, LIMITED, ("agent", "Changing the card is a doddle."))[1] == [
        ("tone.language_unadapted", "a doddle", 1)]  # the phrase, not also its word "doddle"


@pytest.mark.parametrize("turns", [
    # long sentences are not plain
    (LIMITED, ("agent", "Thanks for getting in touch with us today, I have had a look at your account and I can "
                        "confirm that the second line you are seeing on your statement is a temporary authorisation "
                        "which your bank will release automatically within a few working days.")),
    # no word about their English: nothing to adapt to
    (("customer", "My bank shows two payments, why?"), ("agent", "The second line is a temporary check.")),
    # no reply after it
    (("agent", "Hello."), LIMITED),
])
def test_no_plain_words_credit(analyze, turns):
    assert _language(analyze, *turns)[1] == []


def test_an_apology_for_their_english_is_no_feeling_that_calls_for_empathy(analyze):
    report = analyze(("customer", "Sorry for my bad English. Where is the invoice for October?"),
                     ("agent", "Hello, here is the invoice for October: example.com/inv/10"),
                     ("customer", "Thank you"))
    assert [e.value for e in report.evidence if e.feature == "tone.customer_sentiment"][0] == 0
    assert report.skills["empathy"].score is None
