"""`override`: a project adapting the metrics of a library it includes, and the library's
namespace (`kpis.opened` always names the library's own definition).

The tiny library `kpis` (a folder the project includes by path) counts tickets; the project
declares the sources. Tickets: January 3 (2 by email), February 2 (1 by email).
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from metricsmith import load_project
from metricsmith.cli import main
from metricsmith.errors import ProjectError
from metricsmith.plugins.hookspecs import hookimpl

ROOT = Path(__file__).resolve().parents[2]
#: The first example of docs/language.md's "override" section.
LANGUAGE_EXAMPLE = (
    (ROOT / "docs" / "language.md")
    .read_text(encoding="utf-8")
    .split("## override: adapting an included metric")[1]
    .split("```")[1]
)
LIBRARY = """\
metric opened "Tickets opened" = count(tickets)
  description "Tickets opened in the period."
  format integer
  lower is better
  target <= 10

metric by_email = count(tickets where channel == "email")

metric email_share "Share by email" = by_email / opened
  format percent
"""
SOURCES = """\
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
}

source tickets from csv("tickets.csv") {
  key ticket_id
  time opened_at
  entity account_id -> accounts
}
"""
ACCOUNTS = """\
account_id,plan,signed_up_at
a1,free,2023-12-01T00:00:00Z
a2,pro,2023-12-15T00:00:00Z
"""
TICKETS = """\
ticket_id,account_id,opened_at,channel
t1,a1,2024-01-03T09:00:00Z,email
t2,a2,2024-01-10T09:00:00Z,email
t3,a2,2024-01-20T09:00:00Z,chat
t4,a2,2024-02-02T09:00:00Z,email
t5,a1,2024-02-14T09:00:00Z,chat
"""
RANGE = {"grain": "month", "start": "2024-01-01", "end": "2024-03-01"}


def write_project(tmp_path: Path, company: str) -> Path:
    """`tmp_path/kpis` (the library) and `tmp_path/project`, which includes it and adds
    `company` to its definitions."""
    (tmp_path / "kpis").mkdir(exist_ok=True)
    (tmp_path / "kpis" / "tickets.metrics").write_text(LIBRARY)
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "sources.metrics").write_text('include "../kpis"\n' + SOURCES)
    (project / "accounts.csv").write_text(ACCOUNTS)
    (project / "tickets.csv").write_text(TICKETS)
    (project / "company.metrics").write_text(company)
    return project


def problems(project: Path) -> list[str]:
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    return [d.render() for d in caught.value.diagnostics if d.severity == "error"]


def column(project: Path, metric: str) -> list:
    return load_project(project).query([metric], **RANGE).column(metric).to_pylist()


def test_an_override_changes_only_the_clauses_it_writes(tmp_path):
    project = load_project(
        write_project(tmp_path, 'override opened target <= 2  label "Tickets (our goal)"\n')
    )
    opened = project.metrics["opened"]
    assert (opened.decl.label, opened.decl.target.op, opened.decl.target.value) == (
        "Tickets (our goal)",
        "<=",
        2,
    )
    assert (opened.decl.format, opened.decl.direction) == ("integer", "lower")
    assert opened.decl.description == "Tickets opened in the period."
    assert (opened.origin, opened.overrides) == ("kpis", ("label", "target"))
    # The library's own definition keeps its name, qualified.
    assert project.metrics["kpis.opened"].decl.target.value == 10
    assert project.metrics["email_share"].origin == "kpis"
    assert project.metrics["email_share"].overrides == ()


def test_every_presentation_clause_can_be_overridden(tmp_path):
    company = """\
override email_share "Email share" = by_email / opened
  description "Our definition."  unit "share"  format number  higher is better  target 0.5
