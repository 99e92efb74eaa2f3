"""The metricsmith-bigquery plugin against a fake driver (fake_warehouse.py): the SQL it sends,
the driver and job options it builds from a connection's settings, its errors, and a metric
computed on the Arrow engine from what the fake returns. No test reaches BigQuery
(docs/connectors.md).

Needs `pip install -e plugins/metricsmith-bigquery`; the tests skip when it is not installed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest
from fake_warehouse import FakeWarehouse
from metricsmith.errors import DataError, QueryError
from metricsmith.plugins.connections import Connection, Secret, load_connections
from metricsmith.plugins.connector import Connector, SourceReader, TimeRange
from plugin_testing import assert_discovered, registered_connector, require_plugin

require_plugin("metricsmith-bigquery", "adbc_driver_bigquery")

import adbc_driver_bigquery.dbapi as bigquery_dbapi  # noqa: E402
import adbc_driver_manager.dbapi as adbc  # noqa: E402
from adbc_driver_manager import AdbcStatusCode  # noqa: E402

UTC = dt.UTC
#: A planted secret inside a service account's JSON key: it must never appear in a message.
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nplanted-B1gQuery-key\n-----END PRIVATE KEY-----\n"
KEY_FILE = json.dumps(
    {
        "type": "service_account",
        "project_id": "acme-data",
        "private_key_id": "0123456789abcdef-planted",
        "private_key": PRIVATE_KEY,
        "client_email": "metrics@acme-data.iam.gserviceaccount.com",
    },
    indent=2,
)
EVENTS = ("acme-data", "analytics", "events")
ROWS = pa.table(
    {
        "event_time": pa.array(
            [
                dt.datetime(2023, 12, 31, 23, 0, tzinfo=UTC),
                dt.datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
                dt.datetime(2024, 1, 15, 12, 0, tzinfo=UTC),
                dt.datetime(2024, 2, 1, 0, 0, tzinfo=UTC),
                dt.datetime(2024, 2, 29, 23, 59, tzinfo=UTC),
                None,
            ],
            pa.timestamp("us", tz="UTC"),
        ),
        "account": ["acme", "acme", "globex", "globex", "acme", "initech"],
        "seats": pa.array([9, 2, 3, 4, 5, 6], pa.int64()),
        "visit_day": pa.array(
            [dt.date(2023, 12, 31), dt.date(2024, 1, 1), None, None, None, None], pa.date32()
        ),
    }
)


def connection(**settings: object) -> Connection:
    return Connection(
        name="lake",
        type="bigquery",
        settings={"project_id": "acme-data", **settings},
        secrets={"credentials": Secret(KEY_FILE, "file keys/metrics.json")},
        origin="metricsmith.toml [connections.lake]",
    )


@pytest.fixture
def bigquery(monkeypatch: pytest.MonkeyPatch) -> Connector:
    return registered_connector(monkeypatch, "bigquery")


@pytest.fixture
def lake(monkeypatch: pytest.MonkeyPatch) -> FakeWarehouse:
    fake = FakeWarehouse("bigquery", {EVENTS: ROWS})
    monkeypatch.setattr(bigquery_dbapi, "connect", fake.connect)
    return fake


def open_source(bigquery: Connector, given: Connection | None = None, **options) -> SourceReader:
    return bigquery.open(
        ["lake"], options, base_dir=".", source_name="events", connection=given or connection()
    )


def test_discovered_through_the_entry_point(bigquery: Connector) -> None:
    assert_discovered("bigquery", "metricsmith-bigquery")


# ---- the SQL it sends ---------------------------------------------------------------------


def test_a_table_source_asks_for_its_schema_without_rows(bigquery, lake) -> None:
    reader = open_source(bigquery, table="acme-data.analytics.events")
    assert reader.schema() == ROWS.schema
    assert lake.statements == ["SELECT * FROM `acme-data`.`analytics`.`events` LIMIT 0"]
    assert reader.location == "connection `lake`, table acme-data.analytics.events"


def test_names_without_project_or_dataset_take_the_connections(bigquery, lake) -> None:
    open_source(bigquery, table="analytics.events").schema()
    open_source(bigquery, connection(dataset="analytics"), table="events").schema()
    assert lake.statements == [
        "SELECT * FROM `acme-data`.`analytics`.`events` LIMIT 0",
        "SELECT * FROM `acme-data`.`analytics`.`events` LIMIT 0",
    ]
    with pytest.raises(DataError, match="`events` is missing the outer parts of its name"):
        open_source(bigquery, table="events")


def test_a_query_source_is_sent_as_a_subquery(bigquery, lake) -> None:
    reader = open_source(
        bigquery,
        query="SELECT account, seats * 10 AS seat_units "
        "FROM `acme-data.analytics.events` WHERE account != 'initech'",
    )
    table = reader.read(["seat_units"])
    assert lake.statements == [
        "SELECT * FROM (SELECT account, seats * 10 AS seat_units FROM "
        "`acme-data.analytics.events` WHERE account <> 'initech') AS `metricsmith_source` "
        "LIMIT 0",
        "SELECT `seat_units` FROM (SELECT account, seats * 10 AS seat_units FROM "
        "`acme-data.analytics.events` WHERE account <> 'initech') AS `metricsmith_source`",
    ]
    assert table.column("seat_units").to_pylist() == [90, 20, 30, 40, 50]


def test_a_projected_and_time_ranged_read(bigquery, lake) -> None:
    reader = open_source(bigquery, table="acme-data.analytics.events")
    january = TimeRange(
        "event_time", dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 2, 1, tzinfo=UTC)
    )
    table = reader.read(["event_time", "seats"], january)
    assert lake.statements[-1] == (
        "SELECT `event_time`, `seats` FROM `acme-data`.`analytics`.`events` WHERE "
        "(`event_time` >= CAST('2024-01-01 00:00:00+00:00' AS TIMESTAMP) AND "
        "`event_time` < CAST('2024-02-01 00:00:00+00:00' AS TIMESTAMP)) "
        "OR `event_time` IS NULL"
    )
    assert table.column("seats").to_pylist() == [2, 3, 6]  # the null time is kept
    reader.read(["visit_day"], TimeRange("visit_day", dt.datetime(2024, 1, 1, tzinfo=UTC), None))
    assert lake.statements[-1] == (
        "SELECT `visit_day` FROM `acme-data`.`analytics`.`events` WHERE "
        "`visit_day` >= CAST('2023-12-31' AS DATE) OR `visit_day` IS NULL"
    )


# ---- the configuration it reads -----------------------------------------------------------


def test_driver_and_job_options_come_from_the_connection(bigquery, lake) -> None:
    given = connection(
        dataset="analytics", location="EU", statement_timeout=90, maximum_bytes_billed=10**10
    )
    open_source(bigquery, given, table="events").schema()
    assert lake.connects == [
        {
            "adbc.bigquery.sql.project_id": "acme-data",
            "adbc.bigquery.sql.dataset_id": "analytics",
            "adbc.bigquery.sql.location": "EU",
            "adbc.bigquery.sql.auth_type": "adbc.bigquery.sql.auth_type.json_credential_string",
            "adbc.bigquery.sql.auth_credentials": KEY_FILE,
            "bigquery.auth.credentials_type": "service_account",
        }
    ]
    assert lake.statement_options == [
        {
            "adbc.bigquery.sql.query.job_timeout": 90_000,
            "adbc.bigquery.sql.query.max_bytes_billed": 10**10,
            "adbc.bigquery.sql.query.default_project_id": "acme-data",
            "adbc.bigquery.sql.query.default_dataset_id": "analytics",
        }
    ]
    assert lake.closed == 1


def test_without_credentials_application_default_credentials_are_used(bigquery, lake) -> None:
    adc = Connection(name="lake", type="bigquery", settings={"project_id": "acme-data"})
    open_source(bigquery, adc, table="analytics.events").schema()
    assert lake.connects == [
        {
            "adbc.bigquery.sql.project_id": "acme-data",
            "adbc.bigquery.sql.auth_type": "adbc.bigquery.sql.auth_type.auth_bigquery",
        }
    ]
    assert lake.statement_options == [{"adbc.bigquery.sql.query.job_timeout": 600_000}]


def test_a_credentials_file_is_read_whole(bigquery, lake, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "metricsmith.toml").write_text(
        '[connections.lake]\ntype = "bigquery"\nproject_id = "acme-data"\n'
        'credentials_file = "keys/metrics.json"\n'
    )
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "metrics.json").write_text(KEY_FILE + "\n")
    monkeypatch.setenv("METRICSMITH_PROFILES", str(tmp_path / "no-profiles.toml"))
    found = load_connections(tmp_path)["lake"]
    assert "***" in repr(found) and PRIVATE_KEY not in repr(found) + found.describe()
    open_source(bigquery, found, table="analytics.events").schema()
    assert lake.connects[0]["adbc.bigquery.sql.auth_credentials"] == KEY_FILE


def test_the_real_driver_accepts_every_option_built() -> None:
    """The driver's database object parses the options without connecting (no network)."""
    import adbc_driver_bigquery
    from metricsmith_bigquery.connect import driver_options

    for given in (
        connection(dataset="analytics", location="EU"),
        Connection(name="lake", type="bigquery", settings={"project_id": "acme-data"}),
    ):
        database = adbc_driver_bigquery.connect(db_kwargs=driver_options(given))
        try:
            assert database.get_option("adbc.bigquery.sql.project_id") == "acme-data"
        finally:
            database.close()


