"""The case (案件) aggregate: its state, its timeline events and its rules.

A case is a dispute from intake to closure: 一案一档, one file per case. Every
change of a case is a method of `Case` (cosmicpython's `Product.allocate`):
it checks the rule (the status table `TRANSITIONS` and the action's own
checks), changes the case, and returns an `Outcome`: the timeline events,
the SMS notices, the supervision letters and what the service must do next
(route it again, tell the partner). A broken rule raises `InvalidTransition`
or `RuleBroken` (HTTP 409) or `InvalidValue` (422), and leaves the case as it was.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from .agreement import agreement_record, effective_on_problem
from .calendar import WorkingCalendar, business_day, rfc3339, start_of_day
from .deadlines import (
    EXTENSION_CAP, MAX_SUSPENSION_DAYS, MAX_SUSPENSIONS_PER_DISPATCH, SUPERVISION_LEVEL, SupervisionStep,
    deadlines_for, ladder, moved_deadline)
from .enums import (
    OPEN_STATUSES, CaseStatus, CategorySource, Category, Channel, ExtensionDecision, ExtensionStatus, MediationType,
    Referral, RiskIndicator, RiskLevel, SuspensionReason, Tier, TransferTarget)
from .duplicates import PossibleDuplicate
from .identity import is_minor_under_14
from . import judicial
from .joint import MAX_ASSISTING_ORGS, Participant
from .judicial import BadStepValue, JudicialRefused, JudicialStatus, JudicialStep
from .notices import RED_ALERT_LEVELS, Notice, NoticeKind
from .risk import RiskFacts, grade, most_severe
from .routing import RouteDecision, Unroutable, escalation_tier, initial_tier, is_below
from .sessions import BOOKING_HORIZON, MAX_UPCOMING, Booking, MediatorSchedule, ReminderState, Session, SessionRequest, \
    reminders_owed
from .sponsorship import DUE_HORIZON_DAYS, Sponsor, notice_due_at, why_sponsorable
from .retention import ERASED, eraser, erased_deep, personal_strings
from .supervision import SELF_HEAL_DELAY, Deadline, current_deadline, next_routing_attempt
from .visits import NOTIFIED_FIELD, PERFORMANCE_HORIZON_DAYS, VISITABLE_STATUSES, follow_up_visit, \
    needs_rectification, notices_due, plan_visits


ASSIGNED_STATUSES = frozenset({CaseStatus.DISPATCHED, CaseStatus.ACCEPTED})
"""Statuses in which a case counts towards its mediator's open cases (used by routing)."""

TERMINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.WITHDRAWN, CaseStatus.MERGED, CaseStatus.TRANSFERRED})

AGREED_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
"""Statuses in which a case may hold an agreement (a closed case may have ended unresolved: it has none)."""

CODE_SMS_CHANNELS = frozenset({Channel.WALK_IN, Channel.GRID_PATROL, Channel.ONLINE})
"""Doors through which the party files in person or by their own hand: the applicant gets the
case code by SMS (the other doors are partner systems, which give the party their own number)."""

EVALUABLE_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.UNRESOLVED, CaseStatus.CLOSED})
"""Statuses in which the party may evaluate the mediation (当事人评价): once it has concluded."""

SYSTEM = "system"
"""The timeline's actor for what the service does by itself (routing)."""
SWEEP = "system:sweep"
VISIT_SWEEP = "system:visit-sweep"
PARTY = "party"
"""The timeline's actor for what a party does with the case code (never their phone or name)."""


@dataclass(frozen=True)
class Transition:
    """One change of the state machine: from which statuses, to which status, and the
    timeline event it writes."""

    action: str
    sources: frozenset[CaseStatus]
    target: CaseStatus | None
    """None: the change keeps the status (a note, a visit)."""
    event: str


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("dispatch", frozenset({CaseStatus.RECEIVED}), CaseStatus.DISPATCHED, "dispatched"),
        Transition("unroutable", frozenset({CaseStatus.RECEIVED}), None, "unroutable"),
        Transition("accept", frozenset({CaseStatus.DISPATCHED}), CaseStatus.ACCEPTED, "accepted"),
        Transition("decline", frozenset({CaseStatus.DISPATCHED}), CaseStatus.RECEIVED, "declined"),
        Transition("escalate", ASSIGNED_STATUSES, CaseStatus.RECEIVED, "escalated"),
        Transition("supervise", ASSIGNED_STATUSES, None, "supervision"),  # its escalation step: → received
        Transition("note", frozenset(CaseStatus) - TERMINAL_STATUSES, None, "note"),
        Transition("resolve", frozenset({CaseStatus.ACCEPTED}), CaseStatus.RESOLVED, "resolved"),
        Transition("fail", frozenset({CaseStatus.ACCEPTED}), CaseStatus.UNRESOLVED, "unresolved"),
        Transition("visit", frozenset({CaseStatus.RESOLVED}), None, "visited"),
        Transition("visit_notice", frozenset({CaseStatus.RESOLVED}), None, "visit_notice"),
        Transition("close", frozenset({CaseStatus.RESOLVED, CaseStatus.UNRESOLVED}), CaseStatus.CLOSED, "closed"),
        Transition("withdraw", OPEN_STATUSES, CaseStatus.WITHDRAWN, "withdrawn"),
        Transition("transfer", OPEN_STATUSES, CaseStatus.TRANSFERRED, "transferred"),  # §15
        Transition("request_extension", frozenset({CaseStatus.ACCEPTED}), None, "extension_requested"),
        Transition("decide_extension", frozenset({CaseStatus.ACCEPTED}), None, "extension_decided"),
        Transition("suspend", frozenset({CaseStatus.ACCEPTED}), None, "suspended"),
        Transition("resume", frozenset({CaseStatus.ACCEPTED}), None, "resumed"),
        Transition("merge", OPEN_STATUSES, CaseStatus.MERGED, "merged"),
        Transition("absorb", OPEN_STATUSES, None, "merged_in"),  # the merge's target
        Transition("judicial_confirmation", AGREED_STATUSES, None, "judicial_confirmation"),
        Transition("judicial_sweep", AGREED_STATUSES, None, "judicial_confirmation"),
        Transition("evaluate", EVALUABLE_STATUSES, None, "self_evaluation"),
        Transition("add_participant", OPEN_STATUSES, None, "participant_added"),  # §15 联合调解
        Transition("schedule_session", frozenset({CaseStatus.ACCEPTED}), None, "session_scheduled"),
        Transition("session_reminder", frozenset({CaseStatus.ACCEPTED}), None, "session_reminder"),
        Transition("sponsor", OPEN_STATUSES, None, "sponsored"),  # 领导包案
        Transition("sponsor_notice", OPEN_STATUSES, None, "sponsor_due"),
        Transition("anonymise", TERMINAL_STATUSES, None, "anonymised"),  # §16 retention
        Transition("retention_hold", frozenset(CaseStatus), None, "retention_hold"),
    )
}
"""The state machine (§3, §5): every change a case can go through."""


class RuleBroken(Exception):
    """A change the case's rules refuse as it now stands (HTTP 409)."""


class InvalidTransition(RuleBroken):
    """A change in a status that does not allow it."""

    def __init__(self, action: str, status: CaseStatus):
        super().__init__(f"cannot {action} a case that is {status.value}")
        self.action = action
        self.status = status


class CaseNotEligible(Exception):
    """The case's own facts do not allow the change (HTTP 422): a sponsorship of a case with
    no ground for one."""


