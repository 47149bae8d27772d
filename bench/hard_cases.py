"""Bench: what the hard cases of §15 cost in DynamoDB, on moto in-process.

    python bench/hard_cases.py [--accepted 20000] [--due 200]

1. Calls per action through the HTTP API, after one warm-up round (Lambda containers are
   reused): `add_participant`, `note` by an assisting mediator, `schedule_session` of one and of
   two mediators, a `schedule_session` refused on an overlap (409), one whose clash is a booking
   of a case that left mediation (let go: one more batched read), `sponsor`, and `transfer`.
2. The session-reminder sweep: `--accepted` accepted cases in one district, of which `--due`
   have a session starting within 24 hours of the sweep (`session_reminder` owed) and as many
   again one a week ahead (not owed), the rest none; every resolve deadline weeks away. The
   supervision sweep runs once at that moment and again an hour later; the items DynamoDB read
   from the due index (`ScannedCount`) are compared with the sessions due.

Results are merged into bench/results.json under `hard_cases`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import SHANGHAI, add_one_village_org, merge_results, village_case  # noqa: E402 - sets the bench environment first

SWEEP_AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)


def figures(meter) -> dict:
    return {"calls": meter.total, "by_operation": dict(meter.calls), "by_target": dict(meter.calls_by_target),
            "transact_items": meter.transact_items}


def actions() -> dict:
    from chalice.test import Client

    from bench.dynamo_meter import metered
    from chalicelib import wiring
    from tests.support import Http, Staff, admin_staff, drain, load_demo_directory, moto_stack, new_case_body

    def token(admin, **body) -> Staff:
        return Staff(admin.http, admin.call("POST", "/v1/tokens", body).json["token"])

    with moto_stack():
        from app import app

        wiring.current().clock.now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
        with Client(app, stage_name="local") as client:
            http = Http(client)
            admin = admin_staff(http)
            load_demo_directory(admin)
            supervisor = token(admin, role="supervisor", jurisdiction="320509")
            lead = token(admin, role="mediator", mediator_id="M-SL-1")  # an orange case goes to the town org
            assistant = token(admin, role="mediator", mediator_id="M-CN-1")  # of the village org, assisting

            def accepted(ref: str) -> str:
                case_id = admin.call("POST", "/v1/cases", new_case_body(
                    ref, risk_indicators=["group_dispute"])).json["case_id"]
                drain("routing", "route_cases")
                assert lead.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
                return case_id

            results: dict = {}

            def measure(name: str, staff: Staff, case_id: str, action: str, body: dict, status: int = 200) -> None:
                with metered() as meter:
                    answer = staff.call("POST", f"/v1/cases/{case_id}/{action}", body)
                assert answer.status == status, (name, answer)
                results[name] = figures(meter)

            for round_ in range(2):  # the second round is the steady state reported
                day = f"2026-11-{25 + 2 * round_}"
                case_id, other, gone = (accepted(f"BENCH-HARD-{round_}-{n}") for n in range(3))
                measure("add_participant", supervisor, case_id, "add_participant",
                        {"org_id": "V-CN", "reason": "跨村纠纷，请村调委会协办"})
                measure("note_by_assisting_mediator", assistant, case_id, "note", {"text": "村里已走访"})
                session = {"starts_at": f"{day}T09:00:00+08:00", "mode": "onsite", "place": "街道调解室",
                           "mediator_ids": ["M-SL-1"]}
                measure("schedule_session_one_mediator", lead, case_id, "schedule_session", session)
                measure("schedule_session_two_mediators", assistant, case_id, "schedule_session",
                        {**session, "starts_at": f"{day}T14:00:00+08:00", "mediator_ids": ["M-SL-1", "M-CN-1"]})
                measure("schedule_session_overlap_409", lead, other, "schedule_session",
                        {**session, "starts_at": f"{day}T10:00:00+08:00"}, status=409)
                assert lead.call("POST", f"/v1/cases/{gone}/schedule_session",
                                 {**session, "starts_at": f"{day}T18:00:00+08:00"}).status == 200
                assert admin.call("POST", f"/v1/cases/{gone}/withdraw", {"reason": "申请人撤回"}).status == 200
                measure("schedule_session_clash_let_go", lead, other, "schedule_session",
                        {**session, "starts_at": f"{day}T18:30:00+08:00"})
                measure("sponsor", supervisor, case_id, "sponsor", {
                    "leader_name": "李明", "leader_title": "吴江区副区长", "leader_phone": "13900000301",
                    "due_on": "2026-12-20"})
                measure("transfer", admin, other, "transfer",
                        {"to": "court", "department": "吴江区人民法院", "reason": "涉诉事项"})
    results["note"] = ("moto in-process, staff tokens, steady state. Every action: GetItem of the case + one "
                       "TransactWriteItems (the case on its version, its events and SMS, statistics rows); "
                       "add_participant adds the org's GetItem and a Query of its mediators (is it active); "
                       "schedule_session adds a GetItem per mediator named, one BatchGetItem of their schedules "
                       "(their revisions are conditions in the transaction), and on a clash with another case's "
                       "booking one BatchGetItem of those cases (is their mediation still on)")
    return results


def reminder_sweep(accepted_n: int, due: int) -> dict:
    """The supervision sweep over `accepted_n` accepted cases, `due` of them with a session starting
    within 24 hours, `due` more with one a week ahead."""
    from bench import moto_speedups
    from bench.dynamo_meter import metered
    from chalicelib import wiring
    from chalicelib.adapters.case_mapping import case_to_model
    from chalicelib.adapters.models import CaseModel
    from chalicelib.domain.calendar import LIBRARY_CALENDAR
    from chalicelib.domain.deadlines import deadlines_for, ladder
    from chalicelib.domain.enums import CaseStatus, RiskLevel, SessionMode
    from chalicelib.domain.sessions import Session
    from tests.support import drain, moto_stack

    moto_speedups.install()
    accepted_at = SWEEP_AT - dt.timedelta(hours=20)
    deadlines = deadlines_for(RiskLevel.BLUE, accepted_at, LIBRARY_CALENDAR)
    resolve_ladder = ladder(deadlines.resolve_due_at, accepted_at, LIBRARY_CALENDAR)
    every = accepted_n // (2 * due)
    with moto_stack():
        wiring.current().clock.now = SWEEP_AT
        add_one_village_org(accepted_n, SWEEP_AT)
        owed = ahead = 0
        started = time.perf_counter()
        with CaseModel.batch_write() as batch:
            for index in range(accepted_n):
                sessions = []
                if index % every == 0 and owed + ahead < 2 * due:
                    soon = (owed + ahead) % 2 == 0
                    starts = SWEEP_AT + (dt.timedelta(hours=20) if soon else dt.timedelta(days=7))
                    owed, ahead = owed + soon, ahead + (not soon)
                    sessions = [Session(f"S{index:08d}", starts, SessionMode.ONSITE, "调解室", ("M-1",), None,
                                        accepted_at, "mediator:M-1")]
                case = village_case(f"HWSESSION{index:08d}", index, CaseStatus.ACCEPTED, accepted_at, deadlines,
                                    accepted_at=accepted_at, ladder=resolve_ladder, sessions=sessions)
                batch.save(case_to_model(case))
        load_seconds = time.perf_counter() - started
        sweeper = wiring.current().supervision
        runs = []
        for as_of in (SWEEP_AT, SWEEP_AT + dt.timedelta(hours=1)):
            drain("notify", "send_notifications", rounds=100)  # the run before's SMS, as the notify worker sends them
            with metered() as meter:
                started = time.perf_counter()
                result = sweeper.run(as_of=as_of)
                seconds = time.perf_counter() - started
            index_items = sum(n for target, n in meter.items_by_target.items() if "by_due" in target)
            runs.append({"as_of": as_of.isoformat(), "examined": result.examined, "actions": result.actions,
                         "due_index_items_read": index_items, "items_read": meter.items_read,
                         "dynamodb_calls": meter.total, "by_target": dict(meter.calls_by_target),
                         "seconds": round(seconds, 2)})
        reminded = sum(1 for model in CaseModel.scan(CaseModel.sessions.exists())
                       for s in model.sessions if s.get("reminder") == "sent")
    first = runs[0]
    return {"accepted_cases": accepted_n, "sessions_due": owed, "sessions_not_yet_due": ahead,
            "reminders_sent": reminded, "runs": runs,
            "due_index_items_per_session_due": round(first["due_index_items_read"] / max(owed, 1), 3),
            "load_seconds": round(load_seconds, 1),
            "note": "moto in-process; items from the due index's Query ScannedCount; the second run, an hour "
                    "later, finds nothing due (each reminder went once)"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accepted", type=int, default=20_000)
    parser.add_argument("--due", type=int, default=200)
    args = parser.parse_args()
    results = {"actions": actions(), "reminder_sweep": reminder_sweep(args.accepted, args.due)}
    print(json.dumps(results, ensure_ascii=False, indent=1))
    merge_results({"hard_cases": results})


if __name__ == "__main__":
    main()
