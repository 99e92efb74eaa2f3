"""The result grid: every period of the range × every dimension combination any scan saw.

Each scan's groups land in their cells; a cell a scan has no rows for gets the aggregate's
value for nothing (0 for counts and sums, null otherwise). Combinations are sorted by their
values (nulls last) and periods are in time order, so the grid comes out sorted.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.execute.arrow.grouping import ScanCells
from metricsmith.execute.arrow.values import int64_numpy


@frozen
class Grid:
    periods: np.ndarray  # the period index of each cell
    dimensions: tuple[pa.Array, ...]
    aggregates: dict[str, pa.Array]

    @property
    def size(self) -> int:
        return len(self.periods)


def build_grid(
    scans: Sequence[ScanCells],
    period_count: int,
    dimension_count: int,
    empty_values: Mapping[str, object],
) -> Grid:
    """`empty_values` gives, for each aggregate column, its value over no rows."""
    combinations, scan_combination = _combinations(scans, dimension_count)
    width = len(combinations[0]) if dimension_count else 1
    size = period_count * width
    aggregates: dict[str, pa.Array] = {}
    for scan, combination in zip(scans, scan_combination, strict=True):
        cell = scan.periods * width + combination
        position = np.full(size, -1, dtype=np.int64)
        position[cell] = np.arange(len(cell))
        indices = pa.array(position, mask=position < 0)
        for name, values in scan.aggregates.items():
            aggregates[name] = _fill_empty(values.take(indices), empty_values[name])
    tiled = np.tile(np.arange(width), period_count)
    return Grid(
        periods=np.repeat(np.arange(period_count), width),
        dimensions=tuple(values.take(pa.array(tiled)) for values in combinations),
        aggregates=aggregates,
    )


def _combinations(
    scans: Sequence[ScanCells], dimension_count: int
) -> tuple[tuple[pa.Array, ...], list[np.ndarray]]:
    """The distinct dimension combinations over all scans, sorted (one array per dimension),
    and for each scan the combination number of each of its groups."""
    if dimension_count == 0:
        return (), [np.zeros(len(scan.periods), dtype=np.int64) for scan in scans]
    if not scans:
        return tuple(pa.array([], pa.null()) for _ in range(dimension_count)), []
    columns = [_concatenate([scan.dimensions[i] for scan in scans]) for i in range(dimension_count)]
    composite = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        encoded = pc.dictionary_encode(column)
        size = len(encoded.dictionary) + 1
        composite = composite * size + int64_numpy(encoded.indices, null_as=size - 1)
    distinct, first_row, number = np.unique(composite, return_index=True, return_inverse=True)
    table = pa.table({str(i): c.take(pa.array(first_row)) for i, c in enumerate(columns)})
    order = pc.sort_indices(table, sort_keys=[(str(i), "ascending") for i in range(len(columns))])
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[order.to_numpy()] = np.arange(len(distinct))
    ordered = table.take(order)
    sorted_columns = tuple(ordered.column(i).combine_chunks() for i in range(len(columns)))
    numbers = rank[number]
    bounds = np.cumsum([0, *(len(scan.periods) for scan in scans)])
    return sorted_columns, [numbers[a:b] for a, b in itertools.pairwise(bounds)]


def _concatenate(arrays: list[pa.Array]) -> pa.Array:
    """One array from per-scan values of a dimension, which may differ in Arrow type (an
    all-null dimension, integers of different widths)."""
    typed = [a.type for a in arrays if not pa.types.is_null(a.type)]
    target = typed[0] if typed else pa.null()
    return pa.concat_arrays([a if a.type == target else pc.cast(a, target) for a in arrays])


def _fill_empty(values: pa.Array, empty: object) -> pa.Array:
    if empty is None or values.null_count == 0:
        return values
    return pc.fill_null(values, pa.scalar(empty).cast(values.type))
