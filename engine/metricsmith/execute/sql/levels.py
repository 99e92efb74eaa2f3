"""A plan's level tree as common table expressions, level by level (plan/nodes.py `Level`).

For each level, children first (their results are combined into this level's cells):

    <l>spine            the level's periods (spine.py)
    <l>spine_ends       the level's period ends as a lookup table, when there are too many
    <l>spine_window_<j>_starts  for a CASE tree (positions.py); the same for window starts
    <l>scan_<i>         one grouped pass per scan (scans.py); a windowed pass of counts and
                        integer sums sums the changes of <l>scan_<i>_rows instead (ranges.py)
    <l>scan_<i>_openings what an all-time window's counts shared with <l>scan_<i> add in the
                        first period, per member (ranges.py, scans.py)
    <l>first_changes    where each member's running totals first change (members.py)
    <l>member_rows      where the members are grouped, their rows (members.py)
    <l>members          the entities of a `per` over a source with a key (members.py)
    <l>combos           the units of a level without members (cells.py)
    <l>cells            periods x units, every part's values (cells.py)
    <l>offsets_<k>      window functions nested k deep (formulas.py)
    <l>results          the level's formulas per cell (formulas.py)
    <l>per              a child level's `per` aggregates per parent cell (combine.py)

The query's own level has no prefix; the levels below it are numbered `l1_`, `l2_`, ...
Each level computes the periods the plan resolved for it (plan/timeline.py): a child those
its parent reads it at, sub-periods for `per day`, and the earlier periods its own offsets
read.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
import numpy as np
from sqlglot import exp

from metricsmith.execute.sql import ranges
from metricsmith.execute.sql.aggregates import AggregateCompiler
from metricsmith.execute.sql.cells import (
    CohortPeriod,
    Counted,
    Part,
    RangeCohorts,
    cells,
    combinations,
    key_columns,
)
from metricsmith.execute.sql.combine import (
    body_column,
    entity_dimension_column,
    per_select,
    per_values,
    shared_by_units,
    where_column,
)
from metricsmith.execute.sql.dialects import SqlDialect
from metricsmith.execute.sql.formulas import (
    Formula,
    FormulaContext,
    counted_tests,
    formula_ctes,
    lags,
    reads_before_first,
)
from metricsmith.execute.sql.kinds import kind_of
from metricsmith.execute.sql.members import (
    EXISTS_FROM,
    Pruning,
    first_changes,
    first_counts,
    first_counts_table,
    members_select,
    shown_members,
)
from metricsmith.execute.sql.names import (
    COHORT_PERIOD,
    ENTITY,
    IN_SET,
    SEEN,
    LevelNames,
    dimension_column,
)
from metricsmith.execute.sql.positions import Boundaries
from metricsmith.execute.sql.rollups import (
    Rollup,
    aligned,
    cell_sums,
    find_rollups,
    rollup_select,
    total,
)
from metricsmith.execute.sql.scans import CarriedMembers, ScanCompiler, ShownCohorts
from metricsmith.execute.sql.sparse import Absent, cells_add_up, rows_only, started_only
from metricsmith.execute.sql.spine import LABEL, PARENT_PERIOD, PERIOD, LevelSpine, spine
from metricsmith.model.time import WindowKind
from metricsmith.model.types import type_of_arrow
from metricsmith.plan.nodes import (
    FusedAggregate,
    Level,
    Pass,
    PerLevel,
    Plan,
    ScanPhysical,
    SourceScan,
)
from metricsmith.plan.timeline import LevelTimeline
from metricsmith.plugins.functions import Additive

if TYPE_CHECKING:
    from metricsmith.execute.sql.compiler import Compilation


class LevelCompiler:
    """Collects the CTEs of every level of one plan, in an order each can read the ones
    before it."""

    def __init__(self, plan: Plan, compilation: Compilation):
        self.plan = plan
        self.compilation = compilation
        self.reads = {read.source: read for read in plan.reads}
        self.ctes: list[tuple[str, exp.Expression]] = []
        #: The CTEs of the levels' members, which some engines materialise, with the name
        #: of their rows' CTE where they are grouped (compiler.py, dialects.py).
        self.members: dict[str, str] = {}
        self._numbers = itertools.count(1)
        #: The lookup tables already among the CTEs.
        self._lookups: set[str] = set()
        self.cohort_label = (
            None if plan.cohort_dimension is None else plan.dimensions[plan.cohort_dimension]
        )

    def level(
        self,
        level: Level,
        level_spine: LevelSpine,
        names: LevelNames,
        formulas: Sequence[Formula],
        cohort_period: bool = False,
        pruned: bool = False,
        rolled_up: frozenset[int] = frozenset(),
        kept: tuple[str, ...] = (),
        absent: Absent | None = None,
        only_started: bool = False,
        members_carried: bool = False,
    ) -> None:
        """Adds the level's CTEs, ending with `names.results`: the period (with its label at
        the top, the parent period below it), the keys, the entity set and cohort period
        where the level has them, and a column per formula. `cohort_period` asks for the
        cohort period even when no formula reads a cohort's start (ages do). `pruned`: whether
        a level over members computes only the cells that can matter (`PerLevel.prunes`).
        `rolled_up`: the scans (by index) the parent rolls up, which keep the rows naming
        no entity (rollups.py); `kept`: cell columns the results keep for the parent to add
        up (rollups.py `from_cells`); `absent`: where a level over members computes only
        the cells its pass has a row for (sparse.py), each cell column's value elsewhere;
        `only_started`: whether those cells read their cohort's start only where they have
        one (sparse.py `started_only`); `members_carried`: whether those cells' pass carries
        their members (scans.py `CarriedMembers`)."""
        compilation = self.compilation
        plan = self.plan
        dialect = compilation.dialect
        self.ctes.append((names.spine, spine(level_spine, dialect)))
        functions = compilation.aggregate_functions
        scalars = compilation.scalar_functions
        rollups = find_rollups(level, level_spine.resolved, functions, self._entity_kind, scalars)
        children = []
        for number, (child, resolved) in enumerate(
            zip(level.children, level_spine.resolved.children, strict=True)
        ):
            rolled = frozenset(
                r.child_scan for r in rollups.values() if r.child == number and r.keeps_unnamed
            )
            bounds = level_spine.timeline.bounds
            sums = cell_sums(rollups, number, level.scans)
            elsewhere = rows_only(child, level, plan, functions, bool(sums))
            started = carries = False
            if elsewhere is not None:
                rollups = self._over_sparse_cells(rollups, number, child, level, elsewhere)
                sums = cell_sums(rollups, number, level.scans)
                totals = [fused for _, fused in sums]
                nodes = [formula.node for formula in formulas]
                parents = resolved.parents
                started = started_only(child, functions, totals, nodes, kept, parents)
                # The child's pass keeps its members' rows only where the parent reads it
                # through the cells alone (rollup_select adds up the rows of no member too).
                carries = all(r.from_cells for r in rollups.values() if r.child == number)
            children.append(
                self._child(
                    child, level, resolved, bounds, rolled, sums, elsewhere, started, carries
                )
            )
        parts = [part for part, _ in children]
        scan_parts = []
        entity_kind = self._entity_kind(level)
        shown = self._shown_cohorts(level)
        # At a level over members the scans group by entity alone: they keep the rows of the
        # shown cohorts' members instead, by a join to those members, or to the members
        # (of those cohorts only) where the pass carries them.
        rows_shown, members_shown = shown, None
        members = None
        if members_carried:
            dimensions = tuple(dimension_column(i) for i in range(len(level.labels)))
            members = CarriedMembers(names.members, dimensions, EXISTS_FROM)
        if shown is not None and level.members is not None:
            rows_shown = None
            if members is None:
                members_shown = names.shown_members
                body = shown_members(plan, level.members, self.reads, compilation, shown)
                self.ctes.append((members_shown, body))

        def scanner_of(scan: SourceScan, keeps_unnamed: bool) -> ScanCompiler:
            return ScanCompiler(
                plan,
                scan,
                self.reads,
                compilation,
                level_spine,
                entity_kind,
                rows_shown,
                members_shown,
                keeps_unnamed,
                members,
            )

        held: list[tuple[str, exp.Expression]] = []
        for index, (scan, physical) in enumerate(zip(level.scans, level.physical, strict=True)):
            if physical.pass_ == Pass.COUNTED:
                continue  # counted in its sibling's pass
            keeps = index in rolled_up
            if physical.counts is not None:
                counted = level.scans[physical.counts], level.physical[physical.counts]
                part = self._shared(scan, counted, index, names, scanner_of, keeps)
                scan_parts.append(part)
                continue
            empty = tuple((f.name, functions[f.aggregate.function].empty) for f in scan.aggregates)
            if index in rollups and rollups[index].from_cells:
                continue  # added up with the child's `per` aggregates
            if index in rollups:
                rollup = rollups[index]
                body = rollup_select(rollup, scan, children[rollup.child][1], dialect)
                self.ctes.append((names.scan(index), body))
                scan_parts.append(Part(names.scan(index), empty, present=True))
                continue
            scanner = scanner_of(scan, keeps)
            if physical.pass_ == Pass.RANGED and not self._placed(scan, level_spine):
                assert physical.weights is not None, "a ranged pass is additive"
                self.ctes += self._ranged(scanner, physical.weights, index, names, level_spine)
                values = tuple((f.name, None) for f in scan.aggregates)
                running = tuple(name for name, _ in values)
                all_time = scan.window is not None and scan.window.kind == WindowKind.ALL_TIME
                counts = _counts(running, physical.weights) if all_time else ()
                part = Part(names.scan(index), values, present=True, running=running, counts=counts)
                scan_parts.append(part)
                continue
            if members is not None:  # after the members it reads
                held.append((names.scan(index), scanner.select()))
            else:
                self.ctes.append((names.scan(index), scanner.select()))
            scan_parts.append(Part(names.scan(index), empty, present=True))
        parts = [*scan_parts, *parts]
        keys = key_columns(level)
        if level.members is None and keys:
            ranged = self._range_cohorts(level, dialect)
            nulls = self._typed_nulls(level, dialect)
            self.ctes.append((names.combos, combinations(level, parts, nulls, ranged)))
        cohort = None
        if cohort_period or level.reads_cohort_start:
            assert self.cohort_label is not None, "the planner requires a cohort"
            column = dimension_column(level.labels.index(self.cohort_label))
            cohort = CohortPeriod(column, dialect, plan.calendar.timezone)
        pruning = None
        before_first = None
        zero_tests = {}
        if level.members is not None:
            zero_tests = counted_tests(formulas, level.leaf_columns(), parts, level_spine.grain)
            # A running total never changes before its member exists when no row is placed
            # before then (a verified contract): no first changes to look for.
            looks = pruned and absent is None and not level.members.rows_after_time
            looks = looks and any(part.running for part in parts)
            alone = self._first_counts(zero_tests.values(), parts, looks)
            if pruned and absent is None:  # a sparse level has no cells to prune
                first = None
                if alone is not None:
                    first = first_counts_table(alone.table)
                elif looks:
                    first = names.first_changes
                    self.ctes.append((first, first_changes(parts)))
                # An offset reaching before a member's first cell reads the value over
                # nothing where no row of the part it reads is placed before that cell, so
                # the cells can start where the member exists (formulas.py): by a verified
                # contract, the level's own scans (it says nothing of a child level's rows);
                # else the parts whose first changes the cells start at or before.
                leaves = level.leaf_columns()
                if level.members.rows_after_time:
                    before_first = reads_before_first(formulas, leaves, scan_parts)
                elif first is not None:
                    changing = [part for part in scan_parts if part.running]
                    before_first = reads_before_first(formulas, leaves, changing)
                reach = 0 if before_first is not None else level.extension
                opened = alone.openings if alone is not None else None
                pruning = Pruning(reach=reach, first_changes=first, opened=opened)
            self._lookup(level_spine.ends())
            cohort_index = None if cohort is None else level.labels.index(self.cohort_label)
            body = members_select(
                plan,
                level.members,
                self.reads,
                compilation,
                level_spine,
                pruning,
                parts,
                shown,
                cohort_index,
                tuple(zero_tests.values()),
            )
            self.ctes.append((names.members, body))
            self.members[names.members] = names.member_rows
            self.ctes += held
        lagged = {}
        if level.members is not None:
            lagged = lags(formulas, level.leaf_columns(), parts, level_spine.grain, zero_tests)
        pruned = pruning is not None
        sparse = absent is not None
        lagged_values = tuple(lagged.values())
        body = cells(
            level,
            names,
            level_spine,
            parts,
            cohort,
            pruned,
            lagged_values,
            sparse,
            before_first is not None,
            tuple(zero_tests.values()),
            members_carried,
        )
        self.ctes.append((names.cells, body))
        carried = [PERIOD, *([LABEL] if level_spine.labels else [])]
        carried += [PARENT_PERIOD] if level_spine.parents is not None else []
        carried += [*keys, *([IN_SET] if level.entity is not None else [])]
        carried += [COHORT_PERIOD] if cohort is not None else []
        carried += kept
        context = FormulaContext(
            carried=tuple(carried),
            running=frozenset(name for part in parts for name in part.running),
            # A member's dimensions follow from the member: its cells are told apart by it.
            keys=tuple(keys) if level.members is None else (ENTITY,),
            nullable_keys=level.members is None,
            leaves=level.leaf_columns(),
            grain=level_spine.grain,
            dialect=dialect,
            timezone=plan.calendar.timezone,
            rules=plan.calendar.rules,
            functions=compilation.functions,
            lagged={
                **{node: lag.column for node, lag in lagged.items()},
                **{node: test.column for node, test in zero_tests.items()},
            },
            absent=absent,
            only_started=only_started,
            before_first=before_first,
        )
        self.ctes += formula_ctes(names, formulas, context)

    def _ranged(
        self,
        scanner: ScanCompiler,
        additive: tuple[Additive, ...],
        index: int,
        names: LevelNames,
        level_spine: LevelSpine,
    ) -> list[tuple[str, exp.Expression]]:
        """A windowed pass from its rows' ranges (`additive`: what each row adds to each
        aggregate): its rows, and its changes per period."""
        window = scanner.scan.window
        assert window is not None
        self._lookup(level_spine.ends())
        if window.kind != "all_time":
            self._lookup(level_spine.starts(window))
        periods = level_spine.timeline.count
        rows = names.scan_rows(index)
        keys = scanner.key_names()
        weights = [fused.name for fused in scanner.scan.aggregates]
        dialect = self.compilation.dialect
        ends_early = window.kind != "all_time"
        changes = ranges.deltas(rows, keys, weights, periods, dialect, stops=ends_early)
        return [(rows, scanner.ranged_rows(periods, additive)), (names.scan(index), changes)]

    @staticmethod
    def _placed(scan: SourceScan, level_spine: LevelSpine) -> bool:
        """Whether a ranged pass's rows are placed in their periods instead (ranges.py)."""
        window = scan.window
        if window is None or window.kind is WindowKind.ALL_TIME:
            return False
        return ranges.few_periods(level_spine, window)

    def _shared(
        self,
        scan: SourceScan,
        counted: tuple[SourceScan, ScanPhysical],
        index: int,
        names: LevelNames,
        scanner_of: Callable[[SourceScan, bool], ScanCompiler],
        keeps_unnamed: bool,
    ) -> Part:
        """A state scan's pass that also gives the changes of an all-time window's counts
        over the same rows (`counted`, with how it is computed; ranges.py), with the
        members' openings. `scanner_of` compiles a scan of the level; `keeps_unnamed` as
        for `ScanCompiler`."""
        counted_scan, counted_physical = counted
        assert counted_physical.weights is not None, "a counted pass is additive"
        firsts = tuple(zip(counted_scan.aggregates, counted_physical.weights, strict=True))
        joins = scan.joins + tuple(j for j in counted_scan.joins if j not in scan.joins)
        scanner = scanner_of(attrs.evolve(scan, joins=joins), keeps_unnamed)
        table, openings = names.scan(index), names.openings(index)
        self.ctes.append((table, scanner.select(firsts=firsts)))
        self.ctes.append((openings, scanner.openings(firsts)))
        functions = self.compilation.aggregate_functions
        values = [(f.name, functions[f.aggregate.function].empty) for f in scan.aggregates]
        running = tuple(fused.name for fused in counted_scan.aggregates)
        values += [(name, None) for name in running]
        counts = _counts(running, counted_physical.weights)
        return Part(
            table, tuple(values), present=True, running=running, openings=openings, counts=counts
        )

    def _lookup(self, boundaries: Boundaries) -> None:
        """Adds the lookup table of boundaries too many for a CASE tree, once per level."""
        if boundaries.joined and boundaries.lookup not in self._lookups:
            self._lookups.add(boundaries.lookup)
            self.ctes.append((boundaries.lookup, boundaries.table(self.compilation.dialect)))

    def _child(
        self,
        child: PerLevel,
        parent: Level,
        resolved: LevelTimeline,
        parent_bounds: np.ndarray | None,
        rolled_up: frozenset[int] = frozenset(),
        sums: Sequence[tuple[str, FusedAggregate]] = (),
        absent: Absent | None = None,
        only_started: bool = False,
        members_carried: bool = False,
    ) -> tuple[Part, LevelNames]:
        """Compiles a child level and the combination of its `per` aggregates, as a part of
        the parent's cells, with the child's names. `parent_bounds`: where the parent's
        periods are; `rolled_up`: the child's scans the parent rolls up; `sums`: the parent's
        aggregates its `per` GROUP BY adds up, each from a cell column (rollups.py);
        `absent`: where the child computes only the cells its pass has a row for (sparse.py),
        each cell column's value elsewhere; `only_started` and `members_carried` as for
        `level`."""
        level = child.level
        names = LevelNames(next(self._numbers))
        child_spine = LevelSpine(
            names.spine,
            resolved,
            labels=False,
            timezone=self.plan.calendar.timezone,
            parent_bounds=parent_bounds,
        )
        formulas = []
        for aggregate in child.aggregates:
            per = aggregate.per
            if per.body is not None:
                formulas.append(Formula(body_column(aggregate.name), per.body, per.body.type))
            if per.where is not None:
                formulas.append(Formula(where_column(aggregate.name), per.where, per.where.type))
        for index, (_, formula) in enumerate(child.entity_dimensions):
            formulas.append(Formula(entity_dimension_column(index), formula, formula.type))
        kept = tuple(column for column, _ in sums)
        compilation = self.compilation
        functions = compilation.aggregate_functions
        pruned, rolled = child.prunes, rolled_up
        self.level(
            level,
            child_spine,
            names,
            formulas,
            pruned=pruned,
            rolled_up=rolled,
            kept=kept,
            absent=absent,
            only_started=only_started,
            members_carried=members_carried,
        )
        dialect = compilation.dialect
        aggregates = AggregateCompiler(dialect, functions)
        totals = [
            (fused.name, total(fused, exp.column(column, table=names.results), dialect))
            for column, fused in sums
        ]
        # A sparse child's cells are its pass's groups, some of them (rows placed before their
        # member exists) outside the entity set, which the totals add up too.
        every_cell = absent is not None and bool(totals)
        combined = per_select(child, names, parent, aggregates, totals, every_cell)
        self.ctes.append((names.per, combined))
        seen = SEEN if child.finds_entities else None
        values = per_values(child, functions)
        values += tuple((f.name, functions[f.aggregate.function].empty) for _, f in sums)
        without_rows = None
        if child.without_rows is not None:
            assert resolved.without_rows is not None, "resolved with the child"
            twin = resolved.without_rows
            without_rows = self._child(child.without_rows, parent, twin, parent_bounds)[0].table
        part = Part(
            names.per,
            values,
            seen=seen,
            keyed=not shared_by_units(child, parent),
            without_rows=without_rows,
        )
        return part, names

    def _over_sparse_cells(
        self,
        rollups: Mapping[int, Rollup],
        child: int,
        per: PerLevel,
        parent: Level,
        absent: Absent,
    ) -> dict[int, Rollup]:
        """`rollups`, with those from child `child`'s pass that its sparse cells (`absent`)
        add up (sparse.py `cells_add_up`) added up in its `per` GROUP BY (`from_cells`): the
        cells are the pass's groups joined to their members already, and the GROUP BY
        groups them by the same periods and dimensions, so neither the join nor a second
        grouping of the cells is made again."""
        shown_only = self._shown_cohorts(per.level) is not None
        functions = self.compilation.aggregate_functions
        scans = parent.scans
        return {
            index: attrs.evolve(rollup, from_cells=True)
            if rollup.child == child
            and aligned(rollup, parent, per.level)
            and cells_add_up(rollup, scans[index], absent, shown_only, functions)
            else rollup
            for index, rollup in rollups.items()
        }

    def _first_counts(
        self, tests: Iterable[Counted], parts: Sequence[Part], looks: bool
    ) -> Part | None:
        """Adds, per part whose running counts `tests` compare with 0, the grouping finding
        where each member's counts first rise (each count once, however many periods back it
        is tested). Returns that part when it alone holds every change and the level `looks`
        for first changes: its grouping finds where each member first changes too, one
        grouping of the part by member instead of two."""
        tested: dict[str, dict[str, None]] = {}
        for test in tests:
            tested.setdefault(test.table, {})[test.value] = None
        changes = [part for part in parts if part.running or part.openings is not None]
        alone = changes[0] if looks and len(changes) == 1 else None
        if alone is not None and alone.table not in tested:
            alone = None
        for table, columns in tested.items():
            change = alone is not None and alone.table == table
            self.ctes.append(
                (first_counts_table(table), first_counts(table, list(columns), change))
            )
        return alone

    def _typed_nulls(self, level: Level, dialect: SqlDialect) -> list[exp.Expression]:
        """A null of the answer's type for each key of a level without members (its
        dimensions: the plan's `dimension_types`), bare where the type has no SQL kind."""
        plan = self.plan
        types = dict(zip(plan.dimensions, plan.dimension_types, strict=True))
        nulls: list[exp.Expression] = []
        for label in level.labels:
            kind = kind_of(type_of_arrow(types[label]))
            nulls.append(dialect.cast(exp.Null(), kind) if kind else exp.Null())
        if level.entity is not None:
            nulls.append(exp.Null())
        return nulls

    def _range_cohorts(self, level: Level, dialect: SqlDialect) -> RangeCohorts | None:
        """The cohorts of the range, units of the query's own level (`Plan.cohorts`)."""
        if not self.plan.cohorts or level is not self.plan.top:
            return None
        assert self.cohort_label is not None, "the planner lists cohorts for a cohort"
        column = dimension_column(level.labels.index(self.cohort_label))
        return RangeCohorts(column, self.plan.cohorts, dialect)

    def _shown_cohorts(self, level: Level) -> ShownCohorts | None:
        """The only cohorts whose rows and members matter at `level`: those of the range
        (`Plan.range_cohorts_only`), where the level is keyed by the cohort (scans.py
        `ShownCohorts`)."""
        plan = self.plan
        if not plan.range_cohorts_only or self.cohort_label not in level.labels:
            return None
        index = level.labels.index(self.cohort_label)
        return ShownCohorts(index, plan.cohorts[0], plan.cohorts[-1])

    def _entity_kind(self, level: Level) -> str | None:
        """The SQL kind of the keys of a level's members: scans' entity values are cast to
        it to be looked up among the keys."""
        members = level.members
        if members is None:
            return None
        return kind_of_column(self.compilation, members.source, members.key)


def kind_of_column(compilation: Compilation, source: str, column: str) -> str | None:
    return kind_of(compilation.project.sources[source].value_of(column).type)


def _counts(running: Sequence[str], weights: Sequence[Additive] | None) -> tuple[str, ...]:
    """The running columns of a pass over all time that count rows (cells.py `Part.counts`)."""
    assert weights is not None, "a running pass is additive"
    return tuple(name for name, w in zip(running, weights, strict=True) if w == Additive.COUNT)
