"""The Markdown digest of a scorecard: its exact text is pinned in `golden/<view>.md`.

Set METRICSMITH_UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change, then
read the diff: these files are what people receive on Monday morning."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from metricsmith.model.time import Grain
from metricsmith.present.digest import change, period_name, render_digest
from metricsmith.present.scorecard import ScorecardView
from scorecard_views import empty_view, metric_views, segment_view, weekly_view

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("METRICSMITH_UPDATE_GOLDEN") == "1"
VIEWS: dict[str, Callable[[], ScorecardView]] = {
    "weekly_cs": weekly_view,
    "monthly_segments": segment_view,
    "empty": empty_view,
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_digest_matches_its_golden_text(name: str) -> None:
    rendered = render_digest(VIEWS[name]())
    expected = GOLDEN / f"{name}.md"
    if UPDATE:
        expected.write_text(rendered, encoding="utf-8")
    assert rendered == expected.read_text(encoding="utf-8")


def test_a_digest_is_one_line_per_metric_and_fits_a_message() -> None:
    view = weekly_view()
    lines = [line for line in render_digest(view).splitlines() if line.startswith("- ")]
    assert [line.split("**")[1] for line in lines] == [m.label for m in view.metrics]
    assert len(render_digest(view)) < 1500  # well under Slack's and a mail preview's limits


def test_every_status_has_a_circle_and_words() -> None:
    text = render_digest(weekly_view())
    assert "- 🟢 **Net Promoter Score** 42.00" in text
    assert "🟡 **CSAT** 3.80" in text and "near target (≥ 4)" in text
    assert "🔴 **First contact resolution** 61.2%" in text and "off target (≥ 70.0%)" in text
    assert "- ⚪ **Tickets** 1,204" in text


def test_changes_read_in_the_metrics_own_format() -> None:
    nps, fcr, first_response, tickets = metric_views("nps", "fcr", "first_response", "tickets")
    assert change(nps, 42.0, 39.0) == "▲ +3.00"
    assert change(nps, 39.0, 42.0) == "▼ -3.00"
    assert change(fcr, 0.612, 0.63) == "▼ -1.8 pts"  # a percent's change is in points
    assert change(first_response, 3.25, 4.5) == "▼ -1h 15m"
    assert change(tickets, 1204, 1180) == "▲ +24"
    assert change(nps, 0.0042, 0.0040) == "▲ +0.00020"  # as precise as the value reads (0.00420)
    assert change(nps, 42.0, None) == "–"
    assert change(nps, None, 42.0) == "–"


def test_no_change_is_judged_at_the_shown_precision() -> None:
    (nps,) = metric_views("nps")
    assert change(nps, 42.001, 42.0) == "▶ no change"
    assert change(nps, 42.0, 42.0) == "▶ no change"


def test_markdown_in_a_label_is_shown_as_written() -> None:
    view = weekly_view()
    title = render_digest(
        ScorecardView(
            name=view.name,
            title="CS *weekly* [draft]",
            grain=view.grain,
            by=view.by,
            comparisons=view.comparisons,
            metrics=view.metrics,
            sections=view.sections,
            periods=view.periods,
            values=view.values,
        )
    ).splitlines()[0]
    assert title == r"**CS \*weekly\* \[draft\]** · week of 2024-03-04"


def test_periods_are_named_as_people_say_them() -> None:
    start = dt.date(2024, 1, 1)
    assert period_name(start, Grain.WEEK) == "week of 2024-01-01"
    assert period_name(start, Grain.MONTH) == "2024-01"
    assert period_name(start, Grain.QUARTER) == "2024 Q1"
    assert period_name(None, Grain.MONTH) == "no periods"
