"""Suspect data a query reads, reported as warnings with the same counts on every engine.

A row whose key is null names no entity (links cannot reach it, `per` cannot count it); a
state row whose validity ends before it starts is in force in no period; a row whose
`resolved_at` is before its `opened_at` gives a negative `resolved_at - opened_at`. None of
them stops a query, and none should pass unnoticed: each becomes one `DataWarning` per source
and column, with the number of rows and the first of them. The rows are read the way the
Arrow engine reads them (only the columns concerned, every row, no time range), so the counts
and the row do not depend on the engine that computes the answer. Sources only a SQL engine
can read (a reader's `read_by_engines_only`, as of Spark catalog tables) are not checked.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import attrs
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen

from metricsmith.check.checked import CheckedProject, SourceInfo
from metricsmith.errors import DataWarning
from metricsmith.execute.data.reading import read_source
from metricsmith.model.bound import BBinary, BCall, BColumn, BExpr, bwalk
from metricsmith.model.types import Type
from metricsmith.plan.nodes import Plan, SourceRead
from metricsmith.plugins.connector import read_by_engines_only

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
    found = []
    for read in plan.reads:
        info = project.sources[read.source]
        if read_by_engines_only(info.reader):  # only the engine reads it
            continue
        key = info.decl.key.name if info.decl.key is not None else None
        # Every read of a keyed source checks its key, whether or not the query reads it: a
        # row without one is counted but no link or `per` reaches it. (A derived key is not
        # read from the data.)
        key = key if key in info.physical else None
        orders = _orders(plan, read, info)
        columns = [*([key] if key else []), *(c for o in orders for c in (o.earlier, o.later))]
        if not columns:
            continue
        whole = attrs.evolve(read, columns=tuple(dict.fromkeys(columns)), time_range=None)
        table = read_source(whole, info, plan.calendar.timezone)
        if key is not None:
            found += _null_keys(table, key, read.source, info.reader.location)
        for order in orders:
            found += _out_of_order(table, order, read.source, info.reader.location)
    return found


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


def _null_keys(table: pa.Table, key: str, source: str, location: str) -> list[DataWarning]:
    missing = pc.is_null(table[key])
    count = _count(missing)
    if not count:
        return []
    row = _first(missing)
    return [
        DataWarning(
            f"{_rows(count)} no key (the first is row {row})",
            source=source,
            column=key,
            count=count,
            row=row,
            location=location,
            hint="links and `per` cannot reach a row without a key; fill the key or leave "
            "such rows out of the data",
        )
    ]


def _out_of_order(table: pa.Table, order: _Order, source: str, location: str) -> list[DataWarning]:
    earlier, later = table[order.earlier], table[order.later]
    reversed_ = pc.fill_null(pc.less(later, earlier), False)
    count = _count(reversed_)
    if not count:
        return []
    row = _first(reversed_)
    return [
        DataWarning(
            f"{_rows(count)} `{order.later}` before `{order.earlier}` (the first is row "
            f"{row}: {earlier[row - 1]} to {later[row - 1]})",
            source=source,
            column=order.later,
            count=count,
            row=row,
            location=location,
            hint=f"{order.consequence}; fix the times, or leave such rows out of the data",
        )
    ]


def _count(mask: pa.ChunkedArray) -> int:
    return pc.sum(mask).as_py() or 0


def _first(mask: pa.ChunkedArray) -> int:
    """The 1-based row of the first true value."""
    return pc.index(mask, True).as_py() + 1


def _rows(count: int) -> str:
    return "1 row has" if count == 1 else f"{count} rows have"