# ---- its errors ----------------------------------------------------------------------------


def test_an_unknown_setting_is_refused_with_the_accepted_ones(bigquery, lake) -> None:
    reader = open_source(bigquery, connection(dataset_id="analytics"), table="a.events")
    with pytest.raises(QueryError) as raised:
        reader.schema()
    assert "connection `lake` has no setting `dataset_id`" in str(raised.value)
    assert "project_id, dataset, location, statement_timeout, maximum_bytes_billed" in str(
        raised.value
    )
    assert lake.connects == []


def test_credentials_that_are_no_json_key_are_refused_without_quoting_them(bigquery, lake):
    given = Connection(
        name="lake",
        type="bigquery",
        settings={"project_id": "acme-data"},
        secrets={"credentials": Secret(PRIVATE_KEY, "file keys/metrics.pem")},
    )
    with pytest.raises(QueryError) as raised:
        open_source(bigquery, given, table="analytics.events").schema()
    assert "the credentials in file keys/metrics.pem are not a Google JSON key" in str(raised.value)
    assert "planted" not in str(raised.value)


def test_a_missing_credentials_file_says_where_it_was_looked_for(bigquery, lake) -> None:
    given = Connection(
        name="lake",
        type="bigquery",
        settings={"project_id": "acme-data"},
        missing={"credentials": "file keys/metrics.json"},
        origin="metricsmith.toml [connections.lake]",
    )
    with pytest.raises(QueryError, match=r"needs its credentials from file keys/metrics\.json"):
        open_source(bigquery, given, table="analytics.events").schema()


