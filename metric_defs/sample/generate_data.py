"""Generate the sample customer-success dataset in `data/` next to this file.

The CSVs are committed, so nobody needs to run this to use the sample project. Run it only to
change the data, then re-pin the expected values in tests/sample/:

    python metric_defs/sample/generate_data.py            # writes metric_defs/sample/data/
    python metric_defs/sample/generate_data.py OUT_DIR    # writes somewhere else

The output is a pure function of SEED: one `random.Random` drives every choice, nothing reads
the clock, and rows are written in a fixed order, so two runs produce byte-identical files.

The story: a B2B SaaS product with about 200 customer accounts signing up between December 2023
and January 2025. Each account has users who log in, view reports, hold meetings and export;
accounts open support tickets, answer a quarterly NPS survey, and rate resolved tickets (CSAT).
For the customer-success library, accounts also subscribe and change their subscriptions
(subscriptions, renewals, payments), reach onboarding milestones, refer other companies, and
rate the effort of resolved tickets (CES); logins open sessions; the company records its costs.
Those eight files draw from the same generator after the first six, which therefore stayed
byte-identical when they were added; the weekly seat snapshots (a snapshot table: each
subscribed account's licensed seats) draw after all of them. Timestamps are UTC with a trailing
`Z`, snapshot dates are dates; an empty field is a missing value.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

SEED = 20240101
ACCOUNT_COUNT = 200
FIRST_SIGNUP = dt.datetime(2023, 12, 1, tzinfo=dt.UTC)
DATA_END = dt.datetime(2025, 2, 1, tzinfo=dt.UTC)  # nothing happens on or after this instant

SEGMENTS = ("SMB", "Mid-market", "Enterprise")
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
CHANNELS = ("email", "chat", "phone", "portal")
PRIORITIES = ("low", "normal", "high", "urgent")
EVENT_NAMES = ("login", "report_viewed", "meeting_held", "export")
NAME_HEADS = (
    "Acme",
    "Birch",
    "Cobalt",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orchid",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Summit",
    "Tidal",
)
NAME_TAILS = (
    "Analytics",
    "Health",
    "Logistics",
    "Labs",
    "Retail",
    "Systems",
    "Foods",
    "Media",
    "Finance",
    "Energy",
)


def timestamp_text(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def minutes_after(start: dt.datetime, minutes: float) -> dt.datetime:
    """`start` plus a whole number of seconds, so the CSV text round-trips exactly."""
    return start + dt.timedelta(seconds=round(minutes * 60))


def moment_between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    return start + dt.timedelta(seconds=rng.randrange(int((end - start).total_seconds())))


def signup_moment(rng: random.Random) -> dt.datetime:
    """Mostly during 2024, with a handful of early (Dec 2023) and late (Jan 2025) sign-ups."""
    roll = rng.random()
    if roll < 0.06:
        return moment_between(rng, FIRST_SIGNUP, dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    if roll < 0.10:
        return moment_between(rng, dt.datetime(2025, 1, 1, tzinfo=dt.UTC), DATA_END)
    return moment_between(
        rng, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )


def size_segment(employees: int) -> str:
    if employees < 50:
        return "SMB"
    return "Mid-market" if employees < 500 else "Enterprise"


def make_accounts(rng: random.Random) -> list[dict[str, object]]:
    names = [f"{head} {tail}" for head in NAME_HEADS for tail in NAME_TAILS]
    rng.shuffle(names)
    accounts = []
    for number in range(1, ACCOUNT_COUNT + 1):
        employees = int(rng.lognormvariate(4.2, 1.4)) + 2
        # The sales segment mostly follows head count, but sales reassigns about one in ten.
        segment = size_segment(employees) if rng.random() < 0.9 else rng.choice(SEGMENTS)
        plan_weights = {
            "SMB": (5, 4, 1, 0),
            "Mid-market": (2, 3, 4, 1),
            "Enterprise": (0, 1, 3, 6),
        }[segment]
        accounts.append(
            {
                "account_id": f"acc_{number:03d}",
                "name": names[number - 1],
                "segment": segment,
                "region": rng.choices(REGIONS, weights=(5, 3, 2, 1))[0],
                "plan": rng.choices(("free", "starter", "growth", "enterprise"), plan_weights)[0],
                "employees": employees,
                "signed_up_at": signup_moment(rng),
            }
        )
    accounts.sort(key=lambda row: row["signed_up_at"])
    return accounts


def make_users(rng: random.Random, accounts: Sequence[dict]) -> list[dict[str, object]]:
    users = []
    for account in accounts:
        seats = {"SMB": 3, "Mid-market": 7, "Enterprise": 12}[account["segment"]]
        for _ in range(rng.randint(1, seats)):
            created = minutes_after(account["signed_up_at"], rng.expovariate(1 / 20_000))
            if created < DATA_END:
                users.append({"account_id": account["account_id"], "created_at": created})
    users.sort(key=lambda row: (row["created_at"], row["account_id"]))
    for number, user in enumerate(users, start=1):
        user["user_id"] = f"usr_{number:04d}"
    return users


def make_events(rng: random.Random, users: Sequence[dict]) -> list[dict[str, object]]:
    events = []
    for user in users:
        # A few power users, many occasional ones: events per user varies by about 20x.
        weekly_rate = rng.choice((0.1, 0.2, 0.2, 0.3, 0.5, 1.0))
        moment = user["created_at"]
        while True:
            moment = minutes_after(moment, rng.expovariate(weekly_rate) * 7 * 24 * 60)
            if moment >= DATA_END:
                break
            events.append(
                {
                    "user_id": user["user_id"],
                    "account_id": user["account_id"],
                    "name": rng.choices(EVENT_NAMES, weights=(10, 5, 3, 1))[0],
                    "occurred_at": moment,
                }
            )
    events.sort(key=lambda row: (row["occurred_at"], row["user_id"]))
    for number, event in enumerate(events, start=1):
        event["event_id"] = number
    return events


def make_tickets(rng: random.Random, accounts: Sequence[dict]) -> list[dict[str, object]]:
    tickets = []
    for account in accounts:
        per_month = {"SMB": 0.4, "Mid-market": 0.8, "Enterprise": 1.4}[account["segment"]]
        moment = account["signed_up_at"]
        while True:
            moment = minutes_after(moment, rng.expovariate(per_month) * 30 * 24 * 60)
            if moment >= DATA_END:
                break
            tickets.append(support_ticket(rng, account["account_id"], moment))
    tickets.sort(key=lambda row: (row["opened_at"], row["account_id"]))
    for number, ticket in enumerate(tickets, start=1):
        ticket["ticket_id"] = f"T{number:05d}"
    return tickets


def support_ticket(rng: random.Random, account_id: str, opened: dt.datetime) -> dict[str, object]:
    priority = rng.choices(PRIORITIES, weights=(3, 5, 2, 1))[0]
    speed = {"low": 2.0, "normal": 1.0, "high": 0.5, "urgent": 0.2}[priority]
    first_response = minutes_after(opened, rng.expovariate(1 / (150 * speed)) + 2)
    if first_response >= DATA_END or rng.random() < 0.02:
        return ticket_row(rng, account_id, opened, priority, None, None, contacts=1)
    contacts = rng.choices((1, 2, 3, 4, 5), weights=(55, 25, 12, 5, 3))[0]
    resolved = minutes_after(first_response, rng.expovariate(1 / (600 * speed)) * contacts)
    if resolved >= DATA_END or rng.random() < 0.05:
        resolved = None
    return ticket_row(rng, account_id, opened, priority, first_response, resolved, contacts)


def ticket_row(
    rng: random.Random,
    account_id: str,
    opened: dt.datetime,
    priority: str,
    first_response: dt.datetime | None,
    resolved: dt.datetime | None,
    contacts: int,
) -> dict[str, object]:
    return {
        "account_id": account_id,
        "opened_at": opened,
        "first_response_at": first_response,
        "resolved_at": resolved,
        "contacts": contacts,
        "channel": rng.choices(CHANNELS, weights=(5, 4, 2, 2))[0],
        "priority": priority,
    }


def make_nps(rng: random.Random, accounts: Sequence[dict]) -> list[dict[str, object]]:
    """A survey goes out at the start of each quarter to every account signed up by then."""
    survey_starts = [
        dt.datetime(year, month, 1, tzinfo=dt.UTC)
        for year, month in ((2024, 3), (2024, 6), (2024, 9), (2024, 12))
    ]
    mood = {"SMB": (2, 3, 5), "Mid-market": (2, 4, 5), "Enterprise": (1, 3, 6)}
    responses = []
    for start in survey_starts:
        for account in accounts:
            if account["signed_up_at"] >= start or rng.random() < 0.3:
                continue
            for _ in range(rng.randint(1, 3)):
                band = rng.choices(
                    ("detractor", "passive", "promoter"), weights=mood[account["segment"]]
                )[0]
                score = {
                    "detractor": rng.randint(0, 6),
                    "passive": rng.randint(7, 8),
                    "promoter": rng.randint(9, 10),
                }[band]
                responses.append(
                    {
                        "account_id": account["account_id"],
                        # Within six weeks of the survey, so late answers spill into the next month.
                        "responded_at": moment_between(rng, start, start + dt.timedelta(days=42)),
                        # Some people open the survey and leave without scoring.
                        "score": None if rng.random() < 0.05 else score,
                    }
                )
    responses.sort(key=lambda row: (row["responded_at"], row["account_id"]))
    for number, response in enumerate(responses, start=1):
        response["response_id"] = number
    return responses


def make_csat(rng: random.Random, tickets: Sequence[dict]) -> list[dict[str, object]]:
    """About half the resolved tickets get a 1-5 rating within two days of resolution."""
    responses = []
    for ticket in tickets:
        if ticket["resolved_at"] is None or rng.random() < 0.5:
            continue
        responded = minutes_after(ticket["resolved_at"], rng.uniform(5, 48 * 60))
        if responded >= DATA_END:
            continue
        # Many contacts make customers less happy.
        weights = (1, 1, 2, 5, 9) if ticket["contacts"] == 1 else (2, 3, 4, 5, 4)
        responses.append(
            {
                "ticket_id": ticket["ticket_id"],
                "account_id": ticket["account_id"],
                "responded_at": responded,
                "score": None if rng.random() < 0.04 else rng.choices((1, 2, 3, 4, 5), weights)[0],
            }
        )
    responses.sort(key=lambda row: (row["responded_at"], row["ticket_id"]))
    for number, response in enumerate(responses, start=1):
        response["response_id"] = number
    return responses


# ---- revenue: subscriptions, renewals, payments, costs --------------------------------------
# Every account starts a subscription at sign-up (a tenth start billing on the 1st of the next
# month, exactly on a period boundary) on the plan it signed up on, then changes it over time:
# upgrades, downgrades (to a free plan too), cancellations, returns after a gap, an add-on
# alongside the main plan, paid stints that begin and end inside one month, and quarterly or
# annual contracts that come up for renewal (mostly renewed at the same price). A change ends
# one row and starts the next at the same instant; 3 in 10 changes land on midnight of the 1st.

PRICES = {"free": 0, "starter": 49, "growth": 199, "enterprise": 899, "analytics": 99}
TIERS = ("free", "starter", "growth", "enterprise")
TERM_MONTHS = {"month": 1, "quarter": 3, "year": 12}
#: A term is billed up front: a quarter at three months' price, a year at ten (two months free).
TERM_PRICE_MONTHS = {"month": 1, "quarter": 3, "year": 10}
DAY = dt.timedelta(days=1)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same time of day `months` calendar months later (days past the 28th become the 28th)."""
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=min(moment.day, 28))


