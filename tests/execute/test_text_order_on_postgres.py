"""Text is ordered by its bytes on every engine, also in a PostgreSQL database whose default
collation is a locale's. In an ICU "en" database PostgreSQL sorted apple, Banana, cherry,
Zebra (a dictionary's order) and found "Banana" > "b", so `max`, `min`, `name > "b"`,
`max_by` and the answer's row order all differed from the Arrow, DuckDB and Spark engines,
silently. The SQL now orders text with `COLLATE "C"` on PostgreSQL (dialects.py,
`Postgres.binary_text`; docs/engines.md, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os

import metricsmith
import pytest
from execute_helpers import rows

pytestmark = pytest.mark.postgres

PROJECT = """
source accounts from csv("accounts.csv") {
  key account_id
  column segment: string
  column name: string
}
source orders from csv("orders.csv") {
  time at
  entity account_id -> accounts
  column at: timestamp
  column name = accounts.name
}
metric largest = max(orders.name)
metric smallest = min(orders.name)
metric after_b = count(orders where name > "b")
metric orders_total = count(orders)
metric largest_by_name = max_by(orders.account_id, orders.name)
"""
ACCOUNTS = "account_id,segment,name\na1,smb,apple\na2,Ent,Banana\na3,ent,cherry\na4,SMB,Zebra\n"
ORDERS = (
    "at,account_id\n"
    "2024-01-05T00:00:00Z,a1\n"
    "2024-01-06T00:00:00Z,a2\n"
    "2024-01-07T00:00:00Z,a3\n"
    "2024-01-08T00:00:00Z,a4\n"
)
JANUARY = {"grain": "month", "start": "2024-01", "end": "2024-02"}
METRICS = ["largest", "smallest", "after_b", "orders_total", "largest_by_name"]


@pytest.fixture(scope="module")
def locale_database(postgres_server):
    """A database of the run's server whose default collation is ICU's English, as a
    company's database in a locale would order text; skipped where the server has no ICU."""
    import adbc_driver_postgresql.dbapi as dbapi

    with dbapi.connect(postgres_server.uri, autocommit=True) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*) FROM pg_collation WHERE collprovider = 'i'")
        if not cursor.fetchone()[0]:
            pytest.skip("this PostgreSQL has no ICU collations")
        cursor.execute("DROP DATABASE IF EXISTS english")
        cursor.execute(
            "CREATE DATABASE english TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' "
            "LOCALE_PROVIDER icu ICU_LOCALE 'en'"
        )
        cursor.close()
    return "english"


@pytest.fixture
def project(tmp_path, locale_database, monkeypatch):
    monkeypatch.setenv("PGDATABASE", locale_database)  # the postgres engine's connection
    (tmp_path / "p.metrics").write_text(PROJECT)
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "orders.csv").write_text(ORDERS)
    return metricsmith.load_project(tmp_path / "p.metrics")


@pytest.mark.parametrize("engine", ["arrow", "postgres"])
def test_text_is_ordered_by_its_bytes(project, engine):
    # Capitals come before small letters: "Zebra" < "apple" < "cherry"; only "cherry" is
    # after "b" ("Banana" and "Zebra" are before it). a3 has the largest name.
    table = project.query(METRICS, **JANUARY, engine=engine)
    assert rows(table) == [(dt.date(2024, 1, 1), "cherry", "Banana", 1, 4, "a3")]


@pytest.mark.parametrize("engine", ["arrow", "postgres"])
def test_the_answer_is_sorted_by_bytes(project, engine):
    table = project.query(METRICS, by=["accounts.segment"], **JANUARY, engine=engine)
    january = dt.date(2024, 1, 1)
    assert rows(table) == [
        (january, "Ent", "Banana", "Banana", 0, 1, "a2"),
        (january, "SMB", "Zebra", "Zebra", 0, 1, "a4"),
        (january, "ent", "cherry", "cherry", 1, 1, "a3"),
        (january, "smb", "apple", "apple", 0, 1, "a1"),
    ]


def test_the_database_orders_text_by_its_locale(project, postgres_server, locale_database):
    """The premise: without the collation, this database sorts as a dictionary would."""
    import adbc_driver_postgresql.dbapi as dbapi

    uri = postgres_server.uri.rsplit("/", 1)[0] + "/" + locale_database
    with dbapi.connect(uri) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT max(v), 'Banana' > 'b' FROM (VALUES ('Zebra'), ('cherry')) AS t (v)")
        assert cursor.fetchone() == ("Zebra", True)
    assert os.environ["PGDATABASE"] == locale_database
