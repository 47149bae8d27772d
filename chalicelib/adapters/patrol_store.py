"""DynamoDB persistence of patrol reports, sensitive periods and the reports' schedules (§13).

One table (`PatrolModel`): an org's reports in its partition, one item per period; the
sensitive periods in one partition, each item also the schedule of its daily reports; the
cadences' schedules in another. A schedule waiting for a period carries that period's due
time as the key of the sparse due index, so the sweep's query returns only what is due.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Iterator

from pynamodb.exceptions import PutError, UpdateError

from ..domain.enums import Category, RiskIndicator
from ..domain.patrol_reports import (
    SENSITIVE_PERIOD_KIND, Finding, PatrolReport, Period, PeriodKind, ReportSchedule, SensitivePeriod, parse_period,
    tiers_reporting)
from .clock import from_storage, to_storage
from .models import PatrolModel, is_condition_failure

DUE_SHARD = "0"
"""Schedules are a handful (three cadences and the sensitive periods under way): one partition of the index."""
SENSITIVE = "SENSITIVE"
SCHEDULE = "SCHEDULE"
SENSITIVE_SCHEDULE_PREFIX = "sensitive#"


def _report_key(org_id: str, period_key: str) -> tuple[str, str]:
    return f"ORG#{org_id}", f"REPORT#{period_key}"


def _schedule_key(schedule_id: str) -> tuple[str, str]:
    if schedule_id.startswith(SENSITIVE_SCHEDULE_PREFIX):
        return SENSITIVE, schedule_id.removeprefix(SENSITIVE_SCHEDULE_PREFIX)
    return SCHEDULE, schedule_id


def _period(key: str | None) -> Period | None:
    return parse_period(key) if key else None


# ------------------------------------------------------------------ rows


def report_to_row(report: PatrolReport) -> PatrolModel:
    pk, sk = _report_key(report.org_id, report.period.key)
    return PatrolModel(pk, sk, type="report", detail={
        "org_id": report.org_id, "zero": report.zero, "note": report.note,
        "findings": [{"text": f.text, "category": f.category.value if f.category else None,
                      "risk_indicators": [i.value for i in f.risk_indicators]} for f in report.findings],
        "submitted_at": to_storage(report.submitted_at), "submitted_by": report.submitted_by,
        "facts": report.facts})


def report_from_row(row: PatrolModel) -> PatrolReport:
    detail = row.detail
    findings = tuple(Finding(f["text"], Category(f["category"]) if f.get("category") else None,
                             tuple(RiskIndicator(i) for i in f.get("risk_indicators", ())))
                     for f in detail.get("findings", ()))
    return PatrolReport(org_id=detail["org_id"], period=parse_period(row.sk.removeprefix("REPORT#")),
                        zero=detail["zero"], findings=findings, note=detail.get("note"),
                        submitted_at=from_storage(detail["submitted_at"]), submitted_by=detail["submitted_by"],
                        facts={name: int(value) for name, value in detail.get("facts", {}).items()})


def _with_schedule(row: PatrolModel, schedule: ReportSchedule) -> PatrolModel:
    """The row carrying the schedule's state: the period it waits for and, while it waits, the index keys."""
    if schedule.period is not None:
        row.period, row.due_shard, row.due_at = schedule.period.key, DUE_SHARD, to_storage(schedule.period.due_at)
    return row


def sensitive_period_to_row(period: SensitivePeriod, schedule: ReportSchedule) -> PatrolModel:
    return _with_schedule(PatrolModel(SENSITIVE, period.period_id, type="sensitive_period", detail={
        "region": period.region, "from": period.first.isoformat(), "to": period.last.isoformat(),
        "reason": period.reason, "created_at": to_storage(period.created_at), "created_by": period.created_by}),
        schedule)


def sensitive_period_from_row(row: PatrolModel) -> SensitivePeriod:
    detail = row.detail
    return SensitivePeriod(period_id=row.sk, region=detail["region"], first=dt.date.fromisoformat(detail["from"]),
                           last=dt.date.fromisoformat(detail["to"]), reason=detail["reason"],
                           created_at=from_storage(detail["created_at"]), created_by=detail["created_by"])


