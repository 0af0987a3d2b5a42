"""The benchmark modules keep to what ``benchmarks/accuracy.py`` expects of them (their numbers are the benchmarks'
business, not the tests')."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("path", sorted(BENCHMARKS.glob("eval_*.py")), ids=lambda p: p.name)
def test_every_eval_module_gives_accuracy_its_rows(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "rows" in functions, f"{path.name} has no rows(data_dir): benchmarks/accuracy.py would stop at it"
    assert functions["rows"].args.args[0].arg == "data_dir"


def test_redaction_rows_cover_every_kind_on_the_samples_without_the_shared_data(tmp_path):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import accuracy
        import eval_redaction
    finally:
        sys.path.remove(str(BENCHMARKS))
    from transcript_coach.redact import KINDS

    produced = eval_redaction.rows(tmp_path, per_kind=20)  # an empty data folder: the ABCD part is left out
    assert all(set(row) == set(accuracy.COLUMNS) for row in produced)
    assert {row["signal"] for row in produced if row["metric"] == "removed"} == {f"redaction.{k}" for k in KINDS}
    assert all(0 <= row["value"] <= 1 for row in produced)
    assert not any(row["dataset"].startswith("abcd") for row in produced)


SHARED_DATA = BENCHMARKS.parent.parent / "shared" / "data"


@pytest.mark.skipif(not (SHARED_DATA / "twcs").is_dir(), reason="the shared data is not next to the repository")
def test_html_render_times_both_pages_of_a_small_report():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import html_render
        import throughput
    finally:
        sys.path.remove(str(BENCHMARKS))
    try:
        html_render.browser()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    produced = throughput.measured(lambda work: html_render.measure_all(SHARED_DATA, 3, work), "tc-html-test-")
    by_measure = {row["measure"]: row["value"] for row in produced}
    assert by_measure["conversations in the report"] == 3
    assert by_measure["open to first screenshot, report as written"] > 0
    assert by_measure["open to first screenshot, every section rendered and the queue open"] > 0


def test_html_render_without_a_browser_says_so_before_any_work(monkeypatch, capsys):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import html_render
    finally:
        sys.path.remove(str(BENCHMARKS))
    monkeypatch.setattr(html_render.shutil, "which", lambda name: None)
    assert html_render.main(["--size", "2"]) == 2
    error = capsys.readouterr().err
    assert "no browser on PATH" in error and "install Chromium" in error and "data not found" not in error
