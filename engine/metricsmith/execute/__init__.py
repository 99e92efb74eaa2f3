"""Backends that run a logical plan (`arrow`, the embedded default; `sql`, for DuckDB and
Spark), and above them the choice of engine by name (`engines`) and the data warnings every
engine issues alike."""
