"""Case actions by staff (§5): accept, decline, escalate, note, resolve, fail, visit, close, withdraw.

Every action reads the case, checks who may act and the state machine,
changes the case and writes it with its timeline event in one conditional
write on `version` (optimistic locking): of eight concurrent accepts of one
version, exactly one wins and the others get 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from ..domain.access import Principal
from ..domain.calendar import business_day, rfc3339
from ..domain.case import Case, Event
from ..domain.enums import CaseStatus, Role
from ..domain.routing import escalation_tier
from ..domain.supervision import SELF_HEAL_DELAY
from ..domain.visits import PERFORMANCE_HORIZON_DAYS, follow_up_visit, needs_rectification, plan_visits
from ..observability import logger
from . import commands as c
from ..domain.errors import StaleCase
from .errors import Conflict, Forbidden, Unprocessable
from .routing import request_routing

STATUS_EVENT = {
    "accept": "accepted", "decline": "declined", "escalate": "escalated", "note": "note", "resolve": "resolved",
    "fail": "unresolved", "visit": "visited", "close": "closed", "withdraw": "withdrawn",
}
"""Timeline event type written by each action."""

ACT_ATTEMPTS = 8
"""Tries of an action without `expected_version` against concurrent writes of its case."""

ASSIGNED = frozenset({CaseStatus.DISPATCHED, CaseStatus.ACCEPTED})
"""Statuses in which a case counts towards its mediator's open cases."""

ACTION_COMMANDS: dict[str, type[c.Action]] = {
    "accept": c.AcceptCase, "decline": c.DeclineCase, "escalate": c.EscalateCase, "note": c.AddNote,
    "resolve": c.ResolveCase, "fail": c.FailCase, "visit": c.RecordVisit, "close": c.CloseCase,
    "withdraw": c.WithdrawCase,
}


def action_basis(case: Case) -> tuple:
    """What an action's effect depends on. A concurrent write that changed none of it (another
    note, a sweep's reminder) lets an action without `expected_version` apply to the case as
    it now stands; one that changed it (a visit recorded, the case routed elsewhere) makes the
    retry a 409, so a double-clicked visit is not recorded twice."""
    return (case.status, case.org_id, case.mediator_id, case.tier, case.rectification_required,
            tuple(visit.get("done_at") for visit in case.return_visits))


def may_act(principal: Principal, case: Case) -> bool:
    """Mediators act on cases of their own org (assigned to them or a colleague);
    supervisors within their jurisdiction; admins everywhere."""
    if principal.role is Role.MEDIATOR:
        return case.org_id is not None and case.org_id == principal.org_id or (
            case.mediator_id is not None and case.mediator_id == principal.mediator_id)
    return principal.covers_region(case.region_code)


