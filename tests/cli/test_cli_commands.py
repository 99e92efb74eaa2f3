"""`metricsmith check`, `list`, `explain`, `plugins`, `--version`, and how errors end a run."""

from __future__ import annotations

import metricsmith
import metricsmith.cli as cli
import pytest
from metricsmith.cli import main
from metricsmith.errors import DataError
from metricsmith.registry import SELECTION_VARIABLE, get_registry

# ---- check -------------------------------------------------------------------------------


def test_check_summarises_a_good_project(project, capsys):
    assert main(["check", str(project)]) == 0
    out, _ = capsys.readouterr()
    assert out.strip() == (
        f"{project}: 1 file, 2 sources, 2 metrics, 1 dimension; no problems found"
    )


def test_check_reports_every_problem_at_once(project, capsys):
    (project / "broken.metrics").write_text(
        "metric broken = count(tikets)\nmetric other = sum(tickets.contactz)\n"
    )
    assert main(["check", str(project)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "broken.metrics:1:" in err and "tikets" in err
    assert "broken.metrics:2:" in err and "contactz" in err
    assert "did you mean `tickets`?" in err
    assert err.rstrip().endswith("2 errors found")
    assert "Traceback" not in err


def test_check_reports_a_syntax_error_with_its_position(project, capsys):
    (project / "bad.metrics").write_text("metric = count(tickets)\n")
    assert main(["check", str(project)]) == 1
    err = capsys.readouterr().err
    assert "bad.metrics:1:" in err
    assert "^" in err  # the caret under the offending text


def test_check_names_an_unreadable_source(project, capsys):
    (project / "tickets.csv").unlink()
    assert main(["check", str(project)]) == 1
    err = capsys.readouterr().err
    assert "tickets" in err and "support.metrics:" in err


def test_check_of_a_missing_folder(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert "nowhere" in err and "Traceback" not in err


# ---- list and explain --------------------------------------------------------------------


def test_list_shows_metrics_sources_and_dimensions(project, capsys):
    assert main(["list", str(project)]) == 0
    out = capsys.readouterr().out
    for text in [
        "Metrics (2)",
        "first_contact_resolution",
        "First-contact resolution",
        "percent",
        "higher",
        "≥ 50.0%",
        "Tickets opened in the period.",
        "Sources (2)",
        "csv:",
        "account_id → accounts",
        "Dimensions (1)",
        "company_size",
        "Company size",
    ]:
        assert text in out, text


def test_explain_prints_the_plan(project, capsys):
    assert main(["explain", str(project), *["tickets_opened", "--grain", "month"]]) == 0
    out = capsys.readouterr().out
    assert "tickets" in out
    assert out.strip()


def test_explain_of_an_unknown_metric(project, capsys):
    assert main(["explain", str(project), "nps"]) == 1
    assert "nps" in capsys.readouterr().err


# ---- plugins and version -----------------------------------------------------------------


def test_plugins_lists_what_is_loaded(capsys):
    registry = get_registry()
    assert main(["plugins"]) == (1 if registry.problems else 0)
    out = capsys.readouterr().out
    for text in [
        "Plugins",
        "Connectors",
        "csv",
        "Functions",
        "count",
        "aggregate",
        "Output formats",
        "parquet",
    ]:
        assert text in out, text


def test_plugins_names_the_distribution_of_each_connector_and_engine(capsys):
    from metricsmith import __version__

    main(["plugins"])
    lines = capsys.readouterr().out.splitlines()
    csv = next(line for line in lines if line.startswith("csv "))
    duckdb = next(line for line in lines if line.startswith("duckdb "))
    assert f"metricsmith {__version__}" in csv
    assert f"metricsmith {__version__}" in duckdb
    sqlite = next((line for line in lines if line.startswith("sqlite ")), None)
    if sqlite is not None:  # the first-party plugin, when installed
        assert "metricsmith-sqlite 0.1.0" in sqlite


BROKEN_PLUGIN = """
from metricsmith.plugins.hookspecs import hookimpl


@hookimpl
def metricsmith_connectors():
    raise RuntimeError("boom")
"""


def test_plugins_reports_a_broken_plugin(monkeypatch, tmp_path, capsys):
    """An installed plugin (`acme`, from the distribution metricsmith-acme) whose hook raises."""
    (tmp_path / "acme_broken.py").write_text(BROKEN_PLUGIN)
    info = tmp_path / "metricsmith_acme-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: metricsmith-acme\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[metricsmith]\nacme = acme_broken\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(SELECTION_VARIABLE, "metricsmith-acme")
    assert main(["plugins"]) == 1
    err = capsys.readouterr().err
    assert "plugin `acme` (hook metricsmith_connectors) raised RuntimeError: boom" in err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"metricsmith {metricsmith.__version__}"


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["query", "--help"]) == 0
    assert "--grain" in capsys.readouterr().out


# ---- how a run ends when something goes wrong ----------------------------------------------


def failing_load(error: BaseException):
    def load_project(path, tables=None, **path_options):
        raise error

    return load_project


def test_data_error_prints_the_message_and_exits_1(project, monkeypatch, capsys):
    problem = DataError("cannot parse `yesterday`", source="tickets", column="opened_at", row=7)
    monkeypatch.setattr(cli, "load_project", failing_load(problem))
    assert main(["query", str(project), "tickets_opened"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"error: {problem}"
    assert "row 7" in err


def test_a_bug_is_reported_as_internal_error(project, monkeypatch, capsys):
    monkeypatch.delenv(cli.TRACEBACK_VARIABLE, raising=False)
    monkeypatch.setattr(cli, "load_project", failing_load(RuntimeError("boom")))
    assert main(["check", str(project)]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err
    assert "report" in err and cli.TRACEBACK_VARIABLE in err
    assert "Traceback" not in err


def test_full_traceback_on_request(project, monkeypatch, capsys):
    monkeypatch.setenv(cli.TRACEBACK_VARIABLE, "1")
    monkeypatch.setattr(cli, "load_project", failing_load(RuntimeError("boom")))
    assert main(["list", str(project)]) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_interrupt_exits_130(project, monkeypatch, capsys):
    monkeypatch.setattr(cli, "load_project", failing_load(KeyboardInterrupt()))
    assert main(["check", str(project)]) == 130


@pytest.mark.parametrize("command", ["check", "list"])
def test_project_errors_list_every_diagnostic(project, capsys, command):
    (project / "broken.metrics").write_text("metric a = b\nmetric c = d\n")
    assert main([command, str(project)]) == 1
    err = capsys.readouterr().err
    assert "unknown metric `b`" in err and "unknown metric `d`" in err
