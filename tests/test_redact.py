"""PII redaction: each detector's positives and negatives, names from transcript metadata, the allow list, counts,
the placeholders as the analysis sees them, and ``score --redact`` end to end (no planted value in any report)."""

from __future__ import annotations

import json
import re
import time

import pytest
from click.testing import CliRunner

from transcript_coach import Coach, Transcript
from transcript_coach.cli import cli
from transcript_coach.errors import UsageError
from transcript_coach.model import Failure
from transcript_coach.redact import (
    KINDS,
    RedactOptions,
    find_pii,
    iban_ok,
    luhn_ok,
    read_allow_file,
    redact_settings,
    redact_transcript,
    stated_names,
    transcript_names,
)

S = redact_settings()


def found(text: str, names=(), **kwargs) -> list[tuple[str, str]]:
    """(kind, matched text) of every span ``find_pii`` finds."""
    return [(p.kind, text[p.start:p.end]) for p in find_pii(text, names, S, **kwargs)]


def kinds(text: str, names=()) -> set[str]:
    return {kind for kind, _ in found(text, names)}


# --- detectors ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("Email me at dana.kim@example.com please", "dana.kim@example.com"),
    ("<first+tag@mail.example.co.uk>", "first+tag@mail.example.co.uk"),
    ("(reply to support-team@help.example.com).", "support-team@help.example.com"),
])
def test_emails_found(text, value):
    assert ("email", value) in found(text)


@pytest.mark.parametrize("text", ["user@localhost", "a @ b dot com", "@handle on twitter", "price@ 5", "x@y.z"])
def test_not_emails(text):
    assert "email" not in kinds(text)


@pytest.mark.parametrize("text, value", [
    ("call me on (415) 555-2671 today", "(415) 555-2671"),
    ("my mobile is +44 20 7946 0958", "+44 20 7946 0958"),
    ("the London office: 020 7946 0958.", "020 7946 0958"),
    ("Berlin +49 30 12345678", "+49 30 12345678"),
    ("Paris +33 1 42 68 53 00", "+33 1 42 68 53 00"),
    ("415.867.5309 is mine", "415.867.5309"),
    ("toll free 1-800-273-8255", "1-800-273-8255"),
    ("try 2125551234", "2125551234"),
])
def test_phone_numbers_found(text, value):
    assert ("phone", value) in found(text)


@pytest.mark.parametrize("text", [
    "on 2026-04-03 at 10:42", "booked 16/03/2026", "it was $1,240.00", "refund of £18.50", "order LH-448120",
    "10-14 business days", "version 12345678", "between 9:00 and 17:30", "the 3 April payment of $54.99",
])
def test_not_phone_numbers(text):
    assert "phone" not in kinds(text)


def test_an_unassigned_number_counts_only_after_a_phone_cue():
    # 07700 900123 is in a range reserved for drama: possible, not valid
    assert "phone" not in kinds("the code is 07700 900123")
    assert ("phone", "07700 900123") in found("my mobile is 07700 900123")
    assert ("phone", "07700 900123") in found("now is fine. 07700 900123", before="What number should I call?")


CARDS = ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011111111111117", "4012888888881881"]


@pytest.mark.parametrize("card", CARDS)
def test_cards_found(card):
    assert luhn_ok(re.sub(r"\D", "", card))
    assert ("card", card) in found(f"my card is {card} thanks")


@pytest.mark.parametrize("number", [
    "4111 1111 1111 1112",  # Luhn fails
    "5555-5555-5555-4445",
    "4111 1111 111",  # too short
    "1111 1111 1111 1117",  # Luhn-valid, but no card starts with 1
    "41111111111111111111",  # too long (a card followed by more digits would be written apart)
])
def test_not_cards(number):
    assert "card" not in kinds(f"number {number} here")


def test_a_card_followed_by_its_expiry_date_is_found():
    assert ("card", "4111 1111 1111 1111") in found("card 4111 1111 1111 1111 12/27 thanks")


def test_luhn_rejects_digit_errors():
    for card in CARDS:
        digits = re.sub(r"\D", "", card)
        for i in range(len(digits)):
            changed = digits[:i] + str((int(digits[i]) + 1) % 10) + digits[i + 1:]
            assert not luhn_ok(changed)


