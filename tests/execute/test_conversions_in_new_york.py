"""Conversions and sign-up cohorts in a time zone with summer time, tried as a new user
would and computed by hand from docs/language.md (Conversions) and docs/time-intelligence.md
(State sources, Cohorts): a sign-up at 23:30 on January 31st in New York (04:30 UTC on
February 1st), a payment exactly 30 days after sign-up (inside: both ends count) and one a
minute later (outside), a subscription started before its account signed up (no conversion),
a subscription of 0 MRR (a conversion only without the `where`), a range cut on March 10th
(that period credits sign-ups up to the cut), and March's month end after the clocks change.
"""

from __future__ import annotations

import datetime as dt

import metricsmith
import pytest
from execute_helpers import rows

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

D = dt.date
PROJECT = """
calendar { timezone "America/New_York" }
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
  column signed_up_at: timestamp
  column plan: string
  column segment: string
}
source subscriptions from csv("subscriptions.csv") {
  key subscription_id
  entity account_id -> accounts
  valid from started_at to ended_at
  column started_at: timestamp
  column ended_at: timestamp
  column mrr: decimal
  column channel: string
}
metric free_signups = count(accounts where plan == "free")
metric paid_within_30d =
    conversions(accounts where plan == "free" -> subscriptions where mrr > 0 within 30 days)
metric free_to_paid =
    conversion_rate(accounts where plan == "free" -> subscriptions where mrr > 0 within 30 days)
metric payments_30d = conversions(accounts -> all subscriptions within 30 days)
metric signups = count(accounts)
metric customers = count(per account where sum(subscriptions.mrr) > 0)
metric retention = customers / cohort_start(signups)
"""
# a1, a2 sign up in January (New York), a3 and a4 (paid plan) in February, a5 in March, a6 in
# December 2023. Month ends: 05:00 UTC on February 1st and March 1st, 04:00 UTC on April 1st.
ACCOUNTS = (
    "account_id,signed_up_at,plan,segment\n"
    "a1,2024-01-10T17:00:00Z,free,A\n"
    "a2,2024-02-01T04:30:00Z,free,B\n"
    "a3,2024-02-15T15:00:00Z,free,A\n"
    "a4,2024-02-20T12:00:00Z,paid,A\n"
    "a5,2024-03-25T12:00:00Z,free,B\n"
    "a6,2023-12-20T12:00:00Z,free,A\n"
)
SUBSCRIPTIONS = (
    "subscription_id,account_id,started_at,ended_at,mrr,channel\n"
    "s1,a1,2024-02-09T17:00:00Z,2024-03-15T00:00:00Z,100,web\n"
    "s2,a2,2024-03-02T04:31:00Z,,50,web\n"
    "s3,a2,2024-02-01T04:30:00Z,,0,web\n"
    "s4,a3,2024-02-10T00:00:00Z,2024-02-20T00:00:00Z,20,sales\n"
    "s5,a3,2024-02-20T00:00:00Z,,30,web\n"
    "s6,a3,2024-02-25T00:00:00Z,2024-03-31T23:00:00Z,40,sales\n"
    "s7,a4,2024-02-20T12:00:00Z,,200,sales\n"
    "s8,a5,2024-04-01T12:00:00Z,,10,web\n"
    "s9,a6,2024-01-05T00:00:00Z,,60,sales\n"
)
CONVERSIONS = ["free_signups", "paid_within_30d", "free_to_paid", "payments_30d"]


@pytest.fixture
def project(tmp_path):
    (tmp_path / "p.metrics").write_text(PROJECT)
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "subscriptions.csv").write_text(SUBSCRIPTIONS)
    return metricsmith.load_project(tmp_path / "p.metrics")


