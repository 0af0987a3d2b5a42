"""jargon.*: rare words, unexplained acronyms and glossary terms in agent replies, and the company glossary."""

from __future__ import annotations

import json

import pytest

from transcript_coach import Coach, DataFileError, Transcript
from transcript_coach.nlp import load_pipeline
from transcript_coach.signals.jargon import candidates, glossary, plain_language, rarity
from transcript_coach.signals.resources import Resources

CUSTOMER = ("customer", "Hi, my internet keeps dropping since yesterday.")


def agent_hits(hits, text, *before):
    """(feature, text) pairs of jargon evidence for one agent reply after a plain customer opening."""
    turns = before or (CUSTOMER,)
    return [(f, t) for f, t, _ in hits(*turns, ("agent", text), family="jargon")]


# --- rare words --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, word", [
    ("Please run a tracert from your computer and send me the result.", "tracert"),
    ("There is a demarcation fault on your line.", "demarcation"),
    ("The request is idempotent, so you can send it again.", "idempotent"),
    ("Your router looks misconfigured after the update.", "misconfigured"),
    ("Tracert will show where the connection stops.", "Tracert"),  # sentence start: not taken for a name
])
def test_rare_word_is_flagged(hits, text, word):
    assert agent_hits(hits, text) == [("jargon.rare_word", word)]


@pytest.mark.parametrize("text", [
    "Your refund has been processed and should arrive in three days.",  # everyday words
    "Thanks Kowalski, I have checked the account.",  # a capitalised word inside a sentence is a name
    "Kowalski, I have checked the account for you.",  # a name addressed at the start of a sentence
    "Please visit https://example.com/tracert or write to tracert@example.com for details.",  # URL, e-mail
    "Your reference is XJ9Q2TRC and the code is 88213.",  # codes and numbers
    "I tried unplugging it and then reinstalling the app.",  # inflections of transparent words (re + install)
    "Oh noooo, that is not what we want to hear!",  # an elongated interjection
    "Did the Fitbit sync after the update?",  # a name inside a sentence
    "I've checked it, it's fine, we're sorry.",  # contractions
    "cineworld cinema is located in the south.",  # a place's name, before the kind of place it is
    "There's a tourist attraction near called the balto statue.",
])
def test_not_a_rare_word(hits, text):
    assert [h for h in agent_hits(hits, text) if h[0] == "jargon.rare_word"] == []


def test_rare_word_value_is_its_zipf_frequency(analyze):
    report = analyze(CUSTOMER, ("agent", "Please run a tracert for me."))
    (evidence,) = [e for e in report.evidence if e.feature == "jargon.rare_word"]
    assert evidence.rule == "wordfreq:rare"
    assert 0 < evidence.value < 3.0


def test_speaker_name_is_not_a_rare_word(hits):
    found = hits({"role": "customer", "speaker": "Zebulon", "text": "Hello, my internet is down."},
                 {"role": "agent", "speaker": "Ana", "text": "Zebulon. Let me check that for you."}, family="jargon")
    assert found == []


@pytest.mark.parametrize("text, rare", [
    ("The stadium is at 3800 Montlake Boulevard Northeast.", []),  # a name after a house number
    ("Bahia Resort Hotel is a 1 star hotel.", []),  # a name of several capitalised words opens the sentence
    ("Ventilate the room for ten minutes.", ["Ventilate"]),  # a rare word at a sentence start is still one
])
def test_names_in_addresses_and_at_a_sentence_start_are_no_rare_words(hits, text, rare):
    found = hits(("customer", "Hi, where is it?"), ("agent", text), family="jargon")
    assert [t for f, t, _ in found if f == "jargon.rare_word"] == rare


@pytest.mark.parametrize("text, acronyms", [
    ("The flight leaves from SFO International Airport.", []),  # part of a name
    ("I would suggest the ADC Theatre.", []),
    ("There's a show at 3:30 pm at Century 20 Great Mall & XD.", []),
    ("There is one place called Han Dae Gam Korean BBQ.", []),
    ("Their post code is CB5 8BS.", []),  # a code
    ("Have you tried accessing your RR account from another browser?", ["RR"]),
])
def test_acronyms_in_names_are_no_jargon(hits, text, acronyms):
    found = hits(("customer", "Hi, can you help?"), ("agent", text), family="jargon")
    assert [t for f, t, _ in found if f == "jargon.acronym"] == acronyms


