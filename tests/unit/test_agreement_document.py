"""domain/agreement.py and domain/agreement_document.py: what the agreement records, and what its
document (人民调解协议书) says of a resolved case: parties in full, terms numbered, copies, and
when there is no document (409 before resolve, 422 without facts or terms)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain.agreement import agreement_record, missing_fields
from chalicelib.domain.agreement_document import (
    NO_CODE, NOT_AGREED, AgreementIncomplete, agreement_document, check_document_ready, chinese_date)
from chalicelib.domain.case import Party, RuleBroken
from chalicelib.domain.enums import CaseStatus as S
from tests.unit.test_case import ACTOR, CAL, LATER, accepted, make_case

ID_NUMBER = "32058419900101123X"
PARTIES = [Party("applicant", "张三", "13812345678", ID_NUMBER), Party("respondent", "李四"),
           Party("third_party", "王五", "13900000000")]


def resolved_with(parties=PARTIES, **agreement):
    case = accepted(parties=list(parties), party_count=len(parties), public_code="7KQ4M2XP-R")
    fields = {"facts": "楼上漏水，双方就赔偿金额争执", "terms": ["李四赔偿张三2000元", "李四修复防水"],
              "performance_method": "银行转账", "performance_place": "城南社区调解室",
              "effective_on": dt.date(2026, 11, 20), **agreement}
    case.resolve("赔偿并修复", dt.date(2026, 12, 31), LATER, ACTOR, CAL, **fields)
    return case


def test_the_record_keeps_summary_and_due_date_adds_what_was_given_and_always_the_effective_day():
    assert agreement_record("协议", dt.date(2026, 12, 31), dt.date(2026, 11, 23)) == {
        "summary": "协议", "performance_due": "2026-12-31", "effective_on": "2026-11-23"}
    assert agreement_record("协议", dt.date(2026, 12, 31), dt.date(2026, 11, 23), facts="事实", terms=["一"],
                            performance_place="村委会") == {
        "summary": "协议", "performance_due": "2026-12-31", "facts": "事实", "terms": ["一"],
        "performance_place": "村委会", "effective_on": "2026-11-23"}


@pytest.mark.parametrize(("agreement", "missing"), [
    ({"summary": "x", "facts": "f", "terms": ["t"]}, []),
    ({"summary": "x", "terms": ["t"]}, ["agreement.facts"]),
    ({"summary": "x", "facts": "f", "terms": []}, ["agreement.terms"]),
    ({"summary": "x"}, ["agreement.facts", "agreement.terms"]),
])
def test_the_document_needs_the_facts_and_the_terms(agreement, missing):
    assert missing_fields(agreement) == missing


def test_the_document_names_everything_in_full_and_numbers_the_terms():
    case = resolved_with()
    document = agreement_document(case, "城南社区人民调解委员会", "王调解")
    fields = document.fields()
    assert fields["title"] == "人民调解协议书"
    assert (fields["case_code"], fields["case_id"]) == ("7KQ4M2XP-R", case.case_id)
    assert (fields["org_name"], fields["mediator_name"]) == ("城南社区人民调解委员会", "王调解")
    assert fields["parties"] == [
        {"role": "申请人", "name": "张三", "id_number": ID_NUMBER, "phone": "13812345678"},
        {"role": "被申请人", "name": "李四", "id_number": "", "phone": ""},
        {"role": "第三人", "name": "王五", "id_number": "", "phone": "13900000000"}]
    assert fields["facts"] == "楼上漏水，双方就赔偿金额争执"
    assert fields["terms"] == [{"number": 1, "text": "李四赔偿张三2000元"}, {"number": 2, "text": "李四修复防水"}]
    assert (fields["performance_method"], fields["performance_place"]) == ("银行转账", "城南社区调解室")
    assert (fields["performance_due"], fields["effective_on"]) == ("2026年12月31日", "2026年11月20日")
    assert fields["copies"] == "4" and document.copies == 4  # three parties and the committee
    assert document.filename == f"人民调解协议书-{case.case_id}.docx"


def test_two_parties_make_three_copies_and_what_is_not_given_says_so():
    case = resolved_with(parties=PARTIES[:2], performance_method=None, performance_place=None)
    case.public_code = None
    fields = agreement_document(case, None, None).fields()
    assert fields["copies"] == "3"
    assert (fields["performance_method"], fields["performance_place"], fields["case_code"]) == (
        NOT_AGREED, NOT_AGREED, NO_CODE)
    assert (fields["org_name"], fields["mediator_name"]) == ("V-CN", "M-CN-1")  # ids when the directory has no names


def test_a_closed_case_keeps_its_document():
    case = dataclasses.replace(resolved_with(), status=S.CLOSED)
    check_document_ready(case)
    assert agreement_document(case, "调委会", "王调解").case_id == case.case_id


@pytest.mark.parametrize("status", [S.RECEIVED, S.DISPATCHED, S.ACCEPTED, S.UNRESOLVED, S.WITHDRAWN, S.MERGED])
def test_there_is_no_document_before_resolve(status):
    with pytest.raises(RuleBroken, match="once it is resolved"):
        check_document_ready(make_case(status))


def test_a_case_closed_without_an_agreement_has_no_document():
    with pytest.raises(RuleBroken):
        check_document_ready(make_case(S.CLOSED, referral={"channel": "litigation", "reason": "x"}))


def test_an_agreement_without_facts_or_terms_has_no_document_and_says_which():
    case = accepted()
    case.resolve("双方达成协议", dt.date(2026, 12, 1), LATER, ACTOR, CAL)
    with pytest.raises(AgreementIncomplete) as caught:
        agreement_document(case, "调委会", "王调解")
    assert caught.value.fields == ["agreement.facts", "agreement.terms"]


def test_an_agreement_recorded_before_its_effective_day_was_took_effect_on_the_day_of_resolve():
    case = resolved_with()
    del case.agreement["effective_on"]
    assert agreement_document(case, "调委会", "王调解").effective_on == LATER.date()


def test_dates_are_written_the_chinese_way():
    assert chinese_date(dt.date(2027, 1, 5)) == "2027年1月5日"
