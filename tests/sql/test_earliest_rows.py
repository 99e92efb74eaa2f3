"""A distinct count over an all-time window reads only the earliest row of each combination of
the columns its pass reads, in SQL as on Arrow (execute/sql/scans.py, `earliest_rows`): a
later row counts in periods the earliest one already counts in. Where those rows are one per
(keys, value), at a per-entity level, the distinct count is a count of them
(`counts_earliest_rows`). The answers are checked by hand on every engine, and against
reading every row on the SQL engines (a pass that also counts rows reads them all)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from sql_helpers import rows, stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

TEXT = """
calendar { timezone "UTC" }
source accounts from csv("accounts.csv") {
  key account_id
}
source events from csv("events.csv") {
  entity account_id -> accounts
  entity user_id as user
  time at
}
metric users_ever = count_distinct(events.user_id) over all time
metric users_per_account = sum(per account: count_distinct(events.user_id) over all time)
metric accounts_with_two = count(per account
                                 where count_distinct(events.user_id) over all time >= 2)
metric a_users_per_account = sum(per account:
                                 count_distinct(events.user_id where kind == "a") over all time)
metric events_ever = count(events) over all time
metric users_per_account_twin = sum(per account: count_distinct(events.user_id) over all time
                                                 + 0 * count(events) over all time)
"""
MONTHS = {"grain": "month", "start": "2024-01-01", "end": "2024-04-01"}


def _tables() -> dict[str, pa.Table]:
    accounts = pa.table({"account_id": ["a1", "a2", "a3"], "segment": ["smb", "ent", "smb"]})
    events = pa.table(
        {
            "account_id": ["a1", "a1", "a1", "a1", "a1", "a2", "a2", "a2", "a3", "a3"],
            "user_id": ["u1", "u1", None, "u2", "u1", "u3", "u1", "u3", "u1", "u4"],
            "kind": ["a", "a", "a", "b", "b", "a", "a", "a", "b", "b"],
            "at": stamps(
                utc(2023, 12, 20),  # before the range: counts from January on
                utc(2024, 1, 5),
                utc(2024, 1, 15),  # no user: counts nowhere
                utc(2024, 2, 10),
                utc(2024, 3, 1),
                utc(2024, 1, 20),
                utc(2024, 2, 2),  # u1 again, in another account
                utc(2024, 3, 31, 23),
                utc(2024, 2, 15),  # u1 again, in a3 (smb, like a1)
                utc(2024, 4, 2),  # after the range
            ),
        }
    )
    return {"accounts": accounts, "events": events}


def test_users_ever_by_segment(define, engine):
    """Distinct user values per segment, however many accounts repeat them: smb (a1, a3) has
    u1 from December and u2 from February (a3's u1 is the same value): 1, 2, 2; ent (a2) u3
    from January and u1 from February: 1, 2, 2."""
    project = define(TEXT, **_tables())
    result = project.query(["users_ever"], by=["accounts.segment"], engine=engine, **MONTHS)
    D = dt.date
    assert rows(result) == [
        (D(2024, 1, 1), "ent", 1),
        (D(2024, 1, 1), "smb", 1),
        (D(2024, 2, 1), "ent", 2),
        (D(2024, 2, 1), "smb", 2),
        (D(2024, 3, 1), "ent", 2),
        (D(2024, 3, 1), "smb", 2),
    ]


def test_users_ever_per_account(define, engine):
    """Per account: a1 {u1} then {u1, u2} (1, 2, 2), a2 {u3} then {u3, u1} (1, 2, 2), a3
    {u1} from February (0, 1, 1): sums 2, 5, 5; accounts with two users 0, 2, 2. Kind a
    only: a1 {u1} (1, 1, 1), a2 (1, 2, 2), a3 none: 2, 3, 3."""
    project = define(TEXT, **_tables())
    metrics = ["users_per_account", "accounts_with_two", "a_users_per_account"]
    result = project.query(metrics, engine=engine, **MONTHS)
    D = dt.date
    assert rows(result) == [
        (D(2024, 1, 1), 2, 0, 2),
        (D(2024, 2, 1), 5, 2, 3),
        (D(2024, 3, 1), 5, 2, 3),
    ]


def test_the_sql_reads_the_earliest_rows_and_counts_them_per_account(define):
    project = define(TEXT, **_tables())
    by_segment = project.explain(
        ["users_ever"], by=["accounts.segment"], dialect="duckdb", **MONTHS
    )
    assert 'MIN("events"."at")' in by_segment and "COUNT(DISTINCT" in by_segment
    per_account = project.explain(["users_per_account"], dialect="duckdb", **MONTHS)
    assert 'MIN("events"."at")' in per_account
    assert "COUNT(DISTINCT" not in per_account
    twin = project.explain(["users_per_account_twin"], dialect="duckdb", **MONTHS)
    assert "MIN(" not in twin  # a count reads every row


@pytest.mark.engines("duckdb", "postgres")
@pytest.mark.parametrize("options", [{"by": ["accounts.segment"]}, {"by": ["events.kind"]}, {}])
def test_the_earliest_rows_answer_as_every_row(define, engine, options):
    """Random events (repeated users, empty users and times, accounts that do not exist):
    each distinct count alone, read from the earliest rows, against the same count in a pass
    that also counts rows and so reads every row."""
    random = np.random.default_rng(11)
    count = 400
    day = 24 * 3600 * 10**6
    start = int(np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64))
    accounts = pa.table(
        {"account_id": [f"a{i}" for i in range(8)], "segment": random.choice(["x", "y"], 8)}
    )
    events = pa.table(
        {
            "account_id": [f"a{i}" for i in random.integers(0, 10, count)],
            "user_id": pa.array(
                [f"u{i}" for i in random.integers(0, 30, count)], mask=random.random(count) < 0.05
            ),
            "kind": random.choice(["a", "b"], count),
            "at": pa.array(
                start + random.integers(-40 * day, 130 * day, count),
                pa.timestamp("us", tz="UTC"),
                mask=random.random(count) < 0.02,
            ),
        }
    )
    project = define(TEXT, accounts=accounts, events=events)
    for name, twin in [("users_ever", "events_ever")]:
        alone = project.query([name], engine=engine, **options, **MONTHS).to_arrow()
        together = project.query([name, twin], engine=engine, **options, **MONTHS).to_arrow()
        assert alone.equals(together.drop_columns([twin])), name
    if options.get("by") == ["events.kind"]:
        return  # a per-account level is sliced by the accounts' own columns only
    alone = project.query(["users_per_account"], engine=engine, **options, **MONTHS)
    twin = project.query(["users_per_account_twin"], engine=engine, **options, **MONTHS)
    assert (
        alone.to_arrow()
        .column("users_per_account")
        .equals(twin.to_arrow().column("users_per_account_twin"))
    )


def test_a_derived_time_column(define, engine):
    """The time read through a derived column (`column happened = at`): all users, whatever
    the account: January u1 (from December) and u3, February + u2, March the same (u4 comes
    in April): 2, 3, 3."""
    text = TEXT.replace("  time at\n", "  column happened = at\n  time happened\n")
    project = define(text, **_tables())
    result = project.query(["users_ever"], engine=engine, **MONTHS)
    D = dt.date
    assert rows(result) == [(D(2024, 1, 1), 2), (D(2024, 2, 1), 3), (D(2024, 3, 1), 3)]
