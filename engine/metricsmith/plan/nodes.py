"""The logical plan: what a query reads, how each source's rows are grouped, what is computed.

A plan is backend-neutral data. Each source is read once (`SourceRead`: projection and
time-range pushdown). Formulas are evaluated at *levels* (`Level`): the query's own cells, and
below them the cells of every `per` (one value per entity, or per day inside a month). At each
level every source gets one `SourceScan` per window that places its rows in the level's periods,
joins its links, filters, and computes all of its aggregates in a single grouped pass; the
formulas then combine the aggregates cell by cell, and a child level's `per` aggregates are
combined into one value per parent cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum

import pyarrow as pa
from attrs import frozen

from metricsmith.check.checked import Calendar
from metricsmith.check.query import AGE, DEFAULT_MAX_PERIODS, BoundMetric
from metricsmith.model.bound import (
    BAggregate,
    BExpr,
    BLiteral,
    BPer,
    BWindow,
    Entity,
    EntityKind,
    bwalk,
)
from metricsmith.model.contracts import Contract
from metricsmith.model.time import Grain, WindowKind
from metricsmith.model.types import arrow_type
from metricsmith.plugins.connector import TimeRange
from metricsmith.plugins.functions import Additive

#: The dimension label asking for each cohort's age instead of calendar periods.


@frozen
class EventTime:
    """Each row happens at an instant: it belongs to the period containing `column`.

    Here and wherever the plan names a source's key, time, validity or link column, the
    column may be derived: engines read its value as `SourceInfo.value_of(column)`, and the
    scan's joins include the links a derived time reads through."""

    column: str


@frozen
class StateTime:
    """Each row is in force over `[start, end)` (`end` null: still in force); it counts in
    every period whose end it is in force at (docs/time-intelligence.md, "State sources")."""

    start: str
    end: str


