"""Last and first values of snapshot tables (`last`, `first`, `max_by`, `min_by`): the value at
the latest time of the period, ties broken by the value, nulls skipped; per account and summed
(semi-additive balances); carried forward with `over all time`. Expected values are worked out
by hand from the snapshots below."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import ProjectError

D = dt.date

DEFINITIONS = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source seat_snapshots from csv("seat_snapshots.csv") {
  time day
  entity account_id -> accounts
}
metric seats = last(seat_snapshots.seats)
metric opening_seats = first(seat_snapshots.seats)
metric last_plan = last(seat_snapshots.plan)
metric basic_seats = last(seat_snapshots.seats where plan == "basic")
metric total_seats = sum(per account: last(seat_snapshots.seats))
metric mean_seats = avg(per account: last(seat_snapshots.seats))
metric seats_at_end = sum(per account: last(seat_snapshots.seats) over all time)
metric plan_at_most_seats = max_by(seat_snapshots.plan, seat_snapshots.seats)
metric plan_at_fewest_seats = min_by(seat_snapshots.plan, seat_snapshots.seats)
"""

ACCOUNTS = pa.table(
    {
        "account_id": [1, 2, 3],
        "segment": ["Enterprise", "SMB", "SMB"],
        "signed_up_at": stamps(utc(2023, 6, 1), utc(2023, 7, 1), utc(2023, 8, 1)),
    }
)
# Daily seat snapshots with gaps. Account 1 snapshots to March, account 2 only in January
# (its last one, on the 20th, has no seat count), account 3 in January and February; account
# 99 is unknown.
SNAPSHOTS = pa.table(
    {
        "day": pa.array(
            [
                D(2024, 1, 1),  # 1, 10, basic
                D(2024, 1, 1),  # 2, 6, basic: a tie with account 1 at the earliest time
                D(2024, 1, 5),  # 99, 100, pro
                D(2024, 1, 10),  # 2, 5, basic
                D(2024, 1, 10),  # 2, 7, pro: a tie within account 2
                D(2024, 1, 15),  # 1, 12, basic
                D(2024, 1, 20),  # 2, null, pro: skipped by last(seats)
                D(2024, 1, 31),  # 1, 15, pro
                D(2024, 1, 31),  # 3, 9, basic: a tie with account 1 at the latest time
                D(2024, 2, 5),  # 3, 3, basic
                D(2024, 2, 10),  # 1, 15, basic
                D(2024, 2, 20),  # 1, null, pro
                D(2024, 2, 25),  # 3, 4, basic
                D(2024, 3, 5),  # 1, 20, enterprise
            ],
            pa.date32(),
        ),
        "account_id": [1, 2, 99, 2, 2, 1, 2, 1, 3, 3, 1, 1, 3, 1],
        "seats": pa.array([10, 6, 100, 5, 7, 12, None, 15, 9, 3, 15, None, 4, 20], pa.int64()),
        "plan": [
            "basic",
            "basic",
            "pro",
            "basic",
            "pro",
            "basic",
            "pro",
            "pro",
            "basic",
            "basic",
            "basic",
            "pro",
            "basic",
            "enterprise",
        ],
    }
)
MONTHS = {"grain": "month", "start": "2024-01", "end": "2024-04"}


@pytest.fixture
def project(define):
    return define(DEFINITIONS, accounts=ACCOUNTS, seat_snapshots=SNAPSHOTS)


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_each_accounts_last_value_in_the_period_summed(project, engine):
    names = ["seats", "opening_seats", "total_seats", "seats_at_end"]
    table = project.query(names, **MONTHS, engine=engine)
    assert rows(table) == [
        # seats: the latest day, 31 Jan, has 15 (account 1) and 9 (account 3): the larger.
        # opening: 1 Jan has 10 and 6: the smaller. total: account 1's 15 (31 Jan) + account
        # 2's 7 (10 Jan ties 5 and 7; its null of 20 Jan skipped) + account 3's 9 = 31.
        (D(2024, 1, 1), 15, 6, 31, 31),
        # seats: 25 Feb, 4 (the null of 20 Feb skipped); opening: 5 Feb, 3. total: account 1's
        # 15 (10 Feb) + account 3's 4; account 2 has no snapshot in February = 19. At the
        # period's end, account 2 carries its January 7: 15 + 7 + 4 = 26.
        (D(2024, 2, 1), 4, 3, 19, 26),
        # Only account 1 (20) in March; carried forward: 20 + 7 + 4 = 31.
        (D(2024, 3, 1), 20, 20, 20, 31),
    ]


