"""Immature periods: a metric that reads a conversion is null in the periods whose window has
not closed by the plan's `as_of` (docs/language.md, "Conversions and attribution windows").

A period `[s, e)` (`e` the range's end when the range stops inside it) credits base rows up to
`e`, whose windows close by `e + window`; until then later conversions may still add to it, so
its value is not yet a fact. Every engine applies the rule here, to its conformed answer.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metricsmith.plan.nodes import Plan
from metricsmith.plan.periods import epoch_micros
from metricsmith.plan.timeline import Timeline

_MICROS = dt.timedelta(microseconds=1)


def settle(table: pa.Table, plan: Plan, output: Timeline) -> pa.Table:
    """The answer with each settling metric's immature cells null."""
    windows = plan.settling()
    if not windows or table.num_rows == 0:
        return table
    ends = _period_ends(table, plan, output)
    as_of = epoch_micros(plan.as_of)
    for name, window in windows.items():
        immature = pa.array(ends + window // _MICROS > as_of)
        index = table.schema.get_field_index(name)
        values = table.column(index)
        table = table.set_column(
            index, name, pc.if_else(immature, pa.scalar(None, values.type), values)
        )
    return table


def _period_ends(table: pa.Table, plan: Plan, output: Timeline) -> np.ndarray:
    """The instant (µs) the period of each row ends at; a row whose period is unknown (a
    cohort outside the range) ends at the last period's end."""
    ends = output.ends
    if plan.grain is None:
        return np.full(table.num_rows, ends[0], dtype=np.int64)
    position = {label: i for i, label in enumerate(output.labels or ())}
    if plan.cohort_axis is None:
        labels = table.column(plan.grain).to_pylist()
        periods = np.array([position[label] for label in labels], dtype=np.int64)
    else:
        cohorts = table.column(plan.dimensions[plan.cohort_axis.cohort]).to_pylist()
        ages = table.column("age").to_numpy(zero_copy_only=False)
        first = np.array([position.get(c, len(ends) - 1) for c in cohorts], dtype=np.int64)
        periods = first + ages
    return ends[np.minimum(periods, len(ends) - 1)]
