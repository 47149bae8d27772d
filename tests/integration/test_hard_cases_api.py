"""The hard cases of §15 against moto, through the HTTP API: joint mediation (联合调解) and what
its assisting mediators may do, sessions (调解会) with the per-mediator overlap check raced for
real, reminders and the sponsor's SMS from the supervision sweep's index, and leader
sponsorship (领导包案); each refusal a problem+json that changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.adapters.clock import from_storage, to_storage
from chalicelib.adapters.models import CaseModel, KeyModel
from chalicelib.services.action_registry import ACTIONS
from tests.integration.conftest import all_at_once, principal_of, staff_token
from tests.integration.test_routing_and_actions import file_and_route
from tests.support import assert_problem
from tests.unit.services.builders import ACTION_BODIES

JOIN = {"org_id": "T-SL", "reason": "纠纷涉及两个村，请街道调委会协办"}
SESSION = {"starts_at": "2026-11-25T09:00:00+08:00", "mode": "onsite", "place": "城南社区调解室",
           "mediator_ids": ["M-CN-1"]}
SPONSOR = {"leader_name": "李明", "leader_title": "吴江区副区长", "leader_phone": "13900000301",
           "due_on": "2026-12-04"}


@pytest.fixture
def assistant(admin, directory):
    """M-SL-1 of the town org T-SL."""
    return staff_token(admin, role="mediator", mediator_id="M-SL-1")


def accepted_case(partner, admin, ref: str, **overrides) -> str:
    case_id = file_and_route(partner, ref, **overrides)["case_id"]
    assert admin.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
    return case_id


def kinds(admin, case_id: str, kind: str) -> list[dict]:
    return [n for n in admin.call("GET", f"/v1/cases/{case_id}/notifications").json if n["kind"] == kind]


def sweep(admin, as_of: str) -> dict:
    result = admin.call("POST", "/v1/ops/sweeps/supervision", {"as_of": as_of})
    assert result.status == 200, result
    return result.json


def told_once(admin, case_id: str, kind: str, before: str, due: str, later: str) -> dict:
    """Sweeps at `before`, `due` and `later`: the SMS `kind` not sent at the first, once after."""
    sweep(admin, before)
    assert kinds(admin, case_id, kind) == []
    sweep(admin, due)
    sweep(admin, later)
    [sent] = kinds(admin, case_id, kind)
    return sent


def unchanged(admin, case_id: str):
    """The case's view and timeline length, to compare after a refusal."""
    return admin.call("GET", f"/v1/cases/{case_id}").json, len(admin.call("GET", f"/v1/cases/{case_id}/events").json)


def test_joint_mediation_from_invitation_to_what_the_assistant_may_do(partner, admin, supervisor, assistant):
    case_id = accepted_case(partner, admin, "J-1")
    assert_problem(assistant.call("GET", f"/v1/cases/{case_id}"), 404)  # not in view before joining
    joined = supervisor.call("POST", f"/v1/cases/{case_id}/add_participant", JOIN)
    assert joined.status == 200, joined
    assert [(p["org_id"], p["role"]) for p in joined.json["participants"]] == [("V-CN", "lead"), ("T-SL", "assist")]
    [invite] = kinds(admin, case_id, "joint_invite")
    assert invite["to"] == "139****0102" and "联合调解" in invite["text"]
    assert partner.call("GET", f"/v1/cases/{case_id}").json["participants"] == joined.json["participants"]

    assert assistant.call("GET", f"/v1/cases/{case_id}").status == 200
    assert assistant.call("GET", f"/v1/cases/{case_id}/events").status == 200
    assert assistant.call("POST", f"/v1/cases/{case_id}/note", {"text": "街道已了解情况"}).status == 200
    booked = assistant.call("POST", f"/v1/cases/{case_id}/schedule_session",
                            {**SESSION, "mediator_ids": ["M-CN-1", "M-SL-1"]})
    assert booked.status == 200, booked
    before = unchanged(admin, case_id)
    for name in sorted(set(ACTIONS) - {"note", "schedule_session"}):
        assert_problem(assistant.call("POST", f"/v1/cases/{case_id}/{name}", ACTION_BODIES[name]), 403)
    assert unchanged(admin, case_id) == before


