"""`explain`: a plan as readable text — what is read, what each grouped pass computes, which
`per` iterations run below the query's cells, how the metrics are assembled."""

from __future__ import annotations

import datetime as dt
from typing import assert_never

from metricsmith.plan.formatting import format_duration, format_expr
from metricsmith.plan.nodes import (
    EventTime,
    Level,
    Pass,
    PerLevel,
    Plan,
    SourceRead,
    SourceScan,
    StateTime,
)
from metricsmith.plugins.connector import TimeRange

_INDENT = "  "


def explain(plan: Plan, engine: str | None = None) -> str:
    """The plan as text; `engine`, a line saying where it runs (`auto`'s choice), follows
    the headline."""
    targets = {join.source for level in plan.top.walk() for s in level.scans for join in s.joins}
    lines = [_headline(plan)]
    if engine is not None:
        lines.append(f"  {engine}")
    lines += ["", f"reads ({len(plan.reads)}, each source once):"]
    lines += [f"  {_read(read, read.source in targets)}" for read in plan.reads]
    lines += _level_body(plan.top, "")
    names = plan.top.leaf_columns()
    lines += ["", "metrics (per cell, from the aggregates above):"]
    lines += [f"  {m.name} = {format_expr(m.formula, names)}" for m in plan.metrics]
    lines += _settling(plan)
    if plan.relies_on:
        lines += ["", "relies on (contracts verified to hold on the data):"]
        lines += [f"  {reliance.describe()}" for reliance in plan.relies_on]
    return "\n".join(lines)


def _settling(plan: Plan) -> list[str]:
    """Which metrics are null in the periods too recent for their conversion window."""
    as_of = plan.as_of.isoformat(timespec="seconds")
    return [
        f"  {name} is null (immature) in a period ending less than {format_duration(window)} "
        f"before {as_of} (as of): its conversion window has not closed"
        for name, window in plan.settling().items()
    ]


def _headline(plan: Plan) -> str:
    calendar = plan.calendar
    dimensions = list(plan.dimensions)
    if plan.cohort_axis is not None:
        dimensions.insert(plan.cohort_axis.age, "age")
    by = f" by {', '.join(dimensions)}" if dimensions else ""
    grain = f" per {plan.grain}" if plan.grain else ""
    zone = f"calendar {calendar.timezone}, weeks start {calendar.week_start}"
    if calendar.fiscal_year_start != "january":
        zone += f", fiscal years start {calendar.fiscal_year_start}"
    lines = [f"query {', '.join(m.name for m in plan.metrics)}{grain}{by}"]
    lines.append(f"  {_range(plan)}; {zone}")
    if plan.parameters:
        values = ", ".join(f"${name} = {format_expr(value)}" for name, value in plan.parameters)
        lines.append(f"  parameters: {values}")
    if plan.top.extension:
        lines.append(
            f"  also computes the {_periods(plan.top.extension, plan.grain)} before the range, "
            "which offsets read"
        )
    if plan.cohort_axis is not None:
        lines.append(
            "  one row per cohort and age (periods since the cohort's own), for the cohorts "
            "whose period is in the range; ages beyond the range are null"
        )
    return "\n".join(lines)


def _range(plan: Plan) -> str:
    if plan.start is None and plan.end is None:
        return "range: all the data"
    start = _instant(plan.start) if plan.start else "the first row"
    end = _instant(plan.end) if plan.end else "the last row"
    return f"range: [{start}, {end})"


def _instant(value: dt.datetime) -> str:
    return value.isoformat(sep=" ", timespec="seconds")


def _periods(count: int, grain: str | None) -> str:
    return f"{count} {grain}{'' if count == 1 else 's'}"


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


def _level_body(level: Level, indent: str) -> list[str]:
    # Over a source with a key, each entity's dimensions are its own row's, not the scans'.
    labels = level.labels if level.members is None else ()
    blocks = [_scan(scan, _pass(level, index), labels) for index, scan in enumerate(level.scans)]
    blocks += [_child(child) for child in level.children]
    return [indent + line if line else line for block in blocks for line in ["", *block]]


