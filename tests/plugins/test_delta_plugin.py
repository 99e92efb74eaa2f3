"""The first-party metricsmith-delta plugin: Delta Lake tables written by deltalake in a
temporary folder, read through the plugin's entry point on every engine.

Needs `pip install -e plugins/metricsmith-delta`; the tests skip when it is not installed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from metricsmith.errors import DataError, ProjectError
from plugin_testing import ORDERS, load, require_plugin, rows, unreadable_source_problem

require_plugin("metricsmith-delta")

# After the skip: deltalake comes with the plugin.
from deltalake import write_deltalake  # noqa: E402
from deltalake.fs import DeltaStorageHandler  # noqa: E402

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark")

# As Spark jobs partition event tables: by the month of the event's time.
ORDERS = ORDERS.append_column(
    "placed_month", pa.array(["2024-01", "2024-01", "2024-02", "2024-02", "2024-03", None])
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_deltalake(tmp_path / "lake" / "orders", ORDERS, partition_by=["placed_month"])
    return tmp_path


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The data files the readers open, as deltalake's file system hands them to pyarrow."""
    paths: list[str] = []
    open_input_file = DeltaStorageHandler.open_input_file

    def counting(handler, path):
        paths.append(path)
        return open_input_file(handler, path)

    monkeypatch.setattr(DeltaStorageHandler, "open_input_file", counting)
    return paths


def test_a_partitioned_table_answers_on_every_engine(folder: Path, engine: str) -> None:
    project = load(folder, 'source orders from delta("lake/orders") { time placed_at }')
    answer = project.query(
        ["revenue", "orders_placed", "eu_revenue"],
        grain="month",
        start="2024-01",
        end="2024-03",
        engine=engine,
    )
    assert rows(answer) == [
        (dt.date(2024, 1, 1), 150.0, 2, 100.0),
        (dt.date(2024, 2, 1), 50.0, 2, 20.0),
    ]


def test_a_query_for_one_month_reads_only_that_months_files(
    folder: Path, engine: str, opened: list[str]
) -> None:
    project = load(folder, 'source orders from delta("lake/orders") { time placed_at }')
    answer = project.query(
        ["revenue"], grain="month", start="2024-02", end="2024-03", engine=engine
    )
    assert rows(answer) == [(dt.date(2024, 2, 1), 50.0)]
    # Four files, one per partition; February's and the one of rows without a time (whose
    # statistics cannot rule it out) are read, January's and March's are skipped.
    assert sorted(path.split("/")[0] for path in opened) == [
        "placed_month=2024-02",
        "placed_month=__HIVE_DEFAULT_PARTITION__",
    ]


def test_partitioned_by_the_time_column_itself(tmp_path: Path, opened: list[str]) -> None:
    visits = pa.table(
        {
            "day": pa.array([dt.date(2024, 1, d) for d in (1, 2, 2, 15, 31)], pa.date32()),
            "visitor": ["ann", "bob", "ann", "cy", "bob"],
        }
    )
    write_deltalake(tmp_path / "visits", visits, partition_by=["day"])
    project = load(
        tmp_path,
        'source visits from delta("visits") { time day }',
        "metric visits = count(visits)",
    )
    answer = project.query(["visits"], grain="day", start="2024-01-15", end="2024-01-16")
    assert rows(answer) == [(dt.date(2024, 1, 15), 1)]
    # Four days' partitions; a date is wall-clock time in the calendar's zone, so the range
    # is widened by a day each way (14 to 16 January), which holds the 15th's alone.
    assert sorted({path.split("/")[0] for path in opened}) == ["day=2024-01-15"]


def test_an_earlier_version(folder: Path) -> None:
    write_deltalake(folder / "lake" / "orders", ORDERS.slice(0, 1), mode="overwrite")
    now = load(folder, 'source orders from delta("lake/orders") { time placed_at }')
    then = load(folder, 'source orders from delta("lake/orders", version=0) { time placed_at }')
    assert now.query(["orders_placed"]).column("orders_placed").to_pylist() == [1]
    assert then.query(["orders_placed"]).column("orders_placed").to_pylist() == [6]


def test_projection_and_counting_rows(folder: Path) -> None:
    project = load(folder, 'source orders from delta("lake/orders") { time placed_at }')
    reader = project.checked.sources["orders"].reader
    assert reader.read(["amount", "id"]).column_names == ["amount", "id"]
    assert reader.read([]).num_rows == 6


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('delta("lake/missing")', "table folder not found: `lake/missing`"),
        ('delta("lake")', "the folder holds no Delta table"),
        ('delta("lake/orders", version=7)', "deltalake could not open the table"),
        ('delta("lake/orders", versoin=1)', "has no option `versoin`; it accepts version"),
        ('delta("lake/orders", version="1")', "option `version` must be a whole number"),
    ],
)
def test_a_table_that_cannot_be_opened_is_one_line_naming_the_source(
    folder: Path, call: str, message: str
) -> None:
    unreadable_source_problem(folder, call, message)


def test_a_declared_column_of_another_type(folder: Path, engine: str) -> None:
    project = load(
        folder,
        'source orders from delta("lake/orders") {\n  time placed_at\n  column region: integer\n}',
        "metric regions = sum(orders.region)",
    )
    with pytest.raises(DataError) as raised:
        project.query(["regions"], grain="month", start="2024-01", end="2024-02", engine=engine)
    assert (raised.value.source, raised.value.column) == ("orders", "region")
    assert "cannot read 'eu' as integer" in str(raised.value)


def test_a_confined_project_names_only_tables_inside_it(folder: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "orders"
    write_deltalake(outside, ORDERS)
    (folder / "defs.metrics").write_text(f'source orders from delta("{outside}") {{ }}\n')
    with pytest.raises(ProjectError) as raised:
        metricsmith.load_project(folder / "defs.metrics", confine=True)
    assert [p.code for p in raised.value.diagnostics] == ["path-outside-project"]
    (folder / "defs.metrics").write_text('source orders from delta("lake/orders") { }\n')
    assert "orders" in metricsmith.load_project(folder / "defs.metrics", confine=True).sources
