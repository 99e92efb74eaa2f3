"""Every sample metric recomputed in plain Python from the CSVs, independently of metricsmith.

Each function below restates one metric of metric_defs/sample/*.metrics in ordinary code: read
the rows with the csv module, keep those whose time falls in the cell's half-open period and
whose account passes the cell's filter, then count, sum or average. Nothing here imports
metricsmith, so a bug in the engine cannot hide in its own expected values.

Conventions the engine must share (DESIGN.md §4): periods are [start, end) in UTC; counts of
nothing are 0; averages, percentiles and ratios of nothing are None; `x / 0` is None; nulls are
skipped by aggregates and a null condition drops the row. `hours_between` is fractional hours.
Median and percentile interpolate linearly between the two nearest ranks (numpy's default,
DuckDB's `quantile_cont`).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "metric_defs" / "sample"
DATA_DIR = SAMPLE_DIR / "data"

Value = int | float | None
Row = TypeVar("Row")


# ---- the data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    account_id: str
    segment: str
    region: str
    plan: str
    employees: int
    signed_up_at: dt.datetime


@dataclass(frozen=True)
class User:
    user_id: str
    account: Account
    created_at: dt.datetime


@dataclass(frozen=True)
class Event:
    user_id: str
    account: Account
    name: str
    occurred_at: dt.datetime


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    account: Account
    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    contacts: int
    channel: str
    priority: str


@dataclass(frozen=True)
class NpsResponse:
    account: Account
    responded_at: dt.datetime
    score: int | None


@dataclass(frozen=True)
class SeatSnapshot:
    account: Account
    taken_at: dt.datetime  # the snapshot date's midnight in the calendar's zone, UTC
    seats: int | None


@dataclass(frozen=True)
class CsatResponse:
    ticket: Ticket  # the account is the ticket's: csat_survey -> tickets -> accounts
    responded_at: dt.datetime
    score: int | None


def parse_time(text: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def parse_int(text: str) -> int | None:
    return int(text) if text else None


def read_csv(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


# ---- cells, and each source's rows ordered by time ------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One output cell: rows with start <= time < end whose account passes `accounts`."""

    start: dt.datetime
    end: dt.datetime
    accounts: Callable[[Account], bool] = lambda account: True


class Timeline(Generic[Row]):
    """The rows of one source in order of their time column, to find a period's rows fast.

    Rows without a time fall in no period and are left out, as DESIGN.md §4.1 says."""

    def __init__(
        self,
        rows: Iterable[Row],
        time_of: Callable[[Row], dt.datetime | None],
        account_of: Callable[[Row], Account],
    ):
        timed = sorted(
            (
                (time_of(row), position, row)
                for position, row in enumerate(rows)
                if time_of(row) is not None
            ),
            key=lambda entry: entry[:2],
        )
        self.times = [moment for moment, _, _ in timed]
        self.rows = [row for _, _, row in timed]
        self.account_of = account_of

    def within(self, cell: Cell) -> list[Row]:
        """Rows with cell.start <= time < cell.end whose account the cell keeps."""
        first = bisect.bisect_left(self.times, cell.start)
        last = bisect.bisect_left(self.times, cell.end)
        return [row for row in self.rows[first:last] if cell.accounts(self.account_of(row))]


@dataclass(frozen=True)
class SampleData:
    accounts: dict[str, Account]
    users: list[User]
    events: list[Event]
    tickets: dict[str, Ticket]
    nps: list[NpsResponse]
    csat: list[CsatResponse]
    seats: list[SeatSnapshot]

    @functools.cached_property
    def signups(self) -> Timeline[Account]:
        return Timeline(self.accounts.values(), lambda a: a.signed_up_at, lambda a: a)

    @functools.cached_property
    def user_creations(self) -> Timeline[User]:
        return Timeline(self.users, lambda u: u.created_at, lambda u: u.account)

    @functools.cached_property
    def event_times(self) -> Timeline[Event]:
        return Timeline(self.events, lambda e: e.occurred_at, lambda e: e.account)

    @functools.cached_property
    def openings(self) -> Timeline[Ticket]:
        return Timeline(self.tickets.values(), lambda t: t.opened_at, lambda t: t.account)

    @functools.cached_property
    def resolutions(self) -> Timeline[Ticket]:
        return Timeline(self.tickets.values(), lambda t: t.resolved_at, lambda t: t.account)

    @functools.cached_property
    def nps_times(self) -> Timeline[NpsResponse]:
        return Timeline(self.nps, lambda r: r.responded_at, lambda r: r.account)

    @functools.cached_property
    def seat_times(self) -> Timeline[SeatSnapshot]:
        return Timeline(self.seats, lambda s: s.taken_at, lambda s: s.account)

    @functools.cached_property
    def csat_times(self) -> Timeline[CsatResponse]:
        return Timeline(self.csat, lambda r: r.responded_at, lambda r: r.ticket.account)


