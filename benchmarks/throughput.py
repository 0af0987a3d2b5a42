"""Throughput and memory of ``score`` against spaCy's bare tokenizer on the same text, as one table.

    python benchmarks/throughput.py [DATA_DIR] [--size N] [--jobs-files N] [--spacy-model NAME] [--write-results]

DATA_DIR defaults to ../shared/data next to the repository. The corpus mixes real support conversations, one source
after the other so that any prefix is a mix: brand-support tweet threads (``twcs/``, threaded as in
``eval_twcs.py``), Ubuntu IRC support chats (``ubuntu_dialogue_sample/``, speakers alternate: the upstream sample
has no names) and USS task dialogues (``uss_user_satisfaction/``, USER = customer, SYSTEM = agent), repeated to
``--size`` conversations (default 1,000). A repeated copy has its own id, and its own order numbers, handles and links
(every word with a digit or an ``@`` gets the copy's number), as new conversations would: a vocabulary that grows
with the run then shows in the memory measured. Each conversation is written as one generic JSON file in a temporary
folder, because ``score`` streams files from disk.

Measured, on one core unless said otherwise:

- the bare tokenizer (``spacy.blank("en").tokenizer.pipe``) over every turn's text: words/s;
- ``Coach.score`` over the folder, end to end (read, parse, signals, scores, notes, JSONL written to a null sink),
  the best of three runs each with a new ``Coach``: words/s and conversations/s, and the ratio to the tokenizer
  (target: at least 1/3);
- the floor: reading the files, the spaCy pipeline and the JSONL encoding alone, without any analysis;
- the same with ``--spacy-model NAME`` when that trained pipeline is installed; else that is reported as skipped
  and, instead, the spaCy pipeline alone is timed over the same texts twice: the built-in one, and one of a trained
  pipeline's architecture with untrained weights (``stand_in_pipeline``), which costs what a trained one costs;
- peak memory (``ru_maxrss`` of a ``transcript-coach score -o FILE --jobs 1`` subprocess) at 1x and 10x the corpus
  (target: 10x within 1.2x of 1x);
- the same two memory peaks with the corpus written as one JSON Lines export (a message per line, grouped by
  conversation id, as helpdesk exports are), which ``score`` reads without holding its messages, the same export
  compressed with gzip, which it reads through the decompressor, as one JSON document (a list of
  conversations), which it reads a conversation at a time, compressed or not, and the folder as one zip archive,
  whose files it reads one at a time;
- ``score --resume`` on the 1x export after a run of it was interrupted with half of it written, against a whole
  run, and whether it finishes with the same bytes;
- ``--jobs 1`` against ``--jobs 2`` (CLI subprocesses, wall time including start-up, the best of three runs each)
  on a folder of 1,000 files (the smallest the target is for) and one of ``--jobs-files`` files (default 2,000): the
  speed-up (target 1.7x on 2 cores) and whether the two outputs are byte-identical; also the CLI's start-up (one conversation scored), which both pay once, and the
  speed-up past it; and the same two on the 1x export, one file whose conversations the workers share.

Words are whitespace-separated words of the turn texts, counted once, so both sides are divided by the same number.
``--write-results`` also rewrites the throughput section of ``benchmarks/RESULTS.md``, with the machine described.
Timings are wall-clock and noisy on a shared machine: compare runs made on the same quiet machine.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import html
import importlib.metadata
import importlib.util
import itertools
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
DEFAULT_SIZE = 1000
DEFAULT_JOBS_FILES = 2000
TARGET_JOBS_FILES = 1000  # the smallest folder the --jobs target is for: measured too
SCALE = 10
TARGET_RATIO = 1 / 3
TARGET_MEMORY = 1.2
TARGET_SPEEDUP = 1.7
JOBS_RUNS = 3
SCORE_RUNS = 3
COLUMNS = ("measure", "value", "unit", "target", "note")


# --- the corpus -------------------------------------------------------------------------------------------------

def _eval_twcs():
    spec = importlib.util.spec_from_file_location("eval_twcs", HERE / "eval_twcs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def twcs_conversations(data_dir: Path) -> Iterator[dict]:
    """Brand-support tweet threads (customer tweets = customer turns, brand replies = agent turns)."""
    for rows in _eval_twcs().read_threads(data_dir / "twcs" / "twcs_head5000.csv"):
        yield {"id": f"twcs-{rows[0]['tweet_id']}", "channel": "chat", "turns": [
            {"role": "customer" if row["inbound"] == "True" else "agent", "speaker": row["author_id"],
             "timestamp": row["_time"].isoformat(), "text": html.unescape(row["text"])} for row in rows]}


def ubuntu_conversations(data_dir: Path) -> Iterator[dict]:
    """Ubuntu IRC support chats: one utterance per line, no names upstream, so the two sides alternate."""
    with (data_dir / "ubuntu_dialogue_sample" / "dialogues_small.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            utterances = [u for u in record["text"].split("\n") if u.strip()]
            if len(utterances) < 2:
                continue
            yield {"id": "ubuntu-" + record["dialogue_id"].replace("/", "-").removesuffix(".tsv"), "channel": "chat",
                   "turns": [{"role": ("customer", "agent")[i % 2], "speaker": ("User", "Helper")[i % 2],
                              "text": text} for i, text in enumerate(utterances)]}


def uss_conversations(data_dir: Path) -> Iterator[dict]:
    """USS task dialogues (MultiWOZ, SGD): USER lines are the customer's, SYSTEM lines the agent's."""
    for name in ("MWOZ", "SGD"):
        with (data_dir / "uss_user_satisfaction" / f"{name}.txt").open(encoding="utf-8", newline="") as f:
            turns: list[dict] = []
            number = 0
            for row in itertools.chain(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE), [[]]):
                if len(row) >= 2 and row[1] != "OVERALL" and row[1].strip():
                    role = "customer" if row[0] == "USER" else "agent"
                    turns.append({"role": role, "speaker": "User" if role == "customer" else "Assistant",
                                  "text": row[1]})
                elif not row and turns:
                    number += 1
                    yield {"id": f"uss-{name.lower()}-{number}", "channel": "chat", "turns": turns}
                    turns = []


SOURCES = (("TWCS threads", "twcs-", twcs_conversations), ("Ubuntu chats", "ubuntu-", ubuntu_conversations),
           ("USS dialogues", "uss-", uss_conversations))  # name, id prefix, reader


def conversations(data_dir: Path) -> list[dict]:
    """Every conversation of the sources found in ``data_dir``, interleaved one from each source at a time (a
    source whose file is missing is left out, and said so on stderr)."""
    sources = []
    for name, _, read in SOURCES:
        try:
            sources.append(list(read(data_dir)))
        except FileNotFoundError as exc:
            log(f"{name} left out: {exc.filename or exc} not found")
    mixed = [c for group in itertools.zip_longest(*sources) for c in group if c is not None]
    if not mixed:
        raise FileNotFoundError(f"no conversations of any source in {data_dir}")
    return mixed


def source_names(conversations: list[dict]) -> str:
    """The sources ``conversations`` come from, named in a sentence."""
    names = [name for name, prefix, _ in SOURCES if any(c["id"].startswith(prefix) for c in conversations)]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


# a word with a digit or an @ (order numbers, dates, handles, e-mail addresses, most links), up to its closing
# punctuation
_NUMBERED = re.compile(r"\S*[\d@]\S*?(?=[^\w\s/]*(?:\s|$))")


def corpus(base: list[dict], size: int) -> Iterator[dict]:
    """``size`` conversations: ``base`` repeated, each copy with its own id, numbers and handles."""
    for n in range(size):
        conversation = base[n % len(base)]
        copy = n // len(base)
        if copy == 0:
            yield conversation
            continue
        turns = [{**turn, "text": _NUMBERED.sub(lambda m: f"{m.group()}{copy}", turn["text"])}
                 for turn in conversation["turns"]]
        yield {**conversation, "id": f"{conversation['id']}-copy{copy}", "turns": turns}


def write_corpus(conversations: Iterable[dict], folder: Path) -> int:
    """One generic JSON file per conversation, 1,000 to a sub-folder; returns how many were written."""
    count = 0
    for count, conversation in enumerate(conversations, 1):
        sub = folder / f"{(count - 1) // 1000:04d}"
        if (count - 1) % 1000 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{count:07d}.json").write_text(json.dumps(conversation, ensure_ascii=False), encoding="utf-8")
    return count


def write_export(conversations: Iterable[dict], path: Path) -> None:
    """The conversations as one JSON Lines export: a message per line, with its conversation's id and channel."""
    with path.open("w", encoding="utf-8") as export:
        for conversation in conversations:
            for turn in conversation["turns"]:
                message = {"conversation_id": conversation["id"], "channel": conversation["channel"], **turn}
                export.write(json.dumps(message, ensure_ascii=False) + "\n")