"""
    decl = load_project(write_project(tmp_path, company)).metrics["email_share"].decl
    assert (decl.label, decl.description, decl.unit, decl.format, decl.direction) == (
        "Email share",
        "Our definition.",
        "share",
        "number",
        "higher",
    )
    assert (decl.target.op, decl.target.value) == (">=", 0.5)


def test_a_bare_target_follows_the_librarys_direction(tmp_path):
    project = load_project(write_project(tmp_path, "override opened target 3\n"))
    assert project.metrics["opened"].decl.target.op == "<="


def test_a_formula_override_is_seen_by_the_metrics_using_the_name(tmp_path):
    # Tickets of paying accounts only: January 2, February 1.
    company = 'override opened = count(tickets where accounts.plan != "free")\n'
    project = write_project(tmp_path, company)
    assert column(project, "opened") == [2, 1]
    # The library's email_share divides by the project's `opened`: (2 / 2, 1 / 1).
    assert column(project, "email_share") == [1.0, 1.0]
    # ... and the qualified name is the library's, with its presentation kept on the override.
    assert column(project, "kpis.opened") == [3, 2]
    assert load_project(project).metrics["opened"].decl.label == "Tickets opened"


def test_a_qualified_name_names_the_librarys_metric_in_formulas(tmp_path):
    company = "override opened = by_email\nmetric all_tickets = kpis.opened + 0\n"
    assert column(write_project(tmp_path, company), "all_tickets") == [3, 2]
    # Not overridden, a qualified name is the metric itself.
    assert column(write_project(tmp_path, "metric twice = 2 * kpis.by_email\n"), "twice") == [4, 2]


def test_check_notes_each_override_and_list_shows_where_metrics_come_from(tmp_path, capsys):
    project = write_project(tmp_path, "override opened target <= 2\n")
    assert main(["check", str(project)]) == 0
    err = capsys.readouterr().err
    assert "company.metrics:1:10: info[overridden]: `opened` overrides `kpis.opened`: target" in err
    assert main(["list", str(project)]) == 0
    out = capsys.readouterr().out
    assert "../kpis/tickets.metrics, overridden: target" in out


def test_the_query_table_shows_the_overridden_target(tmp_path, capsys):
    project = write_project(tmp_path, "override opened target <= 2\n")
    args = ["query", str(project), "opened", "kpis.opened", "--grain", "month"]
    assert main([*args, "--from", "2024-01", "--to", "2024-03"]) == 0
    out = capsys.readouterr().out
    assert "target ≤ 2" in out and "target ≤ 10" in out


def test_unknown_override_suggests_an_included_metric(tmp_path):
    (found,) = problems(write_project(tmp_path, "override opend target <= 2\n"))
    assert "company.metrics:1:10: error[unknown-override]" in found
    assert "did you mean `opened`?" in found


def test_overriding_the_projects_own_metric_is_refused(tmp_path):
    company = "metric mine = count(accounts)\noverride mine target >= 1\n"
    (found,) = problems(write_project(tmp_path, company))
    assert "company.metrics:2:10: error[override-own-metric]" in found


def test_overriding_twice_is_refused_where_the_second_is_written(tmp_path):
    company = 'override opened target <= 2\noverride opened label "Tickets"\n'
    (found,) = problems(write_project(tmp_path, company))
    assert "company.metrics:2:10: error[duplicate-override]" in found
    assert "already overridden at" in found and "company.metrics:1:10" in found


def test_an_override_of_another_type_is_refused_at_its_formula(tmp_path):
    company = "override opened = count(tickets) > 2\n"
    (found,) = problems(write_project(tmp_path, company))
    assert "company.metrics:1:19: error[override-type]" in found
    assert "the override of `opened` is of type boolean; the library's is integer" in found


def test_a_project_metric_with_a_librarys_name_is_told_to_override(tmp_path):
    (found,) = problems(write_project(tmp_path, "metric opened = count(accounts)\n"))
    assert "error[duplicate-name]" in found
    assert "override opened" in found


def test_a_file_included_by_path_takes_its_folders_name(tmp_path):
    project = write_project(tmp_path, "")
    (project / "sources.metrics").write_text('include "../kpis/tickets.metrics"\n' + SOURCES)
    assert load_project(project).metrics["opened"].origin == "kpis"


def test_a_library_included_by_name_takes_its_name(tmp_path):
    project = write_project(tmp_path, "override opened target <= 2\n")
    (tmp_path / "kpis").rename(tmp_path / "pack")
    (project / "sources.metrics").write_text('include "pack"\n' + SOURCES)
    shipped = str(tmp_path / "pack")
    plugin = types.SimpleNamespace(
        __name__="pack_plugin", metricsmith_metric_libraries=hookimpl(lambda: [shipped])
    )
    loaded = load_project(project, plugins=[plugin])
    assert loaded.metrics["opened"].origin == "pack"
    assert loaded.query(["pack.opened"], **RANGE).column("pack.opened").to_pylist() == [3, 2]


# ---- the customer-success library ------------------------------------------------------------


@pytest.fixture(scope="module")
def company_project(tmp_path_factory) -> Path:
    """The sample's sources, the customer-success pack included by name, and a company's
    override of `nps`'s target."""
    folder = tmp_path_factory.mktemp("company")
    sample = ROOT / "metric_defs" / "sample"
    text = (sample / "sources.metrics").read_text(encoding="utf-8")
    text = text.replace('csv("data/', f'csv("{(sample / "data").as_posix()}/')
    (folder / "sources.metrics").write_text(text, encoding="utf-8")
    (folder / "goals.metrics").write_text(LANGUAGE_EXAMPLE, encoding="utf-8")
    # What the library's daily-summed churn rate is, built on the overridden churn rate.
    (folder / "check.metrics").write_text(
        "metric expected_daily = sum(per day: paid_customer_churn_rate)\n", encoding="utf-8"
    )
    return folder


