"""Rule: a formula, with the formulas it names inlined, nests at most `MAX_NESTING` levels.

Lowering refuses a formula that is too deep as written; this rule catches chains (`m2 = m1 + 1`,
`m3 = m2 + 1`, ...) that grow past the limit only once the engines inline the metrics,
dimensions and derived columns they name. Formulas are keyed by their name, derived columns by
`source.column`; a name is taken to mean every formula it could name, so a depth is never
underestimated. Everything here is iterative: a chain of any length is measured.
"""

from __future__ import annotations

from collections.abc import Mapping

from metricsmith.errors import Diagnostic
from metricsmith.model import expr as e

#: name → (how deep the formula is as written, [(level of a name in it, the formula it names)])
_Shape = tuple[int, list[tuple[int, str]]]


def too_deep(formulas: Mapping[str, e.Expr]) -> tuple[list[Diagnostic], set[str]]:
    """The formulas over the limit, and one problem for each where the limit is first crossed
    (not for every formula built on it)."""
    by_column: dict[str, list[str]] = {}
    for key in formulas:
        by_column.setdefault(key.rsplit(".", 1)[-1], []).append(key)
    shapes = {key: _shape(formula, formulas, by_column) for key, formula in formulas.items()}
    depth = _depths(shapes)
    over = {key for key in formulas if depth[key] > e.MAX_NESTING}
    found = [
        Diagnostic(
            code="too-deep",
            message=f"`{key}` nests {depth[key]} levels deep with the formulas it names; "
            f"formulas nest at most {e.MAX_NESTING} levels",
            span=formulas[key].span,
            hint="compute it in fewer steps, or from fewer intermediate formulas",
        )
        for key in sorted(over)
        if not any(name in over for _, name in shapes[key][1])
    ]
    return found, over


def _shape(
    formula: e.Expr, formulas: Mapping[str, e.Expr], by_column: Mapping[str, list[str]]
) -> _Shape:
    deepest, names = 0, []
    stack = [(formula, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, e.Name):
            dotted = node.dotted
            targets = [dotted] if dotted in formulas else by_column.get(node.parts[-1], [])
            names += [(level, target) for target in targets]
        stack += [(child, level + 1) for child in e.children(node)]
    return deepest, names


def _depths(shapes: Mapping[str, _Shape]) -> dict[str, int]:
    """Depth-first over the names, with an explicit stack; a name met again while it is being
    measured is a cycle (another rule reports it) and counts as one level."""
    depth: dict[str, int] = {}
    for root in shapes:
        stack, open_ = [(root, False)], set()
        while stack:
            key, finished = stack.pop()
            if key in depth or (not finished and key in open_):
                continue
            own, names = shapes[key]
            if finished:
                open_.discard(key)
                inlined = (level - 1 + depth.get(name, 1) for level, name in names)
                depth[key] = max([own, *inlined])
                continue
            open_.add(key)
            stack.append((key, True))
            stack += [(name, False) for _, name in names if name not in depth]
    return depth
