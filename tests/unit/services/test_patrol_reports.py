"""Patrol reports on the fakes (§13): sensitive periods, submitting and reading reports, the roll
call, and the report sweep: one `report_missing` per missing report at the first sweep past its
due time, from the schedules' due index only, never twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from chalicelib.domain.access import Principal
from chalicelib.domain.enums import CaseStatus, Role
from chalicelib.domain.patrol_reports import parse_period
from chalicelib.services.commands import (
    NewOrg, NewSensitivePeriod, PatrolReportInput, ReportRollQuery, SensitivePeriodFilters)
from chalicelib.services.errors import Forbidden, NotFound, Unprocessable
from chalicelib.services.sweeping import TIME_BUDGET_RESERVE_MS
from tests.unit.services.builders import (
    ADMIN, COLLEAGUE, MEDIATOR, MONDAY, OTHER_MEDIATOR, OTHER_SUPERVISOR, PARTNER, SHANGHAI, SUPERVISOR, parse,
    refused)

TOWN_SUPERVISOR = Principal(Role.SUPERVISOR, "supervisor:320509102", jurisdiction="320509102")
HEAD_OF = {"V-CN": "13900000101", "T-SL": "13900000102", "D-WJ": "13900000103"}


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


W48_DUE = sh(2026, 11, 30, 17)
"""The week of MONDAY (23 November 2026), 2026-W48, is due on the next Monday at 17:00."""
TOWN_DUE = sh(2026, 12, 1, 17)
"""2026-11b, the town's half-month of MONDAY, is due on 1 December at 17:00."""
DISTRICT_DUE = sh(2026, 12, 5, 17)
"""2026-11, the district's month, is due on 5 December at 17:00."""

ZERO = {"zero": True, "note": "本周未排查出矛盾纠纷"}
FOUND = {"zero": False, "findings": [{"text": "两户因宅基地界址发生争执", "category": "land_resources",
                                      "risk_indicators": ["long_standing"]}], "note": "已登记"}


@pytest.fixture
def reports(container, centre):
    return container.patrol_reports


@pytest.fixture
def patrol(container):
    return container.patrol_store


@pytest.fixture
def sweep(container, centre):
    return container.report_sweep


def submit(reports, org_id: str, period: str, body: dict, principal: Principal = MEDIATOR):
    return reports.submit(org_id, period, parse(PatrolReportInput, body), principal)


def declare(reports, principal: Principal = SUPERVISOR, **body):
    body = {"region": "320509", "from": "2026-12-24", "to": "2027-01-03", "reason": "元旦", **body}
    return reports.declare_sensitive_period(parse(NewSensitivePeriod, body), principal)


def roll(reports, period: str, region: str = "320509", principal: Principal = SUPERVISOR) -> dict:
    _, lists = reports.roll_call(parse(ReportRollQuery, {"region": region, "period": period}), principal)
    return {standing.value: org_ids for standing, org_ids in lists.items()}


def report_sms(centre) -> list[tuple[str, str]]:
    centre.deliver_sms()
    return [(phone, text) for phone, text in centre.services.sms_sender.sent if "排查报告" in text]


def patrol_state(container):
    store = container.patrol_store
    return (dict(store._reports), dict(store._sensitive), dict(store._schedules))


# ----------------------------------------------------------- sensitive periods


def test_a_supervisor_declares_a_sensitive_period_in_their_jurisdiction(reports, clock):
    period = declare(reports)
    assert (period.region, period.first, period.last, period.reason, period.days) == (
        "320509", dt.date(2026, 12, 24), dt.date(2027, 1, 3), "元旦", 11)
    assert period.created_at == clock() and period.created_by == "supervisor:320509"
    assert period.period_id.startswith("SP20261123")
    assert declare(reports, ADMIN, region="320509103").region == "320509103"


@pytest.mark.parametrize("principal, body, error, field", [
    (OTHER_SUPERVISOR, {}, Forbidden, None),
    (TOWN_SUPERVISOR, {}, Forbidden, None),  # the district is wider than the town supervisor's jurisdiction
    (ADMIN, {"region": "320509199"}, Unprocessable, "region"),  # no such region
    (ADMIN, {"from": "2026-12-24", "to": "2026-12-23"}, Unprocessable, "from"),
    (ADMIN, {"from": "2026-12-01", "to": "2027-01-01"}, Unprocessable, "to"),  # 32 days
])
def test_a_sensitive_period_refused_writes_nothing(container, reports, principal, body, error, field):
    with refused(error, lambda: patrol_state(container)) as caught:
        declare(reports, principal, **body)
    if field:
        assert caught.value.errors[0]["field"] == field


