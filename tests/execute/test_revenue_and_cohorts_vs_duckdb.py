"""Random subscription histories and sign-ups: MRR movements (a state source read at period
ends, offsets, an all-time window over it, per-account iteration) and retention triangles
(cohorts and ages) agree with the same metrics written by hand in DuckDB SQL."""

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
    same,
    whole_periods,
)

TIMESTAMP = pa.timestamp("us", tz="UTC")
EARLIEST = dt.datetime(2023, 11, 20, tzinfo=dt.UTC)
LATEST = dt.datetime(2024, 5, 10, tzinfo=dt.UTC)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---- MRR movements ------------------------------------------------------------------------
REVENUE = """
calendar {{ timezone "{zone}" week_start monday }}
source accounts from csv("accounts.csv") {{
  key account_id
  time signed_up_at
}}
source subscriptions from csv("subscriptions.csv") {{
  entity account_id -> accounts
  valid from started_at to ended_at
}}
metric mrr = sum(subscriptions.mrr)
metric starting_mrr = mrr[-1]
metric paid_before = count(subscriptions where mrr > 0) over all time
metric new = sum(per account: mrr where mrr[-1] == 0 and mrr > 0 and paid_before[-1] == 0)
metric reactivation = sum(per account: mrr where mrr[-1] == 0 and mrr > 0 and paid_before[-1] > 0)
metric expansion = sum(per account: mrr - mrr[-1] where mrr[-1] > 0 and mrr > mrr[-1])
metric contraction = sum(per account: mrr[-1] - mrr where mrr > 0 and mrr < mrr[-1])
metric churned = sum(per account: mrr[-1] where mrr[-1] > 0 and mrr == 0)
metric churned_accounts = count(per account where mrr[-1] > 0 and mrr == 0)
"""
REVENUE_METRICS = [
    "mrr",
    "starting_mrr",
    "paid_before",
    "new",
    "reactivation",
    "expansion",
    "contraction",
    "churned",
    "churned_accounts",
]
# Every period end from the one before the first subscription through the range: "paid
# before" looks back over all of them.
REVENUE_SQL = """
WITH ends AS (
    SELECT CAST(local_end - INTERVAL {step} AS DATE) AS label, timezone($zone, local_end) AS e
    FROM generate_series(
        CAST($first_end AS TIMESTAMP), CAST($last_end AS TIMESTAMP), INTERVAL {step}
    ) AS t(local_end)
),
in_force AS (
    SELECT ends.label, s.account_id, s.mrr
    FROM ends JOIN subscriptions s
        ON s.started_at < ends.e AND (s.ended_at IS NULL OR s.ended_at >= ends.e)
),
totals AS (
    SELECT
        ends.label,
        (SELECT coalesce(sum(mrr), 0) FROM in_force f WHERE f.label = ends.label) AS mrr,
        (SELECT count(*) FROM subscriptions s WHERE s.mrr > 0 AND EXISTS (
            SELECT 1 FROM ends earlier
            WHERE earlier.e <= ends.e AND s.started_at < earlier.e
            AND (s.ended_at IS NULL OR s.ended_at >= earlier.e)
        )) AS paid_before
    FROM ends
),
account_ends AS (
    SELECT
        ends.label,
        a.account_id,
        a.signed_up_at < ends.e AS present,
        (SELECT coalesce(sum(mrr), 0) FROM in_force f
            WHERE f.label = ends.label AND f.account_id = a.account_id) AS mrr
    FROM ends CROSS JOIN accounts a
),
movements AS (
    SELECT
        *,
        lag(mrr) OVER by_account AS before,
        coalesce(bool_or(mrr > 0) OVER (
            by_account ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ), false) AS paid_earlier
    FROM account_ends
    WINDOW by_account AS (PARTITION BY account_id ORDER BY label)
),
per_account AS (
    SELECT
        label,
        coalesce(sum(mrr) FILTER (WHERE present AND before = 0 AND mrr > 0
            AND NOT paid_earlier), 0) AS new,
        coalesce(sum(mrr) FILTER (WHERE present AND before = 0 AND mrr > 0
            AND paid_earlier), 0) AS reactivation,
        coalesce(sum(mrr - before) FILTER (WHERE present AND before > 0
            AND mrr > before), 0) AS expansion,
        coalesce(sum(before - mrr) FILTER (WHERE present AND mrr > 0
            AND mrr < before), 0) AS contraction,
        coalesce(sum(before) FILTER (WHERE present AND before > 0 AND mrr = 0), 0) AS churned,
        count(*) FILTER (WHERE present AND before > 0 AND mrr = 0) AS churned_accounts
    FROM movements
    GROUP BY label
)
SELECT
    totals.label,
    totals.mrr,
    lag(totals.mrr) OVER (ORDER BY totals.label) AS starting_mrr,
    totals.paid_before,
    per_account.* EXCLUDE (label)
FROM totals LEFT JOIN per_account USING (label)
"""

