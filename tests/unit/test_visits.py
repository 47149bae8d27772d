"""Return visits (回访): the plan table, the notices the sweep owes, and the derived index key."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.case import Case, Party
from chalicelib.domain.enums import CaseStatus, Category, CategorySource, Channel, RiskLevel
from chalicelib.domain.visits import (
    DUE_NOTICE_LEAD_DAYS,
    FOLLOW_UP_VISIT_DAYS,
    VISIT_DUE,
    VISIT_OVERDUE,
    VISIT_SHARDS,
    follow_up_visit,
    next_visit_check_on,
    notices_due,
    plan_visits,
    visit_shard,
)

D = dt.date


def resolved_case(*due_ons: str, status: CaseStatus = CaseStatus.RESOLVED) -> Case:
    return Case(
        case_id="HW20261122VISIT001", owner="p", external_ref="V-1", partner_id="p", channel=Channel.ONLINE,
        title="t", description="d", region_code="320509102001", address=None, parties=[Party("applicant", "张三")],
        party_count=1, amount_cny=None, risk_indicators=[], category=Category.NEIGHBOR,
        category_source=CategorySource.PARTNER, risk_level=RiskLevel.BLUE,
        received_at=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), request_hash="h", status=status,
        return_visits=[{"seq": i, "due_on": due, "done_at": None, "agreement_performed": None, "satisfaction": None}
                       for i, due in enumerate(due_ons, start=1)],
    )


@pytest.mark.parametrize(("category", "offsets"), [
    (Category.MARRIAGE_FAMILY, [7, 30, 90]), (Category.LABOR_WAGES, [3]), (Category.NEIGHBOR, [30]),
    (Category.OTHER, [30])])
def test_plan_follows_the_category_table(category, offsets):
    visits = plan_visits(category, D(2026, 12, 31))
    assert [(D.fromisoformat(v["due_on"]) - D(2026, 12, 31)).days for v in visits] == offsets
    assert [v["seq"] for v in visits] == list(range(1, len(offsets) + 1))
    assert all(v["done_at"] is None and v["satisfaction"] is None for v in visits)


def test_due_notice_from_three_days_before_and_overdue_the_day_after():
    case = resolved_case("2027-01-10")
    assert DUE_NOTICE_LEAD_DAYS == 3
    assert next_visit_check_on(case) == D(2027, 1, 7)
    assert notices_due(case, D(2027, 1, 6)) == []
    assert [k for _, k in notices_due(case, D(2027, 1, 7))] == [VISIT_DUE]
    assert [k for _, k in notices_due(case, D(2027, 1, 10))] == [VISIT_DUE]  # on due_on: not overdue yet
    assert [k for _, k in notices_due(case, D(2027, 1, 11))] == [VISIT_DUE, VISIT_OVERDUE]  # both, at once


def test_each_notice_once_then_the_index_key_moves_on_and_disappears():
    case = resolved_case("2027-01-10")
    case.return_visits[0]["due_notified_at"] = "2027-01-07T01:00:00+00:00"
    assert next_visit_check_on(case) == D(2027, 1, 11)
    assert notices_due(case, D(2027, 1, 9)) == []
    case.return_visits[0]["overdue_notified_at"] = "2027-01-11T01:00:00+00:00"
    assert next_visit_check_on(case) is None
    assert notices_due(case, D(2028, 1, 1)) == []


def test_the_earliest_owed_notice_of_any_open_visit_is_the_key():
    case = resolved_case("2027-01-10", "2027-02-02", "2027-04-01")
    case.return_visits[0].update(done_at="2027-01-08T02:00:00+00:00")  # done: owes nothing
    assert next_visit_check_on(case) == D(2027, 1, 30)
    assert [v["seq"] for v, _ in notices_due(case, D(2027, 3, 30))] == [2, 2, 3]


@pytest.mark.parametrize("status", [s for s in CaseStatus if s is not CaseStatus.RESOLVED])
def test_only_a_resolved_case_owes_notices(status):
    case = resolved_case("2027-01-10", status=status)
    assert next_visit_check_on(case) is None
    assert notices_due(case, D(2027, 6, 1)) == []


def test_follow_up_visit_only_when_none_is_open():
    case = resolved_case("2027-01-10", "2027-02-02")
    assert follow_up_visit(case.return_visits, D(2027, 1, 10)) is None
    done = [visit | {"done_at": "2027-01-09T02:00:00+00:00"} for visit in case.return_visits]
    follow = follow_up_visit(done, D(2027, 2, 2))
    assert follow["seq"] == 3 and follow["follow_up"] is True and follow["done_at"] is None
    assert D.fromisoformat(follow["due_on"]) == D(2027, 2, 2) + dt.timedelta(days=FOLLOW_UP_VISIT_DAYS)


def test_shards_are_stable_and_in_range():
    shards = {visit_shard(f"HW2026112{i:04d}") for i in range(200)}
    assert shards == {str(i) for i in range(VISIT_SHARDS)}
    assert visit_shard("HW20261122ABCDEFGH") == visit_shard("HW20261122ABCDEFGH")
