"""`engine="auto"`: each rule of execute/choosing.py picks its engine for a plan of its shape,
and the answer is exactly the table that engine gives when asked by name, and the table the
other engine gives (cell for cell: these queries count, so no float can differ in its last
bit); an engine not installed, or whose SQL refuses a construct, is passed over for arrow.

The data, in memory (so no rule about file sizes applies), all in January 2024:

    events: u1 on Jan 2 (twice) and Jan 3, u2 on Jan 2, u3 on Jan 20 (n = 1, 2, 3, 4, 5)
    subscriptions: a1 100 in force from Dec 1 on, a2 50 from Jan 10 to Jan 15, a3 0 from Dec 1
"""

from __future__ import annotations

from pathlib import Path

import metricsmith
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from execute_helpers import stamps, utc
from metricsmith.builtin import engines as builtin_engines
from metricsmith.execute.choosing import (
    SMALL_BYTES,
    Choice,
    SourceFacts,
    preferred_engine,
)
from metricsmith.plan import plan_query
from metricsmith.plugins.functions import ScalarFunction
from metricsmith.plugins.hookspecs import hookimpl
from metricsmith.registry import build_registry

DEFINITIONS = """\
calendar { timezone "UTC" }

source accounts from csv("accounts.csv") {
  key account_id
}

source events from csv("events.csv") {
  entity user_id as user
  time occurred_at
}

source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}

metric active_users = count_distinct(events.user_id)
metric events_tracked = count(events)
metric busy_users = count(per user where count(events) >= 2)
metric busiest_day = max(per day: count(events))
metric mrr = sum(subscriptions.mrr)
metric paying_accounts = count(per account where mrr > 0)
metric odd_users = count_distinct(events.user_id where thrice(n) > 3)
"""

EVENTS = pa.table(
    {
        "user_id": ["u1", "u1", "u1", "u2", "u3"],
        "occurred_at": stamps(
            utc(2024, 1, 2, 9),
            utc(2024, 1, 2, 10),
            utc(2024, 1, 3),
            utc(2024, 1, 2),
            utc(2024, 1, 20),
        ),
        "n": [1, 2, 3, 4, 5],
    }
)
SUBSCRIPTIONS = pa.table(
    {
        "account_id": ["a1", "a2", "a3"],
        "mrr": [100, 50, 0],
        "started_at": stamps(utc(2023, 12, 1), utc(2024, 1, 10), utc(2023, 12, 1)),
        "ended_at": stamps(None, utc(2024, 1, 15), None),
    }
)
ACCOUNTS = pa.table({"account_id": ["a1", "a2", "a3"]})


def _thrice(value):
    return pc.multiply(value, 3)


class _Thrice:
    """A plugin function with no SQL: DuckDB's compiler refuses it."""

    @hookimpl
    def metricsmith_scalar_functions(self):
        return [ScalarFunction("thrice", 1, 1, lambda types: types[0], _thrice, "x*3", "thrice(x)")]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> metricsmith.Project:
    folder = tmp_path_factory.mktemp("auto")
    (folder / "auto.metrics").write_text(DEFINITIONS)
    tables = {"events": EVENTS, "subscriptions": SUBSCRIPTIONS, "accounts": ACCOUNTS}
    return metricsmith.load_project(folder, tables=tables, plugins=[_Thrice()])


def _query(project: metricsmith.Project, metric: str, engine: str) -> pa.Table:
    return project.query([metric], grain="month", start="2024-01", end="2024-02", engine=engine)


def _engine_line(project: metricsmith.Project, metric: str) -> str:
    text = project.explain([metric], grain="month", start="2024-01", end="2024-02", engine="auto")
    return next(line.strip() for line in text.splitlines() if "engine:" in line)


# (metric, the engine auto picks, the reason's words, its value in January)
RULES = [
    # u1, u2, u3
    ("active_users", "duckdb", "only distinct counts, over the event rows of `events`", 3),
    # u1 has 3 events, u2 and u3 one each
    ("busy_users", "duckdb", "a level over entities reads event rows", 1),
    # a1 (100) is paying at Jan 31; a2's subscription ended Jan 15; a3 pays 0
    ("paying_accounts", "arrow", "a level over entities reads a state source", 1),
    # Jan 2 has 3 events
    ("busiest_day", "arrow", "no shape that runs faster on duckdb", 3),
    ("events_tracked", "arrow", "no shape that runs faster on duckdb", 5),
]


