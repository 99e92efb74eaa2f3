"""Suspect data a query reads, reported as warnings with the same counts on every engine.

A row whose key is null names no entity (links cannot reach it, `per` cannot count it); a
state row whose validity ends before it starts is in force in no period; a row whose
`resolved_at` is before its `opened_at` gives a negative `resolved_at - opened_at`. None of
them stops a query, and none should pass unnoticed: each becomes one `DataWarning` per source
and column, with the number of rows and the first of them. The rows are read the way the
Arrow engine reads them (only the columns concerned, every row, no time range), so the counts
and the row do not depend on the engine that computes the answer; a reader that reads in
batches is read a batch at a time, so the check holds one batch of those columns in memory,
not the whole source. Sources only a SQL engine can read (a reader's `read_by_engines_only`,
as of Spark catalog tables) are not checked.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import attrs
import pyarrow as pa
import pyarrow.compute as pc
from attrs import define, field, frozen

from metricsmith.check.checked import CheckedProject, SourceInfo
from metricsmith.errors import DataWarning
from metricsmith.execute.data.reading import read_source, read_source_batches
from metricsmith.execute.data.versions import files_version, remember
from metricsmith.model.bound import BBinary, BCall, BColumn, BExpr, bwalk
from metricsmith.model.types import Type
from metricsmith.plan.nodes import Plan, SourceRead
from metricsmith.plugins.connector import native_files, read_by_engines_only

_TIMES = (Type.TIMESTAMP, Type.DATE)
_BETWEEN = ("hours_between", "days_between")


@frozen
class _Order:
    """Two time columns whose values should come in this order in every row."""

    earlier: str
    later: str
    #: What a row breaking the order means, for the hint.
    consequence: str


def warn_about_data(plan: Plan, project: CheckedProject) -> None:
    """Issue a `DataWarning` for each problem of `data_warnings`."""
    for warning in data_warnings(plan, project):
        warnings.warn(warning, stacklevel=4)  # the caller of Project.query


def data_warnings(plan: Plan, project: CheckedProject) -> list[DataWarning]:
    checks = [c for r in plan.reads if (c := _checks(plan, r, project.sources[r.source]))]
    data = [_data_of(check) for check in checks]
    tallies: dict[tuple[object, _Test], _Tally] = {}
    for rows, group in _by_data(checks, data).items():
        columns = tuple(dict.fromkeys(c for check in group for c in check.read.columns))
        tests = tuple(dict.fromkeys(test for check in group for test in check.tests()))
        found = _tallied(attrs.evolve(group[0].read, columns=columns), group[0].info, tests, plan)
        tallies.update({(rows, test): tally for test, tally in found.items()})
    warned = []
    for check, rows in zip(checks, data, strict=True):
        source, location = check.read.source, check.info.reader.location
        if check.key is not None and (nulls := tallies[rows, check.key]).count:
            warned.append(_null_keys(nulls, check.key, source, location))
        for order in check.orders:
            if (reversed_ := tallies[rows, (order.earlier, order.later)]).count:
                warned.append(_out_of_order(reversed_, order, source, location))
    return warned


#: What is checked of each row: a key column (null in no row), or two time columns (the
#: first not after the second).
_Test = str | tuple[str, str]

#: The tallies of files read before in this process, by what was read (the files' versions
#: included): a query over unchanged files does not read them again for its warnings. The
#: oldest first, a few hundred at most.
_TALLIES: dict[tuple[object, ...], dict[_Test, _Tally]] = {}
_TALLIES_KEPT = 256


def _tallied(
    read: SourceRead, info: SourceInfo, tests: tuple[_Test, ...], plan: Plan
) -> dict[_Test, _Tally]:
    """Each test's tally over every row of `read`."""
    files = files_version(info.reader)
    declared = tuple(sorted((c, t.value) for c, t in info.declared.items()))
    timezone = plan.calendar.timezone
    kept = None if files is None else (files, declared, read.columns, tests, timezone)
    if kept in _TALLIES:
        return _TALLIES[kept]
    found = {test: _Tally() for test in tests}
    for table in _batches(read, info, plan):
        for test, tally in found.items():
            tally.add(_failing(test, table), table)
    if kept is not None:
        remember(_TALLIES, kept, found, _TALLIES_KEPT)
    return found


@frozen
class _Checks:
    """What is checked of one read of a source: its key (null in no row) and the orders of
    pairs of its time columns; `read` reads just those columns, every row."""

    read: SourceRead
    info: SourceInfo
    key: str | None
    orders: tuple[_Order, ...]

    def tests(self) -> list[_Test]:
        """The key column, and the pairs of columns of each order."""
        return [*([self.key] if self.key else []), *((o.earlier, o.later) for o in self.orders)]


def _checks(plan: Plan, read: SourceRead, info: SourceInfo) -> _Checks | None:
    if read_by_engines_only(info.reader):  # only the engine reads it
        return None
    key = info.decl.key.name if info.decl.key is not None else None
    # Every read of a keyed source checks its key, whether or not the query reads it: a row
    # without one is counted but no link or `per` reaches it. (A derived key is not read from
    # the data.)
    key = key if key in info.physical else None
    orders = _orders(plan, read, info)
    columns = [*([key] if key else []), *(c for o in orders for c in (o.earlier, o.later))]
    if not columns:
        return None
    whole = attrs.evolve(read, columns=tuple(dict.fromkeys(columns)), time_range=None)
    return _Checks(whole, info, key, tuple(orders))


