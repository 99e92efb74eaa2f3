"""A level's formulas over its cells.

A leaf (an aggregate, a windowed aggregate, a `per` aggregate) is its cell column. An offset
`m[-k]` is LAG(m, k) over the cells of the same unit in period order (the cells are dense, so
k rows back is k periods back); `cohort_start(m)` is the value of the unit's cell in its
cohort's period. Both are window functions, and SQL does not nest window functions: an offset
of a formula that holds offsets itself (`growth(m)[-1]`) is computed one stage later, each
stage a CTE over the previous one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from attrs import frozen
from sqlglot import exp

from metricsmith.execute.sql.dialects import SqlDialect, number
from metricsmith.execute.sql.expressions import ExpressionCompiler
from metricsmith.execute.sql.names import COHORT_PERIOD, LevelNames
from metricsmith.execute.sql.spine import PERIOD
from metricsmith.model import bound as b
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
    keys: tuple[str, ...]
    leaves: dict[b.BExpr, str]
    grain: str | None
    dialect: SqlDialect
    timezone: str
    week_start: int
    functions: object


def formula_ctes(
    names: LevelNames, formulas: Sequence[Formula], context: FormulaContext
) -> list[tuple[str, exp.Select]]:
    """The stages computing the formulas' offsets, then the results (named `names.results`):
    the carried columns and one column per formula."""
    offsets = _offset_depths(formulas)
    columns = {node: f"o{i}" for i, node in enumerate(offsets)}
    ctes = []
    source = names.cells
    for depth in range(1, max(offsets.values(), default=0) + 1):
        compiler = _compiler(context, columns, source)
        computed = [
            exp.alias_(_window(node, compiler, context, source), columns[node])
            for node, found in offsets.items()
            if found == depth
        ]
        every = exp.Column(this=exp.Star(), table=exp.to_identifier(source))
        ctes.append((names.stage(depth), exp.select(every, *computed).from_(source)))
        source = names.stage(depth)
    compiler = _compiler(context, columns, source)
    outputs = [exp.column(name, table=source) for name in context.carried]
    for formula in formulas:
        value = compiler.typed(compiler.compile(formula.node), formula.type)
        outputs.append(exp.alias_(value, formula.column))
    ctes.append((names.results, exp.select(*outputs).from_(source)))
    return ctes


def _compiler(
    context: FormulaContext, columns: dict[b.BOffset, str], table: str
) -> ExpressionCompiler:
    """Compiles over `table` (the cells, or the last stage), where the offsets of earlier
    stages are columns."""

    def leaf(node: b.BExpr) -> exp.Expression:
        return exp.column(context.leaves[node], table=table)

    def offset(node: b.BOffset) -> exp.Expression:
        return exp.column(columns[node], table=table)

    return ExpressionCompiler(
        context.dialect,
        context.timezone,
        context.week_start,
        leaf,
        context.functions,
        offset,
    )


def _window(
    node: b.BOffset, compiler: ExpressionCompiler, context: FormulaContext, table: str
) -> exp.Expression:
    value = compiler.compile(node.operand)
    partition = [exp.column(key, table=table) for key in context.keys]
    period = exp.column(PERIOD, table=table)
    if node.unit == "cohort":
        at_start = exp.EQ(this=period, expression=exp.column(COHORT_PERIOD, table=table))
        spread = exp.Max(this=exp.Case().when(at_start, value))
        return exp.Window(this=spread, partition_by=partition)
    shift = offset_shift(node, context.grain, "")
    order = exp.Order(expressions=[exp.Ordered(this=period)])
    lag = exp.Lag(this=value, offset=number(shift))
    return exp.Window(this=lag, partition_by=partition, order=order)


def _offset_depths(formulas: Sequence[Formula]) -> dict[b.BOffset, int]:
    """Every offset of the formulas at this level, with how deeply offsets nest in it (1:
    no offset inside), in the order met."""
    depths: dict[b.BOffset, int] = {}

    def depth(node: b.BExpr) -> int:
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


def uses_cohort_start(formulas: Sequence[Formula]) -> bool:
    return any(
        node.unit == "cohort" for node in _offset_depths(formulas) if isinstance(node, b.BOffset)
    )
