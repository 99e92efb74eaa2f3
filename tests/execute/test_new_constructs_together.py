"""A stranger's first project with the constructs of issue 13 side by side: a fiscal calendar,
parameters, a conversion whose window is a parameter, `last`, a filter reading a parameter and
a target with an amber band. What `check` accepts answers the same on every engine, and each
value is worked out by hand below."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc

D = dt.date

DEFINITIONS = """
calendar { timezone "UTC" fiscal_year_start april }
parameter window: duration = 30 days
parameter plan: string = "pro"
source accounts from csv("accounts.csv") { key account_id  time signed_up_at }
source subs from csv("subs.csv") { key sub_id  time paid_at  entity account_id -> accounts }
metric signups = count(accounts)
metric converted = conversions(accounts -> subs within $window)
metric rate = conversion_rate(accounts -> subs within $window)
  format percent  higher is better  target >= 60% warn >= 40%
metric last_amount = last(subs.amount)
metric plan_revenue = sum(subs.amount where accounts.plan == $plan)
"""

ACCOUNTS = pa.table(
    {
        "account_id": [1, 2, 3],
        "plan": ["pro", "basic", "pro"],
        "signed_up_at": stamps(utc(2024, 1, 25, 10), utc(2024, 2, 3), utc(2024, 3, 30, 12)),
    }
)
SUBS = pa.table(
    {
        "sub_id": [10, 11, 12],
        "account_id": [1, 2, 3],
        "paid_at": stamps(utc(2024, 2, 10), utc(2024, 3, 20), utc(2024, 4, 2)),
        "amount": [100, 50, 70],
    }
)
NAMES = ["signups", "converted", "rate", "last_amount", "plan_revenue"]
MONTHS = {"grain": "month", "start": "2024-01", "end": "2024-05", "as_of": "2024-06-01"}


@pytest.fixture
def project(define):
    return define(DEFINITIONS, accounts=ACCOUNTS, subs=SUBS)


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_every_engine_gives_the_hand_computed_answer(project, engine):
    table = project.query(NAMES, **MONTHS, status=True, engine=engine).to_arrow()
    assert rows(table.select([*NAMES, "rate:status"])) == [
        # Account 1 signs up Jan 25 and pays Feb 10 (16 days): January's conversion. No
        # payment in January, so no last amount; plan revenue is 0.
        (1, 1, 1.0, None, 0, "green"),
        # Account 2 (basic) signs up Feb 3 and pays Mar 20 (46 days): not within 30, 0% is
        # red. February's last payment is account 1's 100, a pro account's.
        (1, 0, 0.0, 100, 100, "red"),
        # Account 3 signs up Mar 30 and pays Apr 2 (3 days). March's payment is account 2's
        # 50, on the basic plan.
        (1, 1, 1.0, 50, 0, "green"),
        # Nobody signs up in April (the period ends May 1, mature by June 1): 0, and a rate
        # of nothing, null, without a status. Account 3's 70 is on the pro plan.
        (0, 0, None, 70, 70, None),
    ]


@pytest.mark.engines("arrow", "duckdb")
def test_parameters_and_a_fiscal_grain_change_the_answer(project, engine):
    # A 60-day window converts account 2 too (46 days); the basic plan's revenue is its 50 in
    # March. By fiscal quarter (April starts the year): FY2024 Q4 is Jan-Mar 2024.
    table = project.query(
        ["converted", "plan_revenue"],
        grain="fiscal_quarter",
        start="2024-01",
        end="2024-07",
        as_of="2024-12-01",
        params={"window": dt.timedelta(days=60), "plan": "basic"},
        engine=engine,
    )
    assert rows(table) == [(D(2024, 1, 1), 3, 50), (D(2024, 4, 1), 0, 0)]
