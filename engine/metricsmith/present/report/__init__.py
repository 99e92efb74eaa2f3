"""The HTML report of a scorecard: one self-contained file to mail, print or open on a phone.

`render_report(view)` lays out a `ScorecardView` (present/scorecard.py) with great_tables (the
scorecard tables and their sparklines), Vega-Lite through altair and vl-convert (the waterfall,
stacked and heat-map charts, as static SVG) and a jinja2 template (the page). They are an
optional extra, `metricsmith[report]`; docs/reports.md says why these.
"""

from metricsmith.present.report.page import render_report

__all__ = ["render_report"]
