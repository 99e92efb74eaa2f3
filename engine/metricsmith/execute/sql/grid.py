"""The result grid and the metric formulas over it.

combos    every combination of dimension values some scan saw (in any period computed)
cells     spine x combos, each scan's aggregates LEFT JOINed on (period, dimensions) with
          null-safe equality; counts and sums of nothing are 0, other aggregates null
results   the metric formulas per cell; an offset `m[-k]` is LAG(m, k) over the cells of
          the same combination in period order (the grid is dense, so k rows back is k
          periods back)
(final)   the periods of the query (not those computed only for offsets), sorted by
          period then dimensions, nulls last
"""

from __future__ import annotations

import functools

from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.execute.sql.expressions import ExpressionCompiler
from metricsmith.execute.sql.names import dimension_column, scan_cte
from metricsmith.execute.sql.spine import LABEL, PERIOD, SPINE
from metricsmith.model import bound as b
from metricsmith.plan.nodes import Plan
from metricsmith.plan.offsets import offset_shift

COMBOS, CELLS, RESULTS = "combos", "cells", "results"


def union(selects: list[exp.Select], *, distinct: bool) -> exp.Expression:
    """The selects' rows together (sqlglot before 26 unions two expressions at a time)."""
    return functools.reduce(lambda left, right: exp.union(left, right, distinct=distinct), selects)


def _dimensions(plan: Plan) -> list[str]:
    return [dimension_column(i) for i in range(len(plan.dimensions))]


def combinations(plan: Plan) -> exp.Expression:
    names = _dimensions(plan)
    selects = [exp.select(*names).from_(scan_cte(i)) for i in range(len(plan.scans))]
    if not selects:  # no scan, no combination
        nulls = [exp.alias_(exp.Null(), name) for name in names]
        return exp.select(*nulls).where(exp.false())
    if len(selects) == 1:
        return selects[0].distinct()
    return union(selects, distinct=True)


def cells(plan: Plan, empty_values: dict[str, object]) -> exp.Select:
    """`empty_values`: each aggregate column's value over no rows (None: null)."""
    names = _dimensions(plan)
    outputs = [exp.column(PERIOD, table=SPINE)]
    if plan.grain:
        outputs.append(exp.column(LABEL, table=SPINE))
    outputs += [exp.column(name, table=COMBOS) for name in names]
    query_joins = []
    for index, scan in enumerate(plan.scans):
        table = scan_cte(index)
        for fused in scan.aggregates:
            value: exp.Expression = exp.column(fused.name, table=table)
            empty = empty_values[fused.name]
            if empty is not None:
                value = exp.Coalesce(this=value, expressions=[number(empty)])
            outputs.append(exp.alias_(value, fused.name))
        period = exp.EQ(
            this=exp.column(PERIOD, table=table), expression=exp.column(PERIOD, table=SPINE)
        )
        same = [
            exp.NullSafeEQ(
                this=exp.column(name, table=table), expression=exp.column(name, table=COMBOS)
            )
            for name in names
        ]
        query_joins.append((table, exp.and_(period, *same)))
    query = exp.select(*outputs).from_(SPINE)
    if names:
        query = query.join(COMBOS, join_type="cross")
    for table, condition in query_joins:
        query = query.join(table, on=condition, join_type="left")
    return query


def results(plan: Plan, dialect: SqlDialect, functions) -> exp.Select:
    """The metric formulas per cell."""
    columns = plan.aggregate_columns()
    names = _dimensions(plan)
    partition = [exp.column(name, table=CELLS) for name in names]
    order = exp.Order(expressions=[exp.Ordered(this=exp.column(PERIOD, table=CELLS))])

    def leaf(node: b.BExpr) -> exp.Expression:
        return exp.column(columns[node], table=CELLS)

    def offset(node: b.BOffset) -> exp.Expression:
        shift = offset_shift(node, plan.grain, "")
        lag = exp.Lag(this=metrics.compile(node.operand), offset=number(shift))
        return exp.Window(this=lag, partition_by=partition, order=order)

    metrics = ExpressionCompiler(
        dialect,
        plan.calendar.timezone,
        plan.calendar.week_start_index,
        leaf,
        functions,
        offset,
    )
    outputs = [exp.column(PERIOD, table=CELLS)]
    if plan.grain:
        outputs.append(exp.column(LABEL, table=CELLS))
    outputs += [exp.column(name, table=CELLS) for name in names]
    for index, metric in enumerate(plan.metrics):
        value = metrics.typed(metrics.compile(metric.formula), metric.type)
        outputs.append(exp.alias_(value, metric_column(index)))
    return exp.select(*outputs).from_(CELLS)


def metric_column(index: int) -> str:
    return f"m{index}"


def final(plan: Plan, skipped: int) -> exp.Select:
    """The query's own periods (after the `skipped` ones computed for offsets), sorted."""
    names = _dimensions(plan)
    outputs = []
    if plan.grain:
        outputs.append(exp.alias_(exp.column(LABEL, table=RESULTS), plan.grain, quoted=True))
    for name, label in zip(names, plan.dimensions, strict=True):
        outputs.append(exp.alias_(exp.column(name, table=RESULTS), label, quoted=True))
    for index, metric in enumerate(plan.metrics):
        column = exp.column(metric_column(index), table=RESULTS)
        outputs.append(exp.alias_(column, metric.name, quoted=True))
    order = [exp.Ordered(this=exp.column(PERIOD, table=RESULTS), nulls_first=False)]
    order += [exp.Ordered(this=exp.column(n, table=RESULTS), nulls_first=False) for n in names]
    query = exp.select(*outputs).from_(RESULTS)
    if skipped:
        query = query.where(
            exp.GTE(this=exp.column(PERIOD, table=RESULTS), expression=number(skipped))
        )
    return query.order_by(*order)
