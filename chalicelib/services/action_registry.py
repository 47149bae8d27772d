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
from typing import Callable, Generic, TypeVar

from ..domain.access import CASE_HANDLERS, Permission
from ..domain.case import TRANSITIONS, Case, Outcome
from ..domain.enums import CaseStatus
from . import commands as c

C = TypeVar("C", bound=c.Action)


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
    CaseAction("accept", c.AcceptCase, lambda case, cmd, at, actor: case.accept(at, actor),
               "Accept a dispatched case (接单)"),
    CaseAction("decline", c.DeclineCase, lambda case, cmd, at, actor: case.decline(cmd.reason, at, actor),
               "Decline a dispatched case (退单); it is routed again without this org"),
    CaseAction("escalate", c.EscalateCase, lambda case, cmd, at, actor: case.escalate(cmd.reason, at, actor),
               "Escalate one tier up (上报); at district level: 409"),
    CaseAction("note", c.AddNote, lambda case, cmd, at, actor: case.add_note(cmd.text, at, actor),
               "Add a progress note to the timeline"),
    CaseAction("resolve", c.ResolveCase, lambda case, cmd, at, actor: case.resolve(
        cmd.agreement.summary, cmd.agreement.performance_due, at, actor),
        "Record the agreement (调解成功) and plan return visits"),
    CaseAction("fail", c.FailCase, lambda case, cmd, at, actor: case.fail(cmd.referral, cmd.reason, at, actor),
               "Record that mediation failed and where the dispute is referred (诉求分流)"),
    CaseAction("visit", c.RecordVisit, lambda case, cmd, at, actor: case.record_visit(
        cmd.agreement_performed, cmd.satisfaction.model_dump(mode="json"), cmd.note, at, actor),
        "Record the next due return visit (回访)"),
    CaseAction("close", c.CloseCase, lambda case, cmd, at, actor: case.close(at, actor),
               "Close a resolved or unresolved case (结案)"),
    CaseAction("withdraw", c.WithdrawCase, lambda case, cmd, at, actor: case.withdraw(cmd.reason, at, actor),
               "Withdraw an open case (撤回)"),
)}
