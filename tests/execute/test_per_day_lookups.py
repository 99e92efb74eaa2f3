"""A function of each date computed once per day spanned and looked up (`per_day`), and
positions as `take` indices (`take_indices`): the same values as the direct way."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from metricsmith.execute.arrow.values import take_indices
from metricsmith.plugins.values import calendar_scope, per_day
from metricsmith.registry import get_registry

_MANY = 10_000  # above the size from which the table of days is used


def _dates(day_numbers: np.ndarray, nulls: np.ndarray | None = None) -> pa.Array:
    return pa.array(day_numbers.astype(np.int32), pa.int32(), mask=nulls).view(pa.date32())


@pytest.mark.parametrize("unit", ["week", "month", "quarter", "year", "fiscal_quarter"])
def test_truncating_many_dates_gives_what_arrow_gives_each(unit: str) -> None:
    generator = np.random.default_rng(7)
    numbers = generator.integers(19_700, 20_500, _MANY)  # 2023-12-09 .. 2026-02-16
    nulls = generator.random(_MANY) < 0.1
    dates = _dates(numbers, nulls)
    chunked = pa.chunked_array([dates.slice(0, 3_000), dates.slice(3_000)])
    date_trunc = get_registry().scalar_functions["date_trunc"].arrow
    with calendar_scope("UTC", week_start=2, fiscal_start=4):  # weeks from Wednesday
        for values in (dates, chunked, dates.slice(1_234, 8_000)):
            fast = date_trunc(pa.scalar(unit), values)
            # Slices too short for the table, truncated by Arrow date by date.
            whole = pa.chunked_array([values]).combine_chunks()
            direct = [
                date_trunc(pa.scalar(unit), whole.slice(start, 2_000)).to_pylist()
                for start in range(0, len(whole), 2_000)
            ]
            assert fast.to_pylist() == [day for part in direct for day in part]
            assert fast.null_count == values.null_count
    assert per_day(chunked, lambda days: pc.floor_temporal(days, unit="month")).equals(
        pc.floor_temporal(chunked, unit="month")
    )


def test_dates_spread_wider_than_their_count_are_passed_directly() -> None:
    spread = _dates(np.arange(_MANY) * 40)  # 400,000 days for 10,000 dates
    seen: list[int] = []

    def month(days: pa.Array) -> pa.Array:
        seen.append(len(days))
        return pc.floor_temporal(days, unit="month")

    assert per_day(spread, month).equals(pc.floor_temporal(spread, unit="month"))
    assert seen == [_MANY]


def test_only_nulls_and_few_dates_are_passed_directly() -> None:
    nulls = pa.nulls(_MANY, pa.date32())
    assert per_day(nulls, lambda days: pc.floor_temporal(days, unit="month")).null_count == _MANY
    few = pa.array([dt.date(2024, 3, 9), None, dt.date(2024, 2, 29)])
    wanted = pa.array([dt.date(2024, 3, 9)])
    found = per_day(few, lambda days: pc.is_in(days, value_set=wanted))
    assert found.to_pylist() == [True, False, False]


def test_take_indices_are_null_where_a_position_is_negative() -> None:
    values = pa.array(["a", "b", "c"])
    assert values.take(take_indices(np.array([2, 0, 2]))).to_pylist() == ["c", "a", "c"]
    assert take_indices(np.array([2, 0], dtype=np.int32)).buffers()[0] is None  # no bitmap
    taken = values.take(take_indices(np.array([-1, 1, -1], dtype=np.int32)))
    assert taken.to_pylist() == [None, "b", None]
    assert len(take_indices(np.array([], dtype=np.int64))) == 0