IBANS = ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR14 2004 1010 0505 0001 3M02 606",
         "NL91ABNA0417164300", "BE68 5390 0754 7034"]


@pytest.mark.parametrize("iban", IBANS)
def test_ibans_found(iban):
    assert ("iban", iban) in found(f"pay into {iban} and thanks")


def test_two_ibans_in_a_row_are_both_found():
    text = f"{IBANS[0]} and {IBANS[1]}."
    assert [v for k, v in found(text) if k == "iban"] == IBANS[:2]


@pytest.mark.parametrize("text", [
    "GB82 WEST 1234 5698 7654 33",  # check digits fail
    "DE89370400440532013001",
    "GB82WEST123456987654",  # too short for GB
    "ZZ12 3456 7890 1234 5678",  # no such country
    "UK12 ABCD 1234 5678 9012 34",
])
def test_not_ibans(text):
    assert "iban" not in kinds(f"account {text} ok")


def test_iban_checksum_catches_a_changed_character():
    assert iban_ok("GB82WEST12345698765432")
    assert not iban_ok("GB82WEST12345698765423")  # two digits swapped


@pytest.mark.parametrize("text, value", [
    ("I live at 221B Baker Street, London NW1 6XE now", "221B Baker Street, London NW1 6XE"),
    ("ship to 350 5th Ave, Apt 4, New York, NY 10118.", "350 5th Ave, Apt 4, New York, NY 10118"),
    ("it went to 14 Elm Row, not mine", "14 Elm Row"),
    ("New address is Flat 2, 3 Harbour Lane, Port Esk, PE4 7QT. Thanks", "Flat 2, 3 Harbour Lane, Port Esk, PE4 7QT"),
    ("postcode BR7 4QN.", "BR7 4QN"),
    ("that's CA 94107-1234 I think", "CA 94107-1234"),
    ("my zip code is 94107", "94107"),
    ("the postcode is 40211", "40211"),
])
def test_addresses_found(text, value):
    assert ("address", value) in found(text)


def test_a_street_address_keeps_the_full_stop_that_ends_the_sentence():
    text = "It is available at 8 Mill Lane. I can book it."
    spans = find_pii(text, (), S)
    assert [text[p.start:p.end] for p in spans] == ["8 Mill Lane"]


@pytest.mark.parametrize("text", [
    "It took 3 hours drive", "I waited 20 minutes", "on the Fibre 150 plan", "a PS5 4GB console", "Windows 11 Home",
    "my neighbour at number 22", "room 12 on floor 3", "in 2 weeks", "the Sports Pack costs $9.99",
])
def test_not_addresses(text):
    assert "address" not in kinds(text)


@pytest.mark.parametrize("text, kind, value", [
    ("my order #A12345 is late", "order", "A12345"),
    ("Order ID: KC-88231", "order", "KC-88231"),
    ("order number 12345678", "order", "12345678"),
    ("booking confirmation for HS-30655", "order", "HS-30655"),
    ("Tracking number PP-80455163.", "order", "PP-80455163"),
    ("my parcel PP-77310925 was due", "order", "PP-77310925"),
    ("account number 4410-2287", "account", "4410-2287"),
    ("Account 7731-0452", "account", "7731-0452"),
    ("customer id: 99812345", "account", "99812345"),
])
def test_order_and_account_numbers_found(text, kind, value):
    assert (kind, value) in found(text)


@pytest.mark.parametrize("text", [
    "ticket 55213 is open", "refund reference RF-88104", "card ending 4417", "an order of 2 items",
    "our policy 2024 update", "the order status page", "my account is locked", "order 1234",
])
def test_not_order_or_account_numbers(text):
    assert not kinds(text) & {"order", "account"}


def test_an_identifier_found_with_a_cue_is_redacted_wherever_it_appears_again():
    transcript = Transcript.from_turns([
        {"role": "customer", "speaker": "Customer", "text": "My order LH-448120 never came."},
        {"role": "agent", "speaker": "Priya", "text": "Can you confirm the number?"},
        {"role": "customer", "speaker": "Customer", "text": "LH-448120. Again."},
    ])
    redacted, counts = redact_transcript(transcript, S)
    assert [t.text for t in redacted.turns][2] == "[ORDER]. Again."
    assert counts["order"] == 2


