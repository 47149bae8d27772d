"""Extensions (延期) and suspension (中止), contract §11, through the HTTP API against moto.

Every case below is filed and dispatched on Monday 23 Nov 2026 at 10:00 (+08:00), and
accepted then unless it tests the accepted-only rule, so its resolve deadline is known:
blue and yellow 15 working days on (Mon 14 Dec), orange 7 (Wed 2 Dec), red 3 (Thu 26 Nov).
November and December 2026 have no statutory holiday, so the working days are Monday to
Friday and every date below can be counted on a wall calendar; no deadline reaches 2027.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.domain.enums import ExtensionDecision
from chalicelib.domain.signing import sign
from chalicelib.services.action_registry import DecideExtension, ResumeCase
from chalicelib.services.errors import Conflict
from tests.integration.conftest import all_at_once, principal_of, staff_token
from tests.integration.test_callbacks import Receiver
from tests.support import assert_problem, drain, new_case_body, sms_sent

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
"""Monday: every case is filed, dispatched and accepted at this moment."""

RISK_INDICATORS = {"red": ["threat_of_violence"], "orange": ["domestic_violence"],
                   "yellow": ["vulnerable_party"], "blue": []}
MEDIATOR_OF_RISK = {"red": "M-SL-1", "orange": "M-SL-1", "yellow": "M-CN-1", "blue": "M-CN-1"}
"""Red and orange cases go to the town org, yellow and blue to the village one."""
PHONE_OF = {"M-CN-1": "139****0201", "M-SL-1": "139****0202"}

BLUE_DUE = "2026-12-14T23:59:59+08:00"
ORANGE_DUE = "2026-12-02T23:59:59+08:00"
RED_DUE = "2026-11-26T23:59:59+08:00"


def at(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


def end_of(month: int, day: int) -> str:
    return f"2026-{month:02d}-{day:02d}T23:59:59+08:00"


def clock(moment: dt.datetime) -> None:
    wiring.current().clock.now = moment


# ------------------------------------------------------------------ helpers


def accepted_case(partner, admin, ref: str, risk: str = "blue") -> dict:
    """A case filed by the partner, routed and accepted at BASE; its parties are its own, so
    no earlier case of the same party raises its risk level."""
    clock(BASE)
    body = new_case_body(ref, parties=[{"role": "applicant", "name": f"当事人{ref}"}],
                         risk_indicators=RISK_INDICATORS[risk])
    created = partner.call("POST", "/v1/cases", body)
    assert created.status == 201, created
    drain("routing", "route_cases")
    case_id = created.json["case_id"]
    accepted = admin.call("POST", f"/v1/cases/{case_id}/accept", {})
    assert accepted.status == 200, accepted
    assert (accepted.json["risk_level"], accepted.json["mediator_id"]) == (risk, MEDIATOR_OF_RISK[risk])
    drain("notify", "send_notifications")
    return accepted.json


def dispatched_case(partner, ref: str) -> dict:
    clock(BASE)
    body = new_case_body(ref, parties=[{"role": "applicant", "name": f"当事人{ref}"}])
    created = partner.call("POST", "/v1/cases", body)
    assert created.status == 201, created
    drain("routing", "route_cases")
    return created.json


def act(caller, case_id: str, action: str, body: dict | None = None) -> dict:
    result = caller.call("POST", f"/v1/cases/{case_id}/{action}", body or {})
    assert result.status == 200, (action, body, result)
    return result.json


def view(admin, case_id: str) -> dict:
    return admin.call("GET", f"/v1/cases/{case_id}").json


def events(admin, case_id: str, kind: str | None = None) -> list[dict]:
    timeline = admin.call("GET", f"/v1/cases/{case_id}/events").json
    return [e for e in timeline if kind is None or e["type"] == kind]


def notifications(admin, case_id: str, kind: str | None = None) -> list[dict]:
    drain("notify", "send_notifications")
    notes = admin.call("GET", f"/v1/cases/{case_id}/notifications").json
    return [n for n in notes if kind is None or n["kind"] == kind]


def supervision_steps(admin, case_id: str) -> list[tuple[str, dt.datetime]]:
    """(step, the deadline it was taken on) of every supervision event, oldest first."""
    return [(e["detail"]["step"], dt.datetime.fromisoformat(e["detail"]["due_at"]))
            for e in events(admin, case_id, "supervision")]


def due(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def sweep(admin, moment: dt.datetime) -> dict:
    result = admin.call("POST", "/v1/ops/sweeps/supervision", {"as_of": moment.isoformat()})
    assert result.status == 200, result
    drain("notify", "send_notifications")
    return result.json


def assert_refused(admin, caller, case_id: str, action: str, body: Any, status: int,
                   field: str | None = None) -> None:
    """The action answers problem+json with `status` (naming `field`) and writes nothing: the
    case (its version too) and its timeline are as they were. (A change writes its SMS in the
    same transaction as the case, so an unchanged version means no SMS either.)"""
    before = (view(admin, case_id), events(admin, case_id))
    answer = caller.call("POST", f"/v1/cases/{case_id}/{action}", body)
    assert answer.status == status, (action, body, answer)
    assert_problem(answer, status, field)
    assert (view(admin, case_id), events(admin, case_id)) == before, (action, body)


def suspend_body(resume_on: dt.date | str, reason_code: str = "appraisal", **extra) -> dict:
    resume = resume_on if isinstance(resume_on, str) else resume_on.isoformat()
    return {"reason_code": reason_code, "reason": "等待伤情鉴定结论", "resume_on": resume, **extra}


@pytest.fixture
def endpoint(admin, partner):
    """The partner's callback endpoint, on loopback."""
    receiver = Receiver()
    assert admin.call("PATCH", f"/v1/partners/{partner.partner_id}", {"callback_url": receiver.url}).status == 200
    yield receiver
    receiver.close()


