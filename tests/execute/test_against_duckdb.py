"""Random data, random queries: the Arrow executor agrees with the same query written in
DuckDB SQL (nulls, empty groups, filters, links, grains in several time zones)."""

# Arrow only: the oracle is DuckDB SQL written by hand; test_differential.py compares engines.

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import metricsmith
import pyarrow as pa
from execute_helpers import TIMESTAMP
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DEFINITIONS = """
calendar {{ timezone "{timezone}" week_start {week_start} }}
source accounts from csv("accounts.csv") {{ key account_id }}
source events from csv("events.csv") {{
  entity account_id -> accounts
  time at
}}
metric n = count(events)
metric big = count(events where x > 2)
metric total = sum(events.x)
metric total_big = sum(events.x where x > 2)
metric mean_y = avg(events.y)
metric distinct_x = count_distinct(events.x)
metric max_y = max(events.y where seg == "a")
metric median_y = median(events.y)
metric share = big / n
metric ratio = total / count(events where y > 0.5)
"""
METRICS = [
    "n",
    "big",
    "total",
    "total_big",
    "mean_y",
    "distinct_x",
    "max_y",
    "median_y",
    "share",
    "ratio",
]
AGGREGATES_SQL = """
    count(*) AS n,
    count(*) FILTER (WHERE x > 2) AS big,
    coalesce(sum(x), 0) AS total,
    coalesce(sum(x) FILTER (WHERE x > 2), 0) AS total_big,
    avg(y) AS mean_y,
    count(DISTINCT x) AS distinct_x,
    max(y) FILTER (WHERE seg = 'a') AS max_y,
    median(y) AS median_y,
    count(*) FILTER (WHERE x > 2) / nullif(count(*), 0) AS share,
    coalesce(sum(x), 0) / nullif(count(*) FILTER (WHERE y > 0.5), 0) AS ratio
"""
# The value of each metric for a cell without rows.
EMPTY = {"n": 0, "big": 0, "total": 0, "total_big": 0, "distinct_x": 0}
DIMENSIONS = {"events.seg": "e.seg", "accounts.region": "a.region"}
FILTERS = {
    "events.x >= 0": "e.x >= 0",
    'accounts.region != "NA"': "a.region <> 'NA'",
    'events.seg in ("a", "b") or events.y is null': "(e.seg IN ('a', 'b') OR e.y IS NULL)",
}
ACCOUNTS = pa.table({"account_id": [1, 2, 3], "region": ["EMEA", None, "NA"]})

WINDOWS = [  # around daylight-saving changes in Europe and North America
    (dt.datetime(2024, 3, 7, tzinfo=dt.UTC), dt.datetime(2024, 4, 3, tzinfo=dt.UTC)),
    (dt.datetime(2024, 10, 24, tzinfo=dt.UTC), dt.datetime(2024, 11, 6, tzinfo=dt.UTC)),
]
RANGES = [
    None,
    (dt.date(2024, 3, 1), dt.date(2024, 4, 1)),
    (dt.date(2024, 3, 9), dt.date(2024, 3, 12)),
    (dt.date(2024, 10, 27), dt.date(2024, 11, 4)),
    (dt.date(2024, 1, 1), dt.date(2025, 1, 1)),
]


def instants():
    def in_window(window, seconds):
        start, end = window
        return start + dt.timedelta(seconds=seconds % int((end - start).total_seconds()))

    return st.builds(in_window, st.sampled_from(WINDOWS), st.integers(0, 10**8))


rows = st.fixed_dictionaries(
    {
        "at": st.one_of(st.none(), instants()),
        "seg": st.sampled_from(["a", "b", None]),
        "x": st.one_of(st.none(), st.integers(-3, 6)),
        "y": st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, None]),
        "account_id": st.sampled_from([1, 2, 3, 99, None]),
    }
)

queries = st.fixed_dictionaries(
    {
        "timezone": st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
        "week_start": st.sampled_from(["monday", "sunday"]),
        "grain": st.sampled_from([None, "day", "week", "month"]),
        "range": st.sampled_from(RANGES),
        "by": st.lists(st.sampled_from(sorted(DIMENSIONS)), unique=True, max_size=2),
        "where": st.lists(st.sampled_from(sorted(FILTERS)), unique=True, max_size=1),
    }
)


def events_table(data: list[dict]) -> pa.Table:
    return pa.table(
        {
            "at": pa.array([r["at"] for r in data], TIMESTAMP),
            "seg": pa.array([r["seg"] for r in data], pa.string()),
            "x": pa.array([r["x"] for r in data], pa.int64()),
            "y": pa.array([r["y"] for r in data], pa.float64()),
            "account_id": pa.array([r["account_id"] for r in data], pa.int64()),
        }
    )


