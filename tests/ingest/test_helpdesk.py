"""Helpdesk JSON: Zendesk, Intercom, Freshdesk, and the ``json`` dispatcher that recognises them."""

from __future__ import annotations

import copy
import json
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import pytest

from transcript_coach.errors import InputError
from transcript_coach.ingest import IngestOptions, read_bytes
from transcript_coach.ingest.helpdesk import detect_flavour
from transcript_coach.model import Failure, Transcript

FIXTURES = Path(__file__).parent / "fixtures" / "helpdesk"
UTC = timezone.utc


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def read(doc: object, name: str = "export.json", *, raw: bytes | None = None, **options) -> list[Transcript]:
    data = raw if raw is not None else json.dumps(doc).encode("utf-8")
    return list(read_bytes(data, name, IngestOptions(**options)))


def failure(doc: object, name: str = "export.json", **options) -> InputError | Failure:
    """What reading refuses: the ``InputError`` the file raises, or the ``Failure`` given in place of its one
    conversation (one without text)."""
    try:
        items = read(doc, name, **options)
    except InputError as error:
        return error
    (failed,) = items
    assert isinstance(failed, Failure), failed
    return failed


def summary(transcript: Transcript) -> list[tuple]:
    return [(t.role, t.speaker, t.internal) for t in transcript.turns]


# --- Zendesk -------------------------------------------------------------------------------------------------------

def test_zendesk_ticket_comments_and_users():
    [t] = read(fixture("zendesk_ticket_comments_users.json"), "zendesk_48213.json")
    assert (t.id, t.format, t.channel, t.source) == ("48213", "zendesk", "email", "zendesk_48213.json")
    assert summary(t) == [
        ("customer", "Maya Lind", False),
        ("agent", "Tomas Berg", True),  # public: false is an internal note
        ("agent", "Tomas Berg", False),
        ("customer", "Maya Lind", False),
    ]
    assert t.turns[0].text == "Hi, my kettle arrived today and the lid is cracked. Order KC-20931."
    # html_body only: lists and links become text.
    assert t.turns[2].text.startswith("Hi Maya,\n\nSorry about the lid!")
    assert "- Lid KC-L2" in t.turns[2].text and "- Free returns label" in t.turns[2].text
    assert "here (https://track.example.com/X1)" in t.turns[2].text
    assert "<" not in t.turns[2].text
    assert t.turns[3].text == "Thanks, that was quick!"  # plain_body null falls back to body
    assert t.turns[0].timestamp == datetime(2024, 3, 4, 9, 12, 40, tzinfo=UTC)
    assert all(turn.timestamp.tzinfo is not None for turn in t.turns)
    assert t.warnings == ()
    assert t.agents == ("Tomas Berg",)


def test_zendesk_roles_without_users_fall_back_to_ticket_ids():
    doc = {
        "ticket": {"id": 77, "requester_id": 1, "submitter_id": 5, "assignee_id": 2, "via": {"channel": "web"}},
        "comments": [
            {"author_id": 5, "body": "Logging a call from Sam about a faulty charger.", "public": True},
            {"author_id": 1, "body": "Yes, the charger sparks when plugged in."},
            {"author_id": 2, "body": "Sorry to hear that, a replacement is on its way."},
            {"author_id": 3, "body": "Adding myself in CC", "public": False},
            {"author_id": 3, "body": "Any update?"},
        ],
    }
    [t] = read(doc)
    assert [turn.role for turn in t.turns] == ["agent", "customer", "agent", "agent", "agent"]
    assert [turn.speaker for turn in t.turns] == ["user-5", "user-1", "user-2", "user-3", "user-3"]
    warnings = [w for w in t.warnings if w.startswith("zendesk:")]
    assert len(warnings) == 1 and "'user-3'" in warnings[0] and "agent" in warnings[0]
    assert t.channel == "email"  # a web-form ticket is asynchronous, like email


def test_zendesk_users_without_role_and_submitter_who_is_the_requester():
    doc = {
        "ticket": {"id": 78, "requester_id": 1, "submitter_id": 1},
        "comments": [{"author_id": 1, "body": "My order never arrived."},
                     {"author_id": 9, "body": "I have checked the courier."}],
        "users": [{"id": 1, "name": "Ana"}, {"id": 9, "name": "Ben", "role": None}],
    }
    [t] = read(doc)
    assert summary(t) == [("customer", "Ana", False), ("agent", "Ben", False)]
    assert any("'Ben'" in w for w in t.warnings)


def test_zendesk_comments_alone_leave_roles_to_the_label_resolver():
    doc = {"comments": [
        {"author_id": 11, "body": "Hi, my internet is not working since this morning."},
        {"author_id": 12, "body": "Thanks for reaching out! Let me check your line."},
    ]}
    [t] = read(doc, "comments.json")
    assert t.id == "comments"
    assert summary(t) == [("customer", "user-11", False), ("agent", "user-12", False)]
    assert any("has no role label" in w for w in t.warnings)  # guessed by finish, and said so


