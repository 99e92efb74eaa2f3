"""The embedded executor: runs a plan with pyarrow compute and numpy, one grouped pass per
source."""

from metricsmith.execute.arrow.executor import ExecutionStats, execute_plan

__all__ = ["ExecutionStats", "execute_plan"]