def write_list(conversations: Iterable[dict], path: Path) -> None:
    """The conversations as one generic JSON document, a list of them, written as it goes."""
    with path.open("w", encoding="utf-8") as document:
        for n, conversation in enumerate(conversations):
            document.write(("[" if n == 0 else ",\n") + json.dumps(conversation, ensure_ascii=False))
        document.write("]\n")


def write_archive(folder: Path, path: Path) -> Path:
    """The files of ``folder`` as one zip archive (deflated), as a helpdesk export may arrive."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*.json")):
            archive.write(file, file.relative_to(folder).as_posix())
    return path


def words(conversations: Iterable[dict]) -> int:
    return sum(len(turn["text"].split()) for c in conversations for turn in c["turns"])


def texts(conversations: Iterable[dict]) -> list[str]:
    return [turn["text"] for c in conversations for turn in c["turns"]]


def turns(conversations: Iterable[dict]) -> int:
    return sum(len(c["turns"]) for c in conversations)


# --- measurements -----------------------------------------------------------------------------------------------

def best_of(runs: int, measure) -> float:
    """The shortest of ``runs`` timings: the least disturbed by whatever else the machine is doing."""
    return min(measure() for _ in range(runs))


def seconds_to_pipe(pipeline, sample: list[str]) -> float:
    """Seconds for ``pipeline.pipe`` (a spaCy pipeline or tokenizer) to make a doc of every text of ``sample``."""
    started = time.perf_counter()
    for _ in pipeline.pipe(sample):
        pass
    return time.perf_counter() - started


def time_tokenizer(sample: list[str], runs: int = 3) -> float:
    """Seconds for spaCy's bare English tokenizer over ``sample``, a fresh tokenizer (cold cache) each run."""
    import spacy

    return best_of(runs, lambda: seconds_to_pipe(spacy.blank("en").tokenizer, sample))


