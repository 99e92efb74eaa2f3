"""Declarations: what a `.metrics` file defines."""

from __future__ import annotations

from enum import StrEnum
from typing import Union

from attrs import frozen

from metricsmith.model.expr import Expr, Literal, Parameter
from metricsmith.model.span import Span
from metricsmith.model.types import Type


@frozen(kw_only=True)
class Ident:
    """A name together with where it was written."""

    name: str
    span: Span


@frozen(kw_only=True)
class ParameterDecl:
    """`parameter window: duration = 30 days`: a named value of a declared type that a query
    may set (`--param window=14d`), written `$window` in formulas. `default` is the formula
    as written; the checker requires a constant of the type."""

    name: Ident
    type_name: Ident
    default: Expr
    span: Span


@frozen(kw_only=True)
class CalendarDecl:
    timezone: str
    week_start: str  # "monday" .. "sunday"
    span: Span
    # Fiscal calendars: the month fiscal years start in (`april`) and whether a fiscal year
    # is named by the year it ends or starts in; None when not written.
    fiscal_year_start: Ident | None = None
    fiscal_year_label: Ident | None = None


@frozen(kw_only=True)
class ConnectorCall:
    """`csv("data/x.csv", delimiter=";")`: which connector reads a source, with its arguments."""

    name: Ident
    args: tuple[Literal, ...]
    options: tuple[tuple[str, Literal], ...]
    span: Span


@frozen(kw_only=True)
class EntityLink:
    """`entity account_id -> accounts`: each row's `column` names one row of `target`."""

    column: Ident
    target: Ident
    span: Span


@frozen(kw_only=True)
class EntityIdentity:
    """`entity user_id as user`: the column identifies an entity that has no source of its
    own; every source declaring the same entity name can be iterated `per user` together."""

    column: Ident
    entity: Ident
    span: Span


@frozen(kw_only=True)
class Validity:
    """`valid from a to b`: a state source whose rows are in force over [a, b)."""

    start: Ident
    end: Ident
    span: Span


@frozen(kw_only=True)
class ColumnDecl:
    """`column name: type` declares a column's type; `column name = expr` derives one."""

    name: Ident
    type: Type | None
    expr: Expr | None
    span: Span


@frozen(kw_only=True)
class ExpectUnique:
    """`expect unique a, b`: no two rows share the same values of these columns (rows with a
    null among them are not compared, as SQL's UNIQUE)."""

    columns: tuple[Ident, ...]
    span: Span


@frozen(kw_only=True)
class ExpectIn:
    """`expect account_id in accounts`: every non-null value of the row formula is a key of
    `target` (link integrity, as a foreign key)."""

    value: Expr
    target: Ident
    span: Span


@frozen(kw_only=True)
class ExpectCondition:
    """`expect mrr >= 0`: a row condition no row may make false (null passes, as a SQL
    CHECK; `expect x is not null` is how a column is required)."""

    condition: Expr
    span: Span


Expectation = Union[ExpectUnique, ExpectIn, ExpectCondition]  # noqa: UP007


@frozen(kw_only=True)
class SourceDecl:
    name: Ident
    connector: ConnectorCall
    key: Ident | None
    time: Ident | None
    links: tuple[EntityLink, ...]
    identities: tuple[EntityIdentity, ...] = ()
    validity: Validity | None
    columns: tuple[ColumnDecl, ...]
    expectations: tuple[Expectation, ...] = ()
    span: Span

    @property
    def base_dir(self) -> str:
        """The folder relative data paths resolve against: the defining file's folder."""
        import os

        return os.path.dirname(os.path.abspath(self.span.path))


class Written(StrEnum):
    """How a target's numbers were written: plain, as a percentage (`80%`, kept as 0.8), or as
    a duration (`4 hours`, kept in seconds until the checker puts it in the metric's unit)."""

    NUMBER = "number"
    PERCENT = "percent"
    DURATION = "duration"


@frozen(kw_only=True)
class Target:
    """`target >= 40`: the value a metric should reach, compared with `op`. A bare
    `target 40` takes its comparison from the metric's direction (`>=` when higher is better,
    `<=` when lower); without a direction `op` stays empty and the checker reports it.

    `target between 60 and 80` is a range (`op` "between", `value` its low end, `high` its
    high end). `warn` is the amber band, itself a target without a band of its own
    (`target >= 40 warn >= 30`: green from 40, amber from 30, red below; model/targets.py).
    `goal` is a target read from the data (`target >= max(goals.nps_goal)`): a metric-level
    formula computed per period and slice beside the metric, `value` then None."""

    op: str  # ">=", "<=", ">", "<", "==", "between" or ""
    value: float | None
    span: Span
    high: float | None = None
    goal: Expr | None = None
    written: Written = Written.NUMBER
    warn: Target | None = None
    #: `target >= $goal`: the parameter setting the value per query; `value` holds its
    #: default once checked (check/project.py), and a query's value when one sets it.
    parameter: Parameter | None = None


