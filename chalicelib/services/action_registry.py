"""The staff actions on a case (§5), one entry each: `POST /v1/cases/{case_id}/{name}`.

An entry holds everything about an action: the command the body is parsed
into, the `Case` method it calls, who may take it, and its OpenAPI summary;
the statuses it applies to and the timeline event it writes are the case's
own rules (`domain.case.TRANSITIONS`), read through the entry. The route,
the OpenAPI document and the use case are all derived from this table, so a
new action is an entry here and a method on `Case`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Callable, Generic, Literal, Protocol, TypeVar

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from ..domain import agreement
from ..domain.access import ASSISTANTS, CASE_HANDLERS, Permission, Relation
from ..domain.calendar import WorkingCalendar
from ..domain.case import TRANSITIONS, Case, Outcome
from ..domain.enums import (
    CaseStatus, ExtensionDecision, Referral, Satisfaction, SessionMode, SuspensionReason, TransferTarget)
from ..domain.identity import is_mobile
from ..domain.judicial import JudicialStatus, JudicialStep
from ..domain.sessions import MAX_MEDIATORS, SessionRequest
from .commands import Command, Identifier, Phone, Text

# ------------------------------------------------------- the commands (bodies)


class Action(Command):
    """Every action takes an optional `expected_version` (optimistic lock)."""

    expected_version: int | None = Field(default=None, ge=1)


class AcceptCase(Action):
    """接单."""


class DeclineCase(Action):
    """退单."""

    reason: Text(500)


class EscalateCase(Action):
    """上报."""

    reason: Text(500)


class AddNote(Action):
    text: Text(2000)


class Agreement(Command):
    """调解协议 (人民调解法 §29): what was agreed, how, where and by when it is performed, and the
    day it took effect (default: the day of `resolve`)."""

    summary: Text(2000)
    performance_due: date
    facts: Text(agreement.MAX_FACTS_CHARS) | None = None
    """纠纷主要事实、争议事项."""
    terms: list[Text(agreement.MAX_TERM_CHARS)] | None = Field(default=None, min_length=1,
                                                               max_length=agreement.MAX_TERMS)
    """协议内容, one term a string, in order."""
    performance_method: Text(agreement.MAX_PERFORMANCE_METHOD_CHARS) | None = None
    performance_place: Text(agreement.MAX_PERFORMANCE_PLACE_CHARS) | None = None
    effective_on: date | None = None

    @model_validator(mode="after")
    def _not_too_long_in_all(self) -> "Agreement":
        texts = [self.summary, self.facts, self.performance_method, self.performance_place, *(self.terms or ())]
        if sum(len(text) for text in texts if text) > agreement.MAX_AGREEMENT_CHARS:
            raise ValueError(f"the agreement's text is over {agreement.MAX_AGREEMENT_CHARS:,} characters in all")
        return self


class ResolveCase(Action):
    """调解成功: an agreement with the date by which it is to be performed."""

    agreement: Agreement


class FailCase(Action):
    """调解不成: where the dispute is referred (诉求分流)."""

    referral: Referral
    reason: Text(1000)


class SatisfactionScores(Command):
    attitude: Satisfaction
    process: Satisfaction
    effect: Satisfaction


class RecordVisit(Action):
    """回访."""

    agreement_performed: Literal["yes", "partial", "no"]
    satisfaction: SatisfactionScores
    note: Text(2000) | None = None


class CloseCase(Action):
    """结案."""


class WithdrawCase(Action):
    """撤回."""

    reason: Text(500)


class RequestExtension(Action):
    """延期申请: more working days on the resolve deadline (1 to the cap of the risk level)."""

    working_days: int
    reason: Text(1000)


class DecideExtension(Action):
    """延期审批."""

    decision: ExtensionDecision
    note: Text(1000) | None = None


class SuspendCase(Action):
    """中止: the case waits, its resolve clock stopped, until `resume_on` at the latest."""

    reason_code: SuspensionReason
    reason: Text(1000)
    resume_on: date


class ResumeCase(Action):
    """恢复办理."""


class TransferCase(Action):
    """移交: to which kind of body, the department by name, and why."""

    to: TransferTarget
    department: Text(200)
    reason: Text(1000)


class JudicialConfirmationStep(Action):
    """司法确认: one step of the parties' application to the court, with the fields that step
    needs (`domain/judicial.py: STEP_NEEDS`; one it lacks is 422)."""

    step: JudicialStep
    court: Text(200) | None = None
    filed_on: date | None = None
    accepted_on: date | None = None
    extended: bool = False
    result: Literal["confirmed", "rejected"] | None = None
    decided_on: date | None = None
    reason: Text(1000) | None = None


class AddParticipant(Action):
    """联合调解: an org joins the case as an assisting org."""

    org_id: Identifier
    reason: Text(500)


class LawyerInput(Command):
    """值班律师."""

    name: Text(50)
    firm: Text(200)


class ScheduleSession(Action):
    """调解会: when (lasting 2 hours), onsite or by video, where, the mediators, a duty lawyer."""

    starts_at: AwareDatetime
    mode: SessionMode
    place: Text(200)
    mediator_ids: list[Identifier] = Field(min_length=1, max_length=MAX_MEDIATORS)
    lawyer: LawyerInput | None = None


def _mobile(value: str) -> str:
    if not is_mobile(value):
        raise ValueError("must be a mainland mobile number (the leader is told by SMS)")
    return value


class SponsorCase(Action):
    """领导包案: the leader in charge, and the day by which the case is to be settled."""

    leader_name: Text(50)
    leader_title: Text(100)
    leader_phone: Annotated[Phone, AfterValidator(_mobile)]
    due_on: date


class MergeCase(Action):
    """并案: this case into `into` (its own use case: two cases in one write)."""

    into: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    reason: Text(500)


# ------------------------------------------------------------- the registry

C = TypeVar("C", bound=Action)


class Lookups(Protocol):
    """What an action may need to read besides its case (the use case provides it)."""

    def org_standing(self, org_id: str) -> tuple[bool, bool]:
        """Whether the org exists, and whether it has an active mediator."""
        ...

    def session_request(self, case: Case, command: ScheduleSession) -> SessionRequest:
        """The session asked for, with its mediators' orgs and schedules."""
        ...


