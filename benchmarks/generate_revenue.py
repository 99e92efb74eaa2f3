"""Generate the revenue benchmark data: accounts and their subscription history as Parquet.

Accounts sign up over three years (2022 to 2024, more of them later, as a growing company's
do) in three segments. Each account's subscriptions form a history of validity intervals:
a first subscription at or soon after sign-up, on a free or a paid plan; then, change after
change, upgrades and downgrades (the current row ends and a new row with the new MRR starts at
the same instant), renewals at the same MRR, downgrades to the free plan, cancellations, and
returns after a gap. Some changes fall exactly at midnight on the 1st of a month, where period
boundaries are; some stints start and end inside one month; cancellations already scheduled
after the data's end keep their end time. Every subscription starts at or after its account's
sign-up, which is what per-account movements assume.

Generation is deterministic (seeded NumPy, one random stream per table) and cached like the
scorecard's data, in benchmarks/data/revenue/.

    python benchmarks/generate_revenue.py                  # 200,000 accounts, 1.5M subscriptions
    python benchmarks/generate_revenue.py --accounts 2000  # a smoke size
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen
from datasets import (
    MICROS_PER_DAY,
    MICROS_PER_SECOND,
    SECONDS_PER_DAY,
    TIMESTAMP,
    Dataset,
    epoch_micros,
    generate_main,
    pick,
    size_field,
    timestamps,
)

DATA_DIR = Path(__file__).resolve().parent / "data" / "revenue"
TABLES = ("accounts", "subscriptions")

HISTORY_START = epoch_micros(dt.date(2022, 1, 1))
HISTORY_END = epoch_micros(dt.date(2025, 1, 1))
# A cancellation decided before the data's end but taking effect this long after it is kept.
SCHEDULED_HORIZON = 90 * MICROS_PER_DAY

SEGMENTS = ("smb", "mid_market", "enterprise")
SEGMENT_SHARES = (0.6, 0.3, 0.1)
# Seats of a new subscription: lognormal around this median, per segment.
SEGMENT_MEDIAN_SEATS = (3.0, 20.0, 120.0)

# Plans: 0 is the free plan; paid plans are priced per seat per month, in dollars and cents.
SEAT_PRICES = np.array([0.0, 9.99, 24.50, 49.95])
FREE, TOP_PLAN = 0, len(SEAT_PRICES) - 1
FIRST_PLAN_SHARES = (0.35, 0.35, 0.22, 0.08)
RETURN_PLAN_SHARES = (0.2, 0.4, 0.3, 0.1)

# What happens at a subscription's next change, for a free and for a paid subscription.
UPGRADE, DOWNGRADE, RENEWAL, CANCEL = range(4)
FREE_CHANGE_SHARES = (0.4, 0.0, 0.3, 0.3)
PAID_CHANGE_SHARES = (0.32, 0.3, 0.33, 0.05)
TO_FREE_SHARE = 0.08  # of the downgrades
# Mean days until a subscription's next change: free plans change sooner.
FREE_MEAN_DAYS = 30.0
PAID_MEAN_DAYS = 35.0
SHORTEST_STINT_SECONDS = 3600
# Changes that take effect at the start of the next month (billing-cycle aligned).
ALIGNED_SHARE = 0.2
NEVER_SUBSCRIBES_SHARE = 0.04
TRIAL_SHARE = 0.3
TRIAL_MEAN_DAYS = 14.0
RETURN_SHARE = 0.5
GAP_MEAN_DAYS = 120.0
# Some paid subscriptions get a flat-priced add-on: a second subscription in force at the same
# time, ending together with the plan it was added to.
ADD_ON_SHARE = 0.08
ADD_ON_PRICES = np.array([19.0, 49.0, 99.0])


@frozen
class RevenueSpec:
    """The parameters that fully determine the generated files."""

    seed: int = size_field(20220101, "random seed")
    accounts: int = size_field(200_000, "accounts")


def _rng(spec: RevenueSpec, table: str) -> np.random.Generator:
    return np.random.default_rng([spec.seed, TABLES.index(table)])


def _signups(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sign-up instants (whole seconds) whose density grows linearly over the history."""
    span = (HISTORY_END - HISTORY_START) // MICROS_PER_SECOND
    seconds = (span * np.sqrt(rng.random(n))).astype(np.int64)
    return HISTORY_START + seconds * MICROS_PER_SECOND


