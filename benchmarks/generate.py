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

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from attrs import asdict, frozen

DATA_DIR = Path(__file__).resolve().parent / "data"
MANIFEST = "manifest.json"
TABLES = ("accounts", "events", "tickets")
# Bump when the shape of the generated data changes, so cached files are regenerated.
GENERATOR_VERSION = 1

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

MICROS_PER_SECOND = 1_000_000
TIMESTAMP = pa.timestamp("us", tz="UTC")


def _epoch_micros(day: dt.date) -> int:
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return int(midnight.timestamp()) * MICROS_PER_SECOND


ACTIVITY_START = _epoch_micros(dt.date(2024, 1, 1))
ACTIVITY_END = _epoch_micros(dt.date(2025, 1, 1))
SIGNUP_START = _epoch_micros(dt.date(2019, 1, 1))


@frozen
class DataSpec:
    """The parameters that fully determine the generated files."""

    seed: int = 20240101
    accounts: int = 100_000
    users: int = 1_000_000
    events: int = 10_000_000
    tickets: int = 1_000_000


def _rng(spec: DataSpec, table: str) -> np.random.Generator:
    return np.random.default_rng([spec.seed, TABLES.index(table)])


def _pick(rng: np.random.Generator, labels: tuple[str, ...], shares: tuple[float, ...], n: int):
    """`n` labels drawn with the given shares, as an Arrow string array."""
    indices = rng.choice(len(labels), size=n, p=shares).astype(np.int32)
    return pa.DictionaryArray.from_arrays(indices, pa.array(labels)).cast(pa.string())


def _with_nulls(values: np.ndarray, rng: np.random.Generator, null_share: float) -> pa.Array:
    return pa.array(values, mask=rng.random(len(values)) < null_share)


def _timestamps(micros: np.ndarray) -> pa.Array:
    return pa.array(micros, type=pa.int64()).cast(TIMESTAMP)


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
            "segment": _pick(rng, SEGMENTS, SEGMENT_SHARES, n),
            "region": _pick(rng, REGIONS, REGION_SHARES, n),
            "signed_up_at": _timestamps(signup_seconds * MICROS_PER_SECOND),
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
            "name": _pick(rng, EVENT_NAMES, EVENT_NAME_SHARES, n),
            "occurred_at": _timestamps(_sorted_instants(rng, n, ACTIVITY_START, ACTIVITY_END)),
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
            "opened_at": _timestamps(opened),
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


def _write_atomically(table: pa.Table, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    pq.write_table(table, partial, row_group_size=1 << 20)
    os.replace(partial, path)


def _manifest_for(spec: DataSpec) -> dict[str, object]:
    return {"generator_version": GENERATOR_VERSION, **asdict(spec)}


def is_cached(spec: DataSpec, data_dir: Path = DATA_DIR) -> bool:
    """Whether `data_dir` already holds the files for exactly these parameters."""
    manifest = data_dir / MANIFEST
    if not manifest.exists() or not all((data_dir / f"{t}.parquet").exists() for t in TABLES):
        return False
    return json.loads(manifest.read_text()) == _manifest_for(spec)


def ensure_data(spec: DataSpec, data_dir: Path = DATA_DIR, *, force: bool = False) -> bool:
    """Generate the Parquet files unless they exist for the same parameters.

    Returns whether files were written."""
    if not force and is_cached(spec, data_dir):
        return False
    data_dir.mkdir(parents=True, exist_ok=True)
    # Drop the manifest first: an interrupted run must not leave old parameters vouching for
    # a half-replaced set of files.
    (data_dir / MANIFEST).unlink(missing_ok=True)
    accounts = generate_accounts(spec)
    _write_atomically(accounts, data_dir / "accounts.parquet")
    _write_atomically(generate_events(spec, accounts), data_dir / "events.parquet")
    _write_atomically(generate_tickets(spec, accounts), data_dir / "tickets.parquet")
    (data_dir / MANIFEST).write_text(json.dumps(_manifest_for(spec), indent=2) + "\n")
    return True


SPEC_FLAGS = {
    "seed": "random seed",
    "accounts": "accounts",
    "users": "users the events are drawn from",
    "events": "product events",
    "tickets": "support tickets",
}


def add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    """The data-size flags, shared with the scripts that generate data before running."""
    defaults = DataSpec()
    for name, meaning in SPEC_FLAGS.items():
        default = getattr(defaults, name)
        parser.add_argument(
            f"--{name}", type=int, default=default, help=f"{meaning} (default {default})"
        )


def spec_from_arguments(args: argparse.Namespace) -> DataSpec:
    return DataSpec(**{name: getattr(args, name) for name in SPEC_FLAGS})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_spec_arguments(parser)
    parser.add_argument("--force", action="store_true", help="regenerate even if cached")
    args = parser.parse_args()
    spec = spec_from_arguments(args)
    started = time.perf_counter()
    if ensure_data(spec, force=args.force):
        print(f"generated {spec} into {DATA_DIR} in {time.perf_counter() - started:.1f} s")
    else:
        print(f"{DATA_DIR} already holds {spec}; nothing to do (--force to regenerate)")


if __name__ == "__main__":
    main()
