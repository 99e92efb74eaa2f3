"""The Arrow type of each dimension of a query's answer, decided when the query is planned.

A dimension that is a source's column keeps that column's type as read (its declared type, or
the data's own: a dictionary's values, a date64 as a date, timestamps in the calendar's zone);
a computed one has its language type. Every engine returns these types (`Plan.result_schema`).
"""

from __future__ import annotations

import pyarrow as pa

from metricsmith.check.checked import CheckedProject
from metricsmith.check.query import CheckedQuery
from metricsmith.model import bound as b
from metricsmith.model.types import arrow_type
from metricsmith.plan.nodes import Level


def dimension_types(
    project: CheckedProject, top: Level, query: CheckedQuery
) -> tuple[pa.DataType, ...]:
    """The type of each dimension (`query.labels`, in order) of the query whose levels are
    `top`."""
    timezone = project.calendar.timezone
    bound = {row.label: row.bound for row in query.row_dimensions}
    types = []
    for label in query.labels:
        node, root = _dimension_formula(top, label)
        if node is None and bound.get(label):
            # No level evaluates it (its metrics read no source: the answer has no row):
            # the type it has over the first source it can be read at.
            root, node = next(iter(bound[label].items()))
        types.append(_dimension_type(node, root, project, timezone))
    return tuple(types)


def _dimension_formula(top: Level, label: str) -> tuple[b.BExpr | None, str]:
    """A dimension's formula as some level evaluates it, and the source it is bound against
    (empty for a per-entity dimension, evaluated over cells)."""
    for level in top.walk():
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


def _dimension_type(
    node: b.BExpr | None, root: str, project: CheckedProject, timezone: str
) -> pa.DataType:
    """A column's own type as read, a computed value's language type (null: a dimension no
    level evaluates, or of no type)."""
    if node is None:
        return pa.null()
    if isinstance(node, b.BColumn):
        source = _reached(project, root, node.path)
        info = project.sources[source]
        declared = info.declared.get(node.column)
        if declared is not None:
            return arrow_type(declared, timezone) or pa.null()
        dtype = info.schema.field(node.column).type
        if pa.types.is_dictionary(dtype):
            dtype = dtype.value_type
        if pa.types.is_timestamp(dtype):
            return pa.timestamp("us", tz=timezone)
        if pa.types.is_date64(dtype):
            return pa.date32()
        return dtype
    return arrow_type(node.type, timezone) or pa.null()


def _reached(project: CheckedProject, root: str, path: tuple[str, ...]) -> str:
    source = root
    for link in path:
        source = project.sources[source].links[link]
    return source
