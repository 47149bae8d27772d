"""`POST /v1/ledger/imports` (§13, 排查台账导入): a patrol ledger's rows filed as cases (supervisors, admins)."""

from __future__ import annotations

from typing import Any

from .. import wiring
from ..domain.errors import MacroSpreadsheet
from ..services.commands import LedgerImportQuery
from ..services.ledger_import import ImportReport, problem_item
from .http import ADMIN_OR_SUPERVISOR, XLSM, XLSX, Call, Reply, Upload
from .routes import route

LEDGER_UPLOAD = Upload(frozenset({XLSX}), 5 * 2**20, "spreadsheet",
                       refused_media_types=((XLSM, MacroSpreadsheet.MESSAGE),))


def report_view(report: ImportReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run, "rows": report.rows, "valid": report.valid, "created": report.created,
        "existing": report.existing, "errors": [problem_item(problem) for problem in report.problems],
        "cases": [{"row": case.row, "external_ref": case.external_ref, "case_id": case.case_id,
                   "created": case.created} for case in report.cases],
        "ignored_columns": list(report.ignored_columns),
    }


@route("/v1/ledger/imports", "POST", summary="Import a patrol ledger (排查台账导入): each row filed as a case",
       roles=ADMIN_OR_SUPERVISOR, query=LedgerImportQuery, upload=LEDGER_UPLOAD,
       responses={200: "What the import found, and (not a dry run) filed", 413: "Over 2,000 rows or 5 MiB",
                  415: "Not an xlsx workbook, or a macro-enabled one",
                  422: "An unreadable workbook, a missing column, formulas, no data rows"})
def import_ledger(call: Call) -> Reply:
    report = wiring.current().ledger_import.run(call.body, call.principal, dry_run=call.query.dry_run)
    return Reply(report_view(report))