def test_zendesk_agents_roster_decides_when_the_export_does_not():
    doc = {"comments": [{"author_id": 11, "body": "hello"}, {"author_id": 12, "body": "hello"}],
           "users": [{"id": 12, "name": "Nora"}]}
    [t] = read(doc, agents=("Nora",))
    assert summary(t) == [("customer", "user-11", False), ("agent", "Nora", False)]


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        (["2024-01-01T10:02:00Z", "2024-01-01T10:00:00Z", "2024-01-01T10:01:00Z"], ["b", "c", "a"]),
        (["2024-01-01T10:02:00Z", None, "2024-01-01T10:01:00Z"], ["a", "b", "c"]),  # not all timed: keep order
        (["2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z", "2024-01-01T09:00:00Z"], ["c", "a", "b"]),  # stable ties
        (["2024-01-01T10:00:00Z", "2024-01-01T10:00:00", "2024-01-01T10:01:00Z"], ["a", "b", "c"]),  # not comparable
    ],
)
def test_zendesk_sorts_comments_only_when_out_of_order_and_all_timed(stamps, expected):
    comments = [{"author_id": 1, "body": text, "created_at": stamp} for text, stamp in zip("abc", stamps)]
    [t] = read({"ticket": {"id": 1, "requester_id": 1}, "comments": comments})
    assert [turn.text for turn in t.turns] == expected


@pytest.mark.parametrize(
    ("via", "channel"),
    [("email", "email"), ("voice", "voice"), ("phone", "voice"), ("web", "email"), ("api", "email"),
     ("chat", "chat"), ("native_messaging", "chat"), ("messaging", "chat"), ("chat_transcript", "chat"),
     ("web_widget", "email"), (None, "email")],
)
def test_zendesk_channel_from_via(via, channel):
    doc = {"ticket": {"id": 1, "requester_id": 1, "via": {"channel": via}},
           "comments": [{"author_id": 1, "body": "hi"}]}
    assert read(doc)[0].channel == channel


def test_zendesk_voice_comment_without_ticket_is_a_call():
    doc = {"comments": [{"type": "VoiceComment", "author_id": 1, "body": "Call recording transcript: hello"}]}
    assert read(doc)[0].channel == "voice"


def test_zendesk_tickets_list_with_embedded_comments_and_sideloaded_users():
    doc = {
        "tickets": [
            {"id": 501, "requester_id": 1, "via": {"channel": "email"},
             "comments": [{"author_id": 1, "body": "Refund please"}, {"author_id": 2, "body": "Done"}]},
            {"id": 502, "requester_id": 3,
             "comments": [{"author_id": 3, "body": "Wrong size"}, {"author_id": 2, "body": "Swapping it"}]},
        ],
        "users": [{"id": 1, "name": "Ivy", "role": "end-user"}, {"id": 2, "name": "Max", "role": "admin"},
                  {"id": 3, "name": "Lu", "role": "end-user"}],
    }
    first, second = read(doc)
    assert (first.id, second.id) == ("501", "502")
    assert summary(first) == [("customer", "Ivy", False), ("agent", "Max", False)]
    assert summary(second) == [("customer", "Lu", False), ("agent", "Max", False)]
    assert (first.channel, second.channel) == ("email", "email")  # no via: asynchronous


def test_zendesk_full_export_one_ticket_per_line():
    lines = [
        {"id": 1, "requester_id": 7, "comments": [{"author_id": 7, "body": "a"}, {"author_id": 8, "body": "b"}]},
        {"id": 2, "requester_id": 7, "comments": [{"author_id": 7, "body": "c"}]},
    ]
    data = ("\n".join(json.dumps(line) for line in lines) + "\n").encode()
    first, second = read(None, "zendesk_export.json", raw=data)
    assert (first.id, second.id) == ("1", "2")
    assert [turn.role for turn in first.turns] == ["customer", "agent"]


def _tickets(flavour: str, count: int) -> list[dict]:
    """``count`` small tickets (conversations) of one helpdesk, each with an emoji in it."""
    text = "Hello, my parcel has not arrived and the tracking page has not changed \U0001F600"
    if flavour == "zendesk":
        return [{"id": n, "requester_id": 7, "comments": [{"author_id": 7, "body": f"{text} ({n})"},
                                                          {"author_id": 8, "body": "Sorry, I will check it now"}]}
                for n in range(count)]
    if flavour == "intercom":
        return [{"type": "conversation", "id": str(n),
                 "source": {"author": {"type": "user", "name": "Ann"}, "body": f"{text} ({n})"},
                 "conversation_parts": {"conversation_parts": [
                     {"part_type": "comment", "author": {"type": "admin", "name": "Tom"},
                      "body": "Sorry, I will check it now"}]}} for n in range(count)]
    return [{"id": n, "requester_id": 7, "description_text": f"{text} ({n})",
             "conversations": [{"body_text": "Sorry, I will check it now", "incoming": False, "user_id": 8}]}
            for n in range(count)]


@pytest.mark.parametrize("flavour, shape", [("zendesk", "lines"), ("zendesk", "list"), ("zendesk", "wrapped"),
                                            ("intercom", "list"), ("intercom", "wrapped"), ("freshdesk", "list"),
                                            ("freshdesk", "wrapped")])
def test_a_large_list_of_tickets_is_read_one_ticket_at_a_time(flavour, shape):
    """A helpdesk export of many tickets (a JSON list, the list under "tickets" or "conversations" as the APIs page
    them, or Zendesk's full export of a ticket per line) is not decoded whole: while its conversations are read,
    memory holds its text as UTF-8, not the tickets as objects."""

    def memory(count: int) -> tuple[int, int]:
        tickets = _tickets(flavour, count)
        if shape == "lines":
            data = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tickets).encode()
        elif shape == "wrapped":
            key = "conversations" if flavour == "intercom" else "tickets"
            users = [{"id": 7, "name": "Ann", "role": "end-user"}, {"id": 8, "name": "Tom", "role": "agent"}]
            data = json.dumps({key: tickets, "users": users, "count": count}, ensure_ascii=False).encode()
        else:
            data = json.dumps(tickets, ensure_ascii=False).encode()
        ids, reading = [], 0
        tracemalloc.start()
        try:
            for transcript in read_bytes(data, "export.json", IngestOptions(max_file_bytes=len(data))):
                ids.append(transcript.id)
                reading = max(reading, tracemalloc.get_traced_memory()[0])
            return reading, len(data)
        finally:
            tracemalloc.stop()
            assert ids == [str(n) for n in range(count)]

    small_reading, small_size = memory(300)
    large_reading, large_size = memory(1200)
    assert (large_reading - small_reading) / (large_size - small_size) < 3  # held as text: 4 or more


