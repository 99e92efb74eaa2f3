"""Every metric of the sample project (its own and the customer-success library it includes)
gives the same table on the Arrow executor, DuckDB, PostgreSQL and Spark.

Each scenario plans the query once and runs that one plan on every engine, all the metrics the
scenario can ask for together (one query per engine): per-entity iteration, cohorts and ages,
offsets of offsets and per-entity dimensions included.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from agreement import differences
from metricsmith.errors import QueryError
from metricsmith.execute.arrow import execute_plan
from metricsmith.execute.sql import execute_plan_duckdb
from metricsmith.plan import Plan, plan_query

SAMPLE = Path(__file__).resolve().parents[2] / "metric_defs" / "sample"
SCENARIOS = {
    "monthly by segment": {
        "by": ["accounts.segment"],
        "grain": "month",
        "start": "2024-01",
        "end": "2025-01",
    },
    "all data": {},
    "weekly by plan type": {
        "by": ["plan_type"],
        "grain": "week",
        "start": "2024-03-01",
        "end": "2024-05-01",
    },
    "quarters of EMEA, range from the data": {
        "grain": "quarter",
        "where": ['accounts.region == "EMEA"'],
    },
    "monthly by health band and segment": {
        "by": ["health_band", "accounts.segment"],
        "grain": "month",
        "start": "2024-01",
        "end": "2025-01",
    },
    "monthly sign-up cohorts by age": {
        "by": ["cohort(accounts.signed_up_at, month)", "age"],
        "grain": "month",
        "start": "2024-01",
        "end": "2025-01",
    },
}
#: How many metrics each scenario must at least be able to ask for (slicing by a per-entity
#: dimension only suits metrics made of `per` aggregates).
AT_LEAST = {"monthly by health band and segment": 10}


@functools.cache
def sample() -> metricsmith.Project:
    return metricsmith.load_project(SAMPLE)


def _plan(metrics: list[str], scenario: str) -> Plan:
    project = sample()
    options = {
        "by": (),
        "grain": None,
        "start": None,
        "end": None,
        "where": (),
        **SCENARIOS[scenario],
    }
    return plan_query(project.checked, project.build_query(metrics, **options))


@functools.cache
def classified(scenario: str) -> tuple[str, ...]:
    """The metrics the scenario can ask for. A metric the planner refuses in a scenario (a
    filter its source cannot take, a per-entity dimension it cannot be sliced by) is left out:
    that refusal happens before any engine is chosen."""
    planned = []
    for name in sample().metrics:
        try:
            _plan([name], scenario)
        except QueryError:
            continue
        planned.append(name)
    return tuple(planned)


@functools.cache
def answers(scenario: str, engine: str) -> pa.Table:
    plan = _scenario_plan(scenario)
    project = sample().checked
    if engine == "arrow":
        return execute_plan(plan, project)
    if engine == "duckdb":
        return execute_plan_duckdb(plan, project)
    if engine == "postgres":  # on the server of libpq's environment (`postgres_server`)
        return sample().engines["postgres"].execute(plan, project, {})
    raise ValueError(engine)


@functools.cache
def _scenario_plan(scenario: str) -> Plan:
    return _plan(list(classified(scenario)), scenario)


def _cases() -> list[object]:
    return [
        pytest.param(scenario, name, id=f"{scenario}: {name}")
        for scenario in SCENARIOS
        for name in classified(scenario)
    ]


def _agree(reference: pa.Table, other: pa.Table, scenario: str, metric: str) -> None:
    metrics = set(classified(scenario))
    columns = [*(c for c in reference.column_names if c not in metrics), metric]
    problems = differences(reference.select(columns), other.select(columns))
    assert not problems, "\n".join(problems)


def test_the_scenarios_have_data_and_ask_for_most_metrics():
    for scenario in SCENARIOS:
        assert len(classified(scenario)) >= AT_LEAST.get(scenario, 40), scenario
        assert answers(scenario, "arrow").num_rows >= 1


@pytest.mark.parametrize(("scenario", "metric"), _cases())
def test_duckdb_agrees(scenario, metric):
    _agree(answers(scenario, "arrow"), answers(scenario, "duckdb"), scenario, metric)


@pytest.mark.postgres
@pytest.mark.parametrize(("scenario", "metric"), _cases())
def test_postgres_agrees(postgres_server, scenario, metric):
    _agree(answers(scenario, "arrow"), answers(scenario, "postgres"), scenario, metric)


#: The scenarios Spark runs on every test run. Spark answers a query of a hundred metrics in
#: 10-50 s; the other three (a range from the data, cohorts by age, weeks: 140 s together) run
#: with METRICSMITH_SLOW=1, and each of their shapes is on Spark in the engine suites
#: (tests/execute: periods_in_results, cohorts; tests/cases) on every run.
SPARK_EVERY_RUN = ("monthly by segment", "all data", "monthly by health band and segment")
_SLOW = pytest.mark.skipif(not os.environ.get("METRICSMITH_SLOW"), reason="set METRICSMITH_SLOW=1")


@pytest.mark.spark
@pytest.mark.parametrize(
    "scenario",
    [pytest.param(s, marks=() if s in SPARK_EVERY_RUN else _SLOW) for s in SCENARIOS],
)
def test_spark_agrees(spark, scenario):
    from metricsmith.execute.sql.spark_engine import execute_plan_spark

    answer = execute_plan_spark(_scenario_plan(scenario), sample().checked, spark)
    problems = differences(answers(scenario, "arrow"), answer)
    assert not problems, "\n".join(problems)