def _by_data(checks: list[_Checks], data: list[object]) -> dict[object, list[_Checks]]:
    """The checks grouped by the rows they read (`data`, in the order of their first read):
    sources declared over the same files, with the same declared types, are read once for
    all of their checks (a table read by two time columns is two sources of one file)."""
    groups: dict[object, list[_Checks]] = {}
    for check, rows in zip(checks, data, strict=True):
        groups.setdefault(rows, []).append(check)
    return groups


def _data_of(check: _Checks) -> object:
    """What identifies the rows a check reads: the files and their schema, as a SQL engine
    would read them, and the types declared over them; or, for a reader of something else,
    the read itself."""
    files = native_files(check.info.reader, None)
    if files is None:
        return check.read.source
    return (files, tuple(sorted((c, t.value) for c, t in check.info.declared.items())))


def _failing(test: _Test, table: pa.Table) -> pa.ChunkedArray:
    """For each row, whether it fails the test: a null key, or a pair's later time before
    its earlier one."""
    if isinstance(test, str):
        return pc.is_null(table[test])
    earlier, later = test
    return pc.fill_null(pc.less(table[later], table[earlier]), False)


def _batches(read: SourceRead, info: SourceInfo, plan: Plan) -> Iterator[pa.Table]:
    timezone = plan.calendar.timezone
    batches = read_source_batches(read, info, timezone)
    return batches if batches is not None else iter([read_source(read, info, timezone)])


@define
class _Tally:
    """The rows of a source, read in batches, for which a check holds: how many, and the
    first of them (1-based, in the whole source) with its values, for the message."""

    count: int = 0
    first: int = 0
    first_values: dict[str, object] = field(factory=dict)
    #: Rows of the batches seen before the current one.
    seen: int = 0

    def add(self, mask: pa.ChunkedArray, batch: pa.Table) -> None:
        count = pc.sum(mask).as_py() or 0
        if count and not self.count:
            index = pc.index(mask, True).as_py()
            self.first = self.seen + index + 1
            self.first_values = {name: batch[name][index] for name in batch.column_names}
        self.count += count
        self.seen += batch.num_rows


def _orders(plan: Plan, read: SourceRead, info: SourceInfo) -> list[_Order]:
    """The validity's start before its end, and the operands of every difference of two of
    the source's own time columns the query computes, when the query reads both; one order
    per pair of columns."""
    orders = []
    validity = info.decl.validity
    if validity is not None:
        orders.append(
            _Order(validity.start.name, validity.end.name, "such a row is in force in no period")
        )
    formulas: dict[tuple[str, str], list[str]] = {}
    for start, end, written in _time_differences(plan, read.source):
        formulas.setdefault((start, end), [])
        if written not in formulas[(start, end)]:
            formulas[(start, end)].append(written)
    for (start, end), writings in formulas.items():
        negative = " and ".join(f"`{w}`" for w in writings)
        verb = "is" if len(writings) == 1 else "are"
        orders.append(_Order(start, end, f"{negative} {verb} negative for such a row"))
    unique = {(o.earlier, o.later): o for o in reversed(orders)}  # the validity's order first
    return [o for o in unique.values() if {o.earlier, o.later} <= set(read.columns)]


def _time_differences(plan: Plan, source: str) -> Iterator[tuple[str, str, str]]:
    """(start, end, the formula) for every `end - start` and `hours_between(start, end)` (or
    `days_between`) over two of the source's own time columns in the query's formulas."""
    for level in plan.top.walk():
        for scan in level.scans:
            if scan.source != source:
                continue
            formulas: list[BExpr] = [*scan.filters, *scan.dimensions]
            for fused in scan.aggregates:
                formulas += [e for e in (fused.aggregate.arg, fused.aggregate.where) if e]
            for node in (n for formula in formulas for n in bwalk(formula)):
                match node:
                    case BBinary(op="-", left=BColumn() as end, right=BColumn() as start) if (
                        _own_times(source, start, end)
                    ):
                        yield start.column, end.column, f"{end.column} - {start.column}"
                    case BCall(function=name, args=(BColumn() as start, BColumn() as end)) if (
                        name in _BETWEEN and _own_times(source, start, end)
                    ):
                        yield start.column, end.column, f"{name}({start.column}, {end.column})"


def _own_times(source: str, *columns: BColumn) -> bool:
    """Whether every column is a time column of the source itself (not a linked one)."""
    return all(
        column.source == source and not column.path and column.type in _TIMES for column in columns
    )


def _null_keys(tally: _Tally, key: str, source: str, location: str) -> DataWarning:
    return DataWarning(
        f"{_rows(tally.count)} no key (the first is row {tally.first})",
        source=source,
        column=key,
        count=tally.count,
        row=tally.first,
        location=location,
        hint="links and `per` cannot reach a row without a key; fill the key or leave "
        "such rows out of the data",
    )


def _out_of_order(tally: _Tally, order: _Order, source: str, location: str) -> DataWarning:
    earlier, later = tally.first_values[order.earlier], tally.first_values[order.later]
    return DataWarning(
        f"{_rows(tally.count)} `{order.later}` before `{order.earlier}` (the first is row "
        f"{tally.first}: {earlier} to {later})",
        source=source,
        column=order.later,
        count=tally.count,
        row=tally.first,
        location=location,
        hint=f"{order.consequence}; fix the times, or leave such rows out of the data",
    )


def _rows(count: int) -> str:
    return "1 row has" if count == 1 else f"{count} rows have"