accounts = st.lists(instants_between(EARLIEST, LATEST), min_size=1, max_size=3)
subscriptions = st.lists(
    st.fixed_dictionaries(
        {
            "account": st.integers(0, 2),
            "mrr": st.sampled_from([0.0, 10.0, 25.5, 40.0]),
            "started_at": instants_between(EARLIEST, LATEST),
            "ended_at": st.one_of(st.none(), instants_between(EARLIEST, LATEST)),
        }
    ),
    max_size=12,
)
revenue_queries = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "grain_and_first": st.sampled_from(
            [("month", dt.date(2024, 1, 1)), ("month", dt.date(2024, 3, 1))]
            + [("day", dt.date(2024, 3, day)) for day in (9, 30)]
        ),
        "count": st.integers(1, 3),
    }
)


def revenue_tables(signups: list[dt.datetime], rows: list[dict]) -> dict[str, pa.Table]:
    return {
        "accounts": pa.table(
            {
                "account_id": pa.array(range(len(signups)), pa.int64()),
                "signed_up_at": pa.array(signups, TIMESTAMP),
            }
        ),
        "subscriptions": pa.table(
            {
                "account_id": pa.array([r["account"] % len(signups) for r in rows], pa.int64()),
                "mrr": pa.array([r["mrr"] for r in rows], pa.float64()),
                "started_at": pa.array([r["started_at"] for r in rows], TIMESTAMP),
                "ended_at": pa.array([r["ended_at"] for r in rows], TIMESTAMP),
            }
        ),
    }


@settings(SETTINGS, max_examples=60)
@given(signups=accounts, rows=subscriptions, query=revenue_queries)
def test_mrr_movements_match_duckdb(signups, rows, query):
    grain, first = query["grain_and_first"]
    start, end = whole_periods(grain, "monday", first, query["count"])
    tables = revenue_tables(signups, rows)
    project = load(REVENUE.format(**query), tables)
    ours = project.query(REVENUE_METRICS, grain=grain, start=start, end=end).to_pylist()
    params = {
        "zone": query["zone"],
        # The end of the period holding the earliest possible start (a day before it).
        "first_end": EARLIEST.date() if grain == "day" else dt.date(2023, 12, 1),
        "last_end": end,
    }
    sql = REVENUE_SQL.format(step=STEPS[grain])
    theirs = {row["label"]: row for row in duckdb_rows(sql, tables, params)}
    assert [row[grain] for row in ours] == sorted(label for label in theirs if label >= start)
    for row in ours:
        expected = theirs[row[grain]]
        for metric in REVENUE_METRICS:
            assert same(row[metric], expected[metric]), (metric, row, expected)