def deadline_callbacks(partner, endpoint: Receiver, case_id: str) -> list[dict]:
    """Every `case.deadline_changed` callback the partner received for the case, each checked
    to be signed with the partner's secret over the callback URL's path and query."""
    drain("callbacks", "deliver_callbacks")
    received = []
    for path, headers, body in endpoint.received:
        payload = json.loads(body)
        if payload["event"] != "case.deadline_changed" or payload["case_id"] != case_id:
            continue
        assert headers["X-Hewei-Signature"] == sign(partner.secret, headers["X-Hewei-Timestamp"], "POST", path,
                                                    body)
        received.append(payload)
    return received


# ------------------------------------------------------- request_extension


def test_a_request_is_pending_on_the_view_with_its_timeline_event(partner, admin):
    case_id = accepted_case(partner, admin, "EX-REQ")["case_id"]
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    clock(at(12, 1, 9, 30))
    requested = act(mediator, case_id, "request_extension", {"working_days": 5, "reason": "需等待房屋漏水鉴定"})
    assert {k: requested["extension"][k] for k in ("status", "working_days", "reason", "requested_at",
                                                   "decided_at")} == {
        "status": "pending", "working_days": 5, "reason": "需等待房屋漏水鉴定",
        "requested_at": "2026-12-01T09:30:00+08:00", "decided_at": None}
    assert (requested["resolve_due_at"], requested["resolve_due_at_original"]) == (BLUE_DUE, None)
    assert view(admin, case_id)["extension"] == requested["extension"]
    (event,) = events(admin, case_id, "extension_requested")
    assert (event["actor"], event["at"], event["detail"]["working_days"]) == (
        "mediator:M-CN-1", "2026-12-01T09:30:00+08:00", 5)
    assert events(admin, case_id)[-1] == event


def test_working_days_outside_one_to_the_cap_of_the_risk_level_is_422_and_the_cap_itself_is_accepted(
        partner, admin):
    cases = {risk: accepted_case(partner, admin, f"EX-CAP-{risk}", risk)["case_id"]
             for risk in ("red", "orange", "yellow", "blue")}
    clock(BASE + dt.timedelta(hours=1))
    refused = [("red", 3), ("orange", 5), ("yellow", 9), ("blue", 9), ("blue", 0), ("red", 0), ("orange", -1),
               ("blue", 2.5), ("blue", "3"), ("blue", True), ("blue", None), ("blue", [2])]
    for risk, working_days in refused:
        assert_refused(admin, admin, cases[risk], "request_extension",
                       {"working_days": working_days, "reason": "理由"}, 422, "working_days")
    assert_refused(admin, admin, cases["blue"], "request_extension", {"reason": "理由"}, 422, "working_days")
    for risk, cap in (("red", 2), ("orange", 4), ("yellow", 8), ("blue", 8)):
        requested = act(admin, cases[risk], "request_extension", {"working_days": cap, "reason": "理由"})
        assert requested["extension"]["working_days"] == cap


def test_a_request_in_the_wrong_state_is_409_and_writes_nothing(partner, admin):
    dispatched = dispatched_case(partner, "EX-409-DISPATCHED")["case_id"]
    just_in_time = accepted_case(partner, admin, "EX-409-INTIME", "red")["case_id"]
    too_late = accepted_case(partner, admin, "EX-409-LATE", "red")["case_id"]
    pending = accepted_case(partner, admin, "EX-409-PENDING")["case_id"]
    approved = accepted_case(partner, admin, "EX-409-APPROVED")["case_id"]
    stale = accepted_case(partner, admin, "EX-409-STALE")["case_id"]
    body = {"working_days": 2, "reason": "需补充证据"}

    clock(at(11, 24))
    act(admin, pending, "request_extension", body)
    act(admin, approved, "request_extension", body)
    act(admin, approved, "decide_extension", {"decision": "approve"})
    version = view(admin, stale)["version"]
    act(admin, stale, "note", {"text": "与双方电话沟通"})

    assert_refused(admin, admin, dispatched, "request_extension", body, 409)
    assert_refused(admin, admin, pending, "request_extension", body, 409)
    assert_refused(admin, admin, approved, "request_extension", body, 409)
    assert_refused(admin, admin, stale, "request_extension", {**body, "expected_version": version}, 409)
    assert_refused(admin, partner, stale, "request_extension", body, 403)
    act(admin, stale, "request_extension", {**body, "expected_version": view(admin, stale)["version"]})

    clock(due(RED_DUE) - dt.timedelta(seconds=1))
    act(admin, just_in_time, "request_extension", body)
    clock(due(RED_DUE) + dt.timedelta(seconds=1))
    assert_refused(admin, admin, too_late, "request_extension", body, 409)


