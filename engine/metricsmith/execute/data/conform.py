"""Giving an engine's answer the plan's result schema (`Plan.result_schema`).

Engines return their own types (DuckDB timestamps in UTC, Spark's non-nullable fields,
durations as microseconds, a column of nulls typed as anything); the answer is cast column by
column to the schema: dates for periods, the calendar's zone on timestamps, the language type
of each metric (a decimal with the language's 38 digits and 9 places, which the engine has
already rounded to). A float zero is 0.0, never -0.0: the engines' `min` of the two zeros
picks either, and the language does not tell them apart.
"""

from __future__ import annotations

import pyarrow as pa

from metricsmith.plan.nodes import Plan
from metricsmith.plugins.values import without_negative_zero


def conform(table: pa.Table, plan: Plan) -> pa.Table:
    """The answer (its columns in the schema's order) with exactly the plan's result schema."""
    schema = plan.result_schema()
    columns = [
        without_negative_zero(_cast(column.combine_chunks(), field.type))
        for column, field in zip(table.columns, schema, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _cast(values: pa.Array, target: pa.DataType) -> pa.Array:
    if values.type == target:
        return values
    if pa.types.is_null(values.type) or pa.types.is_null(target):
        return pa.nulls(len(values), target)
    if pa.types.is_duration(target) and not pa.types.is_duration(values.type):
        values = values.cast(pa.int64())  # microseconds
    return values.cast(target)
