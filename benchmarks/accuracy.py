"""Accuracy of every signal against the human labels in the shared data, as one table.

    python benchmarks/accuracy.py [DATA_DIR] [--write-results]

DATA_DIR defaults to ../shared/data next to the repository. Each ``benchmarks/eval_*.py`` module contributes rows
(``rows(data_dir) -> list[dict]``); a dataset that is missing is reported as skipped, not as a failure.
``--write-results`` also rewrites the accuracy section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import importlib.util
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
COLUMNS = ("signal", "dataset", "metric", "value", "target", "n", "note")


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def collect(data_dir: Path) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(HERE.glob("eval_*.py")):
        started = time.perf_counter()
        try:
            produced = load_module(path).rows(data_dir)
        except FileNotFoundError as exc:
            produced = [{"signal": path.stem, "dataset": "-", "metric": "skipped", "value": None, "target": None,
                         "n": 0, "note": f"data not found: {exc.filename or exc}"}]
        print(f"{path.name}: {len(produced)} rows in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        rows.extend(produced)
    return rows


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None:
        return "" if key != "value" else "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _met(row: dict) -> str:
    target, value = row.get("target"), row.get("value")
    if target is None or value is None:
        return ""
    return "yes" if value >= target else "NO"


def markdown_table(rows: list[dict]) -> str:
    header = "| " + " | ".join(COLUMNS + ("met",)) + " |"
    rule = "|" + "---|" * (len(COLUMNS) + 1)
    body = ["| " + " | ".join([_cell(r, k) for k in COLUMNS] + [_met(r)]) + " |" for r in rows]
    return "\n".join([header, rule, *body])


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    data_dir = Path(args[0]) if args else DEFAULT_DATA
    if not data_dir.is_dir():
        print(f"data folder not found: {data_dir} (pass the path of shared/data)", file=sys.stderr)
        return 2
    rows = collect(data_dir)
    table = markdown_table(rows)
    print(table)
    if "--write-results" in argv:
        write_results(table)
    return 0


def write_results(table: str) -> None:
    from harness import write_results_section  # benchmarks/ is on the path when run as a script

    write_results_section(HERE / "RESULTS.md", "accuracy",
                          f"## Accuracy (`python benchmarks/accuracy.py`)\n\nMachine: {platform.platform()}, "
                          f"Python {platform.python_version()}.\n\n{table}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
