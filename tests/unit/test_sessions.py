"""domain/sessions.py: when two sessions overlap, a mediator's schedule, and when a reminder is owed."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.enums import SessionMode
from chalicelib.domain.sessions import (
    Booking, MediatorSchedule, ReminderState, Session, overlaps, reminder_due_at, reminders_owed)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NINE = dt.datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)


def minutes(n: int) -> dt.datetime:
    return NINE + dt.timedelta(minutes=n)


@pytest.mark.parametrize(("other", "overlap"), [
    (minutes(0), True), (minutes(119), True), (minutes(-119), True), (minutes(60), True),
    (minutes(120), False), (minutes(-120), False),  # one starts exactly as the other ends
    (minutes(600), False),
    (dt.datetime(2026, 11, 25, 1, 30, tzinfo=dt.timezone.utc), True),  # 09:30 in Shanghai
])
def test_two_sessions_overlap_when_each_starts_before_the_other_ends(other, overlap):
    assert overlaps(NINE, other) is overlap
    assert overlaps(other, NINE) is overlap


def test_a_schedule_names_the_bookings_a_session_would_clash_with():
    schedule = MediatorSchedule("M-1", (Booking("C-1", "S-1", minutes(0)), Booking("C-2", "S-2", minutes(240))), 3)
    assert [b.session_id for b in schedule.clashes(minutes(100))] == ["S-1"]
    assert [b.session_id for b in schedule.clashes(minutes(125))] == ["S-2"]
    assert [b.session_id for b in schedule.clashes(minutes(230))] == ["S-2"]
    assert [b.session_id for b in schedule.clashes(minutes(60))] == ["S-1"]
    assert schedule.clashes(minutes(120)) == []  # between the two, touching both


def test_booking_adds_in_order_lets_go_of_sessions_over_and_keeps_the_revision():
    over = Booking("C-0", "S-0", minutes(-300))
    schedule = MediatorSchedule("M-1", (over, Booking("C-2", "S-2", minutes(300))), 7)
    booked = schedule.booked(Booking("C-1", "S-1", minutes(0)), now=minutes(-170))  # S-0 ended at -180
    assert [b.session_id for b in booked.bookings] == ["S-1", "S-2"]
    assert booked.revision == 7  # the write is conditional on the revision read
    assert schedule.bookings[0] is over  # a value: the schedule read is unchanged


def test_without_bookings_drops_those_of_sessions_gone():
    gone, kept = Booking("C-1", "S-1", minutes(0)), Booking("C-2", "S-2", minutes(0))
    schedule = MediatorSchedule("M-1", (gone, kept), 1)
    assert schedule.without_bookings([gone]).bookings == (kept,)


def test_no_moment_a_caller_sends_overflows_the_overlap_check():
    far = dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone.utc)
    early = dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.timezone.utc)
    assert not overlaps(far, NINE) and not overlaps(early, NINE) and overlaps(far, far)


def test_the_reminders_of_one_write_are_the_earliest_few_and_cancelled_sessions_owe_none():
    from chalicelib.domain.sessions import REMINDERS_PER_WRITE

    many = [session(minutes(10 * n)) for n in range(REMINDERS_PER_WRITE + 3)]
    owed = reminders_owed(reversed(many), minutes(0))
    assert owed == many[:REMINDERS_PER_WRITE]
    off = session(minutes(0))
    off.cancelled_at = minutes(-60)
    assert (reminders_owed([off], minutes(0)), reminder_due_at([off])) == ([], None)


def session(starts_at: dt.datetime, reminder: ReminderState | None = None) -> Session:
    return Session("S-1", starts_at, SessionMode.ONSITE, "调解室", ("M-1",), None, minutes(-3000), "mediator:M-1",
                   reminder)


def test_a_reminder_is_owed_from_24_hours_before_until_it_is_given():
    waiting = session(NINE)
    assert reminder_due_at([waiting]) == NINE - dt.timedelta(hours=24)
    assert reminders_owed([waiting], NINE - dt.timedelta(hours=24, seconds=1)) == []
    assert reminders_owed([waiting], NINE - dt.timedelta(hours=24)) == [waiting]
    for state in ReminderState:
        assert reminder_due_at([session(NINE, state)]) is None
        assert reminders_owed([session(NINE, state)], NINE) == []


def test_the_first_reminder_owed_keys_the_due_index():
    assert reminder_due_at([session(minutes(600)), session(minutes(60)), session(minutes(0), ReminderState.SENT)]) \
        == minutes(60) - dt.timedelta(hours=24)
    assert reminder_due_at([]) is None
