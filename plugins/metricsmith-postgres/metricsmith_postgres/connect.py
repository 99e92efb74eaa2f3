"""Reaching a PostgreSQL server: from a named connection to an ADBC connection, and from a
driver's error to one line naming the connection.

Settings of a `type = "postgres"` connection (docs/connectors.md): host, port, database, user,
sslmode, application_name, statement_timeout (PostgreSQL's units: `30s`, `10min`; default 10
minutes), and the secret `password` (`password_env` or `password_file`). A source or engine that
names no connection uses libpq's environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD),
as psql does.

Every session is in UTC (the SQL reads instants as UTC, docs/engines.md) and read-only: the
engine may first create temporary tables for data that is not in the database, then the
session turns read-only before any query runs (`read_only`).
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from collections.abc import Iterator

from metricsmith.errors import DataError, QueryError
from metricsmith.plugins.connections import Connection

DEFAULT_STATEMENT_TIMEOUT = "10min"
_SETTINGS = ("host", "port", "database", "user", "sslmode", "application_name", "statement_timeout")
#: SQLSTATE classes and codes worth their own sentence.
_AUTHENTICATION = ("28P01", "28000")
_UNDEFINED_TABLE = "42P01"
_CANCELLED = ("57014",)
#: How ADBC begins a message: its status code and the library (`IO: [libpq] `).
_DRIVER_PREFIX = re.compile(r"^[A-Z_]+: (\[libpq\] )?")
#: Where the server's message starts in a driver's error text.
_SERVER_ERROR = re.compile(r"\bERROR:\s+")


def connection_label(connection: Connection | None) -> str:
    """How messages name the connection."""
    return (
        f"connection `{connection.name}`"
        if connection is not None
        else "the PostgreSQL server of the environment (PGHOST, PGPORT, ...)"
    )


def uri(connection: Connection | None) -> str:
    """The libpq URI of the connection (the password included: never show it)."""
    if connection is None:
        return "postgresql://"
    connection.refuse_unknown_settings(_SETTINGS, secrets="password_env or password_file")
    quote = urllib.parse.quote
    user = connection.setting("user")
    password = connection.secret("password")
    login = ""
    if user is not None:
        login = quote(str(user), safe="")
        if password is not None:
            login += ":" + quote(password.reveal(), safe="")
        login += "@"
    host = quote(str(connection.setting("host", "")), safe="")
    port = connection.setting("port")
    where = host + (f":{port}" if port is not None else "")
    database = quote(str(connection.setting("database", "")), safe="")
    query = {
        key: str(connection.setting(key))
        for key in ("sslmode", "application_name")
        if connection.setting(key) is not None
    }
    if password is not None and user is None:
        query["password"] = password.reveal()
    tail = "?" + urllib.parse.urlencode(query) if query else ""
    return f"postgresql://{login}{where}/{database}{tail}"


@contextlib.contextmanager
def session(
    connection: Connection | None,
    *,
    purpose: str,
    source: str | None = None,
    location: str | None = None,
) -> Iterator[object]:
    """An ADBC connection to the server, in UTC, with the statement timeout set; closed after.
    `purpose` says what it is for, in messages ("reading source `events`"); a failure to
    connect names `source` and `location` when given (see `connection_error`)."""
    import adbc_driver_postgresql.dbapi as dbapi

    try:
        conn = dbapi.connect(uri(connection), autocommit=True)
    except dbapi.Error as error:
        raise connection_error(
            error, connection, purpose, source=source, location=location
        ) from None
    try:
        timeout = DEFAULT_STATEMENT_TIMEOUT
        if connection is not None:
            timeout = str(connection.setting("statement_timeout", timeout))
        with conn.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
            # The generated SQL writes a backslash as itself ('\1' in a regexp replacement):
            # a database still set off (the default before 9.1) reads it as an escape.
            cursor.execute("SET standard_conforming_strings = on")
            cursor.execute(f"SET statement_timeout = {_quoted(timeout)}")
        yield conn
    finally:
        conn.close()


def read_only(conn) -> None:
    """Make every later transaction of the session read-only."""
    with conn.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")


def connection_error(
    error: Exception,
    connection: Connection | None,
    purpose: str,
    *,
    source: str | None = None,
    location: str | None = None,
) -> DataError | QueryError:
    """The driver's error as one line naming the connection, its secrets redacted: a
    DataError naming `source` (a source, or the sources of an engine's query) and `location`
    when given, else (testing a connection) a QueryError."""
    text = _DRIVER_PREFIX.sub("", str(error).strip())
    if connection is not None:
        text = _redacted(text, connection)
    state = getattr(error, "sqlstate", None) or ""
    label = connection_label(connection)

    def error_line(message: str, hint: str | None = None) -> DataError | QueryError:
        if source is None:
            return QueryError(message, hint=hint)
        return DataError(message, source=source, location=location, hint=hint)

    if state in _AUTHENTICATION or "password authentication failed" in text:
        return error_line(
            f"{label} refused the login while {purpose}",
            hint="check the user and the password's variable or file (`metricsmith "
            "connections --test` tries it)",
        )
    if state in _CANCELLED:
        why = "a cancel request"
        if "statement timeout" in text:
            timeout = DEFAULT_STATEMENT_TIMEOUT
            if connection is not None:
                timeout = str(connection.setting("statement_timeout", timeout))
            why = f"its statement_timeout ({timeout})"
        return error_line(
            f"{label}: the statement was cancelled by {why} while {purpose}",
            hint="raise `statement_timeout` in the connection's settings for longer queries",
        )
    if (
        "could not connect" in text
        or "Connection refused" in text
        or "connection to server" in text
        or "could not translate host name" in text
    ):
        return error_line(
            f"cannot reach {label} while {purpose}: {_first_line(text)}",
            hint="check host and port, and that the server accepts connections from here",
        )
    return error_line(f"{label} failed while {purpose}: {_first_line(text)}")


def _redacted(text: str, connection: Connection) -> str:
    """`text` without the connection's secrets, also as they are spelled in a URI."""
    for secret in connection.secrets.values():
        text = text.replace(urllib.parse.quote(secret.reveal(), safe=""), "***")
    return connection.redact(text)


def server_message(error: Exception, connection: Connection | None) -> str:
    """The server's own sentence from a driver's error (ADBC puts its status and the step
    that failed before it), secrets redacted."""
    text = str(error).strip()
    if connection is not None:
        text = _redacted(text, connection)
    return _first_line(_SERVER_ERROR.split(text, maxsplit=1)[-1])


def is_interrupted(error: Exception) -> bool:
    """Whether the statement was cancelled at this process's request (Ctrl-C: ADBC's driver
    cancels the statement it is waiting for), not by the statement timeout."""
    return getattr(error, "sqlstate", None) in _CANCELLED and "user request" in str(error)


def is_undefined_table(error: Exception) -> bool:
    return getattr(error, "sqlstate", None) == _UNDEFINED_TABLE


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
