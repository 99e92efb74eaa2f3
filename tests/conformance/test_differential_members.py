"""Random subscription histories: per-account formulas over state and all-time windows agree
on the Arrow executor, DuckDB and PostgreSQL.

The accounts sign up at random times (or never), the subscriptions start before or inside
the range, end anywhere after (or never), name accounts that exist, that do not, or none.
Formulas read each account's MRR at period ends, its offsets, and all-time counts and sums of
its subscriptions, which the SQL compiler counts in the pass that places the subscriptions
(docs/engines.md): this checks that pass, and each account's opening (subscriptions that
ended before the first period computed), against the Arrow executor.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from agreement import arrow_and_duckdb_differences
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

#: Each SQL engine's answer is compared with the Arrow executor's.
pytestmark = pytest.mark.engines("duckdb", "postgres")

INSTANT = pa.timestamp("us", tz="UTC")
ORIGIN = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
DAY = 24 * 3600

ever = st.sampled_from(
    [
        "count(subscriptions where mrr > 0) over all time",
        "count(subscriptions) over all time",
        "sum(subscriptions.seats) over all time",
        "count(subscriptions where seats >= 2 and mrr is not null) over all time",
    ]
)
SHAPES = [
    "count(per account where mrr > 0 and mrr[-1] == 0 and ever[-1] > 0)",
    "count(per account where mrr > 0 and mrr[-1] == 0 and ever[-1] == 0)",
    "sum(per account: mrr where ever >= 2)",
    "sum(per account: ever[-1] where mrr > 0)",
    "count(per account where mrr == 0 and ever > 0) + mrr",
    "avg(per account: ever - ever[-1])",
]
accounts = st.lists(
    st.fixed_dictionaries(
        {
            "segment": st.sampled_from(["smb", "ent", None]),
            "signed_up": st.one_of(st.none(), st.integers(-120 * DAY, 100 * DAY)),
        }
    ),
    min_size=1,
    max_size=4,
)
subscriptions = st.lists(
    st.fixed_dictionaries(
        {
            # a0.. name the accounts; a9 names none of them.
            "account": st.sampled_from(["a0", "a1", "a2", "a3", "a9", None]),
            "mrr": st.one_of(st.none(), st.sampled_from([-5, 0, 10, 25])),
            "seats": st.integers(0, 3),
            "start": st.integers(-300 * DAY, 120 * DAY),
            "length": st.one_of(st.none(), st.integers(0, 200 * DAY)),
        }
    ),
    max_size=12,
)
queries = st.fixed_dictionaries(
    {
        "timezone": st.sampled_from(["UTC", "America/New_York"]),
        "window": st.sampled_from(
            [
                ("month", "2024-02", "2024-06"),
                ("week", "2024-02-05", "2024-04-01"),
                ("day", "2024-02-10", "2024-03-01"),
                # More days than a CASE tree places rows among: the ends are looked up.
                ("day", "2024-01-01", "2024-04-15"),
            ]
        ),
        "by": st.sampled_from([[], ["accounts.segment"]]),
        "where": st.sampled_from([[], ['accounts.segment == "smb"']]),
    }
)


def _instant(seconds: int | None) -> dt.datetime | None:
    return None if seconds is None else ORIGIN + dt.timedelta(seconds=seconds)


def _tables(account_rows: list[dict], subscription_rows: list[dict]) -> dict[str, pa.Table]:
    accounts_table = pa.table(
        {
            "account_id": [f"a{i}" for i in range(len(account_rows))],
            "segment": pa.array([r["segment"] for r in account_rows], pa.string()),
            "signed_up_at": pa.array([_instant(r["signed_up"]) for r in account_rows], INSTANT),
        }
    )
    ends = [None if r["length"] is None else r["start"] + r["length"] for r in subscription_rows]
    subscriptions_table = pa.table(
        {
            "account_id": pa.array([r["account"] for r in subscription_rows], pa.string()),
            "mrr": pa.array([r["mrr"] for r in subscription_rows], pa.int64()),
            "seats": pa.array([r["seats"] for r in subscription_rows], pa.int64()),
            "started_at": pa.array([_instant(r["start"]) for r in subscription_rows], INSTANT),
            "ended_at": pa.array([_instant(end) for end in ends], INSTANT),
        }
    )
    return {"accounts": accounts_table, "subscriptions": subscriptions_table}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# An account whose only subscription ended before the first month computed: it paid once.
@example(
    account_rows=[{"segment": "smb", "signed_up": -120 * DAY}],
    subscription_rows=[
        {"account": "a0", "mrr": 10, "seats": 1, "start": -300 * DAY, "length": 100 * DAY}
    ],
    query={
        "timezone": "UTC",
        "window": ("month", "2024-02", "2024-06"),
        "by": [],
        "where": [],
    },
    counted="count(subscriptions where mrr > 0) over all time",
    shapes=["count(per account where mrr == 0 and ever > 0) + mrr"],
)
@given(
    account_rows=accounts,
    subscription_rows=subscriptions,
    query=queries,
    counted=ever,
    shapes=st.lists(st.sampled_from(SHAPES), min_size=1, max_size=2, unique=True),
)
def test_per_account_state_and_all_time_counts_agree(
    engine, account_rows, subscription_rows, query, counted, shapes
):
    names = [f"m{i}" for i in range(len(shapes))]
    text = (
        f'calendar {{ timezone "{query["timezone"]}" week_start monday }}\n'
        'source accounts from csv("accounts.csv") {\n'
        "  key account_id\n  time signed_up_at\n}\n"
        'source subscriptions from csv("subscriptions.csv") {\n'
        "  entity account_id -> accounts\n  valid from started_at to ended_at\n}\n"
        "metric mrr = sum(subscriptions.mrr)\n"
        f"metric ever = {counted}\n"
        + "\n".join(f"metric {n} = {s}" for n, s in zip(names, shapes, strict=True))
    )
    grain, start, end = query["window"]
    tables = _tables(account_rows, subscription_rows)
    window = {"grain": grain, "start": start, "end": end}
    problems = arrow_and_duckdb_differences(
        text, tables, names, engine, by=query["by"], where=query["where"], **window
    )
    assert not problems, text + "\n" + "\n".join(problems)
