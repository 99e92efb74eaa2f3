"""Random accounts and events: derived keys, links, times (read through a link) and
identifiers, and sub-periods inside entities, agree on the Arrow executor and DuckDB."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from agreement import arrow_and_duckdb_differences
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

INSTANT = pa.timestamp("us", tz="UTC")
ORIGIN = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
HOUR = 3600

DEFINITIONS = """
calendar {{ timezone "{timezone}" week_start monday }}
source accounts from csv("accounts.csv") {{
  column id = lower(code)
  key id
  column joined = signed_up_at
  time joined
}}
source events from csv("events.csv") {{
  column account = lower(code)
  entity account -> accounts
  time at
  column hod = hour(at)
  entity hod as hour_of_day
  entity user_id as user
}}
source signups from csv("events.csv") {{
  column account = lower(code)
  entity account -> accounts
  column signup_at = accounts.signed_up_at
  time signup_at
}}
"""
SHAPES = [
    "count(signups)",
    "count(signups) over last 2 weeks",
    "count(per hour_of_day where count(events) > 1)",
    "max(per hour_of_day: count(events))",
    "avg(per user: max(per day: count(events)))",
    "count(per user where sum(per day: if(count(events) > 0, 1, 0)) >= 2)",
    "sum(per day: count(per user where count(events) > 0))",
    "sum(per account: max(per day: count(events)))",
    "count(per account where count(signups) > 0)",
]
codes = st.sampled_from(["A0", "a0", "A1", "a2", "x9", None])
accounts = st.lists(
    st.fixed_dictionaries(
        {"signed_up": st.one_of(st.none(), st.integers(-40 * 24, 80 * 24))},
    ),
    min_size=1,
    max_size=3,
)
events = st.lists(
    st.fixed_dictionaries(
        {
            "code": codes,
            "at": st.integers(-5 * 24, 70 * 24),
            "user": st.sampled_from(["u1", "u2", "u3", None]),
        }
    ),
    max_size=10,
)
queries = st.fixed_dictionaries(
    {
        "timezone": st.sampled_from(["UTC", "Europe/Berlin"]),
        "window": st.sampled_from(
            [("month", "2024-01", "2024-04"), ("week", "2024-01-29", "2024-03-11")]
        ),
        "by": st.sampled_from([[], ["accounts.id"]]),
    }
)


def _instant(hours: int | None) -> dt.datetime | None:
    return None if hours is None else ORIGIN + dt.timedelta(hours=hours)


def _tables(account_rows: list[dict], event_rows: list[dict]) -> dict[str, pa.Table]:
    # Codes differ from the keys they name in case only: `lower` makes them match.
    accounts_table = pa.table(
        {
            "code": [f"A{i}" for i in range(len(account_rows))],
            "signed_up_at": pa.array([_instant(r["signed_up"]) for r in account_rows], INSTANT),
        }
    )
    events_table = pa.table(
        {
            "code": pa.array([r["code"] for r in event_rows], pa.string()),
            "at": pa.array([_instant(r["at"]) for r in event_rows], INSTANT),
            "user_id": pa.array([r["user"] for r in event_rows], pa.string()),
        }
    )
    return {"accounts": accounts_table, "events": events_table, "signups": events_table}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# An event on the day before its account signs up, in the month it does: one of the days
# of that account's month (DuckDB once left the day out, as the account did not exist yet).
@example(
    account_rows=[{"signed_up": 24}],
    event_rows=[{"code": "A0", "at": 0, "user": "u1"}],
    query={"timezone": "UTC", "window": ("month", "2024-01", "2024-04"), "by": []},
    shapes=["sum(per account: max(per day: count(events)))"],
)
@given(
    account_rows=accounts,
    event_rows=events,
    query=queries,
    shapes=st.lists(st.sampled_from(SHAPES), min_size=1, max_size=3, unique=True),
)
def test_derived_roles_and_nested_iterations_agree(account_rows, event_rows, query, shapes):
    names = [f"m{i}" for i in range(len(shapes))]
    text = DEFINITIONS.format(timezone=query["timezone"]) + "\n".join(
        f"metric {name} = {shape}" for name, shape in zip(names, shapes, strict=True)
    )
    by = query["by"]
    if by and not all("per account" in s or "signups" in s for s in shapes):
        by = []  # identifiers and days of a day are not sliced by an account's id
    grain, start, end = query["window"]
    tables = _tables(account_rows, event_rows)
    problems = arrow_and_duckdb_differences(
        text, tables, names, by=by, grain=grain, start=start, end=end
    )
    assert not problems, text + "\n" + "\n".join(problems)
