"""domain/supervision.py: when the sweep next looks at a case that no org could take."""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.enums import CaseStatus
from chalicelib.domain.supervision import SELF_HEAL_DELAY, next_check_at, next_routing_attempt
from tests.unit.test_case import make_case

MINUTE = dt.timedelta(minutes=1)


def test_an_unroutable_case_is_tried_at_its_self_heal_then_ever_less_often_up_to_a_day():
    case = make_case(CaseStatus.RECEIVED)
    at = case.received_at  # the routing message arrives at once, and no org can take it
    tried = []
    for _ in range(10):
        case.route_retry_at = next_routing_attempt(case, at)
        case.unroutable_attempts += 1
        assert next_check_at(case) == case.route_retry_at  # the due index follows it
        tried.append(round((case.route_retry_at - case.received_at) / MINUTE))
        at = case.route_retry_at  # the sweep tries exactly then, and fails again
    assert tried[:7] == [2, 32, 92, 212, 452, 932, 1892]  # +2 min, then +30 min, 1 h, 2 h, 4 h, 8 h, 16 h
    gaps = [b - a for a, b in zip(tried, tried[1:])]
    assert gaps[-3:] == [24 * 60] * 3  # capped at a day


def test_a_new_routing_request_starts_again_from_its_own_self_heal():
    case = make_case(CaseStatus.DISPATCHED)
    case.unroutable_attempts = 5
    declined_at = case.received_at + dt.timedelta(days=3)
    case.decline("不属本社区", declined_at, "mediator:M-CN-1")
    assert case.unroutable_attempts == 0
    assert next_routing_attempt(case, declined_at) == declined_at + SELF_HEAL_DELAY
