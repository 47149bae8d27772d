"""The working calendar (工作日历): working days and arithmetic on them, on real and operator dates.

Holiday facts below come from chinesecalendar 1.11.0 (State Council notices):
2026 National Day is Thu 10-01 .. Wed 10-07 (Thu 10-08 is a working day), with
Mid-Autumn on Fri 09-25 and make-up working days Sun 09-20 and Sat 10-10;
2026 Spring Festival is Sun 02-15 .. Mon 02-23, with make-up working days
Sat 02-14 and Sat 02-28. The library has no data for 2027: the 2027 year
below (`YEAR_2027`) is one these tests make up, as an operator would set it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain import calendar
from chalicelib.domain.calendar import (
    BUSINESS_TZ,
    LIBRARY_CALENDAR,
    CalendarSource,
    InvalidYear,
    WorkingCalendar,
    YearCalendar,
    end_of_day,
    library_year,
)

UTC = timezone.utc
SET_AT = datetime(2026, 12, 1, 9, 0, tzinfo=BUSINESS_TZ)

NEW_YEAR_2027 = date(2027, 1, 1)  # a Friday
SPRING_FESTIVAL_2027 = [date(2027, 2, 5), *(date(2027, 2, day) for day in range(8, 13))]  # Fri 02-05, Mon-Fri 02-08..12
MAKE_UP_SATURDAY_2027 = date(2027, 2, 20)
YEAR_2027 = YearCalendar.set_by_operator(2027, [NEW_YEAR_2027, *SPRING_FESTIVAL_2027], [MAKE_UP_SATURDAY_2027],
                                         SET_AT, "admin")
WITH_2027 = LIBRARY_CALENDAR.with_year(YEAR_2027)


@pytest.fixture(autouse=True)
def _quiet_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no year warned about, whatever ran before."""
    monkeypatch.setattr(calendar, "_warned_years", set())


# ------------------------------------------------------------- working days


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 18), True),  # ordinary Friday
        (date(2026, 9, 19), False),  # ordinary Saturday
        (date(2026, 9, 20), True),  # Sunday, make-up working day
        (date(2026, 9, 25), False),  # Friday, Mid-Autumn Festival
        (date(2026, 10, 1), False),  # Thursday, National Day
        (date(2026, 10, 7), False),  # Wednesday, last day of the holiday
        (date(2026, 10, 8), True),  # Thursday, back to work
        (date(2026, 10, 10), True),  # Saturday, make-up working day
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2026, 2, 13), True),  # Friday before Spring Festival
        (date(2026, 2, 14), True),  # Saturday, make-up working day
        (date(2026, 2, 16), False),  # Monday, Spring Festival eve
        (date(2026, 2, 23), False),  # Monday, last day of the holiday
        (date(2026, 2, 24), True),  # Tuesday, back to work
        (date(2026, 2, 28), True),  # Saturday, make-up working day
        (date(2025, 10, 8), False),  # 2025 National Day ran to Wed 10-08
        (date(2025, 10, 11), True),  # Saturday, 2025 make-up working day
    ],
)
def test_is_working_day_follows_the_mainland_calendar(day: date, working: bool) -> None:
    assert LIBRARY_CALENDAR.is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "without_2027", "with_2027"),
    [
        (date(2027, 1, 1), True, False),  # New Year: a Friday, off once the operator says so
        (date(2027, 1, 4), True, True),  # Monday after it
        (date(2027, 2, 5), True, False),  # Spring Festival eve
        (date(2027, 2, 10), True, False),  # inside the Spring Festival week
        (date(2027, 2, 15), True, True),  # back to work
        (date(2027, 2, 20), False, True),  # the make-up Saturday counts as a working day
        (date(2027, 2, 21), False, False),  # the Sunday after it does not
        (date(2027, 2, 6), False, False),  # a weekend day inside the holiday stays off
    ],
)
def test_an_operator_year_decides_its_working_days(day: date, without_2027: bool, with_2027: bool) -> None:
    assert LIBRARY_CALENDAR.is_working_day(day) is without_2027
    assert WITH_2027.is_working_day(day) is with_2027


