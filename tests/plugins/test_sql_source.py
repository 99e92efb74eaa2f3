"""The SQL a database connector sends (metricsmith.plugins.sql_source), without any driver: the
cases the Snowflake and BigQuery plugins' tests do not reach."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from metricsmith.errors import DataError
from metricsmith.plugins.connector import TimeRange
from metricsmith.plugins.sql_source import (
    SqlSourceReader,
    query_relation,
    read_sql,
    schema_sql,
    table_relation,
)

UTC = dt.UTC
SCHEMA = pa.schema(
    [
        ("at", pa.timestamp("us", tz="UTC")),
        ("day", pa.date32()),
        ("label", pa.string()),
    ]
)


@pytest.mark.parametrize(
    ("dialect", "name", "sent"),
    [
        ("snowflake", "events", '"EVENTS"'),
        ("snowflake", 'Db."My Schema".events', '"DB"."My Schema"."EVENTS"'),
        ("bigquery", "my-project.Analytics.Events", "`my-project`.`Analytics`.`Events`"),
        ("postgres", "Public.Events", '"public"."events"'),
    ],
)
def test_table_names_mean_what_they_mean_in_the_dialect(dialect, name, sent) -> None:
    relation = table_relation(name, dialect, source_name="s")
    assert schema_sql(relation) == f"SELECT * FROM {sent} LIMIT 0"


@pytest.mark.parametrize("name", ["a.b.c.d", "t AS x", "f(1)", "t; drop table t", "", "t x"])
def test_anything_but_a_table_name_is_refused(name) -> None:
    with pytest.raises(DataError, match="is not a table name"):
        table_relation(name, "snowflake", source_name="s")


@pytest.mark.parametrize(
    "text",
    [
        "delete from t",
        "insert into t select 1",
        "create table t as select 1",
        "select 1; drop table t",
        "",
    ],
)
def test_a_query_must_be_one_query(text) -> None:
    with pytest.raises(DataError, match="query= must be one query"):
        query_relation(text, "snowflake", source_name="s")


def test_a_query_that_does_not_parse_says_where() -> None:
    with pytest.raises(DataError, match=r"cannot read the query: .*\(line 1, column \d+\)"):
        query_relation("select (1 from t", "snowflake", source_name="s")


def test_a_column_of_text_gets_no_time_filter() -> None:
    relation = table_relation("t", "snowflake", source_name="s")
    everything = TimeRange("label", dt.datetime(2024, 1, 1, tzinfo=UTC), None)
    assert read_sql(relation, SCHEMA, ["label"], everything) == 'SELECT "label" FROM "T"'


def test_bounds_beyond_the_calendar_are_left_out() -> None:
    relation = table_relation("t", "snowflake", source_name="s")
    edges = TimeRange(
        "day", dt.datetime(1, 1, 1, tzinfo=UTC), dt.datetime(9999, 12, 31, 12, tzinfo=UTC)
    )
    assert read_sql(relation, SCHEMA, ["day"], edges) == 'SELECT "day" FROM "T"'
    start_only = TimeRange("at", dt.datetime(1, 1, 1, tzinfo=UTC), None)
    assert read_sql(relation, SCHEMA, ["at"], start_only) == (
        'SELECT "at" FROM "T" WHERE "at" >= CAST(\'0001-01-01 00:00:00+00:00\' AS '
        'TIMESTAMPTZ) OR "at" IS NULL'
    )


def test_a_reader_refuses_a_column_it_does_not_have() -> None:
    sent: list[str] = []

    def fetch(sql: str, purpose: str) -> pa.Table:
        sent.append(sql)
        return SCHEMA.empty_table()

    reader = SqlSourceReader(
        table_relation("t", "snowflake", source_name="s"), fetch, source_name="s", location="t"
    )
    with pytest.raises(DataError, match="column `lable`: the source has no such column"):
        reader.read(["lable"])
    assert sent == ['SELECT * FROM "T" LIMIT 0']
