"""`explain`: a plan as readable text — what is read, what each grouped pass computes, how the
metrics are assembled."""

from __future__ import annotations

import datetime as dt

from metricsmith.plan.formatting import format_expr
from metricsmith.plan.nodes import EventTime, Plan, SourceRead, SourceScan, StateTime
from metricsmith.plugins.connector import TimeRange


def explain(plan: Plan) -> str:
    names = plan.aggregate_columns()
    targets = {join.source for scan in plan.scans for join in scan.joins}
    lines = [_headline(plan), "", f"reads ({len(plan.reads)}, each source once):"]
    lines += [f"  {_read(read, read.source in targets)}" for read in plan.reads]
    for scan in plan.scans:
        lines += ["", *_scan(scan, plan)]
    lines += ["", "metrics (per cell, from the aggregates above):"]
    lines += [f"  {m.name} = {format_expr(m.formula, names)}" for m in plan.metrics]
    return "\n".join(lines)


def _headline(plan: Plan) -> str:
    calendar = plan.calendar
    by = f" by {', '.join(plan.dimensions)}" if plan.dimensions else ""
    grain = f" per {plan.grain}" if plan.grain else ""
    zone = f"calendar {calendar.timezone}, weeks start {calendar.week_start}"
    return f"query {', '.join(m.name for m in plan.metrics)}{grain}{by}\n  {_range(plan)}; {zone}"


def _range(plan: Plan) -> str:
    if plan.start is None and plan.end is None:
        return "range: all the data"
    start = _instant(plan.start) if plan.start else "the first row"
    end = _instant(plan.end) if plan.end else "the last row"
    return f"range: [{start}, {end})"


def _instant(value: dt.datetime) -> str:
    return value.isoformat(sep=" ", timespec="seconds")


def _read(read: SourceRead, join_target: bool) -> str:
    rows = _pushdown(read.time_range)
    if join_target:
        rows += " (linked to by other sources)"
    return f"{read.source}: columns {', '.join(read.columns)}; {rows}"


def _pushdown(time_range: TimeRange | None) -> str:
    if time_range is None:
        return "all rows"
    bounds = (time_range.start, time_range.end)
    utc = [_instant(v.astimezone(dt.UTC)) if v else None for v in bounds]
    if utc[0] and utc[1]:
        return f"rows with {time_range.column} in [{utc[0]}, {utc[1]}) pushed down"
    if utc[0]:
        return f"rows with {time_range.column} >= {utc[0]} pushed down"
    return f"rows with {time_range.column} < {utc[1]} pushed down"


def _scan(scan: SourceScan, plan: Plan) -> list[str]:
    match scan.time:
        case EventTime(column=column):
            placed = f"rows placed in periods by {column}"
        case StateTime(start=start, end=end):
            placed = f"state rows in force over [{start}, {end}), read as of each period end"
        case _:
            placed = "no time column"
    lines = [f"scan {scan.source} ({placed}):"]
    reached = {(): scan.source, **{join.path: join.source for join in scan.joins}}
    for join in scan.joins:
        origin = reached[join.path[:-1]]
        lines.append(
            f"  join {join.source} on {origin}.{join.path[-1]} = {join.source}.{join.key} "
            "(many-to-one)"
        )
    for label, dimension in zip(plan.dimensions, scan.dimensions, strict=True):
        lines.append(f"  dimension {label} = {format_expr(dimension)}")
    for condition in scan.filters:
        lines.append(f"  filter {format_expr(condition)}")
    count = len(scan.aggregates)
    lines.append(f"  one grouped pass, {count} fused aggregate{'s' if count != 1 else ''}:")
    lines += [f"    {f.name} = {format_expr(f.aggregate)}" for f in scan.aggregates]
    return lines
