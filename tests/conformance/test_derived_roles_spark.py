"""Derived time, key, link and identifier columns, and days inside each user, on Spark: the
Arrow executor's answer (issue 10, items 3 and 4)."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pyarrow as pa
import pytest
from agreement import differences

pytestmark = pytest.mark.spark

INSTANT = pa.timestamp("us", tz="UTC")
ACCOUNTS = pa.table(
    {
        "code": ["A1", "a2"],
        "signed_up_at": pa.array(
            [dt.datetime(2024, 1, 10, tzinfo=dt.UTC), dt.datetime(2024, 2, 5, tzinfo=dt.UTC)],
            INSTANT,
        ),
    }
)
EVENTS = pa.table(
    {
        "code": ["a1", "A1", "a2", "a2"],
        "t": pa.array(
            [
                dt.datetime(2024, 3, d, h, tzinfo=dt.UTC)
                for d, h in ((1, 10), (2, 11), (3, 10), (3, 12))
            ],
            INSTANT,
        ),
        "user": ["u1", "u2", "u1", "u1"],
    }
)
DEFINITIONS = """
source accounts from csv("a.csv") {
  column id = lower(code)
  key id
  time signed_up_at
}
source events from csv("e.csv") {
  column account = lower(code)
  entity account -> accounts
  time t
  column hod = hour(t)
  entity hod as hour_of_day
  entity user as user
}
source signups from csv("e.csv") {
  column account = lower(code)
  entity account -> accounts
  column signup_at = accounts.signed_up_at
  time signup_at
}
metric n = count(signups)
metric hours = count(per hour_of_day where count(events) > 0)
metric active = count(per account where count(events) > 0)
metric busiest_day = avg(per user: max(per day: count(events)))
"""


def test_derived_roles_and_days_inside_users_on_spark(spark, tmp_path):
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    tables = {"accounts": ACCOUNTS, "events": EVENTS, "signups": EVENTS}
    project = metricsmith.load_project(tmp_path / "p.metrics", tables=tables)
    names = ["n", "hours", "active", "busiest_day"]
    query = {"grain": "month", "start": "2024-01", "end": "2024-04"}
    reference = project.query(names, engine="arrow", **query)
    assert reference.column("n").to_pylist() == [2, 2, 0]
    assert reference.column("hours").to_pylist() == [0, 0, 3]
    assert reference.column("busiest_day").to_pylist() == [None, None, 1.5]
    answer = project.query(names, engine="spark", spark_session=spark.session, **query)
    assert not differences(reference, answer)