def test_an_operator_year_replaces_the_librarys_for_that_year_only() -> None:
    no_holidays_2026 = YearCalendar.set_by_operator(2026, [], [], SET_AT, "admin")
    replaced = LIBRARY_CALENDAR.with_year(no_holidays_2026)
    assert replaced.year(2026) is no_holidays_2026
    assert replaced.is_working_day(date(2026, 10, 1)) is True  # a plain Thursday now
    assert replaced.is_working_day(date(2026, 10, 10)) is False  # a plain Saturday now
    assert replaced.is_working_day(date(2025, 10, 8)) is False  # 2025 is still the library's
    assert LIBRARY_CALENDAR.is_working_day(date(2026, 10, 1)) is False  # the value it came from is unchanged
    assert LIBRARY_CALENDAR.operator_years == {}


@pytest.mark.parametrize(
    ("year", "source", "holiday", "workday"),
    [
        (2026, CalendarSource.LIBRARY, date(2026, 10, 1), date(2026, 10, 10)),
        (2025, CalendarSource.LIBRARY, date(2025, 10, 8), date(2025, 10, 11)),
        (2027, CalendarSource.WEEKDAYS, None, None),
    ],
)
def test_the_library_year_and_where_it_comes_from(year, source, holiday, workday) -> None:
    entry = LIBRARY_CALENDAR.year(year)
    assert entry == library_year(year)
    assert (entry.year, entry.source, entry.updated_at, entry.updated_by) == (year, source, None, None)
    if holiday is None:
        assert entry.holidays == entry.workdays == frozenset()
    else:
        assert holiday in entry.holidays and workday in entry.workdays
    assert all(day.weekday() < 5 for day in entry.holidays)  # days off that would otherwise be working days
    assert all(day.weekday() >= 5 for day in entry.workdays)  # weekend days that are working days


# ------------------------------------------------------------ deadline arithmetic


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 3, 4), 1, date(2026, 3, 5)),  # Wed -> Thu
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Fri -> Mon
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # from a Saturday
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Fri -> the make-up Sunday
        (date(2026, 9, 20), 1, date(2026, 9, 21)),  # from the make-up Sunday
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # over Mid-Autumn and the weekend
        (date(2026, 9, 29), 2, date(2026, 10, 8)),  # Wed, then over the National Day week
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # over National Day
        (date(2026, 9, 30), 2, date(2026, 10, 9)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # lands on the make-up Saturday
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 10, 1), 1, date(2026, 10, 8)),  # from inside the holiday
        (date(2026, 10, 3), 1, date(2026, 10, 8)),  # from a weekend day inside the holiday
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Fri -> the make-up Saturday
        (date(2026, 9, 21), 15, date(2026, 10, 19)),  # a 15-day deadline across the whole week
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # make-up Saturday counts
        (date(2026, 2, 13), 2, date(2026, 2, 24)),  # over Spring Festival
        (date(2026, 2, 24), 4, date(2026, 2, 28)),  # Tue + 4 = make-up Saturday
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert LIBRARY_CALENDAR.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("moment", "n", "expected"),
    [
        # dispatched on the eve of National Day: the deadline skips the week, counts the make-up Saturday
        (datetime(2026, 9, 30, 10, 0, tzinfo=BUSINESS_TZ), 3, date(2026, 10, 10)),
        (datetime(2026, 9, 30, 10, 0, tzinfo=BUSINESS_TZ), 7, date(2026, 10, 15)),
        (datetime(2026, 9, 21, 10, 0, tzinfo=BUSINESS_TZ), 15, date(2026, 10, 19)),
        # dispatched during the holiday: counting starts on the first day back
        (datetime(2026, 10, 4, 15, 0, tzinfo=BUSINESS_TZ), 1, date(2026, 10, 8)),
        (datetime(2026, 10, 4, 15, 0, tzinfo=BUSINESS_TZ), 3, date(2026, 10, 10)),
        # dispatched on the make-up Sunday itself: the day is not counted, Monday is the first
        (datetime(2026, 9, 20, 10, 0, tzinfo=BUSINESS_TZ), 1, date(2026, 9, 21)),
    ],
)
def test_deadlines_across_the_2026_national_day_week(moment: datetime, n: int, expected: date) -> None:
    assert LIBRARY_CALENDAR.end_of_nth_working_day_after(moment, n) == end_of_day(expected)


