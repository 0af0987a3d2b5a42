"""Interrupted ``score -o FILE`` runs: the journal beside the output, and ``--resume`` finishing it with exactly the
lines of an uninterrupted run (no duplicates, nothing lost)."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import os
import json
import shutil
import zipfile
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from transcript_coach.cli import cli
from transcript_coach.errors import UsageError
from transcript_coach.coach import Coach
from transcript_coach.ingest import iter_inputs, read_path
from transcript_coach.language import load_identifier
from transcript_coach.model import Failure, Transcript
from transcript_coach.nlp import BATCH_TURNS
from transcript_coach.resume import (
    _STORES,
    InputTracker,
    Journal,
    done_path,
    written_for,
    journal_path,
)

BAD_JSON = '{"turns": [{"role": "customer", "text": "hi"}, {"role": '


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def batch(tmp_path_factory, samples) -> Path:
    """Copies of every sample (multi-conversation CSV, JSONL and mbox files included) and a broken file, in six
    folders: enough work that a signal lands mid-run. One process scores a batch of ``BATCH_TURNS`` turns and then
    writes its reports in a burst: with fewer turns than that, the only moment a run has written some of its lines
    and not all is that burst, which the test can miss; with more, the next batch is being scored after it."""
    root = tmp_path_factory.mktemp("batch")
    for copy in "abcdef":
        shutil.copytree(samples, root / copy, ignore=shutil.ignore_patterns("README*"))
    (root / "a" / "broken.json").write_text(BAD_JSON, encoding="utf-8")
    readable = [p for p in iter_inputs([root]) if p.name != "broken.json"]
    assert sum(len(t.turns) for p in readable for t in read_path(p)) > BATCH_TURNS
    return root


@pytest.fixture(scope="module")
def clean(batch, tmp_path_factory) -> list[str]:
    """The lines of an uninterrupted run."""
    out = tmp_path_factory.mktemp("clean") / "out.jsonl"
    result = run("score", batch, "-o", out, "-q")
    assert result.exit_code == 1, result.stderr  # the broken file
    assert not journal_path(out).exists() and not done_path(out).exists()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 50 and len(set(lines)) == len(lines)
    return lines


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# with --jobs 2, a main process killed outright cannot end its workers: they notice it is gone and exit by themselves
@pytest.mark.parametrize("signame, jobs", [("SIGKILL", "1"), ("SIGKILL", "2"), ("SIGINT", "2")])
def test_killed_run_resumes_to_the_same_output(batch, clean, tmp_path, signame, jobs):
    out = tmp_path / "out.jsonl"
    journal = journal_path(out)
    command = [sys.executable, "-m", "transcript_coach.cli", "score", str(batch), "-o", str(out), "-q", "--jobs", jobs]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 5:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(getattr(signal, signame))
    _, stderr = process.communicate(timeout=60)
    written = journal.read_text(encoding="utf-8").splitlines()
    assert not out.exists(), "the output file appears only when complete"
    assert 5 <= len(written) < len(clean)
    if signame == "SIGINT":
        assert process.returncode == 130 and b"Traceback" not in stderr
        assert b"--resume" in stderr and str(journal).encode() in stderr
        assert written == clean[:len(written)]  # whole lines only

    resumed = subprocess.run(command + ["--resume"], check=False, capture_output=True, timeout=300)
    assert resumed.returncode == 1, resumed.stderr  # the broken file, recorded once
    assert b"Traceback" not in resumed.stderr
    assert out.read_text(encoding="utf-8").splitlines() == clean
    assert _leftovers(tmp_path) == ["out.jsonl"]


@pytest.fixture(scope="module")
def small(tmp_path_factory, samples) -> tuple[Path, list[str], str]:
    """A folder with multi-conversation files, the lines of its uninterrupted run and the sidecar header that run
    wrote (taken from a run stopped just before it would have finished)."""
    root = tmp_path_factory.mktemp("small")
    for name in ("chat_refund_priya_early.txt", "csv_mixed_conversations.csv", "jsonl_chat_exports.jsonl"):
        shutil.copy(samples / name, root / name)
    (root / "broken.json").write_text(BAD_JSON, encoding="utf-8")
    out = tmp_path_factory.mktemp("small-out") / "out.jsonl"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Journal, "finish", _stop)
        result = run("score", root, "-o", out, "-q")
    assert result.exit_code == 130 and "--resume" in result.stderr and not out.exists()
    lines = journal_path(out).read_text(encoding="utf-8").splitlines()
    header = done_path(out).read_text(encoding="utf-8").splitlines()[0]
    return root, lines, header


def _half_done_journal(out: Path, header: str, clean: list[str], cut: int) -> None:
    """The journal a run would leave after writing ``clean[:cut]`` and half a line, before syncing the markers of
    the last inputs it finished."""
    inputs = json.loads(header)["inputs"]
    sources = [json.loads(line)["source"] for line in clean[:cut]]
    done = [key for key in inputs if key in sources and key != sources[-1]][:-1]  # markers lag behind the lines
    done_path(out).write_text("\n".join([header, *map(json.dumps, done)]) + '\n"half', encoding="utf-8")
    journal_path(out).write_text("\n".join(clean[:cut]) + "\n" + clean[cut][:40], encoding="utf-8")


def test_resume_rescores_a_half_done_file_without_writing_its_conversations_twice(small, tmp_path):
    root, clean, header = small
    sources = [json.loads(line)["source"] for line in clean]
    csv_rows = [i for i, source in enumerate(sources) if source.endswith(".csv")]
    assert len(csv_rows) == 4
    for cut in (csv_rows[1] + 1, csv_rows[0]):  # half of the CSV's conversations written; the CSV not started
        out = tmp_path / "out.jsonl"
        _half_done_journal(out, header, clean, cut)
        result = run("score", root, "-o", out, "--resume")
        assert result.exit_code == 1  # broken.json, recorded once
        assert f"resuming: {cut} line(s) already in" in result.stderr
        assert out.read_text(encoding="utf-8").splitlines() == clean
        assert f"scored {len(clean) - 1} conversation(s), 1 failed, in " in result.stderr  # the whole file's counts
        assert _leftovers(tmp_path) == ["out.jsonl"]
        out.unlink()


def test_a_resumed_run_into_a_compressed_file_compresses_the_whole_journal_when_it_finishes(small, tmp_path):
    root, clean, header = small
    out = tmp_path / "out.jsonl.gz"
    _half_done_journal(out, header, clean, len(clean) // 2)
    result = run("score", root, "-o", out, "--resume")
    assert result.exit_code == 1  # broken.json, recorded once
    assert gzip.decompress(out.read_bytes()).decode("utf-8").splitlines() == clean
    assert _leftovers(tmp_path) == ["out.jsonl.gz"]


def _compressed_journal(out: Path, header: str, clean: list[str], cut: int, tail: slice) -> None:
    """The journal of a compressed FILE, as a run leaves it after writing ``clean[:cut]`` and the ``tail`` bytes of
    the next line's record."""
    _half_done_journal(out, header, clean, cut)
    sidecar = done_path(out).read_text(encoding="utf-8").split("\n")
    done_path(out).write_text("\n".join([json.dumps({**json.loads(sidecar[0]), "journal": "zlib"}), *sidecar[1:]]),
                              encoding="utf-8")
    store = _STORES["zlib"]
    journal_path(out).write_bytes(b"".join(store.encode(line + "\n") for line in clean[:cut])
                                  + store.encode(clean[cut] + "\n")[tail])


