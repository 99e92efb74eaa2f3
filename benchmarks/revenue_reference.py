"""The revenue scorecard computed in plain Python, straight from the definitions.

An independent check of the other two, written to be obviously right rather than fast: for
every account and every month end it sums the subscriptions in force there, with no shortcut
the SQL takes (no assumption that subscriptions start after sign-up, no dense grid, no window
functions). It is far too slow for the full size; use it at smoke sizes
(`run_revenue.py --accounts 2000 --engines duckdb,reference`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from attrs import define

COUNTS = ("customers_at_start", "churned_customers")
MONEY = (
    "mrr",
    "starting_mrr",
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
)
ALL_SEGMENTS = "(all)"


@define
class Subscription:
    mrr: float
    started_at: dt.datetime
    ended_at: dt.datetime | None

    def in_force_at(self, instant: dt.datetime) -> bool:
        return self.started_at < instant and (self.ended_at is None or self.ended_at >= instant)


def _month_starts(first: dt.datetime, last: dt.datetime) -> Iterator[dt.datetime]:
    """The first instant of every month from `first`'s month through `last`'s."""
    month = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while month <= last:
        yield month
        month = _next_month(month)


def _read(data_dir: Path) -> tuple[list[dict[str, object]], dict[int, list[Subscription]]]:
    accounts = pq.read_table(data_dir / "accounts.parquet").to_pylist()
    by_account: dict[int, list[Subscription]] = defaultdict(list)
    for row in pq.read_table(data_dir / "subscriptions.parquet").to_pylist():
        by_account[row["account_id"]].append(
            Subscription(row["mrr"], row["started_at"], row["ended_at"])
        )
    return accounts, by_account


def revenue_scorecard(
    data_dir: Path, start: dt.datetime, end: dt.datetime, by_segment: bool
) -> pa.Table:
    """The scorecard per month in [start, end) (and per segment), shaped like the others."""
    accounts, by_account = _read(data_dir)
    earliest = min(s.started_at for subs in by_account.values() for s in subs)
    # Month ends from the first one anything can be in force at through the range's end.
    month_ends = [e for e in _month_starts(earliest, end) if e > earliest]
    months = list(_month_starts(start, end - dt.timedelta(microseconds=1)))
    segment_of = {a["account_id"]: a["segment"] if by_segment else ALL_SEGMENTS for a in accounts}
    cells = {
        (month.date(), segment): {**dict.fromkeys(MONEY, 0.0), **dict.fromkeys(COUNTS, 0)}
        for month in months
        for segment in sorted(set(segment_of.values()))
    }

    # Top-level MRR: every subscription in force, whether or not its account exists yet.
    for account_id, subscriptions in by_account.items():
        for subscription in subscriptions:
            for month in months:
                cell = cells[(month.date(), segment_of[account_id])]
                if subscription.in_force_at(_next_month(month)):
                    cell["mrr"] += subscription.mrr
                if subscription.in_force_at(month):
                    cell["starting_mrr"] += subscription.mrr

    # Movements: per account, comparing consecutive month ends, for the accounts that exist
    # at the end of each month.
    for account in accounts:
        subscriptions = by_account.get(account["account_id"], [])
        previous = 0.0
        paid_before = False
        for month_end in month_ends:
            current = sum(s.mrr for s in subscriptions if s.in_force_at(month_end))
            month = _previous_month(month_end)
            exists = account["signed_up_at"] < month_end
            if start <= month < end and exists:
                cell = cells[(month.date(), segment_of[account["account_id"]])]
                _classify(cell, previous, current, paid_before)
            paid_before = paid_before or current > 0
            previous = current
    return _table(cells, by_segment)


def _classify(cell: dict[str, float], previous: float, current: float, paid_before: bool) -> None:
    """Add one account's movement between two consecutive month ends to its cell."""
    if previous == 0 and current > 0:
        cell["reactivation_mrr" if paid_before else "new_mrr"] += current
    elif previous > 0 and current == 0:
        cell["churned_mrr"] += previous
        cell["churned_customers"] += 1
    elif previous > 0 and current > previous:
        cell["expansion_mrr"] += current - previous
    elif current > 0 and current < previous:
        cell["contraction_mrr"] += previous - current
    if previous > 0:
        cell["customers_at_start"] += 1


def _next_month(month: dt.datetime) -> dt.datetime:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def _previous_month(month: dt.datetime) -> dt.datetime:
    if month.month == 1:
        return month.replace(year=month.year - 1, month=12)
    return month.replace(month=month.month - 1)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _table(cells: dict[tuple[dt.date, str], dict[str, float]], by_segment: bool) -> pa.Table:
    rows = []
    for (month, segment), cell in sorted(cells.items()):
        retained = (
            cell["starting_mrr"]
            + cell["expansion_mrr"]
            - cell["contraction_mrr"]
            - cell["churned_mrr"]
        )
        rows.append(
            {
                "month": month,
                **({"accounts.segment": segment} if by_segment else {}),
                **cell,
                "churn_rate": _ratio(cell["churned_customers"], cell["customers_at_start"]),
                "ndr": _ratio(retained, cell["starting_mrr"]),
            }
        )
    return pa.Table.from_pylist(rows)
