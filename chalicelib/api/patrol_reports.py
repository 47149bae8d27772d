"""Patrol reports and zero reports (排查报告、零报告) and sensitive periods (敏感时期), §13."""

from __future__ import annotations

from typing import Any

from .. import wiring
from ..domain.calendar import rfc3339
from ..domain.patrol_reports import Finding, PatrolReport, Period, SensitivePeriod
from ..services.commands import NewSensitivePeriod, PatrolReportInput, ReportRollQuery, SensitivePeriodFilters
from .http import ADMIN_OR_SUPERVISOR, STAFF, Call, Reply
from .routes import route
from .views import notification_view


def sensitive_period_view(period: SensitivePeriod) -> dict[str, Any]:
    return {"period_id": period.period_id, "region": period.region, "from": period.first.isoformat(),
            "to": period.last.isoformat(), "days": period.days, "reason": period.reason,
            "created_at": rfc3339(period.created_at), "created_by": period.created_by}


def period_fields(period: Period) -> dict[str, Any]:
    return {"period": period.key, "kind": period.kind.value, "first_day": period.first.isoformat(),
            "last_day": period.last.isoformat(), "due_at": rfc3339(period.due_at)}


def finding_view(finding: Finding) -> dict[str, Any]:
    return {"text": finding.text, "category": finding.category.value if finding.category else None,
            "risk_indicators": [i.value for i in finding.risk_indicators]}


def report_view(report: PatrolReport) -> dict[str, Any]:
    return {"org_id": report.org_id, **period_fields(report.period), "zero": report.zero,
            "findings": [finding_view(f) for f in report.findings], "note": report.note,
            "submitted_at": rfc3339(report.submitted_at), "submitted_by": report.submitted_by, "late": report.late,
            "facts": dict(report.facts)}


@route("/v1/sensitive-periods", "POST", summary="Declare a sensitive period (敏感时期): daily reports under a region",
       roles=ADMIN_OR_SUPERVISOR, body=NewSensitivePeriod, responses={
           201: "Declared", 403: "Region outside the caller's jurisdiction",
           422: "Unknown region, from after to, or longer than the maximum"})
def declare_sensitive_period(call: Call) -> Reply:
    period = wiring.current().patrol_reports.declare_sensitive_period(call.body, call.principal)
    return Reply(sensitive_period_view(period), 201)


@route("/v1/sensitive-periods", summary="Sensitive periods in the caller's view, earliest first", roles=STAFF,
       query=SensitivePeriodFilters, responses={200: "The periods", 403: "Region outside the caller's jurisdiction"})
def list_sensitive_periods(call: Call) -> Reply:
    periods = wiring.current().patrol_reports.sensitive_periods(call.query, call.principal)
    return Reply({"items": [sensitive_period_view(p) for p in periods]})


@route("/v1/orgs/{org_id}/reports/{period}", "PUT", summary="Submit or replace an org's patrol report (排查报告, 零报告)",
       roles=STAFF, body=PatrolReportInput, responses={
           200: "The report as stored, with the org's figures for the period", 403: "Not the org's staff",
           404: "Unknown org, or a period the org does not owe", 422: "Findings and zero disagree, or a zero "
                                                                       "report while the org received cases"})
def submit_patrol_report(call: Call) -> Reply:
    report = wiring.current().patrol_reports.submit(call.params["org_id"], call.params["period"], call.body,
                                                    call.principal)
    return Reply(report_view(report))


@route("/v1/orgs/{org_id}/reports/{period}", summary="An org's patrol report for a period", roles=STAFF,
       responses={200: "The report", 403: "Not the org's staff",
                  404: "Unknown org, a period the org does not owe, or no report yet"})
def get_patrol_report(call: Call) -> Reply:
    return Reply(report_view(wiring.current().patrol_reports.report(call.params["org_id"], call.params["period"],
                                                                    call.principal)))


@route("/v1/reports", summary="Who owes a period under a region: submitted, late, missing, pending",
       roles=ADMIN_OR_SUPERVISOR, query=ReportRollQuery, responses={
           200: "Each owing org in exactly one list", 403: "Region outside the caller's jurisdiction",
           404: "A period that has not begun", 422: "Bad region or period key"})
def report_roll_call(call: Call) -> Reply:
    period, lists = wiring.current().patrol_reports.roll_call(call.query, call.principal)
    return Reply({**period_fields(period), "region": call.query.region,
                  **{standing.value: org_ids for standing, org_ids in lists.items()}})


@route("/v1/orgs/{org_id}/notifications", summary="SMS about an org bound to no case (report_missing)",
       roles=ADMIN_OR_SUPERVISOR, responses={200: "Oldest first", 403: "Org outside the caller's jurisdiction",
                                             404: "Unknown org"})
def org_notifications(call: Call) -> Reply:
    records = wiring.current().patrol_reports.org_notifications(call.params["org_id"], call.principal)
    return Reply([{**notification_view(record), "case_id": None, "org_id": record.get("org_id")}
                  for record in records])
