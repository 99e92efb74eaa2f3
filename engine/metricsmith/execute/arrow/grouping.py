"""The grouped pass of one scan: every aggregate over a source (and window) in one go.

Rows are grouped by (period, key values). Each key becomes small integer codes (computed once
over the source's rows, then read through the placement) and the codes combine into one int64
group id per placed row, so grouping never hashes strings more than once. A `where` does not
split the pass: an aggregate's input is its value where the condition holds and null
elsewhere.

At a per-entity level over a source with a key, the key is the entity itself: each row's
entity is looked up among the entities once, and the group id is `period * entities + entity`,
which lays the results out densely, one value per (period, entity).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.execute.arrow.aggregation import (
    EXACT_FLOAT_INTEGERS,
    Input,
    Request,
    aggregate_groups,
    where_true,
)
from metricsmith.execute.arrow.frame import RowFrame, all_true, past_link, shared_link
from metricsmith.execute.arrow.placement import Placer, Ranges, place, spread
from metricsmith.execute.arrow.values import as_array, numbers_array, true_array
from metricsmith.model.bound import BAggregate, BColumn, BExpr
from metricsmith.model.time import WindowKind
from metricsmith.plan.nodes import SourceScan
from metricsmith.plugins.functions import Additive, AggregateFunction
from metricsmith.plugins.values import holds

# Group ids stay a plain combination of the key codes while the number of possible groups is
# at most this (or a few times the number of rows); beyond it they are renumbered densely.
_DENSE_GROUPS = 1 << 22
# Rows read at once where a pass over a whole source needs no more.
_SLICE = 1 << 20


@frozen
class ScanCells:
    """Groups with rows: each one's period, key values (one array per key) and aggregates.
    `seen` (combined sub-periods below identifier entities) marks the groups whose entity
    the sub-periods' rows named: they put the entity in the parent cell's entity set."""

    periods: np.ndarray
    dimensions: tuple[pa.Array, ...]
    aggregates: dict[str, pa.Array]
    seen: np.ndarray | None = None


@frozen
class PlacedRows:
    """The rows a grouped pass reads: `frame` holds the source's rows, `rows` the source row of
    each placed row (None: each row once, in order) and `periods` its period."""

    frame: RowFrame
    rows: np.ndarray | None
    periods: np.ndarray

    def keep(self, mask: np.ndarray) -> PlacedRows:
        """Only the placed rows whose source row is marked in `mask`."""
        if mask.all():
            return self
        kept = mask if self.rows is None else mask[self.rows]
        rows = np.flatnonzero(kept) if self.rows is None else self.rows[kept]
        return attrs.evolve(self, rows=rows, periods=self.periods[kept])

    def read(self, per_source_row: np.ndarray) -> np.ndarray:
        """Per-source-row values for each placed row."""
        return per_source_row if self.rows is None else per_source_row[self.rows]


@frozen
class KeyedGroups:
    """The groups of a grouped pass that have rows: `ids` gives each placed row's group
    (0..count-1), `periods` and `dimensions` each group's period and key values."""

    placed: PlacedRows
    ids: np.ndarray
    count: int
    periods: np.ndarray
    dimensions: tuple[pa.Array, ...]

    def reading(self, read: np.ndarray) -> KeyedGroups:
        """The same groups, the aggregates reading only the source rows marked in `read`."""
        marked = self.placed.read(read)
        placed = self.placed
        rows = np.flatnonzero(marked) if placed.rows is None else placed.rows[marked]
        reading = PlacedRows(placed.frame, rows, placed.periods[marked])
        return attrs.evolve(self, placed=reading, ids=self.ids[marked])


def scan_groups(
    scan: SourceScan,
    placer: Placer,
    frame: RowFrame,
    period_count: int,
    functions: Mapping[str, AggregateFunction],
    only: np.ndarray | None = None,
) -> KeyedGroups:
    """The groups of the scan's rows in `frame` (those marked in `only`, when given, as if
    the query filtered the others out), placed in `placer`'s periods. When every
    aggregate has a `where`, the aggregates read only the rows one of them holds at; the
    groups only the other rows fall in are still there, with the aggregates' values over
    nothing, as when every row is read. Where rows repeat in several periods (windows, state
    rows), only the rows read are repeated: the groups come from each distinct (keys, periods)
    once (`_present_rows`); and when every row's periods run to the same last one (an
    all-time window) and every aggregate ignores repeats, only one earliest row of each
    value is read (`_earliest_rows`)."""
    keep = all_true(frame, scan.filters) if scan.filters else None
    if only is not None:
        keep = only if keep is None else keep & only
    ranges = placer.ranges(scan)
    read = _read_rows(scan, frame, ranges, keep, functions)
    if read is None or ranges is None or (ranges.last - ranges.first).max(initial=0) <= 0:
        groups = keyed_groups(scan, placed_rows(frame, ranges, keep), period_count)
        return groups if read is None else groups.reading(read)
    placed = placed_rows(frame, ranges, read if keep is None else keep & read)
    present = _present_rows(scan, frame, ranges, keep)
    return keyed_groups(scan, placed, period_count, present)


