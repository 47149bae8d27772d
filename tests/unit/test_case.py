"""domain/case.py: the Case aggregate. Its status table against the contract (§3, §5), and
each transition method: the rule it checks, what it changes, and the Outcome it returns
(events, notices, letters, mediator load, whether to re-route or call the partner back)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain.calendar import LIBRARY_CALENDAR as CAL
from chalicelib.domain.case import (
    TRANSITIONS, Case, InvalidTransition, InvalidValue, Outcome, Party, RuleBroken)
from chalicelib.domain.deadlines import SupervisionStep
from chalicelib.domain.enums import CaseStatus as S
from chalicelib.domain.enums import (
    CategorySource, Category, Channel, ExtensionDecision, MediationType, Referral, RiskLevel, SuspensionReason, Tier)
from chalicelib.domain.notices import NoticeKind, Recipient
from chalicelib.domain.routing import MediatorCandidate, OrgCandidate, RouteDecision, Unroutable
from chalicelib.domain.supervision import SELF_HEAL_DELAY

NON_TERMINAL = {S.RECEIVED, S.DISPATCHED, S.ACCEPTED, S.RESOLVED, S.UNRESOLVED}
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
"""A working Monday morning."""
ACTOR = "mediator:M-CN-1"
SUPERVISOR = "supervisor:320509"

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
            S.RESOLVED: resolved}.get(status, lambda: make_case(status, org_id="V-CN", mediator_id="M-CN-1",
                                                                 tier=Tier.VILLAGE))()


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
}


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


@pytest.mark.parametrize(("action", "status"), [r for r in REFUSED if r[0] != "visit_notice"], ids=lambda v: str(v))
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
    assert case.agreement == {"summary": "双方达成协议", "performance_due": "2026-12-01"}
    assert [v["due_on"] for v in case.return_visits] == ["2026-12-31"]  # a neighbour case: one visit, 30 days on
    assert case.concluded_at == LATER and outcome.events[0].detail["return_visits"] == ["2026-12-31"]
    for due, message in ((dt.date(2026, 11, 22), "must not be before today"),
                         (dt.date(2036, 12, 31), "must be within ten years of today")):
        other = accepted()
        with pytest.raises(InvalidValue) as caught:
            other.resolve("x", due, LATER, ACTOR, CAL)
        assert (caught.value.field, caught.value.message) == ("agreement.performance_due", message)
        assert other.status is S.ACCEPTED and other.agreement is None


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
