"""Bench: the return-visit sweep, `GET /v1/stats` and the monthly analysis at 100,000 cases, on moto, in-process.

    python bench/visits.py [--cases 100000] [--due-share 0.01]

Builds N resolved cases with planned return visits in one district (about
`due-share` of them owe a visit notice on the sweep's date), inserted with
BatchWriteItem through `case_to_model`, and the statistics rows those cases
add up to (the same `record_rows` the case store adds in each case's
transaction). Then:

- runs the return-visit sweep once and counts the items DynamoDB read for it
  from the responses (`ScannedCount` of the index queries, items of the
  directory GetItems) with the botocore `after-call` hooks of
  `bench/dynamo_meter.py`;
- times `GET /v1/stats` and `GET /v1/stats/ranking` for the whole district
  over the whole period through the Chalice test client, and counts what each
  request read the same way;
- times `GET /v1/reports/analysis` (研判报告) of the district for November, as
  JSON and as a workbook, and counts what it read: month rows of the district,
  its towns and villages, day rows, org rows, the open-red index; no case.

Everything runs in this process against moto (with the bench shims of
`bench/moto_speedups.py`), so times are moto's, not DynamoDB's: moto answers
a Query by walking and sorting every item of the table, so its time grows
with the table while DynamoDB's grows with the items read. The time spent
outside moto is reported too. Results are merged into `bench/results.json`
under `visits`, `stats_api` and `analysis_api` (read-modify-write: other scripts own other keys).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import merge_results, write_directory  # noqa: E402 - sets the bench environment first

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SWEEP_AT = dt.datetime(2027, 1, 15, 9, 0, tzinfo=SHANGHAI)
"""The sweep's clock: the scheduled run at 09:00 Asia/Shanghai."""
FIRST_DAY, DAYS = dt.date(2026, 10, 1), 61
"""Cases are received over October and November 2026."""
DISTRICT = "320509"
TOWNS = [f"{DISTRICT}{t:03d}" for t in range(101, 106)]
VILLAGES = [f"{town}{v:03d}" for town in TOWNS for v in range(1, 11)]
STATS_REQUESTS = {"/v1/stats": 10, "/v1/stats/ranking": 5, "/v1/reports/analysis": 3}
ANALYSIS_MONTH = "2026-11"


@contextmanager
def time_in_moto():
    """Seconds spent inside moto (its in-process request entry point) meanwhile."""
    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.process_request
    spent = [0.0]

    def timed(self, request):
        started = time.perf_counter()
        try:
            return original(self, request)
        finally:
            spent[0] += time.perf_counter() - started

    BotocoreStubber.process_request = timed
    try:
        yield spent
    finally:
        BotocoreStubber.process_request = original


def directory_entries() -> list:
    """The district, its towns and villages, an org of each town and village and two mediators of each org."""
    from chalicelib.domain.directory import Mediator, Org, Region
    from chalicelib.domain.enums import MediationType, Tier

    created = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
    regions = [Region(code=DISTRICT, name="吴江区", created_at=created)]
    regions += [Region(code=code, name=f"镇{code[-3:]}", parent_code=DISTRICT, created_at=created) for code in TOWNS]
    regions += [Region(code=code, name=f"村{code[-6:]}", parent_code=code[:9], created_at=created)
                for code in VILLAGES]
    orgs, mediators = [], []
    for code in TOWNS + VILLAGES:
        org_id = f"O-{code}"
        orgs.append(Org(org_id=org_id, name=f"{code}人民调解委员会", region_code=code,
                        tier=Tier.TOWN if len(code) == 9 else Tier.VILLAGE, mediation_type=MediationType.PEOPLE,
                        head_phone=f"139{int(code[-5:]):08d}", created_at=created))
        mediators += [Mediator(mediator_id=f"M-{code}-{n}", name=f"调解员{n}", phone=f"138{int(code[-5:]):07d}{n}",
                               org_id=org_id, created_at=created) for n in (1, 2)]
    return regions + orgs + mediators


