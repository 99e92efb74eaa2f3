"""A pytest plugin that shadows every `Project.query` of a test run on other engines.

    pytest -p shadow_plugin --shadow-engines duckdb --shadow-report report.jsonl tests/cases

Each query still returns the Arrow executor's answer, so the suite under the shadow runs as
usual; the same query also runs on each shadow engine and the outcome is appended to the
report, one JSON object per line: `agree`, `differ` (with the differences), `gap` (the SQL
compiler refused a construct, with its reason), or `error` (one engine failed where the other
did not, or they failed differently). tests/conformance/test_shadow_suites.py runs other
suites this way and reads the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import metricsmith.api
import pytest
from agreement import differences
from metricsmith.errors import MetricsmithError
from metricsmith.execute.sql.errors import UnsupportedConstruct

_current_test = ["(collection)"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--shadow-engines", default="duckdb", help="comma-separated engines")
    parser.addoption("--shadow-report", required=True, help="where to append the outcomes")


def pytest_configure(config: pytest.Config) -> None:
    engines = [e for e in config.getoption("--shadow-engines").split(",") if e]
    report = Path(config.getoption("--shadow-report"))
    original = metricsmith.api.Project.query

    def shadowed(self, metrics, **options):
        options.pop("engine", None)
        try:
            reference = original(self, metrics, engine="arrow", **options)
        except MetricsmithError as failure:
            for engine in engines:
                _record(
                    report, engine, _same_failure(original, self, metrics, engine, options, failure)
                )
            raise
        for engine in engines:
            _record(report, engine, _compare(original, self, metrics, engine, options, reference))
        return reference

    metricsmith.api.Project.query = shadowed


def pytest_runtest_setup(item: pytest.Item) -> None:
    _current_test[0] = item.nodeid


def _compare(original, project, metrics, engine, options, reference) -> dict[str, object]:
    try:
        answer = original(project, metrics, engine=engine, **options)
    except UnsupportedConstruct as gap:
        return {"status": "gap", "detail": gap.reason, "construct": gap.construct}
    except MetricsmithError as failure:
        return {"status": "error", "detail": f"arrow answered, {engine} raised {failure!r}"}
    problems = differences(reference, answer)
    return {"status": "differ", "detail": problems} if problems else {"status": "agree"}


def _same_failure(original, project, metrics, engine, options, failure) -> dict[str, object]:
    """When the Arrow executor refuses a query, the engine must refuse it the same way."""
    try:
        original(project, metrics, engine=engine, **options)
    except UnsupportedConstruct as gap:
        return {"status": "gap", "detail": gap.reason, "construct": gap.construct}
    except MetricsmithError as other:
        if type(other) is type(failure):
            return {"status": "agree"}
        return {"status": "error", "detail": f"arrow raised {failure!r}, {engine} {other!r}"}
    return {"status": "error", "detail": f"arrow raised {failure!r}, {engine} answered"}


def _record(report: Path, engine: str, outcome: dict[str, object]) -> None:
    outcome = {"test": _current_test[0], "engine": engine, **outcome}
    with report.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(outcome, default=str) + "\n")
