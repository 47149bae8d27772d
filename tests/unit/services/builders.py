"""What the services' unit tests share: the moment, the callers, the commands, and a `Centre`
that brings a case to where a test starts through the services themselves."""

from __future__ import annotations

import copy
import datetime as dt
import json
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import pytest

from chalicelib.domain.access import Principal
from chalicelib.domain.case import Case
from chalicelib.domain.enums import CaseStatus, Role
from chalicelib.services.action_registry import ACTIONS
from chalicelib.services.commands import NewCase, NewMediator, NewOrg, NewPartner, NewRegion
from chalicelib.wiring import Container
from tests.support import DEMO_MEDIATORS, DEMO_ORGS, DEMO_REGIONS, DISTRICT, new_case_body

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
"""A working Monday morning: no quiet hours, no holiday, inside the calendar's data."""

PARTNER_ID = "demo-12345"
CALLBACK_URL = "https://partner.example/hooks/hewei?source=hw"

PARTNER = Principal(Role.PARTNER, PARTNER_ID, partner_id=PARTNER_ID)
OTHER_PARTNER = Principal(Role.PARTNER, "other-1", partner_id="other-1")
ADMIN = Principal(Role.ADMIN, "admin")
SUPERVISOR = Principal(Role.SUPERVISOR, f"supervisor:{DISTRICT}", jurisdiction=DISTRICT)
OTHER_SUPERVISOR = Principal(Role.SUPERVISOR, "supervisor:320510", jurisdiction="320510")
MEDIATOR = Principal(Role.MEDIATOR, "mediator:M-CN-1", org_id="V-CN", mediator_id="M-CN-1")
"""The mediator the demo's village cases go to (承办调解员)."""
COLLEAGUE = Principal(Role.MEDIATOR, "mediator:M-CN-2", org_id="V-CN", mediator_id="M-CN-2")
OTHER_MEDIATOR = Principal(Role.MEDIATOR, "mediator:M-SL-1", org_id="T-SL", mediator_id="M-SL-1")
"""The town org's mediator: an assisting mediator (协办) once T-SL joins a village case (联合调解)."""
TOWN_SUPERVISOR = Principal(Role.SUPERVISOR, "supervisor:320509102", jurisdiction="320509102")

ACTION_BODIES: dict[str, dict[str, Any]] = {
    "accept": {},
    "decline": {"reason": "不属本社区管辖"},
    "escalate": {"reason": "案情复杂，需上级协调"},
    "note": {"text": "已电话联系双方当事人"},
    "resolve": {"agreement": {"summary": "双方达成协议，赔偿2000元", "performance_due": "2026-12-01"}},
    "fail": {"referral": "litigation", "reason": "一方拒绝调解"},
    "visit": {"agreement_performed": "yes",
              "satisfaction": {"attitude": "satisfied", "process": "satisfied", "effect": "satisfied"}},
    "close": {},
    "withdraw": {"reason": "申请人撤回申请"},
    "request_extension": {"working_days": 5, "reason": "等待工伤鉴定结论"},
    "decide_extension": {"decision": "approve", "note": "同意延期"},
    "suspend": {"reason_code": "appraisal", "reason": "等待伤情鉴定", "resume_on": "2026-11-30"},
    "resume": {},
    "judicial_confirmation": {"step": "intend"},
    "transfer": {"to": "court", "department": "苏州市吴江区人民法院", "reason": "属涉诉事项，依法移交"},
    "add_participant": {"org_id": "T-SL", "reason": "纠纷涉及两个村，请街道调委会协办"},
    "schedule_session": {"starts_at": "2026-11-25T09:00:00+08:00", "mode": "onsite", "place": "城南社区调解室",
                         "mediator_ids": ["M-CN-1"]},
    "sponsor": {"leader_name": "李明", "leader_title": "吴江区副区长", "leader_phone": "13900000301",
                "due_on": "2026-12-20"},
}
"""A valid body of each staff action."""

