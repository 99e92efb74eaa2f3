"""The SaaS quick ratio and net renewal rate, from ledgers of classified amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
from case_support import TIMESTAMP, at, load_case, stamps

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

# One published row per month; April has growth but nothing lost, May has no movements at all.
MOVEMENTS_BY_MONTH = {
    1: {"new": 20_000, "expansion": 8_000, "churn": 5_000, "contraction": 3_000},
    2: {"new": 25_000, "expansion": 10_000, "churn": 8_000, "contraction": 4_000},
    3: {"new": 40_000, "expansion": 5_000, "churn": 32_000, "contraction": 8_000},
    4: {"new": 1_000},
}
EXPECTED_QUICK_RATIO = [3.5, 35_000 / 12_000, 1.125, None, None]  # 35,000 / 12,000 = 2.9167


def movements() -> pa.Table:
    rows = [
        (at(month, 5 + n), kind, amount)
        for month, amounts in MOVEMENTS_BY_MONTH.items()
        for n, (kind, amount) in enumerate(amounts.items())
    ]
    booked, kinds, amounts = zip(*rows, strict=True)
    return pa.table(
        {
            "booked_at": pa.array(booked, TIMESTAMP),
            "kind": list(kinds),
            "amount": pa.array(amounts, pa.float64()),
        }
    )


def renewals(up: list[float], renewed: list[float], expansion: list[float]) -> pa.Table:
    return pa.table(
        {
            "due_at": stamps(len(up)),
            "up_for_renewal": up,
            "renewed_amount": renewed,
            "expansion_amount": expansion,
        }
    )


def ledger_project(mrr_movements: pa.Table, renewal_table: pa.Table | None = None):
    return load_case(
        "revenue_ledger.metrics",
        mrr_movements=mrr_movements,
        renewals=renewal_table or renewals([1.0], [1.0], [0.0]),
    )


def test_published_quick_ratios_and_a_zero_denominator(engine: str) -> None:
    table = ledger_project(movements()).query(
        ["quick_ratio", "new_mrr", "churned_mrr"],
        grain="month",
        start="2024-01",
        end="2024-06",
        engine=engine,
    )
    assert table.column("month").to_pylist() == [dt.date(2024, m, 1) for m in range(1, 6)]
    ratios = table.column("quick_ratio").to_pylist()
    for actual, wanted in zip(ratios, EXPECTED_QUICK_RATIO, strict=True):
        assert actual == (None if wanted is None else pytest.approx(wanted, rel=1e-12))
    # Nothing lost in April: the ratio is undefined (null), not 0 and not infinity.
    assert ratios[3] is None
    # Sums of nothing are 0, so May's ratio is 0 / 0: also null.
    assert table.column("new_mrr").to_pylist()[4] == 0
    assert table.column("churned_mrr").to_pylist()[3:] == [0, 0]


def test_decimal_amounts_stay_exact(engine: str) -> None:
    """Ten movements of 0.10 sum to exactly 1.00 when the amounts are decimal."""
    dimes = pa.table(
        {
            "booked_at": stamps(10),
            "kind": ["new"] * 10,
            "amount": pa.array([Decimal("0.10")] * 10, pa.decimal128(12, 2)),
        }
    )
    table = ledger_project(dimes).query(["new_mrr"], engine=engine)
    assert pa.types.is_decimal(table.schema.field("new_mrr").type)
    assert table.column("new_mrr")[0].as_py() == Decimal("1")


def test_net_renewal_rate(engine: str) -> None:
    """($500 renewed + $200 expansion) / $1,000 up for renewal = 70%."""
    up_for_renewal = renewals(up=[600.0, 400.0], renewed=[500.0, 0.0], expansion=[200.0, 0.0])
    table = ledger_project(movements(), up_for_renewal).query(["net_renewal_rate"], engine=engine)
    assert table.column("net_renewal_rate")[0].as_py() == pytest.approx(0.7)
