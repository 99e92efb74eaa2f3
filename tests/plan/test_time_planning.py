"""Planning time intelligence: periods computed before the range for offsets, one grouped pass
per window, and the levels below the query's cells that `per` iterates over."""

from __future__ import annotations

import datetime as dt

import pytest
from metricsmith.errors import QueryError
from metricsmith.model import bound as b
from metricsmith.model.time import Grain, WindowKind
from metricsmith.plan import WindowSpec, explain, plan_query

MARCH_APRIL = {"grain": "month", "start": "2024-03-01", "end": "2024-05-01"}
BERLIN_MARCH = dt.datetime(2024, 2, 29, 23, tzinfo=dt.UTC)


def plan(project, metrics, *, by=(), grain=None, start=None, end=None, where=()):
    query = project.build_query(metrics, by=by, grain=grain, start=start, end=end, where=where)
    return plan_query(project.checked, query)


def read_of(result, source):
    return next(read for read in result.reads if read.source == source)


def test_offsets_compute_and_read_the_periods_before_the_range(project):
    result = plan(project, ["ticket_growth"], **MARCH_APRIL)
    assert result.top.extension == 1
    assert read_of(result, "tickets").time_range.start == dt.datetime(
        2024, 1, 31, 23, tzinfo=dt.UTC
    )
    assert plan(project, ["tickets_last_year"], **MARCH_APRIL).top.extension == 12


def test_an_offset_needs_a_grain_and_years_need_whole_periods(project):
    with pytest.raises(QueryError, match="no grain"):
        plan(project, ["ticket_growth"], start="2024-03-01", end="2024-05-01")
    with pytest.raises(QueryError, match="a year is not a whole number of weeks"):
        plan(project, ["tickets_last_year"], grain="week", start="2024-03-01")


def test_one_grouped_pass_per_source_and_window(project):
    result = plan(
        project, ["tickets_opened", "tickets_7d", "resolved_7d", "tickets_ever"], **MARCH_APRIL
    )
    windows = [(scan.window, len(scan.aggregates)) for scan in result.scans]
    assert windows == [
        (None, 1),
        (WindowSpec(WindowKind.LAST, 7, Grain.DAY), 2),
        (WindowSpec(WindowKind.ALL_TIME), 1),
    ]
    # An all-time window reads every row before the range's end.
    time_range = read_of(result, "tickets").time_range
    assert (time_range.start, time_range.end) == (None, dt.datetime(2024, 4, 30, 22, tzinfo=dt.UTC))


def test_a_window_reads_back_from_the_first_period(project):
    result = plan(project, ["tickets_7d"], **MARCH_APRIL)
    # March's window, the earliest: the 7 days before 1 April, midnight in Berlin.
    march_window = dt.datetime(2024, 3, 24, 23, tzinfo=dt.UTC)
    assert read_of(result, "tickets").time_range.start == march_window


def test_per_aggregates_over_one_entity_share_a_level(project):
    result = plan(project, ["busy_accounts", "mean_tickets"], **MARCH_APRIL)
    assert result.scans == ()
    (child,) = result.top.children
    level = child.level
    assert [a.name for a in child.aggregates] == ["p0", "p1"]
    assert (level.entity.name, level.members.source, level.members.time) == (
        "account",
        "accounts",
        "signed_up_at",
    )
    assert level.extension == 1
    (scan,) = level.scans
    assert scan.entity == b.BColumn(
        source="tickets", path=(), column="account_id", type=scan.entity.type
    )
    assert scan.dimensions == ()  # an account's dimensions are its own row's
    # Every account that exists by the range's end: no lower bound on accounts.
    assert read_of(result, "accounts").time_range.start is None


def test_a_level_starts_where_its_parent_reads_it(project):
    result = plan(project, ["busy_accounts", "tickets_last_year"], **MARCH_APRIL)
    assert result.top.extension == 12
    (child,) = result.top.children
    assert (child.reach, child.level.extension) == (0, 0)


def test_sub_period_levels(project):
    result = plan(project, ["daily_tickets"], **MARCH_APRIL)
    (child,) = result.top.children
    assert child.over_periods and child.level.grain == "day" and child.level.entity is None


def test_ages_and_cohorts(project):
    cohort = "cohort(accounts.signed_up_at, month)"
    result = plan(project, ["signups"], by=["age", cohort], **MARCH_APRIL)
    assert result.dimensions == (cohort,)
    assert (result.cohort_axis.cohort, result.cohort_axis.age) == (0, 0)
    with pytest.raises(QueryError, match="needs a grain"):
        plan(project, ["signups"], by=[cohort, "age"], start="2024-03-01")


def test_explain_shows_extension_windows_and_levels(project):
    text = explain(plan(project, ["ticket_growth", "tickets_7d", "mean_tickets"], **MARCH_APRIL))
    lines = text.splitlines()
    for line in [
        "  also computes the 1 month before the range, which offsets read",
        "scan tickets (rows counted at each period end e when opened_at is in the window "
        "(last 7 days up to e)):",
        "per account (the rows of accounts, key account_id, each from its signed_up_at on):",
        "  also computes the 1 month before the first, which offsets read",
        "    entity account_id",
        "  p0 = avg(per account: a2 - a2[-1])",
        "  ticket_growth = a0 - a0[-1]",
        "  mean_tickets = p0",
    ]:
        assert line in lines, line
