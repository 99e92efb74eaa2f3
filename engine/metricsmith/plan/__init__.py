"""The logical plan: which sources to read, which aggregates each grouped pass computes, which
links are joined, and the metric arithmetic on top."""

from metricsmith.plan.explain import explain
from metricsmith.plan.nodes import (
    AGE,
    CohortAxis,
    EntityMembers,
    EventTime,
    FusedAggregate,
    Join,
    Level,
    MetricOutput,
    PerAggregate,
    PerLevel,
    Plan,
    Query,
    SourceRead,
    SourceScan,
    StateTime,
    WindowSpec,
)
from metricsmith.plan.periods import GRAINS
from metricsmith.plan.planner import plan_query

__all__ = [
    "AGE",
    "GRAINS",
    "CohortAxis",
    "EntityMembers",
    "EventTime",
    "FusedAggregate",
    "Join",
    "Level",
    "MetricOutput",
    "PerAggregate",
    "PerLevel",
    "Plan",
    "Query",
    "SourceRead",
    "SourceScan",
    "StateTime",
    "WindowSpec",
    "explain",
    "plan_query",
]
