"""The conformance suite: the same plans on every engine must give the same answers.

Tests that need Spark carry the `spark` marker (deselect locally with `-m "not spark"`; CI runs
them) and share the test run's one local Spark session (tests/conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from metricsmith.execute.spark_session import SparkOptions
from spark_connect_server import client_missing, start_server, stop_server


@pytest.fixture(scope="session")
def spark(spark_session: object) -> SparkOptions:
    """Options running plans on the test run's Spark session (for `execute_plan_spark`)."""
    return SparkOptions(session=spark_session)


@pytest.fixture(scope="session")
def spark_connect(spark_session: object) -> Iterator[SparkOptions]:
    """Options running plans through a local Spark Connect server (tests/spark_connect_server.py)
    started once for the run: the client speaks gRPC to it as to a remote cluster."""
    missing = client_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    server = start_server(spark_session)
    try:
        yield SparkOptions(remote=server.url)
    finally:
        stop_server(spark_session)
