"""The periods of a query on a SQL engine.

Period boundaries are the plan's (`plan/timeline.py`), inlined in the SQL. When the query's
range is open on one side the missing end comes from the data: a small query asks the engine
for the first and last instant of the rows of the plan's `timed_scans` first
(`extents_query`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_never

from sqlglot import exp

from metricsmith.execute.sql import trees
from metricsmith.execute.sql.compiler import Compilation, source_ctes
from metricsmith.execute.sql.scans import ScanCompiler
from metricsmith.execute.sql.unions import union
from metricsmith.plan.nodes import EventTime, Plan, StateTime
from metricsmith.plan.timeline import Timelines, resolve_timelines, timed_scans

FIRST, LAST = "first_instant", "last_instant"


def extents_query(plan: Plan, compilation: Compilation) -> exp.Select | None:
    """First and last instant (µs since the epoch) of the rows of each part of each scan of
    every level (event times; state starts, and state ends not after the plan's "now") and of
    the entities iterated over (their times), one row per part; None when nothing read has a
    time axis."""
    reads = {read.source: read for read in plan.reads}
    parts: list[exp.Select] = []
    for scan in timed_scans(plan):
        scanner = ScanCompiler(plan, scan, reads, compilation)
        dialect = compilation.dialect
        match scan.time:
            case EventTime(column=column):
                times: list[tuple[exp.Expression, exp.Expr | None]] = [
                    (scanner.time_value(column), None)
                ]
            case StateTime(start=start, end=end):
                # An end after "now" would stretch the periods to a far-future date.
                ends = scanner.time_value(end)
                as_of = dialect.instant_literal(plan.as_of)
                times = [
                    (scanner.time_value(start), None),
                    (ends, exp.LTE(this=ends, expression=as_of)),
                ]
            case None:
                continue
            case _:
                assert_never(scan.time)
        for time, condition in times:
            part = exp.select(
                exp.alias_(dialect.epoch_micros(exp.Min(this=time)), FIRST),
                exp.alias_(dialect.epoch_micros(exp.Max(this=time)), LAST),
            ).from_(scanner.root())
            conditions = [*scanner.pushdown(), *([condition] if condition is not None else [])]
            parts.append(part.where(exp.and_(*conditions)) if conditions else part)
    if not parts:
        return None
    query = union(parts, distinct=False)
    query = exp.select(FIRST, LAST).from_(
        exp.Subquery(this=query, alias=exp.to_identifier("parts"))
    )
    # A time read through links reads the linked sources too (ScanCompiler.root).
    read = {scan.source for scan in timed_scans(plan)}
    read |= {join.source for scan in timed_scans(plan) for join in scan.joins}
    for name, body in source_ctes(plan, compilation, read):
        query = trees.with_cte(query, name, body)
    return query


def timelines_from_extents(plan: Plan, rows: Iterable[tuple[int | None, int | None]]) -> Timelines:
    """The periods of every level, given the rows of `extents_query` (empty when not needed)."""
    firsts, lasts = [], []
    for first, last in rows:
        if first is not None and last is not None:  # both null together: no rows
            firsts.append(int(first))
            lasts.append(int(last))
    extents = [(min(firsts), max(lasts))] if firsts else []
    return resolve_timelines(plan, extents)
