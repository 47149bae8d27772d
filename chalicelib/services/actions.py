"""Case actions by staff (§5): the use case behind every entry of `action_registry.ACTIONS`.

Every action reads the case, checks who may act, calls the case's method for
the action (which checks the state machine and the action's own rules), and
writes the case with its timeline event and SMS in one conditional write on
`version` (optimistic locking): of eight concurrent accepts of one version,
exactly one wins and the others get 409.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from ..domain.access import Principal
from ..domain.case import Case, CaseNotEligible, InvalidValue, RuleBroken
from ..domain.errors import ScheduleChanged, StaleCase
from ..domain.sessions import Lawyer, SessionRequest
from ..observability import logger
from .action_registry import ACTIONS, Action, Context, ScheduleSession
from .callbacks import CallbackService
from .errors import Conflict, Forbidden, Unprocessable
from .notifications import Notifier
from .ports import CalendarStore, CaseStore, Clock, Directory, Publisher
from .queries import CaseQueries
from .routing import request_routing

ACT_ATTEMPTS = 8
"""Tries of an action without `expected_version` against concurrent writes of its case."""


def action_basis(case: Case) -> tuple:
    """What an action's effect depends on. A concurrent write that changed none of it (another
    note, a sweep's reminder) lets an action without `expected_version` apply to the case as
    it now stands; one that changed it (a visit recorded, the case routed elsewhere) makes the
    retry a 409, so a double-clicked visit is not recorded twice."""
    return (case.status, case.org_id, case.mediator_id, case.tier, case.rectification_required,
            tuple(visit.get("done_at") for visit in case.return_visits))


def retrying(command: Action, attempt: Callable[[], Case], conflict: str, case_id: str) -> Case:
    """Run `attempt` (one read-decide-write of a case) until no concurrent write beats it: a
    StaleCase makes it read again and retry, up to ACT_ATTEMPTS times. With `expected_version`
    the version read is a precondition, so a change meanwhile is at once a 409 (`conflict`)."""
    for number in range(1, ACT_ATTEMPTS + 1):
        try:
            return attempt()
        except StaleCase:
            if command.expected_version is not None or number == ACT_ATTEMPTS:
                raise Conflict(conflict) from None
            logger.info("retry after a concurrent change", extra={"case_id": case_id})
        except ScheduleChanged:  # a mediator's schedule, not the case: read it again and check again
            if number == ACT_ATTEMPTS:
                raise Conflict("a mediator's schedule kept changing meanwhile; try again") from None
            logger.info("retry after a concurrent booking", extra={"case_id": case_id})
    raise AssertionError("unreachable")


def check_expected_version(command: Action, case: Case) -> None:
    """409 when the caller names a version of the case other than the one it is at."""
    if command.expected_version is not None and command.expected_version != case.version:
        raise Conflict(f"the case is at version {case.version}, not {command.expected_version}",
                       version=case.version)


class ActionLookups:
    """The reads an action needs besides its case (`action_registry.Lookups`), and the directory
    entries its SMS go to: each entry read once per action (an org checked, then invited)."""

    def __init__(self, cases: CaseStore, directory: Directory):
        self._cases = cases
        self._directory = directory
        self.org = lru_cache(maxsize=None)(directory.org)
        self.mediator = lru_cache(maxsize=None)(directory.mediator)

    def org_standing(self, org_id: str) -> tuple[bool, bool]:
        if self.org(org_id) is None:
            return False, False
        return True, any(mediator.active for mediator in self._directory.mediators_of(org_id))

    def session_request(self, case: Case, command: ScheduleSession) -> SessionRequest:
        """The session with its mediators' orgs (active mediators only) and schedules. A booking
        the session would clash with, of a session that no longer holds its mediators (its case
        left mediation, or the assignment it was booked under), is let go here; the booking's
        write then drops it for good."""
        ids = tuple(command.mediator_ids)
        found = {mediator_id: self.mediator(mediator_id) for mediator_id in dict.fromkeys(ids)}
        schedules = self._cases.schedules(found)
        clashing = {booking.case_id for schedule in schedules.values() for booking in schedule.clashes(command.starts_at)}
        if clashing:  # this case's own are judged on the case in hand (a session called off lets go too)
            others = {other.case_id: other for other in self._cases.cases(clashing - {case.case_id})}
            others[case.case_id] = case
            schedules = {mediator_id: schedule.without_bookings(
                b for b in schedule.clashes(command.starts_at)
                if b.case_id in clashing and not (b.case_id in others and others[b.case_id].holds_session(b.session_id)))
                for mediator_id, schedule in schedules.items()}
        lawyer = Lawyer(command.lawyer.name, command.lawyer.firm) if command.lawyer else None
        return SessionRequest(command.starts_at, command.mode, command.place, ids, lawyer,
                              mediator_orgs={m: found[m].org_id for m in found if found[m] and found[m].active},
                              schedules=schedules)


class CaseActions:
    def __init__(self, cases: CaseStore, queries: CaseQueries, directory: Directory, notifier: Notifier,
                 callbacks: CallbackService, publisher: Publisher, calendar: CalendarStore, clock: Clock):
        self._cases = cases
        self._queries = queries
        self._directory = directory
        self._notifier = notifier
        self._callbacks = callbacks
        self._publisher = publisher
        self._calendar = calendar
        self._clock = clock

    def act(self, case_id: str, action: str, command: Action, principal: Principal) -> Case:
        """Apply one action. Without `expected_version` the caller wants it done on the case as
        it stands: a concurrent write makes it read the case again and retry (a note among
        notes); with one, the version is a precondition, and a change meanwhile is a 409."""
        basis: list[tuple] = []
        return retrying(command, lambda: self._act_once(case_id, action, command, principal, basis),
                        "the case changed meanwhile; read it again and retry", case_id)

    def _act_once(self, case_id: str, name: str, command: Action, principal: Principal,
                  basis: list[tuple]) -> Case:
        action = ACTIONS[name]
        case = self._queries.case(case_id, principal)  # 404 outside the caller's view
        if not basis:
            basis.append(action_basis(case))
        elif action_basis(case) != basis[0]:
            raise Conflict("the case changed meanwhile; read it again and retry")
        if not action.who.allows(principal, case):
            raise Forbidden(f"you may read this case but not {name} it")
        check_expected_version(command, case)
        now = self._clock()
        lookups = ActionLookups(self._cases, self._directory)
        try:
            outcome = action.take(case, command, Context(now, principal.actor, self._calendar.calendar(), lookups))
        except RuleBroken as exc:
            raise Conflict(str(exc)) from None
        except InvalidValue as exc:
            raise Unprocessable.field(exc.field, exc.message) from None
        except CaseNotEligible as exc:
            raise Unprocessable(str(exc)) from None
        notes = self._notifier.plan(case, outcome.notices, now, lookups.org, lookups.mediator)
        self._cases.save_change(case, outcome.events, notes, outcome.mediator_load, schedules=outcome.schedules,
                                listed_for=outcome.listed_for)
        self._notifier.enqueue(notes)
        self._callbacks.tell(case, outcome, now)
        if outcome.reroute:
            request_routing(self._publisher, case.case_id, name, now)
        logger.info("case action", extra={"case_id": case_id, "action": name, "status": case.status.value})
        return case
