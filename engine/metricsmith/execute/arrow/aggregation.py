"""Aggregating values by group id, every group at once.

An aggregate's values are evaluated once over the source's rows; a grouped pass reads them
through `rows` (a row placed in several periods is read several times), so placed rows are
never materialised as a table. Counts and sums of integers and floats are numpy bincounts;
aggregates with a pyarrow hash kernel (min, max, exact decimal sums...) run together in one
`group_by`; the others compute every group from the group ids (AggregateFunction.grouped).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.errors import ArithmeticOverflow, DataError
from metricsmith.execute.arrow.operators import is_overflow
from metricsmith.execute.arrow.values import numbers_array, take_indices
from metricsmith.model.bound import BExpr
from metricsmith.plan.formatting import format_expr
from metricsmith.plugins.functions import AggregateFunction
from metricsmith.plugins.provenance import calling_plugin, checked_values
from metricsmith.plugins.values import holds

# Hash kernels whose result has the type of their input.
_SAME_TYPE_KERNELS = frozenset({"min", "max", "sum", "first", "last"})
# Float64 adds integers exactly while every partial sum stays below this.
EXACT_FLOAT_INTEGERS = 2**53


@frozen
class Input:
    """The values an aggregate reads at the rows of a grouped pass: `values` holds one value
    per source row, `rows` the source row of each placed row (None: each row once, in order)."""

    values: pa.Array
    rows: np.ndarray | None

    def gathered(self) -> pa.Array:
        if self.rows is None:
            return self.values
        return self.values.take(numbers_array(self.rows))

    def valid(self) -> np.ndarray:
        if self.values.null_count == 0:
            return np.ones(len(self), dtype=bool)
        return self._numpy(pc.is_valid)

    def numbers(self) -> np.ndarray:
        """The values as a numpy array (int64 or float64), nulls as 0."""
        return self._numpy(lambda values: pc.fill_null(values, pa.scalar(0, values.type)))

    def _numpy(self, convert) -> np.ndarray:
        """`convert` of the values read, as numpy: gathered first when fewer rows are read
        than there are values, converted first when rows are read repeatedly."""
        if self.rows is not None and len(self.rows) < len(self.values):
            return convert(self.gathered()).to_numpy(zero_copy_only=False)
        converted = convert(self.values).to_numpy(zero_copy_only=False)
        return converted if self.rows is None else converted[self.rows]

    def __len__(self) -> int:
        return len(self.values) if self.rows is None else len(self.rows)


@frozen
class Request:
    """One aggregate to compute in a grouped pass; `node` names it in error messages."""

    name: str
    function: AggregateFunction
    input: Input
    params: tuple[float, ...]
    node: BExpr


def aggregate_groups(
    requests: Sequence[Request], groups: np.ndarray, group_count: int, origin: str
) -> dict[str, pa.Array]:
    """For each request, one value per group id 0..group_count-1 (null for a group without
    values, but 0 for a count)."""
    results: dict[str, pa.Array] = {}
    hashed: list[Request] = []
    for request in requests:
        with naming_failures(origin, [request.node]):
            result = _numpy_aggregate(request, groups, group_count)
            if result is None and request.function.hash_name is None:
                result = _grouped(request, groups, group_count)
        if result is None:
            hashed.append(request)
        else:
            results[request.name] = result
    with naming_failures(origin, [r.node for r in hashed]):
        results.update(_hash_aggregates(hashed, groups, group_count))
    return results


def where_true(values: pa.Array, condition: pa.Array | None) -> pa.Array:
    """The values where the condition is true, null elsewhere (a null condition drops the
    value): how an aggregate with a `where` reads its input without splitting its pass."""
    if condition is None:
        return values
    return pc.if_else(holds(condition), values, pa.scalar(None, values.type))


@contextlib.contextmanager
def naming_failures(origin: str, nodes: list[BExpr]) -> Iterator[None]:
    """Arrow refusing an aggregate's data becomes a data error naming the aggregate."""
    try:
        yield
    except pa.ArrowException as error:
        names = ", ".join(f"`{format_expr(node)}`" for node in nodes)
        if is_overflow(error):
            expression = ", ".join(format_expr(node) for node in nodes)
            raise ArithmeticOverflow((), sources=[origin], expression=expression) from error
        raise DataError(f"cannot compute {names}: {error}", source=origin) from error


