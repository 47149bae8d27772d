"""CalendarService (工作日历, §10): operators set a year's holidays and make-up working days; every
deadline computed after the change uses them; a refused year changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.calendar import LIBRARY_CALENDAR, CalendarSource, YearCalendar, end_of_day
from chalicelib.domain.deadlines import RESOLVE_WORKING_DAYS
from chalicelib.domain.enums import CaseStatus
from chalicelib.services.calendar import days_covered, parse_year
from chalicelib.services.commands import CalendarYear
from chalicelib.services.errors import Unprocessable
from tests.unit.services.builders import ADMIN, MONDAY, SHANGHAI, parse, refused

SPRING_FESTIVAL_2027 = ["2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"]
YEAR_2027_BODY = {"holidays": ["2027-01-01", *SPRING_FESTIVAL_2027], "workdays": ["2027-02-20"]}
"""A 2027 the tests make up: New Year, a Spring Festival week off and a make-up Saturday."""


@pytest.fixture
def service(container):
    return container.calendar


def year_2027(body: dict | None = None) -> CalendarYear:
    return parse(CalendarYear, body or YEAR_2027_BODY)


def test_a_year_nobody_set_comes_from_the_library_or_is_monday_to_friday(service):
    assert service.year(2026).source is CalendarSource.LIBRARY
    assert dt.date(2026, 10, 1) in service.year(2026).holidays
    assert service.year(2027) == YearCalendar(2027)
    assert service.covered_until() == dt.date(2026, 12, 31)


def test_set_year_stores_the_operators_year_and_it_is_in_force_at_once(service, calendar_store):
    entry = service.set_year(2027, year_2027(), ADMIN)
    assert (entry.year, entry.source, entry.updated_at, entry.updated_by) == (
        2027, CalendarSource.OPERATOR, MONDAY, ADMIN.actor)
    assert sorted(day.isoformat() for day in entry.holidays) == YEAR_2027_BODY["holidays"]
    assert sorted(day.isoformat() for day in entry.workdays) == YEAR_2027_BODY["workdays"]
    assert calendar_store.years == {2027: entry}
    assert service.year(2027) == entry
    assert service.covered_until() == dt.date(2027, 12, 31)


def test_set_year_again_replaces_the_year(service, calendar_store, clock):
    service.set_year(2027, year_2027(), ADMIN)
    clock.advance(hours=2)
    again = service.set_year(2027, year_2027({"holidays": ["2027-01-01"], "workdays": []}), ADMIN)
    assert service.year(2027) == again and calendar_store.years[2027] == again
    assert again.holidays == {dt.date(2027, 1, 1)} and again.workdays == frozenset()
    assert again.updated_at == MONDAY + dt.timedelta(hours=2)


def test_an_operator_year_replaces_the_librarys(service):
    service.set_year(2026, year_2027({"holidays": [], "workdays": []}), ADMIN)
    assert service.year(2026).source is CalendarSource.OPERATOR
    assert service.year(2026).holidays == frozenset()
    assert service.covered_until() == dt.date(2026, 12, 31)


@pytest.mark.parametrize(
    ("year", "body", "field"),
    [
        (2027, {"holidays": ["2027-01-01", "2026-12-31"], "workdays": []}, "holidays[1]"),
        (2027, {"holidays": [], "workdays": ["2028-01-01"]}, "workdays[0]"),
        (2027, {"holidays": ["2027-02-06"], "workdays": ["2027-02-20", "2027-02-06"]}, "workdays[1]"),
        (2027, {"holidays": [], "workdays": ["2027-02-22"]}, "workdays[0]"),
        (2027, {"holidays": ["2027-01-01", "2027-01-01"], "workdays": []}, "holidays[1]"),
        (2027, {"holidays": [], "workdays": ["2027-02-20", "2027-02-21", "2027-02-20"]}, "workdays[2]"),
        (1999, {"holidays": [], "workdays": []}, "year"),
    ],
    ids=["outside-the-year", "workday-outside-the-year", "in-both-lists", "workday-on-a-weekday",
         "holiday-repeated", "workday-repeated", "year-out-of-range"],
)
def test_set_year_refuses_a_year_breaking_a_rule_with_422_on_the_field_and_stores_nothing(
        service, calendar_store, year, body, field):
    with refused(Unprocessable, lambda: dict(calendar_store.years)) as caught:
        service.set_year(year, year_2027(body), ADMIN)
    assert [error["field"] for error in caught.value.errors] == [field]
    assert caught.value.detail.startswith(f"{field}: ")
    assert calendar_store.years == {}


@pytest.mark.parametrize(("text", "year"), [("2000", 2000), ("2027", 2027), ("2099", 2099)])
def test_parse_year_takes_four_digits_in_range(text, year):
    assert parse_year(text) == year


@pytest.mark.parametrize("text", ["abcd", "1999", "2100", "0000", "027", "20270", "+2027", " 2027", "２０２７", ""])
def test_parse_year_refuses_anything_else_on_the_field_year(text):
    with pytest.raises(Unprocessable) as caught:
        parse_year(text)
    assert [error["field"] for error in caught.value.errors] == ["year"]


OPERATOR_2027 = LIBRARY_CALENDAR.with_year(YearCalendar.set_by_operator(2027, [], [], MONDAY, "admin"))


@pytest.mark.parametrize(
    ("calendar", "today", "days"),
    [
        (LIBRARY_CALENDAR, dt.date(2026, 11, 23), 38),
        (LIBRARY_CALENDAR, dt.date(2026, 12, 31), 0),  # the last day with data
        (LIBRARY_CALENDAR, dt.date(2027, 1, 4), 0),  # no data this year
        (LIBRARY_CALENDAR, dt.date(2025, 12, 31), 365),
        (OPERATOR_2027, dt.date(2026, 11, 23), 38 + 365),
        (OPERATOR_2027, dt.date(2027, 1, 4), 361),
    ],
)
def test_days_covered_counts_to_the_end_of_the_unbroken_data(calendar, today, days):
    assert days_covered(calendar, today) == days


def test_a_case_dispatched_after_the_change_gets_a_deadline_on_the_new_calendar(centre, service, clock):
    """The deadline already set stays; the next dispatch skips the operator's holidays."""
    clock.set(dt.datetime(2027, 1, 25, 10, 0, tzinfo=SHANGHAI))  # a Monday; 15 working days reach February
    before = centre.case_at(CaseStatus.DISPATCHED, "R-BEFORE")
    assert RESOLVE_WORKING_DAYS[before.risk_level] == 15
    assert before.resolve_due_at == end_of_day(dt.date(2027, 2, 15))  # Monday to Friday

    service.set_year(2027, year_2027(), ADMIN)
    after = centre.case_at(CaseStatus.DISPATCHED, "R-AFTER")
    assert RESOLVE_WORKING_DAYS[after.risk_level] == 15  # yellow now (a repeated party): the same 15 days
    # six days off skipped, the make-up Saturday counted
    assert after.resolve_due_at == end_of_day(dt.date(2027, 2, 22))
    assert centre.store.get(before.case_id).resolve_due_at == end_of_day(dt.date(2027, 2, 15))
