"""Which child levels over members need only the cells their pass has a row for.

A level over members has a cell for every member at every period (cells.py): the spine
CROSS JOINed with the members, the pass LEFT JOINed to that grid. When every `per` aggregate
the parent reads from the level selects its cells by a `where` that cannot hold in a cell
without rows (`customers > 0`, where `customers` is 0 there), the cells no row lands in
add nothing: the cells can be the pass's rows joined to their members instead, as a
hand-written query works on the placed rows. The customer-success cohorts (`count(per
account where customers > 0 and cohort_start(customers) > 0)`, 111,059 accounts × 12
months): 1.33M cells down to the pass's 511,588; with the cohorts' period placed per member
(members.py) and their customers added up over these cells (`cells_add_up`), DuckDB on one
thread 0.56 → 0.34 s CPU (the hand-written query 0.47 s).

What the fewer cells must not change, and so where this applies:

- every value the parent reads: each `per` aggregate has a `where` that is false or null
  in a cell without rows (`never_in_empty`); the level reads one pass (no running totals,
  no children), so a cell without rows is one whose every leaf is its value over nothing;
- the values read in the cells kept: no offset but `cohort_start` of a leaf (an offset of
  a sparse level is not a number of rows back), and `cohort_start` of a leaf is its value
  over nothing where the cohort's period has no row (formulas.py reads `absent`);
- the parent's units: a parent cell only the child's groups would list (its combos are
  the keys its parts saw, cells.py) keeps its row only when those groups are kept. So the
  parent has no keys, or it is the query's own level showing the range's cohorts only,
  each listed whatever the rows (`Plan.range_cohorts_only`; the child keeps the members of
  those cohorts only); no per-entity dimension (evaluated in cells) is grouped on, and no
  parent aggregate is added up over the cells by a verified contract (rollups.py
  `_in_cells`).

The cells are the pass's rows, placed in the level's periods already: where each period is its
own parent period they need no join to the spine (cells.py `_own_periods`; the cohorts: 511,588
cells joined to 12 months), and the parent's aggregates rolled up from the pass are added up in
the `per` GROUP BY over them (`cells_add_up`; levels.py `_over_sparse_cells`), counting the
cells outside the entity set (rows placed before their member exists) that the `per`
aggregates leave out (combine.py `every_cell`). Where the parent reads the pass through the
cells alone, the pass joins the members itself and groups by their dimensions and entity-set
test as well (scans.py `CarriedMembers`), so the cells are its groups with no join to the
members (the cohorts: DuckDB built that join's hash table on the 511,588 groups).

A member without a cell in its cohort's period reads `cohort_start` of a leaf as the leaf's
value over nothing. Where every `per` aggregate's `where` fails there too, and the totals
added up over the cells are read at their cohort's start alone (where every cell is its own
start), such a member's cells add nothing: the cells are joined to their starts by an inner
join (`started_only`, formulas.py). DuckDB hashes that join on the member's key alone into
an array, as the hand-written cohorts query's join of the same rows (511,588 cells against
85,967 starts: 9 ms of operator time on one thread as a left join, 3 ms as an inner one).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from metricsmith.execute.sql.rollups import Rollup
from metricsmith.model import bound as b
from metricsmith.plan.nodes import FusedAggregate, Level, Pass, PerLevel, Plan, SourceScan
from metricsmith.plugins.functions import AggregateFunction

#: A cell column's value where the level has no cell (the aggregate's value over nothing).
Absent = Mapping[str, int | float | None]

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def rows_only(
    child: PerLevel,
    parent: Level,
    plan: Plan,
    functions: Mapping[str, AggregateFunction],
    sums: bool,
) -> Absent | None:
    """The absent values of the child's leaf columns when the child needs only the cells
    its pass has a row for (see the module), else None. `sums`: whether the parent adds up
    aggregates of its own over the child's cells by a verified contract."""
    level = child.level
    if level.members is None or child.over_periods or child.entity_dimensions or sums:
        return None
    if child.without_rows is not None or level.children or len(level.scans) != 1:
        return None
    physical = level.physical[0]
    if physical.pass_ is not Pass.PLAIN or physical.counts is not None:
        return None
    if parent.entity is not None:
        return None
    if parent.labels and not (parent is plan.top and plan.range_cohorts_only):
        return None
    scan = level.scans[0]
    empties: dict[b.BExpr, int | float | None] = {
        f.leaf: functions[f.aggregate.function].empty for f in scan.aggregates
    }
    for aggregate in child.aggregates:
        per = aggregate.per
        if per.where is None or not never_in_empty(per.where, empties):
            return None
        formulas = [f for f in (per.body, per.where) if f is not None]
        if not all(_reads_cells_kept(f, empties) for f in formulas):
            return None
    return {f.name: functions[f.aggregate.function].empty for f in scan.aggregates}


def never_in_empty(condition: b.BExpr, empties: Mapping[b.BExpr, object]) -> bool:
    """Whether `condition` is false or null wherever every leaf of `empties` is its value
    over nothing: a comparison of such a leaf with a literal that fails there, or a
    conjunction with one such part, or a disjunction of them."""
    if isinstance(condition, b.BBinary):
        if condition.op == "and":
            return never_in_empty(condition.left, empties) or never_in_empty(
                condition.right, empties
            )
        if condition.op == "or":
            return never_in_empty(condition.left, empties) and never_in_empty(
                condition.right, empties
            )
        if condition.op in _COMPARE:
            return _fails(condition, empties)
    return False


