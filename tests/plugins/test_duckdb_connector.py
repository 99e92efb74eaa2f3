"""The built-in `duckdb("file.duckdb", "schema.table")` connector: a table or view of a DuckDB
database file, attached read-only by the DuckDB engine and read as Arrow by the others."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import metricsmith
import pytest
from metricsmith.builtin.duckdb_file import DuckDBFileReader
from metricsmith.errors import DataError, ProjectError
from metricsmith.execute.sql.duckdb_engine import execute_plan_duckdb
from metricsmith.plan import plan_query
from metricsmith.plugins.connector import TimeRange

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark")

WAREHOUSE = """
CREATE SCHEMA crm;
CREATE TABLE crm.orders (id INTEGER, placed_at TIMESTAMPTZ, amount DOUBLE, region VARCHAR);
INSERT INTO crm.orders VALUES
    (1, '2024-01-10 09:00:00+00', 100.0, 'eu'),
    (2, '2024-01-31 23:30:00+00', 50.0, 'us'),
    (3, '2024-02-01 00:30:00+00', 20.0, 'eu'),
    (4, '2024-02-14 12:00:00+00', 30.0, 'us'),
    (5, '2024-03-02 08:00:00+00', 40.0, 'eu'),
    (6, NULL, 5.0, 'eu');
CREATE VIEW crm.eu_orders AS SELECT * FROM crm.orders WHERE region = 'eu';
CREATE TABLE visits (day DATE, visitor VARCHAR, code VARCHAR);
INSERT INTO visits VALUES
    ('2024-01-01', 'ann', '7'), ('2024-01-02', 'bob', '8'), ('2024-02-03', 'ann', 'x');
