"""A scan's distinct counts in two grouped passes, for dialects that run them better so
(`SqlDialect.distinct_buckets`): Spark.

The first pass groups the scan's rows by period, keys and a *bucket* of the counted value, and
counts each bucket's distinct values; the second sums those counts by period and keys. The
values of a bucket are found in one group of the first pass, so the sum is exact. The scan's
other aggregates are computed in the same two passes when they can be (`count`, `sum`, `min`,
`max`: the second pass aggregates the first's results); a scan holding any other aggregate,
or distinct counts of different values, keeps its single pass with `COUNT(DISTINCT ...)`.

Why (benchmarks/README.md, "Spark: distinct counts in buckets"): Spark plans
`COUNT(DISTINCT x)` as a first aggregation by (keys, x), shuffling one row per distinct
(keys, x) pair, and a scan with distinct counts under different filters repeats each row once
per count (its Expand). With integer values a bucket holds 64 consecutive values as the bits
of a mask: where values are dense the first pass shuffles a 64th of the rows, where they are
spread thin about as many as `COUNT(DISTINCT)`, and the filtered counts of one value share the
pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen
from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.model import bound as b

#: The first pass's column holding a row's bucket.
BUCKET = "metricsmith_bucket"
#: The aggregates the second pass can compute from the first's per-bucket results.
_REAGGREGATED = {"count": exp.Sum, "sum": exp.Sum, "min": exp.Min, "max": exp.Max}


@frozen
class CompiledAggregate:
    """One of a scan's aggregates, named (its output column), as the first pass computes it
    in a single pass (`single`), with its compiled argument and condition."""

    name: str
    node: b.BAggregate
    value: exp.Expression | None
    condition: exp.Expression | None
    single: exp.Expression


@frozen
class TwoPasses:
    """The first pass's aggregates (`first`, by name, after the bucket) and the second's."""

    bucket: exp.Expression
    first: list[tuple[str, exp.Expression]]
    second: list[tuple[str, exp.Expr]]

    def wrapped(self, first_pass: exp.Select, keys: Sequence[str]) -> exp.Select:
        """The second pass over `first_pass`, which outputs `keys` (period first), the
        bucket, then `first`, grouped by the keys and the bucket."""
        outputs: list[exp.Expr] = [exp.column(k, quoted=True) for k in keys]
        outputs += [exp.alias_(value, name, quoted=True) for name, value in self.second]
        inner = exp.Subquery(this=first_pass, alias=exp.TableAlias(this="metricsmith_buckets"))
        grouped = [number(position) for position in range(1, len(keys) + 1)]
        return exp.select(*outputs).from_(inner).group_by(*grouped, copy=False)


def two_passes(dialect: SqlDialect, aggregates: Sequence[CompiledAggregate]) -> TwoPasses | None:
    """The scan's aggregates in two passes, when the dialect buckets the value its distinct
    counts count and every other aggregate can be summed up again; None otherwise."""
    distinct = [a for a in aggregates if a.node.function == "count_distinct"]
    if not distinct:
        return None
    value, type_ = distinct[0].value, distinct[0].node.arg
    assert value is not None and type_ is not None, "a distinct count has an argument"
    if any(a.value != value for a in distinct):  # structural equality of the compiled values
        return None
    bucketing = dialect.distinct_buckets(value, type_.type)
    if bucketing is None:
        return None
    bucket, counted = bucketing
    first: list[tuple[str, exp.Expression]] = []
    second: list[tuple[str, exp.Expr]] = []
    for aggregate in aggregates:
        column = exp.column(aggregate.name, quoted=True)
        if aggregate.node.function == "count_distinct":
            first.append((aggregate.name, counted(aggregate.condition)))
            total = exp.Coalesce(this=exp.Sum(this=column), expressions=[number(0)])
            second.append((aggregate.name, dialect.cast(total, "bigint")))
        elif (again := _REAGGREGATED.get(aggregate.node.function)) is not None:
            first.append((aggregate.name, aggregate.single))
            # A count's per-bucket counts add up to a count (never null: each cell has a
            # bucket); a sum's, min's and max's results aggregate as their values would.
            second.append((aggregate.name, _cast_like(again(this=column), aggregate.single)))
        else:
            return None
    return TwoPasses(bucket=bucket, first=first, second=second)


def _cast_like(value: exp.Expr, single: exp.Expression) -> exp.Expr:
    """`value` with the cast the single-pass aggregate had (a BIGINT count or sum)."""
    if isinstance(single, exp.Cast):
        return exp.Cast(this=value, to=single.args["to"].copy())
    return value
