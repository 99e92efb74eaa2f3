"""Generate the data of the customer-success families benchmark: accounts and subscriptions
(the revenue benchmark's generator, reused), product events, support tickets, NPS, CSAT and CES
survey answers and contract renewals, as Parquet.

Accounts and subscriptions are exactly those of `generate_revenue.py` for the same seed and
size: sign-ups over 2022 to 2024 in three segments, a subscription history per account with
upgrades, downgrades, free plans, cancellations and returns. The other tables hang off the
accounts, each row at a uniform instant between its account's sign-up and the end of 2024
(bigger segments get more of them):

* events: users (geometric, mean 4 per account, skewed activity) with `occurred_at`; the
  health score's usage component reads the users active in the last 30 days;
* tickets: `opened_at`, `first_response_at` (lognormal, median 2 h; 10% never answered),
  `resolved_at` (lognormal, median 12 h; 8% still open), `contacts` (1, 2, ...);
* nps_survey (0-10), csat_survey (1-5) and ces_survey (1-7): `responded_at` and `score`, some
  scores empty (a survey opened and left);
* renewals: one row per yearly contract term of a subscribing account, `due_at` every 12
  months after sign-up; `up_for_renewal`, `renewed_amount` (0 when lost, part of it on a
  partial renewal, empty while undecided) and `expansion_amount`.

Deterministic (seeded NumPy, one random stream per table) and cached like the other
benchmarks' data, in benchmarks/data/families/.

    python benchmarks/generate_families.py                     # 200,000 accounts, 10M events
    python benchmarks/generate_families.py --accounts 2000     # a smoke size
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from attrs import frozen
from datasets import (
    MICROS_PER_DAY,
    MICROS_PER_SECOND,
    TIMESTAMP,
    Dataset,
    generate_main,
    size_field,
    timestamps,
)
from generate_revenue import (
    HISTORY_END,
    SEGMENTS,
    RevenueSpec,
    generate_accounts,
    generate_subscriptions,
)

DATA_DIR = Path(__file__).resolve().parent / "data" / "families"
TABLES = (
    "accounts",
    "subscriptions",
    "events",
    "tickets",
    "nps_survey",
    "csat_survey",
    "ces_survey",
    "renewals",
)
# Rows of each activity table per account, relative to an smb account.
SEGMENT_WEIGHTS = (1.0, 4.0, 15.0)
NPS_SHARES = (0.02, 0.01, 0.02, 0.03, 0.03, 0.05, 0.07, 0.12, 0.20, 0.22, 0.23)  # 0..10
CSAT_SHARES = (0.05, 0.07, 0.15, 0.33, 0.40)  # 1..5
CES_SHARES = (0.04, 0.06, 0.10, 0.15, 0.25, 0.25, 0.15)  # 1..7
CONTRACT_DAYS = 365
# Renewals due this close to the data's end (or after it) are still undecided.
UNDECIDED_DAYS = 45


@frozen
class FamiliesSpec:
    """The parameters that fully determine the generated files."""

    seed: int = size_field(20230301, "random seed")
    accounts: int = size_field(200_000, "accounts")
    events: int = size_field(10_000_000, "product events")
    tickets: int = size_field(2_000_000, "support tickets")
    surveys: int = size_field(800_000, "answers per survey (NPS, CSAT and CES each)")


def _rng(spec: FamiliesSpec, table: str) -> np.random.Generator:
    return np.random.default_rng([spec.seed, TABLES.index(table)])


@frozen
class _Accounts:
    """What the activity tables need to know about the accounts."""

    ids: np.ndarray
    signed_up: np.ndarray  # microseconds since the epoch
    weights: np.ndarray  # each account's share of the activity rows

    @classmethod
    def of(cls, accounts: pa.Table) -> _Accounts:
        segment = pc.index_in(accounts["segment"], value_set=pa.array(SEGMENTS)).to_numpy()
        weights = np.asarray(SEGMENT_WEIGHTS)[segment]
        return cls(
            ids=accounts["account_id"].to_numpy(),
            signed_up=accounts["signed_up_at"].cast(pa.int64()).to_numpy(),
            weights=weights / weights.sum(),
        )

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """`n` rows: each one's account (an index) and an instant between that account's
        sign-up and the end of the history, in time order as a log would hold them."""
        account = rng.choice(len(self.ids), size=n, p=self.weights)
        since = self.signed_up[account]
        at = since + (rng.random(n) * (HISTORY_END - since)).astype(np.int64)
        order = np.argsort(at, kind="stable")
        return account[order], at[order]


def _with_nulls(values: np.ndarray, rng: np.random.Generator, null_share: float) -> pa.Array:
    return pa.array(values, mask=rng.random(len(values)) < null_share)


def _events(spec: FamiliesSpec, accounts: _Accounts) -> pa.Table:
    rng = _rng(spec, "events")
    per_account = rng.geometric(0.25, len(accounts.ids))
    user_account = np.repeat(np.arange(len(accounts.ids)), per_account)
    # A few heavy users and a long tail, within the segments' shares of activity.
    weight = (rng.pareto(1.5, len(user_account)) + 0.05) * accounts.weights[user_account]
    user = rng.choice(len(user_account), size=spec.events, p=weight / weight.sum())
    account = user_account[user]
    since = accounts.signed_up[account]
    at = since + (rng.random(spec.events) * (HISTORY_END - since)).astype(np.int64)
    order = np.argsort(at, kind="stable")
    return pa.table(
        {
            "user_id": pa.array(user[order] + 1, pa.int64()),
            "account_id": accounts.ids[account[order]],
            "occurred_at": timestamps(at[order]),
        }
    )


def _hours_later(rng: np.random.Generator, at: np.ndarray, median_hours: float) -> np.ndarray:
    seconds = np.rint(rng.lognormal(np.log(median_hours * 3600), 1.0, len(at))).astype(np.int64)
    return at + seconds * MICROS_PER_SECOND


def _tickets(spec: FamiliesSpec, accounts: _Accounts) -> pa.Table:
    rng = _rng(spec, "tickets")
    account, opened = accounts.draw(rng, spec.tickets)
    return pa.table(
        {
            "ticket_id": np.arange(1, spec.tickets + 1, dtype=np.int64),
            "account_id": accounts.ids[account],
            "opened_at": timestamps(opened),
            "first_response_at": _with_nulls(_hours_later(rng, opened, 2.0), rng, 0.10).cast(
                TIMESTAMP
            ),
            "resolved_at": _with_nulls(_hours_later(rng, opened, 12.0), rng, 0.08).cast(TIMESTAMP),
            "contacts": rng.geometric(0.55, size=spec.tickets).astype(np.int64),
        }
    )


def _survey(
    spec: FamiliesSpec, accounts: _Accounts, table: str, low: int, shares: tuple[float, ...]
) -> pa.Table:
    rng = _rng(spec, table)
    account, responded = accounts.draw(rng, spec.surveys)
    scores = rng.choice(np.arange(low, low + len(shares), dtype=np.int64), spec.surveys, p=shares)
    return pa.table(
        {
            "account_id": accounts.ids[account],
            "responded_at": timestamps(responded),
            "score": _with_nulls(scores, rng, 0.12),
        }
    )


def _renewals(spec: FamiliesSpec, accounts: _Accounts, subscriptions: pa.Table) -> pa.Table:
    """Yearly terms from sign-up for the accounts that ever paid, due up to 90 days past the
    data's end; the outcome is drawn per term."""
    rng = _rng(spec, "renewals")
    paying = pc.filter(subscriptions["account_id"], pc.greater(subscriptions["mrr"], 0))
    index = np.searchsorted(accounts.ids, np.unique(paying.to_numpy()))
    term = CONTRACT_DAYS * MICROS_PER_DAY
    terms = (HISTORY_END + 90 * MICROS_PER_DAY - accounts.signed_up[index]) // term
    account = np.repeat(index, terms)
    nth = np.concatenate([np.arange(1, t + 1) for t in terms]) if len(terms) else np.zeros(0)
    due = accounts.signed_up[account] + nth.astype(np.int64) * term
    n = len(due)
    amount = np.round(rng.lognormal(np.log(6000.0), 0.8, n), 2)
    outcome = rng.random(n)
    renewed = np.where(
        outcome < 0.12, 0.0, np.where(outcome < 0.27, np.round(amount * 0.7, 2), amount)
    )
    undecided = (due > HISTORY_END - UNDECIDED_DAYS * MICROS_PER_DAY) | (rng.random(n) < 0.03)
    expansion = np.where(rng.random(n) < 0.2, np.round(amount * rng.random(n) * 0.5, 2), 0.0)
    order = np.argsort(due, kind="stable")
    return pa.table(
        {
            "account_id": accounts.ids[account[order]],
            "due_at": timestamps(due[order]),
            "up_for_renewal": amount[order],
            "renewed_amount": pa.array(renewed[order], mask=undecided[order]),
            "expansion_amount": expansion[order],
        }
    )


