"""Per-entity and per-sub-period iteration (DESIGN §4.5): entity sets of key sources and of
identifiers, empty inner aggregates, sub-periods with empty ones included, nesting, and the
queries that cannot be answered."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import ProjectError, QueryError

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

D = dt.date

DEFINITIONS = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source events from csv("events.csv") {
  time at
  entity account_id -> accounts
  entity user_id as user
}
metric signups = count(accounts)
metric accounts_total = count(per account)
metric active_accounts = count(per account where count(events) > 0)
metric quiet_again = count(per account where count(events)[-1] > 0 and count(events) == 0)
metric mean_x = avg(per account: avg(events.x))
metric accounts_with_x = count(per account: avg(events.x))
metric mean_events = avg(per account: count(events))
metric engaged_users = count(per user where count(events) over last 7 days >= 2)
metric users = count(per user where count(events) > 0)
metric daily_users = avg(per day: count_distinct(events.user_id))
metric weekly_events = sum(per week: count(events))
metric account_days = sum(per day: count(per account where count(events) > 0))
metric busiest_day = max(per day: count(events))
metric n_events = count(events)
metric active_days = avg(per account: sum(per day: if(count(events) > 0, 1, 0)))
metric hyperactive = count(per account where count(events) > 100)
"""

ACCOUNTS = pa.table(
    {
        "account_id": [1, 2, 3],
        "region": ["EMEA", "NA", "EMEA"],
        "signed_up_at": stamps(utc(2024, 1, 5), utc(2024, 1, 20), utc(2024, 2, 15)),
    }
)
EVENTS = pa.table(
    {
        "at": stamps(
            utc(2024, 1, 6),
            utc(2024, 1, 6, 18),
            utc(2024, 1, 25),
            utc(2024, 2, 1),
            utc(2024, 2, 3),
            utc(2024, 2, 3),
            utc(2024, 3, 5),
        ),
        "account_id": [1, 1, 2, 2, 1, 99, 3],
        "user_id": ["u1", "u1", "u2", "u2", "u1", "u9", None],
        "x": pa.array([1.0, 3.0, None, 5.0, 2.0, 7.0, 4.0]),
    }
)
MONTHS = {"grain": "month", "start": "2024-01", "end": "2024-04"}


@pytest.fixture
def project(define):
    return define(DEFINITIONS, accounts=ACCOUNTS, events=EVENTS)


def test_the_entity_set_is_the_key_sources_rows_existing_at_the_period_end(project, engine):
    table = project.query(["signups", "accounts_total", "active_accounts"], **MONTHS, engine=engine)
    # The event of unknown account 99 counts for no account.
    assert rows(table) == [
        (D(2024, 1, 1), 2, 2, 2),
        (D(2024, 2, 1), 1, 3, 2),
        (D(2024, 3, 1), 0, 3, 1),
    ]


def test_an_inner_aggregate_without_rows_is_empty(project, engine):
    table = project.query(["mean_x", "accounts_with_x", "mean_events"], **MONTHS, engine=engine)
    # January: account 1 has x 1 and 3 (mean 2), account 2 only a null x: avg is null for it.
    assert rows(table) == [
        (D(2024, 1, 1), 2.0, 1, 1.5),
        (D(2024, 2, 1), 3.5, 2, 2 / 3),
        (D(2024, 3, 1), 4.0, 1, 1 / 3),
    ]


def test_offsets_inside_shift_within_the_entity(project, engine):
    table = project.query(["quiet_again"], **MONTHS, engine=engine)
    assert rows(table) == [(D(2024, 1, 1), 0), (D(2024, 2, 1), 0), (D(2024, 3, 1), 2)]


def test_entities_are_sliced_by_their_own_attributes_and_filtered(project, engine):
    table = project.query(
        ["accounts_total", "active_accounts"], by=["accounts.region"], **MONTHS, engine=engine
    )
    assert rows(table) == [
        (D(2024, 1, 1), "EMEA", 1, 1),
        (D(2024, 1, 1), "NA", 1, 1),
        (D(2024, 2, 1), "EMEA", 2, 1),
        (D(2024, 2, 1), "NA", 1, 1),
        (D(2024, 3, 1), "EMEA", 2, 1),
        (D(2024, 3, 1), "NA", 1, 0),
    ]
    filtered = project.query(
        ["accounts_total"], where=['accounts.region == "NA"'], **MONTHS, engine=engine
    )
    assert [value for _, value in rows(filtered)] == [1, 1, 1]


def test_identifier_entities_come_from_the_rows_read_windows_included(project, engine):
    # u1's two events of January 6 are in the 7-day windows of January 6 to 12.
    table = project.query(
        ["engaged_users", "users"], grain="day", start="2024-01-12", end="2024-01-14", engine=engine
    )
    assert rows(table) == [(D(2024, 1, 12), 1, 0), (D(2024, 1, 13), 0, 0)]
    # u9's account is unknown, which does not matter to users; an event without a user
    # belongs to none.
    table = project.query(["users"], **MONTHS, engine=engine)
    assert rows(table) == [(D(2024, 1, 1), 2), (D(2024, 2, 1), 3), (D(2024, 3, 1), 0)]


