"""What the tests of the first-party connector plugins (plugins/ in the repository) share: the
skip when a plugin is not installed, its connector as the registry finds it, and, for the
table-format plugins (delta, iceberg), the orders table and metrics their tests read."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.metadata
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from metricsmith.errors import ProjectError
from metricsmith.plugins.connector import Connector
from metricsmith.registry import SELECTION_VARIABLE, build_registry


def require_plugin(distribution: str, *modules: str) -> None:
    """Skips the calling test module unless the plugin `distribution` (and the `modules` its
    tests use) can be imported."""
    try:
        importlib.metadata.distribution(distribution)
        for module in modules:
            importlib.import_module(module)
    except (importlib.metadata.PackageNotFoundError, ImportError):
        pytest.skip(
            f"{distribution} is not installed (pip install -e plugins/{distribution})",
            allow_module_level=True,
        )


def registered_connector(monkeypatch: pytest.MonkeyPatch, name: str) -> Connector:
    """The connector `name` as the registry finds it (every installed plugin selected)."""
    monkeypatch.delenv(SELECTION_VARIABLE, raising=False)
    registry = build_registry()
    assert name in registry.connectors, registry.problems
    return registry.connectors[name]


def assert_discovered(name: str, distribution: str) -> None:
    """The plugin `name` was found through the entry point of the installed `distribution`."""
    registry = build_registry()
    [info] = [p for p in registry.plugins if p.name == name]
    version = importlib.metadata.version(distribution)
    assert info.location.startswith(f"{distribution} {version} (")
    assert registry.problems == []


# ---- the table-format plugins' orders -----------------------------------------------------


def utc(*fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=dt.UTC)


PLACED = [utc(2024, 1, 10, 9), utc(2024, 1, 31, 23, 30), utc(2024, 2, 1, 0, 30)]
PLACED += [utc(2024, 2, 14, 12), utc(2024, 3, 2, 8), None]
ORDERS = pa.table(
    {
        "id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),
        "placed_at": pa.array(PLACED, pa.timestamp("us", tz="UTC")),
        "amount": [100.0, 50.0, 20.0, 30.0, 40.0, 5.0],
        "region": ["eu", "us", "eu", "us", "eu", "eu"],
    }
)
METRICS = """
metric revenue = sum(orders.amount)
metric orders_placed = count(orders)
metric eu_revenue = sum(orders.amount where region == "eu")
"""


def load(folder: Path, source: str, metrics: str = METRICS) -> metricsmith.Project:
    (folder / "defs.metrics").write_text(source + "\n" + metrics)
    return metricsmith.load_project(folder / "defs.metrics")


def rows(table: pa.Table) -> list[tuple]:
    return [tuple(row.values()) for row in table.to_pylist()]


def unreadable_source_problem(folder: Path, call: str, message: str):
    """The one problem of a project whose source `orders` is `call`, a table that cannot be
    opened: one line naming the source and saying `message`."""
    with pytest.raises(ProjectError) as raised:
        load(folder, f"source orders from {call} {{ }}", "metric n = count(orders)")
    [problem] = raised.value.diagnostics
    assert problem.code == "source-unreadable"
    assert "source `orders`" in problem.message
    assert message in problem.message
    assert "\n" not in problem.message
    return problem