def local_bounds(query) -> tuple[dt.datetime, dt.datetime] | None:
    if query["range"] is None:
        return None
    zone = ZoneInfo(query["timezone"])
    return tuple(dt.datetime(d.year, d.month, d.day, tzinfo=zone) for d in query["range"])


def period_sql(query) -> str:
    local = f"timezone('{query['timezone']}', {{}})"
    if query["grain"] == "week" and query["week_start"] == "sunday":
        return f"CAST(date_trunc('week', {local} + INTERVAL 1 DAY) - INTERVAL 1 DAY AS DATE)"
    return f"CAST(date_trunc('{query['grain']}', {local}) AS DATE)"


def duckdb_answer(events: pa.Table, query) -> tuple[dict, set, set]:
    """Cells with rows (key → metrics), the spine's periods and the combinations seen."""
    connection = duckdb.connect()
    connection.register("events", events)
    connection.register("accounts", ACCOUNTS)
    dims = [DIMENSIONS[label] for label in query["by"]]
    period = period_sql(query).format('e."at"') if query["grain"] else None
    keys = [k for k in (period, *dims) if k]
    conditions = [FILTERS[f] for f in query["where"]]
    bounds = local_bounds(query)
    if bounds:
        conditions += ['e."at" >= $start', 'e."at" < $end']
    elif query["grain"]:
        conditions.append('e."at" IS NOT NULL')
    params = {"start": bounds[0], "end": bounds[1]} if bounds else {}
    sql = f"""
        SELECT {", ".join([*keys, AGGREGATES_SQL]) if keys else AGGREGATES_SQL}
        FROM events e LEFT JOIN accounts a ON e.account_id = a.account_id
        {"WHERE " + " AND ".join(conditions) if conditions else ""}
        {"GROUP BY " + ", ".join(keys) if keys else ""}
    """
    result = connection.sql(sql, params=params).fetchall()
    cells = {
        tuple(row[: len(keys)]): dict(zip(METRICS, row[len(keys) :], strict=True)) for row in result
    }
    if not keys:
        cells = {(): cells[()]} if cells else {}
    combinations = {key[1:] if period else key for key in cells}
    return cells, _spine(connection, events, query, bounds), combinations


def _spine(connection, events, query, bounds) -> set:
    if not query["grain"]:
        return {None}
    step = {"day": "1 day", "week": "7 days", "month": "1 month"}[query["grain"]]
    if bounds:
        first = period_sql(query).format("$start::TIMESTAMPTZ")
        last_instant = "$end::TIMESTAMPTZ - INTERVAL 1 MICROSECOND"
        params = {"start": bounds[0], "end": bounds[1]}
    else:
        first = period_sql(query).format('min("at")')
        last_instant = 'max("at")'
        params = {}
    last = period_sql(query).format(last_instant)
    source = "" if bounds else "FROM events"
    found = connection.sql(f"SELECT {first}, {last} {source}", params=params).fetchall()[0]
    if found[0] is None:
        return set()
    days = connection.sql(
        f"SELECT CAST(unnest(generate_series(DATE '{found[0]}', DATE '{found[1]}', "
        f"INTERVAL {step})) AS DATE)"
    ).fetchall()
    return {day for (day,) in days}


def same(metric: str, ours, theirs) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.lists(rows, max_size=30), query=queries)
def test_matches_duckdb(data, query):
    events = events_table(data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.metrics"
        path.write_text(DEFINITIONS.format(**query))
        project = metricsmith.load_project(path, tables={"events": events, "accounts": ACCOUNTS})
        bounds = local_bounds(query)
        ours = project.query(
            METRICS,
            by=query["by"],
            grain=query["grain"],
            start=bounds[0] if bounds else None,
            end=bounds[1] if bounds else None,
            where=query["where"],
        )
    cells, spine, combinations = duckdb_answer(events, query)
    width = 1 if query["grain"] else 0
    got = {}
    for row in ours.to_pylist():
        values = list(row.values())
        got[tuple(values[: width + len(query["by"])])] = row
    # Every period of the spine for every combination seen (with no dimensions, the one
    # empty combination; with dimensions but no rows, none).
    expected_combinations = combinations if query["by"] else {()}
    assert len(got) == len(spine) * len(expected_combinations)
    if got:
        assert {key[width:] for key in got} == expected_combinations
    if query["grain"] and got:
        assert {key[0] for key in got} == spine
    for key, row in got.items():
        expected = cells.get(key, {m: EMPTY.get(m) for m in METRICS})
        for metric in METRICS:
            assert same(metric, row[metric], expected[metric]), (key, metric, row, expected)
    assert set(cells) <= set(got)
