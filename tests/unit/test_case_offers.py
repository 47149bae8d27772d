"""`Case.offers`: the actions a case offers as it stands (what a console shows). Where the
precondition table (`READY`) says no, the action itself refuses a valid request; where it says
yes, the action goes through with one."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain.calendar import LIBRARY_CALENDAR as CAL
from chalicelib.domain.case import READY, CaseNotEligible, RuleBroken
from chalicelib.domain.enums import CaseStatus as S
from chalicelib.domain.enums import ExtensionDecision, Referral, RiskLevel, SuspensionReason, Tier
from chalicelib.domain.judicial import JudicialStep
from tests.unit.test_case import ACTOR, GOOD_SCORES, MONDAY, SPONSOR, SUPERVISOR, accepted, booked, dispatched, \
    make_case, orange, other_case, requested, resolved, session_request, suspended, visited

LATER = MONDAY + dt.timedelta(hours=3)
"""When the actions are tried, unless a case names its own time."""
WEEKS_LATER = MONDAY + dt.timedelta(days=40)
"""Past every deadline of a case accepted on MONDAY."""

TAKE = {
    "escalate": lambda case, now: case.escalate("需上级协调", now, ACTOR),
    "visit": lambda case, now: case.record_visit("yes", GOOD_SCORES, None, now, ACTOR),
    "close": lambda case, now: case.close(now, ACTOR),
    "request_extension": lambda case, now: case.request_extension(3, "等待鉴定", now, ACTOR),
    "decide_extension": lambda case, now: case.decide_extension(ExtensionDecision.APPROVE, None, now, SUPERVISOR, CAL),
    "suspend": lambda case, now: case.suspend(SuspensionReason.APPRAISAL, "等待鉴定", now.date() + dt.timedelta(days=7),
                                              now, ACTOR),
    "resume": lambda case, now: case.resume(now, ACTOR, CAL),
    "judicial_confirmation": lambda case, now: case.judicial_confirmation(JudicialStep.INTEND, now, ACTOR),
    "add_participant": lambda case, now: case.add_participant("T-NEW", True, True, "需镇级协助", now, SUPERVISOR),
    "schedule_session": lambda case, now: case.schedule_session(session_request(now), now, ACTOR),
    "sponsor": lambda case, now: case.sponsor_by(*SPONSOR[:3], now.date() + dt.timedelta(days=20), now, SUPERVISOR),
    "merge": lambda case, now: case.merge_into(other_case(), "同一纠纷", now, ACTOR)[0],
}
"""A valid request of each action with a precondition."""


def _suspended_twice():
    case = accepted()
    for day in (1, 3):
        at = MONDAY + dt.timedelta(days=day)
        case.suspend(SuspensionReason.APPRAISAL, "等待鉴定", at.date() + dt.timedelta(days=1), at, ACTOR)
        case.resume(at + dt.timedelta(hours=2), ACTOR, CAL)
    return case


def _assisted_by_five():
    case = accepted()
    for number in range(5):
        case.add_participant(f"T-{number}", True, True, "协办", MONDAY + dt.timedelta(hours=2), SUPERVISOR)
    return case


def _absorbed_one():
    case = dispatched()
    other_case().merge_into(case, "同一纠纷", MONDAY + dt.timedelta(hours=1), ACTOR)
    return case


def _failed_and_closed():
    case = accepted()
    case.fail(Referral.LITIGATION, "双方分歧大", MONDAY + dt.timedelta(hours=2), ACTOR, CAL)
    case.close(MONDAY + dt.timedelta(hours=3), ACTOR)
    return case


def _confirmation_decided():
    case = resolved()
    at = MONDAY + dt.timedelta(hours=3)
    case.judicial_confirmation(JudicialStep.FILE, at, ACTOR, court="吴江区人民法院", filed_on=at.date())
    case.judicial_confirmation(JudicialStep.NOT_ACCEPTED, at, ACTOR, reason="不符合条件")
    return case


CASES = {  # name → (the case, when the actions are tried)
    "a village case, accepted": (lambda: orange(accepted()), LATER),
    "a district case": (lambda: dataclasses.replace(accepted(), tier=Tier.DISTRICT), LATER),
    "a blue dispatched case": (lambda: dispatched(), LATER),
    "an extension pending": (lambda: requested(accepted(), MONDAY + dt.timedelta(hours=2)), LATER),
    "suspended": (lambda: suspended(accepted(), MONDAY + dt.timedelta(hours=2)), LATER),
    "suspended twice already": (_suspended_twice, MONDAY + dt.timedelta(days=5)),
    "past its resolve deadline": (lambda: accepted(), WEEKS_LATER),
    "five orgs assisting": (_assisted_by_five, LATER),
    "sessions booked to the limit": (lambda: _booked_to_the_limit(), LATER),
    "others merged into it": (_absorbed_one, LATER),
    "resolved, a visit open": (lambda: resolved(), LATER),
    "resolved, visited": (lambda: visited(resolved()), LATER),
    "failed and closed": (_failed_and_closed, LATER),
    "confirmation not accepted": (_confirmation_decided, LATER),
    "red and received": (lambda: make_case(S.RECEIVED, risk_level=RiskLevel.RED), LATER),
}


def _booked_to_the_limit():
    case = accepted()
    for hour in range(20):
        at = MONDAY + dt.timedelta(hours=2)
        case.schedule_session(session_request(at, starts_at=at + dt.timedelta(days=1, hours=3 * hour)), at, ACTOR)
    return case


# case → the actions with a precondition it offers
EXPECTED = {
    "a village case, accepted": {"escalate", "request_extension", "suspend", "add_participant", "schedule_session",
                                 "sponsor", "merge"},
    "a district case": {"request_extension", "suspend", "add_participant", "schedule_session", "merge"},
    "a blue dispatched case": {"escalate", "add_participant", "merge"},
    "an extension pending": {"escalate", "decide_extension", "suspend", "add_participant", "schedule_session", "merge"},
    "suspended": {"escalate", "request_extension", "resume", "add_participant", "schedule_session", "merge"},
    "suspended twice already": {"escalate", "request_extension", "add_participant", "schedule_session", "merge"},
    "past its resolve deadline": {"escalate", "suspend", "add_participant", "schedule_session", "merge"},
    "five orgs assisting": {"escalate", "request_extension", "suspend", "schedule_session", "merge"},
    "sessions booked to the limit": {"escalate", "request_extension", "suspend", "add_participant", "merge"},
    "others merged into it": {"escalate", "add_participant"},
    "resolved, a visit open": {"visit", "judicial_confirmation"},
    "resolved, visited": {"close", "judicial_confirmation"},
    "failed and closed": set(),
    "confirmation not accepted": {"visit"},
    "red and received": {"add_participant", "sponsor", "merge"},
}


def test_every_precondition_has_a_request_to_try():
    assert set(TAKE) == set(READY)
    assert set(EXPECTED) == set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_what_each_case_offers(name):
    make, now = CASES[name]
    case = make()
    assert {action for action in READY if case.offers(action, now)} == EXPECTED[name]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("action", sorted(READY))
def test_an_action_goes_through_exactly_when_it_is_offered(name, action):
    make, now = CASES[name]
    case = make()
    if case.offers(action, now):
        assert TAKE[action](case, now).events
    else:
        with pytest.raises((RuleBroken, CaseNotEligible)):
            TAKE[action](case, now)


def test_an_action_the_status_refuses_is_not_offered_whatever_its_state():
    case = visited(resolved())
    assert case.offers("close", LATER) and not case.offers("resume", LATER) and not case.offers("accept", LATER)
    assert not booked(resolved(), LATER).offers("schedule_session", LATER)
