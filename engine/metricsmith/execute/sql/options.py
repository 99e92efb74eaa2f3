"""Options of the engines, importable without loading any engine."""

from __future__ import annotations

from attrs import frozen


@frozen(kw_only=True)
class SparkOptions:
    """Where to run: a session, a Spark Connect URL, or a local master."""

    session: object | None = None
    remote: str | None = None
    master: str = "local[*]"


#: A local session (`local[*]`), or the one already active in the process.
DEFAULT_SPARK = SparkOptions()
