"""The plain-text chat parser, called through the public entry point ``read_bytes``."""

from __future__ import annotations

import contextlib
import time as clock
from datetime import UTC, datetime, time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcript_coach.errors import InputError
from transcript_coach.ingest import IngestOptions, read_bytes
from transcript_coach.model import Transcript


def read(text: str | bytes, name: str = "chat.txt", **options) -> Transcript:
    data = text.encode("utf-8") if isinstance(text, str) else text
    transcripts = list(read_bytes(data, name, IngestOptions(**options)))
    assert len(transcripts) == 1
    return transcripts[0]


def summary(transcript: Transcript) -> list[tuple[str, str | None, str]]:
    return [(t.role, t.speaker, t.text) for t in transcript.turns]


def error(text: str | bytes, name: str = "chat.txt") -> InputError:
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(InputError) as info:
        list(read_bytes(data, name))
    return info.value


# --- speaker labels --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "role", "speaker", "internal"),
    [
        ("Agent", "agent", "Agent", False),
        ("Customer", "customer", "Customer", False),
        ("Agent (Tom)", "agent", "Tom", False),
        ("Tom (Agent)", "agent", "Tom", False),
        ("Sarah (Support)", "agent", "Sarah", False),
        ("Agent (Support - Kim)", "agent", "Kim", False),  # a dash inside the brackets
        ("Agent (Kim \u2013 Billing)", "agent", "Kim \u2013 Billing", False),
        ("Lumora Assistant (bot)", "bot", "Lumora Assistant", False),
        ("Tom (internal note)", "agent", "Tom", True),
        ("Support Agent Ravi", "agent", "Ravi", False),
        ("Caller", "customer", "Caller", False),
        ("customer", "customer", "customer", False),
    ],
)
def test_role_labels(label, role, speaker, internal):
    transcript = read(f"{label}: first message\nCustomer: reply\n" if role != "customer" else
                      f"Agent: hello\n{label}: first message\n")
    turn = next(t for t in transcript.turns if t.text == "first message")
    assert (turn.role, turn.speaker, turn.internal) == (role, speaker, internal)


@pytest.mark.parametrize("name", ["Dana", "Mary-Jane O'Neil", "J. Smith", "Zoë", "李雷", "Speaker 2", "Ana de la Cruz"])
def test_names_are_speakers(name):
    transcript = read(f"Agent: How can I help?\n{name}: my order is late\nAgent: Let me check.\n")
    assert [t.speaker for t in transcript.turns] == ["Agent", name, "Agent"]
    assert transcript.turns[1].role == "customer"


def test_name_seen_in_a_bracket_label_is_known_later():
    transcript = read("[09:00] Agent (Tom): hi\n[09:01] Dana: hello\nTom: without a timestamp\n")
    assert [t.speaker for t in transcript.turns] == ["Tom", "Dana", "Tom"]


# --- colons inside messages ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "Here's what to do: open settings",
        "Note: the router must stay on.",
        "Steps: 1. unplug it",
        "I tried this: restart",
        "Update: it works now",
        "Your order: LH-1234",
        "See https://example.com/help for details",
        "Call us at 10:30: we open then",
        "Important: keep the receipt",
        "Option A: refund",
        "the thing is: it broke",
        "Well, here it is: done",
        "Our support team: will call you",
        "Order Number: 12345",
        "Tracking Details: PP-1",
        "1. Open the app: tap Account",
        "- 15 March: £18.50 for your March delivery",
        "Customer ID: 4411",
        "Good Morning: welcome back",
        "Agents: Tom",
        "Date: 2026-03-14",
    ],
)
@pytest.mark.parametrize("stamped", [False, True])
def test_colon_lines_continue_the_message(line, stamped):
    stamp = "[09:14] " if stamped else ""
    transcript = read(f"{stamp}Customer: hi\n{stamp}Agent: Sure.\n{line}\n{stamp}Customer: thanks\n")
    assert summary(transcript) == [
        ("customer", "Customer", "hi"),
        ("agent", "Agent", f"Sure.\n{line}"),
        ("customer", "Customer", "thanks"),
    ]


