"""MRR movements on tiny subscription histories with hand-computed answers: the boundary cases
of a state source read at period ends (DESIGN §4.2), offsets across the range start, an
all-time window over a state source, and per-account iteration (§4.3-4.5)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import stamps, utc

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

DEFINITIONS = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
metric mrr = sum(subscriptions.mrr)
metric starting_mrr = mrr[-1]
metric paid_before = count(subscriptions where mrr > 0) over all time
metric new = sum(per account: mrr where mrr[-1] == 0 and mrr > 0 and paid_before[-1] == 0)
metric reactivation = sum(per account: mrr where mrr[-1] == 0 and mrr > 0 and paid_before[-1] > 0)
metric expansion = sum(per account: mrr - mrr[-1] where mrr[-1] > 0 and mrr > mrr[-1])
metric contraction = sum(per account: mrr[-1] - mrr where mrr > 0 and mrr < mrr[-1])
metric churned = sum(per account: mrr[-1] where mrr[-1] > 0 and mrr == 0)
metric customers = count_distinct(subscriptions.account_id)
metric lost_customers = count(per account where customers[-1] > 0 and customers == 0)
"""
MOVEMENTS = ["new", "reactivation", "expansion", "contraction", "churned"]
METRICS = ["mrr", "starting_mrr", *MOVEMENTS, "customers", "lost_customers"]
JANUARY_TO_APRIL = {"grain": "month", "start": "2024-01", "end": "2024-05"}


def project_for(define, *subscriptions: tuple[float, dt.datetime, dt.datetime | None]):
    """One account, signed up on 2023-12-01, with the given (mrr, start, end) subscriptions."""
    accounts = pa.table({"account_id": [1], "signed_up_at": stamps(utc(2023, 12, 1))})
    table = pa.table(
        {
            "account_id": [1] * len(subscriptions),
            "mrr": pa.array([s[0] for s in subscriptions], pa.float64()),
            "started_at": stamps(*(s[1] for s in subscriptions)),
            "ended_at": stamps(*(s[2] for s in subscriptions)),
        }
    )
    return define(DEFINITIONS, accounts=accounts, subscriptions=table)


def monthly(project, engine: str) -> dict[str, list]:
    table = project.query(METRICS, **JANUARY_TO_APRIL, engine=engine)
    return {name: table[name].to_pylist() for name in METRICS}


def assert_bridge(values: dict[str, list]) -> None:
    """end = start + new + reactivation + expansion - contraction - churned, every month."""
    for month in range(len(values["mrr"])):
        start = values["starting_mrr"][month]
        gained = sum(values[m][month] for m in ("new", "reactivation", "expansion"))
        lost = values["contraction"][month] + values["churned"][month]
        assert values["mrr"][month] == pytest.approx(start + gained - lost), month


def test_ending_exactly_at_midnight_on_the_first_counts_in_the_month_before(define, engine):
    # In force at the end of January (Feb 1 00:00); the loss belongs to February.
    values = monthly(project_for(define, (100, utc(2023, 12, 15), utc(2024, 2, 1))), engine=engine)
    assert values["mrr"] == [100, 0, 0, 0]
    assert values["starting_mrr"] == [100, 100, 0, 0]  # December's end, before the range
    assert values["churned"] == [0, 100, 0, 0]
    assert values["new"] == [0, 0, 0, 0]  # it was new in December
    assert values["lost_customers"] == [0, 1, 0, 0]
    assert_bridge(values)


def test_starting_exactly_at_midnight_on_the_first_counts_from_that_month(define, engine):
    values = monthly(project_for(define, (100, utc(2024, 2, 1), None)), engine=engine)
    assert values["mrr"] == [0, 100, 100, 100]
    assert values["new"] == [0, 100, 0, 0]
    assert_bridge(values)


def test_a_renewal_with_the_same_mrr_is_no_movement(define, engine):
    values = monthly(
        project_for(
            define,
            (100, utc(2023, 12, 1), utc(2024, 2, 15)),
            (100, utc(2024, 2, 15), utc(2024, 3, 1)),
            # Renewed exactly at a period end: the old row is in force then, the new not yet.
            (100, utc(2024, 3, 1), None),
        ),
        engine=engine,
    )
    assert values["mrr"] == [100, 100, 100, 100]
    for movement in MOVEMENTS:
        assert values[movement] == [0, 0, 0, 0], movement
    assert_bridge(values)


def test_a_downgrade_to_a_free_plan_is_churned_mrr_but_still_a_customer(define, engine):
    values = monthly(
        project_for(
            define,
            (100, utc(2023, 12, 1), utc(2024, 2, 10)),
            (0, utc(2024, 2, 10), None),
        ),
        engine=engine,
    )
    assert values["mrr"] == [100, 0, 0, 0]
    assert values["churned"] == [0, 100, 0, 0]
    assert values["customers"] == [1, 1, 1, 1]
    assert values["lost_customers"] == [0, 0, 0, 0]
    assert_bridge(values)


