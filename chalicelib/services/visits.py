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

The same sweep follows judicial confirmation (司法确认, `domain/judicial.py`):
`jc_window_closing` to the mediator once from 7 days before the window ends
for a case whose parties only intend to apply, and `lapsed` once a window
passed unused, for resolved and closed cases alike (the index carries them
while the application's state says the sweep owes them a step).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from ..domain.calendar import business_day
from ..domain.case import Case
from .sweeping import DueSweep


class ReturnVisitSweep(DueSweep):
    name = "return_visits"

    def _due(self, now: dt.datetime) -> Iterable[Case]:
        return self._cases.due_for_visits(business_day(now))

    def _act(self, case: Case, now: dt.datetime) -> tuple[int, list[dict]]:
        outcome = case.send_visit_notices(now).merge(case.send_judicial_notices(now))
        if not outcome.events:
            return 0, []
        notes = self._notifier.plan(case, outcome.notices, now, self._org, self._mediator)
        self._cases.save_change(case, outcome.events, notes)
        return len(outcome.events), notes
