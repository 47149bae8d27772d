"""domain/retention.py and the Case's retention transitions (§16): which cases are on the
retention index and from what day, the SMS purge day, and what anonymising a case erases."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain.case import TRANSITIONS, Party, RuleBroken
from chalicelib.domain.enums import CaseStatus as S
from chalicelib.domain.enums import TransferTarget
from chalicelib.domain.retention import (
    ERASED, RETENTION_TABLE, Enforcement, add_years, final_at, retention_due_on, text_purge_on)
from chalicelib.domain.stats import stats_changes, stats_record
from tests.unit.test_case import ACTOR, ADMIN_ACTOR, MONDAY, accepted, at_status, make_case, other_case

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
LATE_EVENING = dt.datetime(2026, 11, 30, 23, 30, tzinfo=SHANGHAI)
"""23:30 in Shanghai, 15:30 UTC: the business day is the 30th."""


def test_the_table_names_every_class_of_data_once():
    kinds = [rule.data.split(" (")[0] for rule in RETENTION_TABLE]
    assert kinds == ["party identities", "narrative and notes", "attachments", "SMS texts",
                     "callback delivery logs", "replay nonces and lookup attempt counters", "logs"]
    assert {rule.data.split(" (")[0] for rule in RETENTION_TABLE if rule.enforcement is Enforcement.TTL} == {
        "callback delivery logs", "replay nonces and lookup attempt counters"}


@pytest.mark.parametrize(("day", "years", "expected"), [
    (dt.date(2026, 11, 30), 3, dt.date(2029, 11, 30)),
    (dt.date(2028, 2, 29), 3, dt.date(2031, 2, 28)),
    (dt.date(2028, 2, 29), 4, dt.date(2032, 2, 29)),
])
def test_add_years(day, years, expected):
    assert add_years(day, years) == expected


# how each final status is reached, through the case's own methods
ENDINGS = {
    S.CLOSED: lambda case, now: (case.fail(*_fail_args(), now, ACTOR, _cal()), case.close(now, ACTOR)),
    S.WITHDRAWN: lambda case, now: case.withdraw("和解", now, ACTOR),
    S.TRANSFERRED: lambda case, now: case.transfer_to(TransferTarget.COURT, "法院", "涉诉", now, ACTOR),
    S.MERGED: lambda case, now: case.merge_into(other_case(), "同一纠纷", now, ACTOR),
}


def _fail_args():
    from chalicelib.domain.enums import Referral
    return Referral.LITIGATION, "一方拒绝"


def _cal():
    from chalicelib.domain.calendar import LIBRARY_CALENDAR
    return LIBRARY_CALENDAR


@pytest.mark.parametrize("status", sorted(ENDINGS, key=lambda s: s.value))
def test_every_final_status_puts_the_case_on_the_index_the_day_after_three_years_from_the_shanghai_day(status):
    case = accepted()
    ENDINGS[status](case, LATE_EVENING)
    assert case.status is status
    assert final_at(case) == LATE_EVENING
    assert retention_due_on(case) == dt.date(2029, 12, 1)  # final late on 30 November: more than 3 years from 1 December


def test_the_shanghai_day_counts_not_the_utc_one():
    case = accepted()
    just_after_midnight = dt.datetime(2026, 12, 1, 0, 10, tzinfo=SHANGHAI)  # 30 November in UTC
    case.withdraw("和解", just_after_midnight, ACTOR)
    assert retention_due_on(case) == dt.date(2029, 12, 2)


@pytest.mark.parametrize("status", [S.RECEIVED, S.DISPATCHED, S.ACCEPTED, S.RESOLVED, S.UNRESOLVED])
def test_a_case_not_final_is_not_on_the_index(status):
    assert retention_due_on(at_status(status)) is None


def test_a_case_written_before_final_at_falls_back_to_closed_at():
    case = make_case(S.WITHDRAWN, closed_at=LATE_EVENING)
    assert case.final_at is None and retention_due_on(case) == dt.date(2029, 12, 1)


def test_hold_and_anonymisation_take_the_case_off_the_index():
    case = make_case(S.CLOSED, final_at=LATE_EVENING)
    assert retention_due_on(case) is not None
    case.set_retention_hold(True, MONDAY, ADMIN_ACTOR)
    assert retention_due_on(case) is None
    case.set_retention_hold(False, MONDAY, ADMIN_ACTOR)
    assert retention_due_on(case) == dt.date(2029, 12, 1)
    case.anonymise(MONDAY)
    assert retention_due_on(case) is None


def test_the_sms_purge_day_is_the_day_after_180_days_from_the_shanghai_day():
    assert text_purge_on(LATE_EVENING) == dt.date(2027, 5, 30)


def _named_case():
    case = make_case(
        S.CLOSED, final_at=LATE_EVENING, title="张三与李四漏水纠纷", description="张三家漏水到李四家，张三电话13800000001",
        address="张三家，城南社区5栋", parties=[Party("applicant", "张三", "13800000001", "320509199001011234"),
                                           Party("respondent", "李四", "13800000002"), Party("respondent", "王")],
        agreement={"summary": "张三赔偿李四2000元", "terms": ["张三于12月1日前支付"], "performance_due": "2026-12-01"},
        referral={"channel": "litigation", "reason": "李四拒绝"},
        transfer={"to": "court", "department": "法院", "reason": "张三起诉", "transferred_at": "x"},
        self_evaluation={"at": "x", "satisfaction": {}, "comment": "李四态度好"},
        return_visits=[{"seq": 1, "note": "张三已付款", "done_at": None}],
        risk_indicators=[], party_count=3)
    return case


def test_anonymise_erases_the_names_everywhere_and_nulls_phones_and_id_numbers():
    case = _named_case()
    before = dataclasses.replace(case)
    outcome = case.anonymise(MONDAY)
    assert [p.to_dict() for p in case.parties] == [
        {"role": "applicant", "name": ERASED}, {"role": "respondent", "name": ERASED},
        {"role": "respondent", "name": ERASED}]
    assert case.title == f"{ERASED}与{ERASED}漏水纠纷"
    assert case.description == f"{ERASED}家漏水到{ERASED}家，{ERASED}电话{ERASED}"
    assert case.address == f"{ERASED}家，城南社区5栋"
    assert case.agreement["summary"] == f"{ERASED}赔偿{ERASED}2000元"
    assert case.agreement["terms"] == [f"{ERASED}于12月1日前支付"]
    assert case.agreement["performance_due"] == "2026-12-01"
    assert case.referral == {"channel": "litigation", "reason": f"{ERASED}拒绝"}
    assert case.transfer["reason"] == f"{ERASED}起诉"
    assert case.self_evaluation["comment"] == f"{ERASED}态度好"
    assert case.return_visits[0]["note"] == f"{ERASED}已付款"
    assert "王" not in [p.name for p in case.parties]
    assert case.anonymised_at == MONDAY
    event = outcome.events[-1]
    assert (event.type, event.detail) == ("anonymised", {"parties": 3})
    assert "张三" not in repr(event) and "138" not in repr(event)
    assert (case.status, case.party_count, case.risk_level) == (before.status, before.party_count, before.risk_level)


def test_a_one_character_name_is_erased_in_the_parties_only():
    case = make_case(S.CLOSED, final_at=LATE_EVENING, parties=[Party("applicant", "王")], title="王家村漏水")
    case.anonymise(MONDAY)
    assert case.title == "王家村漏水" and case.parties[0].name == ERASED


def test_anonymising_changes_nothing_the_statistics_count():
    case = _named_case()
    case.stats_recorded = stats_record(case)
    case.anonymise(MONDAY)
    assert stats_changes(case)[1] == {}


def test_anonymise_twice_or_on_hold_is_refused():
    case = _named_case()
    case.anonymise(MONDAY)
    with pytest.raises(RuleBroken):
        case.anonymise(MONDAY)
    held = _named_case()
    held.set_retention_hold(True, MONDAY, ADMIN_ACTOR)
    with pytest.raises(RuleBroken):
        held.anonymise(MONDAY)


def test_the_hold_writes_its_event_once_and_is_refused_on_an_anonymised_case():
    case = _named_case()
    outcome = case.set_retention_hold(True, MONDAY, ADMIN_ACTOR)
    assert [(e.type, e.actor, e.detail) for e in outcome.events] == [
        ("retention_hold", ADMIN_ACTOR, {"retention_hold": True})]
    assert case.set_retention_hold(True, MONDAY, ADMIN_ACTOR).events == []
    done = _named_case()
    done.anonymise(MONDAY)
    with pytest.raises(RuleBroken):
        done.set_retention_hold(True, MONDAY, ADMIN_ACTOR)
    assert done.set_retention_hold(False, MONDAY, ADMIN_ACTOR).events == []


def test_the_transitions():
    assert TRANSITIONS["anonymise"].target is None and TRANSITIONS["retention_hold"].target is None


def test_the_eraser_of_a_case_covers_event_details_and_masks_other_numbers():
    case = _named_case()
    erase = case.erase_personal_text()
    assert erase("李四来电13800000002，另一号码13912345678") == f"{ERASED}来电{ERASED}，另一号码139****5678"
