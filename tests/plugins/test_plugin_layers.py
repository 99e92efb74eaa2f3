"""Plugins as layers: contracts at the bottom, built-ins and the registry above the pipeline,
plugins decided once per project and handed down, engines chosen from the registry's table."""

from __future__ import annotations

import re
import types
from pathlib import Path

import grimp
import metricsmith
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from metricsmith.builtin.connectors import CSV
from metricsmith.errors import PluginError, PluginFailure, ProjectError, QueryError
from metricsmith.model.types import Type
from metricsmith.plugins.functions import ScalarFunction
from metricsmith.plugins.hookspecs import hookimpl
from metricsmith.registry import get_registry

ENGINE = Path(metricsmith.__file__).parent
CONTRACTS = ("connector", "engine", "formats", "functions", "hookspecs", "provenance", "values")
PIPELINE = ("metricsmith.dsl", "metricsmith.check", "metricsmith.plan", "metricsmith.execute")
ABOVE_THE_PIPELINE = ("metricsmith.builtin", "metricsmith.registry", "metricsmith.api")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("metricsmith", exclude_type_checking_imports=True)


def test_the_contracts_depend_only_on_the_model_and_each_other(graph) -> None:
    allowed = ("metricsmith.model", "metricsmith.errors", "metricsmith.plugins.")
    for contract in CONTRACTS:
        module = f"metricsmith.plugins.{contract}"
        imported = graph.find_modules_directly_imported_by(module)
        outside = {m for m in imported if not m.startswith(allowed)}
        outside |= {m for m in imported if m.startswith("metricsmith.builtin")}
        assert not outside, f"{module} imports {sorted(outside)}"


def test_no_pipeline_module_imports_a_builtin_or_the_registry(graph) -> None:
    found = [
        (module, imported)
        for module in graph.modules
        if module.startswith(PIPELINE)
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith(ABOVE_THE_PIPELINE)
    ]
    assert found == []


def test_only_the_entry_points_call_get_registry() -> None:
    calling = sorted(
        str(path.relative_to(ENGINE))
        for path in ENGINE.rglob("*.py")
        if re.search(r"\bget_registry\(", path.read_text()) and path.name != "registry.py"
    )
    assert calling == ["api.py", "cli.py"]


# ---- plugins handed to load_project ---------------------------------------------------------


def _clamp(values, low, high) -> pa.Array:
    return pc.min_element_wise(pc.max_element_wise(values, low), high).cast(pa.float64())


CLAMP = ScalarFunction("clamp", 3, 3, lambda types: Type.FLOAT, _clamp, "clamped", "clamp(x, 0, 1)")


def _plugin(**hooks) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        __name__="notebook", **{name: hookimpl(hook) for name, hook in hooks.items()}
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "p.metrics").write_text(
        'source s from csv("s.csv") {}\nmetric clamped = sum(clamp(s.x, 0, 2))\n'
    )
    (tmp_path / "s.csv").write_text("x\n1\n5\n-3\n")
    return tmp_path


def test_a_notebook_plugin_adds_a_function_to_one_project(folder) -> None:
    plugin = _plugin(metricsmith_scalar_functions=lambda: [CLAMP])
    project = metricsmith.load_project(folder, plugins=[plugin])
    assert project.query(["clamped"]).to_pylist() == [{"clamped": 3.0}]
    assert project.checked.functions.scalars["clamp"].provenance.plugin == "notebook"
    # Another project loaded without it does not know the function: nothing global changed.
    with pytest.raises(ProjectError, match="clamp"):
        metricsmith.load_project(folder)


def test_a_notebook_plugin_that_cannot_be_registered_raises(folder) -> None:
    def raising():
        raise RuntimeError("no API key")

    with pytest.raises(PluginError) as raised:
        metricsmith.load_project(folder, plugins=[_plugin(metricsmith_scalar_functions=raising)])
    assert str(raised.value) == (
        "plugin `notebook` (hook metricsmith_scalar_functions) raised RuntimeError: no API key"
    )
    taken = ScalarFunction("abs", 1, 1, lambda t: t[0], abs, "taken", "abs(x)")
    clashing = _plugin(metricsmith_scalar_functions=lambda: [taken])
    with pytest.raises(PluginError, match=r"plugin `builtin\.functions` already registered"):
        metricsmith.load_project(folder, plugins=[clashing])


# ---- engines from plugins ---------------------------------------------------------------------


class EchoEngine:
    """Answers with a table it is given, recording what it was given; a plugin's engine."""

    name = "echo"
    description = "a given answer, recorded"
    dialect = None
    settings = ("greeting",)

    def __init__(self) -> None:
        self.answer: object = None
        self.calls: list[tuple[object, object, dict]] = []

    def execute(self, plan, project, options):
        self.calls.append((plan, project, dict(options)))
        return self.answer


