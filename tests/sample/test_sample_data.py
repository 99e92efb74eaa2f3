"""The sample data and its independent oracle, checked without running metricsmith.

These pin the committed CSVs (they are what the generator makes, they are consistent, and the
oracle computes the pinned values from them) so that the engine tests in test_sample_metrics.py
compare against something known to be right.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from metricsmith_customer_success import LIBRARY
from sample_expected import PINNED, PINNED_CELLS, pinned
from sample_oracle import (
    DATA_DIR,
    METRICS,
    SAMPLE_DIR,
    expected,
    read_csv,
    sample_data,
    utc,
)

CSV_NAMES = ("accounts", "users", "events", "tickets", "nps_responses", "csat_responses")


LIBRARY_DIR = LIBRARY
#: Metrics the sample once defined itself and now takes from the customer-success library it
#: includes; the library's formulas are the same, so are the pinned values.
FROM_LIBRARY = (
    "nps_responses",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "promoter_share",
    "detractor_share",
    "avg_nps_score",
    "csat",
    "csat_responses",
    "csat_pct",
    "tickets_opened",
    "tickets_resolved",
    "first_contact_resolution",
    "avg_resolution_hours_of_resolved",
    "median_resolution_hours_of_resolved",
    "avg_first_response_hours",
    "active_users",
    "active_accounts",
    "signups",
)


def defined_metric_names(folder: Path) -> set[str]:
    """Metric names declared in a folder's .metrics files, read with a plain regex."""
    declaration = re.compile(r"^metric\s+([A-Za-z_]\w*)", re.MULTILINE)
    return {
        name
        for path in folder.glob("*.metrics")
        for name in declaration.findall(path.read_text(encoding="utf-8"))
    }


def load_generator():
    spec = importlib.util.spec_from_file_location("generate_data", SAMPLE_DIR / "generate_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_csvs_are_what_the_generator_makes(tmp_path: Path) -> None:
    load_generator().generate(tmp_path)
    for name in CSV_NAMES:
        fresh = (tmp_path / f"{name}.csv").read_bytes()
        assert fresh == (DATA_DIR / f"{name}.csv").read_bytes(), f"{name}.csv is stale"


def test_sample_data_stays_small() -> None:
    total = sum((DATA_DIR / f"{name}.csv").stat().st_size for name in CSV_NAMES)
    assert total < 1_500_000


def test_sample_data_has_the_promised_shape() -> None:
    data = sample_data()
    assert len(data.accounts) == 200
    assert {a.segment for a in data.accounts.values()} == {"SMB", "Mid-market", "Enterprise"}
    assert len(data.events) > 2_000
    assert 800 <= len(data.tickets) <= 1_200
    signups = [a.signed_up_at for a in data.accounts.values()]
    # The range reaches a little past both ends of 2024, to exercise range boundaries.
    assert min(signups) < utc(2024) and max(signups) >= utc(2025)
    assert any(r.score is None for r in data.nps) and any(r.score is None for r in data.csat)
    assert any(t.resolved_at is None for t in data.tickets.values())
    assert any(t.first_response_at is None for t in data.tickets.values())


def test_sample_rows_are_consistent() -> None:
    data = sample_data()
    for ticket in data.tickets.values():
        assert ticket.opened_at <= (ticket.first_response_at or ticket.opened_at)
        if ticket.resolved_at is not None:
            assert ticket.first_response_at is not None
            assert ticket.first_response_at <= ticket.resolved_at
    for response in data.csat:
        assert response.ticket.resolved_at is not None
        assert response.ticket.resolved_at <= response.responded_at
    assert all(0 <= r.score <= 10 for r in data.nps if r.score is not None)
    assert all(1 <= r.score <= 5 for r in data.csat if r.score is not None)
    assert all(u.account.signed_up_at <= u.created_at for u in data.users)


def test_csat_account_column_matches_the_ticket_it_rates() -> None:
    """The CSAT file carries account_id too; the sample reaches accounts through the ticket,
    which must give the same account."""
    tickets = sample_data().tickets
    for row in read_csv("csat_responses"):
        assert tickets[row["ticket_id"]].account.account_id == row["account_id"]


def test_every_sample_metric_has_an_oracle_and_a_pin() -> None:
    own, library = defined_metric_names(SAMPLE_DIR), defined_metric_names(LIBRARY_DIR)
    assert 'include "customer_success"' in (SAMPLE_DIR / "sources.metrics").read_text()
    assert set(FROM_LIBRARY) <= library
    assert own.isdisjoint(library), "the sample redefines a library metric"
    assert own | set(FROM_LIBRARY) == set(METRICS)
    assert set(PINNED) == set(METRICS)


@pytest.mark.parametrize("cell_name", list(PINNED_CELLS))
@pytest.mark.parametrize("metric", sorted(METRICS))
def test_oracle_reproduces_the_pinned_values(metric: str, cell_name: str) -> None:
    assert expected(metric, PINNED_CELLS[cell_name]) == pytest.approx(
        pinned(metric, cell_name), rel=1e-9
    )
