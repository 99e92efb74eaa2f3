"""The customer-success families as hand-written Polars: lazy Parquet scans, months in UTC,
the same definitions as the families_*.sql files (run_families.py compares them cell for
cell with metricsmith and DuckDB)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyarrow as pa

DATA_DIR = Path(__file__).resolve().parent / "data" / "families"
SEGMENT = "accounts.segment"
MICROS_PER_HOUR = 3_600_000_000
FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def _scan(table: str) -> pl.LazyFrame:
    return pl.scan_parquet(DATA_DIR / f"{table}.parquet")


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null when the denominator is 0 or missing."""
    return pl.when(denominator != 0).then(numerator / denominator)


def _months(start: dt.datetime, end: dt.datetime) -> pl.Series:
    return pl.date_range(start.date(), end.date(), "1mo", closed="left", eager=True)


def _month_ends(start: dt.datetime, end: dt.datetime) -> pl.LazyFrame:
    """The month ends of [start, end): each with its month and the end before it."""
    months = _months(start, end)
    return pl.LazyFrame({"month": months}).with_columns(
        month_end=pl.col("month").dt.offset_by("1mo").cast(pl.Datetime("us", "UTC")),
        previous_end=pl.col("month").cast(pl.Datetime("us", "UTC")),
    )


def _segment_spine(start: dt.datetime, end: dt.datetime) -> pl.LazyFrame:
    segments = _scan("accounts").select(pl.col("segment").unique())
    return pl.LazyFrame({"month": _months(start, end)}).join(segments, how="cross")


