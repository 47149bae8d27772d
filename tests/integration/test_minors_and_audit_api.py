"""Minors' cases (PIPL §28) and the access audit (访问审计) through the HTTP API on moto: what each
caller sees of a case with a party under 14, the agreement document and id_proof downloads, the
ledger staying masked, and the audit records of each kind of read, listed per case by admins.

The tests' clock starts on Monday 23 November 2026, 10:00 in Shanghai."""

from __future__ import annotations

import pytest

from chalicelib.api.http import DOCX
from tests.integration.conftest import staff_token
from tests.integration.test_agreement_document_api import AGREEMENT
from tests.integration.test_attachments_api import attach
from tests.support import assert_problem, drain, new_case_body, valid_id_number

ADULT_ID = valid_id_number()
CHILD_ID = valid_id_number("32058420150101123")
"""Born 2015-01-01: 11 on the day the case is received."""
PHONE = "13812345678"
MINOR_PARTIES = [{"role": "applicant", "name": "张三", "phone": PHONE, "id_number": ADULT_ID},
                 {"role": "respondent", "name": "李小明", "id_number": CHILD_ID}]
NOTE = f"已联系张三（{PHONE}），核对其子身份证{CHILD_ID}"


@pytest.fixture
def colleague(admin, directory):
    """M-CN-2, a second mediator of the village org V-CN."""
    created = admin.call("POST", "/v1/mediators", {"mediator_id": "M-CN-2", "name": "孙调解", "phone": "13900000204",
                                                   "org_id": "V-CN", "specialties": ["neighbor"]})
    assert created.status == 201, created
    return staff_token(admin, role="mediator", mediator_id="M-CN-2")


@pytest.fixture
def assisting(admin, directory):
    """M-SL-1 of the town org T-SL, which assists in the case once it joins (联合调解)."""
    return staff_token(admin, role="mediator", mediator_id="M-SL-1")


@pytest.fixture
def minor_case(partner, mediator, supervisor) -> str:
    """A case with a child among its parties, dispatched to M-CN-1, accepted, with a note, T-SL assisting."""
    created = partner.call("POST", "/v1/cases", new_case_body("MINOR-1", parties=MINOR_PARTIES))
    assert created.status == 201, created
    assert created.json["sensitive"] is True
    drain("routing", "route_cases")
    case_id = created.json["case_id"]
    assert mediator.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
    assert mediator.call("POST", f"/v1/cases/{case_id}/note", {"text": NOTE}).status == 200
    joined = supervisor.call("POST", f"/v1/cases/{case_id}/add_participant",
                             {"org_id": "T-SL", "reason": "纠纷涉及两个村"})
    assert joined.status == 200, joined
    return case_id


def access_log(admin, case_id: str, **query):
    answer = admin.call("GET", f"/v1/cases/{case_id}/access-log", query=query or None)
    assert answer.status == 200, answer
    return answer.json


def kinds(admin, case_id: str) -> list[tuple[str, str, str | None]]:
    return [(r["kind"], r["actor"], r["purpose"]) for r in access_log(admin, case_id)["items"]]


def test_what_each_caller_sees_of_a_sensitive_case(admin, partner, mediator, supervisor, colleague, assisting,
                                                   minor_case):
    full = [p for p in MINOR_PARTIES]
    for caller in (mediator, supervisor):
        view = caller.call("GET", f"/v1/cases/{minor_case}")
        assert view.status == 200 and view.json["sensitive"] is True
        assert view.json["parties"] == full
        assert NOTE in str(caller.call("GET", f"/v1/cases/{minor_case}/events").json)
    for caller in (admin, colleague, assisting, partner):
        view = caller.call("GET", f"/v1/cases/{minor_case}")
        assert view.status == 200, view
        assert view.json["parties"] == [
            {"role": "applicant", "name": "张*", "phone": "138****5678", "id_number": "320584********1234"[:6]
             + "********" + ADULT_ID[-4:]},
            {"role": "respondent", "name": "李**", "id_number": CHILD_ID[:6] + "********" + CHILD_ID[-4:]}]
        timeline = str(caller.call("GET", f"/v1/cases/{minor_case}/events").json)
        assert PHONE not in timeline and CHILD_ID not in timeline
    listed = admin.call("GET", "/v1/cases").json["items"]
    (mine,) = [item for item in listed if item["case_id"] == minor_case]
    assert PHONE not in str(mine) and CHILD_ID not in str(mine)
    # only the full reads were recorded (the views, and the answers to their actions in the fixture):
    # the mediator's and the supervisor's, none of the masked callers'
    assert {actor for kind, actor, _ in kinds(admin, minor_case) if kind == "case_view"} == {
        "mediator:M-CN-1", "supervisor:320509"}


