"""A result shows itself in a notebook: `_repr_html_` renders labels, units, targets, values
in each metric's format and their red/amber/green status, with every text escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from metricsmith import Project
from metricsmith.present import result_html
from notebook_project import METRICS


class _Cells(HTMLParser):
    """The table's text cell by cell, with each cell's status, as a browser would read it."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str | None]]] = []
        self._cell: list[str] | None = None
        self._status: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._status = [], dict(attrs).get("data-status")
        elif tag == "br" and self._cell is not None:
            self._cell.append(" / ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(("".join(self._cell), self._status))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _cells(html: str) -> list[list[tuple[str, str | None]]]:
    parser = _Cells()
    parser.feed(html)
    return parser.rows


def test_headings_have_labels_units_and_targets(project: Project) -> None:
    result = project.query(METRICS, grain="month", by=["segment"], start="2024-01", end="2024-02")
    headings = [text for text, _ in _cells(result._repr_html_())[0]]
    assert headings == [
        "month",
        "Customer <segment>",
        "Tickets opened / tickets",
        "Contacts <per> ticket & co / contacts, target ≤ 2.50",
    ]


def test_values_are_formatted_and_marked_with_their_status(project: Project) -> None:
    result = project.query(METRICS, grain="month", start="2024-01", end="2024-05")
    body = _cells(result._repr_html_())[1:]
    assert body == [
        [("2024-01", None), ("3", None), ("1.67 🟢", "green")],
        [("2024-02", None), ("2", None), ("3.00 🔴", "red")],
        [("2024-03", None), ("3", None), ("2.67 🟡", "amber")],
        [("2024-04", None), ("0", None), ("–", None)],
    ]


def test_every_text_is_escaped(project: Project) -> None:
    html = project.query(METRICS, grain="month", by=["segment"], start="2024-01")._repr_html_()
    assert "<per>" not in html and "<segment>" not in html and "<i>" not in html
    assert "Contacts &lt;per&gt; ticket &amp; co" in html
    assert 'title="How often &lt;i&gt;customers&lt;/i&gt; had to ask."' in html
    assert set(re.findall(r"<(\w+)", html)) <= {
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "span",
        "br",
        "small",
        "p",
        "code",
    }


def test_a_long_result_shows_its_first_rows_and_says_how_many(project: Project) -> None:
    result = project.query(["tickets_opened"], grain="day", start="2024-01", end="2024-04")
    html = result._repr_html_()
    assert len(_cells(html)) == result_html.MAX_ROWS + 1
    assert f"{result_html.MAX_ROWS} of 91 rows shown" in html