def test_zendesk_single_ticket_with_embedded_comments_and_a_ticket_without_comments():
    ticket = {"id": 9, "requester_id": 1, "assignee_id": 2, "requester": {"id": 1, "name": "Rosa"},
              "comments": [{"author_id": 1, "body": "hi"}, {"author_id": 2, "body": "hello"}]}
    [t] = read(ticket)
    assert (t.id, summary(t)) == ("9", [("customer", "Rosa", False), ("agent", "user-2", False)])
    bare = {"ticket": {"id": 10, "requester_id": 1, "via": {"channel": "email"}, "created_at": "2024-05-01T08:00:00Z",
                       "description": "The app crashes on start."}}
    [t] = read(bare)
    assert [(turn.role, turn.text) for turn in t.turns] == [("customer", "The app crashes on start.")]
    assert t.turns[0].timestamp == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("doc", "fragments"),
    [
        ({"ticket": {"id": 1}, "comments": {"id": 1}}, ["comments: expected a list, found an object"]),
        ({"comments": [{"author_id": 1, "body": "ok"}, "text"]}, ["comments[1]: expected an object"]),
        ({"comments": [{"author_id": 1, "body": "ok"}] * 3 + [{"author_id": 1, "public": True}]},
         ["comments[3].body", "found keys: author_id, public"]),
        ({"comments": [{"author_id": 1, "body": {"text": "x"}}]}, ["comments[0].body: expected text"]),
        ({"comments": [{"author_id": 1, "body": "x", "public": "maybe"}]}, ["comments[0].public", "true or false"]),
        ({"comments": [{"author_id": 1, "body": "x", "created_at": "last week"}]},
         ["comments[0].created_at", "unreadable timestamp"]),
        ({"comments": [{"author_id": [1], "body": "x"}]}, ["comments[0].author_id", "a list"]),
        ({"comments": [{"author_id": 1, "body": "x"}], "users": {"1": {}}}, ["users: expected a list"]),
        ({"tickets": [{"id": 1, "comments": [{"author_id": 1, "body": "x"}]}, {"id": 2, "comments": [{}]}]},
         ["tickets[1].comments[0].body"]),
        ({"ticket": {"id": 1, "via": {"channel": "web"}}}, ["ticket: expected 'comments' (a list) or a 'description'"]),
        ({"ticket": {"id": 1, "via": "web", "requester_id": 1}, "comments": []}, ["ticket.via: expected an object"]),
    ],
)
def test_zendesk_structure_errors_name_the_key_path(doc, fragments):
    error = failure(doc)
    assert error.code == "unsupported_structure"
    for fragment in fragments:
        assert fragment in error.message


def test_zendesk_without_any_text_is_no_turns():
    error = failure({"comments": [{"author_id": 1, "body": "", "plain_body": None}]})
    assert error.code == "no_turns"


# Zendesk regressions (QA): CC'd customers without a users list, chat transcripts in one comment, email zoning.

def _zd_email_ticket(third_from: dict, third_via: str = "email") -> dict:
    return {
        "id": 50300, "requester_id": 111, "assignee_id": 222,
        "via": {"channel": "email", "source": {"from": {"address": "ana@example.com", "name": "Ana Silva"},
                                               "to": {"address": "support@acmehelp.example", "name": "Acme"}}},
        "comments": [
            {"id": 1, "author_id": 111, "created_at": "2026-03-09T08:00:00Z", "body": "Where is my order?",
             "via": {"channel": "email", "source": {"from": {"address": "ana@example.com", "name": "Ana Silva"}}}},
            {"id": 2, "author_id": 222, "created_at": "2026-03-09T08:30:00Z", "body": "It ships tomorrow.",
             "via": {"channel": "web", "source": {"from": {}, "to": {"address": "ana@example.com"}}}},
            {"id": 3, "author_id": 333, "created_at": "2026-03-09T09:00:00Z", "body": "Can it go to Lisbon?",
             "via": {"channel": third_via, "source": {"from": third_from, "to": {}}}},
        ],
    }


@pytest.mark.parametrize(
    ("sender", "via", "expected", "warned"),
    [
        # an outside address (a CC'd colleague): the customer, named by the email's From
        ({"address": "rui@example.com", "name": "Rui Costa"}, "email", ("customer", "Rui Costa"), False),
        # the support address itself, or one at its domain: the support side
        ({"address": "support@acmehelp.example", "name": "Acme"}, "email", ("agent", "Acme"), False),
        ({"address": "lee@acmehelp.example", "name": "Lee Wong"}, "email", ("agent", "Lee Wong"), False),
        # not by email: no evidence, taken as an agent with a warning (as before)
        ({}, "web", ("agent", "user-333"), True),
    ],
)
def test_zendesk_email_author_without_users(sender, via, expected, warned):
    [t] = read(_zd_email_ticket(sender, via))
    assert [(turn.role, turn.speaker) for turn in t.turns] == [("customer", "Ana Silva"), ("agent", "user-222"),
                                                               expected]
    assert any(w.startswith("zendesk: author") for w in t.warnings) == warned
    assert t.channel == "email"


