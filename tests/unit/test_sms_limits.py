"""Frequency limits (频次限制): the slots a ledger gives out, holds, digests waiting for a slot."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.sms_limits import FrequencyLimit, SendLedger, default_limits, next_slot

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
LIMITS = default_limits()  # 1 a minute, 5 an hour


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.mark.parametrize(("slots", "now", "expected"), [
    ((), 0, 0),  # nothing sent: now
    ((0,), 30, 60),  # one this minute: a minute after it
    ((0,), 60, 60),  # exactly a minute later: now
    ((0, 60, 120, 180, 240), 300, 3600),  # five this hour: an hour after the first
    ((0, 60, 120, 180, 240), 3600, 3600),
    ((0, 600), 30, 660),  # never before a slot already given out
    ((-4000, 0), 10, 60),  # one more than an hour ago counts for nothing
])
def test_next_slot(slots, now, expected):
    assert next_slot([at(s) for s in slots], at(now), LIMITS) == at(expected)


def test_the_limits_are_settings():
    limits = (FrequencyLimit(2, dt.timedelta(minutes=1)),)
    assert next_slot([at(0)], at(1), limits) == at(1)
    assert next_slot([at(0), at(1)], at(2), limits) == at(60)
    with pytest.raises(ValueError):
        FrequencyLimit(0, dt.timedelta(minutes=1))


def test_a_first_message_goes_and_the_next_is_held_to_its_own_slot():
    ledger, first = SendLedger().reserve(at(0), LIMITS, [("C1", "N1")], joinable=False)
    assert (first.held, first.at) == (False, at(0))
    ledger, second = ledger.reserve(at(5), LIMITS, [("C2", "N2")], joinable=False)
    assert (second.held, second.joined, second.at) == (True, False, at(60))
    ledger, third = ledger.reserve(at(6), LIMITS, [("C3", "N3")], joinable=False)
    assert (third.held, third.at) == (True, at(120))  # a slot of its own, after the one given
    assert ledger.slots == (at(0), at(60), at(120)) and ledger.waiting == ()


def test_held_messages_of_a_kind_with_a_digest_wait_together_for_one_slot():
    ledger, _ = SendLedger().reserve(at(0), LIMITS, [("C1", "N1")], joinable=True)
    ledger, held = ledger.reserve(at(5), LIMITS, [("C2", "N2")], joinable=True)
    ledger, joined = ledger.reserve(at(6), LIMITS, [("C3", "N3"), ("C4", "N4")], joinable=True)
    assert (held.at, held.joined, joined.at, joined.joined) == (at(60), False, at(60), True)
    assert ledger.slots == (at(0), at(60)) and ledger.waiting == (("C2", "N2"), ("C3", "N3"), ("C4", "N4"))
    ledger, taken = ledger.take_slot(at(60), at(61), LIMITS)
    assert (taken.held, taken.taking) == (False, (("C2", "N2"), ("C3", "N3"), ("C4", "N4")))
    assert ledger.waiting == () and ledger.waiting_slot is None
    _, after = ledger.reserve(at(62), LIMITS, [("C5", "N5")], joinable=True)
    assert (after.held, after.at) == (True, at(120))


def test_a_message_back_early_for_its_slot_waits_for_it():
    ledger, _ = SendLedger().reserve(at(0), LIMITS, [("C1", "N1")], joinable=False)
    ledger, held = ledger.reserve(at(5), LIMITS, [("C2", "N2")], joinable=False)
    same, early = ledger.take_slot(held.at, at(59), LIMITS)
    assert (same, early.held, early.joined, early.at) == (ledger, True, False, at(60))  # its own: back on the queue


def test_a_slot_the_ledger_lost_is_taken_only_within_the_limits():
    _, lost = SendLedger().take_slot(at(60), at(70), LIMITS)  # an empty ledger: it may go now
    assert (lost.held, lost.at) == (False, at(70))
    ledger, _ = SendLedger().reserve(at(65), LIMITS, [("C9", "N9")], joinable=False)
    _, again = ledger.take_slot(at(60), at(70), LIMITS)
    assert (again.held, again.at) == (True, at(125))


def test_what_waited_for_a_slot_whose_message_was_lost_goes_with_the_next_one_allowed():
    ledger, _ = SendLedger().reserve(at(0), LIMITS, [("C1", "N1")], joinable=True)
    ledger, _ = ledger.reserve(at(5), LIMITS, [("C2", "N2")], joinable=True)
    _, later = ledger.reserve(at(300), LIMITS, [("C3", "N3")], joinable=True)
    assert (later.held, later.taking) == (False, (("C2", "N2"),))


def test_old_slots_are_forgotten():
    ledger = SendLedger(slots=(at(0), at(60)))
    ledger, _ = ledger.reserve(at(3700), LIMITS, [("C1", "N1")], joinable=False)
    assert ledger.slots == (at(3700),)


def test_a_ledger_is_kept_until_its_last_slot_can_bear_on_no_limit():
    assert SendLedger(slots=(at(0), at(120))).kept_until(LIMITS, at(500)) == at(120 + 3600)
    assert SendLedger().kept_until(LIMITS, at(500)) == at(500 + 3600)