def _fails(comparison: b.BBinary, empties: Mapping[b.BExpr, object]) -> bool:
    op, left, right = comparison.op, comparison.left, comparison.right
    if isinstance(left, b.BLiteral):  # `0 < customers` as `customers > 0`
        op, left, right = _MIRRORED[op], right, left
    if left not in empties or not isinstance(right, b.BLiteral):
        return False
    value, literal = empties[left], right.value
    if value is None or literal is None:
        return True  # a comparison with null is null: the cell is not selected
    if isinstance(value, bool) or isinstance(literal, bool):
        return False
    if not isinstance(value, int | float) or not isinstance(literal, int | float):
        return False
    return not _COMPARE[op](value, literal)


def _reads_cells_kept(formula: b.BExpr, empties: Mapping[b.BExpr, object]) -> bool:
    """Whether a formula reads nothing of another cell but `cohort_start` of a leaf."""
    if formula in empties:  # a leaf: what is inside it is read from the rows
        return True
    if isinstance(formula, b.BOffset):
        return formula.unit == "cohort" and formula.operand in empties
    return all(_reads_cells_kept(node, empties) for node in b.bchildren(formula))


def cells_add_up(
    rollup: Rollup,
    scan: SourceScan,
    absent: Absent,
    shown_only: bool,
    functions: Mapping[str, AggregateFunction],
) -> bool:
    """Whether the parent's pass `scan`, rolled up from a sparse child's pass (rollups.py),
    can be added up over the child's cells, in its `per` GROUP BY: they are the pass's groups
    joined to their members, so neither that join (the cohorts: 511,588 groups joined to
    111,059 accounts read once more) nor a grouping of its own is needed. Only when every
    group of the pass names a member — every row does (`Rollup.complete`) or the pass keeps
    the shown cohorts' members' rows only (`shown_only`) — and a cell's value, the group's
    or its value over nothing where the group's is null, adds up to the same total as the
    group's: over nothing null, or 0 for the parent's aggregate as well (a total of nulls is
    the parent's value over nothing, 0)."""
    if not (rollup.complete or shown_only):
        return False
    for fused, column in zip(scan.aggregates, rollup.sources, strict=True):
        empty = absent[column]
        if empty is not None and not (
            empty == 0 and functions[fused.aggregate.function].empty == 0
        ):
            return False
    return True


def started_only(
    child: PerLevel,
    functions: Mapping[str, AggregateFunction],
    totals: Sequence[FusedAggregate],
    parent_formulas: Sequence[b.BExpr],
    kept: Sequence[str],
    parents: np.ndarray | None,
) -> bool:
    """Whether a sparse child's cells (`rows_only`) can leave out, where they read their
    cohort's start, the members without a cell in their cohort's period (see the module):
    every `per` aggregate's `where` is false or null where each `cohort_start` of a leaf in
    it is the leaf's value over nothing (or null, before the cohort's period), and the
    parent's `totals` added up over the cells (`cells_add_up`) are read only where every
    cell added has its start: by `cohort_start` alone in the parent's formulas, not `kept`
    for the parent's own parent, with the child's periods the parent's one for one (a
    parent cell in its cohort's period adds up the child's cells in theirs)."""
    if child.finds_entities:
        return False
    scan = child.level.scans[0]
    empties: dict[b.BExpr, object] = {
        f.leaf: functions[f.aggregate.function].empty for f in scan.aggregates
    }
    for aggregate in child.aggregates:
        where = aggregate.per.where
        if where is None or not never_in_empty(where, _cohort_starts(where, empties)):
            return False
    if not totals:
        return True
    if parents is None or not np.array_equal(parents, np.arange(len(parents))):
        return False
    if any(fused.name in kept for fused in totals):
        return False
    summed: set[b.BExpr] = {fused.leaf for fused in totals}
    return all(_read_at_start(formula, summed) for formula in parent_formulas)


def _cohort_starts(formula: b.BExpr, empties: Mapping[b.BExpr, object]) -> dict[b.BExpr, object]:
    """The `cohort_start` offsets of leaves of `empties` in `formula`, each with its leaf's
    value over nothing."""
    if isinstance(formula, b.BOffset) and formula.unit == "cohort" and formula.operand in empties:
        return {formula: empties[formula.operand]}
    found: dict[b.BExpr, object] = {}
    for node in b.bchildren(formula):
        found.update(_cohort_starts(node, empties))
    return found


def _read_at_start(formula: b.BExpr, leaves: set[b.BExpr]) -> bool:
    """Whether a formula reads `leaves` only as `cohort_start` of one of them."""
    if isinstance(formula, b.BOffset) and formula.unit == "cohort" and formula.operand in leaves:
        return True
    if formula in leaves:
        return False
    if isinstance(formula, b.BPer | b.BAggregate | b.BWindow):
        return True  # another leaf: what is inside it is read at another level
    return all(_read_at_start(node, leaves) for node in b.bchildren(formula))
