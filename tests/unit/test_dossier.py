"""domain/dossier.py: the six items of a case's dossier (卷宗), each rule as a table of cases."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain.attachments import Attachment, AttachmentKind, AttachmentStatus
from chalicelib.domain.case import Case, Party
from chalicelib.domain.dossier import DossierItem, ItemStatus, dossier, is_complete
from chalicelib.domain.enums import CaseStatus, Category, CategorySource, Channel, RiskLevel

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PRESENT, MISSING, NA = ItemStatus.PRESENT, ItemStatus.MISSING, ItemStatus.NOT_APPLICABLE
OPEN, RESOLVED, UNRESOLVED, CLOSED, WITHDRAWN, MERGED = (
    CaseStatus.ACCEPTED, CaseStatus.RESOLVED, CaseStatus.UNRESOLVED, CaseStatus.CLOSED, CaseStatus.WITHDRAWN,
    CaseStatus.MERGED)
SUMMARY = {"summary": "赔偿2000元", "performance_due": "2026-12-31"}
DOCUMENT = {**SUMMARY, "facts": "楼上漏水致楼下天花板受损", "terms": ["赔偿2000元", "修复防水层"],
            "performance_method": "转账", "performance_place": "城南社区", "effective_on": "2026-11-23"}
VISIT_DUE = {"seq": 1, "due_on": "2027-01-07", "done_at": None}
VISIT_DONE = {"seq": 1, "due_on": "2027-01-07", "done_at": "2027-01-07T10:00:00+08:00"}


def a_case(status: CaseStatus = OPEN, agreement: dict | None = None, visits: list | None = None) -> Case:
    case = Case(case_id="HW20261123ABCDEFGH", owner="demo-12345", external_ref="R-1", partner_id="demo-12345",
                channel=Channel.HOTLINE_12345, title="楼上漏水", description="……", region_code="320509102001",
                address=None, parties=[Party("applicant", "张三")], party_count=1, amount_cny=None,
                risk_indicators=[], category=Category.NEIGHBOR, category_source=CategorySource.PARTNER,
                risk_level=RiskLevel.BLUE, received_at=NOW, request_hash="h")
    return dataclasses.replace(case, status=status, agreement=agreement, return_visits=list(visits or []))


def files(*kinds: AttachmentKind, status: AttachmentStatus = AttachmentStatus.STORED) -> list[Attachment]:
    return [Attachment(f"AT20261123{index:016X}", "HW20261123ABCDEFGH", kind, "f.pdf", "application/pdf", 10,
                       "0" * 64, NOW, "mediator:M-CN-1", status=status) for index, kind in enumerate(kinds)]


def status_of(item: DossierItem, case: Case, attachments=()) -> ItemStatus:
    return dict(dossier(case, attachments))[item]


def with_jc(status: str | None, agreement: dict = DOCUMENT) -> dict:
    return {**agreement, "judicial_confirmation": {"status": status, "window_ends_on": "2026-12-23"}}


def test_all_six_items_always_in_the_contracts_order():
    for case in (a_case(), a_case(CLOSED, DOCUMENT, [VISIT_DONE]), a_case(WITHDRAWN)):
        assert [item.value for item, _ in dossier(case, [])] == [
            "registration", "agreement", "signed_agreement", "visit_records", "evidence", "judicial_confirmation"]


@pytest.mark.parametrize("case", [a_case(), a_case(WITHDRAWN), a_case(MERGED), a_case(CLOSED, DOCUMENT)])
def test_registration_is_always_present(case):
    assert status_of(DossierItem.REGISTRATION, case) is PRESENT


@pytest.mark.parametrize(("case", "expected"), [
    (a_case(OPEN), MISSING),
    (a_case(CaseStatus.RECEIVED), MISSING),
    (a_case(RESOLVED, SUMMARY), MISSING),  # an agreement without facts and terms: no document yet
    (a_case(RESOLVED, {**SUMMARY, "facts": "事实", "terms": []}), MISSING),
    (a_case(RESOLVED, {**SUMMARY, "facts": "  ", "terms": ["条款"]}), MISSING),
    (a_case(RESOLVED, {**SUMMARY, "facts": "事实", "terms": [""]}), MISSING),
    (a_case(RESOLVED, DOCUMENT), PRESENT),
    (a_case(CLOSED, DOCUMENT), PRESENT),
    (a_case(UNRESOLVED), NA),
    (a_case(WITHDRAWN), NA),
    (a_case(MERGED), NA),
    (a_case(CLOSED), NA),  # closed after failing
])
def test_agreement(case, expected):
    assert status_of(DossierItem.AGREEMENT, case) is expected


@pytest.mark.parametrize(("case", "attachments", "expected"), [
    (a_case(OPEN), [], MISSING),
    (a_case(RESOLVED, SUMMARY), [], MISSING),
    (a_case(RESOLVED, SUMMARY), files(AttachmentKind.AGREEMENT_SIGNED), PRESENT),
    (a_case(RESOLVED, SUMMARY), files(AttachmentKind.AGREEMENT_SIGNED, status=AttachmentStatus.PENDING), MISSING),
    (a_case(RESOLVED, SUMMARY), files(AttachmentKind.AGREEMENT_SIGNED, status=AttachmentStatus.REJECTED), MISSING),
    (a_case(RESOLVED, SUMMARY), files(AttachmentKind.EVIDENCE, AttachmentKind.OTHER), MISSING),
    (a_case(CLOSED, DOCUMENT), files(AttachmentKind.AGREEMENT_SIGNED), PRESENT),
    (a_case(UNRESOLVED), [], NA),
    (a_case(WITHDRAWN), [], NA),
    (a_case(MERGED), [], NA),
    (a_case(CLOSED), [], NA),
])
def test_signed_agreement(case, attachments, expected):
    assert status_of(DossierItem.SIGNED_AGREEMENT, case, attachments) is expected


@pytest.mark.parametrize(("case", "expected"), [
    (a_case(OPEN), MISSING),
    (a_case(RESOLVED, SUMMARY, [VISIT_DUE]), MISSING),
    (a_case(RESOLVED, SUMMARY, [VISIT_DONE, VISIT_DUE]), MISSING),
    (a_case(RESOLVED, SUMMARY, [VISIT_DONE]), PRESENT),
    (a_case(CLOSED, SUMMARY, [VISIT_DONE, {**VISIT_DONE, "seq": 2}]), PRESENT),
    (a_case(RESOLVED, SUMMARY, []), MISSING),  # an agreement whose visits are not planned
    (a_case(UNRESOLVED), NA),
    (a_case(CLOSED), NA),
    (a_case(WITHDRAWN), NA),
    (a_case(MERGED), NA),
])
def test_visit_records(case, expected):
    assert status_of(DossierItem.VISIT_RECORDS, case) is expected


@pytest.mark.parametrize(("case", "attachments", "expected"), [
    (a_case(OPEN), [], MISSING),
    (a_case(OPEN), files(AttachmentKind.EVIDENCE), PRESENT),
    (a_case(OPEN), files(AttachmentKind.EVIDENCE, status=AttachmentStatus.PENDING), MISSING),
    (a_case(OPEN), files(AttachmentKind.ID_PROOF, AttachmentKind.OTHER), MISSING),
    (a_case(UNRESOLVED), [], MISSING),
    (a_case(CLOSED, DOCUMENT), files(AttachmentKind.EVIDENCE), PRESENT),
    (a_case(WITHDRAWN), [], NA),
    (a_case(MERGED), [], NA),
    (a_case(WITHDRAWN), files(AttachmentKind.EVIDENCE), PRESENT),  # what is there is shown as there
])
def test_evidence(case, attachments, expected):
    assert status_of(DossierItem.EVIDENCE, case, attachments) is expected


COURT = files(AttachmentKind.COURT_MATERIAL)


@pytest.mark.parametrize(("case", "attachments", "expected"), [
    (a_case(OPEN), [], NA),
    (a_case(UNRESOLVED), [], NA),
    (a_case(RESOLVED, DOCUMENT), [], NA),  # no judicial_confirmation yet
    (a_case(RESOLVED, {**DOCUMENT, "judicial_confirmation": None}), [], NA),
    (a_case(RESOLVED, with_jc(None)), [], NA),
    (a_case(RESOLVED, with_jc("not_requested")), [], NA),
    (a_case(RESOLVED, with_jc("intended")), [], NA),
    (a_case(RESOLVED, with_jc("lapsed")), [], NA),
    (a_case(RESOLVED, with_jc("filed")), [], MISSING),
    (a_case(RESOLVED, with_jc("accepted")), COURT, MISSING),  # the court has not decided yet
    (a_case(RESOLVED, with_jc("confirmed")), [], MISSING),
    (a_case(CLOSED, with_jc("rejected")), [], MISSING),
    (a_case(CLOSED, with_jc("not_accepted")), files(AttachmentKind.EVIDENCE), MISSING),
    (a_case(RESOLVED, with_jc("confirmed")), files(AttachmentKind.COURT_MATERIAL, status=AttachmentStatus.PENDING),
     MISSING),
    (a_case(RESOLVED, with_jc("confirmed")), COURT, PRESENT),
    (a_case(CLOSED, with_jc("rejected")), COURT, PRESENT),
    (a_case(CLOSED, with_jc("not_accepted")), COURT, PRESENT),
])
def test_judicial_confirmation(case, attachments, expected):
    assert status_of(DossierItem.JUDICIAL_CONFIRMATION, case, attachments) is expected


@pytest.mark.parametrize(("case", "attachments", "complete"), [
    (a_case(OPEN), [], False),
    (a_case(WITHDRAWN), [], True),
    (a_case(UNRESOLVED), files(AttachmentKind.EVIDENCE), True),
    (a_case(UNRESOLVED), [], False),  # its evidence is missing
    (a_case(CLOSED, DOCUMENT, [VISIT_DONE]), files(AttachmentKind.EVIDENCE, AttachmentKind.AGREEMENT_SIGNED), True),
    (a_case(CLOSED, SUMMARY, [VISIT_DONE]), files(AttachmentKind.EVIDENCE, AttachmentKind.AGREEMENT_SIGNED), False),
    (a_case(CLOSED, with_jc("confirmed"), [VISIT_DONE]),
     files(AttachmentKind.EVIDENCE, AttachmentKind.AGREEMENT_SIGNED), False),
    (a_case(CLOSED, with_jc("confirmed"), [VISIT_DONE]),
     files(AttachmentKind.EVIDENCE, AttachmentKind.AGREEMENT_SIGNED, AttachmentKind.COURT_MATERIAL), True),
])
def test_a_dossier_is_complete_when_no_item_is_missing(case, attachments, complete):
    items = dossier(case, attachments)
    assert is_complete(items) is complete
    assert complete is all(status is not MISSING for _, status in items)
