"""The operator's years of the working calendar (§10), in DynamoDB, cached per process.

The table holds one item per year an operator has set: a handful of items,
read whole with one Scan. A process keeps what it read for `CACHE_SECONDS`,
so a deadline computed anywhere uses a calendar change at most that long
after the change (the process that made it, at once). The cache runs on a
monotonic clock, not the business clock: moving the service's time in a
test or the local stage does not make it stale.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Callable

from ..domain.calendar import CalendarSource, WorkingCalendar, YearCalendar
from .clock import from_storage, to_storage
from .models import CalendarYearModel

CACHE_SECONDS = 60.0
"""How long a process trusts the operator years it read."""


def year_to_model(year: YearCalendar) -> CalendarYearModel:
    return CalendarYearModel(year.year, holidays=sorted(d.isoformat() for d in year.holidays),
                             workdays=sorted(d.isoformat() for d in year.workdays),
                             updated_at=to_storage(year.updated_at), updated_by=year.updated_by or "")


def year_from_model(model: CalendarYearModel) -> YearCalendar:
    return YearCalendar(int(model.year), frozenset(map(dt.date.fromisoformat, model.holidays or [])),
                        frozenset(map(dt.date.fromisoformat, model.workdays or [])), CalendarSource.OPERATOR,
                        from_storage(model.updated_at), model.updated_by or None)


class CalendarStore:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic, cache_seconds: float = CACHE_SECONDS):
        self._monotonic = monotonic
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, WorkingCalendar] | None = None
        self._lock = threading.Lock()
        self.scans = 0

    def calendar(self) -> WorkingCalendar:
        with self._lock:
            now = self._monotonic()
            if self._cached is None or now - self._cached[0] >= self._cache_seconds:
                self.scans += 1
                years = {year.year: year for year in map(year_from_model, CalendarYearModel.scan())}
                self._cached = (now, WorkingCalendar(years))
            return self._cached[1]

    def save_year(self, year: YearCalendar) -> None:
        year_to_model(year).save()
        with self._lock:
            if self._cached is not None:
                self._cached = (self._cached[0], self._cached[1].with_year(year))

    def forget(self) -> None:
        """Drop the cache: the next read goes to the table."""
        with self._lock:
            self._cached = None
