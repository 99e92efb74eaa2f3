"""A query result as an HTML table, for notebooks (`QueryResult._repr_html_`).

Headings are the metrics' labels with their units and targets; values are in each metric's
format (present/values.py) and marked with their status against the target (`MetricView.status`):
a colour for the eye and a glyph for anyone who cannot tell the colours apart. Every text is
escaped; the styles are inline, as notebook viewers drop style sheets.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from attrs import evolve

from metricsmith.builtin.markdown import STATUS_MARKS
from metricsmith.present.scorecard import MetricView, Status
from metricsmith.present.values import heading_details

if TYPE_CHECKING:
    from metricsmith.present.result import QueryResult

#: Rows shown at most; the rest are counted under the table (the data is all in the result).
MAX_ROWS = 60
#: The background, the glyph and the words (a tooltip) of each status.
STATUS_STYLES = {
    Status.GREEN: ("#d8f0dc", STATUS_MARKS["green"], "on target"),
    Status.AMBER: ("#fbecc5", STATUS_MARKS["amber"], "close to target"),
    Status.RED: ("#f7d4d2", STATUS_MARKS["red"], "off target"),
}
_CELL = "padding:2px 8px;border-bottom:1px solid #ddd"


def result_html(result: QueryResult) -> str:
    view = evolve(result, table=result.table.slice(0, MAX_ROWS))
    shown = view.table
    columns = [[_cell(text) for text in view.key_texts(key)] for key in view.keys] + [
        [
            _value_cell(value, metric, goal)
            for value, goal in zip(
                shown.column(index).to_pylist(),
                view.goals(index - len(view.keys)) or [None] * shown.num_rows,
                strict=True,
            )
        ]
        for index, metric in enumerate(view.metrics, start=len(view.keys))
    ]
    headings = [_heading(escape(view.heading(key))) for key in view.keys]
    headings += [_metric_heading(metric) for metric in view.metrics]
    rows = [_row(cells) for cells in zip(*columns, strict=True)]
    return (
        '<table class="metricsmith-result" style="border-collapse:collapse">'
        f"<thead>{_row(headings)}</thead><tbody>{''.join(rows)}</tbody></table>"
        + _footer(result.table.num_rows)
    )


def _metric_heading(metric: MetricView) -> str:
    """The label, and under it the unit and target: `CSAT` / `points (1-5), target ≥ 4`."""
    details = heading_details(metric.decl)
    title = f' title="{escape(metric.decl.description)}"' if metric.decl.description else ""
    under = f'<br><small style="font-weight:normal">{escape(details)}</small>' if details else ""
    return _heading(f"<span{title}>{escape(metric.label)}</span>{under}", align="right")


def _value_cell(value: object, metric: MetricView, goal: object) -> str:
    text = escape(metric.formatted(value))
    status = metric.status(value, goal)
    if status is None:
        return _cell(text, align="right", escaped=True)
    background, glyph, words = STATUS_STYLES[status]
    return (
        f'<td data-status="{status}" title="{words}" '
        f'style="{_CELL};text-align:right;background:{background}">{text} {glyph}</td>'
    )


def _heading(html: str, align: str = "left") -> str:
    return f'<th style="{_CELL};text-align:{align};vertical-align:bottom">{html}</th>'


def _cell(text: str, align: str = "left", *, escaped: bool = False) -> str:
    return f'<td style="{_CELL};text-align:{align}">{text if escaped else escape(text)}</td>'


def _row(cells: Sequence[str]) -> str:
    return f"<tr>{''.join(cells)}</tr>"


def _footer(total: int) -> str:
    if total <= MAX_ROWS:
        return ""
    return (
        f"<p><small>{MAX_ROWS} of {total:,} rows shown; "
        "<code>.to_arrow()</code>, <code>.to_pandas()</code> or <code>.to_polars()</code> "
        "hold them all.</small></p>"
    )