# -------------------------------------------------------- decide_extension


def test_only_a_covering_supervisor_or_an_admin_decides_and_only_a_pending_request(partner, admin):
    case_id = accepted_case(partner, admin, "EX-WHO")["case_id"]
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    elsewhere = staff_token(admin, role="supervisor", jurisdiction="320509103")
    covering = staff_token(admin, role="supervisor", jurisdiction="320509102")
    clock(at(12, 1))
    assert_refused(admin, covering, case_id, "decide_extension", {"decision": "approve"}, 409)  # nothing pending
    act(mediator, case_id, "request_extension", {"working_days": 3, "reason": "当事人住院"})
    assert_refused(admin, mediator, case_id, "decide_extension", {"decision": "approve"}, 403)
    assert_refused(admin, elsewhere, case_id, "decide_extension", {"decision": "approve"}, 404)
    assert_refused(admin, partner, case_id, "decide_extension", {"decision": "approve"}, 403)
    assert_refused(admin, covering, case_id, "decide_extension", {"decision": "maybe"}, 422, "decision")
    decided = act(admin, case_id, "decide_extension", {"decision": "approve", "note": "同意"})
    assert decided["extension"]["status"] == "approved"
    assert_refused(admin, covering, case_id, "decide_extension", {"decision": "reject"}, 409)  # decided already


def test_an_approval_moves_the_deadline_and_tells_the_mediator_and_the_partner(partner, admin, endpoint):
    case = accepted_case(partner, admin, "EX-APPROVE")
    case_id = case["case_id"]
    supervisor = staff_token(admin, role="supervisor", jurisdiction="320509102")
    clock(at(12, 1, 9))
    act(admin, case_id, "request_extension", {"working_days": 8, "reason": "等待鉴定"})
    clock(at(12, 1, 11))
    approved = act(supervisor, case_id, "decide_extension", {"decision": "approve", "note": "同意延期"})

    # the 8th working day after Mon 14 Dec: Tue 15 ... Fri 18, Mon 21 ... Thu 24
    assert approved["resolve_due_at"] == end_of(12, 24)
    assert approved["resolve_due_at_original"] == BLUE_DUE
    assert {k: approved["extension"][k] for k in ("status", "working_days", "decided_at")} == {
        "status": "approved", "working_days": 8, "decided_at": "2026-12-01T11:00:00+08:00"}
    assert approved["version"] > case["version"]
    (decision,) = events(admin, case_id, "extension_decided")
    assert decision["actor"].startswith("supervisor")
    assert decision["detail"]["decision"] == "approve"

    (sms,) = notifications(admin, case_id, "extension_approved")
    assert (sms["to"], sms["status"]) == (PHONE_OF["M-CN-1"], "sent")
    assert "12-24 23:59" in sms["text"] and sms["message_id"] and sms["provider"] == "sns"
    assert ("+8613900000201", sms["text"]) in sms_sent()

    assert deadline_callbacks(partner, endpoint, case_id) == [{
        "event": "case.deadline_changed", "case_id": case_id, "external_ref": "EX-APPROVE",
        "resolve_due_at": end_of(12, 24), "reason": "extension", "at": "2026-12-01T11:00:00+08:00"}]


def test_a_rejection_keeps_the_deadline_and_a_new_request_may_follow(partner, admin, endpoint):
    case_id = accepted_case(partner, admin, "EX-REJECT")["case_id"]
    clock(at(12, 1, 9))
    act(admin, case_id, "request_extension", {"working_days": 8, "reason": "等待鉴定"})
    clock(at(12, 1, 11))
    rejected = act(admin, case_id, "decide_extension", {"decision": "reject", "note": "理由不充分"})
    assert (rejected["resolve_due_at"], rejected["resolve_due_at_original"]) == (BLUE_DUE, None)
    assert (rejected["extension"]["status"], rejected["extension"]["decided_at"]) == (
        "rejected", "2026-12-01T11:00:00+08:00")
    (sms,) = notifications(admin, case_id, "extension_rejected")
    assert (sms["to"], sms["status"]) == (PHONE_OF["M-CN-1"], "sent")
    assert deadline_callbacks(partner, endpoint, case_id) == []

    clock(at(12, 2))
    again = act(admin, case_id, "request_extension", {"working_days": 2, "reason": "补充材料后再申请"})
    assert (again["extension"]["status"], again["extension"]["working_days"]) == ("pending", 2)
    approved = act(admin, case_id, "decide_extension", {"decision": "approve"})  # an admin may decide too
    assert approved["resolve_due_at"] == end_of(12, 16)
    assert [e["detail"]["decision"] for e in events(admin, case_id, "extension_decided")] == ["reject", "approve"]
    assert [c["resolve_due_at"] for c in deadline_callbacks(partner, endpoint, case_id)] == [end_of(12, 16)]


