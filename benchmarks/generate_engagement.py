"""Generate the engagement + activation benchmark data: accounts and their product events.

Accounts sign up over three years (2022 to 2024, more of them later). Each has a few users
(geometric, mean 4) and every user belongs to one account. Events are drawn user by user
with a skewed activity (a few heavy users, a long tail), each at a uniform instant between its
account's sign-up and the end of 2024, named `login`, `page_view`, `key_action`,
`report_created` or `export`. On top of those, 60% of accounts create a first report soon
after signing up (a lognormal delay, median 4 days, so that some take longer than 30 days):
the activation metrics read those.

Generation is deterministic (seeded NumPy, one random stream per table) and cached like the
other benchmarks' data, in benchmarks/data/engagement/. Events are written in chunks of
`CHUNK` rows, so the 90M-event size needs no more memory than the default one.

    python benchmarks/generate_engagement.py                     # 200,000 accounts, 10M events
    python benchmarks/generate_engagement.py --events 90000000   # the size of issue 12
    python benchmarks/generate_engagement.py --accounts 2000 --events 100000   # a smoke size
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from attrs import frozen
from datasets import (
    MICROS_PER_DAY,
    MICROS_PER_SECOND,
    Dataset,
    epoch_micros,
    generate_main,
    size_field,
    timestamps,
)

DATA_DIR = Path(__file__).resolve().parent / "data" / "engagement"
TABLES = ("accounts", "events")

HISTORY_START = epoch_micros(dt.date(2022, 1, 1))
HISTORY_END = epoch_micros(dt.date(2025, 1, 1))
CHUNK = 5_000_000

EVENT_NAMES = ("login", "page_view", "key_action", "report_created", "export")
EVENT_SHARES = (0.45, 0.33, 0.15, 0.04, 0.03)
FIRST_REPORT_SHARE = 0.6
FIRST_REPORT_MEDIAN_DAYS = 4.0


@frozen
class EngagementSpec:
    """The parameters that fully determine the generated files."""

    seed: int = size_field(20240601, "random seed")
    accounts: int = size_field(200_000, "accounts")
    events: int = size_field(10_000_000, "product events (besides the first reports)")


def _rng(spec: EngagementSpec, table: str, part: int = 0) -> np.random.Generator:
    return np.random.default_rng([spec.seed, TABLES.index(table), part])


def _signups(spec: EngagementSpec) -> np.ndarray:
    """Sign-up instants (whole seconds) whose density grows linearly over the history."""
    rng = _rng(spec, "accounts")
    span = (HISTORY_END - HISTORY_START) // MICROS_PER_SECOND
    seconds = (span * np.sqrt(rng.random(spec.accounts))).astype(np.int64)
    return HISTORY_START + seconds * MICROS_PER_SECOND


def _users(spec: EngagementSpec) -> tuple[np.ndarray, np.ndarray]:
    """Each user's account (an index) and activity weight."""
    rng = _rng(spec, "accounts", 1)
    per_account = rng.geometric(0.25, spec.accounts)
    account = np.repeat(np.arange(spec.accounts), per_account)
    weight = rng.pareto(1.5, len(account)) + 0.05
    return account, weight / weight.sum()


def _names(rng: np.random.Generator, n: int) -> pa.Array:
    indices = rng.choice(len(EVENT_NAMES), size=n, p=EVENT_SHARES).astype(np.int32)
    return pa.DictionaryArray.from_arrays(indices, pa.array(EVENT_NAMES)).cast(pa.string())


def _events(users: np.ndarray, accounts: np.ndarray, times: np.ndarray, names: pa.Array):
    order = np.argsort(times, kind="stable")
    return pa.table(
        {
            "user_id": pa.array(users[order] + 1, pa.int64()),
            "account_id": pa.array(accounts[order] + 1, pa.int64()),
            "name": names.take(pa.array(order)),
            "occurred_at": timestamps(times[order]),
        }
    )


def _event_chunks(spec: EngagementSpec, signups: np.ndarray) -> Iterator[pa.Table]:
    user_account, weight = _users(spec)
    # First reports: the activation metrics' subject, a few days after sign-up.
    rng = _rng(spec, "events")
    reporting = np.flatnonzero(rng.random(spec.accounts) < FIRST_REPORT_SHARE)
    delay = rng.lognormal(np.log(FIRST_REPORT_MEDIAN_DAYS), 1.0, len(reporting)) * MICROS_PER_DAY
    at = signups[reporting] + delay.astype(np.int64)
    keep = at < HISTORY_END
    reporting, at = reporting[keep], at[keep]
    first_user = np.searchsorted(user_account, reporting)  # each account's first user
    names = pa.array(["report_created"] * len(at), pa.string())
    yield _events(first_user, reporting, at, names)
    for part, start in enumerate(range(0, spec.events, CHUNK), start=1):
        n = min(CHUNK, spec.events - start)
        rng = _rng(spec, "events", part)
        user = rng.choice(len(user_account), size=n, p=weight)
        account = user_account[user]
        since = signups[account]
        times = since + (rng.random(n) * (HISTORY_END - since)).astype(np.int64)
        yield _events(user, account, times, _names(rng, n))


def build(spec: EngagementSpec) -> Iterator[tuple[str, pa.Table]]:
    signups = _signups(spec)
    # Events go straight to their file chunk by chunk (a 90M-row table would not fit in
    # memory); the Dataset's manifest is written after every table, so a partial file is
    # never taken for a finished one.
    path = DATA_DIR / "events.parquet"
    partial = path.with_name(path.name + ".partial")
    with pq.ParquetWriter(partial, _events_schema()) as writer:
        for chunk in _event_chunks(spec, signups):
            writer.write_table(chunk, row_group_size=1 << 20)
    partial.replace(path)
    accounts = pa.table(
        {
            "account_id": np.arange(1, spec.accounts + 1, dtype=np.int64),
            "signed_up_at": timestamps(signups),
        }
    )
    yield "accounts", accounts


def _events_schema() -> pa.Schema:
    return _events(
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        pa.array([], pa.string()),
    ).schema


ENGAGEMENT_DATA = Dataset(TABLES, version=1, build=build)


def ensure_engagement_data(spec: EngagementSpec) -> bool:
    """Generate the Parquet files unless they exist for the same parameters."""
    return ENGAGEMENT_DATA.ensure(spec, DATA_DIR)


if __name__ == "__main__":
    generate_main(ENGAGEMENT_DATA, EngagementSpec, DATA_DIR, __doc__.split("\n\n")[0])
