"""A folder of hostile files: the batch finishes, each bad file gets one error record, the good ones are scored, and
nothing hangs, crashes or leaves the folder."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from transcript_coach.ingest import iter_inputs

GOOD_CHAT = ("[2026-04-03 09:14:02] Customer: Hi, my parcel 48213 has not arrived.\n"
             "[2026-04-03 09:15:10] Agent (Tom): Sorry to hear that! Let me check parcel 48213 for you.\n")
SECRET = "the contents of a file outside the folder"
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # permissions do not stop root
NOT_UTF8_NAME = os.fsdecode(b"caf\xe9.txt")  # a Latin-1 name: Python holds its byte 0xE9 as a lone surrogate


def _email(from_header: str) -> bytes:
    return (f"From: {from_header}\nTo: support@example.com\nSubject: parcel\n"
            "Date: Mon, 3 Mar 2026 09:00:00 +0000\nMessage-ID: <a@example.com>\n\nMy parcel has not arrived.\n").encode()


@pytest.fixture
def hostile(tmp_path) -> tuple[Path, dict[str, str | None]]:
    """The folder and, per file name, the error code it must get (None: it must be scored)."""
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    expected: dict[str, str | None] = {}

    def put(name: str, content: bytes | str, code: str | None) -> Path:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        expected[name] = code
        return path

    put("good.txt", GOOD_CHAT, None)
    put("sub/good.json", json.dumps({"turns": [{"role": "customer", "text": "My order is late."},
                                               {"role": "agent", "text": "Sorry, I will check it now."}]}), None)
    put("binary.txt", bytes(range(256)) * 40, "binary")
    put("empty.txt", b"", "empty")
    put("truncated.json", '{"turns": [{"role": "customer", "text": "hi"}, {"role": ', "malformed_json")
    put("deep.json", "[" * 50_000 + "]" * 50_000, "malformed_json")
    put("deep_turns.json", '{"turns": ' + "[" * 50_000 + "]" * 50_000 + "}", "malformed_json")
    put("deep_lines.jsonl", '{"a": ' * 50_000 + "1" + "}" * 50_000 + "\n", "malformed_json")
    put("one_line.txt", "x" * 2_000_000, "no_speakers")  # a 2 MB single line
    put("stray_quote.csv", 'conversation_id,speaker,text\nc1,Customer,"unclosed\nc1,Agent,hi\n', "malformed_csv")
    put("bait_punctuation.txt", "Customer: " + "!" * 100_000 + "\nAgent: " + "(" * 50_000 + "\n", None)
    put("bait_label.csv", "conversation_id,speaker,text\nc1," + "(" * 50_000 + ",my order is late\nc1,Agent,sorry\n",
        None)
    put("bait_header.eml", _email('"' * 100_000), None)
    put("mixed_encoding.txt", "Customer: the café is closed\n".encode() + "Agent: désolé, sorry\n".encode("latin-1"),
        None)
    put("long_turn.txt", "Customer: " + "my parcel is late " * 20_000 + "\nAgent: Sorry about that.\n", None)
    half_emoji = [{"conversation_id": "c\ud83d", "role": role, "author": "Ann\udc00", "text": "my parcel \ud83d came"}
                  for role in ("customer", "agent")]  # a lone surrogate's escape (half an emoji's) in an id, name, text
    put("half_emoji.jsonl", "\n".join(map(json.dumps, half_emoji)), None)
    with contextlib.suppress(OSError):  # a file system that takes only UTF-8 names (macOS) refuses it
        put(NOT_UTF8_NAME, GOOD_CHAT, None)
    secret = tmp_path / "secret.txt"
    secret.write_text(f"Customer: {SECRET}\nAgent: noted\n", encoding="utf-8")
    os.symlink(secret, folder / "outside.txt")  # a link out of the folder: not followed
    os.symlink(folder, folder / "sub" / "loop")  # a link back up: not followed, no endless walk
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    locked = put("locked.txt", GOOD_CHAT, None if ROOT else "unreadable")
    locked.chmod(0)
    if not ROOT:
        (folder / "closed").mkdir()
        (folder / "closed" / "hidden.txt").write_text(GOOD_CHAT, encoding="utf-8")
        (folder / "closed").chmod(0)
        expected["closed"] = "unreadable"
    yield folder, expected
    locked.chmod(0o600)
    if (folder / "closed").exists():
        (folder / "closed").chmod(0o700)


def test_score_over_a_folder_of_hostile_files(hostile, assert_valid):
    folder, expected = hostile
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "transcript_coach.cli", "score", str(folder)],
                            capture_output=True, text=True, timeout=600, check=False,
                            env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"})  # as under a UTF-8 locale
    took = time.perf_counter() - start
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    for record in records:
        assert_valid(record)
    by_name: dict[str, list[dict]] = {}
    for record in records:
        by_name.setdefault(str(Path(record["source"]).relative_to(folder)), []).append(record)
    assert set(by_name) == set(expected)
    for name, code in expected.items():
        if code is None:
            assert all("error" not in r for r in by_name[name]), (name, by_name[name])
        else:
            assert [r["error"]["code"] for r in by_name[name]] == [code], (name, by_name[name])
    assert SECRET not in result.stdout
    assert "outside.txt: skipped: a symbolic link" in result.stderr
    assert "loop: skipped: a symbolic link" in result.stderr
    if hasattr(os, "mkfifo"):
        assert "pipe.txt: skipped: not a regular file" in result.stderr
    (long_turn,) = by_name["long_turn.txt"]
    (half_emoji,) = by_name["half_emoji.jsonl"]
    assert half_emoji["id"] == "c\ufffd" and half_emoji["agents"] == ["Ann\ufffd"]
    assert any("not valid Unicode" in w for w in half_emoji["warnings"])
    assert len(long_turn["turns"][0]["text"]) <= 100_000 and any("--max-turn-chars" in w for w in long_turn["warnings"])
    assert took < 300, f"{took:.0f} s"


def test_folder_walk_skips_links_and_pipes_with_a_warning_and_keeps_its_order(tmp_path, caplog):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "c.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b" / "z.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b" / "notes.md").write_text("x", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("x", encoding="utf-8")
    os.symlink(tmp_path / "a.txt", tmp_path / "link.txt")
    os.symlink(tmp_path, tmp_path / "b" / "up")
    with caplog.at_level(logging.WARNING, logger="transcript_coach"):
        found = [p.relative_to(tmp_path).as_posix() for p in iter_inputs([tmp_path])]
    assert found == ["a.txt", "c.txt", "b/z.txt"]  # each folder's files, then its subfolders, names sorted
    skipped = sorted(record.getMessage().split(": ")[0] for record in caplog.records)
    assert skipped == [str(tmp_path / "b" / "up"), str(tmp_path / "link.txt")]
    assert list(iter_inputs([tmp_path / "link.txt"])) == [tmp_path / "link.txt"]  # named directly: read


def test_a_walk_in_a_flat_folder_holds_the_names_only(tmp_path):
    """A helpdesk dump can be one folder of a million files; while its files are scored the walk holds that folder's
    listing: its names (about 120 bytes a file here), not an ``os.DirEntry`` per file (320 here)."""
    import tracemalloc

    names = [f"ticket-{n:07d}.json" for n in range(20_000)]
    for name in names:
        (tmp_path / name).touch()
    tracemalloc.start()
    try:
        walk = iter_inputs([tmp_path])
        assert next(walk) == tmp_path / names[0]
        held = tracemalloc.get_traced_memory()[0] / len(names)
    finally:
        tracemalloc.stop()
    assert held < 170, f"{held:.0f} bytes a file"
    assert [p.name for p in walk] == names[1:]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are not made this way here")
def test_a_pipe_named_directly_is_listed_without_being_opened(tmp_path):
    """Listing inputs looks inside a named regular file (a zip archive is walked) but never opens a pipe: opening one
    waits for a writer, and closing it unread would break the writer's pipe before the pipe is read."""
    fifo = tmp_path / "chat.txt"
    os.mkfifo(fifo)
    listed: list = []
    lister = threading.Thread(target=lambda: listed.extend(iter_inputs([fifo])), daemon=True)
    lister.start()
    lister.join(timeout=10)
    assert not lister.is_alive() and listed == [fifo]


