"""The working calendar (工作日历): which days are working days, and arithmetic on them.

Statutory holidays are off and make-up working days (调休) are on. The
mainland schedule for a year is published late in the year before, so a
year's data comes from one of three sources, the first that has it:

1. the operator, who sets the year through the API (`YearCalendar` values
   the service loads and hands to the domain: the domain does no I/O);
2. the bundled `chinesecalendar` library (2004-2026 in 1.11.0);
3. neither: Monday to Friday are working days (`source` "weekdays").

A `WorkingCalendar` is an immutable value: the operator's years over the
library's. Every deadline is computed with the calendar the use case passes
in. All calendar days are days in Asia/Shanghai.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

from .enums import WireEnum

logger = logging.getLogger(__name__)

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
"""The time zone in which calendar days (and so deadlines) are reckoned."""

END_OF_DAY = dt.time(23, 59, 59)

CALENDAR_YEARS = range(2000, 2100)
"""The years an operator may set (and a deadline may fall in)."""

SATURDAY, SUNDAY = 5, 6

_warned_years: set[int] = set()
"""Years for which the Monday-Friday fallback has already been logged."""


class CalendarSource(WireEnum):
    """Where a year's holidays and make-up working days come from."""

    OPERATOR = "operator"
    LIBRARY = "library"
    WEEKDAYS = "weekdays"


def is_weekend(day: dt.date) -> bool:
    return day.weekday() in (SATURDAY, SUNDAY)


class InvalidYear(ValueError):
    """A year's lists break a rule of §10; `field` names the list (`holidays[2]`)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class YearCalendar:
    """One year's exceptions to Monday-Friday: `holidays` are days off that would otherwise be
    working days (weekdays), `workdays` the weekend days that are working days (调休)."""

    year: int
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    source: CalendarSource = CalendarSource.WEEKDAYS
    updated_at: dt.datetime | None = None
    updated_by: str | None = None

    @classmethod
    def set_by_operator(cls, year: int, holidays: Iterable[dt.date], workdays: Iterable[dt.date],
                        at: dt.datetime, by: str) -> YearCalendar:
        """The year an operator sets, checked against every rule of §10 (`InvalidYear`)."""
        if year not in CALENDAR_YEARS:
            raise InvalidYear("year", f"must be from {CALENDAR_YEARS.start} to {CALENDAR_YEARS.stop - 1}")
        holidays, workdays = list(holidays), list(workdays)
        for name, days in (("holidays", holidays), ("workdays", workdays)):
            seen: set[dt.date] = set()
            for index, day in enumerate(days):
                where = f"{name}[{index}]"
                if day.year != year:
                    raise InvalidYear(where, f"{day.isoformat()} is not in {year}")
                if day in seen:
                    raise InvalidYear(where, f"{day.isoformat()} is listed twice")
                seen.add(day)
        for index, day in enumerate(workdays):
            if not is_weekend(day):
                raise InvalidYear(f"workdays[{index}]",
                                  f"{day.isoformat()} is not a Saturday or Sunday: weekdays are working days already")
        both = set(holidays) & set(workdays)
        if both:
            index = next(i for i, day in enumerate(workdays) if day in both)
            raise InvalidYear(f"workdays[{index}]", f"{workdays[index].isoformat()} is also listed as a holiday")
        return cls(year, frozenset(holidays), frozenset(workdays), CalendarSource.OPERATOR, at, by)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return not is_weekend(day) and day not in self.holidays


@lru_cache(maxsize=None)
def library_year(year: int) -> YearCalendar:
    """The year as the bundled library has it, or Monday-Friday where it has no data."""
    holidays = frozenset(d for d in chinese_calendar.holidays if d.year == year and not is_weekend(d))
    workdays = frozenset(d for d in chinese_calendar.workdays if d.year == year and is_weekend(d))
    if not holidays and not workdays:
        return YearCalendar(year)
    return YearCalendar(year, holidays, workdays, CalendarSource.LIBRARY)


@lru_cache(maxsize=None)
def library_last_year() -> int:
    """The last year the bundled library has data for (read once: `/v1/meta` asks every call)."""
    return max(chinese_calendar.holidays).year


@dataclass(frozen=True)
class WorkingCalendar:
    """The calendar every deadline is computed on: the operator's years over the library's."""

    operator_years: Mapping[int, YearCalendar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "operator_years", MappingProxyType(dict(self.operator_years)))

    def year(self, year: int) -> YearCalendar:
        operator = self.operator_years.get(year)
        return operator if operator is not None else library_year(year)

    def with_year(self, year: YearCalendar) -> WorkingCalendar:
        return WorkingCalendar({**self.operator_years, year.year: year})

    def is_working_day(self, day: dt.date) -> bool:
        """Whether `day` is a working day (工作日)."""
        year = self.year(day.year)
        if year.source is CalendarSource.WEEKDAYS and day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning("no holiday data for year %d; counting Monday-Friday as working days", day.year)
        return year.is_working_day(day)

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The `n`th working day after `day` (`day` itself is not counted; n >= 1)."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        while n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """The working days d with first <= d < last (0 when last <= first)."""
        return sum(self.is_working_day(first + dt.timedelta(days=i)) for i in range((last - first).days))

    def end_of_nth_working_day_after(self, moment: dt.datetime, n: int) -> dt.datetime:
        """The end (23:59:59) of the `n`th working day after the Asia/Shanghai day of `moment`."""
        return end_of_day(self.add_working_days(business_day(moment), n))

    def covered_until(self) -> dt.date:
        """The last day of the last year with operator or library data (§10 `covered_until`)."""
        return dt.date(max([*self.operator_years, library_last_year()]), 12, 31)

    def covered_through(self, today: dt.date) -> dt.date | None:
        """The last day of the unbroken run of years with data from `today`'s year on: the
        calendar can be trusted up to this day. None when `today`'s year has no data."""
        year = today.year
        while year in CALENDAR_YEARS and self.year(year).source is not CalendarSource.WEEKDAYS:
            year += 1
        return dt.date(year - 1, 12, 31) if year > today.year else None


LIBRARY_CALENDAR = WorkingCalendar()
"""The calendar with no operator years: the library's data, Monday-Friday beyond it."""


def business_day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar day of a tz-aware `moment`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(BUSINESS_TZ).date()


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00 Asia/Shanghai on `day`, tz-aware."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=BUSINESS_TZ)


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 Asia/Shanghai on `day`, tz-aware."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=BUSINESS_TZ)


def rfc3339(moment: dt.datetime | None) -> str | None:
    """Times go out in the business time zone, with offset: 2026-11-22T10:00:00+08:00."""
    return moment.astimezone(BUSINESS_TZ).isoformat(timespec="seconds") if moment else None


_STORED_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)")
"""A moment as event details and letters have stored it (`isoformat()`: UTC, with microseconds)."""


def _is_time_field(key: Any) -> bool:
    return isinstance(key, str) and (key == "at" or key.endswith("_at"))


def business_times(value: Any) -> Any:
    """A JSON value with every moment under an `at` or `…_at` key rendered as `rfc3339` does
    (+08:00, to the second), however it was stored; other values, free text among them, as they are."""
    if isinstance(value, dict):
        return {key: _business_time(item) if _is_time_field(key) else business_times(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [business_times(item) for item in value]
    return value


def _business_time(value: Any) -> Any:
    if isinstance(value, str) and _STORED_MOMENT.fullmatch(value):
        return rfc3339(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    return business_times(value)
