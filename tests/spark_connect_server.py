"""A local Spark Connect server for the tests, on a free loopback port.

The server runs in the JVM of the test run's local Spark session (tests/conftest.py), started
through pyspark's gateway: the Spark Connect server's jar ships inside pyspark, so this needs
no network and no second JVM. Clients reach it over gRPC like any remote cluster, through
pyspark's Spark Connect client (the `spark-connect` extra: grpcio, grpcio-status,
googleapis-common-protos). Without the client the tests that need the server skip locally,
saying what to install, and fail in CI (CI set in the environment), where every test must run.
"""

from __future__ import annotations

import importlib.util
import socket

from attrs import frozen

INSTALL_HINT = (
    "the Spark Connect tests need pyspark's Spark Connect client: "
    "pip install 'metricsmith[spark-connect]'"
)


@frozen
class ConnectServer:
    port: int

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"


def client_missing() -> str | None:
    """What is missing for a Spark Connect client, or None."""
    missing = [
        name
        for name in ("grpc", "grpc_status", "google.rpc", "zstandard")
        if importlib.util.find_spec(name.split(".")[0]) is None
    ]
    return f"{INSTALL_HINT} (missing: {', '.join(missing)})" if missing else None


def start_server(session) -> ConnectServer:
    """Start the Spark Connect service on the local session's Spark context."""
    context = session.sparkContext
    port = _free_port()
    conf = context._jsc.sc().conf()
    conf.set("spark.connect.grpc.binding.address", "127.0.0.1")
    conf.set("spark.connect.grpc.binding.port", str(port))
    _service(session).start(context._jsc.sc())
    return ConnectServer(port)


def stop_server(session) -> None:
    service = _service(session)
    # Scala's default arguments (no timeout), which py4j does not fill in.
    service.stop(getattr(service, "stop$default$1")(), getattr(service, "stop$default$2")())


def _service(session):
    return session.sparkContext._jvm.org.apache.spark.sql.connect.service.SparkConnectService


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
