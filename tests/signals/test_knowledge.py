"""knowledge.*: hedging, not knowing, guessing, and exact answers."""

from __future__ import annotations

import pytest


def _agent(hits, text, feature=None, customer="My phone won't charge."):
    found = hits(("customer", customer), ("agent", text), family="knowledge")
    return [(f, t) for f, t, turn in found if turn == 1 and (feature is None or f == feature)]


@pytest.mark.parametrize("text, hedge", [
    ("I think the update fixed that.", "I think"),
    ("It will probably arrive Monday.", "probably"),
    ("Maybe the payment failed.", "Maybe"),
    ("I'm not sure the warranty covers it.", "I'm not sure"),
    ("I guess the courier lost it.", "I guess"),
    ("Your plan should be fine for that.", "should be fine"),
    ("As far as I know, there is no fee.", "As far as I know"),
    ("I believe the store closes at 6.", "I believe"),
    ("The refund might be delayed.", "might be"),
    ("I don't think that option exists.", "I don't think"),
])
def test_hedge(hits, text, hedge):
    assert _agent(hits, text, "knowledge.hedge") == [("knowledge.hedge", hedge)]


@pytest.mark.parametrize("text", [
    # politeness softeners, not uncertainty about facts
    "I think you'll love the new model.",
    "Maybe you could send a screenshot?",
    "Perhaps you would like to upgrade?",
    "I'm not sure if you've already tried restarting it.",
    "I think that's a great idea.",
    "Hopefully this helps!",
    "I believe you, and I'm sorry.",
    "Please make sure the cable is plugged in.",
    "Can I ask roughly what time it starts dropping?",  # asking the customer for an estimate
    "I'm not sure I understand, could you explain?",
    "Send us a DM so we might be able to help.",
    "We apologise for any inconvenience this may have caused.",  # a formula, not doubt about a fact
    "I couldn't book it, perhaps a different day or a shorter stay?",  # an offer in a question, not doubt
    "Is there an area you'd like to stay in, or perhaps a certain price range?",
    "Maybe you would prefer another type of food.",
    "The Hamilton Lodge may be a good option for you.",  # a recommendation
    "There are 10 hotels in the area that you may be interested in.",
    # plain statements
    "The store closes at 6pm.",
    "Your refund was issued yesterday.",
])
def test_not_hedge(hits, text):
    assert _agent(hits, text, "knowledge.hedge") == []


@pytest.mark.parametrize("text, phrase", [
    ("I don't know why that happened.", "I don't know"),
    ("No idea, sorry.", "No idea"),
    ("idk tbh", "idk"),
    ("I have no idea when it ships.", "I have no idea"),
    ("I couldn't tell you, sorry.", "I couldn't tell you"),
    ("Honestly I dunno.", "I dunno"),
])
def test_dont_know(hits, text, phrase):
    assert _agent(hits, text, "knowledge.dont_know") == [("knowledge.dont_know", phrase)]


@pytest.mark.parametrize("text", [
    "I don't know if you've seen our new app yet.",
    "I can't tell you how sorry I am.",
    "Let me know if it helps.",
    "If you don't know your password, reset it.",
    "I know exactly what this is.",
])
def test_not_dont_know(hits, text):
    assert _agent(hits, text, "knowledge.dont_know") == []


def test_customer_not_knowing_is_not_the_agents(hits):
    found = hits(("customer", "I don't know, maybe it's the cable?"), ("agent", "Let's find out."), family="knowledge")
    assert found == []


@pytest.mark.parametrize("text, found", [
    ("Yes, 100% guaranteed, it will definitely arrive tomorrow.", ["100% guaranteed", "it will definitely arrive"]),
    ("I promise it'll arrive before Friday.", ["I promise it'll arrive"]),
    ("I can't guarantee it will arrive by Friday, but it's due Thursday.", []),  # the honest answer
    ("It won't definitely arrive tomorrow; it's due Thursday.", []),
    ("The refund is guaranteed under our Money Back Guarantee.", []),  # the company's own promise
    ("Don't worry at all, it will 100% be with you by Friday, I guarantee it.", ["will 100%", "I guarantee it"]),
    ("It'll be there 100% by Saturday.", ["'ll be there 100%"]),
    ("These things always sort themselves out.", ["always sort themselves out"]),
    ("I can't guarantee that, but I'll chase the courier today.", []),
    ("We're 100% committed to getting this right.", []),
])
def test_certainty_about_what_is_out_of_the_agents_hands(hits, text, found):
    assert [t for _, t in _agent(hits, text, "knowledge.overpromise")] == found


def test_finding_out_rather_than_guessing_counts_for_product_knowledge(analyze):
    report = analyze(("customer", "Why does it only drop in the evening?"),
                     ("agent", "I'm not 100% sure why, so let me check with our network team rather than guess."))
    skill = report.skills["product_knowledge"]
    assert skill.score is not None and skill.score > 62 and "found out rather than guessed" in skill.reason


def test_an_overpromise_costs_product_knowledge_and_is_no_strength(analyze):
    turns = [("customer", "Will my passport documents arrive before Friday? I fly on Saturday."),
             ("agent", "Hi! Yes, 100% guaranteed, it will definitely arrive tomorrow, don't worry about it.")]
    report = analyze(*turns)
    skill = report.skills["product_knowledge"]
    assert skill.score is not None and skill.score < 62 and "certainty promised" in skill.reason
    assert not any("100% guaranteed" in n.text for n in report.notes if n.kind == "strength")


