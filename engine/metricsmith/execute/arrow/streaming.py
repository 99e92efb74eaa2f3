"""Grouped passes over a source read in batches, so the source is never held whole.

Each batch is placed and grouped as a whole source would be (grouping.py); what a batch leaves
behind is small: its groups' keys, the partial counts of its counting aggregates, and for every
other aggregate the values it reads (only the distinct (group, value) pairs, for an aggregate
that ignores repeats, such as a distinct count). As what is kept grows, and when the last
batch is done, the batches' groups are numbered by their keys and merged; each aggregate is
then computed once over the values kept, in row order, exactly as over the whole source: the
answers are the same to the bit (a float sum adds the same values in the same order).

Batches are grouped on a few threads at once (`METRICSMITH_ARROW_THREADS`), while the next is
read; what each leaves is folded in the order the batches were read, so the answers do not
depend on the threads.

What is kept is counted against a memory budget (`METRICSMITH_ARROW_MEMORY`, see
docs/engines.md): a query that would keep more is refused with a message naming the source
before memory runs out.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import define, field, frozen

from metricsmith.errors import QueryError
from metricsmith.execute.arrow.aggregation import Input, Request, aggregate_groups
from metricsmith.execute.arrow.cells import concatenate
from metricsmith.execute.arrow.frame import Sources
from metricsmith.execute.arrow.grouping import (
    ScanCells,
    group_ids,
    scan_groups,
    scan_requests,
)
from metricsmith.execute.arrow.placement import Placer
from metricsmith.execute.arrow.values import numbers_array
from metricsmith.plan.nodes import SourceScan
from metricsmith.plugins.functions import Additive, AggregateFunction
from metricsmith.plugins.values import dictionary_encode

#: The environment variable holding the Arrow engine's memory budget ("8GB", "512MB").
MEMORY_VARIABLE = "METRICSMITH_ARROW_MEMORY"
# Integers up to this (in size) combine into one int64 pair code without overflowing.
_PAIR_LIMIT = 1 << 62
#: The environment variable holding how many threads group a source's batches ("1": one).
THREADS_VARIABLE = "METRICSMITH_ARROW_THREADS"
# The most threads by default: each holds a batch, and more rarely pays on a few cores.
_MOST_THREADS = 4
_T = TypeVar("_T")
_R = TypeVar("_R")
#: One batch read: each source's rows of it (several sources when read once together).
Batch = Mapping[str, pa.Table]
_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def memory_budget() -> int | None:
    """The most bytes the Arrow engine may hold of a source's rows and what it keeps of them
    (None: no limit)."""
    setting = os.environ.get(MEMORY_VARIABLE, "").strip()
    if not setting:
        return None
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?B?)", setting.upper())
    if found is None:
        raise QueryError(
            f"{MEMORY_VARIABLE}={setting!r} is not an amount of memory",
            hint=f"write it as 8GB, 512MB or a number of bytes, or unset {MEMORY_VARIABLE}",
        )
    number, unit = found.groups()
    return int(float(number) * _UNITS[unit if unit.endswith("B") or not unit else unit + "B"])


def scan_threads() -> int:
    """How many threads group the batches of a source read in batches: the setting, else the
    cores this process may use (at most a few)."""
    setting = os.environ.get(THREADS_VARIABLE, "").strip()
    if not setting:
        cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        return max(1, min(len(cores) if cores else os.cpu_count() or 1, _MOST_THREADS))
    if not setting.isdigit() or int(setting) < 1:
        raise QueryError(
            f"{THREADS_VARIABLE}={setting!r} is not a number of threads",
            hint=f"write a whole number from 1 (one thread) up, or unset {THREADS_VARIABLE}",
        )
    return int(setting)


def over_budget(source: str | Sequence[str], needed: int, budget: int, what: str) -> QueryError:
    names = [source] if isinstance(source, str) else list(source)
    named = ("source " if len(names) == 1 else "sources ") + " and ".join(f"`{n}`" for n in names)
    return QueryError(
        f"the arrow engine would hold more than {_size(budget)} of {named} in memory "
        f"({what}: {_size(needed)} so far)",
        hint=f"narrow the query (a shorter range, fewer dimensions), raise {MEMORY_VARIABLE} "
        "(docs/engines.md), or run it on the duckdb engine, which spills to disk",
    )


def _size(count: int) -> str:
    for unit in ("TB", "GB", "MB", "KB"):
        if count >= _UNITS[unit]:
            return f"{count / _UNITS[unit]:.1f} {unit}"
    return f"{count} bytes"


@define
class _Kept:
    """What the batches leave of one aggregate: partial counts per batch group (`counts`),
    or the values read in chunks, each value with its group as a chunk-local number
    (`groups`) and each chunk's numbers mapped to the groups' current numbers (`maps`). A
    merge renumbers the groups by rewriting the maps, which are as long as a chunk has
    groups, not the rows' numbers: the values an aggregate keeps whole (an average, a median)
    are then copied once, at the end, however often the batches merge."""

    request: Request
    counts: list[np.ndarray] = field(factory=list)
    values: list[pa.Array] = field(factory=list)
    groups: list[np.ndarray] = field(factory=list)
    maps: list[np.ndarray] = field(factory=list)

    @property
    def nbytes(self) -> int:
        arrays = [*self.counts, *self.groups, *self.maps]
        return sum(a.nbytes for a in arrays) + sum(v.nbytes for v in self.values)

    def add(self, values: pa.Array, groups: np.ndarray, numbers: np.ndarray) -> None:
        """A chunk of values, their groups' chunk-local numbers and those groups' numbers."""
        self.values.append(values)
        self.groups.append(groups.astype(np.int32))
        self.maps.append(numbers)

    def numbered(self) -> tuple[pa.Array, np.ndarray]:
        """Every value kept, in row order, and its group's current number; let go of the
        chunks."""
        values = concatenate(self.values)
        groups = np.concatenate([m[g] for m, g in zip(self.maps, self.groups, strict=True)])
        self.values.clear()
        self.groups.clear()
        self.maps.clear()
        return values, groups


@frozen(eq=False)
class _BatchPart:
    """What one batch leaves of one scan before it is folded into what is kept: its groups'
    keys and, per aggregate, partial counts or (values, their groups' batch-local numbers);
    None for an aggregate reading the values an earlier one keeps (`_kept_by`)."""

    periods: np.ndarray
    dimensions: tuple[pa.Array, ...]
    requests: Sequence[Request]
    parts: Sequence[np.ndarray | tuple[pa.Array, np.ndarray] | None]

    @property
    def nbytes(self) -> int:
        found = [p for p in self.parts if p is not None]
        arrays = [p if isinstance(p, np.ndarray) else p[1] for p in found]
        values = [p[0] for p in found if not isinstance(p, np.ndarray)]
        return self.periods.nbytes + sum(a.nbytes for a in [*arrays, *values])


def _kept_by(scan: SourceScan, functions: Mapping[str, AggregateFunction]) -> list[int]:
    """For each aggregate of the scan, the first aggregate keeping the values it reads: an
    aggregate of the same values (argument, `where` and order) as an earlier one that does
    not count, and ignores repeats as it does, reads what that one keeps (the average and
    the median of the same hours keep them once, and are merged once)."""
    first: dict[object, int] = {}
    kept_by = []
    for position, fused in enumerate(scan.aggregates):
        aggregate = fused.aggregate
        function = functions[aggregate.function]
        if function.additive is Additive.COUNT:
            kept_by.append(position)
            continue
        reads = (aggregate.arg, aggregate.where, aggregate.order, function.ignores_repeats)
        kept_by.append(first.setdefault(reads, position))
    return kept_by


class _ScanState:
    """The batches' groups and kept values of one scan. Whenever what is kept has doubled
    since the last merge, the batches so far are merged into one (their groups numbered by
    key, repeated distinct pairs dropped), so a distinct count keeps about one pair per
    (group, value) however many batches repeat it, at a cost linear in the rows overall."""

    def __init__(self, scan: SourceScan, functions: Mapping[str, AggregateFunction]):
        self.scan = scan
        self.functions = functions
        self.periods: list[np.ndarray] = []
        self.dimensions: list[tuple[pa.Array, ...]] = []
        self.requests: Sequence[Request] = []  # (as the first batch made them)
        self.kept: list[_Kept] = []  # per aggregate; several may share one
        self._kept_by = _kept_by(scan, functions)
        self._merged_size = 0

    @property
    def _distinct_kept(self) -> list[_Kept]:
        return [kept for i, kept in enumerate(self.kept) if self._kept_by[i] == i]

    def read(self, placer: Placer, sources: Sources, period_count: int) -> _BatchPart:
        """What one batch leaves of this scan: its groups and, per aggregate, its partial
        counts or the values it reads (each distinct pair once, for an aggregate that ignores
        repeats). Depends on the batch alone, so batches are read side by side."""
        scan = self.scan
        groups = scan_groups(scan, placer, sources.frame(scan.source), period_count, self.functions)
        requests = scan_requests(scan, groups.placed, self.functions)
        parts: list[np.ndarray | tuple[pa.Array, np.ndarray] | None] = []
        for position, request in enumerate(requests):
            if self._kept_by[position] != position:
                parts.append(None)
                continue
            if request.function.additive is Additive.COUNT:
                counted = aggregate_groups([request], groups.ids, groups.count, scan.source)
                parts.append(counted[request.name].to_numpy())
                continue
            values, ids = request.input.gathered(), groups.ids
            if request.function.ignores_repeats:
                values, ids = _distinct_pairs(values, ids)
            parts.append((values, ids))
        return _BatchPart(groups.periods, groups.dimensions, requests, parts)

    def fold(self, part: _BatchPart, period_count: int) -> None:
        """A batch's part into what is kept (batches are folded in the order they are read,
        so the values kept stay in row order)."""
        offset = sum(len(p) for p in self.periods)
        self.periods.append(part.periods)
        self.dimensions.append(part.dimensions)
        if not self.kept:
            self.requests = part.requests
            for position, request in enumerate(part.requests):
                first = self._kept_by[position]
                self.kept.append(_Kept(request) if first == position else self.kept[first])
        numbers = np.arange(offset, offset + len(part.periods))
        for kept, found in zip(self.kept, part.parts, strict=True):
            if found is None:
                continue
            if isinstance(found, np.ndarray):
                kept.counts.append(found)
            else:
                kept.add(*found, numbers)
        if self._size() > 2 * self._merged_size:
            self._merge(period_count)
            self._merged_size = self._size()

    def _size(self) -> int:
        """How many groups and values are kept."""
        groups = sum(len(p) for p in self.periods)
        return groups + sum(len(v) for kept in self._distinct_kept for v in kept.values)

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes for k in self._distinct_kept) + sum(p.nbytes for p in self.periods)

    def _merge(self, period_count: int) -> None:
        """The batches so far as one: their groups numbered by their keys, each aggregate's
        counts added up and values put together in row order (each distinct pair once)."""
        periods = np.concatenate(self.periods)
        dimensions = [concatenate(list(keys)) for keys in zip(*self.dimensions, strict=True)]
        keys = [(periods, period_count)]
        for values in dimensions:
            encoded = dictionary_encode(values)
            codes = pc.fill_null(encoded.indices, len(encoded.dictionary))
            keys.append((codes.to_numpy(zero_copy_only=False), len(encoded.dictionary) + 1))
        ids, _ = group_ids(keys, len(periods))
        _, first, number = np.unique(ids, return_index=True, return_inverse=True)
        count, number = len(first), number.ravel()
        for kept in self._distinct_kept:
            if kept.counts:
                totals = np.zeros(count, dtype=np.int64)
                np.add.at(totals, number, np.concatenate(kept.counts))
                kept.counts[:] = [totals]
                continue
            if not kept.request.function.ignores_repeats:
                kept.maps[:] = [number[numbers] for numbers in kept.maps]
                continue
            # Repeated pairs are dropped as the batches merge, so what is kept stays small.
            values, groups = kept.numbered()
            values, groups = _distinct_pairs(values, number[groups])
            kept.add(values, groups, np.arange(count))
        taken = numbers_array(first)
        self.periods[:] = [periods[first]]
        self.dimensions[:] = [tuple(values.take(taken) for values in dimensions)]

    def cells(self, period_count: int) -> ScanCells:
        """The groups of all batches, numbered by their keys, and every aggregate of them."""
        self._merge(period_count)
        (periods,), (dimensions,) = self.periods, self.dimensions
        aggregates = {}
        numbered: dict[int, tuple[Input, np.ndarray]] = {}
        for request, kept, first in zip(self.requests, self.kept, self._kept_by, strict=True):
            if kept.counts:
                aggregates[request.name] = pa.array(kept.counts[0])
                continue
            if first not in numbered:
                kept_values, kept_groups = kept.numbered()
                # (int64: what aggregate functions are given)
                numbered[first] = Input(kept_values, None), kept_groups.astype(np.int64)
            values, groups = numbered[first]
            whole = Request(request.name, request.function, values, request.params, request.node)
            aggregates.update(aggregate_groups([whole], groups, len(periods), self.scan.source))
        return ScanCells(periods=periods, dimensions=dimensions, aggregates=aggregates)


def _distinct_pairs(values: pa.Array, groups: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The distinct (group, value) pairs with a value (in no particular order: only which
    pairs there are counts)."""
    if pa.types.is_integer(values.type):
        found = _distinct_integer_pairs(values, groups)
        if found is not None:
            return found
    return _distinct_hashed_pairs(values, groups)


