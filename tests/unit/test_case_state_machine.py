"""The case state machine (§3 status, §5 actions): the TRANSITIONS table, checked against the contract."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.case import TRANSITIONS, Case, InvalidTransition, Party
from chalicelib.domain.enums import CaseStatus as S
from chalicelib.domain.enums import CategorySource, Category, Channel, RiskLevel

NON_TERMINAL = {S.RECEIVED, S.DISPATCHED, S.ACCEPTED, S.RESOLVED, S.UNRESOLVED}

# action → (statuses it may be taken from, status it leads to; None keeps the status), from the contract
EXPECTED = {
    "dispatch": ({S.RECEIVED}, S.DISPATCHED),
    "accept": ({S.DISPATCHED}, S.ACCEPTED),
    "decline": ({S.DISPATCHED}, S.RECEIVED),  # routed again
    "escalate": ({S.DISPATCHED, S.ACCEPTED}, S.RECEIVED),  # routed again one tier up
    "note": (NON_TERMINAL, None),
    "resolve": ({S.ACCEPTED}, S.RESOLVED),
    "fail": ({S.ACCEPTED}, S.UNRESOLVED),
    "visit": ({S.RESOLVED}, None),
    "close": ({S.RESOLVED, S.UNRESOLVED}, S.CLOSED),
    "withdraw": ({S.RECEIVED, S.DISPATCHED, S.ACCEPTED}, S.WITHDRAWN),
}


def make_case(status: S) -> Case:
    return Case(
        case_id="HW20261122TEST0001", owner="demo-12345", external_ref="R-1", partner_id="demo-12345",
        channel=Channel.HOTLINE_12345, title="楼上漏水", description="漏水", region_code="320509102001",
        address=None, parties=[Party("applicant", "张三")], party_count=1, amount_cny=None, risk_indicators=[],
        category=Category.NEIGHBOR, category_source=CategorySource.PARTNER, risk_level=RiskLevel.BLUE,
        received_at=dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.timezone.utc), request_hash="h", status=status,
    )


def test_the_table_is_the_contract():
    assert set(TRANSITIONS) == set(EXPECTED)
    for action, (sources, target) in EXPECTED.items():
        assert set(TRANSITIONS[action].sources) == sources, action
        assert TRANSITIONS[action].target == target, action


ALLOWED = [(action, status) for action, (sources, _) in EXPECTED.items() for status in sorted(sources)]
REFUSED = [(action, status) for action, (sources, _) in EXPECTED.items() for status in S if status not in sources]


@pytest.mark.parametrize(("action", "status"), ALLOWED, ids=lambda v: str(v))
def test_allowed_transitions_move_to_the_target(action, status):
    case = make_case(status)
    transition = case.apply(action)
    expected_target = EXPECTED[action][1]
    assert transition.action == action
    assert case.status is (expected_target or status)


@pytest.mark.parametrize(("action", "status"), REFUSED, ids=lambda v: str(v))
def test_refused_transitions_raise_and_leave_the_status(action, status):
    case = make_case(status)
    with pytest.raises(InvalidTransition) as caught:
        case.apply(action)
    assert case.status is status
    assert (caught.value.action, caught.value.status) == (action, status)
    assert str(caught.value) == f"cannot {action} a case that is {status.value}"


@pytest.mark.parametrize("status", [S.CLOSED, S.WITHDRAWN, S.MERGED])
def test_terminal_statuses_allow_nothing(status):
    for action in TRANSITIONS:
        with pytest.raises(InvalidTransition):
            make_case(status).check(action)


def test_check_does_not_change_the_status():
    case = make_case(S.DISPATCHED)
    assert case.check("accept").target is S.ACCEPTED
    assert case.status is S.DISPATCHED


def test_the_happy_path_end_to_end():
    case = make_case(S.RECEIVED)
    for action in ("dispatch", "accept", "note", "resolve", "visit", "close"):
        case.apply(action)
    assert case.status is S.CLOSED
    assert not case.is_open
