"""Per-message records: ``raw_turn_from_record``, JSON Lines, CSV/TSV and generic JSON turns."""

from __future__ import annotations

import csv
import json
import tracemalloc
from datetime import datetime, time, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcript_coach.errors import InputError
from transcript_coach.ingest import IngestOptions, read_bytes
from transcript_coach.ingest import records
from transcript_coach.ingest.records import looks_generic, raw_turn_from_record
from transcript_coach.model import Failure, Transcript

UTC = timezone.utc


def read(data: str | bytes | object, name: str, **options) -> list[Transcript]:
    if not isinstance(data, str | bytes):
        data = json.dumps(data)
    if isinstance(data, str):
        data = data.encode("utf-8")
    return list(read_bytes(data, name, IngestOptions(**options)))


def failure(data: str | bytes | object, name: str, **options) -> InputError | Failure:
    """What reading refuses: the ``InputError`` the file raises, or the ``Failure`` given in place of its one
    conversation (one without text)."""
    try:
        items = read(data, name, **options)
    except InputError as error:
        return error
    (failed,) = items
    assert isinstance(failed, Failure), failed
    return failed


def jsonl(*records: dict) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


# --- raw_turn_from_record ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"text": "hi", "speaker": "Tom"}, {"text": "hi", "label": "Tom", "role": None}),
        ({"Message": "hi", "AUTHOR": "Tom"}, {"text": "hi", "label": "Tom"}),
        ({"body": 42, "sender": "Ann"}, {"text": "42", "label": "Ann"}),
        ({"content": None, "user": "Ann"}, {"text": ""}),
        ({"comment": "  ", "content": "second alias"}, {"text": "second alias"}),
        ({"plain_body": "plain", "from": "Jane Doe <jane@example.org>"},
         {"text": "plain", "label": "Jane Doe", "address": "jane@example.org"}),
        ({"body_text": "x", "speaker_name": "Sam", "author_email": "sam@shop.example"},
         {"label": "Sam", "address": "sam@shop.example"}),
        ({"msg": "x", "author": {"name": "Lena Ortiz", "email": "lena@acme.example", "type": "admin"}},
         {"label": "Lena Ortiz", "address": "lena@acme.example", "role": "agent"}),
        ({"msg": "x", "author": {"id": 77}}, {"label": "user-77", "role": None}),
        ({"utterance": "x", "authorName": "Kim"}, {"label": "Kim"}),
        ({"transcript": "x", "name": "Kim"}, {"label": "Kim"}),
        ({"content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]}, {"text": "one\ntwo"}),
        ({"message": {"text": "wrapped"}}, {"text": "wrapped"}),
        ({"text": "<p>First</p><p>Second<br>line</p>"}, {"text": "First\n\nSecond\nline"}),
        ({"text": "I <3 it & 2 < 3"}, {"text": "I <3 it & 2 < 3"}),
        ({"html_body": "<p>only &amp; html</p>"}, {"text": "only & html"}),
    ],
)
def test_record_text_speaker_and_address(record, expected):
    turn = raw_turn_from_record(record, "t.jsonl", 4)
    assert turn.line == 4
    for key, value in expected.items():
        assert getattr(turn, key) == value, key


@pytest.mark.parametrize(
    ("record", "role", "internal"),
    [
        ({"role": "Agent"}, "agent", False),
        ({"role": "rep"}, "agent", False),
        ({"speaker_role": "operator"}, "agent", False),
        ({"author_role": "admin"}, "agent", False),
        ({"author_type": "staff"}, "agent", False),
        ({"role": "end-user"}, "customer", False),
        ({"role": "end_user"}, "customer", False),
        ({"sender_type": "visitor"}, "customer", False),
        ({"role": "lead"}, "customer", False),
        ({"role": "requester"}, "customer", False),
        ({"role": "caller"}, "customer", False),
        ({"role": "bot"}, "bot", False),
        ({"role": "system"}, "system", False),
        ({"role": "internal note"}, "agent", True),
        ({"type": "customer"}, "customer", False),
        ({"type": "message"}, None, False),
        ({"type": "note"}, "agent", True),
        ({"from_agent": True}, "agent", False),
        ({"is_agent": "no"}, "customer", False),
        ({"authorIsNotClient": "true"}, "agent", False),
        ({"authorIsNotClient": 0}, "customer", False),
        ({"role": "customer", "is_agent": True}, "customer", False),  # the role column wins
        ({"internal": True}, None, True),
        ({"is_internal": "yes"}, None, True),
        ({"private": 1}, None, True),
        ({"note": "TRUE"}, None, True),
        ({"is_note": "0"}, None, False),
        ({"note": "Called the courier"}, None, False),  # a note column holding words, not a flag
        ({"public": False}, None, True),
        ({"public": "true"}, None, False),
        ({"visibility": "Internal"}, None, True),
        ({"visibility": "private"}, None, True),
        ({"visibility": "public"}, None, False),
        ({"internal": ""}, None, False),
    ],
)
def test_record_role_and_internal(record, role, internal):
    turn = raw_turn_from_record({"text": "x", **record}, "t.csv", 2)
    assert (turn.role, turn.internal) == (role, internal)


