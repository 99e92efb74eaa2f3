"""What the SQL compiler and its runners raise."""

from __future__ import annotations

from metricsmith.errors import QueryError


class UnsupportedConstruct(QueryError):
    """A query uses something the SQL compiler cannot express in the chosen dialect. Raised
    at compile time, before any SQL runs: metricsmith never emits SQL it knows to be wrong."""

    def __init__(self, construct: str, dialect: str, reason: str, hint: str | None = None):
        self.construct = construct
        self.dialect = dialect
        self.reason = reason
        super().__init__(
            f"cannot compile {construct} to {dialect} SQL: {reason}",
            hint=hint or "run the query with --engine arrow, which computes every construct",
        )
