"""The revenue and retention scorecard of the sample data, recomputed in plain Python.

Reads metric_defs/sample/data/{accounts,subscriptions}.csv with the csv module and applies the
library's definitions by hand, without metricsmith: a subscription is in force at an instant
`e` when started_at < e and (ended_at is empty or ended_at >= e); an account's MRR at `e` is
the sum of the mrr of its rows in force (`amount` / 12 for annual, / 3 for quarterly billing);
a month starts where the previous one ends; an account "paid before" when it had a paid row
in force at an earlier month end. Then each account's change between two month ends is one
movement (new, reactivation, expansion, contraction, churned).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[2] / "metric_defs" / "sample" / "data"
MONTHS_PER_TERM = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Subscription:
    account_id: str
    plan: str
    mrr: float
    started_at: dt.datetime
    ended_at: dt.datetime | None

    def in_force(self, moment: dt.datetime) -> bool:
        return self.started_at < moment and (self.ended_at is None or self.ended_at >= moment)


def parse_time(text: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def read_csv(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


@functools.cache
def subscriptions() -> tuple[Subscription, ...]:
    return tuple(
        Subscription(
            account_id=row["account_id"],
            plan=row["plan"],
            mrr=int(row["amount"]) / MONTHS_PER_TERM[row["billing_period"]],
            started_at=parse_time(row["started_at"]),
            ended_at=parse_time(row["ended_at"]),
        )
        for row in read_csv("subscriptions")
    )


@functools.cache
def signups() -> dict[str, dt.datetime]:
    return {row["account_id"]: parse_time(row["signed_up_at"]) for row in read_csv("accounts")}


def month_start(year: int, month: int) -> dt.datetime:
    return dt.datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=dt.UTC)


def month_ends_until(end: dt.datetime) -> list[dt.datetime]:
    """Every month boundary from the first subscription's month up to `end`."""
    first = min(s.started_at for s in subscriptions())
    moment, ends = month_start(first.year, first.month + 1), []
    while moment <= end:
        ends.append(moment)
        moment = month_start(moment.year, moment.month + 1)
    return ends


def account_mrr(account_id: str, moment: dt.datetime) -> float:
    rows = [s for s in subscriptions() if s.account_id == account_id and s.in_force(moment)]
    return sum(s.mrr for s in rows)


def is_customer(account_id: str, moment: dt.datetime) -> bool:
    return any(s.account_id == account_id and s.in_force(moment) for s in subscriptions())


def paid_at_a_month_end_up_to(account_id: str, moment: dt.datetime) -> bool:
    paid = [s for s in subscriptions() if s.account_id == account_id and s.mrr > 0]
    return any(s.in_force(end) for end in month_ends_until(moment) for s in paid)


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


@functools.cache
def scorecard(year: int, month: int) -> dict[str, float | int | None]:
    """The library's revenue and retention metrics for one calendar month."""
    start, end = month_start(year, month), month_start(year, month + 1)
    accounts = [a for a, signed_up in signups().items() if signed_up < end]
    moves = dict.fromkeys(("new", "reactivation", "expansion", "contraction", "churned"), 0.0)
    counts = dict.fromkeys(("acquired", "lost", "retained", "paying_lost", "expanding"), 0)
    totals = dict.fromkeys(("mrr", "starting", "customers", "starting_customers", "paying"), 0)
    starting_paying = 0
    for account in accounts:
        now, before = account_mrr(account, end), account_mrr(account, start)
        customer_now, customer_before = is_customer(account, end), is_customer(account, start)
        totals["mrr"] += now
        totals["starting"] += before
        totals["customers"] += customer_now
        totals["starting_customers"] += customer_before
        totals["paying"] += now > 0
        starting_paying += before > 0
        if before == 0 and now > 0:
            kind = "reactivation" if paid_at_a_month_end_up_to(account, start) else "new"
            moves[kind] += now
        elif before > 0 and now > before:
            moves["expansion"] += now - before
            counts["expanding"] += 1
        elif now > 0 and now < before:
            moves["contraction"] += before - now
        elif before > 0 and now == 0:
            moves["churned"] += before
            counts["paying_lost"] += 1
        counts["acquired"] += customer_now and not customer_before
        counts["lost"] += customer_before and not customer_now
        counts["retained"] += customer_before and customer_now
    starting, lost_mrr = totals["starting"], moves["churned"] + moves["contraction"]
    return {
        "mrr": totals["mrr"],
        "starting_mrr": starting,
        "new_mrr": moves["new"],
        "reactivation_mrr": moves["reactivation"],
        "expansion_mrr": moves["expansion"],
        "contraction_mrr": moves["contraction"],
        "churned_mrr": moves["churned"],
        "net_new_mrr": totals["mrr"] - starting,
        "customers": totals["customers"],
        "paying_customers": totals["paying"],
        "acquired_customers": counts["acquired"],
        "churned_customers": counts["lost"],
        "retained_customers": counts["retained"],
        "customer_churn_rate_incl_free": ratio(counts["lost"], totals["starting_customers"]),
        "logo_retention": ratio(counts["retained"], totals["starting_customers"]),
        "paid_customer_churn_rate": ratio(counts["paying_lost"], starting_paying),
        "gross_mrr_churn_rate": ratio(lost_mrr, starting),
        "ndr": ratio(starting + moves["expansion"] - lost_mrr, starting),
        "grr": ratio(starting - lost_mrr, starting),
        "quick_ratio": ratio(moves["new"] + moves["expansion"] + moves["reactivation"], lost_mrr),
        "arpa": ratio(totals["mrr"], totals["paying"]),
        "upsell_rate": ratio(counts["expanding"], starting_paying),
    }
