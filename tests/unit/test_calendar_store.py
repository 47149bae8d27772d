"""The working calendar's store (工作日历) on moto's DynamoDB, its per-process cache, and the metrics adapter."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chalicelib.adapters.calendar_store import CACHE_SECONDS, CalendarStore
from chalicelib.adapters.metrics import PowertoolsMetrics
from chalicelib.domain.calendar import BUSINESS_TZ, CalendarSource, YearCalendar

SET_AT = dt.datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=BUSINESS_TZ)
YEAR_2027 = YearCalendar.set_by_operator(
    2027, [dt.date(2027, 2, 9), dt.date(2027, 1, 1), dt.date(2027, 2, 8)], [dt.date(2027, 2, 20)], SET_AT, "admin-1")
YEAR_2028 = YearCalendar.set_by_operator(2028, [dt.date(2028, 1, 3)], [], SET_AT + dt.timedelta(days=1), "admin-2")


class Monotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def table():
    """moto's DynamoDB with the calendar table, and nothing else."""
    from moto import mock_aws

    from chalicelib.adapters.models import CalendarYearModel

    with mock_aws():
        CalendarYearModel.create_table(wait=True)
        yield CalendarYearModel


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic()


@pytest.fixture
def store(table, monotonic) -> CalendarStore:
    return CalendarStore(monotonic=monotonic)


@pytest.fixture
def other_process(table, monotonic) -> CalendarStore:
    """The store of another Lambda instance: the same table, its own cache."""
    return CalendarStore(monotonic=monotonic)


# --------------------------------------------------------------- the table


def test_a_year_survives_the_round_trip_through_the_table(store, other_process):
    store.save_year(YEAR_2027)
    store.save_year(YEAR_2028)
    loaded = other_process.calendar()
    assert loaded.year(2027) == YEAR_2027 and loaded.year(2028) == YEAR_2028
    assert loaded.year(2027).source is CalendarSource.OPERATOR
    assert loaded.year(2027).updated_at == SET_AT  # the same instant, stored in UTC
    assert set(loaded.operator_years) == {2027, 2028}
    assert loaded.year(2026).source is CalendarSource.LIBRARY  # years nobody set stay the library's
    assert other_process.scans == 1  # every year in one Scan


def test_the_stored_item_holds_sorted_iso_dates_and_a_utc_time(store, table):
    store.save_year(YEAR_2027)
    item = table.get(2027)
    assert item.holidays == ["2027-01-01", "2027-02-08", "2027-02-09"]
    assert item.workdays == ["2027-02-20"]
    assert item.updated_at == "2026-12-01T01:30:15.123456+00:00"
    assert item.updated_by == "admin-1"


def test_a_year_saved_again_replaces_the_first(store, other_process):
    store.save_year(YEAR_2027)
    replacement = YearCalendar.set_by_operator(2027, [dt.date(2027, 1, 1)], [], SET_AT + dt.timedelta(hours=1),
                                               "admin-2")
    store.save_year(replacement)
    assert other_process.calendar().year(2027) == replacement
    assert store.calendar().year(2027) == replacement


def test_an_empty_table_is_the_library_calendar(store):
    calendar = store.calendar()
    assert dict(calendar.operator_years) == {}
    assert calendar.year(2027).source is CalendarSource.WEEKDAYS
    assert calendar.covered_until() == dt.date(2026, 12, 31)


# --------------------------------------------------------------- the cache


def test_a_second_read_within_the_cache_time_makes_no_scan(store, monotonic):
    first = store.calendar()
    monotonic.seconds += CACHE_SECONDS - 0.001
    assert store.calendar() is first
    assert store.scans == 1


@pytest.mark.parametrize(
    ("elapsed", "seen", "scans"),
    [
        (0.0, False, 1),
        (CACHE_SECONDS / 2, False, 1),
        (CACHE_SECONDS - 0.001, False, 1),
        (CACHE_SECONDS, True, 2),  # the cache has run out: read the table again
        (CACHE_SECONDS * 10, True, 2),
    ],
)
def test_a_year_saved_by_another_process_is_seen_once_the_cache_runs_out(store, other_process, monotonic, elapsed,
                                                                         seen, scans):
    assert store.calendar().year(2027).source is CalendarSource.WEEKDAYS  # read (and cached) before the change
    other_process.save_year(YEAR_2027)
    monotonic.seconds += elapsed
    assert (store.calendar().year(2027) == YEAR_2027) is seen
    assert store.scans == scans


def test_a_year_saved_by_this_process_is_seen_at_once(store, monotonic):
    store.calendar()
    store.save_year(YEAR_2027)
    assert store.calendar().year(2027) == YEAR_2027
    assert store.scans == 1  # from the cache, updated by the save
    monotonic.seconds += CACHE_SECONDS
    assert store.calendar().year(2027) == YEAR_2027  # and still there when the table is read again
    assert store.scans == 2


def test_a_save_before_any_read_is_read_from_the_table(store):
    store.save_year(YEAR_2027)
    assert store.scans == 0
    assert store.calendar().year(2027) == YEAR_2027
    assert store.scans == 1


def test_forget_drops_the_cache(store, other_process):
    store.calendar()
    other_process.save_year(YEAR_2027)
    store.forget()
    assert store.calendar().year(2027) == YEAR_2027
    assert store.scans == 2


def test_a_store_on_the_default_clock_caches_too(table):
    store = CalendarStore()  # time.monotonic: moving the service's business clock cannot make it stale
    store.calendar()
    store.calendar()
    assert store.scans == 1


# ------------------------------------------------------------------ metrics


@pytest.mark.parametrize(
    ("name", "value", "unit", "given"),
    [("CalendarDaysCovered", 38, "Count", {}),  # the unit by default
     ("CalendarDaysCovered", 0, "Count", {"unit": "Count"}),
     ("SweepSeconds", 2.5, "Seconds", {"unit": "Seconds"})],
)
def test_a_gauge_is_one_emf_line_in_the_hewei_namespace(capsys, name, value, unit, given):
    capsys.readouterr()  # whatever came before
    PowertoolsMetrics().gauge(name, value, **given)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    document = json.loads(lines[0])
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Hewei"
    assert directive["Dimensions"] == [["service"]]
    assert directive["Metrics"] == [{"Name": name, "Unit": unit}]
    assert document["service"] == "hewei"
    assert document[name] in (value, [value])  # Powertools writes a value or a list of one
    assert isinstance(document["_aws"]["Timestamp"], int)
