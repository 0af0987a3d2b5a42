"""Report files (score's output) met where transcripts are looked for: passed over by score, read by review."""

from __future__ import annotations

import gzip
import json
import logging
import shutil
import zipfile

import pytest

from click.testing import CliRunner

from transcript_coach.ingest import iter_inputs
from transcript_coach.ingest.report_files import is_reports_file
from transcript_coach.model import REPORT_SCHEMA

CHAT = "Customer: My order 4471 has not arrived.\nAgent (Tom): Sorry about that, let me check it for you.\n"


def report_line(rid: str, schema: str = REPORT_SCHEMA) -> str:
    return json.dumps({"schema": schema, "id": rid, "source": f"/data/{rid}.txt", "turns": []}) + "\n"


def folder_with_reports(tmp_path):
    folder = tmp_path / "chats"
    (folder / "old").mkdir(parents=True)
    (folder / "a.txt").write_text(CHAT, encoding="utf-8")
    (folder / "reports.jsonl").write_text("\n" + report_line("r1"), encoding="utf-8")  # a blank line first
    (folder / "old" / "reports.jsonl.gz").write_bytes(gzip.compress(report_line("r0", "transcript-coach/report/v0")
                                                                     .encode()))
    (folder / "chats.jsonl").write_text(json.dumps({"conversation_id": "c1", "speaker": "Customer", "text": "hi"})
                                        + "\n", encoding="utf-8")
    return folder


def test_a_walk_passes_over_report_files_with_a_warning_unless_they_are_asked_for(tmp_path, caplog):
    folder = folder_with_reports(tmp_path)
    packed = tmp_path / "chats.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(folder).as_posix())
    with caplog.at_level(logging.WARNING, logger="transcript_coach.ingest"):
        assert [p.name for p in iter_inputs([folder])] == ["a.txt", "chats.jsonl"]
        assert [str(p) for p in iter_inputs([packed])] == [f"{packed}/a.txt", f"{packed}/chats.jsonl"]
    skipped = sorted(r.getMessage().split(": skipped")[0] for r in caplog.records if "a report file" in r.message)
    assert skipped == sorted([str(folder / "reports.jsonl"), str(folder / "old" / "reports.jsonl.gz"),
                              f"{packed}/reports.jsonl", f"{packed}/old/reports.jsonl.gz"])
    assert [p.name for p in iter_inputs([folder], report_files=True)] == ["a.txt", "chats.jsonl", "reports.jsonl",
                                                                         "reports.jsonl.gz"]
    named = folder / "reports.jsonl"
    assert list(iter_inputs([named])) == [named]  # named, it is read as any file is
    assert list(iter_inputs([f"{packed}/reports.jsonl"])) == [packed / "reports.jsonl"]


def test_a_json_array_of_reports_is_a_report_file_and_other_json_is_not(tmp_path):
    """score --format json writes a JSON array of reports; an export of conversations is a JSON array too."""
    reports = [json.loads(report_line(rid)) for rid in ("r1", "r2")]
    (tmp_path / "reports.json").write_text(json.dumps(reports, indent=2), encoding="utf-8")
    (tmp_path / "reports.json.gz").write_bytes(gzip.compress(json.dumps(reports).encode()))
    export = [{"id": "c1", "messages": [{"text": "transcript-coach/report/"}]}]  # the words, not a report
    (tmp_path / "export.json").write_text(json.dumps(export), encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps(reports[0]), encoding="utf-8")  # an object, not an array
    (tmp_path / "broken.json").write_text("[" + json.dumps(reports[0])[:-5], encoding="utf-8")
    assert is_reports_file(str(tmp_path / "reports.json")) and is_reports_file(str(tmp_path / "reports.json.gz"))
    for name in ("export.json", "one.json", "broken.json"):
        assert not is_reports_file(str(tmp_path / name)), name
    assert [p.name for p in iter_inputs([tmp_path])] == ["broken.json", "export.json", "one.json"]


def test_only_a_jsonl_file_starting_with_a_report_is_a_report_file(tmp_path):
    folder = folder_with_reports(tmp_path)
    assert is_reports_file(str(folder / "reports.jsonl")) and is_reports_file(str(folder / "old/reports.jsonl.gz"))
    assert not is_reports_file(str(folder / "chats.jsonl"))
    as_text = tmp_path / "reports.txt"
    shutil.copy(folder / "reports.jsonl", as_text)
    assert not is_reports_file(str(as_text))
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"schema": "someone-else/v1", "turns": []}) + "\n", encoding="utf-8")
    assert not is_reports_file(str(other)) and not is_reports_file(str(tmp_path / "missing.jsonl"))