# --- names ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Thanks Sarah, I'll check.", ["Sarah"]),
    ("That's Sarah's parcel", ["Sarah"]),
    ("Sarah\u2019s order", ["Sarah"]),
    ("SARAH JONES here", ["SARAH JONES"]),
    ("hi this is sarah jones", ["sarah jones"]),
    ("Sarah Jones, and Jones again", ["Sarah Jones", "Jones"]),
    ("Sarahs and Jonesy are other words", []),
])
def test_metadata_names_are_matched_as_whole_words(text, expected):
    assert [v for k, v in found(text, ["Sarah", "Jones"]) if k == "name"] == expected


def test_a_name_that_is_a_common_word_is_redacted_only_capitalised():
    assert [v for _, v in found("Will you call Will? I will.", ["Will"])] == ["Will", "Will"]


def test_names_are_matched_without_their_accents_too():
    assert [v for _, v in found('spelled "Siobhan Ni Bhriain" in the letter', ["Siobhán", "Ní", "Bhriain"])] == [
        "Siobhan Ni Bhriain"]


@pytest.mark.parametrize("text, expected", [
    ("Hi, my name is Dana Kim and I need help", ["Dana", "Kim"]),
    ("my name is dana", ["dana"]),
    ("Hello, this is Tomasz.", ["Tomasz"]),
    ("It's Peter Lindgren, peter@example.net.", ["Peter", "Lindgren"]),
    ("His name is Mr. Okoro.", ["Okoro"]),
    ("I'm still waiting", []),
    ("I'm Sorry to bother you", []),
    ("this is ridiculous", []),
    ("my name is on the account", []),
    ("It's Tuesday already", []),
])
def test_stated_names(text, expected):
    assert stated_names(text, S) == expected


def test_names_come_from_customer_labels_statements_emails_greetings_and_honorifics():
    transcript = Transcript.from_turns([
        {"role": "customer", "speaker": "Dana Kim (customer)", "text": "Hi, it's about my lamp."},
        {"role": "agent", "speaker": "Tom", "text": "Hi Chris, I'm Tom. Is that for Mr. Okoro?"},
        {"role": "customer", "speaker": "Dana Kim (customer)", "text": "Write to marta.lindqvist@example.com please"},
        {"role": "agent", "speaker": "Tom", "text": "Thanks, Marta. Sent from support@example.com."},
    ])
    names = set(transcript_names(transcript, S))
    assert {"Dana", "Kim", "Chris", "Okoro", "Marta", "Lindqvist"} <= names
    assert not names & {"Tom", "Support", "Customer", "I'm"}


def test_agent_names_are_kept_unless_asked():
    transcript = Transcript.from_turns([
        {"role": "customer", "speaker": "Dana", "text": "Thanks Tom!"},
        {"role": "agent", "speaker": "Tom", "text": "You're welcome, Dana. Tom here any time."},
    ])
    kept, _ = redact_transcript(transcript, S)
    assert [t.speaker for t in kept.turns] == ["Customer", "Tom"]
    assert [t.text for t in kept.turns] == ["Thanks Tom!", "You're welcome, [NAME]. Tom here any time."]
    hidden, counts = redact_transcript(transcript, redact_settings(RedactOptions(keep_agent_names=False)))
    assert [t.speaker for t in hidden.turns] == ["Customer", "Agent"]
    assert "Tom" not in " ".join(t.text for t in hidden.turns)
    assert counts["name"] == 3 + 2  # three spans in the text, two speaker labels


# --- transcripts, allow list, counts --------------------------------------------------------------------------------

PLANTED = {
    "email": "ana.silva@example.org",
    "phone": "+44 20 7946 0958",
    "card": "4111 1111 1111 1111",
    "iban": "GB82 WEST 1234 5698 7654 32",
    "address": "221B Baker Street",
    "order": "ZX-99812",
    "account": "4410-2287",
    "name": "Silva",
}


