"""Fiscal periods as people name them: FY2025 Q1, by the year the fiscal year ends in unless
the calendar says `fiscal_year_label starting`."""

from __future__ import annotations

import datetime as dt

import pytest
from metricsmith.model.time import CalendarRules, FiscalLabel, Grain
from metricsmith.present.digest import period_name
from metricsmith.present.values import format_period

APRIL = CalendarRules(fiscal_start=4)
APRIL_STARTING = CalendarRules(fiscal_start=4, fiscal_label=FiscalLabel.STARTING)


@pytest.mark.parametrize(
    ("start", "grain", "calendar", "shown"),
    [
        (dt.date(2024, 4, 1), Grain.FISCAL_QUARTER, APRIL, "FY2025 Q1"),
        (dt.date(2025, 1, 1), Grain.FISCAL_QUARTER, APRIL, "FY2025 Q4"),
        (dt.date(2024, 4, 1), Grain.FISCAL_YEAR, APRIL, "FY2025"),
        (dt.date(2024, 4, 1), Grain.FISCAL_YEAR, APRIL_STARTING, "FY2024"),
        (dt.date(2025, 1, 1), Grain.FISCAL_QUARTER, APRIL_STARTING, "FY2024 Q4"),
        (dt.date(2024, 1, 1), Grain.FISCAL_YEAR, CalendarRules(), "FY2024"),
        # Calendar grains are named as ever, whatever the fiscal year.
        (dt.date(2024, 4, 1), Grain.QUARTER, APRIL, "2024 Q2"),
    ],
)
def test_fiscal_periods_are_named_by_their_fiscal_year(start, grain, calendar, shown):
    assert format_period(start, grain, calendar) == shown


def test_a_message_names_the_fiscal_period():
    assert period_name(dt.date(2024, 7, 1), Grain.FISCAL_QUARTER, APRIL) == "FY2025 Q2"