@pytest.mark.engines("arrow", "duckdb", "postgres")
def test_by_a_dimension(project, engine):
    table = project.query(
        ["seats", "total_seats", "plan_at_most_seats"],
        by=["accounts.segment"],
        **MONTHS,
        engine=engine,
    )
    result = {(period, segment): values for period, segment, *values in rows(table)}
    # January, Enterprise: account 1's 15 (31 Jan), at its most seats plan pro. SMB: accounts 2
    # and 3, the latest 9 (31 Jan); their sum 7 + 9 = 16; most seats 9, basic. The unknown
    # account's row lands in the null segment: 100, pro, and no account to sum (0).
    assert result[D(2024, 1, 1), "Enterprise"] == [15, 15, "pro"]
    assert result[D(2024, 1, 1), "SMB"] == [9, 16, "basic"]
    assert result[D(2024, 1, 1), None] == [100, 0, "pro"]
    # February: Enterprise 15 (10 Feb, basic); SMB only account 3: 4, most seats 4 (basic).
    assert result[D(2024, 2, 1), "Enterprise"] == [15, 15, "basic"]
    assert result[D(2024, 2, 1), "SMB"] == [4, 4, "basic"]
    # March: SMB has no snapshot: no last value, and a sum over no values is 0.
    assert result[D(2024, 3, 1), "Enterprise"] == [20, 20, "enterprise"]
    assert result[D(2024, 3, 1), "SMB"] == [None, 0, None]


@pytest.mark.engines("arrow", "duckdb", "postgres")
def test_values_of_any_type_ties_and_conditions(project, engine):
    names = ["last_plan", "basic_seats", "mean_seats", "plan_at_fewest_seats"]
    table = project.query(names, **MONTHS, engine=engine)
    assert rows(table) == [
        # last plan: 31 Jan ties pro and basic: the larger text, pro. basic seats: the basic
        # rows' latest is 31 Jan, 9. mean: (15 + 7 + 9) / 3. fewest seats: 5 (10 Jan), basic.
        (D(2024, 1, 1), "pro", 9, pytest.approx(31 / 3), "basic"),
        # last plan: 25 Feb, basic; basic seats 4; mean (15 + 4) / 2; fewest seats 3, basic.
        (D(2024, 2, 1), "basic", 4, 9.5, "basic"),
        (D(2024, 3, 1), "enterprise", None, 20.0, "enterprise"),
    ]


@pytest.mark.engines("arrow", "duckdb", "postgres")
def test_max_by_breaks_ties_by_the_larger_value(project, engine):
    # Enterprise's most seats in January and February: 15 on 31 Jan (pro) and on 10 Feb
    # (basic): the larger text, pro. Over all three months, 20 (enterprise).
    where = ['accounts.segment == "Enterprise"']
    two = project.query(
        ["plan_at_most_seats"], start="2024-01", end="2024-03", where=where, engine=engine
    )
    three = project.query(
        ["plan_at_most_seats"], start="2024-01", end="2024-04", where=where, engine=engine
    )
    assert rows(two) == [("pro",)]
    assert rows(three) == [("enterprise",)]


def test_last_needs_a_time_column(define):
    text = """
source seat_snapshots from csv("seat_snapshots.csv") {
}
metric seats = last(seat_snapshots.seats)
"""
    with pytest.raises(ProjectError) as raised:
        define(text, seat_snapshots=SNAPSHOTS)
    rendered = str(raised.value)
    assert "error[no-time]" in rendered
    assert "source `seat_snapshots` has no time column" in rendered
    assert "time <column>" in rendered
    assert "4:16" in rendered


def test_last_cannot_combine_per_entity_values(define):
    text = DEFINITIONS + "metric odd = last(per account: count(seat_snapshots))\n"
    with pytest.raises(ProjectError, match="`last` picks one row of a source"):
        define(text, accounts=ACCOUNTS, seat_snapshots=SNAPSHOTS)


def test_max_by_takes_two_arguments(define):
    text = DEFINITIONS + "metric odd = max_by(seat_snapshots.plan)\n"
    with pytest.raises(ProjectError, match="`max_by` takes 2 arguments, not 1"):
        define(text, accounts=ACCOUNTS, seat_snapshots=SNAPSHOTS)


def test_last_placed_by_another_time_keeps_its_order(define, engine):
    # `at` places each snapshot in its account's sign-up month; `last` still takes the latest
    # snapshot by the snapshots' own day among them. Account 1 (June 2023): 5 Mar 2024, 20.
    # Account 2 (July): 20 Jan has no seat count, 10 Jan ties 5 and 7, the larger: 7. Account 3
    # (August): 25 Feb, 4. Account 99 has no sign-up, so no period.
    project = define(
        DEFINITIONS
        + "metric seats_by_signup = last(seat_snapshots.seats) at accounts.signed_up_at\n",
        accounts=ACCOUNTS,
        seat_snapshots=SNAPSHOTS,
    )
    table = project.query(
        ["seats_by_signup"], grain="month", start="2023-06", end="2023-09", engine=engine
    )
    assert rows(table) == [(D(2023, 6, 1), 20), (D(2023, 7, 1), 7), (D(2023, 8, 1), 4)]
