"""Positions among period boundaries (positions.py) are `numpy.searchsorted(...,
side="right")`, as a CASE tree for a few boundaries, as arithmetic on local dates for local
days, and as a lookup join for many others, on DuckDB and in every dialect's SQL."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from metricsmith.execute.sql import DIALECTS
from metricsmith.execute.sql.positions import (
    TREE_LIMIT,
    Boundaries,
    Evenly,
    LocalDays,
    arithmetic,
    locate,
    placed,
    position,
)
from metricsmith.plan.periods import epoch_micros, from_epoch_micros, local_midnight
from sqlglot import exp

_DAY = 86_400_000_000
_BASE = epoch_micros(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))


def _positions(
    boundaries: list[int],
    instants: list[int | None],
    placing: Evenly | LocalDays | None = None,
) -> list[int | None]:
    """The positions DuckDB computes for the instants (µs), one query for all of them; with
    `placing`, by that arithmetic."""
    dialect = DIALECTS["duckdb"]
    rows = [
        (dialect.instant_literal(from_epoch_micros(t)) if t is not None else exp.Null(),)
        for t in instants
    ] or [(exp.Null(),)]
    found = exp.select().from_(exp.values(rows, alias="instants", columns=["t"]))
    ends = Boundaries(tuple(boundaries), "ends", placing)
    found, place = locate(found, exp.column("t", table="instants"), ends, "placed", dialect)
    query = found.select(exp.alias_(place, "p")).order_by(exp.column("t", table="instants"))
    if ends.joined:
        query = query.with_("ends", as_=ends.table(dialect))
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        answer = [row[0] for row in connection.sql(dialect.sql(query)).fetchall()]
    return answer if instants else []


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 60), max_size=40).map(sorted),
    st.lists(st.one_of(st.none(), st.integers(-5, 65)), max_size=30),
)
def test_position_is_searchsorted_right(days: list[int], probes: list[int | None]) -> None:
    boundaries = [_BASE + d * _DAY for d in days]
    # Probe on and next to every boundary, where an off-by-one would show.
    instants = [None if p is None else _BASE + p * _DAY for p in probes]
    instants += [b + shift for b in boundaries for shift in (-1, 0, 1)]
    ends = np.array(boundaries, dtype=np.int64)
    expected = [None if t is None else int(np.searchsorted(ends, t, "right")) for t in instants]
    order = sorted(range(len(instants)), key=lambda i: (instants[i] is None, instants[i] or 0))
    assert _positions(boundaries, instants) == [expected[i] for i in order]


def test_many_boundaries_are_a_lookup_join_with_the_same_positions() -> None:
    boundaries = [_BASE + d * _DAY for d in range(TREE_LIMIT + 10)]
    assert Boundaries(tuple(boundaries), "ends").joined
    instants = [_BASE - 1, _BASE, _BASE + 5 * _DAY + 1, boundaries[-1], boundaries[-1] + 1]
    assert _positions(boundaries, instants) == [0, 1, 6, len(boundaries), len(boundaries)]


@settings(max_examples=12, deadline=None)
@given(
    st.sampled_from(
        ["UTC", "America/New_York", "Europe/Berlin", "America/Santiago", "Asia/Beirut"]
    ),
    st.dates(dt.date(2021, 1, 1), dt.date(2024, 12, 1)),
    st.integers(5, 60),
    st.sampled_from([1, 7]),
)
def test_local_days_are_placed_by_arithmetic_as_searchsorted(
    timezone: str, first: dt.date, count: int, step: int
) -> None:
    # Local midnights, daily or weekly, across clock changes (Santiago's and Beirut's happen
    # at midnight): the arithmetic on local dates must count exactly the boundaries passed.
    days = [first + dt.timedelta(days=step * i) for i in range(count)]
    boundaries = [epoch_micros(local_midnight(day, timezone)) for day in days]
    placing = LocalDays.of(tuple(boundaries), timezone)
    assert placing == LocalDays(first, step, timezone)
    hour = 3_600_000_000
    shifts = (-hour - 1, -1, 0, 1, hour, 23 * hour)
    instants: list[int | None] = [b + shift for b in boundaries for shift in shifts]
    instants += [None, boundaries[0] - 400 * _DAY, boundaries[-1] + 400 * _DAY]
    ends = np.array(boundaries, dtype=np.int64)
    expected = [None if t is None else int(np.searchsorted(ends, t, "right")) for t in instants]
    order = sorted(range(len(instants)), key=lambda i: (instants[i] is None, instants[i] or 0))
    assert _positions(boundaries, instants, placing) == [expected[i] for i in order]


@settings(max_examples=8, deadline=None)
@given(
    st.sampled_from(["UTC", "America/New_York", "America/Santiago"]),
    st.dates(dt.date(2021, 1, 1), dt.date(2024, 12, 1)),
    st.integers(5, 40),
    st.sampled_from([1, 3, 12]),
)
def test_firsts_of_months_are_placed_by_arithmetic_as_searchsorted(
    timezone: str, day: dt.date, count: int, step: int
) -> None:
    # Months, quarters and years: the local month number since the first boundary's.
    first = day.replace(day=1)
    months = [first.year * 12 + first.month - 1 + step * i for i in range(count)]
    days = [dt.date(m // 12, m % 12 + 1, 1) for m in months]
    boundaries = [epoch_micros(local_midnight(d, timezone)) for d in days]
    placing = LocalDays.of(tuple(boundaries), timezone)
    assert placing == LocalDays(first, step, timezone, True)
    shifts = (-_DAY, -1, 0, 1, 20 * _DAY)
    instants: list[int | None] = [b + shift for b in boundaries for shift in shifts]
    instants += [None, boundaries[0] - 800 * _DAY, boundaries[-1] + 800 * _DAY]
    ends = np.array(boundaries, dtype=np.int64)
    expected = [None if t is None else int(np.searchsorted(ends, t, "right")) for t in instants]
    order = sorted(range(len(instants)), key=lambda i: (instants[i] is None, instants[i] or 0))
    assert _positions(boundaries, instants, placing) == [expected[i] for i in order]


def test_boundaries_that_are_not_local_days_apart_are_not_placed_by_arithmetic() -> None:
    tenth = [epoch_micros(local_midnight(dt.date(2024, m, 10), "UTC")) for m in range(1, 9)]
    assert LocalDays.of(tuple(tenth), "UTC") is None  # months, but not from their firsts
    noon = [_BASE + d * _DAY + _DAY // 2 for d in range(8)]
    assert LocalDays.of(tuple(noon), "UTC") is None  # not the start of a day
    utc_days = tuple(_BASE + d * _DAY for d in range(8))
    assert LocalDays.of(utc_days, "America/New_York") is None  # UTC's days, not New York's


@settings(max_examples=10, deadline=None)
@given(
    st.integers(-3000, 3000),
    st.integers(5, 80),
    st.sampled_from([_DAY, 7 * _DAY, 3_600_000_000, 1]),
)
def test_evenly_spaced_boundaries_are_placed_by_integer_arithmetic(
    first_day: int, count: int, step: int
) -> None:
    # Before and after 1970 too: the division only ever sees non-negative differences.
    boundaries = [_BASE + first_day * _DAY + i * step for i in range(count)]
    placing = Evenly.of(tuple(boundaries))
    assert placing == Evenly(boundaries[0], step)
    instants: list[int | None] = [b + shift for b in boundaries for shift in (-1, 0, 1)]
    instants += [None, boundaries[0] - 50 * _DAY, boundaries[-1] + 50 * _DAY]
    ends = np.array(boundaries, dtype=np.int64)
    expected = [None if t is None else int(np.searchsorted(ends, t, "right")) for t in instants]
    order = sorted(range(len(instants)), key=lambda i: (instants[i] is None, instants[i] or 0))
    assert _positions(boundaries, instants, placing) == [expected[i] for i in order]


def test_arithmetic_is_chosen_where_it_beats_a_tree_or_a_join() -> None:
    utc_days = tuple(_BASE + d * _DAY for d in range(8))
    assert arithmetic(utc_days[:4], "UTC") is None  # a few: a tree is as short
    assert arithmetic(utc_days, "America/New_York") == Evenly(_BASE, _DAY)  # any instants
    firsts = [dt.date(2024, m, 1) for m in range(1, 13)]
    months = tuple(epoch_micros(local_midnight(day, "UTC")) for day in firsts)
    # In UTC a local date is arithmetic on the instant, about as fast as a tree's comparisons
    # and far shorter; with clock changes converting is slower than a tree.
    assert arithmetic(months, "UTC") == LocalDays(firsts[0], 1, "UTC", True)
    berlin_months = tuple(epoch_micros(local_midnight(day, "Europe/Berlin")) for day in firsts)
    assert arithmetic(berlin_months, "Europe/Berlin") is None
    many = [dt.date(2000 + m // 12, m % 12 + 1, 1) for m in range(TREE_LIMIT + 1)]
    instants = tuple(epoch_micros(local_midnight(day, "UTC")) for day in many)
    assert arithmetic(instants, "UTC") == LocalDays(many[0], 1, "UTC", True)  # not a join
    berlin = [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in range(TREE_LIMIT + 100)]
    instants = tuple(epoch_micros(local_midnight(day, "Europe/Berlin")) for day in berlin)
    assert arithmetic(instants, "Europe/Berlin") == LocalDays(berlin[0], 1, "Europe/Berlin")


@pytest.mark.parametrize(("dialect", "cases"), [("duckdb", 1), ("postgres", 12), ("spark", 1)])
def test_utc_months_are_local_date_arithmetic_only_where_it_is_cheap(
    dialect: str, cases: int
) -> None:
    # DuckDB and Spark compute a UTC local date without a time zone's rules; PostgreSQL
    # compares faster than it extracts a month (dialects.py, `cheap_utc_local_dates`).
    firsts = [dt.date(2024, m, 1) for m in range(1, 13)]
    months = tuple(epoch_micros(local_midnight(day, "UTC")) for day in firsts)
    boundaries = Boundaries(months, "ends", arithmetic(months, "UTC"))
    placed_at = placed(exp.column("t"), boundaries, DIALECTS[dialect])
    assert len(list(placed_at.find_all(exp.Case))) == cases


def test_equal_boundaries_give_empty_intervals() -> None:
    day = _BASE + 10 * _DAY
    assert _positions([day, day, day], [day - 1, day, day + 1]) == [0, 3, 3]


def test_no_boundaries_places_everything_first_and_null_nowhere() -> None:
    assert _positions([], [_BASE, None]) == [0, None]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_position_renders_in_every_dialect(dialect: str) -> None:
    boundaries = [_BASE + d * _DAY for d in range(100)]
    expression = position(exp.column("t"), boundaries, DIALECTS[dialect])
    sql = DIALECTS[dialect].sql(exp.select(expression))
    parsed = sqlglot.parse_one(sql, read=DIALECTS[dialect].name)
    cases = list(parsed.find_all(exp.Case))
    # One comparison per boundary, nested as a balanced tree: 7 deep for 100, not 100.
    depth = max(1 + sum(1 for _ in _case_ancestors(case)) for case in cases)
    assert len(cases) == 100 and depth == 7


def _case_ancestors(node: exp.Expression):
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Case):
            yield parent
        parent = parent.parent
