"""The grouped pass of one scan: every aggregate over a source, in one go.

Rows are grouped by (period, dimension values). Each key becomes small integer codes and the
codes combine into one int64 group id per row, so grouping never hashes strings more than once.
Aggregates with a pyarrow hash kernel run together in a single `group_by`; the others get the
group ids and compute every group at once. A `where` does not split the pass: an aggregate's
input is its value where the condition holds and null elsewhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.errors import DataError
from metricsmith.execute.arrow.frame import RowFrame
from metricsmith.execute.arrow.values import as_array, true_array
from metricsmith.model.bound import BAggregate
from metricsmith.plan.formatting import format_expr
from metricsmith.plan.nodes import SourceScan
from metricsmith.plugins.functions import AggregateFunction

# Group ids stay a plain combination of the key codes while the number of possible groups is
# at most this (or a few times the number of rows); beyond it they are renumbered densely.
_DENSE_GROUPS = 1 << 22


# Hash kernels whose result has the type of their input.
_SAME_TYPE_KERNELS = frozenset({"min", "max", "sum", "first", "last"})


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
            continue
        with _naming_failures(scan.source, [fused.aggregate]):
            result = function.grouped(values, groups, group_count, fused.aggregate.params)
        aggregates[fused.name] = result.take(pa.array(present))
    hashed_nodes = [f.aggregate for f in scan.aggregates if f.name in hashed]
    with _naming_failures(scan.source, hashed_nodes):
        aggregates.update(_hash_aggregates(hashed, groups, group_count, present))
    dimensions = tuple(
        _decode(codes[rows], dictionary)
        for (codes, _), dictionary in zip(keys[1:], dictionaries, strict=True)
    )
    return ScanCells(periods=periods[rows], dimensions=dimensions, aggregates=aggregates)


@contextlib.contextmanager
def _naming_failures(source: str, aggregates: list[BAggregate]) -> Iterator[None]:
    """Arrow refusing an aggregate's data becomes a data error naming the aggregate."""
    try:
        yield
    except pa.ArrowException as error:
        names = ", ".join(f"`{format_expr(node)}`" for node in aggregates)
        raise DataError(f"cannot compute {names}: {error}", source=source) from error


def _group_ids(keys: list[tuple[np.ndarray, int]], row_count: int) -> tuple[np.ndarray, int]:
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
    # pyarrow's hash kernels do not take durations: aggregate their microseconds instead.
    columns = {
        name: pc.cast(values, pa.int64()) if pa.types.is_duration(values.type) else values
        for name, (values, _) in hashed.items()
    }
    grouped = (
        pa.table({"__group": pa.array(groups), **columns})
        .group_by("__group")
        .aggregate([(name, kind) for name, (_, kind) in hashed.items()])
    )
    # Put the results in the order of `present`.
    position = np.empty(group_count, dtype=np.int64)
    position[grouped["__group"].to_numpy()] = np.arange(grouped.num_rows)
    order = pa.array(position[present])
    results = {}
    for name, (values, kind) in hashed.items():
        result = grouped[f"{name}_{kind}"].take(order)
        if columns[name] is not values and kind in _SAME_TYPE_KERNELS:
            result = pc.cast(result, values.type)
        results[name] = result
    return results


def _decode(codes: np.ndarray, dictionary: pa.Array) -> pa.Array:
    """Values from codes; the code one past the dictionary is null."""
    is_null = codes == len(dictionary)
    indices = pa.array(np.where(is_null, 0, codes), mask=is_null)
    return dictionary.take(indices) if len(dictionary) else pa.nulls(len(codes), dictionary.type)
