"""Random accounts and events, random queries: per-entity iteration (a key source's accounts
existing at each period end, identifier users found in windows), offsets inside it, and
per-day averages agree with the same metrics written by hand in DuckDB SQL."""

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
source accounts from csv("accounts.csv") {{
  key account_id
  time signed_up_at
}}
source events from csv("events.csv") {{
  time at
  entity account_id -> accounts
  entity user_id as user
}}
metric accounts_total = count(per account)
metric active = count(per account where count(events) > 0)
metric went_quiet = count(per account where count(events)[-1] > 0 and count(events) == 0)
metric mean_x = avg(per account: sum(events.x))
metric busy_x = sum(per account: sum(events.x) where count(events) over last 7 days >= 2)
metric engaged_users = count(per user where count(events) over last 7 days >= 2)
metric daily_users = avg(per day: count_distinct(events.user_id))
"""
ACCOUNT_METRICS = ["accounts_total", "active", "went_quiet", "mean_x", "busy_x"]
USER_METRICS = ["engaged_users"]
SQL = """
WITH periods AS (
    SELECT
        CAST(label AS DATE) AS label,
        label AS local_start,
        timezone($zone, label) AS s,
        timezone($zone, label + INTERVAL {step}) AS e,
        timezone($zone, label + INTERVAL {step} - INTERVAL 7 DAY) AS w7
    FROM generate_series(
        CAST($first AS TIMESTAMP), CAST($last AS TIMESTAMP), INTERVAL {step}
    ) AS t(label)
),
account_cells AS (
    SELECT
        p.label,
        {region} AS region,
        a.account_id,
        a.signed_up_at < p.e AS present,
        (SELECT count(*) FROM events v
            WHERE v.account_id = a.account_id AND v.at >= p.s AND v.at < p.e) AS c,
        (SELECT coalesce(sum(v.x), 0) FROM events v
            WHERE v.account_id = a.account_id AND v.at >= p.s AND v.at < p.e) AS xs,
        (SELECT count(*) FROM events v
            WHERE v.account_id = a.account_id AND v.at >= p.w7 AND v.at < p.e) AS c7
    FROM periods p CROSS JOIN accounts a
),
account_metrics AS (
    SELECT
        label,
        region,
        count(*) FILTER (WHERE present) AS accounts_total,
        count(*) FILTER (WHERE present AND c > 0) AS active,
        count(*) FILTER (WHERE present AND c_prev > 0 AND c = 0) AS went_quiet,
        avg(xs) FILTER (WHERE present) AS mean_x,
        coalesce(sum(xs) FILTER (WHERE present AND c7 >= 2), 0) AS busy_x
    FROM (
        SELECT *, lag(c) OVER (PARTITION BY account_id ORDER BY label) AS c_prev
        FROM account_cells
    )
    GROUP BY label, region
),
user_metrics AS (
    SELECT label, region, count(*) FILTER (WHERE c7 >= 2) AS engaged_users
    FROM (
        SELECT p.label, {region} AS region, v.user_id, count(*) AS c7
        FROM periods p
        JOIN events v ON v.at >= p.w7 AND v.at < p.e
        LEFT JOIN accounts a ON v.account_id = a.account_id
        WHERE v.user_id IS NOT NULL
        GROUP BY ALL
    )
    GROUP BY label, region
),
day_metrics AS (
    SELECT label, avg(users) AS daily_users
    FROM (
        SELECT
            p.label,
            d.day,
            (SELECT count(DISTINCT v.user_id) FROM events v
                WHERE v.at >= timezone($zone, d.day)
                AND v.at < timezone($zone, d.day + INTERVAL 1 DAY)) AS users
        FROM periods p,
            LATERAL (
                SELECT unnest(generate_series(
                    p.local_start, p.local_start + INTERVAL {step} - INTERVAL 1 DAY,
                    INTERVAL 1 DAY
                )) AS day
            ) d
    )
    GROUP BY label
)
SELECT 'account' AS kind, * FROM account_metrics
UNION ALL BY NAME SELECT 'user' AS kind, * FROM user_metrics
UNION ALL BY NAME SELECT 'day' AS kind, *, NULL AS region FROM day_metrics
"""
EARLIEST = dt.datetime(2024, 2, 20, tzinfo=dt.UTC)
LATEST = dt.datetime(2024, 4, 20, tzinfo=dt.UTC)
FIRSTS = {
    "day": [dt.date(2024, 3, 8), dt.date(2024, 3, 30)],
    "week": [dt.date(2024, 3, 1), dt.date(2024, 3, 28)],
    "month": [dt.date(2024, 3, 1)],
}
EMPTY = {"accounts_total": 0, "active": 0, "went_quiet": 0, "busy_x": 0, "engaged_users": 0}

accounts = st.lists(
    st.fixed_dictionaries(
        {
            "signed_up_at": st.one_of(st.none(), instants_between(EARLIEST, LATEST)),
            "region": st.sampled_from(["EMEA", "NA", None]),
        }
    ),
    max_size=5,
)
events = st.lists(
    st.fixed_dictionaries(
        {
            "at": instants_between(EARLIEST, LATEST),
            "x": st.one_of(st.none(), st.integers(-2, 5)),
            "account_id": st.sampled_from([0, 1, 2, 3, 4, 99, None]),
            "user_id": st.sampled_from(["u1", "u2", "u3", None]),
        }
    ),
    max_size=20,
)
grain_and_first = st.sampled_from(sorted(FIRSTS)).flatmap(
    lambda grain: st.tuples(st.just(grain), st.sampled_from(FIRSTS[grain]))
)
queries = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "week_start": st.sampled_from(["monday", "sunday"]),
        "grain_and_first": grain_and_first,
        "count": st.integers(1, 3),
        "by_region": st.booleans(),
    }
)
TIMESTAMP = pa.timestamp("us", tz="UTC")


def tables_for(account_rows: list[dict], event_rows: list[dict]) -> dict[str, pa.Table]:
    return {
        "accounts": pa.table(
            {
                "account_id": pa.array(range(len(account_rows)), pa.int64()),
                "signed_up_at": pa.array([r["signed_up_at"] for r in account_rows], TIMESTAMP),
                "region": pa.array([r["region"] for r in account_rows], pa.string()),
            }
        ),
        "events": pa.table(
            {
                "at": pa.array([r["at"] for r in event_rows], TIMESTAMP),
                "x": pa.array([r["x"] for r in event_rows], pa.int64()),
                "account_id": pa.array([r["account_id"] for r in event_rows], pa.int64()),
                "user_id": pa.array([r["user_id"] for r in event_rows], pa.string()),
            }
        ),
    }


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(account_rows=accounts, event_rows=events, query=queries)
def test_per_entity_metrics_match_duckdb(account_rows, event_rows, query):
    grain, first = query["grain_and_first"]
    start, end = whole_periods(grain, query["week_start"], first, query["count"])
    tables = tables_for(account_rows, event_rows)
    project = load(DEFINITIONS.format(**query), tables)
    by = ["accounts.region"] if query["by_region"] else []
    metrics = [*ACCOUNT_METRICS, *USER_METRICS] + ([] if by else ["daily_users"])
    ours = project.query(metrics, by=by, grain=grain, start=start, end=end).to_pylist()

    sql = SQL.format(step=STEPS[grain], region="a.region" if by else "NULL")
    params = {
        "zone": query["zone"],
        "first": periods_back(grain, start, 1),
        "last": periods_back(grain, end, 1),
    }
    theirs: dict[tuple, dict] = {}
    for row in duckdb_rows(sql, tables, params):
        if row["label"] >= start:
            cell = theirs.setdefault((row["label"], row["region"]), {})
            cell.update({k: v for k, v in row.items() if k in metrics and v is not None})
    for row in ours:
        key = (row[grain], row["accounts.region"] if by else None)
        expected = theirs.get(key, {})
        for metric in metrics:
            wanted = expected.get(metric, EMPTY.get(metric))
            assert same(row[metric], wanted), (key, metric, row, expected)
    shown = {(row[grain], row["accounts.region"] if by else None) for row in ours}
    for key, cell in theirs.items():
        if key not in shown:
            assert not any(cell.get(metric) for metric in metrics), (key, cell)
