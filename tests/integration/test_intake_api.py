"""Intake over HTTP (§5 create) against moto: validation, idempotency, masking, atomic write."""

from __future__ import annotations

import json

import boto3
import pytest

from chalicelib.adapters.models import CaseItemModel, CaseModel, KeyModel
from chalicelib.config import queue_name
from tests.support import assert_problem, new_case_body, service_now, valid_id_number


def routing_messages() -> list[dict]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("routing"))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_partner_files_a_case_and_sees_parties_masked(partner):
    created = partner.call("POST", "/v1/cases", new_case_body())
    assert created.status == 201, created
    view = created.json
    assert created.headers["location"] == f"/v1/cases/{view['case_id']}"
    assert view["status"] == "received"
    assert view["partner_id"] == "demo-12345"
    assert view["category"] == "neighbor" and view["category_source"] == "partner"
    assert view["risk_level"] == "blue"
    assert view["party_count"] == 2
    assert view["version"] == 1
    assert view["received_at"].endswith("+08:00")
    assert view["parties"][0] == {"role": "applicant", "name": "张*", "phone": "138****5678",
                                  "id_number": "320584********" + valid_id_number()[-4:]}
    assert view["parties"][1] == {"role": "respondent", "name": "李*"}
    assert routing_messages() == [{"case_id": view["case_id"], "reason": "intake", "requested_at": view["received_at"]}]

    fetched = partner.call("GET", f"/v1/cases/{view['case_id']}")
    assert fetched.status == 200 and fetched.json == view
    events = partner.call("GET", f"/v1/cases/{view['case_id']}/events").json
    assert [e["type"] for e in events] == ["received", "triaged"]
    assert events[0]["actor"] == "partner:demo-12345"


def test_staff_in_view_see_parties_in_full(partner, admin):
    case_id = partner.call("POST", "/v1/cases", new_case_body()).json["case_id"]
    view = admin.call("GET", f"/v1/cases/{case_id}").json
    assert view["parties"][0]["name"] == "张三"
    assert view["parties"][0]["phone"] == "13812345678"
    assert view["parties"][0]["id_number"] == valid_id_number()


def test_replay_returns_200_and_the_same_case_and_conflict_returns_409(partner):
    body = new_case_body("REF-IDEMPOTENT")
    first = partner.call("POST", "/v1/cases", body)
    again = partner.call("POST", "/v1/cases", body, timestamp=service_now().timestamp() + 1)  # a retry is signed anew
    assert (first.status, again.status) == (201, 200)
    assert again.json["case_id"] == first.json["case_id"]
    assert again.headers["location"] == first.headers["location"]

    changed = partner.call("POST", "/v1/cases", {**body, "title": "另一件事"}, timestamp=service_now().timestamp() + 2)
    assert changed.status == 409
    assert changed.headers["content-type"] == "application/problem+json"
    assert changed.json["case_id"] == first.json["case_id"]
    assert CaseModel.count() == 1


def test_chinese_text_round_trips_unchanged(partner):
    text = "村民「老王」称:邻居在宅基地上搭建彩钢棚,遮挡采光——已调解两次。𠮷"
    view = partner.call("POST", "/v1/cases", new_case_body(description=text)).json
    assert view["description"] == text


def test_auto_triage_when_category_is_omitted(partner):
    body = new_case_body("REF-TRIAGE", title="讨要拖欠工资", description="包工头拖欠农民工工资三个月")
    del body["category"]
    view = partner.call("POST", "/v1/cases", body).json
    assert view["category"] == "labor_wages" and view["category_source"] == "auto"

    body = new_case_body("REF-OTHER", title="咨询", description="想了解一下办事流程")
    del body["category"]
    assert partner.call("POST", "/v1/cases", body).json["category"] == "other"


def test_risk_grading_rules(partner):
    cases = {
        "R1": ({"risk_indicators": ["threat_of_violence"]}, "red"),
        "R2": ({"risk_indicators": ["domestic_violence"]}, "orange"),
        "R3": ({"party_count": 12}, "red"),
        "R4": ({"party_count": 5}, "orange"),
        "R5": ({"amount_cny": 50000}, "yellow"),
        "R6": ({"risk_indicators": ["vulnerable_party", "suicide_risk"]}, "red"),
    }
    for ref, (overrides, level) in cases.items():
        parties = [{"role": "applicant", "name": f"甲{ref}"}]
        view = partner.call("POST", "/v1/cases", new_case_body(ref, parties=parties, **overrides)).json
        assert view["risk_level"] == level, (ref, view["risk_level"])


