"""Memory and time of ``review`` and ``agents`` over many reports: one report file at 1x and at 10x.

    python benchmarks/reports_scale.py [DATA_DIR] [--size N] [--write-results]

The conversations are ``throughput.py``'s (support tweet threads, Ubuntu chats and USS dialogues from DATA_DIR,
default ../shared/data), ``--size`` of them (default 2,000), scored once with ``score -o reports.jsonl``. The 10x
file repeats those reports ten times, each copy's ids its own (``ID~k``): ten times the conversations, as a longer
period of the same team gives. Measured, each command a CLI subprocess reading the file: the peak memory
(``ru_maxrss``) and wall time of ``agents``, ``review --top 50`` and ``review`` at 1x and 10x, and the ratio of the
two peaks. ``review`` without ``--top`` lists every queued conversation, so what it keeps (each one's place in the
queue) grows with them; ``agents`` keeps under 300 bytes a conversation; ``review --top N`` a few conversations
an agent and a hash of each conversation's name. ``--write-results`` rewrites the reports section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from throughput import SCALE, conversations, corpus, log, row, run_cli, sized_main, write_corpus

DEFAULT_SIZE = 2000
EXPECTED = ("What grows with the reports: `agents` keeps under 300 bytes a conversation; `review --top N` keeps at "
            "most N and a quarter conversations an agent name (a bound reached once each name has that many queued) "
            "and a hash of each conversation's name; `review` without `--top` lists every queued conversation: it "
            "keeps each one's place in the queue (a few hundred bytes), its reasons and evidence lines waiting in a "
            "temporary file. Ratios are of the whole process, interpreter and imports included (about 30 MB).")
COMMANDS = (("agents", ["agents", "--format", "json"]), ("review --top 50", ["review", "--top", "50"]),
            ("review", ["review", "--format", "jsonl"]))


def repeated(reports: Path, copies: int, path: Path) -> None:
    """The reports of ``reports`` ``copies`` times over, each copy's ids made its own."""
    lines = reports.read_text(encoding="utf-8").splitlines()
    with path.open("w", encoding="utf-8") as out:
        for copy in range(copies):
            for line in lines:
                document = json.loads(line)
                if copy and "id" in document:
                    document["id"] = f"{document['id']}~{copy}"
                out.write(json.dumps(document, ensure_ascii=False) + "\n")


def measure_all(data_dir: Path, size: int, work: Path) -> list[dict]:
    write_corpus(corpus(conversations(data_dir), size), work / "corpus")
    files = {"1x": work / "reports-1x.jsonl", f"{SCALE}x": work / f"reports-{SCALE}x.jsonl"}
    seconds, _, _ = run_cli(["score", str(work / "corpus"), "-o", str(files["1x"]), "-q"])
    shutil.rmtree(work / "corpus")
    repeated(files["1x"], SCALE, files[f"{SCALE}x"])
    count = sum(1 for _ in files["1x"].open(encoding="utf-8"))
    log(f"scored {size} conversations in {seconds:.1f} s: {count:,} reports")
    rows = [row("reports (1x)", count, "reports", note=f"{files['1x'].stat().st_size / 1048576:.1f} MB of JSONL; "
                f"{SCALE}x: {count * SCALE:,} reports, {files[f'{SCALE}x'].stat().st_size / 1048576:.1f} MB")]
    for name, command in COMMANDS:
        peaks = {}
        for scale, path in files.items():
            seconds, peaks[scale], _ = run_cli([*command, str(path), "-o", str(work / "out")])
            rows.append(row(f"{name}, {scale} reports: peak memory", round(peaks[scale] / 1048576, 1), "MB",
                            note=f"ru_maxrss of the process; {seconds:.1f} s wall"))
            log(f"{name}, {scale}: {peaks[scale] / 1048576:.1f} MB, {seconds:.1f} s")
        rows.append(row(f"{name}: peak memory {SCALE}x / 1x", round(peaks[f"{SCALE}x"] / peaks["1x"], 3)))
    return rows


def main(argv: list[str]) -> int:
    return sized_main(argv, __doc__, default_size=DEFAULT_SIZE, size_help="conversations scored for the 1x file",
                      measure=lambda args, work: measure_all(args.data_dir, args.size, work),
                      section="reports", heading="Review and agents over many reports",
                      script="reports_scale.py", preface=EXPECTED)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
