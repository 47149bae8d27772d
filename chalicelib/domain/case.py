"""The case (案件) entity, its timeline events and its state machine.

A case is a dispute from intake to closure: 一案一档, one file per case. The
state machine is a table of actions, each with the statuses it may be taken
from and the status it leads to; `Case.apply` checks it and raises
`InvalidTransition` (HTTP 409) otherwise.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from .enums import CaseStatus, CategorySource, Category, Channel, MediationType, RiskIndicator, RiskLevel, Tier

OPEN_STATUSES = frozenset({CaseStatus.RECEIVED, CaseStatus.DISPATCHED, CaseStatus.ACCEPTED})
"""Statuses of a case still being worked on."""

TERMINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.WITHDRAWN, CaseStatus.MERGED})


@dataclass(frozen=True)
class Transition:
    """One action of the state machine: from which statuses, to which status."""

    action: str
    sources: frozenset[CaseStatus]
    target: CaseStatus | None
    """None: the action keeps the status (a note, a visit)."""


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("dispatch", frozenset({CaseStatus.RECEIVED}), CaseStatus.DISPATCHED),
        Transition("accept", frozenset({CaseStatus.DISPATCHED}), CaseStatus.ACCEPTED),
        Transition("decline", frozenset({CaseStatus.DISPATCHED}), CaseStatus.RECEIVED),
        Transition("escalate", frozenset({CaseStatus.DISPATCHED, CaseStatus.ACCEPTED}), CaseStatus.RECEIVED),
        Transition("note", frozenset(CaseStatus) - TERMINAL_STATUSES, None),
        Transition("resolve", frozenset({CaseStatus.ACCEPTED}), CaseStatus.RESOLVED),
        Transition("fail", frozenset({CaseStatus.ACCEPTED}), CaseStatus.UNRESOLVED),
        Transition("visit", frozenset({CaseStatus.RESOLVED}), None),
        Transition("close", frozenset({CaseStatus.RESOLVED, CaseStatus.UNRESOLVED}), CaseStatus.CLOSED),
        Transition("withdraw", OPEN_STATUSES, CaseStatus.WITHDRAWN),
    )
}


class InvalidTransition(Exception):
    """An action taken in a status that does not allow it."""

    def __init__(self, action: str, status: CaseStatus):
        super().__init__(f"cannot {action} a case that is {status.value}")
        self.action = action
        self.status = status


def new_case_id(received_at: dt.datetime) -> str:
    """`HW20261122` + 8 random base-32 characters: sortable by day, unguessable."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
    suffix = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"HW{received_at:%Y%m%d}{suffix}"


@dataclass
class Party:
    """当事人. Phone and ID number are normalised; masking happens on the way out."""

    role: str
    name: str
    phone: str | None = None
    id_number: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role, "name": self.name}
        if self.phone:
            data["phone"] = self.phone
        if self.id_number:
            data["id_number"] = self.id_number
        return data


@dataclass(frozen=True)
class Event:
    """One entry of the case timeline (案件时间线)."""

    at: dt.datetime
    type: str
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Case:
    case_id: str
    owner: str
    """Who the idempotency key belongs to: the partner id, or `staff`."""
    external_ref: str
    partner_id: str | None
    channel: Channel
    title: str
    description: str
    region_code: str
    address: str | None
    parties: list[Party]
    party_count: int
    amount_cny: float | None
    risk_indicators: list[RiskIndicator]
    category: Category
    category_source: CategorySource
    risk_level: RiskLevel
    received_at: dt.datetime
    request_hash: str
    """Digest of the creating request's content, to tell a replay from a conflict."""
    status: CaseStatus = CaseStatus.RECEIVED
    tier: Tier | None = None
    mediation_type: MediationType | None = None
    org_id: str | None = None
    mediator_id: str | None = None
    accept_due_at: dt.datetime | None = None
    resolve_due_at: dt.datetime | None = None
    supervision_level: int = 0
    overdue: bool = False
    rectification_required: bool = False
    agreement: dict[str, Any] | None = None
    referral: dict[str, Any] | None = None
    return_visits: list[dict[str, Any]] = field(default_factory=list)
    declined_org_ids: list[str] = field(default_factory=list)
    route_floor: Tier | None = None
    """The lowest tier the next routing may use: set one tier up by an escalation."""
    route_retry_at: dt.datetime | None = None
    """When the sweep should (re)try routing a `received` case; default intake + 2 min."""
    unroutable_attempts: int = 0
    """Routings of the current request that found no org (the retries back off with it)."""
    supervision_steps: list[str] = field(default_factory=list)
    """Supervision steps already taken for the current deadline (each happens once)."""
    dispatched_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    concluded_at: dt.datetime | None = None
    """When the case was resolved or found unresolved (结单): the on-time figure's clock."""
    stats_recorded: dict[str, Any] = field(default_factory=dict)
    """What the statistics aggregates already count for this case (`domain.stats.stats_record`);
    the store adds the difference to what it contributes now at every write."""
    created_by: str = ""
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def check(self, action: str) -> Transition:
        """The transition for an action, if the current status allows it."""
        transition = TRANSITIONS[action]
        if self.status not in transition.sources:
            raise InvalidTransition(action, self.status)
        return transition

    def unassign(self, route_retry_at: dt.datetime) -> None:
        """Clear the assignment and its deadlines, to be routed again (decline, escalation)."""
        self.org_id = self.mediator_id = None
        self.accept_due_at = self.resolve_due_at = self.dispatched_at = self.accepted_at = None
        self.overdue, self.supervision_steps = False, []
        self.route_retry_at = route_retry_at
        self.unroutable_attempts = 0

    def escalate_to(self, tier: Tier, route_retry_at: dt.datetime) -> None:
        """Unassign, to be routed again no lower than `tier` (上报, by a mediator or the sweep)."""
        self.route_floor = tier
        self.unassign(route_retry_at)

    def apply(self, action: str) -> Transition:
        """Move to the action's target status (checked)."""
        transition = self.check(action)
        if transition.target is not None:
            self.status = transition.target
        return transition
