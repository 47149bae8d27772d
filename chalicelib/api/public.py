"""The party's routes of the case code (一案一码, §14), with no credentials: the progress lookup
and the party's own evaluation. Both are guarded per code (`services/public_cases.py`): a wrong
code and wrong digits get the same 404; the day's tries used up, 429 with `Retry-After`."""

from __future__ import annotations

from .. import wiring
from ..services.public_cases import PublicCaseQuery, SelfEvaluationInput
from .http import Call, Reply
from .routes import route
from .views import public_case_view

NO_STORE = {"Cache-Control": "no-store"}
"""A party's answer is theirs: kept by no cache on the way."""

GUARDED = {404: "No case has this code with a party's phone ending in these digits (the same for either)",
           422: "phone_last4 is not four digits",
           429: "Too many wrong tries on this code today (Asia/Shanghai): every try until the day ends; "
                "Retry-After gives the seconds left"}


@route("/v1/public/cases/{code}", summary="A case's progress for its party (一案一码查询): the case code and the last "
                                          "four digits of a party's phone", roles=None, query=PublicCaseQuery,
       responses={200: "Status, stages, org, deadlines: nothing personal", **GUARDED})
def public_case(call: Call) -> Reply:
    progress = wiring.current().public_cases.progress(call.params["code"], call.query.phone_last4)
    return Reply(public_case_view(progress), headers=NO_STORE)


@route("/v1/public/cases/{code}/feedback", "POST", summary="The party's evaluation of the mediation (当事人评价), "
                                                           "once, after the case concluded", roles=None,
       body=SelfEvaluationInput, responses={
           200: "Recorded", **GUARDED,
           409: "Already evaluated, or the case is not resolved, unresolved or closed",
           422: "phone_last4 is not four digits, or a score or the comment is not valid"})
def public_feedback(call: Call) -> Reply:
    case = wiring.current().public_cases.evaluate(call.params["code"], call.body)
    return Reply({"recorded": True, "rectification_required": case.rectification_required}, headers=NO_STORE)