class CaseActions:
    def __init__(self, cases, queries, directory, notifier, callbacks, publisher,
                 clock: Callable[[], dt.datetime]):
        self._cases = cases
        self._queries = queries
        self._directory = directory
        self._notifier = notifier
        self._callbacks = callbacks
        self._publisher = publisher
        self._clock = clock

    def act(self, case_id: str, action: str, command: c.Action, principal: Principal) -> Case:
        """Apply one action. Without `expected_version` the caller wants it done on the case as
        it stands: a concurrent write makes it read the case again and retry (a note among
        notes); with one, the version is a precondition, and a change meanwhile is a 409."""
        basis: list[tuple] = []
        for attempt in range(1, ACT_ATTEMPTS + 1):
            try:
                return self._act_once(case_id, action, command, principal, basis)
            except StaleCase:
                if command.expected_version is not None or attempt == ACT_ATTEMPTS:
                    raise Conflict("the case changed meanwhile; read it again and retry") from None
                logger.info("case action: retry after a concurrent change", extra={"case_id": case_id})
        raise AssertionError("unreachable")

    def _act_once(self, case_id: str, action: str, command: c.Action, principal: Principal,
                  basis: list[tuple]) -> Case:
        case = self._queries.case(case_id, principal)  # 404 outside the caller's view
        if not basis:
            basis.append(action_basis(case))
        elif action_basis(case) != basis[0]:
            raise Conflict("the case changed meanwhile; read it again and retry")
        if not may_act(principal, case):
            raise Forbidden(f"you may read this case but not {action} it")
        if command.expected_version is not None and command.expected_version != case.version:
            raise Conflict(f"the case is at version {case.version}, not {command.expected_version}",
                           version=case.version)
        before = case.status
        previous_mediator = case.mediator_id
        case.check(action)
        now = self._clock()
        detail, notes, reroute = getattr(self, f"_{action}")(case, command, now)
        case.apply(action)
        load = {}
        if previous_mediator and before in ASSIGNED and (
                case.mediator_id != previous_mediator or case.status not in ASSIGNED):
            load[previous_mediator] = -1  # the mediator's open-case count, used by routing
        event = Event(now, STATUS_EVENT[action], principal.actor, detail)
        self._cases.save_change(case, [event], notes, load)
        self._notifier.enqueue(notes)
        if case.status is not before:
            self._callbacks.status_changed(case, now)
        if reroute:
            request_routing(self._publisher, case.case_id, action, now)
        logger.info("case action", extra={"case_id": case_id, "action": action, "status": case.status.value})
        return case

    # Each handler validates what the state machine cannot, changes the case,
    # and returns (event detail, notifications, re-route?).

    def _accept(self, case: Case, command, now):
        case.accepted_at = now
        case.supervision_steps, case.overdue = [], False  # a new deadline: 结单时限
        return {"mediator_id": case.mediator_id}, [], False

    def _decline(self, case: Case, command: c.DeclineCase, now):
        detail = {"reason": command.reason, "org_id": case.org_id}
        if case.org_id and case.org_id not in case.declined_org_ids:
            case.declined_org_ids.append(case.org_id)
        case.unassign(now + SELF_HEAL_DELAY)  # the sweep re-routes it if the routing message is lost
        return detail, [], True

    def _escalate(self, case: Case, command: c.EscalateCase, now):
        higher = escalation_tier(case.tier) if case.tier else None
        if higher is None:
            raise Conflict("the case is already at district level, the top tier")
        detail = {"reason": command.reason, "from_tier": case.tier.value, "to_tier": higher.value,
                  "org_id": case.org_id}
        case.escalate_to(higher, now + SELF_HEAL_DELAY)
        return detail, [], True

    def _note(self, case: Case, command: c.AddNote, now):
        return {"text": command.text}, [], False

    def _resolve(self, case: Case, command: c.ResolveCase, now):
        due = command.agreement.performance_due
        if due < business_day(now):
            raise Unprocessable.field("agreement.performance_due", "must not be before today")
        if due > business_day(now) + dt.timedelta(days=PERFORMANCE_HORIZON_DAYS):
            raise Unprocessable.field("agreement.performance_due", "must be within ten years of today")
        case.agreement = {"summary": command.agreement.summary, "performance_due": due.isoformat()}
        case.return_visits = plan_visits(case.category, due)
        case.concluded_at = now
        return {"agreement": case.agreement, "return_visits": [v["due_on"] for v in case.return_visits]}, [], False

    def _fail(self, case: Case, command: c.FailCase, now):
        case.referral = {"channel": command.referral.value, "reason": command.reason}
        case.concluded_at = now
        return {"referral": case.referral}, [], False

    def _visit(self, case: Case, command: c.RecordVisit, now):
        visit = next((v for v in case.return_visits if v["done_at"] is None), None)
        if visit is None:
            raise Conflict("no planned return visit is open")
        scores = command.satisfaction.model_dump(mode="json")
        visit.update(done_at=rfc3339(now), agreement_performed=command.agreement_performed,
                     satisfaction=scores, note=command.note)
        notes = []
        detail = {}
        if needs_rectification(visit):
            case.rectification_required = True
            follow_up = follow_up_visit(case.return_visits, business_day(now))
            if follow_up is not None:  # the later visit that can clear the rectification
                case.return_visits.append(follow_up)
                detail["follow_up_visit"] = {"seq": follow_up["seq"], "due_on": follow_up["due_on"]}
            org = self._directory.org(case.org_id) if case.org_id else None
            notes.append(self._notifier.plan(case, "rectification", org.head_phone if org else None, now,
                                             org_name=org.name if org else ""))
        else:
            case.rectification_required = False
        return {"seq": visit["seq"], "agreement_performed": command.agreement_performed, "satisfaction": scores,
                "rectification_required": case.rectification_required, **detail}, notes, False

    def _close(self, case: Case, command, now):
        if case.status is CaseStatus.RESOLVED:
            if any(v["done_at"] is None for v in case.return_visits):
                raise Conflict("every planned return visit must be done before closing")
            if case.rectification_required:
                raise Conflict("rectification is pending: a later visit must clear it")
        case.closed_at = now
        return {}, [], False

    def _withdraw(self, case: Case, command: c.WithdrawCase, now):
        case.closed_at = now
        return {"reason": command.reason}, [], False