# ------------------------------------------------------------ suspend/resume


def test_a_suspension_shows_on_the_view_and_the_timeline(partner, admin):
    case_id = accepted_case(partner, admin, "SU-VIEW")["case_id"]
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    clock(BASE + dt.timedelta(hours=1))
    suspended = act(mediator, case_id, "suspend", suspend_body("2026-12-03", "hearing"))
    assert suspended["suspended"] is True
    assert len(suspended["suspensions"]) == 1
    assert {k: suspended["suspensions"][0][k] for k in (
        "reason_code", "reason", "suspended_at", "resume_on", "resumed_at")} == {
        "reason_code": "hearing", "reason": "等待伤情鉴定结论", "suspended_at": "2026-11-23T11:00:00+08:00",
        "resume_on": "2026-12-03", "resumed_at": None}
    assert (suspended["resolve_due_at"], suspended["resolve_due_at_original"]) == (BLUE_DUE, None)
    (event,) = events(admin, case_id, "suspended")
    assert (event["actor"], event["detail"]["reason_code"], event["detail"]["resume_on"]) == (
        "mediator:M-CN-1", "hearing", "2026-12-03")


def test_suspend_and_resume_refusals_write_nothing(partner, admin):
    dispatched = dispatched_case(partner, "SU-NO-DISPATCHED")["case_id"]
    case_id = accepted_case(partner, admin, "SU-NO")["case_id"]
    clock(BASE + dt.timedelta(hours=1))
    today = BASE.date()
    assert_refused(admin, admin, dispatched, "suspend", suspend_body(today + dt.timedelta(days=3)), 409)
    assert_refused(admin, admin, dispatched, "resume", {}, 409)
    assert_refused(admin, admin, case_id, "resume", {}, 409)
    for resume_on in (today, today - dt.timedelta(days=1), today + dt.timedelta(days=31), "2026-13-01",
                      "next week"):
        assert_refused(admin, admin, case_id, "suspend", suspend_body(resume_on), 422, "resume_on")
    for reason_code in ("vacation", "", "APPRAISAL"):
        assert_refused(admin, admin, case_id, "suspend", suspend_body(today + dt.timedelta(days=3), reason_code),
                       422, "reason_code")
    version = view(admin, case_id)["version"]
    assert_refused(admin, admin, case_id, "suspend",
                   suspend_body(today + dt.timedelta(days=3), expected_version=version - 1), 409)

    act(admin, case_id, "suspend", suspend_body(today + dt.timedelta(days=30)))  # 30 days ahead: the limit
    assert_refused(admin, admin, case_id, "suspend", suspend_body(today + dt.timedelta(days=3)), 409)
    act(admin, case_id, "resume")
    act(admin, case_id, "suspend", suspend_body(today + dt.timedelta(days=1)))
    act(admin, case_id, "resume")
    assert_refused(admin, admin, case_id, "suspend", suspend_body(today + dt.timedelta(days=3)), 409)  # a third
    assert [len(events(admin, case_id, kind)) for kind in ("suspended", "resumed")] == [2, 2]


@pytest.mark.parametrize("suspended_at, resumed_at, working_days, moved_to", [
    (at(11, 23, 11), at(11, 26, 15), 3, end_of(12, 17)),  # Mon, Tue, Wed
    (at(11, 27, 11), at(12, 1, 9), 2, end_of(12, 16)),  # Fri, (weekend), Mon
    (at(11, 28, 11), at(11, 30, 9), 0, None),  # Sat, Sun: no working day lost
    (at(11, 24, 11), at(11, 24, 17), 0, None),  # resumed the day it was suspended
])
def test_a_manual_resume_moves_the_deadline_by_the_working_days_suspended(
        partner, admin, endpoint, suspended_at, resumed_at, working_days, moved_to):
    case_id = accepted_case(partner, admin, "SU-K")["case_id"]
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    clock(suspended_at)
    act(mediator, case_id, "suspend", suspend_body(suspended_at.date() + dt.timedelta(days=20), "awaiting_documents"))
    clock(resumed_at)
    resumed = act(mediator, case_id, "resume")

    assert resumed["suspended"] is False
    assert resumed["suspensions"][0]["resumed_at"] == resumed_at.isoformat()
    assert resumed["resolve_due_at"] == (moved_to or BLUE_DUE)
    assert resumed["resolve_due_at_original"] == (BLUE_DUE if moved_to else None)
    (event,) = events(admin, case_id, "resumed")
    assert (event["actor"], event["detail"]["working_days_suspended"]) == ("mediator:M-CN-1", working_days)
    expected_callbacks = [{"event": "case.deadline_changed", "case_id": case_id, "external_ref": "SU-K",
                           "resolve_due_at": moved_to, "reason": "suspension", "at": resumed_at.isoformat()}]
    assert deadline_callbacks(partner, endpoint, case_id) == (expected_callbacks if moved_to else [])


