"""Derived columns as a source's time, validity, key, link or entity identifier (issue 10,
item 3): each one hand-computed on tiny data, on the Arrow executor and on DuckDB."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from metricsmith.check.query import Query, check_query
from metricsmith.errors import DataError
from metricsmith.plan import plan_query
from sql_helpers import on_both, rows, stamps, utc

D = dt.date
MONTHS = {"grain": "month", "start": "2024-01", "end": "2024-05"}

ACCOUNTS = pa.table(
    {
        "account_id": [1, 2],
        "code": ["A1", "a2"],
        "signed_up_at": stamps(utc(2024, 1, 10), utc(2024, 2, 5)),
    }
)
EVENTS = pa.table(
    {
        "account_id": [1, 1, 2, 2],
        "t": stamps(
            utc(2024, 3, 1, 10), utc(2024, 3, 2, 11), utc(2024, 3, 3, 10, 30), utc(2024, 3, 3, 12)
        ),
        "user": ["u1", "u2", "u1", "u1"],
        "opened_at": stamps(utc(2024, 1, 3), utc(2024, 1, 4), utc(2024, 2, 3), utc(2024, 2, 4)),
    }
)
SUBSCRIPTIONS = pa.table(
    {
        "code": ["A1", "a2"],
        "start_day": pa.array([D(2024, 1, 15), D(2024, 2, 1)], pa.date32()),
        "months": pa.array([2, None], pa.int64()),
        "mrr": [10, 20],
    }
)

EVENTS_BY_SIGN_UP = """
source accounts from csv("accounts.csv") { key account_id  time signed_up_at }
source events from csv("events.csv") {
  entity account_id -> accounts
  column signup_at = accounts.signed_up_at
  time signup_at
}
metric n = count(events)
"""


def test_an_event_is_placed_in_its_accounts_sign_up_period(define):
    project = define(EVENTS_BY_SIGN_UP, accounts=ACCOUNTS, events=EVENTS)
    # Account 1 (two events) signed up in January, account 2 (two events) in February.
    table = on_both(project, ["n"], **MONTHS)
    assert rows(table) == [(D(2024, m, 1), n) for m, n in ((1, 2), (2, 2), (3, 0), (4, 0))]
    # Without a range the periods come from the derived times, read through the link.
    assert rows(on_both(project, ["n"], grain="month")) == [(D(2024, 1, 1), 2), (D(2024, 2, 1), 2)]


def test_a_derived_time_reads_every_row_and_a_renamed_one_is_pushed_down(define):
    text = (
        EVENTS_BY_SIGN_UP
        + """
source opens from csv("events.csv") { column opened = opened_at  time opened }
metric o = count(opens)
"""
    )
    project = define(text, accounts=ACCOUNTS, events=EVENTS, opens=EVENTS)
    table = on_both(project, ["o"], **MONTHS)
    assert [value for _, value in rows(table)] == [2, 2, 0, 0]
    query = Query(metrics=("n", "o"), grain="month", start=utc(2024, 1, 1), end=utc(2024, 5, 1))
    plan = plan_query(project.checked, check_query(project.checked, query))
    reads = {read.source: read for read in plan.reads}
    # A computed time is known only after reading: no rows are left out by the reader.
    assert reads["events"].time_range is None
    assert reads["events"].columns == ("account_id",)
    # A plain renaming is the column itself.
    assert reads["opens"].time_range is not None
    assert reads["opens"].time_range.column == "opened_at"


def test_a_derived_entity_identifier_is_iterated_and_sliced(define):
    text = """
