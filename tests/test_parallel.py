"""``score --jobs N``: worker processes give the same output, byte for byte and in the same order, as one process;
bad files stay error records in place; stopping early or being interrupted leaves no worker behind."""

from __future__ import annotations

import contextlib
import gc
import inspect
import json
import multiprocessing
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from transcript_coach import Coach, language, parallel
from transcript_coach.cli import cli
from transcript_coach.errors import DataFileError
from transcript_coach.ingest import iter_inputs
from transcript_coach.model import Failure
from transcript_coach.reporting import Encoded, encode, jsonl_line

CHAT = (
    "[2026-04-03 09:14:{s:02d}] Customer: Hi, my parcel {n} has not arrived and I am getting worried.\n"
    "[2026-04-03 09:15:10] Agent (Tom): I'm so sorry to hear that! Let me check parcel {n} for you right now.\n"
    "[2026-04-03 09:16:00] Customer: Thanks, it was meant to come on Monday.\n"
    "[2026-04-03 09:17:30] Agent (Tom): It is at the depot; I will make sure it is delivered by 5 pm today.\n"
)
BAD = {
    "empty.txt": b"",
    "binary.txt": bytes(range(256)) * 20,
    "truncated.json": b'{"turns": [\n  {"role": "customer", "text": "hi"},\n  {"role": ',
    "prose.txt": b"This is just a paragraph of prose.\nIt has no speakers at all.\n",
}


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of two files, so that a small folder is spread over several workers."""
    monkeypatch.setattr(parallel, "settings", lambda: parallel.Settings(chunk_files=2, chunk_bytes=1 << 20,
                                                                         chunks_ahead_per_job=2))


@pytest.fixture
def mixed(tmp_path, samples) -> Path:
    """The samples, generated chats in a subfolder, and bad files between them."""
    folder = tmp_path / "mixed"
    shutil.copytree(samples, folder, ignore=shutil.ignore_patterns("README*"))
    (folder / "more").mkdir()
    for n in range(12):
        (folder / "more" / f"chat{n:02d}.txt").write_text(CHAT.format(s=n, n=48000 + n), encoding="utf-8")
    for name, data in BAD.items():
        (folder / "more" / name).write_bytes(data)
    return folder


def test_jobs_2_writes_the_same_bytes_as_jobs_1_on_the_samples(samples, small_chunks):
    one = run("score", samples, "--jobs", "1")
    two = run("score", samples, "--jobs", "2")
    assert one.exit_code == two.exit_code == 0, two.stderr
    assert two.stdout == one.stdout
    assert len(one.stdout.splitlines()) >= 25


@pytest.mark.parametrize("output_format", ["jsonl", "csv", "table"])
def test_bad_files_stay_error_records_in_place(mixed, small_chunks, output_format):
    one = run("score", mixed, "--jobs", "1", "--format", output_format, "-q")
    two = run("score", mixed, "--jobs", "2", "--format", output_format, "-q")
    assert one.exit_code == two.exit_code == 1  # some inputs failed, the rest were scored
    assert two.stdout == one.stdout
    assert two.stderr == one.stderr  # the same error lines, in the same order
    assert two.stderr.count("error: ") == len(BAD)
    if output_format == "jsonl":
        records = [json.loads(line) for line in two.stdout.splitlines()]
        files = [str(p) for p in iter_inputs([mixed])]
        sources = [r["source"] for r in records]
        assert [s for i, s in enumerate(sources) if i == 0 or s != sources[i - 1]] == files  # input order
        errors = {Path(r["source"]).name: r["error"]["code"] for r in records if "error" in r}
        assert errors == {"empty.txt": "empty", "binary.txt": "binary", "truncated.json": "malformed_json",
                          "prose.txt": "no_speakers"}


def test_output_file_and_stdin_in_order(mixed, small_chunks, tmp_path):
    files = [str(p) for p in iter_inputs([mixed / "more"])][:5]
    args = [files[0], files[1], "-", *files[2:]]
    stdin = CHAT.format(s=59, n=99999)
    for jobs in ("1", "2"):
        result = run("score", *args, "--jobs", jobs, "-o", tmp_path / f"out{jobs}.jsonl", "-q", input=stdin)
        assert result.exit_code == 1, result.stderr  # one of the five is a bad file
    one = (tmp_path / "out1.jsonl").read_bytes()
    assert (tmp_path / "out2.jsonl").read_bytes() == one
    sources = [json.loads(line)["source"] for line in one.decode().splitlines()]
    assert sources == [files[0], files[1], "<stdin>", *files[2:]]


def test_library_jobs_gives_equal_reports_and_failures(mixed, small_chunks):
    coach = Coach()
    serial = [item.to_dict() for item in coach.score([mixed])]
    with contextlib.closing(coach.score([mixed], jobs=3)) as scored:
        assert [item.to_dict() for item in scored] == serial
    assert any("error" in d for d in serial) and any("skills" in d for d in serial)
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_transform_runs_where_the_reports_are_made(mixed, small_chunks, jobs):
    coach = Coach()
    items = list(coach.score([mixed]))
    with contextlib.closing(coach.score([mixed], jobs=jobs, transform=encode)) as scored:
        encoded = list(scored)
    assert all(isinstance(e, Encoded) for e in encoded)
    assert "".join(e.line for e in encoded) == "".join(jsonl_line(item) for item in items)
    assert [e.to_dict() for e in encoded] == [item.to_dict() for item in items]
    assert [e.source for e in encoded] == [item.source for item in items]
    failures = [(e.source, e.message) for e in encoded if e.failed]
    assert failures == [(item.source, item.message) for item in items if isinstance(item, Failure)]
    assert len(failures) == len(BAD)
    reports = [(e.id, e.warnings) for e in encoded if not e.failed]
    assert reports == [(item.id, item.warnings) for item in items if not isinstance(item, Failure)]


def test_a_transform_workers_cannot_be_sent_is_refused_clearly(mixed, small_chunks):
    coach = Coach()
    with pytest.raises(TypeError, match="top level of a module"):
        list(coach.score([mixed], jobs=2, transform=lambda item: item.source))
    assert not multiprocessing.active_children()
    sources = list(coach.score([mixed], jobs=1, transform=lambda item: item.source))  # one process: anything goes
    assert len(sources) > len(BAD)


def test_reports_and_failures_survive_the_trip_from_a_worker_unchanged(mixed):
    """What a worker sends back (pickled) is what the main process writes."""
    items = list(Coach().score([mixed]))
    travelled = pickle.loads(pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL))
    assert travelled == items
    assert [item.to_dict() for item in travelled] == [item.to_dict() for item in items]
    assert [type(item) for item in travelled] == [type(item) for item in items]


def test_reports_do_not_depend_on_the_batch(mixed):
    """What lets workers split the inputs at all: a conversation's report is the same alone, in a batch, or after
    other conversations."""
    coach = Coach()
    files = [p for p in iter_inputs([mixed])]
    together = [item.to_dict() for item in coach.score(files)]
    alone = [item.to_dict() for f in files for item in coach.score([f])]
    other = Coach()
    backwards = [item.to_dict() for f in reversed(files) for item in other.score([f])]
    assert alone == together
    assert [d["source"] for d in backwards] == [d["source"] for d in reversed(together)]
    by_key = {(d["source"], d.get("id")): d for d in backwards}
    assert [by_key[(d["source"], d.get("id"))] for d in together] == together


def test_stopping_early_ends_the_workers(mixed, small_chunks):
    scored = Coach().score([mixed], jobs=2)
    first = next(scored)
    assert first.source.startswith(str(mixed))
    assert multiprocessing.active_children()  # the pool is running
    scored.close()
    assert not multiprocessing.active_children()


def test_inputs_in_one_chunk_are_scored_without_workers(samples, monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started for one chunk of inputs")

    monkeypatch.setattr(parallel, "_Pool", no_pool)
    file = next(iter(iter_inputs([samples])))
    assert [i.to_dict() for i in Coach().score([file], jobs=4)] == [i.to_dict() for i in Coach().score([file])]


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="replaces a function inside the workers")
def test_a_worker_that_dies_ends_the_run_with_a_clear_error(mixed, small_chunks, monkeypatch):
    monkeypatch.setattr(parallel, "_score_chunk", _die)
    result = CliRunner().invoke(cli, ["score", str(mixed), "--jobs", "2", "-q"])
    assert result.exit_code == 1
    assert "worker process stopped unexpectedly" in result.stderr and "--jobs 1" in result.stderr
    assert "Traceback" not in result.stderr
    assert not multiprocessing.active_children()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_forked_workers_keep_what_they_inherit_out_of_their_collections(mixed, small_chunks, monkeypatch):
    monkeypatch.setattr(parallel, "_score_chunk", _frozen_objects)
    assert gc.get_freeze_count() == 0
    counts = [int(failure.message) for failure in Coach().score([mixed], jobs=2)]
    assert len(counts) > 2 and min(counts) > 100_000  # the pipeline and lexicons, at least
    assert gc.get_freeze_count() == 0  # the main process collects as before


def test_chunks_keep_order_and_limits(mixed):
    files = [str(p) for p in iter_inputs([mixed])]
    chunks = list(parallel.chunks([mixed], max_files=3, max_bytes=4000))
    assert [p for c in chunks for p in c.paths] == files
    assert all(1 <= len(c.paths) <= 3 for c in chunks)
    for chunk in chunks:  # over the byte limit only when one file alone is bigger
        sizes = [os.stat(p).st_size for p in chunk.paths]
        assert sum(sizes) <= 4000 or len(sizes) == 1
    with_stdin = list(parallel.chunks([files[0], "-", files[1]], max_files=1, max_bytes=1 << 20, stdin_bytes=10))
    assert [(c.paths, c.stdin) for c in with_stdin] == [((files[0],), False), (("-",), True), ((files[1],), False)]


def export(path: Path, conversations: int) -> Path:
    """A CSV export of ``conversations`` chats like ``CHAT``, rows of conversations interleaved in pairs."""
    rows = ["conversation_id,timestamp,speaker,text"]
    for pair in range(0, conversations, 2):
        for line in range(4):
            for n in range(pair, min(pair + 2, conversations)):
                stamp, speaker, text = _chat_line(n, line)
                rows.append(f'c-{n},{stamp},{speaker},"{text}"')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _chat_line(n: int, line: int) -> tuple[str, str, str]:
    """(timestamp, speaker, text) of line ``line`` of the ``n``-th chat like ``CHAT``."""
    stamp, rest = CHAT.format(s=n % 60, n=48000 + n).splitlines()[line][1:].split("] ", 1)
    speaker, text = rest.split(": ", 1)
    return stamp, speaker, text


def test_one_big_export_is_shared_out_by_conversation(tmp_path, monkeypatch):
    """A file bigger than a chunk is read in the main process and its conversations are scored by the workers, in
    chunks, with the output of one process."""
    monkeypatch.setattr(parallel, "settings", lambda: parallel.Settings(chunk_files=3, chunk_bytes=2000,
                                                                         chunks_ahead_per_job=2))
    big = export(tmp_path / "export.csv", 20)
    small = tmp_path / "chat.txt"
    small.write_text(CHAT.format(s=1, n=1), encoding="utf-8")
    coach = Coach()
    serial = list(coach.score([big, small]))
    assert [item.id for item in serial] == [f"c-{n}" for n in range(20)] + ["chat"]
    with contextlib.closing(coach.score([big, small], jobs=2, transform=_scored_in)) as scored:
        shared = list(scored)
    assert [item for _, item in shared] == [item.to_dict() for item in serial]
    workers = {pid for pid, item in shared if item["source"] == str(big)}
    assert len(workers) == 2 and os.getpid() not in workers  # the export's conversations, by both workers
    assert not multiprocessing.active_children()


def _scored_in(item):
    return os.getpid(), item.to_dict()


def test_conversation_chunks_split_only_files_bigger_than_a_chunk(tmp_path):
    big = export(tmp_path / "export.csv", 7)
    bad = tmp_path / "bad.csv"
    bad.write_text("conversation_id,speaker,text\n" + "c-1,Tom,hello\n" * 200 + "c-2,Ann\n,,\n", encoding="utf-8")
    small = tmp_path / "chat.txt"
    small.write_text(CHAT.format(s=1, n=1), encoding="utf-8")
    limit = 1000  # more than the small chat and three conversations' text; less than the exports
    assert small.stat().st_size < limit < min(big.stat().st_size, bad.stat().st_size)
    coach = Coach()
    pending = parallel.chunks([big, small, bad], max_files=4, max_bytes=limit)
    chunks = list(parallel.conversation_chunks(coach, pending, None, max_conversations=3, max_bytes=limit))
    assert [(c.paths, None if c.items is None else len(c.items)) for c in chunks] == [
        ((str(big),), 3), ((str(big),), 3), ((str(big),), 1), ((str(small),), None), ((str(bad),), 1)]
    assert [t.id for c in chunks[:3] for t in c.items] == [f"c-{n}" for n in range(7)]
    [failure] = chunks[-1].items
    assert isinstance(failure, Failure) and failure.source == str(bad)
    by_text = list(parallel.conversation_chunks(coach, iter([parallel.Chunk((str(big),), size=big.stat().st_size)]),
                                                None, max_conversations=100, max_bytes=400))
    assert all(sum(len(turn.text) for turn in t.turns) < 400 for c in by_text for t in c.items[:-1])
    assert len(by_text) > 2


class _Skipping:
    """A ``skip`` for ``Coach.score``: True for the first ``count`` items; records what it was called with."""

    def __init__(self, count: int):
        self.count = count
        self.seen: list[str] = []

    def __call__(self, item) -> bool:
        self.seen.append(item.id if hasattr(item, "id") else item.source)
        return len(self.seen) <= self.count


def test_skipping_chunks_read_in_this_process_only_up_to_the_first_item_not_skipped(tmp_path):
    first, later = (tmp_path / "a.txt"), (tmp_path / "c.txt")
    first.write_text(CHAT.format(s=1, n=1), encoding="utf-8")
    later.write_text(CHAT.format(s=2, n=2), encoding="utf-8")
    big = export(tmp_path / "b.csv", 7)
    skip = _Skipping(4)  # a.txt's conversation and three of the export's
    config = parallel.Settings(chunk_files=2, chunk_bytes=1 << 20, chunks_ahead_per_job=2)
    chunks = list(parallel.skipping_chunks(Coach(), [tmp_path], None, skip, config))
    assert skip.seen == ["a", "c-0", "c-1", "c-2", "c-3"]  # never called again once it said no
    assert [(c.paths, None if c.items is None else [t.id for t in c.items]) for c in chunks] == [
        ((str(big),), ["c-3", "c-4"]), ((str(big),), ["c-5", "c-6"]), ((str(later),), None)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_score_leaves_out_what_skip_says_and_scores_the_rest_as_without_it(tmp_path, monkeypatch, jobs):
    monkeypatch.setattr(parallel, "settings", lambda: parallel.Settings(chunk_files=2, chunk_bytes=600,
                                                                         chunks_ahead_per_job=2))
    for n in range(3):
        (tmp_path / f"a{n}.txt").write_text(CHAT.format(s=n, n=n), encoding="utf-8")
    export(tmp_path / "b.csv", 9)
    (tmp_path / "c.txt").write_bytes(BAD["binary.txt"])
    for n in range(4):
        (tmp_path / f"d{n}.txt").write_text(CHAT.format(s=n, n=10 + n), encoding="utf-8")
    coach = Coach()
    whole = [item.to_dict() for item in coach.score([tmp_path])]
    assert len(whole) == 3 + 9 + 1 + 4
    analysed: list[str] = []
    report = Coach._report
    monkeypatch.setattr(Coach, "_report", lambda self, docs, *a: analysed.append(docs.transcript.id)
                        or report(self, docs, *a))
    for count in (0, 2, 7, 12, 13, 17):
        analysed.clear()
        with contextlib.closing(coach.score([tmp_path], jobs=jobs, skip=_Skipping(count))) as scored:
            assert [item.to_dict() for item in scored] == whole[count:]
        if jobs == 1:  # in this process: what is skipped is not analysed at all
            assert len(analysed) == sum("error" not in item for item in whole[count:])


def test_coach_arguments_cover_the_constructor():
    """Workers rebuild the Coach from ``Coach.arguments``: every constructor argument must be in it."""
    parameters = set(inspect.signature(Coach.__init__).parameters) - {"self"}
    coach = Coach(rubric=None, strict=True)
    assert set(coach.arguments) == parameters
    assert coach.arguments["strict"] is True


@pytest.mark.parametrize("value, message", [("0", "0"), ("-2", "-2"), ("two", "two")])
def test_jobs_option_is_validated(samples, value, message):
    result = run("score", samples, "--jobs", value)
    assert result.exit_code == 2
    assert "--jobs" in result.stderr and message in result.stderr


def test_jobs_default_is_every_core():
    assert parallel.default_jobs() >= 1
    option = next(p for p in cli.commands["score"].params if p.name == "jobs")
    assert option.default() == parallel.default_jobs()


def test_library_rejects_bad_jobs(samples):
    with pytest.raises(ValueError, match="jobs"):
        list(Coach().score([samples], jobs=0))


def test_settings_are_validated(monkeypatch):
    monkeypatch.setattr(parallel, "load_json", lambda name: {"chunk_files": 0, "chunk_bytes": 1,
                                                             "chunks_ahead_per_job": 1})
    with pytest.raises(DataFileError, match="parallel.json.*chunk_files"):
        parallel.settings()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_forked_workers_share_the_language_model_of_the_main_process(mixed, small_chunks, monkeypatch):
    """py3langid's model (70 MB) is loaded once before the workers are forked, not once in each of them."""
    monkeypatch.setattr(parallel, "_score_chunk", _language_model_loaded)
    language._load.cache_clear()
    loaded = [failure.message for failure in Coach().score([mixed], jobs=2)]
    assert len(loaded) > 2 and set(loaded) == {"1"}


