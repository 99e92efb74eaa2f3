"""Suspect data a query reads, reported as warnings with the same counts on every engine.

A row whose key is null names no entity (links cannot reach it, `per` cannot count it), and a
state row whose validity ends before it starts is in force in no period. Neither stops a
query, and neither should pass unnoticed: each becomes one `DataWarning` per source and
column, with the number of rows and the first of them. The rows are read the way the Arrow
engine reads them (only the columns concerned, every row, no time range), so the counts and
the row do not depend on the engine that computes the answer. Sources only a SQL engine can
read (Spark catalog tables) are not checked.
"""

from __future__ import annotations

import warnings

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from metricsmith.check.checked import CheckedProject, SourceInfo
from metricsmith.errors import DataWarning
from metricsmith.execute.arrow.reading import read_source
from metricsmith.execute.sql.spark_table import SparkTableReader
from metricsmith.plan.nodes import Plan, SourceRead


def warn_about_data(plan: Plan, project: CheckedProject) -> None:
    """Issue a `DataWarning` for each problem of `data_warnings`."""
    for warning in data_warnings(plan, project):
        warnings.warn(warning, stacklevel=4)  # the caller of Project.query


def data_warnings(plan: Plan, project: CheckedProject) -> list[DataWarning]:
    found = []
    for read in plan.reads:
        info = project.sources[read.source]
        columns = _checked_columns(read, info)
        if not columns or isinstance(info.reader, SparkTableReader):  # only Spark reads it
            continue
        whole = attrs.evolve(read, columns=columns, time_range=None)
        table = read_source(whole, info, plan.calendar.timezone)
        found += _problems(table, read.source, info)
    return found


def _checked_columns(read: SourceRead, info: SourceInfo) -> tuple[str, ...]:
    """The key and validity columns the query reads (the others do not affect it)."""
    decl = info.decl
    named = [decl.key.name] if decl.key is not None else []
    if decl.validity is not None:
        named += [decl.validity.start.name, decl.validity.end.name]
    return tuple(name for name in named if name in read.columns)


def _problems(table: pa.Table, source: str, info: SourceInfo) -> list[DataWarning]:
    decl = info.decl
    location = info.reader.location
    found = []
    if decl.key is not None and decl.key.name in table.column_names:
        key = decl.key.name
        missing = pc.is_null(table[key])
        if (count := _count(missing)) > 0:
            found.append(
                DataWarning(
                    f"{_rows(count)} no key (the first is row {_first(missing)})",
                    source=source,
                    column=key,
                    count=count,
                    row=_first(missing),
                    location=location,
                    hint="links and `per` cannot reach a row without a key; fill the key "
                    "or leave such rows out of the data",
                ),
            )
    validity = decl.validity
    if validity is not None and {validity.start.name, validity.end.name} <= set(table.column_names):
        start, end = table[validity.start.name], table[validity.end.name]
        reversed_ = pc.fill_null(pc.less(end, start), False)
        if (count := _count(reversed_)) > 0:
            row = _first(reversed_)
            found.append(
                DataWarning(
                    f"{_rows(count)} ended before {_they(count)} started "
                    f"(`{validity.end.name}` before `{validity.start.name}`; the first is "
                    f"row {row}: {start[row - 1]} to {end[row - 1]})",
                    source=source,
                    column=validity.end.name,
                    count=count,
                    row=row,
                    location=location,
                    hint="such a row is in force in no period; fix or swap its dates",
                )
            )
    return found


def _count(mask: pa.ChunkedArray) -> int:
    return pc.sum(mask).as_py() or 0


def _first(mask: pa.ChunkedArray) -> int:
    """The 1-based row of the first true value."""
    return pc.index(mask, True).as_py() + 1


def _rows(count: int) -> str:
    return "1 row has" if count == 1 else f"{count} rows have"


def _they(count: int) -> str:
    return "it" if count == 1 else "they"
