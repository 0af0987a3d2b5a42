"""The Dask path (``transcript_coach.distributed``), run in local mode: the same documents, in the same order, as
``transcript-coach score``. Skipped when the ``dask`` extra is not installed."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from transcript_coach import Coach
from transcript_coach.cli import cli
from transcript_coach.distributed import input_files, score_bag, write_jsonl_parts

dask = pytest.importorskip("dask", reason="the dask extra is not installed (pip install '.[dask]')")


@pytest.fixture(scope="module")
def folder(tmp_path_factory, samples) -> Path:
    """The samples (multi-conversation files included) and two unreadable files."""
    root = tmp_path_factory.mktemp("inputs") / "in"
    shutil.copytree(samples, root, ignore=shutil.ignore_patterns("README*"))
    (root / "zz_empty.txt").write_bytes(b"")
    (root / "broken.json").write_text('{"turns": [{"role": ', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def expected(folder) -> list[dict]:
    return [item.to_dict() for item in Coach().score([folder])]


def test_bag_gives_the_reports_of_score_in_order(folder, expected):
    bag = score_bag([folder], files_per_partition=4)
    assert bag.npartitions == -(-len(input_files([folder])) // 4)
    documents = bag.compute(scheduler="synchronous")
    assert documents == expected
    assert {d["error"]["code"] for d in documents if "error" in d} == {"empty", "malformed_json"}


def test_process_workers_write_the_bytes_of_the_cli(folder, tmp_path):
    """Local mode with worker processes (what a cluster's workers do): the part files, concatenated, are the file
    ``score -o`` writes, a file name that is not UTF-8 included."""
    folder = shutil.copytree(folder, tmp_path / "in")
    with contextlib.suppress(OSError):  # a file system that takes only UTF-8 file names refuses it
        shutil.copy(folder / "chat_refund_priya_late.txt", folder / os.fsdecode(b"caf\xe9.txt"))  # a Latin-1 name
    out = tmp_path / "cli.jsonl"
    result = CliRunner().invoke(cli, ["score", str(folder), "-o", str(out), "-q", "--jobs", "1"])
    assert result.exit_code == 1, result.stderr  # the two unreadable files
    parts = write_jsonl_parts(score_bag([folder], files_per_partition=8), tmp_path / "parts",
                              scheduler="processes", num_workers=2)
    assert [p.name for p in parts] == [f"{i:05d}.jsonl" for i in range(len(parts))] and len(parts) > 1
    assert b"".join(p.read_bytes() for p in parts) == out.read_bytes()


def test_coach_arguments_reach_the_workers(folder):
    from transcript_coach.ingest import IngestOptions

    roster = {"options": IngestOptions(agents=("Priya",))}
    documents = score_bag([folder / "chat_refund_priya_early.txt"], coach_arguments=roster).compute(
        scheduler="synchronous")
    assert documents == [item.to_dict() for item in Coach(**roster).score([folder / "chat_refund_priya_early.txt"])]


def test_stdin_and_bad_partition_sizes_are_refused(folder):
    with pytest.raises(ValueError, match="standard input"):
        score_bag(["-"])
    with pytest.raises(ValueError, match="files_per_partition"):
        score_bag([folder], files_per_partition=0)


def test_no_inputs_give_an_empty_bag(tmp_path):
    assert score_bag([tmp_path]).compute(scheduler="synchronous") == []


def test_a_zip_archive_is_shared_out_by_its_files(folder, expected, tmp_path):
    """The files of an archive are inputs of their own (``ARCHIVE/MEMBER``), which each worker reads from the archive:
    the bag gives what ``score`` gives for the archive."""
    import zipfile

    packed = tmp_path / "export.zip"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"in/{path.name}")
    files = input_files([packed])
    assert files == [f"{packed}/in/{Path(name).name}" for name in input_files([folder])]
    documents = score_bag([packed], files_per_partition=8).compute(scheduler="processes", num_workers=2)
    assert documents == [item.to_dict() for item in Coach().score([packed])]
    assert [d["source"] for d in documents] == [d["source"].replace(str(folder), f"{packed}/in", 1) for d in expected]
