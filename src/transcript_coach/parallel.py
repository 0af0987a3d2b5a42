"""Scoring on several cores: what ``Coach.score(paths, jobs=N)`` runs when N > 1.

The main process lists the inputs (files named, files found in folders, ``-``) in the order ``jobs=1`` reads them and
groups them into chunks of files (sizes in ``data/parallel.json``); a file bigger than a chunk, an export of many
conversations, is read here and its conversations are sent in chunks instead (``conversation_chunks``). A pool of
worker processes, copies of the main process that use its ``Coach`` and language model as they are (elsewhere than on
Linux, each with a ``Coach`` built once from the same constructor arguments), scores one chunk at a time with
``Coach.score`` (``Coach.score_read`` for conversations already read). The main process yields each chunk's reports
and error records in input order, so the output is byte for byte the one ``jobs=1`` gives: a report depends only on
its own transcript, never on what else was in the batch. A few chunks per worker are in flight at a time, so memory
stays flat however many files there are.

With ``skip`` (what ``--resume`` passes over), the main process reads the inputs until ``skip`` first says no and
sends the rest of that input as chunks of its conversations (``skipping_chunks``).

A ``transform`` given to ``score`` runs in the workers, on each result as it is made: the CLI has them write the
JSONL lines (``reporting.encode``), so the main process receives short strings rather than reports to unpickle and
encode. Standard input is read by the caller and its bytes travel with the chunk that holds ``-``. Inputs that fit in
one chunk are scored in this process (starting workers would cost more than it saves).

Stopping: when the consumer stops early (an exception, Ctrl-C, closing the iterator), the workers are ended; close the
iterator when you stop before the end (``contextlib.closing``) so that happens at once rather than when it is
garbage-collected. Workers ignore Ctrl-C (the terminal sends it to the whole process group): the main process decides.
A worker that dies (killed, out of memory) ends the run with a ``WorkerError``; a main process that dies without ending
its workers (``kill -9``) is noticed by them within a second, and they exit.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transcript_coach.data import load_json
from transcript_coach.errors import CoachError, DataFileError
from transcript_coach.ingest import input_size, iter_inputs
from transcript_coach.language import load_identifier
from transcript_coach.model import Failure, Report, Transcript

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
    """Inputs one worker scores in one go: files (``stdin`` when ``-`` is among them: the stdin bytes go with it;
    ``size``, their bytes), or ``items``, conversations of the one file in ``paths`` that the main process has read."""

    paths: tuple[str, ...]
    stdin: bool = False
    size: int = 0
    items: tuple[Transcript | Failure, ...] | None = None


def default_jobs() -> int:
    """Every core this process may run on: those it is allowed (its CPU affinity), and no more than the CPU time its
    control group may use (a container's CPU limit, ``cgroup_cores``), which a machine's core count ignores: a
    container limited to 2 CPUs on a 64-core machine would otherwise start 64 workers and their memory."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        cores = max(1, os.cpu_count() or 1)
    limit = cgroup_cores()
    return cores if limit is None else max(1, min(cores, limit))


def cgroup_cores(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """The cores' worth of CPU time (rounded up) that the control group mounted at ``root`` may use per period:
    cgroup v2's ``cpu.max`` ("QUOTA PERIOD", or "max" for no limit) or v1's ``cpu.cfs_quota_us`` and
    ``cpu.cfs_period_us`` (a quota of -1 for none). None when there is no limit, or no control group to read."""
    try:
        quota, period = (root / "cpu.max").read_text(encoding="ascii").split()[:2]
    except (OSError, ValueError):
        try:
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text(encoding="ascii").strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text(encoding="ascii").strip()
        except (OSError, ValueError):
            return None
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:  # "max": no limit
        return None
    if quota_us <= 0 or period_us <= 0:
        return None
    return max(1, math.ceil(quota_us / period_us))


def settings() -> Settings:
    document = load_json(SETTINGS_FILE)
    values = {}
    for name in Settings.__slots__:
        value = document.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DataFileError(f"{SETTINGS_FILE}: {name!r} must be a whole number of at least 1, got {value!r}")
        values[name] = value
    return Settings(**values)


def chunks(paths: Iterable[str | os.PathLike[str]], *, max_files: int, max_bytes: int, stdin_bytes: int = 0,
           leave_out: str | os.PathLike[str] | None = None) -> Iterator[Chunk]:
    """The inputs of ``paths`` (as ``iter_inputs`` lists them, ``leave_out`` left out), in order, in chunks of at
    most ``max_files`` files and, unless one file alone is bigger, at most ``max_bytes`` bytes."""
    names: list[str] = []
    size = 0
    stdin = False
    for item in iter_inputs(paths, leave_out=leave_out):
        name = "-" if item == "-" else str(item)
        item_bytes = stdin_bytes if item == "-" else input_size(name)
        if names and size + item_bytes > max_bytes:
            yield Chunk(tuple(names), stdin, size)
            names, size, stdin = [], 0, False
        names.append(name)
        size += item_bytes
        stdin = stdin or item == "-"
        if len(names) >= max_files or size >= max_bytes:
            yield Chunk(tuple(names), stdin, size)
            names, size, stdin = [], 0, False
    if names:
        yield Chunk(tuple(names), stdin, size)


def conversation_chunks(coach: Coach, pending: Iterator[Chunk], stdin: bytes | None, *, max_conversations: int,
                        max_bytes: int) -> Iterator[Chunk]:
    """``pending``, with each file bigger than ``max_bytes`` read here and passed on as chunks of its conversations
    (``item_chunks``), so that one big export keeps every worker busy too. The file is read as it is sent, never
    held whole (``Coach.read`` streams)."""
    for chunk in pending:
        if chunk.items is not None or len(chunk.paths) > 1 or chunk.size <= max_bytes:
            yield chunk
            continue
        items = coach.read(list(chunk.paths), stdin=stdin if chunk.stdin else None)
        yield from item_chunks(chunk.paths[0], items, max_conversations=max_conversations, max_bytes=max_bytes)


def item_chunks(path: str, items: Iterable[Transcript | Failure], *, max_conversations: int, max_bytes: int
                ) -> Iterator[Chunk]:
    """Conversations read from the file ``path``, as chunks of at most ``max_conversations`` of them or about
    ``max_bytes`` characters of text."""
    batch: list[Transcript | Failure] = []
    size = 0
    for item in items:
        batch.append(item)
        size += sum(len(turn.text) for turn in item.turns) if isinstance(item, Transcript) else 0
        if len(batch) >= max_conversations or size >= max_bytes:
            yield Chunk((path,), items=tuple(batch))
            batch, size = [], 0
    if batch:
        yield Chunk((path,), items=tuple(batch))


def skipping_chunks(coach: Coach, paths: Iterable[str | os.PathLike[str]], stdin: bytes | None,
                    skip: Callable[[Transcript | Failure], bool], settings: Settings,
                    leave_out: str | os.PathLike[str] | None = None) -> Iterator[Chunk]:
    """The chunks of ``paths`` (as ``chunks`` makes them) without the conversations at their start that ``skip``
    returns True for (see ``Coach.score``): the inputs are read here until ``skip`` first returns False, and the
    rest of the input where it does is sent as chunks of its conversations."""
    inputs = iter_inputs(paths, leave_out=leave_out)
    for item in inputs:
        name = "-" if item == "-" else str(item)
        rest = itertools.dropwhile(skip, coach.read([name], stdin=stdin if item == "-" else None))
        first = next(rest, None)
        if first is not None:
            yield from item_chunks(name, itertools.chain([first], rest), max_conversations=settings.chunk_files,
                                   max_bytes=settings.chunk_bytes)
            break
    yield from chunks(inputs, max_files=settings.chunk_files, max_bytes=settings.chunk_bytes,
                      stdin_bytes=len(stdin or b""))


def score_parallel(coach: Coach, paths: Iterable[str | os.PathLike[str]], *, stdin: bytes | None = None,
                   jobs: int, transform: Callable[[Report | Failure], Any] | None = None,
                   skip: Callable[[Transcript | Failure], bool] | None = None,
                   leave_out: str | os.PathLike[str] | None = None) -> Iterator[Any]:
    """What ``coach.score(paths, stdin=stdin, transform=transform, skip=skip, leave_out=leave_out)`` yields, computed
    by up to ``jobs`` worker processes (``transform`` runs in them; ``skip`` here)."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of at least 1, got {jobs!r}")
    config = settings()
    if skip is None:
        pending = chunks(paths, max_files=config.chunk_files, max_bytes=config.chunk_bytes,
                         stdin_bytes=len(stdin or b""), leave_out=leave_out)
    else:
        pending = skipping_chunks(coach, paths, stdin, skip, config, leave_out)
    if jobs > 1:
        pending = conversation_chunks(coach, pending, stdin, max_conversations=config.chunk_files,
                                      max_bytes=config.chunk_bytes)
    first = list(itertools.islice(pending, jobs * config.chunks_ahead_per_job))
    if jobs == 1 or len(first) <= 1:
        for chunk in first:
            yield from _score_chunk(coach, chunk, stdin if chunk.stdin else None, transform)
        return
    _check_sendable(transform)
    workers = min(jobs, len(first))
    pool = _Pool(coach, workers)
    try:
        yield from pool.ordered(itertools.chain(first, pending), stdin, transform,
                                window=workers * config.chunks_ahead_per_job)
        pool.close()
    finally:
        pool.terminate()  # after close(), nothing is left to end


def _check_sendable(transform: Callable[[Any], Any] | None) -> None:
    """``transform`` travels to the workers with every chunk, by its module and name: say at once when it cannot (a
    lambda, a local function), rather than with a pickling error from deep inside the pool."""
    if transform is None:
        return
    module = sys.modules.get(getattr(transform, "__module__", None) or "")
    if getattr(module, getattr(transform, "__qualname__", ""), None) is not transform:
        raise TypeError(f"transform must be a function defined at the top level of a module, which worker processes "
                        f"can be sent by name; {transform!r} is not")


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


@contextlib.contextmanager
def _inherited_heap_frozen(forking: bool) -> Iterator[None]:
    """Fork with every object of this process in the garbage collector's permanent generation, so the workers'
    collections never walk what they inherited (the pipeline, lexicons, word tables). Walking it writes to every
    object, and each page written is copied out of the memory a forked worker shares with the main process (about
    4% of the workers' time on 2,000 files). This process's own collections are back to normal on leaving."""
    if not forking:
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@dataclass(slots=True)
class _Worker:
    process: multiprocessing.process.BaseProcess
    connection: Connection
    task: tuple[int, Chunk] | None = None  # the chunk it is scoring, with its place in the input order


class _Pool:
    """Worker processes, each talking to the main process over a pipe of its own, one chunk at a time.

    No threads and no shared queues in the main process: every send goes to a worker that is waiting for work and
    every receive is of a worker that has finished, so neither side can block the other, and ending the pool is
    only ending its processes (nothing to join that could hang after Ctrl-C). On Linux the workers start as copies
    of this process and use its ``Coach`` as it is (no second start-up); elsewhere each builds its own from the same
    constructor arguments."""

    def __init__(self, coach: Coach, workers: int):
        forking = sys.platform.startswith("linux")  # fork is unsafe on macOS and absent on Windows
        context = multiprocessing.get_context("fork" if forking else "spawn")
        given = coach if forking else coach.arguments
        if forking:
            load_identifier()  # once, shared by the workers (a big folder nearly always has a text that needs it)
        self.workers: list[_Worker] = []
        # the workers start with Ctrl-C and SIGTERM held (they set their own handling first)
        with _signals_held(), _inherited_heap_frozen(forking):
            for _ in range(workers):
                ours, theirs = context.Pipe()
                process = context.Process(target=_work, args=(theirs, given, os.getpid()), daemon=True,
                                          name="transcript-coach-worker")
                process.start()
                theirs.close()
                self.workers.append(_Worker(process, ours))

    def ordered(self, tasks: Iterator[Chunk], stdin: bytes | None, transform: Callable[[Any], Any] | None, *,
                window: int) -> Iterator[Any]:
        """The results of every chunk of ``tasks``, in their order; at most ``window`` chunks are scored or waiting
        to be yielded at a time, so memory stays flat."""
        done: dict[int, list[Any]] = {}
        given = returned = 0
        exhausted = False
        while True:
            for worker in self.workers:
                if exhausted or given - returned >= window:
                    break
                if worker.task is None:
                    chunk = next(tasks, None)
                    if chunk is None:
                        exhausted = True
                        break
                    worker.task = (given, chunk)
                    self._send(worker, (chunk, stdin if chunk.stdin else None, transform))
                    given += 1
            while returned in done:
                yield from done.pop(returned)
                returned += 1
            busy = {w.connection: w for w in self.workers if w.task is not None}
            if not busy:
                if exhausted:
                    return
                continue
            for connection in wait(list(busy)):
                worker = busy[connection]
                position, chunk = worker.task
                done[position] = self._receive(worker, chunk)
                worker.task = None

    def _send(self, worker: _Worker, message: Any) -> None:
        try:
            worker.connection.send(message)
        except OSError:
            raise _died(worker.task[1]) from None

    def _receive(self, worker: _Worker, chunk: Chunk) -> list[Any]:
        try:
            kind, value = worker.connection.recv()
        except (EOFError, OSError):
            raise _died(chunk) from None
        if kind == "error":
            raise value
        return value

    def close(self) -> None:
        """Tell each worker there is no more work, and wait for it to exit."""
        for worker in self.workers:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
        for worker in self.workers:
            worker.process.join(timeout=10)

    def terminate(self) -> None:
        """End every worker still running, now, whatever it is doing."""
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self.workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()
        self.workers = []


def _died(chunk: Chunk) -> WorkerError:
    first = chunk.items[0] if chunk.items else None
    start = f"conversation {first.id} of {chunk.paths[0]}" if isinstance(first, Transcript) else chunk.paths[0]
    return WorkerError(f"a worker process stopped unexpectedly (killed, or out of memory?): the inputs from "
                       f"{start} on were not scored. Run again with --jobs 1 to score in one process and see which "
                       "input causes it")


# --- in the worker processes ------------------------------------------------------------------------------------

def _work(connection: Connection, coach: Coach | dict[str, Any], parent: int) -> None:
    """A worker: score the chunks the main process sends until it sends ``None`` or goes away. ``coach`` is the main
    process's own ``Coach`` (forked) or its constructor arguments. Ctrl-C is for the main process, which ends the
    workers itself; SIGTERM ends a worker at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)  # held while this process was started
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()
    if isinstance(coach, dict):
        from transcript_coach.coach import Coach

        coach = Coach(**coach)
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            reply: tuple[str, Any] = ("ok", list(_score_chunk(coach, *task)))
        except Exception as exc:  # a CoachError (a broken data file, say): the main process raises it
            reply = ("error", exc)
        try:
            connection.send(reply)
        except OSError:
            return  # the main process is gone
        except Exception as exc:  # something that cannot be pickled (an exception of a library): its message can
            with contextlib.suppress(OSError):
                connection.send(("error", CoachError(f"a worker could not return its results: {reply[1]!r} ({exc})")))


def _watch_parent(parent: int) -> None:
    """Exit when the process that started this worker is gone: killed outright, it could not end its workers, and
    a worker waiting for work would otherwise wait forever (holding the terminal or pipe it writes errors to)."""
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def _score_chunk(coach: Coach, chunk: Chunk, stdin: bytes | None,
                 transform: Callable[[Report | Failure], Any] | None) -> Iterator[Any]:
    if chunk.items is not None:
        return coach.score_read(chunk.items, transform=transform)
    return coach.score(list(chunk.paths), stdin=stdin, transform=transform)
