"""WebVTT and SubRip call transcripts, called through the public entry point ``read_bytes``."""

from __future__ import annotations

import contextlib
import time as clock
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcript_coach.errors import InputError
from transcript_coach.ingest import IngestOptions, read_bytes
from transcript_coach.ingest.subtitles import parse_srt, parse_vtt
from transcript_coach.model import Transcript


def read(text: str | bytes, name: str, **options) -> Transcript:
    data = text.encode("utf-8") if isinstance(text, str) else text
    transcripts = list(read_bytes(data, name, IngestOptions(**options)))
    assert len(transcripts) == 1
    return transcripts[0]


def summary(transcript: Transcript) -> list[tuple[str, str | None, str]]:
    return [(t.role, t.speaker, t.text) for t in transcript.turns]


def error(text: str | bytes, name: str) -> InputError:
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(InputError) as info:
        list(read_bytes(data, name))
    return info.value


CALL_VTT = """WEBVTT - support call

NOTE agents: Ravi, Mei

1
00:00:01.000 --> 00:00:03.120 align:start
<v Ravi>Thanks for calling, <i>this is</i> Ravi.</v>

2
00:00:03.500 --> 00:00:06.000
<v.loud Dana>My <b>router</b> keeps <c.red>dropping</c> &amp; I'm fed up!

3
00:00:06.000 --> 00:00:08.000
It happens <00:00:07.000>every evening.

NOTE a comment between cues

00:00:08.500 --> 00:00:11.000
<v Ravi>I'm sorry.</v> <v Mei>I can book an engineer.</v>
<v Dana>Yes please
"""


# --- WebVTT ----------------------------------------------------------------------------------------------------
def test_vtt_voices_notes_tags_and_merging():
    transcript = read(CALL_VTT, "calls/call_17.vtt")
    assert (transcript.format, transcript.channel, transcript.id) == ("vtt", "voice", "call_17")
    assert summary(transcript) == [
        ("agent", "Ravi", "Thanks for calling, this is Ravi."),
        ("customer", "Dana", "My router keeps dropping & I'm fed up! It happens every evening."),
        ("agent", "Ravi", "I'm sorry."),
        ("agent", "Mei", "I can book an engineer."),
        ("customer", "Dana", "Yes please"),
    ]
    assert [t.timestamp for t in transcript.turns] == [
        time(0, 0, 1), time(0, 0, 3, 500000), time(0, 0, 8, 500000), time(0, 0, 8, 500000), time(0, 0, 8, 500000)
    ]
    assert [t.line for t in transcript.turns] == [6, 10, 19, 19, 19]
    assert parse_vtt(CALL_VTT, "call_17.vtt").agents == ("Ravi", "Mei")  # from "NOTE agents: Ravi, Mei"


