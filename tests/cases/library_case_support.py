"""Books of customers for the published library cases: groups of identical accounts, each
with one subscription, described in a line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import metricsmith
import pyarrow as pa
from library_support import account, library_project, one_row, subscription, table, utc

#: Everybody in a book is a customer from December 2023 unless a group says otherwise; the
#: cases read January 2024, whose start is the end of December.
DECEMBER = utc(2023, 12, 1)
MID_JANUARY = utc(2024, 1, 15)
JANUARY = {"grain": "month", "start": "2024-01", "end": "2024-02"}


def group(
    prefix: str,
    count: int,
    amount: float,
    started_at: dt.datetime = DECEMBER,
    ended_at: dt.datetime | None = None,
    **columns: object,
) -> list[tuple[dict, dict]]:
    """`count` accounts named prefix1, prefix2, ... signed up when their subscription starts."""
    return [
        (
            account(f"{prefix}{n}", started_at),
            subscription(f"{prefix}{n}", amount, started_at, ended_at, **columns),
        )
        for n in range(1, count + 1)
    ]


def changing(name: str, before: float, after: float) -> list[tuple[dict, dict]]:
    """One account whose MRR goes from `before` to `after` on January 15th (0: cancelled)."""
    customer = account(name, DECEMBER)
    rows = [(customer, subscription(name, before, DECEMBER, MID_JANUARY))]
    if after > 0:
        rows.append((customer, subscription(name, after, MID_JANUARY)))
    return rows


def book(*groups: Iterable[tuple[dict, dict]], **tables: pa.Table) -> metricsmith.Project:
    """The library over these accounts and their subscriptions (and any other tables)."""
    pairs = [pair for members in groups for pair in members]
    accounts = {a["account_id"]: a for a, _ in pairs}
    return library_project(
        accounts=table("accounts", list(accounts.values())),
        subscriptions=table("subscriptions", [s for _, s in pairs]),
        **tables,
    )


def january(project: metricsmith.Project, *metrics: str, engine: str) -> dict:
    return one_row(project, list(metrics), **JANUARY, engine=engine)