def test_unknown_role_word_becomes_the_label_when_there_is_no_speaker():
    turn = raw_turn_from_record({"text": "x", "role": "Level Q"}, "t.csv", 2)
    assert (turn.role, turn.label) == (None, "Level Q")
    named = raw_turn_from_record({"text": "x", "role": "Level Q", "speaker": "Ola"}, "t.csv", 2)
    assert (named.role, named.label) == (None, "Ola")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"timestamp": "2024-03-01T09:14:00Z"}, datetime(2024, 3, 1, 9, 14, tzinfo=UTC)),
        ({"created_at": "2024-03-01T10:14:00+01:00"}, datetime(2024, 3, 1, 9, 14, tzinfo=UTC)),
        ({"ts": 1709284440}, datetime(2024, 3, 1, 9, 14, tzinfo=UTC)),
        ({"sentAt": "1709284440000"}, datetime(2024, 3, 1, 9, 14, tzinfo=UTC)),
        ({"time": "09:14"}, time(9, 14)),
        ({"date": "2024-03-01", "time": "9:14 PM"}, datetime(2024, 3, 1, 21, 14)),
        ({"datetime": "2024-03-01 09:14:05"}, datetime(2024, 3, 1, 9, 14, 5)),
        ({"timestamp": ""}, None),
        ({"timestamp": datetime(2024, 3, 1, 9, 14, tzinfo=UTC)}, datetime(2024, 3, 1, 9, 14, tzinfo=UTC)),
        ({"time": time(9, 14, 30)}, time(9, 14, 30)),
        ({"timestamp": None, "created": "2024-03-01T09:14:00Z"}, datetime(2024, 3, 1, 9, 14, tzinfo=UTC)),
        # numeric dates: day first when both readings are possible, month first only when day first is impossible
        ({"date": "03/04/2026", "time": "09:14"}, datetime(2026, 4, 3, 9, 14)),
        ({"timestamp": "03/04/2026 9:14 PM"}, datetime(2026, 4, 3, 21, 14)),
        ({"timestamp": "3/14/26, 9:14 AM"}, datetime(2026, 3, 14, 9, 14)),
        ({"timestamp": "14.03.2026 09:14"}, datetime(2026, 3, 14, 9, 14)),
        ({"date": "14/03/26"}, datetime(2026, 3, 14)),
    ],
)
def test_record_timestamps(record, expected):
    turn = raw_turn_from_record({"text": "x", **record}, "t.jsonl", 1)
    assert turn.timestamp == expected
    if isinstance(expected, datetime):
        assert (turn.timestamp.tzinfo is None) == (expected.tzinfo is None)


@pytest.mark.parametrize(
    ("record", "fragments"),
    [
        ({"speaker": "Tom", "msg_id": 3}, ["no text field", "speaker, msg_id", "expected one of: text, message"]),
        ({"text": "x", "timestamp": "next tuesday"}, ["'timestamp'", "'next tuesday'", "ISO 8601"]),
        ({"text": "x", "ts": 12}, ["unreadable timestamp 12", "epoch seconds between 2000 and 2100"]),
        ({"text": "x", "timestamp": 10**400}, ["unreadable timestamp 1000", "epoch seconds between 2000 and 2100"]),
        ({"text": "x", "timestamp": 10**5000}, ["unreadable timestamp a number too large to print"]),
        ({"text": "x", "timestamp": float("nan")}, ["unreadable timestamp nan"]),
        ({"text": "x", "timestamp": "31/31/2026 09:14"}, ["unreadable timestamp '31/31/2026 09:14'"]),
        ({"text": "x", "ts": True}, ["unreadable timestamp True"]),
        ({"text": "x", "created_at": {"$date": 1}}, ["'created_at'", "unreadable timestamp"]),
        ({"text": "x", "internal": "maybe"}, ["'internal'", "true/false", "maybe"]),
        ({"text": "x", "public": 7}, ["'public'", "a number (7)"]),
        ({"text": {"id": 1}}, ["'text'", "expected the message text", "an object"]),
        ({"text": True}, ["'text'", "a boolean"]),
        ({"text": "x", "speaker": ["a", "b"]}, ["'speaker'", "a list"]),
    ],
)
def test_record_errors_name_the_key_and_line(record, fragments):
    with pytest.raises(InputError) as info:
        raw_turn_from_record(record, "t.jsonl", 9)
    error = info.value
    assert (error.code, error.line, error.source) == ("unsupported_structure", 9, "t.jsonl")
    for fragment in fragments:
        assert fragment in error.message