def test_scoring_a_folder_again_with_its_reports_written_into_it_scores_the_same_conversations(tmp_path, samples):
    from transcript_coach.cli import cli

    folder = tmp_path / "chats"
    folder.mkdir()
    for name in ("chat_refund_priya_early.txt", "call_escalation_rude.vtt"):
        shutil.copy(samples / name, folder)
    output = folder / "reports.jsonl"
    first = CliRunner().invoke(cli, ["score", str(folder), "-o", str(output), "-q"])
    assert first.exit_code == 0, first.output
    written = output.read_bytes()
    again = CliRunner().invoke(cli, ["score", str(folder), "-o", str(output)])  # this run's own output
    assert again.exit_code == 0 and output.read_bytes() == written, again.output
    for name, output_format in (("reports-2.jsonl", "jsonl"), ("reports.json", "json")):  # another run's output
        again = CliRunner().invoke(cli, ["score", str(folder), "-o", str(folder / name), "--format", output_format])
        assert again.exit_code == 0, again.output
        assert f"{output}: skipped: a report file written by transcript-coach" in again.stderr
    assert (folder / "reports-2.jsonl").read_bytes() == written
    as_json = json.loads((folder / "reports.json").read_text(encoding="utf-8"))
    assert as_json == [json.loads(line) for line in written.decode("utf-8").splitlines()]


