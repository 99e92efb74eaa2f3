"""Metric libraries (KPI packs) by name.

A plugin ships a library as a folder of `.metrics` files; the folder's name is the library's
and each file is one of its themes. `include customer_success` brings every theme,
`include customer_success.revenue` one theme (which includes, by relative path, the themes it
reads).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from metricsmith.check.paths import is_definition_file
from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import Diagnostic
from metricsmith.model.span import Span


def themes(folder: Path) -> tuple[str, ...]:
    """A library's themes: the names of its `.metrics` files."""
    return tuple(sorted(p.stem for p in folder.glob("*.metrics") if is_definition_file(p)))


def is_library_name(target: str, libraries: Mapping[str, Path]) -> bool:
    """Whether `target` names a library or one of its themes (rather than a path)."""
    return target.partition(".")[0] in libraries


def library_target(target: str, span: Span, libraries: Mapping[str, Path]) -> Path | Diagnostic:
    """The folder (or theme file) `name` or `name.theme` names, or why it names nothing."""
    name, _, theme = target.partition(".")
    folder = libraries.get(name)
    if folder is None:
        known = ", ".join(f"`{n}`" for n in sorted(libraries)) or "none is installed"
        suggestion = did_you_mean(name, libraries)
        return Diagnostic(
            code="bad-include",
            message=f"no metric library `{name}`",
            span=span,
            hint=(f"{suggestion} " if suggestion else "")
            + f"installed libraries: {known}; a KPI pack is a plugin (`metricsmith plugins` "
            "lists them), e.g. pip install metricsmith-customer-success",
        )
    if not theme:
        return folder
    # The theme's file, found by its exact name among the folder's as `themes` finds them,
    # without checking every theme's (a project loaded again includes several themes).
    file = f"{theme}.metrics"
    if file in os.listdir(folder) and is_definition_file(folder / file):
        return folder / file
    available = themes(folder)
    suggestion = did_you_mean(theme, available)
    return Diagnostic(
        code="bad-include",
        message=f"the `{name}` library has no theme `{theme}`",
        span=span,
        hint=(f"{suggestion} " if suggestion else "") + f"its themes: {', '.join(available)}",
    )


def origin(path: str, libraries: Sequence[str], project: Path) -> str:
    """Where a definition comes from: `library.theme` for a library's file, else its file's
    path relative to the project (`metricsmith list`)."""
    file = Path(path).resolve()
    for folder in libraries:
        if file.parent == Path(folder).resolve():
            return f"{Path(folder).name}.{file.stem}"
    root = project.resolve()
    # An included file outside the project's folder reads `../shared/kpis.metrics`.
    return os.path.relpath(file, root if root.is_dir() else root.parent)