def placed_rows(frame: RowFrame, ranges: Ranges | None, keep: np.ndarray | None) -> PlacedRows:
    """The rows of `frame` marked in `keep` (None: all) placed in their `ranges` of
    periods."""
    placement = place(ranges, frame.num_rows, keep)
    return PlacedRows(frame, placement.rows, placement.periods)


def _read_rows(
    scan: SourceScan,
    frame: RowFrame,
    ranges: Ranges | None,
    keep: np.ndarray | None,
    functions: Mapping[str, AggregateFunction],
) -> np.ndarray | None:
    """The source rows the aggregates of the scan need to read (None: every row): each
    value's earliest rows when `_earliest_rows` applies, else the rows some aggregate's
    `where` holds at when every aggregate has one."""
    earliest = None if ranges is None else _earliest_rows(scan, frame, ranges, keep, functions)
    return earliest if earliest is not None else _rows_some_where_holds(scan, frame)


def _rows_some_where_holds(scan: SourceScan, frame: RowFrame) -> np.ndarray | None:
    conditions = [fused.aggregate.where for fused in scan.aggregates]
    if not conditions or None in conditions:
        return None
    read = np.zeros(frame.num_rows, dtype=bool)
    for condition in conditions:
        assert condition is not None
        values = as_array(frame.evaluate(condition), frame.num_rows)
        read |= holds(values).to_numpy(zero_copy_only=False)
    return read


def _earliest_rows(
    scan: SourceScan,
    frame: RowFrame,
    ranges: Ranges,
    keep: np.ndarray | None,
    functions: Mapping[str, AggregateFunction],
) -> np.ndarray | None:
    """For each aggregate, one earliest row of each (keys, value): one whose first period is
    the smallest among the rows with the same keys and the same value where the aggregate's
    `where` holds. None unless every aggregate ignores repeats (a distinct
    count) and every row's periods end at the same one. Then a value's later rows count in
    periods its earliest rows already count in, which an aggregate ignoring repeats cannot
    tell apart: reading the earliest rows alone gives the same values. An all-time window
    spreads each event over every later period (10M events made 55.7M placed rows in the
    families benchmark's health score, where 0.6M (account, user) pairs exist). Only passes
    over an all-time window are looked at; that every row's periods end at the same one is
    still checked on the rows."""
    if scan.window is None or scan.window.kind is not WindowKind.ALL_TIME:
        return None  # (checked first: no pass over the rows for the passes this is not for)
    if not all(functions[f.aggregate.function].ignores_repeats for f in scan.aggregates):
        return None
    in_range = ranges.last >= ranges.first
    if not in_range.any() or not (ranges.last > ranges.first).any():
        return None
    # Compared where they are, not gathered: a gathered copy (80 MB over 10M events) stayed
    # alive through the passes below, at the health score's peak.
    final = ranges.last[np.argmax(in_range)]
    if ((ranges.last != final) & in_range).any():
        return None
    candidates = in_range if keep is None else in_range & keep
    nodes = (*scan.dimensions, *([scan.entity] if scan.entity is not None else []))
    earliest = np.zeros(frame.num_rows, dtype=bool)
    for fused in scan.aggregates:
        aggregate = fused.aggregate
        if aggregate.arg is None:
            return None  # a count of rows that ignores repeats: not one of ours to reason on
        values, dictionary = frame.codes(aggregate.arg)
        reads = candidates & (values < len(dictionary))  # nulls are ignored too
        if aggregate.where is not None:
            condition = as_array(frame.evaluate(aggregate.where), frame.num_rows)
            reads &= holds(condition).to_numpy(zero_copy_only=False)
        pair, pairs = combined_codes(frame, (*nodes, aggregate.arg))
        earliest[_one_earliest(pair, pairs, ranges.first, reads)] = True
    return earliest


