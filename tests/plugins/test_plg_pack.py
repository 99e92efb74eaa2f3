"""The product-led-growth pack (plugins/metricsmith-plg) on a hand-made month and a half.

users  signed up      activated        first value     days  business days
u1     Mon 1 Jan      3 Jan (2 d)      Tue 2 Jan       1     1
u2     Fri 5 Jan      12 Jan (7 d)     Mon 8 Jan       3     1
u3     Sat 6 Jan      20 Jan (14 d)    Mon 15 Jan      9     5
u4     Wed 10 Jan     never            never
u5     Thu 1 Feb      2 Feb (1 d)      Thu 1 Feb       0     0

product events (January)        key  feature    account
x1  6 events                    yes  search     A
x2  4 events                    yes  export     A       A: 10 key actions -> qualified
y1  9 events                    yes  (none)     B
y1  3 events                    no   search     B       B: 9 key actions -> not
z1  1 event                     yes  export     C
x1  5 events in February        yes  (none)     A       A: 5 in February -> not

invites: four sent in January (two accepted, one of them in February), one in February.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import metricsmith
import numpy as np
import pyarrow as pa
import pytest
from metricsmith.errors import QueryError
from metricsmith.registry import build_registry

STAMP = pa.timestamp("us", tz="UTC")

PROJECT = """
calendar { timezone "UTC" }
include "plg"

source users from csv("users.csv") { key user_id  time signed_up_at }
source product_events from csv("events.csv") { time occurred_at }
source invites from csv("invites.csv") { time sent_at }
"""
SPANS_ONLY = """
source spans from csv("spans.csv") { key id }

