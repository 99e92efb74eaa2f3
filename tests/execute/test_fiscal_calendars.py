"""Fiscal calendars on every engine: `calendar { fiscal_year_start april }`, the grains
`fiscal_quarter` and `fiscal_year`, to-date windows and same-period-last-year comparisons on
them, cohorts by fiscal period, state sources read at fiscal period ends, and the FY labels.

Every expected value is worked out by hand in the comments. The calendar's zone is New York
so that the fiscal year's boundary falls on a local midnight that is not UTC's: an order at
2024-04-01 02:00 UTC is still March 31 in New York, in the old fiscal year."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import QueryError
from metricsmith.present.tables import result_table

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

D = dt.date

DEFINITIONS = """
calendar { timezone "America/New_York" fiscal_year_start april }
source orders from csv("orders.csv") { time at }
source subscriptions from csv("subscriptions.csv") { valid from started_at to ended_at }
dimension order_fiscal_year = cohort(orders.at, fiscal_year)
metric total = sum(orders.amount)
metric fiscal_ytd = sum(orders.amount) over fiscal_year to date
metric fiscal_qtd = sum(orders.amount) over fiscal_quarter to date
metric last_year = same_period_last_year(total)
metric previous_total = total[-1]
metric subscribed = count(subscriptions)
metric ever_subscribed = count(subscriptions) over all time
scorecard quarterly {
  grain fiscal_quarter
  periods 2
  compare previous, same_period_last_year
  metrics total
}
"""

# Amounts are powers of ten, so each sum says which orders it counted. New York is UTC-4
# in summer (EDT) and UTC-5 in winter (EST); fiscal years run April to March and are named by
# the year they end in (FY2025 = April 2024 to March 2025), quarters Apr-Jun, Jul-Sep,
# Oct-Dec, Jan-Mar.
ORDERS = pa.table(
    {
        "at": stamps(
            utc(2023, 6, 15, 12),  # FY2024 Q1
            utc(2024, 4, 1, 2),  # March 31 22:00 EDT: FY2024 Q4, though April in UTC
            utc(2024, 4, 1, 5),  # April 1 01:00 EDT: FY2025 Q1
            utc(2024, 9, 30, 12),  # FY2025 Q2
            utc(2024, 12, 31, 23),  # FY2025 Q3
            utc(2025, 1, 1, 4, 59),  # December 31 23:59 EST: FY2025 Q3, though 2025 in UTC
            utc(2025, 3, 31, 12),  # FY2025 Q4
            utc(2025, 4, 1, 3, 59),  # March 31 23:59 EDT: FY2025 Q4
        ),
        "amount": pa.array([1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]),
    }
)
# Read at fiscal year ends (April 1, 00:00 New York): C is in force at the one of 2022 only,
# D at 2023's only, E at none (it spans a calendar year's end, not a fiscal one's), F at
# 2024's and 2025's.
SUBSCRIPTIONS = pa.table(
    {
        "started_at": stamps(
            utc(2022, 3, 1, 12), utc(2023, 2, 1, 12), utc(2023, 12, 1, 12), utc(2024, 3, 1, 12)
        ),
        "ended_at": stamps(utc(2022, 4, 15, 12), utc(2023, 5, 1, 12), utc(2024, 2, 1, 12), None),
    }
)
FISCAL_2025 = {"start": "2024-04-01", "end": "2025-04-01"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from execute_helpers import project_from_text

    folder = tmp_path_factory.mktemp("fiscal")
    tables = {"orders": ORDERS, "subscriptions": SUBSCRIPTIONS}
    return project_from_text(folder, DEFINITIONS, tables)


def test_fiscal_quarters_with_to_date_windows_and_last_year(project, engine):
    table = project.query(
        ["total", "fiscal_ytd", "last_year", "previous_total"],
        grain="fiscal_quarter",
        **FISCAL_2025,
        engine=engine,
    )
    assert rows(table) == [
        # FY2025 Q1: the April 1 01:00 order only. Last year's Q1 (2023) had the 1; the
        # quarter before, FY2024 Q4, the 10 placed on March 31 by the zone.
        (D(2024, 4, 1), 100, 100, 1, 10),
        # Q2: 1,000; to date 100 + 1,000.
        (D(2024, 7, 1), 1_000, 1_100, 0, 100),
        # Q3: 10,000 + 100,000 (both December 31 in New York); to date 111,100.
        (D(2024, 10, 1), 110_000, 111_100, 0, 1_000),
        # Q4: 1,000,000 + 10,000,000; FY2024 Q4 had the 10.
        (D(2025, 1, 1), 11_000_000, 11_111_100, 10, 110_000),
    ]


def test_fiscal_years_and_state_read_at_their_ends(project, engine):
    table = project.query(
        ["total", "subscribed", "ever_subscribed"],
        grain="fiscal_year",
        start="2023-04-01",
        end="2025-04-01",
        engine=engine,
    )
    assert rows(table) == [
        # FY2024: the 1 and the 10. In force at its end (2024-04-01): F. Ever in force at a
        # fiscal year end up to then: C (2022-04-01), D (2023-04-01) and F; E at none.
        (D(2023, 4, 1), 11, 1, 3),
        # FY2025: 100 + 1,000 + 110,000 + 11,000,000; F still in force; still C, D and F.
        (D(2024, 4, 1), 11_111_100, 1, 3),
    ]
    # From FY2025 alone, C and D were in force at fiscal year ends before the range.
    table = project.query(["ever_subscribed"], grain="fiscal_year", **FISCAL_2025, engine=engine)
    assert rows(table) == [(D(2024, 4, 1), 3)]


def test_fiscal_quarter_to_date_at_month_grain(project, engine):
    table = project.query(
        ["fiscal_qtd"], grain="month", start="2024-03-01", end="2024-08-01", engine=engine
    )
    # March is FY2024 Q4's last month: the 10 on March 31 (New York). April to June are
    # FY2025 Q1: the 100 on April 1, carried to date; July starts Q2 afresh.
    assert rows(table) == [
        (D(2024, 3, 1), 10),
        (D(2024, 4, 1), 100),
        (D(2024, 5, 1), 100),
        (D(2024, 6, 1), 100),
        (D(2024, 7, 1), 0),
    ]


def test_a_cohort_by_fiscal_year(project, engine):
    table = project.query(["total"], by=["order_fiscal_year"], engine=engine)
    # Fiscal years start April 1 (New York): FY2024 has the 1 and the 10 (March 31 local),
    # FY2025 the other six.
    assert rows(table) == [(D(2023, 4, 1), 11), (D(2024, 4, 1), 11_111_100)]


def test_a_scorecard_at_fiscal_quarter_grain(project, engine):
    view = project.scorecard("quarterly", end="2025-04-01", engine=engine)
    assert view.periods == (D(2024, 10, 1), D(2025, 1, 1))
    assert view.values.column("total").to_pylist() == [110_000, 11_000_000]
    assert view.values.column("total:previous").to_pylist() == [1_000, 110_000]
    # The same quarters of FY2024: October to December 2023 (none) and January to March 2024
    # (the 10).
    assert view.values.column("total:same_period_last_year").to_pylist() == [0, 10]


# ---- a fiscal year starting in February: fiscal quarters that are not calendar quarters --

FEBRUARY = """
calendar { timezone "UTC" fiscal_year_start february }
source orders from csv("orders.csv") { time at }
dimension order_quarter = cohort(orders.at, fiscal_quarter)
dimension order_year = date_trunc("fiscal_year", orders.at)
metric orders = count(orders)
"""
# Quarters Feb-Apr, May-Jul, Aug-Oct, Nov-Jan; FY2025 = February 2024 to January 2025.
FEBRUARY_ORDERS = pa.table(
    {
        "at": stamps(
            utc(2024, 1, 31, 23, 59),  # FY2024 Q4 (November 2023 to January 2024)
            utc(2024, 2, 1),  # FY2025 Q1
            utc(2024, 4, 30, 12),  # FY2025 Q1
            utc(2024, 5, 1),  # FY2025 Q2
            utc(2025, 1, 15),  # FY2025 Q4
        )
    }
)


def test_quarters_of_a_year_starting_in_february(define, engine):
    project = define(FEBRUARY, orders=FEBRUARY_ORDERS)
    table = project.query(
        ["orders"], grain="fiscal_quarter", start="2023-11-01", end="2025-02-01", engine=engine
    )
    assert rows(table) == [
        (D(2023, 11, 1), 1),
        (D(2024, 2, 1), 2),
        (D(2024, 5, 1), 1),
        (D(2024, 8, 1), 0),
        (D(2024, 11, 1), 1),
    ]
    by_quarter = project.query(["orders"], by=["order_quarter", "order_year"], engine=engine)
    assert rows(by_quarter) == [
        (D(2023, 11, 1), D(2023, 2, 1), 1),
        (D(2024, 2, 1), D(2024, 2, 1), 2),
        (D(2024, 5, 1), D(2024, 2, 1), 1),
        (D(2024, 11, 1), D(2024, 2, 1), 1),
    ]


# ---- labels and mixing grains (the plan and the presentation: on one engine) -------------


@pytest.mark.engines("arrow")
def test_the_terminal_names_fiscal_periods(project, engine):
    from rich.console import Console

    result = project.query(["total"], grain="fiscal_quarter", **FISCAL_2025, engine=engine)
    assert result.key_texts("fiscal_quarter") == [
        "FY2025 Q1",
        "FY2025 Q2",
        "FY2025 Q3",
        "FY2025 Q4",
    ]
    # The Arrow column stays the periods' first days, for code.
    assert result.column("fiscal_quarter").to_pylist()[0] == D(2024, 4, 1)
    metrics = [project.metrics["total"]]
    calendar = project.checked.calendar.rules
    console = Console(width=80, record=True)
    console.print(result_table(result.to_arrow(), metrics, calendar=calendar))
    assert "FY2025 Q4" in console.export_text()


@pytest.mark.engines("arrow")
def test_sub_periods_inside_fiscal_periods(define, engine):
    project = define(
        DEFINITIONS.replace(
            "scorecard quarterly",
            "metric best_month = max(per month: total)\n"
            "metric best_quarter = max(per quarter: total)\n"
            "scorecard quarterly",
        ),
        orders=ORDERS,
        subscriptions=SUBSCRIPTIONS,
    )
    table = project.query(["best_month"], grain="fiscal_quarter", **FISCAL_2025, engine=engine)
    # Months split fiscal quarters: FY2025 Q4's best month is March (11,000,000).
    assert rows(table)[-1] == (D(2025, 1, 1), 11_000_000)
    # A calendar quarter is as long as a fiscal quarter: neither splits the other.
    with pytest.raises(QueryError, match="a quarter and a fiscal_quarter are as long"):
        project.query(["best_quarter"], grain="fiscal_quarter", **FISCAL_2025, engine=engine)
    # A calendar quarter inside a fiscal year is cut at the fiscal year's ends, as a week
    # inside a month is; with April starts none is cut: FY2025's best is Jan-Mar 2025.
    table = project.query(["best_quarter"], grain="fiscal_year", **FISCAL_2025, engine=engine)
    assert rows(table) == [(D(2024, 4, 1), 11_000_000)]
