"""AgreementDocuments (人民调解协议书, §14) on the fakes: staff with the case in view get the document
of a resolved or closed case, with the directory's names and the parties in full; a partner 403,
outside the view 404, before resolve 409, without facts or terms 422 naming them; reading it
writes nothing."""

from __future__ import annotations

import pytest

from chalicelib.domain.enums import CaseStatus as S
from chalicelib.services.errors import Conflict, Forbidden, NotFound, Unprocessable
from tests.support import valid_id_number
from tests.unit.services.builders import (
    ADMIN, MEDIATOR, OTHER_MEDIATOR, OTHER_SUPERVISOR, PARTNER, SUPERVISOR, refused)

AGREEMENT = {"summary": "赔偿并修复", "performance_due": "2026-12-31", "facts": "楼上漏水，双方就赔偿金额争执",
             "terms": ["李四赔偿张三2000元", "李四于12月20日前修复防水"], "performance_method": "银行转账",
             "performance_place": "城南社区调解室"}


@pytest.fixture
def documents(container):
    return container.agreement_documents


@pytest.fixture
def renderer(container):
    return container.agreement_renderer


def resolved(centre, ref: str = "R-1", **agreement):
    case = centre.case_at(S.ACCEPTED, ref)
    return centre.act(case.case_id, "resolve", agreement={**AGREEMENT, **agreement})


def test_the_assigned_mediator_gets_the_document_with_names_and_parties_in_full(centre, documents, renderer):
    case = resolved(centre)
    file = documents.agreement(case.case_id, MEDIATOR)
    assert (file.content, file.filename) == (f"agreement of {case.case_id}".encode(),
                                             f"人民调解协议书-{case.case_id}.docx")
    [document] = renderer.documents
    fields = document.fields()
    assert (fields["org_name"], fields["mediator_name"]) == ("城南社区人民调解委员会", "王调解")
    assert fields["parties"] == [
        {"role": "申请人", "name": "张三", "id_number": valid_id_number(), "phone": "13812345678"},
        {"role": "被申请人", "name": "李四", "id_number": "", "phone": ""}]
    assert [term["text"] for term in fields["terms"]] == AGREEMENT["terms"]
    assert (fields["copies"], fields["effective_on"]) == ("3", "2026年11月23日")  # the day of resolve by default


def test_a_covering_supervisor_and_an_admin_get_it_and_so_after_closing(centre, documents, renderer):
    case = resolved(centre)
    documents.agreement(case.case_id, SUPERVISOR)
    centre.act(case.case_id, "visit")
    centre.act(case.case_id, "close")
    documents.agreement(case.case_id, ADMIN)
    assert [d.case_id for d in renderer.documents] == [case.case_id] * 2


def test_a_partner_is_refused_even_on_its_own_case(centre, documents, renderer):
    case = resolved(centre)
    with pytest.raises(Forbidden):
        documents.agreement(case.case_id, PARTNER)
    assert renderer.documents == []


@pytest.mark.parametrize("principal", [OTHER_MEDIATOR, OTHER_SUPERVISOR])
def test_a_case_outside_the_view_is_not_found(centre, documents, principal):
    case = resolved(centre)
    with pytest.raises(NotFound):
        documents.agreement(case.case_id, principal)
    with pytest.raises(NotFound):
        documents.agreement("HW20261123NOSUCHID", ADMIN)


@pytest.mark.parametrize("status", [S.DISPATCHED, S.ACCEPTED, S.UNRESOLVED, S.CLOSED, S.WITHDRAWN])
def test_before_resolve_or_without_an_agreement_there_is_no_document(centre, documents, renderer, status):
    case = centre.case_at(status)
    with centre.refuses(Conflict):
        documents.agreement(case.case_id, ADMIN)
    assert renderer.documents == []


def test_an_agreement_without_facts_and_terms_is_422_naming_both(centre, documents, renderer):
    case = centre.case_at(S.RESOLVED)  # resolved with a summary and a date only
    with refused(Unprocessable, centre.state) as caught:
        documents.agreement(case.case_id, MEDIATOR)
    assert [e["field"] for e in caught.value.errors] == ["agreement.facts", "agreement.terms"]
    assert renderer.documents == []


def test_an_agreement_without_terms_is_422_naming_them(centre, documents):
    case = centre.case_at(S.ACCEPTED)
    centre.act(case.case_id, "resolve", agreement={"summary": "协议", "performance_due": "2026-12-31", "facts": "事实"})
    with pytest.raises(Unprocessable) as caught:
        documents.agreement(case.case_id, MEDIATOR)
    assert [e["field"] for e in caught.value.errors] == ["agreement.terms"]


def test_reading_the_document_changes_nothing(centre, documents):
    case = resolved(centre)
    before = centre.state()
    documents.agreement(case.case_id, MEDIATOR)
    assert centre.state() == before