def _language_model_loaded(coach, chunk, stdin, transform):
    return [Failure(path, "loaded", str(language._load.cache_info().currsize)) for path in chunk.paths]


def _die(coach, chunk, stdin, transform):
    os._exit(3)  # as if killed: the pool breaks


def _frozen_objects(coach, chunk, stdin, transform):
    return [Failure(path, "frozen", str(gc.get_freeze_count())) for path in chunk.paths]


def _session_processes(session: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) == session:  # field 6 of /proc/PID/stat: the session id
                    found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds leftover workers through /proc")
@pytest.mark.parametrize("signame, code, group", [("SIGINT", 130, True), ("SIGTERM", 143, False)])
def test_interrupt_with_workers_leaves_no_output_and_no_process(tmp_path, signame, code, group):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(200):
        (folder / f"c{i:03}.txt").write_text(CHAT.format(s=i % 60, n=i) * 20, encoding="utf-8")
    out = tmp_path / "out.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "transcript_coach.cli", "score", str(folder), "-o", str(out), "--format", "json",
         "--jobs", "2", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        # a run started in the background inherits SIGINT ignored; restore it as a terminal would have it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 (no threads here)
    )
    deadline = time.time() + 120
    temporary = []
    while time.time() < deadline and process.poll() is None:  # wait until results are being written
        temporary = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        if temporary and temporary[0].stat().st_size > 0 and len(_session_processes(process.pid)) >= 3:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be interrupted"
    if group:  # Ctrl-C in a terminal signals every process of the foreground group
        os.killpg(process.pid, getattr(signal, signame))
    else:  # a scheduler's SIGTERM reaches the main process only
        process.send_signal(getattr(signal, signame))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert b"Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    deadline = time.time() + 10
    while _session_processes(process.pid) and time.time() < deadline:
        time.sleep(0.1)
    assert _session_processes(process.pid) == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds leftover workers through /proc")
