"""The postgres engine's session reads the generated SQL as it is written, whatever the
database's own settings: a database with `standard_conforming_strings` off (PostgreSQL's
default before 9.1, kept by old databases) read the backslash of `'\\1'` in a regexp
replacement as an escape, which turned a time's digits into a control character."""

from __future__ import annotations

import datetime as dt

import metricsmith
import pytest
from execute_helpers import rows

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def legacy_database(postgres_server):
    import adbc_driver_postgresql.dbapi as dbapi

    with dbapi.connect(postgres_server.uri, autocommit=True) as connection:
        cursor = connection.cursor()
        cursor.execute("DROP DATABASE IF EXISTS legacy")
        cursor.execute("CREATE DATABASE legacy")
        cursor.execute("ALTER DATABASE legacy SET standard_conforming_strings = off")
        cursor.close()
    return "legacy"


def test_backslashes_are_read_as_written(tmp_path, legacy_database, monkeypatch):
    monkeypatch.setenv("PGDATABASE", legacy_database)
    (tmp_path / "t.csv").write_text("at,v\n2024-01-31T23:59:59.9999999Z,1\n")
    (tmp_path / "p.metrics").write_text(
        'source t from csv("t.csv") { time at\n column at: timestamp\n column v: int }\n'
        "metric s = sum(t.v)\n"
    )
    project = metricsmith.load_project(tmp_path / "p.metrics")
    table = project.query(["s"], grain="month", start="2024-01", end="2024-03", engine="postgres")
    assert rows(table) == [(dt.date(2024, 1, 1), 1), (dt.date(2024, 2, 1), 0)]
