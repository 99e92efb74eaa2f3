"""The report's page: the scorecard's sections, each a table and its charts, poured into a
jinja2 template (`report.html.j2`) whose stylesheet is inline, like everything else."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from metricsmith.model.targets import AMBER_TOLERANCE
from metricsmith.present.report.readings import STATUS_WORDS, comparison_label, metric_rows
from metricsmith.present.report.requirements import require_report_packages
from metricsmith.present.scorecard import ScorecardView, Section, Status
from metricsmith.present.values import format_period


def render_report(view: ScorecardView) -> str:
    """The scorecard as one self-contained HTML page: no fonts, styles, scripts or images are
    fetched from anywhere (a Content-Security-Policy in the page forbids it too)."""
    require_report_packages()
    # Imported here: the report's libraries are an optional extra (requirements.py).
    from metricsmith.present.report.charts import chart_image
    from metricsmith.present.report.table import section_table

    sections = view.sections or (Section("Metrics", tuple(m.name for m in view.metrics)),)
    return _template().render(
        view=view,
        period=format_period(view.current, view.grain, view.calendar) if view.current else None,
        comparisons=[comparison_label(c, view.grain) for c in view.comparisons],
        sections=[
            {
                "title": section.title,
                "table": _markup(
                    section_table(view, metric_rows(view, section.metrics), f"section-{i}")
                ),
                "charts": [
                    {"title": c.title, "kind": str(c.kind), "image": chart_image(view, c)}
                    for c in section.charts
                ],
            }
            for i, section in enumerate(sections, start=1)
        ],
        statuses={
            STATUS_WORDS[Status.GREEN]: "meets its target",
            STATUS_WORDS[Status.AMBER]: "misses it, within its warn band (without one, by "
            f"at most {AMBER_TOLERANCE:.0%} of the target)",
            STATUS_WORDS[Status.RED]: "misses it by more",
        },
    )


@functools.cache
def _template() -> Any:
    import jinja2

    source = resources.files(__package__).joinpath("report.html.j2").read_text("utf-8")
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(source)


def _markup(html: str) -> Any:
    """HTML that great_tables built (every text in it escaped), to place as it is."""
    import markupsafe

    return markupsafe.Markup(html)