CHAT_COMMENT = ("Chat started: 2026-03-08 08:01 AM UTC\n\n(08:01:15 AM) Dana Kim: Hi, my order hasn't arrived\n"
                "(08:01:40 AM) Tom Becker: Hi Dana, let me check.\nIt is out for delivery today.\n"
                "(08:03:30 AM) Dana Kim: great thanks")


@pytest.mark.parametrize(
    ("users", "public", "expected"),
    [
        # users list: the requester is the customer, Tom an agent by his role
        ([{"id": 1, "name": "Dana Kim", "role": "end-user"}, {"id": 2, "name": "Tom Becker", "role": "agent"}], True,
         [("customer", "Dana Kim", False), ("agent", "Tom Becker", False), ("customer", "Dana Kim", False)]),
        # no roles in the users list: the requester and the assignee by name
        ([{"id": 1, "name": "Dana Kim"}, {"id": 2, "name": "Tom Becker"}], True,
         [("customer", "Dana Kim", False), ("agent", "Tom Becker", False), ("customer", "Dana Kim", False)]),
        # a private comment keeps every chat line internal
        ([{"id": 1, "name": "Dana Kim"}, {"id": 2, "name": "Tom Becker"}], False,
         [("customer", "Dana Kim", True), ("agent", "Tom Becker", True), ("customer", "Dana Kim", True)]),
    ],
)
def test_zendesk_chat_transcript_comment_is_split_into_turns(users, public, expected):
    doc = {"ticket": {"id": 50200, "requester_id": 1, "assignee_id": 2, "via": {"channel": "chat"}},
           "comments": [{"author_id": 1, "public": public, "created_at": "2026-03-08T08:20:00Z",
                         "body": CHAT_COMMENT}],
           "users": users}
    [t] = read(doc)
    assert summary(t) == expected
    assert t.channel == "chat"
    assert [turn.timestamp for turn in t.turns] == [datetime(2026, 3, 8, 8, 1, 15, tzinfo=UTC),
                                                    datetime(2026, 3, 8, 8, 1, 40, tzinfo=UTC),
                                                    datetime(2026, 3, 8, 8, 3, 30, tzinfo=UTC)]
    assert t.turns[1].text == "Hi Dana, let me check.\nIt is out for delivery today."


@pytest.mark.parametrize(
    "body",
    ["(08:01:15 AM) Dana Kim: only one stamped line\nand more text",  # one stamped line is not a transcript
     "Steps:\n1. Open Settings: Billing\n2. Tap Export: CSV"],
)
def test_zendesk_comment_that_is_not_a_chat_transcript_stays_one_turn(body):
    doc = {"ticket": {"id": 1, "requester_id": 1}, "comments": [{"author_id": 1, "body": body}]}
    [t] = read(doc)
    assert [turn.text for turn in t.turns] == [body]


def test_zendesk_email_comments_are_zoned_like_email():
    doc = {"ticket": {"id": 1, "requester_id": 1, "via": {"channel": "email"}},
           "comments": [
               {"author_id": 1, "body": "It works now, thanks!\n\nSent from my iPhone\n\nOn Mon, 2 Mar 2026 at "
                                        "10:00, Acme Support <support@acme.example> wrote:\n> Try channel 36.",
                "via": {"channel": "email"}},
               {"author_id": 2, "body": "Glad to hear it.\n\nKind regards,\nTom\nAcme Support\n+1 555 010 0142",
                "via": {"channel": "web"}},
           ],
           "users": [{"id": 1, "name": "Dana", "role": "end-user"}, {"id": 2, "name": "Tom", "role": "agent"}]}
    [t] = read(doc)
    assert [turn.text for turn in t.turns] == ["It works now, thanks!", "Glad to hear it.\n\nKind regards,\nTom"]


def test_zendesk_chat_comment_is_not_zoned():
    body = "Thanks!\n\nKind regards,\nTom\nAcme Support\n+1 555 010 0142"
    doc = {"ticket": {"id": 1, "requester_id": 1, "via": {"channel": "chat"}},
           "comments": [{"author_id": 1, "body": body, "via": {"channel": "chat"}}]}
    assert read(doc)[0].turns[0].text == body


def test_unreadable_timestamp_message_does_not_contradict_itself():
    error = failure({"ticket": {"id": 1, "requester_id": 1},
                     "comments": [{"author_id": 1, "body": "x", "created_at": 12}]})
    assert "unreadable timestamp a number (12)" in error.message
    assert "epoch seconds between 2000 and 2100" in error.message


# --- Intercom ------------------------------------------------------------------------------------------------------

def test_intercom_conversation_skips_events_and_keeps_notes_internal():
    [t] = read(fixture("intercom_conversation.json"))
    assert (t.id, t.format, t.channel) == ("215469874512", "intercom", "chat")
    assert summary(t) == [
        ("customer", "Priya Nair", False),  # the source message
        ("bot", "Help Bot", False),
        ("agent", "Lena Ortiz", False),  # an assignment with a body: "reply and assign", the customer saw it
        ("agent", "Lena Ortiz", False),
        ("agent", "Lena Ortiz", True),  # only notes are internal
        ("customer", "Priya Nair", False),
    ]  # default_assignment, open and close parts without a body are not turns
    assert t.turns[0].text == "Hello, I can't log in since the update.\n\nIt says invalid token."
    assert "Please try these steps:" in t.turns[3].text
    assert "1. Log out everywhere" in t.turns[3].text and "<li>" not in t.turns[3].text
    assert t.turns[0].timestamp == datetime(2024, 3, 4, 9, 12, tzinfo=UTC)
    assert t.turns[1].timestamp == datetime(2024, 3, 4, 9, 12, 5, tzinfo=UTC)
    assert t.warnings == ()


