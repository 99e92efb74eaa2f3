"""A level's formulas over its cells.

A leaf (an aggregate, a windowed aggregate, a `per` aggregate) is its cell column, except a
leaf computed from ranges (ranges.py), whose column holds changes: its value is their running
total along the unit's periods. An offset `m[-k]` is LAG(m, k) over the cells of the same unit
in period order (the cells are dense, so k rows back is k periods back) — of a running total,
the total up to k periods back. Both are window functions, and SQL does not nest window
functions: an offset of a formula that holds window functions itself (`growth(m)[-1]`) is
computed one stage later, each stage a CTE over the previous one.

`cohort_start(m)` is the value of the unit's cell in its cohort's period (null before it),
computed in the same stages but as a lookup rather than a window: the stage's cells in their
cohort's period, one row per unit, joined back to every cell of the unit. A window
partitioned by unit spreading that one value sorts or partitions every cell (DuckDB, the
customer-success cohorts on one thread: 1.44 s of 5.0 s for 2.4M cells; the join 0.1 s).
For the same reason, at a level over members an offset of a leaf is a cell column joined
from the leaf's part at the earlier period (`lags`, cells.py `Lagged`), not a window.
And an offset of a running count over all time that is only compared with 0
(`paid_to_date[-1] == 0`) is whether the member's first change above 0 came by then
(`counted_tests`, cells.py `Counted`): a lookup per member instead of a running total, so
that the other offsets can be joins too (DuckDB, the revenue scorecard: no window function
left; the SQL alone 1.56 -> 1.30 s of CPU).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from attrs import field, frozen
from sqlglot import exp

from metricsmith.execute.sql.cells import Counted, Lagged, Part
from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.execute.sql.expressions import ExpressionCompiler
from metricsmith.execute.sql.names import COHORT_PERIOD, LevelNames
from metricsmith.execute.sql.spine import PERIOD
from metricsmith.model import bound as b
from metricsmith.model.time import CalendarRules, Grain
from metricsmith.model.types import Type
from metricsmith.plan.offsets import offset_shift


@frozen
class Formula:
    """A formula evaluated in every cell of a level, as the column `column`."""

    column: str
    node: b.BExpr
    type: Type


@frozen
class FormulaContext:
    """What compiling a level's formulas needs: the columns the results keep as they are
    (period, keys, ...), the key columns partitioning offsets, which cell column holds each
    leaf, the level's grain, and how calls and literals compile."""

    carried: tuple[str, ...]
    #: The leaf columns holding changes whose running totals are the values.
    running: frozenset[str]
    keys: tuple[str, ...]
    #: Whether a key can be null (false at a level over members, whose key is the entity:
    #: a unit's cells are then found by plain equality, as its parts are, cells.py).
    nullable_keys: bool
    leaves: dict[b.BExpr, str]
    grain: Grain | None
    dialect: SqlDialect
    timezone: str
    rules: CalendarRules
    functions: object
    #: The offsets the cells hold as columns (`lags`, `counted_tests`).
    lagged: Mapping[b.BExpr, str] = field(factory=dict)
    #: At a level computing only the cells its pass has a row for (sparse.py), each leaf
    #: column's value where there is no cell; None at a level with every cell.
    absent: Mapping[str, int | float | None] | None = None
    #: At such a level, whether a cell whose unit has no cell in its cohort's period is
    #: left out where the cohort's start is read (sparse.py `started_only`).
    only_started: bool = False
    #: At a level over members whose cells start at each member's first period that can
    #: hold rows (`reads_before_first`), each leaf column's value over nothing: an offset
    #: reaching before a member's first cell reads it (None: the cells reach back far enough).
    before_first: Mapping[str, int | float | None] | None = None


