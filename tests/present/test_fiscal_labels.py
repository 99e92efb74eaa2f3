"""Fiscal periods as people name them: FY2025 Q1, by the year the fiscal year ends in unless
the calendar says `fiscal_year_label starting`."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from metricsmith.builtin.xlsx import result_workbook
from metricsmith.model.decl import Comparison
from metricsmith.model.time import CalendarRules, FiscalLabel, Grain
from metricsmith.present.digest import compared_name, period_name
from metricsmith.present.result_view import result_view
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


def test_comparisons_name_the_fiscal_period_before():
    assert compared_name(Comparison.PREVIOUS, Grain.FISCAL_QUARTER) == "last fiscal quarter"
    assert compared_name(Comparison.PREVIOUS, Grain.FISCAL_YEAR) == "last fiscal year"


def test_a_spreadsheet_names_fiscal_periods_in_text():
    # Excel's date formats cannot name a fiscal period: the cell holds the name.
    table = pa.table({"fiscal_quarter": [dt.date(2024, 4, 1), dt.date(2024, 7, 1)], "n": [1, 2]})
    view = result_view(table, [], calendar=APRIL)
    sheet = result_workbook(view).active
    assert [c.value for c in sheet["A"]] == ["fiscal_quarter", "FY2025 Q1", "FY2025 Q2"]