def test_a_case_of_adults_only_is_not_sensitive(partner, admin):
    created = partner.call("POST", "/v1/cases", new_case_body("ADULT-1"))
    assert created.json["sensitive"] is False
    assert admin.call("GET", f"/v1/cases/{created.json['case_id']}").json["parties"][0]["phone"] == PHONE


def test_the_agreement_document_and_id_proofs_of_a_sensitive_case(admin, mediator, supervisor, colleague, minor_case):
    assert mediator.call("POST", f"/v1/cases/{minor_case}/resolve", {"agreement": AGREEMENT}).status == 200
    for caller in (admin, colleague):
        assert_problem(caller.call("GET", f"/v1/cases/{minor_case}/documents/agreement.docx",
                                   headers={"Accept": DOCX}), 403)
    got = supervisor.call("GET", f"/v1/cases/{minor_case}/documents/agreement.docx", headers={"Accept": DOCX},
                          query={"purpose": "司法确认申请材料"})
    assert got.status == 200, got
    evidence = attach(mediator, minor_case)
    id_proof = attach(mediator, minor_case, kind="id_proof", filename=f"身份证{CHILD_ID}.png")
    assert_problem(admin.call("GET", f"/v1/cases/{minor_case}/attachments/{id_proof}"), 403)
    assert_problem(colleague.call("GET", f"/v1/cases/{minor_case}/attachments/{id_proof}"), 403)
    assert CHILD_ID not in str(admin.call("GET", f"/v1/cases/{minor_case}/attachments").json)
    assert admin.call("GET", f"/v1/cases/{minor_case}/attachments/{evidence}").json["download_url"]
    assert mediator.call("GET", f"/v1/cases/{minor_case}/attachments/{id_proof}",
                         query={"purpose": "核对身份"}).json["download_url"]
    log = kinds(admin, minor_case)
    assert ("agreement_document", "supervisor:320509", "司法确认申请材料") in log
    assert ("attachment_download", "mediator:M-CN-1", "核对身份") in log
    assert ("attachment_download", "admin:test-admin", None) in log
    assert not any(kind == "agreement_document" and actor in ("admin:test-admin", "mediator:M-CN-2") for kind, actor, _ in log)


def test_the_ledger_stays_masked_for_a_sensitive_case_and_is_audited(admin, supervisor, minor_case):
    answer = supervisor.call("GET", "/v1/ledger", query={"region": "320509", "from": "2026-11-23",
                                                        "to": "2026-11-23", "format": "csv", "purpose": "月度台账"},
                             headers={"Accept": "*/*"})
    assert answer.status == 200, answer
    text = answer.raw.decode("utf-8") if isinstance(answer.raw, bytes) else str(answer.raw)
    assert "李**" in text and PHONE not in text and CHILD_ID not in text and ADULT_ID not in text
    records = admin.call("GET", "/v1/ledger/access-log").json["items"]
    assert [(r["kind"], r["actor"], r["purpose"], r["detail"]["region"], r["detail"]["rows"]) for r in records] == [
        ("ledger_export", "supervisor:320509", "月度台账", "320509", 1)]
    assert_problem(supervisor.call("GET", "/v1/ledger/access-log"), 403)


