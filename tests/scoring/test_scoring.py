"""Skill scores, notes and flags: the rubric loads and validates, scores move the right way, notes quote the
conversation, flags fire where a QA lead would look and stay quiet where they would not."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from transcript_coach import SKILLS, Coach, Transcript, coaching
from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.scoring.conditions import Analysed
from transcript_coach.scoring.rubric import load_rubric, parse_rubric


@pytest.fixture(scope="module")
def coach():
    return Coach()


def chat(*turns, start="2026-04-03T09:00:00Z", step=60):
    """Turns as (role, text); timestamps one minute apart unless ``start`` is None."""
    from datetime import datetime, timedelta

    base = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
    records = []
    for i, (role, text) in enumerate(turns):
        record = {"role": role, "speaker": "Dana Kim" if role == "customer" else "Tom", "text": text}
        if base is not None:
            record["timestamp"] = (base + timedelta(seconds=step * i)).isoformat()
        records.append(record)
    return Transcript.from_turns(records, id="t")


UPSET = ("customer", "My parcel never arrived and I'm really upset, it was a birthday present for my son.")
EMPATHY = "I'm so sorry, that sounds really stressful with the birthday coming up."
FIX = "I've rebooked it for tomorrow morning and refunded the delivery fee."
THANKS = ("customer", "Great, that works. Thank you!")


def score(coach, transcript, skill):
    return coach.analyze(transcript).skills[skill].score


def test_shipped_rubric_covers_every_skill():
    rubric = load_rubric()
    assert set(rubric.skills) == set(SKILLS)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.pop("skills"), "missing key 'skills'"),
        (lambda d: d["skills"].pop("empathy"), "skills.empathy: missing"),
        (lambda d: d["skills"].__setitem__("charm", {}), "skills.charm: not a skill"),
        (lambda d: d["skills"]["empathy"].__setitem__("base", "high"), "skills.empathy.base: expected"),
        (lambda d: d["skills"]["empathy"]["signals"][0].pop("weight"),
         "skills.empathy.signals[0]: missing key 'weight'"),
        (lambda d: d["skills"]["empathy"]["requires"].append("moon"), "unknown condition 'moon'"),
        (lambda d: d["skills"]["empathy"]["signals"][0].__setitem__("target", 0), "target: must not be 0"),
        (lambda d: d["skills"]["empathy"]["signals"][0].__setitem__("cites", ["tone.customer_emotion"]),
         "skills.empathy.signals[0].cites: only a 'missing' signal cites evidence"),
        (lambda d: next(s for s in d["skills"]["empathy"]["signals"] if s.get("missing")).__setitem__("cites", "x"),
         "cites: expected a list of feature names"),
        (lambda d: d["flags"]["TC101"].__setitem__("severity", "urgent"), "flags.TC101.severity"),
        (lambda d: d["flags"]["TC109"].__setitem__("threshold", ""), "flags.TC109.threshold: expected a finite number"),
        (lambda d: d["flags"]["TC107"].__setitem__("threshold", 600), "flags.TC107.threshold: expected an object"),
        (lambda d: d["flags"]["TC107"]["threshold"].__setitem__("chat", "10 min"), "flags.TC107.threshold: expected"),
        (lambda d: d["coaching"].__setitem__("suggestions", 0.5), "coaching.suggestions: expected an object"),
        (lambda d: d["coaching"]["suggestions"].__setitem__("listening.reask", 5),
         "coaching.suggestions.listening.reask: expected a string"),
        (lambda d: d["coaching"]["suggestions"].__setitem__("listening.reask", "Thanks{nmae}"),
         "{nmae} is not a field a suggestion can use"),
        (lambda d: d["coaching"]["suggestions"].__setitem__("listening.reask", "Say {text:>999999999}"),
         "{text:>999999999} is not a field"),
        (lambda d: d["coaching"]["suggestions"].__setitem__("listening.reask", "a { b"), "a brace itself is written"),
        (lambda d: d["skills"]["empathy"]["notes"].__setitem__("strength:tone.plain_language", "{quote}"),
         "skills.empathy.notes.strength:tone.plain_language: expected 'strength' or 'improvement'"),
        (lambda d: d["skills"]["empathy"]["notes"].__setitem__("praise", "{quote}"), "skills.empathy.notes.praise"),
        # a name that would never match anything is refused, with the closest known one
        (lambda d: d["skills"]["empathy"]["signals"][0].__setitem__("feature", "empaty.reaction"),
         "skills.empathy.signals[0].feature: 'empaty.reaction' is not a feature"),
        (lambda d: d["skills"]["empathy"]["signals"][0].__setitem__("feature", "empathy"), "expected 'family.detail'"),
        (lambda d: next(s for s in d["skills"]["empathy"]["signals"] if s.get("cites"))["cites"].append("tone_emotion"),
         "cites[3]: 'tone_emotion' is not a feature"),
        (lambda d: d["coaching"]["suggestions"].__setitem__("listening.reaks", "x"),
         "suggestions.listening.reaks: 'listening.reaks' is the feature of none of the rubric's signals, so the "
         "suggestion would never be used (a missing signal's is written 'missing:' and its feature); did you mean "
         "'listening.reask'?"),
        (lambda d: d["coaching"]["suggestions"].__setitem__("empathy.*", "x"), "did you mean 'missing:empathy.*'?"),
        (lambda d: d["coaching"]["suggestions"].__setitem__("empathy#circumstances.mony", "x"),
         "'circumstances.mony' is no entry of the lexicons (after '#' comes the id of the lexicon entry that found the "
         "words, like 'emotion.loss'); did you mean 'circumstances.money'?"),
        (lambda d: d["coaching"]["suggestions"].__setitem__("timing.long_gap@mail", "x"),
         "after '@' comes a channel, one of chat, email, voice (and no '#' entry); did you mean 'email'?"),
        (lambda d: d["coaching"]["suggestions"].__setitem__("timing#wait.hold@email", "x"), "after '@' comes"),
        (lambda d: d["flags"]["TC116"]["kinds"].__setitem__("lexicon:customer#circumstance.money", "debt"),
         "flags.TC116.kinds.lexicon:customer#circumstance.money: not the rule of a lexicon entry ('lexicon:' the "
         "lexicon's name '#' the entry's id); did you mean 'circumstances.money'?"),
    ],
)
def test_broken_rubric_names_the_key(mutate, message):
    document = copy.deepcopy(load_json("rubric.json"))
    mutate(document)
    with pytest.raises(DataFileError) as info:
        parse_rubric(document, "team.json")
    assert message in str(info.value) and "team.json" in str(info.value)


def test_every_suggestion_field_is_made_by_the_coaching_notes():
    from transcript_coach.coaching import _Values
    from transcript_coach.scoring.rubric import SUGGESTION_FIELDS

    assert all(callable(getattr(_Values, f"_{field}", None)) for field in SUGGESTION_FIELDS)


@pytest.mark.parametrize("key", ["listening.reask", "listening.reask@email", "missing:empathy.*#emotion.loss",
                                 "empathy#circumstances.money", "resolution.unresolved#unresolved.gave_up",
                                 "knowledge.hedge#hedge.think+find-out"])
def test_suggestion_keys_the_notes_look_up_are_accepted(key):
    document = copy.deepcopy(load_json("rubric.json"))
    document["coaching"]["suggestions"][key] = "Try: {text}"
    assert parse_rubric(document, "team.json").coaching["suggestions"][key] == "Try: {text}"


def test_team_rubric_may_keep_suggestions_of_signals_it_left_out():
    document = copy.deepcopy(load_json("rubric.json"))
    document["skills"]["active_listening"]["signals"] = [{"feature": "listening.paraphrase", "weight": 10}]
    document["skills"]["active_listening"]["notes"] = {}
    assert "listening.reask" in parse_rubric(document, "team.json").coaching["suggestions"]
    document["coaching"]["suggestions"]["listening.reaks"] = "x"  # a misspelling is still refused
    with pytest.raises(DataFileError, match="listening.reaks"):
        parse_rubric(document, "team.json")


def test_rubric_file_option(tmp_path, coach):
    document = copy.deepcopy(load_json("rubric.json"))
    document["skills"]["empathy"]["base"] = 100
    document["skills"]["empathy"]["signals"] = [{"feature": "empathy.apology", "weight": -100, "target": 1}]
    document["skills"]["empathy"]["notes"] = {"improvement": "Less apologising: {quote}"}  # none for signals gone
    path = tmp_path / "team.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    team = Coach(rubric=path)
    transcript = chat(UPSET, ("agent", "Sorry about that. " + FIX), THANKS)
    assert team.analyze(transcript).skills["empathy"].score == 0
    assert coach.analyze(transcript).skills["empathy"].score > 0
    with pytest.raises(DataFileError):
        Coach(rubric=tmp_path / "missing.json")


def test_every_rubric_feature_is_produced_by_some_signal(coach, samples):
    lexicon_features = set()
    from importlib import resources

    folder = resources.files("transcript_coach.data").joinpath("lexicons")
    for path in folder.iterdir():
        if path.name.endswith(".json"):
            lexicon_features |= {e["feature"] for e in json.loads(path.read_text("utf-8")).get("entries", [])}
    seen = {e.feature for r in coach.score([samples]) for e in getattr(r, "evidence", ())}
    code = resources.files("transcript_coach").joinpath("signals")
    emitted = {m for path in code.iterdir() if path.name.endswith(".py")
               for m in re.findall(r'"([a-z]+\.[a-z_]+)"', path.read_text("utf-8"))}
    known = lexicon_features | seen | emitted
    for skill in load_rubric().skills.values():
        for signal in skill.signals:
            feature = signal.base_feature
            if feature.endswith(".*"):
                assert any(k.startswith(feature[:-1]) for k in known), feature
            else:
                assert feature in known, f"{skill.skill}: {feature} is produced by no signal"


def test_empathy_removed_scores_lower(coach):
    with_empathy = chat(UPSET, ("agent", EMPATHY + " " + FIX), THANKS)
    without = chat(UPSET, ("agent", FIX), THANKS)
    assert score(coach, without, "empathy") < score(coach, with_empathy, "empathy")


def test_unexplained_jargon_scores_lower_on_clear_communication(coach):
    plain = chat(UPSET, ("agent", FIX + " You'll get a text when it's on the way."), THANKS)
    jargon = chat(UPSET, ("agent", FIX + " Your RMA and SLA are in the CRM, pending DNS propagation."), THANKS)
    assert score(coach, jargon, "clear_communication") < score(coach, plain, "clear_communication")


def test_kept_specific_promise_beats_a_vague_one_on_follow_up(coach):
    specific = chat(UPSET, ("agent", "I'll email you the new tracking number within 10 minutes."),
                    ("customer", "OK thanks."), ("agent", "I've just emailed you the new tracking number."))
    vague = chat(UPSET, ("agent", "We'll look into it and someone will get back to you."), ("customer", "OK thanks."),
                 ("agent", "Thanks for your patience."))
    assert score(coach, specific, "follow_up") > score(coach, vague, "follow_up")


def test_a_fix_made_scores_higher_on_problem_solving_than_the_problem_seen(coach):
    problem = ("customer", "I was charged twice for March.")
    fixed = chat(problem, ("agent", "I've refunded the second charge of $49.00."), ("customer", "OK."))
    seen = chat(problem, ("agent", "I can see the second charge of $49.00."), ("customer", "OK."))
    assert score(coach, fixed, "problem_solving") > score(coach, seen, "problem_solving")


def test_an_update_that_keeps_an_earlier_promise_scores_follow_up(coach):
    update = chat(("agent", "Hi Dana, as promised when we spoke on Tuesday, I've checked your refund: it went out "
                            "yesterday."), start=None)
    assert score(coach, update, "follow_up") > 55


def test_blame_lowers_professionalism(coach):
    calm = chat(UPSET, ("agent", FIX), THANKS)
    blame = chat(UPSET, ("agent", "You should have checked the address before ordering. " + FIX), THANKS)
    assert score(coach, blame, "professionalism") < score(coach, calm, "professionalism")


def test_skills_without_evidence_are_null_with_a_reason(coach):
    report = coach.analyze(chat(("customer", "Hi, what time do you open?"), ("agent", "We open at 9am."),
                                start=None))
    skills = report.skills
    assert skills["continuous_learning"].score is None and "over time" in skills["continuous_learning"].reason
    assert skills["time_management"].score is None and "timestamps" in skills["time_management"].reason
    assert skills["conflict_resolution"].score is None and "frustration" in skills["conflict_resolution"].reason
    assert skills["teamwork"].score is None and "handoff" in skills["teamwork"].reason


def test_a_colleague_consulted_is_teamwork_and_not_knowing_then_finding_out_costs_no_knowledge(coach):
    alone = chat(("customer", "Why was I charged twice?"), ("agent", "I don't know. It happens sometimes."))
    consulted = chat(("customer", "Why was I charged twice?"),
                     ("agent", "I don't know, so I'll ask our billing team."),
                     ("agent", "Our billing team confirmed the second charge is a hold; it drops off in 3 days."))
    assert score(coach, alone, "teamwork") is None
    assert score(coach, consulted, "teamwork") > 60
    assert score(coach, consulted, "product_knowledge") > score(coach, alone, "product_knowledge")


def test_a_generic_salutation_costs_professionalism_and_the_note_names_the_customer(coach):
    def email(salutation):
        return Transcript.from_turns([
            {"role": "customer", "speaker": "Olu Adeyemi", "text": "The wardrobe panel arrived split."},
            {"role": "agent", "speaker": "Grace", "text": salutation + ",\n\nI'm sorry. I've ordered a new panel."}],
            channel="email")
    generic, named = coach.analyze(email("Dear Customer")), coach.analyze(email("Dear Olu"))
    assert generic.skills["professionalism"].score < named.skills["professionalism"].score
    analysed = Analysed(generic.transcript, generic.evidence, generic.metrics["features"])
    rubric = load_rubric()
    (part, evidence), *_ = coaching._faults("professionalism", analysed, rubric)
    note = coaching._improvement("professionalism", part, evidence, analysed, rubric, lambda term: None)
    assert "Dear Customer" in note.text
    assert "\u201cDear Olu,\u201d" in note.suggestion and "\u201cDear Customer\u201d" in note.suggestion


@pytest.mark.parametrize("reply, feature, suggestion", [
    ("I'm sorry your name came through garbled.", "jargon.rare_word",
     "Use an everyday word the customer will know instead of \u201cgarbled\u201d."),
    ("Please send me a photo of the PDQ receipt so I can check it.", "jargon.acronym",
     "Spell out \u201cPDQ\u201d, or use the plain words, the first time you use it."),
])
def test_a_jargon_suggestion_names_the_word(coach, reply, feature, suggestion):
    report = coach.analyze(chat(("customer", "I was charged twice and I'm annoyed."), ("agent", reply)))
    (note,) = [n for n in report.notes if n.skill == "clear_communication"]
    assert [e.feature for e in report.evidence if e.id in note.evidence] == [feature]
    assert note.suggestion == suggestion


@pytest.mark.parametrize("reply, suggestion", [
    ("You need to restart the router.", "Ask rather than tell, e.g. \u201cCould you restart the router?\u201d"),
    ("Ok. If it's still slow, you have to restart the router and tell me what the light does!",
     "Ask rather than tell, e.g. \u201cIf it's still slow, could you restart the router and tell me what the light "
     "does?\u201d"),
    # what is so rather than a request, or too long to rewrite: the next template that applies
    ("You have to pay $192 in total.", "Ask rather than tell, e.g. \u201cCould you \u2026, please?\u201d"),
    ("No, you must apply for a refund and buy a new ticket.",
     "Ask rather than tell, e.g. \u201cCould you \u2026, please?\u201d"),
    ("You need to restart the router, which is the black box with the green lights that our engineer fitted in the "
     "hall when you moved in last spring, and wait.",
     "Ask rather than tell, e.g. \u201cCould you \u2026, please?\u201d"),
])
def test_a_command_is_rewritten_as_a_request(coach, reply, suggestion):
    report = coach.analyze(chat(("customer", "My internet is slow."), ("agent", reply), ("customer", "ok")))
    (note,) = [n for n in report.notes if n.skill == "patience"]
    assert note.suggestion == suggestion


def test_no_empathy_costs_more_when_the_customer_was_upset(coach):
    calm = chat(("customer", "The lock says jammed every time I lock the door. Firmware is 3.4.1."),
                ("agent", "Please check the magnet on the door frame is lined up."))
    upset = chat(("customer", "The lock says jammed every time I lock the door and I'm really upset about it."),
                 ("agent", "Please check the magnet on the door frame is lined up."))
    calm_score, upset_score = score(coach, calm, "empathy"), score(coach, upset, "empathy")
    assert upset_score < calm_score < 50


def test_missing_empathy_quotes_the_problem_as_first_told_not_later_good_news(coach):
    report = coach.analyze(chat(
        ("customer", "The lock shows jammed after I lock the front door from the app. The bolt goes fully across."),
        ("agent", "Please check the magnet on the door frame."),
        ("customer", "Updated overnight, no jammed message now. Thank you!")))
    (note,) = [n for n in report.notes if n.skill == "empathy"]
    assert "The lock shows jammed" in note.text and "no jammed message" not in note.text


def test_missing_empathy_links_the_customers_words_that_called_for_it(coach):
    report = coach.analyze(chat(("customer", "My parcel says delivered but I never got it. How am I supposed to "
                                             "contact the driver?"),
                                ("agent", "You need to contact the driver.")))
    features = {e.id: e.feature for e in report.evidence}
    empathy = report.skills["empathy"]
    assert empathy.score is not None and empathy.score < 35
    # "says delivered" states the problem, "How am I supposed to" is the feeling
    assert [features[i] for i in empathy.evidence] == ["tone.customer_problem", "tone.customer_emotion"]
    (flag,) = [f for f in report.flags if f.code == "TC110"]
    assert flag.evidence == empathy.evidence


def test_a_customer_lost_in_jargon_costs_clear_communication_and_a_simpler_way_is_adaptability(coach):
    plain = chat(("customer", "Hi, some websites won't load."), ("agent", "Please flush your DNS cache."),
                 ("customer", "Ok, done."), ("agent", "Great."))
    lost = chat(("customer", "Hi, some websites won't load."), ("agent", "Please flush your DNS cache."),
                ("customer", "Sorry, I don't understand any of that."),
                ("agent", "No worries, let's do it a simpler way: switch the router off and on again."))
    assert score(coach, lost, "clear_communication") < score(coach, plain, "clear_communication")
    assert score(coach, plain, "adaptability") is None and score(coach, lost, "adaptability") > 55
    (note,) = [n for n in coach.analyze(lost).notes if n.skill == "empathy"]
    assert "I'm sorry some websites won't load" in note.suggestion  # the customer's "Hi," is not the problem


def test_the_suggestion_names_the_problem_told_not_the_plea_for_help(coach):
    report = coach.analyze(chat(
        ("customer", "hi my son is really upset. can someone help quickly please"),
        ("agent", "Please provide your order number and the model of your device."),
        ("customer", "It's the Tab 8 Kids. It won't charge at all, the light doesn't come on."),
        ("agent", "Please try a different cable.")))
    (note,) = [n for n in report.notes if n.skill == "empathy"]
    assert "I'm sorry it won't charge at all" in note.suggestion
    assert "help quickly" not in note.suggestion


def test_a_professionalism_strength_quotes_what_was_said_not_the_signature(coach):
    signed = "Hi Dana,\n\nThank you so much for your patience while I checked this.\n\n{}\n\nKind regards,\nTom"
    report = coach.analyze(chat(("customer", "Where is my refund?"),
                                ("agent", signed.format("Your refund was sent today."))))
    (note,) = [n for n in report.notes if n.skill == "professionalism" and n.kind == "strength"]
    assert "regards" not in note.text and "patience" in note.text
    only = coach.analyze(chat(("customer", "Where is my refund?"), ("agent", "Kind regards,\nTom")))
    assert [n.text for n in only.notes if n.skill == "professionalism"] in ([], [
        "Professional and courteous: \u201cKind regards, Tom\u201d (Tom, turn 2)"])


def test_a_strength_by_a_sentence_score_is_no_sign_off(coach):
    report = coach.analyze(chat(("customer", "How long does installation take?"),
                                ("agent", "Hi Dana,\n\nInstallation usually takes one day.\n\n"
                                          "Let me know if you'd like to book.\n\nBest,\nTom")))
    assert not any("Best" in n.text for n in report.notes if n.kind == "strength")


def test_missing_empathy_without_a_cue_cites_the_customers_most_negative_sentence(coach):
    report = coach.analyze(chat(("customer", "Hi, I'm trying to set up the app but I'm not very good with phones. "
                                             "Where do I put the code?"),
                                ("agent", "It's on the first screen.")))
    features = {e.id: e for e in report.evidence}
    assert report.skills["empathy"].score is not None and report.skills["empathy"].score < 50
    cited = [features[i] for i in report.skills["empathy"].evidence]
    assert cited and cited[0].feature == "tone.customer_sentiment" and cited[0].value < 0
    (flag,) = [f for f in report.flags if f.code == "TC110"]
    assert flag.evidence


def test_the_cause_told_is_no_negative_framing_to_correct(coach):
    report = coach.analyze(chat(("customer", "Where is my refund? It's been two weeks."),
                                ("agent", "Our warehouse logged the sofa back in on April 16th, but the refund was "
                                          "never released because the return was attached to the wrong order line."),
                                ("customer", "ok")))
    assert not any("wrong order line" in n.text for n in report.notes if n.kind == "improvement")


def test_a_role_label_is_no_signature(coach):
    report = coach.analyze(Transcript.from_turns([
        {"role": "customer", "speaker": "Dana", "text": "My router died."},
        {"role": "agent", "speaker": "Agent",
         "text": "I'm really happy to say our agent will bring a new router today. It is due at 5pm."}]))
    assert any("our agent will bring a new router" in n.text for n in report.notes if n.kind == "strength")


def test_a_strength_by_a_sentence_score_quotes_a_good_sentence_that_says_something(coach):
    report = coach.analyze(chat(("customer", "My parcel is late."),
                                ("agent", "Brilliant, thanks so much! I am glad to help you with this today. "
                                          "The parcel left the depot at 9am."), ("customer", "ok")))
    (note,) = [n for n in report.notes if n.skill == "positive_attitude"]
    assert "I am glad to help you with this today" in note.text  # not the warmer, emptier "Brilliant, thanks so much!"


def test_no_note_for_a_cost_that_rounds_to_nothing_nor_a_suggestion_without_a_problem_to_name(coach):
    report = coach.analyze(chat(("customer", "How do I reset the thermostat schedule?"),
                                ("agent", "Well, that's what the manual is for. Page 12."),
                                ("customer", "I don't have the manual."), ("agent", "It's online. Just google it."),
                                ("customer", "Wow. Thanks for nothing.")))
    notes = {n.skill: n for n in report.notes}
    assert notes["empathy"].suggestion is None  # not "I'm sorry thanks for nothing" nor "I'm sorry wow"
    assert "manual" in notes["patience"].text and "Give the answer itself" in notes["patience"].suggestion
    promo = coach.analyze(chat(("customer", "hey, my promo code SAVE20 isn't working at checkout"),
                               ("bot", "I'm the virtual assistant. Promo codes can be entered on the payment page. "
                                       "Did you want to talk to a person?"),
                               ("customer", "yes please"),
                               ("agent", "Hi, Kim here. I can see SAVE20 expired on 28 November, which is why it's "
                                         "being rejected. I've applied a 20% discount to your basket manually "
                                         "instead.")))
    assert "-0 politeness" in promo.skills["patience"].reason  # a cost of a fraction of a point...
    assert [n.skill for n in promo.notes if n.skill == "patience"] == []  # ...is no thing to coach


def test_a_missing_empathy_note_quotes_no_neutral_greeting(coach):
    report = coach.analyze(chat(("customer", "hello. i bought the monthly plan and my bank shows two payments."),
                                ("agent", "The first one is a temporary hold."),
                                ("customer", "sorry, what is a temporary hold?"),
                                ("agent", "It is a check that your card works.")))
    assert "no empathy" in report.skills["empathy"].reason  # the sorry question read upset
    (note,) = [n.text for n in report.notes if n.skill == "empathy"]
    assert "“i bought the monthly plan and my bank shows two payments.”" in note  # what they said, not "hello."


def test_no_strength_quotes_a_greeting_or_anything_else_for_clear_words(coach):
    report = coach.analyze(chat(("customer", "Does the X200 vacuum work on thick rugs?"),
                                ("agent", "Hi Omar! Hmm, I think it probably works on most rugs, maybe not "
                                          "thick ones?"),
                                ("customer", "ok and can it map two floors?"),
                                ("agent", "I'm not sure about that one. You could try Google maybe."),
                                ("customer", "And is there a warranty?"),
                                ("agent", "Yeah there should be some kind of warranty, I believe. Anything else?"),
                                ("customer", "no")))
    assert report.skills["clear_communication"].score >= 75  # strong, with nothing plain to quote for it
    assert [n.text for n in report.notes if n.kind == "strength" and n.skill == "clear_communication"] == []


def test_an_improvement_note_says_what_kind_of_fault_it_quotes(coach, tmp_path):
    transcript = chat(("customer", "Hola, mi pedido no ha llegado."),
                      ("agent", "Hello Lucia. Could you write in English please?"),
                      ("customer", "my order not arrive"),
                      ("agent", "It's with the courier and due tomorrow."))
    # it costs empathy, professionalism and cultural sensitivity: said once, by the skill it costs most
    quoting = [n for n in coach.analyze(transcript).notes if "Could you write in English" in n.text]
    assert [n.skill for n in quoting] == ["cultural_sensitivity"]
    document = copy.deepcopy(load_json("rubric.json"))
    for skill in ("professionalism", "cultural_sensitivity"):
        signals = document["skills"][skill]["signals"]
        document["skills"][skill]["signals"] = [s for s in signals if s["feature"] != "tone.insensitive"]
    path = tmp_path / "empathy_only.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    empathy = next(n for n in Coach(rubric=path).analyze(transcript).notes if n.skill == "empathy")
    assert empathy.text.startswith("This could come across as disrespectful:")  # not "feelings went unacknowledged"


def test_a_skills_evidence_lists_what_cost_points_first(coach):
    report = coach.analyze(chat(("customer", "I was charged for a renewal I didn't expect. Can I get a refund?"),
                                ("agent", "Renewals are charged 7 days after the reminder. There's nothing I can do."),
                                ("customer", "That doesn't help.")))
    features = {e.id: e.feature for e in report.evidence}
    listed = [features[i] for i in report.skills["problem_solving"].evidence]
    assert "knowledge.specific" in listed  # "7 days" comes first in the text, and earns points
    assert listed[0] in ("resolution.refusal", "resolution.unresolved")
    assert all(features[f.evidence[0]] != "knowledge.specific" for f in report.flags if f.code == "TC110")


def test_the_same_fix_sent_again_costs_and_the_suggestion_names_the_problem_not_the_outburst(coach):
    step = "Please restart your router by unplugging it for 30 seconds."
    report = coach.analyze(chat(("customer", "My internet has been dropping every evening for a week."),
                                ("agent", "Thank you for contacting us. " + step),
                                ("customer", "I've done that every night. It doesn't help."),
                                ("agent", "Thank you for contacting us. " + step),
                                ("customer", "Are you even reading my messages? I said I already restarted it."),
                                ("agent", "Apologies. " + step)))
    assert "the same fix offered again" in report.skills["adaptability"].reason
    listening = [n for n in report.notes if n.skill == "active_listening"]
    assert listening and "your internet has been dropping" in listening[0].suggestion
    assert "reading" not in listening[0].suggestion


def test_scores_explain_themselves_and_link_evidence(coach):
    report = coach.analyze(chat(UPSET, ("agent", EMPATHY + " " + FIX), THANKS))
    empathy = report.skills["empathy"]
    assert empathy.score is not None and 0 <= empathy.score <= 100
    assert empathy.reason.startswith("base ") and f"= {empathy.score:.0f}" in empathy.reason
    ids = {e.id: e for e in report.evidence}
    assert empathy.evidence and all(ids[i].feature.startswith(("empathy.", "tone.")) for i in empathy.evidence)
    assert 0 < empathy.confidence <= 1


def test_notes_quote_the_conversation_and_differ_by_weakness(coach):
    jargon = coach.analyze(chat(UPSET, ("agent", "Your RMA is pending; the SLA says 10 days."), THANKS))
    blunt = coach.analyze(chat(UPSET, ("agent", "You should have checked the address. Nothing I can do."),
                               ("customer", "That's ridiculous.")))
    for report in (jargon, blunt):
        turns = [t.text for t in report.transcript.turns]
        improvements = [n for n in report.notes if n.kind == "improvement"]
        assert improvements
        for note in improvements:
            (evidence,) = [e for e in report.evidence if e.id == note.evidence[0]]
            assert evidence.text in turns[evidence.turn]
            assert " ".join(evidence.text.split())[:40] in note.text
    assert {n.text for n in jargon.notes} != {n.text for n in blunt.notes}
    (clarity,) = [n for n in jargon.notes if n.skill == "clear_communication"]
    assert clarity.kind == "improvement" and "RMA" in clarity.text
    assert "return" in clarity.suggestion.lower()  # the glossary's plain words for RMA
    assert not [n for n in blunt.notes if n.skill == "clear_communication" and n.kind == "improvement"]
    assert {n.skill for n in blunt.notes if n.kind == "improvement"} & {"professionalism", "problem_solving",
                                                                         "adaptability", "patience", "empathy"}


def test_a_strength_quotes_the_agents_strongest_evidence_not_the_first(coach):
    report = coach.analyze(chat(UPSET, ("agent", "Good luck with the party anyway! Let me check the tracking."),
                                ("customer", "ok"),
                                ("agent", "Oh no, I'm so sorry to hear that. I understand how upsetting this must be. "
                                          + FIX), THANKS))
    (empathy,) = [n for n in report.notes if n.skill == "empathy"]
    assert empathy.kind == "strength" and "Oh no" in empathy.text and "Good luck" not in empathy.text


def test_strengths_quote_sentences_that_say_something_and_not_the_same_one_twice(coach):
    report = coach.analyze(chat(
        ("customer", "My router keeps dropping the wifi every evening and I work from home, it's so frustrating."),
        ("agent", "I'm sorry, that sounds really frustrating when you work from home. Here's the fix: "
                  "1. In the router app, open Settings and tap Channel. 2. In the list, choose channel 6 and tap Save. "
                  "3. Restart the router from the same page."),
        ("customer", "It works!! Thank you so much."),
        ("agent", "Great to hear! Is there anything else I can help with?")))
    strengths = [n for n in report.notes if n.kind == "strength"]
    assert {"problem_solving", "clear_communication"} <= {n.skill for n in strengths}
    quotes = [n.text[n.text.index("\u201c"):] for n in strengths]
    assert not [q for q in quotes if q.startswith("\u201cHere's the fix")]  # a heading, not what was said
    assert len(set(quotes)) == len(quotes)


def test_improvements_never_quote_the_same_sentence_twice(coach):
    # a repeat costs active listening and adaptability: one note says it, and the next fault gets the other place
    report = coach.analyze(chat(
        ("customer", "Hi, I got a bill for £112 and I can't pay it this month. I lost my job in October."),
        ("agent", "Hello, thanks for getting in touch. Can I take your account number please?"),
        ("customer", "44120987"),
        ("agent", "Thanks. The bill is correct, it covers your usage from August to October."),
        ("customer", "I know it's correct, I'm saying I can't afford it right now"),
        ("agent", "I understand. I've set up a plan of £30 a month starting 1 December.")))
    improvements = [n for n in report.notes if n.kind == "improvement"]
    quotes = [n.text[n.text.index("\u201c"):] for n in improvements]
    assert len(improvements) >= 2 and len(set(quotes)) == len(quotes)
    assert sum("I'm saying I can't afford it" in q for q in quotes) == 1
    assert "empathy" in {n.skill for n in improvements}  # the job loss passed over, no longer crowded out


def test_offering_to_close_over_an_open_question_costs_follow_up_and_is_no_strength(coach):
    asked = (("customer", "I was charged after I cancelled my plan."),
             ("agent", "Hi Dana, I'm sorry about that. I've raised a refund for the £39.99."),
             ("customer", "ok good. will I get an email confirming the cancellation this time?"))
    closed = coach.analyze(chat(*asked, ("agent", "Is there anything else I can help you with today?")))
    answered = coach.analyze(chat(*asked, ("agent", "Yes, I've sent it now. Is there anything else I can help you "
                                                    "with today?")))
    assert closed.skills["follow_up"].score < answered.skills["follow_up"].score
    assert not [n for n in closed.notes if n.kind == "strength" and "anything else" in n.text]


def test_a_warmth_strength_quotes_no_sign_off(coach):
    report = coach.analyze(chat(
        ("customer", "Our invoice charges us for 25 seats but we have 12. Please refund the difference."),
        ("agent", "Dear Alison,\n\nYou are right: your seat change should have applied to the invoice. I have "
                  "refunded the difference to your card.\n\nBest regards,\nPriya Shah")))
    (warmth,) = [n.text for n in report.notes if n.skill == "positive_attitude"]  # warm words are no warmth
    assert "You are right" in warmth and "Best regards" not in warmth


def test_a_warmth_note_does_not_quote_sympathy(coach):
    report = coach.analyze(chat(
        ("customer", "My flight was cancelled and I lost my hotel booking. I am furious."),
        ("agent", "Oh no, that is a terrible, awful nightmare and a disaster, I am so sorry. The fare rules mean no "
                  "refund is due."), ("customer", "ok")))
    assert report.skills["positive_attitude"].score < 40
    assert not [n for n in report.notes if "nightmare" in n.text]  # what to say, not a tone to correct


def test_a_manager_asked_for_before_any_reply_costs_the_agent_nothing(coach):
    opening = chat(("customer", "I want to speak to a manager. My boiler has been broken for 9 days."),
                   ("agent", "I'm so sorry, nine days is awful. I've booked our senior engineer for 8am tomorrow."),
                   ("customer", "Thank you."))
    later = chat(("customer", "My boiler has been broken for 9 days."),
                 ("agent", "I'm so sorry, nine days is awful. I've booked our senior engineer for 8am tomorrow."),
                 ("customer", "I want to speak to a manager."))
    reasons = [coach.analyze(t).skills["conflict_resolution"].reason for t in (opening, later)]
    assert "manager" not in reasons[0] and "requests for a manager after a reply" in reasons[1]
    assert [f.code for f in coach.analyze(opening).flags if f.code == "TC102"] == ["TC102"]  # still for QA


def test_a_strength_by_a_score_quotes_no_sentence_with_a_fault(coach):
    report = coach.analyze(chat(("customer", "Will my phone work in Japan next month?"),
                                ("agent", "Hi Ruth, thanks for asking. I'm not 100% sure though, it might depend on "
                                          "the network there, I would kindly suggest checking the website."),
                                ("customer", "Ok thanks.")))
    assert not [n for n in report.notes if n.kind == "strength" and "not 100% sure" in n.text]


def test_a_wait_note_quotes_the_longest_wait(coach):
    stamps = ["10:00", "10:03", "10:04", "10:20", "10:21", "10:24"]  # waits of 3 and 16 minutes before replies
    texts = [("customer", "My internet is down."), ("agent", "Hi, sorry about that. Let me check."),
             ("customer", "ok"), ("agent", "There is an outage in your area; it should be fixed by 2pm."),
             ("customer", "ok thanks"), ("agent", "You're welcome.")]
    report = coach.analyze(Transcript.from_turns(
        [{"role": r, "text": t, "timestamp": f"2026-03-02T{s}:00+00:00"} for (r, t), s in zip(texts, stamps)]))
    (note,) = [n for n in report.notes if n.skill == "time_management"]
    assert "outage" in note.text


def test_a_pace_strength_quotes_a_reply_that_says_something_not_the_slowest(coach):
    stamps = ["10:00:00", "10:00:30", "10:01:00", "10:02:30", "10:03:00", "10:03:20"]
    texts = [("customer", "My parcel is late."),
             ("agent", "I've found your order and rebooked it for tomorrow morning."),
             ("customer", "Can you check the time slot?"),
             ("agent", "Thanks for waiting. The courier has confirmed the morning slot for you."),
             ("customer", "Great, thanks"), ("agent", "You're welcome, have a lovely day.")]
    report = coach.analyze(Transcript.from_turns(
        [{"role": r, "text": t, "timestamp": f"2026-03-02T{s}+00:00"} for (r, t), s in zip(texts, stamps)]))
    (note,) = [n for n in report.notes if n.skill == "time_management"]
    assert note.kind == "strength" and "rebooked" in note.text


def test_a_strength_that_quotes_a_wait_owned_says_so(coach):
    texts = [("customer", "It has been five days and nobody has contacted me about my missing parcel."),
             ("agent", "Dear Grace,\n\nThank you for your email. I am sorry for the delay in getting back to you. "
                       "The depot is still looking for the parcel.\n\nKind regards,\nEllis")]
    report = coach.analyze(Transcript.from_turns(
        [{"role": r, "text": t, "speaker": "Ellis" if r == "agent" else "Grace Mensah",
          "timestamp": f"2026-03-02T{s}+00:00"} for (r, t), s in zip(texts, ["09:14", "11:40"])], channel="email"))
    (note,) = [n for n in report.notes if n.skill == "time_management"]
    assert note.kind == "strength"
    assert note.text.startswith("You owned the customer's wait: “I am sorry for the delay")


def test_a_wait_note_says_how_long_the_customer_waited(coach):
    texts = [("customer", "Hi Sam here, my parcel is late."),
             ("agent", "I'm sorry about that, Sam. I've found your order and rebooked it for tomorrow morning."),
             ("customer", "Can you check the time slot?"),
             ("agent", "Thanks for bearing with me. The courier has confirmed the morning slot, between 8 and 12.")]

    def analyze(*stamps):
        return coach.analyze(Transcript.from_turns(
            [{"role": r, "text": t, "timestamp": f"2026-03-02T{s}+00:00"} for (r, t), s in zip(texts, stamps)]))

    (note,) = [n for n in analyze("10:00:00", "10:00:12", "10:01:00", "10:01:40").notes if n.skill == "time_management"]
    assert note.kind == "strength" and note.text.endswith(", turn 2, after 12 seconds)")
    (note,) = [n for n in analyze("10:00:00", "10:00:12", "10:01:00", "10:27:00").notes if n.skill == "time_management"]
    assert note.kind == "improvement" and note.text.endswith(", turn 4, after 26 minutes)")


def test_a_listening_strength_quotes_no_greeting_when_something_else_shows_it(coach):
    turns = [("customer", "My parcel went to number 41 instead of 14, the house with the blue door."),
             ("agent", "Hi Leo, I'm Kenji."),
             ("agent", "Just to confirm, the parcel was left at number 41, the house with the blue door, rather than "
                       "at 14? I've asked the driver to collect it today."),
             ("customer", "Yes, exactly. Thanks."),
             ("agent", "You're welcome, Leo. Have a great day!")]
    report = coach.analyze(Transcript.from_turns(
        [{"role": role, "speaker": "Leo Marsh" if role == "customer" else "Kenji", "text": text}
         for role, text in turns]))
    (note,) = [n for n in report.notes if n.skill == "active_listening"]
    assert note.kind == "strength" and "blue door" in note.text and "Hi Leo" not in note.text


@pytest.mark.parametrize("channel, advice", [("chat", "Check in during long waits"), ("email", "holding reply"),
                                             ("voice", "during a silence")])
def test_a_wait_note_suggests_what_fits_the_channel(coach, channel, advice):
    gap = {"chat": timedelta(minutes=20), "email": timedelta(days=3), "voice": timedelta(minutes=5)}[channel]
    start = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    report = coach.analyze(Transcript.from_turns([
        {"role": "customer", "text": "My internet is down.", "timestamp": start},
        {"role": "agent", "text": "There is an outage in your area; it should be fixed by 2pm.",
         "timestamp": start + gap},
        {"role": "customer", "text": "ok thanks", "timestamp": start + gap + timedelta(minutes=1)}], channel=channel))
    (note,) = [n for n in report.notes if n.skill == "time_management"]
    assert advice in note.suggestion


def test_a_commitment_not_kept_by_its_due_time_lowers_follow_up(coach):
    start = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)

    def follow_up(last_agent_text):
        report = coach.analyze(Transcript.from_turns([
            {"role": "customer", "text": "My router keeps rebooting.", "timestamp": start},
            {"role": "agent", "text": "I'll call you tomorrow at 10am to arrange a replacement.",
             "timestamp": start + timedelta(minutes=5)},
            {"role": "customer", "text": "Nobody called. When will someone call?",
             "timestamp": start + timedelta(days=3)},
            {"role": "agent", "text": last_agent_text, "timestamp": start + timedelta(days=3, hours=1)}],
            channel="email"))
        return report, report.skills["follow_up"]

    broken, broken_score = follow_up("Apologies for the delay.")
    kept, kept_score = follow_up("As promised, I called you yesterday at 10am and the replacement is booked.")
    assert [p.status for p in broken.promises] == ["overdue"] and [p.status for p in kept.promises] == ["kept"]
    assert "commitments not kept by their due time (1)" in broken_score.reason
    assert broken.metrics["features"]["promise.overdue"] == 1 and "promise.overdue" not in kept.metrics["features"]
    assert broken_score.score < kept_score.score
    (note,) = [n for n in broken.notes if n.skill == "follow_up"]
    assert note.kind == "improvement" and note.text.startswith("This commitment was not kept by its due time: “I'll "
                                                                "call you tomorrow at 10am")
    assert "update the customer before it falls due" in note.suggestion


@pytest.mark.parametrize("last_customer, advice", [
    ("It still doesn't work.", "Check it worked before closing"),
    ("That doesn't help. Forget it.", "stop and take stock"),  # the customer giving up wants more than a re-test
])
def test_an_unresolved_note_suggests_what_fits_how_it_was_left(coach, last_customer, advice):
    report = coach.analyze(chat(("customer", "My router drops every evening."),
                                ("agent", "Please restart it and wait two minutes."), ("customer", last_customer)))
    (note,) = [n for n in report.notes if n.skill == "problem_solving"]
    assert last_customer.split(".")[0] in note.text and advice in note.suggestion


@pytest.mark.parametrize("last_agent, last_customer, flagged", [
    ("I've ordered a replacement panel; it arrives on Thursday.", None, False),  # put right after all
    ("I've ordered a replacement panel; it arrives on Thursday.", "It still hasn't arrived, this didn't help.", True),
    ("We'll be in touch.", None, True),
])
def test_unresolved_flag_is_about_the_end(coach, last_agent, last_customer, flagged):
    turns = [("customer", "The wardrobe panel arrived split. How long does a replacement take?"),
             ("agent", "Your request has been forwarded. Kindly allow 5-7 working days for a response."),
             ("customer", "That doesn't answer my question."),
             ("agent", last_agent)]
    if last_customer:
        turns.append(("customer", last_customer))
    report = coach.analyze(chat(*turns))
    assert ("TC111" in {f.code for f in report.flags}) is flagged


def test_flags_for_a_rude_escalated_call_and_none_for_a_warm_resolved_chat(coach):
    rude = coach.analyze(chat(
        ("customer", "This is the third time my internet has gone down this week!"),
        ("agent", "Calm down. You should have restarted the router like I told you."),
        ("customer", "I want to speak to your manager right now."),
        ("agent", "Nothing I can do, that's policy."),
        ("customer", "This is ridiculous, I'm cancelling."),
    ))
    codes = {f.code for f in rude.flags}
    assert {"TC102", "TC106"} <= codes
    assert all(f.evidence for f in rude.flags if f.code in ("TC102", "TC106"))
    warm = coach.analyze(chat(UPSET, ("agent", "Hi Dana, I'm Tom. " + EMPATHY + " " + FIX),
                              ("customer", "That's brilliant, thank you so much!"),
                              ("agent", "You're welcome, Dana. Is there anything else I can help with?"),
                              ("customer", "No, that's all. Thanks!")))
    assert not [f for f in warm.flags if f.severity in ("medium", "high")], warm.flags


def test_patience_rises_with_calm_replies_to_an_angry_customer_and_an_unhurried_pace(coach):
    angry = ("customer", "This is the THIRD time I'm telling you, the router keeps dropping!! Absolutely useless.")
    calm = chat(angry, ("agent", "I'm sorry you've had to repeat it. Let's get this fixed properly today."),
                ("customer", "I don't understand what a line test even is."),
                ("agent", "No problem, it's a check we run from here. Take your time, I'll be right here."))
    curt = chat(angry, ("agent", "Calm down. Let's get this fixed properly today."),
                ("customer", "I don't understand what a line test even is."),
                ("agent", "No problem, it's a check we run from here. Take your time, I'll be right here."))
    report = coach.analyze(calm)
    patience = report.skills["patience"]
    assert "calm replies to an angry, repeating or confused customer (2)" in patience.reason
    assert "unhurried pace" in patience.reason
    assert patience.score > 75 and score(coach, curt, "patience") < patience.score - 25


def test_a_customer_who_asked_for_a_human_and_got_none_is_flagged(coach):
    asked = [{"role": "customer", "text": "hi i need to change my delivery address"},
             {"role": "bot", "speaker": "Assistant", "text": "Please enter your order number."},
             {"role": "customer", "text": "KT-55120"},
             {"role": "bot", "speaker": "Assistant",
              "text": "Sorry, I couldn't find that order. Would you like to talk to an agent?"},
             {"role": "customer", "text": "yes"}]
    bot_only = Transcript.from_turns([*asked, {"role": "system", "text": "Chat ended: no agents available"}])
    (flag,) = [f for f in coach.analyze(bot_only).flags if f.code == "TC113"]
    assert flag.severity == "medium" and flag.evidence
    handed = Transcript.from_turns([*asked, {"role": "agent", "speaker": "Mia", "text": "Hi, I'm Mia. Let me look."}])
    assert not [f for f in coach.analyze(handed).flags if f.code == "TC113"]


def test_idioms_and_slang_after_the_customer_said_english_is_hard_for_them_are_flagged(coach):
    opening = [("customer", "sorry my english is not good. my bank show two payment, why?")]
    idioms = coach.analyze(chat(*opening, ("agent", "No worries mate, it's a hold. Sit tight, it'll drop off."),
                                ("customer", "when?"), ("agent", "In a few days, give or take.")))
    (flag,) = [f for f in idioms.flags if f.code == "TC114"]
    assert flag.severity == "medium" and len(flag.evidence) == 3 and "(3 idioms or slang)" in flag.reason
    once = coach.analyze(chat(*opening, ("agent", "It is a temporary check. It will go in a few days, give or take.")))
    assert not [f for f in once.flags if f.code == "TC114"]  # one is below the threshold
    plain = coach.analyze(chat(("customer", "my bank shows two payments, why?"),
                               ("agent", "No worries mate, it's a hold. Sit tight, it'll drop off.")))
    assert not [f for f in plain.flags if f.code == "TC114"]  # no word about their English


def test_a_missing_empathy_suggestion_fits_a_loss(coach):
    report = coach.analyze(chat(("customer", "Hello, my mum passed away last month and I need to close her account."),
                                ("agent", "Account number?"),
                                ("customer", "I don't have it. Her name was Margaret Price."),
                                ("agent", "We need a death certificate. Upload it on the website.")))
    (note,) = [n for n in report.notes if n.skill == "empathy"]
    assert "passed away" in note.text
    assert note.suggestion.startswith("Acknowledge the loss") and "frustrating" not in note.suggestion


def test_adapting_to_a_customer_who_is_lost_is_adaptability(coach):
    lost = (("customer", "Hello. My tablet won't go online."),
            ("agent", "Is the satellite node pulsing? If the backhaul is down the DHCP lease won't be issued."),
            ("customer", "Sorry, I don't know what any of that means."))
    kept = coach.analyze(chat(*lost, ("agent", "You need to forget the SSID and reconnect with the WPA2 key.")))
    simply = coach.analyze(chat(*lost, ("agent", "Sorry, let me put it another way. Can you see the box from there?")))
    assert simply.skills["adaptability"].score > kept.skills["adaptability"].score
    assert any(n.kind == "strength" and n.skill == "adaptability" and n.text.startswith("You put it simply")
               for n in simply.notes)
    (note,) = [n for n in kept.notes if n.skill == "adaptability"]
    assert note.text.startswith("The customer had said they were lost or not technical") and "SSID" in note.text
    assert note.suggestion.startswith("Once the customer says they're lost")


@pytest.mark.parametrize("customer, kinds", [
    ("I was made redundant last month and I can't afford the new price.", "money trouble"),
    ("I'm on universal credit and behind on my rent, is there anything cheaper?", "money trouble"),
    ("I'm going through chemo and missed two payments because I was in hospital.", "illness"),
    ("My dad is in hospital, so can someone else collect the parcel for him?", "illness"),
    ("He's been abusive and I'm scared he'll find me, please don't send post to the old address.",
     "abuse or homelessness"),
    ("My mum passed away last month. I was made redundant too, so I can't afford her phone contract.",
     "a bereavement, money trouble"),
    ("I'm moving abroad and money is tight. Please cancel.", "money trouble"),
    ("Money's really tight this month, can I pay the bill in two parts?", "money trouble"),
    ("The parcel contained medication for my father and he has now run out.", "illness"),
    ("I'm out of my insulin until the box arrives.", "illness"),
    ("I can't afford to miss this flight, where is my bag?", None),  # a figure of speech, not hardship
    ("The lid is too tight and the money box won't open.", None),
    ("We have a newborn at home, so the heating really matters.", "a baby, pregnancy or elderly dependants"),
    ("I'm pregnant and can't carry the box upstairs.", "a baby, pregnancy or elderly dependants"),
    ("Does the hotel have high chairs for young children?", None),  # a question about the stay
    ("Can I change the delivery address for my prescription order?", None),
    ("I'm looking for the hospital on Hills Road, what is the postcode?", None),
    ("I am disabled, will the room be easily accessible?", None),  # an access question wants a plain answer
    ("My account was disabled after the update and I can't log in.", None),
    ("I'm 82, I don't even go to town much. Someone used my card in Lisbon.", "older age"),
    ("I'm a pensioner and that was my pension money.", "older age"),
    ("I'm 80% sure it was Tuesday.", None),
    ("Hi, I got a bill for £112 and I can't pay it this month.", "money trouble"),
    ("I cannot pay the bill in full, can I pay half?", "money trouble"),
    ("I can't pay with my card, it keeps failing.", None),  # a payment that fails, not money that is short
    ("I couldn't pay it until the app was fixed.", None),
])
def test_circumstances_that_can_leave_a_customer_vulnerable_are_flagged_by_kind(coach, customer, kinds):
    report = coach.analyze(chat(("customer", customer), ("agent", "Let me check that for you.")))
    found = [f for f in report.flags if f.code == "TC116"]
    assert [f.reason.rpartition("(")[2].rstrip(")") for f in found] == ([kinds] if kinds else [])
    assert all(f.severity == "medium" and f.evidence for f in found)


def test_hard_circumstances_call_for_empathy_and_a_suggestion_that_fits_them(coach):
    report = coach.analyze(chat(("customer", "My broadband is going up to £48. I'm on universal credit at the moment. "
                                             "Is there anything cheaper?"),
                                ("agent", "You could switch to Fibre 36 for £27 a month.")))
    empathy = report.skills["empathy"]
    assert empathy.score is not None and empathy.score < 50
    (note,) = [n for n in report.notes if n.skill == "empathy"]
    assert "universal credit" in note.text and "bring this cost down" in note.suggestion
    kind = coach.analyze(chat(("customer", "My broadband is going up to £48. I'm on universal credit at the moment. "
                                           "Is there anything cheaper?"),
                              ("agent", "I'm sorry to hear things are tight. You could switch to Fibre 36 for £27 a "
                                        "month, and I can waive the switching fee.")))
    assert kind.skills["empathy"].score > empathy.score
    assert not [n for n in kind.notes if n.skill == "empathy" and n.kind == "improvement"]


def test_a_suggestion_fits_a_customer_with_a_baby_at_home(coach):
    report = coach.analyze(chat(("customer", "The boiler broke on Saturday. We have a newborn at home."),
                                ("agent", "The engineer can come on Thursday.")))
    (note,) = [n for n in report.notes if n.skill == "empathy"]
    assert "a newborn" in note.text and "treat this as a priority" in note.suggestion


def test_a_reply_that_passed_over_hard_circumstances_gets_a_note_that_fits_them(coach):
    def report(first_reply: str):
        return coach.analyze(chat(
            ("customer", "Hi, my bill is £112 and I can't pay it this month. I was made redundant in October."),
            ("agent", first_reply), ("customer", "It's 44120987."),
            ("agent", "I understand. I've set up a plan of £30 a month, starting on 1 December.")))

    passed = report("Hello, thanks for getting in touch. Can I take your account number please?")
    kind = report("Hello, I'm sorry to hear that. Can I take your account number please?")
    assert passed.skills["empathy"].score < kind.skills["empathy"].score
    (note,) = [n for n in passed.notes if n.skill == "empathy"]
    assert note.kind == "improvement" and "“Hello, thanks for getting in touch.”" in note.text
    assert "bring this cost down" in note.suggestion  # the money-trouble suggestion, as for empathy missing
    assert not [n for n in kind.notes if n.skill == "empathy" and n.kind == "improvement"]


@pytest.mark.parametrize("customer, flagged", [
    ("Honestly I just want to end it all, nothing works any more.", True),
    ("I'm going to kill myself if this router drops once more lol", True),  # meant or not: a person reads it
    ("I killed the app and restarted it, still nothing.", False),
])
def test_words_of_self_harm_put_the_conversation_in_front_of_a_person(coach, customer, flagged):
    report = coach.analyze(chat(("customer", customer), ("agent", "Let me check your connection.")))
    found = [f for f in report.flags if f.code == "TC115"]
    assert bool(found) is flagged
    assert not found or (found[0].severity == "high" and found[0].evidence)


def test_a_warmth_strength_quotes_no_sentence_of_a_word_or_two(coach):
    report = coach.analyze(chat(("customer", "The new episode finally works, thanks!"), ("agent", "Great! 💚 Enjoy!")))
    assert report.skills["positive_attitude"].score >= 75  # strong, with nothing of it to quote
    assert [n.text for n in report.notes if n.skill == "positive_attitude"] == []


def test_a_softener_at_the_end_of_the_customers_words_is_no_part_of_the_issue_a_suggestion_names(coach):
    report = coach.analyze(chat(("customer", "The emails on my tablet have stopped coming in I'm afraid."),
                                ("agent", "Check if IMAP sync is paused in the client settings.")))
    (note,) = [n for n in report.notes if n.skill == "empathy"]
    assert "I'm afraid" in note.text
    assert "the emails on your tablet have stopped coming in, Dana" in note.suggestion
    assert "afraid" not in note.suggestion


def test_a_repeat_suggestion_names_what_the_customer_asked_for_not_their_circumstances(coach):
    report = coach.analyze(chat(
        ("customer", "Hi, I want to cancel my subscription please."),
        ("agent", "Before we do that, did you know we have a 50% off offer for the next 3 months?"),
        ("customer", "No. I'm moving abroad and money is tight. I've asked twice now."),
        ("agent", "Understood. I have cancelled your subscription.")))
    (note,) = [n for n in report.notes if "I've asked twice now" in n.text]
    assert note.skill == "active_listening"  # the repeat costs it most (adaptability too)
    assert "So you want to cancel your subscription; let me sort that out" in note.suggestion  # no "please"
    assert "money" not in note.suggestion


@pytest.mark.parametrize("gap", [" ", "\n"])  # a line wrapped by hand in the middle of the problem, too
def test_a_suggestion_names_the_clause_of_a_long_sentence_that_tells_the_problem(coach, gap):
    report = coach.analyze(chat(
        ("customer", "Hello, I returned the Brightkettle 2000 on 20 October (return label RT-55821) and I still"
                     + gap + "haven't had my refund of £64.99."),
        ("agent", "Thanks, could you tell me your order number?"),
        ("customer", "This is the second time I'm asking, it's 55821."),
        ("agent", "Thank you. I've processed the refund.")))
    (note,) = [n for n in report.notes if n.skill == "active_listening"]
    assert "second time" in note.text
    assert "So you still haven't had your refund of £64.99; let me sort that out" in note.suggestion
    assert "RT-55821" not in note.suggestion and "…" not in note.suggestion


def test_a_request_for_a_password_or_card_number_is_flagged_and_costs_professionalism(coach):
    asked = coach.analyze(chat(("customer", "Hi, my card payment keeps failing on your website."),
                               ("agent", "Sorry about that. Can you send me your full card number so I can try it?")))
    safe = coach.analyze(chat(("customer", "Hi, my card payment keeps failing on your website."),
                              ("agent", "Sorry about that. Please don't share your card number here; I've sent you "
                                        "a secure payment link.")))
    (flag,) = [f for f in asked.flags if f.code == "TC117"]
    assert flag.severity == "high" and flag.evidence
    assert not [f for f in safe.flags if f.code == "TC117"]
    assert asked.skills["professionalism"].score < safe.skills["professionalism"].score - 15
    (note,) = [n for n in asked.notes if n.skill == "professionalism"]
    assert "must never share" in note.text and "secure payment link" in note.suggestion


@pytest.mark.parametrize("customer, code, said", [
    ("If this isn't fixed today I'll take my business elsewhere.", "TC119", ["take my business elsewhere"]),
    ("I'm seriously considering switching to @Delta even if it means longer flights.", "TC119",
     ["considering switching to @Delta"]),
    ("Please close my account, I don't want to be a customer anymore.", "TC119",
     ["close my account", "don't want to be a customer anymore"]),
    ("I'm thinking of leaving you after 10 years.", "TC119", ["thinking of leaving you after"]),
    ("I'll be contacting my solicitor about this.", "TC120", ["contacting my solicitor"]),
    ("I'm ready to file a complaint with the Better Business Bureau over this.", "TC120",
     ["Better Business Bureau"]),
    ("If the refund isn't back by Friday I'll file a chargeback.", "TC120", ["file a chargeback"]),
    ("I will leave you a good review!", None, []),
    ("I'll switch to Wi-Fi calling then.", None, []),
    ("Can I switch to the annual plan?", None, []),
    ("I want to cancel my taxi booking.", None, []),  # a booking, not the customer leaving
    ("I need the paperwork for my solicitor by Friday.", None, []),
])
def test_a_customer_who_says_they_will_leave_or_go_to_law_is_flagged(coach, customer, code, said):
    report = coach.analyze(chat(("customer", customer), ("agent", "I'm sorry about this. Let me look into it.")))
    found = [(f.code, f.severity) for f in report.flags if f.code in ("TC119", "TC120")]
    quoted = [e.text for e in report.evidence if e.feature in ("tone.customer_churn", "tone.customer_legal")]
    assert quoted == said
    assert found == ([(code, {"TC119": "medium", "TC120": "high"}[code])] if code else [])


@pytest.mark.parametrize("customer, abusive", [
    ("your useless company charged me AGAIN after I cancelled. sort it out you idiots", "you idiots"),
    ("You're a bunch of crooks, you don't care about customers", "You're a bunch of crooks"),
    ("First of all, fuck you. Second, where is my refund?", ", fuck you"),
    ("Screw you, I'm cancelling.", "Screw you"),
    ("this is crap, the app crashed again", None),  # swearing about the service, not at the agent
    ("The driver was an idiot and left it in the rain.", None),  # about someone else
    ("Find me the apartment you won't shut up about.", None),
])
def test_a_customer_who_insults_the_agent_is_flagged_for_a_person(coach, customer, abusive):
    report = coach.analyze(chat(("customer", customer), ("agent", "I'm sorry about this. Let me look into it.")))
    found = [f for f in report.flags if f.code == "TC118"]
    quoted = [e.text for e in report.evidence if e.feature == "tone.customer_abuse"]
    assert quoted == ([abusive] if abusive else []) and bool(found) is bool(abusive)
    assert not found or (found[0].severity == "medium" and found[0].evidence)
    if abusive:  # there is a conflict to resolve, and the calm reply shows patience
        assert report.skills["conflict_resolution"].score is not None
        assert any(e.feature == "tone.composure" for e in report.evidence)


def test_spelling_mistakes_cost_professionalism_with_a_note_quoting_one(coach):
    typos = coach.analyze(chat(("customer", "Can you book me a table for two tonight?"),
                               ("agent", "Your table is booked succesfully for 7pm. Is there anyhting else?")))
    clean = coach.analyze(chat(("customer", "Can you book me a table for two tonight?"),
                               ("agent", "Your table is booked successfully for 7pm. Is there anything else?")))
    assert typos.skills["professionalism"].score < clean.skills["professionalism"].score
    (note,) = [n for n in typos.notes if n.skill == "professionalism"]
    assert "spelling mistake" in note.text and "“succesfully”" in note.suggestion
