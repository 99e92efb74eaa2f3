"""Binding on a valid project: names resolve to the right columns, links and metrics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from metricsmith import QueryError, load_project
from metricsmith.check.query import Query, check_query
from metricsmith.dsl.parser import parse_expression
from metricsmith.model import bound as b
from metricsmith.model.time import Grain
from metricsmith.model.types import Type

DEFS = """
source regions from csv("unused.csv") { key region_id }
source accounts from csv("unused.csv") {
  key account_id
  entity region_id -> regions
  column big = employees >= 100
}
source tickets from csv("unused.csv") {
  time opened_at
  entity account_id -> accounts
  column hours = hours_between(opened_at, resolved_at)
}
metric opened = count(tickets)
metric slow = count(tickets where hours > 24)
metric slow_share = slow / opened
metric enterprise_tickets = count(tickets where accounts.big)
dimension size = if(accounts.big, "big", "small")
"""

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
TABLES = {
    "regions": pa.table({"region_id": [1], "name": ["EU"]}),
    "accounts": pa.table({"account_id": [1], "region_id": [1], "employees": [10]}),
    "tickets": pa.table(
        {"account_id": [1], "opened_at": [T0], "resolved_at": [T0 + dt.timedelta(hours=3)]}
    ),
}


@pytest.fixture
def project(tmp_path: Path):
    path = tmp_path / "p.metrics"
    path.write_text(DEFS)
    return load_project(path, tables=TABLES)


def test_metric_references_and_types(project):
    slow_share = project.metrics["slow_share"]
    assert slow_share.type == Type.FLOAT
    assert isinstance(slow_share.formula, b.BBinary)
    assert slow_share.formula.left == b.BMetric(name="slow", type=Type.INTEGER)


def test_derived_columns_are_inlined(project):
    (aggregate,) = [
        n for n in b.bwalk(project.metrics["slow"].formula) if isinstance(n, b.BAggregate)
    ]
    columns = {n.column for n in b.bwalk(aggregate.where) if isinstance(n, b.BColumn)}
    assert columns == {"opened_at", "resolved_at"}


def test_derived_columns_of_linked_sources_follow_the_link(project):
    (aggregate,) = [
        n
        for n in b.bwalk(project.metrics["enterprise_tickets"].formula)
        if isinstance(n, b.BAggregate)
    ]
    (column,) = [n for n in b.bwalk(aggregate.where) if isinstance(n, b.BColumn)]
    assert (column.source, column.path, column.column) == ("accounts", ("account_id",), "employees")


def _sliced(project, label, formula):
    """The query's row dimension `label`, bound against every source."""
    query = Query(metrics=("opened",), by=((label, formula),))
    (row,) = check_query(project.checked, query).row_dimensions
    return row


def test_query_dimensions_bind_through_chains(project):
    bound = _sliced(project, "regions.name", parse_expression("regions.name")).bound["tickets"]
    assert bound == b.BColumn(
        source="regions", path=("account_id", "region_id"), column="name", type=Type.STRING
    )


def test_named_dimension_binds_per_root(project):
    assert project.dimensions["size"].source == "accounts"
    row = _sliced(project, "size", project.dimensions["size"].decl.expr)
    assert row.bound["tickets"].type == Type.STRING


def test_query_dimension_that_fans_out_is_refused(project):
    row = _sliced(project, "tickets.account_id", parse_expression("tickets.account_id"))
    with pytest.raises(QueryError, match="would fan out"):
        row.at("accounts", "metric `opened` aggregates rows of `accounts`", "metric `opened`")


def test_a_query_is_checked_once_and_comes_out_bound(project):
    query = Query(
        metrics=("slow_share",),
        by=(("size", project.dimensions["size"].decl.expr),),
        grain="month",
        filters=(parse_expression("tickets.hours > 1"),),
    )
    checked = check_query(project.checked, query)
    assert checked.grain is Grain.MONTH
    (metric,) = checked.metrics
    assert not any(isinstance(n, b.BMetric) for n in b.bwalk(metric.formula))
    (condition,) = checked.filters
    assert condition.bound["tickets"].type == Type.BOOLEAN
    # The filter names tickets' columns: read at accounts, it says why not, when needed.
    with pytest.raises(QueryError, match=r"filtered by `tickets.hours > 1`"):
        condition.at("accounts", "metric `x` aggregates rows of `accounts`", "metric `x`")


def test_a_bare_name_that_is_no_dimension_is_refused(project):
    query = Query(metrics=("opened",), by=(("sise", parse_expression("sise")),))
    with pytest.raises(QueryError, match="unknown dimension `sise`") as caught:
        check_query(project.checked, query)
    assert caught.value.hint == "did you mean `size`?"


def test_identical_aggregates_are_equal_wherever_written(project):
    again = parse_expression("count(tickets)")
    from metricsmith.check.bind import binder_for

    bound = binder_for(project.checked).bind_metric(again)
    assert bound == project.metrics["opened"].formula
