"""Slicing by columns reached through many-to-one links, chains of links, and filters."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from execute_helpers import rows, stamps, utc
from metricsmith.errors import DataError

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

DEFINITIONS = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source tickets from csv("tickets.csv") {
  key ticket_id
  entity account_id -> accounts
  time opened_at
}
source csat from csv("csat.csv") {
  entity ticket_id -> tickets
  time answered_at
}
metric signups = count(accounts)
metric tickets_opened = count(tickets)
metric urgent = count(tickets where priority == "urgent")
metric answers = count(csat)
metric mean_score = avg(csat.score)
dimension size = if(accounts.employees < 50, "small", "large")
dimension segment_or_none = coalesce(accounts.segment, "none")
"""

ACCOUNTS = pa.table(
    {
        "account_id": ["a1", "a2", "a3"],
        "segment": ["smb", "ent", None],
        "employees": [10, 500, 20],
        "region": ["EMEA", "NA", "EMEA"],
        "signed_up_at": stamps(utc(2023, 12, 1), utc(2024, 1, 5), utc(2024, 2, 1)),
    }
)
TICKETS = pa.table(
    {
        "ticket_id": [1, 2, 3, 4, 5, 6],
        "account_id": ["a1", "a1", "a2", "a3", "zz", None],
        "priority": ["urgent", "low", "urgent", "low", "urgent", "low"],
        "opened_at": stamps(*(utc(2024, 1, d) for d in range(1, 7))),
    }
)
CSAT = pa.table(
    {
        "ticket_id": pa.array([1, 3, 3, 5, 99], pa.int64()),
        "score": [5, 3, 4, 1, 2],
        "answered_at": stamps(*(utc(2024, 1, d) for d in range(10, 15))),
    }
)


@pytest.fixture
def project(define):
    return define(DEFINITIONS, accounts=ACCOUNTS, tickets=TICKETS, csat=CSAT)


def test_slice_by_a_linked_column(project, engine):
    table = project.query(["tickets_opened", "urgent"], by=["accounts.segment"], engine=engine)
    # Nulls sort last: a3 has no segment; "zz" links to nothing; a null link reaches nothing.
    assert rows(table) == [("ent", 1, 1), ("smb", 2, 1), (None, 3, 1)]


def test_slice_through_a_chain_of_links(project, engine):
    table = project.query(["answers", "mean_score"], by=["accounts.region"], engine=engine)
    assert rows(table) == [("EMEA", 1, 5.0), ("NA", 2, 3.5), (None, 2, 1.5)]


def test_a_named_dimension_reads_its_own_source_through_links(project, engine):
    table = project.query(["tickets_opened", "signups"], by=["size"], engine=engine)
    # Tickets without an account have no employee count; `if` takes its else branch.
    assert rows(table) == [("large", 3, 1), ("small", 3, 2)]


def test_a_missing_linked_row_behaves_like_a_left_join(project, engine):
    # coalesce() sees null for tickets whose account is missing, so they are "none" too.
    table = project.query(["tickets_opened"], by=["segment_or_none"], engine=engine)
    assert rows(table) == [("ent", 1), ("none", 3), ("smb", 2)]


def test_combinations_come_from_every_scan_and_missing_cells_get_empty_values(project, engine):
    table = project.query(
        ["signups", "answers", "mean_score"], by=["accounts.segment"], engine=engine
    )
    assert rows(table) == [("ent", 1, 2, 3.5), ("smb", 1, 1, 5.0), (None, 1, 2, 1.5)]


def test_several_dimensions_sort_in_order(project, engine):
    table = project.query(
        ["tickets_opened"],
        by=["accounts.region", "tickets.priority"],
        grain="month",
        start="2024-01",
        end="2024-02",
        engine=engine,
    )
    assert rows(table) == [
        (dt.date(2024, 1, 1), "EMEA", "low", 2),
        (dt.date(2024, 1, 1), "EMEA", "urgent", 1),
        (dt.date(2024, 1, 1), "NA", "urgent", 1),
        (dt.date(2024, 1, 1), None, "low", 1),
        (dt.date(2024, 1, 1), None, "urgent", 1),
    ]


def test_filters_over_linked_columns(project, engine):
    table = project.query(
        ["tickets_opened", "answers"], where=['accounts.region == "EMEA"'], engine=engine
    )
    assert rows(table) == [(3, 1)]


def test_a_filter_that_is_null_drops_the_row(project, engine):
    table = project.query(["tickets_opened"], where=['accounts.segment != "ent"'], engine=engine)
    assert rows(table) == [(2,)]


def test_link_values_of_another_type_are_converted(define, engine):
    csat = CSAT.set_column(0, "ticket_id", pa.array(["1", "3", "3", "5", "99"]))
    project = define(DEFINITIONS, accounts=ACCOUNTS, tickets=TICKETS, csat=csat)
    table = project.query(["answers"], by=["tickets.priority"], engine=engine)
    assert rows(table) == [("urgent", 4), (None, 1)]


def test_a_repeated_key_is_a_data_error(define, engine):
    accounts = pa.concat_tables([ACCOUNTS, ACCOUNTS.slice(1, 1)])
    project = define(DEFINITIONS, accounts=accounts, tickets=TICKETS, csat=CSAT)
    with pytest.raises(DataError) as caught:
        project.query(["tickets_opened"], by=["accounts.segment"], engine=engine)
    assert caught.value.source == "accounts"
    assert caught.value.column == "account_id"
    assert caught.value.row == 4
    assert "'a2' appears more than once (first at row 2)" in str(caught.value)


def test_many_key_combinations_are_renumbered_with_the_same_answer(define, monkeypatch, engine):
    from metricsmith.execute.arrow import grouping

    letters = ["a", "b", "c", None]
    table = pa.table(
        {
            "at": stamps(*(utc(2024, 1 + i % 12, 1 + i % 27) for i in range(60))),
            "p": [letters[i % 4] for i in range(60)],
            "q": [letters[(i // 4) % 4] for i in range(60)],
            "r": [letters[(i // 16) % 4] for i in range(60)],
            "x": list(range(60)),
        }
    )
    project = define(
        """
        source t from csv("t.csv") { time at }
        metric n = count(t)
        metric spread = count_distinct(t.x)
        metric middle = median(t.x)
        """,
        t=table,
    )
    query = {"by": ["t.p", "t.q", "t.r"], "grain": "month", "start": "2024-01", "end": "2025-01"}
    plain = project.query(["n", "spread", "middle"], **query, engine=engine)
    monkeypatch.setattr(grouping, "_DENSE_GROUPS", 1)
    renumbered = project.query(["n", "spread", "middle"], **query, engine=engine)
    assert renumbered.equals(plain)
    assert sum(plain.column("n").to_pylist()) == 60


def test_dimensions_of_other_types(project, engine):
    table = project.query(
        ["tickets_opened"],
        by=["tickets.ticket_id > 2", "date(tickets.opened_at)"],
        start="2024-01-01",
        end="2024-01-04",
        engine=engine,
    )
    assert rows(table) == [
        (False, dt.date(2024, 1, 1), 1),
        (False, dt.date(2024, 1, 2), 1),
        (True, dt.date(2024, 1, 3), 1),
    ]