def planted_transcript() -> Transcript:
    return Transcript.from_turns([
        {"role": "customer", "speaker": "Ana Silva", "timestamp": "2026-04-03T09:14:02Z",
         "text": f"Hi, I'm Ana. My order {PLANTED['order']} never arrived at {PLANTED['address']}, London. "
                 f"I am so upset!"},
        {"role": "agent", "speaker": "Tom", "timestamp": "2026-04-03T09:15:10Z",
         "text": "I'm sorry about that, Ana. Could you confirm your email and phone number?"},
        {"role": "customer", "speaker": "Ana Silva", "timestamp": "2026-04-03T09:16:00Z",
         "text": f"{PLANTED['email']}, {PLANTED['phone']}. Account number {PLANTED['account']}."},
        {"role": "agent", "speaker": "Tom", "timestamp": "2026-04-03T09:18:00Z",
         "text": f"Thanks, Ms {PLANTED['name']}. I've refunded the card {PLANTED['card']} and will email "
                 f"{PLANTED['email']} today. If you prefer a transfer, send the IBAN ({PLANTED['iban']})."},
        {"role": "customer", "speaker": "Ana Silva", "timestamp": "2026-04-03T09:19:00Z",
         "text": "Thank you Tom, that's great."},
    ], id="planted")


def test_every_planted_value_is_replaced_and_counted():
    redacted, counts = redact_transcript(planted_transcript(), S)
    text = json.dumps([t.to_dict() for t in redacted.turns])
    for kind, value in PLANTED.items():
        assert value not in text, kind
        assert S.placeholder(kind) in text
    assert "Ana" not in text
    assert counts == {"email": 2, "phone": 1, "card": 1, "iban": 1, "address": 1, "order": 1, "account": 1,
                      "name": 3 + 1}  # "Ana" twice, "Silva" once; one speaker label
    assert set(counts) == set(KINDS)


def test_redaction_returns_a_new_transcript_and_leaves_the_original_alone():
    original = planted_transcript()
    before = [t.to_dict() for t in original.turns]
    redacted, _ = redact_transcript(original, S)
    assert redacted is not original
    assert [t.to_dict() for t in original.turns] == before
    assert [(t.index, t.role, t.timestamp) for t in redacted.turns] == [(t.index, t.role, t.timestamp)
                                                                        for t in original.turns]


def test_allowed_terms_are_never_redacted():
    transcript = Transcript.from_turns([
        {"role": "customer", "speaker": "Jordan", "text": "My Air Jordan shoes, order AJ-1234, came. I'm Jordan."},
        {"role": "agent", "speaker": "Mia", "text": "Glad to hear it, Jordan! The AJ-1234 pair?"},
    ])
    redacted, counts = redact_transcript(transcript, S, allow=["Jordan", "AJ-1234"])
    assert [t.text for t in redacted.turns] == [t.text for t in transcript.turns]
    assert [t.speaker for t in redacted.turns] == ["Jordan", "Mia"]
    assert sum(counts.values()) == 0
    without, counts = redact_transcript(transcript, S)
    assert "Jordan" not in " ".join(t.text for t in without.turns) and counts["name"] >= 3


def test_warnings_are_redacted_too():
    transcript = Transcript.from_turns([
        {"speaker": "Tomasz Wisniewski", "text": "Where is my refund?"},
        {"speaker": "Agent", "text": "Let me check that for you."},
    ])
    assert any("Tomasz" in w for w in transcript.warnings)
    redacted, _ = redact_transcript(transcript, S)
    assert redacted.warnings and not any("Tomasz" in w or "Wisniewski" in w for w in redacted.warnings)


def test_allow_file(tmp_path):
    path = tmp_path / "allow.txt"
    path.write_text("# product names\nAir Jordan\n\n  Model X  \n", encoding="utf-8")
    assert read_allow_file(str(path)) == ("Air Jordan", "Model X")
    with pytest.raises(UsageError, match="missing.txt"):
        read_allow_file(str(tmp_path / "missing.txt"))


def test_unknown_phone_region_is_a_usage_error():
    with pytest.raises(UsageError, match="XX"):
        redact_settings(RedactOptions(phone_regions=("XX",)))


