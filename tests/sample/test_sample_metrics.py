"""Every sample metric, computed by metricsmith, equals the independent oracle.

The expected values come from sample_oracle.py (plain Python over the CSVs) and from the
literals in sample_expected.py; nothing here asks metricsmith what the answer should be.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import metricsmith
import pyarrow as pa
import pytest
from sample_expected import MARCH_2024, PINNED_CELLS, PINNED_QUERIES, pinned
from sample_oracle import (
    ACCOUNT_SLICERS,
    METRICS,
    SAMPLE_DIR,
    Account,
    Cell,
    csat_answers,
    expected,
    mean,
    month_starts,
    sample_data,
    utc,
)

ALL_METRICS = sorted(METRICS)
MONTHS_2024 = [dt.date(2024, month, 1) for month in range(1, 13)]


@pytest.fixture(scope="module")
def project() -> metricsmith.Project:
    return metricsmith.load_project(SAMPLE_DIR)


def assert_matches(actual: object, wanted: object, where: str) -> None:
    """Counts exactly, other numbers to 1e-9 relative, and null only where null is expected."""
    if wanted is None:
        assert actual is None, f"{where}: expected null, got {actual!r}"
    elif isinstance(wanted, int):
        assert actual == wanted, f"{where}: expected {wanted}, got {actual!r}"
    else:
        assert actual == pytest.approx(wanted, rel=1e-9), f"{where}: expected {wanted!r}"


def period_cell(start: dt.date, end: dt.date, keep: Callable[[Account], bool] | None) -> Cell:
    bounds = (utc(start.year, start.month, start.day), utc(end.year, end.month, end.day))
    return Cell(*bounds) if keep is None else Cell(*bounds, keep)


def add_months(first_day: dt.date, months: int) -> dt.date:
    index = first_day.year * 12 + first_day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def next_month(month: dt.date) -> dt.date:
    return add_months(month, 1)


def assert_table_matches_oracle(
    table: pa.Table,
    metrics: list[str],
    grain_column: str | None,
    period_end: Callable[[dt.date], dt.date],
    by: str | None = None,
    whole: tuple[dt.date, dt.date] | None = None,
) -> None:
    """Each row's metric values equal the oracle's for that row's period and slice."""
    for row in table.to_pylist():
        if grain_column is None:
            start, end = whole
        else:
            start = row[grain_column]
            end = period_end(start)
        keep = None
        if by is not None:
            slicer, value = ACCOUNT_SLICERS[by], row[by]
            keep = lambda account, slicer=slicer, value=value: slicer(account) == value  # noqa: E731
        cell = period_cell(start, end, keep)
        for metric in metrics:
            slice_text = f" {by}={row[by]}" if by else ""
            assert_matches(row[metric], expected(metric, cell), f"{metric} at {start}{slice_text}")


# ---- one metric at a time, month by month ---------------------------------------------------


@pytest.mark.parametrize("metric", ALL_METRICS)
def test_metric_by_month_in_2024(project: metricsmith.Project, metric: str, engine: str) -> None:
    table = project.query(
        [metric], grain="month", start="2024-01-01", end="2025-01-01", engine=engine
    )
    assert table.column_names == ["month", metric]
    # The time spine: every month is present, with or without data.
    assert table.column("month").to_pylist() == MONTHS_2024
    assert_table_matches_oracle(table, [metric], "month", next_month)


@pytest.mark.parametrize("metric", ALL_METRICS)
def test_metric_by_month_and_segment(
    project: metricsmith.Project, metric: str, engine: str
) -> None:
    by = "accounts.segment"
    table = project.query(
        [metric], by=[by], grain="month", start="2024-01-01", end="2025-01-01", engine=engine
    )
    assert table.column_names == ["month", by, metric]
    rows = table.to_pylist()
    keys = [(row["month"], row[by]) for row in rows]
    assert keys == sorted(keys), "rows are sorted by period, then by dimension"
    assert len(set(keys)) == len(keys)
    assert_table_matches_oracle(table, [metric], "month", next_month, by=by)
    # Every cell that has data is in the result (cells without data may be left out).
    present = set(keys)
    for month in MONTHS_2024:
        for segment in ("SMB", "Mid-market", "Enterprise"):
            cell = period_cell(month, next_month(month), lambda a, s=segment: a.segment == s)
            if expected(metric, cell) not in (None, 0):
                assert (month, segment) in present, f"{metric}: {month} {segment} missing"


# ---- all metrics together, no grain ---------------------------------------------------------


