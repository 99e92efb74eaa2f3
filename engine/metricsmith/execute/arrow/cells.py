"""The cells of a level: every period × every combination of key values any grouped pass saw.

Each pass's groups land in their cells; a cell a pass has no rows for gets the aggregate's
value for nothing (0 for counts and sums, null otherwise), or where a child level's units leave
out some of its parent's (`PerLevel.without_rows`) the value of a unit without rows.
Combinations are sorted by their values (nulls last) and periods are in time order, so the
cells come out sorted. Cells are laid out period-major: cell `period * units + unit`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.execute.arrow.grouping import ScanCells
from metricsmith.execute.arrow.values import numbers_array, take_indices
from metricsmith.execute.data.arrays import int64_numpy
from metricsmith.plugins.values import dictionary_encode


@frozen
class Grid:
    """`units` holds one array per key (one value per combination); `columns` one value per
    cell; `present` marks the cells the passes listed in `build_grid(presence=...)` had rows
    for, and those a pass says it saw (`ScanCells.seen`)."""

    units: tuple[pa.Array, ...]
    unit_count: int
    columns: dict[str, pa.Array]
    present: np.ndarray


def build_grid(
    passes: Sequence[ScanCells],
    period_count: int,
    key_count: int,
    empty_values: Mapping[str, object],
    presence: int = 0,
    without_rows: Mapping[int, ScanCells] | None = None,
    cohorts: tuple[int, pa.Array] | None = None,
) -> Grid:
    """`empty_values` gives, for each column, its value over no rows; `presence` says how
    many of the first passes mark cells present. A pass without keys (when there are keys)
    holds one value per period for every unit. `without_rows` gives, for some passes (by
    position), a pass without keys whose values a cell that pass has no group for takes in
    its period (`PerLevel.without_rows`). `cohorts` (the position of the cohort key, and
    the cohorts of the range: `Plan.cohorts`) adds every one of those cohorts with every
    combination of the other keys the passes saw."""
    keyed = [cells for cells in passes if len(cells.dimensions) == key_count]
    combinations, pass_combination = _combinations(keyed, key_count)
    if cohorts is not None and key_count:
        extra = _with_cohorts(combinations, *cohorts)
        combinations, pass_combination = _combinations(keyed, key_count, extra)
    width = len(combinations[0]) if key_count else 1
    size = period_count * width
    columns: dict[str, pa.Array] = {}
    present = np.zeros(size, dtype=bool)
    combination_of = iter(pass_combination)
    for number, cells in enumerate(passes):
        if len(cells.dimensions) == key_count:
            cell = cells.periods * width + next(combination_of)
            rows = np.arange(len(cell))
        else:
            cell = (cells.periods[:, None] * width + np.arange(width)).ravel()
            rows = np.repeat(np.arange(len(cells.periods)), width)
        if number < presence:
            present[cell] = True
        elif cells.seen is not None:
            present[cell[cells.seen[rows]]] = True
        twin = (without_rows or {}).get(number)
        if twin is None:
            numeric = {
                name: _scattered(values, cell, rows, size, empty_values[name])
                for name, values in cells.aggregates.items()
                if _is_number(values.type)
            }
            columns.update(numeric)
            if len(numeric) == len(cells.aggregates):
                continue
        position = np.full(size, -1, dtype=np.int64)
        position[cell] = rows
        indices = take_indices(position)
        taken = {
            name: values.take(indices)
            for name, values in cells.aggregates.items()
            if twin is not None or not _is_number(values.type)
        }
        if twin is not None:
            missing = pa.array(position < 0)
            by_period = _period_values(twin, period_count, width)
            for name, values in taken.items():
                fallback = by_period[name]
                if fallback.type != values.type:
                    fallback = pc.cast(fallback, values.type)
                taken[name] = pc.if_else(missing, fallback, values)
        for name, values in taken.items():
            columns[name] = fill_empty(values, empty_values[name])
    return Grid(units=combinations, unit_count=width, columns=columns, present=present)


def _is_number(type_: pa.DataType) -> bool:
    return pa.types.is_integer(type_) or pa.types.is_floating(type_)


def _scattered(
    values: pa.Array, cell: np.ndarray, rows: np.ndarray, size: int, empty: object
) -> pa.Array:
    """A pass's numbers (`values[rows]`) at their cells, `empty` in every other cell and for
    a null value (a null where `empty` is None): what taking them by position and filling
    the empty cells gives, written straight into numpy arrays."""
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    numbers = (values if values.null_count == 0 else pc.fill_null(values, 0)).to_numpy()
    dense = np.zeros(size, dtype=numbers.dtype)
    dense[cell] = numbers[rows]
    has_value = np.zeros(size, dtype=bool)
    has_value[cell] = valid[rows]
    if empty is None:
        return pa.array(dense, type=values.type, mask=~has_value)
    dense[~has_value] = pa.scalar(empty).cast(values.type).as_py()
    return pa.array(dense, type=values.type)


def _period_values(cells: ScanCells, period_count: int, width: int) -> dict[str, pa.Array]:
    """A pass without keys as one value per cell: its value in the cell's period for every
    unit (null in a period it has none for)."""
    position = np.full(period_count, -1, dtype=np.int64)
    position[cells.periods] = np.arange(len(cells.periods))
    indices = pa.array(np.repeat(position, width), mask=np.repeat(position < 0, width))
    return {name: values.take(indices) for name, values in cells.aggregates.items()}


def _with_cohorts(
    combinations: tuple[pa.Array, ...], position: int, cohorts: pa.Array
) -> tuple[pa.Array, ...]:
    """Every cohort with every combination of the other keys in `combinations` (with each
    cohort alone when the cohort is the only key)."""
    if len(combinations) == 1:
        return (cohorts,)
    seen = len(combinations[0])
    rows = numbers_array(np.repeat(np.arange(seen), len(cohorts)))
    columns = [column.take(rows) for column in combinations]
    columns[position] = cohorts.take(numbers_array(np.tile(np.arange(len(cohorts)), seen)))
    return tuple(columns)


def _combinations(
    passes: Sequence[ScanCells], key_count: int, extra: tuple[pa.Array, ...] = ()
) -> tuple[tuple[pa.Array, ...], list[np.ndarray]]:
    """The distinct key combinations over all passes and the `extra` ones, sorted (one array
    per key), and for each pass the combination number of each of its groups."""
    if key_count == 0:
        return (), [np.zeros(len(cells.periods), dtype=np.int64) for cells in passes]
    sets = [cells.dimensions for cells in passes] + ([extra] if extra else [])
    if not sets:
        return tuple(pa.array([], pa.null()) for _ in range(key_count)), []
    columns = [concatenate([keys[i] for keys in sets]) for i in range(key_count)]
    composite = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        encoded = dictionary_encode(column)
        size = len(encoded.dictionary) + 1
        composite = composite * size + int64_numpy(encoded.indices, null_as=size - 1)
    distinct, first_row, number = np.unique(composite, return_index=True, return_inverse=True)
    table = pa.table({str(i): c.take(numbers_array(first_row)) for i, c in enumerate(columns)})
    order = pc.sort_indices(table, sort_keys=[(str(i), "ascending") for i in range(len(columns))])
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[order.to_numpy()] = np.arange(len(distinct))
    ordered = table.take(order)
    sorted_columns = tuple(ordered.column(i).combine_chunks() for i in range(len(columns)))
    numbers = rank[number.ravel()]
    bounds = np.cumsum([0, *(len(cells.periods) for cells in passes)])
    return sorted_columns, [numbers[a:b] for a, b in itertools.pairwise(bounds)]


def concatenate(arrays: Sequence[pa.Array]) -> pa.Array:
    """One array from values that may differ in Arrow type (an all-null key, integers of
    different widths)."""
    typed = [a.type for a in arrays if not pa.types.is_null(a.type)]
    target = typed[0] if typed else pa.null()
    return pa.concat_arrays([a if a.type == target else pc.cast(a, target) for a in arrays])


def fill_empty(values: pa.Array, empty: object) -> pa.Array:
    if empty is None or values.null_count == 0:
        return values
    return pc.fill_null(values, pa.scalar(empty).cast(values.type))
