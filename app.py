"""Hewei (和为贵): the Chalice application. Handlers live in chalicelib;
this module only assembles them. Importing it makes no AWS call.

Every Lambda function loads this module, so it imports only what all of them
need: the API function adds the routes (`chalicelib.api.service`), and each
queue or schedule function imports its use case when its first event comes
(`wiring` builds each part on first use).
"""

import datetime as dt

from chalice import Chalice, Cron, Rate

from chalicelib import wiring
from chalicelib.config import SERVICE, queue_name, serves_http, stage
from chalicelib.workers import process_batch

stage()  # no HEWEI_STAGE: every function refuses to start (MissingSetting), never runs as the local stage

app = Chalice(app_name=SERVICE, configure_logs=False)
if serves_http():
    from chalicelib import snapstart
    from chalicelib.api.service import register_api

    register_api(app)
    # SnapStart (prod's API function): every route module and library loaded before the snapshot,
    # every client, connection and cached setting dropped after each restore (chalicelib/snapstart.py).
    snapstart.install(prime=snapstart.before_snapshot, reset=snapstart.after_restore)


@app.on_sqs_message(queue=queue_name("routing"), batch_size=10)
def route_cases(event):
    """Routing queue → route and dispatch each case (分级分流、派单)."""
    return process_batch(event, "routing", lambda body: wiring.current().routing.handle_request(body))


@app.on_sqs_message(queue=queue_name("notify"), batch_size=10)
def send_notifications(event):
    """Notify queue → send each stored SMS once (a digest's records as one SMS), within the frequency limits."""
    return process_batch(event, "notify", lambda body: wiring.current().notifier.deliver_message(body))


@app.on_sqs_message(queue=queue_name("callbacks"), batch_size=1)
def deliver_callbacks(event):
    """Callbacks queue → POST status changes to partner systems, with retries. One message per
    invocation: a slow partner (up to the 10 s deadline) never delays another partner's callback,
    and a timed-out invocation never sends one again."""
    return process_batch(event, "callbacks", lambda body: wiring.current().callbacks.deliver(body))


@app.on_sqs_message(queue=queue_name("sweeps"), batch_size=1)
def continue_sweeps(event):
    """Sweeps queue → continue a sweep that ran out of time in its scheduled invocation."""
    return process_batch(event, "sweeps", lambda body: _sweep(body.get("sweep")).run(
        as_of=dt.datetime.fromisoformat(body["as_of"]), remaining_ms=event.context.get_remaining_time_in_millis))


@app.on_sqs_message(queue=queue_name("exports"), batch_size=1)
def write_exports(event):
    """Exports queue → write a ledger export (台账导出) to S3 and mark it ready; failed on its last try."""
    return process_batch(event, "exports", lambda body, attempt: wiring.current().ledger.run(
        body["export_id"], attempt), with_attempt=True)


def _sweep(name: str | None):
    """The sweep a continuation message names (`supervision` when it names none)."""
    sweeps = (wiring.current().supervision, wiring.current().return_visits, wiring.current().report_sweep,
              wiring.current().retention)
    return next((sweep for sweep in sweeps if sweep.name == name), sweeps[0])


@app.schedule(Rate(5, unit=Rate.MINUTES))
def supervision_sweep(event):
    """Every 5 minutes: the supervision sweep (督办), then the reminders of missing patrol reports (§13)."""
    remaining_ms = event.context.get_remaining_time_in_millis
    result = wiring.current().supervision.run(remaining_ms=remaining_ms)
    reports = wiring.current().report_sweep.run(remaining_ms=remaining_ms)
    return {"examined": result.examined, "actions": result.actions, "complete": result.complete,
            "reports": {"examined": reports.examined, "actions": reports.actions, "complete": reports.complete}}


@app.schedule(Cron(0, 1, "*", "*", "?", "*"))
def return_visit_sweep(event):
    """Daily at 01:00 UTC = 09:00 Asia/Shanghai: the return-visit sweep (回访提醒)."""
    result = wiring.current().return_visits.run(remaining_ms=event.context.get_remaining_time_in_millis)
    return {"examined": result.examined, "actions": result.actions, "complete": result.complete}


@app.schedule(Cron(30, 19, "*", "*", "?", "*"))
def retention_sweep(event):
    """Nightly at 19:30 UTC = 03:30 Asia/Shanghai, the quietest hour: the retention sweep (§16) erases
    the personal data of cases final for 3 years and the SMS texts older than 180 days."""
    result = wiring.current().retention.run(remaining_ms=event.context.get_remaining_time_in_millis)
    return {"examined": result.examined, "anonymised": result.anonymised, "deleted": result.deleted,
            "sms_texts_nulled": result.texts_purged, "complete": result.complete}