def test_conversions_by_segment_in_new_york(project, engine):
    # January: a1 (A) pays exactly 30 days after signing up; a2 (B) signed up on January 31st
    # in New York, its 0-MRR subscription starts at the sign-up (a payment, not a paid
    # conversion) and its paid one 30 days and a minute later (outside). February: a3 (A) pays
    # twice within the window (one conversion, two payments; its subscription from before the
    # sign-up is neither); a4 (A) is on a paid plan, so only a payment. March: immature, as its
    # window closes on May 1st, after `as_of`.
    table = project.query(
        CONVERSIONS,
        by=["accounts.segment"],
        grain="month",
        start="2024-01",
        end="2024-04",
        as_of="2024-04-20",
        engine=engine,
    )
    assert rows(table) == [
        (D(2024, 1, 1), "A", 1, 1, 1.0, 1),
        (D(2024, 1, 1), "B", 1, 0, 0.0, 1),
        (D(2024, 2, 1), "A", 1, 1, 1.0, 3),
        (D(2024, 2, 1), "B", 0, 0, None, 0),
        (D(2024, 3, 1), "A", 0, None, None, None),
        (D(2024, 3, 1), "B", 1, None, None, None),
    ]


@pytest.mark.parametrize(
    ("as_of", "march"), [("2024-04-05", (0, None, None)), ("2024-04-10", (0, 0, 0))]
)
def test_a_period_cut_by_the_range_matures_from_the_cut(project, as_of, march, engine):
    # March is [March 1st, March 10th): no sign-up in it, mature 30 days after the cut.
    metrics = ["free_signups", "paid_within_30d", "payments_30d"]
    table = project.query(
        metrics, grain="month", start="2024-01-01", end="2024-03-10", as_of=as_of, engine=engine
    )
    assert rows(table) == [
        (D(2024, 1, 1), 2, 1, 2),
        (D(2024, 2, 1), 1, 1, 3),
        (D(2024, 3, 1), *march),
    ]


def test_a_conversion_counts_under_each_channel_it_came_through(project, engine):
    # a3 converted through the web (s5) and sales (s6): once under each. a5's payment on April
    # 1st counts for its March sign-up.
    table = project.query(
        ["paid_within_30d", "payments_30d"],
        by=["subscriptions.channel"],
        grain="month",
        start="2024-01",
        end="2024-04",
        as_of="2024-06-01",
        engine=engine,
    )
    assert rows(table) == [
        (D(2024, 1, 1), "sales", 0, 0),
        (D(2024, 1, 1), "web", 1, 2),
        (D(2024, 2, 1), "sales", 1, 2),
        (D(2024, 2, 1), "web", 1, 1),
        (D(2024, 3, 1), "sales", 0, 0),
        (D(2024, 3, 1), "web", 1, 1),
    ]


def test_sign_up_cohorts_by_age_in_new_york(project, engine):
    # Customers at each month end (subscriptions in force, MRR > 0): January's cohort (a1, a2)
    # has none at January's end, a1 at February's, a2 at March's (a1 ended on March 15th).
    # February's (a3, a4) both at both ends (a3's s6 ends at 23:00 UTC on March 31st, before
    # New York's month end, but s5 is still in force). March's a5 pays only in April. Ages
    # the range does not reach are null; a6's December cohort is outside the range.
    table = project.query(
        ["signups", "customers", "retention"],
        by=["cohort(accounts.signed_up_at, month)", "age"],
        grain="month",
        start="2024-01",
        end="2024-04",
        engine=engine,
    )
    assert rows(table) == [
        (D(2024, 1, 1), 0, 2, 0, 0.0),
        (D(2024, 1, 1), 1, 0, 1, 0.5),
        (D(2024, 1, 1), 2, 0, 1, 0.5),
        (D(2024, 2, 1), 0, 2, 2, 1.0),
        (D(2024, 2, 1), 1, 0, 2, 1.0),
        (D(2024, 2, 1), 2, None, None, None),
        (D(2024, 3, 1), 0, 1, 0, 0.0),
        (D(2024, 3, 1), 1, None, None, None),
        (D(2024, 3, 1), 2, None, None, None),
    ]


def test_a_rate_cannot_be_sliced_by_the_conversions_channel(project):
    with pytest.raises(
        metricsmith.QueryError, match=r"cannot be sliced by `subscriptions\.channel`"
    ):
        project.query(
            ["free_to_paid"],
            by=["subscriptions.channel"],
            grain="month",
            start="2024-01",
            end="2024-04",
        )
