"""Sources read from a database with SQL: the statements a connector sends, built with sqlglot in
the database's dialect, and the reader that sends them.

A database connector (`snowflake(...)`, `bigquery(...)`: plugins/ in the repository) names a
table or a query and hands `SqlSourceReader` a `fetch` function that runs one statement and
returns its result as Arrow (connecting, timing out and wording the driver's errors are the
connector's). The reader then sends:

- for the schema, `SELECT * FROM <relation> LIMIT 0`: the columns and their types, no rows;
- for the rows, only the columns asked for, and only the time range asked for: a
  `WHERE` on the time column whose bounds are typed literals written from the range's
  datetimes (never text from a definition file), widened for wall-clock columns as the
  Parquet reader widens them (`time_filter` in builtin/dataset_reader.py), and keeping rows
  whose time is null (the engine decides whether they count).

The identifiers metricsmith writes are quoted, so a name is read exactly; a table name is
parsed in the dialect first, so `analytics.public.events` means on Snowflake what it means in
a worksheet (upper case), and a part written in quotes keeps its case. A query must be one query (a
`SELECT`, `WITH ... SELECT`, a `UNION`...): it is parsed, embedded as a subquery, and what
was parsed is what is sent, so no command can ride along.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import pyarrow as pa
import sqlglot
from attrs import frozen
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from metricsmith.errors import DataError
from metricsmith.plugins.arguments import CallArguments
from metricsmith.plugins.connector import TimeRange

#: The alias of a query source inside the statements sent.
QUERY_ALIAS = "metricsmith_source"
#: How far the bounds of a wall-clock column (a naive timestamp or a date) move outwards: more
#: than any zone offset, as the engine puts such times in the calendar's zone after reading.
_WALL_CLOCK_MARGIN = dt.timedelta(days=1)

#: Runs one SQL statement and returns its result; `purpose` says what for, in messages
#: ("reading the schema").
Fetch = Callable[[str, str], pa.Table]


@frozen
class SqlRelation:
    """What a source reads: a table or a query, as the sqlglot expression placed after FROM."""

    dialect: str
    expression: exp.Expression

    def sql(self, query: exp.Select) -> str:
        # Only the identifiers written here are quoted (`quoted=True`): a query's own stay as
        # written, since quoting `t` would make it the table `t` and not `T` on Snowflake.
        return query.sql(dialect=self.dialect)


def relation_of_call(
    connector: str,
    args: Sequence[object],
    options: Mapping[str, object],
    *,
    dialect: str,
    source_name: str,
    default_parts: Sequence[str] = (),
) -> tuple[SqlRelation, str]:
    """The relation of a call `connector("connection", table="...")` or `(..., query="...")`
    (the first argument names the connection, which the checker resolved), and how messages
    name it."""
    usage = (
        f'write {connector}("connection", table="name") or '
        f'{connector}("connection", query="select ...")'
    )
    call = CallArguments(connector, usage, source_name)
    call.known_options(options, ("table", "query"))
    if len(args) != 1 or len(options) != 1:
        raise call.refusal("takes the name of a connection and exactly one of table= or query=")
    ((kind, value),) = options.items()
    if not isinstance(value, str):
        raise call.refusal(f"needs {kind}= as text")
    if kind == "table":
        relation = table_relation(
            value, dialect, source_name=source_name, default_parts=default_parts
        )
        return relation, f"connection `{args[0]}`, table {value}"
    return query_relation(value, dialect, source_name=source_name), f"connection `{args[0]}`, query"


def table_relation(
    name: str, dialect: str, *, source_name: str, default_parts: Sequence[str] = ()
) -> SqlRelation:
    """The table (or view) `name`: one to three dotted parts, each quoted once parsed.
    `default_parts` are the outer parts (BigQuery's project and dataset) that complete a name
    given with fewer than three; a name they cannot complete is refused."""
    try:
        parsed = sqlglot.parse_one(name, into=exp.Table, read=dialect)
    except SqlglotError:
        parsed = None
    parts = [] if parsed is None else parsed.parts
    identifiers = [part for part in parts if isinstance(part, exp.Identifier)]
    extra = [] if parsed is None else [k for k, v in parsed.args.items() if v and k not in _PARTS]
    if not identifiers or len(identifiers) != len(parts) or len(parts) > 3 or extra:
        raise DataError(
            f"`{name}` is not a table name",
            source=source_name,
            hint="write table, schema.table or database.schema.table; quote a part to keep its "
            'case or spaces (table=\'analytics.public."Events"\'); use query="..." for SQL',
        )
    normalised = normalize_identifiers(exp.Table(**_table_args(identifiers)), dialect=dialect)
    parts = normalised.parts
    missing = 3 - len(parts) if default_parts else 0
    if missing > len(default_parts):
        raise DataError(
            f"`{name}` is missing the outer parts of its name",
            source=source_name,
            hint="qualify it in full, or give the connection defaults for the missing parts "
            "(docs/connectors.md)",
        )
    outer = default_parts[len(default_parts) - missing :] if missing else ()
    qualified = [exp.Identifier(this=p, quoted=True) for p in outer]
    qualified += [exp.Identifier(this=p.name, quoted=True) for p in parts]
    return SqlRelation(dialect, exp.Table(**_table_args(qualified)))


def query_relation(text: str, dialect: str, *, source_name: str) -> SqlRelation:
    """The query `text`, which must be one query (it is read, never run as a command)."""
    refusal = DataError(
        "query= must be one query (SELECT, WITH ... SELECT, UNION ...)",
        source=source_name,
        hint="metricsmith only reads: write the SELECT whose rows the source holds",
    )
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except SqlglotError as error:
        raise DataError(
            f"cannot read the query: {_parse_problem(error)}",
            source=source_name,
            hint=f"query= is parsed as {dialect} SQL before it is sent; check its syntax",
        ) from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise refusal
    return SqlRelation(dialect, statements[0].subquery(exp.to_identifier(QUERY_ALIAS, quoted=True)))


def schema_sql(relation: SqlRelation) -> str:
    """The statement whose (empty) result carries the relation's columns and types."""
    return relation.sql(exp.select("*").from_(relation.expression.copy()).limit(0))


def read_sql(
    relation: SqlRelation,
    schema: pa.Schema,
    columns: Sequence[str] | None,
    time_range: TimeRange | None,
) -> str:
    """The statement reading `columns` (all when None; none: the rows are only counted) of the
    rows inside `time_range` (and maybe a few outside it, which the engine filters)."""
    if columns is None:
        selected: list[exp.Expression] = [exp.Star()]
    elif columns:
        selected = [exp.column(name, quoted=True) for name in dict.fromkeys(columns)]
    else:
        rows = exp.to_identifier(QUERY_ALIAS + "_rows", quoted=True)
        selected = [exp.Alias(this=exp.Count(this=exp.Star()), alias=rows)]
    query = exp.select(*selected).from_(relation.expression.copy())
    condition = None if time_range is None else time_condition(schema, time_range)
    if condition is not None:
        query = query.where(condition)
    return relation.sql(query)


def time_condition(schema: pa.Schema, time_range: TimeRange) -> exp.Condition | None:
    """`start <= column < end OR column IS NULL` with the bounds typed as the column is, or None
    when the column is no timestamp or date (text parsed by the engine: nothing to push)."""
    index = schema.get_field_index(time_range.column)
    if index < 0:
        return None
    dtype = schema.field(index).type
    if pa.types.is_timestamp(dtype) and dtype.tz is not None:
        kind, margin = "TIMESTAMPTZ", dt.timedelta(0)
    elif pa.types.is_timestamp(dtype):
        kind, margin = "TIMESTAMPNTZ", _WALL_CLOCK_MARGIN
    elif pa.types.is_date(dtype):
        kind, margin = "DATE", _WALL_CLOCK_MARGIN
    else:
        return None
    column = exp.column(time_range.column, quoted=True)
    conditions = []
    for bound, outwards, compare in ((time_range.start, -1, exp.GTE), (time_range.end, 1, exp.LT)):
        literal = None if bound is None else _literal(bound, outwards * margin, kind)
        if literal is not None:
            conditions.append(compare(this=column.copy(), expression=literal))
    if not conditions:
        return None
    in_range = exp.paren(exp.and_(*conditions)) if len(conditions) > 1 else conditions[0]
    return exp.or_(in_range, exp.Is(this=column.copy(), expression=exp.Null()))


def _literal(bound: dt.datetime, shift: dt.timedelta, kind: str) -> exp.Expression | None:
    """The bound (a UTC instant) moved by `shift`, as a literal of the column's kind; None when
    it falls outside the calendar (no value of the column lies beyond it)."""
    instant = bound.replace(tzinfo=dt.UTC) if bound.tzinfo is None else bound.astimezone(dt.UTC)
    try:
        moved = instant + shift
    except OverflowError:
        return None
    if kind == "DATE":
        text = moved.date().isoformat()
    elif kind == "TIMESTAMPNTZ":
        text = moved.replace(tzinfo=None).isoformat(sep=" ")
    else:
        text = moved.isoformat(sep=" ")
    return exp.cast(exp.Literal.string(text), kind)


class SqlSourceReader:
    """A source read with SQL through `fetch` (see the module's docstring).

    The schema is asked for once and kept: the checker asks for it, and a read needs the time
    column's type to write its bounds; each question is a round trip to the warehouse (on
    BigQuery a job)."""

    def __init__(
        self,
        relation: SqlRelation,
        fetch: Fetch,
        *,
        source_name: str,
        location: str,
        normalise: Callable[[pa.Table], pa.Table] = lambda table: table,
    ):
        self.relation = relation
        self.fetch = fetch
        self.source_name = source_name
        self.location = location
        #: Makes the driver's types the ones metricsmith computes with (Snowflake's integers).
        self.normalise = normalise
        self._schema: pa.Schema | None = None

    def schema(self) -> pa.Schema:
        if self._schema is None:
            self._schema = self.normalise(
                self.fetch(schema_sql(self.relation), "reading the schema")
            ).schema
        return self._schema

    def read(
        self, columns: Sequence[str] | None = None, time_range: TimeRange | None = None
    ) -> pa.Table:
        schema = self.schema()
        for name in columns or ():
            if name not in schema.names:
                raise DataError(
                    "the source has no such column",
                    source=self.source_name,
                    location=self.location,
                    column=name,
                    hint="available: " + ", ".join(schema.names),
                )
        table = self.fetch(read_sql(self.relation, schema, columns, time_range), "reading rows")
        if columns is not None and not columns:  # only the number of rows was asked for
            return pa.table({"row": pa.nulls(int(table.column(0)[0].as_py()))}).select([])
        return self.normalise(table)


_PARTS = ("this", "db", "catalog")


def _table_args(parts: Sequence[exp.Identifier]) -> dict[str, exp.Identifier]:
    """The arguments of an `exp.Table` for 1 to 3 parts, outermost first."""
    return dict(zip(_PARTS, reversed(parts), strict=False))


def _parse_problem(error: SqlglotError) -> str:
    """sqlglot's first complaint, with its place in the query and without its token dump."""
    found = getattr(error, "errors", None) or [{}]
    first = found[0]
    description = str(first.get("description") or error).split(". Line")[0]
    if first.get("line") is None:
        return description
    return f"{description.split(' but got <')[0]} (line {first['line']}, column {first['col']})"
