"""A plugin's code failing at run time is reported as a failure of that plugin (exit 1),
naming the item, the plugin's distribution and version, and the hook; never as an internal
error of metricsmith. What a plugin returns is checked against its contract the same way."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from metricsmith import registry as plugin_registry
from metricsmith.builtin import functions as builtin_functions
from metricsmith.cli import main
from metricsmith.errors import PluginFailure

#: An installed plugin: a distribution `metricsmith-acme` 1.2.0 with the entry point `acme`.
#: Every item misbehaves in one way; the project below uses the ones a test names.
PLUGIN = """
import attrs
import pyarrow as pa
from sqlglot import exp

from metricsmith.model.types import Type
from metricsmith.builtin.connectors import CSV
from metricsmith.plugins.formats import OutputFormat
from metricsmith.plugins.functions import AggregateFunction, ScalarFunction
from metricsmith.plugins.hookspecs import hookimpl


class Reader:
    def __init__(self, inner, returns):
        self.inner, self.returns, self.location = inner, returns, inner.location

    def schema(self):
        return self.inner.schema()

    def read(self, columns=None, time_range=None):
        if self.returns == "raise":
            raise RuntimeError("the vendor SDK lost its session")
        if self.returns == "list":
            return [1, 2, 3]
        return self.inner.read(columns, time_range)


class Connector:
    description = "CSV through a flaky vendor SDK"

    def __init__(self, name, returns):
        self.name, self.returns = name, returns

    def open(self, args, options, *, base_dir, source_name):
        if self.returns == "open":
            raise KeyError("api_key")
        return Reader(CSV.open(args, options, base_dir=base_dir, source_name=source_name),
                      self.returns)


def boom(*args):
    raise ValueError("p90 needs at least 10 rows")


def numbers(types):
    return Type.FLOAT


@hookimpl
def metricsmith_connectors():
    return [Connector(name, name.removeprefix("vendor_"))
            for name in ("vendor_raise", "vendor_list", "vendor_open", "vendor_ok")]


@hookimpl
def metricsmith_scalar_functions():
    return [
        ScalarFunction("explode", 1, 1, numbers, boom, "fails", "explode(x)"),
        ScalarFunction("as_text", 1, 1, numbers, lambda x: pa.array(["a"] * len(x)),
                       "a string where a number is promised", "as_text(x)"),
        ScalarFunction("too_short", 1, 1, numbers, lambda x: pa.array([1.0]),
                       "one value for every row", "too_short(x)"),
        ScalarFunction("as_list", 1, 1, numbers, lambda x: [1.0] * len(x),
                       "a Python list", "as_list(x)"),
        ScalarFunction("unsure", 1, 1, lambda types: {}["type"], lambda x: x,
                       "its signature raises", "unsure(x)"),
        ScalarFunction("text_sql", 1, 1, numbers, lambda x: x, "SQL as text", "text_sql(x)",
                       sql=lambda dialect, x: "x * 2"),
        ScalarFunction("bad_sql", 1, 1, numbers, lambda x: x, "its SQL fails", "bad_sql(x)",
                       sql=lambda dialect, x: 1 / 0),
    ]


@hookimpl
def metricsmith_aggregate_functions():
    return [
        AggregateFunction("p90", numbers, "fails", "p90(s.x)", grouped=lambda *a: boom()),
        AggregateFunction("short", numbers, "one value too few", "short(s.x)",
                          grouped=lambda values, groups, n, params: pa.array([1.0] * (n - 1))),
        AggregateFunction("vague", lambda t: 42, "its signature returns a number",
                          "vague(s.x)", hash_name="sum"),
        AggregateFunction("no_impl", numbers, "neither hash_name nor grouped", "no_impl(s.x)"),
        AggregateFunction("bad_hash", numbers, "an unknown kernel", "bad_hash(s.x)",
                          hash_name="no_such_kernel"),
    ]


@hookimpl
def metricsmith_output_formats():
    def write(table, path):
        raise RuntimeError("the XML library is missing")

    def render(table):
        return "text, not bytes"

    return [OutputFormat("xml", "XML", "xml", write, render)]
