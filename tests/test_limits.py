"""Limits on what one input may cost: file size, turn length and a per-conversation time limit."""

from __future__ import annotations

import gzip
import json
import math
import os
import threading
import time
from importlib import resources

import pytest
from click.testing import CliRunner

from transcript_coach import Coach, Transcript, limits
from transcript_coach import coach as coach_module
from transcript_coach.cli import cli
from transcript_coach.errors import AnalysisTimeout, DataFileError, InputError
from transcript_coach.ingest import IngestOptions, read_bytes, read_path
from transcript_coach.limits import (
    DEFAULT_MAX_TURN_CHARS,
    DEFAULT_TIMEOUT_SECONDS,
    check_time,
    time_limit,
)
from transcript_coach.nlp import load_pipeline, parse_stream

CHAT = (
    "[2026-04-03 09:14:02] Customer: Hi, my parcel 48213 has not arrived and I am getting worried about it.\n"
    "[2026-04-03 09:15:10] Agent (Tom): Sorry to hear that! Let me check parcel 48213 for you right away.\n"
    "[2026-04-03 09:16:00] Customer: Thanks.\n"
)


@pytest.fixture(scope="module")
def coach():
    return Coach()


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_defaults_come_from_the_data_file():
    settings = json.loads(resources.files("transcript_coach.data").joinpath("limits.json").read_text("utf-8"))
    assert DEFAULT_MAX_TURN_CHARS == settings["max_turn_chars"]
    assert DEFAULT_TIMEOUT_SECONDS == settings["timeout_seconds"]
    assert IngestOptions().max_turn_chars == DEFAULT_MAX_TURN_CHARS
    assert IngestOptions().max_file_bytes == settings["max_file_megabytes"] * 1024 * 1024


@pytest.mark.parametrize("value", [-1, "60", None, True, math.nan, math.inf])
def test_a_bad_limit_setting_is_refused_naming_it(monkeypatch, value):
    monkeypatch.setattr(limits, "load_json", lambda name: {"timeout_seconds": value})
    with pytest.raises(DataFileError, match="limits.json: 'timeout_seconds'"):
        limits._setting("timeout_seconds", 0)


# --- turn length ---------------------------------------------------------------------------------------------------


def test_a_long_turn_is_cut_with_a_warning_naming_it(coach, assert_valid):
    last = ("Thanks. " + "Still waiting here. " * 20).rstrip()
    text = CHAT.replace("Thanks.", last)
    (transcript,) = read_bytes(text.encode(), "c.txt", IngestOptions(max_turn_chars=60), name="c.txt")
    lengths = [len(t.text) for t in transcript.turns]
    assert max(lengths) <= 60 and lengths[2] >= 55
    warnings = [w for w in transcript.warnings if "--max-turn-chars" in w]
    assert len(warnings) == 3  # all three turns are longer than 60 characters
    assert warnings[2].startswith(f"turn 3 (line 3) is {len(last)} characters long; only its first 60 were kept")
    report = coach.analyze(transcript).to_dict()
    assert_valid(report)
    for e in report["evidence"]:
        assert report["turns"][e["turn"]]["text"][e["start"]:e["end"]] == e["text"]


def test_turns_within_the_limit_are_untouched():
    (transcript,) = read_bytes(CHAT.encode(), "c.txt", name="c.txt")
    assert not any("--max-turn-chars" in w for w in transcript.warnings)
    assert transcript.turns[1].text == "Sorry to hear that! Let me check parcel 48213 for you right away."


