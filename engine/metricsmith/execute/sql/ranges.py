"""Grouped passes from each row's range of periods: the plan's `RANGED` and `COUNTED` passes
(plan/physical.py).

Each row gives the range `[first, last]` of periods it counts in, its weight is added where
the range starts and taken away after it ends (`<scan>_rows`, then the pass's deltas per
period), and the level's formulas read the running total along the periods (formulas.py).
Two rows per source row, whatever the window's length.

The ranges come from each row's instants placed among the level's period ends and window
starts, numbered as `searchsorted(..., side="right")` numbers them (positions.py):

- an event at t counts at the period ends e with window start <= t < e: from the first end
  after t to the last period whose window starts at or before t (the last period for an
  all-time window);
- a state row counts at an all-time window's period end e when it was in force at some period
  end up to e: from the first period ending after its start on, provided it was in force at a
  period end at all — still in force, or ended after a period end (of the grain, or of the
  level) that came after its start.

A bounded window whose rows each count in a few periods at most (`few_periods`: a 30-day
window at month ends holds each row at one or two) is not passed by ranges: its rows are
joined to the periods they count in, as a windowed pass of other aggregates is (scans.py
`placed`). That is no more rows than the changes, and the cells need no running total: where
nothing else needs one, the level sorts no cells for a window function (DuckDB, the
customer-success health on one thread: 5.5–6.5 s → 4.5–5.2 s of CPU).

A scan `COUNTED` in a sibling's pass at a level over members: its rows in force at some
period end of the level are in force at the first one after their start, so their change is
their weight there, and the rows in force only at an earlier period end of the grain are each
member's opening, added in the level's first period (members.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.execute.sql.spine import PERIOD, LevelSpine
from metricsmith.plan.nodes import WindowSpec

FIRST, LAST = "first_period", "last_period"
#: The most periods a row of a bounded window may count in for its rows to be placed in them
#: rather than passed by ranges (two rows per source row either way).
FEW_PERIODS = 2


def few_periods(spine: LevelSpine, window: WindowSpec) -> bool:
    """Whether no row of `window` (not an all-time one) counts in more than `FEW_PERIODS`
    of the level's periods. A row at t counts at the ends e with start <= t < e; the most
    such periods are where some window starts."""
    starts = np.asarray(spine.starts(window).instants, dtype=np.int64)
    ends = np.asarray(spine.ends().instants, dtype=np.int64)
    started = np.searchsorted(np.sort(starts), starts, side="right")
    ended = np.searchsorted(np.sort(ends), starts, side="right")
    return int((started - ended).max(initial=0)) <= FEW_PERIODS


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
