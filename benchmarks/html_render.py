"""How long a browser takes to open the HTML report of many conversations: headless Chromium's time to its first
screenshot of the page, for the report as written and for the same page with every conversation section rendered at
once and the whole review queue open, side by side in one run.

    python benchmarks/html_render.py [DATA_DIR] [--size N] [--write-results]

The conversations are ``throughput.py``'s (support tweet threads, Ubuntu chats and USS dialogues from DATA_DIR,
default ../shared/data), ``--size`` of them (default 1,000), scored once with ``score --format html``. The report's
stylesheet lets the browser skip the sections off screen (``content-visibility: auto``), and the review queue shows its
first entries with the rest folded; the second page is the first with both undone (one rule at the end of its
stylesheet, the fold opened), as the report was before. Each page is opened three times, each time in a new browser
profile, at 1366x900, and the best time is kept. Needs Chromium (``chromium``, ``chromium-browser`` or
``google-chrome`` on PATH). ``--write-results`` rewrites the HTML section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from throughput import conversations, corpus, log, row, run_cli, sized_main, write_corpus

from transcript_coach.reporting.html import QUEUE_SHOWN

DEFAULT_SIZE = 1000
RUNS = 3
ALL_RENDERED = ".conv { content-visibility: visible; }"  # the report as it was before sections were skipped
FOLDED, UNFOLDED = '<details class="queue-more">', '<details class="queue-more" open>'  # and before the queue folded
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise FileNotFoundError(f"no browser on PATH (looked for {', '.join(BROWSERS)})")


def seconds_to_screenshot(chrome: str, page: Path, work: Path) -> float:
    """Wall time from starting a headless browser (a new profile) on ``page`` to its screenshot being written."""
    with tempfile.TemporaryDirectory(dir=work) as profile:
        started = time.perf_counter()
        subprocess.run([chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
                        "--window-size=1366,900", f"--screenshot={work / 'shot.png'}", page.as_uri()],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=900)
        return time.perf_counter() - started


def measure_all(data_dir: Path, size: int, work: Path) -> list[dict]:
    chrome = browser()
    write_corpus(corpus(conversations(data_dir), size), work / "corpus")
    page = work / "report.html"
    seconds, _, _ = run_cli(["score", str(work / "corpus"), "--format", "html", "-o", str(page), "-q"])
    shutil.rmtree(work / "corpus")
    text = page.read_text(encoding="utf-8")
    if text.count("</style>") != 1:
        raise RuntimeError("expected the report to have one stylesheet")
    rendered = work / "all-rendered.html"
    rendered.write_text(text.replace("</style>", ALL_RENDERED + "</style>").replace(FOLDED, UNFOLDED),
                        encoding="utf-8")
    sections = text.count('<section class="conv"')
    log(f"wrote the report of {sections} conversations in {seconds:.1f} s: {page.stat().st_size / 1048576:.1f} MB")
    times = {}
    for name, path in (("as written", page), ("all rendered at once", rendered)):
        runs = [seconds_to_screenshot(chrome, path, work) for _ in range(RUNS)]
        times[name] = min(runs)
        log(f"{name}: " + ", ".join(f"{s:.1f} s" for s in runs))
    version = subprocess.run([chrome, "--version"], capture_output=True, text=True).stdout.strip()
    return [
        row("conversations in the report", sections, "conversations",
            note=f"{page.stat().st_size / 1048576:.1f} MB of HTML"),
        row("open to first screenshot, report as written", round(times["as written"], 2), "s",
            note=f"{version}, headless, 1366x900; best of {RUNS}, each in a new profile; conversation sections off "
                 f"screen are skipped (content-visibility: auto); the review queue's first {QUEUE_SHOWN} entries are "
                 "open, the rest folded"),
        row("open to first screenshot, every section rendered and the queue open",
            round(times["all rendered at once"], 2), "s",
            note="the same page with one rule added (.conv { content-visibility: visible; }) and the whole review "
                 "queue open: the report before"),
        row("speed-up of skipping sections off screen and folding the queue",
            round(times["all rendered at once"] / times["as written"], 2), "x"),
    ]


def main(argv: list[str]) -> int:
    try:
        browser()
    except FileNotFoundError as exc:  # said as it is, before any work (not as missing data)
        print(f"{exc}: install Chromium (the Debian package 'chromium') to run this benchmark", file=sys.stderr)
        return 2
    return sized_main(argv, __doc__, default_size=DEFAULT_SIZE, size_help="conversations in the report",
                      measure=lambda args, work: measure_all(args.data_dir, args.size, work),
                      section="html", heading="Opening the HTML report of many conversations",
                      script="html_render.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
