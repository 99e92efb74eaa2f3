"""Giving an engine's answer the column types the Arrow executor gives.

Engines return their own types (DuckDB timestamps in UTC, Spark's non-nullable fields,
durations as microseconds); the answer is cast column by column to what the Arrow executor
returns for the same plan: dates for periods, the calendar's zone on timestamps, the
language type of each metric (a decimal with the language's 38 digits and 9 places, which the
SQL has already rounded to).
"""

from __future__ import annotations

import pyarrow as pa

from metricsmith.check.checked import CheckedProject
from metricsmith.execute.data.types import arrow_type
from metricsmith.model import bound as b
from metricsmith.model.types import ARROW_FOR_TYPE, Type
from metricsmith.plan.nodes import Plan


def conform(table: pa.Table, plan: Plan, project: CheckedProject) -> pa.Table:
    timezone = plan.calendar.timezone
    wanted: list[pa.DataType | None] = []
    if plan.grain is not None and plan.cohort_axis is None:
        wanted.append(pa.date32())
    for label in plan.dimensions:
        node, root = _dimension_formula(plan, label)
        wanted.append(_dimension_type(node, root, project, timezone))
    if plan.cohort_axis is not None:
        wanted.insert(plan.cohort_axis.age, pa.int64())
    for metric in plan.metrics:
        wanted.append(arrow_type(metric.type, timezone))
    columns = {}
    for name, column, target in zip(table.column_names, table.columns, wanted, strict=True):
        columns[name] = _cast(column.combine_chunks(), target)
    return pa.table(columns)


def _dimension_formula(plan: Plan, label: str) -> tuple[b.BExpr | None, str]:
    """A dimension's formula as some level evaluates it, and the source it is bound against
    (empty for a per-entity dimension, evaluated over cells)."""
    for level in plan.top.walk():
        for child in level.children:
            for name, formula in child.entity_dimensions:
                if name == label:
                    return formula, ""
        if label not in level.labels:
            continue
        index = level.labels.index(label)
        if level.members is not None:
            return level.members.dimensions[index], level.members.source
        if level.scans:
            return level.scans[0].dimensions[index], level.scans[0].source
    return None, ""


def _cast(values: pa.Array, target: pa.DataType | None) -> pa.Array:
    if target is None or values.type == target:
        return values
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), target)
    if pa.types.is_duration(target) and not pa.types.is_duration(values.type):
        values = values.cast(pa.int64())  # microseconds
    return values.cast(target)


def _dimension_type(
    node: b.BExpr | None, root: str, project: CheckedProject, timezone: str
) -> pa.DataType | None:
    """The type the Arrow executor's values of a dimension have: a column's own type as
    read, a computed value's language type."""
    if node is None:
        return None
    if isinstance(node, b.BColumn):
        source = _reached(project, root, node.path)
        info = project.sources[source]
        declared = info.declared.get(node.column)
        if declared is not None:
            return arrow_type(declared, timezone)
        dtype = info.schema.field(node.column).type
        if pa.types.is_dictionary(dtype):
            dtype = dtype.value_type
        if pa.types.is_timestamp(dtype):
            return pa.timestamp("us", tz=timezone)
        if pa.types.is_date64(dtype):
            return pa.date32()
        if pa.types.is_decimal(dtype) or pa.types.is_null(dtype):
            return None
        return dtype
    if node.type == Type.DECIMAL:
        return None
    if node.type == Type.TIMESTAMP:
        return pa.timestamp("us", tz=timezone)
    return ARROW_FOR_TYPE.get(node.type)


def _reached(project: CheckedProject, root: str, path: tuple[str, ...]) -> str:
    source = root
    for link in path:
        source = project.sources[source].links[link]
    return source
