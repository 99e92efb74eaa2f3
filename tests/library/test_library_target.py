"""A library's theme is a `.metrics` file of its folder named exactly so (check/libraries.py):
`library_target` finds it without listing every theme, and names the themes when it is not."""

from __future__ import annotations

from pathlib import Path

from metricsmith.check.libraries import library_target, themes
from metricsmith.errors import Diagnostic
from metricsmith.model.span import BUILTIN, Span

SPAN = Span(BUILTIN, 1, 1, 1, 1)


def library(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "pack"
    (folder / "nested").mkdir(parents=True)
    (folder / "revenue.metrics").write_text("")
    (folder / "nested" / "hidden.metrics").write_text("")
    (folder / "folder.metrics").mkdir()  # not a file: no theme
    (folder / "notes.txt").write_text("")
    (folder / "linked.metrics").symlink_to(folder / "notes.txt")  # reaches a file named otherwise
    return {"pack": folder}


def test_a_theme_is_its_file(tmp_path):
    libraries = library(tmp_path)
    assert themes(libraries["pack"]) == ("revenue",)
    assert library_target("pack.revenue", SPAN, libraries) == libraries["pack"] / "revenue.metrics"
    assert library_target("pack", SPAN, libraries) == libraries["pack"]


def test_only_a_themes_file_is_one(tmp_path):
    libraries = library(tmp_path)
    for theme in ("Revenue", "nested/hidden", "folder", "linked", "notes"):
        found = library_target(f"pack.{theme}", SPAN, libraries)
        assert isinstance(found, Diagnostic), theme
        assert found.message == f"the `pack` library has no theme `{theme}`"
        assert "its themes: revenue" in (found.hint or "")
