"""Deadlines and the supervision ladder (contract §6) on real 2026 dates.

Calendar facts (chinesecalendar 1.11.0): March 2026 has no holidays;
National Day 2026 is Thu 10-01 .. Wed 10-07, Sat 10-10 is a make-up working day.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.calendar import BUSINESS_TZ, LIBRARY_CALENDAR as CAL
from chalicelib.domain.deadlines import (
    ACCEPT_WINDOW,
    RESOLVE_WORKING_DAYS,
    SUPERVISION_LEVEL,
    Deadlines,
    SupervisionStep,
    deadlines_for,
    ladder,
    next_step_at,
    step_due_at,
    steps_due,
)
from chalicelib.domain.enums import RiskLevel

UTC = timezone.utc
US = timedelta(microseconds=1)
R, O, L, E = (
    SupervisionStep.REMINDER,
    SupervisionStep.OVERDUE,
    SupervisionStep.SUPERVISION_LETTER,
    SupervisionStep.ESCALATION,
)


def sh(*args: int) -> datetime:
    """A datetime in Asia/Shanghai."""
    return datetime(*args, tzinfo=BUSINESS_TZ)


# --- tables ----------------------------------------------------------------


def test_tables_cover_every_risk_level() -> None:
    assert set(ACCEPT_WINDOW) == set(RiskLevel) == set(RESOLVE_WORKING_DAYS)


def test_supervision_steps_and_levels() -> None:
    assert [s.value for s in SupervisionStep] == ["reminder", "overdue", "supervision_letter", "escalation"]
    assert SUPERVISION_LEVEL == {R: 0, O: 1, L: 2, E: 3}


# --- deadlines_for ---------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "accept", "resolve"),
    [
        (RiskLevel.RED, sh(2026, 3, 4, 11, 0), sh(2026, 3, 9, 23, 59, 59)),  # Thu, Fri, Mon
        (RiskLevel.ORANGE, sh(2026, 3, 4, 14, 0), sh(2026, 3, 13, 23, 59, 59)),
        (RiskLevel.YELLOW, sh(2026, 3, 5, 10, 0), sh(2026, 3, 25, 23, 59, 59)),
        (RiskLevel.BLUE, sh(2026, 3, 5, 10, 0), sh(2026, 3, 25, 23, 59, 59)),
    ],
)
def test_deadlines_for_each_risk_level(level: RiskLevel, accept: datetime, resolve: datetime) -> None:
    assert deadlines_for(level, sh(2026, 3, 4, 10, 0), CAL) == Deadlines(accept, resolve)  # Wednesday


@pytest.mark.parametrize(
    ("level", "resolve"),
    [
        (RiskLevel.RED, sh(2026, 10, 9, 23, 59, 59)),  # Sep 30, Oct 8, Oct 9
        (RiskLevel.ORANGE, sh(2026, 10, 14, 23, 59, 59)),  # ... Sat Oct 10, 12, 13, 14
        (RiskLevel.BLUE, sh(2026, 10, 26, 23, 59, 59)),
    ],
)
def test_resolve_deadline_skips_national_day(level: RiskLevel, resolve: datetime) -> None:
    assert deadlines_for(level, sh(2026, 9, 29, 15, 0), CAL).resolve_due_at == resolve  # Tuesday


@pytest.mark.parametrize(
    ("dispatched_at", "resolve"),
    [
        # Fri 2026-03-06 23:30 Shanghai (15:30 UTC): Mon 9, Tue 10, Wed 11.
        (datetime(2026, 3, 6, 15, 30, tzinfo=UTC), sh(2026, 3, 11, 23, 59, 59)),
        # Fri 2026-03-06 07:30 Shanghai is still Thursday in UTC; Friday counts.
        (datetime(2026, 3, 5, 23, 30, tzinfo=UTC), sh(2026, 3, 11, 23, 59, 59)),
        # Thu 2026-03-05 23:30 Shanghai: Fri 6, Mon 9, Tue 10.
        (sh(2026, 3, 5, 23, 30), sh(2026, 3, 10, 23, 59, 59)),
        # Fri 2026-03-06 00:30 Shanghai is Thursday 16:30 in UTC: Mon, Tue, Wed.
        (datetime(2026, 3, 5, 16, 30, tzinfo=UTC), sh(2026, 3, 11, 23, 59, 59)),
    ],
)
def test_dispatch_day_is_the_shanghai_day_not_the_utc_day(dispatched_at: datetime, resolve: datetime) -> None:
    deadlines = deadlines_for(RiskLevel.RED, dispatched_at, CAL)
    assert deadlines.resolve_due_at == resolve
    assert deadlines.resolve_due_at.utcoffset() == timedelta(hours=8)


def test_accept_deadline_is_wall_clock_even_over_midnight_and_weekend() -> None:
    friday_late = sh(2026, 3, 6, 23, 30)
    assert deadlines_for(RiskLevel.RED, friday_late, CAL).accept_due_at == sh(2026, 3, 7, 0, 30)
    assert deadlines_for(RiskLevel.BLUE, friday_late, CAL).accept_due_at == sh(2026, 3, 7, 23, 30)


def test_deadlines_for_rejects_naive_dispatch_time() -> None:
    with pytest.raises(ValueError):
        deadlines_for(RiskLevel.RED, datetime(2026, 3, 4, 10, 0), CAL)


# --- reminder rule ---------------------------------------------------------


@pytest.mark.parametrize(
    ("window_start", "due_at", "reminder"),
    [
        # red accept, 1 h: halfway, 30 min after dispatch
        (sh(2026, 3, 4, 10, 0), sh(2026, 3, 4, 11, 0), sh(2026, 3, 4, 10, 30)),
        # orange accept, 4 h
        (sh(2026, 3, 4, 10, 0), sh(2026, 3, 4, 14, 0), sh(2026, 3, 4, 12, 0)),
        # blue accept, 24 h
        (sh(2026, 3, 4, 10, 0), sh(2026, 3, 5, 10, 0), sh(2026, 3, 4, 22, 0)),
        # exactly 48 h: halfway and 24 h before coincide
        (sh(2026, 3, 4, 10, 0), sh(2026, 3, 6, 10, 0), sh(2026, 3, 5, 10, 0)),
        # red resolve, accepted Wed 10:30, due Mon: 24 h before
        (sh(2026, 3, 4, 10, 30), sh(2026, 3, 9, 23, 59, 59), sh(2026, 3, 8, 23, 59, 59)),
        # blue resolve, 15 working days: 24 h before
        (sh(2026, 3, 4, 10, 30), sh(2026, 3, 25, 23, 59, 59), sh(2026, 3, 24, 23, 59, 59)),
        # accepted after the resolve deadline had passed: due at the deadline
        (sh(2026, 3, 12, 9, 0), sh(2026, 3, 9, 23, 59, 59), sh(2026, 3, 9, 23, 59, 59)),
    ],
)
def test_reminder_time(window_start: datetime, due_at: datetime, reminder: datetime) -> None:
    assert step_due_at(R, due_at, window_start, CAL) == reminder


def test_short_window_reminder_starts_at_halfway() -> None:
    dispatched, due = sh(2026, 3, 4, 10, 0), sh(2026, 3, 4, 11, 0)
    assert steps_due(ladder(due, dispatched, CAL), sh(2026, 3, 4, 10, 29, 59)) == []
    assert steps_due(ladder(due, dispatched, CAL), sh(2026, 3, 4, 10, 30)) == [R]


def test_long_window_reminder_starts_24h_before() -> None:
    accepted, due = sh(2026, 3, 4, 10, 30), sh(2026, 3, 25, 23, 59, 59)
    assert steps_due(ladder(due, accepted, CAL), sh(2026, 3, 24, 23, 59, 58)) == []
    assert steps_due(ladder(due, accepted, CAL), sh(2026, 3, 24, 23, 59, 59)) == [R]


# --- overdue, letter, escalation ------------------------------------------


def test_overdue_boundary_is_strictly_after_the_deadline() -> None:
    dispatched, due = sh(2026, 3, 4, 10, 0), sh(2026, 3, 4, 11, 0)
    assert steps_due(ladder(due, dispatched, CAL), due) == [R]
    assert steps_due(ladder(due, dispatched, CAL), due + US) == [R, O]
    assert step_due_at(O, due, dispatched, CAL) == due + US


def test_ladder_over_national_day() -> None:
    # resolve deadline Wed 2026-09-30; 1st working day after: Thu 10-08,
    # 3rd: the make-up Saturday 10-10.
    accepted, due = sh(2026, 9, 29, 16, 0), sh(2026, 9, 30, 23, 59, 59)
    assert step_due_at(L, due, accepted, CAL) == sh(2026, 10, 8, 23, 59, 59) + US
    assert step_due_at(E, due, accepted, CAL) == sh(2026, 10, 10, 23, 59, 59) + US

    assert steps_due(ladder(due, accepted, CAL), sh(2026, 10, 5, 12, 0)) == [R, O]
    assert steps_due(ladder(due, accepted, CAL), sh(2026, 10, 8, 23, 59, 59)) == [R, O]
    assert steps_due(ladder(due, accepted, CAL), sh(2026, 10, 9, 0, 0)) == [R, O, L]
    assert steps_due(ladder(due, accepted, CAL), sh(2026, 10, 10, 23, 59, 59)) == [R, O, L]
    assert steps_due(ladder(due, accepted, CAL), sh(2026, 10, 11, 0, 0)) == [R, O, L, E]


def test_letter_and_escalation_count_from_the_shanghai_day_of_the_deadline() -> None:
    # Red accept deadline Fri 2026-03-06 00:30 Shanghai (Thu 16:30 UTC):
    # letter after Mon 03-09, escalation after Wed 03-11.
    dispatched = datetime(2026, 3, 5, 15, 30, tzinfo=UTC)
    due = deadlines_for(RiskLevel.RED, dispatched, CAL).accept_due_at
    assert step_due_at(L, due, dispatched, CAL) == sh(2026, 3, 9, 23, 59, 59) + US
    assert step_due_at(E, due, dispatched, CAL) == sh(2026, 3, 11, 23, 59, 59) + US


def test_sweep_past_several_steps_takes_them_all_in_order() -> None:
    dispatched = sh(2026, 3, 4, 10, 0)
    due = deadlines_for(RiskLevel.ORANGE, dispatched, CAL).accept_due_at  # 14:00
    # Wednesday deadline: letter after Thu 03-05, escalation after Mon 03-09.
    assert steps_due(ladder(due, dispatched, CAL), sh(2026, 3, 4, 9, 59)) == []
    assert steps_due(ladder(due, dispatched, CAL), sh(2026, 3, 6, 0, 0)) == [R, O, L]
    assert steps_due(ladder(due, dispatched, CAL), sh(2026, 3, 9, 23, 59, 59)) == [R, O, L]
    assert steps_due(ladder(due, dispatched, CAL), sh(2026, 3, 10, 0, 0)) == [R, O, L, E]


# --- next_step_at ------------------------------------------------------------


def test_next_step_at_walks_the_ladder() -> None:
    dispatched, due = sh(2026, 3, 4, 10, 0), sh(2026, 3, 4, 11, 0)  # red accept
    assert next_step_at(ladder(due, dispatched, CAL), set()) == sh(2026, 3, 4, 10, 30)
    assert next_step_at(ladder(due, dispatched, CAL), {R}) == sh(2026, 3, 4, 11, 0) + US
    assert next_step_at(ladder(due, dispatched, CAL), {R, O}) == sh(2026, 3, 5, 23, 59, 59) + US
    assert next_step_at(ladder(due, dispatched, CAL), {R, O, L}) == sh(2026, 3, 9, 23, 59, 59) + US
    assert next_step_at(ladder(due, dispatched, CAL), {R, O, L, E}) is None


def test_next_step_at_is_the_earliest_step_not_done() -> None:
    dispatched, due = sh(2026, 3, 4, 10, 0), sh(2026, 3, 4, 11, 0)
    assert next_step_at(ladder(due, dispatched, CAL), {O, L}) == sh(2026, 3, 4, 10, 30)


def test_next_step_at_agrees_with_steps_due() -> None:
    dispatched = sh(2026, 9, 29, 15, 0)
    due = deadlines_for(RiskLevel.RED, dispatched, CAL).resolve_due_at  # Fri 2026-10-09
    done: set[SupervisionStep] = set()
    while (at := next_step_at(ladder(due, dispatched, CAL), done)) is not None:
        newly = [s for s in steps_due(ladder(due, dispatched, CAL), at) if s not in done]
        assert len(newly) == 1
        assert steps_due(ladder(due, dispatched, CAL), at - US) == sorted(done, key=list(SupervisionStep).index)
        done |= set(newly)
    assert done == set(SupervisionStep)