def test_the_original_deadline_stays_the_dispatch_one_through_a_resume_and_an_extension(partner, admin):
    case_id = accepted_case(partner, admin, "SU-ORIGINAL")["case_id"]
    clock(at(11, 30))
    act(admin, case_id, "suspend", suspend_body("2026-12-10"))
    clock(at(12, 2))
    resumed = act(admin, case_id, "resume")  # Mon, Tue: the deadline moves to Wed 16 Dec
    assert (resumed["resolve_due_at"], resumed["resolve_due_at_original"]) == (end_of(12, 16), BLUE_DUE)
    act(admin, case_id, "request_extension", {"working_days": 3, "reason": "等待鉴定"})
    extended = act(admin, case_id, "decide_extension", {"decision": "approve"})
    assert (extended["resolve_due_at"], extended["resolve_due_at_original"]) == (end_of(12, 21), BLUE_DUE)


def test_a_new_dispatch_allows_a_new_extension_and_two_new_suspensions(partner, admin):
    case_id = accepted_case(partner, admin, "SU-REDISPATCH")["case_id"]
    clock(BASE + dt.timedelta(hours=1))
    act(admin, case_id, "request_extension", {"working_days": 2, "reason": "等待鉴定"})
    act(admin, case_id, "decide_extension", {"decision": "approve"})
    for _ in range(2):
        act(admin, case_id, "suspend", suspend_body("2026-11-24"))
        act(admin, case_id, "resume")
    clock(BASE + dt.timedelta(hours=2))
    act(admin, case_id, "escalate", {"reason": "涉及多个部门"})
    drain("routing", "route_cases")
    clock(BASE + dt.timedelta(hours=3))
    redispatched = act(admin, case_id, "accept")
    assert (redispatched["org_id"], redispatched["extension"], redispatched["resolve_due_at_original"]) == (
        "T-SL", None, None)
    clock(BASE + dt.timedelta(hours=4))
    assert act(admin, case_id, "request_extension", {"working_days": 2, "reason": "再次申请"})[
        "extension"]["status"] == "pending"
    for _ in range(2):
        assert act(admin, case_id, "suspend", suspend_body("2026-11-24"))["suspended"] is True
        act(admin, case_id, "resume")
    assert_refused(admin, admin, case_id, "suspend", suspend_body("2026-11-24"), 409)


# ------------------------------------------------------------- the sweep


def test_the_sweep_takes_no_step_while_suspended_and_resumes_the_case_at_the_start_of_resume_on(
        partner, admin, endpoint):
    case_id = accepted_case(partner, admin, "SU-SWEEP")["case_id"]
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    clock(at(12, 11))  # Friday; the deadline is Monday 14 Dec
    act(mediator, case_id, "suspend", suspend_body("2026-12-21", "party_unavailable"))

    for moment in (at(12, 15, 9), at(12, 18), at(12, 20, 23, 59, 59)):  # past every step of the ladder
        sweep(admin, moment)
        still = view(admin, case_id)
        assert (still["suspended"], still["supervision_level"], still["overdue"], still["resolve_due_at"]) == (
            True, 0, False, BLUE_DUE), moment
    assert supervision_steps(admin, case_id) == []
    assert [n["kind"] for n in notifications(admin, case_id)] == ["dispatch"]

    midnight = at(12, 21, 0)
    sweep(admin, midnight)
    resumed = view(admin, case_id)
    # Fri 11, Mon 14 ... Fri 18 suspended: 6 working days after Mon 14 is Tue 22
    assert (resumed["suspended"], resumed["resolve_due_at"], resumed["resolve_due_at_original"]) == (
        False, end_of(12, 22), BLUE_DUE)
    assert resumed["suspensions"][0]["resumed_at"] == "2026-12-21T00:00:00+08:00"
    (event,) = events(admin, case_id, "resumed")
    assert (event["actor"], event["at"], event["detail"]["working_days_suspended"]) == (
        "system:sweep", "2026-12-21T00:00:00+08:00", 6)
    (ended,) = notifications(admin, case_id, "suspension_ended")
    assert (ended["to"], ended["status"]) == (PHONE_OF["M-CN-1"], "deferred")  # quiet hours: a blue case waits
    assert deadline_callbacks(partner, endpoint, case_id) == [{
        "event": "case.deadline_changed", "case_id": case_id, "external_ref": "SU-SWEEP",
        "resolve_due_at": end_of(12, 22), "reason": "suspension", "at": "2026-12-21T00:00:00+08:00"}]

    sweep(admin, at(12, 21, 7, 59))
    assert notifications(admin, case_id, "suspension_ended")[0]["status"] == "deferred"
    sweep(admin, at(12, 21, 8))
    assert notifications(admin, case_id, "suspension_ended")[0]["status"] == "sent"
    assert len(events(admin, case_id, "resumed")) == 1
    assert len(deadline_callbacks(partner, endpoint, case_id)) == 1
    assert supervision_steps(admin, case_id) == []


