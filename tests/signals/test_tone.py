"""tone.*: sentiment with support corrections, politeness (model and strategies), imperatives, blame, negative
phrasing, shouting, profanity, informality and the customer's sentiment trajectory."""

from __future__ import annotations

import re
import time

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from transcript_coach import Transcript
from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.lexicon import Lexicon
from transcript_coach.nlp import annotate
from transcript_coach.politeness import PolitenessFeaturizer, load_politeness_model
from transcript_coach.signals import extract
from transcript_coach.signals.tone import ToneKit, compile_answers, compile_phrases, tone_kit

RAW = SentimentIntensityAnalyzer()


def raw(text: str) -> float:
    return RAW.polarity_scores(text)["compound"]


@pytest.fixture(scope="module")
def kit(coach) -> ToneKit:
    return tone_kit(coach.resources)


@pytest.fixture(scope="module")
def evidence(analyze):
    """``evidence(("agent", "..."), ...)`` -> the tone evidence objects."""

    def run(*turns):
        return [e for e in analyze(*turns).evidence if e.feature.startswith("tone.")]

    return run


def values(evidence_list, feature):
    return [e.value for e in evidence_list if e.feature == feature]


# --- sentiment corrections: before (raw VADER) and after (tone) -------------------------------------------------

NEUTRAL = 0.05
CORRECTIONS = [
    # role, sentence, raw VADER's reading, the corrected reading
    ("agent", "Sorry for the wait.", "negative", "neutral"),
    ("agent", "Sorry for the trouble.", "negative", "neutral"),
    ("agent", "Apologies for the delay.", "negative", "neutral"),
    ("agent", "I apologize for the inconvenience.", "negative", "neutral"),
    ("agent", "Sorry about the confusion.", "negative", "neutral"),
    ("agent", "I'm sorry to hear that.", "negative", "neutral"),
    ("agent", "No need to worry.", "negative", "positive"),
    ("agent", "No rush, take your time.", "negative", "positive"),
    ("agent", "There is no charge for this.", "negative", "positive"),
    ("agent", "Problem solved!", "negative", "positive"),
    ("agent", "Kindly confirm your address.", "positive", "neutral"),
    ("agent", "I have cancelled the order for you.", "negative", "neutral"),
    ("agent", "You were charged for the new plan.", "negative", "neutral"),
    ("agent", "Let me look into this problem for you.", "negative", "neutral"),
    ("agent", "I have escalated your complaint.", "negative", "neutral"),
    ("agent", "I understand how frustrating this is.", "negative", "neutral"),
    ("agent", "I understand your frustration.", "negative", "neutral"),
    ("agent", "I'm really sorry your parcel has gone missing.", "negative", "neutral"),
    ("agent", "I can hear how frustrating this is.", "negative", "neutral"),
    ("agent", "I'm sorry, a leak through the ceiling is stressful.", "negative", "neutral"),  # sympathy
    ("agent", "That's so disappointing for a birthday present.", "negative", "neutral"),
    ("agent", "An emergency plumber will call you back tomorrow.", "negative", "neutral"),  # the facts
    ("agent", "The payment failed because the card was blocked.", "negative", "neutral"),
    ("agent", "Our system shows 25 active seats on your account.", "positive", "neutral"),  # a state, not warmth
    ("agent", "SAVE20 expired on 28 November, so it's being rejected.", "negative", "neutral"),  # the cause told
    ("customer", "Sorry for the trouble, thanks for checking.", "neutral", "positive"),
    ("customer", "I need to cancel my order.", "negative", "neutral"),
    ("customer", "Can I pay in instalments?", "negative", "neutral"),  # a question, not a grievance
    ("customer", "My credit card was declined.", "positive", "neutral"),  # support's nouns: a card, not praise
    ("customer", "What is the interest rate on the loan?", "positive", "neutral"),
    ("agent", "The bus stops at York and you leave at 5pm.", "negative", "neutral"),
    ("customer", "Nope, all good", "negative", "positive"),  # an answer to "anything else?", not a complaint
    ("customer", "No that's all.", "negative", "neutral"),
    ("customer", "No thanks.", "negative", "positive"),
    ("customer", "This is a joke.", "positive", "negative"),
    ("customer", "What a complete joke", "positive", "negative"),
    ("customer", "Fix it, you clowns.", "neutral", "negative"),
    # a customer's request is no gladness: "please", "can you help", "I'd like" ask, they don't praise
    ("customer", "Please help, no service for 3 days.", "positive", "negative"),
    ("customer", "I need help, my account is locked.", "positive", "neutral"),
    ("customer", "Can you please help me?", "positive", "neutral"),
    ("customer", "I'd like a refund please.", "positive", "neutral"),
    ("customer", "I would like to book a table for four.", "positive", "neutral"),
    ("customer", "Thanks for your help!", "positive", "positive"),  # help given, thanked for
    ("customer", "You have been a great help.", "positive", "positive"),
    ("agent", "I'd be happy to help, please send us a DM.", "positive", "positive"),  # the agent's words unchanged
    # a title or a name inside a customer's sentence carries no feeling; emphasis in title case or after a handle does
    ("customer", "Give me The Curse of La Llorona please.", "negative", "neutral"),
    ("customer", "Two tickets for the Rob Thomas concert.", "negative", "neutral"),
    ("customer", "The song is called Bad Habit.", "negative", "neutral"),
    ("customer", "@Delta Worst service ever", "negative", "negative"),
    ("customer", "This Is The Worst Service Ever", "negative", "negative"),
    ("agent", "Please be advised that a repair request can be raised.", "positive", "neutral"),  # a formula
    # already right before the correction, and must stay right
    ("agent", "No problem!", "positive", "positive"),
    ("agent", "No worries at all.", "positive", "positive"),
    ("agent", "Not a problem.", "positive", "positive"),
    ("agent", "Don\u2019t worry, I\u2019ll sort it.", "negative", "positive"),  # curly apostrophes
    ("agent", "I'd be happy to help.", "positive", "positive"),
    ("agent", "I have raised a ticket about the issue.", "neutral", "neutral"),
    ("agent", "Your refund has been issued.", "neutral", "neutral"),
    # support words are neutral only in agent speech: a customer's problem or frustration is still negative
    ("customer", "I have a problem with my order.", "negative", "negative"),
    ("customer", "This is so frustrating.", "negative", "negative"),
    ("customer", "This is terrible, the parcel is damaged!", "negative", "negative"),
    ("customer", "The pipe has a leak and it is stressful.", "negative", "negative"),
    # a "no" that belongs to what follows, or corrects, is no answer word
    ("customer", "No one answers the phone.", "negative", "negative"),
    ("customer", "No response.", "negative", "negative"),
]