def _child(child: PerLevel) -> list[str]:
    level = child.level
    lines = [_iteration(child) + ":"]
    if level.extension:
        lines.append(
            f"  also computes the {_periods(level.extension, level.grain)} before the first, "
            "which offsets read"
        )
    members = level.members
    if members is not None:
        for label, dimension in zip(level.labels, members.dimensions, strict=True):
            lines.append(f"  dimension {label} = {format_expr(dimension)}")
        lines += [f"  filter {format_expr(condition)}" for condition in members.filters]
    lines += _level_body(level, _INDENT)
    names = level.leaf_columns()
    for label, formula in child.entity_dimensions:
        lines.append(f"  dimension {label} = {format_expr(formula, names)}, for each entity")
    lines += [f"  {a.name} = {format_expr(a.per, names)}" for a in child.aggregates]
    if child.without_rows is not None:
        entity = level.entity
        assert entity is not None, "sub-periods below an identifier"
        lines.append(f"  for a {entity.name} no row of these {level.grain}s names, over no rows:")
        lines += [f"  {line}" if line else line for line in _child(child.without_rows)[1:]]
    return lines


def _iteration(child: PerLevel) -> str:
    level = child.level
    if child.over_periods:
        return f"per {level.grain} (every {level.grain} of each period, empty ones included)"
    entity = level.entity
    assert entity is not None
    members = level.members
    if members is None:
        return f"per {entity.name} (the {entity.name} values the rows read below name)"
    existing = f", each from its {members.time} on" if members.time else ""
    return f"per {entity.name} (the rows of {members.source}, key {members.key}{existing})"


def _scan(scan: SourceScan, how: str, labels: tuple[str, ...]) -> list[str]:
    lines = [f"scan {scan.source} ({_placed(scan)}):"]
    reached = {(): scan.source, **{join.path: join.source for join in scan.joins}}
    for join in scan.joins:
        origin = reached[join.path[:-1]]
        lines.append(
            f"  join {join.source} on {origin}.{join.path[-1]} = {join.source}.{join.key} "
            "(many-to-one)"
        )
    for label, dimension in zip(labels, scan.dimensions, strict=True):
        lines.append(f"  dimension {label} = {format_expr(dimension)}")
    if scan.entity is not None:
        lines.append(f"  entity {format_expr(scan.entity)}")
    for condition in scan.filters:
        lines.append(f"  filter {format_expr(condition)}")
    count = len(scan.aggregates)
    fused = f"{count} fused aggregate{'s' if count != 1 else ''}"
    lines.append(f"  {how}, {fused}:")
    lines += [f"    {f.name} = {format_expr(f.aggregate)}" for f in scan.aggregates]
    return lines


def _pass(level: Level, index: int) -> str:
    """How the engines compute the level's scan `index` (plan/physical.py), in a few words;
    a counted scan names an aggregate of the pass counting it, and that pass names its
    counted aggregates."""
    physical = level.physical[index]
    match physical.pass_:
        case Pass.PLAIN if physical.counts is not None:
            counted = ", ".join(f.name for f in level.scans[physical.counts].aggregates)
            return f"one grouped pass (also giving the all-time {counted})"
        case Pass.PLAIN:
            return "one grouped pass"
        case Pass.RANGED:
            return "one ranged pass (each row added over its range of periods)"
        case Pass.COUNTED:
            (counting,) = (
                scan
                for scan, other in zip(level.scans, level.physical, strict=True)
                if other.counts == index
            )
            return f"no pass of its own (counted in the pass giving {counting.aggregates[0].name})"
        case _:
            assert_never(physical.pass_)


def _placed(scan: SourceScan) -> str:
    window = scan.window
    match scan.time:
        case EventTime(column=column) if window is not None:
            return (
                f"rows counted at each period end e when {column} is in the window "
                f"({window.describe()} up to e)"
            )
        case EventTime(column=column):
            return f"rows placed in periods by {column}"
        case StateTime(start=start, end=end) if window is not None:
            return (
                f"state rows in force over [{start}, {end}), counted at each period end e when in "
                f"force at some period end in the window ({window.describe()} up to e)"
            )
        case StateTime(start=start, end=end):
            return f"state rows in force over [{start}, {end}), read as of each period end"
        case None:
            return "no time column"
        case _:
            assert_never(scan.time)