def test_unstamped_line_in_a_stamped_log_only_starts_a_message_for_a_known_speaker():
    transcript = read(
        "[09:14] Dana: hi\n"
        "Tom: quoted inside Dana's message\n"
        "[09:15] Tom: hello\n"
        "Dana: a known speaker starts a message even without a timestamp\n"
    )
    assert [(t.speaker, t.text) for t in transcript.turns] == [
        ("Dana", "hi\nTom: quoted inside Dana's message"),
        ("Tom", "hello"),
        ("Dana", "a known speaker starts a message even without a timestamp"),
    ]
    assert transcript.turns[2].timestamp is None


# --- timestamps ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("[2026-04-03 09:14:02] Tom: hi", datetime(2026, 4, 3, 9, 14, 2)),
        ("[2026-04-03T09:14:02Z] Tom: hi", datetime(2026, 4, 3, 9, 14, 2, tzinfo=UTC)),
        ("[09:14] Tom: hi", time(9, 14)),
        ("[09:14:05] Tom: hi", time(9, 14, 5)),
        ("(09:14) Tom: hi", time(9, 14)),
        ("09:14 Tom: hi", time(9, 14)),
        ("10:42 AM Tom: hi", time(10, 42)),
        ("[10:42 PM] Tom: hi", time(22, 42)),
        ("10:42 p.m. Tom: hi", time(22, 42)),
        ("2026-04-03 09:14:02 Tom: hi", datetime(2026, 4, 3, 9, 14, 2)),
        ("2026-04-03T09:14:02Z Tom: hi", datetime(2026, 4, 3, 9, 14, 2, tzinfo=UTC)),
        ("03/04/2026 09:14 Tom: hi", datetime(2026, 4, 3, 9, 14)),
        ("03/04/2026, 09:14 - Tom: hi", datetime(2026, 4, 3, 9, 14)),
        ("[09:14] - Tom: hi", time(9, 14)),
        ("Tom [09:14]: hi", time(9, 14)),
        ("Tom (09:14): hi", time(9, 14)),
        ("Tom [2026-04-03 09:14]: hi", datetime(2026, 4, 3, 9, 14)),
        ("Agent (Tom) [09:14]: hi", time(9, 14)),
        ("Tom: hi", None),
        # WhatsApp and other exports (QA regressions)
        ("3/14/26, 9:14 AM - Tom: hi", datetime(2026, 3, 14, 9, 14)),  # Android, US
        ("[3/14/26, 9:14:11 AM] Tom: hi", datetime(2026, 3, 14, 9, 14, 11)),  # iOS, US
        ("14/03/26, 09:14 - Tom: hi", datetime(2026, 3, 14, 9, 14)),
        ("14.03.26, 09:14 - Tom: hi", datetime(2026, 3, 14, 9, 14)),
        ("[14.03.26, 09:14:11] Tom: hi", datetime(2026, 3, 14, 9, 14, 11)),
        ("[2026-04-03 09:14:02 UTC] Tom: hi", datetime(2026, 4, 3, 9, 14, 2, tzinfo=UTC)),
        ("[Apr 3, 2026 9:14 AM] Tom: hi", datetime(2026, 4, 3, 9, 14)),
        ("[3 Apr 2026, 09:14] Tom: hi", datetime(2026, 4, 3, 9, 14)),
        ("03/04/2026, 10:42 AM - Tom: hi", datetime(2026, 4, 3, 10, 42)),  # day first, AM/PM or not
        # a zone named by its abbreviation, in brackets: the time without a zone (CST is US or China time)
        ("[2026-04-03 09:14:02 CEST] Tom: hi", datetime(2026, 4, 3, 9, 14, 2)),
        ("[3 Apr 2026 09:14 PDT] Tom: hi", datetime(2026, 4, 3, 9, 14)),
        ("[10:42 AM CST] Tom: hi", time(10, 42)),
        ("Tom [09:14 CEST]: hi", time(9, 14)),
    ],
)
def test_timestamp_forms(line, expected):
    turn = read(line + "\n").turns[0]
    assert (turn.speaker, turn.text, turn.timestamp) == ("Tom", "hi", expected)