def _reading(value: float) -> str:
    return "positive" if value >= NEUTRAL else "negative" if value <= -NEUTRAL else "neutral"


@pytest.mark.parametrize("role, sentence, before, after", CORRECTIONS)
def test_sentiment_corrections_before_and_after(evidence, role, sentence, before, after):
    assert _reading(raw(sentence)) == before
    found = evidence((role, sentence)) if role == "agent" else evidence((role, sentence), ("agent", "Hi."))
    scores = [e for e in found if e.feature == f"tone.{role}_sentiment" and e.turn == 0]
    assert [e.text for e in scores] == [sentence]
    assert _reading(scores[0].value) == after


def test_corrections_apply_in_longer_sentences_and_keep_the_rest(evidence):
    sentence = "Sorry for the wait, the replacement is great and ships today."
    value = values(evidence(("agent", sentence)), "tone.agent_sentiment")[0]
    assert raw(sentence) < value and value > 0.3  # the apology no longer drags "great" down


@pytest.mark.parametrize("customer, name, greeting", [("Rob", "Rob", "Hi Rob, I'm Mina."),
                                                      ("Grace Lee", "Grace", "Thanks, Grace.")])
def test_the_participants_names_carry_no_sentiment(analyze, customer, name, greeting):
    unnamed = raw(greeting.replace(name, "Sam"))
    assert raw(greeting) != unnamed  # VADER reads "rob" and "grace" as words
    report = analyze({"role": "customer", "speaker": customer, "text": "Hello there."},
                     {"role": "agent", "speaker": "Mina", "text": greeting})
    assert values(report.evidence, "tone.agent_sentiment") == [round(unnamed, 4)]


def test_a_name_word_said_by_someone_of_another_name_keeps_its_sentiment(analyze):
    report = analyze({"role": "customer", "speaker": "Dana", "text": "They rob you blind with these fees."},
                     {"role": "agent", "speaker": "Mina", "text": "Hi Dana."})
    assert values(report.evidence, "tone.customer_sentiment")[0] < -0.3


def test_sentiment_is_per_sentence_with_the_sentence_as_evidence(evidence):
    found = evidence(("customer", "This is awful!!! Thanks anyway."), ("agent", "Hi."))
    scores = [(e.text, e.value) for e in found if e.feature == "tone.customer_sentiment"]
    assert [t for t, _ in scores] == ["This is awful!!!", "Thanks anyway."]
    assert scores[0][1] < -0.3 and scores[1][1] > 0.3
    assert all(-1 <= v <= 1 for _, v in scores)


@pytest.mark.parametrize("text", ["!!!", "???", "...", "123.", "- - -"])
def test_sentences_without_words_are_not_scored(evidence, text):
    found = evidence(("customer", text), ("agent", text))
    assert not [e for e in found if e.feature in ("tone.customer_sentiment", "tone.agent_sentiment",
                                                  "tone.politeness")]


def test_emoji_count_for_sentiment(evidence):
    found = evidence(("customer", "\U0001F620\U0001F622"), ("agent", "Hi."))
    assert values(found, "tone.customer_sentiment")[0] < -0.3


