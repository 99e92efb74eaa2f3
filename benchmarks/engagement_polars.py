"""The engagement + activation scorecard as hand-written Polars: lazy Parquet scans, one
grouped pass per metric family, months in UTC."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyarrow as pa

DATA_DIR = Path(__file__).resolve().parent / "data" / "engagement"
MICROS_PER_HOUR = 3_600_000_000
HOURS_IN_30_DAYS = 720


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null when the denominator is 0 or missing."""
    return pl.when(denominator != 0).then(numerator / denominator)


def run_engagement(start: dt.datetime, end: dt.datetime) -> pa.Table:
    """One end-to-end run: scan the files, aggregate, and shape the result like the others."""
    time = pl.col("occurred_at")
    events = pl.scan_parquet(DATA_DIR / "events.parquet")
    in_range = events.filter((time >= start) & (time < end)).select("user_id", "occurred_at")
    month_of = time.dt.truncate("1mo").dt.date().alias("month")
    monthly = in_range.group_by(month_of).agg(mau=pl.col("user_id").n_unique().cast(pl.Int64))
    daily = (
        in_range.group_by(time.dt.truncate("1d").alias("day"))
        .agg(dau=pl.col("user_id").n_unique())
        .group_by(pl.col("day").dt.truncate("1mo").dt.date().alias("month"))
        .agg(dau_total=pl.col("dau").sum())
    )
    # Engaged at a month end: two key actions in the 7 days before it. Each key action lies in
    # at most one such week (months are longer than 7 days): the month whose end follows it.
    next_month = time.dt.truncate("1mo").dt.offset_by("1mo")
    week_start = next_month - dt.timedelta(days=7)
    engaged = (
        events.filter((pl.col("name") == "key_action") & (time >= week_start))
        .with_columns(month_end=next_month)
        .filter((pl.col("month_end") > start) & (pl.col("month_end") <= end))
        .group_by("month_end", "user_id")
        .agg(actions=pl.len())
        .filter(pl.col("actions") >= 2)
        .group_by(pl.col("month_end").dt.offset_by("-1mo").dt.date().alias("month"))
        .agg(engaged_users_7d=pl.len().cast(pl.Int64))
    )
    signed_up = pl.col("signed_up_at")
    accounts = (
        pl.scan_parquet(DATA_DIR / "accounts.parquet")
        .filter((signed_up >= start) & (signed_up < end))
        .with_columns(month=signed_up.dt.truncate("1mo").dt.date())
    )
    signups = accounts.group_by("month").agg(signups=pl.len().cast(pl.Int64))
    hours = (time - signed_up).dt.total_microseconds() / MICROS_PER_HOUR
    activation = (
        events.filter(pl.col("name") == "report_created")
        .join(accounts, on="account_id")
        .with_columns(hours=hours)
        .group_by("month", "account_id")
        .agg(
            first_hours=pl.col("hours").min(),
            converted=((pl.col("hours") >= 0) & (pl.col("hours") < HOURS_IN_30_DAYS)).any(),
        )
        .group_by("month")
        .agg(
            converted=pl.col("converted").sum().cast(pl.Int64),
            hours_to_first_report=pl.col("first_hours").median(),
        )
    )
    months = pl.LazyFrame(
        {"month": pl.date_range(start.date(), end.date(), "1mo", closed="left", eager=True)}
    )
    days = (pl.col("month").dt.offset_by("1mo") - pl.col("month")).dt.total_days()
    dau = pl.col("dau_total").fill_null(0) / days
    scorecard = (
        months.join(monthly, on="month", how="left")
        .join(daily, on="month", how="left")
        .join(engaged, on="month", how="left")
        .join(signups, on="month", how="left")
        .join(activation, on="month", how="left")
        .select(
            "month",
            pl.col("mau").fill_null(0),
            dau.alias("dau"),
            _ratio(dau, pl.col("mau")).alias("stickiness"),
            pl.col("engaged_users_7d").fill_null(0),
            pl.col("signups").fill_null(0),
            _ratio(pl.col("converted").fill_null(0), pl.col("signups")).alias("conversion_30d"),
            "hours_to_first_report",
        )
        .sort("month")
    )
    return scorecard.collect().to_arrow()