def test_who_sees_which_sensitive_periods(reports, container):
    district = declare(reports, ADMIN)
    town = declare(reports, ADMIN, region="320509102", **{"from": "2026-12-20", "to": "2026-12-21"})
    other_town = declare(reports, ADMIN, region="320509103", **{"from": "2026-12-25"})

    def ids(principal, **filters):
        return [p.period_id for p in reports.sensitive_periods(parse(SensitivePeriodFilters, filters), principal)]

    assert ids(ADMIN) == [town.period_id, district.period_id, other_town.period_id]  # earliest first
    assert ids(TOWN_SUPERVISOR) == [town.period_id, district.period_id]  # the district's covers the town too
    assert ids(OTHER_SUPERVISOR) == []
    assert ids(SUPERVISOR, region="320509103001") == [district.period_id, other_town.period_id]
    assert ids(MEDIATOR) == [town.period_id, district.period_id]  # those over the mediator's org
    with pytest.raises(Forbidden):
        ids(TOWN_SUPERVISOR, region="320509")


# ------------------------------------------------------------------ reports


def test_a_mediator_submits_a_zero_report_on_time_and_reads_it_back(reports, clock):
    report = submit(reports, "V-CN", "2026-W48", ZERO)
    assert (report.org_id, report.period.key, report.zero, report.findings, report.late) == (
        "V-CN", "2026-W48", True, (), False)
    assert report.facts == {"received": 0, "open_red": 0, "overdue_open": 0}
    assert report.submitted_at == clock() and report.submitted_by == "mediator:M-CN-1"
    assert reports.report("V-CN", "2026-W48", SUPERVISOR) == report


def test_submitting_again_replaces_the_report_and_after_the_due_time_it_is_late(reports, clock):
    submit(reports, "V-CN", "2026-W48", ZERO)
    clock.set(W48_DUE + dt.timedelta(minutes=1))
    replaced = submit(reports, "V-CN", "2026-W48", FOUND, COLLEAGUE)
    assert replaced.late and not replaced.zero and replaced.findings[0].category.value == "land_resources"
    assert reports.report("V-CN", "2026-W48", ADMIN) == replaced
    clock.set(W48_DUE)
    assert not submit(reports, "V-CN", "2026-W48", ZERO).late  # on the due time is on time


def test_a_zero_report_is_refused_while_the_org_received_a_case_in_the_period(centre, reports, container):
    case = centre.case_at(CaseStatus.DISPATCHED)
    assert case.org_id == "V-CN"
    with refused(Unprocessable, lambda: patrol_state(container)) as caught:
        submit(reports, "V-CN", "2026-W48", ZERO)
    assert caught.value.errors[0]["field"] == "zero"
    report = submit(reports, "V-CN", "2026-W48", FOUND)
    assert report.facts == {"received": 1, "open_red": 0, "overdue_open": 0}
    assert submit(reports, "T-SL", "2026-11b", ZERO, ADMIN).facts["received"] == 0  # another org's figures


@pytest.mark.parametrize("org_id, period, principal, error", [
    ("V-NONE", "2026-W48", ADMIN, NotFound),
    ("V-CN", "2026-W48", OTHER_MEDIATOR, Forbidden),  # a mediator of another org
    ("V-CN", "2026-W48", OTHER_SUPERVISOR, Forbidden),
    ("V-CN", "2026-W48", PARTNER, Forbidden),
    ("V-CN", "2026-11b", MEDIATOR, NotFound),  # a village reports weekly
    ("T-SL", "2026-W48", ADMIN, NotFound),  # a town reports half-monthly
    ("D-WJ", "2026-11a", ADMIN, NotFound),  # a district monthly
    ("V-CN", "2026-W49", MEDIATOR, NotFound),  # next week has not begun
    ("V-CN", "2026-11-23", MEDIATOR, NotFound),  # a day with no sensitive period
    ("V-CN", "2026-W99", MEDIATOR, NotFound),  # names no period
    ("V-CN", "latest", MEDIATOR, NotFound),
])
def test_a_report_refused_writes_nothing(container, reports, org_id, period, principal, error):
    with refused(error, lambda: patrol_state(container)):
        submit(reports, org_id, period, ZERO, principal)


