"""The first-party metricsmith-sqlite plugin, found through its entry point like any other.

Needs `pip install -e plugins/metricsmith-sqlite`; the tests skip when it is not installed.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest
from metricsmith.errors import DataError
from metricsmith.plugins.connector import Connector, SourceReader
from metricsmith.registry import SELECTION_VARIABLE, Registry, build_registry
from plugin_testing import require_plugin

require_plugin("metricsmith-sqlite")

ORDERS = """
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer VARCHAR(40),
    amount REAL,
    placed_at TIMESTAMP,
    paid_at DATETIME,
    ship_day DATE,
    gift BOOLEAN,
    price NUMERIC,
    note
);
INSERT INTO orders VALUES
    (1, 'acme', 10.5, '2024-03-01 10:00:00', '2024-03-01T10:05:00Z', '2024-03-02', 1, 3, 'x'),
    (2, 'globex', 7, '2024-03-02T11:30:00', '2024-03-02T13:30:00+02:00', NULL, 0, 2.5, 4),
    (3, NULL, NULL, NULL, NULL, '2024-03-05', NULL, NULL, NULL);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 10;
"""


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Registry:
    monkeypatch.delenv(SELECTION_VARIABLE, raising=False)
    return build_registry()


@pytest.fixture
def sqlite(registry: Registry) -> Connector:
    assert "sqlite" in registry.connectors, registry.problems
    return registry.connectors["sqlite"]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(ORDERS)
    connection.close()
    return path


def open_source(sqlite: Connector, base: Path, *args: object, **options: object) -> SourceReader:
    return sqlite.open(list(args), options, base_dir=str(base), source_name="orders")


def test_discovered_through_the_entry_point(registry: Registry) -> None:
    [info] = [p for p in registry.plugins if p.name == "sqlite"]
    version = importlib.metadata.version("metricsmith-sqlite")
    assert info.location.startswith(f"metricsmith-sqlite {version} (")
    assert info.module_file.endswith(os.path.join("metricsmith_sqlite", "__init__.py"))
    assert info.hooks == ("metricsmith_connectors",)
    assert registry.problems == []


def test_declared_types_map_to_arrow_types(sqlite: Connector, shop: Path) -> None:
    reader = open_source(sqlite, shop.parent, "shop.db", table="orders")
    assert isinstance(reader, SourceReader)
    expected = pa.schema(
        [
            ("id", pa.int64()),
            ("customer", pa.string()),
            ("amount", pa.float64()),
            ("placed_at", pa.timestamp("us")),
            ("paid_at", pa.timestamp("us", tz="UTC")),
            ("ship_day", pa.date32()),
            ("gift", pa.bool_()),
            ("price", pa.float64()),
            ("note", pa.string()),
        ]
    )
    assert reader.schema() == expected
    table = reader.read()
    assert table.schema == expected
    row = table.to_pylist()[1]
    assert row["placed_at"] == dt.datetime(2024, 3, 2, 11, 30)
    assert row["paid_at"] == dt.datetime(2024, 3, 2, 11, 30, tzinfo=dt.UTC)
    assert row["gift"] is False
    assert row["note"] == "4"  # text and numbers mixed in an untyped column: text
    assert table.column("amount").to_pylist() == [10.5, 7.0, None]


def test_projection_and_counting_rows(sqlite: Connector, shop: Path) -> None:
    reader = open_source(sqlite, shop.parent, "shop.db", table="big_orders")
    assert reader.read(["customer", "id"]).to_pydict() == {"customer": ["acme"], "id": [1]}
    assert reader.read([]).num_rows == 1


def test_query_keeps_declared_types_of_plain_columns(sqlite: Connector, shop: Path) -> None:
    reader = open_source(
        sqlite,
        shop.parent,
        "shop.db",
        query="select id, placed_at, amount * 2 as doubled from orders where id < 3;",
    )
    table = reader.read()
    assert table.schema == pa.schema(
        [("id", pa.int64()), ("placed_at", pa.timestamp("us")), ("doubled", pa.float64())]
    )
    assert table.column("doubled").to_pylist() == [21.0, 14.0]


def test_unknown_table_suggests_the_near_one(sqlite: Connector, shop: Path) -> None:
    with pytest.raises(DataError) as caught:
        open_source(sqlite, shop.parent, "shop.db", table="order")
    assert "the database has no table `order`" in str(caught.value)
    assert caught.value.hint == "did you mean `orders`? available: big_orders, orders"


def test_unknown_column_lists_the_columns(sqlite: Connector, shop: Path) -> None:
    reader = open_source(sqlite, shop.parent, "shop.db", table="orders")
    with pytest.raises(DataError) as caught:
        reader.read(["amout"])
    assert caught.value.column == "amout"
    assert caught.value.hint.startswith("did you mean `amount`? available: id, customer")


def test_value_that_does_not_fit_its_declared_type(sqlite: Connector, shop: Path) -> None:
    with sqlite3.connect(shop) as connection:
        connection.execute("INSERT INTO orders (id, placed_at) VALUES (4, 'last tuesday')")
    connection.close()
    reader = open_source(sqlite, shop.parent, "shop.db", table="orders")
    with pytest.raises(DataError) as caught:
        reader.read(["placed_at"])
    error = caught.value
    assert (error.source, error.column, error.row) == ("orders", "placed_at", 4)
    assert "'last tuesday' is not an ISO timestamp" in str(error)
    assert "declared `TIMESTAMP`" in error.hint


def test_timestamps_with_and_without_zones_do_not_mix(sqlite: Connector, shop: Path) -> None:
    with sqlite3.connect(shop) as connection:
        connection.execute("INSERT INTO orders (id, paid_at) VALUES (4, '2024-03-09 08:00:00')")
    connection.close()
    reader = open_source(sqlite, shop.parent, "shop.db", table="orders")
    with pytest.raises(DataError, match="mixes timestamps with and without a time zone") as caught:
        reader.read(["paid_at"])
    assert caught.value.row == 4


def test_reading_leaves_the_database_untouched(sqlite: Connector, shop: Path) -> None:
    before = (shop.read_bytes(), os.stat(shop).st_mtime_ns)
    reader = open_source(sqlite, shop.parent, "shop.db", query="select * from orders")
    reader.schema()
    reader.read(["id"])
    assert (shop.read_bytes(), os.stat(shop).st_mtime_ns) == before
    assert os.listdir(shop.parent) == ["shop.db"]


def test_a_query_cannot_write(sqlite: Connector, shop: Path) -> None:
    reader = open_source(sqlite, shop.parent, "shop.db", query="delete from orders")
    with pytest.raises(DataError, match="SQLite could not read it"):
        reader.read()
    assert open_source(sqlite, shop.parent, "shop.db", table="orders").read().num_rows == 3


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (["shop.db"], {}, 'needs exactly one of table="..." or query="..."'),
        (["shop.db"], {"table": "orders", "query": "select 1"}, "needs exactly one of"),
        (["shop.db"], {"tabel": "orders"}, "has no option `tabel`"),
        ([], {"table": "orders"}, "takes one path argument, got 0"),
        (["missing.db"], {"table": "orders"}, "database file not found: `missing.db`"),
    ],
)
def test_bad_arguments(
    sqlite: Connector, shop: Path, args: list[object], options: dict[str, object], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        open_source(sqlite, shop.parent, *args, **options)


def test_metricsmith_plugins_selects_it_by_distribution_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SELECTION_VARIABLE, "")
    assert "sqlite" not in build_registry().connectors
    monkeypatch.setenv(SELECTION_VARIABLE, "metricsmith_sqlite")
    assert "sqlite" in build_registry().connectors