def test_emoji_heavy_text_stays_fast(analyze, kit):
    text = ("I am so happy \U0001F600\U0001F600\U0001F389 with this \U0001F44D\U0001F3FD thanks!!! "
            "\U0001F621\U0001F621 ") * 120
    text = text[:5000]
    assert len(text.encode("utf-8")) > 5000
    started = time.perf_counter()
    report = analyze(("customer", text), ("agent", text))
    elapsed = time.perf_counter() - started
    assert any(e.feature == "tone.customer_sentiment" for e in report.evidence)
    assert elapsed < 2.0  # raw vaderSentiment 3.3.2 needs several seconds on one 5 kB emoji run
    started = time.perf_counter()
    kit.customer_sentiment.score("\U0001F600" * 5000)  # one sentence of nothing but emoji: capped before VADER
    assert time.perf_counter() - started < 0.05


def test_corrections_syntax_compiles_alternatives_and_options():
    regex, valences = compile_phrases({"(sorry|apologies) for (the|any)? (wait|delay)": 0.0}, "test")
    assert regex.search("Sorry for the wait") and regex.search("apologies for  delay")
    assert regex.search("sorry for any wait") and not regex.search("sorry for the waiter")
    assert not regex.search("unsorry for the wait")
    assert list(valences.values()) == [0.0]


def test_corrections_regex_finds_what_it_would_without_its_first_character_lookahead():
    phrases = {"(so|very)? sorry for the wait": 0.0, "no need to worry": 0.5, "'cause we (can|will)": 0.1}
    regex, _ = compile_phrases(phrases, "test")
    plain = re.compile(re.sub(r"\(\?=\[[^\]]*\]\)", "", regex.pattern, count=1), re.IGNORECASE)
    assert plain.pattern != regex.pattern  # the lookahead was there, and is gone
    texts = ["Very sorry for the wait", "so  sorry for the wait!", "SORRY FOR THE WAIT", "\u017forry for the wait",
             "ok, no need to worry", "'cause we will", "also sorry for the wait", "tso sorry for the wait",
             "NO NEED TO WORRY, 'CAUSE WE CAN"]
    for text in texts:
        assert [m.span() for m in regex.finditer(text)] == [m.span() for m in plain.finditer(text)], text
    assert regex.search("Very sorry for the wait").group() == "Very sorry for the wait"  # an optional first word


@pytest.mark.parametrize("phrases", [{"sorry (for": 0.0}, {"sorry|sad": 0.0}, {"(a|b)?": 1.0},
                                     {"no problem": "big"}, {"a.*b": 1.0}])
def test_bad_correction_phrases_are_data_errors(phrases):
    with pytest.raises(DataFileError, match="test"):
        compile_phrases(phrases, "test")


@pytest.mark.parametrize("agent, neutral", [("Is there anything else I can help with today?", True),
                                             ("Did that fix it?", False)])
def test_a_lone_no_answers_the_closing_question(evidence, agent, neutral):
    found = evidence(("customer", "Hi, my card was charged twice."), ("agent", "I've refunded it. " + agent),
                     ("customer", "no"))  # VADER: -0.3 ("No." with its full stop reads 0)
    (last,) = [e for e in found if e.feature == "tone.customer_sentiment" and e.turn == 2]
    assert (last.value == 0) is neutral


def test_an_answers_opening_no_is_found_only_before_the_words_given():
    regex, lone = compile_answers({"words": ["no", "Nope"], "before": ["that's", "thanks"]}, "test")
    assert [bool(regex.match(t)) for t in ("No, that's all", "nope - thanks", "\"No thanks", "No  that's it")] == [
        True, True, True, True]
    assert not any(regex.match(t) for t in ("No one answers", "No thanksgiving", "I said no, thanks", "Nobody, thanks",
                                            "No", "No, that"))
    assert regex.match("No, that's all").group() == "No"
    assert [bool(lone.fullmatch(t)) for t in ("No.", " nope!", "No thanks", "Nobody")] == [True, True, False, False]
    assert compile_answers(None, "test") is None


@pytest.mark.parametrize("spec", [{"words": ["no"]}, {"words": [], "before": ["thanks"]}, ["no"],
                                  {"words": ["no way"], "before": ["thanks"]}, {"words": ["no"], "before": [3]},
                                  {"words": ["n.*"], "before": ["thanks"]}])
def test_bad_answer_words_are_data_errors(spec):
    with pytest.raises(DataFileError, match="test: 'words' and 'before'"):
        compile_answers(spec, "test")


# --- lexicon features: positives, negations, near misses ------------------------------------------------------

