"""PostgreSQL for metricsmith: the `postgres` engine and the `postgres(...)` connector."""