def test_record_that_is_not_a_mapping():
    with pytest.raises(InputError) as info:
        raw_turn_from_record(["hi"], "<python>", 1)  # type: ignore[arg-type]
    assert info.value.code == "unsupported_structure"
    assert "a list" in info.value.message


def test_python_api_uses_records():
    transcript = Transcript.from_turns(
        [
            {"role": "customer", "text": "My parcel never came.", "timestamp": "2024-03-01T09:00:00Z"},
            {"Speaker": "Agent (Tom)", "Message": "Sorry to hear that, let me check.", "ts": 1709283660},
            {"role": "agent", "speaker": "Tom", "text": "Refund issued.", "internal": "yes"},
            {"role": "customer", "text": None},
        ],
        id="api-1",
    )
    assert [(t.role, t.speaker, t.internal) for t in transcript.turns] == [
        ("customer", None, False), ("agent", "Tom", False), ("agent", "Tom", True)]
    assert transcript.turns[1].timestamp == datetime(2024, 3, 1, 9, 1, tzinfo=UTC)
    assert transcript.turns[1].line == 2


def test_python_api_error_names_the_record():
    with pytest.raises(InputError) as info:
        Transcript.from_turns([{"role": "agent", "text": "hi"}, {"role": "customer", "words": "hello"}])
    assert (info.value.code, info.value.line) == ("unsupported_structure", 2)


# --- JSON Lines ----------------------------------------------------------------------------------------------------

def test_jsonl_groups_conversations_in_order_of_first_appearance():
    data = jsonl(
        {"conversation_id": "c-2", "id": 1, "speaker": "Ann", "role": "customer", "text": "Where is my order?"},
        {"conversation_id": "c-1", "id": 2, "speaker": "Bo", "role": "customer", "text": "Hi, I need help"},
        {"conversation_id": "c-2", "id": 3, "speaker": "Tom", "role": "agent", "text": "Let me check."},
        {"conversation_id": "c-1", "id": 4, "speaker": "Eve", "role": "agent", "text": "Sure, what's up?"},
        {"conversation_id": "c-2", "id": 5, "speaker": "Ann", "role": "customer", "text": "Thanks"},
    )
    transcripts = read(data, "chats.jsonl")
    assert [t.id for t in transcripts] == ["c-2", "c-1"]
    assert [(t.speaker, t.role, t.line) for t in transcripts[0].turns] == [
        ("Ann", "customer", 1), ("Tom", "agent", 3), ("Ann", "customer", 5)]
    assert [t.text for t in transcripts[1].turns] == ["Hi, I need help", "Sure, what's up?"]
    assert {t.format for t in transcripts} == {"jsonl"}


@pytest.mark.parametrize("column", ["ticket_id", "ticketId", "thread_id", "chat_id", "session_id", "case_id",
                                    "call_id", "dialogue_id", "conversation"])
def test_jsonl_conversation_id_aliases(column):
    data = jsonl({column: 7, "text": "a", "role": "customer"}, {column: 8, "text": "b", "role": "customer"},
                 {column: 7, "text": "c", "role": "agent"})
    assert [(t.id, len(t.turns)) for t in read(data, "x.jsonl")] == [("7", 2), ("8", 1)]


def test_jsonl_without_id_column_is_one_conversation_named_after_the_file():
    data = "\n" + jsonl({"id": "m1", "speaker": "Customer", "text": "hello"},
                        {"id": "m2", "speaker": "Agent", "text": "hi, how can I help?"}) + "\n\n"
    [transcript] = read(data, "folder/support_chat.ndjson")
    assert transcript.id == "support_chat"
    assert [(t.role, t.line) for t in transcript.turns] == [("customer", 2), ("agent", 3)]


def test_jsonl_line_holding_a_whole_conversation():
    data = jsonl(
        {"id": "conv-a", "channel": "voice", "agents": ["Rita"],
         "turns": [{"speaker": "Rita", "text": "Thanks for calling"}, {"speaker": "Cal", "text": "Hi"}]},
        {"messages": [{"role": "user", "content": "hey"}, {"role": "agent", "content": "hello"}]},
    )
    first, second = read(data, "calls.jsonl")
    assert (first.id, first.channel) == ("conv-a", "voice")
    assert [(t.speaker, t.role, t.line) for t in first.turns] == [("Rita", "agent", 1), ("Cal", "customer", 1)]
    assert second.id == "calls-2"
    assert [t.role for t in second.turns] == ["customer", "agent"]


