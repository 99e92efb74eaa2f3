"""A Spark Connect URL in configuration: its token never shows (reprs, messages), and a server
out of reach or a malformed URL is a one-line QueryError in seconds, before pyspark is asked
(its own client retries an unreachable server for minutes)."""

from __future__ import annotations

import socket

import pytest
from metricsmith.errors import QueryError
from metricsmith.execute.spark_session import SparkOptions, redact_remote, spark_session

TOKEN = "s3cr3t-T0ken"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_token_is_redacted_in_the_options_repr():
    options = SparkOptions(remote=f"sc://spark.internal:15002/;token={TOKEN};user_id=ana")
    shown = repr(options)
    assert TOKEN not in shown
    assert "token=***;user_id=ana" in shown


def test_redaction_keeps_the_rest_of_the_text():
    text = f"sc://h:1/;use_ssl=true;token={TOKEN} and TOKEN={TOKEN}"
    assert redact_remote(text) == "sc://h:1/;use_ssl=true;token=*** and TOKEN=***"


def test_an_unreachable_server_is_a_query_error_without_the_token():
    remote = f"sc://127.0.0.1:{_closed_port()}/;token={TOKEN}"
    with pytest.raises(QueryError, match="cannot reach the Spark Connect server") as raised:
        spark_session(SparkOptions(remote=remote))
    assert TOKEN not in str(raised.value) and TOKEN not in repr(raised.value)
    assert "token=***" in str(raised.value)


@pytest.mark.parametrize("remote", ["http://host:15002", "sc://", "sc://host:port"])
def test_a_malformed_url_is_a_query_error(remote):
    with pytest.raises(QueryError, match="is not a Spark Connect URL"):
        spark_session(SparkOptions(remote=f"{remote}/;token={TOKEN}"))


def test_the_environment_variable_names_the_server(monkeypatch):
    monkeypatch.setenv("METRICSMITH_SPARK_REMOTE", f"sc://127.0.0.1:{_closed_port()}")
    with pytest.raises(QueryError, match="cannot reach"):
        spark_session(SparkOptions())


def test_a_connect_session_closes_its_channel_before_the_clients_exit_hook(monkeypatch):
    """The client's own exit hook asks the server to clean up and retries for minutes when
    the server has gone (a stopped cluster; the tests' server): the process would not exit.
    metricsmith's hook, registered after the client's and so run before it, closes the
    channel, which the client's hook then takes as done."""
    from metricsmith.execute import spark_session as sessions

    calls: list[str] = []

    class Client:
        def close(self) -> None:
            calls.append("closed")

    class Session:
        client = Client()

    class Builder:
        def remote(self, url: str) -> Builder:
            return self

        def create(self) -> Session:
            calls.append("created")  # the client registers its exit hook here
            return Session()

    connect = pytest.importorskip("pyspark.sql.connect.session")
    monkeypatch.setattr(connect.SparkSession, "builder", Builder())
    monkeypatch.setattr(sessions, "_check_reachable", lambda *args: None)
    monkeypatch.setattr(sessions, "_remote_sessions", {})
    hooks: list[tuple[object, tuple[object, ...]]] = []
    monkeypatch.setattr(sessions.atexit, "register", lambda f, *a: hooks.append((f, a)))
    session = sessions._connect_session("sc://127.0.0.1:15002")
    assert calls == ["created"] and len(hooks) == 1
    hook, arguments = hooks[0]
    assert arguments == (session,)
    hook(*arguments)
    assert calls == ["created", "closed"]