def test_sub_periods_include_the_empty_ones(project, engine):
    table = project.query(["daily_users", "busiest_day"], **MONTHS, engine=engine)
    assert rows(table) == [
        (D(2024, 1, 1), 2 / 31, 2),
        (D(2024, 2, 1), 3 / 29, 2),
        (D(2024, 3, 1), 0 / 31, 1),
    ]
    by_day = project.query(
        ["daily_users"], grain="day", start="2024-01-06", end="2024-01-08", engine=engine
    )
    assert rows(by_day) == [(D(2024, 1, 6), 1.0), (D(2024, 1, 7), 0.0)]


def test_weeks_inside_a_month_are_cut_at_its_boundaries(project, engine):
    table = project.query(["weekly_events"], **MONTHS, engine=engine)
    assert rows(table) == [(D(2024, 1, 1), 3), (D(2024, 2, 1), 3), (D(2024, 3, 1), 1)]


def test_an_entity_iteration_inside_each_day(project, engine):
    table = project.query(["account_days"], **MONTHS, engine=engine)
    # Account-days with events: Jan 6 (1), Jan 25 (2); Feb 1 (2), Feb 3 (1); Mar 5 (3).
    assert rows(table) == [(D(2024, 1, 1), 2), (D(2024, 2, 1), 2), (D(2024, 3, 1), 1)]


def test_days_inside_each_account(project, engine):
    table = project.query(["active_days"], **MONTHS, engine=engine)
    assert rows(table) == [(D(2024, 1, 1), 1.0), (D(2024, 2, 1), 2 / 3), (D(2024, 3, 1), 1 / 3)]


def test_a_condition_filters_values_not_cells(project, engine):
    table = project.query(["hyperactive"], by=["accounts.region"], **MONTHS, engine=engine)
    assert [value for *_, value in rows(table)] == [0] * 6


def test_without_a_grain_the_entities_at_the_end_of_the_range(project, engine):
    table = project.query(
        ["accounts_total", "active_accounts"], start="2024-01", end="2024-02-01", engine=engine
    )
    assert rows(table) == [(2, 2)]


@pytest.mark.parametrize(
    ("text", "query", "message"),
    [
        (
            "metric m = count(per account where count(per user where count(events) > 0) > 0)",
            MONTHS,
            r"`per user` inside `per account`",
        ),
        ("metric m = sum(per month: count(events))", {"grain": "week"}, "a month is longer"),
        ("metric m = sum(per day: count(events))", {}, "the range has no start or no end"),
    ],
)
def test_iterations_that_cannot_be_computed(define, text, query, message, engine):
    project = define(DEFINITIONS + text, accounts=ACCOUNTS, events=EVENTS)
    with pytest.raises(QueryError, match=message):
        project.query(["m"], **query, engine=engine)


@pytest.mark.parametrize("formula", ["count(per user)", "sum(per user: 1)"])
def test_an_identifier_with_nothing_to_find_it_in_is_refused_by_check(define, formula):
    """A user exists in a cell when a row the formula reads names it; with no row read,
    there is nothing to iterate over: `check` says so at the `per`, not every query."""
    with pytest.raises(ProjectError) as caught:
        define(DEFINITIONS + f"metric m = {formula}", accounts=ACCOUNTS, events=EVENTS)
    (problem,) = [d for d in caught.value.diagnostics if "reads no source" in d.message]
    assert problem.code == "bad-call"
    assert problem.span.column == len("metric m = ") + 1


def test_days_inside_each_user(define, engine):
    # Once refused; now the users of a month are those its rows (and its days' rows) name.
    text = "metric m = count(per user where count(events) > 0 and max(per day: n_events) > 1)"
    project = define(DEFINITIONS + text, accounts=ACCOUNTS, events=EVENTS)
    # January: u1 has two events on the 6th, u2 one; February: one a day per user.
    assert [value for _, value in rows(project.query(["m"], **MONTHS, engine=engine))] == [1, 0, 0]


def test_entities_can_only_be_sliced_by_their_own_attributes(project, engine):
    with pytest.raises(QueryError) as caught:
        project.query(["accounts_total"], by=["events.user_id"], **MONTHS, engine=engine)
    message = str(caught.value)
    assert "iterates over the rows of `accounts` (`per account`)" in message
    assert "sliced by `events.user_id`" in message


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("metric m = sum(per day: same_period_last_year(count(events)))", "same_period"),
        (
            "metric base = same_period_last_year(count(events))\nmetric m = sum(per week: base)",
            "base)",
        ),
    ],
)
def test_a_year_back_inside_days_or_weeks_is_refused_by_check(define, text, at):
    """No day or week a year back lines up with this one (a year is not a whole number of
    them): `check` says so where the offset is written or named, not every query."""
    with pytest.raises(ProjectError) as caught:
        define(DEFINITIONS + text, accounts=ACCOUNTS, events=EVENTS)
    (problem,) = [d for d in caught.value.diagnostics if "a year is not" in d.message]
    assert problem.code == "bad-offset"
    line = (DEFINITIONS + text).splitlines()[problem.span.line - 1]
    assert line[problem.span.column - 1 :].startswith(at)


def test_a_year_back_inside_months_is_accepted(define):
    text = "metric m = sum(per month: same_period_last_year(count(events)))"
    project = define(DEFINITIONS + text, accounts=ACCOUNTS, events=EVENTS)
    assert "m" in project.metrics
