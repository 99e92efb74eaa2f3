"""Random events, random queries: offsets and windows agree with the same metrics written by
hand in DuckDB SQL (correlated subqueries per period, `lag` for offsets), in several time
zones and both week starts."""

# Arrow only: the oracle is DuckDB SQL written by hand; test_differential.py compares engines.

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_helpers import (
    STEPS,
    ZONES,
    duckdb_rows,
    instants_between,
    load,
    periods_back,
    same,
    whole_periods,
)

DEFINITIONS = """
calendar {{ timezone "{zone}" week_start {week_start} }}
source events from csv("events.csv") {{ time at }}
metric n = count(events)
metric n_prev = n[-1]
metric n_prev2 = change(n)[-1]
metric total_prev = sum(events.x)[-1]
metric last_7_days = count(events) over last 7 days
metric last_7_days_prev = last_7_days[-1]
metric users_2_weeks = count_distinct(events.user_id) over last 2 weeks
metric x_last_month = sum(events.x) over last 1 month
metric month_to_date = count(events) over month to date
metric ever = count(events) over all time
"""
METRICS = [
    "n",
    "n_prev",
    "n_prev2",
    "total_prev",
    "last_7_days",
    "last_7_days_prev",
    "users_2_weeks",
    "x_last_month",
    "month_to_date",
    "ever",
]
SQL = """
WITH periods AS (
    SELECT
        CAST(label AS DATE) AS label,
        timezone($zone, label) AS s,
        timezone($zone, label + INTERVAL {step}) AS e,
        timezone($zone, label + INTERVAL {step} - INTERVAL 7 DAY) AS w7,
        timezone($zone, label + INTERVAL {step} - INTERVAL 14 DAY) AS w14,
        timezone($zone, label + INTERVAL {step} - INTERVAL 1 MONTH) AS w1m,
        timezone(
            $zone, date_trunc('month', label + INTERVAL {step} - INTERVAL 1 MICROSECOND)
        ) AS mtd
    FROM generate_series(
        CAST($first AS TIMESTAMP), CAST($last AS TIMESTAMP), INTERVAL {step}
    ) AS t(label)
),
segments AS ({segments}),
cells AS (
    SELECT
        p.label,
        g.seg,
        (SELECT count(*) FROM events v WHERE v.at >= p.s AND v.at < p.e AND {match}) AS n,
        (SELECT coalesce(sum(x), 0) FROM events v
            WHERE v.at >= p.s AND v.at < p.e AND {match}) AS total,
        (SELECT count(*) FROM events v
            WHERE v.at >= p.w7 AND v.at < p.e AND {match}) AS last_7_days,
        (SELECT count(DISTINCT user_id) FROM events v
            WHERE v.at >= p.w14 AND v.at < p.e AND {match}) AS users_2_weeks,
        (SELECT coalesce(sum(x), 0) FROM events v
            WHERE v.at >= p.w1m AND v.at < p.e AND {match}) AS x_last_month,
        (SELECT count(*) FROM events v
            WHERE v.at >= p.mtd AND v.at < p.e AND {match}) AS month_to_date,
        (SELECT count(*) FROM events v WHERE v.at < p.e AND {match}) AS ever
    FROM periods p CROSS JOIN segments g
)
SELECT
    label,
    seg,
    n,
    lag(n) OVER w AS n_prev,
    lag(n) OVER w - lag(n, 2) OVER w AS n_prev2,
    lag(total) OVER w AS total_prev,
    last_7_days,
    lag(last_7_days) OVER w AS last_7_days_prev,
    users_2_weeks,
    x_last_month,
    month_to_date,
    ever
FROM cells
WINDOW w AS (PARTITION BY seg ORDER BY label)
"""
EARLIEST = dt.datetime(2024, 1, 20, tzinfo=dt.UTC)
LATEST = dt.datetime(2024, 5, 10, tzinfo=dt.UTC)
FIRSTS = {
    "day": [dt.date(2024, 3, 8), dt.date(2024, 3, 30), dt.date(2024, 4, 2)],
    "week": [dt.date(2024, 3, 1), dt.date(2024, 3, 28)],
    "month": [dt.date(2024, 2, 1), dt.date(2024, 3, 1)],
}

events = st.lists(
    st.fixed_dictionaries(
        {
            "at": st.one_of(st.none(), instants_between(EARLIEST, LATEST)),
            "x": st.one_of(st.none(), st.integers(-2, 5)),
            "seg": st.sampled_from(["a", "b", None]),
            "user_id": st.sampled_from(["u1", "u2", "u3", None]),
        }
    ),
    max_size=25,
)
grain_and_first = st.sampled_from(sorted(FIRSTS)).flatmap(
    lambda grain: st.tuples(st.just(grain), st.sampled_from(FIRSTS[grain]))
)
queries = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "week_start": st.sampled_from(["monday", "sunday"]),
        "grain_and_first": grain_and_first,
        "count": st.integers(1, 4),
        "by_segment": st.booleans(),
    }
)


def events_table(data: list[dict]) -> pa.Table:
    return pa.table(
        {
            "at": pa.array([r["at"] for r in data], pa.timestamp("us", tz="UTC")),
            "x": pa.array([r["x"] for r in data], pa.int64()),
            "seg": pa.array([r["seg"] for r in data], pa.string()),
            "user_id": pa.array([r["user_id"] for r in data], pa.string()),
        }
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=events, query=queries)
def test_offsets_and_windows_match_duckdb(data, query):
    grain, first = query["grain_and_first"]
    start, end = whole_periods(grain, query["week_start"], first, query["count"])
    table = events_table(data)
    project = load(DEFINITIONS.format(**query), {"events": table})
    by = ["events.seg"] if query["by_segment"] else []
    ours = project.query(METRICS, by=by, grain=grain, start=start, end=end).to_pylist()

    sql = SQL.format(
        step=STEPS[grain],
        segments="SELECT DISTINCT seg FROM events" if by else "SELECT NULL AS seg",
        match="v.seg IS NOT DISTINCT FROM g.seg" if by else "TRUE",
    )
    params = {
        "zone": query["zone"],
        "first": periods_back(grain, start, 2),
        "last": periods_back(grain, end, 1),
    }
    theirs = {
        (row["label"], row["seg"]): row
        for row in duckdb_rows(sql, {"events": table}, params)
        if row["label"] >= start
    }
    labels = {label for label, _ in theirs}
    seen = set()
    for row in ours:
        key = (row[grain], row["events.seg"] if by else None)
        seen.add(key)
        for metric in METRICS:
            assert same(row[metric], theirs[key][metric]), (key, metric, row, theirs[key])
    # Every period of every segment we show (with segments but no rows, none); a segment we
    # leave out has nothing to show.
    if seen or not by:
        assert {label for label, _ in seen} == labels
        assert len(seen) == len(labels) * len({segment for _, segment in seen})
    for key, row in theirs.items():
        if key not in seen:
            assert not any(row[metric] for metric in METRICS), row
