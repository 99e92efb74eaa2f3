"""Golden SQL for the dialects metricsmith renders but does not run (Postgres, Trino,
BigQuery, Snowflake): the SQL of a few representative queries is pinned, and each snapshot
must parse back with sqlglot in its own dialect.

Regenerate after a deliberate change with METRICSMITH_UPDATE_GOLDEN=1. The comparison ignores
layout (line breaks, indentation), which differs between sqlglot versions.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
import sqlglot

GOLDEN = Path(__file__).resolve().parent / "golden"
DIALECTS = ["postgres", "trino", "bigquery", "snowflake"]
INSTANT = pa.timestamp("us", tz="UTC")
TABLES = {
    "accounts": pa.schema(
        [
            ("account_id", pa.int64()),
            ("signed_up_at", INSTANT),
            ("employees", pa.int64()),
            ("segment", pa.string()),
        ]
    ),
    "tickets": pa.schema(
        [
            ("account_id", pa.int64()),
            ("opened_at", INSTANT),
            ("resolved_at", INSTANT),
            ("contacts", pa.int64()),
            ("nps_score", pa.int64()),
        ]
    ),
    "subscriptions": pa.schema(
        [
            ("account_id", pa.int64()),
            ("mrr", pa.float64()),
            ("started_at", INSTANT),
            ("ended_at", INSTANT),
        ]
    ),
}
QUERIES = {
    "support_monthly_by_segment": {
        "metrics": ["nps", "fcr", "mean_hours", "weekend_tickets"],
        "by": ["accounts.segment"],
        "grain": "month",
        "start": "2024-01",
        "end": "2024-04",
    },
    "revenue_quarterly_by_size": {
        "metrics": ["mrr", "arpa"],
        "by": ["size"],
        "grain": "quarter",
        "start": "2024-01",
        "end": "2025-01",
    },
    "offsets_and_windows_weekly": {
        "metrics": ["mrr_change", "recent_tickets", "paid_ever"],
        "grain": "week",
        "start": "2024-03-04",
        "end": "2024-04-01",
    },
    "filtered_without_grain": {
        "metrics": ["fcr", "mrr"],
        "start": "2024-03-01",
        "end": "2024-03-15",
        "where": ['accounts.segment in ("smb", "mid")'],
    },
    "per_account_and_per_day_monthly": {
        "metrics": [
            "customers",
            "expansion_mrr",
            "returning_customers",
            "busiest_day_tickets",
            "growth_change",
        ],
        "grain": "month",
        "start": "2024-01",
        "end": "2024-04",
    },
    "customers_by_mrr_band": {
        "metrics": ["customers"],
        "by": ["mrr_band"],
        "grain": "month",
        "start": "2024-01",
        "end": "2024-04",
    },
    "cohorts_by_age": {
        "metrics": ["cohort_retention"],
        "by": ["cohort(accounts.signed_up_at, month)", "age"],
        "grain": "month",
        "start": "2024-01",
        "end": "2024-04",
    },
}


def _tokens(sql: str) -> str:
    """The SQL without its layout: sqlglot versions differ in where they break lines."""
    spaced = re.sub(r"\s+", " ", sql)
    return re.sub(r"\s*([(),])\s*", r"\1", spaced).strip()


@pytest.fixture(scope="module")
def project() -> metricsmith.Project:
    tables = {name: schema.empty_table() for name, schema in TABLES.items()}
    return metricsmith.load_project(GOLDEN / "project.metrics", tables=tables)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("query", list(QUERIES))
def test_golden_sql(project, query, dialect):
    options = dict(QUERIES[query])
    sql = project.explain(options.pop("metrics"), **options, dialect=dialect) + "\n"
    path = GOLDEN / f"{query}.{dialect}.sql"
    if os.environ.get("METRICSMITH_UPDATE_GOLDEN"):
        path.write_text(sql)
    assert _tokens(sql) == _tokens(path.read_text()), f"the {dialect} SQL changed; see {path}"
    sqlglot.parse_one(path.read_text(), read=dialect)


@pytest.mark.parametrize("dialect", ["postgres", "snowflake"])
def test_golden_exact_median(project, dialect):
    sql = project.explain(
        ["median_hours"], grain="month", start="2024-01", end="2024-02", dialect=dialect
    )
    assert "PERCENTILE_CONT(0.5) WITHIN GROUP" in sql
    sqlglot.parse_one(sql, read=dialect)