def lags(
    formulas: Sequence[Formula],
    leaves: Mapping[b.BExpr, str],
    parts: Sequence[Part],
    grain: Grain | None,
    counted: Mapping[b.BExpr, Counted],
) -> dict[b.BExpr, Lagged]:
    """The offsets of the formulas (at a level over members) read from a part joined at the
    earlier period: offsets of leaves that keyed parts hold as they are (not as changes to
    add up, nor with another level's value where they have no row). Only when that leaves
    no window function at all (the `counted` offsets are cell columns): where the cells are
    sorted for a running total or another offset anyway, `LAG` shares that sort (DuckDB,
    the revenue scorecard with its running count: the joins made the query 15% slower)."""
    holders = {
        name: (part, empty)
        for part in parts
        if part.keyed and part.without_rows is None
        for name, empty in part.values
    }
    running = {name for part in parts for name in part.running}
    found: dict[b.BExpr, Lagged] = {}
    windows = False

    def visit(node: b.BExpr) -> None:
        nonlocal windows
        if node in counted:
            return
        if leaves.get(node) in running:
            windows = True
        if isinstance(node, b.BOffset):
            column = leaves.get(node.operand)
            shift = 0 if grain is None else offset_shift(node, grain, "")
            if column in holders and column not in running and shift > 0:
                part, empty = holders[column]
                found[node] = Lagged(f"{column}_back_{shift}", part.table, column, empty, shift)
                return
            windows = True
        for child in _level_children(node):
            visit(child)

    for formula in formulas:
        visit(formula.node)
    return {} if windows else found


#: The comparisons whose answer for a number at least 0 is the same for 1 in its place
#: when it is above 0: against 0, any of them.
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


def counted_tests(
    formulas: Sequence[Formula],
    leaves: Mapping[b.BExpr, str],
    parts: Sequence[Part],
    grain: Grain | None,
) -> dict[b.BExpr, Counted]:
    """The offsets of the formulas (at a level over members) of a running count over all
    time (a part's `counts`) whose every use is a comparison with the number 0: such a
    count is never below 0, so each comparison answers the same for 1 in place of any
    count above 0 — for whether the member's count rose above 0 by then (cells.py
    `Counted`)."""
    holders = {name: part for part in parts for name in part.counts}
    compared: dict[b.BExpr, None] = {}  # in the order met, for a stable SQL text
    other: set[b.BExpr] = set()

    def candidate(node: b.BExpr) -> bool:
        return (
            isinstance(node, b.BOffset)
            and node.unit != "cohort"
            and leaves.get(node.operand) in holders
        )

    def visit(node: b.BExpr) -> None:
        if isinstance(node, b.BBinary) and node.op in _COMPARISONS:
            sides = (node.left, node.right), (node.right, node.left)
            for side, against in sides:
                if candidate(side) and _is_zero(against):
                    compared[side] = None
                    return
        if candidate(node):
            other.add(node)
            return
        for child in _level_children(node):
            visit(child)

    for formula in formulas:
        visit(formula.node)
    found: dict[b.BExpr, Counted] = {}
    for node in compared:
        assert isinstance(node, b.BOffset)
        column = leaves[node.operand]
        shift = 0 if grain is None else offset_shift(node, grain, "")
        if node not in other and shift > 0:
            name = f"{column}_counted_{shift}_back"
            found[node] = Counted(name, holders[column].table, column, shift)
    return found


def _is_zero(node: b.BExpr) -> bool:
    return isinstance(node, b.BLiteral) and type(node.value) in (int, float) and node.value == 0


def reads_before_first(
    formulas: Sequence[Formula], leaves: Mapping[b.BExpr, str], parts: Sequence[Part]
) -> dict[str, int | float | None] | None:
    """Each leaf column's value over nothing, when every offset of the formulas (at a level
    over members) is of a leaf one of `parts` holds, or of one of their running totals:
    where no row of `parts` is placed before a member's first cell (by a verified contract,
    the level's own scans' rows come after the member exists; else the cells start at their
    first change, levels.py), such an offset reaching before that cell reads that value, so
    the cells need not start `reach` periods before the member exists (DuckDB, the revenue
    scorecard: 2.50M cells instead of 2.70M, 6% less CPU, with the contracts or without).
    None when some offset is of anything else (a formula, or a cohort's start): its cells
    are kept."""
    holders = {
        name: empty
        for part in parts
        if part.keyed and part.without_rows is None
        for name, empty in part.values
    }
    running = {name for part in parts for name in part.running}
    readable = True

    def visit(node: b.BExpr) -> None:
        nonlocal readable
        if isinstance(node, b.BOffset):
            column = leaves.get(node.operand)
            # A running total is 0 before its first change already (`_running`).
            if node.unit == "cohort" or (column not in holders and column not in running):
                readable = False
            return
        for child in _level_children(node):
            visit(child)

    for formula in formulas:
        visit(formula.node)
    return holders if readable else None