def test_the_language_pages_example_overrides_nps_and_churn(company_project):
    assert "override nps" in LANGUAGE_EXAMPLE
    project = load_project(company_project)
    nps = project.metrics["nps"]
    assert (nps.decl.label, nps.decl.target.value, nps.overrides) == (
        "NPS (company goal)",
        40,
        ("label", "target"),
    )
    names = [
        "customer_churn_rate_incl_free",
        "paid_customer_churn_rate",
        "customer_success.customer_churn_rate_incl_free",
        "customer_churn_rate_incl_free_daily_summed",
        "expected_daily",
    ]
    table = project.query(names, grain="quarter", start="2024-01-01", end="2025-01-01")
    ours, paid, library, daily, expected = (table.column(n).to_pylist() for n in names)
    assert ours == paid and ours != library
    # The library's metric built on `customer_churn_rate_incl_free` sees the project's version.
    assert daily == expected


def test_a_company_overriding_nps_target_sees_it_in_the_table(company_project, capsys):
    args = ["query", str(company_project), "nps", "customer_success.nps", "--grain", "quarter"]
    assert main([*args, "--from", "2024-01", "--to", "2024-07"]) == 0
    out = capsys.readouterr().out
    assert "NPS (company goal)" in out and "target ≥ 40" in out
    assert "Net Promoter Score" in out and "target ≥ 30" in out


def test_a_scorecard_and_explain_show_the_project_version(tmp_path):
    company = """\
override opened = count(tickets where channel == "email")  target <= 2

scorecard review { grain month  periods 2  metrics opened, email_share }
"""
    project = load_project(write_project(tmp_path, company))
    view = project.scorecard("review", end="2024-03-01")
    (opened,) = (m for m in view.metrics if m.name == "opened")
    assert opened.target_text() == "≤ 2"
    assert view.values.column("opened").to_pylist() == [2, 1]
    assert view.values.column("email_share").to_pylist() == [1.0, 1.0]
    assert 'channel == "email"' in project.explain(["opened"], grain="month")
    assert 'channel == "email"' not in project.explain(["kpis.opened"], grain="month")


@pytest.mark.parametrize("engine", ["arrow", "duckdb"])
def test_a_qualified_name_nothing_overrides_is_the_same_metric(company_project, engine):
    """`customer_success.mrr` (not overridden) names `mrr` itself: the API's result labels it
    (once an internal error: its view was looked up under the qualified name) and the
    engines agree."""
    project = load_project(company_project)
    query = {"grain": "quarter", "start": "2024-01-01", "end": "2024-07-01", "engine": engine}
    qualified = project.query(["customer_success.mrr"], **query)
    plain = project.query(["mrr"], **query)
    assert qualified == plain.to_arrow()
    assert "MRR" in qualified._repr_html_()
    assert main(["query", str(company_project), "customer_success.mrr", "--grain", "quarter"]) == 0