@pytest.fixture
def echo(folder) -> tuple[EchoEngine, metricsmith.Project]:
    engine = EchoEngine()
    plugin = _plugin(
        metricsmith_engines=lambda: [engine], metricsmith_scalar_functions=lambda: [CLAMP]
    )
    return engine, metricsmith.load_project(folder, plugins=[plugin])


def test_an_engine_from_a_plugin_is_chosen_by_name(folder, echo) -> None:
    engine, project = echo
    # The built-in engines, those of installed distributions (metricsmith-postgres's), and echo.
    without = set(get_registry().engines)
    assert {"arrow", "duckdb", "spark"} <= without
    assert set(project.engines) == without | {"echo"}
    engine.answer = project.query(["clamped"], engine="arrow").to_arrow()
    (folder / "metricsmith.toml").write_text(
        '[engine]\ndefault = "echo"\n[echo]\ngreeting = "hi"\n'
    )
    assert project.query(["clamped"]).to_arrow() is engine.answer
    [(plan, checked, options)] = engine.calls
    assert checked is project.checked and [m.name for m in plan.metrics] == ["clamped"]
    assert options == {"greeting": "hi"}


def test_an_engine_from_a_plugin_returning_no_table_is_its_failure(folder, echo) -> None:
    engine, project = echo
    engine.answer = "not a table"
    with pytest.raises(PluginFailure, match=r"returned str from `execute`, not a pyarrow\.Table"):
        project.query(["clamped"], engine="echo")
    (folder / "metricsmith.toml").write_text("[echo]\nvolume = 11\n")
    with pytest.raises(QueryError, match=r"\[echo\] has no setting `volume`"):
        project.query(["clamped"], engine="echo")


# ---- optional reader methods of a plugin's reader ------------------------------------------------


class TypedReader:
    """A plugin's reader offering `with_column_types` (the CSV reader's, recorded)."""

    def __init__(self, inner, asked):
        self.inner, self.asked, self.location = inner, asked, inner.location

    def schema(self):
        return self.inner.schema()

    def read(self, columns=None, time_range=None):
        return self.inner.read(columns, time_range)

    def with_column_types(self, types):
        self.asked.append(dict(types))
        return TypedReader(self.inner.with_column_types(types), self.asked)


def test_a_plugin_readers_optional_methods_show_through(tmp_path) -> None:
    asked: list[dict] = []

    class Connector:
        name, description, path_arguments = "typed_csv", "CSV, typed by the plugin", (0,)

        def open(self, args, options, *, base_dir, source_name):
            inner = CSV.open(args, options, base_dir=base_dir, source_name=source_name)
            return TypedReader(inner, asked)

    (tmp_path / "p.metrics").write_text(
        'source s from typed_csv("s.csv") { column id: string }\nmetric n = count_distinct(s.id)\n'
    )
    (tmp_path / "s.csv").write_text("id\n00001\n1\n")
    plugin = _plugin(metricsmith_connectors=lambda: [Connector()])
    project = metricsmith.load_project(tmp_path, plugins=[plugin])
    assert asked == [{"id": pa.string()}]
    assert project.query(["n"]).to_pylist() == [{"n": 2}]


class FilesReader(TypedReader):
    """A plugin's reader whose files DuckDB may read itself (the CSV reader's)."""

    def native_files(self, columns):
        return self.inner.native_files(columns)


def test_duckdb_reads_the_files_a_plugin_reader_offers(tmp_path) -> None:
    class Connector:
        name, description, path_arguments = "vendor_csv", "CSV, read by the engine", (0,)

        def open(self, args, options, *, base_dir, source_name):
            inner = CSV.open(args, options, base_dir=base_dir, source_name=source_name)
            return FilesReader(inner, [])

    (tmp_path / "p.metrics").write_text(
        'source s from vendor_csv("s.csv") { time at }\nmetric n = count(s)\n'
    )
    (tmp_path / "s.csv").write_text("at\n2024-01-02T00:00:00Z\n2024-01-03T00:00:00Z\n")
    plugin = _plugin(metricsmith_connectors=lambda: [Connector()])
    project = metricsmith.load_project(tmp_path, plugins=[plugin])
    query = {"grain": "month", "start": "2024-01", "end": "2024-02"}
    assert "READ_CSV" in project.explain(["n"], sql=True, **query)
    answer = project.query(["n"], engine="duckdb", **query)
    assert answer.column("n").to_pylist() == [2]
