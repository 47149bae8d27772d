"""Working-day arithmetic on real 2025-2027 dates.

Holiday facts below come from chinesecalendar 1.11.0 (State Council notices):
2026 National Day is Thu 10-01 .. Wed 10-07 (Thu 10-08 is a working day), with
Mid-Autumn on Fri 09-25 and make-up working days Sun 09-20 and Sat 10-10;
2026 Spring Festival is Sun 02-15 .. Mon 02-23, with make-up working days
Sat 02-14 and Sat 02-28.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain import calendar
from chalicelib.domain.calendar import (
    BUSINESS_TZ,
    add_working_days,
    end_of_day,
    end_of_nth_working_day_after,
    is_working_day,
)

UTC = timezone.utc


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
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 3, 4), 1, date(2026, 3, 5)),  # Wed -> Thu
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Fri -> Mon
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # from a Saturday
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # over Mid-Autumn and the weekend
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # over National Day
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # lands on the make-up Saturday
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 10, 1), 1, date(2026, 10, 8)),  # from inside the holiday
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # make-up Saturday counts
        (date(2026, 2, 13), 2, date(2026, 2, 24)),  # over Spring Festival
        (date(2026, 2, 24), 4, date(2026, 2, 28)),  # Tue + 4 = make-up Saturday
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n) == expected


@pytest.mark.parametrize("n", [0, -1])
def test_add_working_days_rejects_n_below_one(n: int) -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 4), n)


def test_fallback_to_monday_to_friday_outside_the_data_warns_once_per_year(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(calendar, "_warned_years", set())
    caplog.set_level(logging.WARNING, logger=calendar.__name__)

    # 2027-01-01 is New Year's Day, but without data it is just a Friday.
    assert is_working_day(date(2027, 1, 1)) is True
    assert is_working_day(date(2027, 1, 2)) is False  # Saturday
    assert add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 4)  # Fri, Mon
    assert is_working_day(date(2028, 1, 3)) is True  # Monday

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "no holiday data for year 2027; counting Monday-Friday as working days",
        "no holiday data for year 2028; counting Monday-Friday as working days",
    ]


def test_no_fallback_warning_inside_the_data(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(calendar, "_warned_years", set())
    caplog.set_level(logging.WARNING, logger=calendar.__name__)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert caplog.records == []


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
    assert end_of_nth_working_day_after(moment, n) == expected


def test_end_of_nth_working_day_after_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        end_of_nth_working_day_after(datetime(2026, 3, 4, 10, 0), 1)