# ---- retention triangles ------------------------------------------------------------------
COHORTS = """
calendar {{ timezone "{zone}" week_start sunday }}
source accounts from csv("accounts.csv") {{
  key account_id
  time signed_up_at
}}
source events from csv("events.csv") {{
  time at
  entity account_id -> accounts
}}
metric active = count_distinct(events.account_id)
metric accounts_total = count(per account)
metric retention = active / cohort_start(active)
"""
COHORT_METRICS = ["active", "accounts_total", "retention"]
COHORT_SQL = """
WITH periods AS (
    SELECT
        row_number() OVER (ORDER BY label) - 1 AS number,
        CAST(label AS DATE) AS label,
        timezone($zone, label) AS s,
        timezone($zone, label + INTERVAL {step}) AS e
    FROM generate_series(
        CAST($start AS TIMESTAMP), CAST($end AS TIMESTAMP) - INTERVAL {step}, INTERVAL {step}
    ) AS t(label)
),
members AS (
    SELECT account_id, signed_up_at, CAST({truncate} AS DATE) AS cohort
    FROM (SELECT *, timezone($zone, signed_up_at) AS local FROM accounts)
    WHERE signed_up_at IS NOT NULL
),
cells AS (
    SELECT
        c.cohort,
        p.number - own.number AS age,
        (SELECT count(DISTINCT v.account_id) FROM events v JOIN members m USING (account_id)
            WHERE m.cohort = c.cohort AND v.at >= p.s AND v.at < p.e) AS active,
        (SELECT count(*) FROM members m
            WHERE m.cohort = c.cohort AND m.signed_up_at < p.e) AS accounts_total
    -- Every cohort of the range, those without a member too (counts 0, ratios null).
    FROM (SELECT label AS cohort FROM periods) c
    JOIN periods own ON own.label = c.cohort
    JOIN periods p ON p.number >= own.number
)
SELECT *, active / nullif(first_value(active) OVER (PARTITION BY cohort ORDER BY age), 0)
    AS retention
FROM cells
"""
TRUNCATE = {
    "month": "date_trunc('month', local)",
    "week": "date_trunc('week', local + INTERVAL 1 DAY) - INTERVAL 1 DAY",
}

cohort_events = st.lists(
    st.fixed_dictionaries(
        {"at": instants_between(EARLIEST, LATEST), "account_id": st.integers(0, 5)}
    ),
    max_size=20,
)
cohort_queries = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "grain_and_first": st.sampled_from(
            [("month", dt.date(2024, 1, 1)), ("week", dt.date(2024, 3, 1))]
        ),
        "count": st.integers(1, 4),
    }
)


@SETTINGS
@given(
    signups=st.lists(instants_between(EARLIEST, LATEST), max_size=6),
    rows=cohort_events,
    query=cohort_queries,
)
def test_retention_triangles_match_duckdb(signups, rows, query):
    grain, first = query["grain_and_first"]
    start, end = whole_periods(grain, "sunday", first, query["count"])
    tables = {
        "accounts": pa.table(
            {
                "account_id": pa.array(range(len(signups)), pa.int64()),
                "signed_up_at": pa.array(signups, TIMESTAMP),
            }
        ),
        "events": pa.table(
            {
                "at": pa.array([r["at"] for r in rows], TIMESTAMP),
                "account_id": pa.array([r["account_id"] for r in rows], pa.int64()),
            }
        ),
    }
    project = load(COHORTS.format(**query), tables)
    cohort = f"cohort(accounts.signed_up_at, {grain})"
    ours = project.query(COHORT_METRICS, by=[cohort, "age"], grain=grain, start=start, end=end)
    sql = COHORT_SQL.format(step=STEPS[grain], truncate=TRUNCATE[grain])
    params = {"zone": query["zone"], "start": start, "end": end}
    theirs = {(row["cohort"], row["age"]): row for row in duckdb_rows(sql, tables, params)}
    periods = query["count"]
    cohorts = sorted({c for c, _ in theirs})
    got = ours.to_pylist()
    assert [(row[cohort], row["age"]) for row in got] == [
        (c, age) for c in cohorts for age in range(periods)
    ]
    for row in got:
        expected = theirs.get((row[cohort], row["age"]))
        for metric in COHORT_METRICS:
            # A cohort too young to reach an age within the range is null there.
            wanted = None if expected is None else expected[metric]
            assert same(row[metric], wanted), (metric, row, expected)
