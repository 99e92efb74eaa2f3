"""A key's uniqueness is checked by marking integers of a compact range in a table, or by
hashing: both ways agree with counting the distinct values of a Python set."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from metricsmith.errors import DataError
from metricsmith.execute.data.keys import require_unique_key


def _unique_by_set(values: list) -> bool:
    present = [v for v in values if v is not None]
    return len(set(present)) == len(present)


@pytest.mark.parametrize("spread", [3, 10, 10**12])  # a compact range; one too wide for a table
@pytest.mark.parametrize("seed", range(6))
def test_the_table_and_hashing_agree_with_a_set(seed, spread):
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 60))
    numbers = rng.integers(-spread, spread, size=size)
    values = [None if rng.random() < 0.1 else int(n) for n in numbers]
    column = pa.array(values, pa.int64())
    for typed in (
        column,
        column.cast(pa.int32()) if spread < 2**31 else column,
        column.cast(pa.float64()),
    ):
        try:
            require_unique_key("s", typed, "k")
            unique = True
        except DataError:
            unique = False
        assert unique == _unique_by_set(values), (typed.type, values)


def test_a_repeat_in_a_compact_range_names_its_row():
    with pytest.raises(DataError, match=r"key value 3 appears more than once \(first at row 2\)"):
        require_unique_key("accounts", pa.array([1, 3, None, 2, 3], pa.int64()), "account_id")