"""
METRICS = """
metric revenue = sum(orders.amount)
metric orders_placed = count(orders)
metric eu_revenue = sum(orders.amount where region == "eu")
"""
JAN_FEB = {"grain": "month", "start": "2024-01", "end": "2024-03"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute(WAREHOUSE)
    connection.close()
    return tmp_path


def load(folder: Path, source: str, metrics: str = METRICS, **options) -> metricsmith.Project:
    (folder / "defs.metrics").write_text(source + "\n" + metrics)
    return metricsmith.load_project(folder / "defs.metrics", **options)


def by_month(project: metricsmith.Project, names: list[str], engine: str) -> list[tuple]:
    table = project.query(names, engine=engine, **JAN_FEB)
    return [tuple(row.values()) for row in table.to_pylist()]


def test_a_table_answers_on_every_engine(folder: Path, engine: str) -> None:
    project = load(
        folder, 'source orders from duckdb("warehouse.duckdb", "crm.orders") { time placed_at }'
    )
    assert by_month(project, ["revenue", "orders_placed", "eu_revenue"], engine) == [
        (dt.date(2024, 1, 1), 150.0, 2, 100.0),
        (dt.date(2024, 2, 1), 50.0, 2, 20.0),
    ]


def test_a_view_named_by_option_in_a_calendar_zone(folder: Path, engine: str) -> None:
    # In New York, order 3 (00:30 UTC on 1 February) was placed on 31 January.
    project = load(
        folder,
        'calendar { timezone "America/New_York" week_start monday }\n'
        'source orders from duckdb("warehouse.duckdb", table="crm.eu_orders") { time placed_at }',
    )
    assert by_month(project, ["revenue", "orders_placed"], engine) == [
        (dt.date(2024, 1, 1), 120.0, 2),
        (dt.date(2024, 2, 1), 0.0, 0),
    ]


def test_duckdb_types_answer_alike_on_every_engine(tmp_path: Path, engine: str) -> None:
    connection = duckdb.connect(str(tmp_path / "types.duckdb"))
    connection.execute(
        """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE t (id UUID, seen TIMESTAMP, price DECIMAL(10, 2), big HUGEINT, m mood,
                        ok BOOLEAN, small TINYINT);
        INSERT INTO t VALUES
            (uuid(), '2024-01-05 10:00', 1.25, 10, 'ok', true, 3),
            (uuid(), '2024-01-31 23:30', 2.50, 20, 'happy', false, 4);
        """
    )
    connection.close()
    project = load(
        tmp_path,
        # 23:30 on 31 January in Berlin is still January: a naive TIMESTAMP is wall-clock time.
        'calendar { timezone "Europe/Berlin" week_start monday }\n'
        'source t from duckdb("types.duckdb", "t") { time seen }',
        """
        metric price = sum(t.price)
        metric big = sum(t.big)
        metric happy = count(t where m == "happy")
        metric oks = count(t where ok)
        metric ids = count_distinct(t.id)
        metric small = sum(t.small)
        """,
    )
    table = project.query(
        ["price", "big", "happy", "oks", "ids", "small"],
        grain="month",
        start="2024-01",
        end="2024-02",
        engine=engine,
    )
    assert [tuple(row.values())[1:] for row in table.to_pylist()] == [
        (Decimal("3.75"), Decimal(30), 1, 1, 2, 7)
    ]


def test_the_duckdb_engine_reads_the_file_in_place(folder: Path, monkeypatch) -> None:
    project = load(
        folder, 'source orders from duckdb("warehouse.duckdb", "crm.orders") { time placed_at }'
    )
    before = hashlib.sha256((folder / "warehouse.duckdb").read_bytes()).hexdigest()

    def no_rows_through_python(*args, **kwargs):
        raise AssertionError("the DuckDB engine read the rows through the connector")

    monkeypatch.setattr(DuckDBFileReader, "read", no_rows_through_python)
    connection = duckdb.connect()
    plan = plan_query(project.checked, project.build_query(["revenue"], where=(), by=(), **JAN_FEB))
    answer = execute_plan_duckdb(plan, project.checked, connection=connection)
    assert answer.column("revenue").to_pylist() == [150.0, 50.0]
    # The caller's connection is left as it was: the file is detached again.
    databases = connection.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    assert [name for (name,) in databases if name.startswith("metricsmith")] == []
    assert hashlib.sha256((folder / "warehouse.duckdb").read_bytes()).hexdigest() == before


def test_arrow_reads_project_columns_and_prune_the_time_range(folder: Path) -> None:
    project = load(
        folder, 'source orders from duckdb("warehouse.duckdb", "crm.orders") { time placed_at }'
    )
    reader = project.checked.sources["orders"].reader
    february = TimeRange(
        "placed_at",
        dt.datetime(2024, 2, 1, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
    )
    table = reader.read(["id", "placed_at"], february)
    assert table.column_names == ["id", "placed_at"]
    # The rows of February (a second's margin each way) and the one without a time.
    assert sorted(table.column("id").to_pylist()) == [3, 4, 6]
    assert reader.read([], february).num_rows == 3
    assert reader.read([]).num_rows == 6


def test_a_date_column_keeps_a_days_margin(folder: Path) -> None:
    project = load(
        folder,
        'source visits from duckdb("warehouse.duckdb", "visits") { time day }',
        "metric visitors = count(visits)",
    )
    reader = project.checked.sources["visits"].reader
    january_2 = TimeRange("day", dt.datetime(2024, 1, 2, tzinfo=dt.UTC), None)
    # A date is wall-clock time in the calendar's zone: 1 January may be the 2nd's UTC day.
    assert reader.read(["visitor"], january_2).num_rows == 3
    february = TimeRange("day", dt.datetime(2024, 2, 1, tzinfo=dt.UTC), None)
    assert reader.read(["visitor"], february).column("visitor").to_pylist() == ["ann"]


@pytest.mark.parametrize(
    ("call", "message", "hint"),
    [
        (
            'duckdb("missing.duckdb", "crm.orders")',
            "database file not found: `missing.duckdb`",
            "definition file's folder",
        ),
        (
            'duckdb("warehouse.duckdb", "crm.order")',
            "the database has no table or view `crm.order`",
            "did you mean `crm.orders`?",
        ),
        (
            'duckdb("warehouse.duckdb", "vistis")',
            "no table or view `vistis`",
            "did you mean `visits`?",
        ),
        (
            'duckdb("warehouse.duckdb")',
            "takes the database file and the table's name",
            'duckdb("warehouse.duckdb", "schema.table")',
        ),
        ('duckdb("warehouse.duckdb", "a.b.c")', "`a.b.c` is not a table name", "schema.table"),
        ('duckdb("warehouse.duckdb", "t", tabel="t")', "has no option `tabel`", "schema.table"),
        (
            'duckdb("defs.metrics", "t")',
            "DuckDB could not open the database file",
            "DuckDB database file",
        ),
    ],
)
def test_a_source_that_cannot_be_opened_is_one_line_naming_it(
    folder: Path, call: str, message: str, hint: str
) -> None:
    with pytest.raises(ProjectError) as raised:
        load(folder, f"source orders from {call} {{ }}", "metric n = count(orders)")
    [problem] = raised.value.diagnostics
    assert problem.code == "source-unreadable"
    assert "source `orders`" in problem.message
    assert message in problem.message
    assert "\n" not in problem.message
    assert hint in (problem.hint or "")


def test_a_file_open_for_writing_says_what_to_close(folder: Path) -> None:
    writer = duckdb.connect(str(folder / "warehouse.duckdb"))
    try:
        with pytest.raises(ProjectError) as raised:
            load(folder, 'source orders from duckdb("warehouse.duckdb", "crm.orders") { }')
    finally:
        writer.close()
    [problem] = raised.value.diagnostics
    assert "DuckDB could not open the database file" in problem.message
    assert "close the connections that have it open for writing" in (problem.hint or "")


def test_a_declared_column_of_another_type_names_source_column_and_row(
    folder: Path, engine: str
) -> None:
    project = load(
        folder,
        'source visits from duckdb("warehouse.duckdb", "visits") {\n'
        "  time day\n  column code: integer\n}",
        "metric codes = sum(visits.code)",
    )
    with pytest.raises(DataError) as raised:
        project.query(["codes"], engine=engine, **JAN_FEB)
    error = raised.value
    assert (error.source, error.column, error.row) == ("visits", "code", 3)
    assert "cannot read 'x' as integer" in str(error)


def test_a_confined_project_names_only_files_inside_it(folder: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "warehouse.duckdb"
    outside.write_bytes((folder / "warehouse.duckdb").read_bytes())
    with pytest.raises(ProjectError) as raised:
        load(folder, f'source orders from duckdb("{outside}", "crm.orders") {{ }}', confine=True)
    assert [p.code for p in raised.value.diagnostics] == ["path-outside-project"]
    source = 'source orders from duckdb("warehouse.duckdb", "crm.orders") { time placed_at }'
    assert "orders" in load(folder, source, confine=True).sources


def test_a_missing_duckdb_package_says_how_to_install_it(folder: Path, monkeypatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "duckdb", None)
    with pytest.raises(ProjectError) as raised:
        load(folder, 'source orders from duckdb("warehouse.duckdb", "crm.orders") { }')
    [problem] = raised.value.diagnostics
    assert "needs the duckdb package" in problem.message
    assert problem.hint == "install DuckDB support: pip install 'metricsmith[duckdb]'"