def test_customer_word_is_not_jargon_for_the_agent(hits):
    turns = (("customer", "There is a lot of jitter on my video calls."),
             ("agent", "Jitter usually comes from a busy wireless network."))
    assert hits(*turns, family="jargon") == []


def test_customer_word_only_counts_when_said_earlier(hits):
    found = hits(CUSTOMER, ("agent", "Jitter can cause this."), ("customer", "What is jitter?"),
                 ("agent", "Jitter is an uneven delay on the line."), family="jargon")
    assert found == [("jargon.rare_word", "Jitter", 1), ("jargon.customer_confused", "What is jitter?", 2),
                     ("jargon.explained", "Jitter", 3)]  # asked about, then explained


# --- acronyms ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, acronym", [
    ("Your PSU may be faulty.", "PSU"),
    ("The BGP session to your exchange dropped.", "BGP"),
    ("We have updated the DKIM record for your domain.", "DKIM"),
    ("Both PSUs need replacing.", "PSUs"),
    ("Please do NOT unplug the PSU.", "PSU"),  # NOT is emphasis, PSU an acronym
])
def test_unexplained_acronym(hits, text, acronym):
    assert agent_hits(hits, text) == [("jargon.acronym", acronym)]


@pytest.mark.parametrize("text", [
    "Your PSU (power supply unit) may be faulty.",
    "Your PSU, which is the power supply, may be faulty.",
    "Your PSU - that's the power brick - may be faulty.",
    "Your PSU, i.e. the power brick, may be faulty.",
    "The PSU means the power brick under your desk.",
    "Please check the PSU. In other words, the black power brick.",
    "The Power Supply Unit (PSU) may be faulty.",
    "The power supply unit may be faulty, so please send the PSU back.",
])
def test_explained_acronym_is_not_jargon(hits, text):
    found = agent_hits(hits, text)
    assert ("jargon.explained", "PSU") in found
    assert [h for h in found if h[0] == "jargon.acronym"] == []


@pytest.mark.parametrize("text", [
    "Please send it as a PDF with your ID and PIN.",
    "OK, the TV should work on the WiFi now.",
    "I think A is the right option, and I will call at 8PM.",
    "You will get an SMS with a link to our FAQ.",
    "Please DM us your details ASAP.",
    "Your laptop will ship tomorrow by DPD, or GLS if DPD is full.",  # carriers are names, not jargon
])
def test_common_acronyms_and_single_letters(hits, text):
    assert agent_hits(hits, text) == []


@pytest.mark.parametrize("text", [
    "I AM NOT ABLE TO DO THAT AND YOUR PSU IS NOT OUR PROBLEM",
    "THIS IS THE LAST TIME I CHECK THE BGP AND DNS SETTINGS FOR YOU",
])
def test_shouting_is_not_a_string_of_acronyms(hits, text):
    assert [h for h in agent_hits(hits, text) if h[0] == "jargon.acronym"] == []


@pytest.mark.parametrize("text", [
    "Happy to help! *TJF",
    "Anything else we can help you with? - RB.",
    "We will look into it. ^JK",
    "Thanks for waiting.-DD",
    "Please follow the link. https://t.co/abc123  SM",
])
def test_signature_initials_are_not_acronyms(hits, text):
    assert agent_hits(hits, text) == []


@pytest.mark.parametrize("text", [
    "Your refund reference is KC-RF-20931.",
    "Flight DL 1262 leaves at 6.",
])
def test_codes_are_not_acronyms(hits, text):
    assert agent_hits(hits, text) == []


@pytest.mark.parametrize("customer", ["My PSU is making a noise.", "my psu is making a noise", "Both PSUs died."])
def test_customer_acronym_is_not_jargon_for_the_agent(hits, customer):
    assert hits(("customer", customer), ("agent", "Please send the PSU back to us."), family="jargon") == []


def test_expansion_given_earlier_in_the_conversation(hits):
    found = hits(("customer", "The power supply unit on my desk is hot."),
                 ("agent", "Thanks. Please unplug the PSU now."), family="jargon")
    assert found == [("jargon.explained", "PSU", 1)]


def test_explanation_in_the_agents_next_message(hits):
    found = hits(CUSTOMER, ("agent", "Please check the PSU."), ("agent", "That's the black power brick."),
                 family="jargon")
    assert found == [("jargon.explained", "PSU", 1)]


