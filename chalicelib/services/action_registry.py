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
from typing import Callable, Generic, Literal, TypeVar

from pydantic import Field

from ..domain.access import CASE_HANDLERS, Permission
from ..domain.case import TRANSITIONS, Case, Outcome
from ..domain.enums import CaseStatus, Referral, Satisfaction
from .commands import Command, Text

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
    summary: Text(2000)
    performance_due: date


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


# ------------------------------------------------------------- the registry

C = TypeVar("C", bound=Action)


@dataclass(frozen=True)
class CaseAction(Generic[C]):
    name: str
    command: type[C]
    take: Callable[[Case, C, dt.datetime, str], Outcome]
    """Calls the case's method with the command, the time and the actor."""
    summary: str
    who: Permission = CASE_HANDLERS

    @property
    def statuses(self) -> frozenset[CaseStatus]:
        return TRANSITIONS[self.name].sources

    @property
    def event_type(self) -> str:
        return TRANSITIONS[self.name].event


ACTIONS: dict[str, CaseAction] = {action.name: action for action in (
    CaseAction("accept", AcceptCase, lambda case, cmd, at, actor: case.accept(at, actor),
               "Accept a dispatched case (接单)"),
    CaseAction("decline", DeclineCase, lambda case, cmd, at, actor: case.decline(cmd.reason, at, actor),
               "Decline a dispatched case (退单); it is routed again without this org"),
    CaseAction("escalate", EscalateCase, lambda case, cmd, at, actor: case.escalate(cmd.reason, at, actor),
               "Escalate one tier up (上报); at district level: 409"),
    CaseAction("note", AddNote, lambda case, cmd, at, actor: case.add_note(cmd.text, at, actor),
               "Add a progress note to the timeline"),
    CaseAction("resolve", ResolveCase, lambda case, cmd, at, actor: case.resolve(
        cmd.agreement.summary, cmd.agreement.performance_due, at, actor),
        "Record the agreement (调解成功) and plan return visits"),
    CaseAction("fail", FailCase, lambda case, cmd, at, actor: case.fail(cmd.referral, cmd.reason, at, actor),
               "Record that mediation failed and where the dispute is referred (诉求分流)"),
    CaseAction("visit", RecordVisit, lambda case, cmd, at, actor: case.record_visit(
        cmd.agreement_performed, cmd.satisfaction.model_dump(mode="json"), cmd.note, at, actor),
        "Record the next due return visit (回访)"),
    CaseAction("close", CloseCase, lambda case, cmd, at, actor: case.close(at, actor),
               "Close a resolved or unresolved case (结案)"),
    CaseAction("withdraw", WithdrawCase, lambda case, cmd, at, actor: case.withdraw(cmd.reason, at, actor),
               "Withdraw an open case (撤回)"),
)}