@pytest.mark.parametrize(("metric", "expected", "reason", "value"), RULES)
def test_each_rule_picks_its_engine_and_the_answers_are_identical(
    project, metric, expected, reason, value
):
    line = _engine_line(project, metric)
    assert line.startswith(f"engine: auto → {expected} (")
    assert reason in line
    auto = _query(project, metric, "auto")
    assert auto.to_pylist() == [{"month": utc(2024, 1, 1).date(), metric: value}]
    assert auto.equals(_query(project, metric, "arrow"))
    assert auto.equals(_query(project, metric, "duckdb"))
    assert auto.schema == _query(project, metric, expected).schema


def test_distinct_counts_beside_other_aggregates_run_on_arrow(project):
    # The scorecard's shape: a distinct count with a count of the same rows.
    text = project.explain(
        ["active_users", "events_tracked"],
        grain="month",
        start="2024-01",
        end="2024-02",
        engine="auto",
    )
    assert "engine: auto → arrow (no shape that runs faster on duckdb" in text
    assert "distinct counts beside other aggregates" in text


def test_a_construct_duckdb_refuses_runs_on_arrow(project):
    # thrice(n) = 3, 6, 9, 12, 15: every event but u1's first has thrice(n) > 3, so u1, u2
    # and u3 count.
    line = _engine_line(project, "odd_users")
    assert line.startswith("engine: auto → arrow (only distinct counts, over the event rows")
    assert "which suits duckdb, but duckdb SQL cannot express the function `thrice`" in line
    answer = _query(project, "odd_users", "auto")
    assert answer.column("odd_users").to_pylist() == [3]
    assert answer.equals(_query(project, "odd_users", "arrow"))


def test_duckdb_not_installed_falls_back_to_arrow(project, monkeypatch):
    missing = "the duckdb engine needs the `duckdb` package, which is not installed"
    monkeypatch.setattr(builtin_engines, "_missing", lambda engine, package: missing)
    line = _engine_line(project, "active_users")
    assert line == (
        "engine: auto → arrow (only distinct counts, over the event rows of `events`, which suits "
        f"duckdb, but {missing})"
    )
    assert _query(project, "active_users", "auto").equals(_query(project, "active_users", "arrow"))


def test_small_files_run_on_arrow(tmp_path):
    # The same distinct count over files of a few hundred bytes.
    (tmp_path / "p.metrics").write_text(
        'source events from csv("events.csv") {\n  time occurred_at\n}\n'
        "metric active_users = count_distinct(events.user_id)\n"
    )
    (tmp_path / "events.csv").write_text(
        "user_id,occurred_at\nu1,2024-01-02T09:00:00Z\nu2,2024-01-03T09:00:00Z\n"
    )
    project = metricsmith.load_project(tmp_path)
    text = project.explain(
        ["active_users"], grain="month", start="2024-01", end="2024-02", engine="auto"
    )
    assert "engine: auto → arrow (small data: its files hold 0 kB, no SQL worth compiling)" in text
    # u1 and u2
    assert _query(project, "active_users", "auto").column("active_users").to_pylist() == [2]


class _Warehouse:
    """An engine holding every source in place (a database's tables, as postgres does)."""

    name = "warehouse"
    description = "a database"
    dialect = None
    settings: tuple[str, ...] = ()

    def __init__(self, why_not: str | None = None) -> None:
        self.why_not = why_not

    def unavailable(self) -> str | None:
        return self.why_not

    def reads_in_place(self, reader, options) -> bool:
        return True

    def execute(self, plan, project, options):
        raise AssertionError("not run")


class _Registers:
    def __init__(self, warehouse: _Warehouse) -> None:
        self.warehouse = warehouse

    @hookimpl
    def metricsmith_engines(self):
        return [self.warehouse]


