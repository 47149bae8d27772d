"""`GET /v1/dashboard`: the supervisor dashboard (一屏观全域) of a region; supervisors in their
jurisdiction, admins."""

from __future__ import annotations

from .. import wiring
from ..services.commands import DashboardQuery
from ..services.errors import Unprocessable
from .http import ADMIN_OR_SUPERVISOR, Call, Reply
from .routes import route


@route("/v1/dashboard", summary="The supervisor dashboard (一屏观全域) of a region: counts, the region tree, "
                                 "the 14-day trend, the overdue and red lists", roles=ADMIN_OR_SUPERVISOR,
       query=DashboardQuery, responses={200: "The dashboard", 403: "Outside the caller's jurisdiction",
                                        404: "No such region in the directory",
                                        422: "Bad region or limit, no region from an admin, or as_of outside "
                                             "the local stage"})
def dashboard(call: Call) -> Reply:
    container = wiring.current()
    as_of = call.query.as_of
    if as_of is not None and not container.settings.is_local:
        raise Unprocessable.field("as_of", "as_of is honoured only in the local stage")
    return Reply(container.dashboard.dashboard(call.query, call.principal, as_of=as_of))
