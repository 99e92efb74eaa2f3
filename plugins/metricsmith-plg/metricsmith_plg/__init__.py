"""metricsmith-plg: a KPI pack for product-led growth.

It ships through three hooks: the folder `plg/` of `.metrics` files (`include "plg"`), the
aggregate `count_at_least` and the scalar `business_days_between` (functions.py) that its
metrics use.
"""

from __future__ import annotations

from pathlib import Path

import pluggy
from metricsmith.plugins.functions import AggregateFunction, ScalarFunction

from metricsmith_plg.functions import BUSINESS_DAYS_BETWEEN, COUNT_AT_LEAST

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("metricsmith")

#: The library's folder; its name is the name projects include it by.
LIBRARY = Path(__file__).parent / "plg"


@hookimpl
def metricsmith_metric_libraries() -> list[str]:
    return [str(LIBRARY)]


@hookimpl
def metricsmith_aggregate_functions() -> list[AggregateFunction]:
    return [COUNT_AT_LEAST]


@hookimpl
def metricsmith_scalar_functions() -> list[ScalarFunction]:
    return [BUSINESS_DAYS_BETWEEN]
