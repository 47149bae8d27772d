"""Patrol reports and zero reports (排查报告、零报告) and sensitive periods (敏感时期), §13.

Every org reports what its patrols found (排查) once per period of its tier's
cadence: villages weekly, towns half-monthly, districts monthly (村居每周一排查、
镇街每半月一排查、区级每月一次集中排查). During a sensitive period every org under
its region owes a daily report as well (零报告制度): a report saying nothing
was found is a zero report. The cadences are data (`CADENCES`): the key of a
period, how to find the period of a day, its first and last day and its due
time. A period is owed from its first day (it may be submitted early); a
report in after its due time is late, one not in by then is missing until it
comes in.

The sweep that tells the org heads of missing reports walks `ReportSchedule`s:
one per cadence and one per sensitive period, each holding the period it
waits for, whose due time is its key in a sparse due index (as the cases'
`next_check_at`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from .calendar import BUSINESS_TZ, CALENDAR_YEARS, business_day, month_end
from .directory import Org
from .enums import Category, RiskIndicator, Tier, WireEnum

DUE_TIME = dt.time(17, 0)
"""Reports fall due at 17:00 Asia/Shanghai."""
MAX_SENSITIVE_DAYS = 31
"""The longest sensitive period (from and to included): daily reports for longer are no longer a special watch."""


class PeriodKind(WireEnum):
    """How often a report is owed (报送周期)."""

    WEEKLY = "weekly"
    """周报: an ISO week, Monday to Sunday."""
    HALF_MONTHLY = "half_monthly"
    """半月报: days 1–15 of a month (`a`), or the 16th to its end (`b`)."""
    MONTHLY = "monthly"
    """月报."""
    DAILY = "daily"
    """日报: each day of a sensitive period (敏感时期零报告)."""


@dataclass(frozen=True)
class Cadence:
    """One kind of period: its key's format and how to find its days and due time."""

    kind: PeriodKind
    key_pattern: re.Pattern
    key_of: Callable[[dt.date], str]
    """The key of the period a day falls in."""
    first_of: Callable[[re.Match], dt.date]
    """The first day of the period a matching key names (ValueError when it names none)."""
    last_of: Callable[[dt.date], dt.date]
    """The last day of the period that starts on a given first day."""
    due_days_after_last: int
    """The due time is DUE_TIME this many days after the period's last day."""
    label: Callable[[dt.date, dt.date], str]
    """The period in Chinese, from its first and last day (for SMS)."""


