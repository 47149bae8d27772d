"""`make bench`: DynamoDB cost of the service's operations, measured on moto in-process.

Writes (read-modify-write) into bench/results.json:
- "operations": DynamoDB calls per intake (the flow's, and `intake_new_party_one_phone`: a new
  dispute whose applicant gives one phone never seen, the partner intake's hot path), routing,
  each action (steady state), the
  extension and suspension actions (request_extension, decide_extension, suspend, resume)
  included;
- "calendar_reads": what the working calendar costs each operation, its per-process cache
  warm (no call) and cold (one Scan of the operator's years);
- "sweep": the supervision sweep over N open cases of which K are due:
  items read (from DynamoDB's ScannedCount), calls, pages, seconds;
- "resume_sweep": the same sweep resuming N suspended cases whose `resume_on` has begun,
  alone and among M suspended cases not yet due (which the due index does not return);
- "duplicate_check_intake", "duplicate_check_cpu", "related_case_operations": §12, see
  bench/duplicates.py (which also runs alone).

Usage: python bench/run.py [--open-cases 100000] [--due-fraction 0.01]
                           [--resume-due 1000] [--resume-not-due 10000]
                           [--other-cases 20000] [--open-at-place 0,10,100,200,500] [--skip-duplicates]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.moto_environment import ROOT  # noqa: E402 - first: the environment the service reads

from bench.results import RESULTS, merge_results  # noqa: E402 - after the environment is set

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
EXTENSION_MONDAYS = (dt.date(2026, 11, 30), dt.date(2026, 12, 7))
"""The days (Mondays, after the tests' clock start) of the two rounds of the extension flow."""
COLD_MONDAY = dt.date(2026, 12, 14)
"""The day of the flow run with the calendar cache dropped before every operation."""


@contextmanager
def measured(into: dict, name: str, cold: bool = False):
    """Meter one operation into `into[name]` (calls by DynamoDB operation, and the calendar
    Scans and the items they read). Warm: the calendar is read just before, so its 60 s cache
    covers the operation whatever the bench's pace; cold: the cache is dropped first, as in a
    process that has not read the calendar for a minute."""
    from bench.dynamo_meter import metered
    from chalicelib import wiring

    store = wiring.current().calendar_store
    if cold:
        store.forget()
    else:
        store.calendar()
    scans = store.scans
    with metered() as meter:
        yield meter
    into[name] = {"calls": dict(meter.calls), "calendar_scans": store.scans - scans,
                  "calendar_items_read": meter.items_by_operation["Scan"]}


def operations() -> tuple[dict, dict]:
    """Calls per operation, after one warm-up of each (Lambda containers are reused); and
    what the working calendar adds to each, its cache warm and cold."""
    from chalice.test import Client

    from chalicelib import wiring
    from chalicelib.adapters.calendar_store import CACHE_SECONDS
    from chalicelib.domain.calendar import library_year
    from tests.support import (Http, Partner, Staff, admin_staff, drain, load_demo_directory, moto_stack,
                               new_case_body)

    with moto_stack():
        from app import app

        with Client(app, stage_name="local") as client:
            http = Http(client)
            admin = admin_staff(http)
            load_demo_directory(admin)
            # the operator's years, as a deployment has them: the calendar's Scan reads these items
            library = library_year(2026)
            operator_years = {2026: {"holidays": sorted(d.isoformat() for d in library.holidays),
                                     "workdays": sorted(d.isoformat() for d in library.workdays)},
                              2027: {"holidays": ["2027-01-01"], "workdays": []}}
            for year, body in operator_years.items():
                assert admin.call("PUT", f"/v1/calendar/{year}", body).status == 200
            created = admin.call("POST", "/v1/partners", {"partner_id": "bench", "name": "bench"}).json
            partner = Partner(http, created["key_id"], created["secret"], "bench")
            mediator = Staff(http, admin.call("POST", "/v1/tokens", {"role": "mediator",
                                                                     "mediator_id": "M-CN-1"}).json["token"])
            supervisor = Staff(http, admin.call("POST", "/v1/tokens", {"role": "supervisor",
                                                                       "jurisdiction": "320509"}).json["token"])
            results = {}
            for round_ in range(2):  # the second round is the steady state we report
                ref = f"BENCH-{round_}"
                with measured(results, "intake"):
                    case_id = partner.call("POST", "/v1/cases", new_case_body(ref)).json["case_id"]
                with measured(results, "routing"):
                    drain("routing", "route_cases")
                with measured(results, "sms_send"):
                    drain("notify", "send_notifications")
                for action, body in (("accept", {}), ("note", {"text": "进展"}),
                                     ("resolve", {"agreement": {"summary": "达成协议", "performance_due":
                                                                (dt.date.today() + dt.timedelta(days=7)).isoformat()}})):
                    with measured(results, f"action_{action}"):
                        assert mediator.call("POST", f"/v1/cases/{case_id}/{action}", body).status == 200
                with measured(results, "read_case_as_partner"):
                    partner.call("GET", f"/v1/cases/{case_id}")
            # the hot path: a new dispute, its applicant's one phone never seen before, the partner kept
            assert partner.call("GET", "/v1/cases", query={"external_ref": "BENCH-0"}).status == 200
            with measured(results, "intake_new_party_one_phone"):
                assert partner.call("POST", "/v1/cases", new_case_body("BENCH-HOT", parties=[
                    {"role": "applicant", "name": "王五", "phone": "13900001111"}])).status == 201

            clock = wiring.current().clock

            def extension_flow(ref: str, monday: dt.date, cold: bool) -> dict:
                """A case from intake to resolve through an extension asked for, rejected, asked
                again and approved, and a suspension (until Friday) resumed by hand on Wednesday:
                two working days suspended, so the resume moves the deadline."""
                into = {}

                def at(day_offset: int, hour: int, minute: int) -> None:
                    clock.now = dt.datetime.combine(monday + dt.timedelta(days=day_offset), dt.time(hour, minute),
                                                    SHANGHAI)

                def act(name: str, action: str, body: dict, staff: Staff = mediator) -> None:
                    with measured(into, name, cold):
                        result = staff.call("POST", f"/v1/cases/{case_id}/{action}", body)
                    assert result.status == 200, (action, result)

                at(0, 10, 0)
                with measured(into, "intake", cold):
                    case_id = partner.call("POST", "/v1/cases", new_case_body(ref)).json["case_id"]
                with measured(into, "routing", cold):
                    drain("routing", "route_cases")
                at(0, 10, 5)
                act("action_accept", "accept", {})
                at(0, 10, 10)
                act("action_note", "note", {"text": "进展"})
                at(0, 10, 15)
                act("action_request_extension", "request_extension",
                    {"working_days": 5, "reason": "需等待当事人补充证据"})
                at(0, 10, 20)
                act("action_decide_extension_reject", "decide_extension",
                    {"decision": "reject", "note": "理由不充分"}, supervisor)
                at(0, 10, 25)
                act("action_request_extension_again", "request_extension",
                    {"working_days": 5, "reason": "已补充鉴定申请"})
                at(0, 10, 30)
                act("action_decide_extension", "decide_extension", {"decision": "approve", "note": "同意"}, supervisor)
                at(0, 10, 35)
                act("action_suspend", "suspend", {"reason_code": "appraisal", "reason": "等待伤情鉴定",
                                                  "resume_on": (monday + dt.timedelta(days=4)).isoformat()})
                at(2, 10, 0)
                act("action_resume", "resume", {})
                at(2, 10, 5)
                act("action_resolve", "resolve", {"agreement": {
                    "summary": "达成协议", "performance_due": (monday + dt.timedelta(days=9)).isoformat()}})
                with measured(into, "read_case_as_partner", cold):
                    partner.call("GET", f"/v1/cases/{case_id}")
                drain("notify", "send_notifications")  # not measured: the SMS of the flow
                return into

            for round_, monday in enumerate(EXTENSION_MONDAYS):  # the second round is the steady state
                warm = extension_flow(f"BENCH-EXT-{round_}", monday, cold=False)
            cold = extension_flow("BENCH-COLD", COLD_MONDAY, cold=True)
            clock.now = None

    for name in ("action_request_extension", "action_decide_extension", "action_decide_extension_reject",
                 "action_suspend", "action_resume"):
        results[name] = warm[name]
    ops = {name: {"calls": sum(r["calls"].values()), "by_operation": r["calls"]} for name, r in results.items()}
    assert all(r["calendar_scans"] == 0 for r in (*results.values(), *warm.values())), "a warm operation scanned"
    calendar = {
        "cache_seconds": CACHE_SECONDS,
        "operator_years": len(operator_years),
        "by_operation": {name: {"warm_calls": sum(warm[name]["calls"].values()),
                                "cold_calls": sum(cold[name]["calls"].values()),
                                "warm_calendar_scans": warm[name]["calendar_scans"],
                                "cold_calendar_scans": cold[name]["calendar_scans"],
                                "cold_calendar_items_read": cold[name]["calendar_items_read"]}
                         for name in warm},
        "note": ("one case through intake, routing, accept, note, an extension asked, rejected, asked again "
                 "and approved, a suspension resumed by hand, resolve and a partner read: steady state "
                 "(calendar read just before each, within its cache) and again with the cache dropped "
                 "before each; calendar_scans from CalendarStore.scans, items from the Scan's ScannedCount"),
    }
    return ops, calendar


def write_directory(entries) -> None:
    """Write directory entries (`domain.directory`), kind by kind in BatchWriteItem calls,
    each as the directory store maps it to its row: for benches that load a large directory."""
    from itertools import groupby

    from chalicelib.adapters.directory_store import to_row

    for row_class, rows in groupby(map(to_row, entries), key=type):
        with row_class.batch_write() as batch:
            for row in rows:
                batch.save(row)


@contextmanager
def demo_api():
    """moto in-process with the service's tables and queues, the app under Chalice's test client
    and the demo directory loaded: `(http, admin)` for a bench that goes through the HTTP API."""
    from chalice.test import Client

    from tests.support import Http, admin_staff, load_demo_directory, moto_stack

    with moto_stack():
        from app import app

        with Client(app, stage_name="local") as client:
            http = Http(client)
            admin = admin_staff(http)
            load_demo_directory(admin)
            yield http, admin


@contextmanager
def fast_moto():
    """moto in-process with the bench's speed-ups (`bench/moto_speedups.py`) and the service's
    tables and queues: for a bench that writes many items straight to the tables."""
    from bench import moto_speedups
    from tests.support import moto_stack

    moto_speedups.install()
    with moto_stack() as urls:
        yield urls


def report(key: str, results: dict) -> None:
    """Print a bench's results and merge them into bench/results.json under `key`."""
    print_and_merge({key: results})


def print_and_merge(update: dict, write: bool = True) -> dict:
    """Print a bench's results (keys of bench/results.json) and, unless told not to, merge them in."""
    print(json.dumps(update, ensure_ascii=False, indent=1))
    if write:
        merge_results(update)
    return update


def village_case(case_id: str, index: int, status, at: dt.datetime, deadlines, **fields):
    """A blue neighbour case of village org V-1 and its mediator M-1, routed at `at` with these
    deadlines, in `status`: the sweeps' benches write many of them straight to the table."""
    from chalicelib.domain.case import Case, Party
    from chalicelib.domain.enums import CategorySource, Category, Channel, MediationType, RiskLevel, Tier

    return Case(
        case_id=case_id, owner="bench", external_ref=f"B-{index}", partner_id="bench",
        channel=Channel.HOTLINE_12345, title="楼上漏水", description="漏水纠纷", region_code="320509102001",
        address=None, parties=[Party("applicant", "张三")], party_count=1, amount_cny=None,
        risk_indicators=[], category=Category.NEIGHBOR, category_source=CategorySource.PARTNER,
        risk_level=RiskLevel.BLUE, received_at=at, request_hash="-", status=status, tier=Tier.VILLAGE,
        mediation_type=MediationType.PEOPLE, org_id="V-1", mediator_id="M-1", accept_due_at=deadlines.accept_due_at,
        resolve_due_at=deadlines.resolve_due_at, dispatched_at=at, created_by="bench", **fields)


def add_one_village_org(open_cases: int, now: dt.datetime) -> None:
    """The sweeps' directory: village org V-1 and its mediator M-1, who has `open_cases` open."""
    from chalicelib import wiring
    from chalicelib.domain.directory import Mediator, Org
    from chalicelib.domain.enums import MediationType, Tier

    directory = wiring.current().directory_store
    directory.add_org(Org(org_id="V-1", name="村调委会", region_code="320509102001", tier=Tier.VILLAGE,
                          mediation_type=MediationType.PEOPLE, head_phone="13900000101", created_at=now))
    directory.add_mediator(Mediator(mediator_id="M-1", name="调解员", phone="13900000201", org_id="V-1",
                                    open_cases=open_cases, created_at=now))


def sweep(open_cases: int, due_fraction: float) -> dict:
    """The supervision sweep over `open_cases` dispatched cases, about `due_fraction` of them due."""
    from bench.dynamo_meter import metered
    from chalicelib import wiring
    from chalicelib.adapters.case_mapping import case_to_model
    from chalicelib.adapters.models import CaseModel
    from chalicelib.domain.calendar import LIBRARY_CALENDAR
    from chalicelib.domain.deadlines import deadlines_for, ladder
    from chalicelib.domain.enums import CaseStatus, RiskLevel
    from tests.support import moto_stack

    from bench import moto_speedups

    moto_speedups.install()
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    due_every = max(1, round(1 / due_fraction))
    with moto_stack():
        wiring.current().clock.now = now
        add_one_village_org(open_cases, now)
        started = time.perf_counter()
        due = 0
        with CaseModel.batch_write() as batch:
            for index in range(open_cases):
                is_due = index % due_every == 0
                due += is_due
                # due: dispatched 13 h ago, past the halfway reminder of a 24 h window; others 1 h ago
                dispatched_at = now - dt.timedelta(hours=13 if is_due else 1)
                deadlines = deadlines_for(RiskLevel.BLUE, dispatched_at, LIBRARY_CALENDAR)
                case = village_case(f"HWBENCH{index:08d}", index, CaseStatus.DISPATCHED, dispatched_at, deadlines,
                                    ladder=ladder(deadlines.accept_due_at, dispatched_at, LIBRARY_CALENDAR))
                batch.save(case_to_model(case))
        load_seconds = time.perf_counter() - started
        sweeper = wiring.current().supervision
        with metered() as meter:
            started = time.perf_counter()
            result = sweeper.run(as_of=now)
            seconds = time.perf_counter() - started
        index_pages = meter.calls["Query"]
        return {
            "open_cases": open_cases, "due": due, "examined": result.examined, "actions": result.actions,
            "items_read": meter.items_read, "items_read_per_due": round(meter.items_read / max(due, 1), 3),
            "seconds": round(seconds, 2), "dynamodb_calls": meter.total, "by_operation": dict(meter.calls),
            "query_pages": index_pages, "load_seconds": round(load_seconds, 1),
            "note": "moto in-process; items_read counts ScannedCount of every Query and Scan plus items of every "
                    "GetItem; the Scan is the working calendar's, read once per sweep run",
        }


def queued_messages(role: str) -> int:
    """Messages waiting on one of the service's queues."""
    import boto3

    from chalicelib.config import queue_name

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name(role))["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def resume_sweep(due: int, not_due: int) -> dict:
    """The supervision sweep over `due` suspended cases whose `resume_on` is the sweep's day
    (中止期满: it resumes each, moves its deadline, tells the mediator and the partner) among
    `not_due` suspended cases whose `resume_on` is a week away. A suspended case's
    `next_check_at` is the start of its `resume_on`, so the due index returns only the first."""
    from bench import moto_speedups
    from bench.dynamo_meter import metered
    from chalicelib import wiring
    from chalicelib.adapters.case_mapping import case_to_model
    from chalicelib.adapters.models import CaseModel
    from chalicelib.domain.calendar import LIBRARY_CALENDAR
    from chalicelib.domain.case import Case, Party, Suspension
    from chalicelib.domain.deadlines import deadlines_for, ladder
    from chalicelib.domain.enums import (CaseStatus, CategorySource, Category, Channel, MediationType, RiskLevel,
                                         SuspensionReason, Tier)
    from tests.support import moto_stack

    moto_speedups.install()
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # a Monday
    dispatched_at = dt.datetime(2026, 11, 19, 10, 0, tzinfo=SHANGHAI)  # the Thursday before
    accepted_at = dispatched_at + dt.timedelta(hours=2)
    suspended_at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)  # Friday: one working day suspended
    deadlines = deadlines_for(RiskLevel.BLUE, dispatched_at, LIBRARY_CALENDAR)
    resolve_ladder = ladder(deadlines.resolve_due_at, accepted_at, LIBRARY_CALENDAR)  # as accept sets it
    total = due + not_due
    due_every = total / due if due else None
    with moto_stack():
        wiring.current().clock.now = now
        add_one_village_org(total, now)
        started = time.perf_counter()
        due_ids, not_due_ids = [], []
        with CaseModel.batch_write() as batch:
            for index in range(total):
                # the due ones spread evenly among the others
                is_due = due_every is not None and int(index / due_every) != int((index + 1) / due_every)
                case_id = f"HWRESUME{index:08d}"
                (due_ids if is_due else not_due_ids).append(case_id)
                resume_on = now.date() if is_due else now.date() + dt.timedelta(days=7)
                case = Case(
                    case_id=case_id, owner="bench", external_ref=f"R-{index}", partner_id="bench",
                    channel=Channel.HOTLINE_12345, title="楼上漏水", description="漏水纠纷", region_code="320509102001",
                    address=None, parties=[Party("applicant", "张三")], party_count=1, amount_cny=None,
                    risk_indicators=[], category=Category.NEIGHBOR, category_source=CategorySource.PARTNER,
                    risk_level=RiskLevel.BLUE, received_at=dispatched_at, request_hash="-",
                    status=CaseStatus.ACCEPTED, tier=Tier.VILLAGE, mediation_type=MediationType.PEOPLE,
                    org_id="V-1", mediator_id="M-1", accept_due_at=deadlines.accept_due_at,
                    resolve_due_at=deadlines.resolve_due_at, dispatched_at=dispatched_at, accepted_at=accepted_at,
                    ladder=resolve_ladder, created_by="bench",
                    suspensions=[Suspension(SuspensionReason.APPRAISAL, "等待伤情鉴定", suspended_at, resume_on, "M-1")],
                )
                batch.save(case_to_model(case))
        load_seconds = time.perf_counter() - started
        store = wiring.current().case_store
        with metered() as meter:
            started = time.perf_counter()
            result = wiring.current().supervision.run(as_of=now)
            seconds = time.perf_counter() - started
        resumed = [store.get(case_id) for case_id in due_ids]
        assert not any(case.suspended for case in resumed), "a due case was not resumed"
        assert all(case.resolve_due_at > deadlines.resolve_due_at for case in resumed), "a deadline did not move"
        assert all(store.get(case_id).suspended for case_id in not_due_ids[:100]), "a case resumed early"
        writes = meter.calls["TransactWriteItems"]
        queued = {role: queued_messages(role) for role in ("notify", "callbacks")}
        return {
            "suspended_due": due, "suspended_not_due": not_due, "examined": result.examined,
            "actions": result.actions, "resumed": len(resumed),
            "sms_queued": queued["notify"], "partner_callbacks_queued": queued["callbacks"],
            "items_read": meter.items_read, "items_read_per_due": round(meter.items_read / max(due, 1), 3),
            "index_items_read": meter.items_by_operation["Query"],
            "directory_items_read": meter.items_by_operation["GetItem"],
            "calendar_items_read": meter.items_by_operation["Scan"],
            "dynamodb_calls": meter.total, "dynamodb_calls_per_due": round(meter.total / max(due, 1), 3),
            "writes_per_resumed_case": round(writes / max(due, 1), 3),
            "calls_per_run": meter.total - writes, "by_operation": dict(meter.calls),
            "query_pages": meter.calls["Query"], "seconds": round(seconds, 2), "load_seconds": round(load_seconds, 1),
            "note": ("moto in-process; accepted cases suspended since Friday, the due ones until the sweep's "
                     "Monday, the others a week more; each resumed case is one TransactWriteItems (resume event, "
                     "moved deadline and ladder, SMS record); per run: the due-index and release-index Queries, "
                     "the org and mediator GetItems, the calendar's Scan"),
        }