"""

DEFINITIONS = """\
source s from {connector}("s.csv") {{
  time at
}}
metric total = sum(s.x)
metric exploded = sum(explode(s.x))
metric texts = sum(as_text(s.x))
metric short_rows = sum(too_short(s.x))
metric listed = sum(as_list(s.x))
metric compiled = sum(bad_sql(s.x))
metric texted = sum(text_sql(s.x))
metric slow = p90(s.x)
metric shortened = short(s.x)
"""

DATA = "x,at\n1,2024-01-01T00:00:00Z\n2,2024-01-02T00:00:00Z\n3,2024-02-01T00:00:00Z\n"

CULPRIT = "from metricsmith-acme 1.2.0 (hook metricsmith_{hook})"


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Installs metricsmith-acme 1.2.0 (a dist-info folder on sys.path) and builds the registry
    with it, as a user's installation would."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_plugin.py").write_text(PLUGIN)
    info = site / "metricsmith_acme-1.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: metricsmith-acme\nVersion: 1.2.0\n"
    )
    (info / "entry_points.txt").write_text("[metricsmith]\nacme = acme_plugin\n")
    monkeypatch.syspath_prepend(str(site))
    # The registry is built again for a new selection: every command now loads the plugin.
    monkeypatch.setenv(plugin_registry.SELECTION_VARIABLE, "metricsmith-acme")
    return plugin_registry.get_registry()


def project(tmp_path: Path, connector: str = "vendor_ok") -> str:
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    (folder / "defs.metrics").write_text(DEFINITIONS.format(connector=connector))
    (folder / "s.csv").write_text(DATA)
    return str(folder)


def query(tmp_path: Path, metric: str, *extra: str, connector: str = "vendor_ok") -> list[str]:
    return ["query", project(tmp_path, connector), metric, "--format", "csv", *extra]


def failure(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The command's error output; it must exit 1 with a plugin failure, not an internal
    error."""
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: plugin failure: "), err
    assert "internal error" not in err and "bug in metricsmith" not in err
    assert "report it to the authors of metricsmith-acme 1.2.0" in err
    return err


def test_items_carry_their_provenance(acme) -> None:
    provenance = acme.aggregate_functions["p90"].provenance
    assert (
        provenance.culprit
        == f"the aggregate function `p90` {CULPRIT.format(hook='aggregate_functions')}"
    )
    assert not provenance.builtin
    assert acme.aggregate_functions["sum"].provenance.builtin
    assert acme.formats["xml"].provenance.distribution == "metricsmith-acme"
    assert acme.connectors["vendor_ok"].provenance.version == "1.2.0"


def test_an_aggregate_that_raises(acme, tmp_path, capsys) -> None:
    err = failure(capsys, query(tmp_path, "slow"))
    assert (
        f"the aggregate function `p90` {CULPRIT.format(hook='aggregate_functions')} raised "
        "ValueError: p90 needs at least 10 rows"
    ) in err


def test_an_aggregate_returning_the_wrong_number_of_values(acme, tmp_path, capsys) -> None:
    err = failure(capsys, query(tmp_path, "shortened", "--grain", "month"))
    assert "the aggregate function `short`" in err
    assert "returned 1 value where 2 were expected" in err


def test_a_scalar_function_that_raises(acme, tmp_path, capsys) -> None:
    err = failure(capsys, query(tmp_path, "exploded"))
    assert f"the scalar function `explode` {CULPRIT.format(hook='scalar_functions')}" in err
    assert "raised ValueError: p90 needs at least 10 rows" in err


@pytest.mark.parametrize(
    ("metric", "problem"),
    [
        ("texts", "returned string values where its signature promised float"),
        ("short_rows", "returned 1 value where 3 were expected"),
        ("listed", "returned list, not an Arrow array or scalar"),
    ],
)
def test_a_scalar_function_breaking_its_contract(acme, tmp_path, capsys, metric, problem) -> None:
    assert problem in failure(capsys, query(tmp_path, metric))


def test_a_plugin_functions_sql_that_raises(acme, tmp_path, capsys) -> None:
    err = failure(capsys, query(tmp_path, "compiled", "--engine", "duckdb"))
    assert "the scalar function `bad_sql`" in err
    assert "raised ZeroDivisionError while compiling to duckdb" in err


def test_a_plugin_functions_sql_that_is_not_an_expression(acme, tmp_path, capsys) -> None:
    err = failure(capsys, query(tmp_path, "texted", "--engine", "duckdb"))
    assert "the scalar function `text_sql`" in err
    assert "returned str from `sql`, not a sqlglot expression" in err


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
def test_a_connector_whose_read_raises(acme, tmp_path, capsys, engine) -> None:
    argv = query(tmp_path, "total", "--engine", engine, connector="vendor_raise")
    err = failure(capsys, argv)
    assert f"the connector `vendor_raise` {CULPRIT.format(hook='connectors')}" in err
    assert "raised RuntimeError while reading the rows of source `s`" in err


