"""Patrol reports and zero reports (排查报告、零报告) and sensitive periods (敏感时期), §13.

Orgs submit one report per period their tier's cadence owes, and one per day
of a sensitive period over their region; supervisors see who is in on time,
late, missing or not yet due; the report sweep (`ReportSweep`) tells the
heads of the orgs whose report is missing, once per report. The rules are the
domain's (`domain.patrol_reports`); this reads and writes around them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Callable, Iterable

from ..domain.access import Principal, Relation, relations_to
from ..domain.calendar import business_day
from ..domain.directory import Org
from ..domain.enums import Role, Tier
from ..domain.masking import mask_phone
from ..domain.notices import Notice, NoticeKind
from ..domain.patrol_reports import (
    CADENCE_SCHEDULE_KINDS, SENSITIVE_PERIOD_KIND, Finding, PatrolReport, Period, PeriodRefused, ReportSchedule,
    SensitivePeriod, Standing, cadence_schedule, cadence_schedule_id, parse_period, roll_call,
    submit_report, tiers_reporting, why_not_owed)
from ..observability import logger
from .commands import NewSensitivePeriod, PatrolReportInput, ReportRollQuery, SensitivePeriodFilters
from .errors import Forbidden, NotFound, Unprocessable
from .notifications import Notifier, org_outbox
from .ports import CaseStore, Clock, Directory, PatrolStore, Publisher, ReportFacts
from .sweeping import TIME_BUDGET_RESERVE_MS, SweepResult

REPORTERS = frozenset({Relation.ORG_MEDIATOR, Relation.COVERING_SUPERVISOR, Relation.ADMIN})
"""Who may submit and read an org's reports: its mediators, supervisors covering it, admins."""
OVERSEERS = frozenset({Relation.COVERING_SUPERVISOR, Relation.ADMIN})
"""Who may read an org's SMS bound to no case (`GET /v1/orgs/{org_id}/notifications`)."""
MAX_ID_LENGTH = 64


def _narrowest(prefixes: Iterable[str]) -> list[str]:
    """The prefixes not already under a shorter one of them: each region is queried once."""
    kept: list[str] = []
    for prefix in sorted(set(prefixes), key=len):
        if not any(prefix.startswith(shorter) for shorter in kept):
            kept.append(prefix)
    return sorted(kept)


def orgs_owing(directory: Directory, tiers: Iterable[Tier], prefixes: Iterable[str]) -> list[Org]:
    """The orgs of `tiers` under any of the region `prefixes` ("" for everywhere), each once, by
    id: one index query per tier and prefix."""
    found: dict[str, Org] = {}
    for prefix in _narrowest(prefixes):
        for tier in tiers:
            for org in directory.orgs_under(tier, prefix):
                found.setdefault(org.org_id, org)
    return [found[org_id] for org_id in sorted(found)]


def _narrower(region: str, other: str) -> str:
    """Of two overlapping region prefixes, the one under the other."""
    return region if len(region) >= len(other) else other


