"""Project-wide rules. Each module holds one rule; each returns diagnostics, never raises."""
