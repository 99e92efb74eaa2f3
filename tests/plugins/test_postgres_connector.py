"""The `postgres(...)` connector of metricsmith-postgres against a real server (the throwaway
one of tests/postgres_server.py): metrics computed from its tables on the Arrow and DuckDB
engines, what the reader pushes down, each failure as one line naming the connection and the
source, and secrets that never show.

Tickets in `crm.tickets` (UTC), with accounts a1 (SMB) and a2 (Enterprise):

| id | account | opened_at           | amount | in Jan–Mar 2024 |
|----|---------|---------------------|--------|-----------------|
| 1  | a1      | 2023-12-31 23:59    | 100.00 | no              |
| 2  | a1      | 2024-01-05 10:00    | 10.50  | January         |
| 3  | a1      | 2024-01-20 12:00    | 4.25   | January         |
| 4  | a2      | 2024-02-03 09:00    | 7.00   | February        |
| 5  | a2      | 2024-03-31 23:30    | 1.25   | March           |
| 6  | a2      | 2024-06-01 00:00    | 50.00  | no              |

So January has 2 tickets worth 14.75, February 1 worth 7.00, March 1 worth 1.25; by segment,
SMB has 2 (14.75) and Enterprise 2 (8.25).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
import urllib.parse
from decimal import Decimal
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from metricsmith.cli import main
from metricsmith.errors import DataError, MetricsmithError, ProjectError, QueryError
from metricsmith.plugins.connections import PROFILES_VARIABLE, Connection, Secret
from metricsmith.plugins.connector import TimeRange, engine_table

pytest.importorskip("adbc_driver_postgresql")
import adbc_driver_postgresql.dbapi as dbapi
from metricsmith_postgres import connector as pg_connector
from metricsmith_postgres.connector import PostgresConnector

UTC = dt.UTC
PASSWORD = "Pl@nted:S3cret/for-postgres"
ROLE = "metricsmith_pw"

DEFINITIONS = """\
source accounts from postgres("warehouse", table="crm.accounts") {
  key account_id
  time signed_up_at
}

source tickets from postgres("warehouse", table="crm.tickets") {
  key ticket_id
  time opened_at
  entity account_id -> accounts
}

