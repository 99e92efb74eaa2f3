"""A call of every built-in function over a small table, for the engines to agree on
(tests/sql/test_duckdb_semantics.py on DuckDB, test_spark_engine.py on Spark)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

D = dt.date
TIMESTAMP = pa.timestamp("us", tz="UTC")


def _utc(*fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=dt.UTC)


ROWS = pa.table(
    {
        "at": pa.array(
            [_utc(2024, 2, 29, 23, 15), _utc(2024, 3, 3, 8), _utc(2024, 12, 31, 12), None],
            TIMESTAMP,
        ),
        "due": pa.array([D(2024, 3, 1), D(2024, 3, 1), None, D(2024, 1, 1)]),
        "x": pa.array([1.25, -2.5, 7.0, None]),
        "n": pa.array([3, -4, 0, 5]),
        "s": pa.array(["Refund please", "hello", None, "refund"]),
    }
)
FUNCTIONS = {
    "years": "sum(rows.n where year(at) == 2024)",
    "months": "sum(rows.n where month(at) == 3)",
    "days": "sum(rows.n where day(due) == 1)",
    "weekdays": "count_distinct(rows.n where weekday(at) >= 6)",
    "hours": "max(rows.n where hour(at) < 12)",
    "dates": "count(rows where date(at) == due)",
    "weeks": 'count(rows where date_trunc("week", at) == date_trunc("week", due))',
    "quarters": 'count(rows where date_trunc("quarter", due) == cohort(at, quarter))',
    "hours_between": "sum(rows.n where hours_between(at, at) == 0)",
    "days_between": "avg(days_between(rows.due, rows.due))",
    "ifs": 'count(rows where if(n > 0, "up", "down") == "up")',
    "coalesced": "sum(coalesce(rows.x, rows.n))",
    "lowered": 'count(rows where starts_with(lower(s), "refund"))',
    "uppered": 'count(rows where contains(upper(s), "LL"))',
    "absolute": "sum(abs(rows.x))",
    "rounded": "sum(round(rows.x, 1))",
    "rounded_int": "sum(round(rows.n))",
    "banded": 'count_distinct(bucket(rows.x, 0, "low", 5, "mid", "high"))',
    "cases": "count(rows where case when n > 2 then true when n < 0 then false end)",
    "in_list": "count(rows where n in (3, 5) and n not in (5))",
    "median": "median(rows.x)",
    "p90": "percentile(rows.n, 0.9)",
    "spread": "stddev(rows.n)",
    "lowest": "min(rows.s)",
    "timed": "count(rows where at + 2 hours > due)",
    "durations": "max(rows.at - rows.due)",
    # (1.25, "Refund please") and (-2.5, "hello") have both: the text at the larger x.
    "at_largest": "max_by(rows.s, rows.x)",
    "at_smallest": "min_by(rows.due, rows.n)",
}
