"""`GET /v1/ledger` (台账导出, §13) and `GET /v1/exports/{export_id}`: the case ledger as xlsx or csv."""

from __future__ import annotations

from typing import Any

from .. import wiring
from ..domain.calendar import rfc3339
from ..domain.ledger import MEDIA_TYPES, SYNC_ROWS, ExportJob
from ..services.commands import LedgerQuery
from ..services.ledger import ExportState, LedgerFile
from .http import ADMIN_OR_SUPERVISOR, ANY_ROLE, Call, Download, Reply
from .routes import route


def export_view(job: ExportJob, state: ExportState | None = None) -> dict[str, Any]:
    status = state.status if state else job.status
    return {"export_id": job.export_id, "status": status.value, "rows": job.rows,
            "url": state.url if state else None, "expires_at": rfc3339(state.url_expires_at) if state else None,
            "format": job.ledger_format.value, "region": job.scope.region, "from": job.scope.first.isoformat(),
            "to": job.scope.last.isoformat(), "created_at": rfc3339(job.created_at),
            "finished_at": rfc3339(job.finished_at)}


@route("/v1/ledger", summary="The case ledger (台账) of a region prefix and days of receipt, as xlsx or csv",
       roles=ADMIN_OR_SUPERVISOR, query=LedgerQuery, downloads=tuple(MEDIA_TYPES.values()), responses={
           200: f"The ledger, up to {SYNC_ROWS:,} rows (an attachment)",
           202: "More rows: an export job, at Location", 403: "Outside the caller's jurisdiction",
           422: "Bad region, dates, format or `purpose`",
           503: "The access audit could not be recorded: nothing was exported"})
def case_ledger(call: Call) -> Reply | Download:
    """Recorded in the access audit (`GET /v1/ledger/access-log`) with the optional `purpose`."""
    container = wiring.current()
    result = container.ledger.request(
        call.query, call.principal, lambda scope: container.audit.ledger(call.principal, scope, call.query.purpose))
    if isinstance(result, LedgerFile):
        return Download(result.content, result.media_type, result.filename)
    return Reply(export_view(result), 202, {"Location": f"/v1/exports/{result.export_id}"})


@route("/v1/exports/{export_id}", summary="A ledger export: its status, and a download link once ready",
       roles=ANY_ROLE, responses={200: "The export; `url` is valid 15 minutes from this answer",
                                  404: "No such export for the caller, or expired"})
def ledger_export(call: Call) -> Reply:
    state = wiring.current().ledger.state(call.params["export_id"], call.principal)
    return Reply(export_view(state.job, state))
