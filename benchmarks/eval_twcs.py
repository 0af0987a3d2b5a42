"""Spot checks on real support tweets (TWCS, Customer Support on Twitter): how often each signal fires.

    python benchmarks/eval_twcs.py [DATA_DIR]

The tweets of ``twcs/twcs_head5000.csv`` are threaded into conversations (connected components of the
``in_response_to_tweet_id`` links, ordered by ``created_at``): customer tweets (``inbound=True``) are the customer's
turns, brand replies the agent's. Every thread goes through one ``Coach().analyze_many`` call, so every signal family
that exists when this runs is exercised. There are no labels: the rows give, per feature, the share of brand
replies (or of customer tweets, for features that fire on what customers write) with at least one piece of evidence,
and the mean time to first response when a ``timing`` feature measures it. Run as a script, it also prints a few
random (seeded) evidence texts per feature so that a person can judge the precision by eye.

TWCS is CC BY-NC-SA 4.0 (Kaggle, Thought Vector): used here for evaluation only, never copied into the repository.
"""

from __future__ import annotations

import csv
import html
import random
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from transcript_coach import Coach, Report, Transcript

DATASET = "twcs_head5000"
NOTE = "unlabelled spot check"
SEED = 20240601
EXAMPLES_PER_FEATURE = 5


def read_threads(path: Path) -> list[list[dict]]:
    """Conversations as lists of tweet rows (ordered by time), in order of their first tweet."""
    with path.open(encoding="utf-8", newline="") as f:
        tweets = {row["tweet_id"]: row for row in csv.DictReader(f)}
    parent: dict[str, str] = {tid: tid for tid in tweets}

    def root(tid: str) -> str:
        while parent[tid] != tid:
            parent[tid] = parent[parent[tid]]
            tid = parent[tid]
        return tid

    for tid, row in tweets.items():
        replied_to = (row.get("in_response_to_tweet_id") or "").strip()
        if replied_to.endswith(".0"):
            replied_to = replied_to[:-2]
        if replied_to in tweets:
            parent[root(tid)] = root(replied_to)
    groups: dict[str, list[dict]] = defaultdict(list)
    for tid, row in tweets.items():
        row["_time"] = datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y")
        groups[root(tid)].append(row)
    threads = [sorted(rows, key=lambda r: (r["_time"], int(r["tweet_id"]))) for rows in groups.values()]
    threads.sort(key=lambda rows: (rows[0]["_time"], int(rows[0]["tweet_id"])))
    return threads


def transcripts(threads: list[list[dict]]) -> list[Transcript]:
    return [
        Transcript.from_turns(
            [{"role": "customer" if row["inbound"] == "True" else "agent", "speaker": row["author_id"],
              "timestamp": row["_time"], "text": html.unescape(row["text"])} for row in rows],
            id=f"twcs-{rows[0]['tweet_id']}", source=DATASET,
        )
        for rows in threads
    ]


def analyze(data_dir: Path) -> tuple[list[Report], float]:
    threads = read_threads(Path(data_dir) / "twcs" / "twcs_head5000.csv")
    coach = Coach()
    started = time.perf_counter()
    reports = list(coach.analyze_many(transcripts(threads)))
    return reports, time.perf_counter() - started


def summarize(reports: list[Report], seconds: float) -> list[dict]:
    replies = {role: 0 for role in ("agent", "customer")}
    skipped = {role: 0 for role in ("agent", "customer")}
    with_feature: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
    first_response: list[float] = []
    for report in reports:
        turns = report.transcript.turns
        english = not any(w.startswith("language:") for w in report.warnings)
        for turn in turns:
            if turn.role in replies and not turn.internal:
                (replies if english else skipped)[turn.role] += 1
        for e in report.evidence:
            role = turns[e.turn].role
            if role in replies:
                with_feature[(e.feature, role)].add((report.id, e.turn))
            if e.feature.startswith("timing.first_response"):
                first_response.append(e.value)
    rows: list[dict] = []
    features = sorted({f for f, _ in with_feature}, key=lambda f: (f.split(".")[0], f))
    for feature in features:
        for role, label in (("agent", "share of brand replies"), ("customer", "share of customer tweets")):
            hit = with_feature.get((feature, role))
            if not hit:
                continue
            rows.append({"signal": feature, "dataset": DATASET, "metric": label,
                         "value": round(len(hit) / replies[role], 4) if replies[role] else None,
                         "target": None, "n": replies[role], "note": NOTE})
    if first_response:
        ordered = sorted(first_response)
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        for metric, value in (("mean time to first response (seconds)", sum(ordered) / len(ordered)),
                              ("median time to first response (seconds)", median)):
            rows.append({"signal": "timing.first_response", "dataset": DATASET, "metric": metric,
                         "value": round(value, 1), "target": None, "n": len(ordered), "note": NOTE})
    rows.append({"signal": "all", "dataset": DATASET, "metric": "analysis seconds (all threads)",
                 "value": round(seconds, 2), "target": None, "n": len(reports),
                 "note": f"{NOTE}; {skipped['agent']} brand replies in non-English threads not analysed"})
    return rows


def rows(data_dir: Path) -> list[dict]:
    reports, seconds = analyze(data_dir)
    return summarize(reports, seconds)


def examples(reports: list[Report], per_feature: int = EXAMPLES_PER_FEATURE, seed: int = SEED) -> dict[str, list]:
    """A few random evidence items per feature, with the sentence around them, for reading by eye."""
    by_feature: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for report in reports:
        turns = report.transcript.turns
        for e in report.evidence:
            text = turns[e.turn].text
            left = max(text.rfind(".", 0, max(e.start - 1, 0)) + 1, e.start - 80, 0)
            right = min(len(text), e.end + 80)
            context = (text[left:e.start] + "[[" + e.text + "]]" + text[e.end:right]).strip().replace("\n", " ")
            by_feature[e.feature].append((turns[e.turn].role, e.rule, context))
    rng = random.Random(seed)
    return {f: rng.sample(items, min(per_feature, len(items))) for f, items in sorted(by_feature.items())}


if __name__ == "__main__":
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    all_reports, elapsed = analyze(data)
    for row in summarize(all_reports, elapsed):
        print("\t".join(str(row[k]) for k in ("signal", "dataset", "metric", "value", "target", "n", "note")))
    print()
    for name, items in examples(all_reports).items():
        print(f"== {name}")
        for role, rule, context in items:
            print(f"   [{role}] {rule}: {context}")