@dataclass(frozen=True)
class Context:
    """What an action is taken with besides its command: when, by whom, on which calendar,
    and the reads some actions need (`Lookups`)."""

    now: dt.datetime
    actor: str
    calendar: WorkingCalendar
    lookups: Lookups | None = None


@dataclass(frozen=True)
class CaseAction(Generic[C]):
    name: str
    command: type[C]
    take: Callable[[Case, C, Context], Outcome]
    """Calls the case's method with the command and the context."""
    summary: str
    who: Permission = CASE_HANDLERS

    @property
    def statuses(self) -> frozenset[CaseStatus]:
        return TRANSITIONS[self.name].sources

    @property
    def event_type(self) -> str:
        return TRANSITIONS[self.name].event


DECIDERS = Permission.of(Relation.COVERING_SUPERVISOR, Relation.ADMIN)
"""Who decides an extension (§11), and who adds an assisting org (§15): a supervisor whose
jurisdiction covers the case, or an admin."""
SPONSORS = Permission.of(Relation.DISTRICT_SUPERVISOR, Relation.ADMIN)
"""Who sponsors a case (§15 包案): a supervisor whose jurisdiction is its district, or an admin."""
JOINT_WORK = CASE_HANDLERS | ASSISTANTS
"""The case handlers and the mediators of the assisting orgs: a note, a session (§15)."""


def _schedule_session(case: Case, cmd: ScheduleSession, ctx: Context) -> Outcome:
    case.check_session(cmd.starts_at, cmd.mediator_ids, ctx.now)  # before the mediators and schedules are read
    return case.schedule_session(ctx.lookups.session_request(case, cmd), ctx.now, ctx.actor)


def _add_participant(case: Case, cmd: AddParticipant, ctx: Context) -> Outcome:
    found, active = ctx.lookups.org_standing(cmd.org_id)
    return case.add_participant(cmd.org_id, found, active, cmd.reason, ctx.now, ctx.actor)