def _intercom(parts, **source):
    return {"type": "conversation", "id": "c1", "created_at": 1709543520,
            "source": {"type": "conversation", "body": "<p>Hello</p>",
                       "author": {"type": "lead", "id": "u1", "name": None, "email": "visitor@example.com"},
                       **source},
            "conversation_parts": parts}


def test_intercom_parts_as_plain_list_and_author_fallbacks():
    parts = [
        {"part_type": "comment", "body": "<p>Hi there</p>", "created_at": "1709543600",
         "author": {"type": "team", "id": "t9"}},
        {"part_type": "participant_added", "body": None, "created_at": 1709543610, "author": {"type": "admin"}},
        {"part_type": "snoozed", "body": "<p>snoozing</p>", "created_at": 1709543620, "author": {"type": "admin"}},
        {"part_type": "comment", "body": "<p>Thanks</p>", "created_at": None,
         "author": {"type": "contact", "id": "u1", "email": "visitor@example.com"}},
        {"part_type": "assignment", "body": "", "created_at": 1709543630, "author": {"type": "admin"}},
    ]
    [t] = read(_intercom(parts))
    assert summary(t) == [("customer", "visitor@example.com", False), ("agent", "team-t9", False),
                          ("agent", None, False),  # "reply and snooze": a message the customer saw
                          ("customer", "visitor@example.com", False)]
    assert t.turns[1].timestamp == datetime(2024, 3, 4, 9, 13, 20, tzinfo=UTC)
    assert t.turns[3].timestamp is None


@pytest.mark.parametrize(
    ("source", "channel"),
    [({"type": "email"}, "email"), ({"delivered_as": "email"}, "email"), ({"type": "push"}, "chat"),
     ({"type": "phone_call"}, "voice")],
)
def test_intercom_channel(source, channel):
    assert read(_intercom([], **source))[0].channel == channel


def test_intercom_subject_when_body_is_empty_and_parts_count_warning():
    doc = _intercom({"type": "conversation_part.list", "total_count": 3,
                     "conversation_parts": [{"part_type": "comment", "body": "<p>Reply</p>",
                                             "author": {"type": "admin", "name": "Ola"}}]},
                    body="", subject="<p>Invoice #4410 is wrong</p>")
    [t] = read(doc)
    assert [turn.text for turn in t.turns] == ["Invoice #4410 is wrong", "Reply"]
    assert any("1 of the conversation's 3 parts" in w for w in t.warnings)


@pytest.mark.parametrize("wrap", [lambda c: {"type": "conversation.list", "conversations": c}, lambda c: c])
def test_intercom_many_conversations(wrap):
    convs = [dict(_intercom([]), id="a"), dict(_intercom([]), id="b")]
    assert [t.id for t in read(wrap(convs))] == ["a", "b"]


def test_intercom_older_api_conversation_message():
    doc = {"type": "conversation", "id": 5,
           "conversation_message": {"body": "<p>Old API</p>", "author": {"type": "user", "name": "Kit"}},
           "conversation_parts": {"conversation_parts": []}}
    [t] = read(doc)
    assert (t.id, summary(t)) == ("5", [("customer", "Kit", False)])


@pytest.mark.parametrize(
    ("parts", "fragments"),
    [
        ({"conversation_parts": [{"part_type": "comment", "body": "x"}, 5]},
         ["conversation_parts.conversation_parts[1]: expected an object"]),
        ([{"part_type": "comment", "body": "x", "created_at": "Tuesday"}],
         ["conversation_parts[0].created_at", "unreadable timestamp"]),
        ([{"part_type": "comment", "body": ["x"]}], ["conversation_parts[0].body: expected text"]),
        ([{"part_type": "comment", "body": "x", "author": "admin"}],
         ["conversation_parts[0].author: expected an object"]),
        ("lots", ["conversation_parts: expected a list"]),
    ],
)
def test_intercom_structure_errors(parts, fragments):
    error = failure(_intercom(parts))
    assert error.code == "unsupported_structure"
    for fragment in fragments:
        assert fragment in error.message


def test_intercom_empty_conversation_list():
    assert failure({"type": "conversation.list", "conversations": []}).code == "no_turns"


@pytest.mark.parametrize(
    ("part_type", "body", "expected"),
    [
        ("close", "<p>I'll close this for now, reply any time!</p>", [("agent", "Ola", False)]),  # reply and close
        ("assignment", "<p>Passing you to billing.</p>", [("agent", "Ola", False)]),  # reply and assign
        ("open", "<p>Reopening, one more thing.</p>", [("agent", "Ola", False)]),
        ("snoozed", "<p>I'll check back tomorrow.</p>", [("agent", "Ola", False)]),
        ("away_mode_assignment", "<p>We're away, back at 9.</p>", [("agent", "Ola", False)]),
        ("note", "<p>VIP, handle first.</p>", [("agent", "Ola", True)]),  # only notes are internal
        ("note_and_reopen", "<p>Reopened for a check.</p>", [("agent", "Ola", True)]),
        ("close", "", []),  # no body: an event
        ("assignment", None, []),
        ("participant_added", "  ", []),
    ],
)
def test_intercom_parts_with_a_body_are_messages_and_only_notes_are_internal(part_type, body, expected):
    parts = [{"part_type": part_type, "body": body, "created_at": 1709543600,
              "author": {"type": "admin", "id": "a1", "name": "Ola"}}]
    [t] = read(_intercom(parts))
    assert summary(t)[1:] == expected