def test_quiet_silences_the_skipped_link_warning(tmp_path):
    from click.testing import CliRunner

    from transcript_coach.cli import cli

    (tmp_path / "good.txt").write_text(GOOD_CHAT, encoding="utf-8")
    os.symlink(tmp_path / "good.txt", tmp_path / "link.txt")
    loud = CliRunner().invoke(cli, ["score", str(tmp_path)])
    quiet = CliRunner().invoke(cli, ["score", str(tmp_path), "-q"])
    assert loud.exit_code == quiet.exit_code == 0
    assert "link.txt: skipped" in loud.stderr and "link.txt" not in quiet.stderr
    assert len(loud.stdout.splitlines()) == 1


@pytest.mark.parametrize("output_format", ["jsonl", "json", "csv", "table", "html"])
def test_a_file_name_that_is_not_utf8_is_written_as_its_escape_in_every_format(tmp_path, output_format):
    from click.testing import CliRunner

    from transcript_coach.cli import cli

    try:
        (tmp_path / NOT_UTF8_NAME).write_text(GOOD_CHAT, encoding="utf-8")
    except OSError:
        pytest.skip("this file system takes only UTF-8 file names")
    out = tmp_path / f"out.{output_format}"
    result = CliRunner().invoke(cli, ["score", str(tmp_path), "--format", output_format, "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    text = out.read_bytes().decode("utf-8")
    assert "caf\\udce9" in text  # in a JSON string, the JSON escape of the name's lone surrogate
    if output_format == "jsonl":
        (report,) = map(json.loads, text.splitlines())
        assert os.fsencode(report["source"]) == os.fsencode(tmp_path) + b"/caf\xe9.txt"  # the name, byte for byte
        assert report["id"] == "caf\ufffd"


def test_printable_escapes_what_would_break_a_line_or_drive_a_terminal():
    from transcript_coach.reporting import printable

    assert printable("two\nlines\r.txt") == "two\\nlines\\r.txt"
    assert printable("red\x1b[31m.txt\x07") == "red\\x1b[31m.txt\\x07"
    assert printable("a\x85b\u2028c\u202ed") == "a\\x85b\\u2028c\\u202ed"  # C1, line separator, right-to-left override
    assert printable("Zoë's café ✓ 日本") == "Zoë's café ✓ 日本"  # letters and symbols of any script are kept


CONTROL_NAMES = ("two\nlines.txt", "red\x1b[31m.txt")


@pytest.fixture
def control_names(tmp_path) -> Path:
    """A folder whose file names hold a newline and a terminal escape sequence (zip members and attachments are
    named by whoever made them), one a transcript, one not."""
    folder = tmp_path / "named"
    folder.mkdir()
    try:
        (folder / CONTROL_NAMES[0]).write_text("nothing a transcript would say\n", encoding="utf-8")
        (folder / CONTROL_NAMES[1]).write_text(GOOD_CHAT, encoding="utf-8")
    except OSError:
        pytest.skip("this file system refuses control characters in file names")
    return folder


def test_file_names_with_control_characters_are_shown_escaped_on_standard_error(control_names):
    from click.testing import CliRunner

    from transcript_coach.cli import cli

    result = CliRunner().invoke(cli, ["score", str(control_names), "-o", str(control_names.parent / "out.jsonl")],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "two\\nlines.txt:1: no 'Speaker: message' lines found" in error  # one line, the name escaped
    sources = sorted(json.loads(line)["source"] for line in (control_names.parent / "out.jsonl").open())
    assert sources == sorted(str(control_names / name) for name in CONTROL_NAMES)  # the reports keep the names


def test_a_usage_error_shows_the_file_name_escaped(tmp_path):
    from click.testing import CliRunner

    from transcript_coach.cli import cli

    (tmp_path / "good.txt").write_text(GOOD_CHAT, encoding="utf-8")
    output = tmp_path / "new\x1b]0;x\x07" / "out.jsonl"  # in a folder that does not exist
    result = CliRunner().invoke(cli, ["score", str(tmp_path / "good.txt"), "-o", str(output)])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "new\\x1b]0;x\\x07 does not exist" in result.stderr


@pytest.mark.parametrize("command", [["score", "--format", "table"], ["review"], ["agents"]])
def test_text_listings_show_file_names_escaped(control_names, command):
    from click.testing import CliRunner

    from transcript_coach.cli import cli

    result = CliRunner().invoke(cli, [*command, str(control_names)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout
    assert "two\\nlines.txt" in result.stdout + result.stderr
    assert not any(line.startswith("lines.txt") for line in result.stdout.splitlines())
