"""A few hundred cases of the fuzzing campaign (benchmarks/fuzz_campaign.py): the sample
project and the library, one file mutated per case, each run with a deadline. None may end in
an internal error, a disagreement between Arrow and DuckDB, or a hang.
"""

from __future__ import annotations

from fuzz_campaign import FAILURES, campaign

CASES, SEED, DEADLINE = 300, 10, 30.0


def test_no_internal_error_disagreement_or_hang():
    found = [case for case in campaign(CASES, SEED, DEADLINE) if case.outcome.kind in FAILURES]
    failures = [f"#{c.number} {c.file} ({c.mutation}): {c.outcome.kind} {c.outcome.site}"
                f" {c.outcome.detail[:300]}" for c in found]  # fmt: skip
    assert not failures, "\n".join(failures)
