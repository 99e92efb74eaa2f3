"""The `markdown` output format: a result as a Markdown table, to paste into a message, an
issue or a wiki page.

Values read as on the terminal (`72.4%`, `2024-03`); a metric with a target has a status mark
after each value (see `STATUS_MARKS`) and its target under its label.
"""

from __future__ import annotations

from metricsmith.plugins.formats import OutputFormat, ResultColumn, ResultView, atomic_output

#: A coloured circle people scan by status, as the scorecard digest shows it too
#: (present/digest.py).
STATUS_MARKS = {"green": "🟢", "amber": "🟡", "red": "🔴"}


def render_markdown(view: ResultView) -> str:
    """The view as a Markdown table: keys left-aligned, metrics right-aligned."""
    header = [_cell(c.heading) for c in view.columns]
    rule = ["---:" if c.metric else "---" for c in view.columns]
    lines = [_row(header), _row(rule)]
    for row in range(view.table.num_rows):
        lines.append(_row([_cell(_text(c, row)) for c in view.columns]))
    return "\n".join(lines) + "\n"


def _text(column: ResultColumn, row: int) -> str:
    status = column.statuses[row] if column.statuses else None
    text = column.texts[row]
    return f"{text} {STATUS_MARKS[status]}" if status else text


def _cell(text: str) -> str:
    """Text safe inside a table cell: a pipe would end the cell, a line break the row."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _write_view(view: ResultView, path: str) -> None:
    with atomic_output(path) as temporary, open(temporary, "w", encoding="utf-8") as out:
        out.write(render_markdown(view))


def _render_view(view: ResultView) -> bytes:
    return render_markdown(view).encode()


MARKDOWN = OutputFormat(
    "markdown",
    "A Markdown table: values formatted by metric, target status marked",
    "md",
    lambda table, path: _write_view(ResultView.bare(table), path),
    lambda table: _render_view(ResultView.bare(table)),
    write_view=_write_view,
    render_view=_render_view,
)