AGENT_FEATURES = [
    # feature, agent sentence, matched text (None: must not fire)
    ("tone.polite_please", "Could you please confirm the address?", "please"),
    ("tone.polite_please", "Please hold for a moment.", "Please"),
    ("tone.polite_gratitude", "Thanks for waiting.", "Thanks"),
    ("tone.polite_gratitude", "Thank you so much for the photo.", "Thank you"),
    ("tone.polite_gratitude", "I appreciate your patience.", "I appreciate"),
    ("tone.polite_gratitude", "Thanks to the update, it works now.", None),
    ("tone.polite_gratitude", "I don't appreciate that tone.", None),
    ("tone.polite_hedge", "I think the parcel is delayed.", "I think"),
    ("tone.polite_hedge", "It may take three days.", "may"),
    ("tone.polite_hedge", "It will arrive in May.", None),
    ("tone.polite_greeting", "Hi Dana, how can I help?", "Hi"),
    ("tone.polite_greeting", "Good morning!", "Good morning"),
    ("tone.polite_greeting", "It was a good morning for it.", None),
    ("tone.polite_greeting", "Say hi to the team.", None),
    ("tone.polite_apology", "I'm so sorry about that.", "sorry"),
    ("tone.polite_apology", "I apologise for the delay.", "I apologise"),
    ("tone.polite_apology", "I'm not sorry.", None),
    ("tone.polite_apology", "No need to apologise.", None),
    ("tone.polite_deference", "Great question!", "Great question"),
    ("tone.polite_deference", "You're absolutely right.", "You're absolutely right"),
    ("tone.polite_deference", "Good morning, Dana.", None),
    ("tone.polite_indirect_request", "Would you mind sending it again?", "Would you mind"),
    ("tone.polite_indirect_request", "Could you check the label?", "Could you"),
    ("tone.polite_indirect_request", "I was wondering whether it arrived.", "I was wondering"),
    ("tone.polite_indirect_request", "Would you like a refund?", None),
    ("tone.imperative", "You need to restart the router.", "You need to"),
    ("tone.imperative", "You have to wait 24 hours.", "You have to"),
    ("tone.imperative", "You must sign in first.", "You must"),
    ("tone.imperative", "If you need to, you can call us.", None),
    ("tone.imperative", "Sorry, an offline printer when you need to print is annoying.", None),  # when, not what
    ("tone.imperative", "Restart it before you have to leave.", None),
    ("tone.imperative", "I'm sorry Kevin, but you need to contact the airline.", "you need to"),  # opens a clause
    ("tone.imperative", "Yes you need to apply for a refund first.", "you need to"),
    ("tone.imperative", "Is there a time you need to arrive by?", None),  # a question asks
    ("tone.imperative", "You need to buy tickets?", None),
    ("tone.imperative", "Is there anything else you need to know?", None),  # in a clause about something else
    ("tone.imperative", "Please call 07177 768413 should you need to reach them.", None),
    ("tone.imperative", "We're glad you got to kick back and enjoy a show!", None),
    ("tone.imperative", "I can book a taxi, but I need to know where you need to be picked up.", None),
    ("tone.imperative", "Do you need to change the address?", None),
    ("tone.imperative", "You must be so frustrated.", None),
    ("tone.imperative", "All you need to do is click the link.", None),
    ("tone.imperative", "The panel is split, so there's nothing more you need to send.", None),
    ("tone.blame", "You should have checked the manual.", "You should have checked"),
    ("tone.blame", "Our records show 25 seats. You should\nhave checked the invoice before paying.",
     "You should\nhave checked"),  # an e-mail's hand-wrapped line
    ("tone.blame", "You didn't read the instructions.", "You didn't read"),
    ("tone.blame", "You didn\u2019t follow the steps.", "You didn\u2019t follow"),
    ("tone.blame", "That is your fault.", "your fault"),
    ("tone.blame", "You were supposed to return it within 30 days.", "You were supposed to"),
    ("tone.blame", "As I said, the store is closed.", "As I said"),
    ("tone.blame", "You forgot to attach the file.", "You forgot to"),
    ("tone.blame", "Unfortunately you didn't choose tracked shipping.", "you didn't choose"),
    ("tone.blame", "You should have received an email.", None),
    ("tone.blame", "It's not your fault at all.", None),
    ("tone.blame", "If you didn't get the email, check spam.", None),
    ("tone.blame", "I'm sorry you didn't get a reply.", None),
    ("tone.blame", "You should not share your password.", None),
    ("tone.negative_phrasing", "I can't do that.", "can't"),
    ("tone.negative_phrasing", "I can\u2019t do that.", "can\u2019t"),
    ("tone.negative_phrasing", "We cannot refund opened items.", "cannot"),
    ("tone.negative_phrasing", "So they can hear you but can't see you.", None),  # the customer's problem, told back
    ("tone.negative_phrasing", "I can't imagine how stressful that was.", None),
    ("tone.negative_phrasing", "That can't have been easy.", None),
    ("tone.negative_phrasing", "The magnet has shifted, so the lock can't confirm the door is closed.", None),
    ("tone.negative_phrasing", "The app is unable to reach the server.", None),  # the device, not a refusal
    ("tone.negative_phrasing", "The hotel can't accommodate you that night.", "can't"),
    # an assurance that a fault will not come back
    ("tone.negative_phrasing", "I've added a note to your account so this can't happen again.", None),
    ("tone.negative_phrasing", "We've fixed the billing run, so it cannot happen twice.", None),
    ("tone.negative_phrasing", "I can't stop it happening again, I'm afraid.", "can't"),
    # of the customer's situation, in a clause that names what: no refusal
    ("tone.negative_phrasing", "And the two nights you can't use, Saturday and Sunday, I'll refund in full.", None),
    ("tone.negative_phrasing", "Any items you cannot return in person can go back by post.", None),
    ("tone.negative_phrasing", "Sorry, you can't return opened items.", "can't"),
    ("tone.negative_phrasing", "The nights you booked can't be refunded.", "can't"),
    ("tone.negative_phrasing", "I'm unable to change it.", "unable to"),
    ("tone.negative_phrasing", "That's our policy.", "policy"),
    ("tone.negative_phrasing", "There's nothing I can do.", "nothing I can do"),
    ("tone.negative_phrasing", "That's not my department.", "not my department"),
    ("tone.negative_phrasing", "It's not possible to change the date.", "not possible"),
    ("tone.negative_phrasing", "I can't wait to help you!", None),
    ("tone.negative_phrasing", "If you can't log in, reset your password.", None),
    ("tone.negative_phrasing", "As per our terms, delivery dates are estimates only.", "As per our terms"),
    ("tone.negative_phrasing", "Please read our privacy policy.", None),
    ("tone.negative_phrasing", "It's company policy.", "company policy"),
    ("tone.negative_phrasing", "Under our delay policy we cover taxis up to 50 euros.", None),  # an entitlement
    ("tone.negative_phrasing", "Our returns policy gives you 30 days.", None),
    ("tone.negative_phrasing", "What I can do is send a replacement.", None),
    # a "can't" that goes on to what the agent can do is the phrasing coaching asks for
    ("tone.negative_phrasing", "I can't change your KeyGate settings, but I can take the certificate from IT.", None),
    ("tone.negative_phrasing", "I'm sorry it can't be sooner. In the meantime I've added 30GB of free data.", None),
    ("tone.negative_phrasing", "It can't be sooner. In the meantime, please keep the old router.", "can't"),
    ("tone.negative_phrasing", "I can't refund it. What I can do is send a replacement today.", None),
    ("tone.negative_phrasing", "I'm unable to cancel it now, however, I can pause it for a month.", None),
    ("tone.negative_phrasing", "We cannot waive the fee, but we'll extend your trial by a week.", None),
    ("tone.negative_phrasing", "I'm unable to book 16:15. Would you like to try another time?", None),
    ("tone.negative_phrasing", "I can't change that, but I can see why you're upset.", "can't"),
    ("tone.negative_phrasing", "I can't change that, but I can assure you it's safe.", "can't"),
    ("tone.negative_phrasing", "I can't do that. I can see why that's annoying.", "can't"),
    ("tone.informal", "No worries mate.", "mate"),
    ("tone.informal", "lol, sure.", "lol"),
    ("tone.informal", "I'm gonna check.", "gonna"),
    ("tone.informal", "I'll estimate the date.", None),
    ("tone.profanity", "What the hell happened?", "What the hell"),
    ("tone.profanity", "That's bullshit.", "bullshit"),
    ("tone.profanity", "Ugh, f*ck.", "f*ck"),
    ("tone.profanity", "Our depot is in Scunthorpe.", None),
    ("tone.profanity", "Please complete the assessment.", None),
    ("tone.profanity", "Press shift, then hell\u00f6.", None),
]


