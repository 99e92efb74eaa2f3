"""The `xlsx` output format: a result as an Excel workbook people open and read.

Each value stays a number (or a date) in its cell, shown by a number format that follows the
metric's `format`: percent as `72.4%`, currency with cents, integer without decimals, durations
as hours and minutes. Periods are dates. A metric with a target has each cell filled green,
amber or red by its status. The header row names each column by its label, unit and target and
stays in view when scrolling. openpyxl writes the file (the optional extra
`metricsmith[xlsx]`); it is imported only when a workbook is written.

The pieces here are shared with the scorecard's workbook (present/xlsx.py).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from metricsmith.errors import QueryError
from metricsmith.model.time import FISCAL_GRAINS
from metricsmith.plugins.formats import (
    SECONDS_PER_UNIT,
    OutputFormat,
    ResultColumn,
    ResultView,
    atomic_output,
)

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

#: Excel's own "Good", "Neutral" and "Bad" cell styles: a light fill with a dark text colour,
#: readable when printed in grey and recognisable to anyone who uses spreadsheets.
STATUS_COLOURS = {
    "green": ("C6EFCE", "006100"),
    "amber": ("FFEB9C", "9C5700"),
    "red": ("FFC7CE", "9C0006"),
}
#: A period's first day, shown as the period is named (a quarter by its first month).
PERIOD_FORMATS = {
    "day": "yyyy-mm-dd",
    "week": "yyyy-mm-dd",
    "month": "yyyy-mm",
    "quarter": "yyyy-mm",
    "year": "yyyy",
    # No date format names a fiscal period: its cell holds the name (FY2025 Q1) as text.
    "fiscal_quarter": "@",
    "fiscal_year": "@",
}
#: A metric's `format` as an Excel number format.
METRIC_FORMATS = {"percent": "0.0%", "currency": "#,##0.00", "integer": "#,##0"}
#: A duration, in hours past a day (52:00:00, not 04:00:00 of the third day).
DURATION = "[h]:mm:ss"
WHOLE_NUMBER = "#,##0"
DECIMAL_NUMBER = "#,##0.00"
_WIDEST_COLUMN = 60
#: What a cell holds as it is; anything else is written as its text.
_CELL_TYPES = (str, bool, int, float, Decimal, dt.date, dt.time, dt.timedelta)
#: The characters an .xlsx worksheet cannot hold (XML 1.0 forbids them).
_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def require_openpyxl() -> None:
    """A QueryError saying what to install when openpyxl is missing."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise QueryError(
            "writing spreadsheets (xlsx) needs the `openpyxl` package, which is not installed",
            hint="pip install 'metricsmith[xlsx]'",
        ) from None


def new_workbook() -> Workbook:
    require_openpyxl()
    from openpyxl import Workbook

    return Workbook()


def save(workbook: Workbook, path: str) -> None:
    """Save the workbook to `path` atomically."""
    with atomic_output(path) as temporary:
        workbook.save(temporary)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_header(sheet: Worksheet, headings: Sequence[str], frozen_columns: int = 0) -> None:
    """The first row, bold, kept in view with the first `frozen_columns` columns."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append([cell_text(h) for h in headings])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = f"{get_column_letter(frozen_columns + 1)}2"


def key_value(value: object) -> object:
    """A period start or a dimension's value for its cell: a timestamp as Excel keeps one,
    without a time zone (its wall-clock time; openpyxl refuses zoned ones); text without the
    control characters a worksheet cannot hold; anything a cell cannot hold (a list, bytes)
    as its text."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if value is None or isinstance(value, _CELL_TYPES):
        return cell_text(value) if isinstance(value, str) else value
    return cell_text(str(value))


def cell_text(text: str) -> str:
    """Text a worksheet can hold: control characters (other than tab and line breaks) dropped."""
    return _ILLEGAL_CHARACTERS.sub("", text)


def metric_value(value: object, format_: str | None, unit: str | None) -> object:
    """A metric's value for its cell: a duration counted in a unit becomes a time span."""
    seconds = SECONDS_PER_UNIT.get((unit or "").lower())
    if format_ == "duration" and seconds and isinstance(value, int | float | Decimal):
        return dt.timedelta(seconds=float(value) * seconds)
    if isinstance(value, float) and value != value:  # NaN: an empty cell, as a null
        return None
    return key_value(value)


def number_format(format_: str | None, value: object) -> str:
    """The Excel number format of a metric's cell holding `value` (as `metric_value` gives)."""
    if isinstance(value, dt.timedelta):
        return DURATION
    if format_ in METRIC_FORMATS:
        return METRIC_FORMATS[format_]
    return WHOLE_NUMBER if isinstance(value, int) else DECIMAL_NUMBER


def paint(cell: Any, status: str | None) -> None:
    """Fill a cell with its status's colour (nothing for no status)."""
    if status is None:
        return
    from openpyxl.styles import Font, PatternFill

    fill, text = STATUS_COLOURS[status]
    cell.fill = PatternFill(fill_type="solid", start_color=fill, end_color=fill)
    cell.font = Font(color=text)


def fit_widths(sheet: Worksheet) -> None:
    """Columns as wide as their longest text (a number's digits approximately)."""
    from openpyxl.utils import get_column_letter

    for index, cells in enumerate(sheet.iter_cols(), start=1):
        longest = max((len(str(c.value)) for c in cells if c.value is not None), default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(longest + 2, _WIDEST_COLUMN)


def write_result(sheet: Worksheet, view: ResultView) -> None:
    """A result on a sheet: a header row, then one row per row of the table."""
    keys = sum(1 for c in view.columns if not c.metric)
    frozen = keys if keys < len(view.columns) else 0  # a bare table has no metric columns
    write_header(sheet, [c.heading for c in view.columns], frozen)
    values = [view.table.column(c.name).to_pylist() for c in view.columns]
    for row in range(view.table.num_rows):
        sheet.append([_cell_value(c, v, row) for c, v in zip(view.columns, values, strict=True)])
        for index, column in enumerate(view.columns, start=1):
            _style(sheet.cell(row=row + 2, column=index), column, row)
    fit_widths(sheet)


def _cell_value(column: ResultColumn, values: list, row: int) -> object:
    if column.metric:
        return metric_value(values[row], column.format, column.unit)
    if column.grain in FISCAL_GRAINS:
        return column.texts[row]
    return key_value(values[row])


def _style(cell: Any, column: ResultColumn, row: int) -> None:
    if column.grain is not None:
        cell.number_format = PERIOD_FORMATS[column.grain]
    elif column.metric:
        cell.number_format = number_format(column.format, cell.value)
        paint(cell, column.statuses[row] if column.statuses else None)


def result_workbook(view: ResultView) -> Workbook:
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = "Result"
    write_result(sheet, view)
    return workbook


def _write_view(view: ResultView, path: str) -> None:
    save(result_workbook(view), path)


def _render_view(view: ResultView) -> bytes:
    return workbook_bytes(result_workbook(view))


def _write(table: pa.Table, path: str) -> None:
    _write_view(ResultView.bare(table), path)


def _render(table: pa.Table) -> bytes:
    return _render_view(ResultView.bare(table))


XLSX = OutputFormat(
    "xlsx",
    "An Excel workbook: number formats by metric, target status as cell colours "
    "(needs metricsmith[xlsx])",
    "xlsx",
    _write,
    _render,
    binary=True,
    write_view=_write_view,
    render_view=_render_view,
)
