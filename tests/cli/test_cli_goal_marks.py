"""The terminal marks a metric whose target is read from the data (a goals table) without
`--status`: the goals are computed for the marks alone. Other formats keep the metrics'
columns, and `--status` shows the target and status columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from metricsmith.cli import main
from test_cli_query import table_row

# Tickets (conftest.py): January t1, t2 at first contact of 3 (66.7%); February none of 2 (0%).
GOALS = """\
source goals from csv("goals.csv") {
  time month
  column goal: float
}

metric quick_share "Quick share" = count(tickets where contacts == 1) / tickets_opened
  format percent
  higher is better
  target >= max(goals.goal)
"""
GOAL_ROWS = """\
month,goal
2024-01-01T00:00:00Z,0.6
2024-02-01T00:00:00Z,0.1
"""
RANGE = ["--grain", "month", "--from", "2024-01", "--to", "2024-03"]


@pytest.fixture
def project(project: Path) -> Path:
    (project / "goals.metrics").write_text(GOALS)
    (project / "goals.csv").write_text(GOAL_ROWS)
    return project


def test_the_terminal_marks_values_against_goals_read_from_the_data(project, capsys):
    assert main(["query", str(project), "quick_share", *RANGE]) == 0
    out = capsys.readouterr().out
    assert table_row(out, "2024-01")[1:] == ["66.7% 🟢"]  # 0.667 >= 0.6
    # 0 misses 0.1 by more than the amber band (10% of the goal): red.
    assert table_row(out, "2024-02")[1:] == ["0.0% 🔴"]
    assert "target ≥ max(goals.goal)" in out
    assert "status" not in out  # the goal and status columns mark the values only


def test_other_formats_keep_the_metric_columns_alone(project, capsys):
    assert main(["query", str(project), "quick_share", *RANGE, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == '"month","quick_share"'


def test_with_status_the_goals_and_statuses_are_columns(project, capsys):
    assert main(["query", str(project), "quick_share", *RANGE, "--status"]) == 0
    out = capsys.readouterr().out
    assert table_row(out, "2024-02")[1:] == ["0.0% 🔴", "10.0%", "🔴 red"]


def test_goals_that_cannot_be_sliced_as_asked_leave_the_values_unmarked(project, capsys):
    # The goals have no link to accounts: the answer by segment stands, without marks.
    assert main(["query", str(project), "quick_share", *RANGE, "--by", "accounts.segment"]) == 0
    out, err = capsys.readouterr()
    rows = [[c.strip() for c in line.split("│")] for line in out.splitlines() if "│" in line]
    # January: Enterprise t3 (3 contacts), SMB t1 and t2 (1 each).
    assert rows[:2] == [["2024-01", "Enterprise", "0.0%"], ["2024-01", "SMB", "100.0%"]]
    assert "targets read from the data are not marked" in err
    assert "`goals`, which cannot be sliced by `accounts.segment`" in err


def test_unreadable_goals_leave_the_values_unmarked(project, capsys):
    (project / "goals.csv").write_bytes(b"month,goal\n2024-01-01T00:00:00Z,0.\xff6\n")
    assert main(["query", str(project), "quick_share", *RANGE]) == 0
    out, err = capsys.readouterr()
    assert table_row(out, "2024-01")[1:] == ["66.7%"]
    assert "not marked: data error in source `goals`" in err and "column `goal`, row 1" in err
