"""Bench: the retention sweep (§16) on moto, in-process: items read against items due.

    python bench/retention.py [--cases 5000] [--due 50] [--sms 2000] [--sms-due 50]

Builds N final cases (withdrawn) of which K became final more than 3 years before the sweep's
date, inserted with BatchWriteItem through `case_to_model` (the sparse retention index keys come
from the case's state there, as at every write), each with one timeline event naming its party;
and M SMS records of which L were sent more than 180 days before. Then runs the retention
sweep once, a dry run first, and counts with the botocore hooks of `bench/dynamo_meter.py`
what DynamoDB read: the ScannedCount of the two sparse index Queries and the items of the
per-case Queries (timeline, SMS, attachments), and the calls. Merged into
`bench/results.json` under `retention` (read-modify-write).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import fast_moto, print_and_merge  # noqa: E402 - sets the bench environment first

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SWEEP_AT = dt.datetime(2030, 1, 15, 3, 30, tzinfo=SHANGHAI)
DUE_FINAL = dt.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
"""Final more than 3 years before the sweep: due."""
RECENT_FINAL = dt.datetime(2028, 6, 1, 10, 0, tzinfo=SHANGHAI)
"""Final 19 months before the sweep: not due."""


def build_case(index: int, due: bool):
    from chalicelib.domain.case import Case, Party
    from chalicelib.domain.enums import CaseStatus, Category, CategorySource, Channel, RiskLevel

    final = DUE_FINAL if due else RECENT_FINAL
    received = final - dt.timedelta(days=3)
    return Case(
        case_id=f"HW{received:%Y%m%d}R{index:07d}", owner="bench", external_ref=f"R-{index}", partner_id=None,
        channel=Channel.WALK_IN, title=f"当事人{index}家漏水", description="基准测试案件", region_code="320509102001",
        address=None, parties=[Party("applicant", f"当事人{index}", f"138{index:08d}")], party_count=1,
        amount_cny=None, risk_indicators=[], category=Category.NEIGHBOR, category_source=CategorySource.PARTNER,
        risk_level=RiskLevel.BLUE, received_at=received, request_hash="bench", status=CaseStatus.WITHDRAWN,
        closed_at=final, final_at=final, version=3)


def seed(cases_n: int, due_n: int, sms_n: int, sms_due_n: int) -> None:
    from chalicelib.adapters.case_mapping import case_to_model, event_to_model
    from chalicelib.adapters.clock import to_storage
    from chalicelib.adapters.models import CaseItemModel, CaseModel
    from chalicelib.adapters.notification_outbox import notification_to_model
    from chalicelib.domain.case import Event

    with CaseModel.batch_write() as cases, CaseItemModel.batch_write() as items:
        for index in range(cases_n):
            case = build_case(index, index < due_n)
            cases.save(case_to_model(case))
            items.save(event_to_model(case.case_id, Event(case.received_at, "note", "bench",
                                                          {"text": f"已联系当事人{index}"}), 0))
        for index in range(sms_n):
            sent = SWEEP_AT - dt.timedelta(days=200 if index < sms_due_n else 30)
            items.save(notification_to_model({
                "case_id": f"HW20291201S{index:07d}", "sk": f"NTF#{to_storage(sent)}#dispatch#{index:06x}",
                "kind": "dispatch", "to": "13900000001", "text": "您有新的调解案件", "status": "sent",
                "created_at": to_storage(sent), "sent_at": to_storage(sent)}))


def run(dry_run: bool) -> dict:
    from bench.dynamo_meter import metered
    from chalicelib import wiring

    with metered() as meter:
        started = time.perf_counter()
        result = wiring.current().retention.run(as_of=SWEEP_AT, dry_run=dry_run)
        seconds = time.perf_counter() - started
    by_target = dict(meter.items_by_target)
    retention_index = sum(v for k, v in by_target.items() if k.endswith("cases/by_retention"))
    purge_index = sum(v for k, v in by_target.items() if k.endswith("case-items/by_text_purge"))
    return {"examined": result.examined, "anonymised": result.anonymised, "deleted": result.deleted,
            "sms_texts_nulled": result.texts_purged, "items_read": meter.items_read,
            "retention_index_items_read": retention_index, "purge_index_items_read": purge_index,
            "calls": meter.total, "by_operation": dict(meter.calls), "seconds": round(seconds, 2)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--due", type=int, default=50)
    parser.add_argument("--sms", type=int, default=2000)
    parser.add_argument("--sms-due", type=int, default=50)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write bench/results.json")
    args = parser.parse_args(argv)

    with fast_moto():
        seed(args.cases, args.due, args.sms, args.sms_due)
        dry = run(dry_run=True)
        real = run(dry_run=False)
        again = run(dry_run=False)
    if real["anonymised"] != args.due or real["sms_texts_nulled"] != args.sms_due or again["examined"] != 0:
        raise SystemExit(f"the sweep did {real} for {args.due} due cases and {args.sms_due} due SMS")
    update = {"retention": {
        "final_cases": args.cases, "due_cases": args.due, "sms_records": args.sms, "sms_due": args.sms_due,
        "dry_run": dry, "run": real, "second_run": again,
        "note": "moto in-process; items read from DynamoDB's ScannedCount (index Queries) and items returned "
                "(per-case Queries of the timeline, SMS and attachments); the final cases not due and the SMS "
                "not due are on neither index's range read"}}
    return print_and_merge(update, write=not args.dry_run)


if __name__ == "__main__":
    main()
