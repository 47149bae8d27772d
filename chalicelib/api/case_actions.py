"""`POST /v1/cases/{case_id}/{action}`: one explicit route per registered action, each with
its schema, and one for any other name."""

from __future__ import annotations

from .. import wiring
from ..services.action_registry import ACTIONS, CaseAction, MergeCase
from ..services.errors import NotFound
from .http import STAFF, Call, Reply
from .routes import case_reply, route


def _register(action: CaseAction) -> None:
    def handler(call: Call) -> Reply:
        return case_reply(wiring.current().actions.act(call.params["case_id"], action.name, call.body,
                                                       call.principal), call)

    handler.__name__ = f"{action.name}_case"
    route(f"/v1/cases/{{case_id}}/{action.name}", "POST", summary=action.summary, roles=STAFF,
          body=action.command, responses={
              200: "The case after the action", 403: "In view, but not among those who may take this action",
              404: "Not in view",
              409: f"Not taken from this status (only from {', '.join(sorted(s.value for s in action.statuses))}), "
                   "a rule of the case refuses it, or a stale expected_version",
              422: "A field of the body is missing or wrong"})(handler)


for _action in ACTIONS.values():
    _register(_action)


@route("/v1/cases/{case_id}/merge", "POST", summary="Merge this case into another (并案): staff who see both",
       roles=STAFF, body=MergeCase, responses={
           200: "The case after the merge (merged)", 404: "This case or the target not in view",
           409: "This case not open, the target not open or merged, cases merged into this one, or a stale "
                "expected_version", 422: "The target is the case itself"})
def merge_case(call: Call) -> Reply:
    return case_reply(wiring.current().merger.merge(call.params["case_id"], call.body, call.principal), call)


@route("/v1/cases/{case_id}/{action}", "POST", summary="Any other action: 404, as an unknown path", roles=None,
       responses={404: "No such action"})
def unknown_action(call: Call) -> Reply:
    """A misspelt action gets the API's problem+json 404 on every stage, `chalice local`
    included, whose own answer to an unknown path is a 403 in plain JSON."""
    raise NotFound(f"no such action; the actions are {', '.join([*ACTIONS, 'merge'])}")
