"""Running plans on Apache Spark.

The session is the one the caller passes, or else the process's (execute/spark_session.py):
a local one, or a Spark Connect session of a remote server, which this module uses alike.

Parquet and CSV files behind the built-in connectors are read by Spark itself (CSV with the
connector's column types); a source whose reader names a table for Spark (`engine_table`, as
`spark_table("db.table")` does) is read from the session's catalog; anything else is read
through its connector and sent to Spark as Arrow data. Each query runs with the session's
time zone set to UTC (the SQL's convention), then restored.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator, Mapping

import pyarrow as pa
from sqlglot import exp

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import DataError, InternalError
from metricsmith.execute.data.reading import in_microseconds
from metricsmith.execute.spark_session import (
    DEFAULT_SPARK,
    SparkOptions,
    redact_remote,
    spark_session,
)
from metricsmith.execute.sql.dialects import DIALECTS
from metricsmith.execute.sql.kinds import spark_type_name
from metricsmith.execute.sql.runner import NO_VALUES, plan_timelines, run_plan
from metricsmith.execute.sql.sources import Relation, table_relation
from metricsmith.plan.nodes import Plan
from metricsmith.plan.timeline import Timelines
from metricsmith.plugins.connector import NativeFiles, engine_table, native_files

_TIMEZONE_KEY = "spark.sql.session.timeZone"
_names = itertools.count()


def execute_plan_spark(
    plan: Plan, project: CheckedProject, options: SparkOptions = DEFAULT_SPARK
) -> pa.Table:
    """The plan's answer computed by Spark, in the plan's result schema
    (`Plan.result_schema`)."""
    session = spark_session(options)
    engine = SparkEngine(session)
    with _utc_session(session), engine.views():
        return run_plan(plan, project, engine)


def spark_timelines(
    plan: Plan, project: CheckedProject, options: SparkOptions = DEFAULT_SPARK
) -> Timelines:
    """The plan's periods as Spark finds them in the data."""
    session = spark_session(options)
    engine = SparkEngine(session)
    with _utc_session(session), engine.views():
        return plan_timelines(plan, project, engine)


@contextlib.contextmanager
def _utc_session(session) -> Iterator[None]:
    previous = session.conf.get(_TIMEZONE_KEY)
    session.conf.set(_TIMEZONE_KEY, "UTC")
    try:
        yield
    finally:
        session.conf.set(_TIMEZONE_KEY, previous)


class SparkEngine:
    dialect = DIALECTS["spark"]

    def __init__(self, session):
        self.session = session
        self._views: list[str] = []

    @contextlib.contextmanager
    def views(self) -> Iterator[None]:
        """Temporary views registered for a query are dropped after it."""
        try:
            yield
        finally:
            for name in self._views:
                self.session.catalog.dropTempView(name)

    def relations(self, plan: Plan, project: CheckedProject) -> Mapping[str, Relation]:
        relations = {}
        for read in plan.reads:
            info = project.sources[read.source]
            table_name = engine_table(info.reader, "spark")
            if table_name is not None:
                relations[read.source] = table_relation(table_name, info.schema)
                continue
            files = native_files(info.reader, read.columns)
            frame, schema = self._native(files) or self._from_arrow(info, read)
            name = f"metricsmith_{read.source}_{next(_names)}"
            frame.createOrReplaceTempView(name)
            self._views.append(name)
            relations[read.source] = table_relation(name, schema)
        return relations

    def _native(self, files: NativeFiles | None):
        """A DataFrame reading the files itself, or None when Spark cannot read them with
        the connector's types (partitioned CSV, types without a Spark name)."""
        if files is None:
            return None
        reader = self.session.read
        if files.format == "parquet":
            if any(_nanoseconds(field.type) for field in files.file_schema):
                return None  # Spark refuses them (PARQUET_TYPE_ILLEGAL): read through Arrow
            if len(files.partitions):
                reader = reader.option("basePath", _partition_base(files))
            return reader.parquet(*files.files), pa.schema([*files.file_schema, *files.partitions])
        names = [spark_type_name(field.type) for field in files.file_schema]
        if len(files.partitions) or None in names:
            return None
        ddl = ", ".join(
            f"`{field.name}` {name}" for field, name in zip(files.file_schema, names, strict=True)
        )
        frame = reader.csv(
            list(files.files),
            schema=ddl,
            header=files.header,
            sep=files.delimiter,
            # A quote inside a quoted field is written twice (`"q""uote"`), as the Arrow
            # engine and DuckDB read it; Spark's default escape is a backslash.
            escape='"',
            # A quoted field may hold a line break; without this Spark splits the row there
            # (each file is then read by one task).
            multiLine=True,
            mode="FAILFAST",
        )
        return frame, files.file_schema

    def _from_arrow(self, info, read):
        table = _in_microseconds(info.reader.read(list(read.columns), read.time_range))
        return self.session.createDataFrame(table), table.schema

    def fetch(
        self, query: exp.Expression, sources: str, parameters: Mapping[str, object] = NO_VALUES
    ) -> pa.Table:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import AnalysisException, PySparkException

        sql = self.dialect.sql(query, copy=False)
        try:
            # Placeholders are `:name`: Spark binds the values by name (`args`).
            frame = self.session.sql(sql, args=dict(parameters) or None)
            return frame.toArrow() if hasattr(frame, "toArrow") else frame._collect_as_arrow()
        except AnalysisException as error:
            first_line = redact_remote(str(error)).splitlines()[0]
            raise InternalError(f"Spark rejected the generated SQL: {first_line}\n{sql}") from error
        except (PySparkException, Py4JJavaError) as error:
            # A job failing on the data: a value that does not convert (a native CSV read in
            # FAILFAST mode fails in the JVM, uncaptured by pyspark); the runner's diagnosis
            # then names the source, column and row.
            first_line = redact_remote(str(error)).strip().splitlines()[0]
            raise DataError(
                f"Spark could not compute the query: {first_line}", source=sources
            ) from error


def _nanoseconds(dtype: pa.DataType) -> bool:
    return pa.types.is_timestamp(dtype) and dtype.unit == "ns"


def _in_microseconds(table: pa.Table) -> pa.Table:
    """The table with nanosecond timestamps in microseconds, as the Arrow engine reads them
    (`in_microseconds`): Spark holds no nanoseconds."""
    for index, field in enumerate(table.schema):
        if _nanoseconds(field.type):
            table = table.set_column(index, field.name, in_microseconds(table.column(index)))
    return table


def _partition_base(files: NativeFiles) -> str:
    """The folder above the first `key=value` folder of the first file."""
    parts = files.files[0].split(os.sep)
    names = set(files.partitions.names)
    first = next(i for i, part in enumerate(parts) if part.split("=", 1)[0] in names)
    return os.sep.join(parts[:first]) or os.sep
