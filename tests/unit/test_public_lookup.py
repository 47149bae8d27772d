"""domain/public_lookup.py: what a party sees of their case with its code (一案一码查询) — the
stages derived from the case's fields — and the guard's rules: the phone digits, the day the
tries count in, the Retry-After, the counter's expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.case import Case, ExtensionRequest, Party, Suspension
from chalicelib.domain.enums import (
    CaseStatus, Category, CategorySource, Channel, ExtensionStatus, RiskLevel, SuspensionReason)
from chalicelib.domain.public_lookup import (
    MAX_WRONG_TRIES, Stage, claim_matches, hours_between, lookup_day, progress, seconds_left_in_day, stages,
    tail_digests, tries_expire_at)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
UTC = dt.timezone.utc
R = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
"""Received: a working Monday morning."""


def h(hours: float) -> dt.datetime:
    """`hours` after the case was received."""
    return R + dt.timedelta(hours=hours)


def done(hours: float, seq: int = 1) -> dict:
    return {"seq": seq, "due_on": "2026-12-31", "done_at": h(hours).isoformat(), "agreement_performed": "yes",
            "satisfaction": {"attitude": "satisfied", "process": "satisfied", "effect": "satisfied"}}


def planned(due_on: str, seq: int = 1) -> dict:
    return {"seq": seq, "due_on": due_on, "done_at": None, "agreement_performed": None, "satisfaction": None}


def make_case(status: CaseStatus = CaseStatus.RECEIVED, **fields) -> Case:
    case = Case(
        case_id="HW20261123LOOKUP01", owner="p", external_ref="L-1", partner_id="p", channel=Channel.WALK_IN,
        title="楼上漏水", description="漏水", region_code="320509102001", address=None,
        parties=[Party("applicant", "张三", "13812345678"), Party("respondent", "李四")], party_count=2,
        amount_cny=None, risk_indicators=[], category=Category.NEIGHBOR, category_source=CategorySource.PARTNER,
        risk_level=RiskLevel.BLUE, received_at=R, request_hash="h", status=status, public_code="7KQ4M2XP-R")
    for name, value in fields.items():
        setattr(case, name, value)
    return case


S = CaseStatus
STAGE_TABLE = [
    # (what, status, case fields (hours after receipt), now, expected (stage, hours after receipt, hours in it))
    ("just received", S.RECEIVED, {}, h(2.5), [("received", 0, 2.5)]),
    ("dispatched three minutes on", S.DISPATCHED, {"dispatched_at": h(0.05)}, h(1),
     [("received", 0, 0.1), ("dispatched", 0.05, 1.0)]),  # 0.05 h rounds half up
    ("accepted", S.ACCEPTED, {"dispatched_at": h(0.1), "accepted_at": h(2)}, h(26),
     [("received", 0, 0.1), ("dispatched", 0.1, 1.9), ("accepted", 2, 24.0)]),
    ("resolved, no visit yet", S.RESOLVED, {"dispatched_at": h(0.1), "accepted_at": h(2), "concluded_at": h(50),
                                            "return_visits": [planned("2026-12-31")]}, h(74),
     [("received", 0, 0.1), ("dispatched", 0.1, 1.9), ("accepted", 2, 48.0), ("concluded", 50, 24.0)]),
    ("visited: the first visit made counts", S.RESOLVED,
     {"dispatched_at": h(0.1), "accepted_at": h(2), "concluded_at": h(50),
      "return_visits": [done(300, 2), done(200, 1), planned("2027-01-31", 3)]}, h(400),
     [("received", 0, 0.1), ("dispatched", 0.1, 1.9), ("accepted", 2, 48.0), ("concluded", 50, 150.0),
      ("visited", 200, 200.0)]),
    ("closed after its visits: closed has no duration", S.CLOSED,
     {"dispatched_at": h(0.1), "accepted_at": h(2), "concluded_at": h(50), "return_visits": [done(200)],
      "closed_at": h(210)}, h(900),
     [("received", 0, 0.1), ("dispatched", 0.1, 1.9), ("accepted", 2, 48.0), ("concluded", 50, 150.0),
      ("visited", 200, 10.0), ("closed", 210, None)]),
    ("unresolved: concluded until now", S.UNRESOLVED,
     {"dispatched_at": h(0.1), "accepted_at": h(2), "concluded_at": h(8)}, h(20),
     [("received", 0, 0.1), ("dispatched", 0.1, 1.9), ("accepted", 2, 6.0), ("concluded", 8, 12.0)]),
    ("unresolved then closed: no visit stage", S.CLOSED,
     {"dispatched_at": h(0.1), "accepted_at": h(2), "concluded_at": h(8), "closed_at": h(9.25)}, h(20),
     [("received", 0, 0.1), ("dispatched", 0.1, 1.9), ("accepted", 2, 6.0), ("concluded", 8, 1.3),
      ("closed", 9.25, None)]),
    ("withdrawn while dispatched: its file closed then", S.WITHDRAWN,
     {"dispatched_at": h(1), "closed_at": h(4)}, h(100),
     [("received", 0, 1.0), ("dispatched", 1, 3.0), ("closed", 4, None)]),
    ("transferred out of mediation while accepted: its file closed then", S.TRANSFERRED,
     {"dispatched_at": h(1), "accepted_at": h(3), "closed_at": h(7)}, h(100),
     [("received", 0, 1.0), ("dispatched", 1, 2.0), ("accepted", 3, 4.0), ("closed", 7, None)]),
    ("merged into another case: its time stopped", S.MERGED,
     {"dispatched_at": h(1), "accepted_at": h(3)}, h(100),
     [("received", 0, 1.0), ("dispatched", 1, 2.0), ("accepted", 3, None)]),
    ("declined, to be routed again: received once more", S.RECEIVED, {"dispatched_at": None}, h(30),
     [("received", 0, 30.0)]),
    ("routed afresh after an escalation: the current dispatch", S.DISPATCHED, {"dispatched_at": h(20)}, h(21),
     [("received", 0, 20.0), ("dispatched", 20, 1.0)]),
]


@pytest.mark.parametrize(("status", "fields", "now", "expected"), [row[1:] for row in STAGE_TABLE],
                         ids=[row[0] for row in STAGE_TABLE])
def test_the_stages_come_from_the_cases_own_fields(status, fields, now, expected):
    assert stages(make_case(status, **fields), now) == [
        Stage(name, h(offset), hours) for name, offset, hours in expected]


@pytest.mark.parametrize(("seconds", "hours"), [
    (0, 0.0), (179, 0.0), (180, 0.1), (4499, 1.2), (4500, 1.3), (36_000, 10.0), (-60, 0.0)])
def test_hours_round_half_up_to_a_tenth_and_never_go_below_zero(seconds, hours):
    assert hours_between(R, R + dt.timedelta(seconds=seconds)) == hours


def test_stage_times_are_moments_whatever_zone_they_were_stored_in():
    case = make_case(S.DISPATCHED, dispatched_at=h(1).astimezone(UTC))
    assert stages(case, h(2)) == [Stage("received", R, 1.0), Stage("dispatched", h(1), 1.0)]


# ---------------------------------------------------------------- progress


def _extension(status: ExtensionStatus) -> ExtensionRequest:
    return ExtensionRequest(5, "等待鉴定", h(30), "mediator:M-1", status)


@pytest.mark.parametrize(("extension", "extended"), [
    (None, False), (_extension(ExtensionStatus.PENDING), False), (_extension(ExtensionStatus.REJECTED), False),
    (_extension(ExtensionStatus.APPROVED), True)])
def test_extended_means_the_deadline_in_force_was_moved_by_an_approved_extension(extension, extended):
    case = make_case(S.ACCEPTED, dispatched_at=h(0.1), accepted_at=h(2), extension=extension)
    assert progress(case, "城南社区人民调解委员会", h(40)).extended is extended


@pytest.mark.parametrize(("resolve_due_at", "day"), [
    (None, None),
    (dt.datetime(2026, 12, 14, 23, 59, 59, tzinfo=SHANGHAI), dt.date(2026, 12, 14)),
    (dt.datetime(2026, 12, 14, 16, 30, tzinfo=UTC), dt.date(2026, 12, 15)),  # 00:30 in Shanghai
])
def test_the_resolve_deadline_is_given_as_its_shanghai_day(resolve_due_at, day):
    assert progress(make_case(S.DISPATCHED, resolve_due_at=resolve_due_at), None, h(1)).resolve_due_on == day


def test_the_progress_of_a_suspended_resolved_case_with_visits_left():
    suspension = Suspension(SuspensionReason.APPRAISAL, "等待鉴定", h(5), dt.date(2026, 12, 1), "mediator:M-1")
    suspended = progress(make_case(S.ACCEPTED, accepted_at=h(2), suspensions=[suspension]), "村调委", h(6))
    assert suspended.suspended is True and suspended.next_visit_due_on is None and suspended.org_name == "村调委"
    visits = [done(200, 1), planned("2027-01-30", 3), planned("2027-01-05", 2)]
    resolved = progress(make_case(S.RESOLVED, concluded_at=h(50), return_visits=visits), "村调委", h(300))
    assert resolved.next_visit_due_on == dt.date(2027, 1, 5) and resolved.suspended is False
    assert resolved.status is S.RESOLVED and [s.stage for s in resolved.stages] == ["received", "concluded",
                                                                                   "visited"]


# ------------------------------------------------------------------- guard


@pytest.mark.parametrize(("parties", "digits", "matches"), [
    ([Party("applicant", "张三", "13812345678")], "5678", True),
    ([Party("applicant", "张三", "13812345678")], "5679", False),
    ([Party("applicant", "张三"), Party("respondent", "李四", "13987654321")], "4321", True),  # any party
    ([Party("applicant", "张三", "13812345678"), Party("respondent", "李四", "13987654321")], "4321", True),
    ([Party("applicant", "张三", "051263001234")], "1234", True),  # a landline's last digits
    ([Party("applicant", "张三"), Party("respondent", "李四")], "0000", False),  # no phone at all
    ([Party("applicant", "张三", "13812345678")], "1381", False),  # the first digits are not the last
])
def test_the_digits_must_end_a_partys_phone(parties, digits, matches):
    code = "7KQ4M2XP-R"
    assert claim_matches(tail_digests(code, make_case(parties=parties).parties), code, digits) is matches


def test_no_case_matches_no_digits():
    assert claim_matches(None, "7KQ4M2XP-R", "5678") is False and claim_matches(None, "7KQ4M2XP-R", "") is False


@pytest.mark.parametrize(("now", "day", "seconds"), [
    (dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), dt.date(2026, 11, 23), 14 * 3600),
    (dt.datetime(2026, 11, 23, 23, 59, 30, tzinfo=SHANGHAI), dt.date(2026, 11, 23), 30),
    (dt.datetime(2026, 11, 23, 23, 59, 59, 500_000, tzinfo=SHANGHAI), dt.date(2026, 11, 23), 1),  # rounded up
    (dt.datetime(2026, 11, 24, 0, 0, tzinfo=SHANGHAI), dt.date(2026, 11, 24), 86_400),
    (dt.datetime(2026, 11, 23, 15, 59, tzinfo=UTC), dt.date(2026, 11, 23), 60),  # 23:59 in Shanghai
    (dt.datetime(2026, 11, 23, 16, 0, tzinfo=UTC), dt.date(2026, 11, 24), 86_400),  # midnight in Shanghai
])
def test_tries_count_per_shanghai_day_and_retry_after_is_what_is_left_of_it(now, day, seconds):
    assert lookup_day(now) == day
    assert seconds_left_in_day(now) == seconds


def test_a_days_count_is_kept_until_a_day_after_that_day_ends():
    assert tries_expire_at(dt.date(2026, 11, 23)) == dt.datetime(2026, 11, 25, 0, 0, tzinfo=SHANGHAI)
    assert MAX_WRONG_TRIES == 5  # the contract: the 6th wrong try of a day is refused


def test_the_claim_keeps_digests_of_the_phone_tails_and_judges_a_try_on_them_alone():
    parties = [Party("applicant", "张三", "13812345678"), Party("respondent", "李四"),
               Party("respondent", "王五", "13900001111"), Party("applicant", "赵六", "13700005678")]
    digests = tail_digests("7KQ4M2XP-R", parties)
    assert len(digests) == 2 and not any("5678" in d or "1111" in d for d in digests)  # one per tail, no digits
    assert claim_matches(digests, "7KQ4M2XP-R", "5678") and claim_matches(digests, "7KQ4M2XP-R", "1111")
    assert not claim_matches(digests, "7KQ4M2XP-R", "0000")
    assert not claim_matches(digests, "23456789-2", "5678")  # another code's claim: another digest
    assert not claim_matches(None, "7KQ4M2XP-R", "5678") and not claim_matches((), "7KQ4M2XP-R", "5678")
