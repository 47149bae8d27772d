"""`GET`/`PUT /v1/calendar/{year}` (§10): the working calendar operators keep current."""

from __future__ import annotations

from typing import Any

from .. import wiring
from ..domain.calendar import YearCalendar, rfc3339
from ..services.calendar import parse_year
from ..services.commands import CalendarYear
from .http import ADMIN, STAFF, Call, Reply
from .routes import route


def calendar_view(year: YearCalendar) -> dict[str, Any]:
    return {"year": year.year, "source": year.source.value,
            "holidays": sorted(day.isoformat() for day in year.holidays),
            "workdays": sorted(day.isoformat() for day in year.workdays),
            "updated_at": rfc3339(year.updated_at)}


@route("/v1/calendar/{year}", summary="One year of the working calendar (工作日历): holidays and make-up days",
       roles=STAFF, responses={200: "The year and where its data comes from", 422: "Not a year the calendar keeps"})
def get_calendar_year(call: Call) -> Reply:
    return Reply(calendar_view(wiring.current().calendar.year(parse_year(call.params["year"]))))


@route("/v1/calendar/{year}", "PUT", summary="Set a year of the working calendar (admin); replaces the library's",
       roles=ADMIN, body=CalendarYear, responses={
           200: "The year as now in force",
           422: "A date outside the year, in both lists or repeated, or a workday not on a weekend"})
def put_calendar_year(call: Call) -> Reply:
    year = wiring.current().calendar.set_year(parse_year(call.params["year"]), call.body, call.principal)
    return Reply(calendar_view(year))