@pytest.mark.parametrize(
    ("start", "n", "without_2027", "with_2027"),
    [
        (date(2026, 12, 31), 1, date(2027, 1, 1), date(2027, 1, 4)),  # over New Year
        (date(2026, 12, 30), 2, date(2027, 1, 1), date(2027, 1, 4)),
        (date(2026, 12, 21), 15, date(2027, 1, 11), date(2027, 1, 12)),  # a 15-day deadline over the boundary
        (date(2027, 2, 4), 1, date(2027, 2, 5), date(2027, 2, 15)),  # over the Spring Festival week
        (date(2027, 2, 4), 2, date(2027, 2, 8), date(2027, 2, 16)),
        (date(2027, 2, 19), 1, date(2027, 2, 22), date(2027, 2, 20)),  # Fri -> the make-up Saturday
        # both: six days off skipped, the make-up Saturday counted
        (date(2027, 1, 25), 15, date(2027, 2, 15), date(2027, 2, 22)),
    ],
)
def test_the_2027_boundary_counts_monday_to_friday_until_an_operator_sets_the_year(
        start: date, n: int, without_2027: date, with_2027: date) -> None:
    assert LIBRARY_CALENDAR.add_working_days(start, n) == without_2027
    assert WITH_2027.add_working_days(start, n) == with_2027


@pytest.mark.parametrize("n", [0, -1])
def test_add_working_days_rejects_n_below_one(n: int) -> None:
    with pytest.raises(ValueError):
        LIBRARY_CALENDAR.add_working_days(date(2026, 3, 4), n)


@pytest.mark.parametrize(
    ("working_calendar", "first", "last", "expected"),
    [
        (LIBRARY_CALENDAR, date(2026, 11, 23), date(2026, 11, 23), 0),  # the same day
        (LIBRARY_CALENDAR, date(2026, 10, 8), date(2026, 10, 8), 0),
        (LIBRARY_CALENDAR, date(2026, 11, 30), date(2026, 11, 23), 0),  # last before first
        (LIBRARY_CALENDAR, date(2026, 11, 23), date(2026, 11, 24), 1),  # the first day counts, the last not
        (LIBRARY_CALENDAR, date(2026, 11, 23), date(2026, 11, 30), 5),  # an ordinary week
        (LIBRARY_CALENDAR, date(2026, 10, 1), date(2026, 10, 8), 0),  # the holiday week
        (LIBRARY_CALENDAR, date(2026, 9, 30), date(2026, 10, 8), 1),  # only the eve
        (LIBRARY_CALENDAR, date(2026, 9, 28), date(2026, 10, 12), 6),  # Mon-Wed, Thu-Sat (make-up)
        (LIBRARY_CALENDAR, date(2026, 12, 28), date(2027, 1, 4), 5),  # 2027-01-01 a plain Friday
        (WITH_2027, date(2026, 12, 28), date(2027, 1, 4), 4),  # New Year off
        (WITH_2027, date(2027, 2, 5), date(2027, 2, 15), 0),  # the Spring Festival week
        (WITH_2027, date(2027, 2, 15), date(2027, 2, 22), 6),  # Mon-Fri and the make-up Saturday
    ],
)
def test_working_days_between(working_calendar: WorkingCalendar, first: date, last: date, expected: int) -> None:
    assert working_calendar.working_days_between(first, last) == expected


@pytest.mark.parametrize("working_calendar", [LIBRARY_CALENDAR, WITH_2027], ids=["library", "with-2027"])
@pytest.mark.parametrize("start", [date(2026, 9, 29), date(2026, 12, 24), date(2027, 2, 4), date(2027, 2, 19)])
@pytest.mark.parametrize("n", [1, 3, 15])
def test_working_days_between_undoes_add_working_days_from_a_working_day(working_calendar, start, n) -> None:
    assert working_calendar.is_working_day(start)
    assert working_calendar.working_days_between(start, working_calendar.add_working_days(start, n)) == n


