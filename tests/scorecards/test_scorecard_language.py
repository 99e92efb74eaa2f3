"""The `scorecard` declaration: what it reads as, and every problem the checker reports in
one, each at its position."""

from __future__ import annotations

import re
from pathlib import Path

import metricsmith
import pytest
from metricsmith import ProjectError
from metricsmith.dsl.parser import parse_source
from metricsmith.model import decl as d
from metricsmith.model.decl import ChartKind, Comparison
from metricsmith.model.span import SourceFile
from metricsmith.model.time import Grain
from sales_project import SCORECARD, SOURCES, write_project

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "metric_defs" / "sample"


def problems(tmp_path: Path, definitions: str) -> list[str]:
    """The first line of each diagnostic loading the tiny project with `definitions` gives."""
    folder = write_project(tmp_path, definitions)
    with pytest.raises(ProjectError) as caught:
        metricsmith.load_project(folder)
    return [x.render().splitlines()[0].split(": ", 1)[1] for x in caught.value.diagnostics]


def test_the_declaration_as_written():
    module, found = parse_source(SourceFile("x.metrics", SCORECARD))
    assert found == []
    monthly, by_segment = module.decls
    assert isinstance(monthly, d.ScorecardDecl)
    assert (monthly.name.name, monthly.label, monthly.periods) == ("monthly", "Monthly sales", 3)
    assert monthly.grain is not None and monthly.grain.name == "month"
    assert [c.name for c in monthly.comparisons] == ["previous", "same_period_last_year"]
    assert [s.title for s in monthly.sections] == ["Sales", "Cohorts"]
    (bridge,) = monthly.sections[0].charts
    assert (bridge.kind.name, bridge.title, bridge.total.name) == ("waterfall", "Bridge", "revenue")
    assert (bridge.span.line, bridge.span.column) == (9, 5)
    # Metrics outside any section form a first section titled after the scorecard.
    assert [(s.title, [m.name for m in s.metrics]) for s in by_segment.sections] == [
        ("Sales by segment", ["revenue"])
    ]
    assert by_segment.grain is None and by_segment.periods == 2


def test_the_checked_scorecard(sales):
    project = metricsmith.load_project(sales)
    info = project.scorecards["monthly"]
    assert (info.title, info.grain, info.periods) == ("Monthly sales", Grain.MONTH, 3)
    assert info.comparisons == (Comparison.PREVIOUS, Comparison.SAME_PERIOD_LAST_YEAR)
    assert info.metrics == ("revenue", "deals_won", "lost")
    assert [c.kind for c in info.charts] == [ChartKind.WATERFALL, ChartKind.HEATMAP]
    defaults = project.scorecards["by_segment"]
    assert (defaults.grain, defaults.comparisons) == (Grain.MONTH, (Comparison.PREVIOUS,))
    assert [label for label, _ in defaults.by] == ["accounts.segment"]


def test_every_problem_in_one_run(tmp_path):
    found = problems(
        tmp_path,
        """
scorecard a {
  grain weak
  compare previous, last_year
  by accounts.segmnt, segment_name
  metrics revenue, revenu
  chart waterfall "Bridge" = revenue - lost -> closing
  chart pie "Share" = revenue
  chart stacked "Mix" = revenue
  chart heatmap "Cohorts" = buyers by accounts.segment, age
}
scorecard a { metrics revenue }
scorecard empty "Nothing" { description "no metric" }
""",
    )
    assert found == [
        "error[bad-scorecard]: unknown grain `weak` for scorecard `a`",
        "error[bad-scorecard]: unknown comparison `last_year`",
        "error[unknown-name]: `accounts` has no column `segmnt`",
        "error[unknown-name]: unknown dimension `segment_name` in scorecard `a`",
        "error[unknown-name]: unknown metric `revenu` in scorecard `a`",
        "error[unknown-name]: unknown metric `closing` in scorecard `a`",
        "error[bad-chart]: unknown chart `pie`",
        "error[bad-chart]: chart `Mix` does not have the shape of a stacked chart",
        "error[bad-chart]: the heat map `Cohorts` counts ages from `accounts.segment`, which is "
        "not a cohort",
        "error[duplicate-name]: scorecard `a` is already defined as a scorecard at "
        f"{tmp_path / 'defs.metrics'}:{SOURCES.count(chr(10)) + 2}:11",
        "error[bad-scorecard]: scorecard `empty` lists no metric",
    ]