def routing_at_scale(orgs: int = 3_000, mediators: int = 30_000, cases: int = 20) -> dict:
    """Route cases against a large directory: reads grow with the orgs at the case's
    region prefixes and the chosen org's mediators, not with the directory's size."""
    from bench import moto_speedups
    from bench.dynamo_meter import metered
    from chalicelib import wiring
    from chalicelib.services.commands import NewCase
    from chalicelib.domain.access import Principal
    from chalicelib.domain.directory import Mediator, Org, Region
    from chalicelib.domain.enums import Category, MediationType, Role, Tier
    from tests.support import moto_stack

    moto_speedups.install()
    categories = ["neighbor", "marriage_family", "labor_wages", "property_management", "land_resources"]
    created = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
    with moto_stack():
        container = wiring.current()
        towns = [f"320509{t:03d}" for t in range(1, 31)]
        villages = [f"{town}{v:03d}" for town in towns for v in range(1, 31)]  # 900 villages
        regions = [Region(code="320509", name="区", created_at=created)]
        regions += [Region(code=code, name=code, parent_code=code[:-3], created_at=created)
                    for code in towns + villages]
        org_entries = []
        for index in range(orgs):
            # about 89% village, 10% town and 1% district orgs, as in a real district
            tier, region = ((Tier.DISTRICT, "320509") if index % 100 == 99 else
                            (Tier.TOWN, towns[index % len(towns)]) if index % 10 == 8 else
                            (Tier.VILLAGE, villages[index % len(villages)]))
            org_entries.append(Org(
                org_id=f"O{index:05d}", name=f"org{index}", region_code=region, tier=tier,
                mediation_type=MediationType.PEOPLE,
                categories=(Category(categories[index % 5]),) if index % 3 else (),
                head_phone="13900000101", created_at=created))
        mediator_entries = (Mediator(mediator_id=f"M{index:06d}", name="调解员", phone="13900000201",
                                     org_id=f"O{index % orgs:05d}", specialties=(Category(categories[index % 5]),),
                                     active=index % 7 != 0, open_cases=index % 4, created_at=created)
                            for index in range(mediators))
        write_directory([*regions, *org_entries, *mediator_entries])
        admin = Principal(Role.ADMIN, "bench")
        ids = []
        for index in range(cases):
            command = NewCase.model_validate_json(json.dumps({
                "external_ref": f"SCALE-{index}", "category": categories[index % 5], "title": "纠纷",
                "description": "纠纷", "region_code": villages[(index * 37) % len(villages)],
                "parties": [{"name": "张三"}]}))
            ids.append(container.intake.file_case(command, admin).case.case_id)
        with metered() as meter:
            outcomes = [container.routing.route(case_id) for case_id in ids]
        return {"orgs": orgs, "mediators": mediators, "cases_routed": cases,
                "dispatched": outcomes.count("dispatched"),
                "dynamodb_calls_per_case": round(meter.total / cases, 2),
                "items_read_per_case": round(meter.items_read / cases, 2),
                "by_operation": dict(meter.calls)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument("--due-fraction", type=float, default=0.01)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--resume-due", type=int, default=1_000,
                        help="suspended cases due to resume in the resume sweep")
    parser.add_argument("--resume-not-due", type=int, default=10_000,
                        help="suspended cases not yet due, in the resume sweep's second run")
    parser.add_argument("--skip-resume-sweep", action="store_true")
    from bench import duplicates

    duplicates.add_arguments(parser)
    args = parser.parse_args()
    operations_, calendar = operations()
    update = {"operations": operations_, "calendar_reads": calendar, "routing_at_scale": routing_at_scale()}
    print(json.dumps(update, ensure_ascii=False, indent=1))
    if not args.skip_duplicates:
        update.update(duplicates.run(args))
    if not args.skip_resume_sweep:
        update["resume_sweep"] = {"due_only": resume_sweep(args.resume_due, 0),
                                  "among_not_due": resume_sweep(args.resume_due, args.resume_not_due)}
        calendar["supervision_sweep_run"] = {
            **{name: {"calendar_scans": run["by_operation"].get("Scan", 0), "cases_resumed": run["resumed"],
                      "seconds": run["seconds"]} for name, run in update["resume_sweep"].items()},
            "note": "a sweep run reads the calendar at its start (runs are 5 min apart, past the 60 s cache: "
                    "always cold), and again whenever the cache has run out during the run (moto's pace); "
                    "the resumes use the cached calendar, however many there are"}
        print(json.dumps({"resume_sweep": update["resume_sweep"]}, ensure_ascii=False, indent=1))
    else:  # keep the sweep-run figures of the last resume sweep, which measured them
        try:
            stored = json.loads(RESULTS.read_text()).get("calendar_reads", {}).get("supervision_sweep_run")
        except (FileNotFoundError, json.JSONDecodeError):
            stored = None
        if stored is not None:
            calendar["supervision_sweep_run"] = stored
    if not args.skip_sweep:
        update["sweep"] = sweep(args.open_cases, args.due_fraction)
        print(json.dumps({"sweep": update["sweep"]}, ensure_ascii=False, indent=1))
    merge_results(update)
    print(f"written: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