# --------------------------------------------------------------- coverage


@pytest.mark.parametrize(
    ("operator_years", "expected"),
    [
        ((), date(2026, 12, 31)),  # the library's last year
        ((2027,), date(2027, 12, 31)),
        ((2029,), date(2029, 12, 31)),  # the last year with data, gap or not
        ((2020,), date(2026, 12, 31)),  # a year the library has too adds nothing
    ],
)
def test_covered_until(operator_years, expected) -> None:
    working_calendar = WorkingCalendar({year: YearCalendar.set_by_operator(year, [], [], SET_AT, "admin")
                                        for year in operator_years})
    assert working_calendar.covered_until() == expected


@pytest.mark.parametrize(
    ("operator_years", "today", "expected"),
    [
        ((), date(2026, 11, 23), date(2026, 12, 31)),
        ((), date(2025, 6, 1), date(2026, 12, 31)),  # an unbroken run of library years
        ((), date(2027, 1, 5), None),  # this year has no data
        ((2027,), date(2026, 11, 23), date(2027, 12, 31)),
        ((2027,), date(2027, 1, 5), date(2027, 12, 31)),
        ((2027, 2029), date(2026, 11, 23), date(2027, 12, 31)),  # the gap year 2028 stops it
        ((2029,), date(2026, 11, 23), date(2026, 12, 31)),
        ((2029,), date(2029, 3, 1), date(2029, 12, 31)),
        ((2029,), date(2028, 3, 1), None),
    ],
)
def test_covered_through_stops_at_the_first_year_without_data(operator_years, today, expected) -> None:
    working_calendar = WorkingCalendar({year: YearCalendar.set_by_operator(year, [], [], SET_AT, "admin")
                                        for year in operator_years})
    assert working_calendar.covered_through(today) == expected


# ----------------------------------------------------------- operator years


def test_an_operator_year_keeps_its_lists_and_who_set_it() -> None:
    assert YEAR_2027.year == 2027 and YEAR_2027.source is CalendarSource.OPERATOR
    assert YEAR_2027.holidays == frozenset([NEW_YEAR_2027, *SPRING_FESTIVAL_2027])
    assert YEAR_2027.workdays == frozenset([MAKE_UP_SATURDAY_2027])
    assert (YEAR_2027.updated_at, YEAR_2027.updated_by) == (SET_AT, "admin")
    assert WITH_2027.year(2027) is YEAR_2027 and WITH_2027.year(2026) == library_year(2026)


def test_an_operator_year_may_be_empty() -> None:
    empty = YearCalendar.set_by_operator(2030, [], [], SET_AT, "admin")
    assert (empty.holidays, empty.workdays, empty.source) == (frozenset(), frozenset(), CalendarSource.OPERATOR)


@pytest.mark.parametrize(
    ("year", "holidays", "workdays", "field", "says"),
    [
        (1999, [], [], "year", "2000 to 2099"),
        (2100, [], [], "year", "2000 to 2099"),
        (2027, [date(2027, 1, 1), date(2026, 12, 31)], [], "holidays[1]", "not in 2027"),  # outside the year
        (2027, [], [date(2027, 2, 20), date(2028, 1, 1)], "workdays[1]", "not in 2027"),  # a Saturday, but of 2028
        (2027, [date(2027, 1, 1), date(2027, 2, 8), date(2027, 1, 1)], [], "holidays[2]", "listed twice"),
        (2027, [], [date(2027, 2, 20), date(2027, 2, 20)], "workdays[1]", "listed twice"),
        (2027, [], [date(2027, 2, 20), date(2027, 2, 22)], "workdays[1]", "not a Saturday or Sunday"),  # a Monday
        (2027, [date(2027, 2, 6)], [date(2027, 2, 20), date(2027, 2, 6)], "workdays[1]", "also listed as a holiday"),
    ],
    ids=["year-before-range", "year-after-range", "holiday-outside-year", "workday-outside-year",
         "holiday-repeated", "workday-repeated", "workday-on-a-weekday", "date-in-both-lists"],
)
def test_set_by_operator_refuses_each_rule_of_section_10_on_its_field(year, holidays, workdays, field, says) -> None:
    with pytest.raises(InvalidYear) as caught:
        YearCalendar.set_by_operator(year, holidays, workdays, SET_AT, "admin")
    assert caught.value.field == field
    assert says in caught.value.message
    assert str(caught.value) == f"{field}: {caught.value.message}"