def time_pipelines(sample: list[str], folder: Path) -> tuple[float, float]:
    """Seconds (best of 3) for ``score``'s built-in spaCy pipeline over ``sample``, and for the same with a
    pipeline of a trained pipeline's architecture (``stand_in_pipeline``), each loaded as ``--spacy-model`` would."""
    from transcript_coach.nlp import load_pipeline

    stand_in_pipeline(folder)
    built_in, stand_in = load_pipeline(None), load_pipeline(str(folder))
    return (best_of(3, lambda: seconds_to_pipe(built_in, sample)),
            best_of(3, lambda: seconds_to_pipe(stand_in, sample)))


STAND_IN_TAGS = ("$ '' , -LRB- -RRB- . : ADD AFX CC CD DT EX FW HYPH IN JJ JJR JJS LS MD NFP NN NNP NNPS NNS PDT POS "
                 "PRP PRP$ RB RBR RBS RP SYM TO UH VB VBD VBG VBN VBP VBZ WDT WP WP$ WRB XX _SP ``").split()
STAND_IN_DEPS = ("ROOT acl acomp advcl advmod agent amod appos attr aux auxpass case cc ccomp compound conj csubj "
                 "csubjpass dative dep det dobj expl intj mark meta neg nmod npadvmod nsubj nsubjpass nummod oprd "
                 "parataxis pcomp pobj poss preconj predet prep prt punct quantmod relcl xcomp").split()


def stand_in_pipeline(folder: Path) -> None:
    """Write to ``folder`` an English pipeline built from spaCy's own 'efficiency' config for a tagger and a parser
    (the architecture of its small trained pipelines: one tok2vec of width 96 shared by both), with the label sets of
    English treebanks and untrained weights: it runs as fast as a trained one, and finds nothing."""
    import spacy
    from spacy.cli.init_config import init_config

    config = init_config(lang="en", pipeline=["tagger", "parser"], optimize="efficiency", gpu=False)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    for tag in STAND_IN_TAGS:
        nlp.get_pipe("tagger").add_label(tag)
    for dep in STAND_IN_DEPS:
        nlp.get_pipe("parser").add_label(dep)
    nlp.initialize()
    nlp.to_disk(folder)


