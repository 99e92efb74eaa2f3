"""Combining a child level's values into its parent's cells: `agg(per ...)`.

Each child cell that belongs to a parent cell's iteration — its period lies in a parent period
and, when iterating over entities, its entity is in the entity set — belongs to the parent cell
named by its period, the parent's keys of its unit (the row dimensions; an entity is not one of
the parent's keys) and the per-entity dimensions evaluated for it (a health band). The groups
are worked out once for every `per` aggregate the child serves; each aggregate then reads only
the cells its `where` selects. As in a grouped pass over rows, a `where` does not take cells
away from the iteration: a parent cell with cells but none selected gets the aggregate's value
over nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from metricsmith.execute.arrow.aggregation import Input, Request, aggregate_groups
from metricsmith.execute.arrow.grid import LevelCells, LevelGrid
from metricsmith.execute.arrow.grouping import ScanCells, group_ids
from metricsmith.execute.arrow.subset import CellSubset
from metricsmith.execute.arrow.values import as_array, numbers_array, true_array
from metricsmith.execute.data.arrays import int64_numpy
from metricsmith.model.bound import BPer
from metricsmith.plan.nodes import PerLevel
from metricsmith.plugins.functions import AggregateFunction
from metricsmith.plugins.values import dictionary_encode, holds

# Cells whose formulas are evaluated at once when combining a child level.
_CELLS_AT_ONCE = 1 << 18


def combine(
    child: PerLevel,
    grid: LevelGrid,
    cells: LevelCells,
    to_parent: np.ndarray,
    parent_count: int,
    parent_keys: tuple[str, ...],
    functions: Mapping[str, AggregateFunction],
) -> ScanCells:
    """The child's `per` aggregates, one value per parent cell it has cells for, keyed like
    the parent's units. The child's formulas are evaluated at the cells in an iteration only."""
    units = grid.unit_count
    # Below an entity, sub-periods keep the parent's entity: its set was applied there.
    if grid.in_set is not None and not child.over_periods:
        rows = np.flatnonzero(grid.in_set)
        rows = rows[to_parent[rows // units] >= 0]
    else:
        periods = np.flatnonzero(to_parent >= 0)
        rows = (periods[:, None] * units + np.arange(units)).ravel()
    row_period = to_parent[rows // units]
    count = len(rows)
    evaluated, read = _at_cells(child, cells, rows)
    kept = [grid.keys.index(key) for key in parent_keys if key in grid.keys]
    unit_code, unit_cardinality = _unit_codes([grid.units[i] for i in kept], units)
    keys = [(row_period, parent_count), (unit_code[rows % units], unit_cardinality)]
    for label, _ in child.entity_dimensions:
        codes = dictionary_encode(evaluated[label])
        cardinality = len(codes.dictionary) + 1
        keys.append((int64_numpy(codes.indices, null_as=cardinality - 1), cardinality))
    groups, group_count = group_ids(keys, count)
    results = {}
    for aggregate in child.aggregates:
        per = aggregate.per
        selected, values = read[aggregate.name]
        request = Request(
            name=aggregate.name,
            function=functions[per.function],
            input=Input(values, selected),
            params=per.params,
            node=per,
        )
        results.update(aggregate_groups([request], groups[selected], group_count, "the cells"))
    present = np.flatnonzero(np.bincount(groups, minlength=group_count))
    representative = np.empty(group_count, dtype=np.int64)
    representative[groups] = np.arange(count)
    first = representative[present]
    cell = rows[first]
    taken, unit_taken = numbers_array(first), numbers_array(cell % units)
    seen = None
    if child.finds_entities:
        assert grid.in_set is not None, "a level over identifiers has an entity set"
        seen = np.bincount(groups, weights=grid.in_set[rows], minlength=group_count) > 0
        seen = seen[present]
    return ScanCells(
        periods=row_period[first],
        # A child without the parent's keys (sub-periods that read nothing below an
        # identifier) has the same values for every unit of the parent.
        dimensions=tuple(
            evaluated[key].take(taken)
            if key in evaluated
            else grid.units[grid.keys.index(key)].take(unit_taken)
            for key in parent_keys
            if key in evaluated or key in grid.keys
        ),
        aggregates={name: values.take(numbers_array(present)) for name, values in results.items()},
        seen=seen,
    )


def _at_cells(
    child: PerLevel, cells: LevelCells, rows: np.ndarray
) -> tuple[dict[str, pa.Array], dict[str, tuple[np.ndarray, pa.Array]]]:
    """The child's formulas at the cells `rows`: each per-entity dimension's values, and for
    each `per` aggregate the positions (in `rows`) of the cells it reads and its values.
    Evaluated a slice of the cells at a time: an evaluation keeps every intermediate value
    of a formula (the health score's, over 2M cells, about 300 MB at once); the formulas
    are row-level, so each cell's value is the same whichever cells are evaluated with it."""
    dimensions: dict[str, list[pa.Array]] = {label: [] for label, _ in child.entity_dimensions}
    selected: dict[str, list[np.ndarray]] = {a.name: [] for a in child.aggregates}
    values: dict[str, list[pa.Array]] = {a.name: [] for a in child.aggregates}
    for start in range(0, len(rows), _CELLS_AT_ONCE) if len(rows) else [0]:
        part = rows[start : start + _CELLS_AT_ONCE]
        at_part = CellSubset(cells, part)
        for label, formula in child.entity_dimensions:
            dimensions[label].append(as_array(at_part.evaluate(formula), len(part)))
        for aggregate in child.aggregates:
            per = aggregate.per
            selected[aggregate.name].append(_selected(per, at_part, len(part)) + start)
            if per.body is not None:
                values[aggregate.name].append(as_array(at_part.evaluate(per.body), len(part)))
    read = {
        a.name: (
            np.concatenate(selected[a.name]),
            true_array(len(rows)) if a.per.body is None else pa.concat_arrays(values[a.name]),
        )
        for a in child.aggregates
    }
    return {label: pa.concat_arrays(parts) for label, parts in dimensions.items()}, read


def _selected(per: BPer, cells: CellSubset, count: int) -> np.ndarray:
    """Which of the cells in the iteration a `per` aggregate reads: where its condition
    holds."""
    if per.where is None:
        return np.arange(count)
    condition = holds(as_array(cells.evaluate(per.where), count))
    return np.flatnonzero(condition.to_numpy(zero_copy_only=False))


def _unit_codes(columns: list[pa.Array], units: int) -> tuple[np.ndarray, int]:
    """One code per unit for the combination of its values in `columns` (equal values, equal
    codes), and how many codes there are."""
    if not columns:
        return np.zeros(units, dtype=np.int64), 1
    composite = np.zeros(units, dtype=np.int64)
    possible = 1
    for column in columns:
        encoded = dictionary_encode(column)
        size = len(encoded.dictionary) + 1
        composite = composite * size + int64_numpy(encoded.indices, null_as=size - 1)
        possible *= size
    if possible <= max(units, 1 << 16):
        # Numbered by a bitmap of the combinations present, in the same order as a sort
        # would (a sort of 200k accounts' cohorts was a twentieth of a cohort query).
        present = np.zeros(possible, dtype=bool)
        present[composite] = True
        number = np.cumsum(present) - 1
        return number[composite], int(number[-1]) + 1
    distinct, codes = np.unique(composite, return_inverse=True)
    return codes.ravel().astype(np.int64), len(distinct)