def test_each_term_is_flagged_once_per_conversation(hits):
    found = hits(CUSTOMER, ("agent", "Check the PSU. Is the PSU warm?"), ("customer", "Yes"),
                 ("agent", "Then the PSU is faulty."), family="jargon")
    assert found == [("jargon.acronym", "PSU", 1)]


def test_internal_notes_and_bots_are_not_scored(hits):
    found = hits(CUSTOMER, {"role": "agent", "internal": True, "text": "Checked BGP and PSU, tracert fine."},
                 {"role": "bot", "speaker": "Pip", "text": "Please run a tracert and check the PSU."},
                 ("agent", "Thanks for waiting."), family="jargon")
    assert found == []


# --- glossary terms ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, term, rule", [
    ("I'll escalate this to the right team.", "escalate", "glossary:escalate"),
    ("I have escalated this to the right team.", "escalated", "glossary:escalate"),  # by lemma
    ("Please wait for DNS propagation before trying again.", "DNS propagation", "glossary:DNS propagation"),
    ("Please power-cycle the router.", "power-cycle", "glossary:power cycle"),
    ("Your RMA has been approved.", "RMA", "glossary:RMA"),
    ("Your RMAs have been approved.", "RMAs", "glossary:RMA"),
    ("The amount is prorated for this month.", "prorated", "glossary:pro-rata"),  # an alias
    ("Our ETA for the engineer is 3pm.", "ETA", "glossary:ETA"),
    # the letter-writing register, as opaque to many customers as jargon
    ("Please be advised that your claim was reviewed.", "Please be advised", "glossary:please be advised"),
    ("The delay was attributable to trespass on the line.", "attributable to", "glossary:attributable to"),
])
def test_glossary_term(analyze, text, term, rule):
    report = analyze(CUSTOMER, ("agent", text))
    found = [(e.feature, e.text, e.rule) for e in report.evidence if e.feature.startswith("jargon.")]
    assert found == [("jargon.glossary_term", term, rule)]


@pytest.mark.parametrize("text", [
    "Eta is the seventh letter of the Greek alphabet.",  # ETA is matched in capitals only
    "Your RMA (return authorisation) has been approved.",  # explained
    "We will escalate, which means a specialist will call you.",  # explained
])
def test_glossary_term_not_flagged(hits, text):
    assert [h for h in agent_hits(hits, text) if h[0] == "jargon.glossary_term"] == []


@pytest.mark.parametrize("text, found", [
    ("No worries, that's a piece of cake to sort out.", ["piece of cake"]),
    ("Just sit tight and it'll all come out in the wash.", ["sit tight", "all come out in the wash"]),
    ("It should be back in 3-5 business days, give or take.", ["give or take"]),
    ("Let me take a gander at your account.", ["take a gander"]),
    ("Please wait while I check your account.", []),
])
def test_idioms(hits, text, found):
    assert [t for f, t in agent_hits(hits, text) if f == "jargon.idiom"] == found
    assert [f for f, t in agent_hits(hits, text) if f == "jargon.glossary_term"] == []  # an idiom is no support term


def test_an_idiom_suggests_its_plain_words_and_is_not_charged_when_the_customer_said_it_first(coach, hits):
    assert plain_language(coach.resources, "sit tight") == "please wait"
    assert plain_language(coach.resources, "glossary:piece of cake") == "easy"
    assert agent_hits(hits, "Yes, a piece of cake.", ("customer", "Is it a piece of cake to cancel?")) == []


def test_customer_used_another_form_of_the_glossary_term(hits):
    found = hits(("customer", "Will the bill be pro rata?"), ("agent", "Yes, it is prorated."), family="jargon")
    assert found == []


def test_plain_language_suggestions(coach):
    res = coach.resources
    assert plain_language(res, "escalate") == "pass to a specialist"
    assert plain_language(res, "glossary:RMA") == plain_language(res, "rma")
    assert "permission to send the item back" in plain_language(res, "RMA")
    assert plain_language(res, "prorated") == plain_language(res, "pro-rata")  # aliases share the entry
    assert plain_language(res, "refund") is None


def test_every_shipped_glossary_term_is_found_with_its_suggestion(coach):
    res = coach.resources
    gl = glossary(res)
    for key, entry in gl.entries.items():
        doc = res.nlp(f"Please note: {entry.term} applies here.")
        found = [c for c in candidates(res, doc) if c.feature == entry.feature]
        assert [c.key for c in found] == ["g:" + key], entry.term
        assert plain_language(res, found[0].rule) == entry.plain