class PatrolReports:
    def __init__(self, store: PatrolStore, directory: Directory, facts: ReportFacts, cases: CaseStore, clock: Clock):
        self._store = store
        self._directory = directory
        self._facts = facts
        self._cases = cases
        self._clock = clock

    # ------------------------------------------------------ sensitive periods

    def declare_sensitive_period(self, command: NewSensitivePeriod, principal: Principal) -> SensitivePeriod:
        """敏感时期: from its first day on, every org under the region owes a daily report."""
        if not principal.covers_region(command.region):
            raise Forbidden("region is outside your jurisdiction")
        if self._directory.region(command.region) is None:
            raise Unprocessable.field("region", "no such region in the directory")
        now = self._clock()
        try:
            period = SensitivePeriod.declare(
                period_id=f"SP{business_day(now):%Y%m%d}{secrets.token_hex(4).upper()}", region=command.region,
                first=command.date_from, last=command.date_to, reason=command.reason, created_at=now,
                created_by=principal.actor)
        except PeriodRefused as exc:
            raise Unprocessable.field(exc.field, exc.message) from None
        self._store.add_sensitive_period(period, period.schedule())
        logger.info("sensitive period declared", extra={"period_id": period.period_id, "region": period.region,
                                                        "days": period.days})
        return period

    def sensitive_periods(self, filters: SensitivePeriodFilters, principal: Principal) -> list[SensitivePeriod]:
        """Supervisors: those overlapping their jurisdiction (or the `region` asked for, inside it);
        mediators: those over their org's region; admins: all (or those overlapping `region`)."""
        region = filters.region
        if region is not None and principal.role is not Role.MEDIATOR and not principal.covers_region(region):
            raise Forbidden("region is outside your jurisdiction")
        periods = self._store.sensitive_periods()
        if principal.role is Role.MEDIATOR:
            org = self._directory.org(principal.org_id) if principal.org_id else None
            if org is None:
                raise Forbidden("your token names no org")
            periods = [p for p in periods if org.region_code.startswith(p.region)]
        elif principal.role is Role.SUPERVISOR:
            periods = [p for p in periods if p.overlaps(principal.jurisdiction or "")]
        if region is not None:
            periods = [p for p in periods if p.overlaps(region)]
        return sorted(periods, key=lambda p: (p.first, p.last, p.period_id))

    # --------------------------------------------------------------- reports

    def _org(self, org_id: str, principal: Principal, relations: frozenset[Relation]) -> Org:
        org = self._directory.org(org_id) if len(org_id) <= MAX_ID_LENGTH else None
        if org is None:
            raise NotFound(f"no org {org_id}")
        if not relations & relations_to(principal, region_code=org.region_code, org_id=org.org_id, mediator_id=None):
            raise Forbidden(f"you may not see or report for org {org_id}")
        return org

    def _owed(self, org_id: str, period_key: str, principal: Principal) -> tuple[Org, Period]:
        """The org and the period it owes; 404 for an unknown org or a period it does not owe."""
        org = self._org(org_id, principal, REPORTERS)
        period = parse_period(period_key)
        if period is None:
            raise NotFound(f"no period {period_key[:20]}: keys are 2026-W49, 2026-12a, 2026-12b, 2026-12, 2026-12-24")
        sensitive = self._store.sensitive_periods() if period.kind is SENSITIVE_PERIOD_KIND else ()
        reason = why_not_owed(org, period, sensitive, business_day(self._clock()))
        if reason is not None:
            raise NotFound(f"org {org_id} owes no report for {period_key}: {reason}")
        return org, period

    def submit(self, org_id: str, period_key: str, command: PatrolReportInput, principal: Principal) -> PatrolReport:
        """Submit (or replace) the org's report for the period, with the org's figures for it."""
        org, period = self._owed(org_id, period_key, principal)
        facts = self._facts.org_facts(org.org_id, org.region_code, period.first, period.last)
        findings = [Finding(f.text, f.category, tuple(f.risk_indicators)) for f in command.findings]
        try:
            report = submit_report(org_id=org.org_id, period=period, zero=command.zero, findings=findings,
                                   note=command.note, facts=facts, at=self._clock(), by=principal.actor)
        except PeriodRefused as exc:
            raise Unprocessable.field(exc.field, exc.message) from None
        self._store.save_report(report)
        logger.info("patrol report submitted", extra={"org_id": org.org_id, "period": period.key,
                                                      "zero": report.zero, "late": report.late})
        return report

    def report(self, org_id: str, period_key: str, principal: Principal) -> PatrolReport:
        org, period = self._owed(org_id, period_key, principal)
        report = self._store.report(org.org_id, period)
        if report is None:
            raise NotFound(f"org {org_id} has not submitted its report for {period_key}")
        return report

    def roll_call(self, query: ReportRollQuery, principal: Principal) -> tuple[Period, dict[Standing, list[str]]]:
        """Every org under the region that owes the period, by where its report stands."""
        if not principal.covers_region(query.region):
            raise Forbidden("region is outside your jurisdiction")
        period = parse_period(query.period)
        now = self._clock()
        if not period.has_begun(business_day(now)):
            raise NotFound(f"{period.key} has not begun: no org owes it yet")
        if period.kind is SENSITIVE_PERIOD_KIND:
            prefixes = [_narrower(sp.region, query.region) for sp in self._store.sensitive_periods()
                        if sp.overlaps(query.region) and sp.first <= period.first <= sp.last]
        else:
            prefixes = [query.region]
        org_ids = [org.org_id for org in orgs_owing(self._directory, tiers_reporting(period.kind), prefixes)]
        submitted = {org_id: report.submitted_at for org_id, report in self._store.reports(org_ids, period).items()}
        return period, roll_call(period, org_ids, submitted, now)

    def org_notifications(self, org_id: str, principal: Principal) -> list[dict[str, Any]]:
        """The org's SMS bound to no case (`report_missing`), oldest first."""
        org = self._org(org_id, principal, OVERSEERS)
        return sorted(self._cases.notifications(org_outbox(org.org_id)), key=lambda r: (r["created_at"], r["sk"]))


