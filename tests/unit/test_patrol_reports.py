"""The reporting periods of §13 (排查报告): keys, days and due times per cadence, across year ends;
whether a report is in on time, late, missing or pending; who owes what; sensitive periods and
the schedules of the reports' due index."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.directory import Org
from chalicelib.domain.enums import MediationType, Tier
from chalicelib.domain.patrol_reports import (
    CADENCE_SCHEDULE_KINDS, MAX_SENSITIVE_DAYS, TIER_CADENCE, Finding, PeriodKind, PeriodRefused, SensitivePeriod,
    Standing, cadence_schedule, parse_period, period_of, roll_call, standing, submit_report, tiers_reporting,
    why_not_owed)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


D = dt.date

# key, kind, first day, last day, due (17:00 Asia/Shanghai), the next period's key
PERIODS = [
    ("2026-W49", PeriodKind.WEEKLY, D(2026, 11, 30), D(2026, 12, 6), sh(2026, 12, 7, 17), "2026-W50"),
    ("2026-W52", PeriodKind.WEEKLY, D(2026, 12, 21), D(2026, 12, 27), sh(2026, 12, 28, 17), "2026-W53"),
    # the week of 31 December 2026 is week 53 of 2026 and ends in 2027
    ("2026-W53", PeriodKind.WEEKLY, D(2026, 12, 28), D(2027, 1, 3), sh(2027, 1, 4, 17), "2027-W01"),
    ("2027-W01", PeriodKind.WEEKLY, D(2027, 1, 4), D(2027, 1, 10), sh(2027, 1, 11, 17), "2027-W02"),
    # 2025's last days belong to week 1 of 2026
    ("2026-W01", PeriodKind.WEEKLY, D(2025, 12, 29), D(2026, 1, 4), sh(2026, 1, 5, 17), "2026-W02"),
    ("2026-12a", PeriodKind.HALF_MONTHLY, D(2026, 12, 1), D(2026, 12, 15), sh(2026, 12, 16, 17), "2026-12b"),
    ("2026-12b", PeriodKind.HALF_MONTHLY, D(2026, 12, 16), D(2026, 12, 31), sh(2027, 1, 1, 17), "2027-01a"),
    ("2027-02b", PeriodKind.HALF_MONTHLY, D(2027, 2, 16), D(2027, 2, 28), sh(2027, 3, 1, 17), "2027-03a"),
    ("2028-02b", PeriodKind.HALF_MONTHLY, D(2028, 2, 16), D(2028, 2, 29), sh(2028, 3, 1, 17), "2028-03a"),
    ("2026-11", PeriodKind.MONTHLY, D(2026, 11, 1), D(2026, 11, 30), sh(2026, 12, 5, 17), "2026-12"),
    ("2026-12", PeriodKind.MONTHLY, D(2026, 12, 1), D(2026, 12, 31), sh(2027, 1, 5, 17), "2027-01"),
    ("2027-01", PeriodKind.MONTHLY, D(2027, 1, 1), D(2027, 1, 31), sh(2027, 2, 5, 17), "2027-02"),
    ("2026-12-24", PeriodKind.DAILY, D(2026, 12, 24), D(2026, 12, 24), sh(2026, 12, 24, 17), "2026-12-25"),
    ("2026-12-31", PeriodKind.DAILY, D(2026, 12, 31), D(2026, 12, 31), sh(2026, 12, 31, 17), "2027-01-01"),
]


@pytest.mark.parametrize("key, kind, first, last, due, following", PERIODS, ids=[p[0] for p in PERIODS])
def test_each_key_names_its_days_and_due_time(key, kind, first, last, due, following):
    period = parse_period(key)
    assert (period.key, period.kind, period.first, period.last, period.due_at) == (key, kind, first, last, due)
    assert period.following().key == following
    # every day of the period is in it, and the days around it are not
    assert {period_of(kind, first + dt.timedelta(days=n)).key for n in range((last - first).days + 1)} == {key}
    assert period_of(kind, first - dt.timedelta(days=1)).key != key
    assert period_of(kind, last + dt.timedelta(days=1)).key == following


@pytest.mark.parametrize("key", [
    "2027-W53",  # 2027 has 52 ISO weeks
    "2026-W00", "2026-W54", "2026-W1", "2026-w49", "2026W49",
    "2026-13", "2026-00", "2026-1", "2026-12c", "2026-13a", "2026-12A",
    "2026-02-30", "2026-12-32", "2026-12-1",
    "1999-12", "2100-01",  # outside the years the service keeps
    "", "latest", "2026-12-24T00:00", " 2026-12", "2026-12 ",
])
def test_a_malformed_or_impossible_key_names_no_period(key):
    assert parse_period(key) is None


def test_the_cadence_table_gives_each_tier_one_kind_and_sensitive_periods_every_tier():
    assert TIER_CADENCE == {Tier.VILLAGE: PeriodKind.WEEKLY, Tier.TOWN: PeriodKind.HALF_MONTHLY,
                            Tier.DISTRICT: PeriodKind.MONTHLY}
    assert tiers_reporting(PeriodKind.WEEKLY) == (Tier.VILLAGE,)
    assert tiers_reporting(PeriodKind.DAILY) == (Tier.VILLAGE, Tier.TOWN, Tier.DISTRICT)
    assert CADENCE_SCHEDULE_KINDS == (PeriodKind.WEEKLY, PeriodKind.HALF_MONTHLY, PeriodKind.MONTHLY)


@pytest.mark.parametrize("key, label", [
    ("2026-W49", "2026年第49周（11月30日至12月6日）"),
    ("2026-W53", "2026年第53周（12月28日至1月3日）"),
    ("2026-12a", "2026年12月上半月"),
    ("2026-12b", "2026年12月下半月"),
    ("2026-12", "2026年12月"),
    ("2026-12-24", "2026年12月24日"),
])
def test_periods_have_a_chinese_label_for_the_sms(key, label):
    assert parse_period(key).label == label


W49 = parse_period("2026-W49")  # due Monday 7 December 2026 17:00

# submitted at (None: not in), the sweep's or reader's clock, standing
STANDINGS = [
    (sh(2026, 11, 30, 9), sh(2026, 12, 1, 9), Standing.SUBMITTED),  # early: in the period's first day
    (sh(2026, 12, 7, 17), sh(2026, 12, 8, 9), Standing.SUBMITTED),  # on the due time is in time
    (sh(2026, 12, 7, 17, 0, 1), sh(2026, 12, 8, 9), Standing.LATE),
    (None, sh(2026, 12, 7, 17), Standing.PENDING),  # not in, not past due
    (None, sh(2026, 12, 7, 17, 0, 1), Standing.MISSING),
    (None, sh(2026, 12, 1, 9), Standing.PENDING),
]


@pytest.mark.parametrize("submitted_at, now, expected", STANDINGS)
def test_a_report_is_submitted_late_missing_or_pending(submitted_at, now, expected):
    assert standing(W49, submitted_at, now) is expected


def test_the_roll_call_puts_each_owing_org_in_exactly_one_list():
    submitted = {"V-1": sh(2026, 12, 7, 9), "V-2": sh(2026, 12, 8, 9)}
    lists = roll_call(W49, ["V-3", "V-1", "V-2", "V-1"], submitted, sh(2026, 12, 8, 10))
    assert lists == {Standing.SUBMITTED: ["V-1"], Standing.LATE: ["V-2"], Standing.MISSING: ["V-3"],
                     Standing.PENDING: []}
    before_due = roll_call(W49, ["V-3", "V-1"], submitted, sh(2026, 12, 7, 9))
    assert before_due[Standing.PENDING] == ["V-3"] and before_due[Standing.SUBMITTED] == ["V-1"]


def org(tier: Tier, region: str = "320509102001", created: dt.datetime = sh(2026, 11, 1, 9), org_id="O-1") -> Org:
    return Org(org_id=org_id, name="调委会", region_code=region, tier=tier, mediation_type=MediationType.PEOPLE,
               created_at=created)


def sensitive(region="320509", first=D(2026, 12, 24), last=D(2027, 1, 3), created=sh(2026, 12, 20, 9),
              period_id="SP-1") -> SensitivePeriod:
    return SensitivePeriod.declare(period_id=period_id, region=region, first=first, last=last, reason="元旦",
                                   created_at=created, created_by="supervisor:320509")


TODAY = D(2026, 12, 24)

# org, period key, sensitive periods, reason it is not owed (None: owed)
OWING = [
    (org(Tier.VILLAGE), "2026-W52", [], None),
    (org(Tier.VILLAGE), "2026-W49", [], None),  # long due: still owed (late)
    (org(Tier.VILLAGE), "2026-W53", [], "has not begun"),  # begins on the 28th
    (org(Tier.VILLAGE), "2026-12b", [], "a village org reports weekly, not half_monthly"),
    (org(Tier.TOWN, "320509102"), "2026-12b", [], None),
    (org(Tier.TOWN, "320509102"), "2026-W52", [], "a town org reports half_monthly, not weekly"),
    (org(Tier.DISTRICT, "320509"), "2026-12", [], None),
    (org(Tier.DISTRICT, "320509"), "2026-11", [], None),
    (org(Tier.DISTRICT, "320509"), "2027-01", [], "has not begun"),
    (org(Tier.VILLAGE), "2026-12-24", [], "no sensitive period covers"),
    (org(Tier.VILLAGE), "2026-12-24", [sensitive()], None),
    (org(Tier.DISTRICT, "320509"), "2026-12-24", [sensitive()], None),  # every tier under the region
    (org(Tier.VILLAGE), "2026-12-23", [sensitive()], "no sensitive period covers"),  # the day before it
    (org(Tier.VILLAGE), "2026-12-25", [sensitive()], "has not begun"),
    (org(Tier.DISTRICT, "320509"), "2026-12-24", [sensitive("320509102")], "no sensitive period covers"),
    (org(Tier.VILLAGE, "320509103001"), "2026-12-24", [sensitive("320509102")], "no sensitive period covers"),
    (org(Tier.VILLAGE, created=sh(2026, 12, 14, 9)), "2026-W50", [], None),  # a week before the org existed too
]


@pytest.mark.parametrize("the_org, key, periods, reason", OWING)
def test_who_owes_which_period(the_org, key, periods, reason):
    found = why_not_owed(the_org, parse_period(key), periods, TODAY)
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


def test_a_sensitive_period_is_checked_when_declared():
    with pytest.raises(PeriodRefused) as refused:
        sensitive(first=D(2026, 12, 24), last=D(2026, 12, 23))
    assert refused.value.field == "from"
    longest = sensitive(first=D(2026, 12, 1), last=D(2026, 12, 1) + dt.timedelta(days=MAX_SENSITIVE_DAYS - 1))
    assert longest.days == MAX_SENSITIVE_DAYS
    with pytest.raises(PeriodRefused) as refused:
        sensitive(first=D(2026, 12, 1), last=D(2026, 12, 1) + dt.timedelta(days=MAX_SENSITIVE_DAYS))
    assert refused.value.field == "to"
    one_day = sensitive(first=D(2026, 12, 24), last=D(2026, 12, 24))
    assert one_day.days == 1


def test_a_sensitive_period_overlaps_regions_above_and_below_it():
    period = sensitive("320509102")
    assert period.overlaps("320509") and period.overlaps("320509102") and period.overlaps("320509102001")
    assert not period.overlaps("320509103") and not period.overlaps("320510")


# declared at, first day, last day → the first day whose reminder its schedule waits for (None: none)
SCHEDULE_STARTS = [
    (sh(2026, 12, 20, 9), D(2026, 12, 24), D(2027, 1, 3), "2026-12-24"),  # ahead of its days: its first
    (sh(2026, 12, 26, 9), D(2026, 12, 24), D(2027, 1, 3), "2026-12-26"),  # under way: from today on
    (sh(2026, 12, 26, 18), D(2026, 12, 24), D(2027, 1, 3), "2026-12-26"),  # today's is due: the next sweep says so
    (sh(2027, 1, 3, 18), D(2026, 12, 24), D(2027, 1, 3), "2027-01-03"),
    (sh(2027, 1, 4, 9), D(2026, 12, 24), D(2027, 1, 3), None),  # wholly past: off the index
]


@pytest.mark.parametrize("created, first, last, waits_for", SCHEDULE_STARTS)
def test_a_sensitive_periods_schedule_starts_at_its_first_day_or_the_day_it_was_declared(created, first, last,
                                                                                        waits_for):
    schedule = sensitive(first=first, last=last, created=created).schedule()
    assert (schedule.period.key if schedule.period else None) == waits_for
    assert schedule.tiers == tuple(Tier) and schedule.region == "320509"


def test_a_sensitive_periods_schedule_walks_its_days_then_leaves_the_index():
    schedule = sensitive(first=D(2026, 12, 30), last=D(2027, 1, 1)).schedule()
    walked = []
    while schedule.period is not None:
        walked.append(schedule.period.key)
        assert schedule.is_due(schedule.period.due_at + dt.timedelta(microseconds=1))
        assert not schedule.is_due(schedule.period.due_at)  # on the due time a report is still in time
        schedule = schedule.advanced()
    assert walked == ["2026-12-30", "2026-12-31", "2027-01-01"]
    assert schedule.due_at is None and not schedule.is_due(sh(2030, 1, 1, 0))


@pytest.mark.parametrize("kind, now, waits_for", [
    (PeriodKind.WEEKLY, sh(2026, 12, 31, 9), "2026-W53"),
    (PeriodKind.WEEKLY, sh(2027, 1, 4, 0, 30), "2027-W01"),
    (PeriodKind.HALF_MONTHLY, sh(2026, 12, 31, 23, 59), "2026-12b"),
    (PeriodKind.HALF_MONTHLY, sh(2027, 1, 1, 0, 0), "2027-01a"),
    (PeriodKind.MONTHLY, dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.timezone.utc), "2027-01"),  # 00:30 in Shanghai
])
def test_a_cadence_schedule_starts_at_the_period_current_in_shanghai(kind, now, waits_for):
    schedule = cadence_schedule(kind, now)
    assert schedule.period.key == waits_for and schedule.tiers == tiers_reporting(kind) and schedule.region == ""
    assert schedule.due_at > now  # nothing before the service ran is due


def test_a_cadence_schedule_runs_on_across_the_year_end():
    schedule = cadence_schedule(PeriodKind.WEEKLY, sh(2026, 12, 21, 9))
    keys = []
    for _ in range(3):
        keys.append(schedule.period.key)
        schedule = schedule.advanced()
    assert keys == ["2026-W52", "2026-W53", "2027-W01"]


FACTS = {"received": 0, "open_red": 0, "overdue_open": 0}


def report(zero: bool, findings=(), facts=FACTS, at=sh(2026, 12, 7, 9)):
    return submit_report(org_id="O-1", period=W49, zero=zero, findings=findings, note=None, facts=facts, at=at,
                         by="mediator:M-1")


def test_a_zero_report_lists_nothing_and_a_report_lists_what_was_found():
    assert report(True).zero and not report(True).late
    found = report(False, [Finding("两户因宅基地界址争执")])
    assert found.findings[0].text == "两户因宅基地界址争执" and not found.zero
    for zero, findings in ((True, [Finding("x")]), (False, [])):
        with pytest.raises(PeriodRefused) as refused:
            report(zero, findings)
        assert refused.value.field == "findings"


def test_a_zero_report_is_refused_while_the_org_received_cases_in_the_period():
    with pytest.raises(PeriodRefused) as refused:
        report(True, facts={**FACTS, "received": 2})
    assert refused.value.field == "zero" and "2 case" in refused.value.message
    assert report(False, [Finding("x")], facts={**FACTS, "received": 2}).facts["received"] == 2


def test_a_report_after_its_due_time_is_late():
    assert report(True, at=sh(2026, 12, 7, 17)).late is False
    assert report(True, at=sh(2026, 12, 7, 17, 1)).late is True
