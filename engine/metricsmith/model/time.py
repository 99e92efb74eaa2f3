"""Time in the language: the grains periods are cut by, and the kinds of window.

Both are `StrEnum`s: a member is its spelling (`Grain.MONTH == "month"`), so the user-visible
words, messages and comparisons with text keep working.
"""

from __future__ import annotations

from enum import StrEnum


class Grain(StrEnum):
    """A period length, finest first: the order is what `finer_or_equal` compares. A new
    grain goes here in its place, then into the calendar arithmetic (plan/periods.py: where a
    period starts, the next one, how many make a year) and into SQL's truncation to a period
    (execute/sql/scalar_functions.py)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    def finer_or_equal(self, than: Grain) -> bool:
        return GRAINS.index(self) <= GRAINS.index(than)


#: The grains in order, finest first; their spellings, for membership tests on text.
GRAINS: tuple[Grain, ...] = tuple(Grain)
#: The grains `per <grain>` iterates over inside a period: all but the longest.
SUB_PERIODS: tuple[Grain, ...] = GRAINS[:-1]


class WindowKind(StrEnum):
    """`over last N units`, `over <unit> to date`, `over all time`."""

    LAST = "last"
    TO_DATE = "to_date"
    ALL_TIME = "all_time"