def combined_codes(frame: RowFrame, nodes: tuple[BExpr, ...]) -> tuple[np.ndarray, int]:
    """One id per row of `frame` for the combination of the formulas' values (equal
    combinations, equal ids; null is a value of its own) and how many ids there can be, never
    more than one past the rows (bitmaps over the ids are sized by it). Computed once per
    frame: the passes of a level over the same rows with the same entity and distinct value
    (a 30-day and an all-time count of users per account) share it."""
    if nodes not in frame.combined:
        keys = [(codes, len(dictionary) + 1) for codes, dictionary in map(frame.codes, nodes)]
        ids = _last_determines(keys) or group_ids(keys, frame.num_rows)
        frame.combined[nodes] = _present_ids(*ids)
    return frame.combined[nodes]


def _last_determines(keys: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, int] | None:
    """The last key's codes as the ids when they tell the combinations apart alone: when
    each of its codes comes with one code of every other key (a user of one account only,
    user ids unique across accounts). No combination is numbered then (numbering 10M
    (account, user) pairs by hashing took 0.6 s in the families benchmark's health score;
    this check, two passes over the codes per key). None otherwise."""
    *others, (last, cardinality) = keys
    if not others:
        return None
    for codes, _ in others:
        # Each last code's row written last: every row agrees with it only if none differs.
        owner = np.empty(cardinality, dtype=codes.dtype)
        owner[last] = codes
        for start in range(0, len(last), _SLICE):
            part = slice(start, start + _SLICE)
            if not np.array_equal(owner[last[part]], codes[part]):
                return None
    # As they are (32-bit codes stay 32-bit, 40 MB over 10M events): the ids' users widen
    # what they multiply them by.
    return last, cardinality


def _present_ids(ids: np.ndarray, count: int) -> tuple[np.ndarray, int]:
    """The same ids numbered densely when more ids could exist than there are rows (keys of
    wide ranges, few combinations present): the ids present, in order, from a bitmap."""
    if count <= len(ids) + 1:
        return ids, count
    present = np.zeros(count, dtype=bool)
    present[ids] = True
    number = np.cumsum(present) - 1
    return number[ids], int(number[-1]) + 1


def _one_earliest(pair: np.ndarray, pairs: int, first: np.ndarray, reads: np.ndarray) -> np.ndarray:
    """Of the rows marked in `reads`, one per pair id present in `pair`: a row whose first
    period is the pair's smallest. Any one of them will do: a pair's rows have the same keys
    and value, and those of the same first period the same periods. (Before 2024, every
    event of a pair in the families benchmark has first period 0: keeping all of them placed
    25M rows, one each 0.6M pairs times their periods.) The rows are read a slice at a time,
    so no temporary is as large as the source."""
    low = int(np.min(first, where=reads, initial=np.iinfo(first.dtype).max)) if reads.any() else 0
    span = int(np.max(first, where=reads, initial=low)) - low + 1

    def slices() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for rows in _slices(reads):
            # Widened: `ids * span` below may not fit the ids' own 32 bits.
            yield rows, pair[rows].astype(np.int64, copy=False), first[rows] - low

    if pairs * span <= max(_DENSE_GROUPS, 4 * int(np.count_nonzero(reads))):
        # Which first periods each pair has, as a bitmap: no ufunc.at, which is slow.
        has = np.zeros(pairs * span, dtype=bool)
        for _, ids, firsts in slices():
            has[ids * span + firsts] = True
        smallest = has.reshape(pairs, span).argmax(axis=1)
    else:
        smallest = np.full(pairs, np.iinfo(np.int64).max, dtype=np.int64)
        for _, ids, firsts in slices():
            np.minimum.at(smallest, ids, firsts)
    chosen = np.full(pairs, -1, dtype=np.int64)
    for rows, ids, firsts in slices():
        at_smallest = firsts == smallest[ids]
        chosen[ids[at_smallest]] = rows[at_smallest]  # of repeated ids, whichever is written
    return chosen[chosen >= 0]


def _present_rows(
    scan: SourceScan, frame: RowFrame, ranges: Ranges, keep: np.ndarray | None
) -> PlacedRows | None:
    """Placed rows that put every group of the rows marked in `keep` in place, from few rows:
    none without keys (a period without a group takes the value over nothing all the same);
    one row per key combination at a level without an entity (only the combinations count
    there: every period has a cell for each); at an identifier level, whose cells are the
    entities present in each period, one row per distinct (keys, periods)."""
    nodes = [*scan.dimensions, *([scan.entity] if scan.entity is not None else [])]
    if not nodes:
        return None
    in_range = ranges.last >= ranges.first
    rows = np.flatnonzero(in_range if keep is None else in_range & keep)
    keys = [(codes[rows], len(dictionary) + 1) for codes, dictionary in map(frame.codes, nodes)]
    first, last = ranges.first[rows], ranges.last[rows]
    if scan.entity is not None:
        periods = int(last.max(initial=0)) + 1
        keys += [(first, periods), (last - first, periods)]
    combination, combinations = group_ids(keys, len(rows))
    # One row of each combination present: the last written of its rows.
    representative = np.full(combinations, -1, dtype=np.int64)
    representative[combination] = np.arange(len(rows))
    representative = representative[representative >= 0]
    if scan.entity is None:
        return PlacedRows(frame, rows[representative], first[representative])
    placement = spread(Ranges(first[representative], last[representative]))
    chosen = representative if placement.rows is None else representative[placement.rows]
    return PlacedRows(frame, rows[chosen], placement.periods)


