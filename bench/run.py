"""`make bench`: DynamoDB cost of the service's operations, measured on moto in-process.

Writes (read-modify-write) into bench/results.json:
- "operations": DynamoDB calls per intake, routing, each action (steady state);
- "sweep": the supervision sweep over N open cases of which K are due:
  items read (from DynamoDB's ScannedCount), calls, pages, seconds.

Usage: python bench/run.py [--open-cases 100000] [--due-fraction 0.01]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
    HEWEI_STAGE="local", HEWEI_RESOURCE_PREFIX="hewei-local-",
    HEWEI_SECRET_KEY="bench-master-key-0123456789abcdef0123", HEWEI_JWT_SECRET="bench-jwt-secret-0123456789abcdef0123",
    POWERTOOLS_LOG_LEVEL="WARNING",
)
os.environ.pop("AWS_ENDPOINT_URL", None)

from bench.results import RESULTS, merge_results  # noqa: E402 - after the environment is set

def operations() -> dict:
    """Calls per operation, after one warm-up of each (Lambda containers are reused)."""
    from chalice.test import Client

    from bench.dynamo_meter import metered
    from tests.support import (Http, Partner, Staff, admin_staff, drain, load_demo_directory, moto_stack,
                               new_case_body)

    with moto_stack():
        from app import app

        with Client(app, stage_name="local") as client:
            http = Http(client)
            admin = admin_staff(http)
            load_demo_directory(admin)
            created = admin.call("POST", "/v1/partners", {"partner_id": "bench", "name": "bench"}).json
            partner = Partner(http, created["key_id"], created["secret"], "bench")
            mediator = Staff(http, admin.call("POST", "/v1/tokens", {"role": "mediator",
                                                                     "mediator_id": "M-CN-1"}).json["token"])
            results = {}
            for round_ in range(2):  # the second round is the steady state we report
                ref = f"BENCH-{round_}"
                with metered() as meter:
                    case_id = partner.call("POST", "/v1/cases", new_case_body(ref)).json["case_id"]
                results["intake"] = dict(meter.calls)
                with metered() as meter:
                    drain("routing", "route_cases")
                results["routing"] = dict(meter.calls)
                with metered() as meter:
                    drain("notify", "send_notifications")
                results["sms_send"] = dict(meter.calls)
                for action, body in (("accept", {}), ("note", {"text": "进展"}),
                                     ("resolve", {"agreement": {"summary": "达成协议", "performance_due":
                                                                (dt.date.today() + dt.timedelta(days=7)).isoformat()}})):
                    with metered() as meter:
                        assert mediator.call("POST", f"/v1/cases/{case_id}/{action}", body).status == 200
                    results[f"action_{action}"] = dict(meter.calls)
                with metered() as meter:
                    partner.call("GET", f"/v1/cases/{case_id}")
                results["read_case_as_partner"] = dict(meter.calls)
            return {name: {"calls": sum(calls.values()), "by_operation": calls} for name, calls in results.items()}


def write_directory(entries) -> None:
    """Write directory entries (`domain.directory`), kind by kind in BatchWriteItem calls,
    each as the directory store maps it to its row: for benches that load a large directory."""
    from itertools import groupby

    from chalicelib.adapters.directory_store import to_row

    for row_class, rows in groupby(map(to_row, entries), key=type):
        with row_class.batch_write() as batch:
            for row in rows:
                batch.save(row)


def sweep(open_cases: int, due_fraction: float) -> dict:
    """The supervision sweep over `open_cases` dispatched cases, about `due_fraction` of them due."""
    from bench.dynamo_meter import metered
    from chalicelib import wiring
    from chalicelib.adapters.case_mapping import case_to_model
    from chalicelib.adapters.models import CaseModel
    from chalicelib.domain.case import Case, Party
    from chalicelib.domain.directory import Mediator, Org
    from chalicelib.domain.deadlines import deadlines_for
    from chalicelib.domain.enums import CaseStatus, CategorySource, Category, Channel, MediationType, RiskLevel, Tier
    from tests.support import moto_stack

    from bench import moto_speedups

    moto_speedups.install()
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    due_every = max(1, round(1 / due_fraction))
    with moto_stack():
        wiring.current().clock.now = now
        directory = wiring.current().directory_store
        directory.add_org(Org(org_id="V-1", name="村调委会", region_code="320509102001", tier=Tier.VILLAGE,
                              mediation_type=MediationType.PEOPLE, head_phone="13900000101", created_at=now))
        directory.add_mediator(Mediator(mediator_id="M-1", name="调解员", phone="13900000201", org_id="V-1",
                                        open_cases=open_cases, created_at=now))
        started = time.perf_counter()
        due = 0
        with CaseModel.batch_write() as batch:
            for index in range(open_cases):
                is_due = index % due_every == 0
                due += is_due
                # due: dispatched 13 h ago, past the halfway reminder of a 24 h window; others 1 h ago
                dispatched_at = now - dt.timedelta(hours=13 if is_due else 1)
                deadlines = deadlines_for(RiskLevel.BLUE, dispatched_at)
                case = Case(
                    case_id=f"HWBENCH{index:08d}", owner="bench", external_ref=f"B-{index}", partner_id="bench",
                    channel=Channel.HOTLINE_12345, title="楼上漏水", description="漏水纠纷", region_code="320509102001",
                    address=None, parties=[Party("applicant", "张三")], party_count=1, amount_cny=None,
                    risk_indicators=[], category=Category.NEIGHBOR, category_source=CategorySource.PARTNER,
                    risk_level=RiskLevel.BLUE, received_at=dispatched_at, request_hash="-",
                    status=CaseStatus.DISPATCHED, tier=Tier.VILLAGE, mediation_type=MediationType.PEOPLE,
                    org_id="V-1", mediator_id="M-1", accept_due_at=deadlines.accept_due_at,
                    resolve_due_at=deadlines.resolve_due_at, dispatched_at=dispatched_at, created_by="bench",
                )
                batch.save(case_to_model(case))
        load_seconds = time.perf_counter() - started
        sweeper = wiring.current().supervision
        with metered() as meter:
            started = time.perf_counter()
            result = sweeper.run(as_of=now)
            seconds = time.perf_counter() - started
        index_pages = meter.pages
        return {
            "open_cases": open_cases, "due": due, "examined": result.examined, "actions": result.actions,
            "items_read": meter.items_read, "items_read_per_due": round(meter.items_read / max(due, 1), 3),
            "seconds": round(seconds, 2), "dynamodb_calls": meter.total, "by_operation": dict(meter.calls),
            "query_pages": index_pages, "load_seconds": round(load_seconds, 1),
            "note": "moto in-process; items_read counts ScannedCount of every Query plus items of every GetItem",
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--open-cases", type=int, default=100_000)
    parser.add_argument("--due-fraction", type=float, default=0.01)
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args()
    update = {"operations": operations(), "routing_at_scale": routing_at_scale()}
    print(json.dumps(update, ensure_ascii=False, indent=1))
    if not args.skip_sweep:
        update["sweep"] = sweep(args.open_cases, args.due_fraction)
        print(json.dumps({"sweep": update["sweep"]}, ensure_ascii=False, indent=1))
    merge_results(update)
    print(f"written: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
