"""The library's files as definitions: one file per theme, no sources of their own, every
metric described and documented, every source it reads documented with its columns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from library_support import SHAPES, library_project
from metricsmith.dsl.parser import parse_file
from metricsmith.model.decl import CalendarDecl, MetricDecl, SourceDecl
from metricsmith_customer_success import LIBRARY as PACK

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = PACK
DOCS = ROOT / "docs" / "library"
THEMES = (
    "voice_of_customer",
    "revenue",
    "retention",
    "engagement",
    "support",
    "activation",
    "unit_economics",
    "health",
)


def metrics_of(theme: str) -> list[MetricDecl]:
    module, problems = parse_file(LIBRARY / f"{theme}.metrics")
    assert not problems and module is not None
    return [decl for decl in module.decls if isinstance(decl, MetricDecl)]


def test_one_file_per_theme_and_nothing_else() -> None:
    assert sorted(p.stem for p in LIBRARY.glob("*.metrics")) == sorted(THEMES)


@pytest.mark.parametrize("theme", THEMES)
def test_the_library_declares_no_sources_and_no_calendar(theme: str) -> None:
    module, _ = parse_file(LIBRARY / f"{theme}.metrics")
    assert not [d for d in module.decls if isinstance(d, SourceDecl | CalendarDecl)]


@pytest.mark.parametrize("theme", THEMES)
def test_every_metric_is_labelled_described_and_directed(theme: str) -> None:
    for metric in metrics_of(theme):
        name = metric.name.name
        assert metric.label and metric.description, name
        assert metric.unit or metric.format, name
        assert metric.direction in ("higher", "lower"), name


@pytest.mark.parametrize("theme", THEMES)
def test_every_metric_has_a_section_in_its_theme_page(theme: str) -> None:
    page = (DOCS / f"{theme}.md").read_text(encoding="utf-8")
    for metric in metrics_of(theme):
        assert f"`{metric.name.name}`" in page, f"docs/library/{theme}.md: {metric.name.name}"


def test_the_index_documents_every_source_and_links_every_theme() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for source in [*SHAPES, "resolved_tickets", "users"]:
        assert f"`{source}`" in index, source
    for theme in THEMES:
        assert f"({theme}.md)" in index, theme
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([a-z_]+\.md)(?:#[^)]*)?\)", page.read_text()):
            assert (DOCS / target).exists(), f"{page.name} links to missing {target}"


def test_the_documented_shapes_check_against_the_whole_library() -> None:
    """Empty tables of the documented shapes are enough for every library metric to check."""
    project = library_project()
    names = {metric.name.name for theme in THEMES for metric in metrics_of(theme)}
    assert names <= set(project.metrics)
    assert "health_band" in project.dimensions