@pytest.mark.parametrize("tail", [slice(0, 2), slice(0, 4), slice(0, 60), slice(0, -1)])  # in the length, the data
def test_a_compressed_journal_cut_inside_a_line_resumes_to_the_same_output(small, tmp_path, tail):
    root, clean, header = small
    out = tmp_path / "out.jsonl.gz"
    _compressed_journal(out, header, clean, len(clean) // 2, tail)
    result = run("score", root, "-o", out, "--resume")
    assert result.exit_code == 1  # broken.json, recorded once
    assert f"resuming: {len(clean) // 2} line(s) already in" in result.stderr
    assert gzip.decompress(out.read_bytes()).decode("utf-8").splitlines() == clean
    assert _leftovers(tmp_path) == ["out.jsonl.gz"]


def test_a_damaged_line_of_a_compressed_journal_is_refused(small, tmp_path):
    root, clean, header = small
    out = tmp_path / "out.jsonl.xz"
    _compressed_journal(out, header, clean, 3, slice(0, 0))
    damaged = bytearray(journal_path(out).read_bytes())
    second = 4 + struct.unpack(">I", damaged[:4])[0]
    damaged[second + 30] ^= 0xFF  # inside the second line's compressed data
    journal_path(out).write_bytes(bytes(damaged))
    result = run("score", root, "-o", out, "--resume")
    assert result.exit_code == 2 and f"{journal_path(out)}:2 is not a report" in result.stderr


@pytest.mark.parametrize("length", [0xFFFFFFF0, 5])  # far past the journal's end; inside the line's own stream
def test_a_damaged_length_in_a_compressed_journal_is_refused_without_reading_on(small, tmp_path, length):
    """A damaged length is damage, not a line cut short: before, the rest of the journal was read at once (gigabytes
    for a year's run), taken as a cut and dropped."""
    root, clean, header = small
    out = tmp_path / "out.jsonl.gz"
    _compressed_journal(out, header, clean, len(clean) // 2, slice(0, 0))
    damaged = bytearray(journal_path(out).read_bytes())
    second = 4 + struct.unpack(">I", damaged[:4])[0]
    damaged[second:second + 4] = struct.pack(">I", length)
    journal_path(out).write_bytes(bytes(damaged))
    asked: list[int] = []

    class Journal(io.BytesIO):
        def read(self, size=-1):
            asked.append(size)
            return super().read(size)

    lines = list(_STORES["zlib"].read(Journal(bytes(damaged))))
    assert lines[0][1] == clean[0].encode("utf-8") + b"\n" and lines[1:] == [(second, None)]
    assert max(asked) <= 1 << 20
    result = run("score", root, "-o", out, "--resume")
    assert result.exit_code == 2 and f"{journal_path(out)}:2 is not a report" in result.stderr


def test_a_killed_run_into_a_compressed_file_keeps_a_compressed_journal_and_resumes(batch, clean, tmp_path):
    out = tmp_path / "out.jsonl.bz2"
    journal = journal_path(out)
    command = [sys.executable, "-m", "transcript_coach.cli", "score", str(batch), "-o", str(out), "-q"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and journal.stat().st_size > 20_000:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.kill()
    process.communicate(timeout=60)
    with open(journal, "rb") as handle:
        kept = [line for _, line in _STORES["zlib"].read(handle)]
    whole = [line for line in kept if line.endswith(b"\n")]
    assert whole and [line.decode("utf-8").rstrip("\n") for line in whole] == clean[:len(whole)]
    assert journal.stat().st_size < sum(map(len, whole)) / 2  # compressed: far less than the lines as text
    resumed = subprocess.run(command + ["--resume"], check=False, capture_output=True, timeout=300)
    assert resumed.returncode == 1, resumed.stderr  # the broken file, recorded once
    assert bz2.decompress(out.read_bytes()).decode("utf-8").splitlines() == clean
    assert _leftovers(tmp_path) == ["out.jsonl.bz2"]


def test_resume_analyses_only_the_conversations_the_journal_lacks(small, tmp_path, monkeypatch):
    """What a half-done export already has in the journal is read again but not scored again: a year's export
    stopped near its end resumes in minutes, not hours."""
    root, clean, header = small
    documents = [json.loads(line) for line in clean]
    cut = [i for i, d in enumerate(documents) if d["source"].endswith(".csv")][1] + 1  # two of the CSV's four
    analysed: list[tuple[str, str]] = []
    report = Coach._report
    monkeypatch.setattr(Coach, "_report", lambda self, docs, *a: analysed.append(
        (docs.transcript.source, docs.transcript.id)) or report(self, docs, *a))
    out = tmp_path / "out.jsonl"
    _half_done_journal(out, header, clean, cut)
    result = run("score", root, "-o", out, "--resume", "--jobs", "1")  # --jobs 2 is checked by test_parallel
    assert result.exit_code == 1, result.stderr  # broken.json, recorded once
    assert out.read_text(encoding="utf-8").splitlines() == clean
    assert analysed == [(d["source"], d["id"]) for d in documents[cut:] if "error" not in d]


def _stopped_run(folder: Path, out: Path) -> tuple[list[str], str]:
    """The lines and the sidecar header of a run of ``folder`` stopped just before it would have finished."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Journal, "finish", _stop)
        assert run("score", folder, "-o", out, "-q").exit_code == 130
    return (journal_path(out).read_text(encoding="utf-8").splitlines(),
            done_path(out).read_text(encoding="utf-8").splitlines()[0])


def test_resume_refuses_inputs_that_changed_since_the_interrupted_run(tmp_path, samples):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "chat.txt").write_text("Customer: my order is late\nAgent: Sorry, let me check it.\n", encoding="utf-8")
    export = folder / "export.csv"
    shutil.copy(samples / "csv_mixed_conversations.csv", export)
    out = tmp_path / "out.jsonl"
    clean, header = _stopped_run(folder, out)
    assert len(clean) == 5  # the chat, then the export's four conversations
    original = export.read_text(encoding="utf-8")
    first_id = json.loads(clean[1])["id"]

    _half_done_journal(out, header, clean, 3)
    export.write_text(original.replace(first_id, "renamed"), encoding="utf-8")
    result = run("score", folder, "-o", out, "--resume")
    assert result.exit_code == 2 and f"cannot resume: {export} gives conversation" in result.stderr
    assert "line 2 of" in result.stderr and "changed since" in result.stderr
    assert journal_path(out).read_text(encoding="utf-8").splitlines() == clean[:3] and not out.exists()

    _half_done_journal(out, header, clean, 4)  # three of the export's conversations written; it now has two
    last_two = {json.loads(line)["id"] for line in clean[3:]}
    with open(export, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(row for row in csv.reader(io.StringIO(original)) if row[0] not in last_two)
    result = run("score", folder, "-o", out, "--resume")
    assert result.exit_code == 2 and "the inputs give fewer conversations than" in result.stderr
    assert journal_path(out).read_text(encoding="utf-8").splitlines() == clean[:4] and not out.exists()

    export.write_text(original, encoding="utf-8")  # put back as it was: the same journal resumes
    result = run("score", folder, "-o", out, "--resume")
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").splitlines() == clean


def test_resume_reads_the_journal_a_line_at_a_time(small, tmp_path):
    """A run of a million conversations leaves gigabytes of journal: opening it holds one line, not the file."""
    root, clean, header = small
    out = tmp_path / "out.jsonl"
    _half_done_journal(out, header, clean, 1)
    with open(journal_path(out), "w", encoding="utf-8") as journal:
        for _ in range(300):
            journal.write("\n".join(clean) + "\n")
    size = journal_path(out).stat().st_size
    assert size > 20_000_000
    load_identifier()  # a language model loading in another thread would be counted too
    tracemalloc.start()
    try:
        opened = Journal.open(out, inputs=[], command=json.loads(header)["command"], resume=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    opened.close()
    assert opened.kept == 300 * len(clean) and peak < size / 10


def test_resume_refuses_a_journal_of_other_inputs_or_options(small, tmp_path):
    root, clean, header = small
    out = tmp_path / "out.jsonl"
    _half_done_journal(out, header, clean, 3)
    before = journal_path(out).read_bytes()
    result = run("score", root, "-o", out, "--resume", "--agents", "Tom")
    assert result.exit_code == 2 and "other inputs or options" in result.stderr
    result = run("score", root / "broken.json", "-o", out, "--resume")
    assert result.exit_code == 2 and "other inputs or options" in result.stderr
    assert journal_path(out).read_bytes() == before and not out.exists()


def test_resume_refuses_a_damaged_journal(small, tmp_path):
    root, clean, header = small
    out = tmp_path / "out.jsonl"
    _half_done_journal(out, header, clean, 3)
    journal_path(out).write_text(clean[0] + "\nnot a report\n" + clean[1] + "\n", encoding="utf-8")
    result = run("score", root, "-o", out, "--resume")
    assert result.exit_code == 2 and f"{journal_path(out)}:2 is not a report" in result.stderr
    done_path(out).write_text("garbage\n", encoding="utf-8")
    result = run("score", root, "-o", out, "--resume")
    assert result.exit_code == 2 and "missing or damaged" in result.stderr


@pytest.mark.parametrize("sidecar, message", [
    (lambda header, inputs: header, "missing or damaged"),  # the header cut short
    (lambda header, inputs: json.dumps({**json.loads(header), "inputs": [*inputs, 5]}) + "\n", "missing or damaged"),
    (lambda header, inputs: f"{header}\n5\n", "missing or damaged"),  # a marker that is not an input
    (lambda header, inputs: f"{header}\n{json.dumps(inputs[1])}\n", "does not match its input list"),  # not in order
    (lambda header, inputs: "\n".join([header, *map(json.dumps, inputs * 2)]) + "\n", "does not match its input list"),
])
def test_resume_refuses_a_sidecar_that_does_not_list_its_inputs_in_order(small, tmp_path, sidecar, message):
    """The sidecar is read a line at a time (a year's run lists a million inputs); whatever damage it holds is
    refused with a message, never a traceback."""
    root, clean, header = small
    out = tmp_path / "out.jsonl"
    _half_done_journal(out, header, clean, 3)
    done_path(out).write_text(sidecar(header, json.loads(header)["inputs"]), encoding="utf-8")
    result = run("score", root, "-o", out, "--resume")
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_resume_without_a_journal_scores_everything(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text("Customer: my order is late\nAgent: Sorry, let me check it for you.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("score", chat, "-o", out, "--resume")
    assert result.exit_code == 0 and "nothing to resume" in result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    assert _leftovers(tmp_path) == ["chat.txt", "out.jsonl"]


def test_a_new_run_replaces_an_old_journal_with_a_warning(tmp_path):
    chat = tmp_path / "chat.txt"
    chat.write_text("Customer: my order is late\nAgent: Sorry, let me check it for you.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    journal_path(out).write_text("stale\n", encoding="utf-8")
    result = run("score", chat, "-o", out)
    assert result.exit_code == 0 and "replaced" in result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["source"] == str(chat)
    assert _leftovers(tmp_path) == ["chat.txt", "out.jsonl"]


@pytest.mark.parametrize("args", [["--resume"], ["--resume", "--format", "csv", "-o", "x.csv"]])
def test_resume_needs_a_jsonl_output_file(tmp_path, args):
    result = run("score", tmp_path, *args)
    assert result.exit_code == 2 and "--resume" in result.stderr


def _stop(self):
    raise KeyboardInterrupt


def test_the_same_file_named_twice_is_scored_once_and_resumed_once(tmp_path, monkeypatch):
    chat, other = tmp_path / "chat.txt", tmp_path / "other.txt"
    chat.write_text("Customer: my order is late\nAgent: Sorry, let me check it for you.\n", encoding="utf-8")
    other.write_text("Customer: where is my refund\nAgent: It was sent today.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("score", chat, other, chat, "-o", out)
    assert result.exit_code == 0 and "named more than once" in result.stderr
    clean = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in clean] == ["chat", "other"]
    out.unlink()
    with monkeypatch.context() as patch:
        patch.setattr(Journal, "finish", _stop)
        assert run("score", chat, other, chat, "-o", out).exit_code == 130
    journal_path(out).write_text(clean[0] + "\n", encoding="utf-8")  # stopped after the first file
    result = run("score", chat, other, chat, "-o", out, "--resume")
    assert result.exit_code == 0 and "resuming: 1 line(s)" in result.stderr
    assert out.read_text(encoding="utf-8").splitlines() == clean


def test_tracker_completes_inputs_in_order_and_understands_analysis_error_sources():
    tracker = InputTracker(["a.txt", "b.csv", "c.txt", "d.txt"])
    assert tracker.advance("a.txt") == []
    assert tracker.advance("b.csv") == ["a.txt"]
    assert tracker.advance("b.csv#conv-2") == []  # an analysis error of a conversation in b.csv
    assert tracker.advance("elsewhere") == []  # unknown: nothing is assumed complete
    assert tracker.advance("d.txt") == ["b.csv", "c.txt"]  # c.txt gave nothing at all
    assert tracker.advance("a.txt") == []  # never backwards


def test_a_journal_line_is_written_for_its_own_conversation_or_unreadable_input_only():
    conversation = Transcript(id="c1", turns=(), source="f.csv")
    report = {"schema": "x", "source": "f.csv", "id": "c1", "turns": []}
    assert written_for(report, conversation)
    assert not written_for(dict(report, id="c2"), conversation)
    assert not written_for(dict(report, source="g.csv"), conversation)
    timeout = Failure("f.csv", "timeout", "f.csv: conversation 'c1' took too long").to_dict()
    crash = Failure("f.csv#c1", "internal_error", "f.csv#c1: unexpected error").to_dict()
    assert written_for(timeout, conversation) and written_for(crash, conversation)  # its analysis failed
    assert not written_for(Failure("f.csv#c2", "internal_error", "...").to_dict(), conversation)
    unreadable = Failure("f.csv", "decode", "f.csv: not UTF-8")
    assert written_for(unreadable.to_dict(), unreadable)
    assert not written_for(report, unreadable)
    assert not written_for(Failure("f.csv", "too_large", "f.csv: too big").to_dict(), unreadable)


_AWKWARD = ["plain.json", 'quote"d\\back\\slash.json', "emoji 😀 ünïcode.json", "tab\there.csv#conv-1", "", "{}"]


@pytest.mark.parametrize("source", _AWKWARD)
def test_a_journal_line_is_read_from_its_start_as_its_decoded_whole_says(source):
    """``_line_head`` reads a line's source and kind from the first members ``jsonl_line`` writes; decoding the whole
    line must say the same, for reports, error records and lines laid out otherwise."""
    from transcript_coach.reporting import jsonl_line
    from transcript_coach.resume import _line_head

    report = Coach().analyze(Transcript.from_turns([
        {"role": "customer", "text": "My parcel never arrived."},
        {"role": "agent", "text": "I'm sorry about that, let me check the tracking for you."},
    ], id=source or "conversation", source=source))
    lines = [jsonl_line(report).encode("utf-8"),
             jsonl_line(Failure(source, "unreadable", "cannot be read", line=3)).encode("utf-8"),
             (json.dumps({"source": source, "error": {"code": "x"}, "schema": "s"}) + "\n").encode("utf-8"),
             (json.dumps({"schema": "s", "id": None, "source": source, "format": "f"}) + "\n").encode("utf-8")]
    for line in lines:
        document = json.loads(line)
        assert _line_head(line) == (document["source"], "error" in document)
    assert _line_head(b'{"schema": "s", "source": "a", "error": {"code": "x", "mess\n') is None  # cut short
    assert _line_head(b"[1, 2]\n") is None
    for damaged in (b"a\\qb", b"a\tb"):  # an invalid escape, a raw control character: not JSON, not a traceback
        assert _line_head(b'{"schema": "s", "id": "c", "source": "' + damaged + b'", "format": "f"}\n') is None


def test_resume_refuses_a_journal_line_damaged_in_its_middle_when_it_reads_it_again(small, tmp_path):
    """Opening a journal reads only how each line starts and ends; a pending input's line damaged in between is
    refused (exit 2, naming the line) when it is read whole to be matched, not met with a traceback."""
    root, clean, header = small
    sources = [json.loads(line)["source"] for line in clean]
    cut = [i for i, source in enumerate(sources) if source.endswith(".csv")][1] + 1  # two of the CSV's four written
    out = tmp_path / "out.jsonl"
    _half_done_journal(out, header, clean, cut)
    lines = journal_path(out).read_text(encoding="utf-8").split("\n")
    middle = len(lines[cut - 1]) // 2
    lines[cut - 1] = lines[cut - 1][:middle] + '"]' + lines[cut - 1][middle:]
    with pytest.raises(ValueError):
        json.loads(lines[cut - 1])
    journal_path(out).write_text("\n".join(lines), encoding="utf-8")
    result = run("score", root, "-o", out, "--resume")
    assert result.exit_code == 2 and f"{journal_path(out)}:{cut} is not a report" in result.stderr


def test_an_interrupted_run_over_a_zip_archive_resumes_to_the_same_output(small, tmp_path):
    """The journal names the archive's members (``ARCHIVE/MEMBER``), and a resumed run reads them by those names."""
    root = small[0]
    packed = tmp_path / "small.zip"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(root.iterdir(), reverse=True):
            z.write(path, f"exports/{path.name}")
    out = tmp_path / "out.jsonl"
    clean, header = _stopped_run(packed, out)
    assert json.loads(header)["inputs"] == [f"{packed}/exports/{p.name}" for p in sorted(root.iterdir())]
    cut = len(clean) // 2
    _half_done_journal(out, header, clean, cut)
    result = run("score", packed, "-o", out, "--resume")
    assert result.exit_code == 1  # broken.json, recorded once
    assert f"resuming: {cut} line(s) already in" in result.stderr
    assert out.read_text(encoding="utf-8").splitlines() == clean


def test_an_input_whose_name_is_not_utf8_is_listed_in_the_journal_and_resumed(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    chat = "Customer: my order is late\nAgent: Sorry, let me check it for you.\n"
    try:
        (folder / os.fsdecode(b"caf\xe9.txt")).write_text(chat, encoding="utf-8")  # a Latin-1 name
    except OSError:
        pytest.skip("this file system takes only UTF-8 file names")
    (folder / "later.txt").write_text(chat, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run("score", folder, "-o", out, "-q").exit_code == 0
    clean = out.read_text(encoding="utf-8").splitlines()
    out.unlink()
    with monkeypatch.context() as patch:
        patch.setattr(Journal, "finish", _stop)
        assert run("score", folder, "-o", out, "-q").exit_code == 130
    inputs = json.loads(done_path(out).read_text(encoding="utf-8").splitlines()[0])["inputs"]
    assert os.fsencode(inputs[0]).endswith(b"/caf\xe9.txt")  # the sidecar's JSON escape gives the name back
    journal_path(out).write_text(clean[0] + "\n", encoding="utf-8")  # stopped after the first file
    result = run("score", folder, "-o", out, "--resume")
    assert result.exit_code == 0 and "resuming: 1 line(s)" in result.stderr
    assert out.read_text(encoding="utf-8").splitlines() == clean


@pytest.mark.skipif(sys.platform == "win32", reason="journals are locked with flock, a POSIX call")
def test_a_second_run_writing_the_same_file_is_refused_while_the_first_runs(small, tmp_path):
    """Two runs with one -o FILE at once (a scheduled job started again before the last one ended) would each
    truncate the other's journal: the second is refused, and the first's journal is left as it was."""
    folder, out = small[0], tmp_path / "out.jsonl"
    first = Journal.open(out, inputs=["a.txt", "b.txt"], command={"paths": ["x"]}, resume=False)
    first.write(Failure("a.txt", "empty", "a.txt: file is empty"))
    first._sync()
    held = journal_path(out).read_bytes(), done_path(out).read_bytes()
    with pytest.raises(UsageError, match="another transcript-coach run is writing it now"):
        Journal.open(out, inputs=["c.txt"], command={"paths": ["y"]}, resume=False)
    result = run("score", folder, "-o", out, "-q")
    assert result.exit_code == 2 and "another transcript-coach run is writing it now" in result.output
    result = run("score", folder, "-o", out, "-q", "--resume")
    assert result.exit_code == 2 and "another transcript-coach run is writing it now" in result.output
    assert (journal_path(out).read_bytes(), done_path(out).read_bytes()) == held
    first.close()  # interrupted: its journal is kept, and another run may take it over
    second = Journal.open(out, inputs=["c.txt"], command={"paths": ["y"]}, resume=False)
    second.write(Failure("c.txt", "empty", "c.txt: file is empty"))
    second.finish()
    assert _leftovers(tmp_path) == ["out.jsonl"]
    assert run("score", folder, "-o", out, "-q").exit_code in (0, 1)  # finished: its lock is gone too


def test_a_refused_resume_leaves_no_sidecar_behind(small, tmp_path):
    folder, out = small[0], tmp_path / "out.jsonl"
    journal_path(out).write_text('{"schema": "transcript-coach/report/v1"', encoding="utf-8")
    result = run("score", folder, "-o", out, "--resume")
    assert result.exit_code == 2 and "missing or damaged" in result.output
    assert _leftovers(tmp_path) == ["out.jsonl.partial"]