@pytest.mark.parametrize(
    ("voice", "role", "speaker"),
    [
        ("<v Agent Ravi>", "agent", "Ravi"),
        ("<v Ravi (Support)>", "agent", "Ravi"),
        ("<v.first.loud Customer>", "customer", "Customer"),
        ("<v\tCaller>", "customer", "Caller"),
        ("<v Lumora Assistant (bot)>", "bot", "Lumora Assistant"),
    ],
)
def test_vtt_voice_labels(voice, role, speaker):
    transcript = read(f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{voice}Hello there\n", "a.vtt")
    assert summary(transcript) == [(role, speaker, "Hello there")]


def test_vtt_cue_without_voice_before_any_speaker():
    transcript = read(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello?\n\n00:00:02.000 --> 00:00:03.000\n<v Agent>Hi\n", "a.vtt"
    )
    assert [(t.speaker, t.text) for t in transcript.turns] == [(None, "hello?"), ("Agent", "Hi")]
    assert any("no speaker" in w for w in transcript.warnings)


def test_vtt_recorded_note_gives_datetimes():
    text = CALL_VTT.replace("NOTE agents: Ravi, Mei", "NOTE\nagents: Ravi, Mei\nrecorded: 2026-04-03T09:14:00Z")
    transcript = read(text, "a.vtt")
    start = datetime(2026, 4, 3, 9, 14, tzinfo=UTC)
    assert transcript.turns[0].timestamp == start + timedelta(seconds=1)
    assert transcript.turns[1].timestamp == start + timedelta(seconds=3.5)
    assert transcript.turns[0].role == "agent"


def test_vtt_speaker_prefix_fallback():
    transcript = read(
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:02.000\nAgent: Hello. Note: calls are recorded\nand kept.\n\n"
        "00:00:02.000 --> 00:00:04.000\n- Customer: Hi\n- Agent: Yes?\n\n"
        "00:00:04.000 --> 00:00:05.000\n[Dana] my router\n\n"
        "00:00:05.000 --> 00:00:06.000\n[inaudible] still broken\n",
        "a.vtt",
    )
    assert summary(transcript) == [
        ("agent", "Agent", "Hello. Note: calls are recorded and kept."),
        ("customer", "Customer", "Hi"),
        ("agent", "Agent", "Yes?"),
        ("customer", "Dana", "my router [inaudible] still broken"),
    ]


def test_vtt_prefix_is_ignored_when_the_file_has_voice_tags():
    transcript = read(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Agent>Hi\n\n00:00:02.000 --> 00:00:03.000\nCustomer: hmm\n",
        "a.vtt",
    )
    assert summary(transcript) == [("agent", "Agent", "Hi Customer: hmm")]


def test_vtt_offsets_after_24_hours_have_no_time():
    transcript = read(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Agent>Hi\n\n"
        "25:00:00.000 --> 25:00:01.000\n<v Customer>late\n",
        "a.vtt",
    )
    assert [t.timestamp for t in transcript.turns] == [time(0, 0, 1), None]
    assert any("24 hours" in w for w in transcript.warnings)


def test_vtt_blank_lines_before_header_and_short_timestamps():
    transcript = read("\n\nWEBVTT\n\n01:02.5 --> 01:03.000\n<v Agent>Hi\n", "a.vtt")
    assert transcript.turns[0].timestamp == time(0, 1, 2, 500000)
    assert transcript.turns[0].line == 5


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("hello\n00:00:01.000 --> 00:00:02.000\nhi\n", 1, "expected the file to start with 'WEBVTT', got 'hello'"),
        ("1\n00:00:01,000 --> 00:00:02,000\nhi\n", 1, "expected the file to start with 'WEBVTT'"),
        ("WEBVTT\n\nNOTE nothing else\n", None, "no cues found"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\n00:00:61.000 --> 00:01:02.000\nbad\n", 6,
         "'00:00:61.000 --> 00:01:02.000' could not be read"),
        ("WEBVTT\n\n00:00:01,000 --> 00:00:02,000\ncomma\n", 3, "could not be read"),
        # a timing line that is not one at all: webvtt-py drops the cue silently, we say where (QA regression)
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>hi\n\nxx:yy --> zz\n<v B>hello\n", 6,
         "cue timing 'xx:yy --> zz' could not be read"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n\ncue-7\n1:2 --> 3\nhello\n", 7, "'1:2 --> 3'"),
    ],
)
def test_vtt_errors(text, line, needle):
    exc = error(text, "bad.vtt")
    assert exc.code == "malformed_subtitles"
    assert exc.line == line
    assert needle in exc.message


CUES = ("00:00:00.000 --> 00:00:03.000\n<v Tom Becker>Thank you for calling Acme.\n\n"
        "00:00:03.500 --> 00:00:06.000\n<v Dana Kim>My invoice was charged twice.\n\n"
        "00:00:06.500 --> 00:00:09.000\n<v Tom Becker>Let me fix that.\n")


@pytest.mark.parametrize(
    ("note", "agents", "roles"),
    [
        # two declarations in one sentence-like line (QA regression: it made the roster "Tom Becker. Customer")
        ("NOTE\nRecorded call, queue \"Billing\".\nAgent: Tom Becker. Customer: Dana Kim.\n", ("Tom Becker",),
         ["agent", "customer", "agent"]),
        ("NOTE\nAgent: Tom Becker\nCustomer: Dana Kim\n", ("Tom Becker",), ["agent", "customer", "agent"]),
        ("NOTE agents: Tom Becker, Priya Raman\n", ("Tom Becker", "Priya Raman"), ["agent", "customer", "agent"]),
        # only the customer declared: Tom is then the agent (the other speaker)
        ("NOTE caller: Dana Kim.\n", (), ["agent", "customer", "agent"]),
        # a value that is not a list of names is no roster
        ("NOTE agent: please be polite on every call\n", (), None),
    ],
)
def test_vtt_note_rosters_are_read_strictly(note, agents, roles):
    conversation = parse_vtt(f"WEBVTT\n\n{note}\n{CUES}", "call.vtt")
    assert conversation.agents == agents
    transcript = read(f"WEBVTT\n\n{note}\n{CUES}", "call.vtt")
    if roles is not None:
        assert [t.role for t in transcript.turns] == roles
        assert not any("'Dana Kim'" in w for w in transcript.warnings if w.startswith("roles:"))