def test_phone_regions_option_reads_national_numbers_of_that_country():
    german = redact_settings(RedactOptions(phone_regions=("DE",)))
    assert [p.kind for p in find_pii("ruf an: 089 12345678", (), german)] == ["phone"]
    assert "phone" not in kinds("ruf an: 089 12345678")  # not a US or UK number


@pytest.mark.parametrize("line", [
    "a" * 100_000, "1" * 100_000, "a@" * 50_000, "1 2 3 4 " * 12_500, "Main Street " * 8_000, "order #" * 14_000,
    "AB12 " * 20_000, "1-" * 50_000, "my name is " * 9_000,
])
def test_a_very_long_line_is_fast(line):
    find_pii("warm up", ["Dana"], S)
    start = time.perf_counter()
    find_pii(line, ["Dana"], S)
    assert time.perf_counter() - start < 8.0  # linear: about a second or less on one core


# --- the Coach and the report ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redacting_coach() -> Coach:
    return Coach(redact=RedactOptions())


@pytest.fixture(scope="module")
def sample_reports(redacting_coach, samples):
    return [item for item in redacting_coach.score([samples]) if not isinstance(item, Failure)]


def test_no_planted_value_appears_anywhere_in_the_report(redacting_coach, assert_valid):
    report = redacting_coach.analyze(planted_transcript())
    document = assert_valid(report.to_dict())
    serialized = json.dumps(document, ensure_ascii=False)
    for kind, value in PLANTED.items():
        assert value not in serialized, kind
    assert "Ana" not in serialized
    assert document["metrics"]["redactions"]["card"] == 1
    assert document["agents"] == ["Tom"]


def test_offsets_stay_valid_in_redacted_sample_reports(sample_reports, assert_valid):
    assert len(sample_reports) > 20
    for report in sample_reports:
        document = assert_valid(report.to_dict())
        assert set(document["metrics"]["redactions"]) == set(KINDS)
        for e in document["evidence"]:
            assert document["turns"][e["turn"]]["text"][e["start"]:e["end"]] == e["text"]


def test_no_email_or_customer_name_of_the_samples_is_left(redacting_coach, sample_reports, samples):
    originals = {t.id: t for t in redacting_coach.read([samples]) if isinstance(t, Transcript)}
    email = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
    for report in sample_reports:
        original = originals[report.id]
        serialized = json.dumps({k: v for k, v in report.to_dict().items() if k not in ("id", "source")},
                                ensure_ascii=False)
        for turn in original.turns:
            for value in email.findall(turn.text):
                assert value not in serialized, (report.id, value)
        for name in transcript_names(original, S):
            assert not re.search(rf"\b{re.escape(name)}\b", serialized), (report.id, name)


def test_the_counts_match_the_placeholders_in_the_text(sample_reports):
    placeholders = {kind: S.placeholder(kind) for kind in KINDS}
    for report in sample_reports:
        counts = report.metrics["redactions"]
        text = " ".join(t.text for t in report.transcript.turns)
        for kind, placeholder in placeholders.items():
            labels = 0
            if kind == "name":  # a replaced speaker label counts once per label
                labels = len({t.speaker for t in report.transcript.turns
                              if t.role == "customer" and t.speaker == S.speaker_replacement["customer"]})
            assert text.count(placeholder) <= counts[kind] <= text.count(placeholder) + labels, (report.id, kind)


def test_placeholders_are_not_jargon_or_shouting_and_name_counts_as_personal(redacting_coach):
    report = redacting_coach.analyze(Transcript.from_turns([
        {"role": "customer", "speaker": "Customer", "text": "[NAME] [EMAIL] [PHONE]"},
        {"role": "agent", "speaker": "Tom",
         "text": "Thanks, [NAME]. I will refund [CARD] or pay into [IBAN] and write to [ADDRESS] about [ACCOUNT]."},
    ]))
    features = {(e.feature, e.text) for e in report.evidence}
    assert not [f for f, _ in features if f.startswith("jargon.") or f.endswith("shouting")]
    assert ("structure.name_use", "[NAME]") in features
    assert ("listening.detail_reuse", "[NAME]") in features