def test_hints_name_the_closest_words(tmp_path):
    folder = write_project(
        tmp_path,
        "scorecard a { grain weak compare prevous metrics revenu\n"
        'chart stacke "S" = revenue, lost }',
    )
    with pytest.raises(ProjectError) as caught:
        metricsmith.load_project(folder)
    hints = [x.hint for x in caught.value.diagnostics]
    assert hints == [
        "did you mean `week`?",
        "did you mean `previous`?",
        "did you mean `revenue`?",
        "did you mean `stacked`?",
    ]


def test_no_same_period_last_year_at_week_grain(tmp_path):
    found = problems(
        tmp_path, "scorecard w { grain week compare same_period_last_year metrics revenue }"
    )
    assert found == [
        "error[bad-scorecard]: scorecard `w` is by week: no week lines up with the same period "
        "last year"
    ]


@pytest.mark.parametrize(
    ("chart", "kind"),
    [
        ('waterfall "W" = revenue, lost', "waterfall"),  # a list, not a sum
        ('waterfall "W" = revenue + lost', "waterfall"),  # no total
        ('waterfall "W" = revenue * lost -> revenue', "waterfall"),
        ('waterfall "W" = -revenue + lost -> revenue', "waterfall"),  # starts going down
        ('stacked "S" = revenue, lost -> revenue', "stacked"),
        ('stacked "S" = revenue + lost, lost', "stacked"),
        ('heatmap "H" = buyers by cohort(accounts.signed_up_at, month)', "heatmap"),
        ('heatmap "H" = buyers, revenue by cohort(accounts.signed_up_at, month), age', "heatmap"),
    ],
)
def test_charts_of_the_wrong_shape(tmp_path, chart, kind):
    found = problems(tmp_path, f"scorecard c {{ metrics revenue chart {chart} }}")
    title = re.search(r'"(.)"', chart).group(1)
    assert found == [f"error[bad-chart]: chart `{title}` does not have the shape of a {kind} chart"]


def test_clauses_are_set_once_and_periods_are_bounded(tmp_path):
    found = problems(tmp_path, "scorecard c { grain month grain week periods 0 metrics revenue }")
    assert found == [
        "error[duplicate-clause]: scorecard `c` sets `grain` twice",
        "error[out-of-range]: a scorecard shows from 1 to 1,000 periods, not 0",
    ]


def test_a_syntax_error_in_a_scorecard_names_its_clauses(tmp_path):
    found = problems(tmp_path, "scorecard c { metric revenue }")
    assert found == [
        "error[syntax]: unexpected `metric`; expected a scorecard clause (description, grain, "
        "periods, compare, by, section), a section's contents (metrics, chart) or `}`"
    ]


def test_the_documented_example_checks_against_the_sample(tmp_path):
    """docs/language.md's scorecard, with the sample project's metrics."""
    page = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    section = page.split("\n## scorecard\n", 1)[1]
    example = re.search(r"^```\n(scorecard .*?)^```\n", section, flags=re.M | re.S).group(1)
    renamed = example.replace("scorecard monthly_cs", "scorecard documented", 1)
    (tmp_path / "example.metrics").write_text(
        f'include "{SAMPLE.as_posix()}"\n{renamed}', encoding="utf-8"
    )
    project = metricsmith.load_project(tmp_path / "example.metrics")
    documented = project.scorecards["documented"]
    assert [s.title for s in documented.sections] == [
        "Voice of the customer",
        "Revenue",
        "Health",
        "Retention",
    ]
    assert [c.kind for c in documented.charts] == [
        ChartKind.WATERFALL,
        ChartKind.STACKED,
        ChartKind.HEATMAP,
    ]