def test_in_a_sensitive_period_every_org_under_its_region_owes_a_daily_report(reports, clock):
    declare(reports, **{"from": "2026-11-23", "to": "2026-11-25"})
    for org_id in ("V-CN", "T-SL", "D-WJ"):
        assert submit(reports, org_id, "2026-11-23", ZERO, ADMIN).period.kind.value == "daily"
    with pytest.raises(NotFound):
        submit(reports, "V-CN", "2026-11-24", ZERO)  # tomorrow has not begun
    clock.set(sh(2026, 11, 26, 9))
    with pytest.raises(NotFound):
        submit(reports, "V-CN", "2026-11-26", ZERO)  # after its last day
    assert submit(reports, "V-CN", "2026-11-24", ZERO).late


def test_reading_a_report_not_in_is_404(reports):
    with pytest.raises(NotFound):
        reports.report("V-CN", "2026-W48", MEDIATOR)


# ----------------------------------------------------------------- roll call


def test_the_roll_call_lists_each_owing_org_once(reports, container, clock):
    container.directory.add_org(parse(NewOrg, {
        "org_id": "V-JC", "name": "江城社区人民调解委员会", "region_code": "320509102002", "tier": "village",
        "mediation_type": "people", "head_phone": "13900000104"}))
    container.directory.add_org(parse(NewOrg, {
        "org_id": "V-TL", "name": "同里村人民调解委员会", "region_code": "320509103001", "tier": "village",
        "mediation_type": "people", "head_phone": "13900000105"}))
    submit(reports, "V-CN", "2026-W48", ZERO)
    assert roll(reports, "2026-W48") == {"submitted": ["V-CN"], "late": [], "missing": [], "pending": ["V-JC", "V-TL"]}
    clock.set(W48_DUE + dt.timedelta(hours=1))
    submit(reports, "V-JC", "2026-W48", ZERO, ADMIN)
    assert roll(reports, "2026-W48") == {"submitted": ["V-CN"], "late": ["V-JC"], "missing": ["V-TL"], "pending": []}
    assert roll(reports, "2026-W48", "320509102", TOWN_SUPERVISOR) == {
        "submitted": ["V-CN"], "late": ["V-JC"], "missing": [], "pending": []}
    assert roll(reports, "2026-11b") == {"submitted": [], "late": [], "missing": [], "pending": ["T-SL"]}
    assert roll(reports, "2026-11") == {"submitted": [], "late": [], "missing": [], "pending": ["D-WJ"]}
    assert roll(reports, "2026-11-30") == {"submitted": [], "late": [], "missing": [], "pending": []}
    with pytest.raises(Forbidden):
        roll(reports, "2026-W48", "320509", TOWN_SUPERVISOR)
    with pytest.raises(NotFound):
        roll(reports, "2026-W50")  # not begun


def test_the_roll_call_of_a_day_lists_the_orgs_under_its_sensitive_periods(reports, clock):
    declare(reports, ADMIN, region="320509102", **{"from": "2026-11-23", "to": "2026-11-30"})
    declare(reports, ADMIN, region="320509102001", **{"from": "2026-11-23", "to": "2026-11-23"})  # overlapping
    submit(reports, "T-SL", "2026-11-23", ZERO, ADMIN)
    assert roll(reports, "2026-11-23") == {"submitted": ["T-SL"], "late": [], "missing": [], "pending": ["V-CN"]}
    # the district org is not under the town's period; under a town supervisor's prefix the same two
    assert roll(reports, "2026-11-23", "320509102", TOWN_SUPERVISOR)["pending"] == ["V-CN"]
    assert roll(reports, "2026-11-23", "320509102001", TOWN_SUPERVISOR) == {
        "submitted": [], "late": [], "missing": [], "pending": ["V-CN"]}


# -------------------------------------------------------------------- sweep


def test_the_first_sweep_starts_the_cadences_at_the_current_period_and_sends_nothing(sweep, patrol, centre):
    result = sweep.run()
    assert (result.examined, result.actions) == (0, 0)
    assert {s.schedule_id: s.period.key for s in patrol._schedules.values()} == {
        "cadence#weekly": "2026-W48", "cadence#half_monthly": "2026-11b", "cadence#monthly": "2026-11"}
    assert report_sms(centre) == []


