"""The directory's JSON views (§4): the fields, values and nulls the API has always given."""

from __future__ import annotations

import datetime as dt
import json

from chalicelib.api.views import mediator_view, org_view, partner_view, region_view
from chalicelib.domain.directory import Mediator, Org, Partner, Region
from chalicelib.domain.enums import Category, MediationType, Tier

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
CREATED = dt.datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=SHANGHAI)
SHOWN_CREATED = "2026-11-23T01:00:00.123456+00:00"


def test_a_region_view():
    region = Region(code="320509", name="吴江区", created_at=CREATED)
    assert region_view(region) == {"code": "320509", "name": "吴江区", "parent_code": None,
                                   "created_at": SHOWN_CREATED}


def test_an_org_view_has_plain_values_and_no_index_key():
    org = Org(org_id="T-TL", name="同里镇人民调解委员会", region_code="320509103", tier=Tier.TOWN,
              mediation_type=MediationType.PEOPLE, categories=(Category.MARRIAGE_FAMILY, Category.NEIGHBOR),
              created_at=CREATED)
    view = org_view(org)
    assert view == {"org_id": "T-TL", "name": "同里镇人民调解委员会", "region_code": "320509103", "tier": "town",
                    "mediation_type": "people", "categories": ["marriage_family", "neighbor"], "head_phone": None,
                    "created_at": SHOWN_CREATED}
    assert all(type(value) in (str, list, type(None)) for value in view.values())


def test_a_mediator_view_before_and_after_a_change():
    mediator = Mediator(mediator_id="M-CN-9", name="孙调解", phone="13900000209", org_id="V-CN", created_at=CREATED)
    assert mediator_view(mediator) == {
        "mediator_id": "M-CN-9", "name": "孙调解", "phone": "13900000209", "org_id": "V-CN", "specialties": [],
        "active": True, "open_cases": 0, "created_at": SHOWN_CREATED, "updated_at": None}
    changed = Mediator(mediator_id="M-CN-9", name="孙调解", phone="13900000209", org_id="V-CN",
                       specialties=(Category.MEDICAL,), active=False, open_cases=2, created_at=CREATED,
                       updated_at=CREATED + dt.timedelta(hours=1))
    assert {k: v for k, v in mediator_view(changed).items() if k in ("specialties", "active", "open_cases",
                                                                       "updated_at")} == {
        "specialties": ["medical"], "active": False, "open_cases": 2, "updated_at": "2026-11-23T02:00:00.123456+00:00"}


def test_a_partner_view():
    partner = Partner(partner_id="grid-1", name="网格系统", key_id="hk_1", created_at=CREATED)
    assert partner_view(partner) == {"partner_id": "grid-1", "name": "网格系统", "callback_url": None,
                                     "key_id": "hk_1", "enabled": True, "created_at": SHOWN_CREATED}


def test_views_list_their_fields_alphabetically_as_the_api_always_has():
    region = Region(code="320509", name="吴江区", created_at=CREATED)
    assert list(region_view(region)) == ["code", "created_at", "name", "parent_code"]
    assert json.dumps(region_view(region), ensure_ascii=False) == (
        '{"code": "320509", "created_at": "2026-11-23T01:00:00.123456+00:00", "name": "吴江区", "parent_code": null}')


def test_the_case_view_shows_extension_and_suspensions_and_masks_numbers_in_them_for_partners():
    from chalicelib.api.views import case_view
    from chalicelib.domain.access import Principal
    from chalicelib.domain.enums import Role, SuspensionReason
    from tests.unit.test_case import ACTOR, LATER, accepted

    case = accepted()
    case.request_extension(2, "当事人13812345678在外地", LATER, ACTOR)
    case.suspend(SuspensionReason.PARTY_UNAVAILABLE, "当事人13812345678住院", dt.date(2026, 11, 30), LATER, ACTOR)
    staff = case_view(case, Principal(Role.ADMIN, "admin"))
    partner = case_view(case, Principal(Role.PARTNER, "demo-12345", partner_id="demo-12345"))
    assert staff["extension"] == {"status": "pending", "working_days": 2, "reason": "当事人13812345678在外地",
                                  "requested_at": "2026-11-23T12:00:00+08:00", "decided_at": None, "note": None}
    assert (staff["suspended"], staff["resolve_due_at_original"]) == (True, None)
    assert staff["suspensions"] == [{"reason_code": "party_unavailable", "reason": "当事人13812345678住院",
                                     "suspended_at": "2026-11-23T12:00:00+08:00", "resume_on": "2026-11-30",
                                     "resumed_at": None, "working_days": None}]
    assert partner["extension"]["reason"] == "当事人138****5678在外地"
    assert partner["suspensions"][0]["reason"] == "当事人138****5678住院"