def _distinct_integer_pairs(
    values: pa.Array, groups: np.ndarray
) -> tuple[pa.Array, np.ndarray] | None:
    """Integers (ids, mostly) and their groups as one integer per pair, sorted and each kept
    once: no dictionary to build, and the pairs kept so far stay in sorted runs, which the
    merge sort of the next merge takes in one pass. None when the pairs would not fit."""
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    present = values if values.null_count == 0 else values.filter(pa.array(valid))
    if len(present) == 0:
        return present, np.zeros(0, dtype=np.int64)
    low, high = (s.as_py() for s in pc.min_max(present).values())
    width = int(groups.max(initial=0)) + 1
    # The value's offset in the low bits, the group above them (shifts, not divisions).
    bits = (high - low).bit_length()
    if high >= _PAIR_LIMIT or low <= -_PAIR_LIMIT or width << bits >= _PAIR_LIMIT:
        return None
    # In place where it can be: this runs over everything kept when the batches merge.
    pairs = (groups if present is values else groups[valid]) << bits
    pairs += present.to_numpy().astype(np.int64, copy=False)
    pairs -= low
    pairs.sort(kind="stable")
    first = np.ones(len(pairs), dtype=bool)
    np.not_equal(pairs[1:], pairs[:-1], out=first[1:])
    distinct = pairs[first]
    del pairs, first
    distinct_groups = distinct >> bits
    distinct &= (1 << bits) - 1
    distinct += low
    return pa.array(distinct).cast(values.type), distinct_groups


