"""Per-entity levels in SQL, at their edges: subscriptions before an account exists, accounts
that never exist (no sign-up) or fail the query's filters, running totals of all-time windows
and offsets of them. Each answer is checked by hand and against the Arrow executor."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sql_helpers import on_both, rows, stamps, utc

TEXT = """
calendar { timezone "UTC" week_start monday }
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
metric mrr = sum(subscriptions.mrr)
metric paid_to_date = count(subscriptions where mrr > 0) over all time
metric new_mrr = sum(per account: mrr where mrr[-1] == 0 and mrr > 0)
metric repeat_buyers = count(per account where paid_to_date >= 2)
metric returning = count(per account where mrr > 0 and mrr[-1] == 0 and paid_to_date[-1] > 0)
"""
MONTHS = {"grain": "month", "start": "2024-01", "end": "2024-06"}


@pytest.fixture
def project(define):
    accounts = pa.table(
        {
            "account_id": ["a1", "a2", "a3", "a4"],
            "region": ["EU", "EU", "EU", "US"],
            # a1 signs up in March, after its first subscription; a3 never signs up.
            "signed_up_at": stamps(utc(2024, 3, 10), utc(2024, 1, 5), None, utc(2024, 1, 1)),
        }
    )
    subscriptions = pa.table(
        {
            "account_id": ["a1", "a1", "a2", "a3", "a4"],
            "mrr": [10, 20, 5, 7, 9],
            "started_at": stamps(
                utc(2024, 1, 15),
                utc(2024, 3, 15),
                utc(2024, 1, 10),
                utc(2024, 2, 1),
                utc(2024, 2, 10),
            ),
            # a4's subscription ends exactly at the end of March: still in force then.
            "ended_at": stamps(utc(2024, 2, 20), None, None, None, utc(2024, 4, 1)),
        }
    )
    return define(TEXT, accounts=accounts, subscriptions=subscriptions)


def _values(table: pa.Table) -> list[tuple]:
    return [values[1:] for values in rows(table)]


def test_members_exist_from_their_time_and_read_earlier_cells(project):
    # Month-end MRR: a1 10, 0, 20, 20, 20 (before it exists until March); a2 5 throughout;
    # a4 0, 9, 9, 0, 0. a3 never exists.
    table = on_both(project, ["new_mrr", "repeat_buyers", "returning"], **MONTHS)
    assert _values(table) == [(5, 0, 0), (9, 0, 0), (20, 1, 1), (0, 1, 0), (0, 1, 0)]


def test_members_failing_the_filters_are_in_no_set(project):
    table = on_both(
        project, ["new_mrr", "repeat_buyers"], where=['accounts.region == "EU"'], **MONTHS
    )
    assert _values(table) == [(5, 0), (0, 0), (20, 1), (0, 1), (0, 1)]


def test_without_a_grain_the_range_end_is_the_only_period_end(project):
    # a1's January subscription was never in force at a period end: only its March one
    # counts, so nobody has bought twice. MRR on April 1: 20 + 5 + 7 + 9.
    table = on_both(project, ["repeat_buyers", "mrr"], start="2024-01-01", end="2024-04-01")
    assert rows(table) == [(0, 41)]


def test_by_a_member_dimension(project):
    table = on_both(project, ["new_mrr"], by=["accounts.region"], **MONTHS)
    assert rows(table)[:4] == [
        (dt.date(2024, 1, 1), "EU", 5),
        (dt.date(2024, 1, 1), "US", 0),
        (dt.date(2024, 2, 1), "EU", 0),
        (dt.date(2024, 2, 1), "US", 9),
    ]


def test_an_all_time_count_remembers_rows_that_ended_before_the_first_period(define):
    # The per-account pass places each subscription at the month ends it is in force at and
    # counts it once, in the first of them; a subscription that ended before the first month
    # the level computes still counts. b1 paid in mid-2023 and returns in March 2024; b2's
    # November subscription never reached a month end, so its February return is its first;
    # b3 paid through December 2023 and returns in April; b4's earlier subscription was free.
    signed_up = utc(2023, 1, 1)
    accounts = pa.table(
        {
            "account_id": ["b1", "b2", "b3", "b4"],
            "region": ["EU", "EU", "US", "US"],
            "signed_up_at": stamps(signed_up, signed_up, signed_up, signed_up),
        }
    )
    subscriptions = pa.table(
        {
            "account_id": ["b1", "b1", "b2", "b2", "b3", "b3", "b4", "b4"],
            "mrr": [8, 6, 4, 4, 5, 5, 0, 3],
            "started_at": stamps(
                utc(2023, 5, 10),
                utc(2024, 3, 5),
                utc(2023, 11, 10),
                utc(2024, 2, 10),
                utc(2023, 12, 15),
                utc(2024, 4, 2),
                utc(2023, 5, 20),
                utc(2024, 5, 3),
            ),
            "ended_at": stamps(
                utc(2023, 9, 20),
                None,
                utc(2023, 11, 20),
                None,
                utc(2024, 1, 10),
                None,
                utc(2023, 7, 15),
                None,
            ),
        }
    )
    text = TEXT + (
        "metric first_time = count(per account where mrr > 0 and mrr[-1] == 0"
        " and paid_to_date[-1] == 0)\n"
    )
    project = define(text, accounts=accounts, subscriptions=subscriptions)
    table = on_both(project, ["returning", "first_time"], **MONTHS)
    assert _values(table) == [(0, 0), (0, 1), (1, 0), (1, 0), (0, 1)]
    # Day ends, more than a CASE tree places rows among (they are looked up): b2's November
    # subscription was in force at some, so its return in February is not its first.
    days = on_both(
        project, ["returning", "first_time"], grain="day", start="2024-01-01", end="2024-06-01"
    )
    returns = [day for day, returning, _ in rows(days) if returning]
    firsts = [day for day, _, first in rows(days) if first]
    assert returns == [dt.date(2024, 2, 10), dt.date(2024, 3, 5), dt.date(2024, 4, 2)]
    assert firsts == [dt.date(2024, 5, 3)]
