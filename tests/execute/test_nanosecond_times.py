"""Nanosecond timestamps (what pandas writes to Parquet by default) are read in microseconds on
every engine, the digits below a microsecond dropped toward zero as the Arrow engine drops
them. DuckDB's cast rounds them, which put a time one nanosecond before February into
February; Spark refuses them in Parquet (so they reach it through Arrow); neither is what the
Arrow engine does."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from execute_helpers import rows

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

BERLIN = dt.timezone(dt.timedelta(hours=1))
# One nanosecond before February (UTC), February itself, one nanosecond before the epoch
# (toward zero: the epoch) and New Year plus 500 ns.
NANOS = [1706745599999999999, 1706745600000000000, -1, 1704067200000000500]


@pytest.mark.parametrize("zone", ["UTC", None])
def test_nanoseconds_are_cut_to_the_microsecond_on_every_engine(tmp_path, engine, zone):
    times = pa.array(NANOS, pa.timestamp("ns", tz=zone))
    pq.write_table(pa.table({"at": times, "v": [1, 10, 100, 1000]}), tmp_path / "t.parquet")
    (tmp_path / "p.metrics").write_text(
        'calendar { timezone "Europe/Berlin" }\n'
        'source t from parquet("t.parquet") { time at }\n'
        "metric s = sum(t.v)\nmetric first = min(t.at)\n"
    )
    project = metricsmith.load_project(tmp_path / "p.metrics")
    months = project.query(
        ["s", "first"], grain="month", start="2024-01", end="2024-03", engine=engine
    )
    if zone == "UTC":
        # Instants: a nanosecond before February in UTC is 00:59:59.999999 on February 1st in
        # Berlin, so it counts in February with the time February starts at.
        assert rows(months) == [
            (dt.date(2024, 1, 1), 1000, dt.datetime(2024, 1, 1, 1, 0, tzinfo=BERLIN)),
            (dt.date(2024, 2, 1), 11, dt.datetime(2024, 2, 1, 0, 59, 59, 999999, tzinfo=BERLIN)),
        ]
    else:
        # Wall-clock times in Berlin: 23:59:59.999999 on January 31st is January.
        assert rows(months) == [
            (dt.date(2024, 1, 1), 1001, dt.datetime(2024, 1, 1, 0, 0, tzinfo=BERLIN)),
            (dt.date(2024, 2, 1), 10, dt.datetime(2024, 2, 1, 0, 0, tzinfo=BERLIN)),
        ]
    years = project.query(["s"], grain="year", start="1969", end="1971", engine=engine)
    assert rows(years) == [(dt.date(1969, 1, 1), 0), (dt.date(1970, 1, 1), 100)]


@pytest.mark.parametrize(
    ("written", "offset"),
    [("2024-01-31T22:59:59.9999999", "Z"), ("2024-01-31 23:59:59.999999999", "")],
)
def test_text_times_with_more_than_six_digits_are_cut_to_the_microsecond(
    tmp_path, engine, written, offset
):
    # .NET writes 7 fractional digits: the Arrow engine refused them ("cannot read ... as
    # timestamp") where DuckDB and Spark read them. Both are 23:59:59.999999 in Berlin on
    # January 31st (the first an instant, the second a wall-clock time), so in January.
    (tmp_path / "t.csv").write_text(
        f"at,v\n{written}{offset},1\n2024-01-10T12:00:00.1234567{offset},10\n"
    )
    (tmp_path / "p.metrics").write_text(
        'calendar { timezone "Europe/Berlin" }\n'
        'source t from csv("t.csv") { time at\n column at: timestamp\n column v: int }\n'
        "metric s = sum(t.v)\nmetric last_time = max(t.at)\n"
    )
    project = metricsmith.load_project(tmp_path / "p.metrics")
    months = project.query(
        ["s", "last_time"], grain="month", start="2024-01", end="2024-03", engine=engine
    )
    last = dt.datetime(2024, 1, 31, 23, 59, 59, 999999, tzinfo=BERLIN)
    assert rows(months) == [(dt.date(2024, 1, 1), 11, last), (dt.date(2024, 2, 1), 0, None)]