ACTIONS_TO = {
    CaseStatus.RECEIVED: (),
    CaseStatus.DISPATCHED: (),
    CaseStatus.ACCEPTED: ("accept",),
    CaseStatus.RESOLVED: ("accept", "resolve"),
    CaseStatus.UNRESOLVED: ("accept", "fail"),
    CaseStatus.CLOSED: ("accept", "fail", "close"),
    CaseStatus.WITHDRAWN: ("withdraw",),
}
"""The actions that bring a routed case (or, for `received` and `withdrawn`, a filed one) to a status."""


def parse(command_class: type, body: dict[str, Any]) -> Any:
    """A command as the API parses a JSON body into it."""
    return command_class.model_validate_json(json.dumps(body, ensure_ascii=False))


def new_case(ref: str = "R-1", **overrides: Any) -> NewCase:
    return parse(NewCase, new_case_body(ref, **overrides))


def action(name: str, **changes: Any) -> Any:
    """The command of a staff action: its valid body, with `changes`."""
    return parse(ACTIONS[name].command, {**ACTION_BODIES[name], **changes})


class Centre:
    """A mediation centre on the fakes: the demo directory (three orgs, one mediator each) and
    the partner `demo-12345`, and the steps that bring a case to the status a test needs."""

    def __init__(self, services: Container):
        self.services = services
        directory = services.directory
        for code, name in DEMO_REGIONS:
            directory.add_region(parse(NewRegion, {"code": code, "name": name}))
        for org in DEMO_ORGS:
            directory.add_org(parse(NewOrg, org))
        for mediator in DEMO_MEDIATORS:
            directory.add_mediator(parse(NewMediator, mediator))
        self.partner, self.partner_secret = directory.add_partner(
            parse(NewPartner, {"partner_id": PARTNER_ID, "name": "12345热线", "callback_url": CALLBACK_URL}))

    @property
    def store(self):
        return self.services.case_store

    def file(self, ref: str = "R-1", principal: Principal = PARTNER, **overrides: Any) -> Case:
        return self.services.intake.file_case(new_case(ref, **overrides), principal).case

    def case_at(self, status: CaseStatus, ref: str = "R-1", **overrides: Any) -> Case:
        """A case filed, routed unless it is to stay `received` or be withdrawn, and acted on up to `status`."""
        case = self.file(ref, **overrides)
        if status not in (CaseStatus.RECEIVED, CaseStatus.WITHDRAWN):
            assert self.services.routing.route(case.case_id) == "dispatched"
        for name in ACTIONS_TO[status]:
            self.act(case.case_id, name)
        case = self.store.get(case.case_id)
        assert case.status is status
        return case

    def act(self, case_id: str, name: str, principal: Principal = ADMIN, **changes: Any) -> Case:
        return self.services.actions.act(case_id, name, action(name, **changes), principal)

    def deliver_sms(self) -> None:
        """Send what the notify queue was asked to, as its worker does (each record at most once)."""
        for body in self.services.publisher.bodies("notify"):
            self.services.notifier.deliver_message(body)

    def open_cases(self, mediator_id: str) -> int:
        return self.services.directory_store.mediator(mediator_id).open_cases

    def event_types(self, case_id: str) -> list[str]:
        return [event.type for event in self.store.events(case_id)]

    def state(self) -> tuple:
        """All the fakes hold and have been asked to do."""
        services = self.services
        return (services.case_store.state(), services.directory_store.state(),
                copy.deepcopy(services.publisher.messages), list(services.sms_sender.sent),
                list(services.webhook.posts))

    def refuses(self, error: type[Exception]):
        """The call in the block raises `error` and leaves every fake as it was."""
        return refused(error, self.state)


@contextmanager
def refused(error: type[Exception], state: Callable[[], Any]) -> Iterator[pytest.ExceptionInfo]:
    """The call in the block raises `error`, and `state()` is after it as it was before."""
    before = state()
    with pytest.raises(error) as caught:
        yield caught
    assert state() == before
