"""Every dialect renders SQL that sqlglot parses back; what a dialect cannot express fails at
compile time naming the construct and the dialect."""

from __future__ import annotations

import re

import metricsmith
import pyarrow as pa
import pytest
import sqlglot
from metricsmith.errors import QueryError
from metricsmith.execute.sql import DIALECTS, UnsupportedConstruct
from metricsmith.model.types import Type
from metricsmith.plugins.functions import AggregateFunction, ScalarFunction
from metricsmith.plugins.hookspecs import hookimpl
from sql_helpers import stamps, utc
from sqlglot import exp

PROJECT = """
calendar { timezone "Europe/Berlin" week_start sunday }
source accounts from csv("a.csv") { key account_id  time signed_up_at }
source tickets from csv("t.csv") {
  entity account_id -> accounts
  time opened_at
  column resolution_hours = hours_between(opened_at, resolved_at)
}
source subscriptions from csv("s.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
dimension size = if(accounts.employees < 50, "small", "large")
metric opened = count(tickets)
metric fcr = count(tickets where contacts == 1 and resolved_at is not null)
    / count(tickets where resolved_at is not null)
metric hours = avg(tickets.resolution_hours)
metric weekend = count_distinct(tickets.account_id where weekday(opened_at) >= 6)
metric monthly = count(tickets where date_trunc("month", opened_at) == cohort(opened_at, month))
metric labelled =
    count(tickets where contains(lower(channel), "mail") and channel in ("email", "x"))
metric mrr = sum(subscriptions.mrr)
metric arpa = mrr / count_distinct(subscriptions.account_id)
metric median_hours = median(tickets.resolution_hours)
metric banded = count(tickets where bucket(contacts, 2, "one", "more") == "one")
metric last_contacts = last(tickets.contacts)
"""
PORTABLE = ["opened", "fcr", "hours", "weekend", "monthly", "labelled", "mrr", "arpa", "banded"]


@pytest.fixture
def project(define):
    tickets = pa.table(
        {
            "opened_at": stamps(utc(2024, 1, 1)),
            "resolved_at": stamps(utc(2024, 1, 2)),
            "account_id": [1],
            "contacts": [1],
            "channel": ["email"],
        }
    )
    accounts = pa.table(
        {"account_id": [1], "signed_up_at": stamps(utc(2023, 1, 1)), "employees": [10]}
    )
    subscriptions = pa.table(
        {
            "account_id": [1],
            "mrr": [10.0],
            "started_at": stamps(utc(2023, 1, 1)),
            "ended_at": stamps(None),
        }
    )
    return define(PROJECT, tickets=tickets, accounts=accounts, subscriptions=subscriptions)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_each_dialect_parses_back(project, dialect):
    sql = project.explain(
        PORTABLE, by=["size"], grain="week", start="2024-01", end="2024-03", dialect=dialect
    )
    parsed = sqlglot.parse_one(sql, read=dialect)
    assert isinstance(parsed, exp.Select)
    # The spine: listed rows or a generated series of period numbers.
    assert "spine" in {cte.alias for cte in parsed.find_all(exp.CTE)}


@pytest.mark.parametrize(
    ("dialect", "reason"), [("trino", "approximate"), ("bigquery", "analytic")]
)
def test_an_exact_median_is_refused_where_there_is_none(project, dialect, reason):
    with pytest.raises(UnsupportedConstruct) as refused:
        project.explain(["median_hours"], dialect=dialect)
    message = str(refused.value)
    assert f"to {dialect} SQL" in message and "exact median or percentile" in message
    assert reason in message


@pytest.mark.parametrize(
    ("dialect", "exact"),
    [
        ("duckdb", "QUANTILE_CONT("),
        # Spark interpolates between a group's sorted values itself (dialects.py).
        ("spark", "ARRAY_SORT(COLLECT_LIST("),
        ("postgres", "PERCENTILE_CONT("),
        ("snowflake", "PERCENTILE_CONT("),
    ],
)
def test_an_exact_median_where_there_is_one(project, dialect, exact):
    sql = project.explain(["median_hours"], dialect=dialect)
    assert exact in "".join(sql.upper().split())  # across the pretty-printer's line breaks


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake"])
def test_picking_one_row_is_refused_without_a_filter_clause(project, dialect):
    with pytest.raises(UnsupportedConstruct) as refused:
        project.explain(["last_contacts"], dialect=dialect)
    message = str(refused.value)
    assert f"to {dialect} SQL" in message and "last, first, max_by or min_by" in message


@pytest.mark.parametrize(
    ("dialect", "form"),
    [("duckdb", "ARG_MAX"), ("spark", "MAX_BY"), ("trino", "MAX_BY"), ("postgres", "ARRAY_AGG")],
)
def test_picking_one_row_where_there_is_a_form(project, dialect, form):
    sql = project.explain(
        ["last_contacts"], grain="month", start="2024-01", end="2024-03", dialect=dialect
    )
    assert form in sql
    assert isinstance(sqlglot.parse_one(sql, read=dialect), exp.Select)


