""" "Did you mean" suggestions for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6
CLOSE = 0.05


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidates, or None when nothing is close."""
    pool = sorted(set(candidates))
    scored = sorted(
        ((difflib.SequenceMatcher(None, name, c).ratio(), c) for c in pool), reverse=True
    )
    # Offer the best match, and others only when they are about as close.
    best = scored[0][0] if scored else 0.0
    matches = [c for score, c in scored[:3] if score >= max(CUTOFF, best - CLOSE)]
    if not matches:
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            matches = [lowered[name.lower()]]
    if not matches:
        return None
    quoted = " or ".join(f"`{m}`" for m in matches)
    return f"did you mean {quoted}?"