def test_jsonl_channel_and_message_without_id_continue_the_previous_conversation():
    data = jsonl({"ticket": "T1", "channel": "email", "role": "customer", "text": "a"},
                 {"ticket": None, "role": "agent", "text": "b"},
                 {"ticket": "T2", "role": "customer", "text": "c"})
    t1, t2 = read(data, "x.jsonl")
    assert [t.text for t in t1.turns] == ["a", "b"]
    assert (t1.channel, t2.channel) == ("email", "chat")
    assert any("line 2" in w and "without a conversation id" in w for w in t1.warnings)


@pytest.mark.parametrize(
    ("data", "code", "line", "fragment"),
    [
        ('{"text": "a"}\n{"text": "b",}\n', "malformed_json", 2, "malformed JSON"),
        ('{"text": "a"}\n\n["not", "an", "object"]\n', "malformed_json", 3, "found a list"),
        ('{"text": "a"}\n"just text"\n', "malformed_json", 2, "expected a JSON object on each line"),
        ('{"text": "a"}\n{"n": ' + "1" * 5000 + "}\n", "malformed_json", 2, "malformed JSON"),
        ('{"text": "a"}\n' + '{"n": ' * 100000 + "\n", "malformed_json", 2, "malformed JSON"),
        ('{"speaker": "Tom", "words": "hi"}\n', "unsupported_structure", 1, "no text field"),
        ('{"text": "a", "time": "soon"}\n', "unsupported_structure", 1, "unreadable timestamp"),
        ('{"thread_id": null, "text": "a"}\n{"thread_id": 4, "text": "b"}\n', "unsupported_structure", 1,
         "first message has no conversation id in 'thread_id'"),
        ('{"thread_id": [1], "text": "a"}\n', "unsupported_structure", 1, "expected a conversation id"),
        ('{"id": "c", "turns": [{"text": "a"}, {"speaker": "x"}]}\n', "unsupported_structure", 1, "turns[1]"),
        ('\n\n', "empty", None, "empty"),
        ('{"text": "   "}\n', "no_turns", None, "no messages with text"),
    ],
)
def test_jsonl_errors(data, code, line, fragment):
    error = failure(data, "bad.jsonl")
    assert (error.code, error.line) == (code, line)
    assert fragment in error.message


# --- CSV / TSV -----------------------------------------------------------------------------------------------------

CHATS_CSV = '''conversation_id,timestamp,speaker,role,message
c-9,2024-03-01T09:00:00Z,Ann,customer,"Hi, my order KC-1 is late."
c-4,2024-03-01T09:00:10Z,Bo,customer,Hello
c-9,2024-03-01T09:01:00Z,Tom,agent,"Sorry, Ann!
I've checked: it ships today.

Tracking: ""TRK-1"""
c-4,2024-03-01T09:02:00Z,Eve,agent,How can I help?
c-9,,Ann,customer,Thanks
'''


def test_csv_groups_conversations_and_reads_quoted_multiline_fields():
    c9, c4 = read(CHATS_CSV, "chats.csv")
    assert (c9.id, c4.id) == ("c-9", "c-4")
    assert [t.line for t in c9.turns] == [2, 4, 9]
    assert [t.line for t in c4.turns] == [3, 8]
    assert c9.turns[1].text == "Sorry, Ann!\nI've checked: it ships today.\n\nTracking: \"TRK-1\""
    assert c9.turns[0].text == "Hi, my order KC-1 is late."
    assert [(t.speaker, t.role) for t in c9.turns] == [("Ann", "customer"), ("Tom", "agent"), ("Ann", "customer")]
    assert c9.turns[0].timestamp == datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert c9.turns[2].timestamp is None
    assert c9.format == "csv"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("x.tsv", "Conversation ID\tSpeaker\tText\nA1\tAgent Tom\tHello, with, commas\nA1\tCustomer\thi\n"),
        ("x.csv", "Conversation ID;Speaker;Text\nA1;Agent Tom;Hello, with, commas\nA1;Customer;hi\n"),
        ("x.csv", "Conversation ID\tSpeaker\tText\nA1\tAgent Tom\tHello, with, commas\nA1\tCustomer\thi\n"),
        ("x.csv", 'Conversation ID,Speaker,Text\nA1,Agent Tom,"Hello, with, commas"\nA1,Customer,hi\n'),
        ("x.csv", '"Conversation ID","Speaker","Text",\nA1,Agent Tom,"Hello, with, commas",\nA1,Customer,hi,\n'),
    ],
)
def test_csv_delimiters_and_header_spellings(name, data):
    [transcript] = read(data, name)
    assert transcript.id == "A1"
    assert [(t.role, t.speaker, t.text) for t in transcript.turns] == [
        ("agent", "Tom", "Hello, with, commas"), ("customer", "Customer", "hi")]


