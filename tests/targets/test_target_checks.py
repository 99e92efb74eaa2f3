"""Targets as written: bands, ranges, percentages and durations in the metric's unit, the
status they give a value (model/targets.py), and the positioned errors for bands that cannot
be right."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from metricsmith import load_project
from metricsmith.cli import main
from metricsmith.errors import ProjectError
from metricsmith.model.decl import Target
from metricsmith.model.span import NO_SPAN
from metricsmith.model.targets import Status, status

SOURCE = """\
source tickets from csv("tickets.csv") {
  key ticket_id
  time opened_at
}
"""
TICKETS = pa.table(
    {
        "ticket_id": [1, 2, 3],
        # January: two tickets, answered in 3 and 5 hours; February: one, in 7 hours.
        "opened_at": pa.array(
            [dt.datetime(2024, m, 10, tzinfo=dt.UTC) for m in (1, 1, 2)],
            pa.timestamp("us", "UTC"),
        ),
        "response_hours": [3.0, 5.0, 7.0],
        "channel": ["email", "chat", "email"],
    }
)


def load(tmp_path, definitions: str):
    (tmp_path / "t.metrics").write_text(SOURCE + definitions, encoding="utf-8")
    return load_project(tmp_path, tables={"tickets": TICKETS})


def problems(tmp_path, definitions: str) -> str:
    with pytest.raises(ProjectError) as raised:
        load(tmp_path, definitions)
    return str(raised.value)


def band(op: str, value: float, high: float | None = None, warn: Target | None = None):
    return Target(op=op, value=value, high=high, warn=warn, span=NO_SPAN)


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [
        # target >= 40 warn >= 30
        (band(">=", 40, warn=band(">=", 30)), 40, Status.GREEN),
        (band(">=", 40, warn=band(">=", 30)), 30, Status.AMBER),
        (band(">=", 40, warn=band(">=", 30)), 29.9, Status.RED),
        # target <= 4 warn <= 6 (hours)
        (band("<=", 4, warn=band("<=", 6)), 5, Status.AMBER),
        (band("<=", 4, warn=band("<=", 6)), 6.5, Status.RED),
        # between 60 and 80 warn between 50 and 90: both sides
        (band("between", 60, 80, band("between", 50, 90)), 85, Status.AMBER),
        (band("between", 60, 80, band("between", 50, 90)), 49, Status.RED),
        (band("between", 60, 80, band("between", 50, 90)), 70, Status.GREEN),
        # without warn, today's rule: amber within 10% of the target past it
        (band(">=", 30), 27, Status.AMBER),  # 30 - 10% of 30 = 27
        (band(">=", 30), 26.9, Status.RED),
        (band("between", 60, 80), 88, Status.AMBER),  # 80 + 10% of 80 = 88
        (band("between", 60, 80), 53, Status.RED),  # 60 - 6 = 54 > 53
        (band(">=", 0), -0.05, Status.AMBER),  # a target of 0: within 10% of 1
        (band(">=", 0), -0.2, Status.RED),
        (band(">=", 30), None, None),
        (None, 3, None),
    ],
)
def test_status_of_a_value(target, value, expected):
    assert status(value, target) is expected


def test_a_duration_target_is_read_in_the_metric_unit(tmp_path):
    project = load(
        tmp_path,
        """
metric response "Response time" = avg(tickets.response_hours)
  unit "hours"
  target <= 4 hours warn <= 6 hours
""",
    )
    target = project.metrics["response"].decl.target
    assert (target.op, target.value, target.warn.op, target.warn.value) == ("<=", 4, "<=", 6)
    # January (3 + 5) / 2 = 4 hours: green; February 7 hours: past 6, red
    result = project.query(["response"], grain="month", status=True)
    assert result.column("response:status").to_pylist() == ["green", "red"]


def test_a_percentage_target_is_a_fraction(tmp_path):
    project = load(
        tmp_path,
        """
metric email_share = count(tickets where channel == "email") / count(tickets)
  format percent
  target between 40% and 60% warn between 30% and 100%
