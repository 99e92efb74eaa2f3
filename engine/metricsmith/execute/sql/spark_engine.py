"""Running plans on Apache Spark.

The session is, in order of preference: the one the caller passes; a Spark Connect session
for a `remote` URL (`sc://host:15002`); the session already active in this process (a
notebook's); a local one (`local[*]` by default) created once and kept for later queries.

Parquet and CSV files behind the built-in connectors are read by Spark itself (CSV with the
connector's column types); `spark_table("db.table")` sources are read from the session's
catalog; anything else is read through its connector and sent to Spark as Arrow data. Each
query runs with the session's time zone set to UTC (the SQL's convention), then restored.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Iterator, Mapping

import pyarrow as pa
from sqlglot import exp

from metricsmith.check.checked import CheckedProject
from metricsmith.errors import DataError, InternalError
from metricsmith.execute.sql.dialects import DIALECTS
from metricsmith.execute.sql.kinds import spark_type_name
from metricsmith.execute.sql.native import NativeFiles, native_files
from metricsmith.execute.sql.options import DEFAULT_SPARK, SparkOptions
from metricsmith.execute.sql.runner import plan_timelines, run_plan
from metricsmith.execute.sql.sources import Relation, table_relation
from metricsmith.execute.sql.spark_table import SparkTableReader
from metricsmith.plan.nodes import Plan
from metricsmith.plan.timeline import Timelines

_TIMEZONE_KEY = "spark.sql.session.timeZone"
# Small local queries drown in Spark's default 200 shuffle partitions.
_LOCAL_CONFIG = {
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
}
_names = itertools.count()
_local_lock = threading.Lock()


def spark_session(options: SparkOptions = DEFAULT_SPARK):
    """The SparkSession queries run in (see the module's docstring for the order)."""
    from pyspark.sql import SparkSession

    if options.session is not None:
        return options.session
    remote = options.remote or os.environ.get("METRICSMITH_SPARK_REMOTE")
    if remote:
        return SparkSession.builder.remote(remote).getOrCreate()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    with _local_lock:
        builder = SparkSession.builder.master(options.master).appName("metricsmith")
        for key, value in _LOCAL_CONFIG.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        # Failures reach the caller as exceptions; the JVM's log would repeat them at length.
        session.sparkContext.setLogLevel("OFF")
        return session


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
            if isinstance(info.reader, SparkTableReader):
                relations[read.source] = table_relation(info.reader.table, info.schema)
                continue
            files = native_files(info)
            if files is not None:
                info.reader.require(read.columns)
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
            mode="FAILFAST",
        )
        return frame, files.file_schema

    def _from_arrow(self, info, read):
        table = info.reader.read(list(read.columns), read.time_range)
        return self.session.createDataFrame(table), table.schema

    def fetch(self, query: exp.Expression, sources: str) -> pa.Table:
        from pyspark.errors import AnalysisException, PySparkException

        sql = self.dialect.sql(query, copy=False)
        try:
            frame = self.session.sql(sql)
            return frame.toArrow() if hasattr(frame, "toArrow") else frame._collect_as_arrow()
        except AnalysisException as error:
            first_line = str(error).splitlines()[0]
            raise InternalError(f"Spark rejected the generated SQL: {first_line}\n{sql}") from error
        except (
            PySparkException
        ) as error:  # a job failing on the data (a value that does not convert)
            raise DataError(
                f"Spark could not compute the query: {error}", source=sources
            ) from error


def _partition_base(files: NativeFiles) -> str:
    """The folder above the first `key=value` folder of the first file."""
    parts = files.files[0].split(os.sep)
    names = set(files.partitions.names)
    first = next(i for i, part in enumerate(parts) if part.split("=", 1)[0] in names)
    return os.sep.join(parts[:first]) or os.sep
