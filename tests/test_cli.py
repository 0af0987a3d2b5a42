from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import re
import stat
import threading

import pytest
from click.testing import CliRunner

from transcript_coach.cli import cli
from transcript_coach.ingest import FORMATS

GOOD_CHAT = (
    "[2026-04-03 09:14:02] Customer: Hi, my parcel 48213 has not arrived.\n"
    "[2026-04-03 09:15:10] Agent (Tom): Sorry to hear that! Let me check parcel 48213 for you.\n"
    "[2026-04-03 09:16:00] Customer: Thanks.\n"
)


def run(*args, input=None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.fixture
def broken_folder(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD_CHAT, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "truncated.json").write_text('{"turns": [\n  {"role": "customer", "text": "hi"},\n  {"role": ', "utf-8")
    (tmp_path / "stray.csv").write_text('conversation_id,speaker,text\nc1,Customer,"unclosed quote\nc1,Agent,hi\n', "utf-8")
    (tmp_path / "prose.txt").write_text("This is just a paragraph of prose.\nIt has no speakers at all.\n", "utf-8")
    (tmp_path / "notes.md").write_text("# not a transcript, skipped in folder walks\n", "utf-8")
    return tmp_path


def test_batch_carries_on_past_bad_files_and_exits_1(broken_folder, assert_valid):
    result = run("score", str(broken_folder))
    assert result.exit_code == 1
    records = lines(result.stdout)
    for record in records:
        assert_valid(record)
    by_name = {os.path.basename(r["source"]): r for r in records}
    assert "notes.md" not in by_name
    assert by_name["good.txt"]["turns"][1]["speaker"] == "Tom"
    codes = {name: r["error"]["code"] for name, r in by_name.items() if "error" in r}
    assert codes["empty.txt"] == "empty"
    assert codes["binary.txt"] == "binary"
    assert codes["truncated.json"] == "malformed_json"
    assert by_name["truncated.json"]["error"]["line"] == 3
    assert codes["stray.csv"] == "malformed_csv"
    assert codes["prose.txt"] == "no_speakers"
    for name in codes:
        assert name in result.stderr


def test_all_good_exits_0_and_reports_turns(tmp_path, assert_valid):
    path = tmp_path / "chat.txt"
    path.write_text(GOOD_CHAT, encoding="utf-8")
    result = run("score", str(path))
    assert result.exit_code == 0, result.stderr
    (report,) = lines(result.stdout)
    assert_valid(report)
    assert [t["role"] for t in report["turns"]] == ["customer", "agent", "customer"]
    assert report["started_at"] == "2026-04-03T09:14:02" and report["ended_at"] == "2026-04-03T09:16:00"
    assert report["agents"] == ["Tom"]
    assert report["metrics"]["duration_seconds"] == 118


def test_stdin_is_read_with_dash(assert_valid):
    result = run("score", "-", input=GOOD_CHAT)
    assert result.exit_code == 0
    (report,) = lines(result.stdout)
    assert report["source"] == "<stdin>" and len(report["turns"]) == 3


def test_missing_path_is_an_error_record_not_a_crash(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(GOOD_CHAT, encoding="utf-8")
    result = run("score", str(tmp_path / "nope.txt"), str(good))
    assert result.exit_code == 1
    records = lines(result.stdout)
    assert records[0]["error"]["code"] == "not_found" and "turns" in records[1]


def test_file_over_the_size_limit_is_refused(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("w", encoding="utf-8") as out:
        for i in range(760_000):  # about 52 MB
            out.write(f"Customer: message number {i} about my order, still waiting here ok\n")
    assert big.stat().st_size > 50 * 1024 * 1024
    result = run("score", str(big))
    assert result.exit_code == 1
    (record,) = lines(result.stdout)
    assert record["error"]["code"] == "too_large" and "--max-file-size" in record["error"]["message"]


def test_output_file_is_written_atomically(tmp_path):
    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")
    out = tmp_path / "out" / "reports.jsonl"
    out.parent.mkdir()
    result = run("score", str(chat), "-o", str(out))
    assert result.exit_code == 0
    assert len(lines(out.read_text("utf-8"))) == 1
    assert sorted(os.listdir(out.parent)) == ["reports.jsonl"]


@pytest.mark.parametrize("suffix, decompress", [(".gz", gzip.decompress), (".bz2", bz2.decompress),
                                               (".xz", lzma.decompress)])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_output_named_as_compressed_is_written_compressed(tmp_path, samples, fmt, suffix, decompress):
    plain, packed = tmp_path / f"reports.{fmt}", tmp_path / f"reports.{fmt}{suffix}"
    assert run("score", str(samples), "-q", "--format", fmt, "-o", str(plain)).exit_code == 0
    assert run("score", str(samples), "-q", "--format", fmt, "-o", str(packed), "--jobs", "2").exit_code == 0
    first = packed.read_bytes()
    assert decompress(first) == plain.read_bytes()
    assert run("score", str(samples), "-q", "--format", fmt, "-o", str(packed), "--jobs", "1").exit_code == 0
    assert packed.read_bytes() == first  # the same bytes every run (no time in a gzip header)
    assert sorted(os.listdir(tmp_path)) == sorted([plain.name, packed.name])


def test_a_compressed_output_that_fails_midway_leaves_nothing(tmp_path, monkeypatch):
    from transcript_coach import reporting

    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")

    def broken(items, out):
        out.write("a first line\n" * 1000)
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(reporting.WRITERS, "csv", broken)
    out = tmp_path / "out" / "reports.csv.gz"
    out.parent.mkdir()
    result = run("score", str(chat), "--format", "csv", "-o", str(out))
    assert result.exit_code != 0 and "No space left" in result.output
    assert "Traceback" not in result.output
    assert os.listdir(out.parent) == []


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_other_output_formats(tmp_path, fmt):
    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")
    (tmp_path / "bad.json").write_text("{", "utf-8")
    result = run("score", str(tmp_path), "--format", fmt)
    assert result.exit_code == 1
    if fmt == "json":
        documents = json.loads(result.stdout)
        assert [("error" in d) for d in documents] == [True, False]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert len(rows) == 2
        assert rows[0]["error"].startswith("malformed_json") and rows[1]["turns"] == "3"
        assert "empathy" in rows[1] and rows[1]["agents"] == "Tom"
    else:
        assert "ERROR" in result.stdout and "c.txt" in result.stdout
        assert "1 conversation(s) scored, 1 input(s) failed" in result.stdout


@pytest.mark.parametrize(
    "args",
    [["score"], ["score", "x.txt", "--format", "yaml"], ["score", "x.txt", "--agent-pattern", "(unclosed"],
     ["score", "x.txt", "--input-format", "docx"], ["nonsense"],
     ["score", "x.txt", "--max-file-size", "nan"], ["score", "x.txt", "--max-file-size", "inf"],
     ["score", "x.txt", "--timeout", "nan"], ["score", "x.txt", "--timeout", "infinity"]],
)
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage" in result.output or "Error" in result.output


def test_input_format_override(tmp_path):
    odd = tmp_path / "export.dat"
    odd.write_text('[{"role": "customer", "text": "hello"}, {"role": "agent", "text": "hi there"}]', "utf-8")
    result = run("score", str(odd), "--input-format", "json")
    assert result.exit_code == 0
    assert [t["role"] for t in lines(result.stdout)[0]["turns"]] == ["customer", "agent"]


def test_roster_option_sets_roles(tmp_path):
    chat = tmp_path / "c.txt"
    chat.write_text("Dana: hello, my order is late\nTom: hello\n", "utf-8")
    result = run("score", str(chat), "--agents", "Priya, Tom")
    (report,) = lines(result.stdout)
    assert [t["role"] for t in report["turns"]] == ["customer", "agent"]
    assert report["warnings"] == [] or all("roles:" not in w for w in report["warnings"])


def test_the_progress_line_counts_conversations_and_their_pace(capsys, monkeypatch):
    from transcript_coach import cli as cli_module
    from transcript_coach.reporting import Encoded

    clock = iter([100.0, 100.5, 100.5])  # started; the first after half a second, the second at once
    monkeypatch.setattr(cli_module.time, "monotonic", lambda: next(clock))
    progress = cli_module._Progress(quiet=False)
    progress.enabled = True  # as on a terminal
    items = [Encoded('{"id": "a"}\n', "chats/a.txt", "a"), Encoded('{"id": "b"}\n', "chats/b.txt", "b")]
    assert list(progress(items)) == items
    shown = capsys.readouterr().err
    assert "scored 1 conversation(s), 0 failed, 2/s: chats/a.txt" in shown
    assert "scored 2 conversation(s), 0 failed, 4/s: chats/b.txt" in shown


def test_a_run_ends_with_a_line_saying_what_the_output_holds_and_where(broken_folder, tmp_path):
    out = tmp_path / "reports.jsonl"
    for extra in ([], ["--format", "csv"]):
        result = run("score", str(broken_folder), "-o", str(out), *extra)
        assert result.exit_code == 1
        last = result.stderr.splitlines()[-1]
        assert re.fullmatch(rf"scored 1 conversation\(s\), 5 failed, in [\d,]+\.\d s; written to {re.escape(str(out))}",
                            last), last
    to_stdout = run("score", str(broken_folder / "good.txt"))
    assert len(lines(to_stdout.stdout)) == 1
    assert re.fullmatch(r"scored 1 conversation\(s\), 0 failed, in [\d,]+\.\d s", to_stdout.stderr.strip())
    quiet = run("score", str(broken_folder), "-o", str(out), "-q")
    assert "scored" not in quiet.stderr and "empty.txt" in quiet.stderr  # errors are still printed


def test_review_and_agents_count_the_reports_as_they_stream_in_on_a_terminal(capsys, monkeypatch):
    from transcript_coach import cli as cli_module

    clock = iter([10.0, 10.05, 10.2, 10.25, 10.4])  # started; each report's arrival
    monkeypatch.setattr(cli_module.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(cli_module.sys.stderr, "isatty", lambda: True)  # as a terminal gets it (codes kept)
    reports = [{"id": "a"}, {"error": {"code": "empty"}}, {"id": "b"}, {"id": "c"}]
    assert list(cli_module._counted(iter(reports), enabled=True)) == reports
    shown = capsys.readouterr().err
    # drawn at most every PACE_EVERY seconds: not at 10.05 nor 10.25
    assert shown.split("\r") == ["", "read 2 report(s), 1 could not be scored, 10/s",
                                 "read 4 report(s), 1 could not be scored, 10/s", "\033[K"]
    monkeypatch.setattr(cli_module.time, "monotonic", lambda: 99.0)
    assert list(cli_module._counted(iter(reports), enabled=False)) == reports
    assert capsys.readouterr().err == ""


def test_a_library_warning_erases_a_progress_line_first_on_a_terminal(capsys, monkeypatch):
    import logging

    from transcript_coach import cli as cli_module

    record = logging.LogRecord("transcript_coach.ingest", logging.WARNING, __file__, 1, "x: skipped", None, None)
    cli_module._EchoWarnings().emit(record)
    assert capsys.readouterr().err == "warning: x: skipped\n"
    monkeypatch.setattr(cli_module.sys.stderr, "isatty", lambda: True)
    cli_module._EchoWarnings().emit(record)
    assert capsys.readouterr().err == "\r\033[Kwarning: x: skipped\n"


def test_formats_lists_every_format():
    result = run("formats")
    assert result.exit_code == 0
    for name in FORMATS:
        assert name in result.output
    assert "gzip, bzip2 or xz" in result.output


def test_unwritable_output_is_a_usage_error_before_any_work(tmp_path):
    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")
    result = run("score", str(chat), "-o", str(tmp_path / "missing" / "out.jsonl"))
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.parametrize("signame, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_interrupted_run_leaves_no_partial_output(tmp_path, signame, code):
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(300):  # enough work (about 30,000 turns) that the signal lands mid-run on a fast machine
        (folder / f"c{i:03}.txt").write_text(GOOD_CHAT * 35, encoding="utf-8")
    out = tmp_path / "out.json"  # JSON: written atomically (JSONL goes through a resumable journal, test_resume.py)
    out.write_text("previous\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "transcript_coach.cli", "score", str(folder), "-o", str(out), "--format", "json", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # a run started in the background inherits SIGINT ignored; restore it as a terminal would have it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
        time.sleep(0.05)
    process.send_signal(getattr(signal, signame))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert b"Traceback" not in stderr
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.json"]


def test_ctrl_c_ends_with_130_under_python_m_when_the_interrupt_came_out_of_exec(tmp_path):
    """Run as ``python -m``, CPython kills itself with SIGINT at exit, whatever exit code was asked for, once a
    KeyboardInterrupt came out of ``exec`` of a string (as when Ctrl-C lands while a dataclass is being made)."""
    import subprocess
    import sys

    (tmp_path / "interrupted_in_exec.py").write_text(
        "from transcript_coach.cli import _interruptible\n"
        "with _interruptible(None):\n"
        "    exec('import os, signal, time\\nos.kill(os.getpid(), signal.SIGINT)\\ntime.sleep(30)')\n",
        encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "interrupted_in_exec"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 130 and done.stderr.strip() == "interrupted", done.stderr


def test_commands_that_read_reports_start_without_the_nlp_pipeline():
    """spaCy and the word tables take about a second to import: only commands that score transcripts pay for them
    (``review`` and ``agents`` on report files, ``formats`` and ``--help`` do not)."""
    import subprocess
    import sys

    code = ("import sys, transcript_coach, transcript_coach.cli, transcript_coach.review\n"
            "print(sorted(m for m in ('spacy', 'wordfreq', 'vaderSentiment') if m in sys.modules))\n"
            "print(transcript_coach.Coach.__module__, 'Coach' in dir(transcript_coach))\n"
            "print(sorted(m for m in ('spacy', 'wordfreq') if m in sys.modules))")
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert lines[:3] == ["[]", "transcript_coach.coach True", "['spacy', 'wordfreq']"]
    with pytest.raises(AttributeError, match="no attribute 'Coachh'"):
        import transcript_coach

        transcript_coach.Coachh  # noqa: B018


def test_output_dash_is_standard_output_not_a_file_named_dash(tmp_path, monkeypatch):
    (tmp_path / "chat.txt").write_text(GOOD_CHAT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("score", "chat.txt", "-o", "-", "-q")
    assert result.exit_code == 0, result.stderr
    assert [doc["id"] for doc in lines(result.stdout)] == ["chat"]
    assert not (tmp_path / "-").exists()


def _read_fifo_in_background(fifo) -> tuple[threading.Thread, list[bytes]]:
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as pipe:  # blocks until a writer opens the pipe
            got.append(pipe.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, got


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
@pytest.mark.parametrize("args", [("score", "--format", "jsonl"), ("score", "--format", "csv")])
def test_an_output_that_is_a_named_pipe_is_written_into_not_replaced_by_a_file(tmp_path, args):
    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")
    fifo = tmp_path / "reports.pipe"
    os.mkfifo(fifo)
    reader, got = _read_fifo_in_background(fifo)
    result = run(*args, str(chat), "-o", str(fifo), "-q")
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the pipe, not a file put in its place
    reader.join(timeout=30)
    assert b"Tom" in got[0]
    assert sorted(os.listdir(tmp_path)) == ["c.txt", "reports.pipe"]  # no temporary file, no resume journal


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_resume_needs_an_output_file_rather_than_a_pipe(tmp_path):
    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")
    fifo = tmp_path / "reports.pipe"
    os.mkfifo(fifo)
    result = run("score", str(chat), "-o", str(fifo), "--resume")
    assert result.exit_code == 2 and "a file rather than a pipe" in result.output


@pytest.mark.parametrize("command, written", [("score", '"agents": ["Tom"]'), ("review", "Review queue")])
def test_an_output_that_is_a_symbolic_link_keeps_the_link_and_replaces_its_file(tmp_path, command, written):
    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "today.jsonl"
    real.write_text("yesterday's\n", encoding="utf-8")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    result = run(command, str(chat), "-o", str(link), "-q")
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert written in real.read_text("utf-8") and "yesterday" not in real.read_text("utf-8")
    assert sorted(os.listdir(tmp_path / "runs")) == ["today.jsonl"]  # no journal or temporary file left


@pytest.mark.skipif(os.name != "posix", reason="closed standard streams and SIGPIPE are POSIX behaviours")
def test_a_reader_that_stops_early_ends_the_run_quietly_with_141(samples):
    """``score ... | head``: when standard output's reader goes, the run stops at once, without a message or a
    traceback, with the status a shell gives a command ended by SIGPIPE (128 + 13)."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "transcript_coach.cli", "score", str(samples), "--jobs", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.read(100)  # the first report has come
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert b"Traceback" not in stderr and b"Error" not in stderr and b"Broken pipe" not in stderr, stderr


def _run_with_closed(fd: int, *args: str):
    """The command run as its own process, started with standard stream ``fd`` closed (as ``<&-``, ``>&-``, ``2>&-``
    leave it); its exit code and what it wrote to the streams left open."""
    import subprocess
    import sys

    files = {0: subprocess.DEVNULL, 1: subprocess.PIPE, 2: subprocess.PIPE}
    done = subprocess.run([sys.executable, "-m", "transcript_coach.cli", *args], stdin=files[0], stdout=files[1],
                          stderr=files[2], preexec_fn=lambda: os.close(fd), timeout=120)
    return done.returncode, (done.stdout or b"").decode(), (done.stderr or b"").decode()


@pytest.mark.skipif(os.name != "posix", reason="closed standard streams and SIGPIPE are POSIX behaviours")
@pytest.mark.parametrize("command", ["score", "review", "agents"])
def test_a_closed_standard_output_is_a_usage_error_unless_there_is_an_output_file(tmp_path, command):
    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")
    code, _, stderr = _run_with_closed(1, command, str(chat))
    assert code == 2 and "cannot write standard output: it is closed; give -o FILE" in stderr, stderr
    assert "Traceback" not in stderr
    code, _, stderr = _run_with_closed(1, command, str(chat), "-o", str(tmp_path / "out.txt"), "-q")
    assert code == 0, stderr
    assert (tmp_path / "out.txt").stat().st_size > 0


@pytest.mark.skipif(os.name != "posix", reason="closed standard streams and SIGPIPE are POSIX behaviours")
def test_a_closed_standard_input_named_as_dash_is_a_usage_error(tmp_path):
    code, _, stderr = _run_with_closed(0, "score", "-")
    assert code == 2 and "cannot read standard input ('-'): it is closed" in stderr, stderr
    assert "Traceback" not in stderr


@pytest.mark.skipif(os.name != "posix", reason="closed standard streams and SIGPIPE are POSIX behaviours")
def test_a_run_with_standard_error_closed_still_writes_its_output(tmp_path):
    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")
    out = tmp_path / "reports.jsonl"
    code, stdout, _ = _run_with_closed(2, "score", str(chat), "-o", str(out))
    assert code == 0
    assert [doc["id"] for doc in lines(out.read_text("utf-8"))] == ["c"]
    code, stdout, _ = _run_with_closed(2, "review", str(out))
    assert code == 0 and stdout.startswith("Review queue")


@pytest.mark.skipif(os.name != "posix", reason="a limit on a process's address space (ulimit -v) is a POSIX feature")
def test_a_memory_limit_too_small_to_load_the_language_tables_is_named_without_a_traceback(tmp_path):
    """Under ``ulimit -v``, loading spaCy and its libraries fails in many ways as the limit rises (a shared object
    that cannot be mapped, thinc finding no BLIS, a table that cannot be reserved, a MemoryError): each ends the run
    with a message that names memory, never a traceback. (Rarely, a C library under the limit crashes with a signal or
    stalls; no Python code can catch that, and such a run is passed over.)"""
    import resource
    import subprocess
    import sys

    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")
    failed = 0
    for megabytes in (180, 200, 220, 240, 260, 280, 300):
        limit = megabytes * 1048576
        process = subprocess.Popen(
            [sys.executable, "-m", "transcript_coach.cli", "score", str(chat), "--jobs", "1"], text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=lambda limit=limit: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
        try:
            _, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            continue
        if process.returncode <= 0:  # enough here, or a signal from a C library
            continue
        failed += 1
        assert "Traceback" not in stderr, (megabytes, stderr[-3000:])
        assert "memory" in stderr.lower(), (megabytes, stderr)
    assert failed, "no limit made the run fail: the test no longer exercises a failure"


def test_out_of_memory_even_for_the_message_still_says_so_without_a_traceback(monkeypatch, capfd):
    """Memory may be too short even to make the message (seen under ulimit -v at 240 MB): it is written as made at
    import."""
    import click

    from transcript_coach import cli as cli_module

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(cli_module, "cli", no_memory)
    monkeypatch.setattr(click, "echo", no_memory)
    with pytest.raises(SystemExit) as exited:
        cli_module.main()
    assert exited.value.code == cli_module.EXIT_SOME_FAILED
    err = capfd.readouterr().err
    assert err.startswith("Error: out of memory") and "Traceback" not in err


@pytest.mark.skipif(os.name != "posix", reason="a limit on a process's address space (ulimit -v) is a POSIX feature")
def test_under_a_limit_large_enough_to_load_a_bug_keeps_its_traceback(tmp_path):
    """A limit on address space as a cluster sets one (gigabytes) is not why a run fails: an unexpected error there is
    a bug to report, with its traceback, not a memory message."""
    import resource
    import subprocess
    import sys

    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")
    bug = ("import sys; from transcript_coach import cli; "
           "cli._make_coach = lambda *args, **kwargs: {}['a bug']; sys.argv[0] = 'transcript-coach'; cli.main()")
    limit = 4096 * 1048576
    done = subprocess.run([sys.executable, "-c", bug, "score", str(chat)], capture_output=True, text=True,
                          timeout=120,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "KeyError: 'a bug'" in done.stderr, done.stderr
    assert "want of memory" not in done.stderr


@pytest.mark.parametrize("command, fmt", [("score", "jsonl"), ("score", "csv"), ("review", "jsonl"),
                                          ("agents", "json")])
def test_standard_output_redirected_is_utf8_whatever_the_locale_says(tmp_path, command, fmt):
    """Written to a file or pipe, the output is the bytes ``-o FILE`` writes, in UTF-8, even where Python's standard
    output would encode otherwise (a Latin-1 locale, or a Windows code page): a report in Latin-1 would not read
    back."""
    import subprocess
    import sys

    chat = tmp_path / "c.txt"
    chat.write_text("Customer (Zoë Wiśniewska): My £40 refund for the café order hasn't arrived.\n"
                    "Agent (Łukasz): Calm down, the £40 is not my department.\n", encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    assert run(command, str(chat), "--format", fmt, "-o", str(out), "-q").exit_code == 0
    done = subprocess.run([sys.executable, "-m", "transcript_coach.cli", command, str(chat), "--format", fmt, "-q"],
                          capture_output=True, timeout=120, env={**os.environ, "PYTHONIOENCODING": "latin-1"})
    assert done.returncode == 0, done.stderr
    assert "Łukasz" in done.stdout.decode("utf-8")
    assert done.stdout == out.read_bytes()


def test_running_out_of_memory_on_one_conversation_is_its_error_record_and_the_batch_goes_on(tmp_path, monkeypatch):
    from transcript_coach import coach as coach_module

    scored = coach_module.score_skills

    def score_skills(analysed, rubric):
        if any("enormous" in turn.text for turn in analysed.transcript.turns):
            raise MemoryError
        return scored(analysed, rubric)

    monkeypatch.setattr(coach_module, "score_skills", score_skills)
    (tmp_path / "a.txt").write_text(GOOD_CHAT.replace("has not arrived", "is enormous"), encoding="utf-8")
    (tmp_path / "b.txt").write_text(GOOD_CHAT, encoding="utf-8")
    result = run("score", str(tmp_path), "--jobs", "1")
    assert result.exit_code == 1
    first, second = lines(result.stdout)
    assert first["error"]["code"] == "out_of_memory" and "ran out of memory" in first["error"]["message"]
    assert "please report" not in first["error"]["message"]
    assert second["id"] == "b"


def test_running_out_of_memory_at_start_up_is_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    from transcript_coach import cli as cli_module

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(cli_module, "_make_coach", out_of_memory)
    (tmp_path / "a.txt").write_text(GOOD_CHAT, encoding="utf-8")
    out = tmp_path / "out.json"
    monkeypatch.setattr("sys.argv", ["transcript-coach", "score", str(tmp_path / "a.txt"), "-o", str(out)])
    with pytest.raises(SystemExit) as ended:
        cli_module.main()
    assert ended.value.code == 1
    assert capsys.readouterr().err.startswith("Error: out of memory:")
    assert not out.exists()


@pytest.mark.parametrize("name, text", [
    ("export.csv", "conversation_id,speaker,text\nc1,Customer,my parcel never came\nc1,Agent,Sorry - checking now\n"
                   "c2,Customer,\nc2,Agent,\nc3,Customer,where is my refund\nc3,Agent,It was sent today\n"),
    ("export.json", json.dumps([
        {"id": "c1", "turns": [{"role": "customer", "text": "my parcel never came"},
                               {"role": "agent", "text": "Sorry - checking now"}]},
        {"id": "c2", "turns": [{"role": "customer", "text": " "}]},
        {"id": "c3", "turns": [{"role": "customer", "text": "where is my refund"},
                               {"role": "agent", "text": "It was sent today"}]}])),
])
def test_a_conversation_without_text_in_an_export_is_its_own_error_record(tmp_path, name, text):
    """The conversations after it are still scored (they were lost with the rest of the export), with any --jobs."""
    export = tmp_path / name
    export.write_text(text, encoding="utf-8")
    outputs = []
    for jobs in ("1", "2"):
        result = run("score", str(export), "--jobs", jobs, "-q")
        assert result.exit_code == 1
        documents = lines(result.stdout)
        assert [d.get("id") or d["error"]["code"] for d in documents] == ["c1", "no_turns", "c3"]
        assert "conversation 'c2' has no messages with text" in documents[1]["error"]["message"]
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_a_named_pipe_whose_reader_stops_early_is_an_error_naming_it(tmp_path, samples):
    fifo = tmp_path / "reports.pipe"
    os.mkfifo(fifo)

    def read_a_little() -> None:
        with open(fifo, "rb") as pipe:
            pipe.read(10)

    reader = threading.Thread(target=read_a_little, daemon=True)
    reader.start()
    result = run("score", str(samples), "-o", str(fifo), "-q", "--jobs", "1")
    assert result.exit_code == 1
    assert f"cannot write {fifo}: the program reading it has stopped" in result.output


def test_a_file_named_twice_or_also_in_a_named_folder_is_scored_once(tmp_path, monkeypatch):
    """``score exports/*.txt exports`` (a glob and its folder) must not count a conversation twice."""
    folder = tmp_path / "exports"
    (folder / "2026").mkdir(parents=True)
    (folder / "a.txt").write_text(GOOD_CHAT, encoding="utf-8")
    (folder / "2026" / "b.txt").write_text(GOOD_CHAT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("score", "exports/a.txt", "./exports/a.txt", "exports", "exports/2026")
    assert result.exit_code == 0, result.output
    assert sorted(doc["id"] for doc in lines(result.stdout)) == ["a", "b"]
    assert "warning: ./exports/a.txt: skipped: it is in exports, also named, which reads it" in result.stderr
    assert "warning: exports/2026: skipped: it is in exports, also named, which reads it" in result.stderr


def test_distinct_inputs_leaves_out_only_what_a_walk_reads_again(tmp_path):
    from transcript_coach.ingest import distinct_inputs

    folder = tmp_path / "exports"
    (folder / ".drafts").mkdir(parents=True)
    for name in ("a.txt", "notes.md", ".drafts/c.txt"):
        (folder / name).write_text(GOOD_CHAT, encoding="utf-8")
    a, notes, draft = str(folder / "a.txt"), str(folder / "notes.md"), str(folder / ".drafts" / "c.txt")
    other = str(tmp_path / "other.txt")
    again = f"{tmp_path}/exports/../other.txt"
    kept, left = distinct_inputs([a, a, str(folder), notes, draft, "-", "-", other, again])
    # notes.md and the hidden folder's file are not read by the walk of exports: named, they are read
    assert kept == [str(folder), notes, draft, "-", other]
    assert [(path, why.split(";")[0].split(",")[0]) for path, why in left] == [
        (a, f"it is in {folder}"), (a, f"it is in {folder}"), ("-", "named more than once"),
        (again, "named more than once")]
    assert distinct_inputs([str(tmp_path / "x.zip"), str(tmp_path / "x.zip" / "2026" / "a.txt")])[0] == [
        str(tmp_path / "x.zip")]


def test_max_turns_refuses_a_longer_conversation_with_its_own_error_record(tmp_path):
    chat = tmp_path / "c.txt"
    chat.write_text(GOOD_CHAT, encoding="utf-8")  # three messages
    result = run("score", str(chat), "--max-turns", "2")
    assert result.exit_code == 1
    (record,) = lines(result.stdout)
    assert record["error"]["code"] == "too_long" and "has 3 messages, over the limit of 2" in record["error"]["message"]
    assert run("score", str(chat), "--max-turns", "3").exit_code == 0
    assert run("score", str(chat), "--max-turns", "0").exit_code == 2


def test_csv_outputs_do_not_let_conversation_text_run_as_spreadsheet_formulas(tmp_path):
    """A customer can name themselves "=HYPERLINK(...)" in a chat widget; QA opens the CSV in a spreadsheet."""
    export = tmp_path / "export.csv"
    export.write_text('conversation_id,speaker,role,text\n"=HYPERLINK(""http://x.example"",""hi"")",@Tom,agent,'
                      'Hello how can I help\n"=HYPERLINK(""http://x.example"",""hi"")",+Bob,customer,My order\n',
                      encoding="utf-8")
    scores = run("score", str(export), "--format", "csv", "-q")
    rows = list(csv.DictReader(io.StringIO(scores.stdout)))
    assert rows[0]["id"] == "'=HYPERLINK(\"http://x.example\",\"hi\")" and rows[0]["agents"] == "'@Tom"
    assert rows[0]["patience"] and not rows[0]["patience"].startswith("'")  # numbers as they are
    reports = tmp_path / "reports.jsonl"
    assert run("score", str(export), "-q", "-o", str(reports)).exit_code == 0
    profiles = list(csv.DictReader(io.StringIO(run("agents", str(reports), "--format", "csv").stdout)))
    assert [row["agent"] for row in profiles] == ["'@Tom"]


def test_spreadsheet_row_leaves_numbers_and_plain_text_alone():
    from transcript_coach.reporting import spreadsheet_row

    row = {"a": "-3", "b": "+4.5", "c": -2.0, "d": "=1+1", "e": "-x", "f": "plain", "g": "", "h": "\tcmd"}
    assert spreadsheet_row(row) == {"a": "-3", "b": "+4.5", "c": -2.0, "d": "'=1+1", "e": "'-x", "f": "plain",
                                    "g": "", "h": "'\tcmd"}