def time_score(folder: Path, spacy_model: str | None = None, profile: bool = False) -> tuple[float, float]:
    """(seconds to build the Coach, seconds for ``Coach.score`` over ``folder`` with the JSONL written to a null
    sink), in this process, on one core."""
    from transcript_coach import Coach
    from transcript_coach.reporting import write_jsonl

    started = time.perf_counter()
    coach = Coach(spacy_model=spacy_model)
    built = time.perf_counter() - started
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        write_jsonl(coach.score([folder], jobs=1), sink)
    elapsed = time.perf_counter() - started
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    return built, elapsed


def time_floor(folder: Path) -> float:
    """Seconds for what ``score`` does besides analysing: read every file, run the spaCy pipeline over every turn
    and encode every report as JSONL (the best of three): how fast ``score`` could be with no signal at all."""
    from transcript_coach import Coach
    from transcript_coach.model import Transcript
    from transcript_coach.reporting import jsonl_line

    coach = Coach()
    reports = list(coach.score([folder], jobs=1))

    def once() -> float:
        started = time.perf_counter()
        read = [t for t in coach.read([folder]) if isinstance(t, Transcript)]
        for _ in coach.nlp.pipe(turn.text for transcript in read for turn in transcript.turns):
            pass
        for report in reports:
            jsonl_line(report)
        return time.perf_counter() - started

    return best_of(3, once)


