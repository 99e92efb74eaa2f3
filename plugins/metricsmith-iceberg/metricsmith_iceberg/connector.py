"""The `iceberg` connector: `iceberg("shop.events", catalog="lake")` for a table of a configured
catalog, or `iceberg("warehouse/shop/events")` for the folder of a table.

The table's current snapshot when the project is loaded is the one every read sees. A read is
a pyiceberg scan: the engine's columns become `selected_fields` and its time range the
`row_filter`, which pyiceberg projects onto the partition spec (a table partitioned by
`month(occurred_at)` or `day(...)`) and the data files' column statistics, so only files that
can hold rows of the range are read (a second scan reads the rows without a time).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import pyarrow as pa
from attrs import frozen
from metricsmith.errors import DataError
from metricsmith.plugins.arguments import CallArguments
from metricsmith.plugins.connector import TimeRange, require_columns, time_bounds

from metricsmith_iceberg.tables import from_catalog, from_folder

_USAGE = 'write iceberg("namespace.table", catalog="name") or iceberg("path/to/table")'


@frozen
class IcebergConnector:
    name: str = "iceberg"
    description: str = (
        "An Apache Iceberg table of a catalog or a folder, with partition, file-statistics "
        "and time-range pruning (option: catalog)"
    )
    #: Without `catalog=`, the first argument is the table's folder: a confined project may
    #: name only folders inside its own (docs/security.md). A catalog is configured outside
    #: the project, like a Spark session's.
    path_arguments: tuple[int | str, ...] = (0,)

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
    ) -> IcebergReader:
        call = CallArguments(self.name, _USAGE, source_name)
        name = call.one_text(args, "one argument, the table or its folder")
        call.known_options(options, ("catalog",))
        catalog = options.get("catalog")
        if catalog is not None and not isinstance(catalog, str):
            raise call.refusal("option `catalog` must be a catalog's name")
        try:
            import pyiceberg  # noqa: F401
        except ImportError as missing:
            raise DataError(
                f"reading Iceberg tables needs pyiceberg ({missing})",
                source=source_name,
                hint="pip install 'metricsmith[iceberg]'",
            ) from None
        if catalog is not None:
            table = from_catalog(name, catalog, source_name)
            location = f"Iceberg catalog {catalog}, table {name}"
        else:
            location = os.path.normpath(os.path.join(base_dir, os.path.expanduser(name)))
            table = from_folder(location, name, source_name)
        return IcebergReader(table, source_name, location)


class IcebergReader:
    """One snapshot of an Iceberg table (a pyiceberg `Table`)."""

    def __init__(self, table, source_name: str, location: str):
        self.table = table
        self.source_name = source_name
        self.location = location

    def schema(self) -> pa.Schema:
        return self.table.schema().as_arrow()

    def read(
        self, columns: Sequence[str] | None = None, time_range: TimeRange | None = None
    ) -> pa.Table:
        schema = self.schema()
        wanted = schema.names if columns is None else list(dict.fromkeys(columns))
        needed = [*wanted, *([time_range.column] if time_range else [])]
        require_columns(schema, needed, source_name=self.source_name, location=self.location)
        # A scan of no column yields no rows: read one, to count them, and drop it.
        fields = tuple(wanted or needed[:1] or schema.names[:1])
        try:
            parts = [
                self.table.scan(row_filter=row_filter, selected_fields=fields).to_arrow()
                for row_filter in _row_filters(schema, time_range)
            ]
        except (pa.ArrowException, OSError) as failure:
            raise DataError(
                f"the table's files could not be read: {failure}",
                source=self.source_name,
                location=self.location,
                hint="check the table with pyiceberg, e.g. table.scan().to_arrow()",
            ) from failure
        return pa.concat_tables(parts).select(wanted)


def _row_filters(schema: pa.Schema, time_range: TimeRange | None) -> list:
    """The filters of the scans that together read at least the rows of the range, and those
    without a time. Two scans, not one filter `in range or is null`: pyiceberg (0.12) cannot
    plan that one for a partition of rows without a time (it compares the null partition
    value with the bound and raises TypeError)."""
    from pyiceberg.expressions import AlwaysTrue, And, GreaterThanOrEqual, IsNull, LessThan

    if time_range is None:
        return [AlwaysTrue()]
    column = time_range.column
    bounds = time_bounds(schema.field(column).type, time_range) or (None, None)
    conditions = [
        compare(column, bound.as_py().isoformat())
        for bound, compare in zip(bounds, (GreaterThanOrEqual, LessThan), strict=True)
        if bound is not None
    ]
    if not conditions:
        return [AlwaysTrue()]
    in_range = conditions[0] if len(conditions) == 1 else And(*conditions)
    return [in_range, IsNull(column)]
