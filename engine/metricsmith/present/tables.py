"""Rich tables for the terminal: query results with targets marked, and project listings."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

import pyarrow as pa
from rich.table import Table
from rich.text import Text

from metricsmith.check.checked import (
    DimensionInfo,
    MetricInfo,
    ScorecardInfo,
    SourceInfo,
    Unavailable,
)
from metricsmith.check.parameters import ParameterInfo
from metricsmith.model.bound import BLiteral
from metricsmith.model.decl import MetricDecl
from metricsmith.model.time import DEFAULT_RULES, CalendarRules
from metricsmith.plan.formatting import format_expr
from metricsmith.present.result_view import key_texts
from metricsmith.present.values import (
    MISSING,
    describe_target,
    format_metric_value,
    heading_details,
    meets_target,
)

ON_TARGET = ("✓", "green")
OFF_TARGET = ("✗", "red")


def result_table(
    table: pa.Table,
    metrics: Sequence[MetricInfo],
    dimensions: Mapping[str, DimensionInfo] | None = None,
    calendar: CalendarRules = DEFAULT_RULES,
) -> Table:
    """A query result as the API returns it (the period column named after its grain, the
    `by` columns, then one column per metric) with periods named, values in each metric's
    format and targets marked. Columns of named `dimensions` are headed by their labels; fiscal
    periods are named as `calendar` names them."""
    n_keys = table.num_columns - len(metrics)
    if n_keys < 0:
        raise ValueError(
            f"a result with {table.num_columns} columns cannot hold {len(metrics)} metrics"
        )
    out = Table(show_edge=False, header_style="bold")
    columns: list[list[Text | str]] = []
    dimensions = dimensions or {}
    for index, name in enumerate(table.column_names[:n_keys]):
        dimension = dimensions.get(name)
        out.add_column((dimension.decl.label or name) if dimension else name)
        columns.append(list(key_texts(table, index, calendar)))
    for index, metric in enumerate(metrics, start=n_keys):
        out.add_column(_metric_header(metric.decl), justify="right")
        values = table.column(index).to_pylist()
        columns.append([_metric_cell(v, metric.decl) for v in values])
    for row in zip(*columns, strict=True):
        out.add_row(*row)
    return out


def _metric_header(metric: MetricDecl) -> Text:
    """The label, and under it the unit and the target: `CSAT` / `points (1-5), target ≥ 4`."""
    header = Text(metric.label or metric.name.name)
    details = heading_details(metric)
    if details:
        header.append(f"\n{details}", style="dim")
    return header


def _metric_cell(value: object, metric: MetricDecl) -> Text | str:
    shown = format_metric_value(value, metric)
    verdict = meets_target(value, metric)
    if verdict is None:
        # keep dashes in line with the marked values of a column that has a target
        return f"{shown}  " if metric.target is not None else shown
    glyph, colour = ON_TARGET if verdict else OFF_TARGET
    return Text(f"{shown} {glyph}", style=colour)


def metrics_table(metrics: Mapping[str, MetricInfo], origins: Mapping[str, str]) -> Table:
    """The metrics, each with where it comes from (`origins`: a pack's theme or a file)."""
    return listing(
        ("metric", "from", "label", "type", "unit", "better", "target", "description"),
        (
            (
                name,
                _origin(origins.get(name, "–"), info),
                _or_dash(info.decl.label),
                info.decl.format or str(info.type),
                _or_dash(info.decl.unit),
                _or_dash(info.decl.direction),
                _or_dash(describe_target(info.decl)),
                _or_dash(info.decl.description),
            )
            for name, info in sorted(metrics.items())
        ),
    )


def unavailable_table(unavailable: Mapping[str, Unavailable]) -> Table:
    """The included library metrics the project lacks the inputs of, and what each needs."""
    return listing(
        ("metric", "label", "needs"),
        (
            (
                name,
                _or_dash(item.decl.label),
                ", ".join(need.describe() for need in item.needs),
            )
            for name, item in sorted(unavailable.items())
        ),
    )


def _origin(where: str, info: MetricInfo) -> str:
    """Where a metric comes from (a pack's theme or a file), and what the project's `override`
    changed."""
    if info.overrides:
        return f"{where}, overridden: {', '.join(info.overrides)}"
    return where


def sources_table(sources: Mapping[str, SourceInfo]) -> Table:
    return listing(
        ("source", "reads", "key", "time", "links", "columns"),
        (
            (
                name,
                f"{info.decl.connector.name.name}: {_short_location(info.reader.location)}",
                _or_dash(info.key),
                _time_of(info),
                _or_dash(", ".join(f"{col} → {to}" for col, to in sorted(info.links.items()))),
                str(len(info.physical) + len(info.derived)),
            )
            for name, info in sorted(sources.items())
        ),
    )


def dimensions_table(dimensions: Mapping[str, DimensionInfo]) -> Table:
    return listing(
        ("dimension", "label", "source", "type"),
        (
            (name, _or_dash(info.decl.label), info.source, str(info.type))
            for name, info in sorted(dimensions.items())
        ),
    )


def scorecards_table(scorecards: Mapping[str, ScorecardInfo]) -> Table:
    return listing(
        ("scorecard", "title", "grain", "metrics", "description"),
        (
            (
                name,
                info.title,
                info.grain,
                str(len(info.metrics)),
                _or_dash(info.decl.description),
            )
            for name, info in sorted(scorecards.items())
        ),
    )


def parameters_table(parameters: Mapping[str, ParameterInfo]) -> Table:
    """The declared parameters: each as formulas read it, its type and its default."""
    return listing(
        ("parameter", "type", "default"),
        (
            (f"${name}", str(info.type), format_expr(BLiteral(value=info.default, type=info.type)))
            for name, info in sorted(parameters.items())
        ),
    )


def listing(headers: Sequence[str], rows: Iterable[Sequence[str | None]]) -> Table:
    """A borderless listing whose last column wraps (descriptions, hook lists); a None cell
    is left blank."""
    out = Table(show_edge=False, header_style="bold", box=None, pad_edge=False)
    for header in headers[:-1]:
        out.add_column(header, no_wrap=True)
    out.add_column(headers[-1], overflow="fold")
    for row in rows:
        out.add_row(*row)
    return out


def _time_of(source: SourceInfo) -> str:
    if source.validity:
        return "valid {} to {}".format(*source.validity)
    return _or_dash(source.time)


def _short_location(location: str) -> str:
    """A file below the working folder by its relative path; anything else as it is."""
    if not os.path.isabs(location):
        return location
    try:
        relative = os.path.relpath(location)
    except ValueError:  # on another drive (Windows)
        return location
    return location if relative.startswith(os.pardir) else relative


def _or_dash(text: str | None) -> str:
    return text if text else MISSING