metric business_days = sum(business_days_between(spans.a, spans.b))
metric fewest_business_days = min(business_days_between(spans.a, spans.b))
"""


def day(month: int, date: int) -> dt.datetime:
    return dt.datetime(2024, month, date, tzinfo=dt.UTC)


USERS = [  # user, signed up, activated, first value
    ("u1", day(1, 1), day(1, 3), day(1, 2)),
    ("u2", day(1, 5), day(1, 12), day(1, 8)),
    ("u3", day(1, 6), day(1, 20), day(1, 15)),
    ("u4", day(1, 10), None, None),
    ("u5", day(2, 1), day(2, 2), day(2, 1)),
]
EVENTS = [  # (user, account, feature, key action, month, how many)
    ("x1", "A", "search", True, 1, 6),
    ("x2", "A", "export", True, 1, 4),
    ("y1", "B", None, True, 1, 9),
    ("y1", "B", "search", False, 1, 3),
    ("z1", "C", "export", True, 1, 1),
    ("x1", "A", None, True, 2, 5),
]
INVITES = [  # inviter, sent, accepted
    ("u1", day(1, 2), day(1, 4)),
    ("u1", day(1, 3), None),
    ("u2", day(1, 20), day(2, 3)),
    ("u3", day(1, 21), None),
    ("u5", day(2, 5), None),
]
SPANS = [  # start, end, business days from start up to end
    (dt.date(2024, 1, 1), dt.date(2024, 1, 15), 10),  # two whole weeks
    (dt.date(2024, 1, 6), dt.date(2024, 1, 7), 0),  # a weekend
    (dt.date(2024, 1, 12), dt.date(2024, 1, 8), -4),  # backwards: Mon to Thu
    (dt.date(2024, 1, 3), dt.date(2024, 1, 3), 0),
    (dt.date(2024, 1, 5), None, None),
]


def _events() -> pa.Table:
    rows = [
        {
            "user_id": user,
            "account_id": account,
            "feature": feature,
            "key_action": key,
            "occurred_at": day(month, 1 + n),
        }
        for user, account, feature, key, month, count in EVENTS
        for n in range(count)
    ]
    return pa.Table.from_pylist(rows)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> metricsmith.Project:
    folder = tmp_path_factory.mktemp("plg")
    (folder / "project.metrics").write_text(PROJECT + SPANS_ONLY)
    users = pa.table(
        {
            "user_id": [u[0] for u in USERS],
            "signed_up_at": pa.array([u[1] for u in USERS], STAMP),
            "activated_at": pa.array([u[2] for u in USERS], STAMP),
            "first_value_at": pa.array([u[3] for u in USERS], STAMP),
        }
    )
    invites = pa.table(
        {
            "inviter_id": [i[0] for i in INVITES],
            "sent_at": pa.array([i[1] for i in INVITES], STAMP),
            "accepted_at": pa.array([i[2] for i in INVITES], STAMP),
        }
    )
    spans = pa.table(
        {
            "id": list(range(len(SPANS))),
            "a": pa.array([s[0] for s in SPANS], pa.date32()),
            "b": pa.array([s[1] for s in SPANS], pa.date32()),
        }
    )
    tables = {"users": users, "product_events": _events(), "invites": invites, "spans": spans}
    return metricsmith.load_project(folder, tables=tables)


def _months(project, metrics, engine, **query) -> list[dict]:
    return project.query(
        metrics, grain="month", start="2024-01", end="2024-03", engine=engine, **query
    ).to_pylist()


def test_activation_and_time_to_value_by_sign_up_month(project, engine: str) -> None:
    metrics = [
        "user_signups",
        "activated_users_7d",
        "user_activation_rate_7d",
        "time_to_value_days",
        "time_to_value_business_days",
    ]
    jan, feb = _months(project, metrics, engine)
    assert [jan[m] for m in metrics] == [4, 2, 0.5, 3.0, 1.0]
    assert [feb[m] for m in metrics] == [1, 1, 1.0, 0.0, 0.0]
    # Over both months: the medians of 1, 3, 9, 0 days and of 1, 1, 5, 0 business days.
    both = project.query(metrics, start="2024-01", end="2024-03", engine=engine).to_pylist()
    assert [both[0][m] for m in metrics] == [5, 3, 0.6, 2.0, 1.0]


def test_product_qualified_accounts_count_key_actions_in_the_period(project, engine) -> None:
    metrics = ["key_action_accounts", "product_qualified_accounts", "pqa_rate"]
    jan, feb = _months(project, metrics, engine)
    # A's 10 key actions qualify it; B's 3 events that are not key actions do not count.
    assert [jan[m] for m in metrics] == [3, 1, pytest.approx(1 / 3)]
    assert [feb[m] for m in metrics] == [1, 0, 0.0]


def test_feature_adoption_counts_users_with_three_uses(project, engine: str) -> None:
    metrics = ["product_active_users", "feature_adopters_3x", "feature_adoption_rate_3x"]
    jan, feb = _months(project, metrics, engine)
    assert [jan[m] for m in metrics] == [4, 3, 0.75]  # x1, x2, y1 of x1, x2, y1, z1
    assert [feb[m] for m in metrics] == [1, 0, 0.0]
    rows = project.query(
        metrics, start="2024-01", end="2024-02", by=["product_events.feature"], engine=engine
    ).to_pylist()
    by_feature = {r["product_events.feature"]: r for r in rows if r["product_events.feature"]}
    assert by_feature["search"]["feature_adoption_rate_3x"] == 1.0  # x1 (6) and y1 (3)
    assert by_feature["export"]["feature_adoption_rate_3x"] == 0.5  # x2 (4), not z1 (1)


def test_viral_coefficient_is_invites_per_sign_up_times_conversion(project, engine) -> None:
    metrics = ["invites_sent", "accepted_invites", "invite_conversion_rate", "k_factor"]
    jan, feb = _months(project, metrics, engine)
    assert [jan[m] for m in metrics] == [4, 2, 0.5, 0.5]  # 4 invites / 4 sign-ups * 50%
    assert [feb[m] for m in metrics] == [1, 0, 0.0, 0.0]


@pytest.mark.engines("arrow", "duckdb", "postgres")
def test_business_days_between_counts_weekdays_up_to_the_end(project, engine: str) -> None:
    (row,) = project.query(["business_days", "fewest_business_days"], engine=engine).to_pylist()
    assert row == {"business_days": 6, "fewest_business_days": -4}


@pytest.mark.engines("arrow", "duckdb", "postgres")
def test_business_days_between_agrees_with_numpy_on_every_weekday(tmp_path, engine) -> None:
    starts = np.datetime64("2024-01-01") + np.repeat(np.arange(14), 15)
    ends = np.datetime64("2024-01-01") + np.tile(np.arange(-3, 27, 2), 14)
    spans = pa.table({"id": np.arange(len(starts)), "a": starts, "b": ends})
    (tmp_path / "p.metrics").write_text(SPANS_ONLY)
    project = metricsmith.load_project(tmp_path, tables={"spans": spans})
    rows = project.query(["business_days"], by=["spans.id"], engine=engine).to_pylist()
    forward = np.busday_count(np.minimum(starts, ends), np.maximum(starts, ends))
    expected = np.where(ends < starts, -forward, forward)
    assert {r["spans.id"]: r["business_days"] for r in rows} == dict(enumerate(expected.tolist()))


def test_count_at_least_needs_a_whole_threshold_of_one_or_more(tmp_path, engine) -> None:
    (tmp_path / "p.metrics").write_text(
        'source e from csv("e.csv") { column u: string }\nmetric m = count_at_least(e.u, 0.5)\n'
    )
    project = metricsmith.load_project(tmp_path, tables={"e": pa.table({"u": ["a"]})})
    with pytest.raises(QueryError, match=r"whole number of rows of at least 1, not 0\.5"):
        project.query(["m"], engine=engine)


def test_the_pack_refuses_the_sql_it_cannot_write(project) -> None:
    with pytest.raises(QueryError, match=r"count_at_least.*postgres.*histogram"):
        project.explain(["product_qualified_accounts"], dialect="postgres")


def test_the_pack_is_a_versioned_plugin_with_its_library() -> None:
    registry = build_registry()
    (info,) = [p for p in registry.plugins if p.name == "plg"]
    assert (info.distribution, info.version) == ("metricsmith-plg", "0.1.0")
    (library,) = [Path(x) for x in registry.libraries if Path(x).name == "plg"]
    assert sorted(p.name for p in library.glob("*.metrics")) == [
        "activation.metrics",
        "adoption.metrics",
        "qualification.metrics",
        "virality.metrics",
    ]
