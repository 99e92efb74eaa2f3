"""Choosing the engine: `--engine` and `explain --sql` on the command line, `engine=` in
Python, a project's metricsmith.toml, and the messages when a choice cannot be honoured."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import metricsmith
import pytest
from metricsmith.builtin.engines import spark_options
from metricsmith.cli import main
from metricsmith.errors import QueryError
from metricsmith.execute.engines import load_settings
from metricsmith.execute.sql import duckdb_engine
from metricsmith.registry import get_registry

DEFINITIONS = """
source tickets from csv("tickets.csv") { time opened_at }
metric opened = count(tickets)
metric mean_contacts = avg(tickets.contacts)
"""
TICKETS = """opened_at,contacts
2024-01-05T10:00:00Z,1
2024-01-20T12:00:00Z,3
2024-03-02T09:00:00Z,2
"""
QUERY = ["opened", "mean_contacts", "--grain", "month", "--from", "2024-01", "--to", "2024-04"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    (tmp_path / "tickets.csv").write_text(TICKETS)
    return tmp_path


@pytest.fixture
def duckdb_runs(monkeypatch) -> list[object]:
    """Records each plan DuckDB runs (and still runs it)."""
    calls: list[object] = []
    original = duckdb_engine.execute_plan_duckdb

    def recording(plan, project, **options):
        calls.append(plan)
        return original(plan, project, **options)

    monkeypatch.setattr(duckdb_engine, "execute_plan_duckdb", recording)
    return calls


def test_the_cli_gives_the_same_csv_on_every_engine(folder, capsys, duckdb_runs):
    outputs = []
    for engine in ("arrow", "duckdb"):
        assert main(["query", str(folder), *QUERY, "--format", "csv", "--engine", engine]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "2024-02-01,0," in outputs[0]
    assert len(duckdb_runs) == 1


def test_explain_prints_formatted_sql_in_a_dialect(folder, capsys):
    assert main(["explain", str(folder), *QUERY, "--dialect", "postgres"]) == 0
    sql = capsys.readouterr().out
    assert sql.startswith("WITH spine AS (")
    assert "DOUBLE PRECISION" in sql and "FROM tickets" in sql
    assert main(["explain", str(folder), *QUERY, "--sql", "--engine", "duckdb"]) == 0
    assert "READ_CSV" in capsys.readouterr().out


def test_an_unknown_engine_or_dialect_is_a_usage_error(folder, capsys):
    assert main(["query", str(folder), "opened", "--engine", "oracle"]) == 2
    assert main(["explain", str(folder), "opened", "--dialect", "mysql"]) == 2
    with pytest.raises(QueryError, match="unknown engine `oracle`"):
        metricsmith.load_project(folder).query(["opened"], engine="oracle")


def test_the_projects_settings_choose_the_default_engine(folder, duckdb_runs):
    (folder / "metricsmith.toml").write_text('[engine]\ndefault = "duckdb"\n')
    project = metricsmith.load_project(folder / "p.metrics")
    assert project.query(["opened"]).to_pylist() == [{"opened": 3}]
    assert len(duckdb_runs) == 1
    project.query(["opened"], engine="arrow")
    assert len(duckdb_runs) == 1


def test_spark_settings(folder):
    (folder / "metricsmith.toml").write_text(
        '[engine]\ndefault = "spark"\n[spark]\nremote = "sc://spark.example:15002"\n'
    )
    settings = load_settings(folder, get_registry().engines)
    assert settings.engine == "spark"
    spark = spark_options(settings.options_of("spark"))
    assert spark.remote == "sc://spark.example:15002"
    assert spark.master == "local[*]"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[engine\n", "fix the TOML syntax"),
        ('[engine]\ndefault = "oracle"\n', "unknown engine `oracle`"),
        ('[spark]\nmaster = "local"\nport = 1\n', "has no setting `port`"),
        ('engine = "duckdb"\n', "must be a table"),
    ],
)
def test_bad_settings_are_explained(folder, text, message):
    (folder / "metricsmith.toml").write_text(text)
    with pytest.raises(QueryError, match=message):
        load_settings(folder, get_registry().engines)


def test_a_missing_engine_package_says_what_to_install(folder, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name)
    )
    with pytest.raises(QueryError, match=r"pip install 'metricsmith\[spark\]'"):
        metricsmith.load_project(folder).query(["opened"], engine="spark")