@pytest.mark.parametrize("text, guess", [
    ("It could be the cable or the adapter.", "It could be"),
    ("My guess is the battery is worn out.", "My guess is"),
    ("Not sure but try holding the power button.", "Not sure but try"),
    ("It might be worth a try.", "It might be worth"),
    ("That's probably due to the update.", "That's probably"),
])
def test_guess(hits, text, guess):
    assert ("knowledge.guess", guess) in _agent(hits, text)


@pytest.mark.parametrize("text, found", [
    ("I'm not sure why, so I'll ask our billing team.", "I'm not sure why, so I'll ask"),
    ("I don't know, but I'll find out for you.", "I don't know, but I'll find out"),
    ("I don't know. Let me check with my supervisor.", "I don't know. Let me check"),
    ("Not sure, but let me look into it.", "Not sure, but let me look into"),
    ("I'm not sure why the app skipped it, so I'd like to check with my team lead.",
     "I'm not sure why the app skipped it, so I'd like to check"),
])
def test_not_knowing_and_finding_out_is_no_hedge(hits, text, found):
    assert _agent(hits, text) == [("knowledge.find_out", found)]


@pytest.mark.parametrize("text, feature", [
    ("I'm not sure. Maybe try restarting it.", "knowledge.hedge"),  # unsure, and guessing rather than finding out
    ("Not sure but try clearing the cache.", "knowledge.guess"),
    ("I don't know. You could ask the shop.", "knowledge.dont_know"),
])
def test_not_knowing_without_finding_out(hits, text, feature):
    assert feature in [f for f, _ in _agent(hits, text)]
    assert "knowledge.find_out" not in [f for f, _ in _agent(hits, text)]


def test_guess_takes_precedence_over_the_hedge_inside_it(hits):
    assert _agent(hits, "It might be the router.") == [("knowledge.guess", "It might be")]


@pytest.mark.parametrize("text", [
    "It could be worse, at least the data is safe.",
    "It may be helpful to keep the receipt.",
    "The cause is a faulty cable.",
    "I found 2 flights that might be convenient for you.",  # a recommendation, not a guess at a cause
    "I found 9 hotels that might be nice.",
])
def test_not_guess(hits, text):
    assert _agent(hits, text, "knowledge.guess") == []


@pytest.mark.parametrize("text, specific, rule", [
    ("The fee is $12.99.", "$12.99", "regex:money"),
    ("You'll get 15% off.", "15%", "regex:percent"),
    ("Update to iOS 17.2 first.", "iOS 17.2", "regex:version"),
    ("Install v2.3.1 of the app.", "v2.3.1", "regex:version"),
    ("Go to Settings > Privacy & Security > Location Services.", "Settings > Privacy & Security > Location Services",
     "regex:menu-path"),
    ("The SM-G991B supports fast charging.", "SM-G991B", "regex:model-number"),
    ("That is error code E-102.", "error code E-102", "regex:error-code"),
    ("It costs 30 dollars a month.", "30 dollars", "regex:money"),
    ("The refund shows in 3-5 business days.", "3-5 business days", "regex:period"),
    ("It has a two-year warranty.", "two-year", "regex:period"),
    ("Returns are free for 30 days.", "30 days", "regex:period"),
    ("Descale it every three months.", "three months", "regex:period"),
    ("Repairs take three to five working days.", "three to five working days", "regex:period"),
    # amounts as a call transcript writes them
    ("With that reading your bill comes down to one hundred and ninety two pounds.",
     "one hundred and ninety two pounds", "words:money"),
    ("That's a refund of twenty-five dollars.", "twenty-five dollars", "words:money"),
    ("It's a hundred quid for the engineer.", "a hundred quid", "words:money"),
    ("i can add a fifteen pound credit to your account", "fifteen pound", "words:money"),
])
def test_specific(analyze, text, specific, rule):
    report = analyze(("customer", "Help please."), ("agent", text))
    assert [(e.text, e.rule) for e in report.evidence if e.feature == "knowledge.specific"] == [(specific, rule)]


@pytest.mark.parametrize("text", [
    "I'll call you at 5pm within 24h.",  # times are not model numbers
    "It's your 3rd order this month.",
    "See https://example.com/help/a1b2c3 or email help2@example.com.",
    "Go to the settings page.",
    "Share your story with #175stories!",
    "We're here from 8:00 am-9:00 pm ET.",
    "Your order ABC12345 failed with error 0x80070005.",  # echoed from the customer
    "Give me 5 minutes to check.",  # minutes are process talk, not a fact
    "Kindly allow 5-7 working days for a response.",  # how long we take to answer: process, not the product
    "It's been a day or two, I know.",
    "You said it stopped 2 weeks ago.",  # echoed from the customer
    "Two weeks with no refund is far too long.",  # echoed, in words
    "I know, paying in pounds abroad is a pain.",  # a currency with no amount
    "It weighs a pound, so the postage is included.",
    "It probably works on most rugs. Not 100% sure to be honest.",  # a hedge, not a figure
])
def test_not_specific(analyze, text):
    report = analyze(("customer", "Order ABC12345 failed with error 0x80070005 2 weeks ago."), ("agent", text))
    assert [e.text for e in report.evidence if e.feature == "knowledge.specific"] == []


def test_hostile_input_is_handled_quickly(analyze):
    import time as clock

    text = ("a1" * 20000) + " " + ("Settings > " * 2000) + ("9" * 5000) + "." * 3000
    began = clock.perf_counter()
    analyze(("customer", "hi"), ("agent", text))
    assert clock.perf_counter() - began < 5
