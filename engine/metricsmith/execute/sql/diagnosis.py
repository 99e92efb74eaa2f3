"""One message per data problem, whichever engine meets it.

DuckDB and Spark report bad data in their own words, often without the row, and sometimes about
another column or source than the one at fault (a value after the first megabyte of a CSV file that
does not fit the type inferred from the beginning). When a SQL engine fails on the data, the plan's
sources are read again as every engine reads them (execute/data/reading.py), and the data error that
reading finds is the one reported: the same source, column, row (the 1-based data row of the file)
and value on every engine. This happens only on the error path.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import DataError
from metricsmith.execute.data.keys import require_unique_key
from metricsmith.execute.data.reading import read_source
from metricsmith.plan.nodes import Plan
from metricsmith.plugins.connector import read_by_engines_only


def arrow_diagnosis(
    plan: Plan, project: CheckedProject, keys: Mapping[str, str]
) -> DataError | None:
    """The first data error reading the plan's sources finds, or that a repeated value of
    one of the `keys` (source: key column) is, worded as on every engine
    (execute/data/keys.py); or None."""
    for read in plan.reads:
        info = project.sources[read.source]
        if read_by_engines_only(info.reader):  # only the engine reads it
            continue
        # Every row is read (as the engines parse every row of a file), so rows are counted.
        whole = attrs.evolve(read, time_range=None)
        try:
            table = read_source(whole, info, plan.calendar.timezone)
            key = keys.get(read.source)
            # A derived key is not in the table read; the SQL engine's own message names it.
            if key is not None and key in table.column_names:
                require_unique_key(read.source, table[key].combine_chunks(), key)
        except DataError as problem:
            return problem
    return None