def test_a_connector_whose_read_returns_no_table(acme, tmp_path, capsys) -> None:
    err = failure(capsys, query(tmp_path, "total", connector="vendor_list"))
    assert "returned list from `read` of source `s`, not a pyarrow.Table" in err


def test_a_connector_failing_to_open_is_a_check_error_naming_the_plugin(
    acme, tmp_path, capsys
) -> None:
    assert main(["check", project(tmp_path, "vendor_open")]) == 1
    err = capsys.readouterr().err
    assert "error[source-unreadable]" in err
    assert "the connector `vendor_open` from metricsmith-acme 1.2.0" in err
    assert "raised KeyError while opening source `s`" in err
    assert err.count("= help:") == 1 and "= help: this is a bug in the plugin" in err


def test_signatures_that_fail_are_check_errors_naming_the_plugin(acme, tmp_path, capsys) -> None:
    folder = Path(project(tmp_path))
    (folder / "defs.metrics").write_text(
        'source s from csv("s.csv") {\n  time at\n}\n'
        "metric a = sum(unsure(s.x))\nmetric b = vague(s.x)\n"
    )
    assert main(["check", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "defs.metrics:4:16: error[plugin-failure]: plugin failure: the scalar function " in err
    assert "raised KeyError while checking a call: 'type'" in err
    assert (
        "defs.metrics:5:18: error[plugin-failure]: plugin failure: the aggregate function " in err
    )
    assert "returned int from `signature`, not Type or str" in err
    assert "2 errors found" in err


def test_an_output_format_whose_write_raises(acme, tmp_path, capsys) -> None:
    target = tmp_path / "out.xml"
    argv = ["query", project(tmp_path), "total", "-o", str(target)]
    err = failure(capsys, argv)
    assert f"the output format `xml` {CULPRIT.format(hook='output_formats')}" in err
    assert f"raised RuntimeError while writing {target}: the XML library is missing" in err


def test_an_output_format_rendering_text_instead_of_bytes(acme, tmp_path, capsys) -> None:
    err = failure(capsys, ["query", project(tmp_path), "total", "--format", "xml"])
    assert "returned str from `render`, not bytes" in err


def test_aggregates_that_cannot_run_are_refused_when_registered(acme) -> None:
    assert "no_impl" not in acme.aggregate_functions
    assert "bad_hash" not in acme.aggregate_functions
    problems = "\n".join(acme.problems)
    assert "`no_impl` is ignored because it has neither `hash_name` nor `grouped`" in problems
    assert "pyarrow has no hash aggregation `no_such_kernel`" in problems


def test_the_api_raises_a_plugin_failure(acme, tmp_path) -> None:
    import metricsmith

    loaded = metricsmith.load_project(project(tmp_path))
    with pytest.raises(PluginFailure) as raised:
        loaded.query(["slow"])
    assert raised.value.culprit.startswith("the aggregate function `p90`")
    assert isinstance(raised.value.__cause__, ValueError)


@pytest.fixture
def broken_abs(monkeypatch: pytest.MonkeyPatch):
    """The built-in `abs` with a bug, in the registry every command loads (rebuilt without it
    afterwards)."""
    builtin_abs = plugin_registry.build_registry().scalar_functions["abs"]
    assert builtin_abs.provenance.builtin

    def broken(*args):
        raise ValueError("a bug")

    functions = tuple(
        attrs.evolve(f, arrow=broken) if f.name == "abs" else f
        for f in builtin_functions.SCALAR_FUNCTIONS
    )
    monkeypatch.setattr(builtin_functions, "SCALAR_FUNCTIONS", functions)
    plugin_registry.get_registry(refresh=True)
    yield
    monkeypatch.undo()
    plugin_registry.get_registry(refresh=True)


def test_a_builtin_failure_stays_an_internal_error(broken_abs, tmp_path, capsys) -> None:
    """The built-in plugins are metricsmith's own code: their bugs are metricsmith's."""
    folder = tmp_path / "builtin"
    folder.mkdir()
    (folder / "defs.metrics").write_text(
        'source s from csv("s.csv") {\n  time at\n}\nmetric a = sum(abs(s.x))\n'
    )
    (folder / "s.csv").write_text(DATA)
    assert main(["query", str(folder), "a", "--format", "csv"]) == 3
    assert "internal error: ValueError: a bug" in capsys.readouterr().err
