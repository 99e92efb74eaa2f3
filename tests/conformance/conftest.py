"""The conformance suite: the same plans on every engine must give the same answers.

Tests that need Spark carry the `spark` marker (deselect locally with `-m "not spark"`; CI runs
them) and share the test run's one local Spark session (tests/conftest.py).
"""

from __future__ import annotations

import pytest
from metricsmith.execute.spark_session import SparkOptions


@pytest.fixture(scope="session")
def spark(spark_session: object) -> SparkOptions:
    """Options running plans on the test run's Spark session (for `execute_plan_spark`)."""
    return SparkOptions(session=spark_session)
