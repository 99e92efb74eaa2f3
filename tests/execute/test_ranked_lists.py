"""Ranked lists (`order_by`, `limit`, `per`): the same rows in the same order on every engine,
ties broken by the other columns (ascending), nulls last in both directions, top N per group
and, with a time grain, within each period. Expected values are worked out by hand from the
invoices and tickets below."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import QueryError

D = dt.date

DEFINITIONS = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source invoices from csv("invoices.csv") {
  time paid_at
  entity account_id -> accounts
}
source tickets from csv("tickets.csv") {
  time opened_at
  entity account_id -> accounts
}
metric mrr = sum(invoices.amount)
metric largest_invoice = max(invoices.amount)
metric open_tickets = count(tickets where status == "open")
"""

ACCOUNTS = pa.table(
    {
        "account_id": [1, 2, 3, 4, 5, 6],
        "name": ["Acme", "Birch", "Cedar", "Delta", "Elm", "Fir"],
        "segment": ["Enterprise", "SMB", "SMB", "Enterprise", None, "SMB"],
        "signed_up_at": stamps(*[utc(2023, 6, day) for day in range(1, 7)]),
    }
)
# Per account, January + February: Acme 100 + 100 = 200, Birch 50 + 150 = 200 (a tie with
# Acme), Cedar 30, Delta 300 (February only), Elm 80 (January only), Fir none.
INVOICES = pa.table(
    {
        "paid_at": stamps(
            utc(2024, 1, 5),
            utc(2024, 2, 5),
            utc(2024, 1, 10),
            utc(2024, 2, 10),
            utc(2024, 1, 15),
            utc(2024, 2, 1),
            utc(2024, 1, 20),
        ),
        "account_id": [1, 1, 2, 2, 3, 4, 5],
        "amount": pa.array([100, 100, 50, 150, 30, 300, 80], pa.int64()),
    }
)
# Open tickets: Acme 2, Birch 1, Cedar 2, Fir 1; Elm's only ticket is closed; Delta has none.
TICKETS = pa.table(
    {
        "opened_at": stamps(*[utc(2024, 1, day) for day in range(2, 10)]),
        "account_id": [1, 1, 2, 3, 3, 6, 5, 2],
        "status": ["open", "open", "open", "open", "open", "open", "closed", "closed"],
    }
)
RANGE = {"start": "2024-01", "end": "2024-03"}


@pytest.fixture
def project(define):
    return define(DEFINITIONS, accounts=ACCOUNTS, invoices=INVOICES, tickets=TICKETS)


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_the_top_accounts_by_a_metric_ties_broken_by_the_other_columns(project, engine):
    table = project.query(
        ["mrr", "open_tickets"],
        by=["accounts.name"],
        **RANGE,
        order_by=["-mrr"],
        limit=3,
        engine=engine,
    )
    # Delta 300 first; Acme and Birch tie at 200: the name (the answer's first other column)
    # decides, ascending.
    assert rows(table) == [("Delta", 300, 0), ("Acme", 200, 2), ("Birch", 200, 1)]


@pytest.mark.engines("arrow", "duckdb", "postgres")
def test_nulls_come_last_ascending_and_descending(project, engine):
    # Fir has tickets but no invoice: no largest invoice.
    names = ["largest_invoice", "open_tickets"]
    up = project.query(
        names, by=["accounts.name"], **RANGE, order_by="largest_invoice", engine=engine
    )
    down = project.query(
        names, by=["accounts.name"], **RANGE, order_by="largest_invoice:desc", engine=engine
    )
    # Largest invoices: Cedar 30, Elm 80, Acme 100, Birch 150, Delta 300.
    assert [r[0] for r in rows(up)] == ["Cedar", "Elm", "Acme", "Birch", "Delta", "Fir"]
    assert [r[0] for r in rows(down)] == ["Delta", "Birch", "Acme", "Elm", "Cedar", "Fir"]
    assert rows(down)[-1] == ("Fir", None, 1)


@pytest.mark.engines("arrow", "duckdb", "spark", "postgres")
def test_the_top_n_of_each_group(project, engine):
    table = project.query(
        ["open_tickets", "mrr"],
        by=["accounts.segment", "accounts.name"],
        **RANGE,
        order_by=["-open_tickets"],
        limit=2,
        per=["accounts.segment"],
        engine=engine,
    )
    assert rows(table) == [
        # Enterprise: Acme 2 open, Delta 0.
        ("Enterprise", "Acme", 2, 200),
        ("Enterprise", "Delta", 0, 300),
        # SMB: Cedar 2; Birch and Fir tie at 1: the name decides, Birch (Fir is cut).
        ("SMB", "Cedar", 2, 30),
        ("SMB", "Birch", 1, 200),
        # The null segment is a group of its own, last: Elm, whose only ticket is closed.
        (None, "Elm", 0, 80),
    ]


@pytest.mark.engines("arrow", "duckdb")
def test_with_a_grain_the_ranking_is_within_each_period(project, engine):
    month = project.query(
        ["mrr"], by=["accounts.name"], grain="month", **RANGE, order_by="-mrr", limit=1,
        engine=engine,
    )  # fmt: skip
    # January: Acme 100, Elm 80, Birch 50, Cedar 30. February: Delta 300, Birch 150, Acme 100.
    assert rows(month) == [(D(2024, 1, 1), "Acme", 100), (D(2024, 2, 1), "Delta", 300)]
    # Naming the period in the order ranks across periods: the two largest of all months.
    across = project.query(
        ["mrr"], by=["accounts.name"], grain="month", **RANGE, order_by=["-mrr", "month"],
        limit=2, engine=engine,
    )  # fmt: skip
    assert rows(across) == [(D(2024, 2, 1), "Delta", 300), (D(2024, 2, 1), "Birch", 150)]


@pytest.mark.engines("arrow", "duckdb")
def test_several_keys_and_an_order_without_a_limit(project, engine):
    table = project.query(
        ["open_tickets", "mrr"],
        by=["accounts.name"],
        **RANGE,
        order_by=["-open_tickets", "mrr"],
        engine=engine,
    )
    # Open tickets 2: Cedar (30) before Acme (200); 1: Fir (no invoice: a sum of nothing is
    # 0) before Birch (200); 0: Elm (80) before Delta (300).
    assert [r[0] for r in rows(table)] == ["Cedar", "Acme", "Fir", "Birch", "Elm", "Delta"]


@pytest.mark.parametrize(
    ("ranking", "message", "hint"),
    [
        ({"order_by": ["-mr"]}, "`--order-by` names `mr`, which is not a column", "`mrr`"),
        ({"order_by": "segment"}, "names `segment`, which is not a column", "answer's columns"),
        ({"limit": 0}, "positive whole number of rows, not 0", "--limit 10"),
        ({"limit": -3}, "positive whole number of rows, not -3", "--limit 10"),
        ({"limit": 2, "per": "accounts.segment"}, "`accounts.segment`, which is not a `--by`", ""),
        ({"per": "accounts.name"}, "`--per` needs `--limit`", "--limit 3"),
        ({"order_by": "-"}, "`--order-by` has an empty name", "-mrr"),
    ],
)
def test_a_ranking_the_answer_cannot_have_is_refused_before_the_query_runs(
    project, ranking, message, hint
):
    with pytest.raises(QueryError) as caught:
        project.query(["mrr"], by=["accounts.name"], **RANGE, **ranking)
    assert message in str(caught.value)
    assert hint in (caught.value.hint or "")