@pytest.mark.parametrize(
    ("tom", "dana", "roles", "speakers"),
    [
        ("<v.agent Tom Becker>", "<v Dana Kim>", ["agent", "customer", "agent"],
         ["Tom Becker", "Dana Kim", "Tom Becker"]),
        ("<v Tom Becker>", "<v.customer Dana Kim>", ["agent", "customer", "agent"], ["Tom Becker", "Dana Kim",
                                                                                   "Tom Becker"]),
        # a class that is no role word changes nothing
        ("<v.loud Tom Becker>", "<v Dana Kim>", None, ["Tom Becker", "Dana Kim", "Tom Becker"]),
    ],
)
def test_vtt_voice_classes_give_roles(tom, dana, roles, speakers):
    text = ("WEBVTT\n\n00:00:00.000 --> 00:00:03.000\n<v Tom Becker>Thanks for waiting.\n\n"
            f"00:00:03.500 --> 00:00:06.000\n{dana}My invoice was charged twice.\n\n"
            f"00:00:06.500 --> 00:00:09.000\n{tom}I can fix that for you.\n")
    transcript = read(text, "call.vtt")
    assert [t.speaker for t in transcript.turns] == speakers
    if roles is not None:
        assert [t.role for t in transcript.turns] == roles
        classed = "'Tom Becker'" if "." in tom else "'Dana Kim'"
        assert not any(classed in w for w in transcript.warnings if w.startswith("roles:"))  # stated, not guessed


def test_vtt_empty_text_error():
    with pytest.raises(InputError) as info:
        parse_vtt("", "x.vtt")
    assert (info.value.code, info.value.line) == ("malformed_subtitles", 1)
    assert "expected the file to start with 'WEBVTT'" in info.value.message


def test_vtt_without_extension_is_sniffed():
    assert read(CALL_VTT, "-").format == "vtt"


# --- SubRip ----------------------------------------------------------------------------------------------------
CALL_SRT = """1
00:00:01,000 --> 00:00:03,000
<i>Agent:</i> Thanks for calling, {\\an8}this is Ravi.

2
00:00:03,500 --> 00:00:06,000
Customer: My router keeps dropping.
It happens every evening.

3
00:00:06,000 --> 00:00:08,000
Every single evening.

4
00:00:08,500 --> 00:00:11,000
- Agent: I'm sorry.
- Customer: Thanks.

00:00:11,000 --> 00:00:12,000
[Ravi] No cue number on this one.
"""


def test_srt_prefixes_merging_and_tags():
    transcript = read(CALL_SRT, "call_9.srt")
    assert (transcript.format, transcript.channel, transcript.id) == ("srt", "voice", "call_9")
    assert summary(transcript) == [
        ("agent", "Agent", "Thanks for calling, this is Ravi."),
        ("customer", "Customer", "My router keeps dropping. It happens every evening. Every single evening."),
        ("agent", "Agent", "I'm sorry."),
        ("customer", "Customer", "Thanks."),
        ("customer", "Ravi", "No cue number on this one."),
    ]
    assert [t.timestamp for t in transcript.turns] == [
        time(0, 0, 1), time(0, 0, 3, 500000), time(0, 0, 8, 500000), time(0, 0, 8, 500000), time(0, 0, 11)
    ]
    assert [t.line for t in transcript.turns] == [2, 6, 15, 15, 19]


def test_srt_agents_roster_applies():
    transcript = read(CALL_SRT, "call_9.srt", agents=("Ravi",))
    assert transcript.turns[-1].role == "agent"


@pytest.mark.parametrize("labels", [("SPEAKER_00", "SPEAKER_01"), ("Speaker 1", "Speaker 2"), ("spk-0", "spk-1")])
def test_srt_diarised_speaker_labels(labels):
    agent, caller = labels
    transcript = read(
        f"1\n00:00:01,000 --> 00:00:04,000\n{agent}: Good afternoon, you're through to Fernway, I'm Joel.\n\n"
        f"2\n00:00:04,500 --> 00:00:08,000\n{caller}: Hi Joel, I've been locked out of online banking.\n",
        "call.srt",
    )
    assert [(t.speaker, t.text[:12]) for t in transcript.turns] == [(agent, "Good afterno"), (caller, "Hi Joel, I'v")]


def test_srt_colon_lines_continue_and_blank_line_inside_a_cue():
    transcript = read(
        "1\n00:00:01,000 --> 00:00:02,000\nAgent: Do this:\nStep 1: unplug it\n\nthen wait.\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\nCustomer: ok\n",
        "a.srt",
    )
    assert summary(transcript) == [
        ("agent", "Agent", "Do this: Step 1: unplug it then wait."),
        ("customer", "Customer", "ok"),
    ]


@pytest.mark.parametrize(
    "line", ["yeah: I think so", "Note: it's recorded", "Step 2: unplug it", "[Phone Rings] hello", "10:30: fine"]
)
def test_srt_lines_that_are_not_speaker_prefixes(line):
    text = f"1\n00:00:01,000 --> 00:00:02,000\nAgent: Hi\n\n2\n00:00:02,000 --> 00:00:03,000\n{line}\n"
    transcript = read(text, "a.srt")
    assert summary(transcript) == [("agent", "Agent", f"Hi {line}")]


