"""Generate the benchmark data set: accounts, product events and support tickets as Parquet.

The data is synthetic but shaped like a B2B SaaS company's: accounts in three segments, users
that belong to one account each (bigger segments have more users), a skewed event stream over
2024 and support tickets with resolution times, contact counts and sparse survey scores.

Generation is deterministic: every table draws from its own seeded random stream, so changing
the number of events leaves accounts and tickets byte-for-byte the same. Files are cached: a
manifest records the parameters, and a run with the same parameters does nothing.

    python benchmarks/generate.py                    # the full size (10M events, 1M tickets)
    python benchmarks/generate.py --events 200000 --tickets 50000   # a quick smoke size
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
from attrs import frozen
from datasets import (
    MICROS_PER_SECOND,
    TIMESTAMP,
    Dataset,
    epoch_micros,
    generate_main,
    pick,
    size_field,
    timestamps,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
TABLES = ("accounts", "events", "tickets")

SEGMENTS = ("smb", "mid_market", "enterprise")
SEGMENT_SHARES = (0.6, 0.3, 0.1)
# Users and tickets per account, relative to an smb account.
SEGMENT_WEIGHTS = (1.0, 4.0, 15.0)
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_SHARES = (0.4, 0.3, 0.2, 0.1)
EVENT_NAMES = (
    "page_view",
    "login",
    "report_viewed",
    "meeting_held",
    "report_exported",
    "invite_sent",
)
EVENT_NAME_SHARES = (0.45, 0.2, 0.15, 0.1, 0.07, 0.03)
CSAT_SHARES = (0.05, 0.07, 0.15, 0.33, 0.40)  # scores 1..5
NPS_SHARES = (0.02, 0.01, 0.02, 0.03, 0.03, 0.05, 0.07, 0.12, 0.20, 0.22, 0.23)  # scores 0..10

ACTIVITY_START = epoch_micros(dt.date(2024, 1, 1))
ACTIVITY_END = epoch_micros(dt.date(2025, 1, 1))
SIGNUP_START = epoch_micros(dt.date(2019, 1, 1))


@frozen
class DataSpec:
    """The parameters that fully determine the generated files."""

    seed: int = size_field(20240101, "random seed")
    accounts: int = size_field(100_000, "accounts")
    users: int = size_field(1_000_000, "users the events are drawn from")
    events: int = size_field(10_000_000, "product events")
    tickets: int = size_field(1_000_000, "support tickets")


def _rng(spec: DataSpec, table: str) -> np.random.Generator:
    return np.random.default_rng([spec.seed, TABLES.index(table)])


def _with_nulls(values: np.ndarray, rng: np.random.Generator, null_share: float) -> pa.Array:
    return pa.array(values, mask=rng.random(len(values)) < null_share)


def _sorted_instants(rng: np.random.Generator, n: int, start: int, end: int) -> np.ndarray:
    """`n` instants in [start, end), in time order as an append-only log would hold them."""
    return np.sort(rng.integers(start, end, size=n, dtype=np.int64))


def _account_weights(segment_index: np.ndarray) -> np.ndarray:
    weights = np.asarray(SEGMENT_WEIGHTS)[segment_index]
    return weights / weights.sum()


def generate_accounts(spec: DataSpec) -> pa.Table:
    rng = _rng(spec, "accounts")
    n = spec.accounts
    signup_seconds = rng.integers(
        SIGNUP_START // MICROS_PER_SECOND, ACTIVITY_START // MICROS_PER_SECOND, size=n
    )
    return pa.table(
        {
            "account_id": np.arange(1, n + 1, dtype=np.int64),
            "segment": pick(rng, SEGMENTS, SEGMENT_SHARES, n),
            "region": pick(rng, REGIONS, REGION_SHARES, n),
            "signed_up_at": timestamps(signup_seconds * MICROS_PER_SECOND),
        }
    )


def _segment_indices(accounts: pa.Table) -> np.ndarray:
    lookup = {name: i for i, name in enumerate(SEGMENTS)}
    return np.array([lookup[s] for s in accounts["segment"].to_pylist()], dtype=np.int64)


def generate_events(spec: DataSpec, accounts: pa.Table) -> pa.Table:
    rng = _rng(spec, "events")
    n = spec.events
    weights = _account_weights(_segment_indices(accounts))
    account_of_user = rng.choice(accounts["account_id"].to_numpy(), size=spec.users, p=weights)
    # Squaring a uniform draw makes low user ids far more active than high ones: a few power
    # users and a long tail, so monthly distinct counts are well below the number of users.
    user_index = (spec.users * rng.random(n) ** 2).astype(np.int64)
    return pa.table(
        {
            "event_id": np.arange(1, n + 1, dtype=np.int64),
            "user_id": user_index + 1,
            "account_id": account_of_user[user_index],
            "name": pick(rng, EVENT_NAMES, EVENT_NAME_SHARES, n),
            "occurred_at": timestamps(_sorted_instants(rng, n, ACTIVITY_START, ACTIVITY_END)),
            "duration_seconds": _with_nulls(rng.exponential(90.0, size=n), rng, 0.15),
        }
    )


def generate_tickets(spec: DataSpec, accounts: pa.Table) -> pa.Table:
    rng = _rng(spec, "tickets")
    n = spec.tickets
    weights = _account_weights(_segment_indices(accounts))
    opened = _sorted_instants(rng, n, ACTIVITY_START, ACTIVITY_END)
    resolution_seconds = np.rint(rng.lognormal(np.log(12 * 3600), 1.0, size=n)).astype(np.int64)
    return pa.table(
        {
            "ticket_id": np.arange(1, n + 1, dtype=np.int64),
            "account_id": rng.choice(accounts["account_id"].to_numpy(), size=n, p=weights),
            "opened_at": timestamps(opened),
            "resolved_at": _with_nulls(
                opened + resolution_seconds * MICROS_PER_SECOND, rng, 0.08
            ).cast(TIMESTAMP),
            "contacts": rng.geometric(0.55, size=n).astype(np.int64),
            "csat_score": _with_nulls(
                rng.choice(np.arange(1, 6, dtype=np.int64), size=n, p=CSAT_SHARES), rng, 0.65
            ),
            "nps_score": _with_nulls(
                rng.choice(np.arange(0, 11, dtype=np.int64), size=n, p=NPS_SHARES), rng, 0.75
            ),
        }
    )


def build_tables(spec: DataSpec) -> Iterator[tuple[str, pa.Table]]:
    accounts = generate_accounts(spec)
    yield "accounts", accounts
    yield "events", generate_events(spec, accounts)
    yield "tickets", generate_tickets(spec, accounts)


# Bump the version when the shape of the generated data changes.
SCORECARD_DATA = Dataset(tables=TABLES, version=1, build=build_tables)


def is_cached(spec: DataSpec, data_dir: Path = DATA_DIR) -> bool:
    """Whether `data_dir` already holds the files for exactly these parameters."""
    return SCORECARD_DATA.is_cached(spec, data_dir)


def ensure_data(spec: DataSpec, data_dir: Path = DATA_DIR, *, force: bool = False) -> bool:
    """Generate the Parquet files unless they exist for the same parameters.

    Returns whether files were written."""
    return SCORECARD_DATA.ensure(spec, data_dir, force=force)


if __name__ == "__main__":
    generate_main(SCORECARD_DATA, DataSpec, DATA_DIR, __doc__.split("\n\n")[0])
