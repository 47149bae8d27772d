"""The agreement (调解协议) and its document (人民调解协议书), contract §14, through the HTTP API on moto:
`resolve` records the facts, terms and performance, the case view shows them (masked for partners),
and `GET /v1/cases/{id}/documents/agreement.docx` answers the Word file, read back with python-docx.

The tests' clock starts on Monday 23 November 2026, 10:00 in Shanghai."""

from __future__ import annotations

import io
from urllib.parse import quote

import docx
import pytest

from chalicelib.api.http import DOCX
from tests.integration.conftest import staff_token
from tests.support import assert_problem, drain, new_case_body, valid_id_number

AGREEMENT = {"summary": "李四赔偿并修复防水", "performance_due": "2026-12-31",
             "facts": "李四家卫生间漏水，致张三家天花板受损；双方就赔偿金额争执。",
             "terms": ["李四赔偿张三人民币2000元", "李四于2026年12月20日前修复卫生间防水"],
             "performance_method": "银行转账", "performance_place": "城南社区人民调解室"}


@pytest.fixture
def mediator(admin):
    """M-CN-1 of the village org V-CN, to whom the demo's neighbour cases go."""
    return staff_token(admin, role="mediator", mediator_id="M-CN-1")


def accepted_case(partner, mediator, ref: str = "A-1") -> str:
    created = partner.call("POST", "/v1/cases", new_case_body(ref))
    assert created.status == 201, created
    drain("routing", "route_cases")
    case_id = created.json["case_id"]
    assert mediator.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
    return case_id


def resolve(caller, case_id: str, **agreement):
    return caller.call("POST", f"/v1/cases/{case_id}/resolve", {"agreement": {**AGREEMENT, **agreement}})


def document(caller, case_id: str, accept: str = DOCX):
    return caller.call("GET", f"/v1/cases/{case_id}/documents/agreement.docx", headers={"Accept": accept})


def paragraphs(raw: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(raw)).paragraphs]


# ------------------------------------------------------------------ resolve


def test_resolve_records_the_agreement_and_the_view_shows_it(partner, mediator):
    case_id = accepted_case(partner, mediator)
    resolved = resolve(mediator, case_id, facts="申请人张三（13812345678）称楼上漏水")
    assert resolved.status == 200, resolved
    recorded = {k: v for k, v in resolved.json["agreement"].items() if k != "judicial_confirmation"}
    assert recorded == {**AGREEMENT, "facts": "申请人张三（13812345678）称楼上漏水",
                        "effective_on": "2026-11-23"}  # the day of resolve
    assert resolved.json["agreement"]["judicial_confirmation"]["window_ends_on"] == "2026-12-23"
    assert mediator.call("GET", f"/v1/cases/{case_id}").json["agreement"] == resolved.json["agreement"]
    seen_by_partner = partner.call("GET", f"/v1/cases/{case_id}").json["agreement"]
    assert seen_by_partner["facts"] == "申请人张三（138****5678）称楼上漏水"
    assert seen_by_partner["terms"] == AGREEMENT["terms"]
    timeline = partner.call("GET", f"/v1/cases/{case_id}/events").json
    [event] = [e for e in timeline if e["type"] == "resolved"]
    assert event["detail"]["agreement"] == {k: v for k, v in seen_by_partner.items() if k != "judicial_confirmation"}


def test_resolve_takes_an_effective_day_within_60_days_before_today(partner, mediator):
    case_id = accepted_case(partner, mediator)
    for day in ("2026-09-23", "2026-11-24"):
        assert_problem(resolve(mediator, case_id, effective_on=day), 422, "agreement.effective_on")
    assert mediator.call("GET", f"/v1/cases/{case_id}").json["status"] == "accepted"
    resolved = resolve(mediator, case_id, effective_on="2026-09-24")
    assert resolved.status == 200 and resolved.json["agreement"]["effective_on"] == "2026-09-24"


@pytest.mark.parametrize(("agreement", "field"), [
    ({"terms": []}, "agreement.terms"),
    ({"terms": ["一"] * 51}, "agreement.terms"),
    ({"terms": "赔偿2000元"}, "agreement.terms"),
    ({"terms": ["赔偿", "  "]}, "agreement.terms[1]"),
    ({"terms": ["赔偿", "x" * 1001]}, "agreement.terms[1]"),
    ({"facts": "x" * 5001}, "agreement.facts"),
    ({"facts": "<script>alert(1)</script>"}, "agreement.facts"),
    ({"performance_method": ""}, "agreement.performance_method"),
    ({"performance_place": "x" * 201}, "agreement.performance_place"),
    ({"effective_on": "23/11/2026"}, "agreement.effective_on"),
])
def test_a_bad_agreement_is_422_on_its_field_and_changes_nothing(partner, mediator, agreement, field):
    case_id = accepted_case(partner, mediator)
    before = mediator.call("GET", f"/v1/cases/{case_id}").json
    assert_problem(resolve(mediator, case_id, **agreement), 422, field)
    assert mediator.call("GET", f"/v1/cases/{case_id}").json == before