@pytest.mark.parametrize(("body", "internal"), [
    ("<p>Subscription change, over to you Noah.</p>", True),  # to the teammate, by name
    ("<p>Noah, can you take this one? Billing question.</p>", True),
    ("<p>@Noah billing question for you</p>", True),
    ("<p>I'm passing you to Noah, who looks after subscriptions.</p>", False),  # to the customer, about Noah
    ("<p>Passing you to billing.</p>", False),
])
def test_an_intercom_assignment_that_speaks_to_the_new_assignee_is_an_internal_note(body, internal):
    parts = [{"part_type": "assignment", "body": body, "created_at": 1709543600,
              "author": {"type": "admin", "id": "a1", "name": "Ola"},
              "assigned_to": {"type": "admin", "id": "a2", "name": "Noah Clarke"}}]
    [t] = read(_intercom(parts))
    assert summary(t)[1:] == [("agent", "Ola", internal)]


def test_intercom_email_conversation_is_zoned_like_email():
    parts = [{"part_type": "comment", "created_at": 1709543600, "author": {"type": "user", "name": "Kit"},
              "body": '<p>Thanks, all fixed.</p><div class="gmail_quote"><div>On Mon, Ola wrote:</div>'
                      '<blockquote class="gmail_quote">Try again now.</blockquote></div>'},
             {"part_type": "comment", "created_at": 1709543700, "author": {"type": "admin", "name": "Ola"},
              "body": "<p>Great!</p><p>Kind regards,<br>Ola<br>Acme Support<br>+1 555 010 0142</p>"}]
    [t] = read(_intercom(parts, type="email"))
    assert [turn.text for turn in t.turns] == ["Hello", "Thanks, all fixed.", "Great!\n\nKind regards,\nOla"]


# --- Freshdesk -----------------------------------------------------------------------------------------------------

def test_freshdesk_ticket_with_conversations():
    [t] = read(fixture("freshdesk_ticket.json"))
    assert (t.id, t.format, t.channel) == ("3107", "freshdesk", "email")
    assert summary(t) == [
        ("customer", "Omar Haddad", False),  # the description, by the requester
        ("agent", "user-52007", False),
        ("customer", "Omar Haddad", False),
        ("agent", "user-52007", True),  # private note
        ("agent", "user-52007", False),
    ]
    assert t.turns[0].text == "My router drops Wi-Fi every evening. Model RX-500."
    assert t.turns[0].timestamp == datetime(2024, 2, 12, 18, 3, 11, tzinfo=UTC)
    assert t.turns[2].text == "Firmware 2.1.4"  # empty body_text: the HTML body
    assert t.turns[4].text == "Thanks Omar. I've pushed firmware 2.2.0 to your router; please restart it tonight."


def test_freshdesk_ticket_and_conversations_side_by_side_without_requester_object():
    doc = {
        "ticket": {"id": 12, "requester_id": 4, "source": 7, "created_at": "2024-02-01T10:00:00Z",
                   "description": "<p>Chat started:<br>my card is blocked</p>"},
        "conversations": [
            {"body_text": "Unblocked now.", "incoming": False, "private": False, "user_id": 8,
             "created_at": "2024-02-01T10:05:00Z"},
            {"body_text": "It works, thanks", "incoming": True, "user_id": 4, "from_email": "kai@example.com",
             "created_at": "2024-02-01T10:03:00Z"},
            {"body_text": "no flag", "user_id": 4, "created_at": "2024-02-01T10:06:00Z"},
        ],
    }
    [t] = read(doc)
    assert t.channel == "chat"
    assert t.turns[0].text == "Chat started:\nmy card is blocked"
    # The replies came out of order and all have times: sorted, the description stays first.
    assert [(turn.role, turn.speaker, turn.text) for turn in t.turns] == [
        ("customer", "kai@example.com", "Chat started:\nmy card is blocked"),
        ("customer", "kai@example.com", "It works, thanks"),
        ("agent", "user-8", "Unblocked now."),
        ("customer", "kai@example.com", "no flag"),  # no incoming flag: the requester's user id decides
    ]


@pytest.mark.parametrize(("source", "channel"), [(1, "email"), (10, "email"), (3, "voice"), (2, "email"),
                                                 (7, "chat"), (9, "email"), ("3", "voice"), (None, "chat")])
def test_freshdesk_channel_from_source(source, channel):
    doc = {"id": 1, "requester_id": 2, "source": source, "description_text": "help", "conversations": []}
    assert read(doc)[0].channel == channel


def test_freshdesk_outbound_email_description_is_the_agents():
    doc = {"id": 1, "requester_id": 2, "responder_id": 3, "source": 10, "description_text": "Your plan renews soon.",
           "conversations": [{"body_text": "Please cancel it", "incoming": True, "user_id": 2}]}
    [t] = read(doc)
    assert summary(t) == [("agent", "user-3", False), ("customer", "user-2", False)]