@frozen(kw_only=True)
class MetricDecl:
    name: Ident
    label: str | None
    formula: Expr
    description: str | None
    unit: str | None
    format: str | None
    direction: str | None  # "higher" or "lower"
    target: Target | None
    span: Span


@frozen(kw_only=True)
class OverrideDecl:
    """`override nps target >= 40  label "NPS (our goal)"`: a project's changes to a metric it
    includes (from a library). Each clause left None keeps the library's; a `formula` replaces
    the library's formula under the same name (docs/language.md, "override")."""

    name: Ident
    label: str | None
    formula: Expr | None
    description: str | None
    unit: str | None
    format: str | None
    direction: str | None
    target: Target | None
    span: Span
    #: `override nps warn >= 25` alone: an amber band around the library's own target.
    warn: Target | None = None


@frozen(kw_only=True)
class DimensionDecl:
    """`dimension size_band = case ... end`: a named row-level expression to slice by."""

    name: Ident
    label: str | None
    expr: Expr
    span: Span


@frozen(kw_only=True)
class IncludeDecl:
    """`include "../library"`: more definition files (a path relative to this file, or the
    name of a metric library a plugin ships); `include customer_success.revenue` names a
    library, or one theme of it, and never a path."""

    target: str
    span: Span
    #: Where the target is written, for problems with the path or the name itself.
    target_span: Span
    #: Written unquoted: the name of a library (and theme), not a path.
    library: bool = False


@frozen(kw_only=True)
class ProjectDecl:
    """`project { confine paths  data_roots "data", "/srv/lake" }`: where the project may read
    (docs/security.md). Data roots are string literals, relative to this file's folder."""

    confine: bool
    data_roots: tuple[Literal, ...]
    span: Span


class Comparison(StrEnum):
    """What a scorecard compares each period with."""

    PREVIOUS = "previous"  # the period before
    SAME_PERIOD_LAST_YEAR = "same_period_last_year"


class ChartKind(StrEnum):
    TREND = "trend"  # one line per metric over the periods (every metric has one)
    WATERFALL = "waterfall"  # a bridge: a start, signed movements, an end (the MRR bridge)
    STACKED = "stacked"  # shares that add up, stacked per period (the health mix)
    HEATMAP = "heatmap"  # a metric by cohort and age (a retention triangle)


#: The charts a scorecard declares (every metric has its trend without asking).
DECLARED_CHARTS = (ChartKind.WATERFALL, ChartKind.STACKED, ChartKind.HEATMAP)


@frozen(kw_only=True)
class ChartDecl:
    """`chart waterfall "MRR bridge" = starting_mrr + new_mrr - churned_mrr -> mrr`, as
    written: its kind, title, the formulas after `=`, the name after `->` and the dimensions
    after `by` (`by cohort(...), age`); the checker reads them by kind (check/scorecards.py)."""

    kind: Ident
    title: str
    formulas: tuple[Expr, ...]
    total: Ident | None
    by: tuple[Expr, ...]
    span: Span


@frozen(kw_only=True)
class SectionDecl:
    """`section "Revenue" { metrics mrr, ndr  chart ... }`: a themed group of a scorecard."""

    title: str
    metrics: tuple[Ident, ...]
    charts: tuple[ChartDecl, ...]
    span: Span


@frozen(kw_only=True)
class ScorecardDecl:
    """`scorecard monthly_cs "Monthly customer success" { ... }` as written: metrics reviewed
    every `grain` (None: not written), the latest `periods` of them shown, compared with
    `comparisons`, optionally sliced `by` row dimensions. Metrics and charts written outside
    any section form a first section titled after the scorecard."""

    name: Ident
    label: str | None
    description: str | None
    grain: Ident | None
    periods: int | None
    comparisons: tuple[Ident, ...]
    by: tuple[Expr, ...]
    sections: tuple[SectionDecl, ...]
    span: Span


@frozen(kw_only=True)
class UnparsedDecl:
    """A declaration whose text did not parse (the syntax error is reported): its kind and
    name, read from its first two words, so that the rest of the project is checked knowing the
    name exists instead of reporting every use of it as unknown."""

    kind: str  # "source", "metric", "dimension" or "parameter"
    name: Ident
    span: Span


Decl = Union[  # noqa: UP007
    CalendarDecl,
    SourceDecl,
    MetricDecl,
    OverrideDecl,
    DimensionDecl,
    IncludeDecl,
    ProjectDecl,
    ScorecardDecl,
    ParameterDecl,
    UnparsedDecl,
]


@frozen(kw_only=True)
class Module:
    """One parsed `.metrics` file."""

    path: str
    decls: tuple[Decl, ...]
    #: The library an included file belongs to (`customer_success`), None for the project's
    #: own files: its metrics can be named `customer_success.nps` and overridden.
    namespace: str | None = None
