"""The logical plan: which sources to read, which aggregates each grouped pass computes, which
links are joined, and the metric arithmetic on top."""

from metricsmith.plan.explain import explain
from metricsmith.plan.nodes import (
    EventTime,
    FusedAggregate,
    Join,
    MetricOutput,
    Plan,
    Query,
    SourceRead,
    SourceScan,
    StateTime,
)
from metricsmith.plan.periods import GRAINS
from metricsmith.plan.planner import plan_query

__all__ = [
    "GRAINS",
    "EventTime",
    "FusedAggregate",
    "Join",
    "MetricOutput",
    "Plan",
    "Query",
    "SourceRead",
    "SourceScan",
    "StateTime",
    "explain",
    "plan_query",
]
