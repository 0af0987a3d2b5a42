"""Do skill bands agree with what each sample conversation was written to show?

``sample_transcripts/README.md`` lists, per conversation, the skills it shows strong and weak. A strong skill
agrees when it scores at or above the rubric's "strong" band minus 10, a weak one when it scores below the "low"
band plus 10; a null score disagrees (the skill was meant to be visible). This is a check of the rubric's
calibration on our own written examples, not an accuracy measure on independent data.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from transcript_coach import Coach

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_transcripts"


def intentions() -> list[dict]:
    rows = []
    for line in (SAMPLES / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) < 8:
            continue
        match = re.match(r"`([^`]+)`(?: \(([^)]+)\))?", cells[0])
        rows.append({
            "file": match.group(1), "id": match.group(2), "agents": cells[3],
            "strong": re.findall(r"[a-z_]{4,}", cells[6].split("(")[0]),
            "weak": re.findall(r"[a-z_]{4,}", cells[7].split("(")[0]),
        })
    return rows


def _row_for(report, rows: list[dict]) -> dict | None:
    candidates = [r for r in rows if r["file"] == Path(report.source).name]
    if len(candidates) > 1:
        candidates = [r for r in candidates if r["id"] and (r["id"] == report.id or r["id"] in report.id)] or [
            r for r in candidates if any(a.split()[0] in r["agents"] for a in report.transcript.agents)]
    return candidates[0] if len(candidates) == 1 else None


def evaluate() -> tuple[int, int, list[str]]:
    coach = Coach()
    rows = intentions()
    low, strong = coach.rubric.bands["low"], coach.rubric.bands["strong"]
    agree = total = 0
    misses: list[str] = []
    for report in coach.score([SAMPLES]):
        row = _row_for(report, rows) if hasattr(report, "skills") else None
        if row is None:
            continue
        for kind in ("strong", "weak"):
            for skill in row[kind]:
                if skill not in report.skills or skill == "continuous_learning":
                    continue
                score = report.skills[skill].score
                ok = score is not None and (score >= strong - 10 if kind == "strong" else score < low + 10)
                agree += ok
                total += 1
                if not ok:
                    misses.append(f"{row['file']} {row['id'] or ''} {skill} meant {kind}, scored {score}: "
                                  f"{report.skills[skill].reason[:120]}")
    return agree, total, misses


def rows(data_dir: Path) -> list[dict]:
    agree, total, _ = evaluate()
    return [{"signal": "skills (rubric bands)", "dataset": "sample_transcripts (ours)", "metric": "agreement",
             "value": agree / total if total else None, "target": None, "n": total,
             "note": "written intent per sample vs score band; calibration check on our own examples"}]


if __name__ == "__main__":
    agree, total, misses = evaluate()
    print(f"{agree}/{total} intended strong/weak skills agree with the score bands")
    for miss in misses:
        print(" -", miss)
    sys.exit(0)
