"""Each source is read once per query, with only the columns needed (DESIGN §5)."""

# Arrow only: these tests count the Arrow executor's reads and function calls.

from __future__ import annotations

import attrs
import pyarrow as pa
import pytest
from execute_helpers import stamps, utc
from metricsmith.execute.arrow import ExecutionStats, execute_plan
from metricsmith.plan import plan_query
from metricsmith.registry import get_registry

DEFINITIONS = """
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source tickets from csv("tickets.csv") {
  entity account_id -> accounts
  time opened_at
}
source events from csv("events.csv") {
  entity account_id -> accounts
  time at
}
metric tickets_opened = count(tickets)
metric urgent_share = count(tickets where priority == "urgent") / tickets_opened
metric contacts = avg(tickets.contacts)
metric active_users = count_distinct(events.user_id)
metric event_count = count(events)
metric per_user = event_count / active_users
metric signups = count(accounts)
"""
SIX = ["tickets_opened", "urgent_share", "contacts", "active_users", "event_count", "per_user"]


class CountingReader:
    """Wraps a reader and records every read."""

    def __init__(self, inner):
        self.inner = inner
        self.location = inner.location
        self.calls: list[tuple[tuple[str, ...], object]] = []

    def schema(self) -> pa.Schema:
        return self.inner.schema()

    def read(self, columns=None, time_range=None) -> pa.Table:
        self.calls.append((tuple(columns), time_range))
        return self.inner.read(columns, time_range)


@pytest.fixture
def project(define):
    return define(
        DEFINITIONS,
        accounts=pa.table(
            {
                "account_id": [1, 2],
                "segment": ["smb", "ent"],
                "unused": ["x", "y"],
                "signed_up_at": stamps(utc(2024, 1, 1), utc(2024, 2, 1)),
            }
        ),
        tickets=pa.table(
            {
                "account_id": [1, 2, 2],
                "priority": ["urgent", "low", "low"],
                "contacts": [1, 2, 3],
                "unused": ["x", "y", "z"],
                "opened_at": stamps(utc(2024, 1, 3), utc(2024, 2, 3), utc(2024, 2, 4)),
            }
        ),
        events=pa.table(
            {
                "account_id": [1, 1, 2],
                "user_id": [10, 10, 20],
                "at": stamps(utc(2024, 1, 3), utc(2024, 1, 4), utc(2024, 2, 5)),
            }
        ),
    )


def counting(project):
    """The project's checked form with every reader wrapped in a CountingReader."""
    checked = project.checked
    sources = {
        name: attrs.evolve(info, reader=CountingReader(info.reader))
        for name, info in checked.sources.items()
    }
    return attrs.evolve(checked, sources=sources), {n: s.reader for n, s in sources.items()}


def test_six_metrics_over_two_sources_read_each_source_once(project):
    checked, readers = counting(project)
    query = project.build_query(SIX, by=(), grain="month", start="2024-01", end="2024-03", where=())
    table = execute_plan(plan_query(checked, query), checked)
    assert table.num_rows == 2
    assert {name: len(r.calls) for name, r in readers.items()} == {
        "accounts": 0,
        "tickets": 1,
        "events": 1,
    }
    columns, time_range = readers["tickets"].calls[0]
    assert set(columns) == {"opened_at", "priority", "contacts"}
    assert time_range.column == "opened_at"
    assert time_range.start == utc(2024, 1, 1) and time_range.end == utc(2024, 3, 1)


def test_a_source_that_is_a_root_and_a_join_target_is_read_once_in_full(project):
    checked, readers = counting(project)
    query = project.build_query(
        [*SIX, "signups"],
        by=["accounts.segment"],
        grain="month",
        start="2024-01",
        end="2024-03",
        where=['accounts.segment != "gov"'],
    )
    execute_plan(plan_query(checked, query), checked)
    assert [len(r.calls) for r in readers.values()] == [1, 1, 1]
    columns, time_range = readers["accounts"].calls[0]
    assert set(columns) == {"account_id", "segment", "signed_up_at"}
    assert time_range is None  # any account may be linked to, whenever it signed up


def test_execution_stats_record_the_reads(project):
    query = project.build_query(SIX, by=(), grain="month", start=None, end=None, where=())
    stats = ExecutionStats()
    execute_plan(plan_query(project.checked, query), project.checked, stats)
    assert sorted(read.source for read in stats.reads) == ["events", "tickets"]
    assert stats.read_count("tickets") == 1
    assert stats.rows_read == {"tickets": 3, "events": 3}


def test_a_row_formula_shared_by_aggregates_is_computed_once(define, monkeypatch):
    functions = get_registry().scalar_functions
    original = functions["hours_between"]
    calls = []

    def counted(*args):
        calls.append(args)
        return original.arrow(*args)

    monkeypatch.setitem(functions, "hours_between", attrs.evolve(original, arrow=counted))
    project = define(
        """
        source t from csv("t.csv") { time opened_at }
        metric mean = avg(hours_between(t.opened_at, t.resolved_at))
        metric slow = count(t where hours_between(opened_at, resolved_at) > 24)
        metric longest = max(hours_between(t.opened_at, t.resolved_at))
        """,
        t=pa.table(
            {
                "opened_at": stamps(utc(2024, 1, 1), utc(2024, 1, 2)),
                "resolved_at": stamps(utc(2024, 1, 3), utc(2024, 1, 2, 1)),
            }
        ),
    )
    table = project.query(["mean", "slow", "longest"])
    assert table.to_pylist() == [{"mean": 24.5, "slow": 1, "longest": 48.0}]
    assert len(calls) == 1


def test_levels_offsets_and_windows_still_read_each_source_once(define):
    text = (
        DEFINITIONS
        + """
    metric weekly = count(events) over last 7 days
    metric growth_of_tickets = change(tickets_opened)
    metric busy = count(per account where count(tickets) > count(tickets)[-1] and weekly > 0)
    metric daily = avg(per day: count(events))
    """
    )
    project = define(
        text,
        accounts=pa.table({"account_id": [1], "signed_up_at": stamps(utc(2024, 1, 1))}),
        tickets=pa.table(
            {
                "account_id": [1],
                "priority": ["low"],
                "contacts": [1],
                "opened_at": stamps(utc(2024, 2, 3)),
            }
        ),
        events=pa.table({"account_id": [1], "user_id": [1], "at": stamps(utc(2024, 1, 30))}),
    )
    checked, readers = counting(project)
    metrics = ["weekly", "growth_of_tickets", "busy", "daily", "signups"]
    query = project.build_query(
        metrics, by=(), grain="month", start="2024-02", end="2024-03", where=()
    )
    table = execute_plan(plan_query(checked, query), checked)
    assert table.to_pylist()[0] | {"month": None} == {
        "month": None,
        "weekly": 0,
        "growth_of_tickets": 1,
        "busy": 0,  # no event in the 7 days before March
        "daily": 0.0,
        "signups": 0,
    }
    assert {name: len(r.calls) for name, r in readers.items()} == {
        "accounts": 1,
        "tickets": 1,
        "events": 1,
    }
    # Tickets from January (the offset) on; every account that exists by the range's end.
    assert readers["tickets"].calls[0][1].start == utc(2024, 1, 1)
    assert readers["accounts"].calls[0][1].start is None
