"""The scorecard as hand-written Polars: lazy Parquet scans, one grouped pass per source."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyarrow as pa

DATA_DIR = Path(__file__).resolve().parent / "data"
MICROS_PER_HOUR = 3_600_000_000
CELL = ["month", "segment"]


def _cells(
    source: str, time_column: str, start: dt.datetime, end: dt.datetime, **aggregates: pl.Expr
) -> pl.LazyFrame:
    """`aggregates` per (UTC month, account segment) over the source's rows in [start, end)."""
    accounts = pl.scan_parquet(DATA_DIR / "accounts.parquet").select("account_id", "segment")
    time = pl.col(time_column)
    return (
        pl.scan_parquet(DATA_DIR / f"{source}.parquet")
        .filter((time >= start) & (time < end))
        .join(accounts, on="account_id")
        .group_by(time.dt.truncate("1mo").dt.date().alias("month"), "segment")
        .agg(**aggregates)
    )


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null when the denominator is 0 or missing."""
    return pl.when(denominator != 0).then(numerator / denominator)


def _count(condition: pl.Expr) -> pl.Expr:
    """Rows where `condition` is true (a null condition, like a null score, is not counted)."""
    return condition.sum().cast(pl.Int64)


def run_scorecard(start: dt.datetime, end: dt.datetime) -> pa.Table:
    """One end-to-end run: scan the files, aggregate, and shape the result like the others."""
    nps_score = pl.col("nps_score")
    resolved_at = pl.col("resolved_at")
    tickets = _cells(
        "tickets",
        "opened_at",
        start,
        end,
        tickets_opened=pl.len().cast(pl.Int64),
        promoters=_count(nps_score >= 9),
        detractors=_count(nps_score <= 6),
        nps_answers=nps_score.count().cast(pl.Int64),
        avg_resolution_hours=(
            (resolved_at - pl.col("opened_at")).dt.total_microseconds() / MICROS_PER_HOUR
        ).mean(),
        resolved_first_contact=_count((pl.col("contacts") == 1) & resolved_at.is_not_null()),
        resolved=resolved_at.count().cast(pl.Int64),
    )
    events = _cells(
        "events",
        "occurred_at",
        start,
        end,
        events=pl.len().cast(pl.Int64),
        active_users=pl.col("user_id").n_unique().cast(pl.Int64),
    )
    # Every month of the range for every segment, so a cell without data still gets a row.
    months = pl.LazyFrame(
        {"month": pl.date_range(start.date(), end.date(), "1mo", closed="left", eager=True)}
    )
    segments = pl.scan_parquet(DATA_DIR / "accounts.parquet").select("segment").unique()
    net_promoters = 100 * (pl.col("promoters") - pl.col("detractors"))
    scorecard = (
        months.join(segments, how="cross")
        .join(tickets, on=CELL, how="left")
        .join(events, on=CELL, how="left")
        .select(
            "month",
            pl.col("segment").alias("accounts.segment"),
            _ratio(net_promoters, pl.col("nps_answers")).alias("nps"),
            pl.col("active_users").fill_null(0),
            "avg_resolution_hours",
            _ratio(pl.col("resolved_first_contact"), pl.col("resolved")).alias("fcr_rate"),
            pl.col("tickets_opened").fill_null(0),
            _ratio(pl.col("events"), pl.col("active_users")).alias("events_per_active_user"),
        )
        .sort("month", "accounts.segment")
    )
    return scorecard.collect().to_arrow()
