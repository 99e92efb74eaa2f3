"""A stand-in for a warehouse's ADBC driver (its DB-API `connect`), for tests without a network.

It records what a connector hands the driver (the database options of each connection, the
statement options, every SQL statement) and answers each statement by running it on DuckDB
over hand-made Arrow tables, the SQL transpiled from the warehouse's dialect by sqlglot. So a
connector is tested for the text it sends (golden strings) and for what that text means (the
rows it selects), and never reaches Snowflake or BigQuery.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers


class FakeWarehouse:
    """`tables` maps qualified names (as tuples of parts) to their rows; `answers` maps a
    statement to a canned result (what DuckDB cannot run, such as Snowflake's CURRENT_USER());
    `refuse` is the driver error every connection attempt raises, `fail` the one every
    statement raises."""

    def __init__(
        self,
        dialect: str,
        tables: Mapping[Sequence[str], pa.Table] | None = None,
        *,
        answers: Mapping[str, pa.Table] | None = None,
        refuse: Exception | None = None,
        fail: Exception | None = None,
    ):
        self.dialect = dialect
        self.tables = {tuple(name): table for name, table in (tables or {}).items()}
        self.answers = dict(answers or {})
        self.refuse = refuse
        self.fail = fail
        self.connects: list[dict[str, str]] = []
        self.statements: list[str] = []
        self.statement_options: list[dict[str, object]] = []
        self.closed = 0

    def connect(self, uri: str | None = None, db_kwargs: dict | None = None, **_: object):
        self.connects.append(dict(db_kwargs or {}))
        if self.refuse is not None:
            raise self.refuse
        return _Connection(self)

    def run(self, sql: str) -> pa.Table:
        self.statements.append(sql)
        if self.fail is not None:
            raise self.fail
        if sql in self.answers:
            return self.answers[sql]
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for index, (parts, table) in enumerate(self.tables.items()):
            quoted = ['"' + part.replace('"', '""') + '"' for part in parts]
            if len(parts) == 3:
                con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {quoted[0]}")
            if len(parts) >= 2:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {'.'.join(quoted[:-1])}")
            con.register(f"rows_{index}", table)
            con.execute(f"CREATE TABLE {'.'.join(quoted)} AS SELECT * FROM rows_{index}")
        parsed = sqlglot.parse_one(sql, read=self.dialect)
        if self.dialect == "snowflake":
            # Snowflake folds unquoted names to upper case (a result column `doubled` is
            # DOUBLED); DuckDB keeps them as written.
            parsed = normalize_identifiers(parsed, dialect="snowflake")
        return con.sql(parsed.sql(dialect="duckdb")).to_arrow_table()


class _Connection:
    def __init__(self, warehouse: FakeWarehouse):
        self.warehouse = warehouse

    def cursor(self) -> _Cursor:
        return _Cursor(self.warehouse)

    def close(self) -> None:
        self.warehouse.closed += 1


class _Statement:
    def __init__(self, warehouse: FakeWarehouse):
        self.warehouse = warehouse

    def set_options(self, **options: object) -> None:
        self.warehouse.statement_options.append(options)


class _Cursor:
    def __init__(self, warehouse: FakeWarehouse):
        self.warehouse = warehouse
        self.adbc_statement = _Statement(warehouse)
        self.result: pa.Table | None = None

    def __enter__(self) -> _Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str) -> None:
        self.result = self.warehouse.run(sql)

    def fetch_arrow_table(self) -> pa.Table:
        assert self.result is not None, "fetch before execute"
        return self.result
