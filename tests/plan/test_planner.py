"""plan_query: fused scans, expanded metrics, joins, projections, pushdown, and the errors a
query can run into."""

from __future__ import annotations

import datetime as dt

import pytest
from metricsmith.check.query import Query, check_query
from metricsmith.errors import QueryError
from metricsmith.model import bound as b
from metricsmith.plan import EventTime, Join, plan_query

TICKET_METRICS = ["tickets_opened", "resolved", "resolution_share", "slow_share", "mean_resolution"]


def plan(project, metrics, *, by=(), grain=None, start=None, end=None, where=()):
    query = project.build_query(metrics, by=by, grain=grain, start=start, end=end, where=where)
    return plan_query(project.checked, query)


def aggregate_texts(scan) -> list[str]:
    from metricsmith.plan.formatting import format_expr

    return [format_expr(f.aggregate) for f in scan.aggregates]


def test_aggregates_over_one_source_are_fused_into_one_scan(project):
    result = plan(project, TICKET_METRICS, grain="month")
    (scan,) = result.scans
    assert scan.source == "tickets"
    assert scan.time == EventTime("opened_at")
    assert aggregate_texts(scan) == [
        "count(tickets)",
        "count(tickets where resolved_at is not null)",
        "count(tickets where hours_between(opened_at, resolved_at) > 24)",
        "avg(hours_between(opened_at, resolved_at))",
    ]


def test_metric_references_are_expanded_onto_the_scans_aggregates(project):
    result = plan(project, ["resolution_share"])
    formula = result.metrics[0].formula
    assert not any(isinstance(node, b.BMetric) for node in b.bwalk(formula))
    columns = result.aggregate_columns()
    used = [node for node in b.bwalk(formula) if isinstance(node, b.BAggregate)]
    assert [columns[node] for node in used] == ["a0", "a1"]


def test_one_read_per_source_with_the_needed_columns(project):
    result = plan(project, [*TICKET_METRICS, "csat"], by=["accounts.segment"], grain="month")
    reads = {read.source: read for read in result.reads}
    assert set(reads) == {"tickets", "accounts", "csat"}
    assert set(reads["tickets"].columns) == {"opened_at", "resolved_at", "account_id", "ticket_id"}
    assert set(reads["accounts"].columns) == {"account_id", "segment"}
    assert set(reads["csat"].columns) == {"answered_at", "ticket_id", "score"}


def test_a_query_over_all_time_reads_no_event_time_it_does_not_use(project):
    result = plan(project, [*TICKET_METRICS, "csat"])
    reads = {read.source: read for read in result.reads}
    # `opened_at` is read for the formulas that use it, not to place the tickets.
    assert set(reads["tickets"].columns) == {"opened_at", "resolved_at"}
    assert set(reads["csat"].columns) == {"score"}


def test_time_ranges_are_pushed_down_in_utc(project):
    result = plan(project, ["csat"], start="2024-01-01", end="2024-07-01")
    (read,) = result.reads
    assert read.time_range.column == "answered_at"
    assert read.time_range.start == dt.datetime(2023, 12, 31, 23, tzinfo=dt.UTC)
    assert read.time_range.end == dt.datetime(2024, 6, 30, 22, tzinfo=dt.UTC)


def test_join_targets_are_read_without_a_time_range(project):
    result = plan(project, ["csat"], by=["tier"], start="2024-01-01", end="2024-07-01")
    reads = {read.source: read for read in result.reads}
    assert reads["csat"].time_range is not None
    assert reads["tickets"].time_range is None
    assert set(reads["tickets"].columns) == {"ticket_id", "account_id"}
    assert set(reads["accounts"].columns) == {"account_id", "plan_id"}
    assert set(reads["plans"].columns) == {"plan_id", "tier"}
    (scan,) = result.scans
    assert scan.joins == (
        Join(("ticket_id",), "tickets", "ticket_id"),
        Join(("ticket_id", "account_id"), "accounts", "account_id"),
        Join(("ticket_id", "account_id", "plan_id"), "plans", "plan_id"),
    )


def test_a_named_dimension_is_reached_from_each_root(project):
    result = plan(project, ["tickets_opened", "signups"], by=["size"])
    tickets, accounts = result.scans
    paths = {
        s.source: {c.path for c in b.bwalk(s.dimensions[0]) if isinstance(c, b.BColumn)}
        for s in (tickets, accounts)
    }
    assert paths == {"tickets": {("account_id",)}, "accounts": {()}}


def test_unknown_metric_suggests_a_name(project):
    with pytest.raises(QueryError, match="tickets_opened"):
        check_query(project.checked, Query(metrics=("tickets_openned",)))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (Query(metrics=()), "names no metric"),
        (Query(metrics=("csat",), grain="fortnight"), "unknown grain `fortnight`"),
        (
            Query(
                metrics=("csat",),
                start=dt.datetime(2024, 2, 1, tzinfo=dt.UTC),
                end=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            ),
            "the range is empty",
        ),
    ],
)
def test_malformed_queries(project, query, message):
    with pytest.raises(QueryError, match=message):
        check_query(project.checked, query)


def test_a_dimension_that_would_fan_out_names_metric_source_and_dimension(project):
    with pytest.raises(QueryError) as caught:
        plan(project, ["tickets_opened"], by=["csat.score"])
    message = str(caught.value)
    assert "metric `tickets_opened` aggregates rows of `tickets`" in message
    assert "sliced by `csat.score`" in message
    assert "fan out" in message


def test_a_named_dimension_out_of_reach(project):
    with pytest.raises(QueryError) as caught:
        plan(project, ["signups"], by=["channel"])
    message = str(caught.value)
    assert "metric `signups`" in message and "sliced by `channel`" in message
    assert "tickets.account_id → accounts" in message


def test_a_filter_out_of_reach(project):
    with pytest.raises(QueryError, match=r"filtered by `csat.score > 3`"):
        plan(project, ["signups"], where=["csat.score > 3"])


def test_a_filter_must_be_a_condition(project):
    with pytest.raises(QueryError, match="is string, not true/false"):
        plan(project, ["tickets_opened"], where=["tickets.channel"])


def test_a_source_without_time_cannot_be_split_by_period(project):
    with pytest.raises(QueryError) as caught:
        plan(project, ["plan_count"], grain="month")
    assert "`plans`, which has no time column" in str(caught.value)
    assert plan(project, ["plan_count"]).scans[0].time is None


def test_each_output_column_once(project):
    with pytest.raises(QueryError, match=r"two columns named `accounts\.segment`"):
        plan(project, ["signups"], by=["accounts.segment", "accounts.segment"])
