"""Number formatting, period names and target marks, without running a query."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pyarrow as pa
import pytest
from metricsmith.check.checked import MetricInfo
from metricsmith.dsl.parser import parse_source
from metricsmith.model.bound import BLiteral
from metricsmith.model.decl import Ident, MetricDecl, Target
from metricsmith.model.expr import Literal
from metricsmith.model.span import NO_SPAN, SourceFile
from metricsmith.model.targets import Status, status
from metricsmith.model.time import Grain
from metricsmith.model.types import Type
from metricsmith.present.tables import result_table
from metricsmith.present.values import (
    describe_target,
    format_cell,
    format_duration,
    format_metric_value,
    format_number,
    format_period,
)
from rich.console import Console


def metric(
    name: str = "m",
    *,
    label: str | None = None,
    format: str | None = None,
    unit: str | None = None,
    direction: str | None = None,
    target: tuple[str, float] | None = None,
) -> MetricDecl:
    return MetricDecl(
        name=Ident(name=name, span=NO_SPAN),
        label=label,
        formula=Literal(value=1, type=Type.INTEGER, span=NO_SPAN),
        description=None,
        unit=unit,
        format=format,
        direction=direction,
        target=Target(op=target[0], value=target[1], span=NO_SPAN) if target else None,
        span=NO_SPAN,
    )


@pytest.mark.parametrize(
    ("value", "decl", "shown"),
    [
        (1234, metric(), "1,234"),
        (1234.5678, metric(), "1,234.57"),
        (0.004213, metric(), "0.00421"),
        (-0.5, metric(), "-0.500"),
        (Decimal("12.5"), metric(), "12.50"),
        (0.724, metric(format="percent"), "72.4%"),
        (1.5, metric(format="percent"), "150.0%"),
        (12500, metric(format="currency"), "12,500.00"),
        (41.6, metric(format="integer"), "42"),
        (26.5, metric(format="duration", unit="hours"), "1d 2h"),
        (dt.timedelta(minutes=200), metric(), "3h 20m"),
        (None, metric(format="percent"), "–"),
        (float("nan"), metric(), "–"),
    ],
)
def test_metric_values_follow_their_format(value, decl, shown):
    assert format_metric_value(value, decl) == shown


def test_small_numbers_keep_three_significant_digits():
    assert format_number(0.0) == "0.00"
    assert format_number(0.1234) == "0.123"
    assert format_number(0.00001234) == "0.0000123"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0s"), (45, "45s"), (3600, "1h"), (86400 + 60, "1d"), (-90, "-1m 30s")],
)
def test_durations_show_their_two_largest_units(seconds, shown):
    assert format_duration(seconds) == shown


@pytest.mark.parametrize(
    ("grain", "shown"),
    [
        ("day", "2024-04-01"),
        ("week", "2024-04-01"),
        ("month", "2024-04"),
        ("quarter", "2024 Q2"),
        ("year", "2024"),
    ],
)
def test_periods_are_named_by_grain(grain, shown):
    assert format_period(dt.date(2024, 4, 1), Grain(grain)) == shown


def test_dimension_cells():
    assert format_cell(None) == "–"
    assert format_cell("EMEA") == "EMEA"
    assert format_cell(dt.date(2024, 1, 2)) == "2024-01-02"


def parsed_metric(clauses: str):
    module, problems = parse_source(SourceFile("t.metrics", f"metric m = 1 {clauses}"))
    assert not problems
    return module.decls[0]


@pytest.mark.parametrize(
    ("decl", "value", "verdict"),
    [
        (metric(target=(">=", 40)), 40, True),
        (metric(target=(">=", 40)), 39.9, False),
        (metric(target=("<", 24)), 24, False),
        (parsed_metric("lower is better target 24"), 20, True),  # a bare target follows
        (parsed_metric("higher is better target 24"), 20, False),  # the metric's direction
        (metric(target=(">=", 40)), None, None),
        (metric(), 12, None),
    ],
)
def test_values_are_judged_against_the_target(decl, value, verdict):
    # The target met is green; missed, amber or red (model/targets.py); no status otherwise.
    judged = status(value, decl.target)
    assert (judged if judged is None else judged is Status.GREEN) is verdict


def test_targets_read_in_the_metric_format():
    assert describe_target(metric(format="percent", target=(">=", 0.7))) == "≥ 70.0%"
    assert describe_target(parsed_metric("lower is better target 24")) == "≤ 24"
    assert describe_target(metric()) is None


def render(renderable) -> str:
    out = io.StringIO()
    Console(file=out, width=200, markup=False, highlight=False).print(renderable)
    return out.getvalue()


def test_result_table_headers_cells_and_marks():
    nps = metric("nps", label="Net Promoter Score", target=(">=", 30))
    fcr = metric("fcr", format="percent", direction="higher")
    infos = [
        MetricInfo(
            decl=d, formula=BLiteral(value=1, type=Type.FLOAT, span=NO_SPAN), type=Type.FLOAT
        )
        for d in (nps, fcr)
    ]
    table = pa.table(
        {
            "month": pa.array([dt.date(2024, 1, 1), dt.date(2024, 2, 1)], pa.date32()),
            "accounts.region": ["EMEA", None],
            "nps": [42.0, None],
            "fcr": [0.5, 0.25],
        }
    )
    text = render(result_table(table, infos))
    assert "Net Promoter Score" in text and "target ≥ 30" in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "2024-01 │ EMEA │ 42.00 🟢 │ 50.0%" in lines
    assert "2024-02 │ – │ – │ 25.0%" in lines


def test_result_table_refuses_columns_that_do_not_match():
    table = pa.table({"nps": [1.0]})
    info = MetricInfo(
        decl=metric(), formula=BLiteral(value=1, type=Type.FLOAT, span=NO_SPAN), type=Type.FLOAT
    )
    with pytest.raises(ValueError, match="cannot hold 2 metrics"):
        result_table(table, [info, info])
