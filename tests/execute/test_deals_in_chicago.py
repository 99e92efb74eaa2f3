"""A stranger's case for this session's fixes together, computed by hand: deals in Chicago
across the spring clock change, a decimal amount beside a float discount (-0.0 among them), a
close time written by .NET with 7 fractional digits at a month's last instant, a rounded
derived column, and mixed-case names (text ordered by bytes). The same answer on every engine;
bad input gets a message naming the source, the column and the row."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pytest
from execute_helpers import rows

PROJECT = """
calendar { timezone "America/Chicago" }
source deals from csv("deals.csv") {
  time closed_at
  column closed_at: timestamp
  column amount: decimal
  column discount: float
  column rep: string
  column net = round(amount * (1 - discount), 0)
}
metric won = count(deals)
metric full_price = count(deals where discount == 0)
metric avg_deal = avg(deals.amount)
metric median_net = median(deals.net)
metric top_rep = max(deals.rep)
"""
# Zoe: 23:59:59.999999 on 31 March in Chicago (still March); anna: 03:00 on 10 March, just
# after the clocks went forward, discount -0.0; Bob: 12 March; bob: April.
DEALS = (
    "closed_at,amount,discount,rep\n"
    "2024-03-31T23:59:59.9999999-05:00,0.3,0.1,Zoe\n"
    "2024-03-10T08:00:00Z,3.3,-0.0,anna\n"
    "2024-03-12T08:00:00Z,0.1,0.0,Bob\n"
    "2024-04-02T08:00:00Z,99.99,0.2,bob\n"
)
METRICS = ["won", "full_price", "avg_deal", "median_net", "top_rep"]


def _project(folder, deals: str) -> metricsmith.Project:
    (folder / "p.metrics").write_text(PROJECT)
    (folder / "deals.csv").write_text(deals)
    return metricsmith.load_project(folder / "p.metrics")


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_deals_by_discount_on_every_engine(tmp_path, engine):
    # March, discount 0 (anna's -0.0 and Bob's 0.0, one value): both at full price, mean
    # amount (3.3 + 0.1) / 2 = 1.7, nets 3 and 0 (median 1.5), "anna" > "Bob" by bytes.
    # March 0.1: Zoe, net round(0.27) = 0. April 0.2: bob, net round(79.992) = 80. Every
    # discount is a row of every month.
    table = _project(tmp_path, DEALS).query(
        METRICS, by=["deals.discount"], grain="month", start="2024-03", end="2024-05",
        engine=engine,
    )  # fmt: skip
    march, april = dt.date(2024, 3, 1), dt.date(2024, 4, 1)
    assert rows(table) == [
        (march, 0.0, 2, 2, 1.7, 1.5, "anna"),
        (march, 0.1, 1, 0, 0.3, 0.0, "Zoe"),
        (march, 0.2, 0, 0, None, None, None),
        (april, 0.0, 0, 0, None, None, None),
        (april, 0.1, 0, 0, None, None, None),
        (april, 0.2, 1, 0, 99.99, 80.0, "bob"),
    ]


@pytest.mark.parametrize(
    ("line", "column", "says"),
    [
        ("2024-03-12T08:00:00Z,0.1,0.0,B\\xffob", "rep", "not UTF-8 text"),
        ("2024-03-12T08:00:00.12345678901Z,0.1,0.0,Bob", "closed_at", "as timestamp"),
    ],
)
def test_bad_values_are_named_by_column_and_row(tmp_path, line, column, says):
    data = ("closed_at,amount,discount,rep\n" + line + "\n").encode().decode("unicode_escape")
    (tmp_path / "p.metrics").write_text(PROJECT)
    (tmp_path / "deals.csv").write_bytes(data.encode("latin-1"))
    project = metricsmith.load_project(tmp_path / "p.metrics")
    with pytest.raises(metricsmith.DataError) as raised:
        project.query(["top_rep"], grain="month", start="2024-03", end="2024-04")
    message = str(raised.value)
    assert f"column `{column}`, row 1" in message and says in message
