"""Bench of the patrol ledger import (排查台账导入, §13) at its limit of 2,000 rows, on moto in-process.

    python bench/ledger_import.py [--rows 2000] [--places 30] [--plain-moto]

Builds a ledger of N valid rows (each its own dispute and applicant's phone), spread over
`places` village × category pairs of the demo district, and sends it through the Chalice
test client as a supervisor of the district:

- reading alone: the safe reader (zip checks, openpyxl read-only) on the workbook;
- the service's own CPU: a dry and a real run on the in-memory fakes (no AWS client);
- a dry run, a real run, and the same file again (every row `existing`): wall seconds,
  the seconds spent inside moto (its request handling, timed around botocore's stub) and
  outside it (the service: reading, validation, intake's own work), DynamoDB calls by
  operation and target and per row, SQS calls.

Figures are moto's, not DynamoDB's: moto is slower per transaction than DynamoDB and its
Query walks the whole table, so the bench lifts the service's 24 s filing limit to time the
whole import. Merged into bench/results.json under `ledger_import`.
With `--plain-moto` the bench shims of bench/moto_speedups.py (DynamoDB's and SQS's) are left
out, as the tests run.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as _bench_run  # noqa: E402,F401 - sets the environment the service reads
from bench.results import RESULTS, merge_results  # noqa: E402

VILLAGES = ("320509102001", "320509102002", "320509103001")
"""The demo directory's villages (tests/support.py)."""
CATEGORY_LABELS = ("邻里", "婚姻家庭", "物业服务", "土地流转", "欠薪", "医患", "交通事故", "消费合同", "加装电梯", "其他")
TEXTS = ("网格员入户走访发现，第{n}户与相邻住户因{what}发生争执，双方多次协商未果，情绪较为激动。",
         "排查中群众反映，{what}问题已持续数月，涉及第{n}户，当事人要求村委会出面协调处理。",
         "第{n}号网格上报：当事人称因{what}与对方产生矛盾，曾发生口角，暂无肢体冲突。")
MATTERS = ("宅基地边界", "排水沟堵塞", "楼道堆物", "装修噪音", "工资拖欠", "车位占用", "树木遮挡", "漏水", "彩礼返还", "医疗费用")


def ledger_rows(count: int, places: int) -> list[dict]:
    from tests.ledger_files import ledger_row

    pairs = [(village, label) for label in CATEGORY_LABELS for village in VILLAGES][:places]
    rows = []
    for n in range(count):
        village, label = pairs[n % len(pairs)]
        what = MATTERS[n % len(MATTERS)]
        rows.append(ledger_row(f"PATROL-{n:05d}", 标题=f"{what}引发纠纷（第{n}户）",
                               纠纷简况=TEXTS[n % len(TEXTS)].format(n=n, what=what), 区划代码=village, 纠纷类别=label,
                               当事人=f"居民{n}、邻居{n}", 联系电话=f"139{n:08d}", 涉及人数=2))
    return rows


class MotoTimer:
    """Time inside moto's handling of requests (botocore's stub): the wall seconds during which
    it handled at least one (the party keys are read by several threads at once), and the
    seconds of each operation's requests added up."""

    def __init__(self):
        self.seconds = 0.0
        self.by_operation: Counter = Counter()
        self.requests: Counter = Counter()
        self._lock = threading.Lock()
        self._busy = 0
        self._busy_since = 0.0

    @staticmethod
    def _operation(request) -> str:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        service = request.url.split("//", 1)[-1].split(".", 1)[0]
        return f"{service} {target.rsplit('.', 1)[-1]}" if target else service

    @contextmanager
    def installed(self):
        from moto.core.botocore_stubber import BotocoreStubber

        original = BotocoreStubber.process_request
        timer = self

        def process_request(stub, request):
            started = time.perf_counter()
            with timer._lock:
                if not timer._busy:
                    timer._busy_since = started
                timer._busy += 1
            try:
                return original(stub, request)
            finally:
                ended = time.perf_counter()
                with timer._lock:
                    timer._busy -= 1
                    if not timer._busy:
                        timer.seconds += ended - timer._busy_since
                    operation = timer._operation(request)
                    timer.by_operation[operation] += ended - started
                    timer.requests[operation.split(" ")[0]] += 1

        BotocoreStubber.process_request = process_request
        try:
            yield self
        finally:
            BotocoreStubber.process_request = original


