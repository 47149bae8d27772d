"""The access audit (访问审计) and minors' cases on the fakes: who reads a sensitive case in full,
what each read records (counts, never the data), failing closed, and the admins' listing."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.audit import LEDGER_PARTITION, AccessKind
from chalicelib.domain.enums import CaseStatus as S
from chalicelib.services.audit import AuditUnavailable
from chalicelib.services.errors import Forbidden, Unprocessable
from tests.support import valid_id_number
from tests.unit.services.builders import (
    ADMIN, COLLEAGUE, MEDIATOR, PARTNER, SUPERVISOR, TOWN_SUPERVISOR)

CHILD_ID = valid_id_number("32058420150101123")
"""Born 2015-01-01: 11 years old on MONDAY (2026-11-23)."""
ADULT_ID = valid_id_number()
MINOR_PARTIES = [{"role": "applicant", "name": "张三", "phone": "13812345678", "id_number": ADULT_ID},
                 {"role": "respondent", "name": "小明", "id_number": CHILD_ID}]


@pytest.fixture
def log(container):
    return container.access_log


@pytest.fixture
def audit(container):
    return container.audit


def test_a_party_under_14_makes_the_case_sensitive_at_intake(centre):
    case = centre.file("R-1", parties=MINOR_PARTIES)
    assert case.sensitive
    assert centre.store.get(case.case_id).sensitive
    triaged = next(e for e in centre.store.events(case.case_id) if e.type == "triaged")
    assert triaged.detail["sensitive"] is True
    assert not centre.file("R-2").sensitive


def test_a_full_case_read_is_recorded_with_counts_and_purpose_never_the_data(centre, audit, log, clock):
    case = centre.case_at(S.DISPATCHED)
    audit.case_read(case, MEDIATOR, "核实当事人联系方式")
    (record,) = log.records[case.case_id]
    assert (record.actor, record.kind, record.at, record.purpose) == (
        "mediator:M-CN-1", AccessKind.CASE_VIEW, clock(), "核实当事人联系方式")
    assert (record.revealed.phones, record.revealed.id_numbers, record.revealed.files) == (1, 1, 0)
    stored = json.dumps([record.detail, record.purpose, record.actor], ensure_ascii=False)
    assert "13812345678" not in stored and ADULT_ID not in stored and "张三" not in stored


def test_masked_reads_are_not_recorded(centre, audit, log):
    case = centre.case_at(S.DISPATCHED, parties=MINOR_PARTIES)
    audit.case_read(case, PARTNER, None)  # partners: always masked
    audit.case_read(case, COLLEAGUE, None)  # a colleague of a sensitive case: masked
    audit.case_read(case, ADMIN, None)  # an admin of a sensitive case: masked
    assert log.records[case.case_id] == []
    audit.case_read(case, SUPERVISOR, None)
    audit.case_read(case, MEDIATOR, None)
    assert [r.actor for r in log.records[case.case_id]] == ["supervisor:320509", "mediator:M-CN-1"]


def test_a_case_without_phone_or_id_number_reveals_nothing_and_is_not_recorded(centre, audit, log):
    case = centre.file("R-1", parties=[{"role": "applicant", "name": "张三"}])
    audit.case_read(case, ADMIN, None)
    assert log.records[case.case_id] == []


def test_a_list_page_is_one_write_of_one_record_per_case_shown_in_full(centre, audit, log):
    cases = [centre.file(f"R-{n}") for n in range(3)] + [centre.file("R-M", parties=MINOR_PARTIES)]
    audit.cases_read(cases, ADMIN, AccessKind.CASE_LIST, "月度核查")
    assert log.writes == 1
    assert sorted(log.records) == sorted(c.case_id for c in cases[:3])  # the minor's case was masked to the admin
    assert all(r.kind is AccessKind.CASE_LIST and r.purpose == "月度核查" for rs in log.records.values() for r in rs)


def test_a_failed_audit_write_fails_the_read_closed(centre, audit, log):
    case = centre.case_at(S.DISPATCHED)
    log.failing = True
    with pytest.raises(AuditUnavailable) as raised:
        audit.case_read(case, MEDIATOR, None)
    assert raised.value.status == 503
    assert log.records[case.case_id] == []


def test_downloads_documents_and_ledgers_are_recorded(centre, audit, log, container):
    case = centre.case_at(S.DISPATCHED)
    attachment = type("A", (), {"attachment_id": "AT1", "kind": type("K", (), {"value": "evidence"})()})()
    audit.download(case, attachment, PARTNER, None)
    audit.agreement_document(case, MEDIATOR, "打印协议书")
    audit.ledger(SUPERVISOR, {"region": "320509", "from": "2026-11-01", "to": "2026-11-30", "format": "csv",
                              "rows": 3}, "月报")
    download, document = log.records[case.case_id]
    assert (download.kind, download.revealed.files, download.detail["attachment_id"]) == (
        AccessKind.ATTACHMENT_DOWNLOAD, 1, "AT1")
    assert (document.kind, document.revealed.phones, document.revealed.id_numbers, document.revealed.files) == (
        AccessKind.AGREEMENT_DOCUMENT, 1, 1, 1)
    (ledger,) = log.records[LEDGER_PARTITION]
    assert (ledger.kind, ledger.detail["rows"], ledger.purpose) == (AccessKind.LEDGER_EXPORT, 3, "月报")


def test_the_access_log_is_for_admins_newest_first_in_pages(centre, audit, clock):
    case = centre.case_at(S.DISPATCHED)
    for minutes in range(3):
        audit.case_read(case, MEDIATOR, f"第{minutes}次")
        clock.advance(minutes=1)
    first, cursor = audit.log_of_case(case.case_id, ADMIN, 2, None)
    rest, end = audit.log_of_case(case.case_id, ADMIN, 2, cursor)
    assert [r.purpose for r in first + rest] == ["第2次", "第1次", "第0次"]
    assert end is None
    for caller in (MEDIATOR, SUPERVISOR, TOWN_SUPERVISOR):
        with pytest.raises(Forbidden):
            audit.log_of_case(case.case_id, caller, 50, None)
    with pytest.raises(Unprocessable):
        audit.log_of_case(case.case_id, ADMIN, 50, "not-a-cursor")


def test_the_agreement_document_of_a_sensitive_case_is_refused_to_those_not_reading_it_in_full(centre, container):
    case = centre.case_at(S.ACCEPTED, parties=MINOR_PARTIES)
    case = centre.act(case.case_id, "resolve", agreement={
        "summary": "赔偿", "performance_due": "2026-12-31", "facts": "事实", "terms": ["条款"]})
    for caller in (ADMIN, COLLEAGUE):
        with pytest.raises(Forbidden):
            container.agreement_documents.agreement(case.case_id, caller)
    assert container.agreement_documents.agreement(case.case_id, MEDIATOR).content
    assert container.agreement_documents.agreement(case.case_id, SUPERVISOR).content


def test_a_number_typed_into_the_purpose_is_kept_masked(centre, audit, log):
    from chalicelib.domain.audit import checked_purpose

    case = centre.case_at(S.DISPATCHED)
    audit.case_read(case, MEDIATOR, checked_purpose("回电13812345678核实"))
    (record,) = log.records[case.case_id]
    assert record.purpose == "回电138****5678核实"


def test_a_sensitive_cases_signed_agreement_and_court_papers_go_only_to_those_reading_it_in_full():
    from chalicelib.domain.attachments import AttachmentKind, may_download

    for kind in (AttachmentKind.ID_PROOF, AttachmentKind.AGREEMENT_SIGNED, AttachmentKind.COURT_MATERIAL):
        assert may_download(kind, reads_in_full=True) and not may_download(kind, reads_in_full=False)
    assert may_download(AttachmentKind.EVIDENCE, reads_in_full=False)
