"""Verifying data contracts on Arrow: every row of each source involved, read through the
same reader (and the same declared types) every engine's results are checked against.

The check is engine-neutral on purpose: whichever engine answers queries, a contract's verdict
and its row numbers (1-based data rows of the whole source) are the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import assert_never

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import DataError
from metricsmith.execute.arrow.frame import RowFrame, Sources, positions_of
from metricsmith.execute.arrow.values import as_array
from metricsmith.execute.data.reading import read_source
from metricsmith.model import bound as b
from metricsmith.model.contracts import (
    EXAMPLE_ROWS,
    Contract,
    ContractKind,
    ContractResult,
    Example,
)
from metricsmith.plan.nodes import SourceRead
from metricsmith.plugins.values import calendar_scope


def verify_contracts(
    project: CheckedProject, contracts: Sequence[Contract]
) -> list[ContractResult]:
    """Each contract checked against all the rows of its source, in the order given."""
    calendar = project.calendar
    with calendar_scope(calendar.timezone, calendar.week_start_index, calendar.rules.fiscal_start):
        tables, unreadable = _read(project, _columns_needed(project, contracts))
        sources = Sources(project, tables, project.functions.scalars, calendar.timezone)
        results = []
        for contract in contracts:
            problems = [unreadable[s] for s in _sources_of(project, contract) if s in unreadable]
            if problems:
                result = ContractResult(
                    contract=contract, rows_checked=0, failing_rows=0, error=problems[0]
                )
            else:
                result = _verify(contract, sources)
            results.append(result)
    return results


def _read(
    project: CheckedProject, needed: Mapping[str, set[str]]
) -> tuple[dict[str, pa.Table], dict[str, str]]:
    """Every row of each source with the columns needed, and why a source could not be read."""
    tables: dict[str, pa.Table] = {}
    unreadable: dict[str, str] = {}
    for source, columns in needed.items():
        # A contract over constants alone still needs the rows counted: read one column.
        columns = columns or set(project.sources[source].schema.names[:1])
        read = SourceRead(source=source, columns=tuple(sorted(columns)), time_range=None)
        try:
            tables[source] = read_source(read, project.sources[source], project.calendar.timezone)
        except DataError as error:
            unreadable[source] = error.message
    return tables, unreadable


def _verify(contract: Contract, sources: Sources) -> ContractResult:
    frame = sources.frame(contract.source)
    try:
        failing = _failing(contract, frame, sources)
        rows = np.flatnonzero(failing)
        examples = tuple(_example(contract, frame, int(row)) for row in rows[:EXAMPLE_ROWS])
    except DataError as error:
        return ContractResult(
            contract=contract, rows_checked=frame.num_rows, failing_rows=0, error=error.message
        )
    return ContractResult(
        contract=contract,
        rows_checked=frame.num_rows,
        failing_rows=len(rows),
        examples=examples,
    )


def _failing(contract: Contract, frame: RowFrame, sources: Sources) -> np.ndarray:
    """A mask of the rows that break the contract."""
    match contract.kind:
        case ContractKind.CONDITION:
            assert contract.condition is not None
            holds = _values(frame, contract.condition)
            # Null passes, as in a SQL CHECK: only a row that makes the condition false fails.
            if pa.types.is_null(holds.type):
                return np.zeros(frame.num_rows, dtype=bool)
            return ~_numpy(pc.fill_null(holds, True))
        case ContractKind.IN:
            assert contract.target is not None
            label, formula = contract.values[0]
            values = _values(frame, formula)
            target = sources.project.sources[contract.target]
            keys = sources.tables[contract.target][target.key].combine_chunks()
            found = positions_of(values, keys, contract.source, label)
            return _numpy(pc.and_(pc.is_valid(values), pc.is_null(found)))
        case ContractKind.KEY | ContractKind.UNIQUE:
            return _repeated(frame, [formula for _, formula in contract.values])
        case _:
            assert_never(contract.kind)


def _repeated(frame: RowFrame, formulas: Sequence[b.BExpr]) -> np.ndarray:
    """Rows whose values (all non-null) another row shares."""
    codes, has_null = [], np.zeros(frame.num_rows, dtype=bool)
    for formula in formulas:
        row_codes, dictionary = frame.codes(formula)
        codes.append(row_codes)
        has_null |= row_codes == len(dictionary)
    if frame.num_rows == 0:
        return has_null
    _, group, counts = np.unique(
        np.stack(codes, axis=1), axis=0, return_inverse=True, return_counts=True
    )
    return (counts[group.reshape(-1)] > 1) & ~has_null


def _example(contract: Contract, frame: RowFrame, row: int) -> Example:
    values = tuple(
        (label, _values(frame, formula)[row].as_py()) for label, formula in contract.values
    )
    return Example(row=row + 1, values=values)


def _values(frame: RowFrame, formula: b.BExpr) -> pa.Array:
    return as_array(frame.evaluate(formula), frame.num_rows)


def _numpy(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _columns_needed(project: CheckedProject, contracts: Iterable[Contract]) -> dict[str, set[str]]:
    """Per source, the physical columns the contracts read: their own, the link columns they
    follow and the keys those links land on."""
    needed: dict[str, set[str]] = {}
    for contract in contracts:
        needed.setdefault(contract.source, set())
        formulas = [formula for _, formula in contract.values]
        if contract.condition is not None:
            formulas.append(contract.condition)
        for column in (n for f in formulas for n in b.bwalk(f) if isinstance(n, b.BColumn)):
            here = contract.source
            for link in column.path:
                needed.setdefault(here, set()).add(link)
                here = project.sources[here].links[link]
                needed.setdefault(here, set()).add(_key(project, here))
            needed.setdefault(here, set()).add(column.column)
        if contract.target is not None:
            needed.setdefault(contract.target, set()).add(_key(project, contract.target))
    return needed


def _sources_of(project: CheckedProject, contract: Contract) -> set[str]:
    return set(_columns_needed(project, [contract]))


def _key(project: CheckedProject, source: str) -> str:
    key = project.sources[source].key
    assert key is not None, "the checker only accepts links to sources with a key"
    return key
