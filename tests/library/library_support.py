"""Helpers for the library tests: the documented source shapes as Arrow schemas, tiny tables
built from a few rows, and a project over tests/library/defs/sources.metrics (which includes
the installed customer_success pack by name) with every source bound to an in-memory table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import metricsmith
import pyarrow as pa

DEFS = Path(__file__).parent / "defs" / "sources.metrics"
TIMESTAMP = pa.timestamp("us", tz="UTC")

#: Every source of the documented shapes, its columns and their types. A test hands in only
#: the tables it cares about; the others are bound to empty tables of these shapes.
SHAPES: dict[str, dict[str, pa.DataType]] = {
    "accounts": {
        "account_id": pa.string(),
        "signed_up_at": TIMESTAMP,
        "signup_plan": pa.string(),
        "segment": pa.string(),
    },
    "subscriptions": {
        "account_id": pa.string(),
        "plan": pa.string(),
        "billing_period": pa.string(),
        "amount": pa.float64(),
        "started_at": TIMESTAMP,
        "ended_at": TIMESTAMP,
    },
    "events": {
        "account_id": pa.string(),
        "user_id": pa.string(),
        "name": pa.string(),
        "occurred_at": TIMESTAMP,
        "key_action": pa.bool_(),
        "tracked_feature": pa.bool_(),
    },
    "sessions": {
        "account_id": pa.string(),
        "user_id": pa.string(),
        "started_at": TIMESTAMP,
        "ended_at": TIMESTAMP,
    },
    "seat_snapshots": {
        "account_id": pa.string(),
        "snapshot_date": pa.date32(),
        "seats": pa.int64(),
    },
    "milestones": {
        "account_id": pa.string(),
        "milestone": pa.string(),
        "reached_at": TIMESTAMP,
    },
    "tickets": {
        "account_id": pa.string(),
        "opened_at": TIMESTAMP,
        "first_response_at": TIMESTAMP,
        "resolved_at": TIMESTAMP,
        "contacts": pa.int64(),
    },
    "nps_survey": {"account_id": pa.string(), "responded_at": TIMESTAMP, "score": pa.int64()},
    "csat_survey": {"account_id": pa.string(), "responded_at": TIMESTAMP, "score": pa.int64()},
    "ces_survey": {"account_id": pa.string(), "responded_at": TIMESTAMP, "score": pa.int64()},
    "renewals": {
        "account_id": pa.string(),
        "due_at": TIMESTAMP,
        "up_for_renewal": pa.float64(),
        "renewed_amount": pa.float64(),
        "expansion_amount": pa.float64(),
    },
    "referrals": {
        "referrer_account_id": pa.string(),
        "referred_account_id": pa.string(),
        "sent_at": TIMESTAMP,
    },
    "payments": {"account_id": pa.string(), "paid_at": TIMESTAMP, "amount": pa.float64()},
    "costs": {"incurred_at": TIMESTAMP, "category": pa.string(), "amount": pa.float64()},
}
#: resolved_tickets reads the same rows as tickets, on the timeline of their resolution.
SAME_ROWS = {"resolved_tickets": "tickets"}


def utc(year: int, month: int = 1, day: int = 1, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def table(source: str, rows: Sequence[Mapping[str, object]] = ()) -> pa.Table:
    """A table of `source`'s shape; columns a row leaves out are null (or the shape's
    default: monthly billing for subscriptions)."""
    shape = SHAPES[source]
    defaults = {"billing_period": "month"} if source == "subscriptions" else {}
    unknown = {name for row in rows for name in row} - set(shape)
    assert not unknown, f"{source} has no columns {sorted(unknown)}"
    return pa.table(
        {
            name: pa.array([row.get(name, defaults.get(name)) for row in rows], type_)
            for name, type_ in shape.items()
        }
    )


def library_project(**tables: pa.Table) -> metricsmith.Project:
    """The library over the given tables; every other source is empty."""
    bound = {name: tables.get(name, table(name)) for name in SHAPES}
    for alias, original in SAME_ROWS.items():
        bound[alias] = bound[original]
    return metricsmith.load_project(DEFS, tables=bound)


def by_period(project: metricsmith.Project, metrics: Sequence[str], **query) -> list[dict]:
    """The query's rows as dicts."""
    return project.query(list(metrics), **query).to_pylist()


def one_row(project: metricsmith.Project, metrics: Sequence[str], **query) -> dict:
    rows = by_period(project, metrics, **query)
    assert len(rows) == 1, rows
    return rows[0]


def account(account_id: str, signed_up_at: dt.datetime, **columns: object) -> dict[str, object]:
    return {"account_id": account_id, "signed_up_at": signed_up_at, **columns}


def subscription(
    account_id: str,
    amount: float,
    started_at: dt.datetime,
    ended_at: dt.datetime | None = None,
    **columns: object,
) -> dict[str, object]:
    """A subscription row, billed monthly unless `billing_period` says otherwise."""
    return {
        "account_id": account_id,
        "amount": amount,
        "started_at": started_at,
        "ended_at": ended_at,
        "plan": "starter",
        **columns,
    }


def months(first: dt.date, count: int) -> list[dt.date]:
    """The first days of `count` consecutive months from `first`."""
    return [
        dt.date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, 1)
        for n in range(count)
    ]


def column(rows: Sequence[Mapping[str, object]], name: str) -> list[object]:
    return [row[name] for row in rows]
