"""Bench: the supervisor dashboard (一屏观全域, `GET /v1/dashboard`) over a district of 100,000 cases.

    python bench/dashboard.py [--cases 100000] [--open 300] [--overdue 50] [--red 20] [--dry-run]
    HEWEI_BENCH_DASHBOARD_CASES=5000 python bench/dashboard.py     # a quick run

Seeds one district (10 towns of 10 villages, an org and a mediator per village) with N cases
received over two years, written straight to moto: each case item as `case_to_model` maps it
(the sparse index keys come from its state, as at every write) with the record it counts for,
and the aggregate rows of the district's partition as the sum of every case's `stats_rows` (what
their writes would have added up to; the ranking's rows, another table the dashboard never
reads, are left out). Of the cases, `--open` are open (dispatched or accepted), `--overdue` of those
flagged overdue and `--red` red; the rest are closed. Then asks for the dashboard through the
HTTP API (Chalice's test client) as the district's supervisor and as a town's, and measures:
the DynamoDB calls and items read (ScannedCount or Count of each Query, items of each BatchGet,
with the hooks of bench/dynamo_meter.py), the request's time, the time spent inside the
botocore calls (moto's own time: the client's API calls are wrapped and timed), and the
difference, the service's own time (moto's Query is sped up by `install_fast_queries`, which
changes no answer; its time is excluded either way); medians of 15 requests after a warm-up, and the first
(cold: the regions' list not cached yet). Merged into bench/results.json under `dashboard`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import fast_moto, print_and_merge, write_directory  # noqa: E402 - sets the bench environment first

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
DISTRICT = "320509"
TOWNS, VILLAGES_PER_TOWN = 10, 10
DAYS = 730
REQUESTS = 15
CREATED = NOW - dt.timedelta(days=DAYS + 30)


def village(index: int) -> str:
    town = index // VILLAGES_PER_TOWN % TOWNS
    return f"{DISTRICT}{101 + town:03d}{1 + index % VILLAGES_PER_TOWN:03d}"


def directory_entries() -> list:
    from chalicelib.domain.directory import Mediator, Org, Region
    from chalicelib.domain.enums import MediationType, Tier

    entries: list = [Region(code=DISTRICT, name="吴江区", created_at=CREATED)]
    for t in range(TOWNS):
        town = f"{DISTRICT}{101 + t:03d}"
        entries.append(Region(code=town, name=f"第{t + 1}街道", parent_code=DISTRICT, created_at=CREATED))
        for v in range(VILLAGES_PER_TOWN):
            code = f"{town}{1 + v:03d}"
            entries.append(Region(code=code, name=f"第{t + 1}街道第{v + 1}社区", parent_code=town, created_at=CREATED))
    villages = [e.code for e in entries if len(e.code) == 12]
    for code in villages:
        entries.append(Org(org_id=f"V-{code}", name=f"{code}人民调解委员会", region_code=code, tier=Tier.VILLAGE,
                           mediation_type=MediationType.PEOPLE, created_at=CREATED))
    for code in villages:
        entries.append(Mediator(mediator_id=f"M-{code}", name=f"调解员{code[-4:]}", phone="13900000201",
                                org_id=f"V-{code}", created_at=CREATED))
    return entries


def build_case(index: int, open_n: int, overdue_n: int, red_n: int):
    """Case `index`: the first `open_n` open (the first `overdue_n` of them dispatched and flagged
    overdue, the next `red_n` accepted and red), the others closed; received on one of DAYS days."""
    from chalicelib.domain.case import Case, Party
    from chalicelib.domain.enums import CaseStatus, Category, CategorySource, Channel, MediationType, RiskLevel, Tier

    code = village(index * 7919)  # spread over the villages
    if index < open_n:
        received = NOW - dt.timedelta(days=index % 20 + 2, hours=index % 9)
    else:
        received = NOW - dt.timedelta(days=index % DAYS, hours=index % 9)
    dispatched = received + dt.timedelta(minutes=2)
    fields = dict(tier=Tier.VILLAGE, mediation_type=MediationType.PEOPLE, org_id=f"V-{code}",
                  mediator_id=f"M-{code}", dispatched_at=dispatched, dispatched_org_ids=[f"V-{code}"],
                  accept_due_at=dispatched + dt.timedelta(hours=24),
                  resolve_due_at=dispatched + dt.timedelta(days=21))
    risk, status = RiskLevel.BLUE, CaseStatus.CLOSED
    if index < overdue_n:
        status = CaseStatus.DISPATCHED
        fields.update(overdue=True, supervision_level=1, supervision_steps=["reminder", "overdue"])
    elif index < overdue_n + red_n:
        status, risk = CaseStatus.ACCEPTED, RiskLevel.RED
        fields.update(accepted_at=dispatched + dt.timedelta(hours=1))
    elif index < open_n:
        status = CaseStatus.ACCEPTED
        fields.update(accepted_at=dispatched + dt.timedelta(hours=1), resolve_due_at=NOW + dt.timedelta(days=10))
    else:
        concluded = dispatched + dt.timedelta(days=3)
        fields.update(accepted_at=dispatched + dt.timedelta(hours=1), concluded_at=concluded, closed_at=concluded,
                      agreement={"summary": "达成协议", "performance_due": concluded.date().isoformat()})
    return Case(
        case_id=f"HW{received:%Y%m%d}D{index:07d}", owner="bench", external_ref=f"D-{index}", partner_id=None,
        channel=Channel.WALK_IN, title=f"邻里纠纷{index}", description="基准测试案件", region_code=code, address=None,
        parties=[Party("applicant", f"当事人{index}")], party_count=1, amount_cny=None, risk_indicators=[],
        category=Category.NEIGHBOR, category_source=CategorySource.PARTNER, risk_level=risk, received_at=received,
        request_hash="bench", status=status, created_by="bench", version=1, **fields)


def seed(cases_n: int, open_n: int, overdue_n: int, red_n: int) -> dict:
    """Write the directory, the cases and the statistics rows they add up to; what was written."""
    from chalicelib.adapters.case_mapping import case_to_model
    from chalicelib.adapters.models import CaseModel, DailyStatsModel
    from chalicelib.domain.stats import describe_row, is_rank_row, stats_record, stats_rows

    started = time.perf_counter()
    write_directory(directory_entries())
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with CaseModel.batch_write() as batch:
        for index in range(cases_n):
            case = build_case(index, open_n, overdue_n, red_n)
            model = case_to_model(case)
            model.stats_recorded = stats_record(case)
            batch.save(model)
            for row, counts in stats_rows(case).items():
                if is_rank_row(row):  # the ranking's table: the dashboard never reads it
                    continue
                for name, value in counts.items():
                    rows[row][name] += value
    with DailyStatsModel.batch_write() as daily:
        for row, counts in rows.items():
            daily.save(DailyStatsModel(DISTRICT, row, **describe_row(row), **{k: v for k, v in counts.items() if v}))
    return {"cases": cases_n, "daily_stats_rows_in_the_district_partition": len(rows),
            "seconds": round(time.perf_counter() - started, 1)}


class CallTimer:
    """Time spent inside the DynamoDB clients' API calls (botocore and moto), per thread."""

    def __init__(self):
        self.seconds = 0.0
        self._lock = threading.Lock()

    @contextmanager
    def wrapped(self, clients):
        originals = []
        for client in clients:
            original = client._make_api_call

            def timed(operation, params, _original=original):
                started = time.perf_counter()
                try:
                    return _original(operation, params)
                finally:
                    with self._lock:
                        self.seconds += time.perf_counter() - started

            client._make_api_call = timed
            originals.append((client, original))
        try:
            yield self
        finally:
            for client, original in originals:
                client._make_api_call = original


