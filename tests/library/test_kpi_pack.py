"""The customer-success library as an installed KPI pack: found through its entry point,
included by name or by theme, listed by `metricsmith plugins` and `metricsmith list`, and
usable by a company that has only the sources its revenue metrics read."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import metricsmith
import pytest
from library_support import SHAPES, library_project, subscription, table, utc
from metricsmith import ProjectError
from metricsmith.cli import main
from metricsmith.registry import get_registry
from metricsmith_customer_success import LIBRARY

THEMES = (
    "activation",
    "engagement",
    "health",
    "retention",
    "revenue",
    "support",
    "unit_economics",
    "voice_of_customer",
)
#: What a company with accounts and subscriptions declares to use the revenue theme; the
#: retention theme it reads needs renewals too.
REVENUE_SOURCES = """
calendar { timezone "UTC"  week_start monday }

include customer_success.revenue

source accounts from csv("data/accounts.csv") {
  key account_id
  time signed_up_at
}
source subscriptions from csv("data/subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
  column mrr = amount
}
source renewals from csv("data/renewals.csv") {
  time due_at
  entity account_id -> accounts
}
"""


def write_project(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sources.metrics").write_text(text)
    return folder


def revenue_project(folder: Path):
    accounts = table(
        "accounts",
        [{"account_id": a, "signed_up_at": utc(2023, 12, 1)} for a in ("a", "b", "c")],
    )
    subscriptions = table(
        "subscriptions",
        [
            subscription("a", 100, utc(2023, 12, 1)),  # stays
            subscription("b", 50, utc(2023, 12, 1), utc(2024, 1, 15)),  # churns in January
            subscription("c", 80, utc(2024, 1, 10)),  # new in January
        ],
    )
    return metricsmith.load_project(
        write_project(folder, REVENUE_SOURCES),
        tables={
            "accounts": accounts,
            "subscriptions": subscriptions,
            "renewals": table("renewals"),
        },
    )


def test_the_pack_is_found_through_its_entry_point() -> None:
    entry_points = importlib.metadata.entry_points(group="metricsmith", name="customer_success")
    (entry_point,) = entry_points
    assert entry_point.dist is not None
    assert entry_point.dist.name == "metricsmith-customer-success"
    (pack,) = [p for p in get_registry().packs if p.name == "customer_success"]
    assert Path(pack.folder) == LIBRARY
    assert pack.provenance.distribution == "metricsmith-customer-success"
    assert pack.provenance.version == importlib.metadata.version("metricsmith-customer-success")
    assert pack.themes == THEMES


def test_include_by_name_brings_every_theme() -> None:
    project = library_project()  # tests/library/defs: include "customer_success"
    origins = project.metric_origins
    assert {origin.split(".")[1] for origin in origins.values()} == set(THEMES)
    assert len(project.metrics) == 120


def test_include_one_theme_brings_the_themes_it_reads(tmp_path: Path) -> None:
    project = revenue_project(tmp_path / "p")
    themes = {origin for origin in project.metric_origins.values()}
    # revenue reads paying_customers from retention; nothing else comes in.
    assert themes == {"customer_success.revenue", "customer_success.retention"}


@pytest.mark.parametrize(
    ("include", "message", "hint"),
    [
        ("include customer_succes", "no metric library `customer_succes`", "`customer_success`"),
        (
            "include customer_success.revenu",
            "the `customer_success` library has no theme `revenu`",
            "did you mean `revenue`?",
        ),
        ('include "customer_sucess"', "nothing to include at `customer_sucess`", "did you mean"),
    ],
)
def test_an_unknown_pack_or_theme_is_a_positioned_error(
    tmp_path: Path, include: str, message: str, hint: str
) -> None:
    folder = write_project(tmp_path / "p", f"# a project\n{include}\n")
    with pytest.raises(ProjectError) as caught:
        metricsmith.load_project(folder)
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.message) == ("bad-include", message)
    assert problem.span is not None and problem.span.line == 2
    assert problem.hint is not None and hint in problem.hint


def test_revenue_metrics_with_accounts_and_subscriptions_only(tmp_path: Path) -> None:
    project = revenue_project(tmp_path / "p")
    rows = project.query(
        ["mrr", "new_mrr", "churned_mrr", "ndr"], grain="month", start="2024-01", end="2024-02"
    ).to_pylist()
    (january,) = rows
    assert (january["mrr"], january["new_mrr"], january["churned_mrr"]) == (180, 80, 50)
    assert january["ndr"] == pytest.approx(100 / 150)


def test_plugins_shows_each_pack_with_its_version_and_themes(capsys) -> None:
    main(["plugins"])
    out = capsys.readouterr().out
    section = out[out.index("Metric libraries") :]
    line = next(x for x in section.splitlines() if x.startswith("customer_success "))
    version = importlib.metadata.version("metricsmith-customer-success")
    assert f"metricsmith-customer-success {version}" in line
    assert ", ".join(THEMES) in line


def test_list_shows_where_each_metric_comes_from(tmp_path: Path, capsys) -> None:
    folder = write_project(tmp_path / "p", REVENUE_SOURCES)
    (folder / "data").mkdir()
    for name in ("accounts", "subscriptions", "renewals"):
        (folder / "data" / f"{name}.csv").write_text(",".join(SHAPES[name]) + "\n")
    (folder / "own.metrics").write_text(
        'metric big_accounts = count(accounts where account_id == "a")\n'
    )
    assert main(["list", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()

    def origin(metric: str) -> str:
        return next(x for x in lines if x.startswith(f"{metric} ")).split()[1]

    assert origin("mrr") == "customer_success.revenue"
    assert origin("paying_customers") == "customer_success.retention"
    assert origin("big_accounts") == "own.metrics"


def test_an_unquoted_name_is_always_the_pack_never_a_path(tmp_path: Path) -> None:
    """A folder beside the file with the pack's name is what a quoted include reads; the
    unquoted name still means the installed pack."""
    (tmp_path / "customer_success").mkdir()
    (tmp_path / "customer_success" / "revenue.metrics").write_text("metric local_one = 1\n")
    (tmp_path / "quoted.metrics").write_text('include "customer_success"\n')
    assert set(metricsmith.load_project(tmp_path / "quoted.metrics").metrics) == {"local_one"}
    (tmp_path / "unquoted.metrics").write_text(REVENUE_SOURCES)
    empty = {name: table(name) for name in ("accounts", "subscriptions", "renewals")}
    project = metricsmith.load_project(tmp_path / "unquoted.metrics", tables=empty)
    assert "mrr" in project.metrics and "local_one" not in project.metrics


def test_a_confined_project_may_include_a_theme_by_name(tmp_path: Path) -> None:
    folder = write_project(tmp_path / "p", REVENUE_SOURCES)
    (folder / "data").mkdir()
    for name in ("accounts", "subscriptions", "renewals"):
        (folder / "data" / f"{name}.csv").write_text(",".join(SHAPES[name]) + "\n")
    project = metricsmith.load_project(folder, confine=True)
    assert project.metric_origins["mrr"] == "customer_success.revenue"