def formula_ctes(
    names: LevelNames, formulas: Sequence[Formula], context: FormulaContext
) -> list[tuple[str, exp.Select]]:
    """The stages computing the formulas' window functions, then the results (named
    `names.results`): the carried columns and one column per formula."""
    offsets = _window_depths(formulas, context)
    columns = {node: f"o{i}" for i, node in enumerate(offsets)}
    ctes = []
    source = names.cells
    for depth in range(1, max(offsets.values(), default=0) + 1):
        compiler = _compiler(context, columns, source)
        found = [node for node, at in offsets.items() if at == depth]
        starts = [node for node in found if _is_cohort_start(node)]
        computed = [
            exp.alias_(_window(node, compiler, context, source), columns[node])
            for node in found
            if node not in starts
        ]
        every = exp.Column(this=exp.Star(), table=exp.to_identifier(source))
        stage = exp.select(every, *computed).from_(source)
        if starts:
            table = names.starts(depth)
            ctes.append((table, _starts(starts, compiler, columns, context, source)))
            started = [_started(n, columns[n], source, table, context) for n in starts]
            stage = stage.select(*started)
            join = "inner" if context.only_started else "left"
            stage = stage.join(table, on=_same_unit(context, source, table), join_type=join)
        ctes.append((names.stage(depth), stage))
        source = names.stage(depth)
    compiler = _compiler(context, columns, source)
    outputs: list[exp.Expr] = [exp.column(name, table=source) for name in context.carried]
    for formula in formulas:
        value = compiler.typed(compiler.compile(formula.node), formula.type)
        outputs.append(exp.alias_(value, formula.column))
    ctes.append((names.results, exp.select(*outputs).from_(source)))
    return ctes


def _compiler(
    context: FormulaContext, columns: dict[b.BExpr, str], table: str
) -> ExpressionCompiler:
    """Compiles over `table` (the cells, or the last stage), where the window functions of
    earlier stages are columns."""

    def leaf(node: b.BExpr) -> exp.Expression:
        return exp.column(columns.get(node) or context.leaves[node], table=table)

    def offset(node: b.BOffset) -> exp.Expression:
        return exp.column(columns.get(node) or context.lagged[node], table=table)

    return ExpressionCompiler(
        context.dialect,
        context.timezone,
        context.rules,
        leaf,
        context.functions,
        offset,
    )


def _is_cohort_start(node: b.BExpr) -> bool:
    return isinstance(node, b.BOffset) and node.unit == "cohort"


def _starts(
    nodes: Sequence[b.BExpr],
    compiler: ExpressionCompiler,
    columns: dict[b.BExpr, str],
    context: FormulaContext,
    table: str,
) -> exp.Select:
    """Each unit's cell in its cohort's period (at most one: a unit has one cell a period),
    with the values `cohort_start(...)` of `nodes` read there."""
    outputs: list[exp.Expr] = [exp.column(key, table=table) for key in context.keys]
    outputs.append(exp.column(COHORT_PERIOD, table=table))
    for node in nodes:
        assert isinstance(node, b.BOffset)
        outputs.append(exp.alias_(compiler.compile(node.operand), columns[node]))
    at_start = exp.EQ(
        this=exp.column(PERIOD, table=table), expression=exp.column(COHORT_PERIOD, table=table)
    )
    return exp.select(*outputs).from_(table).where(at_start)


def _started(
    node: b.BExpr, column: str, cells: str, starts: str, context: FormulaContext
) -> exp.Expr:
    """The cohort's start read in a cell: null before the cohort's own period (a negative
    age), where the cohort has not started. At a sparse level (`FormulaContext.absent`)
    a unit without a cell in its cohort's period reads the leaf's value there (`node` is
    `cohort_start` of a leaf: sparse.py), unless such a unit's cells are left out
    (`FormulaContext.only_started`)."""
    started = exp.GTE(
        this=exp.column(PERIOD, table=cells), expression=exp.column(COHORT_PERIOD, table=cells)
    )
    value: exp.Expr = exp.column(column, table=starts)
    if context.absent is not None and not context.only_started:
        assert isinstance(node, b.BOffset), "a cohort's start is an offset"
        empty = context.absent[context.leaves[node.operand]]
        if empty is not None:
            value = exp.Coalesce(this=value, expressions=[number(empty)])
    return exp.alias_(exp.Case().when(started, value), column)


