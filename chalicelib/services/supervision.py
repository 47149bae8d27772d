"""The supervision sweep (督办): walk the deadline ladder of every case that is due.

Reads only the due-date index (`next_check_at <= now`), so its cost grows
with what is due, not with what is open. For each due case it takes every
step whose time has come, at once and each once per deadline (the steps
taken are stored on the case, in the same conditional write as their
timeline events, notifications and letters). Two sweeps at once, or a sweep
racing a mediator's action, meet at the version check: the loser re-reads
and finds nothing left to do. It also routes cases a lost message left
`received` (self-heal) and sends deferred and straggling SMS.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable

from ..adapters.case_store import LETTER_PREFIX
from ..adapters.clock import to_storage
from ..adapters.models import CaseItemModel
from ..domain.calendar import business_day
from ..domain.case import Case, Event
from ..domain.deadlines import SUPERVISION_LEVEL, SupervisionStep
from ..domain.enums import CaseStatus
from ..domain.routing import escalation_tier
from ..domain.supervision import SELF_HEAL_DELAY, current_deadline, due_steps
from ..observability import logger
from .routing import request_routing
from .sweeping import DueSweep

class SupervisionSweep(DueSweep):
    name = "supervision"

    def __init__(self, cases, directory, notifier, routing, callbacks, publisher, clock: Callable[[], dt.datetime]):
        super().__init__(cases, directory, notifier, publisher, clock)
        self._routing = routing
        self._callbacks = callbacks

    def _before(self, now: dt.datetime) -> int:
        return self._notifier.release(now)  # deferred SMS after 08:00, stragglers, failed ones

    def _due(self, now: dt.datetime) -> Iterable[Case]:
        return self._cases.due_for_supervision(now)

    def _act(self, case: Case, now: dt.datetime) -> tuple[int, list[dict]]:
        if case.status is CaseStatus.RECEIVED:
            return self._self_heal(case, now), []
        steps = due_steps(case, now)
        notes: list[dict] = []
        return (self._take(case, steps, now, notes) if steps else 0), notes

    def _self_heal(self, case: Case, now: dt.datetime) -> int:
        if (case.route_retry_at or case.received_at + SELF_HEAL_DELAY) > now:
            return 0
        outcome = self._routing.route(case.case_id, now)
        logger.info("sweep routed a stranded case", extra={"case_id": case.case_id, "outcome": outcome})
        return int(outcome in ("dispatched", "unroutable"))

    def _take(self, case: Case, steps: list[SupervisionStep], now: dt.datetime, notes: list[dict]) -> int:
        deadline = current_deadline(case)
        org, mediator = self._assignees(case)
        org_name = org.name if org else ""
        head_phone = org.head_phone if org else None
        mediator_phone = mediator.phone if mediator else None
        events: list[Event] = []
        letters: list[CaseItemModel] = []
        reroute = False
        former_mediator = case.mediator_id
        for step in steps:
            case.supervision_steps.append(step.value)
            case.supervision_level = max(case.supervision_level, SUPERVISION_LEVEL[step])
            detail = {"step": step.value, "deadline": deadline.kind, "due_at": deadline.due_at.isoformat(),
                      "level": case.supervision_level}
            if step is SupervisionStep.REMINDER:
                notes.append(self._notifier.plan(case, "reminder", mediator_phone, now, due=deadline.due_at))
            elif step is SupervisionStep.OVERDUE:
                case.overdue = True
                notes.append(self._notifier.plan(case, "overdue", mediator_phone, now, due=deadline.due_at))
            elif step is SupervisionStep.SUPERVISION_LETTER:
                letter = self._letter(case, deadline, org, now)
                letters.append(letter)
                detail["letter_number"] = letter.detail["number"]
                notes.append(self._notifier.plan(case, "supervision_letter", head_phone, now,
                                                 due=deadline.due_at, org_name=org_name))
            elif step is SupervisionStep.ESCALATION:
                higher = escalation_tier(case.tier) if case.tier else None
                detail["listed"] = True  # 挂牌督办
                if higher is not None:
                    detail.update(from_tier=case.tier.value, to_tier=higher.value, org_id=case.org_id)
                    notes.append(self._notifier.plan(case, "escalated", head_phone, now, org_name=org_name))
                    case.apply("escalate")
                    case.escalate_to(higher, now + SELF_HEAL_DELAY)
                    reroute = True
            events.append(Event(now, "supervision", "system:sweep", detail))
        load = {former_mediator: -1} if reroute and former_mediator else {}
        self._cases.save_change(case, events, notes, load, extra_items=letters)
        if reroute:
            self._callbacks.status_changed(case, now)
            request_routing(self._publisher, case.case_id, "supervision_escalation", now)
        return len(steps)

    @staticmethod
    def _letter(case: Case, deadline, org, now: dt.datetime) -> CaseItemModel:
        """督办函: a record of its own on the case."""
        day = business_day(now)
        number = f"督办〔{day.year}〕{day:%m%d}-{case.case_id[-8:]}-{deadline.kind[0].upper()}"
        detail = {"number": number, "date": day.isoformat(), "addressee_org_id": case.org_id,
                  "addressee_org_name": org.name if org else None, "deadline": deadline.kind,
                  "deadline_due_at": deadline.due_at.isoformat(), "supervision_level": 2}
        return CaseItemModel(case.case_id, f"{LETTER_PREFIX}{to_storage(now)}#{deadline.kind}", type="supervision_letter",
                             at=to_storage(now), actor="system:sweep", detail=detail)