def test_a_party_with_another_case_this_year_makes_it_yellow(partner, admin):
    first = partner.call("POST", "/v1/cases", new_case_body("REF-A")).json
    assert first["risk_level"] == "blue"
    # same phone, different name and ID: still the same party
    parties = [{"role": "applicant", "name": "张某", "phone": "+86 138 1234 5678"}]
    second = partner.call("POST", "/v1/cases", new_case_body("REF-B", parties=parties)).json
    assert second["risk_level"] == "yellow"
    events = admin.call("GET", f"/v1/cases/{second['case_id']}/events").json
    assert "repeat_party_within_365_days" in events[1]["detail"]["risk_reasons"]
    # the partner reads the grade, not the rule that fired: a repeat party means another case exists
    seen = partner.call("GET", f"/v1/cases/{second['case_id']}/events").json
    assert seen[1]["detail"]["risk_level"] == "yellow" and "risk_reasons" not in seen[1]["detail"]
    # the party index holds pseudonyms, never the phone itself
    assert all("13812345678" not in item.pk for item in KeyModel.scan())


def test_case_and_first_events_are_written_together(partner):
    case_id = partner.call("POST", "/v1/cases", new_case_body()).json["case_id"]
    assert CaseModel.get(case_id).status == "received"
    assert [item.type for item in CaseItemModel.query(case_id)] == ["received", "triaged"]


def test_supervisor_files_within_jurisdiction_only(admin, directory):
    from tests.integration.conftest import staff_token

    supervisor = staff_token(admin, role="supervisor", jurisdiction="320509103")
    refused = supervisor.call("POST", "/v1/cases", new_case_body("S-1"))
    assert refused.status == 403
    inside = supervisor.call("POST", "/v1/cases", new_case_body("S-2", region_code="320509103001"))
    assert inside.status == 201 and inside.json["channel"] == "hotline_12345"
    body = new_case_body("S-3", region_code="320509103001")
    del body["channel"]
    assert supervisor.call("POST", "/v1/cases", body).json["channel"] == "walk_in"



def test_a_body_that_is_not_json_gets_a_problem_415_and_writes_nothing(partner):
    body = json.dumps(new_case_body("CT-1")).encode()
    headers = {**partner.headers("POST", "/v1/cases", body), "Content-Type": "application/xml"}
    refused = partner.http.call("POST", "/v1/cases", raw=body, headers=headers)
    assert refused.status == 415
    assert refused.headers["content-type"] == "application/problem+json"
    assert CaseModel.count() == 0
    charset = {**partner.headers("POST", "/v1/cases", body, service_now().timestamp() + 1),
               "Content-Type": "application/json; charset=utf-8"}
    assert partner.http.call("POST", "/v1/cases", raw=body, headers=charset).status == 201


