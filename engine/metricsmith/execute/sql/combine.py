"""A child level's values combined into its parent's cells: `agg(per ...)` as SQL.

The child's cells that belong to a parent cell's iteration — their period lies in one of the
parent's (`parent_period`) and, when iterating over entities, their entity is in the cell's
entity set — are grouped by that parent period, the parent's keys they carry (the row
dimensions; at a parent over entities, the entity) and the per-entity dimensions evaluated for
them (a health band). Every `per` aggregate the child serves is one aggregate of that GROUP BY,
its `where` a filter on the cells it reads: a `where` does not take cells out of the iteration
(docs/time-intelligence.md, "Per-entity iteration"), so a group with cells but none selected
gets the value over nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp

from metricsmith.errors import InternalError
from metricsmith.execute.sql.aggregates import AggregateCompiler
from metricsmith.execute.sql.dialects import number
from metricsmith.execute.sql.names import ENTITY, IN_SET, SEEN, LevelNames, dimension_column
from metricsmith.execute.sql.spine import PARENT_PERIOD, PERIOD
from metricsmith.plan.nodes import Level, PerLevel
from metricsmith.plugins.functions import AggregateFunction


def body_column(name: str) -> str:
    """The child's column holding the body of the `per` aggregate `name`."""
    return f"{name}_body"


def where_column(name: str) -> str:
    """The child's column holding the condition of the `per` aggregate `name`."""
    return f"{name}_where"


def entity_dimension_column(index: int) -> str:
    """The child's column holding its `index`-th per-entity dimension."""
    return f"entity_d{index}"


def per_select(
    child: PerLevel,
    names: LevelNames,
    parent: Level,
    aggregates: AggregateCompiler,
    totals: Sequence[tuple[str, exp.Expr]] = (),
    every_cell: bool = False,
) -> exp.Select:
    """The `per` aggregates of `child` (whose CTEs `names` names), one row per parent cell,
    or one per parent period when the child has none of the parent's keys (`shared_by_units`);
    with `totals`, named aggregates of the parent's own over the same cells (rollups.py), over
    `every_cell` of the child where some are outside the entity set (the `per` aggregates
    then select theirs in it)."""
    results = names.results
    evaluated = {label: i for i, (label, _) in enumerate(child.entity_dimensions)}
    keys: list[exp.Expression] = []
    shared = shared_by_units(child, parent)
    for label in () if shared else parent.labels:
        if label in child.level.labels:
            column = dimension_column(child.level.labels.index(label))
        elif label in evaluated:
            column = entity_dimension_column(evaluated[label])
        else:
            raise InternalError(f"the child level of {names.prefix} does not know `{label}`")
        keys.append(exp.column(column, table=results))
    if parent.entity is not None and not shared:
        keys.append(exp.column(ENTITY, table=results))
    period = exp.column(PARENT_PERIOD, table=results)
    outputs = [exp.alias_(period, PERIOD)]
    parent_names = [] if shared else [dimension_column(i) for i in range(len(parent.labels))]
    parent_names += [ENTITY] if parent.entity is not None and not shared else []
    outputs += [exp.alias_(key, name) for key, name in zip(keys, parent_names, strict=True)]
    # Below an entity, sub-periods keep the parent's entity: its set was applied there.
    in_set = child.level.entity is not None and not child.over_periods
    in_set_column = exp.column(IN_SET, table=results)
    for aggregate in child.aggregates:
        per = aggregate.per
        value = None if per.body is None else exp.column(body_column(aggregate.name))
        condition: exp.Expression | None = None
        if per.where is not None:
            condition = exp.column(where_column(aggregate.name))
        if in_set and every_cell:
            condition = (
                in_set_column
                if condition is None
                else exp.And(this=in_set_column, expression=condition)
            )
        outputs.append(exp.alias_(aggregates.compile(per, value, condition), aggregate.name))
    outputs += [exp.alias_(value, name) for name, value in totals]
    if child.finds_entities:
        found = exp.Case().when(in_set_column, number(1)).else_(number(0))
        outputs.append(exp.alias_(exp.Max(this=found), SEEN))
    conditions: list[exp.Expr] = [exp.Not(this=exp.Is(this=period, expression=exp.Null()))]
    if in_set and not every_cell:
        conditions.append(in_set_column)
    query = exp.select(*outputs).from_(results).where(exp.and_(*conditions))
    return query.group_by(period, *keys)


def shared_by_units(child: PerLevel, parent: Level) -> bool:
    """Whether a child's values are the same for every unit of its parent: a child planned
    without the parent's keys (plan/levels.py): sub-periods that read nothing below an
    identifier, and a child's twin as a unit without rows (`PerLevel.without_rows`)."""
    keyed_parent = bool(parent.labels) or parent.entity is not None
    return keyed_parent and child.level.entity is None and not child.level.labels


def per_values(
    child: PerLevel, functions: Mapping[str, AggregateFunction]
) -> tuple[tuple[str, int | float | None], ...]:
    """The child's `per` aggregate columns with each one's value over nothing."""
    return tuple(
        (aggregate.name, functions[aggregate.per.function].empty) for aggregate in child.aggregates
    )
