"""A column declared `timestamp` that the file already stores with a zone (Parquet, Arrow) holds
instants: declaring it changes nothing, on every engine. (The Arrow engine once read such a
column's UTC wall-clock as local time, moving sign-ups across month ends; found by the
property test of valid projects.)"""

from __future__ import annotations

import datetime as dt

import metricsmith
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

DEFINITIONS = """
calendar { timezone "America/New_York" }
source accounts from parquet("accounts.parquet") {
  key account_id
  time signed_up_at
  column signed_up_at: timestamp
}
metric signups = count(accounts)
"""


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
@pytest.mark.parametrize("unit", ["s", "us"])
def test_a_declared_zoned_timestamp_keeps_its_instant(tmp_path, engine, unit):
    # 00:00 UTC on 1 March is 19:00 on 29 February in New York: a February sign-up.
    at = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    accounts = pa.table(
        {"account_id": ["a0"], "signed_up_at": pa.array([at], pa.timestamp(unit, tz="UTC"))}
    )
    pq.write_table(accounts, tmp_path / "accounts.parquet")
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    project = metricsmith.load_project(tmp_path / "p.metrics")
    months = dict(grain="month", start="2024-02", end="2024-04", engine=engine)
    table = project.query(["signups"], **months)
    assert table.column("signups").to_pylist() == [1, 0]
    cohorts = project.query(["signups"], by=["cohort(accounts.signed_up_at, month)"], **months)
    assert dt.date(2024, 2, 1) in cohorts.column(1).to_pylist()