#: How a scan's rows are placed in periods: the closed union every engine dispatches over
#: (None: the source has no time, its rows belong to every period).
TimeAxis = EventTime | StateTime


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
    value per cell, `leaf` the node formulas refer to it by (the aggregate, or the window
    around it in a windowed scan)."""

    name: str
    aggregate: BAggregate
    leaf: BAggregate | BWindow


@frozen
class WindowSpec:
    """Which rows an aggregate reads at each period end `e` instead of the period's own:
    `last` `count` units (`[e - count units, e)`), `to_date` (from the start of the calendar
    `unit` containing the period's last instant), or `all_time`."""

    kind: WindowKind
    count: int | None = None
    unit: Grain | None = None

    @classmethod
    def of(cls, node: BWindow) -> WindowSpec:
        return cls(node.kind, node.count, node.unit)

    def describe(self) -> str:
        if self.kind is WindowKind.LAST:
            plural = "" if self.count == 1 else "s"
            return f"last {self.count} {self.unit}{plural}"
        if self.kind is WindowKind.TO_DATE:
            return f"{self.unit} to date"
        return "all time"


@frozen(kw_only=True)
class SourceScan:
    """All aggregates over one root source with the same window, computed in one grouped pass
    over its rows at one level.

    `dimensions` (the level's row dimensions, in order) and `filters` are row formulas bound
    against the root; `entity` (per-entity levels) names each row's entity and is grouped on
    after them; `joins` lists every link path they or the aggregates follow."""

    source: str
    time: TimeAxis | None
    dimensions: tuple[BExpr, ...]
    filters: tuple[BExpr, ...]
    joins: tuple[Join, ...]
    aggregates: tuple[FusedAggregate, ...]
    entity: BExpr | None = None
    window: WindowSpec | None = None
    #: Every row names one of the level's members: a verified complete link (`Plan.relies_on`).
    entity_complete: bool = False


@frozen(kw_only=True)
class EntityMembers:
    """The entities a `per` over a source with a key iterates over: that source's rows, each
    existing from its `time` on (from the start when it has none), with the level's row
    dimensions and the query's filters bound against it."""

    source: str
    key: str
    time: str | None
    dimensions: tuple[BExpr, ...]
    filters: tuple[BExpr, ...]
    joins: tuple[Join, ...]
    #: No row of the level's scans is placed before its member exists (from its `time`), so
    #: a member's cells before then are over no rows: verified contracts (`Plan.relies_on`).
    rows_after_time: bool = False
    #: Every member has its `time` (a verified contract), so exists from a known period:
    #: with `rows_after_time`, every row is in a cell of its member's entity set.
    time_known: bool = False

    def as_scan(self) -> SourceScan:
        """The members' rows as a pass without aggregates: the same source, links, row
        dimensions and filters, each member existing from its `time` (an event time)."""
        return SourceScan(
            source=self.source,
            time=None if self.time is None else EventTime(self.time),
            dimensions=self.dimensions,
            filters=self.filters,
            joins=self.joins,
            aggregates=(),
        )


class Pass(StrEnum):
    """How a scan's grouped pass is computed (plan/physical.py decides)."""

    #: Each row placed in every period it counts in, then grouped.
    PLAIN = "plain"
    #: From each row's range of periods: its weight added where the range starts and taken
    #: away after it ends, a period's value the running total.
    RANGED = "ranged"
    #: Counted in the pass of the scan whose `counts` names it (no pass of its own).
    COUNTED = "counted"


@frozen
class ScanPhysical:
    """How one scan of a level is computed: `weights` what each row adds to each of its
    aggregates (in order) when every one is additive (None otherwise), `pass_` its pass, and
    `counts` the index of the sibling scan (an all-time window's additive state counts over
    the same rows) whose changes this scan's pass also gives."""

    weights: tuple[Additive, ...] | None
    pass_: Pass
    counts: int | None = None

    @property
    def additive(self) -> bool:
        return self.weights is not None


@frozen(kw_only=True)
class PerAggregate:
    """One `agg(per ...)` of a parent level: its body and condition are evaluated in the child
    level, then combined into one value per parent cell; `name` is the parent's column."""

    name: str
    per: BPer


@frozen(kw_only=True)
class PerLevel:
    """A child level and every `per` aggregate of the parent it serves (those iterating over
    the same entity or sub-period share it). `reach` is how many of the parent's periods
    before its first cell the parent reads these aggregates at (offsets above them): the
    child iterates from there. `entity_dimensions` are the query's per-entity dimensions
    (label, formula), evaluated in the child for each entity and grouped on when combining.
    The child level's periods derive from its parent's by these fields alone
    (plan/timeline.py `child_timeline`).

    `without_rows` (sub-periods that find entities) is the child as a unit its rows do not
    name evaluates it: every aggregate its value over no rows (plan/no_rows.py), planned
    without the parent's keys, its aggregates named like the child's. Such a unit of the
    parent is iterated over every sub-period all the same (docs/time-intelligence.md,
    Nesting), so a parent cell the child has no value for takes this one's in its period."""

    level: Level
    reach: int
    aggregates: tuple[PerAggregate, ...]
    entity_dimensions: tuple[tuple[str, BExpr], ...] = ()
    without_rows: PerLevel | None = None
    #: Whether the child, a level over members, computes only the cells that can matter to
    #: its parent (plan/physical.py).
    prunes: bool = False

    @property
    def over_periods(self) -> bool:
        """Whether the child iterates over sub-periods (`per day`) rather than entities."""
        return self.aggregates[0].per.entity.kind is EntityKind.PERIOD

    @property
    def finds_entities(self) -> bool:
        """Whether the child's cells say which entities its parent iterates: sub-periods
        below an identifier entity, whose values are those the rows read in the parent's
        period name, the days' rows included (`avg(per user: max(per day: ...))`)."""
        entity = self.level.entity
        return self.over_periods and entity is not None and entity.kind is EntityKind.IDENTIFIER


@frozen(kw_only=True)
class Level:
    """Where formulas are evaluated: one value per (period, unit).

    At the query's own level and in sub-period levels (`per day`) the units are the
    combinations of the query's dimensions; in a per-entity level they are the entities (with
    the row dimensions they belong to). `grain` is the level's period length; `extension` the
    number of periods computed before the first period its parent reads it at (before the
    range at the top), because offsets in the level's formulas read them. `labels` names the
    level's dimensions (the row dimensions at a per-entity level, all query dimensions
    otherwise)."""

    grain: Grain | None
    extension: int
    entity: Entity | None
    members: EntityMembers | None
    labels: tuple[str, ...]
    scans: tuple[SourceScan, ...]
    children: tuple[PerLevel, ...]
    #: How each of `scans` is computed, in order (plan/physical.py `annotate` sets it).
    physical: tuple[ScanPhysical, ...] = ()
    #: Whether a formula evaluated at this level reads `cohort_start(...)`, so its cells
    #: need each unit's cohort period.
    reads_cohort_start: bool = False

    def leaf_columns(self) -> dict[BExpr, str]:
        """Which column holds each leaf of the level's formulas: an aggregate, a windowed
        aggregate, or a `per` aggregate."""
        columns: dict[BExpr, str] = {f.leaf: f.name for s in self.scans for f in s.aggregates}
        for child in self.children:
            columns.update((a.per, a.name) for a in child.aggregates)
        return columns

    def walk(self) -> Iterator[Level]:
        """This level and every level below it."""
        yield self
        for child in self.children:
            yield from child.level.walk()


@frozen(kw_only=True)
class SourceRead:
    """One read of one source: the columns every scan and join needs, and the time range the
    reader may restrict rows to (None when all rows are needed)."""

    source: str
    columns: tuple[str, ...]
    time_range: TimeRange | None


@frozen(kw_only=True)
class CohortAxis:
    """`by` a cohort and `age`: the result has a row per (cohort, age) instead of one per
    calendar period. `cohort` is the position of the cohort dimension among the plan's
    dimensions, `age` the position the age column takes among them in the result."""

    cohort: int
    age: int


@frozen
class Reliance:
    """A contract verified to hold on the data that a plan takes a shortcut by, and what the
    shortcut is (plan/reliance.py)."""

    contract: Contract
    use: str

    def describe(self) -> str:
        return f"{self.contract.source}: {self.contract.text} (verified; {self.use})"


@frozen(kw_only=True)
class Plan:
    calendar: Calendar
    grain: Grain | None
    start: dt.datetime | None
    end: dt.datetime | None
    #: The instant "now" for state sources when the range has no end.
    as_of: dt.datetime
    #: The query's dimensions (labels as written, without `age`), in order.
    dimensions: tuple[str, ...]
    #: Which of them is `cohort(...)` (its position), if any: what `cohort_start` reads.
    cohort_dimension: int | None
    #: Set when the query asks for `age`.
    cohort_axis: CohortAxis | None
    reads: tuple[SourceRead, ...]
    top: Level
    metrics: tuple[BoundMetric, ...]
    #: The most periods the executors may lay out (None: no limit), see `Query.max_periods`.
    max_periods: int | None = DEFAULT_MAX_PERIODS
    #: The Arrow type of each of `dimensions` in the answer (plan/schema.py).
    dimension_types: tuple[pa.DataType, ...] = ()
    #: The value of every declared parameter for this query, by name: what each `BParameter`
    #: of the formulas stands for (the SQL engines bind it to a placeholder).
    parameters: tuple[tuple[str, BLiteral], ...] = ()
    #: The first day of every period of the cohort dimension's grain overlapping the range:
    #: each is a cohort of the query's own level even without rows (docs/time-intelligence.md,
    #: "Cohorts"); none when the range is read from the data.
    cohorts: tuple[dt.date, ...] = ()
    #: The verified contracts the plan takes a shortcut by (plan/reliance.py).
    relies_on: tuple[Reliance, ...] = ()

    @property
    def scans(self) -> tuple[SourceScan, ...]:
        """The grouped passes of the query's own level."""
        return self.top.scans

    def parameter_values(self) -> dict[str, BLiteral]:
        """The value of each parameter, by name."""
        return dict(self.parameters)

    def settling(self) -> dict[str, dt.timedelta]:
        """The metrics whose value of a period is final only some time after the period's end
        (they read a conversion), with that time: the longest window they read. Their
        periods more recent than that before `as_of` are null (execute/data/settling.py)."""
        found = {}
        for metric in self.metrics:
            windows = [
                node.settles
                for node in bwalk(metric.formula)
                if isinstance(node, BAggregate) and node.settles is not None
            ]
            if windows:
                found[metric.name] = max(windows)
        return found

    @property
    def range_cohorts_only(self) -> bool:
        """Whether only the rows and members of the range's cohorts can reach the answer: by
        age, with the cohort the query's one dimension. With another dimension every cohort
        of the range has a row for each of its values seen in any cohort's rows, earlier
        cohorts' included, so those rows still matter."""
        if self.cohort_axis is None or self.cohort_dimension is None or not self.cohorts:
            return False
        return len(self.dimensions) == 1

    def aggregate_columns(self) -> dict[BExpr, str]:
        """Which cell column holds each leaf of the metric formulas."""
        return self.top.leaf_columns()

    def result_schema(self) -> pa.Schema:
        """The columns of the answer every engine returns, exactly: the period (named after
        the grain, each period's first day) unless the query asks for ages, the dimensions as
        written (with `age`, an integer, where the query asks for it), then the metrics, each
        of its language type (timestamps in the calendar's zone)."""
        fields = []
        if self.grain is not None and self.cohort_axis is None:
            fields.append(pa.field(self.grain, pa.date32()))
        dimensions = [
            pa.field(label, type_)
            for label, type_ in zip(self.dimensions, self.dimension_types, strict=True)
        ]
        if self.cohort_axis is not None:
            dimensions.insert(self.cohort_axis.age, pa.field(AGE, pa.int64()))
        fields += dimensions
        timezone = self.calendar.timezone
        for metric in self.metrics:
            fields.append(pa.field(metric.name, arrow_type(metric.type, timezone) or pa.null()))
        return pa.schema(fields)
