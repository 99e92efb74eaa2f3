"""Which included library metrics the project can compute ("pay for what you use").

A library declares no sources: the project declares those its metrics read. An included
library metric reading a source, column or entity the project does not declare is not an
error but *unavailable*, and so is every library metric using it. `check` reports them as
information, per library theme; querying one is an error naming what to declare.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from metricsmith.check.checked import Need, Unavailable
from metricsmith.errors import Diagnostic
from metricsmith.model.bound import BExpr, BMetric, bwalk
from metricsmith.model.decl import MetricDecl


def unavailable_metrics(
    library: Mapping[str, MetricDecl],
    formulas: Mapping[str, BExpr],
    missing: Mapping[str, Iterable[Need]],
) -> dict[str, Unavailable]:
    """The library metrics (`library`, by name) lacking an input: their own (`missing`, as
    the binder recorded it) or that of a metric their formula uses, transitively."""
    needs: dict[str, tuple[set[Need], list[str]]] = {}

    def visit(name: str) -> set[Need]:
        if name in needs or name not in library:  # seen (or a cycle), or the project's own
            return needs.get(name, (set(), []))[0]
        own: set[Need] = set(missing.get(name, ()))
        through: list[str] = []
        needs[name] = (own, through)
        for node in bwalk(formulas[name]):
            if isinstance(node, BMetric) and node.name != name and visit(node.name):
                through.append(node.name)
                own |= needs[node.name][0]
        return own

    for name in library:
        visit(name)
    return {
        name: Unavailable(
            decl=library[name],
            needs=tuple(sorted(own, key=lambda x: x.order)),
            through=tuple(dict.fromkeys(through)),
        )
        for name, (own, through) in needs.items()
        if own
    }


def theme_of(decl: MetricDecl) -> str:
    """`customer_success/support`: the library (folder) and theme (file) declaring a metric."""
    path = Path(decl.span.path)
    return f"{path.parent.name}/{path.stem}"


def availability_notes(
    unavailable: Mapping[str, Unavailable], declared: Iterable[str]
) -> list[Diagnostic]:
    """One information note per library theme with unavailable metrics: what it needs, and
    for how many of its metrics."""
    declared = set(declared)
    counts: dict[str, dict[str, int]] = {}
    for item in unavailable.values():
        per_input = counts.setdefault(theme_of(item.decl), {})
        for label in dict.fromkeys(_input_label(need, declared) for need in item.needs):
            per_input[label] = per_input.get(label, 0) + 1
    return [
        Diagnostic(
            code="library-needs",
            severity="info",
            message=f"{theme}: needs "
            + ", ".join(
                f"{label} (for {n} metric{'s' if n != 1 else ''})"
                for label, n in sorted(per_input.items(), key=lambda x: (-x[1], x[0]))
            ),
            hint="its other metrics work; declare these to use the rest "
            "(`metricsmith list` marks the unavailable ones)",
        )
        for theme, per_input in sorted(counts.items())
    ]


def _input_label(need: Need, declared: set[str]) -> str:
    if need.entity is not None:
        return f"entity `{need.entity}`"
    if need.source in declared:
        return f"column `{need.source}.{need.column}`"
    return f"source `{need.source}`"


def unavailable_problem(item: Unavailable, declared: Iterable[str]) -> Diagnostic:
    """Why a library metric cannot be computed, at its declaration, naming what to declare."""
    declared = set(declared)
    sources: dict[str, list[str]] = {}
    columns, entities = [], []
    for need in item.needs:
        if need.entity is not None:
            entities.append(need.entity)
        elif need.source in declared:
            columns.append(f"`{need.source}.{need.column}`")
        else:
            read = sources.setdefault(need.source, [])
            if need.column:
                read.append(need.column)
    lacking = [f"source `{s}`" for s in sources] + columns + [f"entity `{x}`" for x in entities]
    folder = Path(item.decl.span.path).parent
    todo = []
    for source, read in sources.items():
        documented = documented_columns(folder, source)
        shape = list(dict.fromkeys([*documented, *read])) if documented else read
        todo.append(
            f"declare a source named {source}"
            + (f" with columns {', '.join(shape)}" if shape else "")
        )
    todo += [f"add column {c}" for c in columns]
    todo += [f"declare an entity `{x}` (e.g. `entity {x}_id as {x}`)" for x in entities]
    readme = folder / "README.md"
    documentation = (
        f" (the library's documentation, {folder.name}/README.md, describes each source)"
        if readme.is_file()
        else ""
    )
    return Diagnostic(
        code="unavailable-metric",
        message=f"metric `{item.name}` is unavailable: the project does not declare "
        + ", ".join(lacking)
        + (f" (read by {', '.join(f'`{m}`' for m in item.through)})" if item.through else ""),
        span=item.decl.name.span,
        hint="; ".join(todo) + documentation,
    )


_LINK = re.compile(r"\]\(([^)#]+\.md)(?:#[^)]*)?\)")
_CELL_NAME = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def documented_columns(library: Path, source: str) -> list[str]:
    """The columns a library's documentation gives `source`: in its README or the Markdown
    pages the README links to, the table under a heading naming the source in backquotes
    (`### `tickets` — ...`), first cells, without those marked *optional*. Empty when no
    page documents it."""
    readme = library / "README.md"
    pages = [readme]
    try:
        pages += [(library / link).resolve() for link in _LINK.findall(readme.read_text("utf-8"))]
    except OSError:
        return []
    for page in pages:
        try:
            lines = page.read_text("utf-8").splitlines()
        except OSError:
            continue
        columns = _table_under(lines, f"`{source}`")
        if columns:
            return columns
    return []


def _table_under(lines: list[str], title: str) -> list[str]:
    columns: list[str] = []
    inside = False
    for line in lines:
        if line.startswith("#"):
            if inside:
                break
            inside = title in line.split("—")[0]
        elif inside and line.startswith("|") and "*optional*" not in line:
            first = line.split("|")[1]
            columns += [name for name in _CELL_NAME.findall(first) if name != "column"]
    return columns
