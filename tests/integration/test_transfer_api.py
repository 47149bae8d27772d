"""Transfer (移交, §15) against moto: an open case leaves mediation for a body with the power to
handle it; final like a withdrawal; the partner told; the statistics and the indexes let go."""

from __future__ import annotations

import datetime as dt
import json

from chalicelib.adapters.models import CaseModel
from chalicelib.services.action_registry import AcceptCase, TransferCase
from tests.integration.conftest import act_at_once
from tests.integration.test_callbacks import queued
from tests.integration.test_routing_and_actions import file_and_route
from tests.support import assert_problem, open_cases

TRANSFER = {"to": "court", "department": "苏州市吴江区人民法院", "reason": "属涉诉事项，当事人13812345678已起诉"}


def test_an_accepted_case_is_transferred_and_lets_go_of_its_mediator_and_the_sweeps(partner, admin):
    assert admin.call("PATCH", f"/v1/partners/{partner.partner_id}",
                      {"callback_url": "https://partner.example/hewei"}).status == 200
    case_id = file_and_route(partner, "T-1")["case_id"]
    assert admin.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
    assert open_cases("M-CN-1") == 1 and CaseModel.get(case_id).next_check_at is not None
    queued("callbacks")  # what accepting enqueued
    done = admin.call("POST", f"/v1/cases/{case_id}/transfer", TRANSFER)
    assert done.status == 200, done
    assert done.json["status"] == "transferred"
    assert done.json["transfer"]["to"] == "court" and done.json["transfer"]["department"] == "苏州市吴江区人民法院"
    assert open_cases("M-CN-1") == 0
    stored = CaseModel.get(case_id)
    assert (stored.next_check_at, stored.next_visit_check_on, stored.place_key) == (None, None, None)
    told = [m["payload"] for m in queued("callbacks") if m["payload"]["case_id"] == case_id]
    assert [(p["event"], p["status"]) for p in told] == [("case.status_changed", "transferred")]
    seen = partner.call("GET", f"/v1/cases/{case_id}").json
    assert seen["status"] == "transferred" and "138****5678" in seen["transfer"]["reason"]
    events = [e for e in admin.call("GET", f"/v1/cases/{case_id}/events").json if e["type"] == "transferred"]
    assert [e["detail"]["to"] for e in events] == ["court"]

    day = dt.datetime.fromisoformat(done.json["received_at"]).date().isoformat()
    stats = admin.call("GET", "/v1/stats", query={"region": "320509", "from": day, "to": day}).json
    assert stats["total"] == 1 and stats["by_status"]["transferred"] == 1
    assert stats["success_rate"] is None  # out of it: neither resolved nor unresolved


def test_a_transfer_is_final_and_bad_input_changes_nothing(partner, admin):
    case_id = file_and_route(partner, "T-2")["case_id"]
    version = admin.call("GET", f"/v1/cases/{case_id}").json["version"]
    assert_problem(admin.call("POST", f"/v1/cases/{case_id}/transfer", {**TRANSFER, "to": "moon"}), 422, "to")
    assert_problem(admin.call("POST", f"/v1/cases/{case_id}/transfer", {"to": "court", "reason": "x"}), 422,
                   "department")
    assert admin.call("GET", f"/v1/cases/{case_id}").json["version"] == version
    assert admin.call("POST", f"/v1/cases/{case_id}/transfer", TRANSFER).status == 200
    for action, body in (("transfer", TRANSFER), ("accept", {}), ("withdraw", {"reason": "x"})):
        assert_problem(admin.call("POST", f"/v1/cases/{case_id}/{action}", body), 409)


def test_a_transfer_racing_an_accept_one_wins_on_the_version_read(partner, admin, atomic_requests):
    case_id = file_and_route(partner, "T-3")["case_id"]
    version = admin.call("GET", f"/v1/cases/{case_id}").json["version"]
    outcomes = act_at_once(admin, case_id, [("accept", AcceptCase(expected_version=version)), (
        "transfer", TransferCase.model_validate_json(json.dumps({**TRANSFER, "expected_version": version})))])
    assert sorted(outcomes) == ["conflict", "ok"]
    view = admin.call("GET", f"/v1/cases/{case_id}").json
    assert view["status"] in ("accepted", "transferred")
    assert open_cases("M-CN-1") == (1 if view["status"] == "accepted" else 0)
