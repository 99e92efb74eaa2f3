"""The robustness suite: random valid projects, mutated projects and the seed corpus of
issue 10's reproductions. It shares the conformance suite's agreement helper and the
benchmark folder's fuzzing campaign."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.fixture(scope="session")
def spark_session() -> object:
    """The test run's single local Spark session."""
    from metricsmith.execute.spark_session import SparkOptions, spark_session

    return spark_session(SparkOptions(master="local[2]"))
