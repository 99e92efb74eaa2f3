"""First-contact resolution, on a hand-made ticket table."""

from __future__ import annotations

import pyarrow as pa
import pytest
from case_support import TIMESTAMP, at, load_case, stamps, whole_table

pytestmark = pytest.mark.engines("arrow", "duckdb", "spark", "postgres")

FCR_METRICS = [
    "first_contact_resolution",
    "first_contact_resolution_pct",
    "resolved_in_one_contact",
]


def tickets(contacts: list[int], resolved: list[bool]) -> pa.Table:
    return pa.table(
        {
            "opened_at": stamps(len(contacts)),
            "resolved_at": pa.array([at(2) if r else None for r in resolved], TIMESTAMP),
            "contacts": pa.array(contacts, pa.int64()),
        }
    )


def test_first_contact_resolution(engine: str) -> None:
    # 6 resolved in one contact, 2 resolved after more, 2 still open (one after a single contact).
    table = tickets(
        contacts=[1, 1, 1, 1, 1, 1, 2, 3, 1, 2],
        resolved=[True] * 8 + [False] * 2,
    )
    row = whole_table(load_case("support.metrics", tickets=table), FCR_METRICS, engine=engine)
    assert row["resolved_in_one_contact"] == 6
    assert row["first_contact_resolution"] == pytest.approx(6 / 8)  # of resolved tickets
    assert row["first_contact_resolution_pct"] == pytest.approx(60.0)  # of all cases, x 100


def test_first_contact_resolution_without_resolved_tickets_is_null(engine: str) -> None:
    table = tickets(contacts=[1, 2], resolved=[False, False])
    row = whole_table(load_case("support.metrics", tickets=table), FCR_METRICS, engine=engine)
    assert row["resolved_in_one_contact"] == 0
    assert row["first_contact_resolution"] is None
    assert row["first_contact_resolution_pct"] == 0.0
