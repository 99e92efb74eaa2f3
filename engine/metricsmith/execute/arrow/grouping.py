"""The grouped pass of one scan: every aggregate over a source (and window) in one go.

Rows are grouped by (period, key values). Each key becomes small integer codes (computed once
over the source's rows, then read through the placement) and the codes combine into one int64
group id per placed row, so grouping never hashes strings more than once. A `where` does not
split the pass: an aggregate's input is its value where the condition holds and null
elsewhere.

At a per-entity level over a source with a key, the key is the entity itself: each row's
entity is looked up among the entities once, and the group id is `period * entities + entity`,
which lays the results out densely, one value per (period, entity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.execute.arrow.aggregation import (
    EXACT_FLOAT_INTEGERS,
    Input,
    Request,
    aggregate_groups,
    where_true,
)
from metricsmith.execute.arrow.frame import RowFrame, all_true
from metricsmith.execute.arrow.placement import Placer, Ranges
from metricsmith.execute.arrow.values import as_array, true_array
from metricsmith.model.bound import BAggregate
from metricsmith.plan.nodes import SourceScan
from metricsmith.plugins.functions import Additive, AggregateFunction

# Group ids stay a plain combination of the key codes while the number of possible groups is
# at most this (or a few times the number of rows); beyond it they are renumbered densely.
_DENSE_GROUPS = 1 << 22


@frozen
class ScanCells:
    """Groups with rows: each one's period, key values (one array per key) and aggregates.
    `seen` (combined sub-periods below identifier entities) marks the groups whose entity
    the sub-periods' rows named: they put the entity in the parent cell's entity set."""

    periods: np.ndarray
    dimensions: tuple[pa.Array, ...]
    aggregates: dict[str, pa.Array]
    seen: np.ndarray | None = None


@frozen
class PlacedRows:
    """The rows a grouped pass reads: `frame` holds the source's rows, `rows` the source row of
    each placed row (None: each row once, in order) and `periods` its period."""

    frame: RowFrame
    rows: np.ndarray | None
    periods: np.ndarray

    def keep(self, mask: np.ndarray) -> PlacedRows:
        """Only the placed rows whose source row is marked in `mask`."""
        if mask.all():
            return self
        kept = mask if self.rows is None else mask[self.rows]
        rows = np.flatnonzero(kept) if self.rows is None else self.rows[kept]
        return attrs.evolve(self, rows=rows, periods=self.periods[kept])

    def read(self, per_source_row: np.ndarray) -> np.ndarray:
        """Per-source-row values for each placed row."""
        return per_source_row if self.rows is None else per_source_row[self.rows]


@frozen
class KeyedGroups:
    """The groups of a grouped pass that have rows: `ids` gives each placed row's group
    (0..count-1), `periods` and `dimensions` each group's period and key values."""

    placed: PlacedRows
    ids: np.ndarray
    count: int
    periods: np.ndarray
    dimensions: tuple[pa.Array, ...]


def keyed_groups(scan: SourceScan, placed: PlacedRows, period_count: int) -> KeyedGroups:
    """Group by period, the scan's dimensions and (at an identifier level) its entity."""
    frame = placed.frame
    nodes = [*scan.dimensions, *([scan.entity] if scan.entity is not None else [])]
    encoded = [frame.codes(node) for node in nodes]
    if scan.entity is not None:
        # A row naming no entity belongs to none.
        codes, dictionary = encoded[-1]
        placed = placed.keep(codes < len(dictionary))
    keys = [(placed.periods, period_count)]
    keys += [(placed.read(codes), len(dictionary) + 1) for codes, dictionary in encoded]
    groups, group_count = group_ids(keys, len(placed.periods))
    present = np.flatnonzero(np.bincount(groups, minlength=group_count))
    # Any row of a group shows the group's key codes.
    representative = np.empty(group_count, dtype=np.int64)
    representative[groups] = np.arange(len(groups))
    rows = representative[present]
    dense = representative  # reused: the number of each group with rows
    dense[present] = np.arange(len(present))
    return KeyedGroups(
        placed=placed,
        ids=dense[groups],
        count=len(present),
        periods=placed.periods[rows],
        dimensions=tuple(
            decode(codes[rows], dictionary)
            for (codes, _), (_, dictionary) in zip(keys[1:], encoded, strict=True)
        ),
    )


def group_cells(
    scan: SourceScan,
    placed: PlacedRows,
    period_count: int,
    functions: Mapping[str, AggregateFunction],
) -> ScanCells:
    """Group by period, the scan's dimensions and (at an identifier level) its entity; one
    result per group that has rows."""
    groups = keyed_groups(scan, placed, period_count)
    requests = scan_requests(scan, groups.placed, functions)
    return ScanCells(
        periods=groups.periods,
        dimensions=groups.dimensions,
        aggregates=aggregate_groups(requests, groups.ids, groups.count, scan.source),
    )


