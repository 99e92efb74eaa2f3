"""The entities of a `per` over a source with a key (DESIGN §4.5), as SQL.

One row per row of the source: its key as the entity, its row-dimension values, whether it
passes the query's filters, and — when the source has a time column — the instant it exists
from. An entity is in a cell's entity set when it passes the filters and exists by the end of
the cell's period (`time < end`; an entity without a time never does), as in the Arrow
executor (execute/arrow/members.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlglot import exp

from metricsmith.execute.sql.names import ENTITY, dimension_column
from metricsmith.execute.sql.scans import ScanCompiler
from metricsmith.execute.sql.spine import PERIOD_END, LevelSpine
from metricsmith.plan.nodes import EntityMembers, Plan, SourceRead, SourceScan

if TYPE_CHECKING:
    from metricsmith.execute.sql.compiler import Compilation

PASSES, SINCE = "member_passes", "member_since"


def members_select(
    plan: Plan,
    members: EntityMembers,
    reads: Mapping[str, SourceRead],
    compilation: Compilation,
) -> exp.Select:
    # The members' rows are read like a scan's: the same aliases, links and row formulas.
    rows = SourceScan(
        source=members.source,
        time=None,
        dimensions=members.dimensions,
        filters=members.filters,
        joins=members.joins,
        aggregates=(),
    )
    scanner = ScanCompiler(plan, rows, reads, compilation)
    key = exp.column(members.key, table=members.source, quoted=True)
    outputs = [exp.alias_(key, ENTITY)]
    outputs += [
        exp.alias_(scanner.rows.compile(d), dimension_column(i))
        for i, d in enumerate(members.dimensions)
    ]
    passes = [scanner.rows.compile(f) for f in members.filters]
    if members.time is not None:
        since = scanner.time_value(members.time)
        outputs.append(exp.alias_(since, SINCE))
        passes.append(exp.Not(this=exp.Is(this=since, expression=exp.Null())))
    condition = exp.and_(*passes) if passes else exp.true()
    outputs.append(exp.alias_(exp.Coalesce(this=condition, expressions=[exp.false()]), PASSES))
    query = exp.select(*outputs).from_(scanner.root())
    for join in members.joins:
        query = query.join(scanner.joined(join), on=scanner.join_condition(join), join_type="left")
    return query


def in_set(members: EntityMembers, table: str, spine: LevelSpine) -> exp.Expression:
    """Whether the entity of a cell (members in `table`, periods in `spine`) is in its set."""
    passes = exp.column(PASSES, table=table)
    if members.time is None:
        return passes
    since = exp.column(SINCE, table=table)
    return exp.and_(passes, exp.LT(this=since, expression=spine.column(PERIOD_END)))
