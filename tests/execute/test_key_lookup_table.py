"""Looking integer values up among integer keys by a table (execute/arrow/frame.py) finds
what a hash lookup finds: the first position of an equal key, none for a null value."""

# Arrow only: how the Arrow engine follows links and finds entities.

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from metricsmith.execute.arrow import frame as frame_module
from metricsmith.execute.arrow.frame import KeyTable, positions_of


@pytest.mark.parametrize("type_", [pa.int8(), pa.int32(), pa.int64()])
@pytest.mark.parametrize("repeated_keys", [False, True])
def test_same_as_hash_lookup(type_, repeated_keys):
    random = np.random.default_rng(9)
    low, high = (-128, 127) if type_ == pa.int8() else (-500, 4000)
    candidates = np.arange(low, high + 1)
    keys = pa.array(
        random.choice(candidates, 200, replace=repeated_keys), type_, mask=random.random(200) < 0.05
    )
    count = 100_000  # enough values for the table
    values = pa.array(random.integers(low, high + 1, count), type_, mask=random.random(count) < 0.1)
    found = positions_of(values, keys, "events", "account_id")
    assert found.equals(pc.index_in(values, value_set=keys, skip_nulls=True))
    # Chunked values (a column read in several batches) too.
    chunked = pa.chunked_array([values.slice(0, 70_000), values.slice(70_000)])
    assert positions_of(chunked, keys, "events", "account_id").equals(found)


def test_a_table_kept_for_several_lookups_finds_what_a_hash_finds():
    """A link followed in every batch of a source keeps one table (`Sources` builds it once
    per linked source): a few values, outside the keys' range or null, are found as a hash
    lookup finds them."""
    keys = pa.array([10, 12, None, 11, 12, 40], pa.int64())
    table = KeyTable.of(keys)
    assert table is not None
    for values in ([12, 9, None, 40, 41, 10], [11], []):
        batch = pa.array(values, pa.int64())
        expected = pc.index_in(batch, value_set=keys, skip_nulls=True)
        assert positions_of(batch, keys, "events", "account_id", table).equals(expected)


@pytest.mark.parametrize("type_", [pa.int32(), pa.int64()])
def test_values_all_in_the_keys_range_without_nulls_are_found_as_a_hash_finds_them(type_):
    """The common case takes one gather from the table: values without nulls, all between
    the smallest and the largest key, some of them naming no key."""
    random = np.random.default_rng(11)
    keys = pa.array(random.choice(np.arange(0, 3000), 1000, replace=False), type_)
    values = pa.array(random.integers(0, 3000, 100_000), type_)
    keys_range = pc.min_max(keys)
    inside = pc.and_(
        pc.greater_equal(values, keys_range["min"]), pc.less_equal(values, keys_range["max"])
    )
    values = values.filter(inside)
    found = positions_of(values, keys, "events", "account_id")
    assert found.null_count > 0  # values naming no key are among them
    assert found.equals(pc.index_in(values, value_set=keys, skip_nulls=True))


def test_values_read_a_slice_at_a_time_are_found_as_a_hash_finds_them(monkeypatch):
    """The table reads the values chunk by chunk and a slice of each at a time (no combined
    copy): slices without nulls inside the keys' range (one gather) beside slices with nulls
    or values outside it, in chunks of lengths that are no multiple of the slice."""
    monkeypatch.setattr(frame_module, "_SLICE", 7_000)
    random = np.random.default_rng(12)
    keys = pa.array(random.choice(np.arange(-50, 3000), 1000, replace=False), pa.int64())
    inside = random.integers(-50, 3000, 30_000)
    outside = random.integers(-500, 4000, 30_000)
    chunks = [
        pa.array(inside[:15_500], pa.int64()),
        pa.array(outside[:20_001], pa.int64(), mask=random.random(20_001) < 0.1),
        pa.array([], pa.int64()),
        pa.array(inside[15_500:], pa.int64()),
    ]
    values = pa.chunked_array(chunks)
    found = positions_of(values, keys, "events", "account_id")
    expected = pc.index_in(values.combine_chunks(), value_set=keys, skip_nulls=True)
    assert found.equals(expected)
