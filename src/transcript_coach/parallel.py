"""Scoring on several cores: what ``Coach.score(paths, jobs=N)`` runs when N > 1.

The main process lists the inputs (files named, files found in folders, ``-``) in the order ``jobs=1`` reads them
and groups them into chunks of files (sizes in ``data/parallel.json``). A pool of worker processes, each with its
own ``Coach`` built once from the same constructor arguments, scores one chunk at a time with ``Coach.score``. The
main process yields each chunk's reports and error records in input order, so the output is byte for byte the one
``jobs=1`` gives: a report depends only on its own transcript, never on what else was in the batch. A few chunks per
worker are in flight at a time, so memory stays flat however many files there are.

Standard input is read by the caller and its bytes travel with the chunk that holds ``-``. Inputs that fit in one
chunk are scored in this process (starting workers would cost more than it saves).

Stopping: when the consumer stops early (an exception, Ctrl-C, closing the iterator), queued chunks are cancelled
and the workers are ended; close the iterator when you stop before the end (``contextlib.closing``) so that happens
at once rather than when it is garbage-collected. Workers ignore Ctrl-C (the terminal sends it to the whole process
group): the main process decides. A worker that dies (killed, out of memory) ends the run with a ``WorkerError``;
a main process that dies without ending its workers (``kill -9``) is noticed by them within a second, and they exit.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from transcript_coach.data import load_json
from transcript_coach.errors import CoachError, DataFileError
from transcript_coach.ingest import iter_inputs
from transcript_coach.model import Failure, Report

if TYPE_CHECKING:
    from transcript_coach.coach import Coach

SETTINGS_FILE = "parallel.json"
PARENT_CHECK_SECONDS = 0.5  # how often a worker checks that the main process is still there


class WorkerError(CoachError):
    """A worker process stopped without returning its chunk's results (killed, out of memory, a crash)."""

    code = "worker_died"


@dataclass(frozen=True, slots=True)
class Settings:
    chunk_files: int
    chunk_bytes: int
    chunks_ahead_per_job: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """Inputs one worker scores in one go; ``stdin`` when ``-`` is among them (the stdin bytes go with it)."""

    paths: tuple[str, ...]
    stdin: bool = False


def default_jobs() -> int:
    """Every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def settings() -> Settings:
    document = load_json(SETTINGS_FILE)
    values = {}
    for name in Settings.__slots__:
        value = document.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DataFileError(f"{SETTINGS_FILE}: {name!r} must be a whole number of at least 1, got {value!r}")
        values[name] = value
    return Settings(**values)


def chunks(paths: Sequence[str | os.PathLike[str]], *, max_files: int, max_bytes: int, stdin_bytes: int = 0
           ) -> Iterator[Chunk]:
    """The inputs of ``paths`` (as ``iter_inputs`` lists them), in order, in chunks of at most ``max_files`` files
    and, unless one file alone is bigger, at most ``max_bytes`` bytes."""
    names: list[str] = []
    size = 0
    stdin = False
    for item in iter_inputs(paths):
        name = "-" if item == "-" else str(item)
        item_bytes = stdin_bytes if item == "-" else _size(name)
        if names and size + item_bytes > max_bytes:
            yield Chunk(tuple(names), stdin)
            names, size, stdin = [], 0, False
        names.append(name)
        size += item_bytes
        stdin = stdin or item == "-"
        if len(names) >= max_files or size >= max_bytes:
            yield Chunk(tuple(names), stdin)
            names, size, stdin = [], 0, False
    if names:
        yield Chunk(tuple(names), stdin)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # the worker reports what is wrong with it


def score_parallel(coach: Coach, paths: Sequence[str | os.PathLike[str]], *, stdin: bytes | None = None,
                   jobs: int) -> Iterator[Report | Failure]:
    """What ``coach.score(paths, stdin=stdin)`` yields, computed by up to ``jobs`` worker processes."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of at least 1, got {jobs!r}")
    config = settings()
    pending = chunks(paths, max_files=config.chunk_files, max_bytes=config.chunk_bytes,
                     stdin_bytes=len(stdin or b""))
    first = list(itertools.islice(pending, jobs * config.chunks_ahead_per_job))
    if jobs == 1 or len(first) <= 1:
        for chunk in first:
            yield from coach.score(list(chunk.paths), stdin=stdin if chunk.stdin else None)
        return
    workers = min(jobs, len(first))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(coach.arguments,))
    window: collections.deque[tuple[Chunk, Future]] = collections.deque()
    finished = False
    try:
        for chunk in itertools.chain(first, pending):
            with _signals_held():  # a submit may start worker processes
                future = pool.submit(_score_chunk, chunk.paths, stdin if chunk.stdin else None)
            window.append((chunk, future))
            if len(window) >= workers * config.chunks_ahead_per_job:
                yield from _results(*window.popleft())
        while window:
            yield from _results(*window.popleft())
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            _stop(pool)


_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while worker processes are started: a signal landing inside ``fork`` would be lost
    (Python reports and drops an exception raised in its fork handlers). A held signal is delivered on leaving."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _results(chunk: Chunk, future: Future) -> list[Report | Failure]:
    try:
        return future.result()
    except BrokenProcessPool:
        raise WorkerError(f"a worker process stopped unexpectedly (killed, or out of memory?): the inputs from "
                          f"{chunk.paths[0]} on were not scored. Run again with --jobs 1 to score in one process and "
                          "see which input causes it") from None


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the workers now, without waiting for the chunks they are scoring, and cancel the queued chunks. The pool's
    own thread is joined too: left running, it races the interpreter's exit and prints a traceback."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle before Python 3.14
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:
        # The queue's feeder thread may be blocked writing chunks to workers that are about to die; without this,
        # shutting the pool down joins that thread and waits forever (seen after Ctrl-C on a loaded machine).
        call_queue.cancel_join_thread()
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
    pool.shutdown(wait=True, cancel_futures=True)


# --- in the worker processes ------------------------------------------------------------------------------------

_coach: Coach | None = None


def _start_worker(arguments: dict[str, Any]) -> None:
    """Build this worker's ``Coach`` once. Ctrl-C is for the main process, which ends the workers itself."""
    global _coach
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)  # held while this process was forked
    threading.Thread(target=_watch_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    from transcript_coach.coach import Coach

    _coach = Coach(**arguments)


def _watch_parent(parent: int) -> None:
    """Exit when the process that started this worker is gone: killed outright, it could not end its workers, and
    a worker waiting for work would otherwise wait forever (holding the terminal or pipe it writes errors to)."""
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def _score_chunk(paths: tuple[str, ...], stdin: bytes | None) -> list[Report | Failure]:
    assert _coach is not None, "worker started without its Coach"
    return list(_coach.score(list(paths), stdin=stdin))