metric tickets_opened = count(tickets)
metric ticket_value = sum(tickets.amount)
"""


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def server(postgres_server):
    """The test server with the schema `crm` loaded (through ADBC's bulk ingestion) and a
    role that logs in with a password."""
    accounts = pa.table(
        {
            "account_id": ["a1", "a2"],
            "segment": ["SMB", "Enterprise"],
            "signed_up_at": pa.array(
                [_at("2023-06-01T00:00:00"), _at("2023-07-01T00:00:00")],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    tickets = pa.table(
        {
            "ticket_id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),
            "account_id": ["a1", "a1", "a1", "a2", "a2", "a2"],
            "opened_at": pa.array(
                [
                    _at("2023-12-31T23:59:00"),
                    _at("2024-01-05T10:00:00"),
                    _at("2024-01-20T12:00:00"),
                    _at("2024-02-03T09:00:00"),
                    _at("2024-03-31T23:30:00"),
                    _at("2024-06-01T00:00:00"),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "contacts": pa.array([1, 2, 1, 3, 1, 1], pa.int32()),
        }
    )
    with dbapi.connect(postgres_server.uri, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS crm CASCADE")
        cursor.execute("CREATE SCHEMA crm")
        cursor.adbc_ingest("accounts", accounts, mode="create", db_schema_name="crm")
        cursor.adbc_ingest("tickets", tickets, mode="create", db_schema_name="crm")
        cursor.execute("ALTER TABLE crm.tickets ADD COLUMN amount numeric(10, 2)")
        cursor.execute(
            "UPDATE crm.tickets t SET amount = v.amount FROM (VALUES (1, 100.00), (2, 10.50), "
            "(3, 4.25), (4, 7.00), (5, 1.25), (6, 50.00)) AS v(id, amount) "
            "WHERE t.ticket_id = v.id"
        )
        cursor.execute(
            "CREATE TABLE crm.kinds (small smallint, whole integer, big bigint, real4 real, "
            "real8 double precision, exact numeric, money numeric(12, 2), huge numeric(50, 4), "
            "instant timestamptz, wall timestamp, day date, flag boolean, label varchar(10), "
            "body text, doc jsonb, id uuid, span interval)"
        )
        cursor.execute(
            "INSERT INTO crm.kinds VALUES (1, 2, 3, 1.5, 2.5, 1.123456789012, 9.99, 12.5, "
            "'2024-01-01 10:00+02', '2024-01-01 10:00', '2024-01-02', true, 'x', 'y', "
            "'{\"a\": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day')"
        )
        cursor.execute("CREATE TABLE crm.measures (n int, value numeric)")
        cursor.execute("INSERT INTO crm.measures VALUES (1, 1.5), (2, 'NaN')")
        cursor.execute("CREATE TABLE crm.visits (visited_at timestamp, day date)")
        cursor.execute("CREATE VIEW crm.big_tickets AS SELECT * FROM crm.tickets WHERE amount > 5")
        cursor.execute("CREATE SEQUENCE crm.counter")
        # In the search path (public), under a name no other test's table has.
        cursor.execute("DROP TABLE IF EXISTS public.pgconnector_probe")
        cursor.execute("CREATE TABLE public.pgconnector_probe (n int)")
        cursor.execute(f"DROP ROLE IF EXISTS {ROLE}")
        cursor.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'")
        cursor.execute(f"GRANT USAGE ON SCHEMA crm TO {ROLE}")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA crm TO {ROLE}")
    # The server trusts every login on loopback; this role alone must give its password.
    postgres_server.require_password(ROLE)
    return postgres_server


def _connection(server, name: str = "warehouse", **settings) -> Connection:
    base = {"host": "127.0.0.1", "port": server.port, "user": "metricsmith", "database": "postgres"}
    secrets = settings.pop("secrets", {})
    return Connection(name=name, type="postgres", settings={**base, **settings}, secrets=secrets)


def _open(connection: Connection | None, source: str = "tickets", **options):
    return PostgresConnector().open(
        ["name"] if connection else [],
        options,
        base_dir=".",
        source_name=source,
        connection=connection,
    )


@pytest.fixture
def project(server, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(PROFILES_VARIABLE, str(tmp_path / "no-profiles.toml"))
    monkeypatch.setenv("WAREHOUSE_PASSWORD", PASSWORD)
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "metricsmith.toml").write_text(
        f'[connections.warehouse]\ntype = "postgres"\nhost = "127.0.0.1"\nport = {server.port}\n'
        'user = "metricsmith"\ndatabase = "postgres"\n'
        f'[connections.secured]\ntype = "postgres"\nhost = "127.0.0.1"\nport = {server.port}\n'
        f'user = "{ROLE}"\ndatabase = "postgres"\npassword_env = "WAREHOUSE_PASSWORD"\n',
        encoding="utf-8",
    )
    (folder / "crm.metrics").write_text(DEFINITIONS, encoding="utf-8")
    return folder


# ---- metrics from PostgreSQL tables ---------------------------------------------------------


@pytest.mark.engines("arrow", "duckdb", "spark")  # Spark through the generic path: Arrow
def test_monthly_metrics_from_postgres_tables(project, engine):
    loaded = metricsmith.load_project(project)
    table = loaded.query(
        ["tickets_opened", "ticket_value"],
        grain="month",
        start="2024-01",
        end="2024-04",
        engine=engine,
    )
    assert table.column("tickets_opened").to_pylist() == [2, 1, 1]
    assert table.column("ticket_value").to_pylist() == [
        Decimal("14.75"),
        Decimal("7.00"),
        Decimal("1.25"),
    ]


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
def test_sliced_by_a_linked_postgres_table(project, engine):
    loaded = metricsmith.load_project(project)
    table = loaded.query(
        ["tickets_opened", "ticket_value"],
        by=["accounts.segment"],
        start="2024-01",
        end="2024-04",
        engine=engine,
    )
    rows = {
        row["accounts.segment"]: (row["tickets_opened"], row["ticket_value"])
        for row in table.to_pylist()
    }
    assert rows == {"SMB": (2, Decimal("14.75")), "Enterprise": (2, Decimal("8.25"))}


def test_a_query_reads_only_the_columns_and_rows_it_needs(project, monkeypatch):
    sent = []
    fetch = pg_connector._fetch

    def spy(conn, sql, parameters):
        table = fetch(conn, sql, parameters)
        sent.append((sql, parameters, table.num_rows))
        return table

    monkeypatch.setattr(pg_connector, "_fetch", spy)
    loaded = metricsmith.load_project(project)
    sent.clear()  # loading read the catalog and the schemas
    loaded.query(["ticket_value"], grain="month", start="2024-01", end="2024-04")
    # The metric's read, and the engine's check that the key is unique (its column alone).
    ((sql, parameters, rows),) = [s for s in sent if '"amount"' in s[0]]
    assert [s[0] for s in sent if '"amount"' not in s[0]] == [
        'SELECT "ticket_id" AS "ticket_id" FROM "crm"."tickets"'
    ]
    selected, _, rest = sql.removeprefix("SELECT ").partition(" FROM ")
    items = ('"amount"::numeric(10, 2) AS "amount"', '"opened_at" AS "opened_at"')
    assert selected in (", ".join(items), ", ".join(reversed(items)))
    assert rest == (
        '"crm"."tickets" WHERE ("opened_at" >= $1::timestamptz AND "opened_at" < '
        '$2::timestamptz OR "opened_at" IS NULL)'
    )
    assert parameters == (_at("2024-01-01T00:00:00"), _at("2024-04-01T00:00:00"))
    assert rows == 4  # of 6: the server dropped the two outside the range


# ---- the reader -----------------------------------------------------------------------------


def test_types_are_mapped_to_the_languages(server):
    reader = _open(_connection(server), "kinds", table="crm.kinds")
    expected = pa.schema(
        [
            ("small", pa.int64()),
            ("whole", pa.int64()),
            ("big", pa.int64()),
            ("real4", pa.float64()),
            ("real8", pa.float64()),
            ("exact", pa.decimal128(38, 9)),
            ("money", pa.decimal128(12, 2)),
            ("huge", pa.decimal128(38, 9)),
            ("instant", pa.timestamp("us", tz="UTC")),
            ("wall", pa.timestamp("us")),
            ("day", pa.date32()),
            ("flag", pa.bool_()),
            ("label", pa.string()),
            ("body", pa.string()),
            ("doc", pa.string()),
            ("id", pa.string()),
            ("span", pa.string()),
        ]
    )
    assert reader.schema() == expected
    table = reader.read()
    assert table.schema == expected
    row = table.to_pylist()[0]
    assert row["exact"] == Decimal("1.123456789")  # rounded to the language's 9 places
    assert row["money"] == Decimal("9.99")
    assert row["instant"] == _at("2024-01-01T08:00:00")
    assert row["wall"] == dt.datetime(2024, 1, 1, 10, 0)
    assert (row["doc"], row["id"], row["span"]) == (
        '{"a": 1}',
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "1 day",
    )


def test_projection_and_time_range_are_pushed_down(server):
    reader = _open(_connection(server), table="crm.tickets")
    window = TimeRange("opened_at", _at("2024-01-01T00:00:00"), _at("2024-02-01T00:00:00"))
    table = reader.read(["ticket_id"], window)
    assert table.column_names == ["ticket_id"]
    assert sorted(table.column("ticket_id").to_pylist()) == [2, 3]
    assert reader.read(["ticket_id"], TimeRange("opened_at", None, None)).num_rows == 6
    assert reader.read([]).num_rows == 6  # only counting rows


def test_local_times_and_dates_widen_the_range_by_a_day(server):
    reader = _open(_connection(server), "visits", table="crm.visits")
    start, end = _at("2024-01-01T00:00:00"), _at("2024-02-01T00:00:00")
    sql, parameters = reader.statement(["visited_at"], TimeRange("visited_at", start, end))
    assert '"visited_at" >= $1::timestamp AND "visited_at" < $2::timestamp' in sql
    assert parameters == (dt.datetime(2023, 12, 31), dt.datetime(2024, 2, 2))
    sql, parameters = reader.statement(["day"], TimeRange("day", start, None))
    assert '"day" >= $1::date OR "day" IS NULL' in sql
    assert parameters == (dt.date(2023, 12, 31),)


def test_a_time_column_postgres_cannot_compare_is_filtered_by_the_engine(server):
    reader = _open(_connection(server), "kinds", table="crm.kinds")
    sql, parameters = reader.statement(["body"], TimeRange("body", _at("2024-01-01T00:00"), None))
    assert "WHERE" not in sql and parameters == ()


def test_a_query_source(server):
    reader = _open(
        _connection(server),
        query="select account_id, count(*) as tickets from crm.tickets group by 1 order by 1 "
        "-- a comment ends it",
    )
    assert reader.schema() == pa.schema([("account_id", pa.string()), ("tickets", pa.int64())])
    assert reader.read().to_pylist() == [
        {"account_id": "a1", "tickets": 3},
        {"account_id": "a2", "tickets": 3},
    ]


def test_a_view(server):
    reader = _open(_connection(server), table="crm.big_tickets")
    assert reader.read(["ticket_id"]).num_rows == 4
    assert reader.location == "connection `warehouse`, table crm.big_tickets"


def test_the_environments_server_when_no_connection_is_named(server):
    reader = _open(None, table="crm.tickets")
    assert reader.read(["ticket_id"]).num_rows == 6
    assert reader.location.startswith("the PostgreSQL server of the environment")
    assert engine_table(reader, "postgres:") == '"crm"."tickets"'
    assert engine_table(reader, "postgres:warehouse") is None


def test_the_postgres_engine_in_the_same_connection_reads_the_table_in_place(server):
    table = _open(_connection(server), table="crm.tickets")
    assert engine_table(table, "postgres:warehouse") == '"crm"."tickets"'
    assert engine_table(table, "postgres:other") is None
    assert engine_table(table, "duckdb") is None
    assert (
        engine_table(_open(_connection(server), query="select 1 as x"), "postgres:warehouse")
        is None
    )


def test_reads_are_read_only(server):
    reader = _open(_connection(server), query="select nextval('crm.counter') as n")
    with pytest.raises(DataError, match="read-only transaction"):
        reader.read()


def test_test_connection_says_what_it_reached(server):
    reached = PostgresConnector().test_connection(_connection(server))
    assert reached.startswith("PostgreSQL ")
    assert reached.endswith(", database postgres as metricsmith")


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (["w"], {}, 'needs exactly one of table="..." or query="..."'),
        (["w"], {"table": "t", "query": "select 1"}, "needs exactly one of"),
        (["w"], {"tabel": "t"}, "has no option `tabel`"),
        (["w", "x"], {"table": "t"}, "takes at most one argument, the connection, got 2"),
    ],
)
def test_bad_arguments(server, args, options, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        PostgresConnector().open(
            args, options, base_dir=".", source_name="s", connection=_connection(server)
        )


# ---- one clear line for each failure ----------------------------------------------------------


def _line(error: Exception) -> str:
    return str(error).splitlines()[0]


def test_a_wrong_password(server):
    wrong = _connection(
        server, "secured", user=ROLE, secrets={"password": Secret("not-it", "variable X")}
    )
    with pytest.raises(DataError) as caught:
        _open(wrong, table="crm.tickets")
    assert _line(caught.value) == (
        "data error in source `tickets`: connection `secured` refused the login while "
        "reading the schema of source `tickets`"
    )
    right = _connection(
        server, "secured", user=ROLE, secrets={"password": Secret(PASSWORD, "variable X")}
    )
    assert _open(right, table="crm.tickets").read(["ticket_id"]).num_rows == 6


def test_an_unreachable_server(server):
    closed = _connection(server, "down", port=1)
    with pytest.raises(DataError) as caught:
        _open(closed, table="crm.tickets")
    assert _line(caught.value).startswith(
        "data error in source `tickets`: cannot reach connection `down` while reading the "
        "schema of source `tickets`: "
    )
    assert "Connection refused" in _line(caught.value)


def test_a_missing_table_suggests_the_near_one(server):
    with pytest.raises(DataError) as caught:
        _open(_connection(server), table="crm.tickts")
    assert _line(caught.value) == (
        "data error in source `tickets`: connection `warehouse` has no table or view `crm.tickts`"
    )
    assert "did you mean `crm.tickets`?" in str(caught.value)
    assert "crm.accounts" in str(caught.value)  # the schema's tables


def test_a_table_without_a_schema_is_found_in_the_search_path(server):
    reader = _open(_connection(server), table="pgconnector_probe")
    assert engine_table(reader, "postgres:warehouse") == '"public"."pgconnector_probe"'
    with pytest.raises(DataError) as caught:
        _open(_connection(server), table="pgconnector_prob")
    assert "did you mean `public.pgconnector_probe`?" in str(caught.value)
    assert "tables in the search path: " in str(caught.value)


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
def test_a_declared_column_of_another_type(project, engine):
    (project / "crm.metrics").write_text(
        DEFINITIONS.replace("key account_id\n", "key account_id\n  column segment: integer\n"),
        encoding="utf-8",
    )
    loaded = metricsmith.load_project(project)
    with pytest.raises(DataError) as caught:
        loaded.query(["tickets_opened"], by=["accounts.segment"], engine=engine)
    line = _line(caught.value)
    assert "source `accounts`" in line and "connection `warehouse`" in line
    assert "column `segment`" in line and "as integer" in line


def test_a_statement_timeout(server):
    slow = _connection(server, "slow", statement_timeout="200ms")
    reader = _open(slow, "slow", query="select pg_sleep(3) as x")
    started = time.monotonic()
    with pytest.raises(DataError) as caught:
        reader.read()
    assert time.monotonic() - started < 2
    assert _line(caught.value) == (
        "data error in source `slow`, connection `slow`, query: connection `slow`: the statement "
        "was cancelled by its statement_timeout (200ms) while reading the rows of source `slow`"
    )


def test_ctrl_c_cancels_the_statement_on_the_server(server):
    reader = _open(_connection(server), "slow", query="select pg_sleep(10) as x")
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        reader.read()
    assert time.monotonic() - started < 3
    with dbapi.connect(server.uri, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE '%pg_sleep(10)%' AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone() == (0,)


def test_bad_data(server):
    reader = _open(_connection(server), "measures", table="crm.measures")
    with pytest.raises(DataError) as caught:
        reader.read(["value"])
    assert _line(caught.value) == (
        "data error in source `measures`, connection `warehouse`, table crm.measures, column "
        "`value`: 'nan' is not a decimal"
    )
    assert "the column is numeric" in str(caught.value)


def test_an_unknown_setting(server):
    with pytest.raises(QueryError, match="connection `warehouse` has no setting `hots`"):
        _open(_connection(server, hots="x"), table="crm.tickets")


# ---- secrets never show ---------------------------------------------------------------------


def _secured(project: Path, definitions: str) -> None:
    (project / "crm.metrics").write_text(
        definitions.replace('"warehouse"', '"secured"'), encoding="utf-8"
    )


def test_a_planted_password_never_shows(project, server, monkeypatch, capsys):
    texts: list[str] = []
    _secured(project, DEFINITIONS)
    # Right password: it works, and explain shows no secret.
    loaded = metricsmith.load_project(project)
    texts.append(repr(loaded.checked.connections["secured"]))
    texts.append(loaded.checked.connections["secured"].describe())
    texts.append(loaded.explain(["ticket_value"], grain="month", start="2024-01", end="2024-04"))
    texts.append(
        loaded.explain(
            ["ticket_value"], start="2024-01", end="2024-04", sql=True, dialect="postgres"
        )
    )
    assert (
        main(["explain", str(project), "ticket_value", "--from", "2024-01", "--to", "2024-02"]) == 0
    )
    assert main(["connections", str(project), "--test"]) == 0
    # The planted password is now wrong: every failure's text.
    monkeypatch.setenv("WAREHOUSE_PASSWORD", PASSWORD + "-wrong")
    failures: list[BaseException] = []
    for attempt in (
        lambda: metricsmith.load_project(project),
        lambda: PostgresConnector().test_connection(
            _connection(
                server, "secured", user=ROLE, secrets={"password": Secret(PASSWORD, "x")}, port=1
            )
        ),
        lambda: _open(
            _connection(server, "secured", user=ROLE, secrets={"password": Secret(PASSWORD, "x")}),
            table="crm.nope",
        ),
    ):
        with pytest.raises(MetricsmithError) as caught:
            attempt()
        failures.append(caught.value)
    monkeypatch.setenv("METRICSMITH_TRACEBACK", "1")
    assert main(["query", str(project), "tickets_opened"]) == 1
    assert main(["connections", str(project), "--test"]) == 1
    monkeypatch.setenv("WAREHOUSE_PASSWORD", PASSWORD)
    for error in failures:
        texts += [str(error), repr(error), str(error.__cause__), str(error.__context__)]
    out, err = capsys.readouterr()
    texts += [out, err]
    assert "refused the login" in err and "secured: error:" in out
    spelled = (PASSWORD, urllib.parse.quote(PASSWORD, safe=""), urllib.parse.quote(PASSWORD))
    for text in texts:
        for form in spelled:
            assert form not in text, text


def test_metricsmith_connections_lists_and_tests(project, capsys):
    assert main(["connections", str(project)]) == 0
    out = capsys.readouterr().out
    assert "Connections (2)" in out
    assert "warehouse" in out and "secured" in out
    assert "password from environment variable WAREHOUSE_PASSWORD" in out
    assert str(project / "metricsmith.toml") in out
    assert main(["connections", str(project), "--test"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(
        line.startswith("warehouse: ok, PostgreSQL ") and line.endswith("as metricsmith")
        for line in lines
    )
    assert any(line.startswith("secured: ok, PostgreSQL ") for line in lines)


def test_metricsmith_connections_reports_each_failure_on_one_line(project, capsys, monkeypatch):
    monkeypatch.delenv("WAREHOUSE_PASSWORD")
    with (project / "metricsmith.toml").open("a", encoding="utf-8") as settings:
        settings.write('[connections.lake]\ntype = "nosuchdb"\n')
    assert main(["connections", str(project), "--test"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("warehouse: ok, ") for line in lines)
    assert (
        "secured: error: connection `secured` needs its password from environment variable "
        "WAREHOUSE_PASSWORD, which is not there"
    ) in lines
    assert (
        "lake: error: no connector `nosuchdb` is installed (`metricsmith plugins` lists those "
        "that are)"
    ) in lines


def test_a_project_with_a_missing_password_is_reported_at_the_source(project, monkeypatch):
    monkeypatch.delenv("WAREHOUSE_PASSWORD")
    _secured(project, DEFINITIONS)
    with pytest.raises(ProjectError) as caught:
        metricsmith.load_project(project)
    assert "needs its password from environment variable WAREHOUSE_PASSWORD" in str(caught.value)


def test_auto_runs_a_query_of_postgres_tables_inside_the_server(project):
    # Both sources are tables of the postgres engine's connection: auto runs the query there
    # (docs/engines.md, "Choosing automatically"), with the answer of every other engine.
    with (project / "metricsmith.toml").open("a", encoding="utf-8") as settings:
        settings.write('[postgres]\nconnection = "warehouse"\n')
    loaded = metricsmith.load_project(project)
    request = {"by": ["accounts.segment"], "start": "2024-01", "end": "2024-04"}
    text = loaded.explain(["tickets_opened"], engine="auto", **request)
    assert "engine: auto → postgres (every source it reads is a table postgres reads in place)" in (
        text
    )
    auto = loaded.query(["tickets_opened", "ticket_value"], engine="auto", **request)
    for engine in ("postgres", "arrow", "duckdb"):
        assert auto.equals(
            loaded.query(["tickets_opened", "ticket_value"], engine=engine, **request)
        )
    # SMB: tickets 2 and 3 (10.50 + 4.25); Enterprise: 4 and 5 (7.00 + 1.25).
    assert sorted(auto.to_pylist(), key=lambda row: row["accounts.segment"]) == [
        {"accounts.segment": "Enterprise", "tickets_opened": 2, "ticket_value": Decimal("8.25")},
        {"accounts.segment": "SMB", "tickets_opened": 2, "ticket_value": Decimal("14.75")},
    ]
