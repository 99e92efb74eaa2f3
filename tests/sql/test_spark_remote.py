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