def test_srt_parse_error_from_the_library_gets_a_line(monkeypatch):
    import srt

    text = "1\n00:00:01,000 --> 00:00:02,000\nAgent: Hi\n\n\n\n2\n00:00:02,000 --> 00:00:03,000\nCustomer: ok\n"
    error_at = len("1\n00:00:01,000 --> 00:00:02,000\nAgent: Hi\n\n")  # where cue 2 starts in the text srt sees

    def broken(checked):
        assert checked[error_at:].startswith("2\n00:00:02,000")
        raise srt.SRTParseError(error_at, len(checked), checked[error_at:])

    monkeypatch.setattr(srt, "parse", broken)
    exc = error(text, "a.srt")
    assert (exc.code, exc.line) == ("malformed_subtitles", 7)


def test_srt_without_speakers_warns():
    transcript = read("1\n00:00:01,000 --> 00:00:02,000\nhello\n\n2\n00:00:02,000 --> 00:00:03,000\nhi\n", "a.srt")
    assert summary(transcript) == [("customer", None, "hello hi")]
    assert any("no speaker names" in w for w in transcript.warnings)


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("hello there\n", 1, "expected a subtitle cue, got 'hello there'"),
        ("\n\nTitle\n1\n00:00:01,000 --> 00:00:02,000\nx\n", 3, "got 'Title'"),
        ("1\n00:00:01,000 -> 00:00:02,000\nx\n", 2, "'00:00:01,000 -> 00:00:02,000' could not be read"),
        ("1\n00:00:01,000 --> 00:00:02,000\nx\n\n00:00:05 is the time\n", 5, "could not be read"),
        ("1\n999999999:00:01,000 --> 999999999:00:02,000\nx\n", 2, "out of range"),
        ("1\n00:00:01,000 --> 00:00:02,000\n" + "4" * 40 + "\n", 3, "40-digit number"),
    ],
)
def test_srt_errors(text, line, needle):
    exc = error(text, "bad.srt")
    assert exc.code == "malformed_subtitles"
    assert exc.line == line
    assert needle in exc.message


def test_srt_no_cues():
    with pytest.raises(InputError) as info:
        parse_srt("\n \n", "x.srt")
    assert info.value.code == "malformed_subtitles" and "no subtitle cues" in info.value.message


# --- encodings and robustness ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "name"), [(CALL_VTT, "a.vtt"), (CALL_SRT, "a.srt")])
@pytest.mark.parametrize("encoding", ["crlf", "utf-16", "utf-8-sig"])
def test_encodings(text, name, encoding):
    plain = read(text, name)
    data = text.replace("\n", "\r\n").encode() if encoding == "crlf" else text.encode(encoding)
    converted = read(data, name)
    assert summary(converted) == summary(plain)
    assert [t.line for t in converted.turns] == [t.line for t in plain.turns]


def test_unicode_text():
    transcript = read("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Zoë>Ça marche 👍 &lt;3\n", "a.vtt")
    assert transcript.turns[0].text == "Ça marche 👍 <3"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"x" + b"1" * 200_000 + b"x", "a.srt"),
        (b"x" + b" " * 200_000 + b"x", "a.srt"),
        (b"1\n00:00:01,000 --> 00:00:02,000\nAgent: hi\n" + b" " * 200_000 + b"x\n", "a.srt"),
        (b"1\n00:00:01,000 --> 00:00:02,000\nAgent: hi\n\n" + b"\n" * 200_000 + b"x\n", "a.srt"),
        (b"1\n00:00:01,000 --> 00:00:02,000\n" + (b"1" * 30 + b"\n") * 5000, "a.srt"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + b"<" * 200_000 + b"\n", "a.vtt"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v " + b"a" * 200_000 + b"\n", "a.vtt"),
        (b"WEBVTT\n\n" + b"1" * 200_000 + b" --> 00:00:02.000\nx\n", "a.vtt"),
    ],
)
def test_hostile_input_is_fast(data, name):
    started = clock.perf_counter()
    with contextlib.suppress(InputError):
        list(read_bytes(data, name))
    assert clock.perf_counter() - started < 3


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(["WEBVTT", "", "1", "00:00:01.000 --> 00:00:02.000", "00:00:01,000 --> 00:00:02,000",
                         "<v Agent>hi", "Customer: hey", "NOTE agents: Ravi", "00:00:0x --> y", "- Agent: a",
                         "[Dana] b", "<b>bold</i>", "-->", "99:99:99.999 --> 1:2.3", "&amp;"]),
        max_size=12,
    ),
    st.sampled_from(["a.vtt", "a.srt"]),
)
def test_any_cue_soup_gives_transcripts_or_input_error(lines, name):
    try:
        for transcript in read_bytes("\n".join(lines).encode(), name):
            assert transcript.turns
    except InputError as exc:
        assert exc.code in {"malformed_subtitles", "no_turns", "empty"}