class ReportSweep:
    """The report sweep (报送提醒), run with the supervision sweep every five minutes.

    It reads the schedules' sparse due index (`due_at < now`: on almost every run one
    query that returns nothing). For each schedule due it reads the orgs owing its period
    (the orgs index by tier and region prefix), batch-reads their reports for that
    period, and stores a `report_missing` SMS to the head of each org without one under a
    key naming the org and period (a conditional put: a retried or overlapping sweep
    stores and sends it once), then moves the schedule on to its next period with a write
    conditional on the period it waited for (two sweeps cannot both move it). A schedule
    several periods behind (the service was down) takes them in turn. The cadences'
    schedules are created by the first run that finds them absent, at the period current
    then: no period before the service ran is owed a reminder.
    """

    name = "patrol_reports"
    """How continuation messages on the sweeps queue name this sweep."""

    def __init__(self, store: PatrolStore, directory: Directory, notifier: Notifier, publisher: Publisher,
                 clock: Clock):
        self._store = store
        self._directory = directory
        self._notifier = notifier
        self._publisher = publisher
        self._clock = clock
        self._cadences_started = False
        """Whether this process has seen every cadence's schedule exist (one batched read per process)."""

    def run(self, as_of: dt.datetime | None = None,
            remaining_ms: Callable[[], int] | None = None) -> SweepResult:
        now = as_of or self._clock()
        result = SweepResult()
        self._start_cadences()
        outbox: list[dict] = []
        try:
            for schedule in self._store.due_schedules(now):
                if not self._catch_up(schedule, now, result, outbox, remaining_ms):
                    self._publisher.publish("sweeps", {"sweep": self.name, "as_of": now.isoformat()})
                    result.complete = False
                    logger.info("sweep continues in a new invocation",
                                extra={"sweep": self.name, "examined": result.examined})
                    break
        finally:  # what a crash leaves unsent is pending on the release index: the next sweep sends it
            self._notifier.enqueue(outbox, combine=True)  # an org head owing several periods: one digest
        logger.info("sweep done", extra={"sweep": self.name, "examined": result.examined,
                                         "actions": result.actions, "as_of": now.isoformat()})
        return result

    def _start_cadences(self) -> None:
        if self._cadences_started:
            return
        ids = {cadence_schedule_id(kind): kind for kind in CADENCE_SCHEDULE_KINDS}
        existing = self._store.schedules(ids)
        for schedule_id, kind in ids.items():
            if schedule_id not in existing:  # at the period current by the clock, whatever a sweep's as_of
                self._store.add_schedule(cadence_schedule(kind, self._clock()))
        self._cadences_started = True

    def _catch_up(self, schedule: ReportSchedule, now: dt.datetime, result: SweepResult, outbox: list[dict],
                  remaining_ms: Callable[[], int] | None) -> bool:
        """Remind the orgs of every period of the schedule due at `now`, moving it on after each;
        False when the time left ran short first."""
        while schedule.is_due(now):
            if remaining_ms is not None and remaining_ms() < TIME_BUDGET_RESERVE_MS:
                return False
            result.examined += 1
            result.actions += self._remind(schedule, now, outbox)
            advanced = schedule.advanced()
            if not self._store.advance_schedule(schedule, advanced):
                break  # another sweep moved it on meanwhile: it takes what follows
            schedule = advanced
        return True

    def _remind(self, schedule: ReportSchedule, now: dt.datetime, outbox: list[dict]) -> int:
        """`report_missing` to the head of each org owing the schedule's period without a report in."""
        period = schedule.period
        orgs = orgs_owing(self._directory, schedule.tiers, [schedule.region])
        reports = self._store.reports([org.org_id for org in orgs], period)
        decided = 0
        for org in orgs:
            if org.org_id in reports:
                continue
            notice = Notice(NoticeKind.REPORT_MISSING, org.org_id, due=period.due_at)
            record = self._notifier.plan_for_org(org, notice, now, key=f"{notice.kind.value}#{period.key}",
                                                 period=period.short_label)
            if not self._notifier.record_once(record):
                continue  # decided by an earlier or a concurrent sweep
            outbox.append(record)
            decided += 1
            logger.info("report missing", extra={"org_id": org.org_id, "period": period.key,
                                                 "to": mask_phone(org.head_phone) if org.head_phone else None,
                                                 "status": record["status"]})
        return decided