def test_workers_exit_when_the_main_process_is_killed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(200):
        (folder / f"c{i:03}.txt").write_text(CHAT.format(s=i % 60, n=i) * 20, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "transcript_coach.cli", "score", str(folder), "--jobs", "2", "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None and len(_session_processes(process.pid)) < 3:
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    process.kill()  # SIGKILL: the main process cannot end its workers itself
    process.wait(timeout=30)
    deadline = time.time() + 10 * parallel.PARENT_CHECK_SECONDS + 5
    while _session_processes(process.pid) and time.time() < deadline:
        time.sleep(0.1)
    assert _session_processes(process.pid) == []


@pytest.mark.parametrize("files, cores", [
    ({"cpu.max": "200000 100000\n"}, 2),
    ({"cpu.max": "150000 100000\n"}, 2),  # one and a half cores' worth: two workers
    ({"cpu.max": "50000 100000\n"}, 1),
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "400000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 4),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "garbage\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({"cpu.max": ""}, None),
    ({}, None),
])
def test_a_container_cpu_limit_is_read_from_its_control_group(tmp_path, files, cores):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="ascii")
    assert parallel.cgroup_cores(tmp_path) == cores


def test_the_default_jobs_are_no_more_than_a_container_cpu_limit(monkeypatch):
    """On a 64-core machine, a container limited to 2 CPUs must not start 64 workers (and their memory)."""
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    monkeypatch.setattr(parallel, "cgroup_cores", lambda: 2)
    assert parallel.default_jobs() == 2
    monkeypatch.setattr(parallel, "cgroup_cores", lambda: None)
    assert parallel.default_jobs() == 64
