"""Routing and dispatch (分级分流、派单): give a received case to an org and a mediator.

Runs from the routing queue (and, for cases a lost message left behind,
from the supervision sweep). Idempotent: a case that is no longer
`received` is left alone, so a late or repeated message never routes twice.
"""

from __future__ import annotations

import datetime as dt

from ..domain.calendar import rfc3339
from ..domain.case import ASSIGNED_STATUSES, Case
from ..domain.directory import Mediator, Org
from ..domain.enums import CaseStatus, Tier
from ..domain.errors import MediatorUnavailable, StaleCase
from ..domain.routing import (
    MediatorCandidate,
    OrgCandidate,
    RouteDecision,
    Unroutable,
    candidate_scopes,
    choose_route,
    initial_tier,
    related_route,
)
from ..observability import logger
from .callbacks import CallbackService
from .notifications import Notifier
from .ports import CalendarStore, CaseStore, Clock, Directory, Publisher

MAX_ATTEMPTS = 3


def request_routing(publisher: Publisher, case_id: str, reason: str, at: dt.datetime) -> None:
    """Put a case on the routing queue. A lost publish is not a lost case: the supervision
    sweep routes any case still `received` once its `route_retry_at` has come.

    `at` is when routing was asked for, by the clock of the one asking: the router
    dispatches no earlier than that (see `RoutingService.route`)."""
    try:
        publisher.publish("routing", {"case_id": case_id, "reason": reason, "requested_at": rfc3339(at)})
    except Exception:  # noqa: BLE001 - the case is stored; routing self-heals
        logger.exception("routing publish failed; the sweep will route the case", extra={"case_id": case_id})


def _aware_time(value) -> dt.datetime | None:
    """An RFC 3339 time with offset, or None for anything else (a message from an older version)."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def org_candidate(org: Org) -> OrgCandidate:
    return OrgCandidate(org.org_id, org.name, org.region_code, org.tier, org.mediation_type,
                        tuple(category.value for category in org.categories), org.head_phone)


def mediator_candidate(mediator: Mediator) -> MediatorCandidate:
    return MediatorCandidate(mediator.mediator_id, mediator.org_id,
                             tuple(category.value for category in mediator.specialties), mediator.active,
                             mediator.open_cases)


class RoutingService:
    def __init__(self, cases: CaseStore, directory: Directory, notifier: Notifier, callbacks: CallbackService,
                 calendar: CalendarStore, clock: Clock):
        self._cases = cases
        self._directory = directory
        self._notifier = notifier
        self._callbacks = callbacks
        self._calendar = calendar
        self._clock = clock

    def handle_request(self, message: dict) -> str:
        """A routing-queue message from `request_routing`."""
        return self.route(message["case_id"], requested_at=_aware_time(message.get("requested_at")))

    def route(self, case_id: str, now: dt.datetime | None = None, requested_at: dt.datetime | None = None) -> str:
        """Route one case; returns what happened (for logs and tests). `now` is the
        supervision sweep's clock when the sweep routes a stranded case.

        A dispatch is never dated before the request for it (`requested_at`): in the
        cloud that changes nothing (the request is a moment ago), and a sweep run with a
        local-stage `as_of` escalates a case as of that moment, so its new deadlines
        count from then, not from the wall clock days earlier."""
        for _ in range(MAX_ATTEMPTS):
            case = self._cases.get(case_id)
            if case is None:
                logger.warning("routing: no such case", extra={"case_id": case_id})
                return "missing"
            if case.status is not CaseStatus.RECEIVED:
                return "already_routed"
            decision, mediators_seen = self._decide(case)
            at = max(filter(None, (now or self._clock(), requested_at)))
            if isinstance(decision, Unroutable):
                outcome = case.record_unroutable(decision, at)
                try:
                    self._cases.save_change(case, outcome.events)
                except StaleCase:
                    continue
                logger.warning("routing: unroutable", extra={"case_id": case_id})
                return "unroutable"
            outcome = case.dispatch(decision, at, self._calendar.calendar())
            org, mediator = decision.org, decision.mediator
            notes = self._notifier.plan(case, outcome.notices, at, {org.org_id: org}.get, mediators_seen.get)
            try:
                self._cases.save_change(case, outcome.events, notes, outcome.mediator_load,
                                        require_active_mediator=mediator.mediator_id)
            except (StaleCase, MediatorUnavailable):
                logger.info("routing: retry after a concurrent change", extra={"case_id": case_id})
                continue
            self._notifier.enqueue(notes)
            self._callbacks.status_changed(case, at)
            logger.info("routing: dispatched", extra={"case_id": case_id, "org_id": org.org_id,
                                                      "tier": decision.tier.value})
            return "dispatched"
        return "contended"

    def _decide(self, case: Case) -> tuple[RouteDecision | Unroutable, dict[str, Mediator]]:
        """The routing policy's choice for the case, and the mediators read on the way (the
        chosen one's phone is the dispatch SMS's recipient: no second read). A case related to
        an open one through a party goes to that case's org and mediator if §12 allows."""
        mediators_seen: dict[str, Mediator] = {}
        start = initial_tier(case.risk_level, case.party_count, case.route_floor)
        related = self._related_route(case, start, mediators_seen)
        if related is not None:
            return related, mediators_seen

        def mediators_of(org_id: str) -> list[MediatorCandidate]:
            mediators = list(self._directory.mediators_of(org_id))
            mediators_seen.update((m.mediator_id, m) for m in mediators)
            return [mediator_candidate(m) for m in mediators]

        decision = choose_route(
            case.region_code, case.category, start,
            orgs_by_tier=lambda tier: self._orgs_at(case.region_code, tier),
            mediators_of=mediators_of,
            excluded_org_ids=frozenset(case.declined_org_ids),
        )
        return decision, mediators_seen

    def _related_route(self, case: Case, start: Tier, mediators_seen: dict[str, Mediator]) -> RouteDecision | None:
        """首接负责: the org and mediator of the related case, if it is still with them."""
        if not case.related_case_id:
            return None
        related = self._cases.get(case.related_case_id)
        if related is None or related.status not in ASSIGNED_STATUSES or not related.mediator_id:
            return None
        org, mediator = self._directory.org(related.org_id), self._directory.mediator(related.mediator_id)
        if mediator is not None:
            mediators_seen[mediator.mediator_id] = mediator
        return related_route(case.category, start, related.case_id, org and org_candidate(org),
                             mediator and mediator_candidate(mediator), frozenset(case.declined_org_ids))

    def _orgs_at(self, region_code: str, tier: Tier) -> list[OrgCandidate]:
        """One GSI query per region prefix (at most three), whatever the directory's size."""
        return [org_candidate(m) for scope in candidate_scopes(region_code, tier)
                for m in self._directory.orgs_in_scope(scope)]