@pytest.mark.parametrize("feature, sentence, matched", AGENT_FEATURES)
def test_agent_lexicon_features(hits, feature, sentence, matched):
    found = [text for f, text, turn in hits(("customer", "Hello."), ("agent", sentence), family="tone")
             if f == feature]
    assert found == ([matched] if matched else [])


def test_two_strategies_in_one_sentence(hits):
    found = hits(("agent", "I was wondering if you could check."), family="tone")
    assert ("tone.polite_indirect_request", "I was wondering", 0) in found
    assert ("tone.polite_indirect_request", "if you could", 0) in found


SHOUTING = [
    ("THIS IS COMPLETELY UNACCEPTABLE", "THIS IS COMPLETELY UNACCEPTABLE"),
    ("I want my money back RIGHT NOW PLEASE", "RIGHT NOW PLEASE"),
    ("WHY DID YOU CANCEL MY ORDER?", "WHY DID YOU CANCEL MY ORDER?"),
    ("I AM SO ANGRY", "I AM SO ANGRY"),
    ("MY PIN IS NOT WORKING", "MY PIN IS NOT WORKING"),
    ("Please send your PIN and ID.", None),
    ("I live in the UK and use an ATM card with a PIN.", None),
    ("My PIN ID UK VAT number", None),
    ("I REALLY need this today.", None),
    ("Flight MAN--LHR--BWI was moved.", None),
    ("We ship to MI, OH, KY, IA, GA, FL.", None),
    ("OK thanks", None),
    ("HELP", None),
]


@pytest.mark.parametrize("sentence, matched", SHOUTING)
def test_shouting_on_both_sides_with_distinct_features(hits, sentence, matched):
    found = hits(("customer", sentence), ("agent", sentence), family="tone")
    expected = [] if matched is None else [matched]
    assert [t for f, t, turn in found if f == "tone.customer_shouting" and turn == 0] == expected
    assert [t for f, t, turn in found if f == "tone.shouting" and turn == 1] == expected
    assert not [f for f, _, turn in found if f == "tone.shouting" and turn == 0]