source events from csv("events.csv") {
  time t
  column hod = hour(t)
  entity hod as hour_of_day
}
metric hours = count(per hour_of_day where count(events) > 0)
metric busiest_hour = max(per hour_of_day: count(events))
metric n = count(events)
"""
    project = define(text, events=EVENTS)
    # Hours 10, 11, 10 and 12 in March: three hours, the busiest (10) with two events.
    table = on_both(project, ["hours", "busiest_hour"], **MONTHS)
    assert rows(table)[2] == (D(2024, 3, 1), 3, 2)
    assert rows(table)[0] == (D(2024, 1, 1), 0, None)
    assert rows(on_both(project, ["n"], by=["events.hod"])) == [(10, 2), (11, 1), (12, 1)]


KEYED_BY_CODE = """
source accounts from csv("accounts.csv") {
  column id = lower(code)
  key id
  column joined = date(signed_up_at)
  time joined
}
source subscriptions from csv("subscriptions.csv") {
  column account = lower(code)
  entity account -> accounts
  column started = start_day
  column ended = case when months == 2 then @2024-03-20 else null end
  valid from started to ended
}
metric mrr = sum(subscriptions.mrr)
metric accounts_total = count(per account)
metric paying = count(per account where mrr > 0)
"""


def test_derived_keys_links_and_validity(define):
    project = define(KEYED_BY_CODE, accounts=ACCOUNTS, subscriptions=SUBSCRIPTIONS)
    table = on_both(project, ["mrr", "accounts_total", "paying"], **MONTHS)
    # a1's subscription is in force from January 15 to March 20, a2's from February 1 on;
    # a1 exists from January 10, a2 from February 5 (midnight of the derived dates).
    assert rows(table) == [
        (D(2024, 1, 1), 10, 1, 1),
        (D(2024, 2, 1), 30, 2, 2),
        (D(2024, 3, 1), 20, 2, 1),
        (D(2024, 4, 1), 20, 2, 1),
    ]
    by_account = on_both(project, ["mrr"], by=["accounts.id"], start="2024-01", end="2024-03")
    assert rows(by_account) == [("a1", 10), ("a2", 20)]


def test_a_derived_key_must_name_one_row(define):
    twice = ACCOUNTS.set_column(1, "code", pa.array(["A1", "a1"]))
    project = define(KEYED_BY_CODE, accounts=twice, subscriptions=SUBSCRIPTIONS)
    for engine in ("arrow", "duckdb"):
        with pytest.raises(DataError, match="appears more than once") as caught:
            project.query(["accounts_total"], engine=engine, **MONTHS)
        assert (caught.value.source, caught.value.column) == ("accounts", "id")


def test_windows_and_states_over_times_read_through_a_link(define):
    text = (
        EVENTS_BY_SIGN_UP
        + """
source states from csv("events.csv") {
  entity account_id -> accounts
  column since = accounts.signed_up_at
  valid from since to t
}
metric recent = count(events) over last 30 days
metric in_force = count(states)
metric ever = count(states) over all time
metric recent_accounts = count(per account where count(events) over last 30 days > 0)
"""
    )
    project = define(text, accounts=ACCOUNTS, events=EVENTS, states=EVENTS)
    names = ["recent", "in_force", "ever", "recent_accounts"]
    # States run from the account's sign-up to the event: account 1's two from January 10,
    # account 2's from February 5, all ended by March 3 (account 1's after midnight March 1).
    assert [row[1:] for row in rows(on_both(project, names, **MONTHS))] == [
        (2, 2, 2, 1),
        (2, 4, 4, 1),
        (0, 0, 4, 0),
        (0, 0, 4, 0),
    ]
    days = on_both(
        project, ["recent", "in_force"], grain="day", start="2024-02-04", end="2024-03-04"
    )
    assert rows(days)[:2] == [(D(2024, 2, 4), 2, 2), (D(2024, 2, 5), 4, 4)]
    assert rows(days)[-3:] == [(D(2024, 3, 1), 2, 3), (D(2024, 3, 2), 2, 2), (D(2024, 3, 3), 2, 0)]


def test_entities_exist_from_a_time_read_through_a_link(define):
    text = """
source regions from csv("regions.csv") { key region_id }
source accounts from csv("accounts.csv") {
  key account_id
  entity region_id -> regions
  column opened = regions.opened_at
  time opened
}
source events from csv("events.csv") { time t  entity account_id -> accounts }
metric total = count(per account)
metric active = count(per account where count(events) > 0)
"""
    regions = pa.table(
        {"region_id": ["r1", "r2"], "opened_at": stamps(utc(2024, 2, 10), utc(2024, 1, 1))}
    )
    accounts = pa.table({"account_id": [1, 2, 3], "region_id": ["r1", "r2", "r9"]})
    project = define(text, regions=regions, accounts=accounts, events=EVENTS)
    # Account 3's region is unknown: it has no time, so it never exists.
    table = on_both(project, ["total", "active"], **MONTHS)
    assert [row[1:] for row in rows(table)] == [(1, 0), (2, 0), (2, 2), (2, 0)]
