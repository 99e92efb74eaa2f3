"""A project including the library needs only the sources of the metrics it queries: with just
`accounts` and `subscriptions`, `check` passes with information notes per theme, the revenue
metrics compute (checked against revenue_oracle.py, plain Python over the sample's CSVs), and
a metric needing more is a positioned error naming what to declare. The project's own metrics
stay strict (docs/language.md, "Including a library")."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import metricsmith
import pytest
from library_support import DEFS, SAME_ROWS, SHAPES, table
from metricsmith.cli import main
from metricsmith.errors import ProjectError, QueryError, UnavailableMetric
from revenue_oracle import DATA_DIR, scorecard

SOURCES = f"""\
include "customer_success"

source accounts from csv("{(DATA_DIR / "accounts.csv").as_posix()}") {{
  key account_id
  time signed_up_at
  column signup_plan = plan
}}

source subscriptions from csv("{(DATA_DIR / "subscriptions.csv").as_posix()}") {{
  key subscription_id
  entity account_id -> accounts
  valid from started_at to ended_at
  column ended_at: timestamp
  column mrr =
    case
      when billing_period == "year" then amount / 12
      when billing_period == "quarter" then amount / 3
      else amount
    end
}}
"""
MILESTONES = f"""
source milestones from csv("{(DATA_DIR / "milestones.csv").as_posix()}") {{
  time reached_at
  entity account_id -> accounts
}}
"""


def _project(tmp_path: Path, text: str = SOURCES) -> Path:
    (tmp_path / "project.metrics").write_text(text, encoding="utf-8")
    return tmp_path / "project.metrics"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> metricsmith.Project:
    return metricsmith.load_project(_project(tmp_path_factory.mktemp("two_sources")))


def test_check_passes_with_a_note_per_theme_needing_more(project):
    notes = {n.message.split(":")[0]: n for n in project.notes}
    assert sorted(notes) == [
        "customer_success/activation",
        "customer_success/engagement",
        "customer_success/health",
        "customer_success/retention",
        "customer_success/support",
        "customer_success/unit_economics",
        "customer_success/voice_of_customer",
    ]
    assert {n.severity for n in project.notes} == {"info"}
    assert notes["customer_success/support"].message == (
        "customer_success/support: needs source `tickets` (for 5 metrics), "
        "source `resolved_tickets` (for 4 metrics)"
    )
    assert notes["customer_success/activation"].message == (
        "customer_success/activation: needs source `milestones` (for 5 metrics)"
    )
    assert {"mrr", "new_mrr", "churned_mrr", "ndr", "customers"} <= set(project.metrics)
    assert {"nps", "tickets_opened", "health_score"} <= set(project.unavailable)
    assert not set(project.metrics) & set(project.unavailable)


def test_revenue_metrics_compute_with_two_sources(project):
    table = project.query(
        ["mrr", "new_mrr", "churned_mrr", "ndr"],
        grain="month",
        start="2024-01-01",
        end="2024-07-01",
    )
    rows = table.to_pylist()
    assert [r["month"] for r in rows] == [dt.date(2024, m, 1) for m in range(1, 7)]
    for row in rows:
        expected = scorecard(row["month"].year, row["month"].month)
        for name in ("mrr", "new_mrr", "churned_mrr", "ndr"):
            assert row[name] == pytest.approx(expected[name]), (row["month"], name)
    # One month by hand, so the oracle itself is pinned: January 2024.
    assert rows[0]["mrr"] == pytest.approx(5249.166666666667)
    assert rows[0]["new_mrr"] == pytest.approx(4679.666666666666)


def test_querying_an_unavailable_metric_names_what_to_declare(project):
    with pytest.raises(UnavailableMetric) as raised:
        project.query(["mrr", "nps"], grain="month")
    problem = raised.value.diagnostic
    assert problem.code == "unavailable-metric"
    assert problem.span.path.endswith("voice_of_customer.metrics")
    assert problem.span.text == "nps"
    assert problem.message == (
        "metric `nps` is unavailable: the project does not declare source `nps_survey` "
        "(read by `promoters`, `detractors`, `nps_responses`)"
    )
    # The columns come from the library's documentation (docs/library/index.md, which the
    # library's README links to) and the formulas.
    assert problem.hint.startswith("declare a source named nps_survey with columns ")
    assert "score" in problem.hint
    assert isinstance(raised.value, QueryError)
    text = str(raised.value)
    assert "voice_of_customer.metrics:31:8: error[unavailable-metric]" in text
    assert "^^^" in text


def test_a_metric_needing_a_source_directly_lists_the_columns_it_reads(project):
    with pytest.raises(UnavailableMetric) as raised:
        project.explain(["tickets_opened"])
    assert raised.value.diagnostic.message == (
        "metric `tickets_opened` is unavailable: the project does not declare source `tickets`"
    )
    assert raised.value.hint.startswith(
        "declare a source named tickets with columns account_id, opened_at"
    )


def test_a_projects_own_metric_reading_an_undeclared_source_is_still_an_error(tmp_path):
    own = SOURCES + "\nmetric survey_count = count(nps_survey)\n"
    with pytest.raises(ProjectError) as raised:
        metricsmith.load_project(_project(tmp_path, own))
    assert [(d.code, d.message) for d in raised.value.diagnostics] == [
        ("unknown-name", "unknown source `nps_survey`")
    ]


def test_a_projects_own_metric_using_an_unavailable_one_is_an_error(tmp_path):
    own = SOURCES + "\nmetric nps_doubled = 2 * nps\n"
    with pytest.raises(ProjectError) as raised:
        metricsmith.load_project(_project(tmp_path, own))
    (problem,) = raised.value.diagnostics
    assert problem.code == "unavailable-metric"
    assert problem.span.text == "nps" and problem.span.path.endswith("project.metrics")


def test_no_follow_on_errors_for_a_missing_source(tmp_path):
    """Missing `milestones` (and others) reports nothing about the library; the project's own
    mistake is the only error."""
    own = SOURCES + "\nmetric typo = count(acounts)\n"
    with pytest.raises(ProjectError) as raised:
        metricsmith.load_project(_project(tmp_path, own))
    assert [(d.code, d.message) for d in raised.value.diagnostics] == [
        ("unknown-name", "unknown source `acounts`")
    ]


def test_a_project_missing_only_milestones(tmp_path):
    """The issue's case: every documented source but `milestones`. The only error is the
    project's own; the library's metrics reading `milestones` are unavailable, noted once."""
    text = re.sub(r"source milestones .*?\n}\n", "", DEFS.read_text(encoding="utf-8"), flags=re.S)
    assert "milestones" not in text
    tables = {name: table(name) for name in SHAPES if name != "milestones"}
    tables |= {alias: tables[original] for alias, original in SAME_ROWS.items()}
    path = _project(tmp_path, text)
    loaded = metricsmith.load_project(path, tables=tables)
    assert [n.render() for n in loaded.notes] == [
        "info[library-needs]: customer_success/activation: needs source `milestones` "
        "(for 5 metrics)\n  = help: its other metrics work; declare these to use the rest "
        "(`metricsmith list` marks the unavailable ones)"
    ]
    assert sorted(loaded.unavailable) == [
        "activated_signups_14d",
        "activation_rate",
        "avg_time_to_first_value_days",
        "onboarding_days",
        "time_to_first_value_days",
    ]
    path.write_text(text + "\nmetric typo = sum(subscriptions.mrrr)\n", encoding="utf-8")
    with pytest.raises(ProjectError) as raised:
        metricsmith.load_project(path, tables=tables)
    assert [(d.code, d.message) for d in raised.value.diagnostics] == [
        ("unknown-name", "`subscriptions` has no column `mrrr`")
    ]


def test_the_seat_metrics_are_optional(tmp_path):
    """Without the `seat_snapshots` snapshot table only the two seat metrics are unavailable;
    the rest of the engagement theme works."""
    text = re.sub(
        r"source seat_snapshots .*?\n}\n", "", DEFS.read_text(encoding="utf-8"), flags=re.S
    )
    assert "seat_snapshots" not in text
    tables = {name: table(name) for name in SHAPES if name != "seat_snapshots"}
    tables |= {alias: tables[original] for alias, original in SAME_ROWS.items()}
    loaded = metricsmith.load_project(_project(tmp_path, text), tables=tables)
    assert sorted(loaded.unavailable) == ["licensed_seats", "seat_utilization"]
    assert [n.message for n in loaded.notes] == [
        "customer_success/engagement: needs source `seat_snapshots` (for 2 metrics)"
    ]
    with pytest.raises(UnavailableMetric, match="does not declare source `seat_snapshots`"):
        loaded.query(["seat_utilization"])


def test_declaring_the_source_makes_its_metrics_available(tmp_path):
    loaded = metricsmith.load_project(_project(tmp_path, SOURCES + MILESTONES))
    assert "activation_rate" in loaded.metrics
    assert not [n for n in loaded.notes if "activation" in n.message]


def test_cli_check_prints_the_notes_and_exits_0(tmp_path, capsys):
    assert main(["check", str(_project(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("no problems found")
    assert "\ninfo[library-needs]: customer_success/support: needs source `tickets`" in out


def test_cli_list_marks_unavailable_metrics(tmp_path, capsys):
    assert main(["list", str(_project(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "Unavailable (" in out
    assert "nps_survey" in out


def test_a_projects_scorecard_listing_an_unavailable_metric_is_an_error(tmp_path):
    own = SOURCES + '\nscorecard board "Board" {\n  section "Voice" { metrics mrr, nps }\n}\n'
    with pytest.raises(ProjectError) as raised:
        metricsmith.load_project(_project(tmp_path, own))
    (problem,) = raised.value.diagnostics
    assert (problem.code, problem.span.text, problem.span.line) == ("unavailable-metric", "nps", 23)


def test_a_projects_scorecard_charting_an_unavailable_metric_is_an_error(tmp_path):
    own = SOURCES + (
        '\nscorecard board "Board" {\n  section "Mix" {\n    metrics mrr\n'
        '    chart stacked "Voice" = nps, mrr\n  }\n}\n'
    )
    with pytest.raises(ProjectError) as raised:
        metricsmith.load_project(_project(tmp_path, own))
    (problem,) = raised.value.diagnostics
    assert (problem.code, problem.span.text, problem.span.line) == ("unavailable-metric", "nps", 25)


def test_cli_query_of_an_unavailable_metric_is_a_positioned_error(tmp_path, capsys):
    path = str(_project(tmp_path))
    assert main(["query", path, "tickets_per_account", "--grain", "month"]) == 1
    err = capsys.readouterr().err
    assert (
        "support.metrics:22:8: error[unavailable-metric]: metric `tickets_per_account` is " in err
    )
    assert "(read by `tickets_opened`)" in err
    assert "= help: declare a source named tickets with columns account_id, opened_at" in err
