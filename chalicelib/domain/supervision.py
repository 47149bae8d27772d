"""Supervision (督办): which deadline a case is on, and when it next needs the sweep.

`next_check_at` is derived from the case's state alone and stored with the
case as the key of the sparse due-date index at every write, so the index
can never drift from the case: a sweep asks for the cases whose next check
has come, and reads nothing else. The state it reads includes the ladder of
the deadline in force (the time of each step, computed on the working
calendar when the deadline came into force), so no calendar is needed here.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .calendar import start_of_day
from .deadlines import SupervisionStep, next_step_at, steps_due
from .enums import OPEN_STATUSES, CaseStatus
from .sessions import reminder_due_at
from .sponsorship import notice_due_at

if TYPE_CHECKING:  # the case imports these rules; they only read its fields
    from .case import Case

SELF_HEAL_DELAY = dt.timedelta(minutes=2)
"""A case still `received` this long after intake (or a re-route) is routed by the sweep."""
UNROUTABLE_RETRY = dt.timedelta(minutes=30)
"""How long an unroutable case waits before the sweep tries again, after its self-heal try;
the wait doubles with each try that finds no org, up to UNROUTABLE_RETRY_MAX."""
UNROUTABLE_RETRY_MAX = dt.timedelta(hours=24)
DUE_SHARDS = 4
"""Partitions of the due-date index: the sweep queries each; writes spread over them."""

DEADLINE_OF_STATUS = {CaseStatus.DISPATCHED: "accept", CaseStatus.ACCEPTED: "resolve"}
"""The deadline a case is on in each status (接单时限, 结单时限)."""


@dataclass(frozen=True)
class Deadline:
    kind: str
    due_at: dt.datetime
    window_start: dt.datetime
    """When its window opened: the dispatch for `accept`, the accept for `resolve` (a moved
    deadline's ladder counts from the move: `Case.ladder`)."""


def current_deadline(case: Case) -> Deadline | None:
    kind = DEADLINE_OF_STATUS.get(case.status)
    if kind == "accept" and case.accept_due_at and case.dispatched_at:
        return Deadline(kind, case.accept_due_at, case.dispatched_at)
    if kind == "resolve" and case.resolve_due_at:
        return Deadline(kind, case.resolve_due_at, case.accepted_at or case.dispatched_at or case.received_at)
    return None


def auto_resume_at(case: Case) -> dt.datetime | None:
    """The start of `resume_on` of a suspended case: when the sweep resumes it by itself."""
    suspension = case.open_suspension
    return start_of_day(suspension.resume_on) if suspension is not None else None


def next_routing_attempt(case: Case, failed_at: dt.datetime) -> dt.datetime:
    """When the sweep next tries to route a `received` case that no org could take at
    `failed_at` (`case.unroutable_attempts` counting the tries before this one): at the
    self-heal moment of this routing request (2 minutes after intake or re-route) if that is
    still ahead, so that an org added meanwhile gets it then; after that UNROUTABLE_RETRY
    later, doubling with each further try up to a day, so that a case nobody can take
    adds a few timeline entries a day, not one per sweep."""
    heal_at = case.self_heal_at
    if heal_at > failed_at:
        return heal_at
    doublings = min(max(case.unroutable_attempts - 1, 0), 16)
    return failed_at + min(UNROUTABLE_RETRY * 2 ** doublings, UNROUTABLE_RETRY_MAX)


def steps_done(case: Case) -> set[SupervisionStep]:
    return {SupervisionStep(step) for step in case.supervision_steps}


def due_steps(case: Case, now: dt.datetime) -> list[SupervisionStep]:
    """Steps of the current deadline whose time has come and that were not taken yet; none
    while the case is suspended (中止: its clock is stopped)."""
    if current_deadline(case) is None or case.suspended:
        return []
    done = steps_done(case)
    return [step for step in steps_due(case.ladder, now) if step not in done]


def next_check_at(case: Case) -> dt.datetime | None:
    """When the sweep must next look at this case; None when it never needs to: the first of
    its deadline's next check and the SMS it owes people (`notices_due_at`)."""
    due = [moment for moment in (_deadline_check_at(case), notices_due_at(case)) if moment is not None]
    return min(due, default=None)


def notices_due_at(case: Case) -> dt.datetime | None:
    """When the sweep next owes an SMS that is no deadline's step: a session's reminder (while
    the case is accepted) or the sponsor's `sponsor_due` (while it is open)."""
    due = []
    if case.status is CaseStatus.ACCEPTED:
        due.append(reminder_due_at(case.sessions))
    if case.status in OPEN_STATUSES:
        due.append(notice_due_at(case.sponsor))
    return min((moment for moment in due if moment is not None), default=None)


def _deadline_check_at(case: Case) -> dt.datetime | None:
    if case.status is CaseStatus.RECEIVED:
        return case.self_heal_at
    if case.suspended:
        return auto_resume_at(case)
    if current_deadline(case) is None:
        return None
    return next_step_at(case.ladder, steps_done(case))


def due_shard(case_id: str) -> str:
    return str(zlib.crc32(case_id.encode()) % DUE_SHARDS)


def overdue_deadline(case: Case) -> Deadline | None:
    """The deadline an open case flagged overdue (逾期) is late on: the key of the sparse overdue
    index (the supervisor dashboard's overdue list), None while the case is not on it. The
    overdue flag is cleared whenever the deadline in force changes, so a flagged open case is
    always on a deadline."""
    if case.status in OPEN_STATUSES and case.overdue:
        return current_deadline(case)
    return None
