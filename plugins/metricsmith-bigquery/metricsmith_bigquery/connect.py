"""Reaching BigQuery: from a named connection to the ADBC driver's options, and from a driver's
error to one line naming the connection and the source.

Settings of a `type = "bigquery"` connection (docs/connectors.md): project_id (required; the
project that runs and pays for the jobs), dataset (the default for names without one),
location, statement_timeout (seconds; default 600), maximum_bytes_billed; the secret
credentials, a service account's (or an authorized user's) JSON key file
(`credentials_file`). Without it, Google's application-default credentials are used
(`gcloud auth application-default login`, or the machine's service account).

Every job is bounded by the job timeout (and by maximum_bytes_billed when set). BigQuery has no
read-only session: what metricsmith sends is always one SELECT (plugins/sql_source.py), and
credentials granted only BigQuery Data Viewer and Job User make BigQuery enforce it too.
"""

from __future__ import annotations

import json

from metricsmith.errors import DataError, QueryError
from metricsmith.plugins.connections import Connection
from metricsmith.plugins.warehouse import AdbcDriver, DriverMessage, driver_error
from metricsmith.plugins.warehouse import connection_label as label

DEFAULT_STATEMENT_TIMEOUT = 600
SETTINGS = ("project_id", "dataset", "location", "statement_timeout", "maximum_bytes_billed")
SECRETS = ("credentials",)
_OPTION = "adbc.bigquery.sql."
_QUERY = _OPTION + "query."
#: The kinds of JSON credentials the driver accepts (the file's `type`).
_CREDENTIAL_TYPES = (
    "service_account",
    "authorized_user",
    "impersonated_service_account",
    "external_account",
)
#: The fields of a JSON key that are secrets.
_SECRET_FIELDS = ("private_key", "private_key_id", "client_secret", "refresh_token")


def driver_options(connection: Connection) -> dict[str, str]:
    """The ADBC driver's database options for `connection`: the credentials included, so never
    show them. Unknown settings and credentials that are no JSON key are refused."""
    connection.refuse_unknown_settings(
        SETTINGS, secrets="the secret credentials (credentials_file: a service account's JSON key)"
    )
    project = connection.setting("project_id")
    if project is None:
        raise QueryError(
            f"{label(connection)} has no `project_id`",
            hint='set project_id = "my-project", the project that runs the queries',
        )
    options = {_OPTION + "project_id": str(project)}
    for name, option in (("dataset", "dataset_id"), ("location", "location")):
        if name in connection.settings:
            options[_OPTION + option] = str(connection.settings[name])
    credentials = connection.secret("credentials")
    if credentials is None:
        options[_OPTION + "auth_type"] = _OPTION + "auth_type.auth_bigquery"
        return options
    options[_OPTION + "auth_type"] = _OPTION + "auth_type.json_credential_string"
    options[_OPTION + "auth_credentials"] = credentials.reveal()
    options["bigquery.auth.credentials_type"] = _credentials_type(connection, credentials.reveal())
    return options


def statement_options(connection: Connection) -> dict[str, str | int]:
    """The options of every query job: its timeout (milliseconds), the bytes it may bill, and the
    dataset that names without one are in."""
    timeout = connection.setting("statement_timeout", DEFAULT_STATEMENT_TIMEOUT)
    options: dict[str, str | int] = {
        _QUERY + "job_timeout": 1000 * _positive(connection, "statement_timeout", timeout)
    }
    billed = connection.setting("maximum_bytes_billed")
    if billed is not None:
        options[_QUERY + "max_bytes_billed"] = _positive(connection, "maximum_bytes_billed", billed)
    if "dataset" in connection.settings:
        options[_QUERY + "default_project_id"] = str(connection.settings["project_id"])
        options[_QUERY + "default_dataset_id"] = str(connection.settings["dataset"])
    return options


def _positive(connection: Connection, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        unit = "seconds" if name == "statement_timeout" else "bytes"
        raise QueryError(
            f"{label(connection)}: {name} must be a positive whole number of {unit}, not {value!r}"
        )
    return value


def _credentials_type(connection: Connection, text: str) -> str:
    """The `type` of a JSON key, which the driver must be told; the key's text is never quoted."""
    try:
        kind = json.loads(text).get("type")
    except (ValueError, AttributeError):
        kind = None
    if kind not in _CREDENTIAL_TYPES:
        credentials = connection.secrets["credentials"]
        raise QueryError(
            f"{label(connection)}: the credentials in {credentials.origin} are not a Google "
            "JSON key file",
            hint="download a service account's key (JSON) from the Google Cloud console, or "
            "leave credentials out to use application-default credentials",
        )
    return str(kind)


def _redacted(connection: Connection, text: str) -> str:
    """`text` without the secrets, nor any secret field of the JSON key (a message may quote
    one field of it rather than the whole file)."""
    text = connection.redact(text)
    credentials = connection.secrets.get("credentials")
    try:
        fields = json.loads(credentials.reveal()) if credentials is not None else {}
    except ValueError:
        fields = {}
    for name in _SECRET_FIELDS:
        value = fields.get(name) if isinstance(fields, dict) else None
        if isinstance(value, str) and value:
            text = text.replace(value, "***")
    return text


def connection_error(
    error: Exception, connection: Connection, *, source: str, purpose: str
) -> DataError:
    """The driver's error as one line naming the connection, its credentials redacted."""
    return driver_error(
        _redacted(connection, str(error).strip()),
        where=f"{label(connection)} (project {connection.setting('project_id')})",
        purpose=purpose,
        source=source,
        known=_KNOWN_ERRORS,
    )


#: BigQuery's messages worth their own sentence.
_KNOWN_ERRORS = (
    DriverMessage(
        ("invalid_grant", "unauthenticated", "could not find default credentials"),
        "{where} refused the credentials while {purpose}",
        hint="check the credentials file (or run `gcloud auth application-default login`); "
        "`metricsmith connections --test` tries it",
    ),
    DriverMessage(
        ("not found: table", "not found: dataset", "notfound"),
        "{where} has no such table or dataset: {first}",
        hint="check the name (project.dataset.table), the connection's dataset and location",
    ),
    DriverMessage(
        ("access denied", "permission", "403"),
        "{where}: access denied while {purpose}: {first}",
        hint="the credentials need BigQuery Data Viewer on the data and Job User on the project",
    ),
    DriverMessage(
        ("job timed out", "timeout", "deadline exceeded"),
        "{where}: the job was stopped while {purpose} (statement_timeout)",
        hint="raise `statement_timeout` (seconds) in the connection's settings",
    ),
    DriverMessage(
        ("no such host", "dial tcp", "i/o timeout", "connection refused"),
        "cannot reach {where} while {purpose}: {first}",
        hint="check that this machine reaches Google Cloud",
    ),
)

DRIVER = AdbcDriver(
    "adbc_driver_bigquery.dbapi",
    driver_options,
    connection_error,
    statement_options=statement_options,
)