def next_month_start(moment: dt.datetime) -> dt.datetime:
    return add_months(moment.replace(day=1, hour=0, minute=0, second=0), 1)


def days_after(start: dt.datetime, days: float) -> dt.datetime:
    return minutes_after(start, days * 24 * 60)


class SubscriptionStory:
    """One account's subscription rows and renewals, decided in time order."""

    def __init__(self, rng: random.Random, account: dict[str, object]):
        self.rng = rng
        self.account_id = str(account["account_id"])
        self.rows: list[dict[str, object]] = []
        self.renewals: list[dict[str, object]] = []
        self.add_on: dict[str, object] | None = None

    def open(self, plan: str, billing: str, start: dt.datetime) -> dict[str, object]:
        row = {
            "subscription_id": f"sub_{self.account_id[4:]}_{len(self.rows) + 1}",
            "account_id": self.account_id,
            "plan": plan,
            "billing_period": billing,
            "amount": PRICES[plan] * TERM_PRICE_MONTHS[billing],
            "started_at": start,
            "ended_at": None,
        }
        self.rows.append(row)
        return row

    def close(self, row: dict[str, object], moment: dt.datetime) -> None:
        row["ended_at"] = moment

    def tell(self, plan: str, start: dt.datetime) -> None:
        billing = self.first_billing(plan)
        row = self.open(plan, billing, start)
        while row is not None:
            row = self.after_term(row) if billing != "month" else self.after_month_row(row)
            billing = "" if row is None else str(row["billing_period"])

    def first_billing(self, plan: str) -> str:
        if plan == "free":
            return "month"
        weights = (4, 1, 5) if plan == "enterprise" else (12, 3, 5)
        return self.rng.choices(("month", "quarter", "year"), weights)[0]

    def after_term(self, row: dict[str, object]) -> dict[str, object] | None:
        """A quarterly or annual contract runs its term, then comes up for renewal."""
        plan, billing = str(row["plan"]), str(row["billing_period"])
        due = add_months(row["started_at"], TERM_MONTHS[billing])
        if due >= DATA_END:
            return None
        outcome = self.rng.choices(("same", "up", "down", "cancel"), (70, 12, 6, 12))[0]
        tier = TIERS.index(plan)
        next_plan = {
            "same": plan,
            "up": TIERS[min(tier + 1, len(TIERS) - 1)],
            "down": TIERS[max(tier - 1, 1)],
            "cancel": None,
        }[outcome]
        amount = int(row["amount"])
        next_amount = 0 if next_plan is None else PRICES[next_plan] * TERM_PRICE_MONTHS[billing]
        self.renewals.append(
            {
                "account_id": self.account_id,
                "subscription_id": row["subscription_id"],
                "due_at": due,
                "up_for_renewal": amount,
                "renewed_amount": min(amount, next_amount),
                "expansion_amount": max(0, next_amount - amount),
            }
        )
        self.close(row, due)
        if next_plan is None:
            return self.cancel(due)
        return self.open(next_plan, billing, due)

    def after_month_row(self, row: dict[str, object]) -> dict[str, object] | None:
        """A monthly (or free) row runs until the next decision that changes it."""
        plan = str(row["plan"])
        moment = row["started_at"]
        while True:
            moment = days_after(moment, self.rng.expovariate(1 / (20 if plan == "free" else 120)))
            if self.rng.random() < 0.3:
                moment = next_month_start(moment)
            if moment >= DATA_END:
                return None
            action = self.choose_action(plan, moment)
            if action == "wait":
                continue
            if action == "add_on":
                self.start_add_on(moment)
                continue
            self.close(row, moment)
            if action == "cancel":
                return self.cancel(moment)
            if action == "stint":
                return self.paid_stint(moment)
            return self.change_plan(plan, action, moment)

    def choose_action(self, plan: str, moment: dt.datetime) -> str:
        if plan == "free":
            return self.rng.choices(("upgrade", "stint", "cancel", "wait"), (45, 15, 10, 30))[0]
        add_on_weight = 15 if self.add_on is None or self.add_on["ended_at"] is not None else 0
        upgrade_weight = 25 if plan != "enterprise" else 0
        return self.rng.choices(
            ("upgrade", "downgrade", "cancel", "add_on", "annual"),
            (upgrade_weight, 20, 15, add_on_weight, 15),
        )[0]

    def change_plan(self, plan: str, action: str, moment: dt.datetime) -> dict[str, object]:
        tier = TIERS.index(plan)
        if action == "annual":
            return self.open(plan, "year", moment)
        if action == "downgrade":
            return self.open(TIERS[tier - 1], "month", moment)
        if plan == "free":
            next_plan = self.rng.choices(("starter", "growth"), (7, 3))[0]
            return self.open(next_plan, self.rng.choices(("month", "year"), (4, 1))[0], moment)
        return self.open(TIERS[tier + 1], "month", moment)

    def start_add_on(self, moment: dt.datetime) -> None:
        self.add_on = self.open("analytics", "month", moment)
        end = days_after(moment, self.rng.expovariate(1 / 100))
        if end < DATA_END:
            self.close(self.add_on, end)

    def paid_stint(self, moment: dt.datetime) -> dict[str, object]:
        """A free account tries a paid plan for a few days, inside one calendar month."""
        end = min(days_after(moment, self.rng.uniform(2, 10)), next_month_start(moment) - DAY / 24)
        if end <= moment:
            return self.open("free", "month", moment)
        self.close(self.open("growth", "month", moment), end)
        return self.open("free", "month", end)

    def cancel(self, moment: dt.datetime) -> dict[str, object] | None:
        """Everything ends; a third of the cancelled accounts come back after a gap."""
        if self.add_on is not None and (
            self.add_on["ended_at"] is None or self.add_on["ended_at"] > moment
        ):
            self.close(self.add_on, moment)
        if self.rng.random() >= 0.35:
            return None
        back = days_after(moment, 30 + self.rng.expovariate(1 / 90))
        if back >= DATA_END:
            return None
        return self.open(self.rng.choice(("starter", "growth")), "month", back)