# ------------------------------------------------------------------ the document


def test_the_mediator_gets_the_word_document_of_the_agreement(partner, mediator):
    case_id = accepted_case(partner, mediator)
    assert resolve(mediator, case_id).status == 200
    events_before = mediator.call("GET", f"/v1/cases/{case_id}/events").json
    answer = document(mediator, case_id)
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == DOCX
    assert answer.headers["content-disposition"].startswith("attachment; ")
    assert answer.headers["content-disposition"].endswith(f"filename*=UTF-8''{quote(f'人民调解协议书-{case_id}.docx')}")
    lines = paragraphs(answer.raw)
    assert lines[0] == "人民调解协议书"
    code = mediator.call("GET", f"/v1/cases/{case_id}").json.get("public_code") or "—"
    assert f"案件编号：{code}　　系统编号：{case_id}" in lines
    assert f"申请人：张三，公民身份号码：{valid_id_number()}，联系电话：13812345678" in lines
    assert "被申请人：李四" in lines
    assert ("调解组织：城南社区人民调解委员会", "人民调解员：王调解") == (lines[lines.index("被申请人：李四") + 1],
                                                                      lines[lines.index("被申请人：李四") + 2])
    assert AGREEMENT["facts"] in lines
    assert ["1. 李四赔偿张三人民币2000元", "2. 李四于2026年12月20日前修复卫生间防水"] == [
        line for line in lines if line[:3] in ("1. ", "2. ")]
    assert {"履行方式：银行转账", "履行地点：城南社区人民调解室", "履行期限：2026年12月31日前履行完毕。",
            "本协议一式3份，当事人各执一份，调解委员会留存一份。"} <= set(lines)
    assert lines[-1] == "日期：2026年11月23日"
    assert mediator.call("GET", f"/v1/cases/{case_id}/events").json == events_before  # a read writes nothing


def test_a_closed_case_keeps_its_document_and_an_admin_reads_it(partner, mediator, admin):
    case_id = accepted_case(partner, mediator)
    assert resolve(mediator, case_id).status == 200
    visit = {"agreement_performed": "yes",
             "satisfaction": {"attitude": "satisfied", "process": "satisfied", "effect": "satisfied"}}
    assert mediator.call("POST", f"/v1/cases/{case_id}/visit", visit).status == 200
    assert mediator.call("POST", f"/v1/cases/{case_id}/close", {}).json["status"] == "closed"
    answer = document(admin, case_id, accept="*/*")
    assert answer.status == 200 and paragraphs(answer.raw)[0] == "人民调解协议书"


def test_partners_and_staff_outside_the_view_do_not_get_it(partner, mediator, admin):
    case_id = accepted_case(partner, mediator)
    assert resolve(mediator, case_id).status == 200
    partner_answer = partner.call("GET", f"/v1/cases/{case_id}/documents/agreement.docx")
    assert_problem(partner_answer, 403)  # as for the other staff-only case routes
    town = staff_token(admin, role="mediator", mediator_id="M-SL-1")
    assert_problem(document(town, case_id), 404)
    assert_problem(document(admin, "HW20261123NOSUCHID"), 404)


def test_no_document_before_resolve_nor_without_facts_and_terms(partner, mediator):
    case_id = accepted_case(partner, mediator)
    assert_problem(document(mediator, case_id), 409)
    resolved = mediator.call("POST", f"/v1/cases/{case_id}/resolve",
                             {"agreement": {"summary": "双方达成协议", "performance_due": "2026-12-31"}})
    assert resolved.status == 200
    problem = assert_problem(document(mediator, case_id), 422)
    assert [e["field"] for e in problem["errors"]] == ["agreement.facts", "agreement.terms"]


def test_the_file_needs_an_accept_header_that_takes_it(partner, mediator):
    case_id = accepted_case(partner, mediator)
    assert resolve(mediator, case_id).status == 200
    assert_problem(document(mediator, case_id, accept="application/json"), 406)


def test_the_route_is_in_the_openapi_document(http):
    spec = http.call("GET", "/openapi.json").json
    operation = spec["paths"]["/v1/cases/{case_id}/documents/agreement.docx"]["get"]
    assert DOCX in operation["responses"]["200"]["content"]
    assert {"403", "404", "409", "422"} <= set(operation["responses"])


def test_an_agreement_too_long_in_all_is_422_and_the_case_stays_accepted(partner, mediator):
    """Each field within its own limit, the whole over 12,000 characters: refused before the case
    item could outgrow DynamoDB's 400 KB (a 500 then, and a case no later write could save)."""
    case_id = accepted_case(partner, mediator)
    answer = resolve(mediator, case_id, facts="事" * 5000, terms=["条" * 1000] * 8)
    assert_problem(answer, 422, "agreement")
    assert mediator.call("GET", f"/v1/cases/{case_id}").json["status"] == "accepted"
    assert resolve(mediator, case_id, facts="事" * 5000, terms=["条" * 1000] * 6).status == 200
