"""A query result as people read it (`ResultView`): each column's label, unit and target, each
value as the terminal shows it, and each metric value's status against its target. Formats
that show results to people (Markdown, XLSX) lay it out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyarrow as pa

from metricsmith.check.checked import DimensionInfo, MetricInfo
from metricsmith.model.time import DEFAULT_RULES, GRAINS, CalendarRules, Grain
from metricsmith.plugins.formats import ResultColumn, ResultView
from metricsmith.present.scorecard import MetricView
from metricsmith.present.values import describe_target, format_cell, format_period


def result_view(
    table: pa.Table,
    metrics: Sequence[MetricInfo],
    dimensions: Mapping[str, DimensionInfo] | None = None,
    calendar: CalendarRules = DEFAULT_RULES,
) -> ResultView:
    """The view of a result as the API returns it: the period column, the `by` columns, then
    one column per metric of `metrics`; fiscal periods named as `calendar` names them."""
    n_keys = table.num_columns - len(metrics)
    if n_keys < 0:
        raise ValueError(
            f"a result with {table.num_columns} columns cannot hold {len(metrics)} metrics"
        )
    dimensions = dimensions or {}
    columns = [_key_column(table, index, dimensions, calendar) for index in range(n_keys)]
    for index, metric in enumerate(metrics, start=n_keys):
        columns.append(_metric_column(table.column_names[index], table.column(index), metric))
    return ResultView(table, tuple(columns))


def key_texts(table: pa.Table, index: int, calendar: CalendarRules) -> list[str]:
    """A key column's values as text: the first column, named after a grain, as periods."""
    name = table.column_names[index]
    values = table.column(index).to_pylist()
    if index == 0 and name in GRAINS:
        return [format_period(v, Grain(name), calendar) for v in values]
    return [format_cell(v) for v in values]


def _key_column(
    table: pa.Table, index: int, dimensions: Mapping[str, DimensionInfo], calendar: CalendarRules
) -> ResultColumn:
    name = table.column_names[index]
    dimension = dimensions.get(name)
    return ResultColumn(
        name,
        (dimension.decl.label or name) if dimension else name,
        tuple(key_texts(table, index, calendar)),
        grain=name if index == 0 and name in GRAINS else None,
    )


def _metric_column(name: str, column: pa.ChunkedArray, metric: MetricInfo) -> ResultColumn:
    view = MetricView(metric.decl)
    values = column.to_pylist()
    target = describe_target(metric.decl)
    statuses = tuple(_status_name(view, v) for v in values) if target else ()
    return ResultColumn(
        name,
        view.label,
        tuple(view.formatted(v) for v in values),
        metric=True,
        unit=metric.decl.unit,
        format=metric.decl.format,
        target=target,
        statuses=statuses,
    )


def _status_name(view: MetricView, value: object) -> str | None:
    status = view.status(value)
    return None if status is None else str(status)
