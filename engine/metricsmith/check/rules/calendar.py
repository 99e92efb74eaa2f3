"""Rule: at most one calendar, with a real time zone, week start and fiscal year."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence

from metricsmith.check.checked import WEEKDAYS, Calendar
from metricsmith.check.suggest import did_you_mean
from metricsmith.errors import Diagnostic
from metricsmith.model.decl import CalendarDecl, Ident
from metricsmith.model.time import MONTHS, FiscalLabel


def check_calendar(decls: Sequence[CalendarDecl]) -> tuple[Calendar, list[Diagnostic]]:
    found = [
        Diagnostic(
            code="duplicate-calendar",
            message=f"a second calendar; the first is at {decls[0].span}",
            span=extra.span,
            hint="a project has one calendar; remove one of them",
        )
        for extra in decls[1:]
    ]
    if not decls:
        return Calendar(), found
    decl = decls[0]
    timezone, week_start = decl.timezone, decl.week_start
    # OSError: zoneinfo looks the name up as a file, and a long one is "file name too long".
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        hint = did_you_mean(timezone, zoneinfo.available_timezones())
        found.append(
            Diagnostic(
                code="bad-calendar",
                message=f"unknown time zone `{timezone}`",
                span=decl.span,
                hint=hint or 'use an IANA name such as "Europe/Berlin" or "UTC"',
            )
        )
        timezone = "UTC"
    if week_start not in WEEKDAYS:
        found.append(
            Diagnostic(
                code="bad-calendar",
                message=f"`{week_start}` is not a day of the week",
                span=decl.span,
                hint=did_you_mean(week_start, WEEKDAYS) or "use monday ... sunday",
            )
        )
        week_start = "monday"
    fiscal_start = _choice(decl.fiscal_year_start, MONTHS, "a month", found)
    label = _choice(decl.fiscal_year_label, tuple(FiscalLabel), "a fiscal year label", found)
    calendar = Calendar(
        timezone=timezone,
        week_start=week_start,
        fiscal_year_start=fiscal_start or "january",
        fiscal_year_label=FiscalLabel(label or FiscalLabel.ENDING),
    )
    return calendar, found


def _choice(
    word: Ident | None, choices: Sequence[str], what: str, found: list[Diagnostic]
) -> str | None:
    """The word, in lower case, if it is one of the choices; None when it is not written or
    not one of them (then with a problem at the word)."""
    if word is None:
        return None
    name = word.name.lower()
    if name in choices:
        return name
    found.append(
        Diagnostic(
            code="bad-calendar",
            message=f"`{word.name}` is not {what}",
            span=word.span,
            hint=did_you_mean(name, choices) or f"use one of {', '.join(choices)}",
        )
    )
    return None
