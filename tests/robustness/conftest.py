"""The robustness suite: random valid projects, mutated projects and the seed corpus of
issue 10's reproductions. It shares the conformance suite's agreement helper and the
benchmark folder's fuzzing campaign; the Spark session is the test run's one
(`spark_session`, tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
sys.path.insert(0, str(ROOT / "benchmarks"))