def test_a_red_case_is_resumed_by_the_sweep_with_its_sms_sent_at_night(partner, admin):
    case_id = accepted_case(partner, admin, "SU-RED", "red")["case_id"]
    clock(at(11, 24))
    act(admin, case_id, "suspend", suspend_body("2026-11-26"))
    sweep(admin, at(11, 26, 0))
    resumed = view(admin, case_id)
    assert (resumed["suspended"], resumed["resolve_due_at"]) == (False, end_of(11, 30))  # Tue, Wed lost
    (ended,) = notifications(admin, case_id, "suspension_ended")
    assert (ended["to"], ended["status"]) == (PHONE_OF["M-SL-1"], "sent")


def test_a_sweep_holding_a_copy_read_before_the_suspension_takes_no_step(partner, admin):
    """The sweep read the case while it was running; the suspension wins the write, so the
    sweep reads it again and finds its clock stopped."""
    case_id = accepted_case(partner, admin, "SU-STALE")["case_id"]
    stale = wiring.current().case_store.get(case_id)
    clock(at(12, 11))
    act(admin, case_id, "suspend", suspend_body("2026-12-21"))
    assert wiring.current().supervision.handle(stale, at(12, 18)) == 0
    assert supervision_steps(admin, case_id) == []
    assert view(admin, case_id)["suspended"] is True


def test_an_extension_and_a_resume_count_working_days_on_the_operators_calendar(partner, admin):
    extended = accepted_case(partner, admin, "CAL-EXT")["case_id"]
    resumed = accepted_case(partner, admin, "CAL-RESUME")["case_id"]
    calendar = {"holidays": ["2026-12-01", "2026-12-16"], "workdays": ["2026-12-19"]}
    assert admin.call("PUT", "/v1/calendar/2026", calendar).status == 200
    clock(at(11, 30))
    act(admin, resumed, "suspend", suspend_body("2026-12-10"))
    act(admin, extended, "request_extension", {"working_days": 4, "reason": "等待鉴定"})
    # Tue 15, (Wed 16 off), Thu 17, Fri 18, Sat 19 (a make-up working day)
    assert act(admin, extended, "decide_extension", {"decision": "approve"})["resolve_due_at"] == end_of(12, 19)
    clock(at(12, 2))
    after = act(admin, resumed, "resume")  # Mon 30 only: Tue 1 is a holiday now
    assert (after["resolve_due_at"], after["resolve_due_at_original"]) == (end_of(12, 15), BLUE_DUE)
    assert events(admin, resumed, "resumed")[0]["detail"]["working_days_suspended"] == 1


# ----------------------------------------------- a moved deadline is new


def test_an_extension_approved_after_the_case_went_overdue_runs_the_ladder_again(partner, admin):
    case_id = accepted_case(partner, admin, "NL-EXT")["case_id"]
    clock(at(12, 14, 9))
    act(admin, case_id, "request_extension", {"working_days": 8, "reason": "等待鉴定"})
    sweep(admin, at(12, 14, 9))  # from 24 h before the deadline: the reminder
    sweep(admin, at(12, 15, 0))  # past it: overdue
    overdue = view(admin, case_id)
    assert (overdue["supervision_level"], overdue["overdue"]) == (1, True)

    clock(at(12, 15, 10))
    approved = act(admin, case_id, "decide_extension", {"decision": "approve"})
    assert (approved["resolve_due_at"], approved["overdue"], approved["supervision_level"]) == (
        end_of(12, 24), False, 1)
    sweep(admin, at(12, 15, 10))
    sweep(admin, at(12, 23, 23, 59, 58))
    assert len(supervision_steps(admin, case_id)) == 2  # nothing yet on the new deadline
    sweep(admin, at(12, 24, 8))
    sweep(admin, at(12, 25, 8))
    sweep(admin, at(12, 25, 9))
    assert supervision_steps(admin, case_id) == [
        ("reminder", due(BLUE_DUE)), ("overdue", due(BLUE_DUE)),
        ("reminder", due(end_of(12, 24))), ("overdue", due(end_of(12, 24)))]
    final = view(admin, case_id)
    assert (final["supervision_level"], final["overdue"]) == (1, True)
    kinds = Counter(n["kind"] for n in notifications(admin, case_id))
    assert (kinds["reminder"], kinds["overdue"], kinds["extension_approved"]) == (2, 2, 1)
    assert kinds["supervision_letter"] == 0  # approved before the old deadline's letter was due


