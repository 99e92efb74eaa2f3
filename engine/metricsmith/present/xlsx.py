"""A scorecard as an Excel workbook: a `Scorecard` sheet with one row per metric (its current
value, target, status and changes) and a `Values` sheet with every period's values.

Cells keep numbers and dates, shown by number formats that follow each metric's `format`,
and statuses fill cells green, amber or red, as the `xlsx` output format does for a query
result (builtin/xlsx.py, whose pieces this reuses).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from metricsmith.builtin.xlsx import (
    cell_text,
    fit_widths,
    key_value,
    metric_value,
    new_workbook,
    number_format,
    paint,
    save,
    workbook_bytes,
    write_header,
    write_result,
)
from metricsmith.plugins.formats import ResultColumn, ResultView, heading
from metricsmith.present.digest import STATUS_MARKS, compared_name, period_name
from metricsmith.present.result_view import goal_values, key_texts
from metricsmith.present.scorecard import MetricView, ScorecardView, Status

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet


def write_xlsx(view: ScorecardView, path: str) -> None:
    """Write the scorecard's workbook to `path`, atomically. Needs openpyxl
    (`metricsmith[xlsx]`); without it, a QueryError says so."""
    save(scorecard_workbook(view), path)


def render_xlsx(view: ScorecardView) -> bytes:
    """The scorecard's workbook as the bytes of an .xlsx file (see `write_xlsx`)."""
    return workbook_bytes(scorecard_workbook(view))


def scorecard_workbook(view: ScorecardView) -> Workbook:
    workbook = new_workbook()
    workbook.properties.title = view.title
    summary = workbook.active
    summary.title = "Scorecard"
    _write_summary(summary, view)
    write_result(workbook.create_sheet("Values"), values_view(view))
    return workbook


def values_view(view: ScorecardView) -> ResultView:
    """The scorecard's `values` as a result's view: the period, the `by` columns, then per
    metric its values (with statuses) and each compared period's."""
    table = view.values
    columns = [
        ResultColumn(
            name,
            name,
            tuple(key_texts(table, index, view.calendar)),
            grain=str(view.grain) if index == 0 else None,
        )
        for index, name in enumerate(table.column_names[: 1 + len(view.by)])
    ]
    for metric in view.metrics:
        values = table.column(metric.name).to_pylist()
        goals = goal_values(table, metric.name)
        columns.append(
            _metric_column(metric, metric.name, metric.label, values, status=True, goals=goals)
        )
        for comparison in view.comparisons:
            name = view.column(metric.name, comparison)
            label = f"{metric.label}, {compared_name(comparison, view.grain)}"
            values = table.column(name).to_pylist()
            columns.append(_metric_column(metric, name, label, values, status=False))
    return ResultView(table, tuple(columns))


def _metric_column(
    metric: MetricView,
    name: str,
    label: str,
    values: list[Any],
    *,
    status: bool,
    goals: list[Any] | None = None,
) -> ResultColumn:
    target = metric.target_text() if status else None
    goals = goals or [None] * len(values)
    statuses = (
        tuple(_status(metric.status(v, g)) for v, g in zip(values, goals, strict=True))
        if target
        else ()
    )
    return ResultColumn(
        name,
        label,
        tuple(metric.formatted(v) for v in values),
        metric=True,
        unit=metric.decl.unit,
        format=metric.decl.format,
        target=target,
        statuses=statuses,
    )


def _status(status: Status | None) -> str | None:
    return None if status is None else str(status)


def _write_summary(sheet: Worksheet, view: ScorecardView) -> None:
    """One row per metric (per group, with `by`) of the current period."""
    compared = [compared_name(c, view.grain) for c in view.comparisons]
    headings = [
        *view.by,
        "Metric",
        f"Current ({period_name(view.current, view.grain, view.calendar)})",
    ]
    headings += ["Target", "Status"]
    for name in compared:
        headings += [name[0].upper() + name[1:], f"Change vs {name}"]
    write_header(sheet, headings, frozen_columns=len(view.by) + 1)
    period = str(view.grain)
    current = [row for row in view.values.to_pylist() if row[period] == view.current]
    for row in current:
        for metric in view.shown:
            _summary_row(sheet, view, metric, row)
    fit_widths(sheet)


def _summary_row(
    sheet: Worksheet, view: ScorecardView, metric: MetricView, row: dict[str, Any]
) -> None:
    decl = metric.decl
    value = row.get(metric.name)
    status = metric.status_in(row)
    unit = decl.unit if decl.format != "percent" else None
    cells: list[Any] = [key_value(row[b]) for b in view.by]
    cells += [cell_text(heading(metric.label, unit)), metric_value(value, decl.format, decl.unit)]
    cells += [metric.target_text(row), STATUS_MARKS[status][1] if status else None]
    for comparison in view.comparisons:
        compared = row.get(view.column(metric.name, comparison))
        cells += [metric_value(compared, decl.format, decl.unit), _change(value, compared)]
    sheet.append(cells)
    line = sheet.max_row
    first = len(view.by) + 2  # the current value's column
    current_cell = sheet.cell(row=line, column=first)
    current_cell.number_format = number_format(decl.format, current_cell.value)
    for cell in (current_cell, sheet.cell(row=line, column=first + 2)):
        paint(cell, None if status is None else str(status))
    for offset in range(len(view.comparisons)):
        compared_cell = sheet.cell(row=line, column=first + 3 + 2 * offset)
        compared_cell.number_format = number_format(decl.format, compared_cell.value)
        change_cell = sheet.cell(row=line, column=first + 4 + 2 * offset)
        change_cell.number_format = signed(number_format(decl.format, change_cell.value))


def _change(value: object, compared: object) -> object:
    """The change in the metric's own unit (a duration counted in hours changes by hours; an
    Arrow duration by seconds, since a spreadsheet shows no negative time span); None when
    either value is missing."""
    if value is None or compared is None:
        return None
    delta: Any = value - compared  # type: ignore[operator]
    return delta.total_seconds() if isinstance(delta, dt.timedelta) else delta


def signed(number_format: str) -> str:
    """A number format that shows the sign of a change: `+3.0%`, `-1.2`, `0`."""
    return f"+{number_format};-{number_format};{number_format}"
