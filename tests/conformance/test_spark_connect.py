"""The Spark engine through Spark Connect: a local Spark Connect server on a loopback port
(tests/spark_connect_server.py) stands for a remote cluster, and the sample project's metrics,
a project's `[spark] remote` and the METRICSMITH_SPARK_REMOTE variable reach it over gRPC.

The server shares the JVM of the run's local session: no second Spark start."""

from __future__ import annotations

from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from agreement import differences
from metricsmith.execute.arrow import execute_plan
from metricsmith.execute.sql.spark_engine import execute_plan_spark
from test_sample_project import _plan, classified, sample

pytestmark = pytest.mark.spark

EVENTS = pa.table(
    {
        "occurred_at": pa.array(
            ["2024-01-03T10:00:00Z", "2024-01-20T10:00:00Z", "2024-02-02T10:00:00Z"],
            pa.string(),
        ).cast(pa.timestamp("us", tz="UTC")),
        "user_id": [1, 2, 1],
        "seconds": [10.0, 30.0, 20.0],
    }
)
DEFINITIONS = """
source events from parquet("events.parquet") { time occurred_at }
metric events = count(events)
metric users = count_distinct(events.user_id)
metric median_seconds = median(events.seconds)
"""
QUERY = {"grain": "month", "start": "2024-01", "end": "2024-03"}
# January: 2 events of users 1 and 2, median of 10 and 30 = 20; February: 1 event, user 1, 20.
EXPECTED = {
    "events": [2, 1],
    "users": [2, 1],
    "median_seconds": [20.0, 20.0],
}


def test_the_sample_project_agrees_through_spark_connect(spark_connect):
    """The sample project's own metrics (not the library's hundred, which the local session
    runs in test_sample_project.py: the transport is what is tested here), monthly by segment."""
    scenario = "monthly by segment"
    own = [name for name in classified(scenario) if sample().metrics[name].origin is None]
    assert len(own) >= 15
    plan = _plan(own, scenario)
    answer = execute_plan_spark(plan, sample().checked, spark_connect)
    problems = differences(execute_plan(plan, sample().checked), answer)
    assert not problems, "\n".join(problems)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    import pyarrow.parquet as pq

    pq.write_table(EVENTS, tmp_path / "events.parquet")
    (tmp_path / "p.metrics").write_text(DEFINITIONS)
    return tmp_path


def _answers(project: metricsmith.Project) -> dict[str, list[object]]:
    table = project.query(list(EXPECTED), engine="spark", **QUERY)
    return {name: table.column(name).to_pylist() for name in EXPECTED}


def test_a_project_names_its_spark_connect_server(spark_connect, folder):
    (folder / "metricsmith.toml").write_text(f'[spark]\nremote = "{spark_connect.remote}"\n')
    assert _answers(metricsmith.load_project(folder)) == EXPECTED


def test_the_environment_names_the_spark_connect_server(spark_connect, folder, monkeypatch):
    monkeypatch.setenv("METRICSMITH_SPARK_REMOTE", spark_connect.remote)
    assert _answers(metricsmith.load_project(folder)) == EXPECTED