def test_all_metrics_for_the_whole_of_2024(project: metricsmith.Project, engine: str) -> None:
    table = project.query(
        ALL_METRICS, grain=None, start="2024-01-01", end="2025-01-01", engine=engine
    )
    assert table.num_rows == 1
    assert set(ALL_METRICS) <= set(table.column_names)
    assert_table_matches_oracle(
        table, ALL_METRICS, None, next_month, whole=(dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    )


@pytest.mark.parametrize("by", ["company_size", "plan_type", "accounts.region"])
def test_all_metrics_for_2024_by_account_attribute(
    project: metricsmith.Project, by: str, engine: str
) -> None:
    table = project.query(
        ALL_METRICS, by=[by], grain=None, start="2024-01-01", end="2025-01-01", engine=engine
    )
    values = table.column(by).to_pylist()
    assert values == sorted(values) and len(set(values)) == len(values)
    assert_table_matches_oracle(
        table,
        ALL_METRICS,
        None,
        next_month,
        by=by,
        whole=(dt.date(2024, 1, 1), dt.date(2025, 1, 1)),
    )


# ---- the hand-pinned literals ---------------------------------------------------------------


@pytest.mark.parametrize("cell_name", list(PINNED_CELLS))
def test_pinned_values(project: metricsmith.Project, cell_name: str, engine: str) -> None:
    table = project.query(ALL_METRICS, **PINNED_QUERIES[cell_name], engine=engine)
    assert table.num_rows == 1
    row = table.to_pylist()[0]
    if cell_name == "2024-03":
        assert row["month"] == MARCH_2024
    for metric in ALL_METRICS:
        assert_matches(row[metric], pinned(metric, cell_name), f"{metric} in {cell_name}")


def test_pinned_enterprise_values_through_a_dimension(
    project: metricsmith.Project, engine: str
) -> None:
    """`by accounts.segment` and `where accounts.segment == ...` give the same Enterprise cell."""
    table = project.query(
        ALL_METRICS,
        by=["accounts.segment"],
        grain=None,
        start="2024-01-01",
        end="2025-01-01",
        engine=engine,
    )
    rows = {row["accounts.segment"]: row for row in table.to_pylist()}
    for metric in ALL_METRICS:
        assert_matches(rows["Enterprise"][metric], pinned(metric, "2024 Enterprise"), metric)


# ---- grains and ranges ----------------------------------------------------------------------


def test_signups_across_the_whole_data_range(project: metricsmith.Project, engine: str) -> None:
    """December 2023 and January 2025 hold data too; a range covering them includes them."""
    table = project.query(
        ["signups"], grain="month", start="2023-12-01", end="2025-02-01", engine=engine
    )
    months = [m.date() for m in month_starts(utc(2023, 12), utc(2025, 2))]
    assert table.column("month").to_pylist() == months
    assert sum(table.column("signups").to_pylist()) == 200
    assert table.column("signups").to_pylist()[0] == expected(
        "signups", Cell(utc(2023, 12), utc(2024))
    )


def test_daily_active_users_in_january_2024(project: metricsmith.Project, engine: str) -> None:
    """At day grain `active_users` is DAU; days without events are 0, not missing."""
    table = project.query(
        ["active_users"], grain="day", start="2024-01-01", end="2024-02-01", engine=engine
    )
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(31)]
    assert table.column("day").to_pylist() == days
    daily = table.column("active_users").to_pylist()
    assert 0 in daily, "the sample has quiet days in January; they must show as 0"
    for day, value in zip(days, daily, strict=True):
        assert value == expected("active_users", period_cell(day, day + dt.timedelta(days=1), None))


def test_weeks_start_on_monday(project: metricsmith.Project, engine: str) -> None:
    metrics = ["tickets_opened", "active_users", "nps"]
    table = project.query(
        metrics, grain="week", start="2024-01-01", end="2024-03-04", engine=engine
    )
    weeks = [dt.date(2024, 1, 1) + dt.timedelta(weeks=n) for n in range(9)]
    assert table.column("week").to_pylist() == weeks
    assert all(week.weekday() == 0 for week in weeks)
    assert_table_matches_oracle(table, metrics, "week", lambda w: w + dt.timedelta(weeks=1))


def test_quarters_and_a_year_agree_with_months(project: metricsmith.Project, engine: str) -> None:
    metrics = ["tickets_opened", "nps", "median_resolution_hours_of_resolved"]
    quarters = project.query(
        metrics, grain="quarter", start="2024-01-01", end="2025-01-01", engine=engine
    )
    assert quarters.column("quarter").to_pylist() == [dt.date(2024, m, 1) for m in (1, 4, 7, 10)]
    assert_table_matches_oracle(quarters, metrics, "quarter", lambda q: add_months(q, 3))
    year = project.query(metrics, grain="year", start="2024-01-01", end="2025-01-01", engine=engine)
    assert year.column("year").to_pylist() == [dt.date(2024, 1, 1)]
    assert_table_matches_oracle(year, metrics, "year", lambda y: add_months(y, 12))


def test_empty_months_give_zero_counts_and_null_ratios(
    project: metricsmith.Project, engine: str
) -> None:
    """No NPS survey runs in January, February, May, August or November 2024."""
    table = project.query(
        ["nps_responses", "promoters", "nps", "avg_nps_score"],
        grain="month",
        start="2024-01-01",
        end="2025-01-01",
        engine=engine,
    )
    january = table.to_pylist()[0]
    assert january["nps_responses"] == 0 and january["promoters"] == 0
    assert january["nps"] is None and january["avg_nps_score"] is None


def test_csat_sliced_by_the_ticket_it_rates(project: metricsmith.Project, engine: str) -> None:
    """csat_survey links to tickets, so CSAT slices by a ticket column as well."""
    table = project.query(
        ["csat", "csat_responses"],
        by=["tickets.channel"],
        grain=None,
        start="2024-01-01",
        end="2025-01-01",
        engine=engine,
    )
    by_channel = {row["tickets.channel"]: row for row in table.to_pylist()}
    assert sorted(by_channel) == ["chat", "email", "phone", "portal"]
    ratings = csat_answers(sample_data(), PINNED_CELLS["2024"])
    for channel, row in by_channel.items():
        rated = [r.score for r in ratings if r.ticket.channel == channel]
        assert_matches(row["csat_responses"], sum(s is not None for s in rated), channel)
        assert_matches(row["csat"], mean(rated), channel)