# Runs the command in its argument list and prints its wall seconds, exit code and peak memory (ru_maxrss). A process
# started straight from this one would report this process's own peak when that is higher: Linux carries the peak of
# the memory a child starts from (a copy of its parent's) over the exec into the child's ru_maxrss. Started from this
# small process instead, the command starts from a few megabytes and reports its own peak.
_MEASURE = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - started, os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def run_cli(args: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak resident memory in bytes, exit code) of ``transcript-coach ARGS`` in a child process."""
    command = [sys.executable, "-m", "transcript_coach.cli", *args]
    with tempfile.TemporaryFile() as errors:
        measured = subprocess.run([sys.executable, "-c", _MEASURE, *command], stdout=subprocess.PIPE, stderr=errors,
                                  text=True, check=True).stdout.split()
        errors.seek(0)
        error = errors.read().decode("utf-8", "replace")
    elapsed, returncode, peak = float(measured[0]), int(measured[1]), int(measured[2])
    if returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {returncode}: {error[-2000:]}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, kilobytes on Linux
    return elapsed, peak * scale, returncode


def installed_pipeline(name: str) -> bool:
    import spacy.util

    return bool(name) and spacy.util.is_package(name)


# --- the machine ------------------------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1048576:.1f} GB"
    load = "?"
    with contextlib.suppress(OSError, AttributeError):
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    from transcript_coach.parallel import default_jobs

    return {
        "cores": f"{default_jobs()} usable of {os.cpu_count()}",
        "cpu": model,
        "ram": memory,
        "python": platform.python_version(),
        "spacy": importlib.metadata.version("spacy"),
        "platform": platform.platform(),
        "load average at start": load,
    }


# --- the run ----------------------------------------------------------------------------------------------------

def row(measure: str, value, unit: str = "", target: str = "", met: bool | None = None, note: str = "") -> dict:
    return {"measure": measure, "value": value, "unit": unit, "target": target,
            "met": "" if met is None else ("yes" if met else "NO"), "note": note}


def measure_all(data_dir: Path, size: int, jobs_files: int, spacy_model: str, profile: bool, work: Path
                ) -> list[dict]:
    rows: list[dict] = []
    base = conversations(data_dir)
    one = list(corpus(base, size))
    sample, n_words, n_convs = texts(one), words(one), len(one)
    write_corpus(one, work / "1x")
    rows.append(row("corpus (1x)", n_convs, "conversations",
                    note=f"{turns(one)} turns, {n_words} words; {source_names(base)} interleaved, from "
                         f"{len(base)} distinct conversations"))
    log(f"corpus: {n_convs} conversations, {n_words} words")

    tokenizer = time_tokenizer(sample)
    tokenizer_rate = n_words / tokenizer
    rows.append(row("spaCy bare tokenizer (spacy.blank('en').tokenizer.pipe)", round(tokenizer_rate), "words/s",
                    note=f"best of 3, {tokenizer:.2f} s"))
    log(f"tokenizer: {tokenizer_rate:,.0f} words/s")

    timings = [time_score(work / "1x", profile=profile and run == 0) for run in range(SCORE_RUNS)]
    built, elapsed = timings[0][0], min(seconds for _, seconds in timings)
    log("score runs: " + ", ".join(f"{seconds:.1f} s" for _, seconds in timings))
    rate = n_words / elapsed
    rows.append(row("score, built-in pipeline, 1 core: words", round(rate), "words/s",
                    f">= {TARGET_RATIO:.2f} x tokenizer", rate >= TARGET_RATIO * tokenizer_rate,
                    f"{rate / tokenizer_rate:.3f} x the tokenizer; {elapsed:.1f} s, best of {SCORE_RUNS} runs, each "
                    "with a new Coach (tables loaded once per process, such as the language model, stay loaded after "
                    "the first); read, parse, signals, scores, notes, JSONL"))
    rows.append(row("score, built-in pipeline, 1 core: conversations", round(n_convs / elapsed, 1),
                    "conversations/s"))
    rows.append(row("Coach() start-up (built-in pipeline)", round(built, 2), "s", note="once per process"))
    floor = time_floor(work / "1x")
    rows.append(row("floor: read, spaCy pipeline and JSONL, no analysis", round(n_words / floor), "words/s",
                    note=f"{tokenizer / floor:.3f} x the tokenizer; {floor:.2f} s, best of 3: the most score could "
                         "reach if every signal, score and note cost nothing"))
    log(f"score: {rate:,.0f} words/s ({n_convs / elapsed:.1f} conversations/s)")

    if installed_pipeline(spacy_model):
        built, elapsed = time_score(work / "1x", spacy_model=spacy_model)
        model_rate = n_words / elapsed
        rows.append(row(f"score --spacy-model {spacy_model}, 1 core", round(model_rate), "words/s",
                        note=f"{model_rate / tokenizer_rate:.3f} x the tokenizer; {n_convs / elapsed:.1f} "
                             f"conversations/s; start-up {built:.1f} s"))
    else:
        rows.append(row(f"score --spacy-model {spacy_model or '(none)'}", "skipped",
                        note="that trained spaCy pipeline is not installed here (and cannot be downloaded offline)"))
        built_in, stand_in = time_pipelines(sample, work / "stand-in")
        rows.append(row("spaCy pipeline alone: built-in (tokenizer, sentencizer, lookup lemmas)",
                        round(n_words / built_in), "words/s", note=f"{built_in:.2f} s, best of 3"))
        rows.append(row("spaCy pipeline alone: a trained pipeline's architecture, untrained", round(n_words / stand_in),
                        "words/s",
                        note=f"{stand_in:.2f} s, best of 3: a stand-in for a small trained English pipeline (spaCy's "
                             "'efficiency' config: a tok2vec shared by a tagger and a parser), its weights untrained, "
                             "so its cost and not its results; a trained one would add about "
                             f"{(stand_in - built_in) / elapsed:.0%} to the built-in score time above, besides "
                             "changing the sentences and lemmas the signals see"))
    log("trained pipeline: " + rows[-1]["note"])

    write_corpus(corpus(base, size * SCALE), work / f"{SCALE}x")
    rows.extend(memory_rows({name: work / name for name in ("1x", f"{SCALE}x")}, "corpus", [],
                            "streaming in and out: memory does not grow with the number of files", work))
    archives = {name: write_archive(work / name, work / f"corpus-{name}.zip") for name in ("1x", f"{SCALE}x")}
    shutil.rmtree(work / f"{SCALE}x")
    rows.extend(memory_rows(archives, "corpus as one zip archive (a file per conversation)", [],
                            "its files are read from the archive one at a time: what grows is only its table of "
                            "contents", work))
    for path in archives.values():
        path.unlink()

    exports = {name: work / f"export-{name}.jsonl" for name in ("1x", f"{SCALE}x")}
    write_export(corpus(base, size), exports["1x"])
    write_export(corpus(base, size * SCALE), exports[f"{SCALE}x"])
    megabytes = str(1 + max(p.stat().st_size for p in exports.values()) // 1048576)  # no file-size limit in the way
    rows.extend(memory_rows(exports, "corpus as one JSON Lines export", ["--max-file-size", megabytes],
                            "a big export is read without holding its messages", work))
    packed = {name: path.with_name(path.name + ".gz") for name, path in exports.items()}
    for name, path in packed.items():
        with open(exports[name], "rb") as plain, gzip.open(path, "wb") as out:
            shutil.copyfileobj(plain, out)
    rows.extend(memory_rows(packed, "corpus as one gzip-compressed JSON Lines export", ["--max-file-size", megabytes],
                            "read a line at a time through the decompressor, never unpacked whole", work))
    for path in packed.values():
        path.unlink()
    exports.pop(f"{SCALE}x").unlink()

    lists = {name: work / f"list-{name}.json" for name in ("1x", f"{SCALE}x")}
    write_list(corpus(base, size), lists["1x"])
    write_list(corpus(base, size * SCALE), lists[f"{SCALE}x"])
    biggest = str(1 + max(p.stat().st_size for p in lists.values()) // 1048576)
    rows.extend(memory_rows(lists, "corpus as one JSON file (a list of conversations)", ["--max-file-size", biggest],
                            "the list is scanned from disk and each conversation read from the file when it is "
                            "built: its text is not held", work))
    packed = {name: path.with_name(path.name + ".gz") for name, path in lists.items()}
    for name, path in packed.items():
        with open(lists[name], "rb") as plain, gzip.open(path, "wb") as out:
            shutil.copyfileobj(plain, out)
        lists[name].unlink()
    rows.extend(memory_rows(packed, "corpus as one gzip-compressed JSON file (a list of conversations)",
                            ["--max-file-size", biggest], "scanned through the decompressor, and each conversation "
                            "read from the stream decompressed again, in order", work))
    for path in packed.values():
        path.unlink()

    rows.extend(measure_resume(exports["1x"], megabytes, work))

    from transcript_coach.parallel import default_jobs

    if default_jobs() < 2:
        rows.append(row("score --jobs 2 vs --jobs 1", "skipped", note="this machine lets the process use one core"))
        return rows
    startup = time_startup(base, work)
    rows.append(row("score start-up, CLI wall time for one conversation", round(startup, 2), "s",
                    note=f"imports, pipeline and lexicons, the language model read from the cache folder (unpacked "
                         f"by an earlier run), one file scored; best of {JOBS_RUNS} runs; paid once by --jobs 1 and "
                         "--jobs 2 alike"))
    for files in sorted({TARGET_JOBS_FILES, jobs_files}):
        rows.extend(measure_jobs(base, files, startup, work))
    rows.extend(measure_export_jobs(exports["1x"], megabytes, startup, work))
    return rows


def memory_rows(targets: dict[str, Path], what: str, options: list[str], why: str, work: Path) -> list[dict]:
    """Peak memory of ``score TARGET -o FILE --jobs 1`` for the 1x and the 10x target, and the ratio of the two."""
    rows, peaks = [], {}
    for name, target in targets.items():
        seconds, peaks[name], _ = run_cli(["score", str(target), "-o", str(work / "out-memory.jsonl"), "--jobs", "1",
                                           *options, "-q"])
        size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file()) if target.is_dir() else \
            target.stat().st_size
        rows.append(row(f"peak memory, score -o FILE --jobs 1, {name} {what}", round(peaks[name] / 1048576, 1), "MB",
                        note=f"ru_maxrss of the process; {size / 1048576:.1f} MB of input; {seconds:.1f} s wall"))
        log(f"peak memory, {name} {what}: {peaks[name] / 1048576:.1f} MB")
    (work / "out-memory.jsonl").unlink(missing_ok=True)
    ratio = peaks[f"{SCALE}x"] / peaks["1x"]
    rows.append(row(f"peak memory {SCALE}x / 1x, {what}", round(ratio, 3), "", f"<= {TARGET_MEMORY}",
                    ratio <= TARGET_MEMORY, why))
    return rows


def measure_resume(export: Path, megabytes: str, work: Path) -> list[dict]:
    """``score EXPORT -o FILE --jobs 1`` interrupted (Ctrl-C) once half its conversations are written (reports are
    written a batch at a time, so later could find it finished), then ``--resume``: its wall time against a whole
    run's, and whether it finishes with the whole run's bytes."""
    conversations = len({json.loads(line)["conversation_id"] for line in export.open(encoding="utf-8")})
    options = ["--jobs", "1", "--max-file-size", megabytes, "-q"]
    whole, _, _ = run_cli(["score", str(export), "-o", str(work / "whole.jsonl"), *options])
    out = work / "resumed.jsonl"
    journal = Path(f"{out}.partial")
    process = subprocess.Popen([sys.executable, "-m", "transcript_coach.cli", "score", str(export), "-o", str(out),
                                *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               # started in the background, this benchmark's children inherit Ctrl-C ignored, and
                               # the command leaves it so: as a terminal would have it, it ends the run
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while process.poll() is None and (not journal.exists() or
                                      journal.read_bytes().count(b"\n") < conversations / 2):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.wait()
    if not journal.exists():  # a corpus this small is scored before the first lines are written
        return [row("score --resume after an interrupt, one export file", "skipped",
                    note="the run finished before it could be interrupted half-way: use a larger --size")]
    written = journal.read_bytes().count(b"\n")
    resumed, _, _ = run_cli(["score", str(export), "-o", str(out), *options, "--resume"])
    same = out.read_bytes() == (work / "whole.jsonl").read_bytes()
    log(f"resume after {written} of {conversations}: {resumed:.1f} s (whole run {whole:.1f} s)")
    return [
        row("score --resume after an interrupt, one export file", round(resumed, 1), "s",
            note=f"the 1x corpus as one JSON Lines file, stopped (Ctrl-C) with {written} of its {conversations} "
                 f"conversations written: the written ones are read again, not scored; a whole run takes "
                 f"{whole:.1f} s; --jobs 1, including start-up"),
        row("--resume output byte-identical to a whole run", "yes" if same else "NO", "", "identical", same),
    ]


def time_startup(base: list[dict], work: Path) -> float:
    """The CLI's wall time for one conversation, the best of a few runs: what every run pays once."""
    one = work / "one"
    write_corpus(corpus(base, 1), one)
    startup = min(run_cli(["score", str(one), "-o", str(work / "one.jsonl"), "-q"])[0] for _ in range(JOBS_RUNS))
    log(f"start-up (one conversation): {startup:.2f} s")
    return startup


