"""`--engine auto` on the command line: `explain` says which engine and why, `query` answers
as that engine does, and the project's metricsmith.toml may make it the default."""

from __future__ import annotations

from metricsmith.cli import main

RANGE = ["--grain", "month", "--from", "2024-01", "--to", "2024-04"]


def test_explain_says_which_engine_and_why(project, capsys):
    assert main(["explain", str(project), "tickets_opened", *RANGE, "--engine", "auto"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # The project's two CSV files hold a few hundred bytes.
    assert "  engine: auto → arrow (small data: its files hold 0 kB, no SQL worth compiling)" in (
        lines
    )


def test_query_answers_as_the_chosen_engine(project, capsys):
    assert main(["query", str(project), "tickets_opened", *RANGE, "--format", "csv"]) == 0
    by_default = capsys.readouterr().out
    args = ["query", str(project), "tickets_opened", *RANGE, "--format", "csv"]
    assert main([*args, "--engine", "auto"]) == 0
    # January 3 tickets, February 2, March none.
    assert (
        capsys.readouterr().out
        == by_default
        == '"month","tickets_opened"\n2024-01-01,3\n' + ("2024-02-01,2\n2024-03-01,0\n")
    )


def test_auto_as_the_project_default(project, capsys):
    (project / "metricsmith.toml").write_text('[engine]\ndefault = "auto"\n')
    assert main(["explain", str(project), "tickets_opened", *RANGE]) == 0
    assert "engine: auto → arrow (small data" in capsys.readouterr().out


def test_an_unknown_engine_lists_auto(project, capsys):
    assert main(["query", str(project), "tickets_opened", "--engine", "fast"]) == 2
    assert "choose arrow, auto, duckdb" in capsys.readouterr().err
