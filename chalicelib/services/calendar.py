"""The working calendar (工作日历, §10): operators keep the holidays and make-up working days
of each year current; every deadline computed after a change uses it."""

from __future__ import annotations

import datetime as dt

from ..domain.access import Principal
from ..domain.calendar import CALENDAR_YEARS, InvalidYear, WorkingCalendar, YearCalendar
from ..observability import logger
from .commands import CalendarYear
from .errors import Unprocessable
from .ports import CalendarStore, Clock

COVERAGE_METRIC = "CalendarDaysCovered"
"""Days from today to the end of the calendar's unbroken data (0 when this year has none)."""


def parse_year(text: str) -> int:
    """The `{year}` of the path: four digits within the years the calendar keeps (422 otherwise)."""
    if not (len(text) == 4 and text.isascii() and text.isdigit()) or int(text) not in CALENDAR_YEARS:
        raise Unprocessable.field("year", f"must be a year from {CALENDAR_YEARS.start} to {CALENDAR_YEARS.stop - 1}")
    return int(text)


def days_covered(calendar: WorkingCalendar, today: dt.date) -> int:
    """How many days after `today` the calendar's data reaches without a gap."""
    through = calendar.covered_through(today)
    return (through - today).days if through is not None else 0


class CalendarService:
    def __init__(self, store: CalendarStore, clock: Clock):
        self._store = store
        self._clock = clock

    def year(self, year: int) -> YearCalendar:
        return self._store.calendar().year(year)

    def set_year(self, year: int, command: CalendarYear, principal: Principal) -> YearCalendar:
        try:
            entry = YearCalendar.set_by_operator(year, command.holidays, command.workdays, self._clock(),
                                                 principal.actor)
        except InvalidYear as exc:
            raise Unprocessable.field(exc.field, exc.message) from None
        self._store.save_year(entry)
        logger.info("calendar year set", extra={"year": year, "holidays": len(entry.holidays),
                                                "workdays": len(entry.workdays), "by": principal.actor})
        return entry

    def covered_until(self) -> dt.date:
        return self._store.calendar().covered_until()