def keyed_groups(
    scan: SourceScan,
    placed: PlacedRows,
    period_count: int,
    present: PlacedRows | None = None,
) -> KeyedGroups:
    """Group by period, the scan's dimensions and (at an identifier level) its entity; the
    groups of the rows `present` places are there too, whether `placed` has rows for them or
    not."""
    frame = placed.frame
    nodes = [*scan.dimensions, *([scan.entity] if scan.entity is not None else [])]
    encoded = [frame.codes(node) for node in nodes]
    if scan.entity is not None:
        # A row naming no entity belongs to none.
        codes, dictionary = encoded[-1]
        placed = placed.keep(codes < len(dictionary))
        present = None if present is None else present.keep(codes < len(dictionary))
    every = placed if present is None else _joined(present, placed)
    keys = [(every.periods, period_count)]
    keys += [(every.read(codes), len(dictionary) + 1) for codes, dictionary in encoded]
    groups, group_count = group_ids(keys, len(every.periods))
    present_groups = np.flatnonzero(np.bincount(groups, minlength=group_count))
    # Any row of a group shows the group's key codes.
    representative = np.empty(group_count, dtype=np.int64)
    representative[groups] = np.arange(len(groups))
    rows = representative[present_groups]
    dense = representative  # reused: the number of each group with rows
    dense[present_groups] = np.arange(len(present_groups))
    ids = dense[groups]
    return KeyedGroups(
        placed=placed,
        ids=ids if present is None else ids[len(present.periods) :],
        count=len(present_groups),
        periods=_widened(every.periods[rows]),
        dimensions=tuple(
            decode(codes[rows], dictionary)
            for (codes, _), (_, dictionary) in zip(keys[1:], encoded, strict=True)
        ),
    )


def _joined(first: PlacedRows, second: PlacedRows) -> PlacedRows:
    """The rows of both placements (of the same frame), `first`'s first."""

    def rows(placed: PlacedRows) -> np.ndarray:
        return np.arange(len(placed.periods)) if placed.rows is None else placed.rows

    return PlacedRows(
        first.frame,
        np.concatenate([rows(first), rows(second)]),
        np.concatenate([first.periods, second.periods]),
    )


def group_cells(
    scan: SourceScan,
    placer: Placer,
    frame: RowFrame,
    period_count: int,
    functions: Mapping[str, AggregateFunction],
    only: np.ndarray | None = None,
) -> ScanCells:
    """Group by period, the scan's dimensions and (at an identifier level) its entity; one
    result per group that has rows (of the rows marked in `only`, when given)."""
    groups = scan_groups(scan, placer, frame, period_count, functions, only)
    requests = scan_requests(scan, groups.placed, functions)
    return ScanCells(
        periods=groups.periods,
        dimensions=groups.dimensions,
        aggregates=aggregate_groups(requests, groups.ids, groups.count, scan.source),
    )


def group_members(
    scan: SourceScan,
    placed: PlacedRows,
    member_of_row: np.ndarray,
    period_count: int,
    member_count: int,
    functions: Mapping[str, AggregateFunction],
) -> dict[str, pa.Array]:
    """Group by (period, entity) where `member_of_row` gives each source row's entity (-1:
    none); one result per (period, entity), null where the entity has no values."""
    placed = placed.keep(member_of_row >= 0)
    groups = _widened(placed.periods) * member_count + placed.read(member_of_row)
    requests = scan_requests(scan, placed, functions)
    return aggregate_groups(requests, groups, period_count * member_count, scan.source)


