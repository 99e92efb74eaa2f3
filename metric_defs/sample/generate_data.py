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
Timestamps are UTC with a trailing `Z`; an empty field is a missing value.
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


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("data")
    generate(target)
