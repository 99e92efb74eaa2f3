"""The entities of a `per` over a source with a key: that source's rows (the entity set of
docs/time-intelligence.md, "Per-entity iteration").

An entity is in the entity set of a cell when it matches the query's filters and — if the
source has a time column — exists by the end of the cell's period (`time < e`). Existence only
grows with time, so each entity has a first period it exists in, and the set of a (period,
entity) cell is one comparison.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.execute.arrow.frame import Sources, all_true, positions_of
from metricsmith.execute.arrow.placement import TimeColumns
from metricsmith.execute.arrow.values import as_array
from metricsmith.execute.data.keys import require_unique_key
from metricsmith.plan.nodes import EntityMembers
from metricsmith.plan.timeline import Timeline
from metricsmith.plugins.values import holds, per_day


@frozen
class Members:
    """`keys` identify the entities; `dimensions` hold each one's row-dimension values;
    `exists_from` the first period each exists in (the period count: never); `rows` the
    source row of each (None: every row of the source, in order)."""

    source: str
    key: str
    keys: pa.Array
    dimensions: tuple[pa.Array, ...]
    exists_from: np.ndarray
    rows: np.ndarray | None = None

    @property
    def count(self) -> int:
        return len(self.keys)

    def in_set(self, period_count: int) -> np.ndarray:
        """Whether each (period, entity) cell, period-major, holds an entity of the set."""
        periods = np.arange(period_count)[:, None]
        return (periods >= self.exists_from[None, :]).ravel()

    def of_cohorts(self, position: int, cohorts: Sequence[dt.date]) -> Members:
        """Only the entities whose cohort (the dimension at `position`, a date) is one of
        `cohorts`: the others are in no entity set, so no parent cell reads a cell of theirs,
        and leaving them out leaves out their cells and rows (by age, a year's cohorts are
        about half of 200k accounts)."""
        kept = in_cohorts(self.dimensions[position], cohorts)
        if kept is None or kept.all():
            return self
        rows = np.flatnonzero(kept)
        taken = pa.array(rows, pa.int64())
        return attrs.evolve(
            self,
            keys=self.keys.take(taken),
            dimensions=tuple(d.take(taken) for d in self.dimensions),
            exists_from=self.exists_from[rows],
            rows=rows if self.rows is None else self.rows[rows],
        )

    def of_source_rows(self, rows: np.ndarray, row_count: int) -> np.ndarray:
        """The entity at each of the source's rows in `rows` (`row_count`, the source's
        rows, or more: none), -1 for none."""
        if self.rows is None:
            return entity_numbers(rows, rows < self.count)
        number = np.full(row_count + 1, -1, dtype=np.int32)
        number[self.rows] = np.arange(self.count, dtype=np.int32)
        return number[np.minimum(rows, row_count)]

    def positions(self, values: pa.Array | pa.ChunkedArray, source: str, column: str):
        """The entity each value names (-1: none)."""
        found = positions_of(values, self.keys, source, column)
        return entity_numbers(found.fill_null(-1).to_numpy(zero_copy_only=False))


def entity_numbers(positions: np.ndarray, named: np.ndarray | None = None) -> np.ndarray:
    """Entity positions in 32 bits (a number per source row, kept while the query runs:
    half the memory of int64), -1 where `named` (when given) is false."""
    numbers = positions.astype(np.int32)
    if named is not None:
        numbers[~named] = -1
    return numbers


def in_cohorts(values: pa.Array, cohorts: Sequence[dt.date]) -> np.ndarray | None:
    """Whether each value of a cohort dimension is one of `cohorts` (null: no); None when
    the values are not dates (not a cohort of dates: nothing to tell apart safely). By age,
    only the members and rows of the range's cohorts reach the answer."""
    wanted = pa.array(cohorts, pa.date32())
    if values.type != wanted.type:
        return None
    found = per_day(values, lambda days: pc.is_in(days, value_set=wanted))
    return holds(found).to_numpy(zero_copy_only=False)


def load_members(
    spec: EntityMembers, sources: Sources, times: TimeColumns, timeline: Timeline
) -> Members:
    frame = sources.frame(spec.source)
    keys = frame.named(spec.key)
    require_unique_key(spec.source, keys, spec.key)
    count = frame.num_rows
    exists_from = np.zeros(count, dtype=np.int64)
    if spec.time is not None:
        instants, valid = times(spec.source, spec.time)
        exists_from = np.searchsorted(timeline.ends, instants, side="right")
        # An entity without a time never exists by a period end.
        exists_from[~valid] = timeline.count
    exists_from[~all_true(frame, spec.filters)] = timeline.count
    return Members(
        source=spec.source,
        key=spec.key,
        keys=keys,
        dimensions=tuple(as_array(frame.evaluate(d), count) for d in spec.dimensions),
        exists_from=exists_from,
    )