@functools.cache
def sample_data() -> SampleData:
    accounts = {
        row["account_id"]: Account(
            account_id=row["account_id"],
            segment=row["segment"],
            region=row["region"],
            plan=row["plan"],
            employees=int(row["employees"]),
            signed_up_at=parse_time(row["signed_up_at"]),
        )
        for row in read_csv("accounts")
    }
    tickets = {
        row["ticket_id"]: Ticket(
            ticket_id=row["ticket_id"],
            account=accounts[row["account_id"]],
            opened_at=parse_time(row["opened_at"]),
            first_response_at=parse_time(row["first_response_at"]),
            resolved_at=parse_time(row["resolved_at"]),
            contacts=int(row["contacts"]),
            channel=row["channel"],
            priority=row["priority"],
        )
        for row in read_csv("tickets")
    }
    return SampleData(
        accounts=accounts,
        users=[
            User(row["user_id"], accounts[row["account_id"]], parse_time(row["created_at"]))
            for row in read_csv("users")
        ],
        events=[
            Event(
                row["user_id"],
                accounts[row["account_id"]],
                row["name"],
                parse_time(row["occurred_at"]),
            )
            for row in read_csv("events")
        ],
        tickets=tickets,
        nps=[
            NpsResponse(
                accounts[row["account_id"]],
                parse_time(row["responded_at"]),
                parse_int(row["score"]),
            )
            for row in read_csv("nps_responses")
        ],
        csat=[
            CsatResponse(
                tickets[row["ticket_id"]], parse_time(row["responded_at"]), parse_int(row["score"])
            )
            for row in read_csv("csat_responses")
        ],
        seats=[
            SeatSnapshot(
                accounts[row["account_id"]],
                dt.datetime.fromisoformat(row["snapshot_date"]).replace(tzinfo=dt.UTC),
                parse_int(row["seats"]),
            )
            for row in read_csv("seat_snapshots")
        ],
    )


# ---- dimensions and periods ----------------------------------------------------------------


def company_size(account: Account) -> str:
    """The `company_size` dimension of sources.metrics."""
    if account.employees < 50:
        return "SMB"
    return "Mid-market" if account.employees < 500 else "Enterprise"


def plan_type(account: Account) -> str:
    """The `plan_type` dimension of sources.metrics."""
    return "Free" if account.plan == "free" else "Paid"


#: How a query's `by` item reads an account, for the slices the tests use.
ACCOUNT_SLICERS: dict[str, Callable[[Account], str]] = {
    "accounts.segment": lambda account: account.segment,
    "accounts.region": lambda account: account.region,
    "company_size": company_size,
    "plan_type": plan_type,
}


def utc(year: int, month: int = 1, day: int = 1) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=dt.UTC)


