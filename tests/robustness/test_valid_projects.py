"""The rule behind issue 10: a project that `check` accepts runs on every engine with the
same answer. Random valid projects (valid_projects.py) over random CSV data must load, and
each query must give the Arrow executor's answer on DuckDB (and, on a few, on Spark) — or a
DataError about the data on both. Anything else is a finding: an internal error, a
QueryError for a query the generator built to be valid, a DataError on one engine only.
"""

from __future__ import annotations

import os

import metricsmith
import pyarrow as pa
import pytest
from agreement import differences
from hypothesis import HealthCheck, given, note, settings
from metricsmith.errors import DataError
from valid_projects import Case, cases

SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


def _answer(project: metricsmith.Project, case: Case, **engine: object) -> pa.Table | DataError:
    try:
        return project.query(list(case.metrics), **case.query_arguments(), **engine)
    except DataError as problem:
        return problem


def _check_agreement(case: Case, folder, **other: object) -> None:
    note(case.describe())
    project = metricsmith.load_project(case.write(folder))
    reference = _answer(project, case, engine="arrow")
    answer = _answer(project, case, **other)
    if isinstance(reference, DataError) or isinstance(answer, DataError):
        assert type(reference) is type(answer), f"arrow: {reference}\nother: {answer}"
        return
    found = differences(reference, answer)
    assert not found, "\n".join(found)


@settings(max_examples=150, **SETTINGS)
@given(case=cases())
def test_accepted_projects_agree_on_arrow_and_duckdb(case, tmp_path_factory):
    _check_agreement(case, tmp_path_factory.mktemp("case"), engine="duckdb")


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("METRICSMITH_SLOW"), reason="set METRICSMITH_SLOW=1")
@settings(max_examples=2000, **SETTINGS)
@given(case=cases())
def test_many_accepted_projects_agree_on_arrow_and_duckdb(case, tmp_path_factory):
    _check_agreement(case, tmp_path_factory.mktemp("case"), engine="duckdb")


@pytest.mark.spark
@settings(max_examples=8, **SETTINGS)
@given(case=cases())
def test_accepted_projects_agree_on_arrow_and_spark(case, tmp_path_factory, spark_session):
    folder = tmp_path_factory.mktemp("case")
    _check_agreement(case, folder, engine="spark", spark_session=spark_session)


@pytest.mark.postgres
@settings(max_examples=12, **SETTINGS)
@given(case=cases())
def test_accepted_projects_agree_on_arrow_and_postgres(case, tmp_path_factory, postgres_server):
    _check_agreement(case, tmp_path_factory.mktemp("case"), engine="postgres")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("METRICSMITH_SLOW"), reason="set METRICSMITH_SLOW=1")
@settings(max_examples=600, **SETTINGS)
@given(case=cases())
def test_many_accepted_projects_agree_on_arrow_and_postgres(
    case, tmp_path_factory, postgres_server
):
    _check_agreement(case, tmp_path_factory.mktemp("case"), engine="postgres")