def test_freshdesk_list_of_tickets():
    tickets = [{"id": n, "requester_id": 2, "description_text": f"issue {n}",
                "conversations": [{"body_text": "on it", "incoming": False, "user_id": 3}]} for n in (1, 2)]
    transcripts = read(tickets)
    assert [t.id for t in transcripts] == ["1", "2"]
    assert all(t.format == "freshdesk" for t in transcripts)


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda d: (d["conversations"][1].pop("body_text"), d["conversations"][1].pop("body")),
         ["conversations[1].body_text: missing"]),
        (lambda d: d["conversations"][0].update(private="secret"), ["conversations[0].private", "true or false"]),
        (lambda d: d["conversations"][0].update(created_at="soon"), ["conversations[0].created_at"]),
        (lambda d: d.update(conversations={"x": 1}), ["conversations: expected a list"]),
        (lambda d: d.update(created_at=[2024]), ["created_at: unreadable timestamp"]),
        (lambda d: d.update(requester="Omar"), ["requester: expected an object"]),
    ],
)
def test_freshdesk_structure_errors(change, fragments):
    doc = copy.deepcopy(fixture("freshdesk_ticket.json"))
    change(doc)
    error = failure(doc)
    assert error.code == "unsupported_structure"
    for fragment in fragments:
        assert fragment in error.message


FD_REPLY_TEXT = ("Thank you, that was fast!\n\nOn Tue, 3 Mar 2026 at 10:05, Shop Help <help@shop.example> wrote:\n"
                 "Hi Lena,\nI'm sorry we sent the wrong size.")
FD_REPLY_HTML = ('<div dir="ltr">Thank you, that was fast!</div><br><div class="freshdesk_quote">'
                 '<blockquote class="freshdesk_quote">On Tue, 3 Mar 2026 at 10:05, Shop Help &lt;help@shop.example&gt;'
                 " wrote:<br><div>Hi Lena,</div></blockquote></div>")
FD_AGENT_TEXT = ("Hi Lena,\n\nThe right size ships today.\n\nKind regards,\nJonas\nCustomer Care | Shop Example\n"
                 "+1 555 010 0142")


@pytest.mark.parametrize(
    ("source", "reply", "agent", "expected"),
    [
        # email ticket, plain body_text: quoted history and the contact block after the sign-off are dropped
        (1, {"body_text": FD_REPLY_TEXT}, {"body_text": FD_AGENT_TEXT},
         ["Thank you, that was fast!", "Hi Lena,\n\nThe right size ships today.\n\nKind regards,\nJonas"]),
        # HTML only: the freshdesk_quote block goes before the markup becomes text
        (1, {"body": FD_REPLY_HTML}, {"body": FD_AGENT_TEXT.replace("\n", "<br>")},
         ["Thank you, that was fast!", "Hi Lena,\n\nThe right size ships today.\n\nKind regards,\nJonas"]),
        # a chat ticket: no email zoning, except for text that shows quoted history
        (7, {"body_text": FD_REPLY_TEXT}, {"body_text": FD_AGENT_TEXT},
         ["Thank you, that was fast!", FD_AGENT_TEXT]),
    ],
)
def test_freshdesk_bodies_are_zoned_like_email(source, reply, agent, expected):
    doc = {"id": 8812, "requester_id": 1, "source": source, "description_text": "Wrong size delivered.",
           "conversations": [dict(agent, incoming=False, user_id=2, created_at="2026-03-03T10:05:00Z"),
                             dict(reply, incoming=True, user_id=1, created_at="2026-03-03T18:40:00Z")]}
    [t] = read(doc)
    assert [turn.text for turn in t.turns][1:] == [expected[1], expected[0]]


# --- the dispatcher and forced formats ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("doc", "flavour"),
    [
        (fixture("zendesk_ticket_comments_users.json"), "zendesk"),
        ({"comments": [], "users": []}, "zendesk"),
        ({"tickets": [{"id": 1, "comments": []}]}, "zendesk"),
        ([{"id": 1, "requester_id": 2, "comments": []}], "zendesk"),
        (fixture("intercom_conversation.json"), "intercom"),
        ({"type": "conversation.list", "conversations": [fixture("intercom_conversation.json")]}, "intercom"),
        (fixture("freshdesk_ticket.json"), "freshdesk"),
        ({"ticket": {"id": 1, "description_text": "x"}, "conversations": []}, "freshdesk"),
        ([{"ticket": {"id": 1}, "conversations": []}], "freshdesk"),
        ([{"speaker": "a", "text": "b"}], "json-turns"),
        ({"conversations": [{"turns": []}]}, "json-turns"),
        ({"data": [1, 2]}, None),
        ([], None),
        ("text", None),
    ],
)
def test_detect_flavour(doc, flavour):
    assert detect_flavour(doc) == flavour


def test_unsupported_json_names_the_keys_found_and_the_structures_supported():
    error = failure({"data": {"rows": []}, "meta": {}}, "export.json")
    assert error.code == "unsupported_structure"
    assert "top-level keys: data, meta" in error.message
    for name in ("Zendesk", "Intercom", "Freshdesk", "generic turns"):
        assert name in error.message
    listed = failure([1, 2, 3])
    assert "a list of 3 item(s) (a number)" in listed.message


@pytest.mark.parametrize(
    ("doc", "code"),
    [([], "no_turns"), ({}, "no_turns"), (None, "unsupported_structure"), (42, "unsupported_structure")],
)
def test_json_documents_with_nothing_to_read(doc, code):
    assert failure(doc).code == code


@pytest.mark.parametrize(
    ("raw", "line"),
    [(b'{"comments": [\n  {"author_id": 1,\n   "body": "x",}\n]}\n', 3),
     (b'{"id": 1, "comments": []}\n[1, 2]\n', 2),
     (b'{"id": 1, "comments": []}\n{"id": 2,\n', 2)],
)
def test_malformed_json_reports_the_line(raw, line):
    with pytest.raises(InputError) as info:
        read(None, "bad.json", raw=raw)
    assert (info.value.code, info.value.line) == ("malformed_json", line)


