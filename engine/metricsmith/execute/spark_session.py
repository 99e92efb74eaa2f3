"""The Spark session of this process, for whatever needs one: the Spark engine, and a connector
reading a catalog's schema when a project is checked (the built-in `spark_table`).

The session is, in order of preference: the one the caller passes; a Spark Connect session
for a `remote` URL (`sc://host:15002`, or the environment's METRICSMITH_SPARK_REMOTE, then
pyspark's own SPARK_REMOTE); the session already active in this process (a notebook's); a
local one (`local[*]` by default) created once and kept for later queries. pyspark is
imported only when a session is asked for.

A Spark Connect URL may carry a token (`sc://host:15002/;token=...`): it is shown as
`token=***` in every message and repr (`redact_remote`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import socket
import threading
from urllib.parse import urlsplit

from attrs import field, frozen

from metricsmith.errors import QueryError

#: The environment variables naming a Spark Connect server, first to last.
REMOTE_VARIABLES = ("METRICSMITH_SPARK_REMOTE", "SPARK_REMOTE")
#: Seconds to wait for a Spark Connect server to accept a connection: pyspark itself retries
#: an unreachable server for minutes before it gives up.
CONNECT_TIMEOUT = 10.0
_DEFAULT_CONNECT_PORT = 15002
_TOKEN = re.compile(r"(token=)[^;/&\s'\"]*", re.IGNORECASE)


def redact_remote(text: str) -> str:
    """`text` with the value of every `token=` (of a Spark Connect URL) shown as `***`."""
    return _TOKEN.sub(r"\1***", text)


def _redacted(remote: str | None) -> str:
    return repr(None if remote is None else redact_remote(remote))


@frozen(kw_only=True)
class SparkOptions:
    """Where to run: a session, a Spark Connect URL, or a local master."""

    session: object | None = None
    remote: str | None = field(default=None, repr=_redacted)
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
#: Spark Connect sessions by URL, each opened once and kept for later queries.
_remote_sessions: dict[str, object] = {}


def spark_session(options: SparkOptions = DEFAULT_SPARK):
    """The SparkSession queries run in (see the module's docstring for the order)."""
    if options.session is not None:
        return options.session
    remote = options.remote or next(
        (os.environ[name] for name in REMOTE_VARIABLES if os.environ.get(name)), None
    )
    if remote:
        return _connect_session(remote)
    from pyspark.sql import SparkSession

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


def _connect_session(remote: str):
    """A Spark Connect session of the server at `remote`, opened once per URL.

    Built with the Spark Connect client's own builder: pyspark's generic one refuses a remote
    session in a process that already runs a local one (a notebook's, or the tests'), and
    would switch the whole process to Spark Connect."""
    with _local_lock:
        session = _remote_sessions.get(remote)
        if session is not None:
            return session
        host, port = _server_address(remote)
        _check_reachable(remote, host, port)
        try:
            from pyspark.sql.connect.session import SparkSession as ConnectSession
        except ImportError as missing:  # pyspark's own error when grpcio & co. are missing
            raise QueryError(
                f"connecting to Spark Connect at {redact_remote(remote)} needs pyspark's "
                f"Spark Connect client: {redact_remote(str(missing)).splitlines()[0]}",
                hint="pip install 'metricsmith[spark-connect]'",
            ) from None
        session = ConnectSession.builder.remote(remote).create()
        # Registered after the client's own exit hook, so it runs first: the client's hook
        # sends a clean-up request, and it retries for minutes when the server has gone away
        # by then (a cluster stopped, a test's server shut down), keeping the process from
        # exiting. Nothing of ours lives on the server, so closing the channel is enough.
        atexit.register(_close_channel, session)
        _remote_sessions[remote] = session
        return session


def _close_channel(session) -> None:
    with contextlib.suppress(Exception):
        session.client.close()


def _server_address(remote: str) -> tuple[str, int]:
    parts = urlsplit(remote.split(";", 1)[0])
    try:
        port = parts.port or _DEFAULT_CONNECT_PORT
    except ValueError:
        port = None
    if parts.scheme != "sc" or not parts.hostname or port is None:
        raise QueryError(
            f"{redact_remote(remote)} is not a Spark Connect URL",
            hint="write it as sc://host:15002 (optionally /;token=...;use_ssl=true)",
        )
    return parts.hostname, port


def _check_reachable(remote: str, host: str, port: int) -> None:
    """Fail in seconds, saying where, when nothing listens at the server's address."""
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise QueryError(
            f"cannot reach the Spark Connect server at {redact_remote(remote)}: {reason}",
            hint="check the host and port ([spark] remote in metricsmith.toml, or "
            "METRICSMITH_SPARK_REMOTE) and that the server is running",
        ) from None