def member_distinct_counts(
    scan: SourceScan,
    frame: RowFrame,
    ranges: Ranges | None,
    keep: np.ndarray | None,
    member_of_row: np.ndarray,
    period_count: int,
    member_count: int,
) -> dict[str, pa.Array]:
    """The scan's distinct counts (`count_distinct`) per (period, entity) over the rows of
    `frame` marked in `keep` (None: all) in their `ranges` of periods, where `member_of_row`
    gives each source row's entity (-1: none). All the rows of an (entity, value) pair name
    the same entity, so a value counts in a (period, entity) cell once per pair: a (period,
    pair) cell is marked when a row of the pair counts in the period, and the marks are
    counted per cell, where the general way sorts every placed (group, value) pair. The
    marks come from the rows' period ranges (`_marked_periods`): no row is placed. A
    distinct count with too many (period, pair) cells for a bitmap is left out (computed as
    any other)."""
    entity = scan.entity
    if entity is None:
        return {}
    counted = member_of_row >= 0
    if keep is not None:
        counted &= keep
    if ranges is not None:
        counted &= ranges.last >= ranges.first
    results = {}
    for fused in scan.aggregates:
        aggregate = fused.aggregate
        if aggregate.function != "count_distinct" or aggregate.arg is None:
            continue
        pair_of_row, pairs = combined_codes(frame, (entity, aggregate.arg))
        reads = counted & _valid(frame, aggregate)
        if ranges is None:  # every row once, in the only period
            first = last = np.zeros(frame.num_rows, dtype=np.int64)
        else:
            first, last = ranges.first, ranges.last
        placed = sum(int((last[rows] - first[rows]).sum()) + len(rows) for rows in _slices(reads))
        if period_count * pairs > max(_DENSE_GROUPS, 4 * placed):
            continue
        marked = np.zeros(period_count * pairs, dtype=bool)
        member_of_pair = np.full(pairs, -1, dtype=np.int64)
        for rows in _slices(reads):
            pair = pair_of_row[rows]
            cell = _widened(first[rows]) * pairs + pair
            _mark_periods(marked, cell, last[rows] - first[rows], pairs)
            member_of_pair[pair] = member_of_row[rows]
        results[fused.name] = numbers_array(
            _marks_per_member(marked, member_of_pair, period_count, member_count)
        )
    return results