def test_rarity_threshold_is_a_setting(coach):
    res = coach.resources
    assert rarity(res, "tracert") is not None
    assert rarity(res, "tracert", max_zipf=1.0) is None
    assert rarity(res, "parcel") is None
    assert rarity(res, "parcel", max_zipf=5.0) is not None


# --- company glossary --------------------------------------------------------------------------------------------

def company_coach(tmp_path, name: str, content: str) -> Coach:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return Coach(glossary=path)


def company_hits(coach: Coach, *turns):
    records = [{"role": r, "text": t} for r, t in turns]
    report = coach.analyze(Transcript.from_turns(records))
    return [(e.feature, e.text, e.rule) for e in report.evidence if e.feature.startswith("jargon.")]


def test_company_json_glossary_adds_and_overrides_terms(tmp_path):
    coach = company_coach(tmp_path, "company.json", json.dumps({"terms": [
        {"term": "Flexi Plan", "plain": "our monthly plan", "aliases": ["flexi"]},
        {"term": "RMA", "plain": "returns form"},
        {"term": "escalate", "plain": None},
    ]}))
    res = coach.resources
    assert plain_language(res, "flexi plan") == "our monthly plan"
    assert plain_language(res, "flexi") == "our monthly plan"
    assert plain_language(res, "RMA") == "returns form"
    assert plain_language(res, "escalate") is None
    assert plain_language(res, "SLA") == "our promised response time"  # the shipped entries are still there
    found = company_hits(coach, CUSTOMER, ("agent", "Your Flexi Plan includes an RMA. I will escalate it."))
    assert found == [("jargon.glossary_term", "Flexi Plan", "glossary:Flexi Plan"),
                     ("jargon.glossary_term", "RMA", "glossary:RMA")]


def test_company_json_glossary_adds_an_idiom(tmp_path):
    coach = company_coach(tmp_path, "company.json", json.dumps({"terms": [
        {"term": "chuffed to bits", "plain": "very pleased", "kind": "idiom"}]}))
    found = company_hits(coach, CUSTOMER, ("agent", "I'm chuffed to bits it works."))
    assert found == [("jargon.idiom", "chuffed to bits", "glossary:chuffed to bits")]
    assert plain_language(coach.resources, "chuffed to bits") == "very pleased"


def test_company_json_glossary_as_a_term_to_plain_object(tmp_path):
    coach = company_coach(tmp_path, "terms.json", json.dumps({"KettlePass": "your loyalty card",
                                                               "prorated": "charged for the days you used"}))
    assert plain_language(coach.resources, "kettlepass") == "your loyalty card"
    assert plain_language(coach.resources, "prorated") == "charged for the days you used"
    assert plain_language(coach.resources, "pro-rata") == "adjusted for the days you had the service"
    found = company_hits(coach, CUSTOMER, ("agent", "Your KettlePass points are prorated."))
    assert found == [("jargon.glossary_term", "KettlePass", "glossary:KettlePass"),
                     ("jargon.glossary_term", "prorated", "glossary:prorated")]


@pytest.mark.parametrize("content", [
    "term,plain,aliases\nFlexi Plan,our monthly plan,flexi;flexi-plan\nBRB,the broadband box,\n",
    "Flexi Plan,our monthly plan,flexi\nBRB,the broadband box\n",
    "Term;Plain\nFlexi Plan;our monthly plan\n# a comment\n\nBRB;the broadband box\n",
    "\ufeffterm,plain\n\"Flexi Plan\",\"our monthly plan, billed monthly\"\nBRB,the broadband box\n",
])
def test_company_csv_glossary(tmp_path, content):
    coach = company_coach(tmp_path, "glossary.csv", content)
    assert plain_language(coach.resources, "Flexi Plan").startswith("our monthly plan")
    found = company_hits(coach, CUSTOMER, ("agent", "Restart the BRB, then check your Flexi Plan."))
    assert [(f, t) for f, t, _ in found] == [("jargon.glossary_term", "BRB"),
                                            ("jargon.glossary_term", "Flexi Plan")]