def make_subscriptions(
    rng: random.Random, accounts: Sequence[dict]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    subscriptions, renewals = [], []
    for account in accounts:
        story = SubscriptionStory(rng, account)
        start = account["signed_up_at"]
        if rng.random() < 0.1:
            start = next_month_start(start)
        if start < DATA_END:
            story.tell(str(account["plan"]), start)
        subscriptions += story.rows
        renewals += story.renewals
    subscriptions.sort(key=lambda row: (row["started_at"], row["subscription_id"]))
    renewals.sort(key=lambda row: (row["due_at"], row["subscription_id"]))
    for number, renewal in enumerate(renewals, start=1):
        renewal["renewal_id"] = f"R{number:04d}"
    return subscriptions, renewals


def make_payments(subscriptions: Sequence[dict]) -> list[dict[str, object]]:
    """Each paid row is billed at its start and then every term while it is in force."""
    payments = []
    for row in subscriptions:
        if row["amount"] == 0:
            continue
        end = row["ended_at"] or DATA_END
        cycle = 0
        moment = row["started_at"]
        while moment < end:
            payments.append(
                {
                    "account_id": row["account_id"],
                    "subscription_id": row["subscription_id"],
                    "paid_at": moment,
                    "amount": row["amount"],
                }
            )
            cycle += TERM_MONTHS[str(row["billing_period"])]
            moment = add_months(row["started_at"], cycle)
    payments.sort(key=lambda row: (row["paid_at"], row["subscription_id"]))
    for number, payment in enumerate(payments, start=1):
        payment["payment_id"] = f"P{number:05d}"
    return payments


def make_costs(rng: random.Random) -> list[dict[str, object]]:
    """Each month: four marketing campaigns, the sales team, and hosting (cost of revenue)."""
    costs = []
    month = FIRST_SIGNUP
    while month < DATA_END:
        following = next_month_start(month)
        for _ in range(4):
            costs.append(("marketing", moment_between(rng, month, following), 1500, 4000))
        costs.append(("sales", month, 6000, 9000))
        costs.append(("cost_of_revenue", month, 2500, 4500))
        month = following
    rows = [
        {"category": category, "incurred_at": moment, "amount": f"{rng.uniform(low, high):.2f}"}
        for category, moment, low, high in costs
    ]
    rows.sort(key=lambda row: (row["incurred_at"], row["category"]))
    for number, row in enumerate(rows, start=1):
        row["cost_id"] = number
    return rows


# ---- onboarding, referrals, sessions, CES ----------------------------------------------------

MILESTONES = (("onboarded", 0.85, 12), ("activated", 0.7, 6), ("first_value", 0.75, 9))


def make_milestones(rng: random.Random, accounts: Sequence[dict]) -> list[dict[str, object]]:
    """The first time each account reached a milestone (some never do)."""
    reached = []
    for account in accounts:
        for milestone, chance, mean_days in MILESTONES:
            if rng.random() >= chance:
                continue
            moment = days_after(account["signed_up_at"], rng.expovariate(1 / mean_days))
            if moment < DATA_END:
                reached.append(
                    {
                        "account_id": account["account_id"],
                        "milestone": milestone,
                        "reached_at": moment,
                    }
                )
    reached.sort(key=lambda row: (row["reached_at"], row["account_id"]))
    return reached


def make_referrals(rng: random.Random, accounts: Sequence[dict]) -> list[dict[str, object]]:
    """About one sign-up in seven was invited by an earlier account; accounts also send
    invitations that nobody accepts. `referred_account_id` is empty until one is accepted."""
    referrals = []
    for index, account in enumerate(accounts):
        signed_up = account["signed_up_at"]
        earlier = [a for a in accounts[:index] if a["signed_up_at"] <= signed_up - 14 * DAY]
        if earlier and rng.random() < 0.15:
            referrer = rng.choice(earlier)
            sent = moment_between(
                rng, max(referrer["signed_up_at"], signed_up - 21 * DAY), signed_up
            )
            referrals.append((referrer["account_id"], account["account_id"], sent))
    for account in accounts:
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            sent = moment_between(rng, account["signed_up_at"], DATA_END)
            referrals.append((account["account_id"], None, sent))
    rows = [
        {"referrer_account_id": referrer, "referred_account_id": referred, "sent_at": sent}
        for referrer, referred, sent in sorted(referrals, key=lambda r: (r[2], r[0]))
    ]
    for number, row in enumerate(rows, start=1):
        row["referral_id"] = f"F{number:04d}"
    return rows


def make_sessions(rng: random.Random, events: Sequence[dict]) -> list[dict[str, object]]:
    """Every login opens a session of a few minutes to an hour or so."""
    sessions = []
    for event in events:
        if event["name"] != "login":
            continue
        ended = minutes_after(event["occurred_at"], rng.lognormvariate(2.8, 0.8))
        sessions.append(
            {
                "session_id": len(sessions) + 1,
                "user_id": event["user_id"],
                "account_id": event["account_id"],
                "started_at": event["occurred_at"],
                "ended_at": min(ended, DATA_END - dt.timedelta(seconds=1)),
            }
        )
    return sessions


def make_ces(rng: random.Random, tickets: Sequence[dict]) -> list[dict[str, object]]:
    """About a third of the resolved tickets get a 1-7 effort rating within a day."""
    responses = []
    for ticket in tickets:
        if ticket["resolved_at"] is None or rng.random() >= 0.3:
            continue
        responded = minutes_after(ticket["resolved_at"], rng.uniform(5, 24 * 60))
        if responded >= DATA_END:
            continue
        weights = (1, 1, 1, 2, 4, 6, 5) if ticket["contacts"] == 1 else (2, 3, 4, 4, 4, 2, 1)
        responses.append(
            {
                "ticket_id": ticket["ticket_id"],
                "account_id": ticket["account_id"],
                "responded_at": responded,
                "score": None if rng.random() < 0.05 else rng.choices(range(1, 8), weights)[0],
            }
        )
    responses.sort(key=lambda row: (row["responded_at"], row["ticket_id"]))
    for number, response in enumerate(responses, start=1):
        response["response_id"] = number
    return responses


def make_seat_snapshots(
    rng: random.Random, users: Sequence[dict], subscriptions: Sequence[dict]
) -> list[dict[str, object]]:
    """A weekly snapshot (Mondays) of each subscribed account's licensed seats, from its first
    subscription to the end of its last: a seat per user created by then plus a few spare ones.
    The snapshot job misses some weeks, and now and then records no seat count."""
    spans: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    for row in subscriptions:
        ended = row["ended_at"] or DATA_END
        first, last = spans.get(row["account_id"], (row["started_at"], ended))
        spans[row["account_id"]] = (min(first, row["started_at"]), max(last, ended))
    joined: dict[str, list[dt.datetime]] = {}
    for user in users:
        joined.setdefault(user["account_id"], []).append(user["created_at"])
    snapshots = []
    for account_id in sorted(spans):
        first, last = spans[account_id]
        spare = rng.randint(1, 3)
        day = first.date() + dt.timedelta(days=-first.weekday() % 7)
        while day < last.date():
            seen = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            if rng.random() >= 0.08:
                seats = spare + sum(1 for created in joined.get(account_id, ()) if created < seen)
                seats_text = None if rng.random() < 0.02 else seats
                snapshots.append(
                    {"snapshot_date": day, "account_id": account_id, "seats": seats_text}
                )
            day += dt.timedelta(days=7)
    snapshots.sort(key=lambda row: (row["snapshot_date"], row["account_id"]))
    return snapshots


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(cell_text(row[column]) for column in columns)


def cell_text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return timestamp_text(value)
    return "" if value is None else str(value)


def generate(out_dir: Path) -> None:
    rng = random.Random(SEED)
    accounts = make_accounts(rng)
    users = make_users(rng, accounts)
    events = make_events(rng, users)
    tickets = make_tickets(rng, accounts)
    nps = make_nps(rng, accounts)
    csat = make_csat(rng, tickets)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(
        out_dir / "accounts.csv",
        ("account_id", "name", "segment", "region", "plan", "employees", "signed_up_at"),
        accounts,
    )
    write_csv(out_dir / "users.csv", ("user_id", "account_id", "created_at"), users)
    write_csv(
        out_dir / "events.csv", ("event_id", "user_id", "account_id", "name", "occurred_at"), events
    )
    write_csv(
        out_dir / "tickets.csv",
        (
            "ticket_id",
            "account_id",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "contacts",
            "channel",
            "priority",
        ),
        tickets,
    )
    write_csv(
        out_dir / "nps_responses.csv", ("response_id", "account_id", "responded_at", "score"), nps
    )
    write_csv(
        out_dir / "csat_responses.csv",
        ("response_id", "ticket_id", "account_id", "responded_at", "score"),
        csat,
    )
    subscriptions = write_revenue_and_more(out_dir, rng, accounts, events, tickets)
    write_csv(
        out_dir / "seat_snapshots.csv",
        ("snapshot_date", "account_id", "seats"),
        make_seat_snapshots(rng, users, subscriptions),
    )


def write_revenue_and_more(
    out_dir: Path,
    rng: random.Random,
    accounts: Sequence[dict],
    events: Sequence[dict],
    tickets: Sequence[dict],
) -> list[dict[str, object]]:
    """The files the customer-success library needs beyond the first six (drawn after them);
    returns the subscriptions."""
    subscriptions, renewals = make_subscriptions(rng, accounts)
    write_csv(
        out_dir / "subscriptions.csv",
        (
            "subscription_id",
            "account_id",
            "plan",
            "billing_period",
            "amount",
            "started_at",
            "ended_at",
        ),
        subscriptions,
    )
    write_csv(
        out_dir / "renewals.csv",
        (
            "renewal_id",
            "account_id",
            "subscription_id",
            "due_at",
            "up_for_renewal",
            "renewed_amount",
            "expansion_amount",
        ),
        renewals,
    )
    write_csv(
        out_dir / "payments.csv",
        ("payment_id", "account_id", "subscription_id", "paid_at", "amount"),
        make_payments(subscriptions),
    )
    write_csv(
        out_dir / "costs.csv", ("cost_id", "category", "incurred_at", "amount"), make_costs(rng)
    )
    write_csv(
        out_dir / "milestones.csv",
        ("account_id", "milestone", "reached_at"),
        make_milestones(rng, accounts),
    )
    write_csv(
        out_dir / "referrals.csv",
        ("referral_id", "referrer_account_id", "referred_account_id", "sent_at"),
        make_referrals(rng, accounts),
    )
    write_csv(
        out_dir / "sessions.csv",
        ("session_id", "user_id", "account_id", "started_at", "ended_at"),
        make_sessions(rng, events),
    )
    write_csv(
        out_dir / "ces_responses.csv",
        ("response_id", "ticket_id", "account_id", "responded_at", "score"),
        make_ces(rng, tickets),
    )
    return subscriptions


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("data")
    generate(target)