def test_csv_without_id_column_channel_internal_and_date_time_columns():
    data = ("Date,Time,Author,Type,Private,Channel,Body\n"
            "2024-03-01,09:14,Maya,customer,no,Phone,My router is down\n"
            "2024-03-01,09:15,Raj,agent,yes,Phone,Known outage\n"
            "2024-03-01,09:16,Raj,agent,,Phone,There is an outage in your area\n")
    [transcript] = read(data, "exports/call_0042.csv")
    assert (transcript.id, transcript.channel) == ("call_0042", "voice")
    assert [(t.role, t.internal) for t in transcript.turns] == [
        ("customer", False), ("agent", True), ("agent", False)]
    assert transcript.turns[0].timestamp == datetime(2024, 3, 1, 9, 14)


@pytest.mark.parametrize(
    ("dates", "expected", "warned"),
    [
        # only ambiguous dates: day first, with one warning per transcript (QA: it read 4 March)
        (["03/04/2026", "03/04/2026"], [datetime(2026, 4, 3, 9, 14), datetime(2026, 4, 3, 9, 20)], True),
        # a date only day first can be: settled, no warning
        (["03/04/2026", "13/04/2026"], [datetime(2026, 4, 3, 9, 14), datetime(2026, 4, 13, 9, 20)], False),
        # a date only month first can be: the whole file is month first
        (["03/04/2026", "03/14/2026"], [datetime(2026, 3, 4, 9, 14), datetime(2026, 3, 14, 9, 20)], False),
    ],
)
def test_csv_numeric_dates_are_read_one_way_for_the_whole_file(dates, expected, warned):
    data = ("Ticket ID;Date;Time;Sender;Sender Type;Message\n"
            f"T-77;{dates[0]};09:14;Marco;End user;Locked out\n"
            f"T-77;{dates[1]};09:20;Aiko;Agent;Unlocked it\n")
    [transcript] = read(data, "export.csv")
    assert [t.timestamp for t in transcript.turns] == expected
    warnings = [w for w in transcript.warnings if w.startswith("dates like")]
    assert warnings == (["dates like 03/04/2026 were read day-first (3 April)"] if warned else [])


def test_jsonl_and_json_numeric_dates_follow_the_same_rule():
    rows = [{"conversation_id": "c", "timestamp": "4/3/2026 09:14", "text": "hi", "role": "customer"},
            {"conversation_id": "c", "timestamp": "4/13/2026 09:20", "text": "hello", "role": "agent"}]
    [transcript] = read(jsonl(*rows), "export.jsonl")
    assert [t.timestamp for t in transcript.turns] == [datetime(2026, 4, 3, 9, 14), datetime(2026, 4, 13, 9, 20)]
    [transcript] = read({"turns": [dict(r, timestamp="05/06/2026 10:00") for r in rows]}, "export.json")
    assert transcript.turns[0].timestamp == datetime(2026, 6, 5, 10, 0)
    assert "dates like 05/06/2026 were read day-first (5 June)" in transcript.warnings


def test_csv_blank_lines_and_bom_keep_physical_line_numbers():
    data = "\ufeffticket_id,author,author_type,body\n\nT-1,Lee,end-user,first\n\n\nT-1,Kai,admin,second\n"
    [transcript] = read(data.encode("utf-8"), "t.csv")
    assert [(t.line, t.role) for t in transcript.turns] == [(3, "customer"), (6, "agent")]


def test_a_messaging_export_with_actor_and_message_content_columns():
    data = ("Conversation ID,Actor Type,Actor Name,Message Content,Created Time\n"
            "FC-1002,user,Ben Cho,my app keeps crashing,2026-11-02 11:00:00\n"
            "FC-1002,bot,Freddy,Have you tried reinstalling the app?,2026-11-02 11:00:02\n"
            "FC-1002,agent,Priya,\"Hi Ben, which phone are you on?\",2026-11-02 11:03:00\n")
    [transcript] = read(data, "freshchat.csv")
    assert transcript.id == "FC-1002"
    assert [(t.role, t.speaker, t.text[:12], t.timestamp) for t in transcript.turns] == [
        ("customer", "Ben Cho", "my app keeps", datetime(2026, 11, 2, 11, 0)),
        ("bot", "Freddy", "Have you tri", datetime(2026, 11, 2, 11, 0, 2)),
        ("agent", "Priya", "Hi Ben, whic", datetime(2026, 11, 2, 11, 3))]


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_csv_windows_and_old_mac_line_endings(ending):
    data = ending.join(["conversation_id,speaker,text", "A,Ann,\"two" + ending + "lines\"", "", "A,Tom,hi", ""])
    [transcript] = read(data, "x.csv")
    assert [(t.line, t.text) for t in transcript.turns] == [(2, "two\nlines"), (5, "hi")]


