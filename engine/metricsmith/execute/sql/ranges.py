"""Windowed grouped passes from each row's range of periods, as the Arrow executor computes
them (execute/arrow/placement.py, `range_totals`).

Placing a windowed row in every period whose window holds it repeats it once per period: a
subscription in force for three years counts at 36 month ends of an all-time window, an event
at 7 day ends of a 7-day window. When every aggregate of the pass is additive (a count, an
integer sum), each row instead gives the range `[first, last]` of periods it counts in, its
value is added where the range starts and taken away after it ends (`<scan>_rows`, then the
pass's deltas per period), and the level's formulas read the running total along the periods
(formulas.py). Two rows per source row, whatever the window's length.

The ranges come from each row's instants placed among the level's period ends and window
starts, numbered as `searchsorted(..., side="right")` numbers them (positions.py):

- an event at t counts at the period ends e with window start <= t < e: from the first end
  after t to the last period whose window starts at or before t (the last period for an
  all-time window);
- a state row counts at an all-time window's period end e when it was in force at some period
  end up to e: from the first period ending after its start on, provided it was in force at a
  period end at all — still in force, or ended after a period end (of the grain, or of the
  level) that came after its start.

At a level over members, an all-time window's state counts whose rows another scan already
places at the period ends they are in force at share that scan's pass (`shared_passes`): a
row in force at some period end of the level is in force at the first one after its start,
so its change is its weight there, and the rows in force only at an earlier period end of
the grain are each member's opening, added in the level's first period (members.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.execute.sql.spine import PERIOD, LevelSpine
from metricsmith.model.types import Type
from metricsmith.plan.nodes import EventTime, FusedAggregate, SourceScan, StateTime

FIRST, LAST = "first_period", "last_period"


def is_additive(fused: FusedAggregate) -> bool:
    """Whether the aggregate over a range of periods is a running total: a count, or a sum of
    integers (float sums would lose their last bits to the subtractions)."""
    aggregate = fused.aggregate
    return aggregate.function == "count" or (
        aggregate.function == "sum" and aggregate.type == Type.INTEGER
    )


def can_range(scan: SourceScan, spine: LevelSpine, identifiers: bool) -> bool:
    """Whether a scan is computed from ranges: windowed, every aggregate additive, at a level
    with periods whose cells do not depend on which rows each period saw (`identifiers`: a
    per-entity level whose entities are the identifiers the rows name)."""
    window = scan.window
    if window is None or identifiers or spine.timeline.bounds is None or not spine.grain:
        return False
    if isinstance(scan.time, StateTime) and window.kind != "all_time":
        return False
    return isinstance(scan.time, EventTime | StateTime) and all(
        is_additive(fused) for fused in scan.aggregates
    )


def shared_passes(scans: Sequence[SourceScan], spine: LevelSpine) -> dict[int, int]:
    """At a level over members: for each scan of a state source's additive aggregates over
    an all-time window, the index of another scan placing the same rows at the period ends
    they are in force at (no window; the same source, time, dimensions, filters and entity),
    when there is one. That scan's pass adds each row's weight in the first period it is in
    force at: the changes, without reading the rows again for their ranges or joining a
    second pass to the cells (DuckDB: 1.4x on the revenue benchmark). Rows counted only at
    a period end of the grain before the level's first are each member's opening."""
    shared: dict[int, int] = {}
    for index, scan in enumerate(scans):
        window = scan.window
        if window is None or window.kind != "all_time" or not isinstance(scan.time, StateTime):
            continue
        if not can_range(scan, spine, identifiers=False):
            continue
        for other, sibling in enumerate(scans):
            taken = other in shared.values()
            if sibling.window is None and _same_rows(scan, sibling) and not taken:
                shared[index] = other
                break
    return shared


def _same_rows(scan: SourceScan, other: SourceScan) -> bool:
    return (
        scan.source == other.source
        and scan.time == other.time
        and scan.dimensions == other.dimensions
        and scan.filters == other.filters
        and scan.entity == other.entity
    )


def deltas(
    rows: str,
    keys: Sequence[str],
    weights: Sequence[str],
    periods: int,
    dialect: SqlDialect,
    *,
    stops: bool,
) -> exp.Select:
    """Each weight added in the period a row's range starts and taken away in the period
    after it ends (when that is still a period of the level), summed per (period, keys).
    `stops`: whether a range can end before the last period. An all-time window's cannot,
    and leaving its empty half out lets the engine read the rows once."""
    valid = exp.LTE(this=exp.column(FIRST), expression=exp.column(LAST))
    after = exp.Add(this=exp.column(LAST), expression=number(1))
    changes: exp.Expression = (
        exp.select(exp.alias_(exp.column(FIRST), PERIOD), *keys, *weights).from_(rows).where(valid)
    )
    if stops:
        taken = (
            exp.select(
                exp.alias_(after, PERIOD),
                *keys,
                *(exp.alias_(exp.Neg(this=exp.column(w)), w) for w in weights),
            )
            .from_(rows)
            .where(exp.and_(valid, exp.LT(this=after.copy(), expression=number(periods))))
        )
        changes = exp.union(changes, taken, distinct=False)
    source = exp.Subquery(this=changes, alias=exp.TableAlias(this="changes"))
    totals = [exp.alias_(dialect.cast(exp.Sum(this=exp.column(w)), "bigint"), w) for w in weights]
    return (
        exp.select(PERIOD, *keys, *totals)
        .from_(source)
        .group_by(exp.column(PERIOD), *map(exp.column, keys))
    )