def _distinct_hashed_pairs(values: pa.Array, groups: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The distinct (group, value) pairs with a value, found by hashing (no sort): each value
    becomes its dictionary code, each pair one integer."""
    encoded = dictionary_encode(values)
    valid = encoded.indices.is_valid().to_numpy(zero_copy_only=False)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    width = int(groups.max(initial=0)) + 1
    pairs = codes[valid].astype(np.int64) * width + groups[valid]
    distinct = pc.unique(numbers_array(pairs)).to_numpy()
    return encoded.dictionary.take(numbers_array(distinct // width)), distinct % width


def stream_scans(
    scans: Sequence[SourceScan],
    batches: Iterable[Batch],
    placer: Placer,
    sources: Sources,
    period_count: int,
    functions: Mapping[str, AggregateFunction],
    budget: int | None,
    threads: int = 1,
) -> list[ScanCells]:
    """The groups of each scan (all in the level `placer` places rows in), their sources'
    rows read batch by batch: a batch holds rows of one source, or of each of several sources
    read once together (sources over the same data). With several `threads`, batches are
    grouped side by side while the next is read (at most `threads` + 1 batches held); what
    they leave is folded in the order they were read, so the answers are the one thread's to
    the bit."""
    states = [_ScanState(scan, functions) for scan in scans]
    named = list(dict.fromkeys(scan.source for scan in scans))

    def read(batch: Batch) -> dict[int, _BatchPart]:
        parts = {}
        for source, rows in batch.items():
            batched = sources.with_batch(source, rows)
            batch_placer = placer.over(batched)
            for i, state in enumerate(states):
                if state.scan.source == source:
                    parts[i] = state.read(batch_placer, batched, period_count)
        return parts

    def fold(parts: dict[int, _BatchPart], held: int, count: int) -> None:
        for i, part in parts.items():
            states[i].fold(part, period_count)
        if budget is not None:
            needed = sum(state.nbytes for state in states) + held
            if needed > budget:
                what = "a batch" if count == 1 else f"{count} batches"
                raise over_budget(named, needed, budget, f"{what} and the values kept")

    batches = iter(batches)
    if threads <= 1:
        for batch in batches:
            fold(read(batch), _nbytes(batch), 1)
    else:
        _stream_side_by_side(batches, read, fold, threads)
    if threads <= 1 or len(states) <= 1:
        return [state.cells(period_count) for state in states]
    with ThreadPoolExecutor(min(threads, len(states))) as pool:
        return list(pool.map(_in_context(lambda state: state.cells(period_count)), states))


def _in_context(work: Callable[[_T], _R]) -> Callable[[_T], _R]:
    """`work` run in a copy of the caller's context, each call in its own copy: a thread of a
    pool starts without the caller's context variables, and functions read the query's
    calendar from one (`metricsmith.plugins.values.CALENDAR`)."""
    context = contextvars.copy_context()
    return lambda item: context.copy().run(work, item)


def _nbytes(batch: Batch) -> int:
    return sum(rows.nbytes for rows in batch.values())


def _stream_side_by_side(
    batches: Iterator[Batch],
    read: Callable[[Batch], dict[int, _BatchPart]],
    fold: Callable[[dict[int, _BatchPart], int, int], None],
    threads: int,
) -> None:
    """`read` over the batches on `threads` threads (the bulk of it is NumPy and Arrow
    kernels, which let go of the GIL), each batch's parts `fold`ed in order, with the bytes
    of the batches read and not yet folded. The first batch is read alone: what every batch
    shares (a linked source's frame, its key table, window starts) is then built once, not
    raced for. An error is raised where one thread meets it: a batch that fails to read
    after earlier ones are folded, a batch's own error when it is folded."""
    first = next(batches, None)
    if first is None:
        return
    fold(read(first), _nbytes(first), 1)
    del first
    pending: deque[tuple[Batch, Future[dict[int, _BatchPart]]]] = deque()

    def fold_oldest() -> None:
        held = sum(_nbytes(batch) for batch, _ in pending)
        count = len(pending)
        _, future = pending.popleft()
        fold(future.result(), held, count)

    with ThreadPoolExecutor(threads) as pool:
        try:
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    break
                except BaseException:
                    while pending:  # what one thread would have met first
                        fold_oldest()
                    raise
                pending.append((batch, pool.submit(_in_context(read), batch)))
                del batch
                if len(pending) > threads:
                    fold_oldest()
            while pending:
                fold_oldest()
        finally:
            for _, future in pending:
                future.cancel()