@pytest.mark.parametrize("sentence, customer, agent", [
    ("No vegetarian options are currently at THE MISSING SOCK.", ["THE MISSING SOCK"], []),  # a venue's name
    ("There is no parking at AYLESBRAY LODGE GUEST HOUSE.", ["AYLESBRAY LODGE GUEST HOUSE"], []),
    ("I told you it IS NOT POSSIBLE today.", ["IS NOT POSSIBLE"], ["IS NOT POSSIBLE"]),
])
def test_an_agent_may_write_a_name_in_capitals(hits, sentence, customer, agent):
    found = hits(("customer", sentence), ("agent", sentence), family="tone")
    assert [t for f, t, turn in found if f == "tone.customer_shouting" and turn == 0] == customer
    assert [t for f, t, turn in found if f == "tone.shouting" and turn == 1] == agent


@pytest.mark.parametrize("customer, informal", [("omg it's PERFECT but the card is wrong lol", False),
                                                ("The card in my order is wrong.", True)])
def test_slang_answering_a_customer_who_wrote_it_first_is_no_fault(hits, customer, informal):
    found = hits(("customer", customer), ("agent", "Haha, so sorry about the card! I'll send the right one."),
                 family="tone")
    assert bool([t for f, t, turn in found if f == "tone.informal" and turn == 1]) is informal
    assert bool([t for f, t, turn in found if f == "tone.customer_informal"]) is not informal


def test_profanity_on_both_sides_with_distinct_features(hits):
    found = hits(("customer", "This is fucking ridiculous."), ("agent", "Damn, that's a shame."), family="tone")
    assert ("tone.customer_profanity", "fucking", 0) in found
    assert ("tone.profanity", "Damn", 1) in found
    assert not [f for f, _, turn in found if f == "tone.profanity" and turn == 0]


def test_agent_only_features_never_fire_on_customer_or_internal_text(analyze):
    report = analyze(
        {"role": "customer", "text": "You need to fix this, please. Could you check? Thanks. lol"},
        {"role": "agent", "text": "You need to calm down, mate, it's policy.", "internal": True},
        {"role": "bot", "text": "You need to restart it. Please wait."},
        {"role": "agent", "text": "Hi."},
    )
    agent_side = {"tone.imperative", "tone.polite_please", "tone.polite_indirect_request", "tone.polite_gratitude",
                  "tone.informal", "tone.negative_phrasing", "tone.politeness", "tone.agent_sentiment"}
    assert not [e for e in report.evidence if e.feature in agent_side and e.turn != 3]
    # internal notes and bots are not scored as customer-facing text (a long enough internal note is a case note
    # for colleagues: resolution.case_note, teamwork; this one is too short)
    assert not [e for e in report.evidence if e.turn in (1, 2)]


# --- politeness ---------------------------------------------------------------------------------------------------

POLITENESS_PAIRS = [
    ("Could you please send the photo? Thanks so much!", "Send the photo."),
    ("Thank you for your patience, I really appreciate it.", "You need to wait."),
    ("Would you mind checking the address for me?", "Check the address."),
    ("Sorry for the trouble, I'd be happy to help.", "What do you want?"),
    ("Hi Dana, thanks for reaching out!", "Why didn't you read the instructions?"),
]


@pytest.mark.parametrize("polite, blunt", POLITENESS_PAIRS)
def test_politeness_orders_polite_above_blunt(evidence, kit, coach, polite, blunt):
    def turn_mean(text):
        scores = values(evidence(("agent", text)), "tone.politeness")
        assert scores and all(-1 <= v <= 1 for v in scores)
        return sum(scores) / len(scores)

    assert turn_mean(polite) - turn_mean(blunt) >= 0.3
    whole = [kit.politeness.score_doc(coach.nlp(t)) for t in (polite, blunt)]
    assert whole[0] - whole[1] >= 0.3


def test_politeness_evidence_is_each_agent_sentence(evidence):
    found = evidence(("agent", "Hello! Could you please send the photo?  Thanks."))
    assert [e.text for e in found if e.feature == "tone.politeness"] == [
        "Hello!", "Could you please send the photo?", "Thanks."]
    assert all(e.rule == "model:politeness" for e in found if e.feature == "tone.politeness")


def test_runtime_score_is_the_model_score_of_the_sentence(evidence, kit, coach):
    sentence = "Would you mind sending the receipt?"
    value = values(evidence(("agent", sentence)), "tone.politeness")[0]
    assert value == round(kit.politeness.score_doc(coach.nlp(sentence)), 4)


def test_model_refuses_other_feature_definitions(coach):
    document = dict(load_json("lexicons/tone.json"))
    document["entries"] = [e for e in document["entries"] if e["id"] != "please.start"]
    lexicon = Lexicon("test", document, coach.nlp)
    featurizer = PolitenessFeaturizer(lexicon, document, dict(RAW.lexicon))
    with pytest.raises(DataFileError, match="definitions_sha256.*retrain"):
        load_politeness_model(featurizer)


