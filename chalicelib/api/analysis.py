"""`GET /v1/reports/analysis` (§13): the monthly analysis (研判报告), as JSON or a workbook with charts."""

from __future__ import annotations

from .. import wiring
from ..services.commands import AnalysisQuery
from .http import ADMIN_OR_SUPERVISOR, XLSX, Call, Download, Reply
from .routes import route


@route("/v1/reports/analysis", summary="Monthly analysis (研判报告) of a region: JSON, or xlsx with charts",
       roles=ADMIN_OR_SUPERVISOR, query=AnalysisQuery, downloads=(XLSX,), responses={
           200: "The month against the month before and a year before: JSON, or with `format=xlsx` the "
                "workbook (an attachment)", 403: "Outside the caller's jurisdiction",
           422: "Bad region, month or format"})
def monthly_analysis(call: Call) -> Reply | Download:
    report = wiring.current().analysis.analysis(call.query, call.principal)
    if call.query.format == "xlsx":
        from ..adapters.analysis_workbook import analysis_workbook  # openpyxl: loaded by this route only

        return Download(analysis_workbook(report), XLSX, f"研判报告-{report['region']}-{report['month']}.xlsx")
    return Reply(report)
