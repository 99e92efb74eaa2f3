"""The SQL dialects by name, importable without loading sqlglot or any engine (the command
line builds its options from them), and the names of the generated query's common table
expressions and columns."""

from __future__ import annotations

#: Dialects metricsmith runs itself, then those it only renders.
DIALECT_NAMES = ("duckdb", "spark", "postgres", "trino", "bigquery", "snowflake")

#: The column holding each cell's entity at a per-entity level.
ENTITY = "entity"
#: Whether a cell's entity belongs to the cell's entity set (per-entity levels).
IN_SET = "in_set"
#: Whether a combined sub-period group saw its entity (an identifier) in its rows.
SEEN = "seen"
#: The period (of the level) each cell's cohort falls in.
COHORT_PERIOD = "cohort_period"


def source_cte(source: str) -> str:
    """The name of the common table expression reading a source."""
    return f"src_{source}"


def dimension_column(index: int) -> str:
    return f"d{index}"


def first_count_column(count: str) -> str:
    """The member's column holding the first period its running count `count` is above 0."""
    return f"first_{count}"


class LevelNames:
    """The common table expressions of one level: the query's own level has plain names
    (`spine`, `scan_0`, `cells`, `results`), the levels below it numbered prefixes."""

    def __init__(self, number: int):
        self.prefix = f"l{number}_" if number else ""

    @property
    def spine(self) -> str:
        return f"{self.prefix}spine"

    def scan(self, index: int) -> str:
        return f"{self.prefix}scan_{index}"

    def scan_rows(self, index: int) -> str:
        """A pass's rows with the range of periods each counts in (ranges.py)."""
        return f"{self.prefix}scan_{index}_rows"

    def openings(self, index: int) -> str:
        """Per member, what a pass's running columns add in the level's first period."""
        return f"{self.prefix}scan_{index}_openings"

    @property
    def members(self) -> str:
        return f"{self.prefix}members"

    @property
    def member_rows(self) -> str:
        """The members' rows before they are grouped (members.py `grouped_members`)."""
        return f"{self.prefix}member_rows"

    @property
    def shown_members(self) -> str:
        """The keys of the shown cohorts' members, which the level's scans keep."""
        return f"{self.prefix}shown_members"

    @property
    def first_changes(self) -> str:
        """Where each member's running totals first change."""
        return f"{self.prefix}first_changes"

    @property
    def combos(self) -> str:
        return f"{self.prefix}combos"

    @property
    def cells(self) -> str:
        return f"{self.prefix}cells"

    def stage(self, depth: int) -> str:
        """The cells with the offsets nested `depth` deep computed."""
        return f"{self.prefix}offsets_{depth}"

    def starts(self, depth: int) -> str:
        """Per unit, the values `cohort_start(...)` reads at stage `depth`: those of the
        unit's cell in its cohort's period."""
        return f"{self.prefix}starts_{depth}"

    @property
    def results(self) -> str:
        return f"{self.prefix}results"

    @property
    def per(self) -> str:
        """This level's values combined into its parent's cells."""
        return f"{self.prefix}per"
