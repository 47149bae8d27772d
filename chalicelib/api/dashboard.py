"""`GET /v1/dashboard`: the supervisor dashboard (一屏观全域) of a region; supervisors in their
jurisdiction, admins."""

from __future__ import annotations

from .. import wiring
from ..services.commands import DashboardQuery
from .http import ADMIN_OR_SUPERVISOR, Call, Reply
from .ops import local_as_of
from .routes import route


@route("/v1/dashboard", summary="The supervisor dashboard (一屏观全域) of a region: counts, the region tree, "
                                 "the 14-day trend, the overdue and red lists", roles=ADMIN_OR_SUPERVISOR,
       query=DashboardQuery, responses={200: "The dashboard", 403: "Outside the caller's jurisdiction",
                                        404: "No such region in the directory",
                                        422: "Bad region or limit, no region from an admin, or as_of outside "
                                             "the local stage"})
def dashboard(call: Call) -> Reply:
    return Reply(wiring.current().dashboard.dashboard(call.query, call.principal, as_of=local_as_of(call.query.as_of)))