def test_a_paid_stint_inside_one_month_is_invisible_to_snapshots(define, engine):
    values = monthly(project_for(define, (100, utc(2024, 2, 5), utc(2024, 2, 20))), engine=engine)
    for name in METRICS:
        assert values[name] == [0, 0, 0, 0], name


def test_a_return_after_a_gap_is_reactivation(define, engine):
    values = monthly(
        project_for(
            define,
            (100, utc(2024, 1, 3), utc(2024, 2, 10)),
            (80, utc(2024, 4, 5), None),
        ),
        engine=engine,
    )
    assert values["mrr"] == [100, 0, 0, 80]
    assert values["new"] == [100, 0, 0, 0]
    assert values["churned"] == [0, 100, 0, 0]
    assert values["reactivation"] == [0, 0, 0, 80]
    assert_bridge(values)


def test_a_paid_stint_unseen_by_snapshots_does_not_make_a_return_a_reactivation(define, engine):
    values = monthly(
        project_for(
            define,
            (100, utc(2024, 1, 3), utc(2024, 1, 20)),
            (80, utc(2024, 3, 5), None),
        ),
        engine=engine,
    )
    assert values["new"] == [0, 0, 80, 0]
    assert values["reactivation"] == [0, 0, 0, 0]


def test_expansion_and_contraction_of_a_paying_account(define, engine):
    values = monthly(
        project_for(
            define,
            (100, utc(2023, 12, 1), utc(2024, 2, 10)),
            (150, utc(2024, 2, 10), utc(2024, 3, 10)),
            (120, utc(2024, 3, 10), None),
            (30, utc(2024, 4, 1), None),  # a second subscription, from April's start
        ),
        engine=engine,
    )
    assert values["mrr"] == [100, 150, 120, 150]
    assert values["expansion"] == [0, 50, 0, 30]
    assert values["contraction"] == [0, 0, 30, 0]
    assert_bridge(values)


def test_accounts_exist_from_their_sign_up(define, engine):
    """`count(per account)` counts the accounts existing at each period end; an account has no
    movements before it exists, and its first MRR is new."""
    text = DEFINITIONS + "metric accounts_total = count(per account)\n"
    accounts = pa.table(
        {"account_id": [1, 2], "signed_up_at": stamps(utc(2024, 1, 10), utc(2024, 3, 1))}
    )
    subscriptions = pa.table(
        {
            "account_id": [2],
            "mrr": [40.0],
            "started_at": stamps(utc(2024, 3, 1)),
            "ended_at": stamps(None),
        }
    )
    project = define(text, accounts=accounts, subscriptions=subscriptions)
    table = project.query(["accounts_total", "new", "mrr"], **JANUARY_TO_APRIL, engine=engine)
    assert table["accounts_total"].to_pylist() == [1, 1, 2, 2]
    assert table["new"].to_pylist() == [0, 0, 40, 0]


def test_movements_by_an_account_attribute(define, engine):
    text = DEFINITIONS.replace("time signed_up_at", "time signed_up_at\n  column plan: string")
    accounts = pa.table(
        {
            "account_id": [1, 2],
            "plan": ["pro", "basic"],
            "signed_up_at": stamps(utc(2023, 12, 1), utc(2023, 12, 1)),
        }
    )
    subscriptions = pa.table(
        {
            "account_id": [1, 2, 2],
            "mrr": [100.0, 50.0, 70.0],
            "started_at": stamps(utc(2023, 12, 1), utc(2023, 12, 1), utc(2024, 2, 5)),
            "ended_at": stamps(utc(2024, 3, 2), utc(2024, 2, 5), None),
        }
    )
    project = define(text, accounts=accounts, subscriptions=subscriptions)
    table = project.query(
        ["mrr", "expansion", "churned"], by=["accounts.plan"], **JANUARY_TO_APRIL, engine=engine
    )
    cells = {(row["month"].month, row["accounts.plan"]): row for row in table.to_pylist()}
    assert cells[(2, "basic")]["expansion"] == 20
    assert cells[(3, "pro")]["churned"] == 100
    assert cells[(3, "basic")]["mrr"] == 70
    assert len(cells) == 8


def test_a_range_starting_inside_a_month_starts_from_the_state_at_its_start(define, engine):
    # The period before [Jan 15, Feb 1) is what is left of January before it: [Jan 1, Jan 15),
    # so the starting MRR is the state on January 15 and the bridge holds.
    project = project_for(define, (100, utc(2024, 1, 10), None))
    table = project.query(
        METRICS, grain="month", start="2024-01-15", end="2024-03-01", engine=engine
    )
    values = {name: table[name].to_pylist() for name in METRICS}
    assert values["starting_mrr"] == [100, 100]
    assert values["new"] == [0, 0]
    assert_bridge(values)
