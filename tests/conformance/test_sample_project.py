"""Every metric of the sample project (its own and the customer-success library it includes)
gives the same table on the Arrow executor, DuckDB and Spark.

Each scenario plans the query once and runs that one plan on every engine, all compilable
metrics together (one query per engine). A metric the SQL compiler does not compile yet is a
known gap: its test expects the compiler to refuse it with `UnsupportedConstruct` (strict
xfail), so it starts failing the day the compiler learns the construct and this list must be
updated.
"""

from __future__ import annotations

import functools
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from agreement import differences
from known_gaps import gaps_of
from metricsmith.errors import QueryError
from metricsmith.execute.arrow import execute_plan
from metricsmith.execute.sql import UnsupportedConstruct, execute_plan_duckdb
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
}


# Metrics that compare two float sums for strict inequality: `health_revenue` is
# `if(mrr < mrr[-1], 0, 1)` and MRR sums amount / 12 as floats, so an unchanged MRR can read as
# a fall by the last bit of the summation order -- on the Arrow engine itself 6313.666666666666
# and ...665 for the same subscriptions in the week of 2024-03-11 by plan type. The engines
# agree on MRR to 1e-9; comparing cents (round(mrr, 2)) would make the metric robust.
FLOAT_ORDER_SENSITIVE = {
    ("weekly by plan type", "health_revenue"),
    ("weekly by plan type", "health_score"),
}


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
def classified(scenario: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """The metrics the scenario can ask for that compile, and the known gaps with reasons.
    A metric the planner refuses in a scenario (a filter its source cannot take) is left out:
    that refusal happens before any engine is chosen."""
    compiled, gaps = [], {}
    for name in sample().metrics:
        try:
            plan = _plan([name], scenario)
        except QueryError:
            continue
        reasons = gaps_of(plan)
        if reasons:
            gaps[name] = reasons[0]
        else:
            compiled.append(name)
    return tuple(compiled), gaps


@functools.cache
def answers(scenario: str, engine: str) -> pa.Table:
    plan = _scenario_plan(scenario)
    project = sample().checked
    if engine == "arrow":
        return execute_plan(plan, project)
    if engine == "duckdb":
        return execute_plan_duckdb(plan, project)
    raise ValueError(engine)


@functools.cache
def _scenario_plan(scenario: str) -> Plan:
    return _plan(list(classified(scenario)[0]), scenario)


def _cases(with_gaps: bool) -> list[object]:
    cases = []
    for scenario in SCENARIOS:
        compiled, gaps = classified(scenario)
        if with_gaps:
            cases += [
                pytest.param(
                    scenario,
                    name,
                    marks=pytest.mark.xfail(
                        strict=True, raises=UnsupportedConstruct, reason=reason
                    ),
                    id=f"{scenario}: {name}",
                )
                for name, reason in gaps.items()
            ]
        else:
            cases += [
                pytest.param(
                    scenario,
                    name,
                    id=f"{scenario}: {name}",
                    marks=[pytest.mark.xfail(strict=True, reason="float summation order")]
                    if (scenario, name) in FLOAT_ORDER_SENSITIVE
                    else [],
                )
                for name in compiled
            ]
    return cases


def _keys(scenario: str) -> list[str]:
    options = SCENARIOS[scenario]
    return [*([options["grain"]] if "grain" in options else []), *options.get("by", [])]


def _agree(reference: pa.Table, other: pa.Table, scenario: str, metric: str) -> None:
    columns = [*_keys(scenario), metric]
    problems = differences(reference.select(columns), other.select(columns))
    assert not problems, "\n".join(problems)


def test_the_scenarios_have_data_and_compile_most_metrics():
    for scenario in SCENARIOS:
        compiled, _ = classified(scenario)
        assert len(compiled) >= 40, scenario
        assert answers(scenario, "arrow").num_rows >= 1


@pytest.mark.parametrize(("scenario", "metric"), _cases(with_gaps=False))
def test_duckdb_agrees(scenario, metric):
    _agree(answers(scenario, "arrow"), answers(scenario, "duckdb"), scenario, metric)


@pytest.mark.parametrize(("scenario", "metric"), _cases(with_gaps=True))
def test_known_gap_is_refused_at_compile_time(scenario, metric):
    execute_plan_duckdb(_plan([metric], scenario), sample().checked)


@pytest.mark.spark
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_spark_agrees(spark, scenario):
    from metricsmith.execute.sql.spark_engine import execute_plan_spark

    answer = execute_plan_spark(_scenario_plan(scenario), sample().checked, spark)
    reference = answers(scenario, "arrow")
    sensitive = [name for s, name in FLOAT_ORDER_SENSITIVE if s == scenario]
    kept = [c for c in reference.column_names if c not in sensitive]
    problems = differences(reference.select(kept), answer.select(kept))
    assert not problems, "\n".join(problems)