@pytest.mark.parametrize(
    ("data", "code", "line", "fragments"),
    [
        ("speaker,when\nTom,09:00\n", "malformed_csv", 1, ["found columns: speaker, when", "text, message"]),
        ("Tom,hello there\nAnn,hi\n", "malformed_csv", 1, ["found columns: Tom, hello there"]),
        ("\n\nspeaker,text\n", "no_turns", 3, ["no message rows"]),
        ("speaker,text\nTom,hi\nAnn,hi, I said\n", "malformed_csv", 3, ["3 fields", "header has 2", "comma"]),
        ('speaker,text\nTom,"hi\nAnn,hello\n', "malformed_csv", 2, ["starts on line 2", "never closed"]),
        ('speaker,text\nTom,hi\nAnn,"quoted" then more\n', "malformed_csv", 3, ["malformed CSV"]),
        ("conversation_id,speaker,text\n,Tom,hi\n", "malformed_csv", 2, ["first message has no conversation id"]),
        ("speaker,text,timestamp\nTom,hi,09:00\nAnn,yo,half past nine\n", "unsupported_structure", 3,
         ["'timestamp'", "half past nine"]),
        ("speaker,text,internal\nTom,hi,perhaps\n", "unsupported_structure", 2, ["'internal'", "perhaps"]),
    ],
)
def test_csv_errors(data, code, line, fragments):
    error = failure(data, "bad.csv")
    assert (error.code, error.line) == (code, line)
    for fragment in fragments:
        assert fragment in error.message


def test_csv_huge_field_is_an_input_error(monkeypatch):
    original = csv.field_size_limit()
    monkeypatch.setattr(records, "_CSV_FIELD_LIMIT", 1000)
    try:
        error = failure("speaker,text\nTom,hi\nAnn," + "x" * 5000 + "\n", "big.csv")
    finally:
        csv.field_size_limit(original)
    assert (error.code, error.line) == ("malformed_csv", 3)
    assert "longer than 1000 characters" in error.message


# --- generic JSON turns ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([{"speaker": "A", "text": "x"}], True),
        ({"turns": [{"speaker": "A", "text": "x"}]}, True),
        ({"Messages": []}, True),
        ({"utterances": [{"text": "x"}], "id": 3}, True),
        ({"conversation": [{"text": "x"}]}, True),
        ([{"id": 1, "turns": []}, {"id": 2, "turns": []}], True),
        ({"conversations": [{"turns": [{"text": "x"}]}]}, True),
        ({"conversations": []}, False),
        ({"conversations": [{"conversation_parts": []}]}, False),
        ([], False),
        ([1, 2], False),
        ([{"speaker": "A", "text": "x"}, "oops"], True),  # parse_generic names the bad item
        ({"ticket": {}, "comments": []}, False),
        ("text", False),
        ({"turns": "not a list"}, False),
    ],
)
def test_looks_generic(doc, expected):
    assert looks_generic(doc) is expected


def test_generic_list_of_turns_via_json_and_json_turns():
    doc = [{"speaker": "Customer", "text": "My card was charged twice"},
           {"speaker": "Agent (Nia)", "text": "I'm sorry! I've refunded the duplicate.", "time": "10:02"}]
    for name, fmt in (("case.json", None), ("case.txt", "json-turns")):
        [transcript] = read(doc, name, format=fmt)
        assert transcript.id == "case"
        assert transcript.format == "json-turns"
        assert [(t.role, t.speaker, t.line) for t in transcript.turns] == [
            ("customer", "Customer", None), ("agent", "Nia", None)]
        assert transcript.turns[1].timestamp == time(10, 2)


def test_generic_conversation_object_with_id_channel_and_agents():
    doc = {"conversation_id": 881, "channel": "email", "agents": ["Dora"],
           "messages": [{"author": "Pat", "body": "Hello, is my booking confirmed?"},
                        {"author": "Dora", "body": "It is confirmed.", "private": False},
                        {"author": "Dora", "body": "Checked in PMS", "internal": True}]}
    [transcript] = read(doc, "b.json")
    assert (transcript.id, transcript.channel) == ("881", "email")
    assert [(t.speaker, t.role, t.internal) for t in transcript.turns] == [
        ("Pat", "customer", False), ("Dora", "agent", False), ("Dora", "agent", True)]


@pytest.mark.parametrize(
    "doc",
    [
        [{"id": "a", "turns": [{"role": "customer", "text": "x"}]}, {"turns": [{"role": "customer", "text": "y"}]}],
        {"conversations": [{"id": "a", "turns": [{"role": "customer", "text": "x"}]},
                           {"utterances": [{"role": "customer", "text": "y"}]}]},
    ],
)
def test_generic_many_conversations(doc):
    transcripts = read(doc, "many.json")
    assert [t.id for t in transcripts] == ["a", "many-2"]
    assert [t.turns[0].text for t in transcripts] == ["x", "y"]


