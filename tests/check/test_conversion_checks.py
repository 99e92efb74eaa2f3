"""Conversions and `at` placements written wrong (issue 13, item 1): each problem is a
diagnostic at the text that causes it, with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from metricsmith import ProjectError, load_project

SOURCES = """
parameter days: int = 30
parameter window: duration = 30 days
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}
source subs from csv("subs.csv") {
  entity account_id -> accounts
  time paid_at
}
source loose from csv("subs.csv") {
  time paid_at
}
source contracts from csv("subs.csv") {
  entity account_id -> accounts
  valid from paid_at to paid_at
}
source loose_contracts from csv("subs.csv") {
  entity account_id -> accounts
}
source plans from csv("subs.csv") {
  key channel
}
source typed from csv("subs.csv") {
  key account_id
  time channel
}
"""
ACCOUNTS = "account_id,signed_up_at\na1,2024-01-31T10:00:00Z\n"
SUBS = "account_id,channel,paid_at\na1,web,2024-02-15T00:00:00Z\n"


def diagnostics(tmp_path: Path, metric: str) -> list[tuple[str, int, str, str | None]]:
    """The errors on the metric's line (source `typed` has one of its own, at its time)."""
    (tmp_path / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    (tmp_path / "subs.csv").write_text(SUBS, encoding="utf-8")
    (tmp_path / "m.metrics").write_text(SOURCES + f"metric m = {metric}\n", encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        load_project(tmp_path)
    return [
        (x.code, x.span.column, x.span.text, x.hint)
        for x in caught.value.diagnostics
        if x.severity == "error" and x.span.line == SOURCES.count("\n") + 1
    ]


# Each case: the formula after `metric m = `, the code, and the text the caret is under.
CASES = {
    "a placement by a column that is no time": (
        "count(subs) at channel",
        "bad-placement",
        "channel",
    ),
    "`at` after a window": (
        "count(subs) over last 7 days at paid_at",
        "bad-placement",
        "count(subs) over last 7 days at paid_at",
    ),
    "`at` on a state source": (
        "count(contracts) at accounts.signed_up_at",
        "bad-placement",
        "accounts.signed_up_at",
    ),
    "a window that is no duration": (
        "conversions(accounts -> subs within 30)",
        "bad-conversion",
        "30",
    ),
    "a window of nothing": (
        "conversions(accounts -> subs within 0 days)",
        "bad-conversion",
        "0 days",
    ),
    "a window set by a parameter that is no duration": (
        "conversions(accounts -> subs within $days)",
        "parameter-type",
        "$days",
    ),
    "a window set by an unknown parameter": (
        "conversions(accounts -> subs within $windw)",
        "unknown-parameter",
        "$windw",
    ),
    "sources without the shared entity": (
        "conversions(accounts -> loose within 30 days)",
        "bad-conversion",
        "loose",
    ),
    "a base without a key": (
        "conversions(subs -> subs within 30 days)",
        "bad-conversion",
        "subs",
    ),
    "a base without a time": (
        "conversions(plans -> subs within 30 days)",
        "bad-conversion",
        "plans",
    ),
    "a conversion source without a time": (
        "conversions(accounts -> loose_contracts within 30 days)",
        "bad-conversion",
        "loose_contracts",
    ),
    "a column for a source": (
        "conversions(accounts.signed_up_at -> subs within 1 day)",
        "bad-conversion",
        "accounts.signed_up_at",
    ),
    "an unknown conversion function": (
        "conversion_ratio(accounts -> subs within 30 days)",
        "bad-conversion",
        "conversion_ratio",
    ),
    "a conversion inside a row formula": (
        "count(subs where conversions(accounts -> subs within 1 day) > 0)",
        "bad-conversion",
        "conversions(accounts -> subs within 1 day)",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_conversion_written_wrong_is_a_positioned_problem(tmp_path, case):
    formula, code, text = CASES[case]
    found = diagnostics(tmp_path, formula)
    assert [(c, t) for c, _, t, _ in found] == [(code, text)]
    _, column, _, hint = found[0]
    assert column == len("metric m = ") + 1 + formula.index(text)
    assert hint


def test_a_base_timed_by_a_column_that_is_no_time_is_reported_at_its_time(tmp_path):
    # `time channel` names a string: reported once, at the source, not again here.
    assert diagnostics(tmp_path, "conversions(typed -> subs within 30 days)") == []


def test_a_window_set_by_a_duration_parameter_is_fine(tmp_path):
    assert diagnostics(tmp_path, "conversions(accounts -> subs within $window)") == []