def test_the_sixth_assisting_org_and_the_same_one_twice_are_conflicts(partner, admin, supervisor):
    for number in range(5):
        assert admin.call("POST", "/v1/orgs", {
            "org_id": f"X-{number}", "name": f"行业调委会{number}", "region_code": "320509", "tier": "district",
            "mediation_type": "industry", "categories": [], "head_phone": "13900000109"}).status == 201
        assert admin.call("POST", "/v1/mediators", {"mediator_id": f"M-X-{number}", "name": "孙调解",
                                                    "phone": "13900000209", "org_id": f"X-{number}"}).status == 201
    case_id = accepted_case(partner, admin, "J-2")
    assert supervisor.call("POST", f"/v1/cases/{case_id}/add_participant", JOIN).status == 200
    before = unchanged(admin, case_id)
    assert_problem(supervisor.call("POST", f"/v1/cases/{case_id}/add_participant", JOIN), 409)
    assert_problem(supervisor.call("POST", f"/v1/cases/{case_id}/add_participant", {**JOIN, "org_id": "V-CN"}), 409)
    assert_problem(supervisor.call("POST", f"/v1/cases/{case_id}/add_participant", {**JOIN, "org_id": "NONE"}),
                   422, "org_id")
    assert_problem(supervisor.call("POST", f"/v1/cases/{case_id}/add_participant", {"org_id": "X-0"}), 422, "reason")
    assert unchanged(admin, case_id) == before
    for number in range(4):
        assert supervisor.call("POST", f"/v1/cases/{case_id}/add_participant", {**JOIN, "org_id": f"X-{number}"}
                               ).status == 200
    before = unchanged(admin, case_id)
    assert_problem(supervisor.call("POST", f"/v1/cases/{case_id}/add_participant", {**JOIN, "org_id": "X-4"}), 409)
    assert unchanged(admin, case_id) == before


def test_the_same_org_added_twice_at_once_joins_once(partner, admin, supervisor, atomic_requests):
    from chalicelib import wiring

    case_id = accepted_case(partner, admin, "J-3")
    command = ACTIONS["add_participant"].command.model_validate(JOIN)
    principal = principal_of(supervisor)
    results = all_at_once(*[lambda: wiring.current().actions.act(case_id, "add_participant", command, principal)
                            for _ in range(2)])
    assert sorted(type(r).__name__ for r in results) == ["Case", "Conflict"]
    view = admin.call("GET", f"/v1/cases/{case_id}").json
    assert [p["org_id"] for p in view["participants"]] == ["V-CN", "T-SL"]
    assert len(kinds(admin, case_id, "joint_invite")) == 1


def test_two_overlapping_sessions_booked_at_once_give_one_200_and_one_409(partner, admin, atomic_requests):
    first, second = accepted_case(partner, admin, "S-1"), accepted_case(partner, admin, "S-2")
    results = all_at_once(
        lambda: admin.call("POST", f"/v1/cases/{first}/schedule_session", SESSION),
        lambda: admin.call("POST", f"/v1/cases/{second}/schedule_session",
                           {**SESSION, "starts_at": "2026-11-25T10:30:00+08:00"}))
    assert sorted(r.status for r in results) == [200, 409], results
    loser = next(r for r in results if r.status == 409)
    assert loser.headers["content-type"] == "application/problem+json" and "M-CN-1" in loser.json["detail"]
    sessions = [admin.call("GET", f"/v1/cases/{c}").json["sessions"] for c in (first, second)]
    assert sorted(len(s) for s in sessions) == [0, 1]
    schedule = KeyModel.get("SCHED#M-CN-1", "-")
    assert (len(schedule.bookings), schedule.revision) == (1, 1)