@pytest.mark.parametrize(
    ("lines", "expected", "warned"),
    [
        # only ambiguous dates: day first, and the transcript says so
        (["03/04/2026, 09:14 - Dana: hi", "03/04/2026, 09:15 - Tom: hello"],
         [datetime(2026, 4, 3, 9, 14), datetime(2026, 4, 3, 9, 15)], True),
        # a date that can only be day first settles it: no warning
        (["03/04/2026, 09:14 - Dana: hi", "13/04/2026, 09:15 - Tom: hello"],
         [datetime(2026, 4, 3, 9, 14), datetime(2026, 4, 13, 9, 15)], False),
        # a date that can only be month first (3/14) makes the whole file month first: 3/4 is 4 March
        (["3/4/26, 9:14 AM - Dana: hi", "3/14/26, 9:15 AM - Tom: hello"],
         [datetime(2026, 3, 4, 9, 14), datetime(2026, 3, 14, 9, 15)], False),
        # the same day written both ways (03/03) is not ambiguous
        (["03/03/2026, 09:14 - Dana: hi", "03/03/2026, 09:15 - Tom: hello"],
         [datetime(2026, 3, 3, 9, 14), datetime(2026, 3, 3, 9, 15)], False),
        # a header date counts too
        (["Date: 05/06/2026", "[09:14] Dana: hi", "[09:15] Tom: hello"],
         [datetime(2026, 6, 5, 9, 14), datetime(2026, 6, 5, 9, 15)], True),
    ],
)
def test_numeric_dates_are_read_one_way_for_the_whole_file(lines, expected, warned):
    transcript = read("\n".join(lines) + "\n")
    assert [t.timestamp for t in transcript.turns] == expected
    day_first = [w for w in transcript.warnings if w.startswith("dates like")]
    assert bool(day_first) == warned
    if warned:
        assert day_first[0] in ("dates like 03/04/2026 were read day-first (3 April)",
                                "dates like 05/06/2026 were read day-first (5 June)")


def test_a_capitalised_word_after_an_unbracketed_time_is_the_speaker_not_a_zone():
    turn = read("09:14 TOM: hi\n").turns[0]
    assert (turn.speaker, turn.timestamp) == ("TOM", time(9, 14))


def test_timestamp_not_a_time_stays_in_the_label_check():
    transcript = read("Chat log\n[99:99] Tom: hi\nCustomer: hello\n")
    assert [t.speaker for t in transcript.turns] == ["Customer"]
    assert any("line 2 before the first message" in w for w in transcript.warnings)


@pytest.mark.parametrize(
    "header",
    [
        "Chat transcript - Lumora Home - 2026-03-12",
        "Date: 2026-03-12",
        "Date: 12/03/2026",
        "Date: 12 March 2026",
        "Lumora Home chat, March 12, 2026",
    ],
)
def test_header_date_makes_clock_times_datetimes(header):
    transcript = read(f"{header}\n[09:14] Customer: hi\n[09:15:30] Agent: hello\n")
    assert [t.timestamp for t in transcript.turns] == [datetime(2026, 3, 12, 9, 14), datetime(2026, 3, 12, 9, 15, 30)]


def test_header_date_rolls_over_midnight_and_leaves_full_datetimes_alone():
    transcript = read(
        "Date: 2026-03-12\n[23:58] Customer: hi\n[00:03] Agent: hello\n[2026-05-01 10:00:00] Customer: later\n"
    )
    assert [t.timestamp for t in transcript.turns] == [
        datetime(2026, 3, 12, 23, 58),
        datetime(2026, 3, 13, 0, 3),
        datetime(2026, 5, 1, 10, 0),
    ]


def test_clock_times_without_a_header_date_stay_times():
    transcript = read("[23:58] Customer: hi\n[00:03] Agent: hello\n")
    assert [t.timestamp for t in transcript.turns] == [time(23, 58), time(0, 3)]


# --- header ----------------------------------------------------------------------------------------------------
def test_header_lines_are_metadata():
    transcript = read(
        "Chat transcript - Parcelpoint - 2026-03-12\n"
        "Conversation ID: CHAT-991\n"
        "Agents: Tom, Priya\n"
        "Channel: web\n"
        "Subject: Late parcel\n"
        "\n"
        "[14:02] Dana: Hi, my parcel is late.\n"
        "[14:03] Tom: Sorry about that.\n"
        "[14:04] Priya: I'll check too.\n"
    )
    assert transcript.id == "CHAT-991"
    assert summary(transcript) == [
        ("customer", "Dana", "Hi, my parcel is late."),
        ("agent", "Tom", "Sorry about that."),
        ("agent", "Priya", "I'll check too."),
    ]
    assert transcript.turns[0].line == 7
    assert not any("before the first message" in w for w in transcript.warnings)


