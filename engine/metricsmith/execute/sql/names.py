"""The engines and SQL dialects by name, importable without loading sqlglot or any engine
(the command line builds its options from them)."""

ENGINES = ("arrow", "duckdb", "spark")
#: Dialects metricsmith runs itself, then those it only renders.
DIALECT_NAMES = ("duckdb", "spark", "postgres", "trino", "bigquery", "snowflake")


def source_cte(source: str) -> str:
    """The name of the common table expression reading a source."""
    return f"src_{source}"


def scan_cte(index: int) -> str:
    return f"scan_{index}"


def dimension_column(index: int) -> str:
    return f"d{index}"