def test_politeness_features_are_the_same_for_a_sentence_and_a_request(kit, coach):
    doc = coach.nlp("Hi there. Could you please check?")
    sentence = list(doc.sents)[1]
    features = kit.featurizer.features(sentence, kit.featurizer.matches(doc))
    alone = kit.featurizer.document_features(coach.nlp("Could you please check?"))
    assert features == alone
    assert {"strategy:indirect.could_you", "strategy:please.inner", "w:please", "w2:<s> could"} <= set(features)


# --- customer trajectory --------------------------------------------------------------------------------------

def test_trajectory_from_angry_to_happy(evidence):
    last = "Great, that fixed it, thank you so much!"
    found = evidence(("customer", "This is terrible, my order is late again!"), ("agent", "Let me check."),
                     ("customer", last))
    trajectory = [e for e in found if e.feature == "tone.customer_trajectory"]
    end = [e for e in found if e.feature == "tone.customer_end_sentiment"]
    assert [e.text for e in trajectory] == [last] and [e.turn for e in trajectory] == [2]
    first, final = values(found, "tone.customer_sentiment")
    assert trajectory[0].value == pytest.approx(final - first, abs=1e-3) and trajectory[0].value > 0.8
    assert end[0].value == pytest.approx(final, abs=1e-3)


def test_trajectory_from_calm_to_angry_is_negative(evidence):
    found = evidence(("customer", "Hi, thanks for the quick reply."), ("agent", "You're welcome."),
                     ("customer", "Still nothing. This is ridiculous and I am furious."))
    assert values(found, "tone.customer_trajectory")[0] < -0.5


def test_trajectory_averages_the_first_and_last_turns(evidence):
    turns = [("customer", "I love this shop."), ("agent", "Thanks!"), ("customer", "But the app is awful."),
             ("agent", "Sorry."), ("customer", "It crashed."), ("agent", "Fixed."), ("customer", "Good, great.")]
    found = evidence(*turns)
    per_turn = {}
    for e in found:
        if e.feature == "tone.customer_sentiment":
            per_turn.setdefault(e.turn, []).append(e.value)
    means = [sum(v) / len(v) for _, v in sorted(per_turn.items())]
    expected = (means[-1] + means[-2]) / 2 - (means[0] + means[1]) / 2  # settings.trajectory_turns = 2
    assert values(found, "tone.customer_trajectory") == [pytest.approx(expected, abs=1e-3)]


@pytest.mark.parametrize("before, agent, last, resigned", [
    ("I just told you I can't use the form.", "It's the only way we can do it, sorry.", "Fine.", "Fine."),
    ("I'm sending this for the third time.", "Please fill in the form.", "whatever", "whatever"),  # they repeated
    ("My parcel is late.", "It's the only way we can do it, sorry.", "Forget it!", "Forget it!"),  # after a refusal
    ("I don't understand what that means.", "Go to settings and turn sync on.", "I can't find it. Never mind.",
     "Never mind."),  # confused, then giving up in a sentence of its own
    ("Can you call me at 3pm instead?", "Yes, 3pm works. I'll call you then.", "Fine.", None),  # agreement
    ("I just told you I can't use the form.", "It's the only way we can do it, sorry.", "Fine, I'll do it now.",
     None),  # more than giving up
])
def test_a_reply_that_gives_up_after_a_refusal_or_a_complaint_is_no_better_mood(evidence, before, agent, last,
                                                                                 resigned):
    found = evidence(("customer", "Hello, I need to change the name on my account."), ("agent", "Use the form."),
                     ("customer", before), ("agent", agent), ("customer", last))
    final = [e for e in found if e.feature == "tone.customer_sentiment" and e.turn == 4]
    assert [e.text for e in final if e.rule == "reply:resigned"] == ([resigned] if resigned else [])
    assert all(e.value == -0.25 for e in final if e.rule == "reply:resigned")
    if resigned == last:
        assert values(found, "tone.customer_end_sentiment") == [-0.25]
    if resigned is None:
        assert final[0].value > 0


@pytest.mark.parametrize("last, upset", [
    ("ok. could you not have said that 15 minutes ago", "could you not have said that 15 minutes ago"),  # VADER: 0
    ("I was charged twice and nobody has done anything.", "I was charged twice and nobody has done anything."),
    ("Unbelievable.", "Unbelievable."),  # VADER: +0.2
    ("Wow, I can't believe I got a person this quickly!", None),  # the cue, but glad: VADER is left to read it
    ("ok. thanks for checking", None),
])
def test_an_upset_sentence_that_reads_neutral_is_upset(evidence, last, upset):
    found = evidence(("customer", "My card was charged but the order failed."), ("agent", "Let me check."),
                     ("customer", last))
    final = [e for e in found if e.feature == "tone.customer_sentiment" and e.turn == 2]
    assert [e.text for e in final if e.rule == "reply:upset"] == ([upset] if upset else [])
    assert all(e.value == -0.25 for e in final if e.rule == "reply:upset")


