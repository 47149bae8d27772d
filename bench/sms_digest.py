"""`make bench`: SMS sent, and DynamoDB calls of the notify function, for a supervision sweep that
finds 10 due cases of one mediator (issue: digests and frequency limits).

On moto in-process, through the HTTP API and the queue handlers, as the local stack runs them:
ten cases of the same village are filed and routed (V-CN has one mediator: all ten are its), then
the supervision sweep runs at a moment past halfway to their 24 h to accept, outside quiet hours,
and its notify messages are handled by `send_notifications`. Measured twice in one run:
- "before": each record its own message and no frequency limits (the notifier as it was);
- "after": the sweep's records to one number of one kind as one digest, the limits kept.

Writes "sms_digest" into bench/results.json: SMS sent by the sweep, notify messages, and the
DynamoDB calls of the notify function per SMS.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import bench.moto_environment  # noqa: E402,F401 - first: the environment the service reads

from bench.results import merge_results  # noqa: E402 - after the environment is set

CASES = 10


def sweep_moment(accept_due_at: dt.datetime) -> dt.datetime:
    """The first whole hour at least 12 h before the 24 h to accept end (past halfway) that is
    outside quiet hours: the reminders are due then, and not deferred."""
    from chalicelib.domain.notices import is_quiet

    moment = (accept_due_at - dt.timedelta(hours=12)).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    while is_quiet(moment):
        moment += dt.timedelta(hours=1)
    return moment


def run(combine: bool) -> dict:
    from chalice.test import Client

    from bench.dynamo_meter import metered
    from chalicelib import wiring
    from chalicelib.services import notifications
    from tests.support import Http, Partner, admin_staff, drain, load_demo_directory, moto_stack, new_case_body, sms_sent

    original_groups = notifications.groups
    if not combine:
        notifications.groups = lambda records, combine: original_groups(records, False)
    try:
        with moto_stack():
            from app import app

            with Client(app, stage_name="local") as client:
                http = Http(client)
                admin = admin_staff(http)
                load_demo_directory(admin)
                if not combine:  # the notifier as it was: no ledgers, nothing held
                    wiring.current().notifier._ledgers = None  # noqa: SLF001
                created = admin.call("POST", "/v1/partners", {"partner_id": "bench", "name": "bench"}).json
                partner = Partner(http, created["key_id"], created["secret"], "bench")
                ids = [partner.call("POST", "/v1/cases", new_case_body(f"SMS-{n}")).json["case_id"]
                       for n in range(CASES)]
                drain("routing", "route_cases")
                views = [admin.call("GET", f"/v1/cases/{case_id}").json for case_id in ids]
                assert {view["mediator_id"] for view in views} == {"M-CN-1"}, "one mediator"
                clock = wiring.current().clock

                def unsent() -> list[dict]:
                    return [r for case_id in ids for r in admin.call("GET", f"/v1/cases/{case_id}/notifications").json
                            if r["status"] != "sent"]

                # the dispatch SMS first, each when the limits let it go (5 an hour to one mediator):
                # the clock moves to the next slot, the sweep releases it, the notify function sends it
                drain("notify", "send_notifications", rounds=20)
                dispatch_rounds = 0
                while (waiting := unsent()) and dispatch_rounds < 2 * CASES:
                    dispatch_rounds += 1
                    clock.now = min(dt.datetime.fromisoformat(r["held_until"]) for r in waiting if r["held_until"]) + dt.timedelta(seconds=1)
                    admin.call("POST", "/v1/ops/sweeps/supervision", {"as_of": clock.now.isoformat()})
                    drain("notify", "send_notifications", rounds=20)
                assert not unsent(), unsent()
                dispatched_by = clock()
                at = sweep_moment(min(dt.datetime.fromisoformat(view["accept_due_at"]) for view in views))
                clock.now = at
                before = len(sms_sent())
                sweep = admin.call("POST", "/v1/ops/sweeps/supervision", {"as_of": at.isoformat()}).json
                with metered() as meter:
                    messages = drain("notify", "send_notifications", rounds=20)
                reminders = [text for _, text in sms_sent()[before:] if "到期" in text]
                records = [r for case_id in ids for r in admin.call("GET", f"/v1/cases/{case_id}/notifications").json
                           if r["kind"] == "reminder"]
                assert len(records) == CASES and {r["status"] for r in records} == {"sent"}, records
                sent = len(reminders)
                return {"sweep_actions": sweep["actions"], "notify_messages": messages, "sms_sent": sent,
                        "reminder_texts": reminders[:2], "dispatch_sms_sent_by": dispatched_by.isoformat(),
                        "dynamodb_calls": dict(meter.calls),
                        "dynamodb_calls_per_sms": round(sum(meter.calls.values()) / max(sent, 1), 1)}
    finally:
        notifications.groups = original_groups


def main() -> None:
    import json

    results = {"due_cases_of_one_mediator": CASES, "before": run(combine=False), "after": run(combine=True)}
    print(json.dumps({"sms_digest": results}, ensure_ascii=False, indent=1))
    merge_results({"sms_digest": results})


if __name__ == "__main__":
    main()
