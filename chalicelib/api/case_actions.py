"""`POST /v1/cases/{case_id}/{action}`: one explicit route per action, each with its schema,
and one for any other name."""

from __future__ import annotations

from .. import wiring
from ..services.actions import ACTION_COMMANDS
from ..services.errors import NotFound
from .http import STAFF, Call, Reply
from .routes import route
from .views import case_view

ACTION_SUMMARIES = {
    "accept": "Accept a dispatched case (接单)",
    "decline": "Decline a dispatched case (退单); it is routed again without this org",
    "escalate": "Escalate one tier up (上报); at district level: 409",
    "note": "Add a progress note to the timeline",
    "resolve": "Record the agreement (调解成功) and plan return visits",
    "fail": "Record that mediation failed and where the dispute is referred (诉求分流)",
    "visit": "Record the next due return visit (回访)",
    "close": "Close a resolved or unresolved case (结案)",
    "withdraw": "Withdraw an open case (撤回)",
}


def _register(action: str) -> None:
    def handler(call: Call) -> Reply:
        case = wiring.current().actions.act(call.params["case_id"], action, call.body, call.principal)
        return Reply(case_view(case, call.principal))

    handler.__name__ = f"{action}_case"
    route(f"/v1/cases/{{case_id}}/{action}", "POST", summary=ACTION_SUMMARIES[action], roles=STAFF,
          body=ACTION_COMMANDS[action], responses={200: "The case after the action", 404: "Not in view",
                                                   409: "Wrong status or stale expected_version"})(handler)


for _action in ACTION_COMMANDS:
    _register(_action)


@route("/v1/cases/{case_id}/{action}", "POST", summary="Any other action: 404, as an unknown path", roles=None,
       responses={404: "No such action"})
def unknown_action(call: Call) -> Reply:
    """A misspelt action gets the API's problem+json 404 on every stage, `chalice local`
    included, whose own answer to an unknown path is a 403 in plain JSON."""
    raise NotFound(f"no such action; the actions are {', '.join(ACTION_COMMANDS)}")
