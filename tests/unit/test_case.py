"""domain/case.py: the Case aggregate. Its status table against the contract (§3, §5), and
each transition method: the rule it checks, what it changes, and the Outcome it returns
(events, notices, letters, mediator load, whether to re-route or call the partner back)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain.calendar import LIBRARY_CALENDAR as CAL
from chalicelib.domain.calendar import WorkingCalendar, YearCalendar, rfc3339
from chalicelib.domain.case import (
    TRANSITIONS, Case, InvalidTransition, InvalidValue, MergedSource, Outcome, Party, RuleBroken)
from chalicelib.domain.deadlines import SupervisionStep
from chalicelib.domain.enums import CaseStatus as S
from chalicelib.domain.enums import (
    CategorySource, Category, Channel, ExtensionDecision, ExtensionStatus, MediationType, Referral, RiskIndicator,
    RiskLevel, SessionMode, SuspensionReason, Tier, TransferTarget)
from chalicelib.domain.judicial import JudicialStep
from chalicelib.domain.notices import NoticeKind, Recipient
from chalicelib.domain.routing import MediatorCandidate, OrgCandidate, RouteDecision, Unroutable
from chalicelib.domain.sessions import SessionRequest
from chalicelib.domain.supervision import SELF_HEAL_DELAY, due_steps, next_check_at

NON_TERMINAL = {S.RECEIVED, S.DISPATCHED, S.ACCEPTED, S.RESOLVED, S.UNRESOLVED}
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
"""A working Monday morning."""
ACTOR = "mediator:M-CN-1"
SUPERVISOR = "supervisor:320509"
ADMIN_ACTOR = "admin:root"

# change → (statuses it may be taken from, status it leads to (None keeps it), timeline event)
EXPECTED = {
    "dispatch": ({S.RECEIVED}, S.DISPATCHED, "dispatched"),
    "unroutable": ({S.RECEIVED}, None, "unroutable"),
    "accept": ({S.DISPATCHED}, S.ACCEPTED, "accepted"),
    "decline": ({S.DISPATCHED}, S.RECEIVED, "declined"),  # routed again
    "escalate": ({S.DISPATCHED, S.ACCEPTED}, S.RECEIVED, "escalated"),  # routed again one tier up
    "supervise": ({S.DISPATCHED, S.ACCEPTED}, None, "supervision"),
    "note": (NON_TERMINAL, None, "note"),
    "resolve": ({S.ACCEPTED}, S.RESOLVED, "resolved"),
    "fail": ({S.ACCEPTED}, S.UNRESOLVED, "unresolved"),
    "visit": ({S.RESOLVED}, None, "visited"),
    "visit_notice": ({S.RESOLVED}, None, "visit_notice"),
    "close": ({S.RESOLVED, S.UNRESOLVED}, S.CLOSED, "closed"),
    "withdraw": ({S.RECEIVED, S.DISPATCHED, S.ACCEPTED}, S.WITHDRAWN, "withdrawn"),
    "request_extension": ({S.ACCEPTED}, None, "extension_requested"),  # §11
    "decide_extension": ({S.ACCEPTED}, None, "extension_decided"),
    "suspend": ({S.ACCEPTED}, None, "suspended"),
    "resume": ({S.ACCEPTED}, None, "resumed"),
    "merge": ({S.RECEIVED, S.DISPATCHED, S.ACCEPTED}, S.MERGED, "merged"),  # §12
    "absorb": ({S.RECEIVED, S.DISPATCHED, S.ACCEPTED}, None, "merged_in"),  # the merge's target
    "transfer": ({S.RECEIVED, S.DISPATCHED, S.ACCEPTED}, S.TRANSFERRED, "transferred"),  # §15
    "judicial_confirmation": ({S.RESOLVED, S.CLOSED}, None, "judicial_confirmation"),  # §14
    "judicial_sweep": ({S.RESOLVED, S.CLOSED}, None, "judicial_confirmation"),
    "evaluate": ({S.RESOLVED, S.UNRESOLVED, S.CLOSED}, None, "self_evaluation"),  # §14 当事人评价
    "add_participant": ({S.RECEIVED, S.DISPATCHED, S.ACCEPTED}, None, "participant_added"),  # §15 联合调解
    "schedule_session": ({S.ACCEPTED}, None, "session_scheduled"),
    "session_reminder": ({S.ACCEPTED}, None, "session_reminder"),
    "sponsor": ({S.RECEIVED, S.DISPATCHED, S.ACCEPTED}, None, "sponsored"),  # 领导包案
    "sponsor_notice": ({S.RECEIVED, S.DISPATCHED, S.ACCEPTED}, None, "sponsor_due"),
    "anonymise": ({S.CLOSED, S.WITHDRAWN, S.MERGED, S.TRANSFERRED}, None, "anonymised"),  # §16 retention
    "retention_hold": (set(S), None, "retention_hold"),
}

VILLAGE_ORG = OrgCandidate("V-CN", "城南社区人民调解委员会", "320509102001", Tier.VILLAGE, MediationType.PEOPLE, (),
                           "13900000101")
MEDIATOR = MediatorCandidate("M-CN-1", "V-CN", ("neighbor",), True, 0)
DECISION = RouteDecision(Tier.VILLAGE, VILLAGE_ORG, MEDIATOR, "village org V-CN", (Tier.VILLAGE,))


def make_case(status: S, **fields) -> Case:
    case = Case(
        case_id="HW20261122TEST0001", owner="demo-12345", external_ref="R-1", partner_id="demo-12345",
        channel=Channel.HOTLINE_12345, title="楼上漏水", description="漏水", region_code="320509102001",
        address=None, parties=[Party("applicant", "张三")], party_count=1, amount_cny=None, risk_indicators=[],
        category=Category.NEIGHBOR, category_source=CategorySource.PARTNER, risk_level=RiskLevel.BLUE,
        received_at=dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc), request_hash="h", status=status,
    )
    return dataclasses.replace(case, **fields)


def dispatched(**fields) -> Case:
    case = make_case(S.RECEIVED, **fields)
    case.dispatch(DECISION, MONDAY, CAL)
    return case


def accepted(**fields) -> Case:
    case = dispatched(**fields)
    case.accept(MONDAY + dt.timedelta(hours=1), ACTOR, CAL)
    return case


def resolved(**fields) -> Case:
    case = accepted(**fields)
    case.resolve("双方达成协议", dt.date(2026, 12, 1), MONDAY + dt.timedelta(hours=2), ACTOR, CAL)
    return case


def at_status(status: S) -> Case:
    """A case brought to `status` through its own methods (or made so, for the terminal ones)."""
    return {S.RECEIVED: lambda: make_case(S.RECEIVED), S.DISPATCHED: dispatched, S.ACCEPTED: accepted,
            S.RESOLVED: resolved}.get(status, lambda: make_case(
                status, org_id="V-CN", mediator_id="M-CN-1", tier=Tier.VILLAGE, concluded_at=MONDAY,
                agreement={"summary": "协议", "performance_due": "2026-12-01"} if status is S.CLOSED else None))()


def visited(case: Case) -> Case:
    """The case with every planned visit done and found good (what closing a resolved case needs)."""
    if case.status is S.RESOLVED:
        case.record_visit("yes", GOOD_SCORES, None, MONDAY, ACTOR)
    return case


GOOD_SCORES = {"attitude": "satisfied", "process": "satisfied", "effect": "satisfied"}
BAD_SCORES = {"attitude": "satisfied", "process": "dissatisfied", "effect": "satisfied"}

CALLS = {
    "dispatch": lambda case, now: case.dispatch(DECISION, now, CAL),
    "unroutable": lambda case, now: case.record_unroutable(Unroutable((Tier.VILLAGE,), "nobody"), now),
    "accept": lambda case, now: case.accept(now, ACTOR, CAL),
    "decline": lambda case, now: case.decline("不属本社区", now, ACTOR),
    "escalate": lambda case, now: case.escalate("案情复杂", now, ACTOR),
    "supervise": lambda case, now: case.take_step(SupervisionStep.REMINDER, now),
    "note": lambda case, now: case.add_note("已电话联系", now, ACTOR),
    "resolve": lambda case, now: case.resolve("协议", dt.date(2026, 12, 31), now, ACTOR, CAL),
    "fail": lambda case, now: case.fail(Referral.LITIGATION, "一方拒绝", now, ACTOR, CAL),
    "visit": lambda case, now: case.record_visit("yes", GOOD_SCORES, None, now, ACTOR),
    "visit_notice": lambda case, now: case.send_visit_notices(now + dt.timedelta(days=60)),
    "close": lambda case, now: visited(case).close(now, ACTOR),
    "withdraw": lambda case, now: case.withdraw("和解", now, ACTOR),
    "request_extension": lambda case, now: case.request_extension(3, "等待鉴定", now, ACTOR),
    "decide_extension": lambda case, now: requested(case, now).decide_extension(
        ExtensionDecision.APPROVE, "同意", now, SUPERVISOR, CAL),
    "suspend": lambda case, now: case.suspend(SuspensionReason.APPRAISAL, "等待鉴定", dt.date(2026, 11, 30), now, ACTOR),
    "resume": lambda case, now: suspended(case, now).resume(now, ACTOR, CAL),
    "merge": lambda case, now: case.merge_into(other_case(), "同一纠纷", now, ACTOR)[0],
    "absorb": lambda case, now: other_case().merge_into(case, "同一纠纷", now, ACTOR)[1],
    "transfer": lambda case, now: case.transfer_to(TransferTarget.COURT, "吴江区人民法院", "涉诉事项", now, ACTOR),
    "judicial_confirmation": lambda case, now: case.judicial_confirmation(JudicialStep.INTEND, now, ACTOR),
    "judicial_sweep": lambda case, now: case.send_judicial_notices(now + dt.timedelta(days=40)),
    "evaluate": lambda case, now: case.record_self_evaluation(GOOD_SCORES, None, now),
    "add_participant": lambda case, now: case.add_participant("T-SL", True, True, "跨村纠纷", now, SUPERVISOR),
    "schedule_session": lambda case, now: case.schedule_session(session_request(now), now, ACTOR),
    "session_reminder": lambda case, now: booked(case, now).send_sweep_notices(now + dt.timedelta(hours=7)),
    "sponsor": lambda case, now: orange(case).sponsor_by(*SPONSOR, now, SUPERVISOR),
    "sponsor_notice": lambda case, now: sponsored(case, now).send_sweep_notices(now + dt.timedelta(days=30)),
    "anonymise": lambda case, now: case.anonymise(now),
    "retention_hold": lambda case, now: case.set_retention_hold(True, now, ADMIN_ACTOR),
}

SPONSOR = ("李明", "吴江区副区长", "13900000301", dt.date(2026, 12, 20))


def session_request(now: dt.datetime, **fields) -> SessionRequest:
    """A session of the village mediator 30 hours after `now`, with nothing else booked."""
    values = dict(starts_at=now + dt.timedelta(hours=30), mode=SessionMode.ONSITE, place="城南社区调解室",
                  mediator_ids=("M-CN-1",), lawyer=None, mediator_orgs={"M-CN-1": "V-CN"})
    return SessionRequest(**{**values, **fields})


def booked(case: Case, now: dt.datetime) -> Case:
    """The case with a session booked 30 hours after `now`, where its status allows one."""
    if case.allows("schedule_session"):
        case.schedule_session(session_request(now), now, ACTOR)
    return case


def orange(case: Case) -> Case:
    """The case graded orange (a ground for sponsorship), where it is open (a closed one stays as it was)."""
    if case.is_open:
        case.risk_level = RiskLevel.ORANGE
    return case


def sponsored(case: Case, now: dt.datetime) -> Case:
    """The case sponsored by a leader, where its status allows it."""
    if case.allows("sponsor"):
        orange(case).sponsor_by(*SPONSOR, now, SUPERVISOR)
    return case


def other_case(**fields) -> Case:
    """Another open case of the same dispute, filed by 110."""
    return make_case(S.RECEIVED, case_id="HW20261122TEST0002", external_ref="110-1", partner_id="demo-110",
                     **fields)


def requested(case: Case, now: dt.datetime) -> Case:
    """The case with an extension request pending, where its status allows one."""
    if case.allows("request_extension"):
        case.request_extension(3, "等待鉴定", now, ACTOR)
    return case


def suspended(case: Case, now: dt.datetime) -> Case:
    """The case suspended until next Monday, where its status allows it."""
    if case.allows("suspend"):
        case.suspend(SuspensionReason.APPRAISAL, "等待鉴定", dt.date(2026, 11, 30), now, ACTOR)
    return case


def test_the_table_is_the_contract():
    assert set(TRANSITIONS) == set(EXPECTED) == set(CALLS)
    for action, (sources, target, event) in EXPECTED.items():
        assert (set(TRANSITIONS[action].sources), TRANSITIONS[action].target, TRANSITIONS[action].event) == (
            sources, target, event), action


ALLOWED = [(action, status) for action, (sources, _, _) in EXPECTED.items() for status in sorted(sources)]
REFUSED = [(action, status) for action, (sources, _, _) in EXPECTED.items() for status in S if status not in sources]
LATER = MONDAY + dt.timedelta(hours=3)


@pytest.mark.parametrize(("action", "status"), ALLOWED, ids=lambda v: str(v))
def test_allowed_changes_move_to_the_target_and_write_their_event(action, status):
    case = at_status(status)
    outcome = CALLS[action](case, LATER)
    assert case.status is (EXPECTED[action][1] or status)
    assert outcome.events[-1].type == EXPECTED[action][2]
    assert outcome.status_changed is (case.status is not status)


SWEEP_ONLY = ("visit_notice", "absorb", "judicial_sweep", "session_reminder", "sponsor_notice")
"""Changes a sweep (or the other case of a merge) makes only where the status allows them: they never raise."""


@pytest.mark.parametrize(("action", "status"), [r for r in REFUSED if r[0] not in SWEEP_ONLY],
                         ids=lambda v: str(v))
def test_refused_changes_raise_and_leave_the_case_as_it_was(action, status):
    case = at_status(status)
    before = dataclasses.replace(case)
    with pytest.raises(InvalidTransition) as caught:
        CALLS[action](case, LATER)
    assert case == before
    assert (caught.value.action, caught.value.status) == (action, status)
    assert str(caught.value) == f"cannot {action} a case that is {status.value}"


# ------------------------------------------------------------------- routing

def test_dispatch_assigns_starts_both_deadlines_and_notifies_the_mediator():
    case = make_case(S.RECEIVED, route_retry_at=MONDAY, unroutable_attempts=2)
    outcome = case.dispatch(DECISION, MONDAY, CAL)
    assert (case.tier, case.org_id, case.mediator_id, case.mediation_type) == (
        Tier.VILLAGE, "V-CN", "M-CN-1", MediationType.PEOPLE)
    assert case.accept_due_at == MONDAY + dt.timedelta(hours=24)
    assert case.resolve_due_at.isoformat().endswith("23:59:59+08:00")
    assert (case.route_retry_at, case.unroutable_attempts, case.dispatched_at) == (None, 0, MONDAY)
    assert [e.type for e in outcome.events] == ["routed", "dispatched"]
    assert [(n.kind, n.recipient, n.mediator_id, n.due) for n in outcome.notices] == [
        (NoticeKind.DISPATCH, Recipient.MEDIATOR, "M-CN-1", case.accept_due_at)]
    assert outcome.mediator_load == {"M-CN-1": 1}
    assert outcome.status_changed and not outcome.reroute


def test_a_red_case_dispatch_also_alerts_the_org_head():
    case = make_case(S.RECEIVED, risk_level=RiskLevel.RED)
    notices = case.dispatch(DECISION, MONDAY, CAL).notices
    assert [(n.kind, n.recipient, n.org_id) for n in notices] == [
        (NoticeKind.DISPATCH, Recipient.MEDIATOR, "V-CN"), (NoticeKind.RED_ALERT, Recipient.ORG_HEAD, "V-CN")]
    assert case.accept_due_at == MONDAY + dt.timedelta(hours=1)


def test_unroutable_sets_the_next_try_and_counts_it():
    case = make_case(S.RECEIVED)
    outcome = case.record_unroutable(Unroutable((Tier.VILLAGE, Tier.TOWN), "no org"), case.received_at)
    assert case.route_retry_at == case.received_at + SELF_HEAL_DELAY and case.unroutable_attempts == 1
    assert outcome.events[0].detail == {"reason": "no org", "tiers_tried": ["village", "town"],
                                        "retry_at": case.route_retry_at.isoformat()}
    assert not outcome.status_changed and not outcome.notices


# ------------------------------------------------------------- staff actions

def test_accept_moves_supervision_to_the_resolve_deadline():
    case = dispatched(supervision_steps=[], overdue=False)
    case.take_step(SupervisionStep.REMINDER, MONDAY + dt.timedelta(hours=12))
    outcome = case.accept(MONDAY + dt.timedelta(hours=13), ACTOR, CAL)
    assert (case.accepted_at, case.supervision_steps, case.overdue) == (MONDAY + dt.timedelta(hours=13), [], False)
    assert outcome.events[0].detail == {"mediator_id": "M-CN-1"} and outcome.mediator_load == {}


def test_decline_unassigns_remembers_the_org_and_asks_for_routing():
    case = dispatched()
    outcome = case.decline("不属本社区", LATER, ACTOR)
    assert (case.status, case.org_id, case.mediator_id, case.accept_due_at) == (S.RECEIVED, None, None, None)
    assert case.declined_org_ids == ["V-CN"] and case.route_retry_at == LATER + SELF_HEAL_DELAY
    assert outcome.events[0].detail == {"reason": "不属本社区", "org_id": "V-CN"}
    assert outcome.reroute and outcome.mediator_load == {"M-CN-1": -1}


def test_escalate_sets_the_floor_one_tier_up_and_is_refused_at_district_level():
    case = accepted()
    outcome = case.escalate("案情复杂", LATER, ACTOR)
    assert (case.status, case.route_floor) == (S.RECEIVED, Tier.TOWN)
    assert outcome.events[0].detail == {"reason": "案情复杂", "from_tier": "village", "to_tier": "town",
                                        "org_id": "V-CN"}
    assert outcome.reroute and outcome.mediator_load == {"M-CN-1": -1}
    top = make_case(S.ACCEPTED, tier=Tier.DISTRICT, org_id="D-WJ", mediator_id="M-WJ-1")
    before = dataclasses.replace(top)
    with pytest.raises(RuleBroken, match="already at district level"):
        top.escalate("再上报", LATER, ACTOR)
    assert top == before


def test_resolve_plans_the_visits_and_refuses_a_date_in_the_past_or_past_ten_years():
    case = accepted()
    outcome = case.resolve("双方达成协议", dt.date(2026, 12, 1), LATER, ACTOR, CAL)
    assert case.agreement == {"summary": "双方达成协议", "performance_due": "2026-12-01", "effective_on": "2026-11-23"}
    assert [v["due_on"] for v in case.return_visits] == ["2026-12-31"]  # a neighbour case: one visit, 30 days on
    assert case.concluded_at == LATER and outcome.events[0].detail["return_visits"] == ["2026-12-31"]
    for due, message in ((dt.date(2026, 11, 22), "must not be before today"),
                         (dt.date(2036, 12, 31), "must be within ten years of today")):
        other = accepted()
        with pytest.raises(InvalidValue) as caught:
            other.resolve("x", due, LATER, ACTOR, CAL)
        assert (caught.value.field, caught.value.message) == ("agreement.performance_due", message)
        assert other.status is S.ACCEPTED and other.agreement is None


def test_resolve_records_the_agreements_facts_terms_and_performance_and_the_day_it_took_effect():
    case = accepted()
    outcome = case.resolve("赔偿并修复", dt.date(2026, 12, 31), LATER, ACTOR, CAL, facts="楼上漏水，双方就赔偿金额争执",
                           terms=["李四赔偿张三2000元", "李四于12月20日前修复防水"], performance_method="银行转账",
                           performance_place="城南社区调解室", effective_on=dt.date(2026, 11, 20))
    assert case.agreement == {
        "summary": "赔偿并修复", "performance_due": "2026-12-31", "facts": "楼上漏水，双方就赔偿金额争执",
        "terms": ["李四赔偿张三2000元", "李四于12月20日前修复防水"], "performance_method": "银行转账",
        "performance_place": "城南社区调解室", "effective_on": "2026-11-20"}
    assert outcome.events[-1].detail["agreement"] == case.agreement


def test_an_agreement_takes_effect_on_the_shanghai_day_of_resolve_unless_it_says_otherwise():
    case = accepted()
    late_sunday_utc = dt.datetime(2026, 11, 29, 17, 30, tzinfo=dt.timezone.utc)  # Monday 30th, 01:30 in Shanghai
    case.resolve("协议", dt.date(2026, 12, 31), late_sunday_utc, ACTOR, CAL, terms=["一"])
    assert case.agreement == {"summary": "协议", "performance_due": "2026-12-31", "terms": ["一"],
                              "effective_on": "2026-11-30"}


@pytest.mark.parametrize(("effective_on", "accepted_or_message"), [
    (dt.date(2026, 11, 23), None),  # today (LATER is Monday 23 November)
    (dt.date(2026, 9, 24), None),  # 60 days before
    (dt.date(2026, 9, 23), "must be within 60 days before today"),
    (dt.date(2026, 11, 24), "must not be after today"),
])
def test_an_agreement_took_effect_at_most_60_days_before_resolve_and_not_after(effective_on, accepted_or_message):
    case = accepted()
    before = dataclasses.replace(case)
    if accepted_or_message is None:
        case.resolve("协议", dt.date(2026, 12, 31), LATER, ACTOR, CAL, effective_on=effective_on)
        assert case.agreement["effective_on"] == effective_on.isoformat()
        return
    with pytest.raises(InvalidValue) as caught:
        case.resolve("协议", dt.date(2026, 12, 31), LATER, ACTOR, CAL, effective_on=effective_on)
    assert (caught.value.field, caught.value.message) == ("agreement.effective_on", accepted_or_message)
    assert case == before


def test_fail_records_the_referral():
    case = accepted()
    outcome = case.fail(Referral.ARBITRATION, "一方拒绝调解", LATER, ACTOR, CAL)
    assert case.referral == {"channel": "arbitration", "reason": "一方拒绝调解"} and case.concluded_at == LATER
    assert outcome.events[0].detail == {"referral": case.referral} and outcome.mediator_load == {"M-CN-1": -1}


def test_a_good_visit_clears_and_a_bad_one_calls_for_rectification_with_a_follow_up():
    case = resolved()
    outcome = case.record_visit("partial", BAD_SCORES, "部分履行", LATER, ACTOR)
    assert case.rectification_required is True
    assert [(n.kind, n.recipient, n.org_id) for n in outcome.notices] == [
        (NoticeKind.RECTIFICATION, Recipient.ORG_HEAD, "V-CN")]
    assert outcome.events[0].detail["follow_up_visit"] == {"seq": 2, "due_on": "2026-12-08"}  # 15 days on
    with pytest.raises(RuleBroken, match="every planned return visit must be done"):
        case.close(LATER, ACTOR)  # the follow-up is open
    outcome = case.record_visit("yes", GOOD_SCORES, None, LATER, ACTOR)
    assert case.rectification_required is False and not outcome.notices
    with pytest.raises(RuleBroken, match="no planned return visit is open"):
        case.record_visit("yes", GOOD_SCORES, None, LATER, ACTOR)
    case.close(LATER, ACTOR)
    assert (case.status, case.closed_at) == (S.CLOSED, LATER)


def test_close_waits_until_a_later_visit_clears_a_pending_rectification():
    case = resolved(category=Category.MARRIAGE_FAMILY)  # visits at 7, 30 and 90 days
    case.record_visit("no", GOOD_SCORES, None, LATER, ACTOR)
    case.return_visits[1]["done_at"] = case.return_visits[2]["done_at"] = LATER.isoformat()
    with pytest.raises(RuleBroken, match="rectification is pending"):
        case.close(LATER, ACTOR)
    assert case.status is S.RESOLVED


def test_close_waits_for_every_planned_visit():
    case = resolved()
    with pytest.raises(RuleBroken, match="every planned return visit must be done"):
        case.close(LATER, ACTOR)
    assert case.status is S.RESOLVED


def test_withdraw_closes_an_open_case_and_frees_its_mediator():
    case = dispatched()
    outcome = case.withdraw("双方和解", LATER, ACTOR)
    assert (case.status, case.closed_at) == (S.WITHDRAWN, LATER)
    assert outcome.mediator_load == {"M-CN-1": -1} and outcome.status_changed


def test_a_note_changes_nothing_but_the_timeline():
    case = accepted()
    before = dataclasses.replace(case)
    outcome = case.add_note("已电话联系双方", LATER, ACTOR)
    assert case == before
    assert (outcome.events[0].type, outcome.events[0].actor, outcome.events[0].detail) == (
        "note", ACTOR, {"text": "已电话联系双方"})


def test_the_happy_path_end_to_end():
    case = make_case(S.RECEIVED)
    case.dispatch(DECISION, MONDAY, CAL)
    case.accept(MONDAY, ACTOR, CAL)
    case.add_note("调解中", MONDAY, ACTOR)
    case.resolve("协议", dt.date(2026, 12, 1), MONDAY, ACTOR, CAL)
    case.record_visit("yes", GOOD_SCORES, None, MONDAY, ACTOR)
    case.close(MONDAY, ACTOR)
    assert case.status is S.CLOSED and not case.is_open


# ---------------------------------------------------------------- the sweeps

def test_the_ladder_steps_each_once_with_their_notices_and_the_letter():
    case = dispatched()
    due = case.accept_due_at
    reminder = case.take_step(SupervisionStep.REMINDER, due - dt.timedelta(hours=12))
    assert [(n.kind, n.recipient) for n in reminder.notices] == [(NoticeKind.REMINDER, Recipient.MEDIATOR)]
    overdue = case.take_step(SupervisionStep.OVERDUE, due + dt.timedelta(seconds=1))
    assert case.overdue and case.supervision_level == 1 and overdue.notices[0].kind is NoticeKind.OVERDUE
    letter_at = dt.datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI)
    step = case.take_step(SupervisionStep.SUPERVISION_LETTER, letter_at, org_name="城南社区人民调解委员会")
    (letter,) = step.letters
    assert letter.number == "督办〔2026〕1126-TEST0001-A" and letter.date == dt.date(2026, 11, 26)
    assert (letter.addressee_org_id, letter.addressee_org_name, letter.deadline, letter.supervision_level) == (
        "V-CN", "城南社区人民调解委员会", "accept", 2)
    assert step.events[0].detail["letter_number"] == letter.number
    assert [(n.kind, n.recipient) for n in step.notices] == [(NoticeKind.SUPERVISION_LETTER, Recipient.ORG_HEAD)]
    with pytest.raises(RuleBroken):
        case.take_step(SupervisionStep.REMINDER, letter_at)  # once per deadline
    escalation = case.take_step(SupervisionStep.ESCALATION, letter_at + dt.timedelta(days=3))
    assert (case.status, case.route_floor, case.supervision_level, case.org_id) == (S.RECEIVED, Tier.TOWN, 3, None)
    assert escalation.events[0].detail["listed"] is True and escalation.events[0].detail["to_tier"] == "town"
    assert escalation.reroute and escalation.status_changed and escalation.mediator_load == {"M-CN-1": -1}
    assert escalation.notices[0].kind is NoticeKind.ESCALATED and escalation.notices[0].org_id == "V-CN"


def test_escalation_at_district_level_lists_the_case_and_keeps_it():
    case = make_case(S.RECEIVED, party_count=12)
    case.dispatch(RouteDecision(Tier.DISTRICT, dataclasses.replace(VILLAGE_ORG, tier=Tier.DISTRICT), MEDIATOR, "",
                                (Tier.DISTRICT,)), MONDAY, CAL)
    outcome = case.take_step(SupervisionStep.ESCALATION, MONDAY + dt.timedelta(days=9))
    assert case.status is S.DISPATCHED and outcome.events[0].detail["listed"] is True
    assert not outcome.reroute and not outcome.notices and outcome.mediator_load == {}


@pytest.mark.parametrize("status", sorted(set(S) - {S.RESOLVED}))
def test_a_case_no_longer_resolved_owes_no_visit_notice(status):
    """The sweep may read a stale copy from the index; re-read, the case owes nothing."""
    case = at_status(status)
    before = dataclasses.replace(case)
    assert case.send_visit_notices(LATER + dt.timedelta(days=60)) == Outcome()
    assert case == before


def test_visit_notices_are_owed_once_each_to_the_mediator_then_the_org_head():
    case = resolved()  # one visit due 2026-12-31
    assert case.send_visit_notices(dt.datetime(2026, 12, 27, 9, tzinfo=SHANGHAI)).notices == []
    due = case.send_visit_notices(dt.datetime(2026, 12, 28, 9, tzinfo=SHANGHAI))
    assert [(n.kind, n.recipient, n.mediator_id) for n in due.notices] == [
        (NoticeKind.VISIT_DUE, Recipient.MEDIATOR, "M-CN-1")]
    assert due.events[0].detail == {"kind": "visit_due", "seq": 1, "due_on": "2026-12-31", "to": "mediator"}
    assert case.send_visit_notices(dt.datetime(2026, 12, 29, 9, tzinfo=SHANGHAI)).notices == []
    late = case.send_visit_notices(dt.datetime(2027, 1, 1, 9, tzinfo=SHANGHAI))
    assert [(n.kind, n.recipient) for n in late.notices] == [(NoticeKind.VISIT_OVERDUE, Recipient.ORG_HEAD)]


def test_outcomes_merge_their_parts_and_net_the_load():
    first = Outcome(mediator_load={"M-1": -1}, reroute=True)
    second = Outcome(mediator_load={"M-1": 1, "M-2": 1}, status_changed=True)
    merged = first.merge(second)
    assert (merged.mediator_load, merged.reroute, merged.status_changed) == ({"M-2": 1}, True, True)


# ------------------------------------------- extensions and suspension (§11)
# A blue case dispatched on MONDAY (2026-11-23) 09:00 and accepted an hour later: its resolve
# deadline is the end of the 15th working day after the dispatch day, Monday 2026-12-14.

DEC_14_END = dt.datetime(2026, 12, 14, 23, 59, 59, tzinfo=SHANGHAI)


def end_of(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 23, 59, 59, tzinfo=SHANGHAI)


def due_at(deadline: dt.datetime) -> Case:
    """An accepted case whose resolve deadline is `deadline` (as if dispatched earlier)."""
    case = accepted()
    case.resolve_due_at = deadline
    return case


def test_the_resolve_deadline_of_the_cases_below():
    assert accepted().resolve_due_at == DEC_14_END


@pytest.mark.parametrize(("risk", "cap"), [(RiskLevel.RED, 2), (RiskLevel.ORANGE, 4), (RiskLevel.YELLOW, 8),
                                           (RiskLevel.BLUE, 8)])
def test_an_extension_asks_for_one_to_the_cap_of_the_risk_level(risk, cap):
    for refused in (0, -1, cap + 1):
        case = accepted(risk_level=risk)
        before = dataclasses.replace(case)
        with pytest.raises(InvalidValue) as caught:
            case.request_extension(refused, "等待鉴定", LATER, ACTOR)
        assert caught.value.field == "working_days" and str(cap) in caught.value.message
        assert case == before
    case = accepted(risk_level=risk)
    outcome = case.request_extension(cap, "等待鉴定", LATER, ACTOR)
    assert (case.extension.status, case.extension.working_days, case.extension.requested_at) == (
        ExtensionStatus.PENDING, cap, LATER)
    assert outcome.events[0].detail == {"working_days": cap, "reason": "等待鉴定",
                                        "resolve_due_at": rfc3339(case.resolve_due_at)}
    assert not outcome.notices and outcome.deadline_changed is None


def approved(working_days: int = 5, at: dt.datetime = LATER, calendar=CAL) -> Case:
    case = accepted()
    case.request_extension(working_days, "等待鉴定", at, ACTOR)
    case.decide_extension(ExtensionDecision.APPROVE, "同意", at, SUPERVISOR, calendar)
    return case


@pytest.mark.parametrize(("prepare", "message"), [
    (lambda case: case.request_extension(2, "鉴定", LATER, ACTOR), "already pending"),
    (lambda case: (case.request_extension(2, "鉴定", LATER, ACTOR),
                   case.decide_extension(ExtensionDecision.APPROVE, None, LATER, SUPERVISOR, CAL)),
     "already approved"),
    (lambda case: None, "deadline has passed"),  # asked a second after the deadline
])
def test_an_extension_is_refused_while_one_is_pending_once_approved_and_after_the_deadline(prepare, message):
    case = accepted()
    prepare(case)
    before = dataclasses.replace(case, extension=dataclasses.replace(case.extension) if case.extension else None)
    when = DEC_14_END + dt.timedelta(seconds=1) if message == "deadline has passed" else LATER
    with pytest.raises(RuleBroken, match=message):
        case.request_extension(2, "再次申请", when, ACTOR)
    assert case == before


def test_an_approved_extension_moves_the_deadline_from_the_day_of_the_old_one():
    case = accepted()
    case.request_extension(5, "等待鉴定", LATER, ACTOR)
    outcome = case.decide_extension(ExtensionDecision.APPROVE, "同意", LATER, SUPERVISOR, CAL)
    assert case.resolve_due_at == end_of(2026, 12, 21)  # Tue 15 .. Fri 18, Mon 21
    assert (case.resolve_due_at_original, case.extensions_approved) == (DEC_14_END, 1)
    assert (case.extension.status, case.extension.decided_at, case.extension.decided_by) == (
        ExtensionStatus.APPROVED, LATER, SUPERVISOR)
    assert [(n.kind, n.recipient, n.mediator_id, n.due) for n in outcome.notices] == [
        (NoticeKind.EXTENSION_APPROVED, Recipient.MEDIATOR, "M-CN-1", end_of(2026, 12, 21))]
    assert outcome.deadline_changed == "extension" and outcome.events[0].type == "extension_decided"
    assert outcome.events[0].detail["previous_resolve_due_at"] == rfc3339(DEC_14_END)


def test_a_rejected_extension_keeps_the_deadline_and_a_new_request_may_follow():
    case = accepted()
    case.request_extension(5, "等待鉴定", LATER, ACTOR)
    outcome = case.decide_extension(ExtensionDecision.REJECT, "理由不充分", LATER, SUPERVISOR, CAL)
    assert (case.resolve_due_at, case.resolve_due_at_original, case.extensions_approved) == (DEC_14_END, None, 0)
    assert case.extension.status is ExtensionStatus.REJECTED and outcome.deadline_changed is None
    assert [(n.kind, n.due) for n in outcome.notices] == [(NoticeKind.EXTENSION_REJECTED, DEC_14_END)]
    case.request_extension(2, "补充理由", LATER, ACTOR)
    assert case.extension.status is ExtensionStatus.PENDING


def test_a_decision_needs_a_pending_request():
    case = accepted()
    with pytest.raises(RuleBroken, match="no extension request is pending"):
        case.decide_extension(ExtensionDecision.APPROVE, None, LATER, SUPERVISOR, CAL)
    approved_case = approved()
    with pytest.raises(RuleBroken, match="no extension request is pending"):
        approved_case.decide_extension(ExtensionDecision.APPROVE, None, LATER, SUPERVISOR, CAL)


def test_the_extension_is_counted_on_the_calendar_it_is_given():
    """Old deadline Thu 2026-12-31; 2 working days. Without 2027 data Fri 01-01 is a working day."""
    operator = WorkingCalendar({2027: YearCalendar.set_by_operator(
        2027, [dt.date(2027, 1, 1)], [], LATER, "admin")})
    results = []
    for calendar in (CAL, operator):
        case = due_at(end_of(2026, 12, 31))
        case.request_extension(2, "等待鉴定", LATER, ACTOR)
        case.decide_extension(ExtensionDecision.APPROVE, None, LATER, SUPERVISOR, calendar)
        results.append(case.resolve_due_at)
    assert results == [end_of(2027, 1, 4), end_of(2027, 1, 5)]


def test_a_moved_deadline_is_a_new_deadline_with_its_own_ladder_and_the_level_kept():
    case = accepted()
    past = DEC_14_END + dt.timedelta(minutes=1)
    case.request_extension(3, "等待鉴定", DEC_14_END - dt.timedelta(hours=1), ACTOR)
    case.take_step(SupervisionStep.REMINDER, past)
    case.take_step(SupervisionStep.OVERDUE, past)
    assert (case.overdue, case.supervision_level) == (True, 1)
    case.decide_extension(ExtensionDecision.APPROVE, None, past, SUPERVISOR, CAL)  # decided after the deadline
    new_due = end_of(2026, 12, 17)
    assert (case.resolve_due_at, case.overdue, case.supervision_steps, case.supervision_level) == (
        new_due, False, [], 1)
    assert case.ladder[SupervisionStep.OVERDUE] == new_due + dt.timedelta(microseconds=1)
    assert due_steps(case, new_due - dt.timedelta(hours=23)) == [SupervisionStep.REMINDER]
    assert due_steps(case, new_due + dt.timedelta(seconds=1)) == [SupervisionStep.REMINDER, SupervisionStep.OVERDUE]
    assert next_check_at(case) == case.ladder[SupervisionStep.REMINDER]


def suspend(case: Case, at: dt.datetime = LATER, resume_on: dt.date = dt.date(2026, 11, 30)) -> Outcome:
    return case.suspend(SuspensionReason.APPRAISAL, "等待伤情鉴定", resume_on, at, ACTOR)


@pytest.mark.parametrize(("resume_on", "message"), [
    (dt.date(2026, 11, 23), "after today"),  # LATER is Monday 2026-11-23
    (dt.date(2026, 11, 22), "after today"),
    (dt.date(2026, 12, 24), "at most 30 days"),
])
def test_a_suspension_resumes_after_today_and_within_30_days(resume_on, message):
    case = accepted()
    before = dataclasses.replace(case)
    with pytest.raises(InvalidValue) as caught:
        suspend(case, resume_on=resume_on)
    assert caught.value.field == "resume_on" and message in caught.value.message
    assert case == before and case.suspensions == []
    suspend(case, resume_on=dt.date(2026, 12, 23))
    assert case.suspended


def test_a_suspension_stops_the_resolve_clock_until_resume_on():
    case = accepted()
    outcome = suspend(case)
    assert case.suspended and case.open_suspension.resume_on == dt.date(2026, 11, 30)
    assert outcome.events[0].detail == {"reason_code": "appraisal", "reason": "等待伤情鉴定", "resume_on": "2026-11-30",
                                        "resolve_due_at": rfc3339(DEC_14_END)}
    assert next_check_at(case) == dt.datetime(2026, 11, 30, 0, 0, tzinfo=SHANGHAI)
    long_past = DEC_14_END + dt.timedelta(days=20)
    assert due_steps(case, long_past) == []
    with pytest.raises(RuleBroken):
        case.take_step(SupervisionStep.OVERDUE, long_past)


def test_a_case_is_suspended_once_at_a_time_and_twice_per_dispatch():
    case = accepted()
    suspend(case)
    with pytest.raises(RuleBroken, match="already suspended"):
        suspend(case)
    case.resume(LATER, ACTOR, CAL)
    suspend(case)
    case.resume(LATER, ACTOR, CAL)
    with pytest.raises(RuleBroken, match="at most 2 times per dispatch"):
        suspend(case)
    with pytest.raises(RuleBroken, match="not suspended"):
        case.resume(LATER, ACTOR, CAL)


def test_a_new_dispatch_allows_new_suspensions_and_a_new_extension():
    case = approved()
    suspend(case)
    case.resume(LATER, ACTOR, CAL)
    suspend(case)
    case.escalate("案情复杂", LATER, ACTOR)  # ends the open suspension, moving nothing
    assert not case.suspended and case.suspensions[-1].working_days == 0
    case.dispatch(DECISION, LATER + dt.timedelta(minutes=5), CAL)
    case.accept(LATER + dt.timedelta(minutes=6), ACTOR, CAL)
    assert (case.extension, case.resolve_due_at_original) == (None, None)
    suspend(case, at=LATER + dt.timedelta(minutes=7))
    case.request_extension(2, "再次延期", LATER + dt.timedelta(minutes=8), ACTOR)
    assert len(case.suspensions) == 3 and case.extensions_approved == 1


# suspended on, resumed on, working days d with suspended <= d < resumed, new deadline
RESUMES = [
    (dt.date(2026, 11, 23), dt.date(2026, 11, 23), 0, DEC_14_END),  # the same day: nothing moves
    (dt.date(2026, 11, 23), dt.date(2026, 11, 24), 1, end_of(2026, 12, 15)),
    (dt.date(2026, 11, 23), dt.date(2026, 11, 30), 5, end_of(2026, 12, 21)),  # a week: Mon .. Fri
    (dt.date(2026, 11, 28), dt.date(2026, 11, 30), 0, DEC_14_END),  # a weekend only
]


@pytest.mark.parametrize(("suspended_on", "resumed_on", "k", "new_due"), RESUMES)
def test_a_resume_moves_the_deadline_by_the_working_days_suspended(suspended_on, resumed_on, k, new_due):
    case = accepted()
    suspend(case, at=dt.datetime.combine(suspended_on, dt.time(11), tzinfo=SHANGHAI), resume_on=dt.date(2026, 12, 20))
    resumed_at = dt.datetime.combine(resumed_on, dt.time(16), tzinfo=SHANGHAI)
    ladder_before = dict(case.ladder)
    outcome = case.resume(resumed_at, ACTOR, CAL)
    assert (case.suspended, case.resolve_due_at, case.suspensions[0].working_days) == (False, new_due, k)
    assert case.suspensions[0].resumed_at == resumed_at
    assert outcome.events[0].detail["working_days_suspended"] == k
    assert outcome.deadline_changed == ("suspension" if k else None)
    assert case.resolve_due_at_original == (DEC_14_END if k else None)
    assert (case.ladder == ladder_before) is (k == 0)


def test_the_days_suspended_are_counted_on_the_calendar_over_national_day():
    """Suspended Wed 2026-09-30, resumed Fri 10-09: 09-30 and Thu 10-08 are the working days."""
    case = due_at(end_of(2026, 10, 12))
    suspend(case, at=dt.datetime(2026, 9, 30, 10, tzinfo=SHANGHAI), resume_on=dt.date(2026, 10, 9))
    case.resume(dt.datetime(2026, 10, 9, 9, tzinfo=SHANGHAI), ACTOR, CAL)
    assert case.suspensions[0].working_days == 2 and case.resolve_due_at == end_of(2026, 10, 14)


def test_the_sweep_resumes_by_itself_from_the_start_of_resume_on_counting_to_that_day():
    case = accepted()
    suspend(case)
    start = dt.datetime(2026, 11, 30, 0, 0, tzinfo=SHANGHAI)
    assert not case.resumes_by_itself(start - dt.timedelta(microseconds=1)) and case.resumes_by_itself(start)
    with pytest.raises(RuleBroken, match="not due to resume"):
        case.resume_by_itself(start - dt.timedelta(seconds=1), CAL)
    late = dt.datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)  # the sweep comes two days late
    outcome = case.resume_by_itself(late, CAL)
    assert (case.suspended, case.suspensions[0].working_days, case.resolve_due_at) == (False, 5, end_of(2026, 12, 21))
    assert (outcome.events[0].type, outcome.events[0].actor, outcome.events[0].detail["automatic"]) == (
        "resumed", "system:sweep", True)
    assert [(n.kind, n.recipient, n.due) for n in outcome.notices] == [
        (NoticeKind.SUSPENSION_ENDED, Recipient.MEDIATOR, end_of(2026, 12, 21))]
    assert outcome.deadline_changed == "suspension"


@pytest.mark.parametrize("conclude", [
    lambda case, now: case.resolve("双方达成协议", dt.date(2026, 12, 20), now, ACTOR, CAL),
    lambda case, now: case.fail(Referral.LITIGATION, "一方拒绝", now, ACTOR, CAL),
], ids=["resolve", "fail"])
def test_a_case_concluded_while_suspended_resumes_first(conclude):
    case = accepted()
    suspend(case, resume_on=dt.date(2026, 12, 10))
    now = dt.datetime(2026, 11, 30, 15, tzinfo=SHANGHAI)
    outcome = conclude(case, now)
    assert [e.type for e in outcome.events] == ["resumed", {S.RESOLVED: "resolved", S.UNRESOLVED: "unresolved"}[
        case.status]]
    assert (case.suspended, case.resolve_due_at, outcome.deadline_changed) == (
        False, end_of(2026, 12, 21), "suspension")


def test_a_withdrawn_case_ends_its_suspension():
    case = accepted()
    suspend(case)
    case.withdraw("和解", LATER, ACTOR)
    assert not case.suspended and next_check_at(case) is None


def test_outcomes_merge_keeps_the_deadline_change():
    assert Outcome(deadline_changed="suspension").merge(Outcome()).deadline_changed == "suspension"
    assert Outcome().merge(Outcome(deadline_changed="extension")).deadline_changed == "extension"


def test_a_suspension_counts_to_resume_on_at_the_latest_whoever_ends_it():
    """Suspended until Mon 11-30; resumed by hand, or concluded, on Wed 12-02 (the sweep was late)."""
    for end in (lambda case, now: case.resume(now, ACTOR, CAL),
                lambda case, now: case.fail(Referral.LITIGATION, "一方拒绝", now, ACTOR, CAL)):
        case = accepted()
        suspend(case)
        end(case, dt.datetime(2026, 12, 2, 10, tzinfo=SHANGHAI))
        assert (case.suspensions[0].working_days, case.resolve_due_at) == (5, end_of(2026, 12, 21))



# ------------------------------------------------------------ merge (§12)

def merged_pair(target_status: S = S.ACCEPTED, **source_fields):
    target = at_status(target_status)
    source = other_case(**source_fields)
    source.dispatch(DECISION, MONDAY, CAL)
    return source, target


def test_a_merge_makes_the_source_merged_and_the_target_take_its_parties_and_indicators():
    source, target = merged_pair(parties=[Party("applicant", "张三"), Party("respondent", "王五", "13912345678")],
                                 risk_indicators=[RiskIndicator.VULNERABLE_PARTY])
    target.parties = [Party("applicant", "张三"), Party("respondent", "王老五", "13912345678")]
    merged, absorbed = source.merge_into(target, "同一纠纷", LATER, ACTOR)
    assert (source.status, source.merged_into, source.ladder) == (S.MERGED, target.case_id, {})
    assert [p.name for p in target.parties] == ["张三", "王老五", "张三"]  # same phone once; no number: kept
    assert (target.risk_indicators, target.party_count, target.risk_level) == (
        [RiskIndicator.VULNERABLE_PARTY], 3, RiskLevel.YELLOW)
    assert [(s.case_id, s.partner_id, s.external_ref) for s in target.merged_sources] == [
        (source.case_id, "demo-110", "110-1")]
    assert (merged.events[0].type, merged.events[0].detail) == ("merged", {"into": target.case_id, "reason": "同一纠纷"})
    assert merged.status_changed and merged.mediator_load == {"M-CN-1": -1} and not merged.reroute
    assert absorbed.events[0].type == "merged_in" and absorbed.events[0].detail["from_case"] == source.case_id
    assert not absorbed.status_changed and absorbed.mediator_load == {}
    assert next_check_at(source) is None


def test_a_merged_target_is_graded_again_never_lower_and_goes_up_a_tier_when_it_must():
    source, target = merged_pair(risk_indicators=[RiskIndicator.DOMESTIC_VIOLENCE])  # orange: town
    _, absorbed = source.merge_into(target, "同一纠纷", LATER, ACTOR)
    assert (target.risk_level, target.status, target.route_floor, target.org_id) == (
        RiskLevel.ORANGE, S.RECEIVED, Tier.TOWN, None)
    assert [e.type for e in absorbed.events] == ["merged_in", "escalated"]
    assert absorbed.events[1].detail == {"reason": "merge", "from_tier": "village", "to_tier": "town",
                                         "org_id": "V-CN"}
    assert absorbed.reroute and absorbed.status_changed and absorbed.mediator_load == {"M-CN-1": -1}
    red = at_status(S.ACCEPTED)
    red.risk_level = RiskLevel.RED
    calm, _ = merged_pair()
    calm.merge_into(red, "同一纠纷", LATER, ACTOR)
    assert red.risk_level is RiskLevel.RED  # a blue source lowers nothing


def test_a_received_target_is_graded_again_and_routed_later_as_it_is():
    source, target = merged_pair(S.RECEIVED, risk_indicators=[RiskIndicator.GROUP_DISPUTE])
    _, absorbed = source.merge_into(target, "同一纠纷", LATER, ACTOR)
    assert (target.status, target.risk_level, absorbed.reroute) == (S.RECEIVED, RiskLevel.ORANGE, False)


@pytest.mark.parametrize(("prepare", "error", "message"), [
    (lambda source, target: (source, source), InvalidValue, "itself"),
    (lambda source, target: (source, make_case(S.CLOSED)), RuleBroken, "target case is closed"),
    (lambda source, target: (source, make_case(S.MERGED)), RuleBroken, "target case is merged"),
    (lambda source, target: (dataclasses.replace(source, merged_sources=[MergedSource("HW1", None, "x")]), target),
     RuleBroken, "other cases were merged into this one"),
    (lambda source, target: (dataclasses.replace(source, status=S.RESOLVED), target), InvalidTransition, "resolved"),
])
def test_a_refused_merge_changes_neither_case(prepare, error, message):
    source, target = prepare(*merged_pair())
    before = (dataclasses.replace(source), dataclasses.replace(target))
    with pytest.raises(error, match=message):
        source.merge_into(target, "同一纠纷", LATER, ACTOR)
    assert (source, target) == before


# ------------------------------------------------------------- case code (§14)

@pytest.mark.parametrize(("channel", "parties", "sms"), [
    (Channel.WALK_IN, [Party("applicant", "甲", "13800000001")], True),
    (Channel.GRID_PATROL, [Party("applicant", "甲"), Party("respondent", "乙", "13800000002")], True),
    (Channel.ONLINE, [Party("applicant", "甲", "13800000001")], True),
    (Channel.WALK_IN, [Party("applicant", "甲"), Party("respondent", "乙")], False),  # no phone to text
    (Channel.HOTLINE_12345, [Party("applicant", "甲", "13800000001")], False),
    (Channel.COURT, [Party("applicant", "甲", "13800000001")], False),
    (Channel.PARTNER_API, [Party("applicant", "甲", "13800000001")], False),
])
def test_filing_texts_the_code_to_the_applicant_of_an_in_person_grid_or_online_case(channel, parties, sms):
    case = make_case(S.RECEIVED, channel=channel, parties=parties)
    notices = case.filing_notices()
    assert [(n.kind, n.recipient) for n in notices] == ([(NoticeKind.CASE_CODE, Recipient.APPLICANT)] if sms else [])
    assert case.applicant_phone == next((p.phone for p in parties if p.phone), None)


def test_the_party_evaluates_a_concluded_case_once_and_the_timeline_keeps_no_comment():
    case = at_status(S.UNRESOLVED)
    outcome = case.record_self_evaluation(GOOD_SCORES, "调解员很耐心 13812345678", LATER)
    assert case.self_evaluation == {"at": rfc3339(LATER), "satisfaction": GOOD_SCORES,
                                    "comment": "调解员很耐心 13812345678"}
    assert [(e.type, e.actor, e.detail) for e in outcome.events] == [("self_evaluation", "party", {
        "satisfaction": GOOD_SCORES, "with_comment": True, "rectification_required": False})]
    assert outcome.notices == [] and not outcome.status_changed and case.rectification_required is False
    before = dataclasses.replace(case)
    with pytest.raises(RuleBroken, match="already recorded"):
        case.record_self_evaluation(BAD_SCORES, None, LATER)
    assert case == before


def _all_visits_done(case: Case) -> Case:
    for visit in case.return_visits:
        visit.update(done_at=rfc3339(MONDAY), agreement_performed="yes", satisfaction=GOOD_SCORES)
    return case


@pytest.mark.parametrize(("make", "follow_up"), [
    (lambda: _all_visits_done(resolved()), {"seq": 2, "due_on": "2026-12-08"}),  # 15 days after LATER's day
    (resolved, None),  # its planned visit is still open: that visit can clear it
    (lambda: at_status(S.UNRESOLVED), None),  # no visits to make
    (lambda: at_status(S.CLOSED), None),
], ids=["resolved, visits done", "resolved, a visit open", "unresolved", "closed"])
def test_a_dissatisfied_evaluation_raises_rectification_as_a_visit_does(make, follow_up):
    case = make()
    visits_before = len(case.return_visits)
    outcome = case.record_self_evaluation(BAD_SCORES, None, LATER)
    assert case.rectification_required is True
    assert [(n.kind, n.recipient, n.org_id) for n in outcome.notices] == [
        (NoticeKind.RECTIFICATION, Recipient.ORG_HEAD, "V-CN")]
    assert outcome.events[0].detail.get("follow_up_visit") == follow_up
    assert outcome.events[0].detail["rectification_required"] is True
    assert len(case.return_visits) == visits_before + (follow_up is not None)
    if follow_up is not None:
        assert case.return_visits[-1] == {"seq": 2, "due_on": "2026-12-08", "done_at": None,
                                          "agreement_performed": None, "satisfaction": None, "follow_up": True}


def test_a_good_evaluation_does_not_clear_a_rectification_a_visit_raised():
    case = resolved()
    case.record_visit("no", GOOD_SCORES, None, LATER, ACTOR)
    outcome = case.record_self_evaluation(GOOD_SCORES, None, LATER)
    assert case.rectification_required is True and outcome.notices == []
    with pytest.raises(RuleBroken, match="every planned return visit must be done"):
        case.close(LATER, ACTOR)


# ------------------------------------------------- judicial confirmation (§14)

def test_the_view_state_of_a_new_agreement_runs_its_window_from_the_day_it_concluded():
    case = resolved()
    assert case.judicial_state()["status"] == "not_requested"
    assert case.judicial_state()["window_ends_on"] == "2026-12-23"  # resolved on 2026-11-23, + 30 days
    assert case.judicial_check_on() == dt.date(2026, 12, 24)  # it lapses the day after


def test_the_sweep_tells_the_mediator_once_from_7_days_before_the_window_ends_while_intended():
    case = resolved()
    case.judicial_confirmation(JudicialStep.INTEND, MONDAY + dt.timedelta(days=1), ACTOR)
    assert case.judicial_check_on() == dt.date(2026, 12, 16)
    assert case.send_judicial_notices(dt.datetime(2026, 12, 15, 9, 0, tzinfo=SHANGHAI)).events == []
    outcome = case.send_judicial_notices(dt.datetime(2026, 12, 16, 9, 0, tzinfo=SHANGHAI))
    assert [(n.kind, n.recipient, n.mediator_id, n.due) for n in outcome.notices] == [
        (NoticeKind.JC_WINDOW_CLOSING, Recipient.MEDIATOR, "M-CN-1", dt.date(2026, 12, 23))]
    assert outcome.events[0].detail == {"step": "window_closing", "window_ends_on": "2026-12-23"}
    assert case.send_judicial_notices(dt.datetime(2026, 12, 17, 9, 0, tzinfo=SHANGHAI)).events == []
    assert case.judicial_check_on() == dt.date(2026, 12, 24)


def test_an_unused_window_lapses_the_day_after_it_ends_and_filing_then_is_422():
    case = resolved()
    assert case.send_judicial_notices(dt.datetime(2026, 12, 23, 23, 0, tzinfo=SHANGHAI)).events == []
    outcome = case.send_judicial_notices(dt.datetime(2026, 12, 24, 9, 0, tzinfo=SHANGHAI))
    assert [e.detail["step"] for e in outcome.events] == ["lapse"] and outcome.notices == []
    assert case.judicial_state()["status"] == "lapsed" and case.judicial_check_on() is None
    with pytest.raises(InvalidValue) as refused:
        case.judicial_confirmation(JudicialStep.FILE, dt.datetime(2026, 12, 24, 10, tzinfo=SHANGHAI), ACTOR,
                                   court="吴江区人民法院", filed_on=dt.date(2026, 12, 24))
    assert refused.value.field == "filed_on"


def test_a_sweep_that_comes_after_the_window_lapses_it_without_a_late_notice():
    case = resolved()
    case.judicial_confirmation(JudicialStep.INTEND, MONDAY + dt.timedelta(days=1), ACTOR)
    outcome = case.send_judicial_notices(dt.datetime(2027, 1, 5, 9, 0, tzinfo=SHANGHAI))
    assert [e.detail["step"] for e in outcome.events] == ["lapse"] and outcome.notices == []


def test_steps_are_on_the_timeline_and_out_of_order_is_409():
    case = resolved()
    filed = case.judicial_confirmation(JudicialStep.FILE, MONDAY + dt.timedelta(days=2), ACTOR, court="吴江区人民法院",
                                       filed_on=dt.date(2026, 11, 25))
    assert filed.events[0].type == "judicial_confirmation"
    assert filed.events[0].detail == {"step": "file", "status": "filed", "court": "吴江区人民法院",
                                      "filed_on": "2026-11-25"}
    assert case.judicial_check_on() is None  # filed: the sweep owes it nothing
    with pytest.raises(RuleBroken):
        case.judicial_confirmation(JudicialStep.INTEND, MONDAY + dt.timedelta(days=2), ACTOR)


def test_a_closed_case_without_an_agreement_has_no_judicial_confirmation():
    case = make_case(S.CLOSED, concluded_at=MONDAY)
    assert case.judicial_state() is None and case.judicial_check_on() is None
    with pytest.raises(RuleBroken):
        case.judicial_confirmation(JudicialStep.INTEND, MONDAY, ACTOR)
    assert case.send_judicial_notices(MONDAY + dt.timedelta(days=60)).events == []


# ------------------------------------------------------------------- hard cases (§15)


def test_an_assisting_org_joins_with_an_invitation_to_its_head():
    case = accepted()
    outcome = case.add_participant("T-SL", True, True, "跨村纠纷", LATER, SUPERVISOR)
    assert case.assisting_org_ids == {"T-SL"}
    assert [(n.kind, n.recipient, n.org_id) for n in outcome.notices] == [
        (NoticeKind.JOINT_INVITE, Recipient.ORG_HEAD, "T-SL")]
    assert outcome.mediator_load == {} and not outcome.status_changed


@pytest.mark.parametrize(("org_id", "found", "active", "error"), [
    ("V-CN", True, True, RuleBroken),  # the lead
    ("T-SL", True, True, RuleBroken),  # already assisting
    ("X", False, False, InvalidValue),
    ("X", True, False, InvalidValue),
])
def test_an_org_that_may_not_assist_is_refused_and_the_case_left_as_it_was(org_id, found, active, error):
    case = accepted()
    case.add_participant("T-SL", True, True, "跨村纠纷", LATER, SUPERVISOR)
    before = dataclasses.replace(case, participants=list(case.participants))
    with pytest.raises(error):
        case.add_participant(org_id, found, active, "再加一个", LATER, SUPERVISOR)
    assert case == before


def test_a_session_books_each_mediators_time_and_tells_each_of_them():
    from chalicelib.domain.sessions import Booking, MediatorSchedule

    case = accepted()
    case.add_participant("T-SL", True, True, "跨村纠纷", LATER, SUPERVISOR)
    earlier = MediatorSchedule("M-SL-1", (Booking("HW-OTHER", "S-0", LATER + dt.timedelta(hours=27)),), 4)
    request = session_request(LATER, mediator_ids=("M-CN-1", "M-SL-1"),
                              mediator_orgs={"M-CN-1": "V-CN", "M-SL-1": "T-SL"}, schedules={"M-SL-1": earlier})
    outcome = case.schedule_session(request, LATER, ACTOR)
    [session] = case.sessions
    assert [(s.mediator_id, s.revision, [b.session_id for b in s.bookings]) for s in outcome.schedules] == [
        ("M-CN-1", 0, [session.session_id]), ("M-SL-1", 4, ["S-0", session.session_id])]
    assert [(n.kind, n.recipient, n.mediator_id, n.due) for n in outcome.notices] == [
        (NoticeKind.SESSION_NOTICE, Recipient.MEDIATOR, "M-CN-1", session.starts_at),
        (NoticeKind.SESSION_NOTICE, Recipient.MEDIATOR, "M-SL-1", session.starts_at)]


def test_a_session_overlapping_one_of_a_mediators_is_refused_and_nothing_booked():
    from chalicelib.domain.sessions import Booking, MediatorSchedule

    case = accepted()
    taken = MediatorSchedule("M-CN-1", (Booking("HW-OTHER", "S-0", LATER + dt.timedelta(hours=31)),), 1)
    with pytest.raises(RuleBroken, match="M-CN-1"):
        case.schedule_session(session_request(LATER, schedules={"M-CN-1": taken}), LATER, ACTOR)
    assert case.sessions == []


def test_the_sweep_reminds_once_and_marks_a_session_it_saw_too_late_as_missed():
    case = booked(accepted(), LATER)  # a session 30 hours after LATER
    starts = case.sessions[0].starts_at
    assert case.send_sweep_notices(starts - dt.timedelta(hours=25)).events == []
    outcome = case.send_sweep_notices(starts - dt.timedelta(hours=24))
    assert [(n.kind, n.mediator_id) for n in outcome.notices] == [(NoticeKind.SESSION_REMINDER, "M-CN-1")]
    assert case.send_sweep_notices(starts - dt.timedelta(hours=1)).events == []
    late = booked(accepted(), LATER)
    outcome = late.send_sweep_notices(late.sessions[0].starts_at + dt.timedelta(minutes=1))
    assert (outcome.notices, outcome.events[-1].detail["reminder"]) == ([], "missed")


def test_the_sweep_tells_the_leader_once_while_the_case_is_open():
    case = sponsored(accepted(), LATER)  # due 2026-12-20: told from 2026-12-13 00:00
    assert case.send_sweep_notices(dt.datetime(2026, 12, 12, 23, 59, tzinfo=SHANGHAI)).events == []
    outcome = case.send_sweep_notices(dt.datetime(2026, 12, 13, 0, 0, tzinfo=SHANGHAI))
    assert [(n.kind, n.recipient, n.due) for n in outcome.notices] == [
        (NoticeKind.SPONSOR_DUE, Recipient.SPONSOR, dt.date(2026, 12, 20))]
    assert case.send_sweep_notices(dt.datetime(2026, 12, 14, tzinfo=SHANGHAI)).events == []
    closed = sponsored(accepted(), LATER)
    closed.fail(Referral.LITIGATION, "一方拒绝", LATER, ACTOR, CAL)
    assert closed.send_sweep_notices(dt.datetime(2026, 12, 14, tzinfo=SHANGHAI)).events == []


def test_a_case_with_no_ground_is_not_sponsored():
    from chalicelib.domain.case import CaseNotEligible

    case = accepted()  # blue
    with pytest.raises(CaseNotEligible):
        case.sponsor_by(*SPONSOR, LATER, SUPERVISOR)
    assert case.sponsor is None


def test_the_due_index_holds_the_first_of_the_ladder_the_reminders_and_the_sponsors_sms():
    case = accepted()
    ladder_next = next_check_at(case)
    booked(case, LATER)
    reminder = case.sessions[0].reminder_at
    assert next_check_at(case) == min(ladder_next, reminder)
    orange(case).sponsor_by("李明", "副区长", "13900000301", dt.date(2026, 11, 26), LATER, SUPERVISOR)
    assert next_check_at(case) == dt.datetime(2026, 11, 19, 0, 0, tzinfo=SHANGHAI)  # already due: told at once
    received = orange(make_case(S.RECEIVED))
    received.sponsor_by("李明", "副区长", "13900000301", dt.date(2026, 12, 20), LATER, SUPERVISOR)
    assert next_check_at(received) == received.self_heal_at  # the earlier of the two


def test_the_org_a_case_is_routed_to_leads_and_no_longer_assists():
    case = make_case(S.RECEIVED)
    case.add_participant("V-CN", True, True, "先行协办", LATER, SUPERVISOR)
    case.dispatch(DECISION, LATER, CAL)  # to V-CN
    assert (case.org_id, case.participants) == ("V-CN", [])


def test_an_escalation_calls_off_the_sessions_ahead_and_frees_their_mediators():
    case = booked(accepted(), LATER)
    case.escalate("案情复杂", LATER + dt.timedelta(hours=1), ACTOR)
    [session] = case.sessions
    assert session.cancelled_at == LATER + dt.timedelta(hours=1)
    assert not case.holds_session(session.session_id)
    case.dispatch(DECISION, LATER + dt.timedelta(hours=2), CAL)
    case.accept(LATER + dt.timedelta(hours=3), ACTOR, CAL)
    assert not case.holds_session(session.session_id)  # accepted again: that session stays off
    assert case.send_sweep_notices(session.starts_at - dt.timedelta(hours=1)).events == []


def test_a_case_books_at_most_twenty_sessions_ahead():
    case = accepted()
    for hour in range(20):
        case.schedule_session(session_request(LATER, starts_at=LATER + dt.timedelta(hours=30 + 3 * hour)), LATER, ACTOR)
    with pytest.raises(RuleBroken, match="at most 20"):
        case.schedule_session(session_request(LATER, starts_at=LATER + dt.timedelta(days=9)), LATER, ACTOR)


@pytest.mark.parametrize("leave", ["resolve", "fail", "withdraw", "transfer", "escalate"])
def test_a_case_leaving_accepted_calls_off_its_sessions_ahead(leave):
    case = booked(accepted(), LATER)
    CALLS[leave](case, LATER + dt.timedelta(hours=1))
    assert case.sessions[0].cancelled_at == LATER + dt.timedelta(hours=1)
    assert next_check_at(case) is None or next_check_at(case) != case.sessions[0].reminder_at