def group_members(
    scan: SourceScan,
    placed: PlacedRows,
    member_of_row: np.ndarray,
    period_count: int,
    member_count: int,
    functions: Mapping[str, AggregateFunction],
) -> dict[str, pa.Array]:
    """Group by (period, entity) where `member_of_row` gives each source row's entity (-1:
    none); one result per (period, entity), null where the entity has no values."""
    placed = placed.keep(member_of_row >= 0)
    groups = placed.periods * member_count + placed.read(member_of_row)
    requests = scan_requests(scan, placed, functions)
    return aggregate_groups(requests, groups, period_count * member_count, scan.source)


def range_totals(
    scan: SourceScan,
    weights: Sequence[Additive],
    frame: RowFrame,
    ranges: Ranges,
    keep: np.ndarray,
    member_of_row: np.ndarray,
    period_count: int,
    member_count: int,
) -> dict[str, pa.Array] | None:
    """The scan's additive aggregates (`weights`, plan/physical.py) per (period, entity)
    straight from each row's period range — its weight added where the range starts and taken
    away after it ends, then running totals along the periods — so no row is repeated (a row
    in force for years adds two numbers, not one per period). None when its totals could
    exceed the integers float64 holds exactly."""
    placed = keep & (member_of_row >= 0) & (ranges.last >= ranges.first)
    members = member_of_row[placed]
    cells = (period_count + 1) * member_count
    starts = ranges.first[placed] * member_count + members
    stops = (ranges.last[placed] + 1) * member_count + members
    totals = {}
    for kind, fused in zip(weights, scan.aggregates, strict=True):
        values = Input(_values(frame, fused.aggregate), None)
        weight = (values.valid() if kind == Additive.COUNT else values.numbers())[placed]
        if np.abs(weight).sum(dtype=np.float64) >= EXACT_FLOAT_INTEGERS:
            return None
        change = np.bincount(starts, weight, cells) - np.bincount(stops, weight, cells)
        running = np.cumsum(change.reshape(period_count + 1, member_count), axis=0)
        totals[fused.name] = pa.array(np.rint(running[:period_count].ravel()).astype(np.int64))
    return totals


def scan_requests(
    scan: SourceScan, placed: PlacedRows, functions: Mapping[str, AggregateFunction]
) -> list[Request]:
    return [
        Request(
            name=fused.name,
            function=functions[fused.aggregate.function],
            input=Input(_values(placed.frame, fused.aggregate), placed.rows),
            params=fused.aggregate.params,
            node=fused.aggregate,
        )
        for fused in scan.aggregates
    ]


def _values(frame: RowFrame, aggregate: BAggregate) -> pa.Array:
    """The values an aggregate reads from each source row."""
    count = frame.num_rows
    values = (
        true_array(count)
        if aggregate.arg is None
        else as_array(frame.evaluate(aggregate.arg), count)
    )
    if aggregate.order is not None:
        # An ordered aggregate reads each row's value with what orders it (`Ordering`).
        order = as_array(frame.evaluate(aggregate.order), count)
        values = pa.StructArray.from_arrays([values, order], names=["value", "order"])
    condition = (
        None if aggregate.where is None else as_array(frame.evaluate(aggregate.where), count)
    )
    return where_true(values, condition)


def placed_rows(scan: SourceScan, placer: Placer, frame: RowFrame) -> PlacedRows:
    """The rows of `frame` the scan reads, placed in the periods of `placer`'s level."""
    placement = placer.place(scan, frame.num_rows)
    placed = PlacedRows(frame, placement.rows, placement.periods)
    return placed.keep(all_true(frame, scan.filters)) if scan.filters else placed


def group_ids(keys: list[tuple[np.ndarray, int]], row_count: int) -> tuple[np.ndarray, int]:
    """One id per row from several integer keys (each with its number of possible codes),
    and how many ids there can be."""
    limit = max(_DENSE_GROUPS, 4 * row_count)
    (groups, count), *rest = keys
    groups = groups.astype(np.int64)  # a copy: updated in place below
    for codes, cardinality in rest:
        if count * cardinality > limit:
            groups, count = _renumber(groups)
        groups *= cardinality
        groups += codes
        count *= cardinality
    if count > limit:
        groups, count = _renumber(groups)
    return groups, count


def _renumber(groups: np.ndarray) -> tuple[np.ndarray, int]:
    encoded = pc.dictionary_encode(pa.array(groups))
    return encoded.indices.to_numpy().astype(np.int64), len(encoded.dictionary)


def decode(codes: np.ndarray, dictionary: pa.Array) -> pa.Array:
    """Values from codes; the code one past the dictionary is null."""
    is_null = codes == len(dictionary)
    indices = pa.array(np.where(is_null, 0, codes), mask=is_null)
    return dictionary.take(indices) if len(dictionary) else pa.nulls(len(codes), dictionary.type)
