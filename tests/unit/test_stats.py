"""Statistics (§8): what a case contributes to the aggregates, the figures, the ranking formula."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.case import Case, Party
from chalicelib.domain.enums import CaseStatus, Category, CategorySource, Channel, RiskLevel, Tier
from chalicelib.domain.joint import Participant
from chalicelib.domain.sponsorship import Sponsor
from chalicelib.domain.stats import (
    ASSISTED,
    COUNTERS,
    ENTRY_COUNTERS,
    HARD_CASE_COUNTERS,
    MIN_CONCLUDED,
    PRIOR_WEIGHT,
    add_up,
    contributions,
    deltas,
    describe_row,
    figures,
    is_rank_row,
    open_red_district,
    rank,
    record_rows,
    region_open_row,
    stats_record,
    stats_changes,
    stats_rows,
)

UTC = dt.timezone.utc
RECEIVED = dt.datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # 01:00 on 23 Nov in Asia/Shanghai


def case(status=CaseStatus.RECEIVED, **changes) -> Case:
    base = Case(
        case_id="HW20261123STATS001", owner="p", external_ref="S-1", partner_id="p", channel=Channel.HOTLINE_12345,
        title="t", description="d", region_code="320509102001", address=None, parties=[Party("applicant", "张三")],
        party_count=1, amount_cny=None, risk_indicators=[], category=Category.NEIGHBOR,
        category_source=CategorySource.PARTNER, risk_level=RiskLevel.BLUE, received_at=RECEIVED, request_hash="h",
        status=status)
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def resolved(**changes) -> Case:
    values = dict(tier=Tier.VILLAGE, org_id="V-CN", mediator_id="M-CN-1",
                  agreement={"summary": "s", "performance_due": "2026-12-31"},
                  resolve_due_at=RECEIVED + dt.timedelta(days=20), concluded_at=RECEIVED + dt.timedelta(hours=30))
    values.update(changes)
    return case(values.pop("status", CaseStatus.RESOLVED), **values)


def test_counters_are_generated_from_the_enums():
    assert {"total", "status_closed", "category_labor_wages", "tier_town", "channel_police_110", "risk_red",
            "resolved", "unresolved", "concluded", "concluded_on_time", "visits", "visits_ok", "overdue_open",
            "resolve_seconds", "resolved_below_district"} <= set(COUNTERS)
    assert len(COUNTERS) == len(set(COUNTERS))


def test_a_new_case_counts_once_in_each_of_its_breakdowns():
    assert contributions(case()) == {"total": 1, "status_received": 1, "category_neighbor": 1,
                                     "channel_hotline_12345": 1, "risk_blue": 1, "open": 1}


def test_a_resolved_case_counts_its_outcome_time_and_tier():
    counts = contributions(resolved())
    assert counts["resolved"] == counts["concluded"] == counts["concluded_on_time"] == 1
    assert counts["resolve_seconds"] == 30 * 3600
    assert counts["resolved_below_district"] == 1 and counts["tier_village"] == 1
    assert "unresolved" not in counts


def test_reaching_resolved_survives_closing_and_late_is_not_on_time():
    closed = contributions(resolved(status=CaseStatus.CLOSED, resolve_due_at=RECEIVED + dt.timedelta(hours=1)))
    assert closed["status_closed"] == 1 and closed["resolved"] == 1 and "concluded_on_time" not in closed
    assert "status_resolved" not in closed


def test_an_unresolved_case_at_district():
    counts = contributions(resolved(status=CaseStatus.UNRESOLVED, agreement=None, tier=Tier.DISTRICT,
                                    referral={"channel": "litigation", "reason": "r"}))
    assert counts["unresolved"] == counts["concluded"] == 1
    assert "resolved" not in counts and "resolve_seconds" not in counts and "resolved_below_district" not in counts


def test_visits_and_satisfaction():
    visits = [{"seq": 1, "done_at": "x", "satisfaction": {"attitude": "satisfied", "process": "satisfied",
                                                          "effect": "dissatisfied"}},
              {"seq": 2, "done_at": "y", "satisfaction": {"attitude": "basically_satisfied",
                                                          "process": "satisfied", "effect": "satisfied"}},
              {"seq": 3, "done_at": None, "satisfaction": None}]
    counts = contributions(resolved(return_visits=visits))
    assert (counts["visits"], counts["visits_ok"]) == (2, 1)


GOOD = {"attitude": "satisfied", "process": "satisfied", "effect": "satisfied"}
BAD = {"attitude": "satisfied", "process": "satisfied", "effect": "dissatisfied"}


@pytest.mark.parametrize(("visits", "evaluation", "expected"), [
    ([], None, (0, 0)),
    ([], GOOD, (1, 1)),  # an unresolved or closed case's only score: the party's own
    ([], BAD, (1, 0)),
    ([{"seq": 1, "done_at": "x", "satisfaction": GOOD}], BAD, (2, 1)),
    ([{"seq": 1, "done_at": "x", "satisfaction": BAD}], GOOD, (2, 1)),
    ([{"seq": 1, "done_at": None, "satisfaction": None}], GOOD, (1, 1)),  # an open visit counts for nothing
])
def test_the_partys_self_evaluation_counts_in_satisfaction_as_a_visit_does(visits, evaluation, expected):
    evaluated = resolved(status=CaseStatus.CLOSED, return_visits=visits,
                         self_evaluation={"at": "2026-12-01T10:00:00+08:00", "satisfaction": evaluation,
                                          "comment": None} if evaluation else None)
    counts = contributions(evaluated)
    assert (counts.get("visits", 0), counts.get("visits_ok", 0)) == expected


def test_an_evaluation_adds_to_the_rows_of_the_org_and_mediator_that_concluded_the_case():
    closed = resolved(status=CaseStatus.CLOSED, return_visits=[{"seq": 1, "done_at": "x", "satisfaction": GOOD}])
    closed.stats_recorded = stats_changes(closed)[0]
    closed.self_evaluation = {"at": "2026-12-01T10:00:00+08:00", "satisfaction": BAD, "comment": "不满意"}
    _, changes = stats_changes(closed)
    assert changes["320509#2026-11-23"] == {"visits": 1}  # one more visit, not an ok one
    assert changes["org#320509102#2026-11-23#V-CN"] == changes["mediator_month#320509#2026-11#M-CN-1"] == {
        "visits": 1}
    assert figures(add_up([stats_rows(closed)["320509#2026-11-23"]]))["satisfaction_rate"] == 0.5


def test_overdue_counts_only_while_open():
    assert contributions(case(CaseStatus.DISPATCHED, overdue=True))["overdue_open"] == 1
    assert "overdue_open" not in contributions(case(CaseStatus.WITHDRAWN, overdue=True))


def test_rows_are_per_prefix_and_day_and_per_org_and_mediator_once_concluded():
    assert set(stats_rows(case())) == {"320509#2026-11-23", "320509102#2026-11-23", "320509102001#2026-11-23",
                                       "month#2026-11#d#320509", "month#2026-11#t#320509102",
                                       "month#2026-11#v#320509102001",
                                       "open#320509", "open#320509102", "open#320509102001"}  # open, not held
    rows = stats_rows(resolved())  # concluded: in no region-open row
    rank_rows = [row for row in rows if is_rank_row(row)]
    assert len(rank_rows) == 12  # org and mediator per day and per month at 3 prefixes
    assert len(rows) == 3 + 12 + 3 + 1  # and 3 region day rows, 3 month rows, the holding org's day row
    org_row = rows["org#320509102#2026-11-23#V-CN"]
    assert org_row == {"concluded": 1, "concluded_on_time": 1, "resolved": 1}
    assert rows["mediator#320509#2026-11-23#M-CN-1"] == org_row
    assert rows["org_month#320509102001#2026-11#V-CN"] == rows["mediator_month#320509#2026-11#M-CN-1"] == org_row
    assert describe_row("mediator#320509#2026-11-23#M-CN-1") == {
        "kind": "mediator", "region_code": "320509", "day": "2026-11-23", "subject_id": "M-CN-1"}
    assert describe_row("320509102#2026-11-23") == {"region_code": "320509102", "day": "2026-11-23"}


def test_deltas_move_a_case_between_counters_and_rows():
    before = stats_rows(case(CaseStatus.ACCEPTED, tier=Tier.VILLAGE, org_id="V-CN", mediator_id="M-CN-1"))
    after = stats_rows(resolved())
    changes = deltas(before, after)
    district = changes["320509#2026-11-23"]
    assert district["status_accepted"] == -1 and district["status_resolved"] == 1 and "total" not in district
    assert changes["org#320509#2026-11-23#V-CN"] == {"concluded": 1, "concluded_on_time": 1, "resolved": 1}
    assert deltas(after, after) == {}
    assert deltas(after, {}) == {row: {k: -v for k, v in c.items()} for row, c in after.items()}


def test_the_case_keeps_a_compact_record_and_writes_add_the_row_differences():
    accepted = case(CaseStatus.ACCEPTED, tier=Tier.VILLAGE, org_id="V-CN", mediator_id="M-CN-1")
    record, changes = stats_changes(accepted)
    assert record == {"v": 3, "counts": contributions(accepted), "holder": "V-CN"}  # not concluded: none credited
    assert changes == stats_rows(accepted) == record_rows(accepted, record)
    later = resolved()
    later.stats_recorded = record
    record2, changes2 = stats_changes(later)
    assert (record2["org"], record2["mediator"]) == ("V-CN", "M-CN-1")
    assert changes2 == deltas(stats_rows(accepted), stats_rows(later))
    later.stats_recorded = record2
    assert stats_changes(later) == (record2, {})  # nothing changed: nothing to add
    assert record_rows(later, {}) == {}


def test_figures_with_no_data_have_null_rates():
    result = figures(add_up([]))
    assert result["total"] == 0 and result["overdue_open"] == 0
    for rate in ("success_rate", "closure_rate", "on_time_rate", "avg_hours_to_resolve",
                 "resolved_below_district_share", "satisfaction_rate"):
        assert result[rate] is None, rate
    assert result["by_status"]["closed"] == 0 and set(result["by_tier"]) == {"village", "town", "district"}


def test_figures_add_up_cases():
    cases = [resolved(), resolved(status=CaseStatus.CLOSED, tier=Tier.DISTRICT,
                                  concluded_at=RECEIVED + dt.timedelta(hours=10)),
             resolved(status=CaseStatus.UNRESOLVED, agreement=None, referral={"channel": "other", "reason": "r"}),
             case()]
    result = figures(add_up(contributions(c) for c in cases))
    assert result["total"] == 4
    assert result["success_rate"] == round(2 / 3, 4)
    assert result["closure_rate"] == 0.25
    assert result["on_time_rate"] == 1.0
    assert result["avg_hours_to_resolve"] == 20.0
    assert result["resolved_below_district_share"] == 0.5
    assert result["satisfaction_rate"] is None
    assert result["by_status"] == {"received": 1, "dispatched": 0, "accepted": 0, "resolved": 1, "unresolved": 1,
                                   "closed": 1, "withdrawn": 0, "merged": 0, "transferred": 0}


def perf(concluded, on_time, resolved, visits=0, visits_ok=0):
    return {"concluded": concluded, "concluded_on_time": on_time, "resolved": resolved,
            "unresolved": concluded - resolved, "visits": visits, "visits_ok": visits_ok}


def test_ranking_needs_a_minimum_volume_and_pulls_small_records_to_the_average():
    table = rank({"fast-one": perf(1, 1, 1, 1, 1), "steady": perf(20, 18, 18, 10, 9), "weak": perf(6, 2, 3, 4, 1)})
    assert [e["id"] for e in table["ranked"]] == ["steady", "weak"]
    assert [e["rank"] for e in table["ranked"]] == [1, 2]
    assert [e["id"] for e in table["below_minimum"]] == ["fast-one"]
    assert MIN_CONCLUDED == 5 and PRIOR_WEIGHT == 5
    baseline = table["baseline"]
    assert baseline == {"on_time_rate": round(21 / 27, 4), "success_rate": round(22 / 27, 4),
                        "satisfaction_rate": round(11 / 15, 4)}
    steady = table["ranked"][0]
    expected = ((18 + 5 * 21 / 27) / 25 + (18 + 5 * 22 / 27) / 25 + (9 + 5 * 11 / 15) / 15) / 3
    assert steady["score"] == round(expected, 4)
    assert steady["on_time_rate"] == 0.9 and steady["satisfaction_rate"] == 0.9


def test_ranking_without_visits_scores_on_two_rates():
    table = rank({"a": perf(5, 5, 5), "b": perf(5, 0, 5)})
    assert table["baseline"]["satisfaction_rate"] is None
    assert [e["id"] for e in table["ranked"]] == ["a", "b"]
    assert table["ranked"][0]["satisfaction_rate"] is None


def test_split_range_reads_whole_months_by_month():
    from chalicelib.domain.stats import split_range

    d = dt.date
    assert split_range(d(2026, 11, 1), d(2026, 11, 30)) == ([], ("2026-11", "2026-11"))
    assert split_range(d(2026, 10, 15), d(2027, 1, 10)) == (
        [(d(2026, 10, 15), d(2026, 10, 31)), (d(2027, 1, 1), d(2027, 1, 10))], ("2026-11", "2026-12"))
    assert split_range(d(2026, 11, 3), d(2026, 11, 20)) == ([(d(2026, 11, 3), d(2026, 11, 20))], None)
    assert split_range(d(2026, 11, 3), d(2026, 12, 2)) == ([(d(2026, 11, 3), d(2026, 12, 2))], None)
    assert split_range(d(2024, 2, 1), d(2024, 2, 29)) == ([], ("2024-02", "2024-02"))
    assert split_range(d(2026, 12, 1), d(2027, 1, 31)) == ([], ("2026-12", "2027-01"))
    assert split_range(d(2026, 11, 30), d(2026, 11, 30)) == ([(d(2026, 11, 30), d(2026, 11, 30))], None)
    # the ends of the calendar: no overflow
    assert split_range(d(1, 1, 1), d(9999, 12, 31)) == ([], ("0001-01", "9999-12"))
    assert split_range(d(9999, 12, 15), d(9999, 12, 31)) == ([(d(9999, 12, 15), d(9999, 12, 31))], None)
    assert split_range(d(1, 1, 1), d(1, 1, 20)) == ([(d(1, 1, 1), d(1, 1, 20))], None)
    assert split_range(d(2026, 11, 22), d(9999, 12, 31)) == ([(d(2026, 11, 22), d(2026, 11, 30))], ("2026-12", "9999-12"))
    assert split_range(d(9999, 11, 4), d(9999, 12, 28)) == ([(d(9999, 11, 4), d(9999, 12, 28))], None)
    assert split_range(d(9999, 8, 27), d(9999, 12, 2)) == (
        [(d(9999, 8, 27), d(9999, 8, 31)), (d(9999, 12, 1), d(9999, 12, 2))], ("9999-09", "9999-11"))


# ------------------------------------------------ rows of the monthly analysis and the patrol reports


def test_a_case_counts_in_the_month_rows_of_its_three_prefixes():
    rows = stats_rows(case(CaseStatus.DISPATCHED, risk_level=RiskLevel.RED, org_id="V-CN", repeat_party=True))
    month = rows["month#2026-11#t#320509102"]
    assert month == rows["320509102#2026-11-23"]  # the month row counts what the day row counts
    assert month["open_red"] == month["repeat_party"] == month["total"] == 1
    assert describe_row("month#2026-11#t#320509102") == {"kind": "month", "day": "2026-11", "region_code": "320509102"}


def test_the_holding_org_counts_the_case_per_day_of_receipt_and_while_open():
    open_case = case(CaseStatus.ACCEPTED, risk_level=RiskLevel.RED, overdue=True, org_id="V-CN")
    rows = stats_rows(open_case)
    assert rows["org_day#V-CN#2026-11-23"] == {"total": 1, "open_red": 1, "overdue_open": 1}
    for prefix in ("320509", "320509102", "320509102001"):
        assert rows[f"org_open#{prefix}#V-CN"] == {"open": 1, "open_red": 1, "overdue_open": 1}
    closed = stats_rows(resolved(status=CaseStatus.CLOSED))
    assert closed["org_day#V-CN#2026-11-23"] == {"total": 1}  # still received by it, no longer open
    assert not any(row.startswith("org_open#") for row in closed)
    assert describe_row("org_day#V-CN#2026-11-23") == {"kind": "org_day", "subject_id": "V-CN", "day": "2026-11-23"}
    assert describe_row("org_open#320509#V-CN") == {"kind": "org_open", "region_code": "320509", "subject_id": "V-CN"}


def test_moving_to_another_org_moves_its_org_rows():
    before = stats_rows(case(CaseStatus.DISPATCHED, org_id="V-CN"))
    after = stats_rows(case(CaseStatus.DISPATCHED, org_id="T-CN"))
    changes = deltas(before, after)
    assert changes["org_day#V-CN#2026-11-23"] == {"total": -1}
    assert changes["org_day#T-CN#2026-11-23"] == {"total": 1}
    assert changes["org_open#320509#V-CN"] == {"open": -1} and changes["org_open#320509#T-CN"] == {"open": 1}
    assert "month#2026-11#d#320509" not in changes  # the region's months do not change


def test_letters_count_in_the_month_they_were_issued_not_the_month_of_receipt():
    rows = stats_rows(case(CaseStatus.ACCEPTED, org_id="V-CN", letter_months=["2026-11", "2026-12", "2026-12"]))
    assert rows["month#2026-11#d#320509"]["supervision_letters"] == 1
    assert rows["month#2026-12#v#320509102001"] == {"supervision_letters": 2}


def test_referrals_count_by_route():
    counts = contributions(resolved(status=CaseStatus.UNRESOLVED, agreement=None,
                                    referral={"channel": "arbitration", "reason": "r"}))
    assert counts["referral_arbitration"] == 1
    assert not any(name.startswith("referral_") for name in contributions(resolved()))


def test_a_record_kept_before_the_month_rows_expands_to_the_first_rows_only():
    old = {"counts": {"total": 1, "status_dispatched": 1}}
    assert not any(row.startswith(("month#", "org_")) for row in record_rows(case(org_id="V-CN"), old))
    later = case(CaseStatus.ACCEPTED, org_id="V-CN")
    later.stats_recorded = old
    _, changes = stats_changes(later)
    assert changes["month#2026-11#d#320509"]["total"] == 1  # the next write adds the case to the new rows whole


def test_the_open_red_index_holds_open_red_cases_only():
    assert open_red_district(case(CaseStatus.ACCEPTED, risk_level=RiskLevel.RED)) == "320509"
    assert open_red_district(case(CaseStatus.ACCEPTED, risk_level=RiskLevel.ORANGE)) is None
    assert open_red_district(resolved(risk_level=RiskLevel.RED)) is None


def test_every_org_a_case_was_dispatched_to_received_it_even_after_it_went_up_a_tier():
    escalated = case(CaseStatus.DISPATCHED, org_id="T-SL", risk_level=RiskLevel.RED,
                     dispatched_org_ids=["V-CN", "T-SL"])
    rows = stats_rows(escalated)
    assert rows["org_day#V-CN#2026-11-23"] == {"total": 1}  # received, no longer held: not open or red for it
    assert rows["org_day#T-SL#2026-11-23"] == {"total": 1, "open_red": 1}
    declined = stats_rows(case(CaseStatus.RECEIVED, dispatched_org_ids=["V-CN"]))  # waiting to be routed again
    assert declined["org_day#V-CN#2026-11-23"] == {"total": 1}
    assert not any(row.startswith("org_open#") for row in declined)


# ------------------------------------------------ hard cases: joint mediation (联合调解), sponsorship (领导包案)

JOINED = RECEIVED + dt.timedelta(days=2)


def joint(*org_ids: str, status=CaseStatus.ACCEPTED, **changes) -> Case:
    """A case of V-CN / M-CN-1 that the orgs `org_ids` assist."""
    participants = [Participant(org, JOINED, "需多方协调", "supervisor:320509") for org in org_ids]
    build = resolved if status in (CaseStatus.RESOLVED, CaseStatus.UNRESOLVED, CaseStatus.CLOSED) else case
    values = dict(tier=Tier.VILLAGE, org_id="V-CN", mediator_id="M-CN-1", participants=participants)
    return build(status=status, **{**values, **changes})


SPONSOR = Sponsor("李明", "吴江区副区长", "13900000301", dt.date(2026, 12, 20), JOINED, "supervisor:320509")


@pytest.mark.parametrize(("built", "expected"), [
    (case(CaseStatus.ACCEPTED), {}),
    (case(CaseStatus.ACCEPTED, sponsor=SPONSOR), {"sponsored": 1}),
    (joint("T-SL"), {"joint_mediation": 1}),
    (joint("T-SL", "D-WJ", sponsor=SPONSOR), {"sponsored": 1, "joint_mediation": 1}),  # a case, not an org
    (joint("T-SL", status=CaseStatus.CLOSED, sponsor=SPONSOR), {"sponsored": 1, "joint_mediation": 1}),
    (joint("T-SL", status=CaseStatus.WITHDRAWN, sponsor=SPONSOR), {"sponsored": 1, "joint_mediation": 1}),
    (joint("T-SL", status=CaseStatus.MERGED, sponsor=SPONSOR), {}),  # its dispute is the target's
])
def test_sponsored_and_jointly_mediated_cases_count_in_the_region_and_month_rows(built, expected):
    counts = contributions(built)
    assert {name: counts[name] for name in HARD_CASE_COUNTERS if name in counts} == expected
    rows = stats_rows(built)
    for row in ("320509#2026-11-23", "320509102001#2026-11-23", "month#2026-11#t#320509102"):
        assert {name: rows[row].get(name) for name in expected} == expected


def test_the_hard_case_counters_are_not_among_the_figures_of_section_8():
    result = figures(add_up([contributions(joint("T-SL", sponsor=SPONSOR))]))
    for name in (*HARD_CASE_COUNTERS, ASSISTED):
        assert name not in result and name not in result["counts"]


def assisted_rows(rows: dict) -> dict[str, dict]:
    return {row: counters for row, counters in rows.items() if ASSISTED in counters}


ASSISTED_KEYS = {f"{kind}#{prefix}#{day}#{{org}}" for prefix in ("320509", "320509102", "320509102001")
                 for kind, day in (("org", "2026-11-23"), ("org_month", "2026-11"))}
"""The ranking rows an assisting org counts a case in: per day and per month of receipt, at each prefix."""


@pytest.mark.parametrize(("status", "lead_ranked"), [
    (CaseStatus.RECEIVED, False), (CaseStatus.DISPATCHED, False), (CaseStatus.ACCEPTED, False),
    (CaseStatus.RESOLVED, True), (CaseStatus.UNRESOLVED, True), (CaseStatus.CLOSED, True),
    (CaseStatus.WITHDRAWN, False), (CaseStatus.TRANSFERRED, False),
])
def test_each_assisting_org_counts_the_case_as_assisted_from_the_moment_it_joins(status, lead_ranked):
    changes = {"agreement": None, "referral": {"channel": "litigation", "reason": "r"}} if (
        status is CaseStatus.UNRESOLVED) else {}
    rows = stats_rows(joint("T-SL", "D-WJ", status=status, **changes))
    expected = {key.format(org=org) for org in ("T-SL", "D-WJ") for key in ASSISTED_KEYS}
    assert assisted_rows(rows) == dict.fromkeys(expected, {ASSISTED: 1})  # none of the performance counters
    lead = {row: counters for row, counters in rows.items() if is_rank_row(row) and row.endswith("#V-CN")}
    assert bool(lead) is lead_ranked and not any(ASSISTED in counters for counters in lead.values())
    assert not any(row.startswith("mediator") and ASSISTED in counters for row, counters in rows.items())


def test_a_merged_case_counts_for_none_of_its_assisting_orgs():
    assert assisted_rows(stats_rows(joint("T-SL", status=CaseStatus.MERGED))) == {}
    assert "assisting" not in stats_changes(joint("T-SL", status=CaseStatus.MERGED))[0]


def test_the_row_differences_follow_an_org_joining_and_taking_the_lead():
    accepted = joint(status=CaseStatus.ACCEPTED)
    accepted.stats_recorded = stats_changes(accepted)[0]
    accepted.participants = [Participant("T-SL", JOINED, "需多方协调", "admin")]
    record, changes = stats_changes(accepted)
    assert record["assisting"] == ["T-SL"]
    t_sl = [key.format(org="T-SL") for key in ASSISTED_KEYS]
    region_and_month = [row for row in stats_rows(accepted) if not row.startswith(("org", "open#"))]
    assert len(region_and_month) == 6  # the region-open rows count no hard cases
    assert changes == {**dict.fromkeys(t_sl, {ASSISTED: 1}), **dict.fromkeys(region_and_month, {"joint_mediation": 1})}
    accepted.stats_recorded = record
    concluded = joint("T-SL", status=CaseStatus.RESOLVED)  # the lead concludes it: T-SL's rows do not change
    concluded.stats_recorded = record
    _, changes = stats_changes(concluded)
    assert not any(row.endswith("#T-SL") for row in changes)
    assert changes["org#320509#2026-11-23#V-CN"] == {"concluded": 1, "concluded_on_time": 1, "resolved": 1}
    led = joint(status=CaseStatus.DISPATCHED, org_id="T-SL")  # dispatched to it: it leads, no longer assists
    led.stats_recorded = record
    _, changes = stats_changes(led)
    assert {row: c for row, c in changes.items() if is_rank_row(row)} == dict.fromkeys(t_sl, {ASSISTED: -1})
    assert changes["320509#2026-11-23"]["joint_mediation"] == -1


def test_an_org_that_only_assisted_is_listed_below_the_minimum_with_its_count():
    assisted_only = {ASSISTED: 3}
    lead = {**perf(6, 5, 5, 2, 2), ASSISTED: 1}
    table = rank({"T-SL": add_up([assisted_only, {ASSISTED: 2}]), "V-CN": add_up([lead])}, ENTRY_COUNTERS["org"])
    assert [(e["id"], e["assisted"], e["concluded"]) for e in table["ranked"]] == [("V-CN", 1, 6)]
    assert [(e["id"], e["assisted"], e["concluded"]) for e in table["below_minimum"]] == [("T-SL", 5, 0)]
    assert table["baseline"] == rank({"V-CN": lead}, ENTRY_COUNTERS["org"])["baseline"]  # assisting adds no rate
    mediators = rank({"M-CN-1": perf(6, 5, 5)}, ENTRY_COUNTERS["mediator"])
    assert ASSISTED not in mediators["ranked"][0]


# ------------------------------------------------ the region-open rows (the supervisor dashboard, 一屏观全域)

PREFIXES = ("320509", "320509102", "320509102001")


@pytest.mark.parametrize(("state", "expected"), [
    (case(), {"open": 1}),  # received, held by no org: still open under its regions
    (case(CaseStatus.DISPATCHED, org_id="V-CN"), {"open": 1}),
    (case(CaseStatus.ACCEPTED, org_id="V-CN", risk_level=RiskLevel.RED), {"open": 1, "open_red": 1}),
    (case(CaseStatus.ACCEPTED, org_id="V-CN", overdue=True), {"open": 1, "overdue_open": 1}),
    (case(CaseStatus.RECEIVED, risk_level=RiskLevel.RED, dispatched_org_ids=["V-CN"]), {"open": 1, "open_red": 1}),
    (resolved(), None),
    (resolved(status=CaseStatus.CLOSED, risk_level=RiskLevel.RED), None),
    (case(CaseStatus.WITHDRAWN, overdue=True), None),
    (case(CaseStatus.MERGED, merged_into="HW2"), None),
])
def test_an_open_case_counts_in_the_region_open_row_of_each_of_its_prefixes(state, expected):
    rows = stats_rows(state)
    opened = {row: counts for row, counts in rows.items() if row.startswith("open#")}
    if expected is None:
        assert opened == {}
    else:
        assert opened == {region_open_row(prefix): expected for prefix in PREFIXES}
        assert describe_row("open#320509102") == {"kind": "open", "region_code": "320509102"}


def test_closing_an_open_case_takes_it_out_of_its_region_open_rows():
    before = stats_rows(case(CaseStatus.ACCEPTED, org_id="V-CN", mediator_id="M-CN-1", risk_level=RiskLevel.RED,
                             overdue=True))
    changes = deltas(before, stats_rows(resolved(risk_level=RiskLevel.RED)))
    for prefix in PREFIXES:
        assert changes[region_open_row(prefix)] == {"open": -1, "open_red": -1, "overdue_open": -1}


@pytest.mark.parametrize(("version", "month_rows", "open_rows"), [
    (None, False, False),  # before the month and org rows
    (2, True, False),  # before the region-open rows
    (3, True, True),
])
def test_a_record_expands_to_the_rows_of_its_version(version, month_rows, open_rows):
    held = case(CaseStatus.ACCEPTED, org_id="V-CN")
    record = {"counts": contributions(held), "holder": "V-CN", **({"v": version} if version else {})}
    rows = record_rows(held, record)
    assert any(row.startswith("month#") for row in rows) is month_rows
    assert any(row.startswith("org_open#") for row in rows) is month_rows
    assert any(row.startswith("open#") for row in rows) is open_rows


def test_the_next_write_of_a_case_recorded_at_version_2_adds_it_to_the_region_open_rows_only():
    held = case(CaseStatus.ACCEPTED, org_id="V-CN", overdue=True)
    held.stats_recorded = {**stats_record(held), "v": 2}
    record, changes = stats_changes(held)
    assert record["v"] == 3
    assert changes == {region_open_row(prefix): {"open": 1, "overdue_open": 1} for prefix in PREFIXES}
