"""Case deadlines and the supervision ladder (督办), contract §6, as data.

Every dispatch sets an accept deadline (接单时限) and a resolve deadline
(结单时限) from the tables below. The scheduled sweep then walks the
current deadline through the supervision steps: a reminder before it, then
overdue, a supervision letter (督办函) and escalation (挂牌督办) after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping

from .calendar import WorkingCalendar
from .enums import RiskLevel, WireEnum

ACCEPT_WINDOW: dict[RiskLevel, timedelta] = {
    RiskLevel.RED: timedelta(hours=1),
    RiskLevel.ORANGE: timedelta(hours=4),
    RiskLevel.YELLOW: timedelta(hours=24),
    RiskLevel.BLUE: timedelta(hours=24),
}
"""接单时限: how long after dispatch a mediator has to accept."""

RESOLVE_WORKING_DAYS: dict[RiskLevel, int] = {
    RiskLevel.RED: 3,
    RiskLevel.ORANGE: 7,
    RiskLevel.YELLOW: 15,
    RiskLevel.BLUE: 15,
}
"""结单时限: working days after the dispatch day, ending 23:59:59 Asia/Shanghai."""

EXTENSION_CAP: dict[RiskLevel, int] = {
    RiskLevel.RED: 2,
    RiskLevel.ORANGE: 4,
    RiskLevel.YELLOW: 8,
    RiskLevel.BLUE: 8,
}
"""延期: the most working days one approved extension may add to the resolve deadline (§11)."""

MAX_SUSPENSIONS_PER_DISPATCH = 2
"""中止: how often a case may be suspended between one dispatch and the next."""
MAX_SUSPENSION_DAYS = 30
"""中止: how far ahead of today `resume_on` may be."""


@dataclass(frozen=True)
class Deadlines:
    """The two deadlines a dispatch sets."""

    accept_due_at: datetime
    resolve_due_at: datetime


def deadlines_for(risk_level: RiskLevel, dispatched_at: datetime, calendar: WorkingCalendar) -> Deadlines:
    """The accept and resolve deadlines set by a dispatch at `dispatched_at` (tz-aware)."""
    return Deadlines(
        accept_due_at=dispatched_at + ACCEPT_WINDOW[risk_level],
        resolve_due_at=calendar.end_of_nth_working_day_after(dispatched_at, RESOLVE_WORKING_DAYS[risk_level]),
    )


def moved_deadline(due_at: datetime, working_days: int, calendar: WorkingCalendar) -> datetime:
    """A deadline moved by `working_days` (an extension, the days a case was suspended): the end
    of that working day after the day of the old deadline; unchanged for 0."""
    return calendar.end_of_nth_working_day_after(due_at, working_days) if working_days > 0 else due_at


class SupervisionStep(WireEnum):
    """The rungs of the supervision ladder, in the order they fall due."""

    REMINDER = "reminder"
    OVERDUE = "overdue"
    SUPERVISION_LETTER = "supervision_letter"
    ESCALATION = "escalation"


SUPERVISION_LEVEL: dict[SupervisionStep, int] = {
    SupervisionStep.REMINDER: 0,
    SupervisionStep.OVERDUE: 1,
    SupervisionStep.SUPERVISION_LETTER: 2,
    SupervisionStep.ESCALATION: 3,
}
"""The `supervision_level` each step brings a case up to."""

REMINDER_LEAD = timedelta(hours=24)
"""A reminder falls due this long before the deadline ..."""
SHORT_WINDOW = timedelta(hours=48)
"""... or at the halfway point, for windows this long or shorter."""

_JUST_AFTER = timedelta(microseconds=1)
"""A moment is past an instant from the next representable instant on."""


StepRule = Callable[[datetime, datetime, WorkingCalendar], datetime]


def _reminder_at(due_at: datetime, window_start: datetime, _calendar: WorkingCalendar) -> datetime:
    window = max(due_at - window_start, timedelta(0))
    return due_at - (window / 2 if window <= SHORT_WINDOW else REMINDER_LEAD)


def _past_working_days_after(n: int) -> StepRule:
    return lambda due_at, _start, calendar: calendar.end_of_nth_working_day_after(due_at, n) + _JUST_AFTER


STEP_RULES: dict[SupervisionStep, StepRule] = {
    SupervisionStep.REMINDER: _reminder_at,
    SupervisionStep.OVERDUE: lambda due_at, _start, _calendar: due_at + _JUST_AFTER,
    SupervisionStep.SUPERVISION_LETTER: _past_working_days_after(1),
    SupervisionStep.ESCALATION: _past_working_days_after(3),
}
"""When each step falls due, from (due_at, window_start, calendar)."""


def step_due_at(step: SupervisionStep, due_at: datetime, window_start: datetime,
                calendar: WorkingCalendar) -> datetime:
    """The first instant at which `step` is due for a deadline `due_at`.

    `window_start` is when the deadline's window opened: the dispatch time
    for the accept deadline, the accept time for the resolve deadline, the
    moment a moved deadline was set. A step is due at every
    `now >= step_due_at(...)`; for the steps after the deadline this is one
    microsecond past the instant they must be past.
    """
    return STEP_RULES[step](due_at, window_start, calendar)


def ladder(due_at: datetime, window_start: datetime, calendar: WorkingCalendar) -> dict[SupervisionStep, datetime]:
    """When every step of the ladder falls due for one deadline: computed once, when the
    deadline comes into force, and kept with the case (the sweep's index is derived from it)."""
    return {step: step_due_at(step, due_at, window_start, calendar) for step in SupervisionStep}


def steps_due(times: Mapping[SupervisionStep, datetime], now: datetime) -> list[SupervisionStep]:
    """Every step of a ladder whose time has come by `now`, in ladder order."""
    return [step for step in SupervisionStep if step in times and now >= times[step]]


def next_step_at(times: Mapping[SupervisionStep, datetime], done: set[SupervisionStep]) -> datetime | None:
    """When the earliest step of a ladder not in `done` falls due; None once all are done."""
    return min((at for step, at in times.items() if step not in done), default=None)
