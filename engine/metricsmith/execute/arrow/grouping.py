"""The grouped pass of one scan: every aggregate over a source, in one go.

Rows are grouped by (period, dimension values). Each key becomes small integer codes and the
codes combine into one int64 group id per row, so grouping never hashes strings more than once.
Aggregates with a pyarrow hash kernel run together in a single `group_by`; the others get the
group ids and compute every group at once. A `where` does not split the pass: an aggregate's
input is its value where the condition holds and null elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.execute.arrow.frame import RowFrame
from metricsmith.execute.arrow.values import as_array, true_array
from metricsmith.model.bound import BAggregate
from metricsmith.plan.nodes import SourceScan
from metricsmith.plugins.functions import AggregateFunction

# Group ids stay a plain combination of the key codes while the number of possible groups is
# at most this (or a few times the number of rows); beyond it they are renumbered densely.
_DENSE_GROUPS = 1 << 22


@frozen
class ScanCells:
    """One scan's result: a row per group that has rows."""

    periods: np.ndarray
    dimensions: tuple[pa.Array, ...]
    aggregates: dict[str, pa.Array]


def group_scan(
    scan: SourceScan,
    frame: RowFrame,
    periods: np.ndarray,
    period_count: int,
    functions: Mapping[str, AggregateFunction],
) -> ScanCells:
    keys = [(periods, period_count)]
    dictionaries = []
    for dimension in scan.dimensions:
        codes, dictionary = frame.codes(dimension)
        keys.append((codes, len(dictionary) + 1))
        dictionaries.append(dictionary)
    groups, group_count = _group_ids(keys, frame.num_rows)
    present = np.flatnonzero(np.bincount(groups, minlength=group_count))
    # Any row of a group shows the group's key codes.
    representative = np.empty(group_count, dtype=np.int64)
    representative[groups] = np.arange(len(groups))
    rows = representative[present]

    aggregates: dict[str, pa.Array] = {}
    hashed: dict[str, tuple[pa.Array, str]] = {}
    for fused in scan.aggregates:
        function = functions[fused.aggregate.function]
        values = _input(frame, fused.aggregate)
        if function.hash_name is not None:
            hashed[fused.name] = (values, function.hash_name)
        else:
            result = function.grouped(values, groups, group_count, fused.aggregate.params)
            aggregates[fused.name] = result.take(pa.array(present))
    aggregates.update(_hash_aggregates(hashed, groups, group_count, present))
    dimensions = tuple(
        _decode(codes[rows], dictionary)
        for (codes, _), dictionary in zip(keys[1:], dictionaries, strict=True)
    )
    return ScanCells(periods=periods[rows], dimensions=dimensions, aggregates=aggregates)


def _group_ids(keys: list[tuple[np.ndarray, int]], row_count: int) -> tuple[np.ndarray, int]:
    """One id per row from several integer keys (each with its number of possible codes),
    and how many ids there can be."""
    limit = max(_DENSE_GROUPS, 4 * row_count)
    groups = np.zeros(row_count, dtype=np.int64)
    count = 1
    for codes, cardinality in keys:
        if count * cardinality > limit:
            groups, count = _renumber(groups)
        groups = groups * cardinality + codes
        count *= cardinality
    if count > limit:
        groups, count = _renumber(groups)
    return groups, count


def _renumber(groups: np.ndarray) -> tuple[np.ndarray, int]:
    encoded = pc.dictionary_encode(pa.array(groups))
    return encoded.indices.to_numpy().astype(np.int64), len(encoded.dictionary)


def _input(frame: RowFrame, aggregate: BAggregate) -> pa.Array:
    """The values an aggregate reads: null wherever its condition is not true (a null
    condition drops the row)."""
    if aggregate.arg is None:
        values = true_array(frame.num_rows)
    else:
        values = as_array(frame.evaluate(aggregate.arg), frame.num_rows)
    if aggregate.where is None:
        return values
    condition = as_array(frame.evaluate(aggregate.where), frame.num_rows)
    return pc.if_else(pc.fill_null(condition, False), values, pa.scalar(None, values.type))


def _hash_aggregates(
    hashed: dict[str, tuple[pa.Array, str]],
    groups: np.ndarray,
    group_count: int,
    present: np.ndarray,
) -> dict[str, pa.Array]:
    if not hashed:
        return {}
    columns = {"__group": pa.array(groups), **{name: v for name, (v, _) in hashed.items()}}
    grouped = pa.table(columns).group_by("__group").aggregate(
        [(name, kind) for name, (_, kind) in hashed.items()]
    )
    # Put the results in the order of `present`.
    position = np.empty(group_count, dtype=np.int64)
    position[grouped["__group"].to_numpy()] = np.arange(grouped.num_rows)
    order = pa.array(position[present])
    return {name: grouped[f"{name}_{kind}"].take(order) for name, (_, kind) in hashed.items()}


def _decode(codes: np.ndarray, dictionary: pa.Array) -> pa.Array:
    """Values from codes; the code one past the dictionary is null."""
    is_null = codes == len(dictionary)
    indices = pa.array(np.where(is_null, 0, codes), mask=is_null)
    return dictionary.take(indices) if len(dictionary) else pa.nulls(len(codes), dictionary.type)