def build_case(index: int, due: bool, rng: random.Random):
    """One resolved case with planned visits; `due`: its first visit owes `visit_due` on the sweep's date."""
    from chalicelib.domain.case import Case, Party
    from chalicelib.domain.enums import CaseStatus, Category, CategorySource, Channel, RiskLevel, Tier
    from chalicelib.domain.visits import VISIT_OFFSETS_DAYS, DEFAULT_VISIT_OFFSETS_DAYS, plan_visits

    village = VILLAGES[index % len(VILLAGES)]
    risk = rng.choices([RiskLevel.BLUE, RiskLevel.YELLOW, RiskLevel.ORANGE, RiskLevel.RED], [70, 20, 8, 2])[0]
    tier = Tier.TOWN if risk in (RiskLevel.ORANGE, RiskLevel.RED) else Tier.VILLAGE
    org_region = village[:9] if tier is Tier.TOWN else village
    category = rng.choice(list(Category))
    day = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
    received = dt.datetime.combine(day, dt.time(8), tzinfo=SHANGHAI) + dt.timedelta(minutes=rng.randrange(600))
    first_offset = VISIT_OFFSETS_DAYS.get(category, DEFAULT_VISIT_OFFSETS_DAYS)[0]
    if due:  # the first visit falls due within three days of the sweep: `visit_due` is owed
        performance_due = SWEEP_AT.date() + dt.timedelta(days=rng.randrange(4) - first_offset)
    else:  # every visit is more than three days ahead
        performance_due = SWEEP_AT.date() + dt.timedelta(days=rng.randrange(1, 60))
    concluded = received + dt.timedelta(hours=rng.randrange(2, 400))
    return Case(
        case_id=f"HW{day:%Y%m%d}B{index:07d}", owner="bench", external_ref=f"B-{index}", partner_id=None,
        channel=rng.choice(list(Channel)), title="纠纷", description="基准测试案件", region_code=village, address=None,
        parties=[Party("applicant", "当事人")], party_count=1, amount_cny=None, risk_indicators=[],
        category=category, category_source=CategorySource.PARTNER, risk_level=risk, received_at=received,
        request_hash="bench", status=CaseStatus.RESOLVED, tier=tier, org_id=f"O-{org_region}",
        mediator_id=f"M-{org_region}-{1 + index // len(VILLAGES) % 2}", dispatched_at=received, accepted_at=received,
        resolve_due_at=received + dt.timedelta(days=15),
        agreement={"summary": "达成协议", "performance_due": performance_due.isoformat()},
        return_visits=plan_visits(category, performance_due), concluded_at=concluded, version=3,
    )


def seed(cases_n: int, due_share: float, seed_value: int = 5) -> dict:
    from chalicelib.adapters.case_mapping import case_to_model
    from chalicelib.adapters.models import CaseModel, DailyStatsModel, RankStatsModel
    from chalicelib.domain.stats import describe_row, is_rank_row, record_rows, stats_record

    rng = random.Random(seed_value)
    write_directory(directory_entries())
    due_indexes = set(rng.sample(range(cases_n), round(cases_n * due_share)))
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    planned_visits = 0
    started = time.perf_counter()
    with CaseModel.batch_write() as batch:
        for index in range(cases_n):
            case = build_case(index, index in due_indexes, rng)
            case.stats_recorded = stats_record(case)  # what the store would have added, case by case
            for row, counts in record_rows(case, case.stats_recorded).items():
                for name, value in counts.items():
                    rows[row][name] += value
            planned_visits += len(case.return_visits)
            batch.save(case_to_model(case))
    with DailyStatsModel.batch_write() as daily, RankStatsModel.batch_write() as ranks:
        for row, counts in rows.items():
            described = describe_row(row)
            model, batch = (RankStatsModel, ranks) if is_rank_row(row) else (DailyStatsModel, daily)
            batch.save(model(DISTRICT, row, **described, **counts))
    kinds = defaultdict(int)
    for row in rows:
        kinds[describe_row(row).get("kind", "region")] += 1
    return {"cases": cases_n, "due": len(due_indexes), "planned_visits": planned_visits, "rows": dict(kinds),
            "seconds": round(time.perf_counter() - started, 1)}


def run_sweep() -> dict:
    from bench.dynamo_meter import metered
    from chalicelib import wiring

    sweeper = wiring.current().return_visits
    with metered() as meter, time_in_moto() as in_moto:
        started = time.perf_counter()
        result = sweeper.run(as_of=SWEEP_AT)
        elapsed = time.perf_counter() - started
    directory = meter.calls.get("GetItem", 0)  # org and mediator look-ups (each found: one item)
    return {"examined": result.examined, "actions": result.actions, "items_read": meter.items_read,
            "index_items_read": meter.items_read - directory, "directory_items_read": directory,
            "query_pages": meter.pages, "by_operation": dict(meter.calls), "seconds": round(elapsed, 2),
            "seconds_in_moto": round(in_moto[0], 2)}


