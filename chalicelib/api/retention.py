"""Retention (§16, PIPL): the hold that keeps a case out of the retention sweep."""

from __future__ import annotations

from .. import wiring
from ..services.commands import RetentionHoldChange
from .http import ADMIN, Call, Reply
from .routes import case_reply, route


@route("/v1/cases/{case_id}", "PATCH", summary="Put a case on retention hold (保留) or take it off: admin",
       roles=ADMIN, body=RetentionHoldChange, responses={
           200: "The case after the change (a hold as it was already changes nothing)", 403: "Not an admin",
           404: "No such case", 409: "A hold on a case anonymised already, or a stale expected_version",
           422: "retention_hold missing or not a boolean"})
def change_case(call: Call) -> Reply:
    """`retention_hold: true` keeps the case's personal data past its 3 years (a litigation, an inquiry);
    `false` lets the next nightly sweep anonymise it if its day has passed. Written to the timeline."""
    return case_reply(wiring.current().retention_holds.set_hold(call.params["case_id"], call.body, call.principal),
                      call)