def _same_unit(context: FormulaContext, cells: str, starts: str) -> exp.Expr:
    """The cells of `cells` and the row of `starts` of the same unit. The cohort period is
    one per unit: beside null-safe key tests, a plain equality of it lets PostgreSQL hash
    the join instead of comparing every cell with every start (a nested loop). A member's
    key is never null and is compared alone, which lets DuckDB look an integer key up in
    an array for an inner join (sparse.py) rather than hash two columns."""
    if not context.nullable_keys:
        (key,) = context.keys
        return exp.EQ(this=exp.column(key, table=cells), expression=exp.column(key, table=starts))
    same = [
        exp.NullSafeEQ(this=exp.column(key, table=cells), expression=exp.column(key, table=starts))
        for key in context.keys
    ]
    period = exp.column(COHORT_PERIOD, table=cells), exp.column(COHORT_PERIOD, table=starts)
    return exp.and_(exp.EQ(this=period[0], expression=period[1]), *same)


def _window(
    node: b.BExpr, compiler: ExpressionCompiler, context: FormulaContext, table: str
) -> exp.Expression:
    partition = [exp.column(key, table=table) for key in context.keys]
    period = exp.column(PERIOD, table=table)
    if not isinstance(node, b.BOffset):  # a running total
        return _running(node, 0, partition, period, context, table)
    if _is_running(node.operand, context) and node.unit != "cohort":
        shift = offset_shift(node, context.grain, "")
        total = _running(node.operand, shift, partition, period, context, table)
        return exp.Case().when(exp.GTE(this=period, expression=number(shift)), total)
    value = compiler.compile(node.operand)
    shift = offset_shift(node, context.grain, "")
    order = exp.Order(expressions=[exp.Ordered(this=period)])
    lag = exp.Lag(this=value, offset=number(shift))
    window: exp.Expression = exp.Window(this=lag, partition_by=partition, order=order)
    empty = None
    if context.before_first is not None:
        empty = context.before_first.get(context.leaves.get(node.operand, ""))
    if empty is None:
        return window
    # Before the member's first cell, in the level: its value over nothing (`LAG`'s own
    # default would need the column's type on PostgreSQL; the column is never null, its
    # part's value coalesced in the cells). Before the level's first period: unknown.
    read = exp.Coalesce(this=window, expressions=[number(empty)])
    return exp.Case().when(exp.GTE(this=period.copy(), expression=number(shift)), read)


def _running(
    leaf: b.BExpr,
    back: int,
    partition: Sequence[exp.Expression],
    period: exp.Expression,
    context: FormulaContext,
    table: str,
) -> exp.Expression:
    """The running total of a leaf's changes up to `back` periods before each cell. One
    period back is the total up to the cell less the cell's own change: a frame ending at
    the current row is one streaming pass, one ending a row earlier is not (DuckDB: 0.2 s of
    the revenue benchmark's 2.4 s on one thread)."""
    column = exp.column(context.leaves[leaf], table=table)
    upto = "CURRENT ROW" if back <= 1 else number(back)
    end = {"end": upto} if back <= 1 else {"end": upto, "end_side": "PRECEDING"}
    frame = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", **end)
    order = exp.Order(expressions=[exp.Ordered(this=period)])
    total: exp.Expression = exp.Window(
        this=exp.Sum(this=column), partition_by=partition, order=order, spec=frame
    )
    if back == 1:
        own = exp.Coalesce(this=column.copy(), expressions=[number(0)])
        total = exp.Sub(this=total, expression=own)
    return context.dialect.cast(exp.Coalesce(this=total, expressions=[number(0)]), "bigint")


def _is_running(node: b.BExpr, context: FormulaContext) -> bool:
    column = context.leaves.get(node)
    return column is not None and column in context.running


def _window_depths(formulas: Sequence[Formula], context: FormulaContext) -> dict[b.BExpr, int]:
    """Every window function of the formulas at this level — offsets and running totals —
    with how deeply they nest (1: none inside; an offset of a running total is one window
    function), in the order met."""
    depths: dict[b.BExpr, int] = {}

    def depth(node: b.BExpr) -> int:
        if node in context.lagged:  # a cell column
            return 0
        if _is_running(node, context) or (
            isinstance(node, b.BOffset)
            and node.unit != "cohort"
            and _is_running(node.operand, context)
        ):
            depths[node] = 1
            return 1
        deepest = max((depth(child) for child in _level_children(node)), default=0)
        if isinstance(node, b.BOffset):
            depths[node] = max(depths.get(node, 0), deepest + 1)
            return depths[node]
        return deepest

    for formula in formulas:
        depth(formula.node)
    return depths


def _level_children(node: b.BExpr) -> Iterator[b.BExpr]:
    """A node's children evaluated at its level: none inside a leaf or a `per` body."""
    if isinstance(node, b.BPer | b.BAggregate | b.BWindow):
        return iter(())
    return iter(b.bchildren(node))
