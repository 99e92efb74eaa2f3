"""The logical plan: what a query reads, how each source's rows are grouped, what is computed.

A plan is backend-neutral data. Each source is read once (`SourceRead`: projection and
time-range pushdown); every source that metrics aggregate over gets one `SourceScan` that places
its rows in periods, joins its links, filters, and computes all of its aggregates in a single
grouped pass; the metric formulas then combine the aggregates cell by cell.
"""

from __future__ import annotations

import datetime as dt

from attrs import frozen

from metricsmith.check.checked import Calendar
from metricsmith.model.bound import BAggregate, BExpr
from metricsmith.model.expr import Expr
from metricsmith.model.types import Type
from metricsmith.plugins.connector import TimeRange


@frozen(kw_only=True)
class Query:
    """What the user asks for.

    `by` pairs each label as written (`accounts.segment`, `size_band`) with its formula as
    written: a `source.column` name, or the formula of the named dimension the label names.
    `start`/`end` bound the half-open range `[start, end)`; they are timezone-aware (the API
    parses the user's strings in the calendar's zone). `filters` are row formulas."""

    metrics: tuple[str, ...]
    by: tuple[tuple[str, Expr], ...] = ()
    grain: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    filters: tuple[Expr, ...] = ()


@frozen
class EventTime:
    """Each row happens at an instant: it belongs to the period containing `column`."""

    column: str


@frozen
class StateTime:
    """Each row is in force over `[start, end)` (`end` null: still in force); it counts in
    every period whose end it is in force at (DESIGN §4.2)."""

    start: str
    end: str


@frozen
class Join:
    """The rows of `source` reached from the scan's root by following the link columns in
    `path` (each link is many-to-one, so a root row reaches at most one row)."""

    path: tuple[str, ...]
    source: str
    key: str


@frozen
class FusedAggregate:
    """One aggregate computed in a scan's grouped pass; `name` is the column holding its
    value per cell."""

    name: str
    aggregate: BAggregate


@frozen(kw_only=True)
class SourceScan:
    """All aggregates over one root source, computed in one grouped pass over its rows.

    `dimensions` (one per query dimension, in order) and `filters` are row formulas bound
    against the root; `joins` lists every link path they or the aggregates follow."""

    source: str
    time: EventTime | StateTime | None
    dimensions: tuple[BExpr, ...]
    filters: tuple[BExpr, ...]
    joins: tuple[Join, ...]
    aggregates: tuple[FusedAggregate, ...]


@frozen(kw_only=True)
class SourceRead:
    """One read of one source: the columns every scan and join needs, and the time range the
    reader may restrict rows to (None when all rows are needed)."""

    source: str
    columns: tuple[str, ...]
    time_range: TimeRange | None


@frozen(kw_only=True)
class MetricOutput:
    """A requested metric: its formula with references to other metrics expanded, over the
    aggregates of the scans."""

    name: str
    formula: BExpr
    type: Type


@frozen(kw_only=True)
class Plan:
    calendar: Calendar
    grain: str | None
    start: dt.datetime | None
    end: dt.datetime | None
    #: The instant "now" for state sources when the range has no end.
    as_of: dt.datetime
    dimensions: tuple[str, ...]
    reads: tuple[SourceRead, ...]
    scans: tuple[SourceScan, ...]
    metrics: tuple[MetricOutput, ...]

    def aggregate_columns(self) -> dict[BAggregate, str]:
        """Which cell column holds each aggregate."""
        return {f.aggregate: f.name for scan in self.scans for f in scan.aggregates}