def test_the_case_view_shows_the_agreement_and_masks_numbers_in_its_text_for_partners():
    from chalicelib.api.views import case_view, timeline_view
    from chalicelib.domain.access import Principal
    from chalicelib.domain.case import Event
    from chalicelib.domain.enums import Role
    from tests.unit.test_case import ACTOR, CAL, LATER, accepted

    case = accepted()
    outcome = case.resolve("张三13812345678获赔", dt.date(2026, 12, 31), LATER, ACTOR, CAL,
                           facts="身份证320584199001011237的张三", terms=["赔偿13812345678", "修复"],
                           performance_method="转账至13812345678", performance_place="13812345678家中")
    case.agreement = {**case.agreement, "judicial_confirmation": {"status": "not_accepted",
                                                                  "reason": "当事人13812345678未到庭"}}
    staff = case_view(case, Principal(Role.ADMIN, "admin"))
    partner_principal = Principal(Role.PARTNER, "demo-12345", partner_id="demo-12345")
    partner = case_view(case, partner_principal)
    state = {"status": "not_accepted", "window_ends_on": "2026-12-23", "court": None, "filed_on": None,
             "accepted_on": None, "decision_due_on": None, "decided_on": None}
    assert staff["agreement"] == {**case.agreement, "judicial_confirmation": {
        **state, "reason": "当事人13812345678未到庭"}}
    assert partner["agreement"] == {
        "summary": "张三138****5678获赔", "performance_due": "2026-12-31", "facts": "身份证320584********1237的张三",
        "terms": ["赔偿138****5678", "修复"], "performance_method": "转账至138****5678",
        "performance_place": "138****5678家中", "effective_on": "2026-11-23",
        "judicial_confirmation": {**state, "reason": "当事人138****5678未到庭"}}
    assert case.agreement["facts"] == "身份证320584199001011237的张三"  # the case itself unchanged
    resolved_event: Event = outcome.events[-1]
    [shown] = timeline_view([resolved_event], partner_principal)
    assert "13812345678" not in json.dumps(shown, ensure_ascii=False)
    assert shown["detail"]["agreement"]["terms"] == ["赔偿138****5678", "修复"]
    assert timeline_view([resolved_event], Principal(Role.ADMIN, "admin"))[0]["detail"]["agreement"]["terms"] == [
        "赔偿13812345678", "修复"]


def test_the_case_view_shows_the_partys_evaluation_its_comment_masked_for_partners():
    from chalicelib.api.views import case_view
    from chalicelib.domain.access import Principal
    from chalicelib.domain.enums import Role
    from tests.unit.test_case import GOOD_SCORES, LATER, resolved

    case = resolved()
    assert case_view(case, Principal(Role.ADMIN, "admin"))["self_evaluation"] is None
    case.record_self_evaluation(GOOD_SCORES, "请回电13812345678", LATER)
    staff = case_view(case, Principal(Role.ADMIN, "admin"))
    partner = case_view(case, Principal(Role.PARTNER, "demo-12345", partner_id="demo-12345"))
    assert staff["self_evaluation"] == {"at": "2026-11-23T12:00:00+08:00", "satisfaction": GOOD_SCORES,
                                        "comment": "请回电13812345678"}
    assert partner["self_evaluation"]["comment"] == "请回电138****5678"


def test_the_public_view_of_a_case_has_the_contracts_keys_only():
    from chalicelib.api.views import public_case_view
    from chalicelib.domain.public_lookup import progress
    from tests.unit.test_case import LATER, resolved

    case = resolved()
    view = public_case_view(progress(case, "城南社区人民调解委员会", LATER + dt.timedelta(minutes=30)))
    assert view == {
        "status": "resolved", "status_label": "调解成功",
        "stages": [{"stage": "received", "at": "2026-11-22T10:00:00+08:00", "hours": 23.0},
                   {"stage": "dispatched", "at": "2026-11-23T09:00:00+08:00", "hours": 1.0},
                   {"stage": "accepted", "at": "2026-11-23T10:00:00+08:00", "hours": 1.0},
                   {"stage": "concluded", "at": "2026-11-23T11:00:00+08:00", "hours": 1.5}],
        "org_name": "城南社区人民调解委员会",
        "resolve_due_on": case.resolve_due_at.astimezone(SHANGHAI).date().isoformat(),
        "extended": False, "suspended": False, "next_visit_due_on": "2026-12-31"}
    json.dumps(view)  # JSON as it is