def _warehouse_choice(folder: Path, warehouse: _Warehouse) -> str:
    """Auto's choice for a project whose plugin engine `warehouse` holds every source (the
    registry hands it out wrapped, so its answers name the plugin if they fail)."""
    tables = {"events": EVENTS, "subscriptions": SUBSCRIPTIONS, "accounts": ACCOUNTS}
    plugins = [_Thrice(), _Registers(warehouse)]
    project = metricsmith.load_project(folder, tables=tables, plugins=plugins)
    return _engine_line(project, "active_users")


def test_data_in_a_database_runs_where_it_is(project):
    assert _warehouse_choice(project.path, _Warehouse()) == (
        "engine: auto → warehouse (every source it reads is a table warehouse reads in place)"
    )
    assert _warehouse_choice(project.path, _Warehouse("its driver is not installed")) == (
        "engine: auto → arrow (every source it reads is a table warehouse reads in place, "
        "which suits warehouse, but its driver is not installed)"
    )


def test_the_rule_is_a_function_of_the_plan_and_the_sources(project):
    query = project.build_query(
        ["active_users"], by=(), grain="month", start="2024-01", end="2024-02", where=()
    )
    plan = plan_query(project.checked, query)
    aggregates = project.checked.functions.aggregates
    at = {"homes": {}, "file_bytes": None}
    assert preferred_engine(plan, SourceFacts(**at), aggregates).engine == "duckdb"
    small = SourceFacts(homes={}, file_bytes=SMALL_BYTES)
    assert preferred_engine(plan, small, aggregates).engine == "arrow"
    big = SourceFacts(homes={}, file_bytes=SMALL_BYTES + 1)
    assert preferred_engine(plan, big, aggregates).engine == "duckdb"
    # A source only one engine reads decides, whatever the others and the size.
    spark = SourceFacts(homes={"events": "spark"}, file_bytes=0, exclusive=frozenset({"events"}))
    assert preferred_engine(plan, spark, aggregates) == Choice(
        "spark", "`events` is a table only spark reads"
    )


def test_auto_is_a_default_and_no_engine_s_name(tmp_path, project):
    (tmp_path / "p.metrics").write_text(
        'source events from csv("events.csv") {\n  time occurred_at\n}\n'
        "metric active_users = count_distinct(events.user_id)\n"
    )
    (tmp_path / "metricsmith.toml").write_text('[engine]\ndefault = "auto"\n')
    defaulted = metricsmith.load_project(tmp_path, tables={"events": EVENTS})
    text = defaulted.explain(["active_users"], grain="month", start="2024-01", end="2024-02")
    assert "engine: auto → duckdb (" in text
    assert "engine: auto" not in project.explain(
        ["active_users"], grain="month", start="2024-01", end="2024-02", engine="arrow"
    )

    class _Auto(_Warehouse):
        name = "auto"

    class _Named:
        @hookimpl
        def metricsmith_engines(self):
            return [_Auto()]

    registry = build_registry([_Named()])
    assert "auto" not in registry.engines
    assert any("`auto` is not an engine's name" in p for p in registry.problems)


def test_explain_sql_names_the_choice(project):
    text = project.explain(
        ["active_users"], grain="month", start="2024-01", end="2024-02", engine="auto", sql=True
    )
    assert text.startswith("-- engine: auto → duckdb (only distinct counts")
    assert "COUNT(DISTINCT" in text.upper()


def test_an_open_range_is_probed_with_one_period(project):
    # No range: the periods come from the data, which explaining does not read.
    text = project.explain(["odd_users"], grain="month", engine="auto")
    assert "engine: auto → arrow (only distinct counts" in text
    assert "cannot express the function `thrice`" in text


def test_unknown_engines_list_auto(project):
    with pytest.raises(metricsmith.QueryError, match=r"use one of .*auto"):
        _query(project, "active_users", "quick")


class _CatalogTable:
    """A reader of a Spark catalog table (as `spark_table` gives): only Spark reads it."""

    location = "spark table `db.events`"
    schema = EVENTS.schema

    def read(self, columns, time_range=None):
        raise AssertionError("only Spark reads it")

    def engine_table(self, engine: str) -> str | None:
        return "db.events" if engine == "spark" else None

    def read_by_engines_only(self) -> bool:
        return True


def test_spark_reads_its_catalog_tables_in_place():
    spark = builtin_engines.SparkEngine()
    assert spark.reads_in_place(_CatalogTable(), {})
    assert not spark.reads_in_place(object(), {})
