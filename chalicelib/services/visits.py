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
from typing import Iterable

from ..domain.calendar import business_day
from ..domain.case import Case, Event
from ..domain.visits import NOTIFIED_FIELD, VISIT_DUE, notices_due
from .sweeping import DueSweep


class ReturnVisitSweep(DueSweep):
    name = "return_visits"

    def _due(self, now: dt.datetime) -> Iterable[Case]:
        return self._cases.due_for_visits(business_day(now))

    def _act(self, case: Case, now: dt.datetime) -> tuple[int, list[dict]]:
        owed = notices_due(case, business_day(now))
        notes = self._send(case, owed, now) if owed else []
        return len(notes), notes

    def _send(self, case: Case, owed: list[tuple[dict, str]], now: dt.datetime) -> list[dict]:
        org, mediator = self._assignees(case)
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
