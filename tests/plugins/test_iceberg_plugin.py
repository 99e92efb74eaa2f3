"""The first-party metricsmith-iceberg plugin: Iceberg tables written by pyiceberg into a SQL
catalog on a SQLite file in a temporary folder, read through the plugin's entry point on every
engine.

Needs `pip install -e plugins/metricsmith-iceberg`; the tests skip when it is not installed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import pytest
from metricsmith.errors import ProjectError
from plugin_testing import ORDERS, load, require_plugin, rows, unreadable_source_problem

require_plugin("metricsmith-iceberg")

# After the skip: pyiceberg comes with the plugin.
from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402
from pyiceberg.table import DataScan  # noqa: E402
from pyiceberg.transforms import MonthTransform  # noqa: E402

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark")

SOURCE = 'source orders from iceberg("shop.orders", catalog="lake") { time placed_at }'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A catalog `lake` configured as users configure pyiceberg's, with `shop.orders`
    partitioned by the month of `placed_at`."""
    uri = f"sqlite:///{tmp_path / 'catalog.db'}"
    warehouse = (tmp_path / "warehouse").as_uri()
    monkeypatch.setenv("PYICEBERG_HOME", str(tmp_path))
    monkeypatch.setenv("PYICEBERG_CATALOG__LAKE__URI", uri)
    monkeypatch.setenv("PYICEBERG_CATALOG__LAKE__WAREHOUSE", warehouse)
    catalog = SqlCatalog("lake", uri=uri, warehouse=warehouse)
    catalog.create_namespace("shop")
    table = catalog.create_table("shop.orders", schema=ORDERS.schema)
    with table.update_spec() as spec:
        spec.add_field("placed_at", MonthTransform(), "placed_month")
    table.append(ORDERS)
    return tmp_path


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many data files each scan planned to read."""
    counts: list[int] = []
    plan_files = DataScan.plan_files

    def counting(scan):
        tasks = list(plan_files(scan))
        counts.append(len(tasks))
        return tasks

    monkeypatch.setattr(DataScan, "plan_files", counting)
    return counts


def test_a_catalog_table_answers_on_every_engine(folder: Path, engine: str) -> None:
    answer = load(folder, SOURCE).query(
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


def test_a_query_for_one_month_plans_only_that_months_files(
    folder: Path, engine: str, planned: list[int]
) -> None:
    project = load(folder, SOURCE)
    answer = project.query(
        ["revenue"], grain="month", start="2024-02", end="2024-03", engine=engine
    )
    assert rows(answer) == [(dt.date(2024, 2, 1), 50.0)]
    everything = project.checked.sources["orders"].reader.read(["id"])
    assert everything.num_rows == 6
    # Four files, one per month partition and one for the row without a time: the query's
    # scans (the range, and the rows without a time) plan February's and the one without a
    # time; January's and March's are not read. Reading everything plans all four.
    assert planned == [1, 1, 4]


def test_a_table_folder_without_a_catalog(folder: Path, engine: str) -> None:
    project = load(
        folder, SOURCE.replace('"shop.orders", catalog="lake"', '"warehouse/shop/orders"')
    )
    answer = project.query(
        ["revenue"], grain="month", start="2024-01", end="2024-04", engine=engine
    )
    assert rows(answer) == [
        (dt.date(2024, 1, 1), 150.0),
        (dt.date(2024, 2, 1), 50.0),
        (dt.date(2024, 3, 1), 40.0),
    ]


def test_projection_and_counting_rows(folder: Path) -> None:
    reader = load(folder, SOURCE).checked.sources["orders"].reader
    assert reader.read(["amount", "id"]).column_names == ["amount", "id"]
    assert reader.read([]).num_rows == 6


def test_reading_leaves_the_catalog_untouched(folder: Path) -> None:
    before = (folder / "catalog.db").read_bytes()
    load(folder, SOURCE).query(["revenue"])
    assert (folder / "catalog.db").read_bytes() == before


@pytest.mark.parametrize(
    ("call", "message", "hint"),
    [
        (
            'iceberg("shop.order", catalog="lake")',
            "the catalog has no table `shop.order`",
            "did you mean `shop.orders`?",
        ),
        (
            'iceberg("shop.orders", catalog="nowhere")',
            "catalog `nowhere` could not be loaded",
            "PYICEBERG_CATALOG__NOWHERE__URI",
        ),
        ('iceberg("warehouse/shop/missing")', "table folder not found", "catalog="),
        ('iceberg("warehouse")', "the folder holds no Iceberg table", "catalog="),
        ('iceberg("shop.orders", catalgo="lake")', "has no option `catalgo`", 'catalog="name"'),
    ],
)
def test_a_table_that_cannot_be_opened_is_one_line_naming_the_source(
    folder: Path, call: str, message: str, hint: str
) -> None:
    problem = unreadable_source_problem(folder, call, message)
    assert hint in (problem.hint or "")


def test_a_catalog_password_is_never_shown(folder: Path, monkeypatch) -> None:
    monkeypatch.setenv("PYICEBERG_CATALOG__BROKEN__TYPE", "rest")
    monkeypatch.setenv("PYICEBERG_CATALOG__BROKEN__CREDENTIAL", "client:planted-secret-4711")
    with pytest.raises(ProjectError) as raised:
        load(folder, 'source orders from iceberg("shop.orders", catalog="broken") { }', "")
    assert "planted-secret-4711" not in str(raised.value)


def test_a_confined_project_names_only_table_folders_inside_it(
    folder: Path, tmp_path_factory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (folder / "defs.metrics").write_text(f'source orders from iceberg("{outside}") {{ }}\n')
    with pytest.raises(ProjectError) as raised:
        metricsmith.load_project(folder / "defs.metrics", confine=True)
    assert [p.code for p in raised.value.diagnostics] == ["path-outside-project"]
    # A catalog is configured outside the project, as a Spark session is.
    (folder / "defs.metrics").write_text(SOURCE + "\n")
    assert "orders" in metricsmith.load_project(folder / "defs.metrics", confine=True).sources
