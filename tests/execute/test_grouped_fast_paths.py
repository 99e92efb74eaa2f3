"""Twins for fast paths of the Arrow engine's grouped numbers: a float aggregate over values
without nulls (no mask applied, builtin/functions.py `_float_values`) answers bit for bit as
over the same values with null rows added, and integer codes by offset (execute/arrow/frame.py
`_offset_codes`) decode to the values they were made from, nulls included."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from metricsmith.builtin.functions import _avg, _median, _percentile, _stddev
from metricsmith.execute.arrow import frame as frame_module
from metricsmith.execute.arrow.frame import _offset_codes

AGGREGATES = {
    "avg": (_avg, ()),
    "stddev": (_stddev, ()),
    "median": (_median, ()),
    "percentile": (_percentile, (0.9,)),
}


@pytest.mark.parametrize("name", AGGREGATES)
@pytest.mark.parametrize("groups_count", [1, 7, 5000])  # 5000: the sorted path, not partitions
def test_values_without_nulls_answer_as_with_nulls_added(name, groups_count):
    function, params = AGGREGATES[name]
    rng = np.random.default_rng(12)
    # The same values, in the same order, among null rows in groups of their own.
    null_at = rng.random(30_000) < 0.3
    values = rng.normal(50, 20, int(np.count_nonzero(~null_at)))
    groups = rng.integers(0, groups_count, len(values))
    plain = function(pa.array(values), groups, groups_count, params)
    assert plain.type == pa.float64()
    with_nulls = np.zeros(len(null_at))
    with_nulls[~null_at] = values
    all_groups = rng.integers(0, groups_count, len(null_at))
    all_groups[~null_at] = groups
    masked = function(pa.array(with_nulls, mask=null_at), all_groups, groups_count, params)
    assert plain.equals(masked)  # bit for bit, nulls (empty groups) at the same places


@pytest.mark.parametrize(
    "values",
    [
        pa.array([5, -3, None, 5, 7, -3], pa.int8()),
        pa.array([4_000_000_000, 3_999_999_990, None], pa.uint32()),
        pa.array([-(2**62), -(2**62) + 4, -(2**62) + 1], pa.int64()),
        pa.chunked_array([[1, 2], [None, 9]], pa.int32()),
    ],
)
@pytest.mark.parametrize("narrow_up_to", [None, 3])
def test_offset_codes_decode_to_their_values(values, narrow_up_to, monkeypatch):
    # 32-bit codes when the null's code fits; int64 past that (forced here by a small limit:
    # a range wider than 32 bits needs more than 2**31 values).
    if narrow_up_to is not None:
        monkeypatch.setattr(frame_module, "_NARROW_CODES", narrow_up_to)
    result = _offset_codes(values)
    assert result is not None
    codes, dictionary = result
    assert codes.dtype == (np.int32 if narrow_up_to is None else np.int64)
    # A null's code is one past the dictionary, as with dictionary_encode.
    null_code = len(dictionary)
    is_null = codes == null_code
    decoded = pc.take(dictionary, pa.array(np.where(is_null, 0, codes), mask=is_null))
    assert decoded.to_pylist() == values.to_pylist()
    assert decoded.type == values.type
