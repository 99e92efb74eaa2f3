"""Loading plugins: built-ins, entry points, METRICSMITH_PLUGINS, and plugins that misbehave."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from pathlib import Path

import pytest
from metricsmith import registry as manager
from metricsmith.builtin import connectors
from metricsmith.model.types import Type
from metricsmith.plugins.formats import OutputFormat
from metricsmith.plugins.functions import AggregateFunction, ScalarFunction
from metricsmith.plugins.hookspecs import hookimpl

FAKE_PLUGIN = """
from metricsmith.builtin.connectors import CSV
from metricsmith.plugins.hookspecs import hookimpl


@hookimpl
def metricsmith_connectors():
    return [CSV.__class__("tsv", "Tab-separated files", CSV.file_format)]
"""


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Installs a fake entry point `fake` (a working plugin module); returns a function
    installing others instead: `other` (a module without hooks) or `broken` (one whose import
    fails)."""
    (tmp_path / "fake_metricsmith_plugin.py").write_text(FAKE_PLUGIN)
    (tmp_path / "broken_metricsmith_plugin.py").write_text("import a_module_that_is_missing\n")
    (tmp_path / "other_metricsmith_plugin.py").write_text('"""A plugin without hooks."""\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv(manager.SELECTION_VARIABLE, raising=False)

    def install(*names: str) -> None:
        points = [
            importlib.metadata.EntryPoint(name, f"{name}_metricsmith_plugin", "metricsmith")
            for name in names
        ]
        monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: points)

    install("fake")
    return install


def scalar(name: str) -> ScalarFunction:
    return ScalarFunction(name, 1, 1, lambda types: types[0], lambda x: x, "doc", f"{name}(x)")


def aggregate(name: str) -> AggregateFunction:
    return AggregateFunction(name, lambda t: Type.FLOAT, "doc", f"{name}(x)", hash_name="mean")


class Plugin:
    """A plugin object registered directly, returning whatever it is given."""

    def __init__(self, **results: Sequence[object]):
        self.results = results

    @hookimpl
    def metricsmith_connectors(self) -> Sequence[object]:
        return self.results.get("connectors", [])

    @hookimpl
    def metricsmith_scalar_functions(self) -> Sequence[object]:
        return self.results.get("scalars", [])

    @hookimpl
    def metricsmith_aggregate_functions(self) -> Sequence[object]:
        return self.results.get("aggregates", [])

    @hookimpl
    def metricsmith_metric_libraries(self) -> Sequence[object]:
        return self.results.get("libraries", [])

    @hookimpl
    def metricsmith_output_formats(self) -> Sequence[object]:
        return self.results.get("formats", [])


class RaisingPlugin:
    @hookimpl
    def metricsmith_connectors(self) -> list[object]:
        raise RuntimeError("the vendor SDK is not configured")

    @hookimpl
    def metricsmith_output_formats(self) -> list[OutputFormat]:
        return [OutputFormat("xml", "XML", "xml", lambda table, path: None, lambda table: b"")]


def test_builtin_plugins_register_through_the_hooks(entry_points) -> None:
    registry = manager.build_registry()
    assert {"csv", "parquet", "jsonl", "arrow"} <= set(registry.connectors)
    assert registry.connectors["csv"] is connectors.CSV
    assert {"csv", "json", "parquet"} <= set(registry.formats)
    builtin = {p.name: p for p in registry.plugins if p.location == "builtin"}
    assert {"builtin.connectors", "builtin.formats", "builtin.functions"} <= set(builtin)
    assert builtin["builtin.connectors"].hooks == ("metricsmith_connectors",)
    assert builtin["builtin.connectors"].module_file == connectors.__file__
    assert registry.problems == []


def test_entry_point_plugins_are_loaded_with_their_origin(entry_points) -> None:
    registry = manager.build_registry()
    assert registry.connectors["tsv"].description == "Tab-separated files"
    fake = registry.plugins[-1]
    assert fake.name == "fake"
    assert fake.hooks == ("metricsmith_connectors",)
    assert fake.module_file.endswith("fake_metricsmith_plugin.py")
    assert fake.location == f"unknown distribution ({fake.module_file})"


@pytest.mark.parametrize(
    ("selection", "loaded"), [("", set()), ("fake", {"fake"}), (" FAKE , Other", {"fake", "other"})]
)
def test_metricsmith_plugins_limits_the_entry_points(
    entry_points, monkeypatch: pytest.MonkeyPatch, selection: str, loaded: set[str]
) -> None:
    entry_points("fake", "other")
    monkeypatch.setenv(manager.SELECTION_VARIABLE, selection)
    registry = manager.build_registry()
    names = {p.name for p in registry.plugins if p.location != "builtin"}
    assert names == loaded
    assert "csv" in registry.connectors  # built-ins always load
    assert registry.problems == []