def time_stats(path: str, query: str | None = None, accept: str = "application/json") -> dict:
    from chalice.test import Client

    from app import app
    from bench.dynamo_meter import metered
    from chalicelib import wiring

    token, _ = wiring.current().token_minter.mint({"sub": "bench-admin", "role": "admin"}, 3600)
    last = FIRST_DAY + dt.timedelta(days=DAYS - 1)
    url = f"{path}?{query or f'region={DISTRICT}&from={FIRST_DAY}&to={last}'}"
    timings, outside, reads, calls, body = [], [], [], {}, None
    with Client(app, stage_name="local") as client:
        for _ in range(STATS_REQUESTS[path]):
            with metered() as meter, time_in_moto() as in_moto:
                started = time.perf_counter()
                response = client.http.get(url, headers={"Authorization": f"Bearer {token}", "Accept": accept})
                elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.body
            timings.append(elapsed * 1000)
            outside.append((elapsed - in_moto[0]) * 1000)
            reads.append(meter.items_read)
            calls = dict(meter.calls)
            body = json.loads(response.body) if accept == "application/json" else {"bytes": len(response.body)}
    return {"path": path, "requests": STATS_REQUESTS[path], "median_ms": round(statistics.median(timings), 1),
            "max_ms": round(max(timings), 1), "median_ms_outside_moto": round(statistics.median(outside), 1),
            "items_read_per_request": max(reads), "calls_per_request": calls, "body": body}


KEPT = ("median_ms", "max_ms", "median_ms_outside_moto", "items_read_per_request", "calls_per_request", "requests")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write bench/results.json")
    args = parser.parse_args(argv)

    from bench import moto_speedups
    from tests.support import moto_stack

    moto_speedups.install()
    with moto_stack():
        seeded = seed(args.cases, args.due_share)
        print(f"seeded {seeded}", file=sys.stderr)
        sweep = run_sweep()
        print(f"sweep {sweep}", file=sys.stderr)
        figures = time_stats("/v1/stats")
        ranking = time_stats("/v1/stats/ranking")
        month = f"region={DISTRICT}&month={ANALYSIS_MONTH}"
        analysis = time_stats("/v1/reports/analysis", month)
        workbook = time_stats("/v1/reports/analysis", month + "&format=xlsx", accept="*/*")
    if figures["body"]["total"] != args.cases:
        raise SystemExit(f"stats total {figures['body']['total']} != {args.cases} cases")
    if sweep["actions"] != seeded["due"] or sweep["examined"] != seeded["due"]:
        raise SystemExit(f"the sweep sent {sweep['actions']} notices for {seeded['due']} due cases")
    visits = {
        "planned": seeded["cases"], "due": seeded["due"], "items_read": sweep["items_read"],
        "index_items_read": sweep["index_items_read"], "directory_items_read": sweep["directory_items_read"],
        "planned_visits": seeded["planned_visits"], "examined": sweep["examined"], "notices": sweep["actions"],
        "query_pages": sweep["query_pages"], "by_operation": sweep["by_operation"],
        "seconds": sweep["seconds"], "seconds_in_moto": sweep["seconds_in_moto"], "load_seconds": seeded["seconds"],
        "note": "moto in-process; items_read = ScannedCount of the visit-index queries + directory GetItems "
                "(orgs and mediators, each read once per sweep)",
    }
    stats_api = {
        "note": "moto in-process through chalice.test.Client; one district, whole range; moto walks the whole "
                "table per Query, DynamoDB reads only items_read_per_request",
        "district_cases": args.cases, "range_days": DAYS, "aggregate_rows": seeded["rows"],
        "stats": {k: figures[k] for k in KEPT}, "ranking": {k: ranking[k] for k in KEPT},
    }
    analysis_api = {
        "note": "moto in-process through chalice.test.Client; GET /v1/reports/analysis of the district for one "
                "month; items read are aggregate rows (month rows of the district, towns and villages for three "
                "months, day rows, org rows) and open-red index entries, never cases",
        "district_cases": args.cases, "month": ANALYSIS_MONTH, "month_total": analysis["body"]["total"],
        "json": {k: analysis[k] for k in KEPT}, "xlsx": {**{k: workbook[k] for k in KEPT},
                                                        "bytes": workbook["body"]["bytes"]},
    }
    update = {"visits": visits, "stats_api": stats_api, "analysis_api": analysis_api}
    print(json.dumps(update, ensure_ascii=False, indent=1))
    if not args.dry_run:
        merge_results(update)
    return update


if __name__ == "__main__":
    main()
