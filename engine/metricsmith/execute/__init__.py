"""Backends that run a logical plan; `arrow` is the embedded default."""
