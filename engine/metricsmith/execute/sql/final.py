"""The answer from the query level's results: the query's own periods (not those computed only
for offsets), sorted by period and then dimensions, nulls last; or, when the query asks for
ages of a cohort, a row per (cohort, age).
"""

from __future__ import annotations

import pyarrow as pa
from sqlglot import exp

from metricsmith.check.query import AGE
from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.execute.sql.names import COHORT_PERIOD, dimension_column
from metricsmith.execute.sql.spine import LABEL, PERIOD
from metricsmith.execute.sql.unions import union
from metricsmith.plan.nodes import Plan

RESULTS = "results"
COHORTS, AGES = "cohorts", "ages"


def metric_column(index: int) -> str:
    return f"m{index}"


def by_period(plan: Plan, skipped: int, dialect: SqlDialect) -> exp.Select:
    """The query's own periods (after the `skipped` ones computed for offsets), sorted."""
    names = [dimension_column(i) for i in range(len(plan.dimensions))]
    outputs = []
    if plan.grain:
        outputs.append(exp.alias_(exp.column(LABEL, table=RESULTS), plan.grain, quoted=True))
    for name, label in zip(names, plan.dimensions, strict=True):
        outputs.append(exp.alias_(exp.column(name, table=RESULTS), label, quoted=True))
    outputs += _metrics(plan, RESULTS)
    order = [exp.Ordered(this=exp.column(PERIOD, table=RESULTS), nulls_first=False)]
    order += [
        exp.Ordered(this=_sorted(exp.column(n, table=RESULTS), t, dialect), nulls_first=False)
        for n, t in zip(names, plan.dimension_types, strict=True)
    ]
    query = exp.select(*outputs).from_(RESULTS)
    if skipped:
        query = query.where(
            exp.GTE(this=exp.column(PERIOD, table=RESULTS), expression=number(skipped))
        )
    return query.order_by(*order)


def by_age(
    plan: Plan, skipped: int, periods: int, dialect: SqlDialect
) -> tuple[list[tuple[str, exp.Expression]], exp.Select]:
    """A row per (cohort, age 0..periods-1) for every cohort whose own period is among the
    query's `periods` (after the `skipped` ones); a cell whose period lies beyond the range is
    null (the cohort is too young). Returns the CTEs it needs and the final select."""
    axis = plan.cohort_axis
    assert axis is not None
    names = [dimension_column(i) for i in range(len(plan.dimensions))]
    first = number(skipped)
    cohorts = (
        exp.select(*names, COHORT_PERIOD)
        .from_(RESULTS)
        .where(exp.GTE(this=exp.column(COHORT_PERIOD), expression=first))
        .distinct()
    )
    ages = [exp.select(exp.alias_(number(age), AGE)) for age in range(periods)]
    if not ages:
        ages = [exp.select(exp.alias_(number(0), AGE)).where(exp.false())]
    ctes: list[tuple[str, exp.Expression]] = [
        (COHORTS, cohorts),
        (AGES, union(ages, distinct=False)),
    ]
    period = exp.Add(
        this=exp.column(COHORT_PERIOD, table=COHORTS), expression=exp.column(AGE, table=AGES)
    )
    reached = exp.LT(this=period, expression=number(skipped + periods))
    same_unit = [
        exp.NullSafeEQ(
            this=exp.column(name, table=COHORTS), expression=exp.column(name, table=RESULTS)
        )
        for name in names
    ]
    on = exp.and_(
        exp.EQ(this=exp.column(PERIOD, table=RESULTS), expression=period), reached, *same_unit
    )
    dimensions: list[tuple[str, exp.Expression]] = [
        (label, exp.column(name, table=COHORTS))
        for name, label in zip(names, plan.dimensions, strict=True)
    ]
    keys = [
        _sorted(value, type_, dialect)
        for (_, value), type_ in zip(dimensions, plan.dimension_types, strict=True)
    ]
    dimensions.insert(axis.age, (AGE, exp.column(AGE, table=AGES)))
    keys.insert(axis.age, exp.column(AGE, table=AGES))
    outputs = [exp.alias_(value, label, quoted=True) for label, value in dimensions]
    outputs += _metrics(plan, RESULTS)
    order = [exp.Ordered(this=key, nulls_first=False) for key in keys]
    query = (
        exp.select(*outputs)
        .from_(COHORTS)
        .join(AGES, join_type="cross")
        .join(RESULTS, on=on, join_type="left")
        .order_by(*order)
    )
    return ctes, query


def _sorted(value: exp.Expression, type_: pa.DataType, dialect: SqlDialect) -> exp.Expression:
    """A dimension's value as the answer is sorted by: text by its bytes on every engine
    (`SqlDialect.binary_text`)."""
    text = pa.types.is_string(type_) or pa.types.is_large_string(type_)
    return dialect.binary_text(value) if text else value


def _metrics(plan: Plan, table: str) -> list[exp.Expr]:
    return [
        exp.alias_(exp.column(metric_column(i), table=table), metric.name, quoted=True)
        for i, metric in enumerate(plan.metrics)
    ]