DECIMALS = """
source s from csv("s.csv") { time day  column a: decimal  column b: decimal }
metric ratio = sum(s.a) / sum(s.b)
metric total = sum(s.a) + sum(s.b)
"""


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_dialect_gives_decimal_arithmetic_the_languages_type(define, dialect):
    table = pa.table({"day": stamps(utc(2024, 1, 1)), "a": [1], "b": [2]})
    project = define(DECIMALS, s=table)
    sql = project.explain(["ratio", "total"], dialect=dialect)
    assert isinstance(sqlglot.parse_one(sql, read=dialect), exp.Select)
    flat = re.sub(r"\s+", " ", sql).replace("( ", "(").replace(" )", ")")
    decimal = "NUMERIC" if dialect == "bigquery" else "DECIMAL(38, 9)"  # BigQuery's is (38, 9)
    assert flat.count(f"AS {decimal}) AS m") == 2
    assert f"AS {decimal}) AS {decimal})" not in flat  # each cast once
    if dialect in ("duckdb", "spark"):  # their exact quotients keep too few places
        assert "AS DOUBLE) / NULLIF(CAST(" in flat
    if dialect == "spark":  # its exact sums of two DECIMAL(38, 9) keep 8 places
        assert flat.count("AS DECIMAL(37, 9))") == 2


def test_an_open_range_needs_a_sql_engine_to_find_its_end(project):
    with pytest.raises(QueryError, match="takes the ends of its range from the data"):
        project.explain(["opened"], grain="month", start="2024-01", dialect="postgres")
    sql = project.explain(["opened"], grain="month", start="2024-01", engine="duckdb", sql=True)
    assert "2024-01-01" in sql


# ---- plugin functions -----------------------------------------------------------------------
def _twice_arrow(value):
    return pa.compute.multiply(value, 2)


def _twice_sql(dialect: str, value: exp.Expression) -> exp.Expression:
    if dialect == "snowflake":
        raise NotImplementedError("this plugin does not support Snowflake")
    return exp.Mul(this=value, expression=exp.Literal.number(2))


class _Plugin:
    """Registers `twice` (with SQL) and `thrice` (without)."""

    @hookimpl
    def metricsmith_scalar_functions(self):
        signature = lambda types: types[0]  # noqa: E731
        return [
            ScalarFunction(
                "twice", 1, 1, signature, _twice_arrow, "x*2", "twice(x)", sql=_twice_sql
            ),
            ScalarFunction("thrice", 1, 1, signature, _twice_arrow, "x*3", "thrice(x)"),
        ]

    @hookimpl
    def metricsmith_aggregate_functions(self):
        def tally_sql(dialect: str, value: exp.Expression | None) -> exp.Expression:
            return exp.Count(this=exp.Star() if value is None else value)

        signature = lambda argument: Type.INTEGER  # noqa: E731
        return [
            AggregateFunction(
                "tally",
                signature,
                "rows",
                "tally(s)",
                counts_rows=True,
                hash_name="count",
                empty=0,
                sql=tally_sql,
            )
        ]


def test_plugin_functions_compile_through_their_sql(tmp_path):
    table = pa.table({"x": [1, 2, 3]})
    (tmp_path / "p.metrics").write_text(
        'source rows from csv("r.csv") {}\n'
        "metric doubled = sum(twice(rows.x))\nmetric tripled = sum(thrice(rows.x))\n"
    )
    project = metricsmith.load_project(tmp_path, tables={"rows": table}, plugins=[_Plugin()])
    assert project.query(["doubled"], engine="duckdb").to_pylist() == [{"doubled": 12}]
    with pytest.raises(UnsupportedConstruct, match=r"function `thrice`.*no SQL implementation"):
        project.query(["tripled"], engine="duckdb")
    with pytest.raises(UnsupportedConstruct, match="does not support Snowflake"):
        project.explain(["doubled"], dialect="snowflake")


def test_a_plugin_aggregate_counting_rows_where_a_condition_holds(tmp_path):
    """Its SQL gets a value that is 1 where the condition holds (it was a sqlglot error)."""
    table = pa.table({"x": [1, 2, 3]})
    (tmp_path / "p.metrics").write_text(
        'source rows from csv("r.csv") {}\n'
        "metric all_rows = tally(rows)\nmetric big = tally(rows where x > 1)\n"
    )
    project = metricsmith.load_project(tmp_path, tables={"rows": table}, plugins=[_Plugin()])
    for engine in ("arrow", "duckdb"):
        rows = project.query(["all_rows", "big"], engine=engine).to_pylist()
        assert rows == [{"all_rows": 3, "big": 2}], engine


def test_postgres_multiplies_a_whole_sum_of_microseconds_into_an_interval():
    # Found on a real server: `epoch + (a + b * INTERVAL '1 MICROSECOND')` adds a bigint to an
    # interval, which PostgreSQL refuses.
    micros = exp.Add(this=exp.column("a"), expression=exp.column("b"))
    sql = DIALECTS["postgres"].sql(DIALECTS["postgres"].instant_from_micros(micros))
    assert "(a + b) * INTERVAL '1 MICROSECOND'" in sql


def test_sqlstate_22003_is_an_arithmetic_overflow():
    from metricsmith.execute.sql.errors import is_overflow

    class DriverError(Exception):
        sqlstate = "22003"

    assert is_overflow(DriverError("bigint out of range"))
    assert not is_overflow(type("Other", (Exception,), {"sqlstate": "22P02"})("bad text"))