def test_a_session_right_after_another_is_booked_and_bad_ones_change_nothing(partner, admin):
    case_id = accepted_case(partner, admin, "S-3")
    assert admin.call("POST", f"/v1/cases/{case_id}/schedule_session", SESSION).status == 200
    after = {**SESSION, "starts_at": "2026-11-25T11:00:00+08:00", "mode": "video", "place": "线上调解室",
             "lawyer": {"name": "周律师", "firm": "江苏某律师事务所"}}
    booked = admin.call("POST", f"/v1/cases/{case_id}/schedule_session", after)
    assert booked.status == 200, booked
    assert [(s["starts_at"], s["mode"]) for s in booked.json["sessions"]] == [
        ("2026-11-25T09:00:00+08:00", "onsite"), ("2026-11-25T11:00:00+08:00", "video")]
    before = unchanged(admin, case_id)
    for body, status, field in (
            ({**SESSION, "starts_at": "2026-11-25T12:59:00+08:00"}, 409, None),
            ({**SESSION, "mode": "phone"}, 422, "mode"),
            ({**SESSION, "starts_at": "2026-11-25T09:00:00"}, 422, "starts_at"),  # no offset
            ({**SESSION, "starts_at": "2026-11-01T09:00:00+08:00"}, 422, "starts_at"),
            ({**SESSION, "mediator_ids": []}, 422, "mediator_ids"),
            ({**SESSION, "mediator_ids": ["M-WJ-1"]}, 422, "mediator_ids"),
            ({**SESSION, "lawyer": {"name": "周律师"}}, 422, "lawyer.firm")):
        assert_problem(admin.call("POST", f"/v1/cases/{case_id}/schedule_session", body), status, field)
    assert unchanged(admin, case_id) == before


def test_the_reminder_goes_once_from_the_index_from_24_hours_before(partner, admin):
    case_id = accepted_case(partner, admin, "S-4")
    assert admin.call("POST", f"/v1/cases/{case_id}/schedule_session", SESSION).status == 200
    assert CaseModel.get(case_id).next_check_at == "2026-11-24T01:00:00.000000+00:00"  # 24 h before, in UTC
    reminder = told_once(admin, case_id, "session_reminder", "2026-11-24T08:59:00+08:00",
                         "2026-11-24T09:00:00+08:00", "2026-11-24T15:00:00+08:00")
    assert reminder["to"] == "139****0201" and "城南社区调解室" in reminder["text"]
    assert admin.call("POST", f"/v1/cases/{case_id}/schedule_session", {
        **SESSION, "starts_at": "2026-11-26T09:00:00+08:00", "place": "电13912345678"}).status == 200
    told = [n for n in partner.call("GET", f"/v1/cases/{case_id}/notifications").json
            if n["kind"] == "session_notice"]
    assert "139****5678" in told[-1]["text"] and "13912345678" not in str(told)
    assert admin.call("GET", f"/v1/cases/{case_id}").json["sessions"][0]["reminder"] == "sent"


def test_a_district_supervisor_sponsors_an_orange_case_and_the_leader_is_told_once(partner, admin, supervisor):
    case_id = accepted_case(partner, admin, "P-1", risk_indicators=["group_dispute"])
    town = staff_token(admin, role="supervisor", jurisdiction="320509102")
    assert_problem(town.call("POST", f"/v1/cases/{case_id}/sponsor", SPONSOR), 403)
    done = supervisor.call("POST", f"/v1/cases/{case_id}/sponsor", SPONSOR)
    assert done.status == 200, done
    assert set(done.json["sponsor"]) == {"leader_name", "leader_title", "due_on", "sponsored_at"}
    assert partner.call("GET", f"/v1/cases/{case_id}").json["sponsor"]["leader_name"] == "李*"
    told = told_once(admin, case_id, "sponsor_due", "2026-11-26T23:59:00+08:00", "2026-11-27T00:00:00+08:00",
                     "2026-11-28T09:00:00+08:00")
    assert told["to"] == "139****0301" and "2026-12-04前化解" in told["text"]


def test_a_case_with_no_ground_or_a_bad_body_is_not_sponsored(partner, admin, supervisor):
    case_id = accepted_case(partner, admin, "P-2")  # blue
    before = unchanged(admin, case_id)
    assert_problem(supervisor.call("POST", f"/v1/cases/{case_id}/sponsor", SPONSOR), 422)
    for change, field in (({"leader_phone": "051263000000"}, "leader_phone"), ({"due_on": "2026-11-01"}, "due_on"),
                          ({"leader_name": ""}, "leader_name")):
        assert_problem(supervisor.call("POST", f"/v1/cases/{case_id}/sponsor", {**SPONSOR, **change}), 422, field)
    assert unchanged(admin, case_id) == before


