"""`Plan.result_schema()` is what every engine returns, exactly: the period column, the
dimensions (with `age`), the metrics in their language types, column for column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import pyarrow as pa
import pytest
from metricsmith.plan import plan_query

UTC = dt.UTC
STAMP = pa.timestamp("us", tz="UTC")

DEFINITIONS = """
calendar { timezone "Europe/Berlin" week_start monday }
source accounts from csv("accounts.csv") {
  key account_id
  time signed_up_at
  column employees: integer
}
source subscriptions from csv("subscriptions.csv") {
  entity account_id -> accounts
  valid from started_at to ended_at
}
dimension size = if(accounts.employees > 10, "large", "small")
dimension paying = if(count(subscriptions where ended_at is null) > 0, "paying", "not")
metric signups = count(accounts)
metric mrr = sum(subscriptions.mrr)
metric mean_mrr = avg(subscriptions.mrr)
metric latest_signup = max(accounts.signed_up_at)
metric first_day = min(accounts.signup_day)
metric open = count(subscriptions where ended_at is null)
metric customers = count_distinct(subscriptions.account_id)
metric accounts_total = count(per account)
metric retention = customers / cohort_start(customers)
metric paying_accounts = count(per account where mrr > 0)
"""


def _tables() -> dict[str, pa.Table]:
    signed = [dt.datetime(2024, m, 3, tzinfo=UTC) for m in (1, 1, 2, 3)]
    accounts = pa.table(
        {
            "account_id": [1, 2, 3, 4],
            "signed_up_at": pa.array(signed, STAMP),
            "signup_day": pa.array([s.date() for s in signed], pa.date32()),
            "employees": ["5", "50", "12", "3"],
            "region": pa.array(["eu", "us", "eu", "eu"]).dictionary_encode(),
            "mrr_note": pa.array([None] * 4, pa.null()),
        }
    )
    subscriptions = pa.table(
        {
            "account_id": [1, 2, 3, 4],
            "mrr": pa.array(["10.50", "30.25", "5.00", "40.00"]).cast(pa.decimal128(10, 2)),
            "started_at": pa.array(signed, STAMP),
            "ended_at": pa.array([None, dt.datetime(2024, 3, 1, tzinfo=UTC), None, None], STAMP),
        }
    )
    return {"accounts": accounts, "subscriptions": subscriptions}


QUERIES = {
    "by month": dict(
        metrics=["signups", "mrr", "mean_mrr", "latest_signup", "first_day", "open"],
        by=["accounts.region", "size"],
        grain="month",
        start="2024-01",
        end="2024-05",
    ),
    "without a grain": dict(metrics=["mrr", "customers"], by=["accounts.mrr_note"]),
    "per account": dict(
        metrics=["accounts_total", "paying_accounts"],
        by=["paying"],
        grain="quarter",
        start="2024",
        end="2025",
    ),
    "ages": dict(
        metrics=["accounts_total", "retention"],
        by=["cohort(accounts.signed_up_at, month)", "age"],
        grain="month",
        start="2024-01",
        end="2024-04",
    ),
}

ENGINES = ["arrow", "duckdb", pytest.param("spark", marks=pytest.mark.spark)]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> metricsmith.Project:
    path: Path = tmp_path_factory.mktemp("schema") / "schema.metrics"
    path.write_text(DEFINITIONS)
    return metricsmith.load_project(path, tables=_tables())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", QUERIES)
def test_every_engine_returns_exactly_the_plans_schema(project, engine, name):
    query = QUERIES[name]
    options = {k: query.get(k) for k in ("by", "grain", "start", "end")}
    options["by"] = options["by"] or ()
    built = project.build_query(query["metrics"], where=(), **options)
    schema = plan_query(project.checked, built).result_schema()
    answer = project.query(query["metrics"], engine=engine, **options)
    assert answer.schema == schema
    assert answer.num_rows > 0


def test_the_schema_names_period_dimensions_and_metrics_with_their_types(project):
    built = project.build_query(
        ["mrr", "latest_signup", "open"],
        by=["accounts.region", "size"],
        grain="month",
        start="2024-01",
        end="2024-03",
        where=(),
    )
    schema = plan_query(project.checked, built).result_schema()
    assert schema == pa.schema(
        [
            ("month", pa.date32()),
            ("accounts.region", pa.string()),
            ("size", pa.string()),
            ("mrr", pa.decimal128(38, 9)),
            ("latest_signup", pa.timestamp("us", tz="Europe/Berlin")),
            ("open", pa.int64()),
        ]
    )
