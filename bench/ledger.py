"""Bench: the case ledger export (台账导出, §13) of 5,000 and 50,000 rows, against moto.

    python bench/ledger.py [--small 5000] [--large 50000] [--dry-run]

moto runs in a child process (the local stack's embedded AWS, `devstack/aws.py`,
with the shims of `bench/moto_speedups.py`, its fast reads included), so that
this process holds only what the service holds: its peak memory and CPU time
are the service's own, as in Lambda, and moto's (which walks the whole table
for each Query and keeps uploaded objects in memory) are not counted.

It seeds one district with `large` cases received over November 2026, `small`
of them on 1-3 November, written with BatchWriteItem through `case_to_model`,
and the statistics rows they add up to (as `bench/visits.py` does). The cases
are of every kind a ledger lists: closed after visits, resolved with visits to
come, unresolved, open, withdrawn, merged. Then, for csv and xlsx:

- `small` rows through the answer (`LedgerExports.request`, the 200 path);
- `small` and `large` rows through an export job: the request (202: the rows
  counted from the statistics, no case read) and the exports worker
  (`LedgerExports.run`: Query pages, names, the file into a temporary file,
  its upload to S3, the job marked ready);
- a town's ledger of the first three days (one town's rows, read from the
  district's index with a filter: DynamoDB reads the district's `small` items).

Each is run twice: timed (wall and this process's CPU seconds), and under
tracemalloc for its peak of Python memory (tracemalloc slows Python down).
DynamoDB calls and items read come from `bench/dynamo_meter.py`. Results are
merged into bench/results.json under `ledger_export`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import tracemalloc
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import merge_results, write_directory  # noqa: E402 - sets the bench environment first
from bench.visits import DISTRICT, SHANGHAI, TOWNS, VILLAGES, directory_entries  # noqa: E402

MONTH_START = dt.date(2026, 11, 1)
SMALL_DAYS = 3
"""The `small` cases are received on the first three days of the month, the others after."""
TITLES = ("楼上卫生间漏水导致楼下天花板受损", "邻居装修噪音扰民多次协商未果", "拖欠农民工工资三个月", "小区物业费收取标准争议",
          "土地流转合同租金纠纷", "婚后房产分割及子女抚养", "交通事故赔偿金额分歧", "网购商品质量问题退货被拒")
SURNAMES = "张王李赵刘陈杨黄周吴"


def build_case(index: int, day: dt.date, rng: random.Random):
    """A case of one of the kinds a ledger lists, received on `day`."""
    from chalicelib.domain.calendar import LIBRARY_CALENDAR
    from chalicelib.domain.case import Case, Party
    from chalicelib.domain.deadlines import ladder
    from chalicelib.domain.enums import CaseStatus, Category, CategorySource, Channel, RiskLevel, Tier
    from chalicelib.domain.visits import plan_visits

    village = VILLAGES[index % len(VILLAGES)]
    received = dt.datetime.combine(day, dt.time(8), tzinfo=SHANGHAI) + dt.timedelta(seconds=rng.randrange(36_000))
    risk = rng.choices([RiskLevel.BLUE, RiskLevel.YELLOW, RiskLevel.ORANGE, RiskLevel.RED], [70, 20, 8, 2])[0]
    tier = Tier.TOWN if risk in (RiskLevel.ORANGE, RiskLevel.RED) else Tier.VILLAGE
    org_region = village[:9] if tier is Tier.TOWN else village
    parties = [Party("applicant", rng.choice(SURNAMES) + "某某", f"138{rng.randrange(10**8):08d}"),
               Party("respondent", rng.choice(SURNAMES) + "某", f"139{rng.randrange(10**8):08d}")]
    case = Case(
        case_id=f"HW{day:%Y%m%d}L{index:07d}", owner="bench", external_ref=f"12345-{day:%Y%m%d}-{index:06d}",
        partner_id=None, channel=rng.choice(list(Channel)), title=rng.choice(TITLES), description="基准测试案件",
        region_code=village, address=None, parties=parties, party_count=2,
        amount_cny=float(rng.randrange(0, 200_000, 100)) if rng.random() < 0.6 else None, risk_indicators=[],
        category=rng.choice(list(Category)), category_source=CategorySource.PARTNER, risk_level=risk,
        received_at=received, request_hash="bench", status=CaseStatus.DISPATCHED, tier=tier, org_id=f"O-{org_region}",
        mediator_id=f"M-{org_region}-{1 + index % 2}", dispatched_at=received,
        accept_due_at=received + dt.timedelta(hours=24), resolve_due_at=received + dt.timedelta(days=21),
        supervision_level=rng.choices([0, 1, 2, 3], [85, 8, 5, 2])[0], version=3)
    kind = rng.choices(["closed", "resolved", "unresolved", "open", "withdrawn", "merged"], [40, 20, 10, 20, 5, 5])[0]
    concluded = received + dt.timedelta(hours=rng.randrange(2, 400))
    if kind in ("closed", "resolved"):
        due = concluded.date() + dt.timedelta(days=30)
        case.agreement = {"summary": "双方达成调解协议，被申请人于期限内一次性赔偿申请人损失", "performance_due": due.isoformat()}
        case.return_visits = plan_visits(case.category, due)
        case.concluded_at, case.accepted_at, case.status = concluded, received, CaseStatus.RESOLVED
        if kind == "closed":
            for visit in case.return_visits:
                visit.update(done_at=f"{visit['due_on']}T10:00:00+08:00", agreement_performed="yes", satisfaction={
                    "attitude": "satisfied", "process": "basically_satisfied", "effect": "satisfied"})
            case.status, case.closed_at = CaseStatus.CLOSED, concluded + dt.timedelta(days=40)
    elif kind == "unresolved":
        case.referral = {"channel": "litigation", "reason": "一方拒绝调解，引导诉讼"}
        case.concluded_at, case.accepted_at, case.status = concluded, received, CaseStatus.UNRESOLVED
    elif kind == "open":  # its deadline's ladder stored, as every dispatch stores it
        case.ladder = ladder(case.accept_due_at, received, LIBRARY_CALENDAR)
    elif kind == "withdrawn":
        case.status, case.closed_at = CaseStatus.WITHDRAWN, concluded
    elif kind == "merged":
        case.status, case.merged_into = CaseStatus.MERGED, f"HW{day:%Y%m%d}L{max(index - 1, 0):07d}"
    return case


def seed(small: int, large: int, seed_value: int = 13) -> dict:
    """`large` cases over November, `small` of them on its first three days; their statistics rows."""
    from chalicelib.adapters.case_mapping import case_to_model
    from chalicelib.adapters.models import CaseModel, DailyStatsModel
    from chalicelib.domain.stats import describe_row, record_rows, stats_record

    rng = random.Random(seed_value)
    write_directory(directory_entries())
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    started = time.perf_counter()
    with CaseModel.batch_write() as batch:
        for index in range(large):
            offset = index % SMALL_DAYS if index < small else SMALL_DAYS + index % (30 - SMALL_DAYS)
            case = build_case(index, MONTH_START + dt.timedelta(days=offset), rng)
            case.stats_recorded = stats_record(case)
            for row, counts in record_rows(case, case.stats_recorded).items():
                if "kind" not in describe_row(row):  # the ledger counts from the region rows only
                    for name, value in counts.items():
                        rows[row][name] += value
            batch.save(case_to_model(case))
    with DailyStatsModel.batch_write() as daily:
        for row, counts in rows.items():
            daily.save(DailyStatsModel(DISTRICT, row, **describe_row(row), **counts))
    return {"cases": large, "seconds": round(time.perf_counter() - started, 1)}


def query(region: str, days: int, fmt: str):
    from chalicelib.services.commands import LedgerQuery

    last = MONTH_START + dt.timedelta(days=days - 1)
    return LedgerQuery.model_validate({"region": region, "from": MONTH_START.isoformat(), "to": last.isoformat(),
                                       "format": fmt})


def measure(action, trace: bool = False) -> dict:
    """Calls, items read, wall and CPU seconds of one run of `action`; with `trace`, its peak memory."""
    from bench.dynamo_meter import metered

    with metered() as meter:
        if trace:
            tracemalloc.start()
        started, cpu = time.perf_counter(), time.process_time()
        result = action()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        peak = tracemalloc.get_traced_memory()[1] if trace else None
        if trace:
            tracemalloc.stop()
    figures = {"result": result, "seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2),
               "dynamodb_calls": meter.total, "calls_by_target": dict(meter.calls_by_target),
               "items_read": meter.items_read, "query_pages": meter.pages}
    if trace:
        figures["peak_mib"] = round(peak / 2**20, 1)
    return figures


def timed_and_traced(action) -> dict:
    figures = measure(action)
    figures["peak_mib"] = measure(action, trace=True)["peak_mib"]
    return figures


def run_formats(small: int, large: int) -> dict:
    from chalicelib import wiring
    from chalicelib.domain import ledger as ledger_domain
    from chalicelib.domain.access import Principal
    from chalicelib.domain.enums import Role
    from chalicelib.services.ledger import LedgerFile

    admin = Principal(Role.ADMIN, "bench-admin")
    exports = wiring.current().ledger
    results: dict = {}
    for fmt in ("csv", "xlsx"):
        answer = timed_and_traced(lambda: exports.request(query(DISTRICT, SMALL_DAYS, fmt), admin))
        file = answer.pop("result")
        assert isinstance(file, LedgerFile) and file.rows == small, file
        content = file.content.encode() if isinstance(file.content, str) else file.content
        answer.update(rows=file.rows, body_bytes=len(content))
        results[f"answer_{small}_{fmt}"] = answer
        print(f"answer {small} {fmt}: {answer}", file=sys.stderr)
        for label, region, days in ((str(small), DISTRICT, SMALL_DAYS), (str(large), DISTRICT, 30),
                                    (f"town_{TOWNS[0]}", TOWNS[0], SMALL_DAYS)):
            original, ledger_domain.SYNC_ROWS = ledger_domain.SYNC_ROWS, 0  # every size through a job
            try:
                asked = measure(lambda: exports.request(query(region, days, fmt), admin))
                traced = measure(lambda: exports.request(query(region, days, fmt), admin))["result"]
            finally:
                ledger_domain.SYNC_ROWS = original
            job = asked.pop("result")
            worker = measure(lambda: exports.run(job.export_id, attempt=1))
            worker.pop("result")
            worker["peak_mib"] = measure(lambda: exports.run(traced.export_id, attempt=1), trace=True)["peak_mib"]
            state = exports.state(job.export_id, admin)
            assert state.status.value == "ready" and state.job.rows == job.rows, state
            head = exports._files.client.head_object(Bucket=exports._files.bucket, Key=job.object_key)
            results[f"job_{label}_{fmt}"] = {
                "rows": state.job.rows, "file_bytes": head["ContentLength"],
                "request": {k: asked[k] for k in ("seconds", "dynamodb_calls", "calls_by_target", "items_read")},
                "worker": worker}
            print(f"job {label} {fmt}: {results[f'job_{label}_{fmt}']}", file=sys.stderr)
    return results


def table(results: dict) -> str:
    lines = [f"{'export':<26}{'rows':>7}{'bytes':>11}{'wall s':>8}{'cpu s':>7}{'peak MiB':>9}{'calls':>7}"
             f"{'items read':>11}"]
    for name, entry in results.items():
        run = entry if name.startswith("answer_") else entry["worker"]
        calls = run["dynamodb_calls"] + (0 if name.startswith("answer_") else entry["request"]["dynamodb_calls"])
        size = entry.get("body_bytes", entry.get("file_bytes"))
        lines.append(f"{name:<26}{entry['rows']:>7}{size:>11}{run['seconds']:>8}{run['cpu_seconds']:>7}"
                     f"{run['peak_mib']:>9}{calls:>7}{run['items_read']:>11}")
    return "\n".join(lines)


def serve_moto(port: int) -> None:
    """The child process: moto with the bench shims, until terminated."""
    import logging

    from bench import moto_speedups
    from devstack.aws import LocalAws

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    moto_speedups.install()
    moto_speedups.install_fast_reads()
    LocalAws(ip_address="127.0.0.1", port=port, verbose=False).start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


@contextmanager
def moto_process():
    """moto in a child process, the service's tables, queues and bucket in it, this process pointed at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen([sys.executable, __file__, "--serve-moto", str(port)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if child.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("moto did not start")
            time.sleep(0.1)
        os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
        from chalicelib.adapters.bootstrap import create_all

        create_all()
        yield
    finally:
        child.terminate()
        child.wait(timeout=30)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--large", type=int, default=50_000)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write bench/results.json")
    parser.add_argument("--serve-moto", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_moto:
        serve_moto(args.serve_moto)
        return {}

    with moto_process():
        seeded = seed(args.small, args.large)
        print(f"seeded {seeded}", file=sys.stderr)
        results = run_formats(args.small, args.large)
    print(table(results))
    update = {"ledger_export": {
        "note": ("moto in a child process (with bench/moto_speedups.py): wall seconds are moto's pace, cpu "
                 "seconds and peak (tracemalloc) are this process's own, the service's work as in Lambda; for "
                 "jobs the worker's (Query pages, names, rendering, writing, upload to S3); calls include the "
                 "request's (202: the statistics Query, the job put); items = what DynamoDB read "
                 "(ScannedCount, BatchGetItem)"),
        "seed": seeded, **results}}
    print(json.dumps(update, ensure_ascii=False, indent=1), file=sys.stderr)
    if not args.dry_run:
        merge_results(update)
    return update


if __name__ == "__main__":
    main()