def _week_key(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _half_month_key(day: dt.date) -> str:
    return f"{day:%Y-%m}{'a' if day.day <= 15 else 'b'}"


def _half_month_first(match: re.Match) -> dt.date:
    return dt.date(int(match[1]), int(match[2]), 1 if match[3] == "a" else 16)


def _half_month_last(first: dt.date) -> dt.date:
    return first.replace(day=15) if first.day == 1 else month_end(first)


def _chinese_day(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


CADENCES: dict[PeriodKind, Cadence] = {
    PeriodKind.WEEKLY: Cadence(
        PeriodKind.WEEKLY, re.compile(r"(\d{4})-W(\d{2})"), _week_key,
        lambda m: dt.date.fromisocalendar(int(m[1]), int(m[2]), 1), lambda first: first + dt.timedelta(days=6),
        due_days_after_last=1,  # the Monday of the next week
        label=lambda first, last: f"{first.isocalendar()[0]}年第{first.isocalendar()[1]}周"
                                  f"（{_chinese_day(first)}至{_chinese_day(last)}）"),
    PeriodKind.HALF_MONTHLY: Cadence(
        PeriodKind.HALF_MONTHLY, re.compile(r"(\d{4})-(\d{2})([ab])"), _half_month_key,
        _half_month_first, _half_month_last,
        due_days_after_last=1,  # the 16th, or the 1st of the next month
        label=lambda first, last: f"{first.year}年{first.month}月{'上' if first.day == 1 else '下'}半月"),
    PeriodKind.MONTHLY: Cadence(
        PeriodKind.MONTHLY, re.compile(r"(\d{4})-(\d{2})"), lambda day: f"{day:%Y-%m}",
        lambda m: dt.date(int(m[1]), int(m[2]), 1), month_end,
        due_days_after_last=5,  # the 5th of the next month
        label=lambda first, last: f"{first.year}年{first.month}月"),
    PeriodKind.DAILY: Cadence(
        PeriodKind.DAILY, re.compile(r"(\d{4})-(\d{2})-(\d{2})"), dt.date.isoformat,
        lambda m: dt.date(int(m[1]), int(m[2]), int(m[3])), lambda first: first,
        due_days_after_last=0,  # 17:00 that day
        label=lambda first, last: f"{first.year}年{_chinese_day(first)}"),
}
"""Each kind of period: key format (`2026-W49`, `2026-12a`, `2026-12`, `2026-12-24`), days, due time."""

TIER_CADENCE: dict[Tier, PeriodKind] = {
    Tier.VILLAGE: PeriodKind.WEEKLY,
    Tier.TOWN: PeriodKind.HALF_MONTHLY,
    Tier.DISTRICT: PeriodKind.MONTHLY,
}
"""The regular report each tier owes (村社每周、镇街每半月、区级每月)."""

SENSITIVE_PERIOD_KIND = PeriodKind.DAILY
"""What every org under a sensitive period's region owes on each of its days."""


def tiers_reporting(kind: PeriodKind) -> tuple[Tier, ...]:
    """The tiers that owe periods of `kind` (every tier, for the daily reports of sensitive periods)."""
    if kind is SENSITIVE_PERIOD_KIND:
        return tuple(Tier)
    return tuple(tier for tier, cadence in TIER_CADENCE.items() if cadence is kind)


@dataclass(frozen=True)
class Period:
    """One reporting period: its key, kind, first and last day (Asia/Shanghai), and due time."""

    key: str
    kind: PeriodKind
    first: dt.date
    last: dt.date
    due_at: dt.datetime

    @property
    def label(self) -> str:
        return CADENCES[self.kind].label(self.first, self.last)

    @property
    def short_label(self) -> str:
        """The label without the days in brackets (2026年第48周): what one SMS has room for."""
        return self.label.split("（", 1)[0]

    def has_begun(self, today: dt.date) -> bool:
        """Owed (and open for submission) from its first day."""
        return self.first <= today

    def following(self) -> Period:
        return period_of(self.kind, self.last + dt.timedelta(days=1))


def _period(cadence: Cadence, first: dt.date) -> Period:
    last = cadence.last_of(first)
    due_day = last + dt.timedelta(days=cadence.due_days_after_last)
    return Period(cadence.key_of(first), cadence.kind, first, last,
                  dt.datetime.combine(due_day, DUE_TIME, tzinfo=BUSINESS_TZ))


def parse_period(key: str) -> Period | None:
    """The period a key names, or None when it names none (a malformed key, a week 53 of a
    year of 52 weeks, a 13th month, a year the service does not keep)."""
    for cadence in CADENCES.values():
        match = cadence.key_pattern.fullmatch(key)
        if match is None:
            continue
        try:
            first = cadence.first_of(match)
        except ValueError:
            return None
        if first.year not in CALENDAR_YEARS or cadence.key_of(first) != key:
            return None
        return _period(cadence, first)
    return None


def period_of(kind: PeriodKind, day: dt.date) -> Period:
    """The period of `kind` that `day` falls in."""
    period = parse_period(CADENCES[kind].key_of(day))
    assert period is not None and period.first <= day <= period.last
    return period


def current_period(kind: PeriodKind, now: dt.datetime) -> Period:
    return period_of(kind, business_day(now))


# -------------------------------------------------------------- standing


class Standing(WireEnum):
    """Where an org's report for a period stands."""

    SUBMITTED = "submitted"
    """In by its due time (按时报送)."""
    LATE = "late"
    """In after its due time (迟报)."""
    MISSING = "missing"
    """Not in, and its due time has passed (漏报)."""
    PENDING = "pending"
    """Not in, and not yet due."""


def standing(period: Period, submitted_at: dt.datetime | None, now: dt.datetime) -> Standing:
    if submitted_at is not None:
        return Standing.LATE if submitted_at > period.due_at else Standing.SUBMITTED
    return Standing.MISSING if now > period.due_at else Standing.PENDING


def roll_call(period: Period, org_ids: Iterable[str], submitted: dict[str, dt.datetime],
              now: dt.datetime) -> dict[Standing, list[str]]:
    """Each owing org in exactly one list, by its report's standing (`submitted`: org → submission time)."""
    lists: dict[Standing, list[str]] = {s: [] for s in Standing}
    for org_id in sorted(set(org_ids)):
        lists[standing(period, submitted.get(org_id), now)].append(org_id)
    return lists


# -------------------------------------------------------- sensitive periods


class PeriodRefused(ValueError):
    """A sensitive period or a report breaks a rule; `field` names the input at fault."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True, kw_only=True)
class SensitivePeriod:
    """敏感时期: days (from and to included) when every org under `region` owes a daily report."""

    period_id: str
    region: str
    first: dt.date
    last: dt.date
    reason: str
    created_at: dt.datetime
    created_by: str

    @classmethod
    def declare(cls, **fields) -> SensitivePeriod:
        """A new sensitive period, checked: from ≤ to, at most MAX_SENSITIVE_DAYS days."""
        period = cls(**fields)
        if period.first > period.last:
            raise PeriodRefused("from", "must not be after to")
        if period.days > MAX_SENSITIVE_DAYS:
            raise PeriodRefused("to", f"a sensitive period lasts at most {MAX_SENSITIVE_DAYS} days")
        return period

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def covers(self, region_code: str, day: dt.date) -> bool:
        """Whether an org of `region_code` owes the daily report of `day` under this period."""
        return region_code.startswith(self.region) and self.first <= day <= self.last

    def overlaps(self, prefix: str) -> bool:
        """Whether some region under `prefix` is also under this period's region."""
        return self.region.startswith(prefix) or prefix.startswith(self.region)

    def schedule(self) -> ReportSchedule:
        """Its row of the due index, from its first day or, declared under way, from the day it was
        declared (as a cadence starts at the current period: no earlier day is reminded)."""
        start = period_of(SENSITIVE_PERIOD_KIND, max(self.first, business_day(self.created_at)))
        row = ReportSchedule(schedule_id=f"sensitive#{self.period_id}", kind=SENSITIVE_PERIOD_KIND,
                             period=start, tiers=tuple(Tier), region=self.region, last_day=self.last)
        return row if start.first <= self.last else replace(row, period=None)


# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class Finding:
    """What a patrol found: a dispute or a risk worth watching (排查发现)."""

    text: str
    category: Category | None = None
    risk_indicators: tuple[RiskIndicator, ...] = ()


FACTS = ("received", "open_red", "overdue_open")
"""The org's own figures for the period that a report carries (§13 `facts`)."""


@dataclass(frozen=True, kw_only=True)
class PatrolReport:
    """排查报告 of one org for one period; `zero` (零报告) when the patrol found nothing."""

    org_id: str
    period: Period
    zero: bool
    findings: tuple[Finding, ...] = ()
    note: str | None = None
    submitted_at: dt.datetime
    submitted_by: str
    facts: dict[str, int] = field(default_factory=dict)

    @property
    def late(self) -> bool:
        return standing(self.period, self.submitted_at, self.submitted_at) is Standing.LATE


def submit_report(*, org_id: str, period: Period, zero: bool, findings: Iterable[Finding], note: str | None,
                  facts: dict[str, int], at: dt.datetime, by: str) -> PatrolReport:
    """A report as submitted, checked: a zero report lists no findings and may not be made while
    the org received cases in the period (a zero report says nothing was found); a report that
    is not zero lists what was found."""
    findings = tuple(findings)
    if zero and findings:
        raise PeriodRefused("findings", "a zero report lists no findings")
    if not zero and not findings:
        raise PeriodRefused("findings", "list what the patrol found, or send a zero report")
    facts = {name: int(facts.get(name, 0)) for name in FACTS}
    if zero and facts["received"] > 0:
        raise PeriodRefused("zero", f"the org received {facts['received']} case(s) in {period.key}: "
                                    "a zero report says nothing was found")
    return PatrolReport(org_id=org_id, period=period, zero=zero, findings=findings, note=note, facts=facts,
                        submitted_at=at, submitted_by=by)


def why_not_owed(org: Org, period: Period, sensitive_periods: Iterable[SensitivePeriod],
                 today: dt.date) -> str | None:
    """Why `org` does not owe `period` on `today`, or None when it does: it owes every begun
    period of its tier's cadence, and every begun day of a sensitive period over its region."""
    if not period.has_begun(today):
        return f"{period.key} has not begun"
    if period.kind is SENSITIVE_PERIOD_KIND:
        if not any(sp.covers(org.region_code, period.first) for sp in sensitive_periods):
            return f"no sensitive period covers org {org.org_id} on {period.key}"
        return None
    if TIER_CADENCE[org.tier] is not period.kind:
        return f"a {org.tier.value} org reports {TIER_CADENCE[org.tier].value}, not {period.kind.value}"
    return None


# ------------------------------------------------------------ due index


@dataclass(frozen=True, kw_only=True)
class ReportSchedule:
    """A row of the reports' sparse due index (报送提醒): the orgs of `tiers` under `region` owe
    `period` (the next one this row waits for), due at `period.due_at`. One row per cadence
    (every org of its tiers, `region` ""), one per sensitive period (until `last_day`)."""

    schedule_id: str
    kind: PeriodKind
    period: Period | None
    """None once a sensitive period's last day is behind it: the row is off the index."""
    tiers: tuple[Tier, ...]
    region: str = ""
    last_day: dt.date | None = None

    @property
    def due_at(self) -> dt.datetime | None:
        return self.period.due_at if self.period else None

    def is_due(self, now: dt.datetime) -> bool:
        """Past its period's due time (on the due time a report is still in time)."""
        return self.period is not None and self.period.due_at < now

    def advanced(self) -> ReportSchedule:
        """The row waiting for the next period (none past a sensitive period's last day)."""
        following = self.period.following() if self.period else None
        if following is not None and self.last_day is not None and following.first > self.last_day:
            following = None
        return replace(self, period=following)


def cadence_schedule_id(kind: PeriodKind) -> str:
    return f"cadence#{kind.value}"


CADENCE_SCHEDULE_KINDS: tuple[PeriodKind, ...] = tuple(dict.fromkeys(TIER_CADENCE.values()))
"""The cadences that have a row of their own in the due index (the daily kind has one per sensitive period)."""


def cadence_schedule(kind: PeriodKind, now: dt.datetime) -> ReportSchedule:
    """The row of a cadence, started at the period current at `now`: no period before the
    service ran is owed a reminder."""
    return ReportSchedule(schedule_id=cadence_schedule_id(kind), kind=kind, period=current_period(kind, now),
                          tiers=tiers_reporting(kind))
