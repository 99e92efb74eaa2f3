"""DuckDB as a second, independent oracle for a handful of sample metrics.

The same numbers as sample_oracle.py, written as SQL over the CSVs: if the plain-Python oracle
and a SQL engine agree month by month and segment by segment, the expected values the engine
is held to are not an artefact of either one.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from sample_oracle import DATA_DIR, Cell, expected, utc

# Each source as a relation with its time `t`, the `segment` of its account, and its columns.
SOURCE_VIEWS = {
    "nps": "select r.responded_at as t, a.segment, r.score "
    "from nps_responses r join accounts a using (account_id)",
    # CSAT reaches its account through the ticket, as the sample's entity links do.
    "csat": "select r.responded_at as t, a.segment, r.score "
    "from csat_responses r join tickets k using (ticket_id) "
    "join accounts a on a.account_id = k.account_id",
    "opened": "select k.opened_at as t, a.segment, k.* "
    "from tickets k join accounts a using (account_id)",
    "resolved": "select k.resolved_at as t, a.segment, k.* "
    "from tickets k join accounts a using (account_id)",
    "events": "select e.occurred_at as t, a.segment, e.* "
    "from events e join accounts a using (account_id)",
    "accounts": "select signed_up_at as t, segment, account_id, plan from accounts",
}

# metric -> (view, SQL aggregate). Aggregates must ignore the all-null row a left join adds
# for an empty period, so counts name a column rather than `*`.
CROSS_CHECKS: dict[str, tuple[str, str]] = {
    "nps": (
        "nps",
        "100.0 * (count(score) filter (where score >= 9) - count(score) filter (where score <= 6))"
        " / nullif(count(score), 0)",
    ),
    "csat": ("csat", "avg(score)"),
    "csat_pct": ("csat", "count(score) filter (where score >= 4) / nullif(count(score), 0)"),
    "first_contact_resolution": (
        "resolved",
        "count(ticket_id) filter (where contacts = 1) / nullif(count(ticket_id), 0)",
    ),
    "median_resolution_hours_of_resolved": (
        "resolved",
        "quantile_cont((epoch(resolved_at) - epoch(opened_at)) / 3600, 0.5)",
    ),
    "p90_first_response_hours": (
        "opened",
        "quantile_cont((epoch(first_response_at) - epoch(opened_at)) / 3600, 0.9)",
    ),
    "active_users": ("events", "count(distinct user_id)"),
    "signups": ("accounts", "count(account_id)"),
    "paid_signup_share": (
        "accounts",
        "count(account_id) filter (where plan <> 'free') / nullif(count(account_id), 0)",
    ),
}


@pytest.fixture(scope="module")
def duck() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    for name in ("accounts", "tickets", "events", "nps_responses", "csat_responses"):
        path = (DATA_DIR / f"{name}.csv").as_posix()
        connection.execute(f"create table {name} as select * from read_csv_auto('{path}')")
    for name, select in SOURCE_VIEWS.items():
        connection.execute(f"create view v_{name} as {select}")
    return connection


def monthly_sql(view: str, aggregate: str, by_segment: bool) -> str:
    segments = "(select distinct segment from accounts)" if by_segment else "(select null)"
    segment_match = "and v.segment = s.segment" if by_segment else ""
    return f"""
        with months as (
            select unnest(generate_series(timestamptz '2024-01-01 00:00:00+00',
                                          timestamptz '2024-12-01 00:00:00+00',
                                          interval 1 month)) as month
        ), segments as (select * from {segments} as s(segment))
        select cast(m.month as date) as month, s.segment, cast({aggregate} as double) as value
        from months m cross join segments s
        left join v_{view} v
          on v.t >= m.month and v.t < m.month + interval 1 month {segment_match}
        group by all order by all
    """


def month_cell(month: dt.date, segment: str | None) -> Cell:
    start = utc(month.year, month.month)
    end = utc(month.year + month.month // 12, month.month % 12 + 1)
    if segment is None:
        return Cell(start, end)
    return Cell(start, end, lambda account: account.segment == segment)


@pytest.mark.parametrize("by_segment", [False, True], ids=["all", "by-segment"])
@pytest.mark.parametrize("metric", sorted(CROSS_CHECKS))
def test_duckdb_agrees_with_the_python_oracle(
    duck: duckdb.DuckDBPyConnection, metric: str, by_segment: bool
) -> None:
    view, aggregate = CROSS_CHECKS[metric]
    rows = duck.execute(monthly_sql(view, aggregate, by_segment)).fetchall()
    assert len(rows) == 12 * (3 if by_segment else 1)
    for month, segment, value in rows:
        oracle = expected(metric, month_cell(month, segment))
        if oracle is None:  # a ratio over an empty cell
            assert value is None, (month, segment)
        else:
            assert value == pytest.approx(oracle, rel=1e-9), (month, segment)