def test_a_reminder_taken_before_a_suspension_is_taken_again_for_the_moved_deadline(partner, admin):
    case_id = accepted_case(partner, admin, "NL-RESUME")["case_id"]
    sweep(admin, at(12, 14, 8))
    assert supervision_steps(admin, case_id) == [("reminder", due(BLUE_DUE))]
    clock(at(12, 14, 10))
    act(admin, case_id, "suspend", suspend_body("2026-12-16"))
    sweep(admin, at(12, 15, 0))  # past the old deadline, but suspended
    clock(at(12, 15, 10))
    resumed = act(admin, case_id, "resume")
    assert resumed["resolve_due_at"] == end_of(12, 15)  # Mon 14 lost
    # a window of 14 h: the reminder at halfway, 17:00
    sweep(admin, at(12, 15, 16, 59))
    assert len(supervision_steps(admin, case_id)) == 1
    sweep(admin, at(12, 15, 17))
    sweep(admin, at(12, 16, 0))
    sweep(admin, at(12, 16, 1))
    assert supervision_steps(admin, case_id) == [
        ("reminder", due(BLUE_DUE)), ("reminder", due(end_of(12, 15))), ("overdue", due(end_of(12, 15)))]
    assert view(admin, case_id)["supervision_level"] == 1
    kinds = Counter(n["kind"] for n in notifications(admin, case_id))
    assert (kinds["reminder"], kinds["overdue"]) == (2, 1)


def test_an_overdue_case_suspended_then_resumed_by_the_sweep_gets_a_ladder_of_its_new_deadline(partner, admin):
    case_id = accepted_case(partner, admin, "NL-RED", "red")["case_id"]
    sweep(admin, at(11, 27, 0))  # past Thu 26 Nov: reminder and overdue at once
    assert (view(admin, case_id)["supervision_level"]) == 1
    clock(at(11, 27, 10))
    act(admin, case_id, "suspend", suspend_body("2026-12-02"))
    sweep(admin, at(11, 30, 10))  # past the letter's time (end of Fri 27), but suspended
    assert view(admin, case_id)["supervision_level"] == 1
    sweep(admin, at(12, 2, 0))
    # Fri 27, Mon 30, Tue 1 lost: the new deadline, Tue 1 Dec, has passed already
    resumed = view(admin, case_id)
    assert (resumed["suspended"], resumed["resolve_due_at"], resumed["supervision_level"], resumed["overdue"]) == (
        False, end_of(12, 1), 1, True)
    sweep(admin, at(12, 2, 0, 5))
    assert supervision_steps(admin, case_id) == [
        ("reminder", due(RED_DUE)), ("overdue", due(RED_DUE)),
        ("reminder", due(end_of(12, 1))), ("overdue", due(end_of(12, 1)))]
    kinds = Counter(n["kind"] for n in notifications(admin, case_id))
    assert (kinds["reminder"], kinds["overdue"], kinds["suspension_ended"], kinds["supervision_letter"]) == (
        2, 2, 1, 0)


# ------------------------------------------------------------------ races


def test_an_approval_racing_a_sweep_step_keeps_the_approved_deadline(partner, admin, endpoint, atomic_requests):
    cases = [accepted_case(partner, admin, f"RC-EXT-{i}")["case_id"] for i in range(3)]
    clock(at(12, 14, 9))
    for case_id in cases:
        act(admin, case_id, "request_extension", {"working_days": 8, "reason": "等待鉴定"})
    supervisor = principal_of(staff_token(admin, role="supervisor", jurisdiction="320509102"))
    clock(at(12, 14, 10))  # the old deadline's reminder is due (since Sun 13 Dec 23:59:59)
    approve = DecideExtension(decision=ExtensionDecision.APPROVE)
    results = all_at_once(lambda: wiring.current().supervision.run(as_of=at(12, 14, 10)),
                          *[lambda case_id=case_id: wiring.current().actions.act(
                              case_id, "decide_extension", approve, supervisor) for case_id in cases])
    assert not any(isinstance(r, Conflict) for r in results), results
    drain("notify", "send_notifications")
    for case_id in cases:
        final = view(admin, case_id)
        assert (final["resolve_due_at"], final["extension"]["status"]) == (end_of(12, 24), "approved")
        assert len(events(admin, case_id, "extension_decided")) == 1
        assert supervision_steps(admin, case_id) in ([], [("reminder", due(BLUE_DUE))])
        assert [c["resolve_due_at"] for c in deadline_callbacks(partner, endpoint, case_id)] == [end_of(12, 24)]
    sweep(admin, at(12, 14, 10, 5))  # whichever won, nothing of the new deadline is due
    sweep(admin, at(12, 24, 0))
    sweep(admin, at(12, 24, 0, 5))
    for case_id in cases:
        assert supervision_steps(admin, case_id) in (
            [("reminder", due(end_of(12, 24)))], [("reminder", due(BLUE_DUE)), ("reminder", due(end_of(12, 24)))])