def _with_segment(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.join(_scan("accounts").select("account_id", "segment"), on="account_id")


def _divided(numerator: pl.Expr, divisor: float) -> pl.Expr:
    """numerator / divisor rounded once, as SQL and metricsmith divide. Polars divides a
    column by a constant as a multiplication by its reciprocal (26/3 / 10 comes out as
    0.8666666666666667, not ...666): a last-bit difference that moves a health score of
    exactly 40 into the band below."""
    return numerator.map_batches(
        lambda values: pl.Series(values.to_numpy() / divisor, nan_to_null=True),
        return_dtype=pl.Float64,
    )


def _month_of(column: str) -> pl.Expr:
    return pl.col(column).dt.truncate("1mo").dt.date().alias("month")


def _in_range(column: str, start: dt.datetime, end: dt.datetime) -> pl.Expr:
    return (pl.col(column) >= start) & (pl.col(column) < end)


def _finish(spine: pl.LazyFrame, cells: list[pl.LazyFrame], keys: list[str], *columns) -> pa.Table:
    frame = spine
    for cell in cells:
        frame = frame.join(cell, on=keys, how="left")
    frame = frame.select(*columns).rename({"segment": SEGMENT}, strict=False)
    return frame.sort(pl.all()).collect().to_arrow()


def _in_force(ends: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    """(account, month end) for every subscription in force at a month end of `ends`:
    started_at < e <= ended_at (an empty ended_at is in force for ever)."""
    subscriptions = _scan("subscriptions").select(
        "account_id", *columns, "started_at", pl.col("ended_at").fill_null(FAR_FUTURE)
    )
    return subscriptions.join_where(
        ends,
        pl.col("started_at") < pl.col("month_end"),
        pl.col("ended_at") >= pl.col("month_end"),
    )


def retention(start: dt.datetime, end: dt.datetime) -> pa.Table:
    ends = _month_ends(start, end)
    # The month ends of the range and the one before it.
    all_ends = pl.concat(
        [ends.select("month_end"), ends.select(month_end=pl.col("previous_end")).head(1)]
    )
    customer_at = _in_force(all_ends, []).select("account_id", "month_end").unique()
    now = customer_at.with_columns(is_customer=pl.lit(True))
    before = customer_at.select(
        "account_id",
        pl.col("month_end").dt.offset_by("1mo"),
        was_customer=pl.lit(True),
    )
    transitions = (
        now.join(before, on=["account_id", "month_end"], how="full", coalesce=True)
        .join(ends.select("month_end", "month"), on="month_end")
        .with_columns(pl.col("is_customer", "was_customer").fill_null(False))
    )
    is_c, was_c = pl.col("is_customer"), pl.col("was_customer")
    cells = (
        _with_segment(transitions)
        .group_by("month", "segment")
        .agg(
            customers=is_c.sum(),
            customers_at_start=was_c.sum(),
            acquired_customers=(is_c & ~was_c).sum(),
            churned_customers=(was_c & ~is_c).sum(),
            retained_customers=(was_c & is_c).sum(),
        )
    )
    counts = ["customers", "acquired_customers", "churned_customers", "retained_customers"]
    base = pl.col("customers_at_start")
    return _finish(
        _segment_spine(start, end),
        [cells],
        ["month", "segment"],
        "month",
        "segment",
        *(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts),
        _ratio(pl.col("churned_customers"), base).alias("customer_churn_rate_incl_free"),
        _ratio(pl.col("churned_customers"), base + pl.col("acquired_customers")).alias(
            "customer_churn_rate_incl_free_with_new"
        ),
        _ratio(pl.col("retained_customers"), base).alias("logo_retention"),
        _ratio(pl.col("customers") - pl.col("acquired_customers"), base).alias("retention_rate"),
    )


def cohorts(start: dt.datetime, end: dt.datetime) -> pa.Table:
    accounts = (
        _scan("accounts")
        .filter(_in_range("signed_up_at", start, end))
        .select("account_id", cohort=pl.col("signed_up_at").dt.truncate("1mo").dt.date())
    )
    customer_at = (
        _in_force(_month_ends(start, end), [])
        .join(accounts, on="account_id")
        .select("account_id", "cohort", "month")
        .unique()
    )
    at_start = customer_at.filter(pl.col("month") == pl.col("cohort")).select("account_id")
    age = (pl.col("month").dt.year() - pl.col("cohort").dt.year()) * 12 + (
        pl.col("month").dt.month() - pl.col("cohort").dt.month()
    )
    ages = (
        customer_at.join(at_start, on="account_id")
        .group_by("cohort", age.cast(pl.Int64).alias("age"))
        .agg(retained=pl.len())
    )
    starts = ages.filter(pl.col("age") == 0).select("cohort", at_start="retained")
    months = _months(start, end)
    spine = pl.LazyFrame({"cohort": months}).join(
        pl.LazyFrame({"age": pl.int_range(0, len(months), eager=True, dtype=pl.Int64)}),
        how="cross",
    )
    reached = pl.col("cohort").dt.offset_by(pl.format("{}mo", pl.col("age"))) < end.date()
    value = pl.when(reached).then(_ratio(pl.col("retained").fill_null(0), pl.col("at_start")))
    frame = (
        spine.join(ages, on=["cohort", "age"], how="left")
        .join(starts, on="cohort", how="left")
        .select(
            pl.col("cohort").alias("cohort(accounts.signed_up_at, month)"),
            "age",
            value.alias("cohort_logo_retention"),
        )
    )
    return frame.sort(pl.all()).collect().to_arrow()


def _survey(table: str, start: dt.datetime, end: dt.datetime) -> pl.LazyFrame:
    answers = _scan(table).filter(_in_range("responded_at", start, end))
    return _with_segment(answers).group_by(_month_of("responded_at"), "segment")


def voice(start: dt.datetime, end: dt.datetime) -> pa.Table:
    score = pl.col("score")
    nps = _survey("nps_survey", start, end).agg(
        nps_responses=score.count().cast(pl.Int64),
        promoters=(score >= 9).sum().cast(pl.Int64),
        detractors=(score <= 6).sum().cast(pl.Int64),
    )
    csat = _survey("csat_survey", start, end).agg(
        csat=score.mean(), csat_responses=score.count(), satisfied=(score >= 4).sum()
    )
    ces = _survey("ces_survey", start, end).agg(
        ces=score.mean(), ces_responses=score.count(), easy=(score >= 5).sum()
    )
    counts = ["nps_responses", "promoters", "detractors"]
    return _finish(
        _segment_spine(start, end),
        [nps, csat, ces],
        ["month", "segment"],
        "month",
        "segment",
        *(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts),
        _ratio(100 * (pl.col("promoters") - pl.col("detractors")), pl.col("nps_responses")).alias(
            "nps"
        ),
        "csat",
        pl.col("csat_responses").fill_null(0).cast(pl.Int64),
        _ratio(pl.col("satisfied"), pl.col("csat_responses")).alias("csat_pct"),
        "ces",
        _ratio(pl.col("easy"), pl.col("ces_responses")).alias("ces_easy_share"),
    )


def _hours(since: str, until: str) -> pl.Expr:
    return (pl.col(until) - pl.col(since)).dt.total_microseconds() / MICROS_PER_HOUR


def support(start: dt.datetime, end: dt.datetime) -> pa.Table:
    tickets = _with_segment(_scan("tickets")).with_columns(
        response_hours=_hours("opened_at", "first_response_at"),
        resolution_hours=_hours("opened_at", "resolved_at"),
    )
    single = pl.col("contacts") == 1
    opened = (
        tickets.filter(_in_range("opened_at", start, end))
        .group_by(_month_of("opened_at"), "segment")
        .agg(
            tickets_opened=pl.len(),
            avg_first_response_hours=pl.col("response_hours").mean(),
            median_first_response_hours=pl.col("response_hours").median(),
            solved_first_all=(single & pl.col("resolved_at").is_not_null()).sum(),
        )
    )
    resolved = (
        tickets.filter(_in_range("resolved_at", start, end))
        .group_by(_month_of("resolved_at"), "segment")
        .agg(
            tickets_resolved=pl.len(),
            avg_resolution_hours_of_resolved=pl.col("resolution_hours").mean(),
            median_resolution_hours_of_resolved=pl.col("resolution_hours").median(),
            solved_first=single.sum(),
        )
    )
    return _finish(
        _segment_spine(start, end),
        [opened, resolved],
        ["month", "segment"],
        "month",
        "segment",
        pl.col("tickets_opened").fill_null(0).cast(pl.Int64),
        pl.col("tickets_resolved").fill_null(0).cast(pl.Int64),
        "avg_first_response_hours",
        "median_first_response_hours",
        "avg_resolution_hours_of_resolved",
        "median_resolution_hours_of_resolved",
        _ratio(pl.col("solved_first"), pl.col("tickets_resolved")).alias(
            "first_contact_resolution"
        ),
        _ratio(pl.col("solved_first_all"), pl.col("tickets_opened")).alias(
            "first_contact_resolution_all_cases"
        ),
    )


def renewals(start: dt.datetime, end: dt.datetime) -> pa.Table:
    decided = pl.col("renewed_amount").is_not_null()
    cells = (
        _with_segment(_scan("renewals").filter(_in_range("due_at", start, end)))
        .group_by(_month_of("due_at"), "segment")
        .agg(
            renewals_due=pl.len(),
            renewed=(pl.col("renewed_amount") > 0).sum(),
            decided=decided.sum(),
            renewed_amount=pl.col("renewed_amount").sum(),
            decided_amount=pl.col("up_for_renewal").filter(decided).sum(),
            expansion_amount=pl.col("expansion_amount").filter(decided).sum(),
        )
    )
    decided_amount = pl.col("decided_amount")
    return _finish(
        _segment_spine(start, end),
        [cells],
        ["month", "segment"],
        "month",
        "segment",
        pl.col("renewals_due").fill_null(0).cast(pl.Int64),
        _ratio(pl.col("renewed"), pl.col("decided")).alias("renewal_rate"),
        _ratio(pl.col("renewed_amount"), decided_amount).alias("gross_renewal_rate"),
        _ratio(pl.col("renewed_amount") + pl.col("expansion_amount"), decided_amount).alias(
            "net_renewal_rate"
        ),
    )


def _in_window(frame: pl.LazyFrame, time: str, ends: pl.LazyFrame, days: int) -> pl.LazyFrame:
    """Rows of `frame` joined to each month end e with `time` in [e - days, e)."""
    return frame.join_where(
        ends.select("month_end", window_start=pl.col("month_end") - dt.timedelta(days=days)),
        pl.col(time) >= pl.col("window_start"),
        pl.col(time) < pl.col("month_end"),
    )


def health(start: dt.datetime, end: dt.datetime) -> pa.Table:
    ends = _month_ends(start, end)
    all_ends = pl.concat(
        [ends.select("month_end"), ends.select(month_end=pl.col("previous_end")).head(1)]
    )
    mrr_at = (
        _in_force(all_ends, ["mrr"]).group_by("account_id", "month_end").agg(pl.col("mrr").sum())
    )
    previous = mrr_at.select(
        "account_id", pl.col("month_end").dt.offset_by("1mo"), previous_mrr=pl.col("mrr")
    )
    customers = mrr_at.join(ends.select("month_end", "month"), on="month_end").join(
        previous, on=["account_id", "month_end"], how="left"
    )
    keys = ["account_id", "month_end"]
    events = _scan("events").filter(pl.col("occurred_at") < end)
    first_seen = events.group_by("account_id", "user_id").agg(first_at=pl.col("occurred_at").min())
    users_ever = (
        first_seen.join_where(ends.select("month_end"), pl.col("first_at") < pl.col("month_end"))
        .group_by(keys)
        .agg(users_ever=pl.len())
    )
    users_30d = (
        _in_window(events, "occurred_at", ends, 30)
        .group_by(keys)
        .agg(users_30d=pl.col("user_id").n_unique())
    )
    sentiment = (
        _in_window(_scan("nps_survey"), "responded_at", ends, 90)
        .group_by(keys)
        .agg(mean_nps=pl.col("score").mean())
    )
    support = (
        _in_window(_scan("tickets"), "opened_at", ends, 30).group_by(keys).agg(tickets_30d=pl.len())
    )
    tickets = pl.col("tickets_30d").fill_null(0)
    fell = pl.col("mrr").round(2) < pl.col("previous_mrr").fill_null(0).round(2)
    components = {
        "usage": (pl.col("users_30d").fill_null(0) / pl.col("users_ever")).fill_null(0),
        "sentiment": _divided(pl.col("mean_nps"), 10).fill_null(0.5),
        "support": pl.when(tickets >= 5).then(0.0).otherwise(1 - _divided(tickets, 5)),
        "revenue": pl.when(fell).then(0.0).otherwise(1.0),
    }
    # The weighted sum added left to right, as the library's formula reads: a score of
    # exactly 40 or 70 lands in one band or the next on the last bit of the sum.
    score = 100 * (
        0.4 * pl.col("usage")
        + 0.3 * pl.col("sentiment")
        + 0.2 * pl.col("support")
        + 0.1 * pl.col("revenue")
    )
    band = (
        pl.when(pl.col("health_score") < 40)
        .then(pl.lit("Poor"))
        .when(pl.col("health_score") < 70)
        .then(pl.lit("Average"))
        .otherwise(pl.lit("Good"))
    )
    banded = (
        customers.join(users_ever, on=keys, how="left")
        .join(users_30d, on=keys, how="left")
        .join(sentiment, on=keys, how="left")
        .join(support, on=keys, how="left")
        .select("month", **components)
        .select("month", health_score=score)
        .with_columns(health_band=band)
    )
    cells = banded.group_by("month", "health_band").agg(
        customer_accounts=pl.len(), avg_health_score=pl.col("health_score").mean()
    )
    spine = ends.select("month").join(banded.select(pl.col("health_band").unique()), how="cross")
    return _finish(
        spine,
        [cells],
        ["month", "health_band"],
        "month",
        "health_band",
        pl.col("customer_accounts").fill_null(0).cast(pl.Int64),
        "avg_health_score",
    )
