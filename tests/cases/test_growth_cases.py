"""Conversion, repeat purchases and stickiness, on hand-made tables."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from case_support import TIMESTAMP, at, load_case, stamps, whole_table

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")


def growth_project(**tables: pa.Table):
    """growth.metrics with a placeholder row for every table a test does not care about."""
    placeholders = {
        "trials": pa.table({"started_at": stamps(1), "converted": [False]}),
        "orders": pa.table(
            {"ordered_at": stamps(1), "customer_id": ["c0"], "purchase_number": [1]}
        ),
        "events": pa.table({"occurred_at": stamps(1), "user_id": ["u0"]}),
    }
    return load_case("growth.metrics", **{**placeholders, **tables})


@pytest.mark.parametrize(("upgraded", "rate"), [(30, 0.30), (60, 0.60)])
def test_free_to_paid_conversion(upgraded: int, rate: float, engine: str) -> None:
    trials = pa.table({"started_at": stamps(100), "converted": [n < upgraded for n in range(100)]})
    row = whole_table(growth_project(trials=trials), ["free_to_paid_conversion"], engine=engine)
    assert row["free_to_paid_conversion"] == pytest.approx(rate)


def test_repeat_purchase_rate(engine: str) -> None:
    # Ten customers; c1..c4 come back (c1 three times), the other six buy once.
    purchases = {f"c{n}": (3 if n == 1 else 2 if n <= 4 else 1) for n in range(1, 11)}
    customers, numbers = [], []
    for customer, count in purchases.items():
        customers += [customer] * count
        numbers += list(range(1, count + 1))
    orders = pa.table(
        {
            "ordered_at": stamps(len(customers)),
            "customer_id": customers,
            "purchase_number": pa.array(numbers, pa.int64()),
        }
    )
    row = whole_table(
        growth_project(orders=orders),
        ["customers", "repeat_customers", "repeat_purchase_rate"],
        engine=engine,
    )
    assert (row["customers"], row["repeat_customers"]) == (10, 4)
    assert row["repeat_purchase_rate"] == pytest.approx(0.4)


def test_stickiness_from_daily_and_monthly_active_users(engine: str) -> None:
    """Average DAU over the month's days (quiet days count as 0) divided by MAU.

    April 2024 (30 days, starting on a Monday): u1 is active every weekday, twice a day;
    u2 on the 1st-15th; u3 on the 1st, 10th and 20th; u4 on the 30th. Nobody is active on the
    21st, 27th or 28th."""
    active_days = {
        "u1": [d for d in range(1, 31) if dt.date(2024, 4, d).weekday() < 5],
        "u2": list(range(1, 16)),
        "u3": [1, 10, 20],
        "u4": [30],
    }
    moments, users = [], []
    for user, days in active_days.items():
        for day in days:
            for hour in (9, 15) if user == "u1" else (11,):
                moments.append(at(4, day, hour))
                users.append(user)
    events = pa.table({"occurred_at": pa.array(moments, TIMESTAMP), "user_id": users})
    project = growth_project(events=events)

    daily = project.query(
        ["active_users"], grain="day", start="2024-04-01", end="2024-05-01", engine=engine
    )
    dau = daily.column("active_users").to_pylist()
    assert len(dau) == 30
    assert [dau[d - 1] for d in (21, 27, 28)] == [0, 0, 0]
    assert sum(dau) == 22 + 15 + 3 + 1

    monthly = project.query(
        ["active_users"], grain="month", start="2024-04-01", end="2024-05-01", engine=engine
    )
    assert monthly.column("active_users").to_pylist() == [4]

    stickiness = (sum(dau) / len(dau)) / monthly.column("active_users")[0].as_py()
    assert stickiness == pytest.approx(41 / 120)