def test_a_walk_leaves_out_the_file_the_run_writes_to(tmp_path, caplog):
    folder = folder_with_reports(tmp_path)
    (folder / "summary.txt").write_text("conversation  chan  agents\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="transcript_coach.ingest"):
        listed = [p.name for p in iter_inputs([folder], leave_out=folder / "old" / ".." / "summary.txt")]
    assert listed == ["a.txt", "chats.jsonl"]
    assert any("summary.txt: skipped: the file this run writes its output to" in r.message for r in caplog.records)
    named = folder / "summary.txt"
    assert list(iter_inputs([named], leave_out=named)) == [named]  # named, it is read as any file is


@pytest.mark.parametrize("output_format, name", [("table", "summary.txt"), ("csv", "summary.csv")])
def test_scoring_a_folder_again_with_its_table_or_csv_written_into_it(tmp_path, samples, output_format, name):
    from transcript_coach.cli import cli

    shutil.copy(samples / "chat_refund_priya_early.txt", tmp_path)
    output = tmp_path / name
    command = ["score", str(tmp_path), "--format", output_format, "-o", str(output), "--jobs", "1"]
    first = CliRunner().invoke(cli, command)
    written = output.read_bytes()
    again = CliRunner().invoke(cli, command)
    assert first.exit_code == again.exit_code == 0, again.output
    assert output.read_bytes() == written
    assert f"{output}: skipped: the file this run writes its output to" in again.stderr


def test_a_report_file_named_to_score_is_scored_again_with_one_warning(tmp_path, samples):
    from transcript_coach.cli import cli

    shutil.copy(samples / "chat_refund_priya_early.txt", tmp_path)
    reports = tmp_path / "reports.jsonl"
    assert CliRunner().invoke(cli, ["score", str(tmp_path / "chat_refund_priya_early.txt"), "-o", str(reports),
                                    "-q"]).exit_code == 0
    again = CliRunner().invoke(cli, ["score", str(reports), "-o", str(tmp_path / "again.jsonl"), "--jobs", "2"])
    assert again.exit_code == 0, again.output
    assert again.stderr.count(f"warning: {reports} is a report file written by transcript-coach") == 1
    assert len((tmp_path / "again.jsonl").read_text(encoding="utf-8").splitlines()) == 1


@pytest.mark.parametrize("output_format, name", [("table", "monday.txt"), ("csv", "monday.csv")])
def test_another_runs_table_or_csv_in_a_folder_is_passed_over_by_score_and_review(tmp_path, samples, output_format,
                                                                                   name):
    from transcript_coach.cli import cli

    folder = tmp_path / "chats"
    folder.mkdir()
    shutil.copy(samples / "chat_refund_priya_early.txt", folder)
    first = CliRunner().invoke(cli, ["score", str(folder), "--format", output_format, "-o", str(folder / name), "-q"])
    assert first.exit_code == 0, first.output
    written = (folder / name).read_bytes()
    (folder / "old").mkdir()
    (folder / "old" / f"{name}.gz").write_bytes(gzip.compress(written))
    with zipfile.ZipFile(folder / "old" / "week.zip", "w") as archive:
        archive.writestr(name, written)
    again = CliRunner().invoke(cli, ["score", str(folder), "--format", output_format, "-o", str(tmp_path / name)])
    assert again.exit_code == 0, again.output
    assert (tmp_path / name).read_bytes() == written
    skipped = f"skipped: an output of transcript-coach score --format {output_format}: not transcripts"
    for path in (folder / name, folder / "old" / f"{name}.gz", f"{folder / 'old' / 'week.zip'}/{name}"):
        assert f"{path}: {skipped}" in again.stderr
    queue = CliRunner().invoke(cli, ["review", str(folder), "--format", "jsonl"])
    assert queue.exit_code == 0 and f"{folder / name}: {skipped}" in queue.stderr, queue.output
    assert [json.loads(line)["id"] for line in queue.stdout.splitlines()] == ["chat_refund_priya_early"]


OUTPUTS = [("review", [], "queue.txt"), ("review", ["--format", "jsonl"], "queue.jsonl"),
           ("agents", [], "agents.txt"), ("agents", ["--format", "json"], "agents.json"),
           ("agents", ["--format", "csv"], "agents.csv"), ("score", ["--format", "table"], "summary.txt"),
           ("score", ["--format", "csv"], "summary.csv")]


def test_every_other_output_in_a_folder_of_reports_is_passed_over_and_named_is_an_error(tmp_path, samples):
    """A team keeps its reports and what review and agents made of them in one folder, and reads it again."""
    from transcript_coach.cli import cli

    folder = tmp_path / "reports"
    folder.mkdir()
    reports = folder / "reports.jsonl"
    assert CliRunner().invoke(cli, ["score", str(samples), "-o", str(reports), "-q"]).exit_code == 0
    for command, options, name in OUTPUTS:
        given = [str(reports)] if command != "score" else [str(samples / "chat_refund_priya_early.txt")]
        made = CliRunner().invoke(cli, [command, *given, *options, "-o", str(folder / name)])
        assert made.exit_code == 0, made.output
    expected = CliRunner().invoke(cli, ["agents", str(reports), "--format", "json"])
    again = CliRunner().invoke(cli, ["agents", str(folder), "--format", "json"])
    assert again.exit_code == 0 and again.stdout == expected.stdout, again.output
    for command, options, name in OUTPUTS:
        said = " ".join([command, *options])
        assert f"{folder / name}: skipped: an output of transcript-coach {said}: not transcripts" in again.stderr
        named = CliRunner().invoke(cli, ["score", str(folder / name), "-q"])
        assert named.exit_code == 1
        error = json.loads(named.stdout)["error"]
        assert error["code"] == "unsupported_structure" and error["line"] == 1
        assert error["message"] == f"{folder / name}:1: is an output of transcript-coach {said}: not transcripts, " \
            "and not reports (review and agents read the reports score writes as JSON Lines or JSON)"
    forced = CliRunner().invoke(cli, ["score", str(folder / "summary.csv"), "--input-format", "csv", "-q"])
    assert "no message text column" in json.loads(forced.stdout)["error"]["message"]  # read as asked


def test_an_output_is_told_by_how_it_begins_not_by_a_likeness():
    from transcript_coach.ingest.report_files import output_kind
    from transcript_coach.reporting import CSV_HEADER, TABLE_HEADER

    assert output_kind(b"\xef\xbb\xbf" + CSV_HEADER.encode() + b"\r\n,a.txt\n") == "score --format csv"
    assert output_kind(TABLE_HEADER.encode() + b"   \n---") == "score --format table"
    assert output_kind(CSV_HEADER.encode()) == "score --format csv"  # a summary of no conversation
    assert output_kind(CSV_HEADER.encode() + b",text\n") is None  # a transcript CSV with more columns
    assert output_kind(CSV_HEADER.encode()[:-1] + b"\n") is None
    assert output_kind(b"conversation,speaker,text\n") is None
    assert output_kind(b"Review queue: nothing to review.\n") == "review"
    assert output_kind(b"Review queue: 15 conversation(s) needing review, none shown (top 0).\n") == "review"
    assert output_kind(b"Review queue: I am still waiting for my refund\n") is None  # a chat could start so
    assert output_kind(b'[{"agent": "Tom", "text": "Hello"}]') is None  # turns of a JSON transcript
    assert output_kind(b'{"rank": 1, "text": "hi"}\n') is None


def test_only_the_first_element_of_a_json_array_is_read_and_not_past_a_report_s_length():
    import io

    from transcript_coach.ingest.report_files import FIRST_ELEMENT_CHARS, first_element

    reports = io.StringIO("[" + report_line("r1") + ", " + "7" * 10_000_000 + "]")
    assert first_element(reports)["id"] == "r1" and reports.tell() < 100_000
    ticket = io.StringIO(json.dumps([{"comments": ["x" * 100] * (FIRST_ELEMENT_CHARS // 50)}, {"id": "t2"}]))
    assert first_element(ticket) is None and ticket.tell() <= 3 * FIRST_ELEMENT_CHARS  # one huge ticket: not read whole