def _grouped(request: Request, groups: np.ndarray, group_count: int) -> pa.Array:
    """An aggregate computed by its function's `grouped`, from the rows' group ids."""
    function = request.function
    assert function.grouped is not None
    values = request.input.gathered()
    with calling_plugin(function.provenance):
        result = function.grouped(values, groups, group_count, request.params)
    result = checked_values(
        function.provenance, result, length=group_count, declared=request.node.type
    )
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


def _numpy_aggregate(request: Request, groups: np.ndarray, n: int) -> pa.Array | None:
    kind = request.function.hash_name
    dtype = request.input.values.type
    if kind == "count":
        valid = request.input.valid()
        return numbers_array(np.bincount(groups[valid], minlength=n).astype(np.int64))
    numeric = pa.types.is_integer(dtype) or pa.types.is_floating(dtype)
    if kind != "sum" or not numeric:
        return None
    numbers = request.input.numbers()
    integers = pa.types.is_integer(dtype)
    if integers and np.abs(numbers).sum(dtype=np.float64) >= EXACT_FLOAT_INTEGERS:
        return None
    counts = np.bincount(groups[request.input.valid()], minlength=n)
    sums = np.bincount(groups, weights=numbers, minlength=n)
    return pa.array(sums.astype(np.int64) if integers else sums, mask=counts == 0)


def _hash_aggregates(
    requests: list[Request], groups: np.ndarray, group_count: int
) -> dict[str, pa.Array]:
    if not requests:
        return {}
    columns = {}
    for request in requests:
        columns[request.name] = _hashable(request.input.gathered(), request.function.hash_name)
    grouped = (
        pa.table({"__group": numbers_array(groups), **columns})
        .group_by("__group")
        .aggregate([(r.name, r.function.hash_name) for r in requests])
    )
    # Scatter the groups' results to their ids; ids without rows get null.
    position = np.full(group_count, -1, dtype=np.int64)
    position[grouped["__group"].to_numpy()] = np.arange(grouped.num_rows)
    order = take_indices(position)
    results = {}
    for request in requests:
        kind = request.function.hash_name
        result = grouped[f"{request.name}_{kind}"].combine_chunks().take(order)
        target = _result_type(request.input.values.type, kind)
        if target is not None and result.type != target:
            if pa.types.is_duration(target):
                result = pc.cast(result, pa.int64())
            result = pc.cast(result, target)  # checked: fails on a sum beyond its type
        results[request.name] = result
    return results


def _hashable(values: pa.Array, kind: str | None) -> pa.Array:
    """Values as pyarrow's hash kernels take them. They do not take durations: their
    microseconds are aggregated instead. Their sums wrap around silently, of integers past 64
    bits and of 128-bit decimals past 38 digits: sums (of integers, only the large ones: the
    others are numpy's) are computed in wider decimals and cast back with a check."""
    if pa.types.is_duration(values.type):
        values = pc.cast(values, pa.int64())
    if kind == "sum" and pa.types.is_integer(values.type):
        return pc.cast(values, pa.decimal128(38, 0))
    if kind == "sum" and pa.types.is_decimal(values.type):
        return pc.cast(values, pa.decimal256(76, values.type.scale))
    return values


def _result_type(original: pa.DataType, kind: str | None) -> pa.DataType | None:
    """The type of a hash kernel's result for values of type `original` (None: as it is)."""
    # A column of an empty file has no type (null): the kernel's own result type stands.
    if kind not in _SAME_TYPE_KERNELS or pa.types.is_null(original):
        return None
    if kind == "sum" and pa.types.is_decimal(original):
        return pa.decimal128(38, original.scale)
    return original
