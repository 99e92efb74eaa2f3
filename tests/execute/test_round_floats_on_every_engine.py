"""`round` of a float gives the same double on every engine, halves included.

The engines' own rounding of a double differs at halves (model/rounding.py): the language
scales the float by a power of ten in double precision, rounds that to a whole number with
halves away from zero, and scales back, in steps every engine takes alike. (Found by the
property test: `round(avg(accounts.revenue), 2)` of 0.01 and 12.50 was 6.26 on Arrow and
6.25 on DuckDB.)"""

from __future__ import annotations

import metricsmith
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from execute_helpers import stamps, utc
from metricsmith.errors import ProjectError

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

DEFINITIONS = """
source t from csv("t.csv") { time at }
metric r2 = round(sum(t.x), 2)
metric r0 = round(sum(t.x))
metric tens = round(sum(t.x), -1)
"""
# One value a month, January to September.
VALUES = [6.255, 1.005, -6.255, 0.125, 2.5, -2.5, 1234.5, 1e300, 0.49999999999999994]
TABLE = pa.table(
    {
        "at": stamps(*(utc(2024, month, 1) for month in range(1, 10))),
        "x": pa.array(VALUES, pa.float64()),
    }
)
EXPECTED = {
    # 6.255 is stored as 6.25499999..., but 6.255 * 100 is 625.5 in double precision: 626.
    # 1.005 * 100 is 100.49999999999999: 100. 0.125 * 100 = 12.5: 13. Halves away from zero.
    # 1e300 * 100 is past 2^53: nothing left to round. 0.49999999999999994 * 100 rounds to
    # 49.99999999999999 in double precision (fraction over a half): 50.
    "r2": [6.26, 1.0, -6.26, 0.13, 2.5, -2.5, 1234.5, 1e300, 0.5],
    # 2.5 to 3, -2.5 to -3, 1234.5 to 1235; 0.49999999999999994 is below the half: 0.
    "r0": [6.0, 1.0, -6.0, 0.0, 3.0, -3.0, 1235.0, 1e300, 0.0],
    # Divided by 10: 0.6255 to 1, so 10; 0.1005 to 0; 123.45 to 123, so 1230; -0.25 to -0.
    "tens": [10.0, 0.0, -10.0, 0.0, 0.0, 0.0, 1230.0, 1e300, 0.0],
}


def test_floats_round_alike_on_every_engine(define, engine):
    project = define(DEFINITIONS, t=TABLE)
    query = {"grain": "month", "start": "2024-01", "end": "2024-10"}
    table = project.query(list(EXPECTED), **query, engine=engine)
    for name, expected in EXPECTED.items():
        assert table.column(name).to_pylist() == expected, name


@pytest.mark.parametrize(
    ("formula", "problem"),
    [
        ("round(sum(t.x), 23)", "at most 22 digits either side of the point, not 23"),
        ("round(sum(t.x), -23)", "at most 22 digits either side of the point, not -23"),
        ("sum(round(t.x, t.n))", "the digits of `round` must be a constant integer"),
    ],
)
def test_digits_no_engine_can_round_to_are_refused_by_check(define, formula, problem):
    """10^22 is the largest power of ten a double holds exactly; digits that are not a
    constant are refused at the call too, not when a query reaches them."""
    table = TABLE.append_column("n", pa.array([1] * TABLE.num_rows))
    with pytest.raises(ProjectError) as caught:
        define(DEFINITIONS + f"metric m = {formula}\n", t=table)
    (found,) = [d for d in caught.value.diagnostics if problem in d.message]
    assert found.code == "bad-call"
    assert (found.span.line, found.span.column) == (6, formula.index("round") + 12)


def test_rounding_rows_of_a_glob_of_parquet_files_agrees(tmp_path):
    """Tried as a stranger would: a glob of Parquet parts (no partition folders), a float
    rounded per row inside an aggregate and after it, on the engines that read the files
    themselves."""
    (tmp_path / "events").mkdir()
    parts = pa.table({"at": stamps(utc(2024, 1, 5), utc(2024, 2, 5)), "y": [2.675, -0.125]})
    pq.write_table(parts.slice(0, 0), tmp_path / "events" / "empty-part.parquet")
    pq.write_table(parts, tmp_path / "events" / "part-1.parquet")
    (tmp_path / "p.metrics").write_text(
        'source events from parquet("events/*.parquet") { time at }\n'
        "metric m = round(sum(events.y), 2)\n"
        "metric k = sum(round(events.y, 1))\n"
    )
    project = metricsmith.load_project(tmp_path / "p.metrics")
    # 2.675 * 100 is 267.5 in double precision: 268, so 2.68; 26.75: 27, so 2.7.
    # -0.125 * 100 = -12.5: -13, so -0.13; -1.25: -1, so -0.1 (halves away from zero).
    expected = [{"m": 2.68, "k": 2.7}, {"m": -0.13, "k": -0.1}]
    for engine in ("arrow", "duckdb"):
        table = project.query(
            ["m", "k"], grain="month", start="2024-01", end="2024-03", engine=engine
        )
        assert table.select(["m", "k"]).to_pylist() == expected, engine