@pytest.mark.parametrize("name, content, message", [
    ("g.json", "{not json", r"g\.json:1: glossary is not valid JSON"),
    ("g.json", "42", r"g\.json: expected a JSON list of entries"),
    ("g.json", '{"terms": {"RMA": "x"}}', r"g\.json: 'terms' must be a list"),
    ("g.json", '[{"term": "RMA", "plain": "x"}, {"term": "SLA"}]', r"g\.json: entry 2 \('SLA'\): missing 'plain'"),
    ("g.json", '[{"term": "", "plain": "x"}]', r"g\.json: entry 1: 'term' must be a non-empty string"),
    ("g.json", '[{"term": "RMA", "plain": "x", "alias": ["y"]}]', r"entry 1 \('RMA'\): unknown key\(s\) \['alias'\]"),
    ("g.json", '[{"term": "RMA", "plain": "x", "aliases": "y"}, "SLA"]', r"entry 2: expected an object"),
    ("g.json", '[{"term": "RMA", "plain": "x", "aliases": [1]}]', r"entry 1 \('RMA'\): 'aliases' must be a list"),
    ("g.json", '[{"term": "RMA", "plain": "x", "acronym": "yes"}]', r"'acronym' must be true or false"),
    ("g.json", '[{"term": "RMA", "plain": "x", "kind": "slang"}]', r"'kind' must be one of \['idiom', 'term'\]"),
    ("g.json", '[{"term": "RMA", "plain": "x"}, {"term": "rma", "plain": "y"}]',
     r"entry 2 \('rma'\): duplicate term, already defined by entry 1 \('RMA'\)"),
    ("g.json", '{"RMA": ""}', r"g\.json: entry 'RMA': 'plain' must be a non-empty string"),
    ("g.json", "[]", r"g\.json: glossary has no terms"),
    ("g.csv", "", r"g\.csv: glossary is empty"),
    ("g.csv", "term,plain\nRMA,returns form\nSLA\n", r"g\.csv:3: expected 'term,plain', got 1 column"),
    ("g.csv", "term,plain\nRMA,\n", r"g\.csv:2 \('RMA'\): 'plain' must be a non-empty string"),
    ("g.csv", "term,meaning\nRMA,x\nrma,y\n", r"g\.csv:3 \('rma'\): duplicate term, already on line 2"),
    ("g.csv", "term,description\nRMA,x\n", r"g\.csv:1: header has no 'plain' column"),
])
def test_bad_company_glossary(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    res = Resources(load_pipeline(), glossary=path)
    with pytest.raises(DataFileError, match=message):
        glossary(res)


def test_bad_company_glossary_fails_once_when_the_coach_is_built(tmp_path):
    with pytest.raises(DataFileError, match=r"bad\.json: entry 1 \('RMA'\): missing 'plain'"):
        company_coach(tmp_path, "bad.json", '[{"term": "RMA"}]')


def test_unreadable_company_glossary(tmp_path):
    res = Resources(load_pipeline(), glossary=tmp_path / "missing.csv")
    with pytest.raises(DataFileError, match=r"missing\.csv: glossary cannot be read"):
        glossary(res)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("term,plain\nRMA,r\xe9sum\xe9\n".encode("latin-1"))
    with pytest.raises(DataFileError, match=r"latin1\.csv: glossary is not UTF-8"):
        glossary(Resources(load_pipeline(), glossary=latin1))


CUSTOMER_RECORD = {"role": CUSTOMER[0], "text": CUSTOMER[1]}


# --- metamorphic: adding an unexplained acronym makes evidence appear, explaining it makes it disappear --------------

@pytest.mark.parametrize("template", [
    "I have checked your account and the {} looks fine now.",
    "Please restart the {} and let me know what happens.",
    "Thanks for waiting, the {} replacement will arrive on Monday.",
])
@pytest.mark.parametrize("acronym, expansion", [("PSU", "power supply unit"), ("BGP", "border gateway protocol"),
                                                ("IVR", "our automated phone menu")])
def test_metamorphic_acronym(hits, template, acronym, expansion):
    plain = template.format("router")
    assert agent_hits(hits, plain) == []
    assert agent_hits(hits, template.format(f"router {acronym}")) == [("jargon.acronym", acronym)]
    explained = agent_hits(hits, template.format(f"router {acronym} ({expansion})"))
    assert ("jargon.acronym", acronym) not in explained
    assert ("jargon.explained", acronym) in explained


# --- robustness --------------------------------------------------------------------------------------------------

def test_hostile_input_stays_linear(analyze):
    import time

    glued = "-".join(f"A{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}" for i in range(20000))
    many = " ".join(f"Q{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}{chr(65 + i // 676 % 26)}" for i in range(8000))
    started = time.perf_counter()
    report = analyze(("customer", "word " * 5000), ("agent", glued), ("agent", many))
    assert time.perf_counter() - started < 20  # all families; jargon alone takes well under a second
    acronyms = [e for e in report.evidence if e.feature == "jargon.acronym"]
    assert acronyms and all(e.turn == 2 for e in acronyms)  # the glued run is one code, the others acronyms


def test_random_text_never_breaks_the_extractor(coach):
    from hypothesis import given, settings as hsettings, strategies as st

    pieces = st.sampled_from(list("abcXYZ RMA(),.-*^'’!?\n2") + ["PSU ", "which means ", "tracert ", "ETA "])
    message = st.lists(pieces, min_size=1, max_size=30).map("".join).filter(str.strip)

    @hsettings(max_examples=150, deadline=None)
    @given(st.lists(message, min_size=1, max_size=5))
    def check(texts):
        records = [{"role": "customer" if i % 2 else "agent", "text": t} for i, t in enumerate(texts)]
        report = coach.analyze(Transcript.from_turns(records))
        for e in report.evidence:
            if e.feature.startswith("jargon."):
                assert report.transcript.turns[e.turn].role == "agent"
                assert e.text.strip() == e.text and e.text

    check()


def test_remembered_word_judgements_give_what_judging_afresh_gives(coach):
    """Lower-case words are judged once per process (form, lemma, and whether the sentence shouts): a word met again,
    in a quiet sentence or a shouting one, is judged as it was the first time."""
    texts = ["There is a demarcation fault; the request is idempotent.",
             "THE DEMARCATION IS BROKEN AND NOBODY WILL HELP ME! the demarcation fault is idempotent.",
             "Your eta is noted. Our ETA is 3pm. We escalated it and will escalate again.",
             "Turn on 2FA for your account.", "I HATE THIS 2FA THING, IT NEVER WORKS FOR ME!"]
    fresh = Coach()
    first = [[(c.feature, c.start, c.key, c.value) for c in candidates(fresh.resources, doc)]
             for doc in fresh.nlp.pipe(texts)]
    again = [[(c.feature, c.start, c.key, c.value) for c in candidates(fresh.resources, doc)]
             for doc in fresh.nlp.pipe(texts)]
    unremembered = [[(c.feature, c.start, c.key, c.value) for c in candidates(fresh.resources, doc, max_zipf=3.0)]
                    for doc in fresh.nlp.pipe(texts)]  # an explicit threshold is never remembered
    assert again == first == unremembered
    assert len(fresh.resources.memo("jargon.words")) > 10
    assert any(feature == "jargon.rare_word" for feature, *_ in first[0])
    assert [feature for feature, *_ in first[3]] == ["jargon.glossary_term"] and not first[4]  # 2FA, then shouted


def test_word_frequencies_give_wordfreqs_zipf_frequency(coach):
    import wordfreq

    table = coach.resources.word_frequencies()
    plain = [w for w in wordfreq.get_frequency_dict("en") if w.isascii() and w.isalpha() and w.islower()][::40]
    tricky = ["e-mail", "don't", "don’t", "Router", "café", "wi-fi", "24/7", "qwzxq", "ROUTER", "x", ""]
    assert len(plain) > 5000
    for word in plain + tricky:
        assert table.zipf_frequency(word) == wordfreq.zipf_frequency(word, "en"), word


def test_word_frequencies_are_the_table_wordfreq_reads(coach):
    """One copy of wordfreq's English table in memory: the one ``wordfreq.word_frequency`` reads (lexicons order
    their checks by it) is the one the signals look words up in."""
    import wordfreq

    wordfreq.word_frequency("kettle", "en")
    assert coach.resources.word_frequencies()._freq is wordfreq.get_frequency_dict("en", "best")


# --- the customer saying they did not follow --------------------------------------------------------------------

def _confused(hits, customer, agent="Please flush your DNS cache and renew the DHCP lease."):
    found = hits(("customer", "Some websites won't load."), ("agent", agent), ("customer", customer),
                 family="jargon")
    return [t for f, t, turn in found if f == "jargon.customer_confused"]


@pytest.mark.parametrize("customer, said", [
    ("Sorry, I don't understand any of that. What's a DNS?", ["I don't understand", "What's a DNS?"]),
    ("I don't know what an elevated command prompt is. I'm not very technical.",
     ["don't know what an elevated command prompt is", "I'm not very technical"]),
    ("What do you mean by lease?", ["What do you mean by"]),
    ("You've lost me, sorry.", ["You've lost me"]),
    ("I not understand well. Non refund mean I lose all money?", ["I not understand"]),  # written in a second language
    ("Ok, done. Websites load now.", []),
    ("I don't understand why it stopped working.", []),  # the problem, not the wording
    ("I don't understand my bill at all.", []),
    ("Please let me know what the entrance fee is.", []),
    ("You've lost me as a customer.", []),
    ("The light goes orange. I don't know what DSL means.", ["don't know what DSL means"]),
    ("I don't know what it is, but the app keeps crashing.", []),  # the problem, not a word not followed
    # a question about a term the agent used and did not explain
    ("sorry what is DHCP lease?", ["sorry what is DHCP lease?"]),
    ("Ok. What does the DNS cache do?", ["What does the DNS cache do?"]),
    ("What is the quickest way to do that?", []),  # a question, about no term
    ("What is your phone number, in case DNS fails again?", []),  # the term is not what they ask about
    ("I'm getting a bit lost. Could you go slower please?", ["a bit lost", "go slower"]),
    ("Sorry, I'm confused. Which cache?", ["I'm confused"]),
    ("I'm confused about my bill as well.", []),  # the problem, not the wording
])
def test_customer_confused(hits, customer, said):
    assert _confused(hits, customer) == said


def test_a_term_the_customer_asked_about_and_the_agent_explained_is_explained(hits):
    turns = (("customer", "The one that says DSL goes orange. I don't know what DSL means."),
             ("agent", "No problem. DSL is the light that shows the connection coming in over your phone line."))
    found = hits(("agent", "Which light is on?"), *turns, family="jargon")
    assert [(f, t) for f, t, _ in found if f == "jargon.explained"] == [("jargon.explained", "DSL")]
    unasked = hits(("agent", "Which light is on?"), ("customer", "The one that says DSL goes orange."),
                   ("agent", "DSL is the light that shows the connection coming in."), family="jargon")
    assert [f for f, _, _ in unasked if f == "jargon.explained"] == []  # the customer's own word, not asked about


def test_confusion_before_any_reply_is_the_problem_not_the_agents_wording(hits):
    found = hits(("customer", "I don't understand this bill at all."), ("agent", "Let me explain it."),
                 family="jargon")
    assert [f for f, _, _ in found if f == "jargon.customer_confused"] == []


@pytest.mark.parametrize("customer", [
    "It says something about permissions? I don't understand what that means",
    "The screen says error 0x80070005, what does that mean?",
    "I got a letter saying my tariff is changing and I don't understand it",
    "The light that says DSL goes orange. I don't know what DSL means.",
])
def test_confusion_about_what_a_screen_or_letter_says_is_not_about_the_agents_wording(hits, customer):
    assert _confused(hits, customer, agent="Hello, I'm Sunil. Take your time, there's no rush.") == []
    assert _confused(hits, "I don't understand what that means",
                     agent="Hello, I'm Sunil. Take your time, there's no rush.") == ["I don't understand"]


def test_a_calls_opening_question_is_no_wording_to_follow(hits):
    found = hits(("agent", "thank you for calling northpoint energy how can i help"),
                 ("customer", "i got a bill for four hundred pounds and it's normally ninety i don't understand it"),
                 ("agent", "oh i'm sorry that must have been a shock"), family="jargon")
    assert [f for f, _, _ in found if f == "jargon.customer_confused"] == []
    after = hits(("agent", "thank you for calling, how can i help"), ("customer", "my internet is down"),
                 ("agent", "please renew the DHCP lease"), ("customer", "i don't understand"), family="jargon")
    assert [t for f, t, _ in after if f == "jargon.customer_confused"] == ["i don't understand"]


def test_a_speakers_name_written_in_lower_case_is_no_rare_word(hits):
    turns = ({"role": "customer", "speaker": "Priti", "text": "hi my parcel says delivered but its not here"},
             {"role": "agent", "speaker": "Leo", "text": "hi priti, sorry about that! can you check with neighbours?"})
    assert [t for f, t, _ in hits(*turns, family="jargon")] == []
    unnamed = ({"role": "customer", "text": turns[0]["text"]}, turns[1])
    assert [t for f, t, _ in hits(*unnamed, family="jargon")] == ["priti"]  # no name to know it by


# --- after the customer said they were lost or not technical ---------------------------------------------------------

def _after_lost(hits, *turns):
    found = hits(*turns, family="jargon")
    return [(f, t, turn) for f, t, turn in found if f in ("jargon.unadapted", "jargon.rephrased")]


def test_terms_after_the_customer_said_they_were_lost_are_unadapted(hits):
    turns = (("customer", "Some websites won't load."), ("agent", "Please flush your DNS cache."),
             ("customer", "Sorry, you've lost me."), ("agent", "Just renew the DHCP lease and flush the DNS cache."))
    assert _after_lost(hits, *turns) == [("jargon.unadapted", "DHCP lease", 3), ("jargon.unadapted", "DNS", 3),
                                         ("jargon.unadapted", "cache", 3)]  # used before they said so: still
    unconfused = turns[:2] + (("customer", "Which cache?"),) + turns[3:]
    assert _after_lost(hits, *unconfused) == []


def test_confusion_holds_for_the_next_replies_and_not_technical_for_the_whole_conversation(hits):
    later = (("agent", "Is the light green?"), ("customer", "Yes."), ("agent", "Good. Now the light is fine."),
             ("customer", "Ok."), ("agent", "Now renew the DHCP lease."))
    confused = (("customer", "Some websites won't load."), ("agent", "Please flush your DNS cache."),
                ("customer", "Sorry, you've lost me."))
    assert _after_lost(hits, *confused, *later) == []  # three replies on: no longer about what they did not follow
    not_technical = (("customer", "Some websites won't load. I'm not very good with technology."),)
    assert _after_lost(hits, *not_technical, *later) == [("jargon.unadapted", "DHCP lease", 5)]


def test_not_technical_before_any_reply_is_no_confusion_but_asks_for_plain_words(hits):
    turns = (("customer", "Hello. My tablet won't go online. I'm not very technical I'm afraid."),
             ("agent", "Is the DHCP lease renewed?"))
    found = hits(*turns, family="jargon")
    assert [(f, t) for f, t, _ in found if f.startswith("jargon.") and f != "jargon.glossary_term"] == [
        ("jargon.unadapted", "DHCP lease")]


@pytest.mark.parametrize("reply, expected", [
    ("Sorry, that was technical. In other words, switch the box off and on again.",
     [("jargon.rephrased", "Sorry, that was technical.", 3)]),
    ("No problem, let's do it one step at a time. Open Settings on your tablet.",
     [("jargon.rephrased", "No problem, let's do it one step at a time.", 3)]),
    ("In other words, renew the DHCP lease.", [("jargon.unadapted", "DHCP lease", 3)]),  # still technical
    ("Switch the box off and on again.", []),  # plain, but nothing says it was put another way
    ("No problem, let me say it more simply. Your phone still thinks it is in Spain.",
     [("jargon.rephrased", "No problem, let me say it more simply.", 3)]),
])
def test_putting_it_simply_after_the_customer_was_lost(hits, reply, expected):
    turns = (("customer", "Some websites won't load."), ("agent", "Please flush your DNS cache."),
             ("customer", "I don't understand any of that."), ("agent", reply))
    assert _after_lost(hits, *turns) == expected
    unasked = (("customer", "Some websites won't load."), ("agent", "Hello."), ("customer", "It's the laptop."),
               ("agent", reply))
    assert [f for f, _, _ in _after_lost(hits, *unasked)] == []  # nobody said they were lost


def test_the_words_that_say_it_is_put_simply_explain_no_term(hits):
    found = agent_hits(hits, "Renew the DHCP lease, step by step.")  # a phrase right after the term
    assert ("jargon.glossary_term", "DHCP lease") in found and all(f != "jargon.explained" for f, _ in found)


def test_the_letters_of_a_reference_are_no_acronym(hits):
    found = hits(("customer", "My book arrived torn."),
                 ("agent", "Could you tell me your order number? It starts with PW."), ("customer", "PW-208844"),
                 family="jargon")
    assert [t for f, t, _ in found if f == "jargon.acronym"] == []