def measure_jobs(base: list[dict], jobs_files: int, startup: float, work: Path) -> list[dict]:
    from transcript_coach.parallel import default_jobs

    folder = work / f"jobs-{jobs_files}"
    write_corpus(corpus(base, jobs_files), folder)
    walls, same = time_jobs(folder, [], work)
    shutil.rmtree(folder)
    speedup = walls[1] / walls[2]
    best = f"best of {JOBS_RUNS} runs"
    return [
        row(f"score --jobs 1, CLI wall time, {jobs_files} files", round(walls[1], 1), "s",
            note="including start-up; " + best),
        row(f"score --jobs 2, CLI wall time, {jobs_files} files", round(walls[2], 1), "s",
            note="including start-up; " + best),
        row(f"speed-up of --jobs 2, {jobs_files} files", round(speedup, 2), "x", f">= {TARGET_SPEEDUP}",
            speedup >= TARGET_SPEEDUP, f"on {default_jobs()} cores, wall time including start-up"),
        row(f"speed-up of --jobs 2 past start-up, {jobs_files} files",
            round((walls[1] - startup) / (walls[2] - startup), 2), "x",
            note="both wall times less the start-up: the speed-up a folder many times larger approaches"),
        row(f"--jobs 2 output byte-identical to --jobs 1, {jobs_files} files", "yes" if same else "NO", "",
            "identical", same),
    ]