class InvalidValue(Exception):
    """A value of a command the case's rules refuse (HTTP 422 on `field`)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class SupervisionLetter:
    """督办函: the letter the sweep addresses to the org of a case overdue for a working day."""

    number: str
    date: dt.date
    addressee_org_id: str | None
    addressee_org_name: str | None
    deadline: str
    """Which deadline is overdue: `accept` or `resolve`."""
    deadline_due_at: dt.datetime
    supervision_level: int
    issued_at: dt.datetime


@dataclass
class Outcome:
    """What one change of a case caused, for the service to store and carry out."""

    events: list[Event] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    letters: list[SupervisionLetter] = field(default_factory=list)
    mediator_load: dict[str, int] = field(default_factory=dict)
    """Changes to mediators' open-case counts (+1 on dispatch, -1 when a case leaves them)."""
    status_changed: bool = False
    """The partner is told (§7)."""
    reroute: bool = False
    """The case is `received` again (declined, escalated) and must be routed."""
    deadline_changed: str | None = None
    """Why the resolve deadline moved (`extension`, `suspension`): the partner is told (§11)."""
    schedules: list[MediatorSchedule] = field(default_factory=list)
    """Mediators' schedules as a booked session leaves them, to be written with the case, each
    on the revision it was read at (two bookings of one mediator at once: one wins)."""
    listed_for: list[str] = field(default_factory=list)
    """Orgs that now assist in the case (联合调解): their mediators' case lists carry it."""

    def merge(self, other: Outcome) -> Outcome:
        load = dict(self.mediator_load)
        for mediator_id, delta in other.mediator_load.items():
            load[mediator_id] = load.get(mediator_id, 0) + delta
        return Outcome(self.events + other.events, self.notices + other.notices, self.letters + other.letters,
                       {k: v for k, v in load.items() if v}, self.status_changed or other.status_changed,
                       self.reroute or other.reroute, other.deadline_changed or self.deadline_changed,
                       self.schedules + other.schedules, self.listed_for + other.listed_for)


class _Change:
    """One change in progress: the transition checked and what the case was before it."""

    def __init__(self, case: Case, transition: Transition):
        self.case = case
        self.transition = transition
        self.status_before = case.status
        self.mediator_before = case.mediator_id

    def done(self, at: dt.datetime, actor: str, detail: dict[str, Any], *, notices: list[Notice] = (),
             letters: list[SupervisionLetter] = (), earlier_events: list[Event] = (),
             deadline_changed: str | None = None) -> Outcome:
        """Move to the target status and say what the change caused; the transition's event last."""
        case = self.case
        if self.transition.target is not None:
            case.status = self.transition.target
            if case.status in TERMINAL_STATUSES and case.status is not self.status_before:
                case.final_at = at  # the moment retention counts from (§16)
        if self.status_before is CaseStatus.ACCEPTED and case.status is not CaseStatus.ACCEPTED:
            case.call_off_sessions(at)
        load: dict[str, int] = {}
        was_assigned = self.status_before in ASSIGNED_STATUSES
        is_assigned = case.status in ASSIGNED_STATUSES
        if self.mediator_before and was_assigned and (case.mediator_id != self.mediator_before or not is_assigned):
            load[self.mediator_before] = -1
        if case.mediator_id and is_assigned and (case.mediator_id != self.mediator_before or not was_assigned):
            load[case.mediator_id] = load.get(case.mediator_id, 0) + 1
        event = Event(at, self.transition.event, actor, detail)
        status_changed = case.status is not self.status_before
        return Outcome(events=[*earlier_events, event], notices=list(notices), letters=list(letters),
                       mediator_load=load, status_changed=status_changed,
                       reroute=status_changed and case.status is CaseStatus.RECEIVED, deadline_changed=deadline_changed)


def new_session_id(booked_at: dt.datetime) -> str:
    """`S` + the day + 6 random base-32 characters."""
    suffix = "".join(secrets.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(6))
    return f"S{booked_at:%Y%m%d}{suffix}"


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
class ExtensionRequest:
    """延期申请: more working days asked for the resolve deadline, and the decision on them."""

    working_days: int
    reason: str
    requested_at: dt.datetime
    requested_by: str
    status: ExtensionStatus = ExtensionStatus.PENDING
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    note: str | None = None


@dataclass
class Suspension:
    """中止: a time the case waits on something outside the mediation (an appraisal, a hearing,
    a party away) with its resolve clock stopped."""

    reason_code: SuspensionReason
    reason: str
    suspended_at: dt.datetime
    resume_on: dt.date
    suspended_by: str
    resumed_at: dt.datetime | None = None
    working_days: int | None = None
    """Once resumed: the working days it lasted, by which the resolve deadline moved."""


@dataclass(frozen=True)
class MergedSource:
    """A case merged into this one (并案): what its partner is told when this one ends."""

    case_id: str
    partner_id: str | None
    external_ref: str


MERGE_OUTCOME_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.UNRESOLVED, CaseStatus.CLOSED,
                                    CaseStatus.WITHDRAWN, CaseStatus.TRANSFERRED})
"""A merge target reaching one of these tells every merged source's partner (`case.merged_outcome`)."""


def _same_party(first: Party, second: Party) -> bool:
    return bool((first.phone and first.phone == second.phone)
                or (first.id_number and first.id_number == second.id_number))