def test_cli_max_turn_chars(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(CHAT, encoding="utf-8")
    result = run("score", path, "--max-turn-chars", "20")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert all(len(t["text"]) <= 20 for t in report["turns"])
    assert "turn 1 (line 1)" in result.stderr and "--max-turn-chars" in result.stderr
    assert run("score", path, "--max-turn-chars", "0").exit_code == 2


# --- file size -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["file", "gzip file", "pipe", "bytes"])
def test_a_limit_far_above_memory_still_reads_every_input(tmp_path, kind):
    """``--max-file-size 1000000`` (a terabyte, to say no limit) must not ask for a terabyte to read a small file."""
    text = b"Customer: my order is late\nAgent: Sorry about that, it ships today.\n"
    options = IngestOptions(max_file_bytes=1 << 40)
    path = tmp_path / "chat.txt"
    path.write_bytes(gzip.compress(text) if kind == "gzip file" else text)
    if kind == "bytes":
        transcripts = list(read_bytes(text, "chat.txt", options))
    elif kind == "pipe":
        if not hasattr(os, "mkfifo"):
            pytest.skip("named pipes are not made this way here")
        fifo = tmp_path / "fifo.txt"
        os.mkfifo(fifo)
        writer = threading.Thread(target=fifo.write_bytes, args=(text,))
        writer.start()
        transcripts = list(read_path(fifo, options))
        writer.join()
    else:
        transcripts = list(read_path(path, options))
    assert [turn.text for turn in transcripts[0].turns] == ["my order is late", "Sorry about that, it ships today."]


def test_a_device_or_pipe_is_read_no_further_than_the_size_limit():
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        list(read_path("/dev/zero", IngestOptions(max_file_bytes=4096)))
    assert caught.value.code == "too_large" and "--max-file-size" in str(caught.value)
    assert time.perf_counter() - start < 5


# --- time limit ----------------------------------------------------------------------------------------------------


def test_time_limit_raises_only_inside_the_block_and_after_the_deadline():
    check_time()  # no limit set: nothing happens
    with time_limit(60, source="a.txt", conversation="c1"):
        check_time()
    with time_limit(1e-9, source="a.txt", conversation="c1"):
        time.sleep(0.001)
        with pytest.raises(AnalysisTimeout) as caught:
            check_time()
    check_time()
    assert caught.value.code == "timeout" and "'c1'" in str(caught.value) and "--timeout" in str(caught.value)
    with time_limit(None, source="a.txt", conversation="c1"):
        check_time()


def test_analyze_raises_past_the_time_limit(coach):
    transcript = Transcript.from_turns([{"role": "customer", "text": "My order is late."},
                                        {"role": "agent", "text": "Sorry, let me check."}], id="t1")
    slow = Coach.__new__(Coach)
    slow.__dict__.update(coach.__dict__, timeout=1e-9)
    with pytest.raises(AnalysisTimeout, match="'t1'"):
        slow.analyze(transcript)
    assert coach.analyze(transcript).id == "t1"  # no limit on the shared coach


def test_a_slow_conversation_becomes_a_timeout_record_and_the_batch_goes_on(coach, samples, monkeypatch,
                                                                             assert_valid):
    real = coach_module.detect_language

    def slow_for_one(transcript):
        if transcript.id == "csv-2002":
            time.sleep(0.5)
        return real(transcript)

    monkeypatch.setattr(coach_module, "detect_language", slow_for_one)
    limited = Coach.__new__(Coach)
    limited.__dict__.update(coach.__dict__, timeout=0.3)
    files = [samples / "chat_refund_priya_early.txt", samples / "csv_mixed_conversations.csv",
             samples / "call_warm_flight_cancelled.vtt"]
    items = [item.to_dict() for item in limited.score(files)]
    for item in items:
        assert_valid(item)
    errors = [item for item in items if "error" in item]
    assert len(errors) == 1 and errors[0]["error"]["code"] == "timeout"
    assert errors[0]["source"] == str(files[1]) and "'csv-2002'" in errors[0]["error"]["message"]
    reports = [item["id"] for item in items if "error" not in item]
    assert reports == ["chat_refund_priya_early", "csv-2001", "csv-2003", "csv-2004", "call_warm_flight_cancelled"]
    # the conversations after the slow one are the same as without any limit
    unlimited = {item.id: item.to_dict() for item in coach.score(files)}
    for item in items:
        if "error" not in item:
            assert item == unlimited[item["id"]]


def test_given_up_transcripts_are_not_parsed_further():
    nlp = load_pipeline()
    transcripts = [Transcript.from_turns([{"role": "customer", "text": f"hello number {i}"},
                                          {"role": "agent", "text": "hi there"}]) for i in range(3)]
    docs = list(parse_stream(nlp, transcripts, skip={1}))
    assert [d.text for d in docs] == ["hello number 0", "hi there", "", "", "hello number 2", "hi there"]


def test_cli_timeout_gives_an_error_record_per_conversation(tmp_path, assert_valid):
    path = tmp_path / "c.txt"
    path.write_text(CHAT, encoding="utf-8")
    result = run("score", path, "--timeout", "0.000001")
    assert result.exit_code == 1
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert_valid(record)
    assert record["error"]["code"] == "timeout" and "--timeout" in record["error"]["message"]
    assert "error:" in result.stderr and "Traceback" not in result.stderr
    assert run("score", path, "--timeout", "0").exit_code == 0  # 0: no limit
    assert run("score", path, "--timeout", "-1").exit_code == 2
