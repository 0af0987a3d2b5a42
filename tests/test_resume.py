"""Interrupted ``score -o FILE`` runs: the journal beside the output, and ``--resume`` finishing it with exactly the
lines of an uninterrupted run (no duplicates, nothing lost)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from transcript_coach.cli import cli
from transcript_coach.ingest import iter_inputs, read_path
from transcript_coach.model import Failure
from transcript_coach.nlp import BATCH_TURNS
from transcript_coach.resume import (
    InputTracker,
    Journal,
    done_path,
    item_key,
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
        assert _leftovers(tmp_path) == ["out.jsonl"]
        out.unlink()


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


def test_the_same_file_named_twice_is_resumed_twice(tmp_path, monkeypatch):
    chat = tmp_path / "chat.txt"
    chat.write_text("Customer: my order is late\nAgent: Sorry, let me check it for you.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run("score", chat, chat, "-o", out).exit_code == 0
    clean = out.read_text(encoding="utf-8").splitlines()
    assert len(clean) == 2 and clean[0] == clean[1]
    out.unlink()
    with monkeypatch.context() as patch:
        patch.setattr(Journal, "finish", _stop)
        assert run("score", chat, chat, "-o", out).exit_code == 130
    journal_path(out).write_text(clean[0] + "\n", encoding="utf-8")  # stopped after the first copy
    result = run("score", chat, chat, "-o", out, "--resume")
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


def test_item_keys_tell_conversations_and_errors_apart():
    report = {"schema": "x", "source": "f.csv", "id": "c1", "turns": []}
    assert item_key(report) == item_key(dict(report, turns=[1])) != item_key(dict(report, id="c2"))
    failure = Failure("f.csv", "timeout", "f.csv: conversation 'c1' took too long").to_dict()
    assert item_key(failure) != item_key(report)