def measure_export_jobs(export: Path, megabytes: str, startup: float, work: Path) -> list[dict]:
    walls, same = time_jobs(export, ["--max-file-size", megabytes], work)
    return [
        row("speed-up of --jobs 2, one export file", round(walls[1] / walls[2], 2), "x",
            note=f"the 1x corpus as one JSON Lines file, its conversations shared out by the main process: "
                 f"{walls[1]:.1f} s against {walls[2]:.1f} s including start-up, best of {JOBS_RUNS} runs; "
                 f"{(walls[1] - startup) / (walls[2] - startup):.2f}x past start-up"),
        row("--jobs 2 output byte-identical to --jobs 1, one export file", "yes" if same else "NO", "", "identical",
            same),
    ]


def time_jobs(target: Path, options: list[str], work: Path) -> tuple[dict[int, float], bool]:
    """The best CLI wall time of ``score TARGET`` with ``--jobs 1`` and with ``--jobs 2``, and whether the two wrote
    the same bytes."""
    walls: dict[int, float] = {}
    for jobs in (1, 2) * JOBS_RUNS:  # alternated, the best of each: less at the mercy of other work on the machine
        seconds, _, _ = run_cli(["score", str(target), "-o", str(work / f"jobs{jobs}.jsonl"), "--jobs", str(jobs),
                                 *options, "-q"])
        walls[jobs] = min(seconds, walls.get(jobs, seconds))
        log(f"{target.name} --jobs {jobs}: {seconds:.1f} s")
    return walls, (work / "jobs1.jsonl").read_bytes() == (work / "jobs2.jsonl").read_bytes()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def markdown_table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS + ("met",)) + " |", "|" + "---|" * (len(COLUMNS) + 1)]
    for r in rows:
        value = f"{r['value']:,}" if isinstance(r["value"], int) else str(r["value"])
        lines.append("| " + " | ".join([r["measure"], value, r["unit"], r["target"], r["note"], r["met"]]) + " |")
    return "\n".join(lines)


