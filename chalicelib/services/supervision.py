"""The supervision sweep (督办): walk the deadline ladder of every case that is due.

Reads only the due-date index (`next_check_at <= now`), so its cost grows
with what is due, not with what is open. For each due case it takes every
step whose time has come, at once and each once per deadline (the steps
taken are stored on the case, in the same conditional write as their
timeline events, notifications and letters). Two sweeps at once, or a sweep
racing a mediator's action, meet at the version check: the loser re-reads
and finds nothing left to do. It resumes suspended cases whose `resume_on`
has begun (中止期满), reminds the mediators of a session the day before it
and a sponsoring leader (包案) a week before the day to settle by, routes
cases a lost message left `received` (self-heal), sends deferred and
straggling SMS, and records how far ahead the working calendar has data
(`CalendarDaysCovered`, alarmed under 45).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from ..domain.calendar import WorkingCalendar, business_day
from ..domain.case import Case, Outcome
from ..domain.deadlines import SupervisionStep
from ..domain.enums import CaseStatus
from ..domain.supervision import due_steps
from ..observability import logger
from .calendar import COVERAGE_METRIC, days_covered
from .callbacks import CallbackService
from .notifications import Notifier
from .ports import CalendarStore, CaseStore, Clock, Directory, Metrics, Publisher
from .routing import RoutingService, request_routing
from .sweeping import DueSweep


class SupervisionSweep(DueSweep):
    name = "supervision"

    def __init__(self, cases: CaseStore, directory: Directory, notifier: Notifier, routing: RoutingService,
                 callbacks: CallbackService, publisher: Publisher, calendar: CalendarStore, metrics: Metrics,
                 clock: Clock):
        super().__init__(cases, directory, notifier, publisher, clock)
        self._routing = routing
        self._callbacks = callbacks
        self._calendar = calendar
        self._metrics = metrics
        self._run_calendar: WorkingCalendar | None = None
        """The calendar read at the start of the current run: every case of a run is resumed on it."""

    def _before(self, now: dt.datetime) -> int:
        self._run_calendar = self._calendar.calendar()  # one calendar for the whole run
        self._record_calendar_coverage(now)
        return self._notifier.release(now)  # deferred SMS after 08:00, stragglers, failed ones

    def _record_calendar_coverage(self, now: dt.datetime) -> None:
        try:
            self._metrics.gauge(COVERAGE_METRIC, days_covered(self._run_calendar, business_day(now)))
        except Exception:  # noqa: BLE001 - a metric never stops the sweep
            logger.exception("calendar coverage metric failed")

    def _due(self, now: dt.datetime) -> Iterable[Case]:
        return self._cases.due_for_supervision(now)

    def _act(self, case: Case, now: dt.datetime) -> tuple[int, list[dict]]:
        if case.status is CaseStatus.RECEIVED:
            done, notes = 0, []
            owed = case.send_sweep_notices(now)  # a sponsored case waiting to be routed
            if owed.events:
                done, notes = self._take(case, [], now, owed)
            return done + self._self_heal(case, now), notes
        outcome = Outcome()
        if case.resumes_by_itself(now):  # then the ladder of the moved deadline, in the same write
            outcome = case.resume_by_itself(now, self._run_calendar or self._calendar.calendar())
        outcome = outcome.merge(case.send_sweep_notices(now))  # sessions' reminders, the sponsor's SMS
        steps = due_steps(case, now)
        if not steps and not outcome.events:
            return 0, []
        return self._take(case, steps, now, outcome)

    def _self_heal(self, case: Case, now: dt.datetime) -> int:
        if case.self_heal_at > now:
            return 0
        outcome = self._routing.route(case.case_id, now)
        logger.info("sweep routed a stranded case", extra={"case_id": case.case_id, "outcome": outcome})
        return int(outcome in ("dispatched", "unroutable"))

    def _take(self, case: Case, steps: list[SupervisionStep], now: dt.datetime,
              outcome: Outcome) -> tuple[int, list[dict]]:
        letter_to = self._org(case.org_id) if case.org_id and SupervisionStep.SUPERVISION_LETTER in steps else None
        for step in steps:
            outcome = outcome.merge(case.take_step(step, now, org_name=letter_to.name if letter_to else None))
        notes = self._notifier.plan(case, outcome.notices, now, self._org, self._mediator)
        self._cases.save_change(case, outcome.events, notes, outcome.mediator_load, letters=outcome.letters)
        self._callbacks.tell(case, outcome, now)
        if outcome.reroute:
            request_routing(self._publisher, case.case_id, "supervision_escalation", now)
        return len(outcome.events), notes
