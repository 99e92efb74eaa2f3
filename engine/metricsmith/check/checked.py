"""What the checker hands to the planner: a project whose formulas are resolved and typed."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
from attrs import field, frozen

from metricsmith.check.parameters import ParameterInfo
from metricsmith.errors import Diagnostic
from metricsmith.model.bound import BColumn, BExpr
from metricsmith.model.contracts import Contract
from metricsmith.model.decl import (
    ChartKind,
    Comparison,
    DimensionDecl,
    MetricDecl,
    ScorecardDecl,
    SourceDecl,
)
from metricsmith.model.expr import Expr
from metricsmith.model.time import MONTHS, CalendarRules, FiscalLabel, Grain
from metricsmith.model.types import Type
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.connector import SourceReader
from metricsmith.plugins.functions import FunctionTable

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@frozen(kw_only=True)
class Calendar:
    timezone: str = "UTC"
    week_start: str = "monday"
    fiscal_year_start: str = "january"
    fiscal_year_label: FiscalLabel = FiscalLabel.ENDING

    @property
    def week_start_index(self) -> int:
        """0 for Monday ... 6 for Sunday, as `datetime.weekday()` counts."""
        return WEEKDAYS.index(self.week_start)

    @property
    def rules(self) -> CalendarRules:
        """How the calendar cuts and names periods (plan/periods.py)."""
        return CalendarRules(
            week_start=self.week_start_index,
            fiscal_start=MONTHS.index(self.fiscal_year_start) + 1,
            fiscal_label=self.fiscal_year_label,
        )


@frozen(kw_only=True)
class SourceInfo:
    """A declared source with its opened reader and its columns' types.

    `physical` maps the reader's columns to their language types after any `column x: type`
    declaration (the executor casts those columns when it reads them); `declared` holds just
    the declared ones. `derived` lists derived columns (their bound formulas are inlined
    wherever they are used). `links` maps a link column to the source it points at.
    `contracts` are the promises about its data (`expect ...` and its key's uniqueness)."""

    decl: SourceDecl
    reader: SourceReader
    schema: pa.Schema
    physical: dict[str, Type]
    declared: dict[str, Type]
    derived: dict[str, BExpr]
    links: dict[str, str]
    contracts: tuple[Contract, ...] = ()
    #: Columns reached through the links that aggregates place rows by (`count(x) at
    #: accounts.signed_up_at`, conversions), named as written, with their formulas.
    placements: dict[str, BExpr] = field(factory=dict)

    @property
    def name(self) -> str:
        return self.decl.name.name

    @property
    def key(self) -> str | None:
        return self.decl.key.name if self.decl.key else None

    @property
    def time(self) -> str | None:
        return self.decl.time.name if self.decl.time else None

    @property
    def validity(self) -> tuple[str, str] | None:
        v = self.decl.validity
        return (v.start.name, v.end.name) if v else None

    def value_of(self, column: str) -> BExpr:
        """A column of the source's rows as a row formula: the column itself, or a derived
        column's formula. This is how a key, time, validity or link column that is derived
        (`column opened = opened_at` + `time opened`) is read."""
        if column in self.physical:
            return BColumn(source=self.name, path=(), column=column, type=self.physical[column])
        if column in self.derived:
            return self.derived[column]
        return self.placements[column]


@frozen(kw_only=True)
class MetricInfo:
    decl: MetricDecl
    formula: BExpr
    type: Type
    #: The library's namespace for an included metric (`customer_success`), None for the
    #: project's own.
    origin: str | None = None
    #: What the project's `override` changed (clauses, and "formula"); empty when nothing.
    overrides: tuple[str, ...] = ()
    #: A target read from the data (`target >= max(goals.nps_goal)`), bound as a metric's
    #: formula; None for a constant target or none.
    goal: BExpr | None = None

    @property
    def name(self) -> str:
        return self.decl.name.name


@frozen(kw_only=True)
class Need:
    """An input an included library metric reads that the project does not declare: a source
    (`column` None: the source itself, e.g. `count(tickets)`), a column of a source, or an
    entity to iterate over (`per user`)."""

    source: str = ""
    column: str | None = None
    entity: str | None = None

    def describe(self) -> str:
        if self.entity is not None:
            return f"entity `{self.entity}`"
        return f"`{self.source}.{self.column}`" if self.column else f"source `{self.source}`"

    @property
    def order(self) -> tuple[str, str, str]:
        return (self.source, self.column or "", self.entity or "")


@frozen(kw_only=True)
class Unavailable:
    """An included library metric that cannot be computed with the project's sources:
    `needs` is everything it lacks, its own and that of the metrics it uses; `through` names
    those metrics (empty when it lacks an input itself)."""

    decl: MetricDecl
    needs: tuple[Need, ...]
    through: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.decl.name.name


@frozen(kw_only=True)
class DimensionInfo:
    """A named dimension. A row dimension reads the rows of `source` (its root); an entity
    dimension (`source` None) is a metric-level `formula` evaluated for each entity of a
    per-entity aggregate, e.g. a health band computed from a per-account score."""

    decl: DimensionDecl
    source: str | None
    type: Type
    formula: BExpr | None = None

    @property
    def per_entity(self) -> bool:
        return self.source is None

    @property
    def name(self) -> str:
        return self.decl.name.name


@frozen(kw_only=True)
class ChartInfo:
    """A scorecard's chart, checked: its metrics with their signs (see `ChartDecl`), a
    waterfall's `total`, a heat map's rows and columns (label, formula) as a query's `by`."""

    kind: ChartKind
    title: str
    metrics: tuple[tuple[str, int], ...]
    total: str | None = None
    by: tuple[tuple[str, Expr], ...] = ()


@frozen(kw_only=True)
class SectionInfo:
    title: str
    metrics: tuple[str, ...]
    charts: tuple[ChartInfo, ...]


@frozen(kw_only=True)
class ScorecardInfo:
    """A scorecard, checked: every name it uses exists and every chart has its kind's shape.
    `by` pairs each dimension's label as written with its formula, as a query's `by`."""

    decl: ScorecardDecl
    grain: Grain
    periods: int
    comparisons: tuple[Comparison, ...]
    by: tuple[tuple[str, Expr], ...]
    sections: tuple[SectionInfo, ...]

    @property
    def name(self) -> str:
        return self.decl.name.name

    @property
    def title(self) -> str:
        return self.decl.label or self.name

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metrics computed per period, in order of appearance: those the sections list,
        then those their charts draw (a heat map's metric has its own query)."""
        listed = [m for s in self.sections for m in s.metrics]
        charted = [
            name
            for s in self.sections
            for c in s.charts
            if c.kind is not ChartKind.HEATMAP
            for name in (*(m for m, _ in c.metrics), *([c.total] if c.total else []))
        ]
        return tuple(dict.fromkeys([*listed, *charted]))

    @property
    def charts(self) -> tuple[ChartInfo, ...]:
        return tuple(c for s in self.sections for c in s.charts)


@frozen(kw_only=True)
class CheckedProject:
    calendar: Calendar
    sources: dict[str, SourceInfo]
    metrics: dict[str, MetricInfo]
    dimensions: dict[str, DimensionInfo]
    #: The functions the formulas were typed with; planning and every engine use these, never
    #: a registry of their own.
    functions: FunctionTable
    #: The named connections the project's sources and engines may use (plugins/connections.py).
    connections: Mapping[str, Connection] = field(factory=dict)
    #: The saved scorecards by name (`scorecard` declarations).
    scorecards: Mapping[str, ScorecardInfo] = field(factory=dict)
    #: Included library metrics whose inputs the project does not declare, by name; they are
    #: not in `metrics` (docs/language.md, "Including a library").
    unavailable: Mapping[str, Unavailable] = field(factory=dict)
    #: Qualified names (`customer_success.nps`) and the key in `metrics` each names.
    aliases: Mapping[str, str] = field(factory=dict)
    #: What checking noted without finding a problem (an override), as info diagnostics.
    notes: tuple[Diagnostic, ...] = ()
    #: The declared parameters by name (`parameter window: duration = 30 days`).
    parameters: Mapping[str, ParameterInfo] = field(factory=dict)

    def metric_key(self, name: str) -> str:
        """The key in `metrics` of a metric as a query names it, qualified or not."""
        return self.aliases.get(name, name)