@pytest.mark.parametrize(
    ("header", "expected_id"),
    [("Ticket: #4521", "4521"), ("Chat ID: abc-7", "abc-7"), ("Conversation ID:  C 19 ", "C 19"), ("", "log_1")],
)
def test_transcript_id(header, expected_id):
    assert read(f"{header}\nCustomer: hi\nAgent: hello\n", name="exports/log_1.txt").id == expected_id


def test_agent_header_declares_the_agent_when_that_name_speaks():
    transcript = read("Agent: Tom\nDana: hi\nTom: Hello, how can I help?\n")
    assert summary(transcript) == [("customer", "Dana", "hi"), ("agent", "Tom", "Hello, how can I help?")]


@pytest.mark.parametrize("first", ["Agent: Hi there, how can I help?", "Agent: Hello", "Agent: Tom"])
def test_agent_line_is_a_message_when_it_is_not_a_declaration(first):
    transcript = read(f"{first}\nCustomer: hi\n")
    assert summary(transcript)[0] == ("agent", "Agent", first.removeprefix("Agent: "))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # "Customer: Dana" before the first message names the customer when Dana then speaks
        ("Subject: Card declined\nAgent: Tom\nCustomer: Dana\n",
         [("agent", "Tom", "Hi Dana, how can I help?"), ("customer", "Dana", "my card was declined")]),
        ("Customer: Dana\n",
         [("agent", "Tom", "Hi Dana, how can I help?"), ("customer", "Dana", "my card was declined")]),
        ("Customer name: Dana\nCaller: Dana\n",
         [("agent", "Tom", "Hi Dana, how can I help?"), ("customer", "Dana", "my card was declined")]),
        # a name that never speaks: the line is the customer's message
        ("Customer: Zoe\n", [("customer", "Customer", "Zoe"), ("agent", "Tom", "Hi Dana, how can I help?"),
                             ("customer", "Dana", "my card was declined")]),
    ],
)
def test_customer_header_declares_the_customer_when_that_name_speaks(header, expected):
    # format forced: a first "Subject:" line makes the .txt sniffer think of an email
    transcript = read(header + "\nTom: Hi Dana, how can I help?\nDana: my card was declined\n", format="chat")
    assert summary(transcript) == expected
    if len(expected) == 2:  # Dana's role is stated, not guessed
        assert not any("'Dana'" in w for w in transcript.warnings if w.startswith("roles:"))


def test_customer_header_gives_way_to_the_agents_roster():
    transcript = read("Customer: Dana\n\nTom: hi\nDana: hello\n", agents=("Dana",))
    assert [t.role for t in transcript.turns] == ["customer", "agent"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chat started: 2026-03-08 08:01 AM UTC\n\n(08:01:15 AM) Dana Kim: Hi\n(08:01:40 AM) Tom Becker: Hello\n"
         "more text\n", [("Dana Kim", datetime(2026, 3, 8, 8, 1, 15, tzinfo=UTC), "Hi"),
                         ("Tom Becker", datetime(2026, 3, 8, 8, 1, 40, tzinfo=UTC), "Hello\nmore text")]),
        # no date in the block: the caller's day
        ("[23:59] Dana: Hi\n[00:01] Tom: Hello\n", [("Dana", datetime(2026, 1, 31, 23, 59, tzinfo=UTC), "Hi"),
                                                   ("Tom", datetime(2026, 2, 1, 0, 1, tzinfo=UTC), "Hello")]),
        # not a chat transcript: fewer than two stamped "Name:" lines
        ("[09:14] Dana: Hi\nTom: Hello\n", None),
        ("Steps: 1. Open Settings\nNote: it takes a minute\n", None),
    ],
)
def test_parse_chat_block(text, expected):
    from datetime import date

    from transcript_coach.ingest.chat import parse_chat_block

    conversation = parse_chat_block(text, "comment", day=date(2026, 1, 31), tzinfo=UTC)
    if expected is None:
        assert conversation is None
    else:
        assert conversation is not None
        assert [(t.label, t.timestamp, t.text) for t in conversation.turns] == expected


