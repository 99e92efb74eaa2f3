"""Reaching Snowflake: from a named connection to the ADBC driver's options, and from a driver's
error to one line naming the connection and the source.

Settings of a `type = "snowflake"` connection (docs/connectors.md): account (required), user,
warehouse, database, schema, role, authenticator, statement_timeout (seconds; default 600);
the secrets password, private_key (a PKCS #8 PEM file, `private_key_file`),
private_key_password (for an encrypted key) and token (OAuth or a programmatic access token).

Every session is in UTC (TIMESTAMP_LTZ values arrive as UTC instants) and bounded by
STATEMENT_TIMEOUT_IN_SECONDS. Snowflake has no read-only session: what metricsmith sends is
always one SELECT (plugins/sql_source.py), and a role granted only SELECT (`role`) makes the
warehouse enforce it too.
"""

from __future__ import annotations

from metricsmith.errors import DataError, QueryError
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.warehouse import AdbcDriver, DriverMessage, driver_error
from metricsmith.plugins.warehouse import connection_label as label

DEFAULT_STATEMENT_TIMEOUT = 600
SETTINGS = (
    "account",
    "user",
    "warehouse",
    "database",
    "schema",
    "role",
    "authenticator",
    "statement_timeout",
)
SECRETS = ("password", "private_key", "private_key_password", "token")
#: Snowflake's names of its authenticators (as in its other clients), the ADBC driver's, and
#: the secret each needs.
AUTHENTICATORS = {
    "snowflake": ("auth_snowflake", "password"),
    "snowflake_jwt": ("auth_jwt", "private_key"),
    "oauth": ("auth_oauth", "token"),
    "programmatic_access_token": ("auth_pat", "token"),
    "username_password_mfa": ("auth_mfa", "password"),
    "externalbrowser": ("auth_ext_browser", None),
}
_OPTION = "adbc.snowflake.sql."
_CLIENT = _OPTION + "client_option."
#: The driver option of each plain setting (user is ADBC's standard `username`).
_DRIVER_SETTING = {
    "account": _OPTION + "account",
    "user": "username",
    "warehouse": _OPTION + "warehouse",
    "database": _OPTION + "db",
    "schema": _OPTION + "schema",
    "role": _OPTION + "role",
}


def driver_options(connection: Connection) -> dict[str, str]:
    """The ADBC driver's database options for `connection`: its secrets included, so never show
    them. Unknown settings, an unknown authenticator or a missing secret are refused."""
    connection.refuse_unknown_settings(
        SETTINGS, secrets=f"the secrets {', '.join(SECRETS)} (each as <name>_env or <name>_file)"
    )
    if connection.setting("account") is None:
        raise QueryError(
            f"{label(connection)} has no `account`",
            hint='set account = "<orgname>-<account_name>" (the part of the URL before '
            ".snowflakecomputing.com)",
        )
    options = {
        driver: str(connection.settings[name])
        for name, driver in _DRIVER_SETTING.items()
        if name in connection.settings
    }
    auth_type, needed = _authenticator(connection)
    options[_OPTION + "auth_type"] = auth_type
    if needed is not None:
        secret = connection.secret(needed)
        if secret is None:
            raise QueryError(
                f"{label(connection)} needs its {needed} to log in",
                hint=f"set `{needed}_env` (an environment variable) or `{needed}_file` (a file) "
                f"in {connection.origin}",
            )
        key = {
            "password": "password",
            "private_key": _CLIENT + "jwt_private_key_pkcs8_value",
            "token": _CLIENT + "auth_token",
        }[needed]
        options[key] = secret.reveal()
    key_password = connection.secret("private_key_password")
    if needed == "private_key" and key_password is not None:
        options[_CLIENT + "jwt_private_key_pkcs8_password"] = key_password.reveal()
    # Integers as int64 and exact decimals (use_high_precision, the default, keeps NUMBER's
    # scale); timestamps in microseconds, which hold every date (nanoseconds overflow in 2262).
    options[_CLIENT + "max_timestamp_precision"] = "microseconds"
    # Options the driver does not know are Snowflake session parameters.
    options["TIMEZONE"] = "UTC"
    options["STATEMENT_TIMEOUT_IN_SECONDS"] = str(statement_timeout(connection))
    return options


def statement_timeout(connection: Connection) -> int:
    value = connection.setting("statement_timeout", DEFAULT_STATEMENT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise QueryError(
            f"{label(connection)}: statement_timeout must be a whole number of seconds, "
            f"not {value!r}",
            hint="statement_timeout = 600 stops a statement after 10 minutes",
        )
    return value


def _authenticator(connection: Connection) -> tuple[str, str | None]:
    """The driver's auth type and the secret it needs: the `authenticator` setting, else a key
    pair when a private key is declared, else user and password."""
    declared = "private_key" in connection.secrets or "private_key" in connection.missing
    name = str(connection.setting("authenticator", "snowflake_jwt" if declared else "snowflake"))
    found = AUTHENTICATORS.get(name.lower())
    if found is None:
        raise QueryError(
            f"{label(connection)}: unknown authenticator `{name}`",
            hint=f"use one of {', '.join(AUTHENTICATORS)}",
        )
    return found


def connection_error(
    error: Exception, connection: Connection, *, source: str, purpose: str
) -> DataError:
    """The driver's error as one line naming the connection, its secrets redacted."""
    return driver_error(
        connection.redact(str(error).strip()),
        where=f"{label(connection)} (account {connection.setting('account')})",
        purpose=purpose,
        source=source,
        known=_KNOWN_ERRORS,
    )


#: Snowflake's messages worth their own sentence (its error codes appear in the text).
_KNOWN_ERRORS = (
    DriverMessage(
        ("390100", "390144", "Incorrect username or password", "JWT token is invalid"),
        "{where} refused the login while {purpose}",
        hint="check the user, the authenticator and the secret's variable or file "
        "(`metricsmith connections --test` tries it)",
    ),
    DriverMessage(
        ("000630", "reached its statement or warehouse timeout"),
        "{where}: the statement was cancelled while {purpose} (statement_timeout)",
        hint="raise `statement_timeout` (seconds) in the connection's settings",
    ),
    DriverMessage(
        ("no such host", "dial tcp", "i/o timeout", "connection refused", "260008"),
        "cannot reach {where} while {purpose}: {first}",
        hint="check `account` and that this machine reaches Snowflake",
    ),
    DriverMessage(
        ("002003", "does not exist or not authorized"),
        "{where} has no such table or view, or the role may not read it: {first}",
        hint="check the name (unquoted parts are upper case on Snowflake), the database "
        "and schema settings, and the role's grants",
    ),
)

DRIVER = AdbcDriver("adbc_driver_snowflake.dbapi", driver_options, connection_error)