def month_starts(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    months = []
    moment = start
    while moment < end:
        months.append(moment)
        moment = utc(moment.year + moment.month // 12, moment.month % 12 + 1)
    return months


# ---- aggregate helpers ----------------------------------------------------------------------


def ratio(numerator: Value, denominator: Value) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def quantile(values: Iterable[float | None], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, over the non-null values."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def hours_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 3600


# ---- rows of each source in a cell ----------------------------------------------------------


def signed_up(d: SampleData, c: Cell) -> list[Account]:
    return d.signups.within(c)


def created_users(d: SampleData, c: Cell) -> list[User]:
    return d.user_creations.within(c)


def events_in(d: SampleData, c: Cell) -> list[Event]:
    return d.event_times.within(c)


def opened(d: SampleData, c: Cell) -> list[Ticket]:
    return d.openings.within(c)


def resolved(d: SampleData, c: Cell) -> list[Ticket]:
    return d.resolutions.within(c)


def nps_answers(d: SampleData, c: Cell) -> list[NpsResponse]:
    return d.nps_times.within(c)


def csat_answers(d: SampleData, c: Cell) -> list[CsatResponse]:
    return d.csat_times.within(c)


def scores(responses: Iterable[NpsResponse | CsatResponse]) -> list[int]:
    return [r.score for r in responses if r.score is not None]


# ---- the metrics ----------------------------------------------------------------------------

MetricFn = Callable[[SampleData, Cell], Value]
METRICS: dict[str, MetricFn] = {}


def metric(fn: MetricFn) -> MetricFn:
    METRICS[fn.__name__] = fn
    return fn


# voice_of_customer.metrics


@metric
def nps_responses(d: SampleData, c: Cell) -> Value:
    return len(scores(nps_answers(d, c)))


@metric
def promoters(d: SampleData, c: Cell) -> Value:
    return sum(1 for s in scores(nps_answers(d, c)) if s >= 9)


@metric
def passives(d: SampleData, c: Cell) -> Value:
    return sum(1 for s in scores(nps_answers(d, c)) if s in (7, 8))


@metric
def detractors(d: SampleData, c: Cell) -> Value:
    return sum(1 for s in scores(nps_answers(d, c)) if s <= 6)


@metric
def nps(d: SampleData, c: Cell) -> Value:
    return ratio(100 * (promoters(d, c) - detractors(d, c)), nps_responses(d, c))


@metric
def promoter_share(d: SampleData, c: Cell) -> Value:
    return ratio(promoters(d, c), nps_responses(d, c))


@metric
def detractor_share(d: SampleData, c: Cell) -> Value:
    return ratio(detractors(d, c), nps_responses(d, c))


@metric
def avg_nps_score(d: SampleData, c: Cell) -> Value:
    return mean(scores(nps_answers(d, c)))


@metric
def csat(d: SampleData, c: Cell) -> Value:
    return mean(scores(csat_answers(d, c)))


@metric
def csat_responses(d: SampleData, c: Cell) -> Value:
    return len(scores(csat_answers(d, c)))


@metric
def csat_pct(d: SampleData, c: Cell) -> Value:
    return ratio(sum(1 for s in scores(csat_answers(d, c)) if s >= 4), csat_responses(d, c))


@metric
def csat_response_rate(d: SampleData, c: Cell) -> Value:
    return ratio(csat_responses(d, c), tickets_resolved(d, c))


# support.metrics


@metric
def tickets_opened(d: SampleData, c: Cell) -> Value:
    return len(opened(d, c))


@metric
def tickets_resolved(d: SampleData, c: Cell) -> Value:
    return len(resolved(d, c))


@metric
def unresolved_tickets(d: SampleData, c: Cell) -> Value:
    return sum(1 for t in opened(d, c) if t.resolved_at is None)


@metric
def urgent_tickets(d: SampleData, c: Cell) -> Value:
    return sum(1 for t in opened(d, c) if t.priority == "urgent")


@metric
def self_service_share(d: SampleData, c: Cell) -> Value:
    self_served = sum(1 for t in opened(d, c) if t.channel in ("portal", "chat"))
    return ratio(self_served, tickets_opened(d, c))


@metric
def contacts_per_ticket(d: SampleData, c: Cell) -> Value:
    return ratio(sum(t.contacts for t in opened(d, c)), tickets_opened(d, c))


@metric
def first_contact_resolution(d: SampleData, c: Cell) -> Value:
    return ratio(sum(1 for t in resolved(d, c) if t.contacts == 1), tickets_resolved(d, c))


def resolution_hours(d: SampleData, c: Cell) -> list[float | None]:
    return [hours_between(t.opened_at, t.resolved_at) for t in resolved(d, c)]


def first_response_hours(d: SampleData, c: Cell) -> list[float | None]:
    return [hours_between(t.opened_at, t.first_response_at) for t in opened(d, c)]


@metric
def avg_resolution_hours_of_resolved(d: SampleData, c: Cell) -> Value:
    return mean(resolution_hours(d, c))


@metric
def median_resolution_hours_of_resolved(d: SampleData, c: Cell) -> Value:
    return quantile(resolution_hours(d, c), 0.5)


@metric
def longest_resolution_hours(d: SampleData, c: Cell) -> Value:
    return max(resolution_hours(d, c), default=None)


@metric
def avg_first_response_hours(d: SampleData, c: Cell) -> Value:
    return mean(first_response_hours(d, c))


@metric
def p90_first_response_hours(d: SampleData, c: Cell) -> Value:
    return quantile(first_response_hours(d, c), 0.9)


@metric
def first_response_sla(d: SampleData, c: Cell) -> Value:
    answered = [h for h in first_response_hours(d, c) if h is not None]
    return ratio(sum(1 for h in answered if h <= 4), len(answered))


@metric
def tickets_per_active_account(d: SampleData, c: Cell) -> Value:
    return ratio(tickets_opened(d, c), active_accounts(d, c))


# engagement.metrics


@metric
def active_users(d: SampleData, c: Cell) -> Value:
    return len({e.user_id for e in events_in(d, c)})


@metric
def active_accounts(d: SampleData, c: Cell) -> Value:
    return len({e.account.account_id for e in events_in(d, c)})


@metric
def events_tracked(d: SampleData, c: Cell) -> Value:
    return len(events_in(d, c))


@metric
def events_per_active_user(d: SampleData, c: Cell) -> Value:
    return ratio(events_tracked(d, c), active_users(d, c))


def named_events(d: SampleData, c: Cell, name: str) -> list[Event]:
    return [e for e in events_in(d, c) if e.name == name]


@metric
def reports_viewed(d: SampleData, c: Cell) -> Value:
    return len(named_events(d, c, "report_viewed"))


@metric
def meetings_held(d: SampleData, c: Cell) -> Value:
    return len(named_events(d, c, "meeting_held"))


@metric
def exports(d: SampleData, c: Cell) -> Value:
    return len(named_events(d, c, "export"))


@metric
def meeting_users(d: SampleData, c: Cell) -> Value:
    return len({e.user_id for e in named_events(d, c, "meeting_held")})


@metric
def meeting_adoption(d: SampleData, c: Cell) -> Value:
    return ratio(meeting_users(d, c), active_users(d, c))


@metric
def seats_per_customer(d: SampleData, c: Cell) -> Value:
    """Each account's last seat count in the cell (snapshots without one skipped), averaged."""
    latest: dict[str, tuple[dt.datetime, int]] = {}
    for snapshot in d.seat_times.within(c):
        if snapshot.seats is None:
            continue
        account = snapshot.account.account_id
        if account not in latest or snapshot.taken_at >= latest[account][0]:
            latest[account] = (snapshot.taken_at, snapshot.seats)
    return mean(seats for _, seats in latest.values())


# growth.metrics


@metric
def signups(d: SampleData, c: Cell) -> Value:
    return len(signed_up(d, c))


@metric
def paid_signups(d: SampleData, c: Cell) -> Value:
    return sum(1 for a in signed_up(d, c) if a.plan != "free")


@metric
def paid_signup_share(d: SampleData, c: Cell) -> Value:
    return ratio(paid_signups(d, c), signups(d, c))


@metric
def avg_signup_employees(d: SampleData, c: Cell) -> Value:
    return mean(a.employees for a in signed_up(d, c))


@metric
def new_users(d: SampleData, c: Cell) -> Value:
    return len(created_users(d, c))


@metric
def avg_days_to_new_user(d: SampleData, c: Cell) -> Value:
    waits = [hours_between(u.account.signed_up_at, u.created_at) for u in created_users(d, c)]
    return mean(w / 24 for w in waits)


def expected(metric_name: str, cell: Cell) -> Value:
    return METRICS[metric_name](sample_data(), cell)