def build_tables(spec: FamiliesSpec) -> Iterator[tuple[str, pa.Table]]:
    revenue = RevenueSpec(seed=spec.seed, accounts=spec.accounts)
    accounts_table = generate_accounts(revenue)
    subscriptions = generate_subscriptions(revenue, accounts_table)
    accounts = _Accounts.of(accounts_table)
    yield "accounts", accounts_table
    yield "subscriptions", subscriptions
    yield "events", _events(spec, accounts)
    yield "tickets", _tickets(spec, accounts)
    yield "nps_survey", _survey(spec, accounts, "nps_survey", 0, NPS_SHARES)
    yield "csat_survey", _survey(spec, accounts, "csat_survey", 1, CSAT_SHARES)
    yield "ces_survey", _survey(spec, accounts, "ces_survey", 1, CES_SHARES)
    yield "renewals", _renewals(spec, accounts, subscriptions)


# Bump the version when the shape of the generated data changes.
FAMILIES_DATA = Dataset(tables=TABLES, version=1, build=build_tables)


def ensure_families_data(spec: FamiliesSpec, data_dir: Path = DATA_DIR) -> bool:
    """Generate the Parquet files unless they exist for the same parameters."""
    return FAMILIES_DATA.ensure(spec, data_dir)


if __name__ == "__main__":
    generate_main(FAMILIES_DATA, FamiliesSpec, DATA_DIR, __doc__.split("\n\n")[0])
