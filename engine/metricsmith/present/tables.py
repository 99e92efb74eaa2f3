"""Rich tables for the terminal: query results with targets marked, and project listings."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

import pyarrow as pa
from rich.table import Table
from rich.text import Text

from metricsmith.builtin.markdown import STATUS_MARKS
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
from metricsmith.model.targets import status_column_name
from metricsmith.model.time import DEFAULT_RULES, CalendarRules
from metricsmith.plan.formatting import format_expr
from metricsmith.plugins.formats import ResultColumn
from metricsmith.present.result_view import key_count, result_view
from metricsmith.present.values import MISSING, describe_target, heading_details

#: The colour of each status's mark in the terminal (the marks are the Markdown's circles).
STATUS_COLOURS = {"green": "green", "amber": "yellow", "red": "red"}


def result_table(
    table: pa.Table,
    metrics: Sequence[MetricInfo],
    dimensions: Mapping[str, DimensionInfo] | None = None,
    calendar: CalendarRules = DEFAULT_RULES,
    companions: bool = True,
) -> Table:
    """A query result as the API returns it (the period column named after its grain, the
    `by` columns, one column per metric, then any status columns asked for) with periods
    named, values in each metric's format and their statuses marked (🟢 🟡 🔴). Columns of
    named `dimensions` are headed by their labels; fiscal periods are named as `calendar`
    names them. Without `companions` the target and status columns only mark the values and
    are not shown themselves."""
    view = result_view(table, metrics, dimensions, calendar)
    out = Table(show_edge=False, header_style="bold")
    columns: list[list[Text | str]] = []
    n_keys = key_count(table, len(metrics))
    infos = {index: metric for index, metric in enumerate(metrics, start=n_keys)}
    status_columns = {status_column_name(name) for name in table.column_names}
    for index, column in enumerate(view.columns):
        info = infos.get(index)
        if not companions and index >= n_keys + len(metrics):
            continue
        if info is not None:
            out.add_column(_metric_header(info.decl), justify="right")
            columns.append(
                [_marked(text, status, column) for text, status in _with_statuses(column)]
            )
        elif column.name in status_columns:
            out.add_column(column.heading)
            words = table.column(column.name).to_pylist()
            columns.append(
                [_marked(t, w, column) for t, w in zip(column.texts, words, strict=True)]
            )
        else:
            out.add_column(column.heading, justify="right" if column.metric else "left")
            columns.append(list(column.texts))
    for row in zip(*columns, strict=True):
        out.add_row(*row)
    return out


def _with_statuses(column: ResultColumn) -> list[tuple[str, str | None]]:
    statuses = column.statuses or (None,) * len(column.texts)
    return list(zip(column.texts, statuses, strict=True))


def _marked(text: str, status: str | None, column: ResultColumn) -> Text | str:
    """A value with its status's mark, coloured; a value without one keeps its column's
    alignment (a metric with a target)."""
    if status is None:
        return f"{text}  " if column.target else text
    if not column.metric:  # a status column: the mark and the word are its text already
        return Text(text, style=STATUS_COLOURS[status])
    return Text(f"{text} {STATUS_MARKS[status]}", style=STATUS_COLOURS[status])


def _metric_header(metric: MetricDecl) -> Text:
    """The label, and under it the unit and the target: `CSAT` / `points (1-5), target ≥ 4`."""
    header = Text(metric.label or metric.name.name)
    details = heading_details(metric)
    if details:
        header.append(f"\n{details}", style="dim")
    return header


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