def has_minor_party(parties: Sequence[Party], received_at: dt.datetime) -> bool:
    """PIPL §28 (敏感个人信息): whether a party's ID number shows a child under 14 on the
    Asia/Shanghai day the case was received. Parties without an 18-digit ID number count as adults."""
    day = business_day(received_at)
    return any(is_minor_under_14(party.id_number, day) for party in parties)


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
    public_code: str | None = None
    """一案一码: the code a party follows the case with (`domain/public_code.py`), unique in the store."""
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
    ladder: dict[SupervisionStep, dt.datetime] = field(default_factory=dict)
    """When each supervision step of the deadline in force falls due, computed on the working
    calendar when that deadline came into force (dispatch, accept, a moved deadline)."""
    resolve_due_at_original: dt.datetime | None = None
    """The resolve deadline the dispatch set, once an extension or a suspension has moved it."""
    extension: ExtensionRequest | None = None
    """The latest extension request since the dispatch."""
    extensions_approved: int = 0
    """Approved extensions over the case's life (the statistics' extension rate)."""
    suspensions: list[Suspension] = field(default_factory=list)
    possible_duplicates: list[PossibleDuplicate] = field(default_factory=list)
    """Open cases that may be the same dispute, found at intake (重复件), best first."""
    related_case_id: str | None = None
    """The open case sharing a party found at intake (关联件): routing tries its org first (首接负责)."""
    merged_into: str | None = None
    merged_sources: list[MergedSource] = field(default_factory=list)
    transfer: dict[str, Any] | None = None
    """移交: where the case went when it left mediation (`Case.transfer_to`)."""
    participants: list[Participant] = field(default_factory=list)
    """联合调解: the orgs assisting the lead (the assigned org), in the order they joined."""
    sessions: list[Session] = field(default_factory=list)
    """调解会: the sessions booked, in the order they were booked."""
    sponsor: Sponsor | None = None
    """领导包案: the leader in personal charge of the case."""
    dispatched_org_ids: list[str] = field(default_factory=list)
    """Every org the case was dispatched to, first first: each received it (a patrol report's
    `received`), even after it declined it or the case went up a tier."""
    repeat_party: bool = False
    """A party of the case had another case in the 365 days before it was received (重复当事人)."""
    letter_months: list[str] = field(default_factory=list)
    """The Asia/Shanghai month (`YYYY-MM`) of each supervision letter issued on the case: the
    monthly analysis counts letters in the month they were issued."""
    dispatched_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    concluded_at: dt.datetime | None = None
    """When the case was resolved or found unresolved (结单): the on-time figure's clock."""
    self_evaluation: dict[str, Any] | None = None
    """当事人评价: the party's own scores of the mediation, given once with the case code:
    `{"at", "satisfaction": {"attitude", "process", "effect"}, "comment"}`."""
    stats_recorded: dict[str, Any] = field(default_factory=dict)
    """What the statistics aggregates already count for this case (`domain.stats.stats_record`);
    the store adds the difference to what it contributes now at every write."""
    created_by: str = ""
    final_at: dt.datetime | None = None
    """When the case reached its final status (closed, withdrawn, merged, transferred): its
    personal data is erased 3 years later (`domain.retention`)."""
    retention_hold: bool = False
    """保留: an admin keeps the case out of the retention sweep (a litigation, an inquiry)."""
    anonymised_at: dt.datetime | None = None
    anonymising_since: dt.datetime | None = None
    """When the retention sweep began erasing the case's files and timeline (its write before
    them): from then on no hold is set on it, so none comes too late to keep what is erased."""
    """When the retention sweep erased the parties' identities (§16)."""
    version: int = 0
    sensitive: bool = False
    """A party is a child under 14 (`has_minor_party`): set at intake and whenever the parties
    change (a merge); only the assigned mediator and covering supervisors read it in full."""

    def mark_sensitivity(self) -> None:
        """Derive `sensitive` from the parties as they stand (it is never cleared by a merge
        that adds adults: the minor is still a party)."""
        self.sensitive = has_minor_party(self.parties, self.received_at)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def open_suspension(self) -> Suspension | None:
        return next((s for s in self.suspensions if s.resumed_at is None), None)

    @property
    def applicant_phone(self) -> str | None:
        """The phone of the first party (in the order filed) that has one."""
        return next((party.phone for party in self.parties if party.phone), None)

    def filing_notices(self) -> list[Notice]:
        """The SMS filing the case calls for: its code (一案一码) to the applicant, for a case filed
        through a door where the party is there to be given it (`CODE_SMS_CHANNELS`)."""
        if self.channel in CODE_SMS_CHANNELS and self.applicant_phone:
            return [Notice(NoticeKind.CASE_CODE, None)]
        return []

    def call_off_sessions(self, now: dt.datetime) -> None:
        """A case leaving mediation as accepted (concluded, withdrawn, transferred, merged, or
        declined up a tier to be routed again, its mediators then taking no part) calls off its
        sessions ahead: they hold nobody's time and owe no reminder."""
        for session in self.sessions:
            if session.cancelled_at is None and session.starts_at > now:
                session.cancelled_at = now

    def holds_session(self, session_id: str) -> bool:
        """Whether a session of the case holds its mediators' time: while the case is being
        mediated, and the session was not called off with the assignment it was booked under."""
        return self.allows("schedule_session") and any(
            s.session_id == session_id and s.cancelled_at is None for s in self.sessions)

    @property
    def assisting_org_ids(self) -> frozenset[str]:
        """The orgs assisting in a joint mediation (联合调解)."""
        return frozenset(p.org_id for p in self.participants)

    @property
    def suspended(self) -> bool:
        return self.open_suspension is not None

    @property
    def self_heal_at(self) -> dt.datetime:
        """When the sweep routes this `received` case if no routing message has: two minutes
        after intake, or after the decline or escalation that made it `received` again."""
        return self.route_retry_at or self.received_at + SELF_HEAL_DELAY

    def _begin(self, action: str) -> _Change:
        """Check that the status allows `action` (InvalidTransition otherwise)."""
        transition = TRANSITIONS[action]
        if self.status not in transition.sources:
            raise InvalidTransition(action, self.status)
        return _Change(self, transition)

    def allows(self, action: str) -> bool:
        return self.status in TRANSITIONS[action].sources

    def offers(self, action: str, now: dt.datetime) -> bool:
        """Whether `action` can be taken on the case as it stands at `now`: its status allows it
        and the case's state meets the action's precondition (`READY`). What depends on the
        request's own values (a date, an org, a mediator's schedule) is judged only when it is
        taken."""
        ready = READY.get(action)
        return self.allows(action) and (ready is None or ready(self, now))

    # ------------------------------------------------------------- routing

    def dispatch(self, decision: RouteDecision, at: dt.datetime, calendar: WorkingCalendar) -> Outcome:
        """派单: assign the org and mediator routing chose, and start the accept and
        resolve deadlines from `at`, on `calendar`."""
        change = self._begin("dispatch")
        org, mediator = decision.org, decision.mediator
        deadlines = deadlines_for(self.risk_level, at, calendar)
        self.tier, self.org_id, self.mediator_id = decision.tier, org.org_id, mediator.mediator_id
        if org.org_id not in self.dispatched_org_ids:
            self.dispatched_org_ids.append(org.org_id)
        self.participants = [p for p in self.participants if p.org_id != org.org_id]  # it leads now
        self.mediation_type = org.mediation_type
        self.dispatched_at, self.accepted_at = at, None
        self.accept_due_at, self.resolve_due_at = deadlines.accept_due_at, deadlines.resolve_due_at
        self.overdue, self.supervision_steps, self.route_retry_at = False, [], None
        self.ladder = ladder(deadlines.accept_due_at, at, calendar)
        self.resolve_due_at_original, self.extension = None, None
        self.unroutable_attempts = 0
        routed = Event(at, "routed", SYSTEM, {
            "reason": decision.reason, "tier": decision.tier.value, "org_id": org.org_id,
            "mediator_id": mediator.mediator_id, "tiers_tried": [t.value for t in decision.tiers_tried],
            **({"related_case_id": decision.related_case_id} if decision.related_case_id else {})})
        notices = [Notice(NoticeKind.DISPATCH, org.org_id, mediator.mediator_id, due=deadlines.accept_due_at)]
        if self.risk_level in RED_ALERT_LEVELS:
            notices.append(Notice(NoticeKind.RED_ALERT, org.org_id))
        return change.done(at, SYSTEM, {
            "org_id": org.org_id, "mediator_id": mediator.mediator_id, "mediation_type": org.mediation_type.value,
            "accept_due_at": deadlines.accept_due_at.isoformat(), "resolve_due_at": deadlines.resolve_due_at.isoformat(),
        }, notices=notices, earlier_events=[routed])

    def record_unroutable(self, decision: Unroutable, at: dt.datetime) -> Outcome:
        """No org could take the case at `at`: the sweep tries again later, less often each time."""
        change = self._begin("unroutable")
        self.route_retry_at = next_routing_attempt(self, at)
        self.unroutable_attempts += 1
        return change.done(at, SYSTEM, {"reason": decision.reason, "tiers_tried": [t.value for t in decision.tiers_tried],
                                        "retry_at": self.route_retry_at.isoformat()})

    def _unassign(self, now: dt.datetime) -> None:
        """Clear the assignment and its deadlines, to be routed again (decline, escalation); the
        sweep routes it at the self-heal moment if the routing message is lost."""
        self.org_id = self.mediator_id = None
        self.accept_due_at = self.resolve_due_at = self.dispatched_at = self.accepted_at = None
        self.overdue, self.supervision_steps, self.ladder = False, [], {}
        self.resolve_due_at_original = None
        self._stop_suspension(now)
        self.route_retry_at = now + SELF_HEAL_DELAY
        self.unroutable_attempts = 0

    def _escalate_to(self, tier: Tier, now: dt.datetime) -> None:
        """Unassign, to be routed again no lower than `tier` (上报, by a mediator or the sweep)."""
        self.route_floor = tier
        self._unassign(now)

    # ------------------------------------------------------ staff actions (§5)

    def accept(self, now: dt.datetime, actor: str, calendar: WorkingCalendar) -> Outcome:
        """接单: the resolve deadline (结单时限) is now the one supervised."""
        change = self._begin("accept")
        self.accepted_at = now
        self.supervision_steps, self.overdue = [], False
        self.ladder = ladder(self.resolve_due_at, now, calendar) if self.resolve_due_at else {}
        return change.done(now, actor, {"mediator_id": self.mediator_id})

    def decline(self, reason: str, now: dt.datetime, actor: str) -> Outcome:
        """退单: routed again, never to this org."""
        change = self._begin("decline")
        detail = {"reason": reason, "org_id": self.org_id}
        if self.org_id and self.org_id not in self.declined_org_ids:
            self.declined_org_ids.append(self.org_id)
        self._unassign(now)
        return change.done(now, actor, detail)

    def escalate(self, reason: str, now: dt.datetime, actor: str) -> Outcome:
        """上报: routed again one tier up; refused at district level, the top."""
        change = self._begin("escalate")
        higher = escalation_tier(self.tier) if self.tier else None
        if higher is None:
            raise RuleBroken("the case is already at district level, the top tier")
        detail = {"reason": reason, "from_tier": self.tier.value, "to_tier": higher.value, "org_id": self.org_id}
        self._escalate_to(higher, now)
        return change.done(now, actor, detail)

    def add_note(self, text: str, now: dt.datetime, actor: str) -> Outcome:
        """A progress note on the timeline."""
        return self._begin("note").done(now, actor, {"text": text})

    def resolve(self, summary: str, performance_due: dt.date, now: dt.datetime, actor: str,
                calendar: WorkingCalendar, *, facts: str | None = None, terms: Sequence[str] = (),
                performance_method: str | None = None, performance_place: str | None = None,
                effective_on: dt.date | None = None) -> Outcome:
        """调解成功: record the agreement (`domain.agreement`: its facts, terms, how, where and
        by when they are performed, the day it took effect, by default today) and plan its
        return visits from `performance_due`. A suspended case resumes first: the deadline it
        concluded against counts its wait."""
        change = self._begin("resolve")
        today = business_day(now)
        if performance_due < today:
            raise InvalidValue("agreement.performance_due", "must not be before today")
        if performance_due > today + dt.timedelta(days=PERFORMANCE_HORIZON_DAYS):
            raise InvalidValue("agreement.performance_due", "must be within ten years of today")
        effective_on = effective_on or today
        if (problem := effective_on_problem(effective_on, today)) is not None:
            raise InvalidValue("agreement.effective_on", problem)
        resumed = self._resume_on_conclusion(now, actor, calendar)
        self.agreement = agreement_record(summary, performance_due, effective_on, facts=facts, terms=terms,
                                          performance_method=performance_method,
                                          performance_place=performance_place)
        self.return_visits = plan_visits(self.category, performance_due)
        self.concluded_at = now
        return change.done(now, actor, {"agreement": self.agreement,
                                        "return_visits": [v["due_on"] for v in self.return_visits]},
                           earlier_events=resumed, deadline_changed="suspension" if resumed else None)

    def fail(self, referral: Referral, reason: str, now: dt.datetime, actor: str,
             calendar: WorkingCalendar) -> Outcome:
        """调解不成: where the dispute is referred (诉求分流); a suspended case resumes first."""
        change = self._begin("fail")
        resumed = self._resume_on_conclusion(now, actor, calendar)
        self.referral = {"channel": referral.value, "reason": reason}
        self.concluded_at = now
        return change.done(now, actor, {"referral": self.referral}, earlier_events=resumed,
                           deadline_changed="suspension" if resumed else None)

    def record_visit(self, agreement_performed: str, satisfaction: dict[str, str], note: str | None,
                     now: dt.datetime, actor: str) -> Outcome:
        """回访: the next open visit. One that finds the agreement unperformed or a party
        dissatisfied calls for rectification (整改), with a follow-up visit to clear it."""
        change = self._begin("visit")
        visit = next((v for v in self.return_visits if v["done_at"] is None), None)
        if visit is None:
            raise RuleBroken("no planned return visit is open")
        visit.update(done_at=rfc3339(now), agreement_performed=agreement_performed, satisfaction=satisfaction,
                     note=note)
        notices, follow_up_detail = [], {}
        self.rectification_required = needs_rectification(visit)
        if self.rectification_required:
            notices, follow_up_detail = self._call_for_rectification(now)
        return change.done(now, actor, {
            "seq": visit["seq"], "agreement_performed": agreement_performed, "satisfaction": satisfaction,
            "rectification_required": self.rectification_required, **follow_up_detail}, notices=notices)

    def _call_for_rectification(self, now: dt.datetime) -> tuple[list[Notice], dict[str, Any]]:
        """整改: flag the case and tell the org's head; a case with visits to make and none open
        gets the follow-up visit that can clear it. The notices and the timeline detail."""
        self.rectification_required = True
        detail: dict[str, Any] = {}
        if self.status in VISITABLE_STATUSES:
            follow_up = follow_up_visit(self.return_visits, business_day(now))
            if follow_up is not None:  # the later visit that can clear the rectification
                self.return_visits.append(follow_up)
                detail["follow_up_visit"] = {"seq": follow_up["seq"], "due_on": follow_up["due_on"]}
        return [Notice(NoticeKind.RECTIFICATION, self.org_id)], detail

    def record_self_evaluation(self, satisfaction: dict[str, str], comment: str | None,
                               now: dt.datetime) -> Outcome:
        """当事人评价: the party's own scores (attitude, process, effect), once, after the case
        concluded. A `dissatisfied` score calls for rectification as a visit finding one does
        (`record_visit`); a good one clears nothing (only a later visit does)."""
        change = self._begin("evaluate")
        if self.self_evaluation is not None:
            raise RuleBroken("the party's evaluation of this case is already recorded")
        self.self_evaluation = {"at": rfc3339(now), "satisfaction": dict(satisfaction), "comment": comment}
        notices, detail = [], {}
        if needs_rectification(self.self_evaluation):
            notices, detail = self._call_for_rectification(now)
        return change.done(now, PARTY, {
            "satisfaction": dict(satisfaction), "with_comment": comment is not None,
            "rectification_required": self.rectification_required, **detail}, notices=notices)

    def close(self, now: dt.datetime, actor: str) -> Outcome:
        """结案: a resolved case only once every visit is done and no rectification is pending."""
        change = self._begin("close")
        if self.status is CaseStatus.RESOLVED:
            if any(v["done_at"] is None for v in self.return_visits):
                raise RuleBroken("every planned return visit must be done before closing")
            if self.rectification_required:
                raise RuleBroken("rectification is pending: a later visit must clear it")
        self.closed_at = now
        return change.done(now, actor, {})

    def withdraw(self, reason: str, now: dt.datetime, actor: str) -> Outcome:
        """撤回: an open case the applicant no longer pursues (a suspension ends with it)."""
        change = self._begin("withdraw")
        self._stop_suspension(now)
        self.closed_at = now
        return change.done(now, actor, {"reason": reason})

    def transfer_to(self, to: TransferTarget, department: str, reason: str, now: dt.datetime,
                    actor: str) -> Outcome:
        """移交: an open case that does not belong in mediation leaves it for a body with the power
        to handle it, a final status like withdrawal (a suspension ends with it; its mediator's
        open cases count it no more; no sweep owes it anything)."""
        change = self._begin("transfer")
        self._stop_suspension(now)
        self.transfer = {"to": to.value, "department": department, "reason": reason, "transferred_at": rfc3339(now)}
        self.closed_at = now
        return change.done(now, actor, {"to": to.value, "department": department, "reason": reason})

    # ------------------------------------------------------- hard cases (§15)

    def add_participant(self, org_id: str, org_found: bool, org_active: bool, reason: str, now: dt.datetime,
                        actor: str) -> Outcome:
        """联合调解: an org other than the lead joins as an assisting org, at most
        MAX_ASSISTING_ORGS; its head is invited by SMS. `org_found` and `org_active` are what the
        directory says of the org (active: it has an active mediator)."""
        change = self._begin("add_participant")
        if not org_found:
            raise InvalidValue("org_id", f"no org {org_id}")
        if org_id == self.org_id:
            raise RuleBroken(f"org {org_id} leads this case already")
        if org_id in self.assisting_org_ids:
            raise RuleBroken(f"org {org_id} assists in this case already")
        if len(self.participants) >= MAX_ASSISTING_ORGS:
            raise RuleBroken(f"a case has at most {MAX_ASSISTING_ORGS} assisting orgs")
        if not org_active:
            raise InvalidValue("org_id", f"org {org_id} has no active mediator")
        self.participants = [*self.participants, Participant(org_id, now, reason, actor)]
        outcome = change.done(now, actor, {"org_id": org_id, "role": "assist", "reason": reason,
                                           "assisting": len(self.participants)},
                              notices=[Notice(NoticeKind.JOINT_INVITE, org_id)])
        outcome.listed_for = [org_id]
        return outcome

    def check_session(self, starts_at: dt.datetime, mediator_ids: Sequence[str], now: dt.datetime) -> None:
        """What a session asked for must pass before anything is read for it: the status, the
        moment (ahead, within BOOKING_HORIZON), the mediators named once, room for one more."""
        self._begin("schedule_session")
        if starts_at <= now:
            raise InvalidValue("starts_at", "must be in the future")
        if starts_at > now + BOOKING_HORIZON:
            raise InvalidValue("starts_at", f"must be within {BOOKING_HORIZON.days} days")
        if len(set(mediator_ids)) != len(mediator_ids):
            raise InvalidValue("mediator_ids", "names a mediator twice")
        if sum(s.cancelled_at is None and s.starts_at > now for s in self.sessions) >= MAX_UPCOMING:
            raise RuleBroken(f"a case has at most {MAX_UPCOMING} sessions booked ahead")

    def schedule_session(self, request: SessionRequest, now: dt.datetime, actor: str) -> Outcome:
        """调解会: book a session of the mediators named (each of the lead org or an assisting
        org, active), none of whom may be in another session it overlaps (`sessions.overlaps`,
        judged on `request.schedules`); each mediator gets SMS `session_notice`. The outcome
        carries the mediators' schedules with the session added, to be written with the case."""
        change = self._begin("schedule_session")
        self.check_session(request.starts_at, request.mediator_ids, now)
        taking_part = {self.org_id, *self.assisting_org_ids} - {None}
        for mediator_id in request.mediator_ids:
            org_id = request.mediator_orgs.get(mediator_id)
            if org_id is None:
                raise InvalidValue("mediator_ids", f"no active mediator {mediator_id}")
            if org_id not in taking_part:
                raise InvalidValue("mediator_ids", f"mediator {mediator_id} is of no org taking part in this case")
        session = Session(new_session_id(now), request.starts_at, request.mode, request.place,
                          tuple(request.mediator_ids), request.lawyer, now, actor)
        schedules = []
        for mediator_id in request.mediator_ids:
            schedule = request.schedules.get(mediator_id) or MediatorSchedule(mediator_id)
            clash = schedule.clashes(session.starts_at)
            if clash:
                raise RuleBroken(f"mediator {mediator_id} is in another session from {rfc3339(clash[0].starts_at)} "
                                 "(a session lasts 2 hours)")
            schedules.append(schedule.booked(Booking(self.case_id, session.session_id, session.starts_at), now))
        self.sessions = [*self.sessions, session]
        notices = [Notice(NoticeKind.SESSION_NOTICE, None, m, due=session.starts_at, details=session.notice_details)
                   for m in session.mediator_ids]  # to the mediator: no org named
        outcome = change.done(now, actor, {
            "session_id": session.session_id, "starts_at": rfc3339(session.starts_at), "mode": session.mode.value,
            "mediator_ids": list(session.mediator_ids), "with_lawyer": session.lawyer is not None}, notices=notices)
        outcome.schedules = schedules
        return outcome

    def sponsor_by(self, leader_name: str, leader_title: str, leader_phone: str, due_on: dt.date,
                   now: dt.datetime, actor: str) -> Outcome:
        """领导包案: a leader takes charge of a case that has a ground for it (`domain.sponsorship`)
        until `due_on`; a new sponsorship replaces the one before (a leader handing over), and
        its `sponsor_due` is owed afresh."""
        change = self._begin("sponsor")
        today = business_day(now)
        if due_on < today:
            raise InvalidValue("due_on", "must not be before today")
        if due_on > today + dt.timedelta(days=DUE_HORIZON_DAYS):
            raise InvalidValue("due_on", f"must be within {DUE_HORIZON_DAYS} days of today")
        ground = why_sponsorable(self.risk_level, self.risk_indicators, self.supervision_level)
        if ground is None:
            raise CaseNotEligible("only a red or orange case, a long-standing one, a repeated petition, or one at "
                                  "supervision_level 2 or above is sponsored")
        previous = self.sponsor
        self.sponsor = Sponsor(leader_name, leader_title, leader_phone, due_on, now, actor)
        return change.done(now, actor, {
            "leader_title": leader_title, "due_on": due_on.isoformat(), "ground": ground,
            **({"replaces": previous.leader_title} if previous else {})})

    def send_sweep_notices(self, now: dt.datetime) -> Outcome:
        """What the supervision sweep owes the case's people besides the deadline ladder:
        `session_reminder` to each mediator of a session starting within 24 hours, once (a
        session the sweep first sees after it started is marked missed, with no SMS); and
        `sponsor_due` to the leader once from 00:00 of the day a week before `due_on`."""
        outcome = Outcome()
        if self.allows("session_reminder"):
            for session in reminders_owed(self.sessions, now):
                change = self._begin("session_reminder")
                session.reminded_at = now
                notices: list[Notice] = []
                if now < session.starts_at:
                    session.reminder = ReminderState.SENT
                    notices = [Notice(NoticeKind.SESSION_REMINDER, None, m, due=session.starts_at,
                                      details=session.notice_details) for m in session.mediator_ids]
                else:
                    session.reminder = ReminderState.MISSED
                outcome = outcome.merge(change.done(now, SWEEP, {
                    "session_id": session.session_id, "starts_at": rfc3339(session.starts_at),
                    "reminder": session.reminder.value}, notices=notices))
        notice_at = notice_due_at(self.sponsor)
        if notice_at is not None and notice_at <= now and self.allows("sponsor_notice"):
            change = self._begin("sponsor_notice")
            self.sponsor = replace(self.sponsor, notified_at=now)
            outcome = outcome.merge(change.done(now, SWEEP, {
                "due_on": self.sponsor.due_on.isoformat(), "leader_title": self.sponsor.leader_title},
                notices=[Notice(NoticeKind.SPONSOR_DUE, self.org_id, due=self.sponsor.due_on)]))
        return outcome

    # --------------------------------------- extensions and suspension (§11)

    def request_extension(self, working_days: int, reason: str, now: dt.datetime, actor: str) -> Outcome:
        """延期申请: ask for `working_days` more on the resolve deadline, before it passes; one
        request pending at a time, one approved extension per dispatch, at most the cap of the
        case's risk level."""
        change = self._begin("request_extension")
        cap = EXTENSION_CAP[self.risk_level]
        if not 1 <= working_days <= cap:
            raise InvalidValue("working_days", f"must be from 1 to {cap} for a {self.risk_level.value} case")
        if self.extension is not None and self.extension.status is ExtensionStatus.PENDING:
            raise RuleBroken("an extension request is already pending")
        if self.extension is not None and self.extension.status is ExtensionStatus.APPROVED:
            raise RuleBroken("an extension was already approved since the case was dispatched")
        if self.resolve_due_at is None or now > self.resolve_due_at:
            raise RuleBroken("the resolve deadline has passed: an extension must be asked for before it")
        self.extension = ExtensionRequest(working_days, reason, now, actor)
        return change.done(now, actor, {"working_days": working_days, "reason": reason,
                                        "resolve_due_at": rfc3339(self.resolve_due_at)})

    def decide_extension(self, decision: ExtensionDecision, note: str | None, now: dt.datetime, actor: str,
                         calendar: WorkingCalendar) -> Outcome:
        """延期审批: approved, the resolve deadline moves to the end of the n-th working day after
        the day of the old one, a new deadline with a ladder of its own; rejected, it stays and
        a new request may follow. Either way the mediator is told by SMS."""
        change = self._begin("decide_extension")
        request = self.extension
        if request is None or request.status is not ExtensionStatus.PENDING:
            raise RuleBroken("no extension request is pending")
        previous = self.resolve_due_at
        request.decided_at, request.decided_by, request.note = now, actor, note
        if decision is ExtensionDecision.APPROVE:
            request.status = ExtensionStatus.APPROVED
            self.extensions_approved += 1
            self._move_resolve_deadline(moved_deadline(previous, request.working_days, calendar), now, calendar)
            kind, reason = NoticeKind.EXTENSION_APPROVED, "extension"
        else:
            request.status = ExtensionStatus.REJECTED
            kind, reason = NoticeKind.EXTENSION_REJECTED, None
        return change.done(now, actor, {
            "decision": decision.value, "note": note, "working_days": request.working_days,
            "previous_resolve_due_at": rfc3339(previous), "resolve_due_at": rfc3339(self.resolve_due_at)},
            notices=[Notice(kind, self.org_id, self.mediator_id, due=self.resolve_due_at)], deadline_changed=reason)

    def suspend(self, reason_code: SuspensionReason, reason: str, resume_on: dt.date, now: dt.datetime,
                actor: str) -> Outcome:
        """中止: stop the resolve clock until `resume_on` (after today, at most 30 days ahead), at
        most twice per dispatch. The sweep takes no step on the deadline meanwhile."""
        change = self._begin("suspend")
        if self.suspended:
            raise RuleBroken("the case is already suspended")
        since_dispatch = [s for s in self.suspensions if self.dispatched_at and s.suspended_at >= self.dispatched_at]
        if len(since_dispatch) >= MAX_SUSPENSIONS_PER_DISPATCH:
            raise RuleBroken(f"a case may be suspended at most {MAX_SUSPENSIONS_PER_DISPATCH} times per dispatch")
        today = business_day(now)
        if resume_on <= today:
            raise InvalidValue("resume_on", "must be after today")
        if resume_on > today + dt.timedelta(days=MAX_SUSPENSION_DAYS):
            raise InvalidValue("resume_on", f"must be at most {MAX_SUSPENSION_DAYS} days after today")
        self.suspensions.append(Suspension(reason_code, reason, now, resume_on, actor))
        return change.done(now, actor, {"reason_code": reason_code.value, "reason": reason,
                                        "resume_on": resume_on.isoformat(),
                                        "resolve_due_at": rfc3339(self.resolve_due_at)})

    def resume(self, now: dt.datetime, actor: str, calendar: WorkingCalendar) -> Outcome:
        """恢复: end the suspension today; the resolve deadline moves by the working days it lasted."""
        change = self._begin("resume")
        if not self.suspended:
            raise RuleBroken("the case is not suspended")
        detail, moved = self._end_suspension(now, business_day(now), calendar)
        return change.done(now, actor, detail, deadline_changed="suspension" if moved else None)

    def resumes_by_itself(self, now: dt.datetime) -> bool:
        """Whether `resume_on` of the suspension has begun by `now`."""
        suspension = self.open_suspension
        return (suspension is not None and self.allows("resume")
                and now >= start_of_day(suspension.resume_on))

    def resume_by_itself(self, now: dt.datetime, calendar: WorkingCalendar) -> Outcome:
        """The sweep resumes the case at the start of `resume_on` and tells the mediator; the
        days counted end at `resume_on`, however late the sweep comes."""
        change = self._begin("resume")
        suspension = self.open_suspension
        if suspension is None or not self.resumes_by_itself(now):
            raise RuleBroken("the case is not due to resume")
        detail, moved = self._end_suspension(now, suspension.resume_on, calendar)
        notice = Notice(NoticeKind.SUSPENSION_ENDED, self.org_id, self.mediator_id, due=self.resolve_due_at)
        return change.done(now, SWEEP, {**detail, "automatic": True}, notices=[notice],
                           deadline_changed="suspension" if moved else None)

    def _end_suspension(self, now: dt.datetime, resume_day: dt.date,
                        calendar: WorkingCalendar) -> tuple[dict[str, Any], bool]:
        """Close the open suspension on `resume_day` (`resume_on` at the latest: a suspension
        ends then, whoever notices it later): k = the working days d with suspension day <= d <
        resume day; the resolve deadline moves to the end of the k-th working day after the day
        of the old one. Returns the timeline detail and whether the deadline moved."""
        suspension = self.open_suspension
        resume_day = min(resume_day, suspension.resume_on)
        k = calendar.working_days_between(business_day(suspension.suspended_at), resume_day)
        suspension.resumed_at, suspension.working_days = now, k
        previous = self.resolve_due_at
        moved = previous is not None and self._move_resolve_deadline(moved_deadline(previous, k, calendar), now,
                                                                     calendar)
        return {"working_days_suspended": k, "reason_code": suspension.reason_code.value,
                "previous_resolve_due_at": rfc3339(previous), "resolve_due_at": rfc3339(self.resolve_due_at)}, moved

    def _resume_on_conclusion(self, now: dt.datetime, actor: str, calendar: WorkingCalendar) -> list[Event]:
        """A case concluded while suspended resumes at that moment: its `resumed` event."""
        if not self.suspended:
            return []
        detail, _moved = self._end_suspension(now, business_day(now), calendar)
        return [Event(now, TRANSITIONS["resume"].event, actor, detail)]

    def _stop_suspension(self, now: dt.datetime) -> None:
        """A case leaving its assignment (escalated, withdrawn) ends its suspension, moving nothing."""
        suspension = self.open_suspension
        if suspension is not None:
            suspension.resumed_at, suspension.working_days = now, 0

    def _move_resolve_deadline(self, new_due: dt.datetime, now: dt.datetime, calendar: WorkingCalendar) -> bool:
        """A moved deadline is a new deadline: its own ladder from `now`, each step once again;
        `supervision_level` stays where it was (it is never lowered). False if unchanged."""
        if new_due == self.resolve_due_at:
            return False
        self.resolve_due_at_original = self.resolve_due_at_original or self.resolve_due_at
        self.resolve_due_at = new_due
        self.supervision_steps, self.overdue = [], False
        self.ladder = ladder(new_due, now, calendar)
        return True

    # ------------------------------------------------------------ merge (§12)

    def merge_into(self, target: Case, reason: str, now: dt.datetime, actor: str) -> tuple[Outcome, Outcome]:
        """并案: this case becomes `merged` into `target`, which takes its parties (a party with
        the same phone or ID number once), the union of the risk indicators and the larger party
        count, and is graded again, never lower; a grade that needs a higher tier than the
        target's sends it up like an escalation (reason `merge`). Returns the outcomes of this
        case and of the target. Chains are refused: the target must not be merged, and a case
        others were merged into is not merged itself (its target takes them instead)."""
        if target.case_id == self.case_id:
            raise InvalidValue("into", "a case cannot be merged into itself")
        change = self._begin("merge")
        if not target.allows("absorb"):
            raise RuleBroken(f"the target case is {target.status.value}: only an open case takes a merge")
        if self.merged_sources:
            raise RuleBroken("other cases were merged into this one: merge them all into one target instead")
        absorbing = target._begin("absorb")
        self.merged_into = target.case_id
        self._stop_suspension(now)
        self.ladder, self.supervision_steps, self.overdue = {}, [], False
        source = change.done(now, actor, {"into": target.case_id, "reason": reason})
        return source, target._absorb(self, absorbing, reason, now, actor)

    def _absorb(self, source: Case, change: _Change, reason: str, now: dt.datetime, actor: str) -> Outcome:
        added = [p for p in source.parties if not any(_same_party(p, mine) for mine in self.parties)]
        self.parties = [*self.parties, *added]
        self.mark_sensitivity()
        self.risk_indicators = list(dict.fromkeys([*self.risk_indicators, *source.risk_indicators]))
        self.party_count = max(self.party_count, len(self.parties))
        self.merged_sources = [*self.merged_sources,
                               MergedSource(source.case_id, source.partner_id, source.external_ref)]
        before = self.risk_level
        assessment = grade(RiskFacts(frozenset(self.risk_indicators), self.party_count, self.amount_cny, False))
        self.risk_level = most_severe(before, assessment.level)
        detail: dict[str, Any] = {"from_case": source.case_id, "reason": reason, "parties_added": len(added),
                                  "party_count": self.party_count, "risk_level": self.risk_level.value,
                                  "previous_risk_level": before.value}
        if self.sensitive:
            detail["sensitive"] = True
        escalated = []
        needed = initial_tier(self.risk_level, self.party_count, self.route_floor)
        if self.tier is not None and self.status in ASSIGNED_STATUSES and is_below(self.tier, needed):
            escalated.append(Event(now, TRANSITIONS["escalate"].event, actor, {
                "reason": "merge", "from_tier": self.tier.value, "to_tier": needed.value, "org_id": self.org_id}))
            detail["rerouted_to_tier"] = needed.value
            self.status = CaseStatus.RECEIVED
            self._escalate_to(needed, now)
        outcome = change.done(now, actor, detail)
        outcome.events.extend(escalated)
        return outcome

    # ------------------------------------------------------ the sweeps (§6)

    def take_step(self, step: SupervisionStep, now: dt.datetime, org_name: str | None = None) -> Outcome:
        """One rung of the supervision ladder (督办) on the current deadline, once per deadline:
        reminder, overdue, a supervision letter to the org (`org_name` is the letter's
        addressee), and escalation one tier up (挂牌督办; at district level it stays listed).
        The escalation step is the one that changes the status (back to `received`, to be
        routed again); its timeline event is still a `supervision` one, as every step's."""
        change = self._begin("supervise")
        deadline = current_deadline(self)
        if deadline is None or step.value in self.supervision_steps or self.suspended:
            raise RuleBroken(f"the {step.value} step is not due on this case")
        self.supervision_steps.append(step.value)
        self.supervision_level = max(self.supervision_level, SUPERVISION_LEVEL[step])
        detail: dict[str, Any] = {"step": step.value, "deadline": deadline.kind,
                                  "due_at": deadline.due_at.isoformat(), "level": self.supervision_level}
        notices: list[Notice] = []
        letters: list[SupervisionLetter] = []
        if step is SupervisionStep.REMINDER:
            notices.append(Notice(NoticeKind.REMINDER, self.org_id, self.mediator_id, due=deadline.due_at))
        elif step is SupervisionStep.OVERDUE:
            self.overdue = True
            notices.append(Notice(NoticeKind.OVERDUE, self.org_id, self.mediator_id, due=deadline.due_at))
        elif step is SupervisionStep.SUPERVISION_LETTER:
            letter = self._letter(deadline, org_name, now)
            letters.append(letter)
            self.letter_months.append(letter.date.isoformat()[:7])
            detail["letter_number"] = letter.number
            notices.append(Notice(NoticeKind.SUPERVISION_LETTER, self.org_id, due=deadline.due_at))
        elif step is SupervisionStep.ESCALATION:
            higher = escalation_tier(self.tier) if self.tier else None
            detail["listed"] = True  # 挂牌督办
            if higher is not None:
                detail.update(from_tier=self.tier.value, to_tier=higher.value, org_id=self.org_id)
                notices.append(Notice(NoticeKind.ESCALATED, self.org_id))
                self.status = CaseStatus.RECEIVED
                self._escalate_to(higher, now)
        return change.done(now, SWEEP, detail, notices=notices, letters=letters)

    def _letter(self, deadline: Deadline, org_name: str | None, now: dt.datetime) -> SupervisionLetter:
        day = business_day(now)
        return SupervisionLetter(
            number=f"督办〔{day.year}〕{day:%m%d}-{self.case_id[-8:]}-{deadline.kind[0].upper()}", date=day,
            addressee_org_id=self.org_id, addressee_org_name=org_name, deadline=deadline.kind,
            deadline_due_at=deadline.due_at, supervision_level=SUPERVISION_LEVEL[SupervisionStep.SUPERVISION_LETTER],
            issued_at=now)

    # ------------------------------------------------- judicial confirmation (§14)

    def judicial_state(self) -> dict[str, Any] | None:
        """司法确认: where an application for judicial confirmation of the agreement stands
        (`domain/judicial.py`); None for a case with no agreement."""
        if self.agreement is None or self.status not in AGREED_STATUSES:
            return None
        return judicial.state_of(self.agreement, business_day(self.concluded_at or self.received_at))

    def judicial_confirmation(self, step: JudicialStep, now: dt.datetime, actor: str, **values: Any) -> Outcome:
        """One step of the application (intend, file, accept, decide, not_accepted), in order."""
        change = self._begin("judicial_confirmation")
        state = self.judicial_state()
        if state is None:
            raise RuleBroken("the case has no agreement to confirm")
        try:
            new = judicial.take_step(state, step, business_day(now), **values)
        except JudicialRefused as refused:
            raise RuleBroken(str(refused)) from None
        except BadStepValue as bad:
            raise InvalidValue(bad.field, bad.message) from None
        self.agreement = {**self.agreement, judicial.FIELD: new}
        return change.done(now, actor, {"step": step.value, **{
            name: new.get(name) for name in ("status", "court", "filed_on", "accepted_on", "decision_due_on",
                                             "decided_on", "reason") if new.get(name) is not None}})

    def send_judicial_notices(self, now: dt.datetime) -> Outcome:
        """The return-visit sweep's part in judicial confirmation: `jc_window_closing` to the
        mediator once, from 7 days before the window ends, while the parties only intend to
        apply; and `lapsed` once a window passed unused (after it, no notice: it lapses)."""
        state = self.judicial_state()
        outcome = Outcome()
        if state is None:
            return outcome
        today = business_day(now)
        window_ends = dt.date.fromisoformat(state["window_ends_on"])
        closing = judicial.closing_notice_on(state)
        if closing is not None and closing <= today <= window_ends:
            change = self._begin("judicial_sweep")
            state = {**state, judicial.CLOSING_NOTIFIED: now.isoformat()}
            self.agreement = {**self.agreement, judicial.FIELD: state}
            notice = Notice(NoticeKind.JC_WINDOW_CLOSING, self.org_id, self.mediator_id, due=window_ends)
            outcome = outcome.merge(change.done(now, VISIT_SWEEP, {
                "step": "window_closing", "window_ends_on": state["window_ends_on"]}, notices=[notice]))
        lapse = judicial.lapse_on(state)
        if lapse is not None and lapse <= today:
            change = self._begin("judicial_sweep")
            state = {**state, "status": JudicialStatus.LAPSED.value, "lapsed_on": today.isoformat()}
            self.agreement = {**self.agreement, judicial.FIELD: state}
            outcome = outcome.merge(change.done(now, VISIT_SWEEP, {
                "step": "lapse", "status": JudicialStatus.LAPSED.value, "window_ends_on": state["window_ends_on"]}))
        return outcome

    def judicial_check_on(self) -> dt.date | None:
        """The first day the sweep owes the application something (a key of the visit index)."""
        state = self.judicial_state()
        return judicial.next_check_on(state) if state is not None else None

    def send_visit_notices(self, now: dt.datetime) -> Outcome:
        """回访提醒: every visit notice owed on `now`'s day, each once per visit: `visit_due` to
        the mediator from three days before a visit, `visit_overdue` to the org's head after it.
        A case that is no longer resolved owes none (the sweep may have read a stale copy)."""
        outcome = Outcome()
        if not self.allows("visit_notice"):
            return outcome
        for visit, kind in notices_due(self, business_day(now)):
            change = self._begin("visit_notice")
            visit[NOTIFIED_FIELD[kind]] = now.isoformat()
            notice = Notice(NoticeKind(kind), self.org_id, self.mediator_id, due=dt.date.fromisoformat(visit["due_on"]))
            outcome = outcome.merge(change.done(now, VISIT_SWEEP, {
                "kind": kind, "seq": visit["seq"], "due_on": visit["due_on"], "to": notice.recipient.value},
                notices=[notice]))
        return outcome

    # ------------------------------------------------------ retention (§16)

    def begin_anonymising(self, now: dt.datetime) -> None:
        """The sweep's write before it erases anything beside the case (files, timeline, SMS): a
        hold set after it is refused, and one set before it makes this write stale."""
        self._anonymisable()
        self.anonymising_since = self.anonymising_since or now

    def _anonymisable(self) -> _Change:
        """The anonymisation begun, if the case's status allows it, it is not on hold and not done already."""
        change = self._begin("anonymise")
        if self.retention_hold:
            raise RuleBroken("the case is on retention hold")
        if self.anonymised_at is not None:
            raise RuleBroken("the case is anonymised already")
        return change

    def set_retention_hold(self, hold: bool, now: dt.datetime, actor: str) -> Outcome:
        """保留 / 解除保留: keep the case out of the retention sweep, or let it in again (a case
        past its day is then anonymised by the next sweep). A hold as it already is changes
        nothing (no event); a hold on a case already anonymised is refused (nothing is left to keep)."""
        change = self._begin("retention_hold")
        if hold == self.retention_hold:
            return Outcome()
        if hold and self.anonymised_at is not None:
            raise RuleBroken("the case is anonymised already: there is nothing left to hold")
        if hold and self.anonymising_since is not None:
            raise RuleBroken("the retention sweep is erasing the case's personal data: too late to hold it")
        self.retention_hold = hold
        return change.done(now, actor, {"retention_hold": hold})

    def erase_personal_text(self) -> Callable[[str], str]:
        """What erases the parties' identities from a text of this case (as it is before
        `anonymise`): the timeline's details and the SMS texts are rewritten with it."""
        return eraser(personal_strings(self))

    def anonymise(self, now: dt.datetime, counts: dict[str, int] | None = None) -> Outcome:
        """匿名化 (§16): every party's name becomes 已删除, in the parties and wherever it stands in
        the case's free text (with the parties' phones and ID numbers, and any other phone or ID
        number pattern masked); phones and ID numbers become null. Nothing the statistics read
        changes. Its event holds counts only (`counts`: what the sweep erased beside the case)."""
        change = self._anonymisable()
        erase = self.erase_personal_text()

        def text(value: str | None) -> str | None:
            return erase(value) if value else value

        self.parties = [Party(p.role, ERASED) for p in self.parties]
        self.title, self.description, self.address = erase(self.title), erase(self.description), text(self.address)
        self.agreement = erased_deep(self.agreement, erase)
        self.referral = erased_deep(self.referral, erase)
        self.transfer = erased_deep(self.transfer, erase)
        self.return_visits = erased_deep(self.return_visits, erase)
        self.self_evaluation = erased_deep(self.self_evaluation, erase)
        if self.extension is not None:
            self.extension = replace(self.extension, reason=erase(self.extension.reason),
                                     note=text(self.extension.note))
        self.suspensions = [replace(s, reason=erase(s.reason)) for s in self.suspensions]
        self.participants = [replace(p, reason=erase(p.reason)) for p in self.participants]
        self.sessions = [replace(s, place=erase(s.place)) for s in self.sessions]
        self.anonymised_at = now
        return change.done(now, SWEEP, {"parties": len(self.parties), **(counts or {})})