@pytest.mark.parametrize(
    ("doc", "fragments"),
    [
        ({"conversations": [{"turns": [{"text": "ok"}]}, {"turns": [{"text": "ok"}, {"speaker": "x"}]}]},
         ["conversations[1].turns[1]", "no text field", "found keys: speaker"]),
        ([{"text": "ok"}, {"text": "hi", "timestamp": "whenever"}], ["[1].timestamp", "whenever"]),
        ({"turns": [{"text": "ok"}], "agents": 5}, ["agents", "a number (5)"]),
        ([{"id": 1, "turns": [{"text": "ok"}]}, {"id": 2, "turns": "x"}], ["[1]", "expected a conversation object"]),
        ([{"id": 1, "turns": [{"text": "ok"}]}, 7], ["[1]", "a number (7)"]),
        ([{"text": "ok"}, "oops"], ["[1]", "expected a message object", "text ('oops')"]),
        ({"turns": [{"text": "ok"}, "Agent: hi"]}, ["turns[1]", "text ('Agent: hi')"]),
    ],
)
def test_generic_errors_name_the_key_path(doc, fragments):
    error = failure(doc, "g.json")
    assert (error.code, error.line) == ("unsupported_structure", None)
    for fragment in fragments:
        assert fragment in error.message


def test_json_turns_format_rejects_other_structures():
    error = failure({"ticket": {"id": 1}}, "g.txt", format="json-turns")
    assert error.code == "unsupported_structure"
    assert "top-level keys: ticket" in error.message
    empty = failure({"conversations": []}, "g.txt", format="json-turns")
    assert empty.code == "unsupported_structure"


# --- large exports ---------------------------------------------------------------------------------------------------