def test_first_line_customer_is_a_turn():
    assert summary(read("Customer: hello\nAgent: hi\n"))[0] == ("customer", "Customer", "hello")


def test_header_keys_after_the_first_message_are_text():
    transcript = read("Customer: hi\nAgent: Your visit is booked.\nDate: 2026-03-14\nAgents: Tom\n")
    assert transcript.turns[1].text == "Your visit is booked.\nDate: 2026-03-14\nAgents: Tom"
    assert transcript.turns[1].timestamp is None


def test_stray_lines_before_the_first_message_give_a_warning():
    transcript = read("My export\nsomething odd\nmore odd\nCustomer: hi\nAgent: hello\n")
    warning = next(w for w in transcript.warnings if "before the first message" in w)
    assert "lines 2, 3" in warning and "something odd" in warning
    assert len(transcript.turns) == 2


# --- system lines ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "text", "stamp"),
    [
        ("*** Chat transferred to Priya ***", "Chat transferred to Priya", None),
        ("--- Tom has joined the chat ---", "Tom has joined the chat", None),
        ("[09:20] --- Tom has left the chat ---", "Tom has left the chat", time(9, 20)),
        ("[System] Chat closed by agent", "Chat closed by agent", None),
        ("[09:20] [System] Chat closed", "Chat closed", time(9, 20)),
        ("System: Customer left", "Customer left", None),
        ("[09:20] Tom has joined the chat", "Tom has joined the chat", time(9, 20)),
        ("[09:20] Chat transferred to Priya", "Chat transferred to Priya", time(9, 20)),
    ],
)
def test_system_lines(line, text, stamp):
    transcript = read(f"[09:14] Customer: hi\n[09:15] Agent (Tom): hello\n{line}\n[09:21] Agent (Priya): hi\n")
    turn = transcript.turns[2]
    assert (turn.role, turn.speaker, turn.text, turn.timestamp) == ("system", "System", text, stamp)
    assert transcript.turns[3].speaker == "Priya"


def test_markdown_bold_is_not_a_system_line():
    transcript = read("Customer: hi\nAgent: **Important** read this\n**Really**\n")
    assert [t.role for t in transcript.turns] == ["customer", "agent"]


@pytest.mark.parametrize("tag", ["[Internal]", "(internal note)", "[Private note]"])
def test_internal_prefix(tag):
    transcript = read(f"Customer: hi\n{tag} Tom: she sounds upset\nAgent (Tom): Sorry to hear that.\n")
    assert [(t.speaker, t.internal) for t in transcript.turns] == [("Customer", False), ("Tom", True), ("Tom", False)]


# --- multi-line messages ---------------------------------------------------------------------------------------
def test_multi_line_messages_keep_steps_and_paragraphs():
    transcript = read(
        "Customer: it broke\n"
        "Agent: Here's how:\n"
        "1. Unplug it.\n"
        "2. Wait 30 seconds.\n"
        "\n"
        "\n"
        "   Then plug it back in.   \n"
        "\n"
        "Customer: done\n"
    )
    assert summary(transcript) == [
        ("customer", "Customer", "it broke"),
        ("agent", "Agent", "Here's how:\n1. Unplug it.\n2. Wait 30 seconds.\n\nThen plug it back in."),
        ("customer", "Customer", "done"),
    ]
    assert [t.line for t in transcript.turns] == [1, 2, 9]


def test_message_text_on_the_next_line():
    transcript = read("Customer:\nmy text is here\nAgent: ok\n")
    assert summary(transcript)[0] == ("customer", "Customer", "my text is here")


def test_unicode_and_emoji():
    transcript = read("Zoë: Ça ne marche pas 😡\nAgent: Désolé ! 🙏 On regarde.\n")
    assert [t.text for t in transcript.turns] == ["Ça ne marche pas 😡", "Désolé ! 🙏 On regarde."]


