"""The rules a spine's columns follow (execute/sql/progressions.py): found value by value, so a
generated spine holds exactly the instants the plan computed, and none where engines could
disagree (a midnight the clock skips)."""

from __future__ import annotations

import datetime as dt

from metricsmith.execute.sql.progressions import Unit, fit_dates, fit_instants
from metricsmith.plan.periods import epoch_micros, local_midnight

D = dt.date


def midnights(days: list[dt.date], timezone: str) -> list[int]:
    return [epoch_micros(local_midnight(day, timezone)) for day in days]


def days_from(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range(count)]


def firsts_of_months(year: int, count: int) -> list[dt.date]:
    return [D(year + (m // 12), m % 12 + 1, 1) for m in range(count)]


def test_local_days_across_a_clock_change_are_days_not_evenly_spaced_instants():
    # New York's clocks go forward on 2024-03-10: that day has 23 hours.
    rule = fit_instants(
        midnights(days_from(D(2024, 3, 1), 20), "America/New_York"), "America/New_York"
    )
    assert rule is not None
    assert (rule.unit, rule.first, rule.step, dict(rule.exceptions)) == (
        Unit.DAYS,
        D(2024, 3, 1),
        1,
        {},
    )


def test_weeks_and_months_are_found_with_their_step():
    weeks = fit_instants(midnights(days_from(D(2024, 1, 1), 70)[::7], "UTC"), "UTC")
    assert weeks is not None and (weeks.unit, weeks.step) == (Unit.DAYS, 7)
    quarters = fit_instants(
        midnights(firsts_of_months(2023, 36)[::3], "Europe/Berlin"), "Europe/Berlin"
    )
    assert quarters is not None and (quarters.unit, quarters.first, quarters.step) == (
        Unit.MONTHS,
        D(2023, 1, 1),
        3,
    )


def test_a_first_period_cut_short_is_an_exception():
    # A range starting on 2024-01-15: the first period starts there, the others on the 1st.
    starts = midnights([D(2024, 1, 15), *firsts_of_months(2024, 12)[1:]], "UTC")
    rule = fit_instants(starts, "UTC")
    assert rule is not None
    # Counted from period 0: the first of February is one month after the first of January.
    assert (rule.unit, rule.first, rule.step) == (Unit.MONTHS, D(2024, 1, 1), 1)
    assert dict(rule.exceptions) == {0: starts[0]}


def test_window_starts_a_week_before_each_month_end_follow_the_ends_shifted():
    ends = fit_instants(midnights(firsts_of_months(2024, 12), "UTC"), "UTC")
    starts = midnights([day - dt.timedelta(days=7) for day in firsts_of_months(2024, 12)], "UTC")
    assert fit_instants(starts, "UTC") is None  # 25 Dec, 25 Jan, 22 Feb, ...: no rule alone
    rule = fit_instants(starts, "UTC", like=ends)
    assert rule is not None and (rule.unit, rule.first, rule.shift) == (
        Unit.MONTHS,
        D(2024, 1, 1),
        -7,
    )


def test_days_with_a_skipped_midnight_follow_no_rule():
    # Havana's clocks go from 00:00 to 01:00 on 2024-03-10: that day begins at 01:00, which
    # engines need not agree on; the spine is then listed.
    days = days_from(D(2024, 3, 1), 20)
    assert fit_instants(midnights(days, "America/Havana"), "America/Havana") is None


def test_dates_days_or_months_apart():
    labels = fit_dates(firsts_of_months(2022, 36))
    assert labels is not None and (labels.unit, labels.first, labels.step) == (
        Unit.MONTHS,
        D(2022, 1, 1),
        1,
    )
    # A day missing in the middle: only the first and last period may break a rule.
    assert fit_dates([D(2024, 1, d) for d in (1, 2, 3, 5, 6, 7, 8)]) is None
