"""A query's answer as the API returns it: an Arrow table that knows what its columns mean.

`Project.query` returns a `QueryResult`. For code it is the Arrow table: every attribute and
method of the `pyarrow.Table` is its own (`num_rows`, `column`, `to_pylist`, `to_pandas`...),
`len`, indexing and `==` behave as the table's, and it speaks the Arrow PyCapsule stream
protocol (`__arrow_c_stream__`), so `pyarrow.table(result)`, `polars.DataFrame(result)` and
DuckDB's `FROM result` take it as they are. `to_arrow()` gives the `pyarrow.Table` itself, for
the functions that accept nothing else (`pyarrow.concat_tables`, `pyarrow.parquet.write_table`,
`pyarrow.compute` on the whole table).

For a reader it is the scorecard-style table: in Jupyter it shows itself (`_repr_html_`) with
the metrics' labels, units, formats and targets, and each value's red/amber/green status
(`MetricView.status`); `chart()` draws it. docs/reports.md, "Notebooks", says why the result is
a wrapper rather than a table with metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from attrs import field, frozen

from metricsmith.model.time import DEFAULT_RULES, GRAINS, CalendarRules, Grain
from metricsmith.present.result_view import goal_values, key_count
from metricsmith.present.scorecard import MetricView
from metricsmith.present.values import format_cell, format_period

if TYPE_CHECKING:
    import altair
    import polars


@frozen(eq=False, repr=False)
class QueryResult:
    """The answer to a query (the period column named after the grain, the `by` columns,
    one column per metric, then any status columns asked for), with the views of its metrics
    and the labels of its named dimensions."""

    table: pa.Table
    metrics: tuple[MetricView, ...]
    #: Labels of the key columns that are named dimensions (`accounts.segment` → `Segment`).
    labels: Mapping[str, str] = field(factory=dict)
    #: How the project's calendar names fiscal periods (`FY2025 Q1`).
    calendar: CalendarRules = DEFAULT_RULES

    def __attrs_post_init__(self) -> None:
        key_count(self.table, len(self.metrics))  # raises for too few columns

    # ---- the Arrow table, for code ------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the class does not define: the table's own (public) API.
        # Private names are not forwarded, so that copying and pickling, which probe them on
        # an instance still being built, never reach for a table that is not there yet.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.table, name)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *dir(self.table)})

    def to_arrow(self) -> pa.Table:
        """The answer as a plain `pyarrow.Table`."""
        return self.table

    def to_pandas(self, **options: Any) -> Any:
        """The answer as a pandas DataFrame (needs pandas; options as `pyarrow.Table.to_pandas`)."""
        return self.table.to_pandas(**options)

    def to_polars(self) -> polars.DataFrame:
        """The answer as a polars DataFrame (needs polars)."""
        try:
            import polars
        except ImportError:
            raise ImportError("to_polars() needs polars: pip install polars") from None
        return polars.DataFrame(self.table)

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.table.__arrow_c_stream__(requested_schema)

    def __dataframe__(self, nan_as_null: bool = False, allow_copy: bool = True) -> Any:
        return self.table.__dataframe__(nan_as_null, allow_copy)

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        return self.table.__array__(*args, **kwargs)

    def equals(self, other: object, check_metadata: bool = False) -> bool:
        """Whether `other` (a table or a result) holds the same columns and values."""
        return self.table.equals(_arrow(other), check_metadata=check_metadata)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QueryResult | pa.Table):
            return NotImplemented
        return self.equals(other)

    __hash__ = None  # type: ignore[assignment]  # equal to a table, which is unhashable

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, key: Any) -> Any:
        return self.table[key]

    def __repr__(self) -> str:
        return repr(self.table)

    def __str__(self) -> str:
        return str(self.table)

    # ---- what the columns mean, for readers ---------------------------------------------

    @property
    def keys(self) -> list[str]:
        """The period and `by` columns, in order."""
        return self.table.column_names[: key_count(self.table, len(self.metrics))]

    def goals(self, index: int) -> list[object] | None:
        """The target of the `index`th metric when it is read from the data, per row, if the
        result holds it (`status=True`)."""
        name = self.table.column_names[len(self.keys) + index]
        return goal_values(self.table, name)

    @property
    def grain(self) -> Grain | None:
        """The grain of the period column, None for a result without one."""
        first = self.keys[:1]
        return Grain(first[0]) if first and first[0] in GRAINS else None

    def heading(self, key: str) -> str:
        """A key column's heading: the dimension's label, else its name."""
        return self.labels.get(key, key)

    def key_texts(self, key: str) -> list[str]:
        """A key column's values as a reader sees them (`2024-03`, `2024 Q1`, `Enterprise`)."""
        values = self.table.column(key).to_pylist()
        grain = self.grain
        if grain is not None and key == self.keys[0]:
            return [format_period(v, grain, self.calendar) for v in values]
        return [format_cell(v) for v in values]

    def _repr_html_(self) -> str:
        from metricsmith.present.result_html import result_html

        return result_html(self)

    def chart(self) -> altair.Chart | altair.FacetChart:
        """A line per metric over the periods, coloured by the `by` columns (altair, from
        the `report` extra)."""
        from metricsmith.present.result_chart import result_chart

        return result_chart(self)


def _arrow(value: object) -> object:
    return value.table if isinstance(value, QueryResult) else value