# ------------------------------------------------ Monday-Friday fallback


def test_fallback_to_monday_to_friday_outside_the_data_warns_once_per_year(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=calendar.__name__)

    # 2027-01-01 is New Year's Day, but without data it is just a Friday.
    assert LIBRARY_CALENDAR.is_working_day(date(2027, 1, 1)) is True
    assert LIBRARY_CALENDAR.is_working_day(date(2027, 1, 2)) is False  # Saturday
    assert LIBRARY_CALENDAR.add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 4)  # Fri, Mon
    assert LIBRARY_CALENDAR.is_working_day(date(2028, 1, 3)) is True  # Monday

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "no holiday data for year 2027; counting Monday-Friday as working days",
        "no holiday data for year 2028; counting Monday-Friday as working days",
    ]


def test_no_fallback_warning_inside_the_data_or_for_an_operator_year(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=calendar.__name__)
    assert LIBRARY_CALENDAR.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert WITH_2027.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert caplog.records == []


# -------------------------------------------------------- days and moments


def test_end_of_day_is_23_59_59_in_shanghai() -> None:
    end = end_of_day(date(2026, 10, 8))
    assert end == datetime(2026, 10, 8, 23, 59, 59, tzinfo=BUSINESS_TZ)
    assert end.utcoffset() == timedelta(hours=8)
    assert end.astimezone(UTC) == datetime(2026, 10, 8, 15, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "n", "expected"),
    [
        # Fri 2026-02-13 23:30 in Shanghai: the day counted from is Friday.
        (datetime(2026, 2, 13, 15, 30, tzinfo=UTC), 1, datetime(2026, 2, 14, 23, 59, 59, tzinfo=BUSINESS_TZ)),
        # Sat 2026-02-14 00:30 in Shanghai, though still Friday in UTC.
        (datetime(2026, 2, 13, 16, 30, tzinfo=UTC), 1, datetime(2026, 2, 24, 23, 59, 59, tzinfo=BUSINESS_TZ)),
        (datetime(2026, 2, 14, 0, 30, tzinfo=BUSINESS_TZ), 1, datetime(2026, 2, 24, 23, 59, 59, tzinfo=BUSINESS_TZ)),
        # Thu 2026-10-08 07:00 in Shanghai, Wednesday 23:00 (a holiday) in UTC.
        (datetime(2026, 10, 7, 23, 0, tzinfo=UTC), 2, datetime(2026, 10, 10, 23, 59, 59, tzinfo=BUSINESS_TZ)),
    ],
)
def test_end_of_nth_working_day_after_counts_from_the_shanghai_day(
    moment: datetime, n: int, expected: datetime
) -> None:
    assert LIBRARY_CALENDAR.end_of_nth_working_day_after(moment, n) == expected


def test_end_of_nth_working_day_after_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        LIBRARY_CALENDAR.end_of_nth_working_day_after(datetime(2026, 3, 4, 10, 0), 1)


def test_business_times_renders_stored_moments_under_time_keys_only():
    from chalicelib.domain.calendar import business_times

    stored = {"accept_due_at": "2026-11-24T01:00:00.123456+00:00", "at": "2026-11-24T01:00:00Z",
              "nested": [{"due_at": "2026-11-24T09:00:00+08:00", "due_on": "2026-11-24"}],
              "text": "2026-11-24T01:00:00+00:00", "done_at": None, "sent_at": "soon"}
    assert business_times(stored) == {
        "accept_due_at": "2026-11-24T09:00:00+08:00", "at": "2026-11-24T09:00:00+08:00",
        "nested": [{"due_at": "2026-11-24T09:00:00+08:00", "due_on": "2026-11-24"}],
        "text": "2026-11-24T01:00:00+00:00", "done_at": None, "sent_at": "soon"}
