"""The conformance suite: the same plans on every engine must give the same answers.

Tests that need Spark carry the `spark` marker (deselect locally with `-m "not spark"`; CI runs
them) and share one local SparkSession for the whole test run.
"""

from __future__ import annotations

import pytest
from metricsmith.execute.spark_session import SparkOptions


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "spark: runs on a local Spark session (needs pyspark and Java 17)"
    )


@pytest.fixture(scope="session")
def spark() -> SparkOptions:
    """Options running queries on the test run's single local Spark session."""
    from metricsmith.execute.spark_session import spark_session

    options = SparkOptions(master="local[2]")
    return SparkOptions(session=spark_session(options))
