"""Operations endpoints (admin): run the sweeps on demand."""

from __future__ import annotations

import time

from .. import wiring
from ..services.commands import RecountRequest, RetentionSweepRequest, SweepRequest
from ..services.errors import Unprocessable
from .http import ADMIN, Call, Reply
from .routes import route


def local_as_of(as_of):
    """A request's `as_of` (a time the service acts as if it were), honoured in the local stage
    only: 422 in any other."""
    if as_of is not None and not wiring.current().settings.is_local:
        raise Unprocessable.field("as_of", "as_of is honoured only in the local stage")
    return as_of


def _as_of(call: Call):
    return local_as_of(call.body.as_of)


LOCAL_SWEEP_BUDGET_SECONDS = 60
"""The time a sweep run on demand has in the local stage, as a scheduled one has its Lambda's
(`sweeping.TIME_BUDGET_RESERVE_MS` of it kept in reserve): past it, the run stops taking cases and
the sweeps queue continues it, as in the cloud, so one request never runs, nor holds memory,
without bound."""


def _budget():
    """The run's remaining time in the local stage (a `remaining_ms` for `DueSweep.run`); None in the
    cloud, where the API function's own timeout bounds it."""
    if not wiring.current().settings.is_local:
        return None
    deadline = time.monotonic() + LOCAL_SWEEP_BUDGET_SECONDS
    return lambda: max(0, int((deadline - time.monotonic()) * 1000))


@route("/v1/ops/sweeps/supervision", "POST", summary="Run the supervision sweep (督办) now", roles=ADMIN,
       body=SweepRequest)
def run_supervision_sweep(call: Call) -> Reply:
    """The supervision sweep and, as on its schedule, the reminders of missing patrol reports (§13).
    `examined` and `actions` count cases, as they always have; the reminders show at
    `GET /v1/orgs/{org_id}/notifications`."""
    as_of = _as_of(call)
    remaining_ms = _budget()
    result = wiring.current().supervision.run(as_of=as_of, remaining_ms=remaining_ms)
    wiring.current().report_sweep.run(as_of=as_of, remaining_ms=remaining_ms)
    return Reply({"examined": result.examined, "actions": result.actions})


@route("/v1/ops/sweeps/return-visits", "POST", summary="Run the return-visit sweep (回访提醒) now", roles=ADMIN,
       body=SweepRequest)
def run_return_visit_sweep(call: Call) -> Reply:
    result = wiring.current().return_visits.run(as_of=_as_of(call), remaining_ms=_budget())
    return Reply({"examined": result.examined, "actions": result.actions})


@route("/v1/ops/stats/recount", "POST", summary="Bring a page of cases' statistics rows up to date (统计重算)",
       roles=ADMIN, body=RecountRequest, responses={200: "The page done, and the cursor of the next (null at the end)",
                                                    422: "A cursor not from this endpoint"})
def recount_stats(call: Call) -> Reply:
    """After a deployment that adds statistics rows or case fields (a case filed before case codes
    is given its code, `coded`): call until `next_cursor` is null."""
    result = wiring.current().recount.run(call.body.cursor)
    return Reply({"examined": result.examined, "recounted": result.recounted, "coded": result.coded,
                  "changed_meanwhile": result.changed_meanwhile, "next_cursor": result.next_cursor})


@route("/v1/ops/sweeps/retention", "POST", summary="Run the retention sweep (个人信息保存期限, §16) now; a dry run by default",
       roles=ADMIN, body=RetentionSweepRequest, responses={
           200: "What was (or, in a dry run, would be) done: cases examined and anonymised, attachments deleted, "
                "SMS texts made null", 422: "A bad body, or as_of outside the local stage"})
def run_retention_sweep(call: Call) -> Reply:
    """Cases final for 3 years lose their parties' identities and attachments; SMS texts older than 180 days
    become null. `dry_run` (default true) reads the same and writes nothing."""
    result = wiring.current().retention.run(as_of=_as_of(call), dry_run=call.body.dry_run)
    return Reply({"examined": result.examined, "anonymised": result.anonymised, "deleted": result.deleted,
                  "sms_texts_nulled": result.texts_purged, "dry_run": result.dry_run})