def schedule_to_row(schedule: ReportSchedule) -> PatrolModel:
    pk, sk = _schedule_key(schedule.schedule_id)
    return _with_schedule(PatrolModel(pk, sk, type="schedule", detail={"kind": schedule.kind.value}), schedule)


def schedule_from_row(row: PatrolModel) -> ReportSchedule:
    if row.pk == SENSITIVE:
        period = sensitive_period_from_row(row)
        return ReportSchedule(schedule_id=SENSITIVE_SCHEDULE_PREFIX + period.period_id, kind=SENSITIVE_PERIOD_KIND,
                              period=_period(row.period), tiers=tiers_reporting(SENSITIVE_PERIOD_KIND),
                              region=period.region, last_day=period.last)
    kind = PeriodKind(row.detail["kind"])
    return ReportSchedule(schedule_id=row.sk, kind=kind, period=_period(row.period), tiers=tiers_reporting(kind))


# ----------------------------------------------------------------- store


class PatrolStore:
    """Reports, sensitive periods and schedules in DynamoDB."""

    @staticmethod
    def _create(row: PatrolModel) -> bool:
        try:
            row.save(condition=PatrolModel.pk.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    # reports
    def save_report(self, report: PatrolReport) -> None:
        report_to_row(report).save()

    def report(self, org_id: str, period: Period) -> PatrolReport | None:
        try:
            return report_from_row(PatrolModel.get(*_report_key(org_id, period.key), consistent_read=True))
        except PatrolModel.DoesNotExist:
            return None

    def reports(self, org_ids: Iterable[str], period: Period) -> dict[str, PatrolReport]:
        """BatchGetItem, 100 keys a call (PynamoDB splits the keys and retries unprocessed ones)."""
        keys = [_report_key(org_id, period.key) for org_id in dict.fromkeys(org_ids)]
        if not keys:
            return {}
        return {report.org_id: report for report in map(report_from_row,
                                                           PatrolModel.batch_get(keys, consistent_read=True))}

    # sensitive periods
    def add_sensitive_period(self, period: SensitivePeriod, schedule: ReportSchedule) -> None:
        if not self._create(sensitive_period_to_row(period, schedule)):
            raise RuntimeError(f"sensitive period id {period.period_id} is taken")

    def sensitive_periods(self) -> list[SensitivePeriod]:
        return [sensitive_period_from_row(row) for row in PatrolModel.query(SENSITIVE)]

    # schedules
    def schedules(self, schedule_ids: Iterable[str]) -> dict[str, ReportSchedule]:
        keys = [_schedule_key(schedule_id) for schedule_id in schedule_ids]
        if not keys:
            return {}
        found = map(schedule_from_row, PatrolModel.batch_get(keys, consistent_read=True))
        return {schedule.schedule_id: schedule for schedule in found}

    def add_schedule(self, schedule: ReportSchedule) -> bool:
        return self._create(schedule_to_row(schedule))

    def due_schedules(self, now: dt.datetime) -> Iterator[ReportSchedule]:
        for row in PatrolModel.by_due.query(DUE_SHARD, PatrolModel.due_at < to_storage(now)):
            yield schedule_from_row(row)

    def advance_schedule(self, schedule: ReportSchedule, advanced: ReportSchedule) -> bool:
        following = advanced.period
        if following is None:
            actions: list[Any] = [PatrolModel.period.remove(), PatrolModel.due_shard.remove(),
                                  PatrolModel.due_at.remove()]
        else:
            actions = [PatrolModel.period.set(following.key), PatrolModel.due_shard.set(DUE_SHARD),
                       PatrolModel.due_at.set(to_storage(following.due_at))]
        try:
            PatrolModel(*_schedule_key(schedule.schedule_id)).update(
                actions=actions, condition=PatrolModel.period == schedule.period.key)
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