def test_selecting_a_plugin_that_is_not_installed_is_reported(
    entry_points, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(manager.SELECTION_VARIABLE, "fake,metricsmith-snowflake")
    registry = manager.build_registry()
    assert "tsv" in registry.connectors
    [problem] = registry.problems
    assert "METRICSMITH_PLUGINS names `metricsmith-snowflake`" in problem
    assert "installed: fake" in problem


def test_plugin_that_fails_to_import_is_reported_not_fatal(entry_points) -> None:
    entry_points("broken", "fake")
    registry = manager.build_registry()
    assert "tsv" in registry.connectors
    [problem] = registry.problems
    assert problem.startswith("plugin `broken` (unknown distribution) failed to import")
    assert "ModuleNotFoundError" in problem


def test_hook_that_raises_is_reported_and_the_plugins_other_hooks_still_count(
    entry_points,
) -> None:
    registry = manager.build_registry([RaisingPlugin()])
    assert registry.problems == [
        "plugin `RaisingPlugin` (hook metricsmith_connectors) raised RuntimeError: "
        "the vendor SDK is not configured"
    ]
    assert "xml" in registry.formats
    assert {"csv", "tsv"} <= set(registry.connectors)
    assert registry.plugins[-1].location.startswith("registered directly (")


def test_duplicate_names_keep_the_first_and_name_both_plugins(entry_points) -> None:
    impostor = connectors.FileConnector("csv", "Another CSV reader", connectors.CSV.file_format)
    registry = manager.build_registry([Plugin(connectors=[impostor])])
    assert registry.connectors["csv"] is connectors.CSV
    [problem] = registry.problems
    assert "plugin `Plugin` (hook metricsmith_connectors): connector `csv` is ignored" in problem
    assert "plugin `builtin.connectors` already registered a connector" in problem


def test_scalar_and_aggregate_functions_share_one_namespace(entry_points) -> None:
    plugin = Plugin(scalars=[scalar("smooth")], aggregates=[aggregate("smooth"), aggregate("p99")])
    registry = manager.build_registry([plugin])
    assert "smooth" in registry.scalar_functions
    assert "smooth" not in registry.aggregate_functions
    assert "p99" in registry.aggregate_functions
    [problem] = registry.problems
    assert "aggregate function `smooth` is ignored" in problem
    assert "already registered a scalar function" in problem


def test_results_of_the_wrong_kind_are_reported(entry_points) -> None:
    class OtherPlugin(Plugin):
        pass

    registry = manager.build_registry(
        [Plugin(connectors=["csv"], formats=None), OtherPlugin(scalars=scalar("x"))]
    )
    assert len(registry.problems) == 2
    assert "returned 'csv', which is not a Connector" in registry.problems[0]
    assert (
        "(hook metricsmith_scalar_functions) returned ScalarFunction, not a list"
        in (registry.problems[1])
    )


def test_two_plugins_with_one_name_are_reported(entry_points) -> None:
    registry = manager.build_registry([Plugin(), Plugin()])
    [problem] = registry.problems
    assert problem.startswith("plugin `Plugin` (registered directly) was not registered")


def test_metric_libraries_must_be_absolute_folders(entry_points, tmp_path: Path) -> None:
    library = tmp_path / "cs_metrics"
    library.mkdir()
    registry = manager.build_registry(
        [Plugin(libraries=[str(library), library, "relative/metrics", str(tmp_path / "none")])]
    )
    assert registry.libraries == [str(library)]
    assert len(registry.problems) == 2
    assert (
        "`relative/metrics` is not an existing folder given by an absolute path"
        in (registry.problems[0])
    )


def test_unknown_hook_names_are_reported(entry_points) -> None:
    class Typo:
        @hookimpl
        def metricsmith_conectors(self) -> list[object]:
            return []

    registry = manager.build_registry([Typo()])
    [problem] = registry.problems
    assert "implements `metricsmith_conectors`, which is not a metricsmith hook" in problem


def test_get_registry_is_cached_until_refreshed(entry_points, monkeypatch) -> None:
    first = manager.get_registry(refresh=True)
    assert manager.get_registry() is first
    assert manager.get_registry(refresh=True) is not first
    # The cache now holds the fake entry points: rebuild it from the installed ones.
    monkeypatch.undo()
    manager.get_registry(refresh=True)


def test_get_registry_is_built_again_for_another_selection(entry_points, monkeypatch) -> None:
    everything = manager.get_registry(refresh=True)
    assert "tsv" in everything.connectors
    monkeypatch.setenv(manager.SELECTION_VARIABLE, "")
    assert "tsv" not in manager.get_registry().connectors
    monkeypatch.undo()
    manager.get_registry(refresh=True)
