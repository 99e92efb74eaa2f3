"""The Spark session of this process, for whatever needs one: the Spark engine, and a connector
reading a catalog's schema when a project is checked (the built-in `spark_table`).

The session is, in order of preference: the one the caller passes; a Spark Connect session
for a `remote` URL (`sc://host:15002`, or METRICSMITH_SPARK_REMOTE); the session already
active in this process (a notebook's); a local one (`local[*]` by default) created once and
kept for later queries. pyspark is imported only when a session is asked for.
"""

from __future__ import annotations

import os
import threading

from attrs import frozen


@frozen(kw_only=True)
class SparkOptions:
    """Where to run: a session, a Spark Connect URL, or a local master."""

    session: object | None = None
    remote: str | None = None
    master: str = "local[*]"


#: A local session (`local[*]`), or the one already active in the process.
DEFAULT_SPARK = SparkOptions()

# Small local queries drown in Spark's default 200 shuffle partitions.
_LOCAL_CONFIG = {
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
}
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