def measured(measure: Callable[[Path], list[dict]], prefix: str) -> list[dict] | None:
    """What ``measure`` gives, run in a temporary folder that is removed after; None, said on stderr, when data it
    needs is missing."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        return measure(work)
    except FileNotFoundError as exc:
        print(f"data not found: {exc.filename or exc}", file=sys.stderr)
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_results(section: str, heading: str, script: str, argv: list[str], described: dict[str, str],
                  body: str) -> None:
    """``body`` as the ``section`` of RESULTS.md, under ``heading``, the command that made it (``script`` with the
    arguments ``argv``, data paths left out) and the machine described."""
    from harness import write_results_section  # benchmarks/ is on the path when run as a script

    command = f"python benchmarks/{script}" + "".join(
        f" {a}" for a in argv if a != "--write-results" and not a.startswith("/"))
    machine_text = "; ".join(f"{key}: {value}" for key, value in described.items())
    write_results_section(HERE / "RESULTS.md", section,
                          f"## {heading} (`{command}`)\n\nMachine: {machine_text}.\n\n{body}")


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def sized_main(argv: list[str], doc: str, *, default_size: int, size_help: str, measure, section: str,
               heading: str, script: str, preface: str = "", options=None) -> int:
    """The command line of a benchmark (``[DATA_DIR] [--size N] [--write-results]``, and what ``options(parser)``
    adds) that measures ``measure(args, work)``: its table printed, and with ``--write-results`` put as ``section``
    of RESULTS.md after ``preface``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--size", type=at_least_one, default=default_size, help=size_help)
    if options is not None:
        options(parser)
    parser.add_argument("--write-results", action="store_true", help=f"rewrite the {section} section of RESULTS.md")
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        print(f"data folder not found: {args.data_dir} (pass the path of shared/data)", file=sys.stderr)
        return 2
    described = machine()
    rows = measured(lambda work: measure(args, work), f"transcript-coach-{section}-")
    if rows is None:
        return 2
    table = markdown_table(rows)
    print(table)
    if args.write_results:
        write_results(section, heading, script, argv, described, f"{preface}\n\n{table}" if preface else table)
    return 0


def _throughput_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs-files", type=at_least_one, default=DEFAULT_JOBS_FILES,
                        help="files for the --jobs comparison")
    parser.add_argument("--spacy-model", default="en_core_web_sm", help="trained pipeline to measure if installed")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the 1x run on stderr")


def main(argv: list[str]) -> int:
    return sized_main(argv, __doc__, default_size=DEFAULT_SIZE, size_help="conversations in the 1x corpus",
                      measure=lambda args, work: measure_all(args.data_dir, args.size, args.jobs_files,
                                                             args.spacy_model, args.profile, work),
                      section="throughput", heading="Throughput", script="throughput.py",
                      preface="Timings are wall-clock: on a machine shared with other work they vary from run to run.",
                      options=_throughput_options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