def test_the_sweep_reminds_each_org_head_of_a_missing_report_once(sweep, reports, patrol, centre, container):
    sweep.run()  # the service runs from MONDAY on
    submit(reports, "T-SL", "2026-11b", ZERO, TOWN_SUPERVISOR)  # the town's is in: it gets nothing
    assert sweep.run(as_of=W48_DUE).actions == 0  # on the due time is not past it
    result = sweep.run(as_of=W48_DUE + dt.timedelta(minutes=5))
    assert (result.examined, result.actions) == (1, 1)
    sent = report_sms(centre)
    assert sent == [(HEAD_OF["V-CN"], "【和为贵】城南社区人民调解委员会2026年第48周排查报告应于"
                                      "11-30 17:00前报送，请尽快报送（无纠纷的报零报告）。")]
    assert patrol.schedule("cadence#weekly").period.key == "2026-W49"
    assert (sweep.run(as_of=W48_DUE + dt.timedelta(minutes=10)).examined, report_sms(centre)) == (0, sent)

    sweep.run(as_of=TOWN_DUE + dt.timedelta(minutes=5))  # the town's report is in
    sweep.run(as_of=DISTRICT_DUE + dt.timedelta(minutes=5))  # the district's is not
    assert [phone for phone, _ in report_sms(centre)] == [HEAD_OF["V-CN"], HEAD_OF["D-WJ"]]
    assert [r["kind"] for r in reports.org_notifications("D-WJ", SUPERVISOR)] == ["report_missing"]
    notes = reports.org_notifications("V-CN", ADMIN)
    assert [(n["kind"], n["status"]) for n in notes] == [("report_missing", "sent")]
    assert reports.org_notifications("T-SL", SUPERVISOR) == []


def test_a_sweep_retried_on_a_period_already_reminded_sends_nothing_twice(sweep, patrol, centre):
    sweep.run()
    late = W48_DUE + dt.timedelta(minutes=5)
    sweep.run(as_of=late)
    # as if the first run had crashed after storing its reminders, before moving the schedule on
    moved_on = patrol.schedule("cadence#weekly")
    patrol._schedules["cadence#weekly"] = replace(moved_on, period=parse_period("2026-W48"))
    result = sweep.run(as_of=late)
    assert (result.examined, result.actions) == (1, 0)
    assert patrol.schedule("cadence#weekly") == moved_on
    assert len(report_sms(centre)) == 1


def test_two_sweeps_at_once_move_a_schedule_on_once_and_send_once(container, sweep, patrol, centre):
    sweep.run()
    late = W48_DUE + dt.timedelta(minutes=5)
    other = type(sweep)(patrol, container.directory_store, container.notifier, container.publisher, container.clock)
    outcome = {}
    patrol.interleave(lambda: outcome.setdefault("other", other.run(as_of=late)))
    first = sweep.run(as_of=late)
    assert (first.actions + outcome["other"].actions) == 1
    assert patrol.schedule("cadence#weekly").period.key == "2026-W49"
    assert len(report_sms(centre)) == 1


def test_an_idle_sweep_reads_the_due_index_and_nothing_else(sweep, patrol, container, clock):
    sweep.run()
    patrol.reads.clear()
    for hours in range(0, 24 * 7, 6):  # a week of sweeps before the first due time
        result = sweep.run(as_of=MONDAY + dt.timedelta(hours=hours))
        assert (result.examined, result.actions) == (0, 0)
    assert dict(patrol.reads) == {"due_index": 28}  # no schedule, org or report read


def test_a_sweep_reads_only_the_orgs_owing_the_period_due(sweep, patrol, container):
    for n in range(5):
        container.directory.add_org(parse(NewOrg, {
            "org_id": f"V-{n}", "name": f"第{n}村调委会", "region_code": "320509103001", "tier": "village",
            "mediation_type": "people", "head_phone": f"1390000020{n}"}))
    sweep.run()
    patrol.reads.clear()
    assert sweep.run(as_of=W48_DUE + dt.timedelta(minutes=5)).actions == 6  # the six village orgs
    assert dict(patrol.reads) == {"due_index": 1, "reports": 6}


