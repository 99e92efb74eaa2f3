"""The Spark engine: catalog tables through `spark_table(...)`, files Spark reads itself, the
caller's own session left as it was found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from agreement import differences
from builtin_calls import FUNCTIONS, ROWS
from metricsmith.errors import DataError, ProjectError
from metricsmith.execute.sql.spark_engine import execute_plan_spark
from metricsmith.plan import plan_query

pytestmark = pytest.mark.spark

INSTANT = pa.timestamp("us", tz="UTC")
TICKETS = pa.table(
    {
        "opened_at": pa.array(
            [dt.datetime(2024, 1, d, 9, tzinfo=dt.UTC) for d in (2, 15, 31)]
            + [dt.datetime(2024, 2, 1, tzinfo=dt.UTC)],
            INSTANT,
        ),
        "channel": ["email", "chat", None, "email"],
        "contacts": [1, 2, 1, None],
    }
)
METRICS = """
metric opened = count(tickets)
metric one_contact = count(tickets where contacts == 1) / opened
metric channels = count_distinct(tickets.channel)
"""
QUERY = {"by": ["tickets.channel"], "grain": "month", "start": "2024-01", "end": "2024-03"}
NAMES = ["opened", "one_contact", "channels"]


def _reference(tmp_path: Path) -> pa.Table:
    (tmp_path / "memory.metrics").write_text(
        'source tickets from csv("t.csv") { time opened_at }\n' + METRICS
    )
    project = metricsmith.load_project(tmp_path / "memory.metrics", tables={"tickets": TICKETS})
    return project.query(NAMES, engine="arrow", **QUERY)


@pytest.fixture
def catalog_project(spark, tmp_path) -> metricsmith.Project:
    spark.session.createDataFrame(TICKETS).createOrReplaceTempView("cs_tickets")
    (tmp_path / "catalog.metrics").write_text(
        'source tickets from spark_table("cs_tickets") { time opened_at }\n' + METRICS
    )
    return metricsmith.load_project(tmp_path / "catalog.metrics")


def test_a_spark_table_source_is_read_in_the_cluster(spark, catalog_project, tmp_path):
    answer = catalog_project.query(NAMES, engine="spark", spark_session=spark.session, **QUERY)
    problems = differences(_reference(tmp_path), answer)
    assert not problems, "\n".join(problems)
    sql = catalog_project.explain(NAMES, **QUERY, dialect="spark")
    assert "FROM cs_tickets" in sql


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
def test_other_engines_refuse_a_spark_table(catalog_project, engine):
    with pytest.raises(DataError, match="read by the Spark engine only"):
        catalog_project.query(NAMES, engine=engine, **QUERY)


def test_a_malformed_table_name_is_a_definition_error(spark, tmp_path):
    (tmp_path / "bad.metrics").write_text(
        'source tickets from spark_table("no such; table") { time opened_at }\n' + METRICS
    )
    with pytest.raises(ProjectError, match="is not a table name"):
        metricsmith.load_project(tmp_path / "bad.metrics")


def test_parquet_is_read_by_spark_and_the_sessions_zone_is_restored(spark, tmp_path):
    pq.write_table(TICKETS, tmp_path / "tickets.parquet")
    (tmp_path / "files.metrics").write_text(
        'calendar { timezone "America/New_York" week_start monday }\n'
        'source tickets from parquet("tickets.parquet") { time opened_at }\n' + METRICS
    )
    project = metricsmith.load_project(tmp_path / "files.metrics")
    spark.session.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    try:
        plan = plan_query(project.checked, project.build_query(NAMES, where=(), **QUERY))
        answer = execute_plan_spark(plan, project.checked, spark)
        assert spark.session.conf.get("spark.sql.session.timeZone") == "Asia/Tokyo"
    finally:
        spark.session.conf.set("spark.sql.session.timeZone", "UTC")
    reference = project.query(NAMES, engine="arrow", **QUERY)
    problems = differences(reference, answer)
    assert not problems, "\n".join(problems)
    # January: chat, email (2: 2024-02-01 00:00 UTC is still January in New York), no channel.
    assert answer.column("opened").to_pylist()[:3] == [1, 2, 1]


@pytest.mark.parametrize("timezone", ["UTC", "America/New_York"])
def test_every_builtin_function_agrees_on_spark(spark, tmp_path, timezone):
    metrics = "\n".join(f"metric {name} = {formula}" for name, formula in FUNCTIONS.items())
    (tmp_path / "f.metrics").write_text(
        f'calendar {{ timezone "{timezone}" week_start sunday }}\n'
        'source rows from csv("rows.csv") {}\n' + metrics
    )
    project = metricsmith.load_project(tmp_path / "f.metrics", tables={"rows": ROWS})
    reference = project.query(list(FUNCTIONS), engine="arrow")
    answer = project.query(list(FUNCTIONS), engine="spark", spark_session=spark.session)
    problems = differences(reference, answer)
    assert not problems, "\n".join(problems)
