"""When two engines' answers are the same answer.

The same columns in the same order with the same types (decimals too: every engine returns the
language's decimal), the same rows in the same order, and every value equal: integers, strings,
dates and booleans exactly, decimals and floats to 1e-9 (relative, or absolute near zero), nulls
where the other has nulls. Decimals are not compared exactly: DuckDB and Spark multiply and
divide them in double precision.
"""

from __future__ import annotations

import decimal
import math
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import metricsmith

RELATIVE_TOLERANCE = 1e-9


def same_value(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, decimal.Decimal) or isinstance(right, decimal.Decimal):
        difference = abs(decimal.Decimal(str(left)) - decimal.Decimal(str(right)))
        scale = max(abs(decimal.Decimal(str(left))), decimal.Decimal(1))
        return difference <= scale * decimal.Decimal(str(RELATIVE_TOLERANCE))
    if isinstance(left, float) or isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return left == right


def differences(reference: pa.Table, other: pa.Table, limit: int = 5) -> list[str]:
    """How `other` differs from `reference`, as readable lines (empty: the same answer)."""
    if reference.column_names != other.column_names:
        return [f"columns {reference.column_names} != {other.column_names}"]
    found = []
    for name in reference.column_names:
        left, right = reference[name].type, other[name].type
        if left != right:
            found.append(f"column {name!r}: type {left} != {right}")
    if reference.num_rows != other.num_rows:
        found.append(f"{reference.num_rows} rows != {other.num_rows} rows")
        return found
    for name in reference.column_names:
        pairs = zip(reference[name].to_pylist(), other[name].to_pylist(), strict=True)
        for row, (left, right) in enumerate(pairs):
            if not same_value(left, right):
                found.append(f"column {name!r}, row {row}: {left!r} != {right!r}")
                if len(found) >= limit:
                    return found
    return found


def arrow_and_duckdb_differences(
    text: str,
    tables: dict[str, pa.Table],
    metrics: list[str],
    engine: str = "duckdb",
    **query: object,
) -> list[str]:
    """The differences between the Arrow executor's and `engine`'s answers to a query of a
    project written out in a scratch folder: `text` its definitions, `tables` its sources'
    rows (the differential tests' random projects)."""
    import tempfile
    from pathlib import Path

    import metricsmith

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.metrics"
        path.write_text(text)
        project = metricsmith.load_project(path, tables=tables)
        return engine_differences(project, metrics, engine, **query)


def engine_differences(
    project: metricsmith.Project, metrics: list[str], engine: str, **query: object
) -> list[str]:
    """How `engine`'s answer to a query differs from the Arrow executor's (pass
    `spark_session=` for Spark)."""
    reference = project.query(metrics, engine="arrow", **_without_session(query))
    return differences(reference, project.query(metrics, engine=engine, **query))


def _without_session(query: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in query.items() if name != "spark_session"}
