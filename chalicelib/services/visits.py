"""The return-visit sweep (回访提醒): daily at 09:00 Asia/Shanghai.

Reads only the return-visit index (`next_visit_check_on <= today`, today in
Asia/Shanghai), so its cost grows with the visits that owe a notice, not with
the visits planned. For each such case it sends `visit_due` to the mediator
from three days before a visit's `due_on`, and `visit_overdue` to the org head
once the date is after it; each once per visit (the visit records when its
notice went out, in the same conditional write as the notification records
and timeline events). A case closed or withdrawn, or a visit done, owes
nothing: the index no longer carries it. Two sweeps at once meet at the
version check; the loser re-reads and finds nothing left to send.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Callable

from ..domain.calendar import business_day
from ..domain.case import Case, Event
from ..domain.visits import NOTIFIED_FIELD, VISIT_DUE, notices_due
from ..observability import logger
from .errors import StaleCase
from .supervision import MAX_ATTEMPTS, TIME_BUDGET_RESERVE_MS, SweepResult

SWEEP_NAME = "return_visits"
"""How a continuation message on the sweeps queue names this sweep."""


class ReturnVisitSweep:
    def __init__(self, cases, directory, notifier, publisher, clock: Callable[[], dt.datetime]):
        self._cases = cases
        self._org = lru_cache(maxsize=1024)(directory.org)
        self._mediator = lru_cache(maxsize=4096)(directory.mediator)
        self._notifier = notifier
        self._publisher = publisher
        self._clock = clock

    def run(self, as_of: dt.datetime | None = None,
            remaining_ms: Callable[[], int] | None = None) -> SweepResult:
        now = as_of or self._clock()
        today = business_day(now)
        result = SweepResult()
        self._org.cache_clear()  # directory entries are read once per sweep run
        self._mediator.cache_clear()
        outbox: list[dict] = []  # SMS of the whole run, enqueued 10 per SendMessageBatch call
        try:
            for case in self._cases.due_for_visits(today):
                if remaining_ms is not None and remaining_ms() < TIME_BUDGET_RESERVE_MS:
                    self._publisher.publish("sweeps", {"sweep": SWEEP_NAME, "as_of": now.isoformat()})
                    result.complete = False
                    logger.info("visit sweep continues in a new invocation", extra={"examined": result.examined})
                    break
                result.examined += 1
                result.actions += self.remind(case, now, outbox)
        finally:  # what a crash leaves unsent is pending on the release index: the supervision sweep sends it
            self._notifier.enqueue(outbox)
        logger.info("return visit sweep", extra={"examined": result.examined, "actions": result.actions,
                                                 "as_of": now.isoformat()})
        return result

    def remind(self, case: Case, now: dt.datetime, outbox: list[dict] | None = None) -> int:
        """Send every notice one case owes; returns how many. The SMS go to `outbox` for the
        caller to enqueue in batches (or are enqueued at once)."""
        today = business_day(now)
        for _ in range(MAX_ATTEMPTS):
            owed = notices_due(case, today)
            if not owed:
                return 0
            try:
                notes = self._send(case, owed, now)
            except StaleCase:
                case = self._cases.get(case.case_id)
                if case is None:
                    return 0
                continue
            if outbox is None:
                self._notifier.enqueue(notes)
            else:
                outbox.extend(notes)
            return len(notes)
        return 0

    def _send(self, case: Case, owed: list[tuple[dict, str]], now: dt.datetime) -> list[dict]:
        org = self._org(case.org_id) if case.org_id else None
        mediator = self._mediator(case.mediator_id) if case.mediator_id else None
        org_name = org.name if org else ""
        events, notes = [], []
        for visit, kind in owed:
            visit[NOTIFIED_FIELD[kind]] = now.isoformat()
            to_mediator = kind == VISIT_DUE
            phone = (mediator.phone if mediator else None) if to_mediator else (org.head_phone if org else None)
            due_on = dt.date.fromisoformat(visit["due_on"])
            notes.append(self._notifier.plan(case, kind, phone, now, due=due_on, org_name=org_name))
            events.append(Event(now, "visit_notice", "system:visit-sweep", {
                "kind": kind, "seq": visit["seq"], "due_on": visit["due_on"],
                "to": "mediator" if to_mediator else "org_head"}))
        self._cases.save_change(case, events, notes)
        return notes
