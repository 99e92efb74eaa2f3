"""The built-in aggregates in SQL, each fused into its scan's single GROUP BY.

An aggregate's `where` is a mask, not a separate scan: `FILTER (WHERE ...)` where the dialect has
it, otherwise the value is `CASE WHEN condition THEN value END` (a null condition drops the row
either way). Results are cast to the language's types (docs/language.md, "Aggregates";
`Plan.result_schema`): BIGINT counts and integer sums (DuckDB would widen sums to HUGEINT), DOUBLE
averages and quantiles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlglot import exp

from metricsmith.errors import QueryError
from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.execute.sql.kinds import kind_of
from metricsmith.execute.sql.plugin_sql import plugin_sql
from metricsmith.model import bound as b
from metricsmith.model.types import Type
from metricsmith.plugins.functions import AggregateFunction, Ordering, Pick


def _masked(value: exp.Expression, condition: exp.Expression | None) -> exp.Expression:
    if condition is None:
        return value
    return exp.Case().when(condition, value)


class AggregateCompiler:
    """Compiles one `BAggregate` given its compiled argument and condition."""

    def __init__(self, dialect: SqlDialect, registered: Mapping[str, AggregateFunction]):
        self.dialect = dialect
        self.registered = registered
        self._builders: dict[str, Callable[..., exp.Expression]] = {
            "count": self._count,
            "count_distinct": self._count_distinct,
            "sum": self._sum,
            "avg": self._avg,
            "min": self._extreme,
            "max": self._extreme,
            "median": self._median,
            "percentile": self._percentile,
            "stddev": self._stddev,
        }

    def compile(
        self,
        node: b.BAggregate | b.BPer,
        value: exp.Expression | None,
        condition: exp.Expression | None,
        order: exp.Expression | None = None,
    ) -> exp.Expression:
        """`order` is the compiled `BAggregate.order` of an ordered aggregate."""
        function = self.registered.get(node.function)
        if function is not None and function.ordering is not None:
            assert value is not None and order is not None, "an ordered aggregate has both"
            assert isinstance(node, b.BAggregate) and node.arg is not None and node.order
            if node.arg.type == Type.STRING:  # the value breaks ties of the order
                value = self.dialect.binary_text(value)
            if node.order.type == Type.STRING:
                order = self.dialect.binary_text(order)
            return self._picked(function.ordering, value, order, condition)
        builder = self._builders.get(node.function)
        if builder is not None:
            return builder(node, value, condition)
        if value is None and condition is not None:
            # A row count (`f(source where ...)`) reads 1 for each row it counts, as `count`.
            value = number(1)
        return plugin_sql(
            function,
            f"the aggregate `{node.function}`",
            self.dialect.name,
            None if value is None else _masked(value, condition),
            *map(number, node.params),
        )

    def _filtered(
        self, aggregate: exp.Expression, value: exp.Expression, condition: exp.Expression | None
    ) -> exp.Expression:
        """`aggregate` (built over `value`) restricted to rows where `condition` holds."""
        if condition is None:
            return aggregate
        if self.dialect.filter_clause:
            return exp.Filter(this=aggregate, expression=exp.Where(this=condition))
        return aggregate.transform(
            lambda node: _masked(value, condition) if node is value else node, copy=False
        )

    def _count(self, node, value, condition):
        if value is None:
            if condition is None:
                return exp.Count(this=exp.Star())
            if self.dialect.filter_clause:
                return self._filtered(exp.Count(this=exp.Star()), exp.Star(), condition)
            value = number(1)
        return self._filtered(exp.Count(this=value), value, condition)

    def _count_distinct(self, node, value, condition):
        distinct = exp.Distinct(expressions=[_masked(value, condition)])
        return exp.Count(this=distinct)

    def _sum(self, node, value, condition):
        total = self._filtered(exp.Sum(this=value), value, condition)
        kind = kind_of(node.type)
        if node.type == Type.DECIMAL or kind is None:
            return total
        return self.dialect.cast(total, kind)

    def _avg(self, node, value, condition):
        return self.dialect.cast(self._filtered(exp.Avg(this=value), value, condition), "double")

    def _extreme(self, node, value, condition):
        function: type[exp.Expression] = exp.Min if node.function == "min" else exp.Max
        if node.type == Type.BOOLEAN and self.dialect.name == "postgres":
            # Postgres orders booleans but has no min/max for them.
            function = exp.LogicalAnd if node.function == "min" else exp.LogicalOr
        if node.type == Type.STRING:
            value = self.dialect.binary_text(value)
        return self._filtered(function(this=value), value, condition)

    def _quantile(self, value, condition, fraction: float):
        as_double = self.dialect.cast(value, "double")
        if not self.dialect.quantile_takes_filter:
            return self.dialect.quantile(_masked(as_double, condition), fraction)
        return self._filtered(self.dialect.quantile(as_double, fraction), as_double, condition)

    def _median(self, node, value, condition):
        return self._quantile(value, condition, 0.5)

    def _percentile(self, node, value, condition):
        (fraction,) = node.params
        if not 0.0 <= fraction <= 1.0:
            raise QueryError(
                f"`percentile` needs a fraction between 0 and 1, not {fraction:g}",
                hint="for the 90th percentile write percentile(x, 0.9)",
            )
        return self._quantile(value, condition, fraction)

    def _picked(self, ordering: Ordering, value, order, condition):
        # The rows where value and order are both present (and the condition holds).
        present: list[exp.Expr] = [
            exp.Not(this=exp.Is(this=e.copy(), expression=exp.Null())) for e in (value, order)
        ]
        if condition is not None:
            present.append(exp.Paren(this=condition))
        return self.dialect.picked(value, order, ordering.pick == Pick.LARGEST, exp.and_(*present))

    def _stddev(self, node, value, condition):
        as_double = self.dialect.cast(value, "double")
        return self._filtered(exp.StddevSamp(this=as_double), as_double, condition)