def test_an_assisting_mediators_list_pages_through_own_and_assisted_cases_newest_first(
        partner, admin, supervisor, assistant):
    ids = []
    for number in range(5):  # the town org's own (orange) and village cases it assists in, alternately
        own = number % 2 == 0
        facts = {"risk_indicators": ["group_dispute"]} if own else {}
        case_id = file_and_route(partner, f"L-{number}", parties=[  # parties of their own: no related routing
            {"role": "applicant", "name": "王五", "phone": f"1381234560{number}"}], title=f"纠纷{number}",
            description=f"第{number}起纠纷", **facts)["case_id"]
        if not own:
            assert supervisor.call("POST", f"/v1/cases/{case_id}/add_participant", JOIN).status == 200
        ids.append(case_id)
    other = file_and_route(partner, "L-9", parties=[{"role": "applicant", "name": "赵六", "phone": "13812345699"}]
                           )["case_id"]  # a village case it does not assist in
    seen, cursor = [], None
    while True:
        page = assistant.call("GET", "/v1/cases", query={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status == 200, page
        seen += [item["case_id"] for item in page.json["items"]]
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids)) and other not in seen
    assisted = assistant.call("GET", "/v1/cases", query={"region": "320509102001", "status": "dispatched"})
    assert {item["case_id"] for item in assisted.json["items"]} == set(ids)  # all five are dispatched, in the village
    assert_problem(assistant.call("GET", "/v1/cases", query={"cursor": admin.call(
        "GET", "/v1/cases", query={"limit": 1}).json["next_cursor"]}), 422, "cursor")


def test_the_published_document_describes_the_three_actions(http):
    document = http.call("GET", "/openapi.json").json
    for name, fields in (("add_participant", {"org_id", "reason"}),
                         ("schedule_session", {"starts_at", "mode", "place", "mediator_ids", "lawyer"}),
                         ("sponsor", {"leader_name", "leader_title", "leader_phone", "due_on"})):
        operation = document["paths"][f"/v1/cases/{{case_id}}/{name}"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        assert fields <= set(schema["properties"]), name
        assert {"200", "403", "404", "409", "422"} <= set(operation["responses"]), name


def test_a_list_page_reads_a_bounded_number_of_assisted_rows_and_goes_on_with_a_cursor(
        partner, admin, supervisor, assistant):
    from chalicelib.adapters.case_store import ASSIST_ROWS_PER_PAGE

    older, newer = (file_and_route(partner, f"B-{n}", parties=[
        {"role": "applicant", "name": "王五", "phone": f"1381234570{n}"}], title=f"纠纷{n}")["case_id"]
        for n in range(2))
    for case_id in (older, newer):
        assert supervisor.call("POST", f"/v1/cases/{case_id}/add_participant", JOIN).status == 200
    low, high = (CaseModel.get(c).received_key.split("#")[0] for c in (older, newer))
    assert low < high
    with KeyModel.batch_write() as batch:  # rows of cases gone from the org's work, between the two
        for n in range(ASSIST_ROWS_PER_PAGE + 20):
            moment = to_storage(from_storage(low) + dt.timedelta(microseconds=n + 1))
            assert low < moment < high
            batch.save(KeyModel("ASSIST#T-SL", f"{moment}#HWGONE{n:05d}", case_id=f"HWGONE{n:05d}"))
    pages, cursor = [], None
    while True:
        page = assistant.call("GET", "/v1/cases", query={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status == 200, page
        pages.append([item["case_id"] for item in page.json["items"]])
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert pages == [[newer], [older]]  # the bound stopped the first page's reading short; the cursor went on
    for bad in ({"org_id": {"S": "T-SL"}, "before": {"S": "x" * 1500}},
                {"org_id": {"S": "T-SL"}, "before": {"S": "2026-11-23#"}}):
        from chalicelib.adapters.cursors import encode_cursor

        assert_problem(assistant.call("GET", "/v1/cases", query={"cursor": encode_cursor(bad)}), 422, "cursor")
