"""The metricsmith-snowflake plugin against a fake driver (fake_warehouse.py): the SQL it sends,
the driver options it builds from a connection's settings, its errors, and a metric computed
on the Arrow engine from what the fake returns. No test reaches Snowflake (docs/connectors.md).

Needs `pip install -e plugins/metricsmith-snowflake`; the tests skip when it is not installed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from fake_warehouse import FakeWarehouse
from metricsmith.errors import DataError, MetricsmithError, ProjectError, QueryError
from metricsmith.plugins.connections import Connection, Secret
from metricsmith.plugins.connector import Connector, SourceReader, TimeRange
from plugin_testing import assert_discovered, registered_connector, require_plugin

require_plugin("metricsmith-snowflake", "adbc_driver_snowflake")

import adbc_driver_manager.dbapi as adbc  # noqa: E402
import adbc_driver_snowflake.dbapi as snowflake_dbapi  # noqa: E402
from adbc_driver_manager import AdbcStatusCode  # noqa: E402

IO = AdbcStatusCode.IO
#: A planted secret: it must never appear in a message, a repr or explain output.
PASSWORD = "hunter2-planted-Sn0wflake"
UTC = dt.UTC
EVENTS = ("ANALYTICS", "PUBLIC", "EVENTS")
ROWS = pa.table(
    {
        "EVENT_TIME": pa.array(
            [
                dt.datetime(2023, 12, 31, 23, 0, tzinfo=UTC),
                dt.datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
                dt.datetime(2024, 1, 15, 12, 0, tzinfo=UTC),
                dt.datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC),
                dt.datetime(2024, 2, 1, 0, 0, tzinfo=UTC),
                dt.datetime(2024, 3, 5, 8, 0, tzinfo=UTC),
            ],
            pa.timestamp("us", tz="UTC"),
        ),
        "ACCOUNT": ["acme", "acme", "globex", "acme", "globex", "acme"],
        # Snowflake's integers arrive as NUMBER(38,0): decimal128(38, 0).
        "QUANTITY": pa.array([5, 2, 3, 1, 4, 7], pa.decimal128(38, 0)),
        "AMOUNT": pa.array(
            [Decimal(v) for v in ("1.50", "10.00", "2.25", "0.25", "100.00", "1.00")],
            pa.decimal128(38, 2),
        ),
        "SIGNUP_DAY": pa.array(
            [dt.date(2023, 12, 1), None, dt.date(2024, 1, 10), None, dt.date(2024, 2, 2), None],
            pa.date32(),
        ),
        "LOCAL_TIME": pa.array(
            [dt.datetime(2024, 1, 1, 0, 30), None, None, None, None, dt.datetime(2024, 5, 1)],
            pa.timestamp("us"),
        ),
    }
)


def connection(**settings: object) -> Connection:
    base = {"account": "acme-analytics", "user": "METRICS_RO", "warehouse": "REPORTING"}
    return Connection(
        name="warehouse",
        type="snowflake",
        settings={**base, **settings},
        secrets={"password": Secret(PASSWORD, "environment variable SNOWFLAKE_PASSWORD")},
        origin="metricsmith.toml [connections.warehouse]",
    )


@pytest.fixture
def snowflake(monkeypatch: pytest.MonkeyPatch) -> Connector:
    return registered_connector(monkeypatch, "snowflake")


@pytest.fixture
def warehouse(monkeypatch: pytest.MonkeyPatch) -> FakeWarehouse:
    # EVENTS alone is the table in the session's database and schema.
    fake = FakeWarehouse("snowflake", {EVENTS: ROWS, ("EVENTS",): ROWS})
    monkeypatch.setattr(snowflake_dbapi, "connect", fake.connect)
    return fake


def open_source(snowflake: Connector, **options: object) -> SourceReader:
    return snowflake.open(
        ["warehouse"], options, base_dir=".", source_name="events", connection=connection()
    )


def test_discovered_through_the_entry_point(snowflake: Connector) -> None:
    assert_discovered("snowflake", "metricsmith-snowflake")


# ---- the SQL it sends ---------------------------------------------------------------------


def test_a_table_source_asks_for_its_schema_without_rows(snowflake, warehouse) -> None:
    reader = open_source(snowflake, table="analytics.public.events")
    schema = reader.schema()
    assert warehouse.statements == ['SELECT * FROM "ANALYTICS"."PUBLIC"."EVENTS" LIMIT 0']
    assert schema.field("QUANTITY").type == pa.int64()  # NUMBER(38,0) is an integer
    assert schema.field("AMOUNT").type == pa.decimal128(38, 2)
    assert reader.location == "connection `warehouse`, table analytics.public.events"
    reader.schema()
    assert len(warehouse.statements) == 1, "the schema is asked for once"


def test_a_quoted_part_of_a_table_name_keeps_its_case(snowflake, warehouse) -> None:
    warehouse.tables[("ANALYTICS", "PUBLIC", "Events Raw")] = ROWS
    open_source(snowflake, table='analytics.public."Events Raw"').schema()
    assert warehouse.statements == ['SELECT * FROM "ANALYTICS"."PUBLIC"."Events Raw" LIMIT 0']


def test_a_query_source_is_sent_as_a_subquery(snowflake, warehouse) -> None:
    reader = open_source(
        snowflake,
        query="select event_time, account, amount * 2 as doubled "
        "from analytics.public.events where account <> 'test';",
    )
    reader.schema()
    table = reader.read(["ACCOUNT", "DOUBLED"])
    assert warehouse.statements == [
        "SELECT * FROM (SELECT event_time, account, amount * 2 AS doubled FROM "
        "analytics.public.events WHERE account <> 'test') AS \"metricsmith_source\" LIMIT 0",
        'SELECT "ACCOUNT", "DOUBLED" FROM (SELECT event_time, account, amount * 2 AS doubled '
        "FROM analytics.public.events WHERE account <> 'test') AS \"metricsmith_source\"",
    ]
    assert table.num_rows == 6
    assert reader.location == "connection `warehouse`, query"


def test_a_projected_read_selects_only_the_columns_asked_for(snowflake, warehouse) -> None:
    reader = open_source(snowflake, table="ANALYTICS.PUBLIC.EVENTS")
    table = reader.read(["ACCOUNT", "QUANTITY"])
    assert warehouse.statements[-1] == (
        'SELECT "ACCOUNT", "QUANTITY" FROM "ANALYTICS"."PUBLIC"."EVENTS"'
    )
    assert table.column_names == ["ACCOUNT", "QUANTITY"]
    assert table.column("QUANTITY").to_pylist() == [5, 2, 3, 1, 4, 7]
    assert table.schema.field("QUANTITY").type == pa.int64()


def test_a_time_ranged_read_sends_typed_bounds(snowflake, warehouse) -> None:
    reader = open_source(snowflake, table="ANALYTICS.PUBLIC.EVENTS")
    january = TimeRange(
        "EVENT_TIME", dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 2, 1, tzinfo=UTC)
    )
    table = reader.read(["EVENT_TIME", "AMOUNT"], january)
    assert warehouse.statements[-1] == (
        'SELECT "EVENT_TIME", "AMOUNT" FROM "ANALYTICS"."PUBLIC"."EVENTS" WHERE '
        "(\"EVENT_TIME\" >= CAST('2024-01-01 00:00:00+00:00' AS TIMESTAMPTZ) AND "
        "\"EVENT_TIME\" < CAST('2024-02-01 00:00:00+00:00' AS TIMESTAMPTZ)) "
        'OR "EVENT_TIME" IS NULL'
    )
    assert table.column("AMOUNT").to_pylist() == [Decimal(v) for v in ("10.00", "2.25", "0.25")]


def test_wall_clock_columns_get_bounds_a_day_wider(snowflake, warehouse) -> None:
    """A date or a timestamp without zone is local time in the calendar's zone, which the
    engine applies after reading: the bounds widen by a day so no row in range is lost."""
    reader = open_source(snowflake, table="ANALYTICS.PUBLIC.EVENTS")
    start = dt.datetime(2024, 1, 1, tzinfo=UTC)
    reader.read(["SIGNUP_DAY"], TimeRange("SIGNUP_DAY", start, None))
    assert warehouse.statements[-1] == (
        'SELECT "SIGNUP_DAY" FROM "ANALYTICS"."PUBLIC"."EVENTS" WHERE '
        '"SIGNUP_DAY" >= CAST(\'2023-12-31\' AS DATE) OR "SIGNUP_DAY" IS NULL'
    )
    table = reader.read(["LOCAL_TIME"], TimeRange("LOCAL_TIME", None, start))
    assert warehouse.statements[-1] == (
        'SELECT "LOCAL_TIME" FROM "ANALYTICS"."PUBLIC"."EVENTS" WHERE '
        '"LOCAL_TIME" < CAST(\'2024-01-02 00:00:00\' AS TIMESTAMPNTZ) OR "LOCAL_TIME" IS NULL'
    )
    # The nulls are kept (the engine decides whether they count), May is not.
    assert table.column("LOCAL_TIME").to_pylist() == [dt.datetime(2024, 1, 1, 0, 30)] + [None] * 4


def test_counting_rows_only_sends_a_count(snowflake, warehouse) -> None:
    reader = open_source(snowflake, table="ANALYTICS.PUBLIC.EVENTS")
    table = reader.read([])
    assert warehouse.statements[-1] == (
        'SELECT COUNT(*) AS "metricsmith_source_rows" FROM "ANALYTICS"."PUBLIC"."EVENTS"'
    )
    assert (table.num_rows, table.num_columns) == (6, 0)


# ---- the configuration it reads -----------------------------------------------------------


def test_driver_options_come_from_the_connection(snowflake, warehouse) -> None:
    reader = snowflake.open(
        ["warehouse"],
        {"table": "EVENTS"},
        base_dir=".",
        source_name="events",
        connection=connection(
            database="ANALYTICS", schema="PUBLIC", role="METRICS_READER", statement_timeout=120
        ),
    )
    reader.schema()
    assert warehouse.connects == [
        {
            "adbc.snowflake.sql.account": "acme-analytics",
            "username": "METRICS_RO",
            "adbc.snowflake.sql.warehouse": "REPORTING",
            "adbc.snowflake.sql.db": "ANALYTICS",
            "adbc.snowflake.sql.schema": "PUBLIC",
            "adbc.snowflake.sql.role": "METRICS_READER",
            "adbc.snowflake.sql.auth_type": "auth_snowflake",
            "password": PASSWORD,
            "adbc.snowflake.sql.client_option.max_timestamp_precision": "microseconds",
            "TIMEZONE": "UTC",
            "STATEMENT_TIMEOUT_IN_SECONDS": "120",
        }
    ]
    assert warehouse.closed == 1
    assert PASSWORD not in repr(reader) + repr(vars(reader.reader))


def test_a_key_pair_logs_in_with_the_whole_key(snowflake, warehouse, tmp_path: Path) -> None:
    key = (
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0w\n"
        "-----END ENCRYPTED PRIVATE KEY-----"
    )
    (tmp_path / "metricsmith.toml").write_text(
        '[connections.warehouse]\ntype = "snowflake"\naccount = "acme-analytics"\n'
        'user = "METRICS_SVC"\nprivate_key_file = "rsa_key.p8"\n'
        'private_key_password_env = "KEY_PASSPHRASE"\n'
    )
    (tmp_path / "rsa_key.p8").write_text(key + "\n")
    from metricsmith.plugins.connections import load_connections

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KEY_PASSPHRASE", PASSWORD)
        patch.setenv("METRICSMITH_PROFILES", str(tmp_path / "none.toml"))
        found = load_connections(tmp_path)["warehouse"]
    snowflake.open(
        ["warehouse"], {"table": "EVENTS"}, base_dir=".", source_name="e", connection=found
    ).schema()
    options = warehouse.connects[0]
    assert options["adbc.snowflake.sql.auth_type"] == "auth_jwt"
    assert options["adbc.snowflake.sql.client_option.jwt_private_key_pkcs8_value"] == key
    assert options["adbc.snowflake.sql.client_option.jwt_private_key_pkcs8_password"] == PASSWORD
    assert "password" not in options


def test_the_real_driver_accepts_every_option_built() -> None:
    """The driver's database object parses the options without connecting (no network): a
    misspelt option would be refused here, or be sent to Snowflake as a session parameter."""
    import adbc_driver_snowflake
    from metricsmith_snowflake.connect import driver_options

    for given in (
        connection(role="R", database="D", schema="S"),
        connection(authenticator="oauth"),
    ):
        options = driver_options(
            Connection(
                name=given.name,
                type=given.type,
                settings=given.settings,
                secrets={**given.secrets, "token": Secret("t", "environment variable T")},
            )
        )
        database = adbc_driver_snowflake.connect(db_kwargs=options)
        try:
            assert database.get_option("STATEMENT_TIMEOUT_IN_SECONDS") == "600"
        finally:
            database.close()


# ---- its errors ----------------------------------------------------------------------------


def test_an_unknown_setting_is_refused_with_the_accepted_ones(snowflake, warehouse) -> None:
    reader = snowflake.open(
        ["warehouse"],
        {"table": "EVENTS"},
        base_dir=".",
        source_name="events",
        connection=connection(host="acme.snowflakecomputing.com"),
    )
    with pytest.raises(QueryError) as raised:
        reader.schema()
    assert "connection `warehouse` has no setting `host`" in str(raised.value)
    assert "account, user, warehouse, database, schema, role, authenticator" in str(raised.value)
    assert warehouse.connects == []


def test_a_missing_secret_says_which_and_where(snowflake, warehouse) -> None:
    missing = Connection(
        name="warehouse",
        type="snowflake",
        settings={"account": "acme-analytics", "user": "METRICS_RO"},
        missing={"password": "environment variable SNOWFLAKE_PASSWORD"},
        origin="metricsmith.toml [connections.warehouse]",
    )
    reader = snowflake.open(
        ["warehouse"], {"table": "EVENTS"}, base_dir=".", source_name="e", connection=missing
    )
    with pytest.raises(QueryError, match="needs its password from environment variable "):
        reader.schema()
    none = Connection(name="warehouse", type="snowflake", settings={"account": "a", "user": "u"})
    reader = snowflake.open(["w"], {"table": "T"}, base_dir=".", source_name="e", connection=none)
    with pytest.raises(QueryError, match="connection `warehouse` needs its password to log in"):
        reader.schema()


def test_an_unknown_authenticator_lists_the_known(snowflake, warehouse) -> None:
    reader = snowflake.open(
        ["warehouse"],
        {"table": "EVENTS"},
        base_dir=".",
        source_name="e",
        connection=connection(authenticator="kerberos"),
    )
    with pytest.raises(QueryError, match="unknown authenticator `kerberos`") as raised:
        reader.schema()
    assert "snowflake_jwt" in str(raised.value)


def test_a_refused_login_is_one_line_without_the_password(snowflake, monkeypatch) -> None:
    refused = adbc.OperationalError(
        f"IO: 390100 (08004): Incorrect username or password was specified. (password={PASSWORD})",
        status_code=IO,
        vendor_code=390100,
        sqlstate="08004",
    )
    fake = FakeWarehouse("snowflake", refuse=refused)
    monkeypatch.setattr(snowflake_dbapi, "connect", fake.connect)
    with pytest.raises(DataError) as raised:
        open_source(snowflake, table="EVENTS").schema()
    message = str(raised.value)
    assert PASSWORD not in message
    assert message.splitlines()[0] == (
        "data error in source `events`: connection `warehouse` (account acme-analytics) "
        "refused the login while reading the schema"
    )
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize(
    ("driver_message", "expected"),
    [
        (
            "Statement reached its statement or warehouse timeout of 600 second(s) and was "
            "canceled. (000630)",
            "the statement was cancelled while reading rows (statement_timeout)",
        ),
        (
            "SQL compilation error:\nObject 'ANALYTICS.PUBLIC.EVENTZ' does not exist or not "
            "authorized. (002003)",
            "has no such table or view, or the role may not read it: SQL compilation error:",
        ),
        (
            f"dial tcp: lookup acme-analytics.snowflakecomputing.com: no such host {PASSWORD}",
            "cannot reach connection `warehouse` (account acme-analytics) while reading rows",
        ),
    ],
)
def test_driver_errors_become_one_line(snowflake, warehouse, driver_message, expected) -> None:
    reader = open_source(snowflake, table="EVENTS")
    warehouse.answers['SELECT * FROM "EVENTS" LIMIT 0'] = ROWS.schema.empty_table()
    reader.schema()
    warehouse.fail = adbc.ProgrammingError(driver_message, status_code=IO)
    with pytest.raises(DataError) as raised:
        reader.read(["ACCOUNT"])
    assert expected in str(raised.value)
    assert PASSWORD not in str(raised.value)


def test_call_mistakes_are_refused_before_any_connection(snowflake, warehouse) -> None:
    def refusal(args: list[object], options: dict[str, object]) -> str:
        with pytest.raises(DataError) as raised:
            snowflake.open(args, options, base_dir=".", source_name="e", connection=connection())
        return str(raised.value)

    assert "exactly one of table= or query=" in refusal(["warehouse"], {})
    assert "exactly one of table= or query=" in refusal(["warehouse"], {"table": "T", "query": "q"})
    assert "has no option `view`" in refusal(["warehouse"], {"view": "T"})
    assert "`events; drop table x` is not a table name" in refusal(
        ["warehouse"], {"table": "events; drop table x"}
    )
    assert "query= must be one query" in refusal(["warehouse"], {"query": "delete from events"})
    assert "query= must be one query" in refusal(["warehouse"], {"query": "select 1; select 2"})
    with pytest.raises(DataError, match="needs the name of a connection"):
        snowflake.open([], {"table": "T"}, base_dir=".", source_name="e", connection=None)
    assert warehouse.connects == []


def test_testing_the_connection_says_what_it_reached(snowflake, warehouse) -> None:
    sql = (
        "SELECT CURRENT_ACCOUNT() AS account, CURRENT_USER() AS user_name, "
        "CURRENT_ROLE() AS role, CURRENT_WAREHOUSE() AS warehouse"
    )
    warehouse.answers[sql] = pa.table(
        {"ACCOUNT": ["AB12345"], "USER_NAME": ["METRICS_RO"], "ROLE": ["R"], "WAREHOUSE": ["W"]}
    )
    assert snowflake.test_connection(connection()) == (
        "connection `warehouse`: Snowflake account AB12345 as METRICS_RO (role R, warehouse W)"
    )


# ---- a metric over it ----------------------------------------------------------------------

PROJECT = """
calendar { timezone "UTC" }

