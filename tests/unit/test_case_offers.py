"""`Case.offers`: the actions a case offers as it stands (what a console shows). Where the
precondition table (`READY`) says no, the action itself refuses; where it says yes, the action
goes through with a valid request."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain.calendar import LIBRARY_CALENDAR as CAL
from chalicelib.domain.case import READY, RuleBroken
from chalicelib.domain.enums import ExtensionDecision, SuspensionReason, Tier
from tests.unit.test_case import ACTOR, GOOD_SCORES, MONDAY, SUPERVISOR, accepted, dispatched, requested, resolved, \
    suspended, visited

LATER = MONDAY + dt.timedelta(hours=3)

TAKE = {
    "escalate": lambda case: case.escalate("需上级协调", LATER, ACTOR),
    "visit": lambda case: case.record_visit("yes", GOOD_SCORES, None, LATER, ACTOR),
    "request_extension": lambda case: case.request_extension(3, "等待鉴定", LATER, ACTOR),
    "decide_extension": lambda case: case.decide_extension(ExtensionDecision.APPROVE, None, LATER, SUPERVISOR, CAL),
    "suspend": lambda case: case.suspend(SuspensionReason.APPRAISAL, "等待鉴定", dt.date(2026, 11, 30), LATER, ACTOR),
    "resume": lambda case: case.resume(LATER, ACTOR, CAL),
}
"""A valid request of each action with a precondition."""

CASES = {
    "a village case": lambda: accepted(),
    "a district case": lambda: dataclasses.replace(accepted(), tier=Tier.DISTRICT),
    "a dispatched case": lambda: dispatched(),
    "an extension pending": lambda: requested(accepted(), MONDAY + dt.timedelta(hours=2)),
    "suspended": lambda: suspended(accepted(), MONDAY + dt.timedelta(hours=2)),
    "resolved, a visit open": lambda: resolved(),
    "resolved, visited": lambda: visited(resolved()),
}

# case → the actions with a precondition it offers
EXPECTED = {
    "a village case": {"escalate", "request_extension", "suspend"},
    "a district case": {"request_extension", "suspend"},
    "a dispatched case": {"escalate"},
    "an extension pending": {"escalate", "decide_extension", "suspend"},
    "suspended": {"escalate", "request_extension", "resume"},
    "resolved, a visit open": {"visit"},
    "resolved, visited": set(),
}


def test_every_precondition_has_a_request_to_try():
    assert set(TAKE) == set(READY)


@pytest.mark.parametrize("name", CASES)
def test_what_each_case_offers(name):
    case = CASES[name]()
    assert {action for action in READY if case.offers(action)} == EXPECTED[name]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("action", sorted(READY))
def test_an_action_goes_through_exactly_when_it_is_offered(name, action):
    case = CASES[name]()
    if case.offers(action):
        assert TAKE[action](case).events
    else:
        with pytest.raises(RuleBroken):
            TAKE[action](case)


def test_an_action_the_status_refuses_is_not_offered_whatever_its_state():
    case = resolved()
    assert not case.offers("resume") and not case.offers("accept") and case.offers("close") is case.allows("close")