def test_audit_records_of_a_view_a_list_page_and_a_download_with_purpose(admin, partner, mediator):
    created = partner.call("POST", "/v1/cases", new_case_body("AUD-1"))
    case_id = created.json["case_id"]
    drain("routing", "route_cases")
    assert mediator.call("GET", f"/v1/cases/{case_id}", query={"purpose": "电话回访前核对"}).status == 200
    assert mediator.call("GET", "/v1/cases", query={"purpose": "每日排查", "limit": "50"}).status == 200
    attachment = attach(mediator, case_id)
    assert mediator.call("GET", f"/v1/cases/{case_id}/attachments/{attachment}").status == 200
    assert partner.call("GET", f"/v1/cases/{case_id}").status == 200  # masked: not audited
    items = access_log(admin, case_id)["items"]
    assert [(r["kind"], r["actor"], r["purpose"]) for r in items] == [
        ("attachment_download", "mediator:M-CN-1", None),
        ("case_list", "mediator:M-CN-1", "每日排查"),
        ("case_view", "mediator:M-CN-1", "电话回访前核对")]
    assert items[-1]["revealed"] == {"phones": 1, "id_numbers": 1, "files": 0}
    assert items[0]["revealed"] == {"phones": 0, "id_numbers": 0, "files": 1}
    assert items[-1]["case_id"] == case_id and items[-1]["at"].startswith("2026-11-23T")
    assert PHONE not in str(items) and ADULT_ID not in str(items)
    first = access_log(admin, case_id, limit="2")
    rest = access_log(admin, case_id, limit="2", cursor=first["next_cursor"])
    assert [r["record_id"] for r in first["items"] + rest["items"]] == [r["record_id"] for r in items]


@pytest.mark.parametrize("purpose", ["", "   ", "x" * 201, "line\nbreak", "bidi\u202eoverride", "tab\there"])
def test_a_bad_purpose_is_422_and_records_nothing(admin, partner, mediator, purpose):
    case_id = partner.call("POST", "/v1/cases", new_case_body("AUD-2")).json["case_id"]
    drain("routing", "route_cases")
    assert_problem(mediator.call("GET", f"/v1/cases/{case_id}", query={"purpose": purpose}), 422, "purpose")
    assert_problem(mediator.call("GET", "/v1/cases", query={"purpose": purpose}), 422, "purpose")
    assert access_log(admin, case_id)["items"] == []


def test_the_access_log_is_admin_only(admin, partner, mediator, supervisor):
    case_id = partner.call("POST", "/v1/cases", new_case_body("AUD-3")).json["case_id"]
    for caller in (mediator, supervisor, partner):
        assert_problem(caller.call("GET", f"/v1/cases/{case_id}/access-log"), 403)
    assert_problem(admin.call("GET", "/v1/cases/HW-NO-SUCH/access-log"), 404)
    assert_problem(admin.call("GET", f"/v1/cases/{case_id}/access-log", query={"cursor": "bogus"}), 422, "cursor")
    paths = admin.call("GET", "/openapi.json").json["paths"]
    assert "/v1/cases/{case_id}/access-log" in paths and "/v1/ledger/access-log" in paths


def test_a_failed_audit_write_answers_503_and_returns_no_data(admin, partner, mediator, monkeypatch):
    from chalicelib import wiring

    case_id = partner.call("POST", "/v1/cases", new_case_body("AUD-4")).json["case_id"]

    def refuse(records):
        raise RuntimeError("throttled")

    monkeypatch.setattr(wiring.current().access_log, "write", refuse)
    answer = admin.call("GET", f"/v1/cases/{case_id}")
    assert_problem(answer, 503)
    assert PHONE not in str(answer.json)


def test_a_list_page_of_more_than_one_batch_records_every_case_on_it(admin, partner):
    case_ids = [partner.call("POST", "/v1/cases", new_case_body(f"AUD-B{n}")).json["case_id"] for n in range(27)]
    page = admin.call("GET", "/v1/cases", query={"limit": "30", "purpose": "批量核查"})
    assert page.status == 200 and len(page.json["items"]) == 27
    for case_id in case_ids:
        assert kinds(admin, case_id) == [("case_list", "admin:test-admin", "批量核查")]


def test_an_action_answering_with_the_parties_in_full_is_recorded_as_a_read(admin, partner, mediator):
    case_id = partner.call("POST", "/v1/cases", new_case_body("AUD-ACT")).json["case_id"]
    drain("routing", "route_cases")
    assert mediator.call("POST", f"/v1/cases/{case_id}/note", {"text": "已联系"}).status == 200
    assert kinds(admin, case_id) == [("case_view", "mediator:M-CN-1", None)]