def test_a_redacted_detail_the_customer_gave_counts_as_reused(redacting_coach):
    report = redacting_coach.analyze(Transcript.from_turns([
        {"role": "customer", "speaker": "Customer", "text": "My order ZX-99812 hasn't arrived."},
        {"role": "agent", "speaker": "Tom", "text": "I'm looking at ZX-99812 now."},
    ]))
    assert report.transcript.turns[1].text == "I'm looking at [ORDER] now."
    assert [e.text for e in report.evidence if e.feature == "listening.detail_reuse"] == ["[ORDER]"]


def test_without_redaction_nothing_changes():
    plain = Coach().analyze(planted_transcript()).to_dict()
    assert "redactions" not in plain["metrics"]
    assert PLANTED["card"] in json.dumps(plain)


# --- command line ---------------------------------------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_score_redact_end_to_end(tmp_path, assert_valid):
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "[2026-04-03 09:14:02] Dana Kim: Hi, my card 4111 1111 1111 1111 was charged twice. Call 415-555-2671.\n"
        "[2026-04-03 09:15:10] Agent (Tom): Sorry Dana! I'll email dana.kim@example.com about the Jordan order.\n",
        encoding="utf-8")
    allow = tmp_path / "allow.txt"
    allow.write_text("Jordan\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("score", str(chat), "--redact", "--redact-allow-file", str(allow), "-o", str(out), "-q")
    assert result.exit_code == 0, result.output
    document = assert_valid(json.loads(out.read_text(encoding="utf-8")))
    serialized = json.dumps(document)
    for value in ("4111 1111 1111 1111", "415-555-2671", "dana.kim@example.com", "Dana", "Kim"):
        assert value not in serialized
    assert "Jordan" in serialized and "Tom" in serialized
    assert document["metrics"]["redactions"] == {"email": 1, "phone": 1, "card": 1, "iban": 0, "address": 0,
                                                 "order": 0, "account": 0, "name": 2}
    table = run("score", str(chat), "--redact", "--format", "table", "-q")
    assert table.exit_code == 0 and "Dana" not in table.output


def test_allow_terms_imply_redaction(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text("Dana: my email is dana@example.com\nAgent: Thanks, noted.\n", encoding="utf-8")
    result = run("score", str(chat), "--redact-allow", "Acme", "-q")
    assert result.exit_code == 0
    assert "dana@example.com" not in result.output and "[EMAIL]" in result.output
    assert "dana@example.com" in run("score", str(chat), "-q").output


def test_bad_redact_options_are_usage_errors(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text("Customer: hi\nAgent: hello\n", encoding="utf-8")
    result = run("score", str(chat), "--redact", "--redact-phone-region", "XX")
    assert result.exit_code == 2 and "XX" in result.output
    missing = run("score", str(chat), "--redact-allow-file", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2 and "nope.txt" in missing.output


def test_review_and_agents_redact_the_transcripts_they_score(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "[2026-04-03 09:14:02] Dana Kim: This is ridiculous, I want a manager! Order ZX-99812 never came.\n"
        "[2026-04-03 09:15:10] Agent (Tom): Calm down Dana. It's not my department.\n", encoding="utf-8")
    for command in ("review", "agents"):
        plain = run(command, str(chat))
        redacted = run(command, str(chat), "--redact")
        assert plain.exit_code == redacted.exit_code == 0, redacted.output
        assert "Dana" in plain.output or command == "agents"
        assert "Dana" not in redacted.output and "ZX-99812" not in redacted.output
        assert "Tom" in redacted.output


def test_redaction_happens_in_worker_processes_too(samples):
    coach = Coach(redact=RedactOptions(allow=("Jordan",)))
    files = [samples / "generic_list_subscription_pause.json", samples / "chat_bot_handoff_account_lockout.txt"]
    serial = [r.to_dict() for r in coach.score(files)]
    parallel = [r.to_dict() for r in coach.score(files, jobs=2)]
    assert parallel == serial
    assert "marta.lindqvist@example.com" not in json.dumps(parallel)
    assert "Jordan" in json.dumps(parallel)
