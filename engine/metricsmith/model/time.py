"""Time in the language: the grains periods are cut by, the calendar rules that cut and name
them, and the kinds of window.

The enums are `StrEnum`s: a member is its spelling (`Grain.MONTH == "month"`), so the
user-visible words, messages and comparisons with text keep working.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from attrs import frozen


class Grain(StrEnum):
    """A period length. A new grain goes here, into `_LENGTH`, then into the calendar
    arithmetic (plan/periods.py: where a period starts, the next one, how many make a year)
    and into SQL's truncation to a period (execute/sql/scalar_functions.py).

    The fiscal grains are the calendar's quarter and year shifted by the month its fiscal
    year starts in (`calendar { fiscal_year_start april }`); with the default, January, they
    are the calendar quarter and year under another name."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    FISCAL_QUARTER = "fiscal_quarter"
    FISCAL_YEAR = "fiscal_year"

    @property
    def fiscal(self) -> bool:
        return self in FISCAL_GRAINS

    def finer_or_equal(self, than: Grain) -> bool:
        """Whether periods of this grain can split periods of `than`: the same grain, or a
        strictly shorter one. A shorter period straddling a longer one's boundary is cut there
        (a week inside months, a calendar quarter inside fiscal years starting in February).
        A calendar quarter and a fiscal quarter (or year and fiscal year) are equally long
        but start at other months, so neither splits the other."""
        return self is than or _LENGTH[self] < _LENGTH[than]


#: How long a grain's periods are, in ranks: what `finer_or_equal` compares.
_LENGTH = {
    Grain.DAY: 0,
    Grain.WEEK: 1,
    Grain.MONTH: 2,
    Grain.QUARTER: 3,
    Grain.FISCAL_QUARTER: 3,
    Grain.YEAR: 4,
    Grain.FISCAL_YEAR: 4,
}

#: Every grain; their spellings, for membership tests on text.
GRAINS: tuple[Grain, ...] = tuple(Grain)
#: The grains cut by the calendar's fiscal year.
FISCAL_GRAINS: tuple[Grain, ...] = (Grain.FISCAL_QUARTER, Grain.FISCAL_YEAR)
#: The grains `per <grain>` iterates over inside a period: all but the years.
SUB_PERIODS: tuple[Grain, ...] = tuple(g for g in GRAINS if _LENGTH[g] < _LENGTH[Grain.YEAR])

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


class FiscalLabel(StrEnum):
    """Which calendar year names a fiscal year: the one it ends in (Apr 2024–Mar 2025 is
    FY2025, the common convention) or the one it starts in (FY2024)."""

    ENDING = "ending"
    STARTING = "starting"


@frozen
class CalendarRules:
    """How a calendar cuts and names periods, besides its time zone: the weekday its weeks
    start on (0 = Monday ... 6 = Sunday, as `datetime.weekday()` counts), the month its fiscal
    years start in (1 = January: fiscal years are calendar years) and how fiscal years are
    named."""

    week_start: int = 0
    fiscal_start: int = 1
    fiscal_label: FiscalLabel = FiscalLabel.ENDING

    def month_shift(self, grain: Grain) -> int:
        """How many months after January the grain's periods are aligned to."""
        return self.fiscal_start - 1 if grain.fiscal else 0

    def fiscal_year(self, day: dt.date) -> int:
        """The number of the fiscal year containing `day` (2025 for FY2025)."""
        starts_in = day.year if day.month >= self.fiscal_start else day.year - 1
        ends_later = self.fiscal_start != 1 and self.fiscal_label is FiscalLabel.ENDING
        return starts_in + 1 if ends_later else starts_in

    def fiscal_quarter(self, day: dt.date) -> int:
        """1 to 4: the quarter of its fiscal year `day` falls in."""
        return (day.month - self.fiscal_start) % 12 // 3 + 1


#: A calendar without a `calendar` declaration's rules: weeks from Monday, fiscal years that
#: are calendar years.
DEFAULT_RULES = CalendarRules()


class WindowKind(StrEnum):
    """`over last N units`, `over <unit> to date`, `over all time`."""

    LAST = "last"
    TO_DATE = "to_date"
    ALL_TIME = "all_time"