def test_no_trajectory_when_the_customer_spoke_once(evidence):
    found = evidence(("customer", "My parcel is late."), ("agent", "Sorry, checking now."))
    assert not values(found, "tone.customer_trajectory") and not values(found, "tone.customer_end_sentiment")


def test_extraction_is_fast_per_turn(coach):
    lines = ["Hi, my order never arrived and I am SO ANGRY. What the hell?",
             "Hello! I'm sorry for the wait. Could you please send the photo? Thanks so much!",
             "You need to restart it. You should have checked the manual. I can't do that, it's policy.",
             "ok thanks, that fixed it! great :)"]
    turns = [{"role": "customer" if i % 2 == 0 else "agent", "text": f"{lines[i % 4]} Order {i}."}
             for i in range(400)]
    docs = annotate(coach.nlp, [Transcript.from_turns(turns)], ["en"])[0]
    extract(docs, coach.resources, ["tone"])
    started = time.perf_counter()
    extract(docs, coach.resources, ["tone"])
    assert (time.perf_counter() - started) / 400 < 0.002  # ~0.2 ms per turn measured; generous for slow machines


@pytest.mark.parametrize("customer, sarcastic", [
    ("Oh great, another estimated bill. Brilliant.", True),
    ("Sure, because the last three readings I sent clearly worked so well.", True),
    ("Oh great, that worked. Brilliant, thank you!", False),
])
def test_praise_in_a_sarcastic_customer_turn_reads_negative(evidence, customer, sarcastic):
    scores = values(evidence(("customer", customer), ("agent", "I'm sorry about that.")), "tone.customer_sentiment")
    assert scores and (max(scores) <= 0) is sarcastic


def _composed(hits, customer, agent):
    return [t for f, t, turn in hits(("customer", "Hi, my broadband keeps dropping."), ("agent", "Sorry about that."),
                                     ("customer", customer), ("agent", agent), family="tone")
            if f == "tone.composure"]


@pytest.mark.parametrize("customer, agent, found", [
    # an angry, repeating or confused customer answered calmly: the reply's first sentence
    ("This is the THIRD time I'm telling you this!!", "I understand, and I'm sorry you've had to repeat it. "
     "I've logged a fault.", ["I understand, and I'm sorry you've had to repeat it."]),
    ("As I said, I already restarted the router.", "Thanks for trying that. Let's check the line instead.",
     ["Thanks for trying that."]),
    ("I don't understand what that means.", "No problem, let me put it another way.",
     ["No problem, let me put it another way."]),
    ("This is f***ing useless, what a joke.", "I'm sorry it's been so frustrating. I'll book an engineer.",
     ["I'm sorry it's been so frustrating."]),
    # answered in kind, or curtly: no composure
    ("This is the THIRD time I'm telling you this!!", "Calm down. I've logged a fault.", []),
    ("As I said, I already restarted the router.", "You need to restart it again.", []),
    ("This is f***ing useless, what a joke.", "THERE IS NOTHING WRONG ON OUR SIDE.", []),
    # nothing to be patient about
    ("Ok, what should I try next?", "Let's check the line instead.", []),
])
def test_composure_is_a_calm_reply_to_an_angry_repeating_or_confused_customer(hits, customer, agent, found):
    assert _composed(hits, customer, agent) == found


def test_an_agent_who_snapped_once_shows_no_composure(hits):
    found = hits(("customer", "This is the THIRD time I'm telling you this!!"), ("agent", "I'm sorry, let me look."),
                 ("customer", "As I said, the router is already restarted."), ("agent", "Calm down, I'm checking."),
                 family="tone")
    assert [f for f, _, _ in found if f == "tone.composure"] == []


# --- spelling ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("agent, typos", [
    ("I have 3 resturants avaialble in the centre.", ["resturants", "avaialble"]),
    ("Your table is booked succesfully. Is there anyhting else?", ["succesfully", "anyhting"]),
    ("I have 3 restaurants available in the centre.", []),
    ("The guesthouse is on tenison road, near the station.", []),  # a place written in lower case
    ("Byard Art is open until 5pm.", []),  # capitalised: may be a name
])
def test_an_agents_misspelt_words(evidence, agent, typos):
    found = evidence(("customer", "Can you find me somewhere to eat?"), ("agent", agent))
    assert [e.text for e in found if e.feature == "tone.misspelling"] == typos
    assert all(e.rule == "wordfreq:misspelling" for e in found if e.feature == "tone.misspelling")


def test_a_word_the_customer_wrote_first_is_no_agents_misspelling_and_a_typo_is_no_jargon(analyze):
    report = analyze(("customer", "Is the shaddai restaurant open? And the resturant on the corner?"),
                     ("agent", "Yes, shaddai is open, and the resturant on the corner too. "
                                "Other resturants shut at 9."))
    assert [e.text for e in report.evidence if e.feature == "tone.misspelling"] == ["resturants"]
    assert not [e for e in report.evidence if e.feature == "jargon.rare_word" and "restu" in e.text]