def _suspensions_left(case: Case) -> bool:
    since_dispatch = [s for s in case.suspensions if case.dispatched_at and s.suspended_at >= case.dispatched_at]
    return len(since_dispatch) < MAX_SUSPENSIONS_PER_DISPATCH


def _judicial_step_open(case: Case) -> bool:
    state = case.judicial_state()
    return state is not None and bool(judicial.steps_open(state))


READY: dict[str, Callable[[Case, dt.datetime], bool]] = {
    "escalate": lambda case, now: case.tier is not None and escalation_tier(case.tier) is not None,
    "visit": lambda case, now: any(visit["done_at"] is None for visit in case.return_visits),
    "close": lambda case, now: case.status is not CaseStatus.RESOLVED or (
        not case.rectification_required and all(visit["done_at"] is not None for visit in case.return_visits)),
    "request_extension": lambda case, now: (
        case.extension is None or case.extension.status is ExtensionStatus.REJECTED) and (
        case.resolve_due_at is not None and now <= case.resolve_due_at),
    "decide_extension": lambda case, now: case.extension is not None and case.extension.status is ExtensionStatus.PENDING,
    "suspend": lambda case, now: not case.suspended and _suspensions_left(case),
    "resume": lambda case, now: case.suspended,
    "judicial_confirmation": lambda case, now: _judicial_step_open(case),
    "add_participant": lambda case, now: len(case.participants) < MAX_ASSISTING_ORGS,
    "schedule_session": lambda case, now: sum(
        s.cancelled_at is None and s.starts_at > now for s in case.sessions) < MAX_UPCOMING,
    "sponsor": lambda case, now: why_sponsorable(case.risk_level, case.risk_indicators,
                                                 case.supervision_level) is not None,
    "merge": lambda case, now: not case.merged_sources,
}
"""What of a case's state an action needs besides its status (`Case.offers`), as the action's
own method checks it: an escalation a tier above; an open return visit; for closing a resolved
case, every visit done and no rectification pending; no extension pending or approved and the
resolve deadline not passed (a pending one to decide); a suspension left and none running (one
to resume); a step of judicial confirmation the application's state allows; room for another
assisting org or session; a ground for sponsorship; no case merged into this one."""
