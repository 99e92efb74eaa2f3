"""A query result as people read it (`ResultView`): each column's label, unit and target, each
value as the terminal shows it, and each metric value's status against its target. Formats
that show results to people (Markdown, XLSX) lay it out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyarrow as pa

from metricsmith.builtin.markdown import STATUS_MARKS
from metricsmith.check.checked import DimensionInfo, MetricInfo
from metricsmith.model.targets import status_column_name, target_column
from metricsmith.model.time import DEFAULT_RULES, GRAINS, CalendarRules, Grain
from metricsmith.plugins.formats import ResultColumn, ResultView
from metricsmith.present.scorecard import MetricView
from metricsmith.present.values import MISSING, describe_target, format_cell, format_period


def result_view(
    table: pa.Table,
    metrics: Sequence[MetricInfo],
    dimensions: Mapping[str, DimensionInfo] | None = None,
    calendar: CalendarRules = DEFAULT_RULES,
) -> ResultView:
    """The view of a result as the API returns it: the period column, the `by` columns, one
    column per metric of `metrics`, then the status columns asked for (`<metric>:target`,
    `<metric>:status`); fiscal periods named as `calendar` names them."""
    n_keys = key_count(table, len(metrics))
    dimensions = dimensions or {}
    columns = [_key_column(table, index, dimensions, calendar) for index in range(n_keys)]
    targets, statuses = {}, {}
    for index, metric in enumerate(metrics, start=n_keys):
        name = table.column_names[index]
        goals = goal_values(table, name)
        columns.append(_metric_column(name, table.column(index), metric, goals))
        targets[target_column(name)] = statuses[status_column_name(name)] = metric
    for index in range(n_keys + len(metrics), table.num_columns):
        name = table.column_names[index]
        values = table.column(index).to_pylist()
        if name in targets:  # a target read from the data, in its metric's format
            view = MetricView(targets[name].decl)
            texts = tuple(view.formatted(v) for v in values)
            columns.append(ResultColumn(name, f"{view.label} target", texts, metric=True))
        else:
            label = f"{MetricView(statuses[name].decl).label} status"
            columns.append(ResultColumn(name, label, tuple(status_text(v) for v in values)))
    return ResultView(table, tuple(columns))


def key_count(table: pa.Table, metrics: int) -> int:
    """How many key columns (the period, the `by` columns) lead a result of `metrics`
    metrics: all but the metrics and the status columns asked for after them (named after
    a column of the result: `nps:status`)."""
    names = table.column_names
    companions = {c for name in names for c in (target_column(name), status_column_name(name))}
    n_keys = table.num_columns - metrics - sum(1 for name in names if name in companions)
    if n_keys < 0:
        raise ValueError(f"a result with {table.num_columns} columns cannot hold {metrics} metrics")
    return n_keys


def goal_values(table: pa.Table, metric: str) -> list[object] | None:
    """The metric's target per row when the result holds it (a target read from the data,
    asked for with the status), else None."""
    name = target_column(metric)
    return table.column(name).to_pylist() if name in table.column_names else None


def status_text(word: object) -> str:
    """A status as a reader sees it: `🟢 green`; a dash for none."""
    return f"{STATUS_MARKS[str(word)]} {word}" if word is not None else MISSING


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


def _metric_column(
    name: str, column: pa.ChunkedArray, metric: MetricInfo, goals: list[object] | None
) -> ResultColumn:
    view = MetricView(metric.decl)
    values = column.to_pylist()
    target = describe_target(metric.decl)
    goals = goals or [None] * len(values)
    statuses = tuple(_status_name(view, v, g) for v, g in zip(values, goals, strict=True))
    return ResultColumn(
        name,
        view.label,
        tuple(view.formatted(v) for v in values),
        metric=True,
        unit=metric.decl.unit,
        format=metric.decl.format,
        target=target,
        statuses=statuses if target else (),
    )


def _status_name(view: MetricView, value: object, goal: object) -> str | None:
    status = view.status(value, goal)
    return None if status is None else str(status)
