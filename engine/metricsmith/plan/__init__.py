"""The logical plan: which sources to read, which aggregates each grouped pass computes, which
links are joined, and the metric arithmetic on top."""

from metricsmith.plan.explain import explain
from metricsmith.plan.nodes import (
    CohortAxis,
    EntityMembers,
    EventTime,
    FusedAggregate,
    Join,
    Level,
    PerAggregate,
    PerLevel,
    Plan,
    SourceRead,
    SourceScan,
    StateTime,
    WindowSpec,
)
from metricsmith.plan.planner import plan_query

__all__ = [
    "CohortAxis",
    "EntityMembers",
    "EventTime",
    "FusedAggregate",
    "Join",
    "Level",
    "PerAggregate",
    "PerLevel",
    "Plan",
    "SourceRead",
    "SourceScan",
    "StateTime",
    "WindowSpec",
    "explain",
    "plan_query",
]
