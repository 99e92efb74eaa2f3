"""A query result as a chart in one call (`QueryResult.chart()`): a line per metric over the
periods, coloured by the `by` columns; one panel per metric, each on its own scale, since the
metrics of one query rarely share a unit. Vega-Lite through altair, from the `report` extra."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from metricsmith.errors import QueryError

if TYPE_CHECKING:
    import altair

    from metricsmith.present.result import QueryResult

INSTALL_HINT = "pip install 'metricsmith[report]'"
#: The columns of the long table the chart draws.
PERIOD, GROUP, METRIC, VALUE, SHOWN = "period", "group", "metric", "value", "shown"


def result_chart(result: QueryResult) -> altair.Chart | altair.FacetChart:
    try:
        import altair as alt
    except ImportError:
        raise QueryError("a chart needs altair", hint=INSTALL_HINT) from None
    if result.grain is None:
        raise QueryError(
            "a chart draws metrics over periods, and this result has none",
            hint="query with a grain (grain='month')",
        )
    groups = result.keys[1:]
    encoding = {
        "x": alt.X(f"{PERIOD}:T", title=result.keys[0]),
        "y": alt.Y(f"{VALUE}:Q", title=None),
        "color": alt.Color(
            f"{GROUP if groups else METRIC}:N",
            title=", ".join(result.heading(key) for key in groups) if groups else None,
        ),
        "tooltip": [f"{METRIC}:N", *([f"{GROUP}:N"] if groups else []), f"{SHOWN}:N"],
    }
    chart = alt.Chart(_long(result)).mark_line(point=True).encode(**encoding)
    if len(result.metrics) == 1:
        return chart.properties(title=result.metrics[0].label)
    return chart.facet(row=alt.Row(f"{METRIC}:N", title=None)).resolve_scale(y="independent")


def _long(result: QueryResult) -> pa.Table:
    """One row per period, group and metric, with the value as a number and as the metric's
    format shows it (for the tooltip)."""
    keys = result.keys
    periods = result.table.column(keys[0])
    groups = [" · ".join(parts) for parts in zip(*map(result.key_texts, keys[1:]), strict=True)]
    pieces = []
    for index, metric in enumerate(result.metrics, start=len(keys)):
        values = result.table.column(index).to_pylist()
        columns = {
            PERIOD: periods,
            METRIC: pa.array([metric.label] * len(values)),
            VALUE: pa.array([_number(v) for v in values], pa.float64()),
            SHOWN: pa.array([metric.formatted(v) for v in values]),
        }
        if groups:
            columns[GROUP] = pa.array(groups)
        pieces.append(pa.table(columns))
    return pa.concat_tables(pieces)


def _number(value: object) -> float | None:
    """A value the chart can place: durations in seconds, numbers as they are."""
    seconds = getattr(value, "total_seconds", None)
    if seconds is not None:
        return float(seconds())
    return None if value is None else float(value)  # type: ignore[arg-type]
