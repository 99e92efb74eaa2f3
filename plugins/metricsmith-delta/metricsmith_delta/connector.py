"""The `delta` connector: `delta("lake/events")`, or `delta("lake/events", version=12)` for an
earlier version of the table.

The table is opened once, when the project is checked: every read of the project sees that
version (a snapshot), even while a writer commits new ones. Reads go through
`DeltaTable.to_pyarrow_dataset()`, whose files each carry their partition values and the
column statistics of the transaction log; the engine's time range becomes a dataset filter, so
pyarrow skips every file (and Parquet row group) that cannot hold a row of it, and only the
requested columns are read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyarrow as pa
from attrs import frozen
from metricsmith.errors import DataError
from metricsmith.plugins.arguments import CallArguments
from metricsmith.plugins.connector import TimeRange, require_columns, time_filter

_USAGE = 'write delta("path/to/table") or delta("path/to/table", version=3)'
#: What pyarrow raises for files it cannot read.
_READ_FAILURES = (pa.ArrowException, OSError)


@frozen
class DeltaConnector:
    name: str = "delta"
    description: str = (
        "A Delta Lake table, with partition, file-statistics and time-range pruning "
        "(option: version)"
    )
    #: The table's folder is the first argument: a confined project may name only folders
    #: inside its own (docs/security.md).
    path_arguments: tuple[int | str, ...] = (0,)

    def open(
        self,
        args: Sequence[object],
        options: Mapping[str, object],
        *,
        base_dir: str,
        source_name: str,
    ) -> DeltaReader:
        call = CallArguments(self.name, _USAGE, source_name)
        given = call.one_text(args)
        call.known_options(options, ("version",))
        version = options.get("version")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise call.refusal("option `version` must be a whole number")
        path = call.local_path(given, base_dir, "table folder", folder=True)
        return DeltaReader(path, version, source_name)


class DeltaReader:
    """One version of a Delta table, as a pyarrow dataset."""

    def __init__(self, path: str, version: int | None, source_name: str):
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError, TableNotFoundError

        self.source_name = source_name
        self.location = path
        try:
            table = DeltaTable(path, version=version)
            self.dataset = table.to_pyarrow_dataset()
        except TableNotFoundError:
            raise DataError(
                "the folder holds no Delta table (it has no readable `_delta_log`)",
                source=source_name,
                location=path,
                hint="name the folder that holds `_delta_log`",
            ) from None
        except DeltaError as error:  # a missing version, a feature pyarrow cannot read
            raise DataError(
                f"deltalake could not open the table: {error}",
                source=source_name,
                location=path,
                hint="check the table and its version with deltalake's DeltaTable(...).history()",
            ) from error
        self.version = table.version()

    def schema(self) -> pa.Schema:
        return self.dataset.schema

    def read(
        self, columns: Sequence[str] | None = None, time_range: TimeRange | None = None
    ) -> pa.Table:
        wanted = list(dict.fromkeys(columns)) if columns is not None else None
        needed = [*(wanted or ()), *([time_range.column] if time_range else ())]
        require_columns(self.schema(), needed, source_name=self.source_name, location=self.location)
        row_filter = None
        if time_range is not None:
            row_filter = time_filter(self.schema().field(time_range.column), time_range)
        try:
            return self.dataset.to_table(columns=wanted, filter=row_filter)
        except _READ_FAILURES as failure:
            raise DataError(
                f"the table's files could not be read: {failure}",
                source=self.source_name,
                location=f"{self.location}, version {self.version}",
                hint="check the table with deltalake, e.g. DeltaTable(path).to_pyarrow_table()",
            ) from failure