def test_a_sweep_after_an_outage_reminds_of_every_period_missed_in_turn(sweep, patrol, centre):
    sweep.run()
    result = sweep.run(as_of=sh(2026, 12, 15, 9))  # W48, W49 and W50 are due, and the town's and district's
    assert result.examined == 5 and result.actions == 5
    assert patrol.schedule("cadence#weekly").period.key == "2026-W51"
    texts = [text for phone, text in report_sms(centre) if phone == HEAD_OF["V-CN"]]
    assert texts == ["【和为贵】城南社区人民调解委员会有3期排查报告未报，最早2026年第48周应于11-30 17:00前报送，请尽快报送。"]


def test_a_sweep_short_of_time_continues_through_the_sweeps_queue(sweep, patrol, container, centre, clock):
    sweep.run()
    budget = iter([TIME_BUDGET_RESERVE_MS + 1, TIME_BUDGET_RESERVE_MS - 1])
    late = sh(2026, 12, 8, 17, 5)  # W48 and W49 due
    result = sweep.run(as_of=late, remaining_ms=lambda: next(budget))
    assert (result.examined, result.complete) == (1, False)
    assert container.publisher.bodies("sweeps") == [{"sweep": "patrol_reports", "as_of": late.isoformat()}]
    assert sweep.run(as_of=late).examined == 3  # W49, the town's 2026-11b and the district's 2026-11
    assert len(report_sms(centre)) == 3  # W49's to the village head, a minute after W48's, is held
    clock.advance(minutes=1)
    assert len(report_sms(centre)) == 4


def test_a_sensitive_periods_days_are_reminded_until_its_last_day(sweep, reports, patrol, centre, clock):
    sweep.run()
    period = declare(reports, region="320509102", **{"from": "2026-11-23", "to": "2026-11-24"})
    submit(reports, "V-CN", "2026-11-23", ZERO)
    sweep.run(as_of=sh(2026, 11, 23, 17, 5))
    assert [phone for phone, _ in report_sms(centre)] == [HEAD_OF["T-SL"]]  # the town's is missing
    clock.advance(hours=1)  # the sender's clock: a second reminder to the town's head in a minute would wait
    sweep.run(as_of=sh(2026, 11, 24, 17, 5))
    sent = report_sms(centre)
    assert [phone for phone, _ in sent] == [HEAD_OF["T-SL"], HEAD_OF["T-SL"], HEAD_OF["V-CN"]]
    assert "2026年11月24日排查报告" in sent[-1][1]
    schedule = patrol.schedule(f"sensitive#{period.period_id}")
    assert schedule.period is None  # off the index after its last day
    patrol.reads.clear()
    sweep.run(as_of=sh(2026, 11, 30, 9))
    assert patrol.reads["reports"] == 0


def test_an_org_head_without_a_mobile_number_is_not_sent_one_but_it_is_recorded(container, sweep, reports, centre):
    container.directory.add_org(parse(NewOrg, {
        "org_id": "V-TL", "name": "同里村人民调解委员会", "region_code": "320509103001", "tier": "village",
        "mediation_type": "people"}))
    sweep.run()
    sweep.run(as_of=W48_DUE + dt.timedelta(minutes=5))
    assert [(n["kind"], n["status"], n["to"]) for n in reports.org_notifications("V-TL", ADMIN)] == [
        ("report_missing", "suppressed", None)]


def test_a_reminder_falling_in_quiet_hours_waits_for_eight(container, sweep, reports, centre):
    sweep.run()
    sweep.run(as_of=sh(2026, 11, 30, 23, 0))  # the sweep came late, in quiet hours
    assert [n["status"] for n in reports.org_notifications("V-CN", ADMIN)] == ["deferred"]
    assert report_sms(centre) == []
    container.notifier.release(sh(2026, 12, 1, 8, 0))
    assert [phone for phone, _ in report_sms(centre)] == [HEAD_OF["V-CN"]]


def test_org_notifications_are_for_covering_supervisors_and_admins(reports):
    for principal in (MEDIATOR, OTHER_SUPERVISOR):
        with pytest.raises(Forbidden):
            reports.org_notifications("V-CN", principal)
    with pytest.raises(NotFound):
        reports.org_notifications("V-NONE", ADMIN)
    assert reports.org_notifications("V-CN", TOWN_SUPERVISOR) == []