""",
    )
    target = project.metrics["email_share"].decl.target
    assert (target.value, target.high) == (0.4, 0.6)
    # January 1 of 2 = 50%: green; February 1 of 1 = 100%: amber
    result = project.query(["email_share"], grain="month", status=True)
    assert result.column("email_share:status").to_pylist() == ["green", "amber"]


@pytest.mark.parametrize(
    ("clauses", "message", "marked"),
    [
        (
            "higher is better target >= 40 warn >= 50",
            "the warn band `>= 50` is on the wrong side of the target `>= 40`",
            "warn >= 50",
        ),
        (
            "lower is better target <= 4 warn 3",
            "the warn band `<= 3` is on the wrong side of the target `<= 4`",
            "warn 3",
        ),
        (
            "target between 60 and 80 warn between 65 and 90",
            "the warn band `between 65 and 90` is on the wrong side",
            "warn between 65 and 90",
        ),
        (
            "target >= 40 warn <= 50",
            "the warn band `<= 50` does not go with the target `>= 40`",
            "warn <= 50",
        ),
        ("higher is better warn >= 30", "has a `warn` band but no target", "warn >= 30"),
        (
            "target == 100 warn == 90",
            "the warn band `== 90` does not go with the target `== 100`",
            "warn == 90",
        ),
        (
            "target == 100 warn between 101 and 110",
            "the warn band `between 101 and 110` is on the wrong side",
            "warn between 101 and 110",
        ),
        (
            "target >= 40%",
            "`m` is not a percentage (`format percent`); its target is written as one",
            "target >= 40%",
        ),
        (
            "target <= 4 hours",
            "`m` does not count time (its unit is not given); its target is a duration",
            "target <= 4 hours",
        ),
        (
            "target between 80 and 60",
            "a target range runs from its low end to its high end",
            "target between 80 and 60",
        ),
        (
            "target >= max(tickets.channel)",
            "the target of `m` is string, not a number",
            "max(tickets.channel)",
        ),
        (
            "target >= 4 warn >= max(tickets.response_hours)",
            "a `warn` band is a constant, not read from the data",
            "warn >= max(tickets.response_hours)",
        ),
    ],
)
def test_bands_that_cannot_be_right_are_refused_where_written(tmp_path, clauses, message, marked):
    text = problems(tmp_path, f"\nmetric m = count(tickets)\n  {clauses}\n")
    assert message in text
    assert "t.metrics:" in text  # positioned
    line = next(line for line in text.splitlines() if line.startswith("7 |"))
    caret = next(line for line in text.splitlines() if "^" in line)
    start = caret.index("^")
    assert line[start : start + caret.count("^")] == marked


def test_a_target_on_a_metric_that_is_not_a_number(tmp_path):
    text = problems(tmp_path, "\nmetric m = max(tickets.channel)\n  target >= 3\n")
    assert "metric `m` is string; a target compares numbers" in text


def test_the_terminal_shows_marks_and_the_status_column(tmp_path, capsys):
    load(
        tmp_path,
        """
metric response "Response time" = avg(tickets.response_hours)
  unit "hours"
  target <= 4 hours warn <= 6 hours
""",
    )
    (tmp_path / "tickets.csv").write_text(
        "ticket_id,opened_at,response_hours,channel\n"
        "1,2024-01-10T00:00:00Z,3,email\n2,2024-01-10T00:00:00Z,5,chat\n"
        "3,2024-02-10T00:00:00Z,5.5,email\n",
        encoding="utf-8",
    )
    args = ["query", str(tmp_path), "response", "--grain", "month", "--status", "-q"]
    assert main(args) == 0
    out = capsys.readouterr().out
    # January (3 + 5) / 2 = 4: green; February 5.5: within the band, amber
    assert "hours, target ≤ 4 (warn ≤ 6)" in out
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert "2024-01 │ 4.00 🟢 │ 🟢 green" in lines
    assert "2024-02 │ 5.50 🟡 │ 🟡 amber" in lines
    assert main([*args, "--format", "csv"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv == [
        '"month","response","response:status"',
        '2024-01-01,4,"green"',
        '2024-02-01,5.5,"amber"',
    ]