@pytest.mark.parametrize("content_type", ["", "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_sent_with_a_client_default_type_is_read_as_json(partner, content_type):
    """`curl -d`, urllib and `fetch` label a string body with these; every body is JSON anyway."""
    body = json.dumps(new_case_body(f"CT-{content_type or 'none'}"), ensure_ascii=False).encode()
    headers = {**partner.headers("POST", "/v1/cases", body), "Content-Type": content_type}
    assert partner.http.call("POST", "/v1/cases", raw=body, headers=headers).status == 201
    malformed = b'{"external_ref": '
    headers = {**partner.headers("POST", "/v1/cases", malformed, service_now().timestamp() + 1), "Content-Type": content_type}
    assert_problem(partner.http.call("POST", "/v1/cases", raw=malformed, headers=headers), 400)


def test_text_round_trips_unchanged_and_landlines_keep_their_trunk_zero(partner, admin):
    body = new_case_body("WS-1", title="  楼上漏水  ", description="末尾换行\n", address=" 松陵镇 ")
    body["parties"] = [{"role": "applicant", "name": " 张三 ", "phone": "0512-63001234"}]
    created = partner.call("POST", "/v1/cases", body)
    assert created.status == 201
    staff_view = admin.call("GET", f"/v1/cases/{created.json['case_id']}").json
    assert (staff_view["title"], staff_view["description"], staff_view["address"]) == (
        "  楼上漏水  ", "末尾换行\n", " 松陵镇 ")
    assert staff_view["parties"][0]["name"] == " 张三 "
    assert staff_view["amount_cny"] == 5000 and type(staff_view["amount_cny"]) is int  # 5000, not 5000.0
    fen = partner.call("POST", "/v1/cases", new_case_body("WS-3", amount_cny=1234.56))
    assert fen.json["amount_cny"] == 1234.56
    assert staff_view["parties"][0]["phone"] == "051263001234"
    assert created.json["parties"][0]["phone"] == "051*****1234"
    assert_problem(partner.call("POST", "/v1/cases", new_case_body("WS-2", title=" \t ")), 422)


def test_every_case_has_a_unique_valid_code_and_a_walk_in_applicant_gets_it_by_sms(partner, admin):
    """一案一码 (§14): the code is in the staff and partner views and claimed in the keys table; a
    walk-in case texts it to the first party that has a phone; a partner's hotline case does not."""
    from chalicelib.adapters.case_mapping import CLAIM_SORT_KEY, code_key
    from chalicelib.domain.public_code import is_valid
    from tests.support import drain, sms_sent

    hotline = partner.call("POST", "/v1/cases", new_case_body("HOT-1")).json
    walk_in = admin.call("POST", "/v1/cases", new_case_body(
        "WIN-1", channel="walk_in", parties=[{"role": "applicant", "name": "王五"},
                                             {"role": "applicant", "name": "赵六", "phone": "13900001111"}])).json
    codes = [hotline["public_code"], walk_in["public_code"]]
    assert all(is_valid(code) for code in codes) and codes[0] != codes[1]
    assert admin.call("GET", f"/v1/cases/{hotline['case_id']}").json["public_code"] == codes[0]
    assert KeyModel.get(code_key(codes[1]), CLAIM_SORT_KEY).case_id == walk_in["case_id"]

    assert partner.call("GET", f"/v1/cases/{hotline['case_id']}/notifications").json == []
    [record] = admin.call("GET", f"/v1/cases/{walk_in['case_id']}/notifications").json
    assert record["kind"] == "case_code" and record["to"] == "139****1111" and codes[1] in record["text"]
    assert drain("notify", "send_notifications") == 1
    assert [(to, text) for to, text in sms_sent() if codes[1] in text] == [("+8613900001111", record["text"])]


def test_a_taken_code_is_drawn_again_and_the_sms_gives_the_new_one(admin, directory, monkeypatch):
    """The code claim is in the filing's transaction: a code already another case's cancels it,
    and the store draws again (here the first draw is forced onto an existing code)."""
    from chalicelib.adapters import case_store as store_module
    from chalicelib.adapters.case_mapping import CLAIM_SORT_KEY, code_key
    from chalicelib.domain.public_code import check_character
    from chalicelib.services import intake as intake_module

    first = admin.call("POST", "/v1/cases", new_case_body("WIN-A", channel="walk_in")).json
    fresh = f"23456789-{check_character('23456789')}"
    monkeypatch.setattr(store_module, "new_public_code", lambda: fresh)
    monkeypatch.setattr(intake_module, "new_public_code", lambda: first["public_code"])  # the first draw: taken

    second = admin.call("POST", "/v1/cases", new_case_body("WIN-B", channel="walk_in")).json
    assert second["public_code"] == fresh
    assert KeyModel.get(code_key(second["public_code"]), CLAIM_SORT_KEY).case_id == second["case_id"]
    assert KeyModel.get(code_key(first["public_code"]), CLAIM_SORT_KEY).case_id == first["case_id"]
    [record] = admin.call("GET", f"/v1/cases/{second['case_id']}/notifications").json
    assert second["public_code"] in record["text"] and first["public_code"] not in record["text"]
