"""A section's scorecard table, laid out by great_tables: a row per metric with its value,
target, status, changes and a sparkline of its trend (a great_tables nanoplot, inline SVG)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import great_tables as gt
import polars as pl

from metricsmith.present.report.readings import (
    MetricRow,
    Tone,
    comparison_label,
    group_name,
)
from metricsmith.present.scorecard import ScorecardView, Status
from metricsmith.present.values import MISSING, format_cell, format_period

#: Text and background colours of a status, and the colour of a change's tone: dark enough on
#: white to read when printed in grey as well.
STATUS_COLOURS = {
    Status.GREEN: ("#116329", "#dafbe1"),
    Status.AMBER: ("#7d4e00", "#fff1c2"),
    Status.RED: ("#a40e26", "#ffebe9"),
}
TONE_COLOURS = {Tone.GOOD: "#116329", Tone.BAD: "#a40e26", Tone.NEUTRAL: "#57606a"}

# CommonMark lets any ASCII punctuation be escaped with a backslash: a label or description
# then reads as the text it is, never as markup or raw HTML.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def section_table(view: ScorecardView, rows: Sequence[MetricRow], table_id: str) -> str:
    """The HTML of one section's table (a `<div>` with its own scoped `<style>`)."""
    changes = [f"change_{c}" for c in view.comparisons]
    labels: dict[str, Any] = {
        "metric": "Metric",
        "group": " · ".join(view.by),
        "value": format_period(view.current, view.grain, view.calendar)
        if view.current
        else "Value",
        "target": "Target",
        "status": "Status",
        "trend": _trend_label(view),
    }
    labels.update(
        (col, comparison_label(c, view.grain))
        for col, c in zip(changes, view.comparisons, strict=True)
    )
    frame = pl.DataFrame(
        {
            "metric": [_metric_cell(r) for r in rows],
            "group": [group_name(r.group) for r in rows],
            "value": [r.metric.formatted(r.value) for r in rows],
            "target": [r.target or MISSING for r in rows],
            "status": [r.status_text for r in rows],
            **{col: [r.changes[i].text for r in rows] for i, col in enumerate(changes)},
            "trend": pl.Series([list(r.trend) for r in rows], dtype=pl.List(pl.Float64)),
        }
    )
    table = (
        gt.GT(frame, id=table_id)
        .fmt_markdown(columns="metric")
        .cols_label(labels)
        .cols_align("right", columns=["value", "target", *changes])
        .tab_options(table_width="100%", table_font_size="14px", column_labels_font_weight="bold")
    )
    if view.periods:
        table = table.fmt_nanoplot(
            columns="trend",
            plot_type="line",
            options=gt.nanoplot_options(
                show_data_points=False,
                data_line_stroke_color="#0969da",
                data_area_fill_color="#ddf4ff",
                # The values a reader sees on hovering, as the terminal shows numbers (a gap
                # as a dash): great_tables' own compact format builds a table per value,
                # which takes most of a large report's time.
                y_val_fmt_fn=format_cell,
                y_axis_fmt_fn=format_cell,
            ),
        )
    else:  # a line through no points is no chart
        table = table.cols_hide("trend")
    if not view.by:
        table = table.cols_hide("group")
    # Numbers and statuses stay on one line; the metric's column takes what is left. (The
    # semicolon ends the rule: great_tables appends the colour styles right after it.)
    one_line = ["value", "target", "status", *changes]
    table = table.tab_style(gt.style.css("white-space: nowrap;"), gt.loc.body(columns=one_line))
    table = table.tab_style(
        gt.style.css("white-space: nowrap;"), gt.loc.column_labels(columns=one_line)
    )
    # One style per colour, over all the rows it applies to: fewer passes over the table.
    for status, (text, fill) in STATUS_COLOURS.items():
        table = _style(
            table,
            [gt.style.text(color=text, weight="bold"), gt.style.fill(color=fill)],
            "status",
            [i for i, r in enumerate(rows) if r.status is status],
        )
    for position, column in enumerate(changes):
        for tone, colour in TONE_COLOURS.items():
            table = _style(
                table,
                [gt.style.text(color=colour)],
                column,
                [i for i, r in enumerate(rows) if r.changes[position].tone is tone],
            )
    return table.as_raw_html()


def _style(table: gt.GT, styles: list, column: str, indices: list[int]) -> gt.GT:
    if not indices:
        return table
    return table.tab_style(styles, gt.loc.body(columns=column, rows=indices))


def _metric_cell(row: MetricRow) -> str:
    """The label in bold, the description under it, as Markdown."""
    label = f"**{_literal(row.metric.label)}**"
    description = row.metric.decl.description
    return f"{label}  \n{_literal(description)}" if description else label


def _literal(text: str) -> str:
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def _trend_label(view: ScorecardView) -> str:
    if not view.periods:
        return "Trend"
    first, last = (
        format_period(p, view.grain, view.calendar) for p in (view.periods[0], view.periods[-1])
    )
    return f"Trend {first} – {last}"
