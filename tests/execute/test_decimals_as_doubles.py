"""A decimal becomes the nearest double wherever it meets a float: compared with a float
column, averaged, as a median, in arithmetic with a float, chosen by `if`, `coalesce` or
`case` beside a float, banded by `bucket`. pyarrow's cast multiplies by a power of ten's
inverse, so the Arrow engine read 3.3 as 3.3000000000000003 and 0.3 as 0.30000000000000004:
`count(orders where amount == quoted)` was 0 on Arrow and 3 on the SQL engines, `max(amount -
quoted)` 4.4e-16 instead of 0, and the mean of 3.3, 0.3 and 0.1 a last digit off, enough to
turn a condition such as `avg(x) > 0.15` around. docs/language.md ("Numbers: decimals and
overflow") says how decimals meet floats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext

import metricsmith
import numpy as np
import pyarrow as pa
import pytest
from execute_helpers import rows
from hypothesis import given, settings
from hypothesis import strategies as st
from metricsmith.builtin.functions import _avg
from metricsmith.plugins.values import as_float

DECIMAL = pa.decimal128(38, 9)

# ---- the conversion itself ---------------------------------------------------------------

decimals = st.decimals(
    min_value=Decimal("-1e28"), max_value=Decimal("1e28"), places=9, allow_nan=False
)
small_decimals = st.decimals(
    min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=9, allow_nan=False
)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), small_decimals, decimals), max_size=30),
    cut=st.integers(0, 5),
)
def test_each_decimal_is_its_nearest_double(values, cut):
    array = pa.array(values, DECIMAL)
    expected = [None if v is None else float(v) for v in values]  # correctly rounded
    assert as_float(array).to_pylist() == expected
    assert as_float(array.slice(cut)).to_pylist() == expected[cut:]  # an offset into the buffer
    chunked = pa.chunked_array([array.slice(0, cut), array.slice(cut)], DECIMAL)
    assert as_float(chunked).to_pylist() == expected


@pytest.mark.parametrize(
    "value",
    ["3.3", "0.3", "60", "-0.1", "9007199.254740993", "123456789012.345678901", "-1e20"],
)
def test_scalars_and_wide_decimals(value):
    exact = Decimal(value)
    assert as_float(pa.scalar(exact, DECIMAL)).as_py() == float(exact)
    assert as_float(pa.array([exact], pa.decimal256(50, 9))).to_pylist() == [float(exact)]
    assert as_float(pa.array([exact, None], pa.decimal128(38, 12))).to_pylist() == [
        float(exact),
        None,
    ]
    assert as_float(pa.scalar(None, DECIMAL)).as_py() is None


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), small_decimals, decimals), min_size=1, max_size=40),
    groups=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_a_mean_of_decimals_is_the_exact_mean_rounded_once(values, groups, seed):
    ids = np.random.default_rng(seed).integers(0, groups, len(values))
    got = _avg(pa.array(values, DECIMAL), ids, groups, ()).to_pylist()
    expected = []
    for group in range(groups):
        members = [v for v, g in zip(values, ids, strict=True) if g == group and v is not None]
        with localcontext(prec=80):
            expected.append(float(sum(members) / len(members)) if members else None)
    assert got == expected


# ---- on every engine ---------------------------------------------------------------------

PROJECT = """
source accounts from csv("accounts.csv") { key account_id }
source orders from csv("orders.csv") {
  time at
  entity account_id -> accounts
  column at: timestamp
  column amount: decimal
  column quoted: float
}
metric matching = count(orders where amount == quoted)
metric above = count(orders where amount > quoted)
metric mean = avg(orders.amount)
metric middle = median(orders.amount)
metric gap = max(orders.amount - orders.quoted)
metric chosen = max(if(orders.quoted > 100, orders.quoted, orders.amount))
metric first_known = max(coalesce(orders.amount, orders.quoted))
metric cased = max(case when orders.quoted > 100 then orders.quoted else orders.amount end)
metric high = count(orders where bucket(amount, 3.3, "low", "high") == "high")
metric big_spenders = count(per account where avg(orders.amount) > 0.15)
"""
# January: a1 orders 3.3, 0.3 and 0.1 (its mean 1.2333333333333334, exactly 3.7 / 3); a2 0.1
# and 0.2 (mean 0.15, not above 0.15: summed as doubles it was 0.15000000000000002). Each
# `quoted` is the same number as a float.
ORDERS = (
    "at,account_id,amount,quoted\n"
    "2024-01-05T00:00:00Z,a1,3.3,3.3\n"
    "2024-01-06T00:00:00Z,a1,0.3,0.3\n"
    "2024-01-07T00:00:00Z,a1,0.1,0.1\n"
    "2024-01-08T00:00:00Z,a2,0.1,0.1\n"
    "2024-01-09T00:00:00Z,a2,0.2,0.2\n"
)


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_decimals_meet_floats_alike_on_every_engine(tmp_path, engine):
    (tmp_path / "p.metrics").write_text(PROJECT)
    (tmp_path / "accounts.csv").write_text("account_id\na1\na2\n")
    (tmp_path / "orders.csv").write_text(ORDERS)
    project = metricsmith.load_project(tmp_path / "p.metrics")
    metrics = [
        "matching", "above", "mean", "middle", "gap", "chosen", "first_known", "cased", "high",
        "big_spenders",
    ]  # fmt: skip
    table = project.query(metrics, grain="month", start="2024-01", end="2024-02", engine=engine)
    # Five equal pairs, none above; the mean of 3.3, 0.3, 0.1, 0.1 and 0.2 is exactly 0.8
    # (4 / 5); the median 0.2; the largest of each pair's choice 3.3; one amount at 3.3 or
    # more; a1's mean is above 0.15, a2's is 0.15.
    assert rows(table) == [(dt.date(2024, 1, 1), 5, 0, 0.8, 0.2, 0.0, 3.3, 3.3, 3.3, 1, 1)]
