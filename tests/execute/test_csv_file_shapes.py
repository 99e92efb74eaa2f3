"""CSV files as editors and exports write them — a byte order mark, Windows line endings,
quoted commas, line breaks and quotes, a backslash, no final newline, blank lines at the
end — give the same answer on every engine (tried as a stranger would: the same rows in each
shape; Spark read a doubled quote and a quoted line break differently)."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pytest
from execute_helpers import rows

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

LINES = [
    "at,seg,amount,note",
    '2024-01-05T10:00:00Z,a,10,"x, y"',
    '2024-01-20T10:00:00Z,b,5,"two\nlines"',
    '2024-02-03T10:00:00Z,a,,"q""uote"',
    "2024-03-01T00:00:00Z,a,7,c:\\temp",
]
SHAPES = {
    "plain": "\n".join(LINES) + "\n",
    "byte order mark": "\ufeff" + "\n".join(LINES) + "\n",
    "windows line endings": "\r\n".join(LINES) + "\r\n",
    "no final newline": "\n".join(LINES),
    "blank lines at the end": "\n".join(LINES) + "\n\n\n",
}
DEFINITIONS = """
source t from csv("t.csv") {
  time at
  column amount: int
}
metric n = count(t)
metric total = sum(t.amount)
metric with_comma = count(t where note == "x, y")
metric two_lines = count(t where note == "two\\nlines")
metric with_quote = count(t where note == "q\\"uote")
metric with_backslash = count(t where note == "c:\\\\temp")
"""


@pytest.mark.parametrize("shape", SHAPES)
def test_the_same_rows_in_every_shape_of_file(tmp_path, engine, shape):
    (tmp_path / "t.csv").write_bytes(SHAPES[shape].encode())
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    project = metricsmith.load_project(tmp_path / "p.metrics")
    table = project.query(
        ["n", "total", "with_comma", "two_lines", "with_quote", "with_backslash"],
        by=["t.seg"],
        grain="month",
        start="2024-01",
        end="2024-04",
        engine=engine,
    )
    months = [dt.date(2024, m, 1) for m in (1, 2, 3)]
    expected = {
        (months[0], "a"): (1, 10, 1, 0, 0, 0),
        (months[0], "b"): (1, 5, 0, 1, 0, 0),
        (months[1], "a"): (1, 0, 0, 0, 1, 0),
        (months[1], "b"): (0, 0, 0, 0, 0, 0),
        (months[2], "a"): (1, 7, 0, 0, 0, 1),
        (months[2], "b"): (0, 0, 0, 0, 0, 0),
    }
    assert {(r[0], r[1]): r[2:] for r in rows(table)} == expected
