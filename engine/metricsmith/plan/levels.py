"""The levels of a query: its own cells, and below them the cells every `per` iterates over.

A level's formulas are split into leaves computed by grouped passes over sources (aggregates
and windowed aggregates, fused per source and window) and `per` aggregates, whose bodies form
a child level (every `per` over the same entity or sub-period shares one). Each level knows how
many periods before its first one its offsets read, so the executor computes them from data.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import assert_never

from attrs import evolve

from metricsmith.check.checked import CheckedProject
from metricsmith.check.query import CheckedQuery
from metricsmith.errors import QueryError
from metricsmith.model import bound as b
from metricsmith.model.time import Grain
from metricsmith.model.types import Type
from metricsmith.plan.binding import joins_for
from metricsmith.plan.no_rows import without_rows
from metricsmith.plan.nodes import (
    EntityMembers,
    EventTime,
    FusedAggregate,
    Level,
    PerAggregate,
    PerLevel,
    SourceScan,
    StateTime,
    TimeAxis,
    WindowSpec,
)
from metricsmith.plan.offsets import node_text, reach
from metricsmith.plan.periods import (
    extended_start,
    floor_to_period,
    local_date,
    local_midnight,
    next_period,
    window_start,
)
from metricsmith.plan.reads import OwnRows, time_values
from metricsmith.plugins.connector import TimeRange

#: A formula and what it belongs to as messages name it: "metric `mrr`", "dimension `band`".
Formula = tuple[str, b.BExpr]


class LevelPlanner:
    """Plans the level tree of one query, numbering aggregates `a0, a1, ...` and `per`
    aggregates `p0, p1, ...` across levels, and collecting the time range each grouped pass
    needs of its source (`time_needs`, for pushdown; `own_rows`, where a pass needs fewer)."""

    def __init__(self, project: CheckedProject, query: CheckedQuery):
        self.project = project
        self.query = query
        self.calendar = project.calendar
        self._aggregate_names = (f"a{i}" for i in itertools.count())
        self._per_names = (f"p{i}" for i in itertools.count())
        self.time_needs: list[tuple[str, TimeRange | None]] = []
        #: The rows of its source that count for a pass of a level with periods before the
        #: pass's first (plan/reads.py `kept_to_own_rows`).
        self.own_rows: dict[SourceScan, OwnRows] = {}

    def top(self, formulas: Sequence[Formula]) -> Level:
        query = self.query
        return self._level(formulas, query.grain, None, query.labels, query.start, "")

    # ---- one level ----------------------------------------------------------------------
    def _level(
        self,
        formulas: Sequence[Formula],
        grain: Grain | None,
        entity: b.Entity | None,
        labels: tuple[str, ...],
        boundary: dt.datetime | None,
        who: str,
        later: Mapping[b.BExpr, dt.datetime] | None = None,
    ) -> Level:
        """`boundary`: where the first period the parent reads starts (the range's start at
        the top), None when unbounded; `who` names what iterates, in messages; `later`: the
        leaves the parent reads from a later period than `boundary`, with where that starts
        (`_children`)."""
        leaves: dict[b.BAggregate | b.BWindow, str] = {}
        pers: dict[b.BPer, str] = {}
        reaches: dict[b.BExpr, int] = {}
        for owner, formula in formulas:
            reach(formula, grain, owner, reaches)
            for node in _level_nodes(formula):
                if isinstance(node, b.BPer):
                    pers.setdefault(node, owner)
                elif isinstance(node, b.BAggregate | b.BWindow):
                    leaves.setdefault(node, owner)
                elif isinstance(node, b.BOffset) and node.unit is b.OffsetUnit.COHORT:
                    self._require_cohort(node, owner)
        periods = _Periods(self, grain, boundary, reaches)
        members = None
        if entity is not None and entity.kind is b.EntityKind.KEY:
            members = self._members(entity, who)
        return Level(
            grain=grain,
            extension=periods.extension,
            entity=entity,
            members=members,
            labels=labels,
            scans=self._scans(leaves, grain, entity, periods, later or {}),
            children=self._children(pers, grain, entity, labels, periods),
        )

    def _require_cohort(self, node: b.BOffset, who: str) -> None:
        if self.query.cohort_label is None:
            raise QueryError(
                f"{who} uses `{node_text(node)}`, the value of each cohort at age 0, "
                "but the query is not sliced by one cohort",
                hint='slice by a cohort, e.g. `--by "cohort(accounts.signed_up_at, month)"`',
            )

    # ---- per aggregates -----------------------------------------------------------------
    def _children(
        self,
        pers: dict[b.BPer, str],
        grain: Grain | None,
        entity: b.Entity | None,
        labels: tuple[str, ...],
        periods: _Periods,
    ) -> tuple[PerLevel, ...]:
        groups: dict[tuple[b.Entity, frozenset[_Pass]], list[b.BPer]] = {}
        for per in pers:
            # An identifier's values are those the rows its formula reads name, in the cell
            # (docs/time-intelligence.md, Entities): `per user` aggregates reading other rows
            # iterate other users, so they share a level only when they read the same rows.
            reads = _rows_read(per) if per.entity.kind is b.EntityKind.IDENTIFIER else frozenset()
            groups.setdefault((per.entity, reads), []).append(per)
        children = []
        for (target, _), group in groups.items():
            who = pers[group[0]]
            formulas = [
                (pers[per], formula)
                for per in group
                for formula in (per.body, per.where)
                if formula is not None
            ]
            child_grain: Grain | None
            if target.kind is b.EntityKind.PERIOD:
                sub = Grain(target.name)
                self._check_sub_periods(sub, grain, who)
                child_grain, child_entity, child_labels = sub, entity, labels
                if (
                    entity is not None
                    and entity.kind is b.EntityKind.IDENTIFIER
                    and not _reads(formulas)
                ):
                    # The identifiers are found in rows, and these sub-periods read none: their
                    # values are the same for every entity, computed once per sub-period and
                    # read by each of the parent's units (docs/time-intelligence.md, Nesting).
                    child_entity, child_labels = None, ()
                dimensions: tuple[tuple[str, b.BExpr], ...] = ()
            else:
                if entity is not None:
                    raise QueryError(
                        f"{who} iterates `per {target.name}` inside "
                        f"`per {entity.name}`; one per-entity iteration inside another is not "
                        "supported",
                        hint=f"define the inner value per {target.name} as its own metric and "
                        f"aggregate it per {entity.name} with a window or a condition instead",
                    )
                child_grain, child_entity = grain, target
                child_labels = tuple(row.label for row in self.query.row_dimensions)
                dimensions = self.query.entity_dimensions
            formulas += [(f"dimension `{label}`", formula) for label, formula in dimensions]
            back = periods.back(group)
            start = periods.start(back)
            later = _read_later(group, periods, back)
            level = self._level(
                formulas, child_grain, child_entity, child_labels, start, who, later
            )
            if target.kind is b.EntityKind.IDENTIFIER:
                _require_reads(level, target)
            aggregates = tuple(PerAggregate(name=next(self._per_names), per=per) for per in group)
            child = PerLevel(
                level=level, reach=back, aggregates=aggregates, entity_dimensions=dimensions
            )
            if child.finds_entities or _units_of_combinations(child):
                child = evolve(child, without_rows=self._without_rows(child, start, who))
            children.append(child)
        return tuple(children)

    def _without_rows(
        self, child: PerLevel, start: dt.datetime | None, who: str
    ) -> PerLevel | None:
        """Sub-periods iterate over every unit of the parent's cell, those their own rows do
        not name included (docs/time-intelligence.md, Sub-periods and Nesting): the child as
        such a unit evaluates it, reading nothing, so with one value per period for every unit
        (plan/no_rows.py). Its aggregates fill the parent's columns where the child has none.
        None when that value still differs from unit to unit (it reads the start of each
        unit's cohort of a level below): such a unit still takes the value over nothing."""
        functions = self.project.functions.aggregates
        aggregates = tuple(
            PerAggregate(name=a.name, per=without_rows(a.per, functions)) for a in child.aggregates
        )
        formulas = [
            (who, formula)
            for a in aggregates
            for formula in (a.per.body, a.per.where)
            if formula is not None
        ]
        if _reads(formulas):
            return None
        level = self._level(formulas, child.level.grain, None, (), start, who)
        return PerLevel(level=level, reach=child.reach, aggregates=aggregates)

    def _check_sub_periods(self, sub: Grain, grain: Grain | None, who: str) -> None:
        if grain is not None and not sub.finer_or_equal(grain):
            why = (
                f"a {sub} is longer than a {grain}"
                if grain.finer_or_equal(sub)
                else f"a {sub} and a {grain} are as long but start in other months"
            )
            raise QueryError(
                f"{who} iterates `per {sub}` inside each {grain}, but {why}",
                hint=f"query with a grain of at least a {sub}",
            )
        if grain is None and (self.query.start is None or self.query.end is None):
            raise QueryError(
                f"{who} iterates `per {sub}` over the query's range, but the range "
                "has no start or no end",
                hint="give the query a range or a grain",
            )

    # ---- grouped passes -----------------------------------------------------------------
    def _scans(
        self,
        leaves: dict[b.BAggregate | b.BWindow, str],
        grain: Grain | None,
        entity: b.Entity | None,
        periods: _Periods,
        later: Mapping[b.BExpr, dt.datetime],
    ) -> tuple[SourceScan, ...]:
        """`later` as for `_level`."""
        groups: dict[_Pass, list[b.BAggregate | b.BWindow]] = {}
        for leaf in leaves:
            groups.setdefault(_pass_of(leaf), []).append(leaf)
        scans = []
        for (root, window, placed_by), group in groups.items():
            who = leaves[group[0]]
            subject = f"{who} aggregates rows of `{root}`"
            if entity is None and self.query.entity_dimensions:
                raise self._not_per_entity(who, group[0])
            entity_column = None if entity is None else self._entity_column(entity, root, who)
            keyed_by_member = entity is not None and entity.kind is b.EntityKind.KEY
            dimensions = () if keyed_by_member else self._dimensions(root, subject, who)
            filters = self._filters(root, subject, who)
            aggregates = tuple(
                FusedAggregate(
                    name=next(self._aggregate_names),
                    aggregate=leaf.operand if isinstance(leaf, b.BWindow) else leaf,
                    leaf=leaf,
                )
                for leaf in group
            )
            time = self._time_axis(root, who, grain, window, placed_by)
            keys = [*dimensions, *filters, *([entity_column] if entity_column else [])]
            keys += time_values(self.project, root, time)
            scan = SourceScan(
                source=root,
                time=time,
                dimensions=dimensions,
                filters=filters,
                joins=joins_for(self.project, root, [*keys, *(f.aggregate for f in aggregates)]),
                aggregates=aggregates,
                entity=entity_column,
                window=window,
            )
            scans.append(scan)
            back = periods.back(group)
            first_end = periods.first_end(back, self.query.end)
            rows = self._scan_range(root, time, window, periods.start(back), first_end)
            self.time_needs.append((root, rows))
            # Where the parent reads every leaf of the pass from a later period than the
            # level's first (a sub-period level whose parent reads another `per` of it with
            # an offset), the pass's periods start from there.
            starts = [later.get(leaf) for leaf in group]
            own_periods = periods
            if entity is None and None not in starts:
                own_periods = periods.from_boundary(min(s for s in starts if s is not None))
            if entity is None and (back < periods.extension or own_periods is not periods):
                # The level has periods before the pass's first (offsets of other leaves
                # read them): rows the read gives that count only there would be placed
                # there, and give the level's units (combinations of dimensions) theirs. A
                # per-entity level's units are its entities, whatever rows it places.
                own_end = own_periods.first_end(back, self.query.end)
                own_rows = self._scan_range(root, time, window, own_periods.start(back), own_end)
                own = self._own_rows(root, time, window, own_rows, own_end)
                if own is not None:
                    self.own_rows[scan] = own
        return tuple(scans)

    def _dimensions(self, root: str, subject: str, who: str) -> tuple[b.BExpr, ...]:
        return tuple(row.at(root, subject, who) for row in self.query.row_dimensions)

    def _filters(self, root: str, subject: str, who: str) -> tuple[b.BExpr, ...]:
        return tuple(row.at(root, subject, who) for row in self.query.filters)

    def _not_per_entity(self, who: str, leaf: b.BExpr) -> QueryError:
        label = self.query.entity_dimensions[0][0]
        return QueryError(
            f"{who} cannot be sliced by `{label}`: `{label}` is worked out for each "
            f"entity of a per-entity aggregate such as `count(per account)`, and "
            f"`{node_text(leaf)}` is not one",
            hint=f"slice by `{label}` only metrics made of `per` aggregates",
        )

    def _entity_column(self, entity: b.Entity, root: str, who: str) -> b.BExpr:
        column = self.query.entities.value(entity, root)
        if column is None:
            raise QueryError(
                f"{who} reads `{root}` for each `{entity.name}`, but rows of "
                f"`{root}` do not say which `{entity.name}` they belong to",
                hint=f"link `{root}` to the entity, or declare `entity <column> as "
                f"{entity.name}` in `{root}`",
            )
        return column

    def _time_axis(
        self,
        root: str,
        who: str,
        grain: Grain | None,
        window: WindowSpec | None,
        placed_by: str | None,
    ) -> TimeAxis | None:
        info = self.project.sources[root]
        if placed_by is not None:
            return EventTime(placed_by)
        if info.validity is not None:
            return StateTime(*info.validity)
        if info.time is not None:
            return EventTime(info.time)
        if window is not None:
            needs = f"read over {window.describe()}"
        elif grain:
            needs = f"split by {grain}"
        elif self.query.start or self.query.end:
            needs = "limited to a range"
        else:
            return None
        raise QueryError(
            f"{who} aggregates rows of `{root}`, which has no time column, so "
            f"they cannot be {needs}",
            hint=f"declare `time <column>` in source `{root}`, or query "
            f"{who} without a grain and range",
        )

    def _scan_range(
        self,
        root: str,
        time: TimeAxis | None,
        window: WindowSpec | None,
        start: dt.datetime | None,
        first_end: dt.datetime | None,
    ) -> TimeRange | None:
        """The rows of `root` a pass needs, as a range of a column the reader can filter
        (a physical one: a derived time is computed after reading). `start` is where the
        pass's first period starts, `first_end` where it ends."""
        end = _utc(self.query.end)
        match time:
            case EventTime(column=column):
                readable = _physical(self.project, root, column)
                low = start
                if window is not None:
                    # The earliest window is the first period's; later ones start no earlier.
                    calendar = self.calendar
                    low = (
                        None
                        if first_end is None
                        else window_start(
                            first_end,
                            window.kind,
                            window.count,
                            window.unit,
                            calendar.timezone,
                            calendar.rules,
                        )
                    )
                if readable is None or not (low or end):
                    return None
                return TimeRange(readable, _utc(low), end)
            case StateTime(start=valid_from):
                if end is None:
                    return None
                # Rows in force at some period end e <= end started before e.
                readable = _physical(self.project, root, valid_from)
                return None if readable is None else TimeRange(readable, None, end)
            case None:
                return None
            case _:
                assert_never(time)

    def _own_rows(
        self,
        root: str,
        time: TimeAxis | None,
        window: WindowSpec | None,
        rows: TimeRange | None,
        first_end: dt.datetime | None,
    ) -> OwnRows | None:
        """The rows of `root` that count in some period from the pass's first on, when the
        read may give others: events from its first window's start (`rows`), state rows
        still in force at its first period's end (docs/language.md, State sources). None
        when every row the read gives counts there or in no period."""
        match time:
            case EventTime() if rows is not None and rows.start is not None:
                column = self.project.sources[root].value_of(rows.column)
                return OwnRows(rows, _compare(">=", column, rows.start))
            case StateTime(end=valid_to) if window is None and first_end is not None:
                ended = self.project.sources[root].value_of(valid_to)
                in_force = _compare(">=", ended, first_end)
                still = b.BBinary(
                    op="or",
                    left=b.BIsNull(operand=ended, negated=False),
                    right=in_force,
                    type=Type.BOOLEAN,
                )
                return OwnRows(None, still)
        return None

    # ---- the entities of a key source ---------------------------------------------------
    def _members(self, entity: b.Entity, who: str) -> EntityMembers:
        assert entity.source is not None and entity.column is not None
        source = entity.source
        subject = f"{who} iterates over the rows of `{source}` (`per {entity.name}`)"
        dimensions = self._dimensions(source, subject, who)
        filters = self._filters(source, subject, who)
        time = self.project.sources[source].time
        end = _utc(self.query.end)
        column = _physical(self.project, source, time) if time else None
        self.time_needs.append((source, TimeRange(column, None, end) if column and end else None))
        times = time_values(self.project, source, EventTime(time) if time else None)
        return EntityMembers(
            source=source,
            key=entity.column,
            time=time,
            dimensions=dimensions,
            filters=filters,
            joins=joins_for(self.project, source, [*dimensions, *filters, *times]),
        )


class _Periods:
    """Where the periods a level's leaves are read at start: `back` periods of its grain before
    `boundary` (the start of the periods its parent needs)."""

    def __init__(
        self,
        planner: LevelPlanner,
        grain: Grain | None,
        boundary: dt.datetime | None,
        reaches: dict[b.BExpr, int],
    ):
        self.planner = planner
        self.calendar = planner.calendar
        self.grain = grain
        self.boundary = boundary
        self.reaches = reaches

    def first_end(self, back: int, end: dt.datetime | None) -> dt.datetime | None:
        """Where the period `back` periods before `boundary` ends: where the one after it
        starts (`boundary` itself for the period just before, the rest of its calendar period
        when `boundary` cuts one), and the period at `boundary` at the grain's next boundary,
        or at the range's `end` if sooner (the only period without a grain)."""
        if self.grain is None or self.boundary is None:
            return _utc(end)
        if back > 0:
            return _utc(self.start(back - 1))
        timezone, rules = self.calendar.timezone, self.calendar.rules
        first = floor_to_period(local_date(self.boundary, timezone), self.grain, rules)
        following = local_midnight(next_period(first, self.grain), timezone).astimezone(dt.UTC)
        return following if end is None else min(following, end.astimezone(dt.UTC))

    def from_boundary(self, boundary: dt.datetime) -> _Periods:
        """The same periods as read from a later `boundary`."""
        return _Periods(self.planner, self.grain, boundary, self.reaches)

    def back(self, leaves: Sequence[b.BExpr]) -> int:
        return max(self.reaches.get(leaf, 0) for leaf in leaves)

    @property
    def extension(self) -> int:
        """How many periods before `boundary` the level has."""
        return max(self.reaches.values(), default=0)

    def start(self, back: int) -> dt.datetime | None:
        if self.boundary is None or self.grain is None:
            return self.boundary
        calendar = self.calendar
        return extended_start(self.boundary, self.grain, back, calendar.timezone, calendar.rules)


def _require_reads(level: Level, entity: b.Entity) -> None:
    """Identifier values come from the rows read in the cell of the level that introduces the
    identifier, at that level or in its sub-periods (which inherit the identifier and are not
    held to this rule themselves)."""
    if not any(inner.scans for inner in level.walk()):
        raise QueryError(
            f"`per {entity.name}` finds its {entity.name} values in the rows the "
            "formula reads, but this one reads no source",
            hint=f"compare something per {entity.name}, e.g. "
            f"`count(per {entity.name} where count(events) > 0)`",
        )


def _reads(formulas: Sequence[Formula]) -> bool:
    """Whether formulas may differ from one unit of their level to another: they aggregate
    some source at any depth, or read each cohort's start (by the unit's cohort)."""
    return any(
        isinstance(node, b.BAggregate)
        or (isinstance(node, b.BOffset) and node.unit is b.OffsetUnit.COHORT)
        for _, formula in formulas
        for node in b.bwalk(formula)
    )


#: The grouped pass a leaf is computed in, and so the rows it reads in a cell: its source,
#: window and time column (aggregates placed by another time column, `at`, get their own).
_Pass = tuple[str, WindowSpec | None, str | None]


def _pass_of(leaf: b.BAggregate | b.BWindow) -> _Pass:
    aggregate = leaf.operand if isinstance(leaf, b.BWindow) else leaf
    window = WindowSpec.of(leaf) if isinstance(leaf, b.BWindow) else None
    return aggregate.source, window, aggregate.time


def _rows_read(per: b.BPer) -> frozenset[_Pass]:
    """The passes a `per` aggregate's body and condition read in a cell, at any depth (an
    offset reads the value another cell's rows give: the rows of the cell still name the
    entities, docs/time-intelligence.md, Per-entity iteration)."""
    found: set[_Pass] = set()

    def walk(node: b.BExpr) -> None:
        if isinstance(node, b.BAggregate | b.BWindow):
            found.add(_pass_of(node))
        else:
            for child in b.bchildren(node):
                walk(child)

    for formula in (per.body, per.where):
        if formula is not None:
            walk(formula)
    return frozenset(found)


def _read_later(
    group: Sequence[b.BPer], periods: _Periods, back: int
) -> dict[b.BExpr, dt.datetime]:
    """The leaves of the `per` aggregates of `group` that the parent reads from a later
    period than the group's first (`back` periods before the parent's boundary), each with
    where the earliest such period starts: a leaf of several of them from the earliest."""
    earliest: dict[b.BExpr, int] = {}
    for per in group:
        reach = periods.reaches.get(per, 0)
        for formula in (per.body, per.where):
            for node in _level_nodes(formula) if formula is not None else ():
                if isinstance(node, b.BAggregate | b.BWindow):
                    earliest[node] = max(earliest.get(node, 0), reach)
    later = {}
    for leaf, reach in earliest.items():
        start = periods.start(reach)
        if reach < back and start is not None:
            later[leaf] = start
    return later


def _level_nodes(node: b.BExpr) -> Iterator[b.BExpr]:
    """The nodes of a formula evaluated at its own level: not inside a `per` aggregate's body
    (another level) nor inside a leaf."""
    yield node
    if isinstance(node, b.BPer | b.BAggregate | b.BWindow):
        return
    for child in b.bchildren(node):
        yield from _level_nodes(child)


def _physical(project: CheckedProject, source: str, column: str) -> str | None:
    """The column a reader can filter for `column`: itself, the column a derived one merely
    renames (`column opened = opened_at`), else None."""
    value = project.sources[source].value_of(column)
    if isinstance(value, b.BColumn) and not value.path:
        return value.column
    return None


def _compare(op: str, value: b.BExpr, instant: dt.datetime) -> b.BExpr:
    return b.BBinary(
        op=op, left=value, right=b.BLiteral(value=instant, type=Type.TIMESTAMP), type=Type.BOOLEAN
    )


def _utc(instant: dt.datetime | None) -> dt.datetime | None:
    return instant.astimezone(dt.UTC) if instant is not None else None


def _units_of_combinations(child: PerLevel) -> bool:
    """Whether a sub-period child's units are the combinations of dimensions its own rows
    show (no members): a combination the parent's cell has, through other aggregates, and
    the child's rows never show is iterated over every sub-period all the same
    (`avg(per day: count(tickets))` by segment is 0, not null, for a segment without
    tickets)."""
    return child.over_periods and child.level.members is None and bool(child.level.labels)