@pytest.mark.parametrize(
    ("fmt", "doc", "expected"),
    [
        ("zendesk", fixture("zendesk_ticket_comments_users.json"), "48213"),
        ("intercom", fixture("intercom_conversation.json"), "215469874512"),
        ("freshdesk", fixture("freshdesk_ticket.json"), "3107"),
    ],
)
def test_forced_format_reads_any_file_name(fmt, doc, expected):
    [t] = read(doc, "download.txt", format=fmt)
    assert (t.id, t.format) == (expected, fmt)


@pytest.mark.parametrize(
    ("fmt", "doc", "fragment"),
    [
        ("zendesk", fixture("intercom_conversation.json"), "expected Zendesk"),
        ("intercom", fixture("freshdesk_ticket.json"), "expected Intercom"),
        ("freshdesk", {"comments": []}, "expected Freshdesk"),
        ("zendesk", "just text", "expected Zendesk"),
        ("zendesk", [fixture("intercom_conversation.json")], "expected Zendesk"),
        ("intercom", [{"comments": []}], "expected Intercom"),
        ("freshdesk", [{"turns": []}], "expected Freshdesk"),
    ],
)
def test_forced_format_on_the_wrong_export(fmt, doc, fragment):
    error = failure(doc, "x.json", format=fmt)
    assert error.code == "unsupported_structure"
    assert fragment in error.message and "found" in error.message


def test_deeply_nested_html_is_read_not_a_crash():
    doc = {"comments": [{"author_id": 1, "html_body": "<div>" * 20000 + "deep"}]}
    (transcript,) = read_bytes(json.dumps(doc).encode(), "export.json")
    assert transcript.turns[0].text == "deep"


# --- a JSON list of conversations, read from disk ------------------------------------------------------------------

def _many_generic(count: int) -> list[dict]:
    return [{"conversation_id": f"c-{n}", "messages": [
        {"role": "customer", "text": f"Mon colis n'est pas arrivé 🙂 ({n})"},
        {"role": "agent", "text": "Sorry, it is at the depot and arrives tomorrow."}]} for n in range(count)]


_ZENDESK_USERS = fixture("zendesk_ticket_comments_users.json")["users"]
_ZENDESK = _tickets("zendesk", 20)
FROM_DISK = {
    "generic list": json.dumps(_many_generic(30), ensure_ascii=False).encode(),
    "indented, CRLF, BOM": b"\xef\xbb\xbf" + json.dumps(_many_generic(30), ensure_ascii=False, indent=2).replace(
        "\n", "\r\n").encode(),
    "ASCII escapes": json.dumps(_many_generic(30)).encode(),
    "wrapped conversations": json.dumps({"type": "conversation.list", "conversations": _tickets("intercom", 20)}
                                        ).encode(),
    "Zendesk tickets, then users": json.dumps({"tickets": _ZENDESK, "users": _ZENDESK_USERS}).encode(),
    "Zendesk users, then tickets": json.dumps({"users": _ZENDESK_USERS, "tickets": _ZENDESK}, indent=1).encode(),
    "Zendesk full export": "\n".join(json.dumps(t, ensure_ascii=False) for t in _ZENDESK).encode(),
    "Zendesk full export, indented, blank lines": "\r\n\r\n".join(f"  {json.dumps(t)}" for t in _ZENDESK).encode(),
    "Freshdesk list": json.dumps(_tickets("freshdesk", 20), ensure_ascii=False).encode(),
    "empty list": b"[ ]",
}
AS_TEXT = {  # read as the text path reads them (each gives what it gives there: a document, or its error)
    "one conversation": json.dumps(_many_generic(1)[0]).encode(),
    "one wrapped conversation": json.dumps({"conversations": _tickets("intercom", 1)}).encode(),
    "something after the list": json.dumps(_many_generic(3)).encode() + b"\n oops",
    "a bad element": json.dumps(_many_generic(3)).encode()[:-1] + b', {"x": }]',
    "Latin-1": json.dumps(_many_generic(3), ensure_ascii=False).encode("latin-1", errors="replace"),
    "UTF-16": json.dumps(_many_generic(3), ensure_ascii=False).encode("utf-16"),
    "a number": b"12",
}


@pytest.mark.parametrize("name", [*FROM_DISK, *AS_TEXT])
def test_a_json_file_read_from_disk_gives_what_its_text_gives(tmp_path, name, reading_outcome):
    from transcript_coach.ingest import read_path
    from transcript_coach.ingest.records import JsonArray, load_json_file

    data = FROM_DISK.get(name) or AS_TEXT[name]
    path = tmp_path / "export.json"
    path.write_bytes(data)
    with open(path, "rb") as handle:
        document = load_json_file(handle, str(path), str(path))
    lazy = document.get("conversations", document.get("tickets")) if isinstance(document, dict) else document
    assert isinstance(lazy, JsonArray) if name in FROM_DISK else document is None
    from_text = reading_outcome(lambda: read_bytes(data, str(path)))  # bytes in memory: never read from disk
    assert reading_outcome(lambda: read_path(path)) == from_text


def test_a_json_list_changed_after_it_was_checked_is_refused(tmp_path):
    from transcript_coach.ingest import read_path

    path = tmp_path / "export.json"
    path.write_bytes(json.dumps(_many_generic(5)).encode())
    reading = read_path(path)
    assert next(reading).id == "c-0"  # every conversation checked, the first given
    path.write_bytes(json.dumps(_many_generic(6)).encode())
    with pytest.raises(InputError) as caught:
        list(reading)
    assert caught.value.code == "unreadable" and "changed while it was being read" in str(caught.value)
