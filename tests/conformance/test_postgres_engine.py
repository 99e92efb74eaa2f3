"""The postgres engine on the run's throwaway server: tables of the database read in place,
other sources uploaded, every built-in function as on Arrow, the connection from the project's
settings, a read-only session, the statement timeout, Ctrl-C, and a server out of reach."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import metricsmith
import pytest
from agreement import differences
from builtin_calls import FUNCTIONS, ROWS
from metricsmith.errors import DataError, QueryError
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.hookspecs import hookimpl
from metricsmith_postgres.connect import session
from metricsmith_postgres.running import PostgresSqlEngine
from sqlglot import parse_one
from test_spark_engine import METRICS, NAMES, QUERY, TICKETS

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("timezone", ["UTC", "America/New_York"])
def test_every_builtin_function_agrees_on_postgres(postgres_server, tmp_path, timezone):
    metrics = "\n".join(f"metric {name} = {formula}" for name, formula in FUNCTIONS.items())
    (tmp_path / "f.metrics").write_text(
        f'calendar {{ timezone "{timezone}" week_start sunday }}\n'
        'source rows from csv("rows.csv") {}\n' + metrics
    )
    project = metricsmith.load_project(tmp_path / "f.metrics", tables={"rows": ROWS})
    reference = project.query(list(FUNCTIONS), engine="arrow")
    problems = differences(reference, project.query(list(FUNCTIONS), engine="postgres"))
    assert not problems, "\n".join(problems)


class _ServerTable:
    """A reader of a table that only the postgres engine of one connection reads, in place."""

    def __init__(self, table: str, label: str):
        self.location = table
        self._label = label

    def schema(self):
        return TICKETS.schema

    def read(self, columns=None, time_range=None):
        raise AssertionError("the table is read in place, never through the reader")

    def engine_table(self, engine: str) -> str | None:
        return self.location if engine == self._label else None

    def read_by_engines_only(self) -> bool:
        return True


class _ServerTables:
    """`server_table("schema.table")`: the engine label it answers is the test's."""

    name = "server_table"
    description = "a table of the test's PostgreSQL server"
    path_arguments = ()

    def __init__(self, label: str):
        self.label = label

    def open(self, args, options, *, base_dir, source_name):
        return _ServerTable(str(args[0]), self.label)


class _Plugin:
    def __init__(self, label: str):
        self.label = label

    @hookimpl
    def metricsmith_connectors(self):
        return [_ServerTables(self.label)]


def _server_project(server, folder: Path, label: str, settings: str) -> metricsmith.Project:
    import adbc_driver_postgresql.dbapi as dbapi

    folder.mkdir()
    with dbapi.connect(server.uri, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.adbc_ingest("cs_tickets", TICKETS, mode="replace", db_schema_name="public")
    (folder / "metricsmith.toml").write_text(settings)
    (folder / "tickets.metrics").write_text(
        'source tickets from server_table("public.cs_tickets") { time opened_at }\n' + METRICS
    )
    return metricsmith.load_project(folder, plugins=[_Plugin(label)])


def _reference(folder: Path):
    (folder / "memory.metrics").write_text(
        'source tickets from csv("t.csv") { time opened_at }\n' + METRICS
    )
    project = metricsmith.load_project(folder / "memory.metrics", tables={"tickets": TICKETS})
    return project.query(NAMES, engine="arrow", **QUERY)


def test_a_table_of_the_database_is_read_in_place(postgres_server, tmp_path):
    project = _server_project(postgres_server, tmp_path / "p", "postgres:", "")
    answer = project.query(NAMES, engine="postgres", **QUERY)
    problems = differences(_reference(tmp_path), answer)
    assert not problems, "\n".join(problems)


def test_the_engines_connection_comes_from_the_projects_settings(postgres_server, tmp_path):
    settings = (
        '[engine]\ndefault = "postgres"\n[postgres]\nconnection = "warehouse"\n'
        '[connections.warehouse]\ntype = "postgres"\nhost = "127.0.0.1"\n'
        f'port = {postgres_server.port}\nuser = "metricsmith"\ndatabase = "postgres"\n'
    )
    project = _server_project(postgres_server, tmp_path / "p", "postgres:warehouse", settings)
    problems = differences(_reference(tmp_path), project.query(NAMES, **QUERY))
    assert not problems, "\n".join(problems)


def test_an_undeclared_connection_is_a_query_error(postgres_server, tmp_path):
    settings = '[postgres]\nconnection = "nowhere"\n'
    project = _server_project(postgres_server, tmp_path / "p", "postgres:", settings)
    with pytest.raises(QueryError, match="connection `nowhere` is not declared"):
        project.query(NAMES, engine="postgres", **QUERY)


def _connection(server, **settings) -> Connection:
    where = {"host": "127.0.0.1", "port": server.port, "user": "metricsmith"}
    return Connection(name="warehouse", type="postgres", settings={**where, **settings})


def _fetch(connection: Connection | None, sql: str):
    with session(connection, purpose="a test", source="tickets") as conn:
        return PostgresSqlEngine(conn, connection, iter(range(9))).fetch(
            parse_one(sql, read="postgres"), "tickets"
        )


def test_queries_run_in_a_read_only_session(postgres_server):
    with pytest.raises(DataError, match="read-only transaction"):
        _fetch(None, "CREATE TABLE written (x INT)")


def test_the_statement_timeout_of_the_connection_bounds_a_query(postgres_server):
    slow = _connection(postgres_server, statement_timeout="100ms")
    with pytest.raises(DataError, match=r"cancelled by its statement_timeout \(100ms\)"):
        _fetch(slow, "SELECT pg_sleep(3)")


def test_ctrl_c_cancels_the_running_statement(postgres_server):
    interrupt = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    interrupt.start()
    with pytest.raises(KeyboardInterrupt):
        _fetch(None, "SELECT pg_sleep(20) AS slept")
    assert time.monotonic() - started < 5
    running = _fetch(
        None, "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(20)%'"
    )
    assert running.column("n").to_pylist() == [1]  # only this query, which names it


def test_a_server_out_of_reach_is_one_line_naming_the_connection(postgres_server):
    closed = _connection(postgres_server, port=1, database="postgres")
    with pytest.raises(DataError, match="cannot reach connection `warehouse`") as caught:
        _fetch(closed, "SELECT 1 AS one")
    assert "\n" not in caught.value.message


def test_numeric_answers_are_the_languages_decimals(postgres_server):
    table = _fetch(None, "SELECT CAST(12.5 AS NUMERIC(38, 9)) AS x, CAST(NULL AS NUMERIC) AS y")
    assert str(table.schema.field("x").type) == "decimal128(38, 9)"
    assert [str(v) for v in table.column("x").to_pylist()] == ["12.500000000"]
    assert table.column("y").to_pylist() == [None]