def _marks_per_member(
    marked: np.ndarray, member_of_pair: np.ndarray, period_count: int, member_count: int
) -> np.ndarray:
    """The marks of a (period, pair) bitmap counted per (period, entity), where
    `member_of_pair` gives each pair's entity. A few periods at a time, about a slice of marks:
    an all-time count marks each pair in every period from its first (counted at once, the
    health score's bitmap of 7.8M cells made several 62 MB temporaries)."""
    pairs = max(len(member_of_pair), 1)
    counts = np.empty(period_count * member_count, dtype=np.int64)
    step = max(1, _SLICE // pairs)
    for start in range(0, period_count, step):
        stop = min(start + step, period_count)
        cells = np.flatnonzero(marked[start * pairs : stop * pairs])
        groups = cells // pairs * member_count + member_of_pair[cells % pairs]
        in_periods = counts[start * member_count : stop * member_count]
        in_periods[:] = np.bincount(groups, minlength=len(in_periods))
    return counts


@frozen
class KeptCodes:
    """Only the rows whose value of `node` has a code (`RowFrame.codes`) marked in `kept`
    (one entry per code, the null code's last) count, as if the query filtered the others
    out."""

    node: BExpr
    kept: np.ndarray

    def rows(self, frame: RowFrame) -> np.ndarray:
        """Which rows of `frame` count."""
        return self.kept[frame.codes(self.node)[0]]


@frozen(eq=False)
class LinkPresence:
    """The linked rows that the rows of `source` name through `link` in each period, as a
    per-entity level's pass found them: `counts[p, i]` is 1 when a row of the source that
    its `filters` keep names the entity at linked row `rows[i]` in period p of its `ranges`,
    else 0 (`range_totals`, capped)."""

    source: str
    link: str
    ranges: Ranges
    filters: tuple[BExpr, ...]
    rows: np.ndarray
    counts: np.ndarray


def linked_distinct_cells(
    scan: SourceScan,
    placer: Placer,
    frame: RowFrame,
    period_count: int,
    only: KeptCodes | None = None,
    found: Sequence[LinkPresence] = (),
) -> ScanCells | None:
    """`group_cells` of a pass whose aggregates are all the distinct count of one link
    column (`count_distinct(subscriptions.account_id)`) and whose dimensions all lie behind
    that link (`cohort(accounts.signed_up_at, month)`), at a level without an entity. A
    value names one row of the linked source (its key is unique), and that row's values are
    the dimensions of every row naming it: a group's count is the number of linked rows
    some counted row names in the period. So the linked rows present in each period are
    counted per group: no row is repeated in its periods and no (group, value) pair sorted
    or marked in a bitmap per group (the cohorts family's `customers` by cohort: 156 groups
    x 200k values). They are taken from a per-entity level's pass over the same rows when
    one has `found` them (a cohort query's per-account `customers`), else marked from the
    rows' period ranges. A group has rows exactly when it has a count. None (the general
    way) for other passes, when the values and keys differ in type (equal once cast,
    distinct as values), when a counted row names no linked row (null and unknown values
    all land on the null row), and when the pairs are too many for a bitmap."""
    link = _counted_link(scan, frame)
    if link is None:
        return None
    linked = frame.behind(link)
    named_rows = linked.num_rows - 1  # (the null row last)
    row_of = frame.linked_rows(link)
    ranges = placer.ranges(scan)
    # Which linked rows count (None: all), the null row's entry last (`only` tells rows apart
    # by one of the dimensions, so by a formula behind the link too).
    linked_kept = None if only is None else only.kept[linked.codes(past_link(only.node))[0]]
    if linked_kept is not None and linked_kept[named_rows]:
        return None
    counted = None
    if linked_kept is None:
        counted = _in_range(scan, frame, ranges)
        if (counted & (row_of >= named_rows)).any():
            return None
    # Each linked row's combination of dimension values as one code: a group is a (period,
    # code), so the linked rows present are counted a period at a time by their codes.
    encoded = [linked.codes(past_link(dimension)) for dimension in scan.dimensions]
    unit, units = (
        group_ids([(codes, len(dictionary) + 1) for codes, dictionary in encoded], linked.num_rows)
        if encoded
        else (np.zeros(linked.num_rows, dtype=np.int64), 1)
    )
    kept_rows = np.ones(named_rows, dtype=bool) if linked_kept is None else linked_kept[:-1]
    shared = _shared_presence(found, scan, frame, link, ranges, period_count, kept_rows)
    if shared is not None:
        code_of = unit[shared.rows]
        present = [code_of[np.flatnonzero(marks)] for marks in shared.counts != 0]
    else:
        if linked_kept is not None:  # (with the null row, the rows naming none are left out)
            counted = _in_range(scan, frame, ranges) & linked_kept[row_of]
        assert counted is not None
        marked = _marked(counted, row_of, ranges, period_count, named_rows)
        if marked is None:
            return None
        present = [unit[np.flatnonzero(marks)] for marks in marked]
    counts = np.zeros(period_count * units, dtype=np.int64)  # (period * units + code)
    for number, in_period in enumerate(present):
        counts[number * units : (number + 1) * units] = np.bincount(in_period, minlength=units)
    present_groups = np.flatnonzero(counts)
    period, code = np.divmod(present_groups, units)
    # Any linked row of a code shows the code's dimension values.
    representative = np.empty(units, dtype=np.int64)
    representative[unit] = np.arange(len(unit))
    row = representative[code]
    values = numbers_array(counts[present_groups])
    return ScanCells(
        periods=period,
        dimensions=tuple(decode(codes[row], dictionary) for codes, dictionary in encoded),
        aggregates={fused.name: values for fused in scan.aggregates},
    )


def _in_range(scan: SourceScan, frame: RowFrame, ranges: Ranges | None) -> np.ndarray:
    """The rows of `frame` in some period that the scan's filters keep."""
    counted = np.ones(frame.num_rows, dtype=bool) if ranges is None else ranges.last >= ranges.first
    if scan.filters:
        counted &= all_true(frame, scan.filters)
    return counted


def _shared_presence(
    found: Sequence[LinkPresence],
    scan: SourceScan,
    frame: RowFrame,
    link: str,
    ranges: Ranges | None,
    period_count: int,
    kept_rows: np.ndarray,
) -> LinkPresence | None:
    """What a per-entity level found of the same rows: the same source, link, filters and
    period ranges (the same ranges: the periods of state rows at the same period ends are
    placed once per query), over the same linked rows."""
    for presence in found:
        if (
            presence.source == frame.source
            and presence.link == link
            and presence.ranges is ranges
            and presence.filters == tuple(scan.filters)
            and len(presence.counts) == period_count
        ):
            entities = np.zeros(len(kept_rows), dtype=bool)
            entities[presence.rows] = True
            if np.array_equal(entities, kept_rows):
                return presence
    return None


def _marked(
    counted: np.ndarray,
    row_of: np.ndarray,
    ranges: Ranges | None,
    period_count: int,
    named_rows: int,
) -> np.ndarray | None:
    """A (period, linked row) bitmap, one row per period, marked where a `counted` row names
    the linked row in the period; None when the pairs are too many for one."""
    rows = np.flatnonzero(counted)
    if ranges is None:
        first = np.zeros(len(rows), dtype=np.int64)
        left = first
    else:
        first = ranges.first[rows]
        left = ranges.last[rows] - first
    if period_count * named_rows > max(_DENSE_GROUPS, 4 * (int(left.sum()) + len(rows))):
        return None
    marked = np.zeros(period_count * named_rows, dtype=bool)
    _mark_periods(marked, _widened(first) * named_rows + row_of[rows], left, named_rows)
    return marked.reshape(period_count, named_rows)


def _counted_link(scan: SourceScan, frame: RowFrame) -> str | None:
    """The link column every aggregate of the scan counts the distinct values of, without a
    `where`, when the scan has dimensions, every one behind that link, and the link's values
    have its key's type; None otherwise."""
    args = {fused.aggregate.arg for fused in scan.aggregates}
    if (
        scan.entity is not None
        or len(args) != 1
        or any(
            fused.aggregate.function != "count_distinct" or fused.aggregate.where is not None
            for fused in scan.aggregates
        )
    ):
        return None
    (arg,) = args
    info = frame.sources.project.sources
    if not isinstance(arg, BColumn) or arg.path:
        return None
    target = info[frame.source].links.get(arg.column)
    # Without a dimension behind it, the link is not followed, and its source perhaps not
    # read.
    if target is None or not scan.dimensions:
        return None
    if any(shared_link(d) != arg.column for d in scan.dimensions):
        return None
    key = info[target].key
    assert key is not None, "the checker only accepts links to sources with a key"
    kind = _type_of(frame, arg.column)
    # Integers and text compare as they are counted: equal exactly when the same value.
    plain = pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
    return arg.column if plain and kind == _type_of(frame.behind(arg.column), key) else None


def _type_of(frame: RowFrame, column: str) -> pa.DataType:
    """The type of a column `RowFrame.named` gives, without combining its chunks."""
    return frame.evaluate(frame.sources.project.sources[frame.source].value_of(column)).type


def _mark_periods(marked: np.ndarray, cell: np.ndarray, left: np.ndarray, width: int) -> None:
    """Marks, in a bitmap of periods of `width` cells each, each `cell` (in a row's first
    period) and the same place in the `left` periods after it: each row's whole range of
    periods, one step per period with only the rows still in force, so the work is the
    placed rows' and the memory the rows' (a 30-day window over month ends puts most events
    in one period, some in two)."""
    while len(cell):
        marked[cell] = True
        more = left > 0
        cell, left = cell[more] + width, left[more] - 1


def _widened(periods: np.ndarray) -> np.ndarray:
    """Period numbers as int64 (32-bit ones copied): what is multiplied by a count of
    entities, pairs or cells, whose product may not fit 32 bits (a per-day level over
    millions of accounts)."""
    return periods.astype(np.int64, copy=False)


def _slices(mask: np.ndarray) -> Iterator[np.ndarray]:
    """The positions marked in `mask`, a slice of the rows at a time: a pass over a whole
    source whose temporaries stay small."""
    for start in range(0, len(mask), _SLICE):
        yield np.flatnonzero(mask[start : start + _SLICE]) + start


def range_totals(
    scan: SourceScan,
    weights: Sequence[Additive],
    frame: RowFrame,
    ranges: Ranges,
    keep: np.ndarray,
    member_of_row: np.ndarray,
    period_count: int,
    member_count: int,
    capped: bool = False,
) -> dict[str, pa.Array] | None:
    """The scan's additive aggregates (`weights`, plan/physical.py) per (period, entity)
    straight from each row's period range — its weight added where the range starts and taken
    away after it ends, then running totals along the periods — so no row is repeated (a row
    in force for years adds two numbers, not one per period). None when its totals could
    exceed the integers float64 holds exactly. `capped`: the counts at most 1 (whether a
    (period, entity) has a row)."""
    # Positions, not a mask: a mask is read again for each array it selects from (three
    # gathers over 1.5M subscriptions took 17 ms by mask, 5 ms by position).
    placed = np.flatnonzero(keep & (member_of_row >= 0) & (ranges.last >= ranges.first))
    members = member_of_row[placed]
    cells = (period_count + 1) * member_count
    starts = _widened(ranges.first[placed]) * member_count + members
    stops = (_widened(ranges.last[placed]) + 1) * member_count + members
    totals = {}
    for kind, fused in zip(weights, scan.aggregates, strict=True):
        values = Input(_values(frame, fused.aggregate), None)
        if kind == Additive.COUNT:
            # Counts in integers: no float weights to round back.
            counted = values.valid()[placed]
            every = counted.all()
            change = np.bincount(starts if every else starts[counted], minlength=cells)
            change -= np.bincount(stops if every else stops[counted], minlength=cells)
            # In place: each array here is as large as the cells (2.6M for 200k accounts).
            running = change.reshape(period_count + 1, member_count)
            _run_down(running)
            if capped:
                np.minimum(running, 1, out=running)
            totals[fused.name] = numbers_array(running[:period_count].ravel())
            continue
        weight = values.numbers()[placed]
        if np.abs(weight).sum(dtype=np.float64) >= EXACT_FLOAT_INTEGERS:
            return None
        change = np.bincount(starts, weight, cells) - np.bincount(stops, weight, cells)
        running = change.reshape(period_count + 1, member_count)
        _run_down(running)
        totals[fused.name] = numbers_array(np.rint(running[:period_count].ravel()).astype(np.int64))
    return totals


# From this many entities, running totals go down the periods a whole row at a time.
_WIDE_ROWS = 1 << 12


def _run_down(cells: np.ndarray) -> None:
    """Running totals down the rows (periods) of `cells`, in place. Over wide rows, one
    row at a time: numpy's cumulative sum down the first axis of a C-ordered array steps
    across the rows value by value (2 ms over 13 month ends of 111k accounts, against 0.4)."""
    if cells.shape[1] < _WIDE_ROWS:
        np.cumsum(cells, axis=0, out=cells)
        return
    for period in range(1, len(cells)):
        np.add(cells[period], cells[period - 1], out=cells[period])


def scan_requests(
    scan: SourceScan, placed: PlacedRows, functions: Mapping[str, AggregateFunction]
) -> list[Request]:
    return [
        Request(
            name=fused.name,
            function=functions[fused.aggregate.function],
            input=Input(_values(placed.frame, fused.aggregate), placed.rows),
            params=fused.aggregate.params,
            node=fused.aggregate,
        )
        for fused in scan.aggregates
    ]


def _valid(frame: RowFrame, aggregate: BAggregate) -> np.ndarray:
    """The rows where the aggregate reads a value (`Input.valid` of `_values`); without a
    `where` or an order, over a column without nulls, all of them: its chunks are not
    combined for that (over 10M events, an 80 MB copy per pass)."""
    if aggregate.arg is not None and aggregate.where is None and aggregate.order is None:
        value = frame.evaluate(aggregate.arg)
        if not isinstance(value, pa.Scalar) and value.null_count == 0:
            return np.ones(frame.num_rows, dtype=bool)
    return Input(_values(frame, aggregate), None).valid()


def _values(frame: RowFrame, aggregate: BAggregate) -> pa.Array:
    """The values an aggregate reads from each source row."""
    count = frame.num_rows
    values = (
        true_array(count)
        if aggregate.arg is None
        else as_array(frame.evaluate(aggregate.arg), count)
    )
    if aggregate.order is not None:
        # An ordered aggregate reads each row's value with what orders it (`Ordering`).
        order = as_array(frame.evaluate(aggregate.order), count)
        values = pa.StructArray.from_arrays([values, order], names=["value", "order"])
    condition = (
        None if aggregate.where is None else as_array(frame.evaluate(aggregate.where), count)
    )
    return where_true(values, condition)


def rows_read(
    scan: SourceScan,
    frame: RowFrame,
    ranges: Ranges | None,
    functions: Mapping[str, AggregateFunction],
) -> np.ndarray | None:
    """The rows of `frame` the scan reads (None: all): those its filters keep, and of those
    only the ones its aggregates need (`_read_rows`)."""
    keep = all_true(frame, scan.filters) if scan.filters else None
    read = _read_rows(scan, frame, ranges, keep, functions)
    if read is not None:
        keep = read if keep is None else keep & read
    return keep


def group_ids(keys: list[tuple[np.ndarray, int]], row_count: int) -> tuple[np.ndarray, int]:
    """One id per row from several integer keys (each with its number of possible codes),
    and how many ids there can be."""
    limit = max(_DENSE_GROUPS, 4 * row_count)
    (groups, count), *rest = keys
    groups = groups.astype(np.int64)  # a copy: updated in place below
    for codes, cardinality in rest:
        if count * cardinality > limit:
            groups, count = _renumber(groups)
        groups *= cardinality
        groups += codes
        count *= cardinality
    if count > limit:
        groups, count = _renumber(groups)
    return groups, count


def _renumber(groups: np.ndarray) -> tuple[np.ndarray, int]:
    encoded = pc.dictionary_encode(numbers_array(groups))
    return encoded.indices.to_numpy().astype(np.int64), len(encoded.dictionary)


def decode(codes: np.ndarray, dictionary: pa.Array) -> pa.Array:
    """Values from codes; the code one past the dictionary is null."""
    is_null = codes == len(dictionary)
    indices = pa.array(np.where(is_null, 0, codes), mask=is_null)
    return dictionary.take(indices) if len(dictionary) else pa.nulls(len(codes), dictionary.type)