@pytest.mark.parametrize(
    ("driver_message", "expected"),
    [
        (
            f'oauth2: "invalid_grant" "Invalid JWT Signature." key {PRIVATE_KEY}',
            "data error in source `events`: connection `lake` (project acme-data) refused the "
            "credentials while reading the schema",
        ),
        (
            "googleapi: Error 404: Not found: Table acme-data:analytics.events was not found "
            "in location EU, notFound",
            "connection `lake` (project acme-data) has no such table or dataset: googleapi: "
            "Error 404: Not found: Table",
        ),
        (
            "googleapi: Error 403: Access Denied: Table acme-data:analytics.events: User does "
            "not have permission",
            "access denied while reading the schema",
        ),
        (
            "context deadline exceeded: job timed out after 90s",
            "the job was stopped while reading the schema (statement_timeout)",
        ),
    ],
)
def test_driver_errors_become_one_line(bigquery, lake, driver_message, expected) -> None:
    lake.fail = adbc.OperationalError(driver_message, status_code=AdbcStatusCode.IO)
    with pytest.raises(DataError) as raised:
        open_source(bigquery, table="analytics.events").schema()
    message = str(raised.value)
    assert expected in message
    assert "planted" not in message
    assert len(message.split("\n  = help:")[0].splitlines()) == 1


def test_testing_the_connection_runs_a_query(bigquery, lake) -> None:
    assert bigquery.test_connection(connection(location="EU")) == (
        "connection `lake`: BigQuery project acme-data, location EU runs queries"
    )
    assert lake.statements == ["SELECT 1 AS reached"]


# ---- a metric over it ----------------------------------------------------------------------

PROJECT = """
calendar { timezone "UTC" }

source events from bigquery("lake", table="analytics.events") {
  time event_time
}

metric events_seen = count(events)
metric seats_sold = sum(events.seats)
"""


def test_a_metric_on_the_arrow_engine(tmp_path: Path, lake, monkeypatch) -> None:
    import metricsmith

    (tmp_path / "events.metrics").write_text(PROJECT)
    (tmp_path / "metricsmith.toml").write_text(
        '[connections.lake]\ntype = "bigquery"\nproject_id = "acme-data"\n'
        'credentials_file = "key.json"\n'
    )
    (tmp_path / "key.json").write_text(KEY_FILE)
    monkeypatch.setenv("METRICSMITH_PROFILES", str(tmp_path / "no-profiles.toml"))
    project = metricsmith.load_project(tmp_path)
    table = project.query(
        ["events_seen", "seats_sold"], grain="month", start="2024-01", end="2024-03"
    )
    # Hand-computed from ROWS: January holds rows 2 and 3, February rows 4 and 5.
    assert [(r["events_seen"], r["seats_sold"]) for r in table.to_pylist()] == [(2, 5), (2, 9)]
    assert lake.statements[-1] == (
        "SELECT `event_time`, `seats` FROM `acme-data`.`analytics`.`events` WHERE "
        "(`event_time` >= CAST('2024-01-01 00:00:00+00:00' AS TIMESTAMP) AND "
        "`event_time` < CAST('2024-03-01 00:00:00+00:00' AS TIMESTAMP)) "
        "OR `event_time` IS NULL"
    )
    explained = project.explain(["seats_sold"], grain="month", start="2024-01", end="2024-03")
    assert "planted" not in str(explained)