def test_the_case_view_shows_participants_sessions_and_sponsor_names_masked_for_partners():
    from chalicelib.api.views import case_view
    from chalicelib.domain.access import Principal
    from chalicelib.domain.enums import Role, SessionMode
    from chalicelib.domain.sessions import Lawyer
    from tests.unit.test_case import ACTOR, LATER, SPONSOR, SUPERVISOR, accepted, orange, session_request

    case = accepted()
    case.add_participant("T-SL", True, True, "跨村纠纷", LATER, SUPERVISOR)
    request = session_request(LATER, mode=SessionMode.VIDEO, place="视频会议室（联系13812345678）",
                              lawyer=Lawyer("周明", "江苏某律师事务所"))
    case.schedule_session(request, LATER, ACTOR)
    orange(case).sponsor_by(*SPONSOR, LATER, SUPERVISOR)
    staff = case_view(case, Principal(Role.ADMIN, "admin"))
    partner = case_view(case, Principal(Role.PARTNER, "demo-12345", partner_id="demo-12345"))
    assert staff["participants"] == [
        {"org_id": "V-CN", "role": "lead", "joined_at": "2026-11-23T09:00:00+08:00"},
        {"org_id": "T-SL", "role": "assist", "joined_at": "2026-11-23T12:00:00+08:00"}]
    [session] = staff["sessions"]
    assert session == {"session_id": case.sessions[0].session_id, "starts_at": "2026-11-24T18:00:00+08:00",
                       "mode": "video", "place": "视频会议室（联系13812345678）", "mediator_ids": ["M-CN-1"],
                       "lawyer": {"name": "周明", "firm": "江苏某律师事务所"}, "reminder": None,
                       "cancelled_at": None}
    assert staff["sponsor"] == {"leader_name": "李明", "leader_title": "吴江区副区长", "due_on": "2026-12-20",
                                "sponsored_at": "2026-11-23T12:00:00+08:00"}
    assert partner["participants"] == staff["participants"]
    assert (partner["sessions"][0]["lawyer"]["name"], partner["sessions"][0]["place"]) == (
        "周*", "视频会议室（联系138****5678）")
    assert partner["sponsor"]["leader_name"] == "李*"
    assert "13900000301" not in json.dumps([staff, partner], ensure_ascii=False)  # the leader's phone: nobody's


def test_a_case_not_yet_routed_has_no_lead():
    from chalicelib.api.views import participants_view
    from tests.unit.test_case import S, make_case

    assert participants_view(make_case(S.RECEIVED)) == []


def test_a_partners_timeline_has_the_types_and_times_not_the_centres_internal_details():
    from chalicelib.api.views import timeline_view
    from chalicelib.domain.access import Principal
    from chalicelib.domain.case import Event
    from chalicelib.domain.enums import Role
    from tests.unit.test_case import LATER

    routed = {"reason": "tier village; mediator M-CN-1 general, 2 open cases (M-CN-2: 5)", "tier": "village",
              "org_id": "V-CN", "mediator_id": "M-CN-1", "tiers_tried": ["village"]}
    agreement = {"facts": "申请人张三（13812345678）称楼上漏水", "terms": "赔偿800元"}
    events = [Event(LATER, "routed", "system", routed),
              Event(LATER, "triaged", "system", {"risk_level": "yellow",
                                                  "risk_reasons": ["repeat_party_within_365_days"]}),
              Event(LATER, "note", "mediator:M-CN-1", {"text": "已联系当事人13812345678"}),
              Event(LATER, "participant_added", "supervisor:320509",
                    {"org_id": "T-SL", "reason": "身份证320584199001011237的当事人住在邻村", "assisting": 1}),
              Event(LATER, "resolved", "mediator:M-CN-1", {"agreement": agreement}),
              Event(LATER, "received", "partner:demo-12345", {"channel": "hotline_12345"})]
    partner = timeline_view(events, Principal(Role.PARTNER, "demo-12345", partner_id="demo-12345"))
    assert [(e["type"], e["actor"], e["detail"]) for e in partner] == [
        ("routed", "system", {"tier": "village", "org_id": "V-CN", "mediator_id": "M-CN-1"}),
        ("triaged", "system", {"risk_level": "yellow"}),
        ("note", "mediator", {}),
        ("participant_added", "supervisor", {"org_id": "T-SL"}),
        ("resolved", "mediator", {"agreement": {"facts": "申请人张三（138****5678）称楼上漏水", "terms": "赔偿800元"}}),
        ("received", "partner:demo-12345", {"channel": "hotline_12345"})]
    assert [e["at"] for e in partner] == [e["at"] for e in timeline_view(events, Principal(Role.ADMIN, "admin"))]
    staff = timeline_view(events, Principal(Role.ADMIN, "admin"))
    assert staff[0]["detail"] == routed and staff[2]["detail"]["text"] == "已联系当事人13812345678"
    assert staff[2]["actor"] == "mediator:M-CN-1"


def test_staff_not_reading_a_sensitive_case_in_full_read_its_report_with_numbers_masked():
    from chalicelib.api.views import case_view
    from chalicelib.domain.access import Principal
    from chalicelib.domain.enums import Role
    from tests.unit.test_case import accepted

    case = accepted(description="孩子身份证号320584201501011234，家长电话13812345678", sensitive=True)
    admin = case_view(case, Principal(Role.ADMIN, "admin"))
    assigned = case_view(case, Principal(Role.MEDIATOR, "mediator:M-CN-1", org_id="V-CN", mediator_id="M-CN-1"))
    assert admin["description"] == "孩子身份证号320584********1234，家长电话138****5678"
    assert assigned["description"] == case.description
