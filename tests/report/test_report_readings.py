"""What a scorecard row says about a change: its arrow, size, and whether it is good news."""

from __future__ import annotations

import datetime as dt

import pytest
from metricsmith.present.report.readings import Change, Tone, change
from metricsmith.present.scorecard import MetricView
from report_views import declarations

METRICS = {name: MetricView(decl) for name, decl in declarations().items()}


@pytest.mark.parametrize(
    ("metric", "value", "compared", "expected"),
    [
        ("mrr", 110.0, 100.0, Change("▲ +10.00 (+10.0%)", Tone.GOOD)),
        ("mrr", 90.0, 100.0, Change("▼ -10.00 (-10.0%)", Tone.BAD)),
        ("churned_mrr", 90.0, 100.0, Change("▼ -10.00 (-10.0%)", Tone.GOOD)),
        ("mrr", 5.0, 0.0, Change("▲ +5.00", Tone.GOOD)),  # no relative change from zero
        ("healthy_share", 0.70, 0.65, Change("▲ +5.0 pp", Tone.GOOD)),
        ("healthy_share", 0.6500001, 0.65, Change("= 0.0 pp", Tone.NEUTRAL)),  # too small
        ("starting_mrr", 90.0, 100.0, Change("▼ -10.00 (-10.0%)", Tone.NEUTRAL)),  # no direction
        ("nps", 42, 42, Change("= 0", Tone.NEUTRAL)),
        ("nps", 42, None, Change("–", Tone.NEUTRAL)),
        ("nps", None, 40, Change("–", Tone.NEUTRAL)),
        ("nps", float("nan"), 40, Change("–", Tone.NEUTRAL)),
        (
            "first_response",
            dt.timedelta(hours=5),
            dt.timedelta(hours=3),
            Change("▲ +2h", Tone.BAD),
        ),
    ],
)
def test_a_change_reads_in_the_metrics_format_and_direction(metric, value, compared, expected):
    assert change(METRICS[metric], value, compared) == expected
