"""Parameters set per query: `--param NAME=VALUE` on the command line and `params=` in the API,
against the CLI tests' project (conftest.py) with parameters added."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import pytest
from metricsmith.cli import main
from test_cli_query import table_row

# Tickets (conftest.py): t1 Jan 3 1 contact (a1, SMB) | t2 Jan 10 1 (a1) | t3 Jan 20 3 (a2,
# Enterprise) | t4 Feb 2 2 (a2) | t5 Feb 14 4 (a1).
PARAMETERS = """\
parameter contacts: int = 1
parameter goal: float = 0.5
parameter segment: string = "SMB"
parameter window: duration = 7 days

metric quick "Quick tickets" = count(tickets where contacts <= $contacts)
metric quick_share "Quick share" = quick / tickets_opened
  format percent
  higher is better
  target >= $goal
metric segment_tickets = count(tickets where accounts.segment == $segment)
metric late_starters = count(tickets where opened_at >= @2024-01-01T00:00:00Z + $window)

scorecard monthly "Monthly" {
  grain month
  periods 2
  metrics quick_share
}
"""
RANGE = ["--grain", "month", "--from", "2024-01", "--to", "2024-03"]


@pytest.fixture
def project(project: Path) -> Path:
    (project / "parameters.metrics").write_text(PARAMETERS)
    return project


def _query(project: Path, *args: str) -> int:
    return main(["query", str(project), *args, *RANGE])


def test_a_param_sets_the_value_a_filter_compares_with(project, capsys):
    assert _query(project, "quick", "--param", "contacts=2") == 0
    out = capsys.readouterr().out
    assert table_row(out, "2024-01")[1:] == ["2"]  # t1, t2 (t3 has 3 contacts)
    assert table_row(out, "2024-02")[1:] == ["1"]  # t4 (2 contacts); t5 has 4


def test_without_a_param_the_default_holds(project, capsys):
    assert _query(project, "quick") == 0
    out = capsys.readouterr().out
    assert table_row(out, "2024-01")[1:] == ["2"]  # t1, t2
    assert table_row(out, "2024-02")[1:] == ["0"]


@pytest.mark.parametrize("written", ["14d", "14 days", "2w", "336h"])
def test_a_duration_is_written_as_on_the_command_line(project, capsys, written):
    # From Jan 15 on: t3 | t4, t5 (the default, 7 days, would count t2 in January too).
    assert _query(project, "late_starters", "--param", f"window={written}") == 0
    out = capsys.readouterr().out
    assert table_row(out, "2024-01")[1:] == ["1"]
    assert table_row(out, "2024-02")[1:] == ["2"]


def test_a_target_set_by_a_param_shows_the_query_value(project, capsys):
    assert _query(project, "quick_share", "--param", "goal=0.6") == 0
    out = capsys.readouterr().out
    assert "target ≥ 60.0%" in out
    assert table_row(out, "2024-01")[1:] == ["66.7% 🟢"]  # 2 of 3 quick
    assert _query(project, "quick_share", "--param", "goal=0.7") == 0
    out = capsys.readouterr().out
    assert "target ≥ 70.0%" in out
    # 66.7% misses 70% by 3.3 points, within the amber band of a target without `warn`
    # (10% of 70% = 7 points): amber.
    assert table_row(out, "2024-01")[1:] == ["66.7% 🟡"]


def test_a_string_param_with_sql_in_it_is_a_value(project, capsys):
    assert _query(project, "segment_tickets", "--param", "segment=x' or 1=1 --") == 0
    out = capsys.readouterr().out
    assert table_row(out, "2024-01")[1:] == ["0"]  # no segment is called that
    assert table_row(out, "2024-02")[1:] == ["0"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("contacts=two", "error: parameter `contacts` is an integer: `two` is not one"),
        ("window=soon", "error: parameter `window` is a duration: `soon` is not one"),
        ("contact=2", "error: unknown parameter `contact`"),
    ],
)
def test_a_bad_param_is_a_one_line_error_naming_it(project, capsys, setting, message):
    assert _query(project, "quick", "--param", setting) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == message
    assert "help: " in err


def test_a_param_without_a_value_or_given_twice_is_a_usage_error(project, capsys):
    assert _query(project, "quick", "--param", "contacts") == 2
    assert "expected NAME=VALUE" in capsys.readouterr().err
    assert _query(project, "quick", "--param", "contacts=1", "--param", "contacts=2") == 2
    assert "--param contacts is given twice" in capsys.readouterr().err


def test_explain_sql_shows_the_placeholder_and_lists_the_value(project, capsys):
    args = ["explain", str(project), "segment_tickets", *RANGE, "--sql"]
    assert main([*args, "--param", "segment=x' or 1=1 --"]) == 0
    out = capsys.readouterr().out
    listing, sql = out.split("WITH ", 1)
    assert listing.splitlines() == [
        "-- parameters, bound as values when the query runs:",
        '-- segment: string = "x\' or 1=1 --"',
    ]
    assert "CAST($segment AS TEXT)" in sql  # DuckDB's named placeholder
    assert "1=1" not in sql


def test_explain_lists_the_values_of_the_query(project, capsys):
    args = ["explain", str(project), "quick", *RANGE, "--param", "contacts=3"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "parameters: $contacts = 3, $goal = 0.5" in out
    assert "count(tickets where contacts <= $contacts)" in out


def test_scorecard_and_report_take_params(project, capsys):
    args = ["scorecard", str(project), "monthly", "--end", "2024-03", "--param", "goal=0.7"]
    assert main(args) == 0
    assert "≥ 70.0%" in capsys.readouterr().out
    report = project / "report.html"
    args = ["report", str(project), "monthly", "--end", "2024-03", "-o", str(report)]
    assert main([*args, "--param", "goal=0.9"]) == 0
    assert "90.0%" in report.read_text(encoding="utf-8")


# ---- the API ----------------------------------------------------------------------------


def test_api_params_take_python_values_or_text(project):
    loaded = metricsmith.load_project(project)
    for window in (dt.timedelta(days=14), "14d"):
        table = loaded.query(
            ["late_starters"],
            grain="month",
            start="2024-01",
            end="2024-03",
            params={"window": window},
        )
        assert table["late_starters"].to_pylist() == [1, 2]


def test_api_a_value_of_another_type_is_a_query_error(project):
    loaded = metricsmith.load_project(project)
    with pytest.raises(metricsmith.QueryError, match=r"parameter `window` is a duration: 14"):
        loaded.query(["late_starters"], params={"window": 14})
    with pytest.raises(metricsmith.QueryError, match="did you mean `contacts`"):
        loaded.query(["quick"], params={"contact": 2})


def test_api_result_and_scorecard_show_the_target_the_query_set(project):
    loaded = metricsmith.load_project(project)
    result = loaded.query(
        ["quick_share"], grain="month", start="2024-01", end="2024-03", params={"goal": 0.6}
    )
    (view,) = result.metrics
    assert view.target_text() == "≥ 60.0%"
    card = loaded.scorecard("monthly", end="2024-03", params={"goal": 0.7})
    assert "70.0%" in str(card.metrics[0].target_text())
    assert "$goal = 0.8" in loaded.explain(["quick_share"], params={"goal": 0.8})


def test_a_where_filter_reads_parameters_and_names_an_unknown_one(project, capsys):
    where = ["--where", "contacts >= $contacts"]
    assert _query(project, "tickets_opened", *where, "--param", "contacts=3") == 0
    out = capsys.readouterr().out
    assert table_row(out, "2024-01")[1:] == ["1"]  # t3 (3 contacts)
    assert table_row(out, "2024-02")[1:] == ["1"]  # t5 (4)
    assert _query(project, "tickets_opened", "--where", "contacts >= $contact") == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: unknown parameter `$contact` in `contacts >= $contact`",
        "  = help: did you mean `$contacts`?",
    ]


def test_list_shows_the_parameters_with_their_types_and_defaults(project, capsys):
    assert main(["list", str(project)]) == 0
    out = capsys.readouterr().out
    listed = out.split("Parameters (4)\n", 1)[1].splitlines()
    assert [line.split() for line in listed[1:]] == [
        ["$contacts", "integer", "1"],
        ["$goal", "float", "0.5"],
        ["$segment", "string", '"SMB"'],
        ["$window", "duration", "7", "days"],
    ]


def test_a_value_that_is_not_utf8_is_one_error_naming_the_parameter(project, capsys):
    # The command line hands on the byte 0xff as a lone surrogate: refused, shown as \xff.
    assert _query(project, "late_starters", "--param", "window=1\udcffd") == 1
    err = capsys.readouterr().err
    assert "parameter `window`: `1\\xffd` is not UTF-8 text" in err
    assert "internal error" not in err
