"""How each grouped pass of a plan is computed: the physical choices every engine reads
instead of deciding them on its own.

- An aggregate is *additive* when its function declares each row's weight
  (`AggregateFunction.additive`: a count, a sum) and its result is an integer (a float total
  would lose its last bits to the subtractions): then a row can add its weight where its range
  of periods starts and take it away after it ends, and a period's value is the running total.
- A scan is computed `PLAIN` (each row placed in every period it counts in, then grouped),
  `RANGED` (from each row's range of periods: a windowed pass whose aggregates are all
  additive, at a level with periods whose cells do not depend on which rows each period saw),
  or `COUNTED` in a sibling's pass at a level over members (`ScanPhysical.counts`).

Placing a windowed row in every period whose window holds it repeats it once per period: a
subscription in force for three years counts at 36 month ends of an all-time window. A range
is two rows whatever the window's length. At a level over members, an all-time window's state
counts whose rows another scan already places at the period ends they are in force at are
counted in that scan's pass: a row in force at some period end of the level is in force at
the first one after its start, so its change is its weight there (DuckDB: 1.4x on the
revenue benchmark).

The planner records these choices in the plan once (`annotate`: `Level.physical`,
`PerLevel.prunes`, `Level.reads_cohort_start`); the engines read them there and decide none.

A child level over members is *pruned* (`PerLevel.prunes`): it computes only the cells that can
matter to its parent, those from `reach` periods before each member exists (what offsets of
cells in its entity set read) and from the first change of a running total on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from metricsmith.model import bound as b
from metricsmith.model.bound import BAggregate
from metricsmith.model.types import Type
from metricsmith.plan.nodes import (
    EventTime,
    Level,
    Pass,
    PerLevel,
    ScanPhysical,
    SourceScan,
    StateTime,
)
from metricsmith.plugins.functions import Additive, AggregateFunction


def annotate(
    level: Level, formulas: Sequence[b.BExpr], functions: Mapping[str, AggregateFunction]
) -> Level:
    """The level and every level below it with their physical choices recorded; `formulas`
    are those evaluated at the level (the metrics' at the top)."""
    return attrs.evolve(
        level,
        children=tuple(_annotate_child(child, functions) for child in level.children),
        physical=_level_physical(level, functions),
        reads_cohort_start=any(_reads_cohort_start(formula) for formula in formulas),
    )


def _annotate_child(child: PerLevel, functions: Mapping[str, AggregateFunction]) -> PerLevel:
    """A child level annotated, and its stand-in for units without rows (which reads nothing,
    but is a level like any other to the engines)."""
    below = annotate(child.level, _child_formulas(child), functions)
    without_rows = child.without_rows
    if without_rows is not None:
        without_rows = _annotate_child(without_rows, functions)
    annotated = attrs.evolve(child, level=below, without_rows=without_rows)
    return attrs.evolve(annotated, prunes=_prunes_cells(annotated))


def _child_formulas(child: PerLevel) -> list[b.BExpr]:
    """The formulas a child level evaluates: its `per` bodies and conditions, and the
    query's per-entity dimensions."""
    formulas = [f for a in child.aggregates for f in (a.per.body, a.per.where) if f is not None]
    return formulas + [formula for _, formula in child.entity_dimensions]


def _weight(aggregate: BAggregate, functions: Mapping[str, AggregateFunction]) -> Additive | None:
    """What one row adds to the aggregate, when it is additive (see the module)."""
    declared = functions[aggregate.function].additive
    return declared if aggregate.type == Type.INTEGER else None


def _level_physical(
    level: Level, functions: Mapping[str, AggregateFunction]
) -> tuple[ScanPhysical, ...]:
    """How each of the level's scans is computed, in order."""
    weights = [_weights(scan, functions) for scan in level.scans]
    ranged = [
        _ranged(level, scan, w is not None) for scan, w in zip(level.scans, weights, strict=True)
    ]
    counted: dict[int, int] = {}  # counted scan -> the sibling whose pass counts it
    if level.members is not None:
        for index, scan in enumerate(level.scans):
            window = scan.window
            if not ranged[index] or window is None or window.kind != "all_time":
                continue
            if not isinstance(scan.time, StateTime):
                continue
            for other, sibling in enumerate(level.scans):
                taken = other in counted.values()
                if sibling.window is None and _same_rows(scan, sibling) and not taken:
                    counted[index] = other
                    break
    counts = {sibling: index for index, sibling in counted.items()}
    return tuple(
        ScanPhysical(
            weights=weights[index],
            pass_=(
                Pass.COUNTED if index in counted else Pass.RANGED if ranged[index] else Pass.PLAIN
            ),
            counts=counts.get(index),
        )
        for index in range(len(level.scans))
    )


def _weights(
    scan: SourceScan, functions: Mapping[str, AggregateFunction]
) -> tuple[Additive, ...] | None:
    weights = tuple(_weight(fused.aggregate, functions) for fused in scan.aggregates)
    return None if None in weights else weights  # type: ignore[return-value]


def _ranged(level: Level, scan: SourceScan, additive: bool) -> bool:
    """A windowed pass of additive aggregates, at a level with periods (a grain) whose cells
    do not depend on which rows each period saw (not a per-entity level whose entities are the
    identifiers the rows name); a state source's only over an all-time window."""
    window = scan.window
    identifiers = level.entity is not None and level.members is None
    if window is None or identifiers or level.grain is None or not additive:
        return False
    if isinstance(scan.time, StateTime) and window.kind != "all_time":
        return False
    return isinstance(scan.time, EventTime | StateTime)


def _same_rows(scan: SourceScan, other: SourceScan) -> bool:
    return (
        scan.source == other.source
        and scan.time == other.time
        and scan.dimensions == other.dimensions
        and scan.filters == other.filters
        and scan.entity == other.entity
    )


def _prunes_cells(child: PerLevel) -> bool:
    """Whether a child level over members (annotated) computes only the cells that can
    matter (see the module): not when its formulas read a cohort's start, which can lie
    before a member exists, nor over sub-periods (a day before the account exists is one of
    its month's)."""
    level = child.level
    return level.members is not None and not child.over_periods and not level.reads_cohort_start


def _reads_cohort_start(node: b.BExpr) -> bool:
    """Whether a formula reads `cohort_start(...)` at its own level (not inside a leaf or a
    `per` body, which are evaluated elsewhere)."""
    if isinstance(node, b.BOffset) and node.unit == "cohort":
        return True
    if isinstance(node, b.BPer | b.BAggregate | b.BWindow):
        return False
    return any(_reads_cohort_start(child) for child in b.bchildren(node))
