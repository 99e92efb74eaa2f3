"""Placing times among period bounds by a table of days (execute/arrow/placement.py,
`at_or_before`) gives what a binary search gives, whatever the bounds."""

# Arrow only: how the Arrow engine places rows in periods.

from __future__ import annotations

import numpy as np
import pytest
from metricsmith.execute.arrow import placement
from metricsmith.execute.arrow.placement import at_or_before

DAY = 86_400_000_000
HOUR = 3_600_000_000
EARLIEST, LATEST = np.iinfo(np.int64).min, np.iinfo(np.int64).max


def _bounds(random: np.random.Generator, kind: str) -> np.ndarray:
    start = 19_000 * DAY  # 2022-01-08, a day start
    days = np.sort(random.choice(np.arange(1, 1500), 40, replace=False))
    bounds = start + days * DAY
    if kind == "daylight saving":  # some bounds an hour off the day grid (Europe in summer)
        bounds = bounds - np.where(days % 3 == 0, HOUR, 0)
    if kind == "all-time window":  # a window reaching back to the beginning of time
        bounds = np.concatenate([[EARLIEST], bounds])
    if kind == "repeated":  # equal bounds (empty periods)
        bounds = np.sort(np.concatenate([bounds, bounds[::5]]))
    return bounds.astype(np.int64)


@pytest.mark.parametrize("kind", ["days", "daylight saving", "all-time window", "repeated"])
@pytest.mark.parametrize("slice_size", [None, 1_000])
@pytest.mark.parametrize("narrow", [True, False])
def test_same_as_binary_search(kind, slice_size, narrow, monkeypatch):
    if slice_size is not None:  # many slices through one buffer, the last one shorter
        monkeypatch.setattr(placement, "_SLICE", slice_size)
    if not narrow:  # more bounds than 32 bits count (forced: a small limit)
        monkeypatch.setattr(placement, "_NARROW_PERIODS", 3)
    random = np.random.default_rng(3)
    bounds = _bounds(random, kind)
    low = int(bounds[1]) - 30 * DAY
    times = np.concatenate(
        [
            random.integers(low, int(bounds[-1]) + 30 * DAY, 20_000),
            bounds[1:] - 1,
            bounds[1:],
            bounds[1:] + 1,
            [EARLIEST, LATEST, 0, -1],
        ]
    ).astype(np.int64)
    expected = np.searchsorted(bounds, times, side="right")
    found = at_or_before(bounds, times)
    assert np.array_equal(found, expected)
    if not narrow:
        assert found.dtype == np.int64