# --- encodings -------------------------------------------------------------------------------------------------
def test_crlf_input():
    data = b"Customer: hi\r\nAgent: hello\r\n  second line\r\n\r\nmore\r\n"
    transcript = read(data)
    assert summary(transcript) == [("customer", "Customer", "hi"), ("agent", "Agent", "hello\nsecond line\n\nmore")]
    assert [t.line for t in transcript.turns] == [1, 2]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_utf16_and_bom_input(encoding):
    data = "Customer: héllo 😀\nAgent (Tom): hi\n".encode(encoding)
    transcript = read(data)
    assert summary(transcript) == [("customer", "Customer", "héllo 😀"), ("agent", "Tom", "hi")]


def test_sample_like_file_with_am_pm_times_and_title_date():
    transcript = read(
        "Chat transcript - Kettle & Co - 2026-03-18\n"
        "10:42 AM Rosa: Hi, I've been charged twice.\n"
        "10:43 AM Sarah (Support): Hi Rosa. Here's what I can see:\n"
        "- 15 March: £18.50 for your March delivery.\n"
        "- 16 March: £18.50 again.\n"
        "10:46 AM Rosa: Ok.\n",
        name="kettle.txt",
    )
    assert transcript.format == "chat" and transcript.channel == "chat" and transcript.id == "kettle"
    assert summary(transcript)[1] == (
        "agent", "Sarah", "Hi Rosa. Here's what I can see:\n- 15 March: £18.50 for your March delivery.\n"
        "- 16 March: £18.50 again.",
    )
    assert transcript.turns[0].timestamp == datetime(2026, 3, 18, 10, 42)


# --- errors ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        ("\n\n  just some prose here\nand more prose\n", 3, "just some prose here"),
        ("Date: 2026-03-12\nAgents: Tom\n", 1, "Date: 2026-03-12"),
        ("*** Chat started ***\n*** Chat ended ***\n", 1, "*** Chat started ***"),
        ("Note: nothing here\nSteps: none\n", 1, "Note: nothing here"),
    ],
)
def test_no_speakers(text, line, shown):
    exc = error(text)
    assert exc.code == "no_speakers"
    assert exc.line == line
    assert shown in exc.message and "'Speaker: message'" in exc.message


def test_no_speakers_truncates_a_long_line():
    exc = error("x" * 500 + "\n")
    assert exc.code == "no_speakers" and exc.line == 1
    assert "..." in exc.message and len(exc.message) < 250


def test_empty_messages_only():
    exc = error("Customer:\nAgent:\n")
    assert exc.code == "no_turns"


# --- robustness ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        b"Tom: " + b"a:" * 500_000,
        b"x\n" + b"[" * 500_000 + b"\nTom: hi\n",
        b"x\n" + b"(" + b"1" * 300_000 + b"\nTom: hi\n",
        b"Agent: Bob\n" * 3000 + b"Bob: hi\n",
        b"x\n" + b"1:" * 300_000 + b" Tom: hi\n" + b"Tom: ok\n",
        b"x\n" + b" " * 500_000 + b":\nTom: hi\n",
    ],
)
def test_hostile_input_is_fast(data):
    started = clock.perf_counter()
    with contextlib.suppress(InputError):
        list(read_bytes(data, "big.txt"))
    assert clock.perf_counter() - started < 3


def test_large_file_is_linear():
    line = "[2026-04-03 09:14:02] Agent (Tom): some message text with a few words in it\n"
    small, large = (line * 2000).encode(), (line * 20000).encode()
    options = IngestOptions(max_turns=20000)  # the reading's cost, not the limit on one conversation, is measured
    started = clock.perf_counter()
    list(read_bytes(small, "a.txt", options))
    small_time = clock.perf_counter() - started
    started = clock.perf_counter()
    list(read_bytes(large, "a.txt", options))
    assert clock.perf_counter() - started < max(30 * small_time, 1.0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab AT:[]()0123456789-*\n\t.,'😀é")), max_size=200))
def test_any_text_gives_transcripts_or_input_error(text):
    try:
        for transcript in read_bytes(text.encode(), "fuzz.txt"):
            assert transcript.turns
            assert all(t.line is None or t.line >= 1 for t in transcript.turns)
    except InputError as exc:
        assert exc.code in {"no_speakers", "no_turns", "empty", "binary", "malformed_json", "unsupported_structure"}  # .txt holding JSON is read as JSON