def generate_accounts(spec: RevenueSpec) -> pa.Table:
    rng = _rng(spec, "accounts")
    n = spec.accounts
    return pa.table(
        {
            "account_id": np.arange(1, n + 1, dtype=np.int64),
            "segment": pick(rng, SEGMENTS, SEGMENT_SHARES, n),
            "signed_up_at": timestamps(_signups(rng, n)),
        }
    )


def _next_month_start(micros: np.ndarray) -> np.ndarray:
    months = micros.astype("datetime64[us]").astype("datetime64[M]") + 1
    return months.astype("datetime64[us]").astype(np.int64)


def _later(rng: np.random.Generator, micros: np.ndarray, mean_days: np.ndarray) -> np.ndarray:
    """Instants an exponential delay (whole seconds) after `micros`, a share of them moved to
    the next 1st."""
    seconds = rng.exponential(mean_days * SECONDS_PER_DAY).astype(np.int64)
    later = micros + np.maximum(seconds, SHORTEST_STINT_SECONDS) * MICROS_PER_SECOND
    aligned = rng.random(len(micros)) < ALIGNED_SHARE
    return np.where(aligned, _next_month_start(later), later)


def _new_seats(rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
    median = np.asarray(SEGMENT_MEDIAN_SEATS)[segment]
    return np.maximum(1, np.rint(rng.lognormal(np.log(median), 0.6))).astype(np.int64)


def _mrr(plan: np.ndarray, seats: np.ndarray) -> np.ndarray:
    return np.round(SEAT_PRICES[plan] * seats, 2)


@frozen
class _Open:
    """The subscriptions currently open, one per account still in the simulation."""

    account: np.ndarray
    segment: np.ndarray
    started: np.ndarray
    plan: np.ndarray
    seats: np.ndarray

    def take(self, keep: np.ndarray) -> _Open:
        return _Open(*(column[keep] for column in self.columns()))

    def columns(self) -> tuple[np.ndarray, ...]:
        return (self.account, self.segment, self.started, self.plan, self.seats)


def _first_subscriptions(
    rng: np.random.Generator, signed_up: np.ndarray, segment: np.ndarray
) -> _Open:
    n = len(signed_up)
    trial = rng.random(n) < TRIAL_SHARE
    started = np.where(trial, _later(rng, signed_up, np.full(n, TRIAL_MEAN_DAYS)), signed_up)
    opened = _Open(
        account=np.arange(1, n + 1, dtype=np.int64),
        segment=segment,
        started=started,
        plan=rng.choice(len(SEAT_PRICES), size=n, p=FIRST_PLAN_SHARES),
        seats=_new_seats(rng, segment),
    )
    return opened.take((rng.random(n) >= NEVER_SUBSCRIBES_SHARE) & (started < HISTORY_END))


def _changed_plans(
    rng: np.random.Generator, current: _Open, change: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(plan, seats) after an upgrade, a downgrade or a renewal."""
    n = len(change)
    plan, seats = current.plan.copy(), current.seats.copy()
    by_plan = rng.random(n) < 0.5
    # Upgrades: a free account picks a paid plan; a paying one moves a plan up (the top plan
    # adds seats instead) or adds 10% to 60% more seats.
    up = change == UPGRADE
    from_free = up & (plan == FREE)
    plan[from_free] = rng.integers(1, TOP_PLAN + 1, size=from_free.sum())
    plan_up = up & ~from_free & by_plan & (plan < TOP_PLAN)
    plan[plan_up] += 1
    more_seats = up & ~from_free & ~plan_up
    seats[more_seats] = np.ceil(seats[more_seats] * rng.uniform(1.1, 1.6, more_seats.sum()))
    # Downgrades: some go to the free plan (still a customer, no longer paying); the rest
    # move a plan down or drop 10% to 40% of their seats.
    down = change == DOWNGRADE
    to_free = down & (rng.random(n) < TO_FREE_SHARE)
    plan[to_free] = FREE
    plan_down = down & ~to_free & by_plan
    plan[plan_down] = np.maximum(plan[plan_down] - 1, 1)
    fewer_seats = down & ~to_free & ~plan_down
    seats[fewer_seats] = np.maximum(
        1, np.floor(seats[fewer_seats] * rng.uniform(0.6, 0.9, fewer_seats.sum()))
    )
    return plan, seats


def _draw_changes(rng: np.random.Generator, plan: np.ndarray) -> np.ndarray:
    free = plan == FREE
    change = rng.choice(4, size=len(plan), p=PAID_CHANGE_SHARES)
    change[free] = rng.choice(4, size=free.sum(), p=FREE_CHANGE_SHARES)
    return change


def _simulate(rng: np.random.Generator, current: _Open) -> dict[str, np.ndarray]:
    """Step every open subscription to its next change until none is open before the end.

    One step handles all accounts at once, so the loop runs once per change, not per account."""
    pieces: dict[str, list[np.ndarray]] = {
        "account_id": [],
        "mrr": [],
        "started_at": [],
        "ended_at": [],
    }
    while len(current.account):
        paid = current.plan != FREE
        ends = _later(rng, current.started, np.where(paid, PAID_MEAN_DAYS, FREE_MEAN_DAYS))
        change = _draw_changes(rng, current.plan)
        within = ends < HISTORY_END
        scheduled = (change == CANCEL) & (ends < HISTORY_END + SCHEDULED_HORIZON)
        pieces["account_id"].append(current.account)
        pieces["mrr"].append(_mrr(current.plan, current.seats))
        pieces["started_at"].append(current.started)
        # -1 marks an open subscription (a null end).
        pieces["ended_at"].append(np.where(within | scheduled, ends, -1))

        plan, seats = _changed_plans(rng, current, change)
        cancelled = change == CANCEL
        returns = cancelled & (rng.random(len(change)) < RETURN_SHARE)
        restart = ends.copy()
        restart[returns] = _later(rng, ends[returns], np.full(returns.sum(), GAP_MEAN_DAYS))
        plan[returns] = rng.choice(len(SEAT_PRICES), size=returns.sum(), p=RETURN_PLAN_SHARES)
        seats[returns] = _new_seats(rng, current.segment[returns])
        following = _Open(current.account, current.segment, restart, plan, seats)
        current = following.take((~cancelled | returns) & (restart < HISTORY_END))
    return {name: np.concatenate(parts) for name, parts in pieces.items()}


def _add_ons(rng: np.random.Generator, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Add-on subscriptions to a share of the paid ones, starting while their plan is in force
    (before the data's end) and ending when it does."""
    chosen = (rows["mrr"] > 0) & (rng.random(len(rows["mrr"])) < ADD_ON_SHARE)
    plan_started, plan_ended = rows["started_at"][chosen], rows["ended_at"][chosen]
    last = np.where((plan_ended < 0) | (plan_ended > HISTORY_END), HISTORY_END, plan_ended)
    seconds = (rng.random(len(plan_started)) * (last - plan_started)) // MICROS_PER_SECOND
    offset = seconds.astype(np.int64) * MICROS_PER_SECOND
    return {
        "account_id": rows["account_id"][chosen],
        "mrr": rng.choice(ADD_ON_PRICES, size=len(plan_started)),
        "started_at": plan_started + offset,
        "ended_at": plan_ended,
    }


def generate_subscriptions(spec: RevenueSpec, accounts: pa.Table) -> pa.Table:
    rng = _rng(spec, "subscriptions")
    signed_up = accounts["signed_up_at"].cast(pa.int64()).to_numpy()
    segment = pc.index_in(accounts["segment"], value_set=pa.array(SEGMENTS)).to_numpy()
    plans = _simulate(rng, _first_subscriptions(rng, signed_up, segment))
    add_ons = _add_ons(rng, plans)
    rows = {name: np.concatenate([plans[name], add_ons[name]]) for name in plans}
    # In the order a subscriptions table grows: by start time.
    order = np.lexsort((rows["account_id"], rows["started_at"]))
    ended = rows["ended_at"][order]
    return pa.table(
        {
            "subscription_id": np.arange(1, len(order) + 1, dtype=np.int64),
            "account_id": rows["account_id"][order],
            "mrr": rows["mrr"][order],
            "started_at": timestamps(rows["started_at"][order]),
            "ended_at": pa.array(ended, mask=ended < 0).cast(TIMESTAMP),
        }
    )


def build_tables(spec: RevenueSpec) -> Iterator[tuple[str, pa.Table]]:
    accounts = generate_accounts(spec)
    yield "accounts", accounts
    yield "subscriptions", generate_subscriptions(spec, accounts)


# Bump the version when the shape of the generated data changes.
REVENUE_DATA = Dataset(tables=TABLES, version=1, build=build_tables)


def ensure_revenue_data(spec: RevenueSpec, data_dir: Path = DATA_DIR) -> bool:
    """Generate the Parquet files unless they exist for the same parameters."""
    return REVENUE_DATA.ensure(spec, data_dir)


if __name__ == "__main__":
    generate_main(REVENUE_DATA, RevenueSpec, DATA_DIR, __doc__.split("\n\n")[0])