def export(name: str, conversations: int) -> bytes:
    """A CSV or JSON Lines export of ``conversations`` conversations of four messages, each kept together."""
    rows = [{"conversation_id": f"c-{n}", "timestamp": f"2026-03-01T10:{minute:02d}:00Z", "speaker": speaker,
             "role": role, "text": f"{text} (conversation {n})"}
            for n in range(conversations)
            for minute, (speaker, role, text) in enumerate([
                ("Ann", "customer", "Hello, my parcel has not arrived and the tracking page has not changed"),
                ("Tom", "agent", "Sorry about that, I will check the courier's records for you now"),
                ("Ann", "customer", "Thank you, the order number is on the confirmation email"),
                ("Tom", "agent", "It is at your local depot and will be delivered tomorrow morning")])]
    if name.endswith(".jsonl"):
        return jsonl(*rows).encode("utf-8")
    lines = [",".join(rows[0])] + [",".join(f'"{value}"' for value in row.values()) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.mark.parametrize("name", ["export.csv", "export.jsonl"])
def test_a_large_export_is_read_one_conversation_at_a_time(name):
    """Memory while a file is read grows with its text (held once), not with the messages built from it: four times
    the conversations may cost little more than the text that was added."""

    def peak(conversations: int) -> tuple[int, int]:
        data = export(name, conversations)
        tracemalloc.start()
        try:
            count = sum(1 for _ in read_bytes(data, name, IngestOptions(max_file_bytes=len(data))))
            return tracemalloc.get_traced_memory()[1], len(data)
        finally:
            tracemalloc.stop()
            assert count == conversations

    small_peak, small_size = peak(300)
    large_peak, large_size = peak(1200)
    assert (large_peak - small_peak) / (large_size - small_size) < 2.5


def json_conversations(conversations: int, emoji: bool = False, wrapped: bool = False) -> bytes:
    """A generic JSON list of ``conversations`` conversations like those of ``export`` (with an emoji in each; under
    ``"conversations"`` in an object when ``wrapped``)."""
    rows = [json.loads(line) for line in export("export.jsonl", conversations).decode("utf-8").splitlines()]
    if emoji:
        for row in rows[::4]:
            row["text"] += " \U0001F600"
    listed = [{"id": f"c-{n}", "turns": rows[4 * n:4 * n + 4]} for n in range(conversations)]
    return json.dumps({"conversations": listed} if wrapped else listed, ensure_ascii=False).encode()


@pytest.mark.parametrize("name, emoji", [("export.json", False), ("export.json", True), ("export.data", True),
                                         ("wrapped.json", True)])
def test_a_large_json_list_of_conversations_is_read_one_conversation_at_a_time(name, emoji):
    """A JSON list of conversations is not decoded whole: memory grows with its text, not with the objects (about
    ten times the text) that decoding all of it at once would make. While its conversations are read, the text is
    held as UTF-8, not as a Python text that one emoji makes four bytes a character."""
    options = {"format": "json-turns"} if name.endswith(".data") else {}  # the format found by structure, or forced

    def memory(conversations: int) -> tuple[int, int, int]:
        data = json_conversations(conversations, emoji, wrapped=name.startswith("wrapped"))
        ids, reading = [], 0
        tracemalloc.start()
        try:
            for transcript in read_bytes(data, name, IngestOptions(max_file_bytes=len(data), **options)):
                ids.append(transcript.id)
                reading = max(reading, tracemalloc.get_traced_memory()[0])
            return tracemalloc.get_traced_memory()[1], reading, len(data)
        finally:
            tracemalloc.stop()
            assert ids == [f"c-{n}" for n in range(conversations)]

    small_peak, small_reading, small_size = memory(300)
    large_peak, large_reading, large_size = memory(1200)
    assert (large_reading - small_reading) / (large_size - small_size) < 3  # held as text: 4 or more
    if not emoji:  # the text, decoded from the file before it is looked at, takes one byte a character here
        assert (large_peak - small_peak) / (large_size - small_size) < 2.5


def test_a_bad_conversation_late_in_a_json_list_is_reported_before_any_conversation():
    conversations = json.loads(json_conversations(5))
    conversations[3]["turns"][1]["timestamp"] = "half past ten"
    with pytest.raises(InputError) as info:
        next(read_bytes(json.dumps(conversations).encode(), "export.json"))
    assert info.value.code == "unsupported_structure" and "[3].turns[1]" in info.value.message


_JSON_PIECES = ["[", "]", "{", "}", ",", ":", " ", "\n", "\t", '"a"', '"\\u00e9"', '"😀"', "1", "-2.5e3", "true",
                "null", "NaN", "[]", "{}", '{"turns": []}', "x", "\ufeff", '"tickets":', '"conversations"']


@settings(deadline=None)
@given(st.lists(st.sampled_from(_JSON_PIECES), max_size=14))
def test_a_json_array_gives_what_json_loads_gives_and_nothing_for_what_it_refuses(pieces):
    text = "".join(pieces)
    refused = object()
    try:
        expected = json.loads(text)
    except (ValueError, RecursionError):
        expected = refused
    array = records.JsonArray.of(text)
    if isinstance(expected, list):
        assert array is not None
        same = json.dumps(expected)  # NaN is not equal to itself
        for view in (array, array.compact()):  # over the text, and over its UTF-8 bytes
            assert len(view) == len(expected)
            assert json.dumps(list(view)) == same and json.dumps(view[:2]) == json.dumps(expected[:2])
            assert json.dumps([view[i] for i in range(-len(view), len(view))]) == json.dumps(expected + expected)
    else:
        assert array is None
    try:
        read = records.load_json_lazily(text, "export.json")
    except InputError:
        read = refused
    assert (read is refused) == (expected is refused)
    if read is not refused:
        assert json.dumps(_decoded(read)) == json.dumps(expected)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6)


def _decoded(value: object) -> object:
    if isinstance(value, records.JsonArray):
        return list(value)
    if isinstance(value, dict):
        return {key: _decoded(item) for key, item in value.items()}
    return value


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # generation is slow on a busy machine
@given(st.dictionaries(st.sampled_from(["tickets", "conversations", "users", "meta"]),
                       st.lists(_JSON_VALUES, max_size=4) | _JSON_VALUES, max_size=4),
       st.sampled_from([None, 0, 2]), st.booleans())
def test_an_object_wrapping_a_list_of_conversations_reads_as_json_loads_reads_it(document, indent, ascii_only):
    text = json.dumps(document, indent=indent, ensure_ascii=ascii_only)
    read = records.load_json_lazily(text, "export.json")
    assert json.dumps(_decoded(read)) == json.dumps(json.loads(text))
    wrapped = any(isinstance(document.get(key), list) and len(document[key]) > 1
                  for key in ("tickets", "conversations"))
    assert wrapped == any(isinstance(value, records.JsonArray) for value in read.values())


@pytest.mark.parametrize("name", ["export.csv", "export.jsonl"])
def test_a_bad_message_at_the_end_of_an_export_is_reported_before_any_conversation(name):
    data = export(name, 50)
    at = data.rindex(b"2026-03-01T10:03:00Z")  # the last message's time
    data = data[:at] + b"half past ten" + data[at + 20:]
    last = data.rstrip(b"\n").count(b"\n") + 1
    with pytest.raises(InputError) as info:
        next(read_bytes(data, name))
    assert (info.value.code, info.value.line) == ("unsupported_structure", last)
    assert "unreadable timestamp" in info.value.message
