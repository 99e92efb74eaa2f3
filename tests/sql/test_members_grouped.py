"""On DuckDB a level's members are grouped before the cells read them, so that the grid of
(member, period) cells and its joins run on every thread (execute/sql/members.py
`grouped_members`): the members with a key as their distinct rows, those without one each
kept as a member of its own. Checked by hand on every engine, with two accounts without a
key that must stay two members."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sql_helpers import rows, stamps, utc

pytestmark = [
    pytest.mark.engines("arrow", "duckdb", "spark", "postgres"),
    # The accounts without a key are reported, as they should be.
    pytest.mark.filterwarnings("ignore:data warning in source `accounts`"),
]

TEXT = """
calendar { timezone "UTC" }
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source events from csv("events.csv") {
  entity account_id -> accounts
  time at
}
metric events_count = count(events)
metric busy_accounts = count(per account where events_count > 0)
metric quiet_accounts = count(per account where events_count == 0)
"""
MONTHS = {"grain": "month", "start": "2024-01-01", "end": "2024-04-01"}


def _tables() -> dict[str, pa.Table]:
    accounts = pa.table(
        {
            "account_id": pa.array([1, 2, None, None, 3], pa.int64()),
            "signed_up_at": stamps(
                utc(2023, 12, 1),
                utc(2024, 1, 20),
                utc(2024, 1, 5),  # without a key, a member from January
                utc(2024, 2, 10),  # without a key, another member from February
                utc(2024, 3, 5),
            ),
        }
    )
    events = pa.table(
        {
            "account_id": pa.array([1, 1, 2, None], pa.int64()),
            "at": stamps(utc(2024, 1, 10), utc(2024, 2, 10), utc(2024, 3, 10), utc(2024, 1, 15)),
        }
    )
    return {"accounts": accounts, "events": events}


def test_members_without_a_key_stay_members_of_their_own(define, engine):
    """Members by each month's end: January 1, 2 and the first without a key (3); February
    the second without a key too (4); March 3 (5). With events: account 1 in January and
    February, 2 in March (the event without an account is nobody's). The quiet accounts
    count both accounts without a key from February on."""
    project = define(TEXT, **_tables())
    result = project.query(["busy_accounts", "quiet_accounts"], engine=engine, **MONTHS)
    D = dt.date
    assert rows(result) == [(D(2024, 1, 1), 1, 2), (D(2024, 2, 1), 1, 3), (D(2024, 3, 1), 1, 4)]


def test_duckdb_groups_the_members(define):
    """The shape itself: the members' rows, then the distinct rows with a key and those
    without one."""
    project = define(TEXT, **_tables())
    sql = project.explain(["quiet_accounts"], engine="duckdb", sql=True, **MONTHS)
    assert "l1_member_rows AS NOT MATERIALIZED" in sql
    assert "SELECT DISTINCT\n    *\n  FROM l1_member_rows" in sql
    assert "WHERE\n    entity IS NULL" in sql