def test_a_sweep_holding_a_copy_read_before_the_approval_takes_no_step_of_the_old_deadline(partner, admin):
    case_id = accepted_case(partner, admin, "RC-STALE")["case_id"]
    clock(at(12, 14, 9))
    act(admin, case_id, "request_extension", {"working_days": 8, "reason": "等待鉴定"})
    stale = wiring.current().case_store.get(case_id)
    act(admin, case_id, "decide_extension", {"decision": "approve"})
    assert wiring.current().supervision.handle(stale, at(12, 14, 10)) == 0
    assert supervision_steps(admin, case_id) == []
    assert view(admin, case_id)["resolve_due_at"] == end_of(12, 24)


def test_a_manual_resume_racing_the_sweeps_automatic_one_resumes_once(partner, admin, endpoint, atomic_requests):
    cases = [accepted_case(partner, admin, f"RC-RESUME-{i}")["case_id"] for i in range(3)]
    clock(BASE + dt.timedelta(hours=1))
    for case_id in cases:
        act(admin, case_id, "suspend", suspend_body("2026-11-26"))
    mediator = principal_of(staff_token(admin, role="mediator", mediator_id="M-CN-1"))
    clock(at(11, 26, 9))
    results = all_at_once(lambda: wiring.current().supervision.run(as_of=at(11, 26, 9)),
                          *[lambda case_id=case_id: wiring.current().actions.act(
                              case_id, "resume", ResumeCase(), mediator) for case_id in cases])
    for case_id, manual in zip(cases, results[1:]):
        final = view(admin, case_id)
        assert (final["suspended"], final["resolve_due_at"]) == (False, end_of(12, 17))  # Mon, Tue, Wed lost
        (resumed,) = events(admin, case_id, "resumed")
        by_sweep = resumed["actor"] == "system:sweep"
        assert isinstance(manual, Conflict) == by_sweep, (resumed, manual)
        assert len(notifications(admin, case_id, "suspension_ended")) == int(by_sweep)
        assert [c["resolve_due_at"] for c in deadline_callbacks(partner, endpoint, case_id)] == [end_of(12, 17)]


# ------------------------------------------------------------------ stats


def test_extension_rate_and_on_time_rate_against_the_deadline_in_force(partner, admin):
    extended = accepted_case(partner, admin, "ST-EXTENDED")["case_id"]  # resolved after 14 Dec, before 24 Dec
    prompt = accepted_case(partner, admin, "ST-PROMPT")["case_id"]  # resolved on day one
    late = accepted_case(partner, admin, "ST-LATE")["case_id"]  # resolved after 14 Dec, no extension
    refused = accepted_case(partner, admin, "ST-REFUSED")["case_id"]  # extension rejected, failed in time
    waited = accepted_case(partner, admin, "ST-WAITED")["case_id"]  # suspended; resolved by the moved deadline
    still_open = accepted_case(partner, admin, "ST-OPEN")["case_id"]  # extended, not concluded
    agreement = {"agreement": {"summary": "达成协议", "performance_due": "2026-12-31"}}

    clock(BASE + dt.timedelta(hours=2))
    act(admin, prompt, "resolve", agreement)
    clock(at(12, 11))
    act(admin, waited, "suspend", suspend_body("2026-12-21"))
    clock(at(12, 14, 9))
    for case_id, decision in ((extended, "approve"), (refused, "reject"), (still_open, "approve")):
        act(admin, case_id, "request_extension", {"working_days": 8, "reason": "等待鉴定"})
        act(admin, case_id, "decide_extension", {"decision": decision})
    clock(at(12, 14, 12))
    act(admin, refused, "fail", {"referral": "litigation", "reason": "对方拒绝调解"})
    clock(at(12, 15))
    assert act(admin, waited, "resume")["resolve_due_at"] == end_of(12, 16)  # Fri 11, Mon 14 lost
    clock(at(12, 16))
    act(admin, late, "resolve", agreement)
    act(admin, waited, "resolve", agreement)
    clock(at(12, 18))
    act(admin, extended, "resolve", agreement)

    figures = admin.call("GET", "/v1/stats", query={"region": "320509", "from": "2026-11-23", "to": "2026-11-23"})
    assert figures.status == 200, figures
    assert figures.json["total"] == 6
    assert figures.json["extension_rate"] == 0.2  # 1 of the 5 concluded
    assert figures.json["on_time_rate"] == 0.8  # all but `late`
    town = staff_token(admin, role="supervisor", jurisdiction="320509102")
    in_town = town.call("GET", "/v1/stats", query={"region": "320509102", "from": "2026-11-23", "to": "2026-11-30"})
    assert (in_town.json["extension_rate"], in_town.json["on_time_rate"]) == (0.2, 0.8)


def test_the_four_actions_are_in_the_openapi_document(http):
    paths = http.call("GET", "/openapi.json").json["paths"]
    for action in ("request_extension", "decide_extension", "suspend", "resume"):
        assert "post" in paths[f"/v1/cases/{{case_id}}/{action}"], action