ACTIONS: dict[str, CaseAction] = {action.name: action for action in (
    CaseAction("accept", AcceptCase, lambda case, cmd, ctx: case.accept(ctx.now, ctx.actor, ctx.calendar),
               "Accept a dispatched case (接单)"),
    CaseAction("decline", DeclineCase, lambda case, cmd, ctx: case.decline(cmd.reason, ctx.now, ctx.actor),
               "Decline a dispatched case (退单); it is routed again without this org"),
    CaseAction("escalate", EscalateCase, lambda case, cmd, ctx: case.escalate(cmd.reason, ctx.now, ctx.actor),
               "Escalate one tier up (上报); at district level: 409"),
    CaseAction("note", AddNote, lambda case, cmd, ctx: case.add_note(cmd.text, ctx.now, ctx.actor),
               "Add a progress note to the timeline", who=JOINT_WORK),
    CaseAction("resolve", ResolveCase, lambda case, cmd, ctx: case.resolve(
        cmd.agreement.summary, cmd.agreement.performance_due, ctx.now, ctx.actor, ctx.calendar,
        facts=cmd.agreement.facts, terms=cmd.agreement.terms or (), performance_method=cmd.agreement.performance_method,
        performance_place=cmd.agreement.performance_place, effective_on=cmd.agreement.effective_on),
        "Record the agreement (调解成功) and plan return visits"),
    CaseAction("fail", FailCase, lambda case, cmd, ctx: case.fail(
        cmd.referral, cmd.reason, ctx.now, ctx.actor, ctx.calendar),
        "Record that mediation failed and where the dispute is referred (诉求分流)"),
    CaseAction("visit", RecordVisit, lambda case, cmd, ctx: case.record_visit(
        cmd.agreement_performed, cmd.satisfaction.model_dump(mode="json"), cmd.note, ctx.now, ctx.actor),
        "Record the next due return visit (回访)"),
    CaseAction("close", CloseCase, lambda case, cmd, ctx: case.close(ctx.now, ctx.actor),
               "Close a resolved or unresolved case (结案)"),
    CaseAction("withdraw", WithdrawCase, lambda case, cmd, ctx: case.withdraw(cmd.reason, ctx.now, ctx.actor),
               "Withdraw an open case (撤回)"),
    CaseAction("request_extension", RequestExtension, lambda case, cmd, ctx: case.request_extension(
        cmd.working_days, cmd.reason, ctx.now, ctx.actor),
        "Ask for more working days on the resolve deadline (延期申请), before it passes"),
    CaseAction("decide_extension", DecideExtension, lambda case, cmd, ctx: case.decide_extension(
        cmd.decision, cmd.note, ctx.now, ctx.actor, ctx.calendar),
        "Approve or reject the pending extension (延期审批): a covering supervisor or an admin", who=DECIDERS),
    CaseAction("suspend", SuspendCase, lambda case, cmd, ctx: case.suspend(
        cmd.reason_code, cmd.reason, cmd.resume_on, ctx.now, ctx.actor),
        "Suspend an accepted case (中止) until resume_on at the latest; its resolve clock stops"),
    CaseAction("resume", ResumeCase, lambda case, cmd, ctx: case.resume(ctx.now, ctx.actor, ctx.calendar),
               "Resume a suspended case (恢复); the resolve deadline moves by the working days it waited"),
    CaseAction("transfer", TransferCase, lambda case, cmd, ctx: case.transfer_to(
        cmd.to, cmd.department, cmd.reason, ctx.now, ctx.actor),
        "Transfer an open case out of mediation (移交) to a body with the power to handle it; final"),
    CaseAction("judicial_confirmation", JudicialConfirmationStep, lambda case, cmd, ctx: case.judicial_confirmation(
        cmd.step, ctx.now, ctx.actor, court=cmd.court, filed_on=cmd.filed_on, accepted_on=cmd.accepted_on,
        extended=cmd.extended, result=JudicialStatus(cmd.result) if cmd.result else None,
        decided_on=cmd.decided_on, reason=cmd.reason),
        "A step of the application for judicial confirmation of the agreement (司法确认): intend, file, "
        "accept, decide or not_accepted, in order"),
    CaseAction("add_participant", AddParticipant, _add_participant,
               "Add an assisting org to a joint mediation (联合调解), at most 5; its head is invited by SMS",
               who=DECIDERS),
    CaseAction("schedule_session", ScheduleSession, _schedule_session,
               "Book a mediation session (调解会) of 2 hours; a mediator already in an overlapping session: 409",
               who=JOINT_WORK),
    CaseAction("sponsor", SponsorCase, lambda case, cmd, ctx: case.sponsor_by(
        cmd.leader_name, cmd.leader_title, cmd.leader_phone, cmd.due_on, ctx.now, ctx.actor),
        "Put a leader in charge of a hard case (领导包案): a district supervisor or an admin; "
        "red, orange, long-standing, repeated petitions or supervision_level 2 and above", who=SPONSORS),
)}

MERGE = "merge"
"""并案 (`POST /v1/cases/{case_id}/merge`): its own use case, taken by the case handlers."""


def available_actions(case: Case, principal, now: dt.datetime) -> list[str]:
    """The actions `principal` may take on the case as it stands at `now`, in the registry's
    order, then `merge`: what a console offers its user (the case view's `available_actions`).
    Each is allowed by the case's status and state (`Case.offers`) and by the action's access
    rule; what depends on the request's values is still judged when it is taken."""
    names = [name for name, action in ACTIONS.items()
             if case.offers(name, now) and action.who.allows(principal, case)]
    if case.offers(MERGE, now) and CASE_HANDLERS.allows(principal, case):
        names.append(MERGE)
    return names
