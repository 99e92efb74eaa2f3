"""A plan's generated SQL is compiled once and its text kept for the same plan, periods, source
relations and checked project (execute/sql/runner.py, `_query_text`). What could change the
answer between two queries never reuses a stale text: definitions edited, a data file
rewritten, a file added to a folder source, other parameter values, an open range whose data
grew; and "now" is left out of the key only where the SQL does not read it."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("duckdb")
import metricsmith.execute.sql.runner as runner

SOURCE = """\
source tickets from parquet("{path}") {{
  time opened_at
  column minutes: int
  column plan: string
}}
parameter plan: string = "pro"
parameter days: int = 2
"""
METRICS = """\
metric minutes = sum(tickets.minutes)
metric plan_minutes = sum(tickets.minutes where plan == $plan)
metric recent = count(tickets) over last $days days
"""
QUERY = {"grain": "day", "start": "2024-01-01", "end": "2024-01-04", "engine": "duckdb"}


def _tickets(minutes: list[int], plans: list[str] | None = None) -> pa.Table:
    opened = pa.array([dt.datetime(2024, 1, day, tzinfo=dt.UTC) for day in range(1, 4)])
    count = len(minutes)
    return pa.table(
        {
            "opened_at": pa.array([opened[i % 3].as_py() for i in range(count)]).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "minutes": pa.array(minutes, pa.int64()),
            "plan": pa.array(plans or ["pro"] * count),
        }
    )


@pytest.fixture
def compiled(monkeypatch) -> list[object]:
    """The plans compiled to SQL from a fresh start, one entry each."""
    monkeypatch.setattr(runner, "_TEXTS", {})
    plans: list[object] = []
    compile_plan = runner.compile_plan

    def counting(plan, timelines, compilation):
        plans.append(plan)
        return compile_plan(plan, timelines, compilation)

    monkeypatch.setattr(runner, "compile_plan", counting)
    return plans


def _project(tmp_path, metrics: str = METRICS, path: str = "tickets.parquet"):
    (tmp_path / "p.metrics").write_text(SOURCE.format(path=path) + metrics)
    return metricsmith.load_project(tmp_path)


def test_a_repeated_query_is_compiled_once(tmp_path, compiled):
    pq.write_table(_tickets([10, 20, 30]), tmp_path / "tickets.parquet")
    for _ in range(3):
        answer = _project(tmp_path).query(["minutes"], **QUERY)
        assert answer["minutes"].to_pylist() == [10, 20, 30]
    assert len(compiled) == 1


def test_an_edited_definition_is_compiled_afresh(tmp_path, compiled):
    pq.write_table(_tickets([10, 20, 30]), tmp_path / "tickets.parquet")
    assert _project(tmp_path).query(["minutes"], **QUERY)["minutes"].to_pylist() == [10, 20, 30]
    doubled = METRICS.replace("sum(tickets.minutes)\n", "sum(tickets.minutes) * 2\n", 1)
    answer = _project(tmp_path, doubled).query(["minutes"], **QUERY)
    assert answer["minutes"].to_pylist() == [20, 40, 60]  # 10*2, 20*2, 30*2
    assert len(compiled) == 2


def test_a_rewritten_file_is_read_again_by_the_kept_text(tmp_path, compiled):
    path = tmp_path / "tickets.parquet"
    pq.write_table(_tickets([10, 20, 30]), path)
    project = _project(tmp_path)
    assert project.query(["minutes"], **QUERY)["minutes"].to_pylist() == [10, 20, 30]
    pq.write_table(_tickets([1, 2, 3, 4]), path)  # day 1 gains a second row: 1 + 4
    assert project.query(["minutes"], **QUERY)["minutes"].to_pylist() == [5, 2, 3]
    again = _project(tmp_path).query(["minutes"], **QUERY)
    assert again["minutes"].to_pylist() == [5, 2, 3]


def test_a_file_added_to_a_folder_source_changes_the_text(tmp_path, compiled):
    # (Hive-partitioned: the folder is read by DuckDB itself, its files listed in the SQL.)
    first, second = tmp_path / "tickets" / "part=1", tmp_path / "tickets" / "part=2"
    first.mkdir(parents=True)
    pq.write_table(_tickets([10, 20, 30]), first / "a.parquet")
    answer = _project(tmp_path, path="tickets").query(["minutes"], **QUERY)
    assert answer["minutes"].to_pylist() == [10, 20, 30]
    second.mkdir()
    pq.write_table(_tickets([1, 2, 3]), second / "b.parquet")
    answer = _project(tmp_path, path="tickets").query(["minutes"], **QUERY)
    assert answer["minutes"].to_pylist() == [11, 22, 33]  # 10+1, 20+2, 30+3
    assert len(compiled) == 2


def test_parameters_do_not_leak_between_queries(tmp_path, compiled):
    pq.write_table(_tickets([10, 20, 30], ["pro", "free", "pro"]), tmp_path / "tickets.parquet")
    project = _project(tmp_path)
    for _ in range(2):  # each value twice, in turns: the kept text binds this query's value
        pro = project.query(["plan_minutes"], **QUERY, params={"plan": "pro"})
        free = project.query(["plan_minutes"], **QUERY, params={"plan": "free"})
        # (a sum over no rows is 0, docs/language.md)
        assert pro["plan_minutes"].to_pylist() == [10, 0, 30]
        assert free["plan_minutes"].to_pylist() == [0, 20, 0]
        # A window's length changes the query's shape: one row a day, windows of 1 and 3 days.
        one = project.query(["recent"], **QUERY, params={"days": 1})
        three = project.query(["recent"], **QUERY, params={"days": 3})
        assert one["recent"].to_pylist() == [1, 1, 1]
        assert three["recent"].to_pylist() == [1, 2, 3]  # days 1; 1-2; 1-3
    assert len(compiled) == 4  # one text per value of each parameter


def test_an_open_range_whose_data_grew_is_compiled_afresh(tmp_path, compiled):
    path = tmp_path / "tickets.parquet"
    pq.write_table(_tickets([10, 20]), path)
    open_range = {"grain": "day", "start": "2024-01-01", "engine": "duckdb"}
    first = _project(tmp_path).query(["minutes"], **open_range)
    assert first["minutes"].to_pylist() == [10, 20]
    pq.write_table(_tickets([10, 20, 30]), path)  # a third day: one more period
    second = _project(tmp_path).query(["minutes"], **open_range)
    assert second["minutes"].to_pylist() == [10, 20, 30]
    assert len(compiled) == 2


def test_now_does_not_change_the_sql_of_a_closed_range(tmp_path, monkeypatch):
    """What lets the kept text leave "now" out of its key (`_without_now`): compiled afresh
    for two instants "now", a closed range's SQL is the same."""
    pq.write_table(_tickets([10, 20, 30]), tmp_path / "tickets.parquet")
    texts: list[str] = []
    compile_plan = runner.compile_plan

    def writing(plan, timelines, compilation):
        query = compile_plan(plan, timelines, compilation)
        texts.append(compilation.dialect.sql(query))
        return query

    monkeypatch.setattr(runner, "compile_plan", writing)
    project = _project(tmp_path)
    for as_of in ("2024-02-01", "2030-01-01"):
        monkeypatch.setattr(runner, "_TEXTS", {})
        project.query(["minutes", "recent"], **QUERY, as_of=as_of)
    first, second = texts
    assert first == second
