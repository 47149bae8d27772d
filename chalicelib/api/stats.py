"""`GET /v1/stats` (§8) and `GET /v1/stats/ranking` (红黑榜): supervisors in their jurisdiction, admins."""

from __future__ import annotations

from .. import wiring
from ..services.commands import StatsQuery
from .http import ADMIN_OR_SUPERVISOR, Call, Reply
from .routes import route

@route("/v1/stats", summary="Statistics of a region prefix over days of receipt (§8)", roles=ADMIN_OR_SUPERVISOR,
       query=StatsQuery, responses={200: "The figures", 403: "Outside the caller's jurisdiction",
                                    422: "Bad region or dates"})
def stats(call: Call) -> Reply:
    return Reply(wiring.current().stats.figures(call.query, call.principal))


@route("/v1/stats/ranking", summary="Org and mediator ranking (红黑榜) of a region prefix", roles=ADMIN_OR_SUPERVISOR,
       query=StatsQuery, responses={200: "Orgs and mediators, best first", 403: "Outside the caller's jurisdiction",
                                    422: "Bad region or dates"})
def stats_ranking(call: Call) -> Reply:
    return Reply(wiring.current().stats.ranking(call.query, call.principal))
