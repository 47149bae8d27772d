"""The hard cases of §15 on the fakes, through `CaseActions.act` and the supervision sweep: joint
mediation (联合调解) and what its assisting mediators may do, sessions (调解会) with the
per-mediator overlap check and its races, and leader sponsorship (领导包案) with its SMS."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.enums import CaseStatus as S
from chalicelib.services.action_registry import ACTIONS
from chalicelib.services.action_registry import MergeCase
from chalicelib.services.commands import NewAttachment, NewMediator, NewOrg
from chalicelib.services.errors import Conflict, Forbidden, Unprocessable
from tests.unit.services.builders import (
    ADMIN, MEDIATOR, MONDAY, OTHER_MEDIATOR, SHANGHAI, SUPERVISOR, TOWN_SUPERVISOR, action, parse)

HARD_CASE_ACTIONS = ("add_participant", "schedule_session", "sponsor")

ASSISTANT = OTHER_MEDIATOR
"""M-SL-1 of the town org T-SL, which joins the village cases below as an assisting org."""


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def joint(centre):
    """An accepted village case (lead V-CN, mediator M-CN-1) that the town org T-SL assists."""
    case = centre.case_at(S.ACCEPTED)
    centre.act(case.case_id, "add_participant", SUPERVISOR)
    return centre.store.get(case.case_id)


def sms(store, case_id: str, kind: str) -> list[dict]:
    return [record for record in store.notifications(case_id) if record["kind"] == kind]


# ---------------------------------------------------------------- joint mediation


def test_an_assisting_org_joins_and_its_head_is_invited(centre, store):
    case = centre.case_at(S.DISPATCHED)
    joined = centre.act(case.case_id, "add_participant", SUPERVISOR)
    assert [(p.org_id, p.joined_at, p.added_by) for p in joined.participants] == [("T-SL", MONDAY, SUPERVISOR.actor)]
    event = store.events(case.case_id)[-1]
    assert (event.type, event.detail["org_id"], event.detail["role"]) == ("participant_added", "T-SL", "assist")
    [invite] = sms(store, case.case_id, "joint_invite")
    assert invite["to"] == "13900000102"  # the head of T-SL
    assert "松陵街道人民调解委员会" in invite["text"] and case.case_id in invite["text"]


@pytest.mark.parametrize("principal", [SUPERVISOR, TOWN_SUPERVISOR, ADMIN])
def test_a_covering_supervisor_or_an_admin_adds_an_org(centre, principal):
    case = centre.case_at(S.RECEIVED)
    assert centre.act(case.case_id, "add_participant", principal).assisting_org_ids == {"T-SL"}


@pytest.mark.parametrize("principal", [MEDIATOR])
def test_a_mediator_does_not_add_an_org(centre, principal):
    case = centre.case_at(S.DISPATCHED)
    with centre.refuses(Forbidden):
        centre.act(case.case_id, "add_participant", principal)


def add_org(centre, org_id: str, with_mediator: bool = True) -> None:
    centre.services.directory.add_org(parse(NewOrg, {
        "org_id": org_id, "name": f"{org_id}调解委员会", "region_code": "320509", "tier": "district",
        "mediation_type": "industry", "categories": [], "head_phone": "13900000199"}))
    if with_mediator:
        centre.services.directory.add_mediator(parse(NewMediator, {
            "mediator_id": f"M-{org_id}", "name": "孙调解", "phone": "13900000299", "org_id": org_id}))


@pytest.mark.parametrize(("org_id", "error", "words"), [
    ("V-CN", Conflict, "leads"),  # the lead itself
    ("T-SL", Conflict, "already"),  # twice
    ("NO-SUCH-ORG", Unprocessable, "no org"),
    ("EMPTY", Unprocessable, "no active mediator"),
])
def test_an_org_that_cannot_assist_is_refused(centre, joint, org_id, error, words):
    add_org(centre, "EMPTY", with_mediator=False)
    with centre.refuses(error) as refused:
        centre.act(joint.case_id, "add_participant", SUPERVISOR, org_id=org_id)
    assert words in refused.value.detail


def test_at_most_five_orgs_assist(centre, joint):
    for number in range(4):
        add_org(centre, f"X{number}")
        centre.act(joint.case_id, "add_participant", SUPERVISOR, org_id=f"X{number}")
    add_org(centre, "X9")
    with centre.refuses(Conflict) as refused:
        centre.act(joint.case_id, "add_participant", SUPERVISOR, org_id="X9")
    assert "at most 5" in refused.value.detail
    assert len(centre.store.get(joint.case_id).participants) == 5


def test_a_closed_case_takes_no_assisting_org(centre):
    case = centre.case_at(S.CLOSED)
    with centre.refuses(Conflict):
        centre.act(case.case_id, "add_participant", SUPERVISOR)


def test_the_same_org_added_twice_at_once_joins_once(centre, store):
    case = centre.case_at(S.ACCEPTED)
    store.interleave(lambda: centre.act(case.case_id, "add_participant", ADMIN))
    with pytest.raises(Conflict):
        centre.act(case.case_id, "add_participant", SUPERVISOR)
    assert [p.org_id for p in store.get(case.case_id).participants] == ["T-SL"]
    assert len(sms(store, case.case_id, "joint_invite")) == 1


def test_two_orgs_added_at_once_both_join(centre, store):
    case = centre.case_at(S.ACCEPTED)
    add_org(centre, "X1")
    store.interleave(lambda: centre.act(case.case_id, "add_participant", ADMIN, org_id="X1"))
    centre.act(case.case_id, "add_participant", SUPERVISOR)
    assert sorted(store.get(case.case_id).assisting_org_ids) == ["T-SL", "X1"]


def test_an_assisting_mediator_reads_the_case_notes_and_books_sessions(centre, joint):
    assert centre.services.queries.case(joint.case_id, ASSISTANT).case_id == joint.case_id
    centre.act(joint.case_id, "note", ASSISTANT)
    centre.act(joint.case_id, "schedule_session", ASSISTANT, mediator_ids=["M-CN-1", "M-SL-1"])
    assert centre.event_types(joint.case_id)[-2:] == ["note", "session_scheduled"]


@pytest.mark.parametrize("name", sorted(set(ACTIONS) - {"note", "schedule_session"}))
def test_every_other_action_is_forbidden_to_an_assisting_mediator(centre, joint, name):
    with centre.refuses(Forbidden):
        centre.act(joint.case_id, name, ASSISTANT)


def test_an_assisting_mediator_neither_merges_nor_uploads(centre, joint):
    other = centre.case_at(S.DISPATCHED, ref="R-2")
    centre.act(other.case_id, "add_participant", SUPERVISOR)
    with centre.refuses(Forbidden):
        centre.services.merger.merge(joint.case_id, parse(MergeCase, {"into": other.case_id, "reason": "同一纠纷"}),
                                     ASSISTANT)
    upload = parse(NewAttachment, {"kind": "evidence", "filename": "照片.png", "content_type": "image/png",
                                   "size_bytes": 1000, "sha256": "0" * 64})
    with centre.refuses(Forbidden):
        centre.services.attachments.create(joint.case_id, upload, ASSISTANT)


def test_the_lead_keeps_the_deadlines_when_another_org_assists(centre, joint):
    before = centre.store.get(joint.case_id)
    assert (before.org_id, before.mediator_id, before.resolve_due_at) == ("V-CN", "M-CN-1", joint.resolve_due_at)
    assert centre.open_cases("M-SL-1") == 0


def test_an_assisting_org_the_case_is_routed_to_leads_it_and_assists_no_more(centre, store):
    case = centre.case_at(S.DISPATCHED)
    centre.act(case.case_id, "add_participant", SUPERVISOR)
    centre.act(case.case_id, "escalate", MEDIATOR)  # village → town: T-SL
    assert centre.services.routing.route(case.case_id) == "dispatched"
    routed = store.get(case.case_id)
    assert (routed.org_id, routed.participants) == ("T-SL", [])


# ------------------------------------------------------------------------ sessions

NINE = "2026-11-25T09:00:00+08:00"


def test_a_session_is_booked_and_each_mediator_told(centre, store, joint):
    booked = centre.act(joint.case_id, "schedule_session", ASSISTANT, mediator_ids=["M-CN-1", "M-SL-1"],
                        mode="video", place="吴江区视频调解室2号", lawyer={"name": "周律师", "firm": "江苏某律师事务所"})
    [session] = booked.sessions
    assert (session.starts_at, session.mode.value, session.mediator_ids, session.lawyer.firm) == (
        at(25, 9), "video", ("M-CN-1", "M-SL-1"), "江苏某律师事务所")
    notices = sms(store, joint.case_id, "session_notice")
    assert sorted(n["to"] for n in notices) == ["13900000201", "13900000202"]
    assert "11-25 09:00视频调解" in notices[0]["text"] and "吴江区视频调解室2号" in notices[0]["text"]
    schedules = store.schedules(["M-CN-1", "M-SL-1"])
    assert [[(b.case_id, b.starts_at) for b in s.bookings] for s in schedules.values()] == [
        [(joint.case_id, at(25, 9))]] * 2


@pytest.mark.parametrize(("starts_at", "clashes"), [
    ("2026-11-25T09:00:00+08:00", True), ("2026-11-25T10:59:00+08:00", True), ("2026-11-25T07:01:00+08:00", True),
    ("2026-11-25T11:00:00+08:00", False), ("2026-11-25T07:00:00+08:00", False),  # starts as the other ends
    ("2026-11-25T01:00:00Z", True),  # 09:00 in Shanghai
])
def test_a_mediator_is_in_one_session_at_a_time(centre, joint, starts_at, clashes):
    centre.act(joint.case_id, "schedule_session", MEDIATOR, starts_at=NINE)
    other = centre.case_at(S.ACCEPTED, ref="R-2")
    if clashes:
        with centre.refuses(Conflict) as refused:
            centre.act(other.case_id, "schedule_session", MEDIATOR, starts_at=starts_at)
        assert "M-CN-1" in refused.value.detail
    else:
        assert len(centre.act(other.case_id, "schedule_session", MEDIATOR, starts_at=starts_at).sessions) == 1


def test_a_clash_of_any_mediator_refuses_the_session(centre, joint):
    centre.act(joint.case_id, "schedule_session", MEDIATOR, mediator_ids=["M-SL-1"])
    with centre.refuses(Conflict) as refused:
        centre.act(joint.case_id, "schedule_session", MEDIATOR, mediator_ids=["M-CN-1", "M-SL-1"])
    assert "M-SL-1" in refused.value.detail


@pytest.mark.parametrize(("changes", "field"), [
    ({"starts_at": "2026-11-23T09:00:00+08:00"}, "starts_at"),  # before now (Monday 10:00)
    ({"starts_at": "2028-01-01T09:00:00+08:00"}, "starts_at"),  # beyond a year
    ({"mediator_ids": ["M-WJ-1"]}, "mediator_ids"),  # of an org taking no part
    ({"mediator_ids": ["NOBODY"]}, "mediator_ids"),
    ({"mediator_ids": ["M-CN-1", "M-CN-1"]}, "mediator_ids"),
])
def test_a_session_with_a_wrong_value_is_refused(centre, joint, changes, field):
    with centre.refuses(Unprocessable) as refused:
        centre.act(joint.case_id, "schedule_session", MEDIATOR, **changes)
    assert refused.value.errors[0]["field"] == field


def test_an_inactive_mediator_takes_no_session(centre, directory_store, joint):
    directory_store.update_mediator(directory_store.mediator("M-SL-1"), {"active": False})
    with centre.refuses(Unprocessable):
        centre.act(joint.case_id, "schedule_session", MEDIATOR, mediator_ids=["M-SL-1"])


def test_a_session_needs_an_accepted_case(centre):
    case = centre.case_at(S.DISPATCHED)
    with centre.refuses(Conflict):
        centre.act(case.case_id, "schedule_session", MEDIATOR)


def test_two_overlapping_sessions_booked_at_once_give_one_session(centre, store, joint):
    other = centre.case_at(S.ACCEPTED, ref="R-2")
    store.interleave(lambda: centre.act(other.case_id, "schedule_session", MEDIATOR,
                                        starts_at="2026-11-25T10:00:00+08:00"))
    with pytest.raises(Conflict) as refused:
        centre.act(joint.case_id, "schedule_session", MEDIATOR)
    assert "M-CN-1" in refused.value.detail
    assert (store.get(joint.case_id).sessions, len(store.get(other.case_id).sessions)) == ([], 1)
    assert [b.case_id for b in store.schedules(["M-CN-1"])["M-CN-1"].bookings] == [other.case_id]


def test_a_booking_beaten_by_one_it_does_not_overlap_is_made_on_the_schedule_as_it_now_is(centre, store, joint):
    other = centre.case_at(S.ACCEPTED, ref="R-2")
    store.interleave(lambda: centre.act(other.case_id, "schedule_session", MEDIATOR,
                                        starts_at="2026-11-25T14:00:00+08:00"))
    centre.act(joint.case_id, "schedule_session", MEDIATOR, expected_version=joint.version)
    bookings = store.schedules(["M-CN-1"])["M-CN-1"].bookings
    assert [(b.case_id, b.starts_at) for b in bookings] == [(joint.case_id, at(25, 9)), (other.case_id, at(25, 14))]


def test_the_sessions_of_a_case_that_left_mediation_let_their_mediators_go(centre, store, joint):
    centre.act(joint.case_id, "schedule_session", MEDIATOR)
    centre.act(joint.case_id, "withdraw", MEDIATOR)
    other = centre.case_at(S.ACCEPTED, ref="R-2")
    centre.act(other.case_id, "schedule_session", MEDIATOR)
    assert [b.case_id for b in store.schedules(["M-CN-1"])["M-CN-1"].bookings] == [other.case_id]


def test_sessions_over_are_dropped_from_the_schedule_at_the_next_booking(centre, store, clock, joint):
    centre.act(joint.case_id, "schedule_session", MEDIATOR, starts_at="2026-11-23T14:00:00+08:00")
    clock.set(at(24, 10))
    centre.act(joint.case_id, "schedule_session", MEDIATOR)
    assert [b.starts_at for b in store.schedules(["M-CN-1"])["M-CN-1"].bookings] == [at(25, 9)]


def test_the_reminder_goes_once_from_24_hours_before(centre, store, container, joint):
    centre.act(joint.case_id, "schedule_session", MEDIATOR, mediator_ids=["M-CN-1", "M-SL-1"])
    container.supervision.run(as_of=at(24, 8, 59))
    assert sms(store, joint.case_id, "session_reminder") == []
    container.supervision.run(as_of=at(24, 9))
    container.supervision.run(as_of=at(24, 12))
    reminders = sms(store, joint.case_id, "session_reminder")
    assert sorted(r["to"] for r in reminders) == ["13900000201", "13900000202"]
    assert store.get(joint.case_id).sessions[0].reminder.value == "sent"
    assert centre.event_types(joint.case_id).count("session_reminder") == 1


def test_a_session_first_seen_after_it_started_is_marked_missed_without_sms(centre, store, container, joint):
    centre.act(joint.case_id, "schedule_session", MEDIATOR)
    container.supervision.run(as_of=at(25, 9, 30))
    assert sms(store, joint.case_id, "session_reminder") == []
    assert store.get(joint.case_id).sessions[0].reminder.value == "missed"


def test_a_case_no_longer_accepted_owes_no_reminder(centre, store, container, joint):
    centre.act(joint.case_id, "schedule_session", MEDIATOR)
    centre.act(joint.case_id, "resolve", MEDIATOR)
    container.supervision.run(as_of=at(24, 10))
    assert sms(store, joint.case_id, "session_reminder") == []


# ---------------------------------------------------------------------- sponsorship


@pytest.mark.parametrize("facts", [
    {"risk_indicators": ["group_dispute"]},  # orange
    {"risk_indicators": ["threat_of_violence"]},  # red
    {"risk_indicators": ["long_standing"]},  # yellow, but long-standing
    {"risk_indicators": ["repeated_petition"]},
])
def test_a_district_supervisor_sponsors_a_hard_case(centre, store, facts):
    case = centre.case_at(S.DISPATCHED, **facts)
    sponsored = centre.act(case.case_id, "sponsor", SUPERVISOR)
    assert (sponsored.sponsor.leader_name, sponsored.sponsor.due_on, sponsored.sponsor.sponsored_at) == (
        "李明", dt.date(2026, 12, 20), MONDAY)
    event = store.events(case.case_id)[-1]
    assert (event.type, event.detail["due_on"]) == ("sponsored", "2026-12-20")
    assert "李明" not in str(event.detail) and "13900000301" not in str(event.detail)


def test_a_case_at_supervision_level_2_may_be_sponsored(centre, store):
    case = centre.case_at(S.DISPATCHED)
    stored = store.get(case.case_id)
    stored.supervision_level = 2
    store.save_change(stored, [])
    assert centre.act(case.case_id, "sponsor", ADMIN).sponsor is not None


def test_a_case_with_no_ground_is_not_sponsored(centre):
    case = centre.case_at(S.DISPATCHED)  # blue, nothing marked
    with centre.refuses(Unprocessable) as refused:
        centre.act(case.case_id, "sponsor", SUPERVISOR)
    assert "supervision_level 2" in refused.value.detail


@pytest.mark.parametrize("principal", [TOWN_SUPERVISOR, OTHER_MEDIATOR])  # the orange case is the town's
def test_only_a_district_supervisor_or_an_admin_sponsors(centre, principal):
    case = centre.case_at(S.DISPATCHED, risk_indicators=["group_dispute"])
    with centre.refuses(Forbidden):
        centre.act(case.case_id, "sponsor", principal)


@pytest.mark.parametrize(("changes", "field"), [
    ({"due_on": "2026-11-22"}, "due_on"), ({"due_on": "2027-12-31"}, "due_on")])
def test_a_sponsorship_with_a_wrong_day_is_refused(centre, changes, field):
    case = centre.case_at(S.DISPATCHED, risk_indicators=["group_dispute"])
    with centre.refuses(Unprocessable) as refused:
        centre.act(case.case_id, "sponsor", SUPERVISOR, **changes)
    assert refused.value.errors[0]["field"] == field


def test_the_leader_phone_must_take_sms():
    with pytest.raises(ValueError):
        action("sponsor", leader_phone="051263000000")


def test_the_leader_is_told_once_from_the_day_a_week_before(centre, store, container):
    case = centre.case_at(S.ACCEPTED, risk_indicators=["group_dispute"])
    centre.act(case.case_id, "sponsor", SUPERVISOR, due_on="2026-12-04")
    container.supervision.run(as_of=at(26, 23, 59))
    assert sms(store, case.case_id, "sponsor_due") == []
    container.supervision.run(as_of=at(27, 0))
    container.supervision.run(as_of=at(27, 9))
    [notice] = sms(store, case.case_id, "sponsor_due")
    assert notice["to"] == "13900000301" and "2026-12-04前化解" in notice["text"]
    assert centre.event_types(case.case_id).count("sponsor_due") == 1


def test_a_sponsored_case_waiting_to_be_routed_is_told_too(centre, store, container):
    case = centre.case_at(S.RECEIVED, risk_indicators=["group_dispute"])
    centre.act(case.case_id, "sponsor", SUPERVISOR, due_on="2026-11-25")  # within the week: due at once
    container.supervision.run(as_of=at(23, 10, 1))
    assert len(sms(store, case.case_id, "sponsor_due")) == 1


def test_a_closed_case_tells_the_leader_nothing(centre, store, container):
    case = centre.case_at(S.ACCEPTED, risk_indicators=["group_dispute"])
    centre.act(case.case_id, "sponsor", SUPERVISOR, due_on="2026-12-04")
    centre.act(case.case_id, "fail", ADMIN)
    container.supervision.run(as_of=at(28, 9))
    assert sms(store, case.case_id, "sponsor_due") == []


def test_a_new_sponsor_replaces_the_one_before_and_is_told_afresh(centre, store, container):
    case = centre.case_at(S.ACCEPTED, risk_indicators=["group_dispute"])
    centre.act(case.case_id, "sponsor", SUPERVISOR, due_on="2026-11-25")
    container.supervision.run(as_of=at(23, 11))
    centre.act(case.case_id, "sponsor", ADMIN, leader_name="陈刚", leader_phone="13900000302", due_on="2026-11-26")
    container.supervision.run(as_of=at(23, 12))
    assert [n["to"] for n in sms(store, case.case_id, "sponsor_due")] == ["13900000301", "13900000302"]
    second = [event for event in store.events(case.case_id) if event.type == "sponsored"][-1]
    assert second.detail["replaces"] == "吴江区副区长"


def test_an_assisting_mediators_list_carries_the_cases_their_org_assists_in(centre, joint):
    from chalicelib.services.commands import CaseFilters

    own = centre.case_at(S.DISPATCHED, ref="R-2", risk_indicators=["group_dispute"])  # the town org's own
    listed, _ = centre.services.queries.list(CaseFilters(), ASSISTANT)
    assert {case.case_id for case in listed} == {joint.case_id, own.case_id}
    listed, _ = centre.services.queries.list(CaseFilters(status="dispatched"), ASSISTANT)
    assert [case.case_id for case in listed] == [own.case_id]


def test_a_far_future_or_ancient_start_is_refused_before_anything_is_read(centre, joint):
    centre.act(joint.case_id, "schedule_session", MEDIATOR)  # M-CN-1 has a booking to compare with
    for starts_at in ("9999-12-31T23:00:00+00:00", "0001-01-01T00:00:00+00:00"):
        with centre.refuses(Unprocessable) as refused:
            centre.act(joint.case_id, "schedule_session", MEDIATOR, starts_at=starts_at)
        assert refused.value.errors[0]["field"] == "starts_at"


def test_a_session_called_off_by_an_escalation_frees_its_mediator_and_is_not_reminded(centre, store, container):
    case = centre.case_at(S.ACCEPTED)
    centre.act(case.case_id, "schedule_session", MEDIATOR)
    centre.act(case.case_id, "escalate", MEDIATOR)
    other = centre.case_at(S.ACCEPTED, ref="R-2", parties=[{"role": "applicant", "name": "钱七"}])
    centre.act(other.case_id, "schedule_session", MEDIATOR)  # the same two hours of M-CN-1
    assert [b.case_id for b in store.schedules(["M-CN-1"])["M-CN-1"].bookings] == [other.case_id]
    container.supervision.run(as_of=at(24, 9))
    assert sms(store, case.case_id, "session_reminder") == []
    assert len(sms(store, other.case_id, "session_reminder")) == 1


def test_a_partner_reads_the_session_sms_with_numbers_masked(centre, store, joint):
    from chalicelib.api.views import notification_view

    centre.act(joint.case_id, "schedule_session", MEDIATOR, place="电13912345678")  # 12 characters: the place's longest
    [record] = sms(store, joint.case_id, "session_notice")
    assert "139****5678" in notification_view(record, in_full=False)["text"]
    assert "13912345678" in notification_view(record)["text"]


def test_a_case_routed_back_to_its_mediator_books_the_hour_its_called_off_session_held(centre, store):
    case = centre.case_at(S.ACCEPTED)
    centre.act(case.case_id, "add_participant", SUPERVISOR)
    centre.act(case.case_id, "schedule_session", MEDIATOR, mediator_ids=["M-SL-1"])
    centre.act(case.case_id, "escalate", MEDIATOR)  # to the town: T-SL leads, M-SL-1 mediates
    assert centre.services.routing.route(case.case_id) == "dispatched"
    centre.act(case.case_id, "accept", ASSISTANT)
    booked = centre.act(case.case_id, "schedule_session", ASSISTANT, mediator_ids=["M-SL-1"])
    assert [s.cancelled_at is None for s in booked.sessions] == [False, True]
    assert [b.session_id for b in store.schedules(["M-SL-1"])["M-SL-1"].bookings] == [booked.sessions[1].session_id]
    with centre.refuses(Conflict):  # its live session still holds the hour
        centre.act(case.case_id, "schedule_session", ASSISTANT, mediator_ids=["M-SL-1"])