def service_cpu(content: bytes) -> dict:
    """CPU seconds of the service alone (no AWS client, no moto): a dry and a real run of the
    ledger on the in-memory fakes of tests/fakes.py (which deep-copy what they store, as a
    little of what serialising for DynamoDB costs)."""
    from chalicelib.wiring import Container
    from tests.fakes import (FakeCalendarStore, FakeCaseStore, FakeClock, FakeDirectory, FakeMetrics, FakePublisher,
                             FakeReplayGuard, FakeSmsSender, FakeStatsStore, FakeWebhookClient)
    from tests.unit.services.builders import MONDAY, SUPERVISOR, Centre

    directory = FakeDirectory()
    store = FakeCaseStore(directory)
    services = Centre(Container(clock=FakeClock(MONDAY), case_store=store, outbox=store, callback_log=store,
                                directory_store=directory, publisher=FakePublisher(), sms_sender=FakeSmsSender(),
                                webhook=FakeWebhookClient(), replay_guard=FakeReplayGuard(),
                                stats_store=FakeStatsStore(store, directory), calendar_store=FakeCalendarStore(),
                                metrics=FakeMetrics())).services
    figures = {}
    for name, dry_run in (("dry_run", True), ("real_run", False)):
        started = time.process_time()
        services.ledger_import.run(content, SUPERVISOR, dry_run=dry_run)
        figures[f"{name}_cpu_seconds"] = round(time.process_time() - started, 2)
    return figures


def measure(rows: int, places: int, plain_moto: bool) -> dict:
    from chalice.test import Client

    from bench.dynamo_meter import metered
    from chalicelib.adapters.xlsx_reader import XlsxReader
    from chalicelib.api.http import XLSX
    from chalicelib.domain.patrol_import import MAX_ROWS
    from tests.ledger_files import ledger
    from bench.run import queued_messages
    from tests.support import Http, Staff, admin_staff, load_demo_directory, moto_stack

    from chalicelib.services import ledger_import

    ledger_import.FILING_SECONDS = 3600.0  # moto is slower than DynamoDB: measure the whole import
    if not plain_moto:
        from bench import moto_speedups

        moto_speedups.install()
        moto_speedups.install_sqs()
    content = ledger(*ledger_rows(rows, places))
    started = time.perf_counter()
    XlsxReader().first_sheet(content, MAX_ROWS)
    read_seconds = time.perf_counter() - started

    figures: dict = {"rows": rows, "places": places, "file_bytes": len(content), "read_seconds": round(read_seconds, 3),
                     "moto_speedups": not plain_moto, "service_on_fakes": service_cpu(content)}
    print(f"service_on_fakes: {figures['service_on_fakes']}", flush=True)
    with moto_stack():
        from app import app

        with Client(app, stage_name="local") as client:
            http = Http(client)
            admin = admin_staff(http)
            load_demo_directory(admin)
            token = admin.call("POST", "/v1/tokens", {"role": "supervisor", "jurisdiction": "320509"}).json["token"]
            supervisor = Staff(http, token)

            def run(name: str, dry_run: bool) -> dict:
                timer = MotoTimer()
                with timer.installed(), metered() as meter:
                    started = time.perf_counter()
                    answer = supervisor.call("POST", "/v1/ledger/imports", raw=content,
                                             query={"dry_run": "true" if dry_run else "false"},
                                             headers={"Content-Type": XLSX})
                    seconds = time.perf_counter() - started
                assert answer.status == 200, answer
                report = answer.json
                assert report["rows"] == rows and not report["errors"], report["errors"][:3]
                calls = meter.total
                result = {
                    "seconds": round(seconds, 2), "moto_seconds": round(timer.seconds, 2),
                    "outside_moto_seconds": round(seconds - timer.seconds, 2),
                    "ms_per_row": round(seconds * 1000 / rows, 2),
                    "created": report["created"], "existing": report["existing"], "valid": report["valid"],
                    "dynamodb_calls": calls, "dynamodb_calls_per_row": round(calls / rows, 3),
                    "by_operation": dict(meter.calls), "by_target": dict(meter.calls_by_target.most_common()),
                    "sqs_requests": timer.requests.get("sqs", 0),
                    "moto_seconds_by_operation": {name: round(seconds, 2)
                                                  for name, seconds in timer.by_operation.most_common()},
                }
                print(f"{name}: {json.dumps(result, ensure_ascii=False)}", flush=True)
                return result

            figures["dry_run"] = run("dry_run", dry_run=True)
            figures["real_run"] = run("real_run", dry_run=False)
            figures["again"] = run("again", dry_run=False)
            figures["routing_messages_queued"] = queued_messages("routing")
    figures["note"] = ("moto in-process through the Chalice test client, one supervisor request each; moto_seconds "
                       "is the wall time during which moto handled a request, outside_moto_seconds the rest (the "
                       "service: reading, validation, triage, risk, the similarity check, PynamoDB and botocore); "
                       "moto_seconds_by_operation adds up each operation's requests (the party-key Queries run in "
                       "parallel threads, so theirs overlap)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--places", type=int, default=30, help="village x category pairs the rows spread over")
    parser.add_argument("--plain-moto", action="store_true", help="without the bench shims of moto_speedups")
    args = parser.parse_args()
    figures = measure(args.rows, args.places, args.plain_moto)
    merge_results({"ledger_import": figures})
    print(f"merged into {RESULTS.relative_to(ROOT)}: ledger_import")


if __name__ == "__main__":
    main()
