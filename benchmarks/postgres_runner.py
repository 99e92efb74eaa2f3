"""PostgreSQL in the benchmarks: a server, the benchmark's Parquet files loaded into it, and
runs of a hand-written PostgreSQL query file and of a metricsmith project on the postgres
engine, both against the same tables.

The server is the one libpq's environment names (PGHOST, PGPORT, PGUSER, PGDATABASE,
PGPASSWORD), or, when PGHOST is not set, a throwaway one started like the test suite's
(tests/postgres_server.py) and stopped when the process ends. Each Parquet file becomes a
table `<prefix>_<name>` (`scorecard_events`), loaded once per data set: the table's comment
records the manifest of the files it was loaded from, and a changed data set is loaded again.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

BENCHMARKS_DIR = Path(__file__).resolve().parent
_PARAMETER = re.compile(r"\$(\w+)")


@functools.cache
def server_uri() -> str:
    """The server's libpq URI: the environment's, or a throwaway server's (see above)."""
    if os.environ.get("PGHOST"):
        return "postgresql://"
    sys.path.insert(0, str(BENCHMARKS_DIR.parent / "tests"))
    from postgres_server import server_programs, start_server, stop_server

    programs = server_programs()
    if programs is None:
        raise SystemExit("no PostgreSQL server: set PGHOST (and PGPORT, PGUSER...) or install one")
    server = start_server(programs)
    atexit.register(stop_server, programs, server)
    os.environ.update(server.environment)  # the postgres engine's default connection
    return server.uri


def connect():
    import adbc_driver_postgresql.dbapi as dbapi

    connection = dbapi.connect(server_uri(), autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    return connection


@functools.cache
def load_tables(data_dir: Path, prefix: str, names: tuple[str, ...]) -> None:
    """Load `data_dir`/<name>.parquet into `<prefix>_<name>` unless already loaded from the
    same data set (its manifest.json), then ANALYZE them, as a database administrator would.
    Once per process: the runs that follow are timed."""
    manifest = (data_dir / "manifest.json").read_text()
    marker = json.dumps(json.loads(manifest), sort_keys=True)
    with connect() as connection, connection.cursor() as cursor:
        for name in names:
            table = f"{prefix}_{name}"
            cursor.execute(
                "SELECT obj_description(to_regclass($1), 'pg_class')", parameters=(table,)
            )
            (loaded,) = cursor.fetchone()
            if loaded == marker:
                continue
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.adbc_ingest(table, _loadable(pq.read_table(data_dir / f"{name}.parquet")))
            cursor.execute(f"COMMENT ON TABLE {table} IS '{marker}'")
            cursor.execute(f"ANALYZE {table}")


def _loadable(table: pa.Table) -> pa.Table:
    """Dictionary-encoded text as plain text (the driver loads plain Arrow types)."""
    columns = [
        column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
        for column in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def run_sql_file(name: str, params: Mapping[str, object]) -> pa.Table:
    """One run of the hand-written query file benchmarks/`name` on a fresh connection, its
    `$name` parameters bound as values."""
    sql = (BENCHMARKS_DIR / name).read_text()
    order = list(dict.fromkeys(_PARAMETER.findall(sql)))
    sql = _PARAMETER.sub(lambda m: f"${order.index(m.group(1)) + 1}", sql)
    with connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql, parameters=tuple(params[p] for p in order))
        return cursor.fetch_arrow_table()


@functools.cache
def postgres_project(metrics_file: Path, prefix: str) -> Path:
    """The benchmark's `.metrics` file with each `parquet("data/.../<name>.parquet")` source
    read from the table `<prefix>_<name>` instead (the same definitions otherwise)."""
    text = metrics_file.read_text()
    text = re.sub(
        r'parquet\("data/(?:[\w]+/)*(\w+)\.parquet"\)',
        lambda m: f'postgres(table="{prefix}_{m.group(1)}")',
        text,
    )
    folder = Path(tempfile.mkdtemp(prefix="metricsmith-bench-"))
    (folder / metrics_file.name).write_text(text)
    return folder / metrics_file.name