source events from snowflake("warehouse", table="analytics.public.events") {
  time EVENT_TIME
}

metric events_seen = count(events)
metric units = sum(events.QUANTITY)
metric revenue = sum(events.AMOUNT)
"""


def test_a_metric_on_the_arrow_engine(tmp_path: Path, warehouse, monkeypatch) -> None:
    import metricsmith

    (tmp_path / "events.metrics").write_text(PROJECT)
    (tmp_path / "metricsmith.toml").write_text(
        '[connections.warehouse]\ntype = "snowflake"\naccount = "acme-analytics"\n'
        'user = "METRICS_RO"\npassword_env = "SNOWFLAKE_PASSWORD"\n'
    )
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", PASSWORD)
    monkeypatch.setenv("METRICSMITH_PROFILES", str(tmp_path / "no-profiles.toml"))
    project = metricsmith.load_project(tmp_path)
    table = project.query(
        ["events_seen", "units", "revenue"], grain="month", start="2024-01", end="2024-03"
    )
    rows = table.to_pylist()
    # Hand-computed from ROWS: January holds rows 2-4, February row 5.
    assert [(r["events_seen"], r["units"], r["revenue"]) for r in rows] == [
        (3, 6, Decimal("12.50")),
        (1, 4, Decimal("100.00")),
    ]
    assert warehouse.statements[-1] == (
        'SELECT "EVENT_TIME", "QUANTITY", "AMOUNT" FROM "ANALYTICS"."PUBLIC"."EVENTS" WHERE '
        "(\"EVENT_TIME\" >= CAST('2024-01-01 00:00:00+00:00' AS TIMESTAMPTZ) AND "
        "\"EVENT_TIME\" < CAST('2024-03-01 00:00:00+00:00' AS TIMESTAMPTZ)) "
        'OR "EVENT_TIME" IS NULL'
    )
    assert warehouse.connects[0]["password"] == PASSWORD
    explained = project.explain(["revenue"], grain="month", start="2024-01", end="2024-03")
    assert PASSWORD not in str(explained)


def test_a_refused_login_at_check_time_is_a_problem_of_the_source(
    tmp_path: Path, monkeypatch
) -> None:
    import metricsmith

    refused = adbc.OperationalError(
        f"390100: Incorrect username or password was specified ({PASSWORD})",
        status_code=IO,
    )
    fake = FakeWarehouse("snowflake", refuse=refused)
    monkeypatch.setattr(snowflake_dbapi, "connect", fake.connect)
    (tmp_path / "events.metrics").write_text(PROJECT)
    (tmp_path / "metricsmith.toml").write_text(
        '[connections.warehouse]\ntype = "snowflake"\naccount = "acme-analytics"\n'
        'user = "METRICS_RO"\npassword_env = "SNOWFLAKE_PASSWORD"\n'
    )
    monkeypatch.setenv("SNOWFLAKE_PASSWORD", PASSWORD)
    monkeypatch.setenv("METRICSMITH_PROFILES", str(tmp_path / "no-profiles.toml"))
    with pytest.raises(MetricsmithError) as raised:
        metricsmith.load_project(tmp_path).query(["revenue"], grain="month")
    assert isinstance(raised.value, ProjectError)
    assert "connection `warehouse` (account acme-analytics) refused the login" in str(raised.value)
    assert PASSWORD not in str(raised.value)
