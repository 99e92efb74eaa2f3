"""Every query the other test suites make, run again on DuckDB: the answers must agree.

The executor, published-case and sample-project suites hold hundreds of hand-checked queries
(time zones, state sources, joins, nulls, empty periods, data errors). They run here once more
under shadow_plugin.py, which repeats each query on DuckDB and records whether the answers
agree. A construct the SQL compiler refuses is recorded as a gap; there must be none.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
SUITES = ["execute", "cases", "sample", "library"]
# Spark answers each query in about half a second: the published cases and the executor's
# semantic tests (time zones, state sources, joins, nulls, data errors, per-entity levels,
# cohorts, MRR movements) on it; every built-in function runs on Spark in
# test_spark_engine.py.
SPARK_SUITES = [
    "cases",
    *(
        f"execute/test_{name}.py"
        for name in (
            "periods_in_results",
            "state_sources",
            "joins_and_dimensions",
            "data_errors",
            "per_entity",
            "cohorts",
            "mrr_movements",
        )
    ),
]
# Hypothesis tests that compare with hand-written DuckDB SQL: hundreds of random queries each,
# slow to repeat; test_differential.py compares random queries with the SQL engines instead.
RANDOMISED = ["*_vs_duckdb.py", "test_against_duckdb.py"]


def shadow(tmp_path: Path, engine: str, paths: list[str]) -> list[dict[str, object]]:
    """The outcomes of running the test files at `paths` with every query shadowed on
    `engine`."""
    report = tmp_path / f"shadow-{engine}.jsonl"
    path = os.pathsep.join([str(TESTS / "conformance"), os.environ.get("PYTHONPATH", "")])
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "shadow_plugin",
        "-p",
        "no:cacheprovider",
        "--shadow-engines",
        engine,
        "--shadow-report",
        str(report),
        *(f"--ignore-glob=*/{pattern}" for pattern in RANDOMISED),
        *(str(TESTS / p) for p in paths),
    ]
    environment = {**os.environ, "PYTHONPATH": path}
    subprocess.run(command, env=environment, cwd=TESTS.parent, capture_output=True, check=False)
    return [json.loads(line) for line in report.read_text().splitlines()]


def assert_agreement(outcomes: list[dict[str, object]], at_least: int) -> None:
    statuses = collections.Counter(outcome["status"] for outcome in outcomes)
    failures = [o for o in outcomes if o["status"] in ("differ", "error")]
    gaps = [o for o in outcomes if o["status"] == "gap"]
    assert not failures, "\n".join(f"{o['test']}: {o['detail']}" for o in failures[:20])
    assert not gaps, "\n".join(f"{o['test']}: {o['construct']}: {o['detail']}" for o in gaps)
    assert statuses["agree"] >= at_least, statuses


def test_other_suites_agree_on_duckdb(tmp_path):
    assert_agreement(shadow(tmp_path, "duckdb", SUITES), at_least=200)


@pytest.mark.spark
def test_the_published_cases_and_the_executor_semantics_agree_on_spark(tmp_path):
    assert_agreement(shadow(tmp_path, "spark", SPARK_SUITES), at_least=100)
