"""The benchmark harness's arithmetic: best and median times, and the ratios it reports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import pyarrow as pa
from harness import EngineResult, ratios, results_table, run_engines

RESULTS = [
    EngineResult("metricsmith-duckdb", first_run=2.0, runs=(1.2, 1.5, 1.4)),
    EngineResult("duckdb", first_run=1.0, runs=(0.8, 1.2, 1.0, 0.9)),
]


def test_best_and_median_of_the_runs():
    assert RESULTS[0].best == 1.2
    assert RESULTS[0].median == 1.4
    assert RESULTS[1].median == pytest.approx(0.95)  # an even count: the middle two's mean


def test_ratios_of_best_times_and_of_medians():
    assert ratios(RESULTS) == {"metricsmith-duckdb/duckdb": pytest.approx(1.5)}
    by_median = ratios(RESULTS, medians=True)
    assert by_median == {"metricsmith-duckdb/duckdb": pytest.approx(1.4 / 0.95)}


def test_the_table_shows_both_ratios():
    console = Console(width=200, record=True)
    console.print(results_table("t", RESULTS))
    text = console.export_text()
    assert "1.50× (1.47×)" in text
    assert "0.950" in text


def test_each_round_starts_one_engine_further_along():
    """An engine run right after another pays for what that one left behind: every engine
    takes each place in the order in turn (after one warm-up each, in the given order)."""
    calls: list[str] = []

    def runner(name: str):
        def run() -> pa.Table:
            calls.append(name)
            return pa.table({"n": [1]})

        return run

    results, answers = run_engines({e: runner(e) for e in ("a", "b", "c")}, repeats=4)
    assert calls == list("abc" + "abc" + "bca" + "cab" + "abc")
    assert [r.engine for r in results] == ["a", "b", "c"]
    assert all(len(r.runs) == 4 for r in results)
    assert set(answers) == {"a", "b", "c"}
