"""Working-day arithmetic (工作日) on the mainland China calendar.

Statutory holidays are off and make-up working days (调休) are on, as the
`chinesecalendar` package records them. Its data covers 2004-2026 only;
outside that range the calendar falls back to Monday-Friday and logs a
warning once per year. All calendar days are days in Asia/Shanghai.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

logger = logging.getLogger(__name__)

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
"""The time zone in which calendar days (and so deadlines) are reckoned."""

END_OF_DAY = time(23, 59, 59)

_warned_years: set[int] = set()
"""Years for which the Monday-Friday fallback has already been logged."""


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day (工作日) on the mainland calendar."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "no holiday data for year %d; counting Monday-Friday as working days", day.year
            )
        return day.weekday() < 5


def add_working_days(day: date, n: int) -> date:
    """The `n`th working day after `day` (`day` itself is not counted; n >= 1)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def business_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar day of a tz-aware `moment`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(BUSINESS_TZ).date()


def end_of_day(day: date) -> datetime:
    """23:59:59 Asia/Shanghai on `day`, tz-aware."""
    return datetime.combine(day, END_OF_DAY, tzinfo=BUSINESS_TZ)


def end_of_nth_working_day_after(moment: datetime, n: int) -> datetime:
    """The end of the `n`th working day after the Asia/Shanghai day of `moment`."""
    return end_of_day(add_working_days(business_day(moment), n))


def rfc3339(moment: datetime | None) -> str | None:
    """Times go out in the business time zone, with offset: 2026-11-22T10:00:00+08:00."""
    return moment.astimezone(BUSINESS_TZ).isoformat(timespec="seconds") if moment else None