def measure(http, token: str, label: str) -> dict:
    from bench.dynamo_meter import _clients, metered
    from chalicelib import wiring

    def one() -> tuple[dict, float, float, object]:
        timer = CallTimer()
        with metered() as meter, timer.wrapped(list(_clients())):
            started = time.perf_counter()
            answer = http.client.http.get("/v1/dashboard", headers={"Authorization": f"Bearer {token}"})
            total = time.perf_counter() - started
        assert answer.status_code == 200, answer.body
        return meter, total, timer.seconds, answer

    wiring.current().directory_store._region_list = None  # cold: the regions' list not read yet
    cold_meter, cold_total, cold_calls, _ = one()
    runs = [one() for _ in range(REQUESTS)]
    meter, _, _, answer = runs[-1]
    import json

    board = json.loads(answer.body)
    ms = lambda seconds: round(seconds * 1000, 1)  # noqa: E731
    return {
        "region": label,
        "counts": board["counts"], "regions_listed": len(board["regions"]),
        "overdue_items": len(board["overdue"]["items"]), "red_items": len(board["red"]["items"]),
        "dynamodb_calls": meter.total, "calls_by_target": dict(meter.calls_by_target),
        "items_read": meter.items_read, "items_by_target": dict(meter.items_by_target),
        "median_total_ms": ms(statistics.median(total for _, total, _, _ in runs)),
        "median_in_dynamodb_calls_ms": ms(statistics.median(calls for _, _, calls, _ in runs)),
        "median_service_ms_excluding_moto": ms(statistics.median(total - calls for _, total, calls, _ in runs)),
        "max_service_ms_excluding_moto": ms(max(total - calls for _, total, calls, _ in runs)),
        "cold": {"dynamodb_calls": cold_meter.total, "items_read": cold_meter.items_read,
                 "total_ms": ms(cold_total), "service_ms_excluding_moto": ms(cold_total - cold_calls)},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=int(os.environ.get("HEWEI_BENCH_DASHBOARD_CASES", 100_000)))
    parser.add_argument("--open", type=int, default=300)
    parser.add_argument("--overdue", type=int, default=50)
    parser.add_argument("--red", type=int, default=20)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write bench/results.json")
    args = parser.parse_args(argv)

    from chalice.test import Client

    from bench import moto_speedups
    from tests.support import Http

    moto_speedups.install_fast_reads()
    moto_speedups.install_fast_queries()
    with fast_moto():
        from app import app
        from chalicelib import wiring

        wiring.current().clock.now = NOW
        seeded = seed(args.cases, args.open, args.overdue, args.red)
        minter = wiring.current().token_minter
        district_token, _ = minter.mint({"sub": "supervisor:320509", "role": "supervisor",
                                         "jurisdiction": DISTRICT}, 3600)
        town_token, _ = minter.mint({"sub": "supervisor:320509101", "role": "supervisor",
                                     "jurisdiction": f"{DISTRICT}101"}, 3600)
        with Client(app, stage_name="local") as client:
            http = Http(client)
            district = measure(http, district_token, DISTRICT)
            town = measure(http, town_token, f"{DISTRICT}101")
    counts = district["counts"]
    if (counts["open"], counts["overdue"], counts["red"]) != (args.open, args.overdue, args.red):
        raise SystemExit(f"the dashboard counted {counts} of {args.open} open, {args.overdue} overdue, {args.red} red")
    update = {"dashboard": {
        "cases_in_district": args.cases, "seeded": seeded, "district_supervisor": district, "town_supervisor": town,
        "items_read_per_100k_cases": round(district["items_read"] / args.cases * 100_000, 1),
        "budget_ms": 300,
        "note": "moto in-process, Chalice's test client; the service's time is the request's minus the time "
                "inside the DynamoDB clients' calls (botocore + moto); medians of 15 warm requests. Items read "
                "are DynamoDB's ScannedCount/Count for Queries and the items of BatchGets: the 14 day rows, one "
                "region-open row per region with anything open, the sparse indexes' entries up to the lists' "
                "limit (a town's: the district's entries met before its 20th) and the listed cases"}}
    return print_and_merge(update, write=not args.dry_run)


if __name__ == "__main__":
    main()
