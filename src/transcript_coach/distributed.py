"""Scoring beyond one machine: a Dask bag over the input files, each partition scored by ``Coach.score``.

Needs the ``dask`` extra (``pip install 'transcript-coach[dask]'``); for a cluster, also ``dask.distributed`` and a
``Client`` pointed at the scheduler: the same bag then runs on its workers. The files must be readable at the same
paths from every worker (a shared file system); a zip archive's files are partitioned like a folder's, and each worker
reads the ones it is given from the archive. Each worker process builds one ``Coach`` from the arguments given
here and keeps it for every partition it scores, so a cluster pays for the pipeline once per process, as ``score
--jobs`` does on one machine::

    from transcript_coach.distributed import score_bag, write_jsonl_parts

    bag = score_bag(["/shared/exports/2026-04"], coach_arguments={"glossary": "/shared/glossary.csv"})
    bag.take(3)                                    # the first reports, as dicts (the report contract)
    write_jsonl_parts(bag, "/shared/reports")      # 00000.jsonl, 00001.jsonl, ...: in input order when concatenated

The bag holds one JSON document per conversation (or per unreadable input: its error record), exactly what
``transcript-coach score`` writes, in the same order: concatenating the part files in name order gives the bytes of
``transcript-coach score PATH... -o FILE``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transcript_coach.ingest import iter_inputs
from transcript_coach.reporting import TEXT_ERRORS, report_json

if TYPE_CHECKING:
    import dask.bag

    from transcript_coach.coach import Coach

FILES_PER_PARTITION = 64

_coaches: dict[str, Coach] = {}  # per worker process: one Coach per set of constructor arguments


def _require_dask():
    try:
        import dask.bag
    except ImportError:
        raise ImportError("transcript_coach.distributed needs Dask: pip install 'transcript-coach[dask]'") from None
    return dask.bag


def input_files(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """The files ``score`` would read for ``paths`` (folders walked, sorted), in its order. Standard input (``-``)
    cannot be shared with workers and is refused."""
    files = []
    for item in iter_inputs(paths):
        if item == "-":
            raise ValueError("standard input ('-') cannot be scored on a cluster: save it to a file first")
        files.append(str(item))
    return files


def score_bag(paths: Sequence[str | os.PathLike[str]], *, coach_arguments: Mapping[str, Any] | None = None,
              files_per_partition: int = FILES_PER_PARTITION) -> dask.bag.Bag:
    """A bag of report documents (dicts) for every conversation in ``paths``, in input order. ``coach_arguments``
    are keyword arguments of ``Coach`` (options, glossary, rubric, redact, ...); they must pickle."""
    bag_module = _require_dask()
    if files_per_partition < 1:
        raise ValueError(f"files_per_partition must be at least 1, got {files_per_partition}")
    arguments = dict(coach_arguments or {})
    files = input_files(paths)
    if not files:
        return bag_module.from_sequence([], npartitions=1)
    partitions = [files[i:i + files_per_partition] for i in range(0, len(files), files_per_partition)]
    return bag_module.from_sequence(partitions, npartitions=len(partitions)).map_partitions(
        _score_partition, arguments)


def _score_partition(partition: Sequence[Sequence[str]], arguments: dict[str, Any]) -> list[dict[str, Any]]:
    """Runs on a worker: the report documents of one partition's files (a list holding one list of files)."""
    coach = worker_coach(arguments)
    return [item.to_dict() for files in partition for item in coach.score(list(files))]


def worker_coach(arguments: Mapping[str, Any]) -> Coach:
    """This process's ``Coach`` for these constructor arguments, built on first use."""
    from transcript_coach.coach import Coach

    key = repr(sorted(arguments.items()))
    coach = _coaches.get(key)
    if coach is None:
        coach = _coaches[key] = Coach(**arguments)
    return coach


def write_jsonl_parts(bag: dask.bag.Bag, folder: str | os.PathLike[str], **compute: Any) -> list[Path]:
    """Write partition ``i`` as ``folder/{i:05d}.jsonl`` (the lines ``score`` writes), from the workers; returns the
    files in order. ``compute`` goes to Dask (e.g. ``scheduler="processes"``). Use a new folder: a run that fails
    part-way leaves the parts already written."""
    _require_dask()
    import dask

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    writes = bag.map(_jsonl_line).to_textfiles(str(target / "*.jsonl"), name_function=_part_name, encoding=None,
                                               last_endline=True, compute=False)
    dask.compute(*writes, **compute)
    return [target / f"{_part_name(i)}.jsonl" for i in range(bag.npartitions)]


def _jsonl_line(document: dict[str, Any]) -> bytes:
    return report_json(document).encode("utf-8", TEXT_ERRORS)  # as score -o writes it


def _part_name(index: int) -> str:
    return f"{index:05d}"
