"""Soak of the local stack: its memory after thousands of intakes and far-future supervision sweeps.

Starts `python -m devstack` on free ports in a fresh state directory, files `--cases` cases as
the demo partner (a few clients at once), waits for the routing queue to drain, then runs
`--sweeps` supervision sweeps as admin at `as_of` one day apart, starting a day after the
intakes (each later one sees every case further down its deadline ladder: reminders,
escalations, re-dispatches). A sweep that runs out of its time budget continues through the
sweeps queue; the bench waits for the queues to drain after each.

Meanwhile it samples the resident memory (RSS) of the stack's processes (the runner: moto,
the pumps and the handlers; and its child `chalice local`) every half second, and at the end
reads each one's peak (`VmHWM`). Merges {"local_soak": …} into bench/results.json; the target
is a peak under 1.5 GB for the whole stack.

    python bench/soak.py                  # 5,000 cases, ten sweeps (what `make bench` runs)
    python bench/soak.py --cases 500 --sweeps 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.intake_bodies import intake_body  # noqa: E402
from bench.results import merge_results  # noqa: E402
from devstack.client import HeweiClient  # noqa: E402
from devstack.launch import launch  # noqa: E402

TARGET_PEAK_BYTES = 1_500_000_000
CLIENTS = 3
DRAINED_QUEUES = ("routing", "notify", "callbacks", "sweeps")


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in bytes; {} once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc: each process's parent)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class MemorySampler(threading.Thread):
    """The stack's summed RSS every `interval` seconds; each process's own peak at the end."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.stop = threading.Event()
        self.peak_sum = 0
        self.peaks: dict[int, int] = {}
        self.samples: list[tuple[float, int]] = []

    def read(self) -> int:
        total = 0
        for pid in [self.pid, *_children(self.pid)]:
            status = _status(pid)
            total += status.get("VmRSS", 0)
            if status:
                self.peaks[pid] = max(self.peaks.get(pid, 0), status.get("VmHWM", 0))
        return total

    def run(self) -> None:
        started = time.monotonic()
        while not self.stop.is_set():
            total = self.read()
            self.peak_sum = max(self.peak_sum, total)
            self.samples.append((time.monotonic() - started, total))
            self.stop.wait(self.interval)


def _queue_depths(endpoint: str) -> dict[str, int]:
    import boto3

    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    depths = {}
    for role in DRAINED_QUEUES:
        url = sqs.get_queue_url(QueueName=f"hewei-local-{role}")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        depths[role] = int(attributes["ApproximateNumberOfMessages"]) + \
            int(attributes["ApproximateNumberOfMessagesNotVisible"])
    return depths


def _wait_drained(endpoint: str, timeout: float) -> float:
    """Seconds until every queue is empty (three reads in a row); `timeout` at most."""
    started = time.monotonic()
    empty = 0
    while time.monotonic() - started < timeout:
        empty = empty + 1 if not any(_queue_depths(endpoint).values()) else 0
        if empty >= 3:
            break
        time.sleep(1)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--sweeps", type=int, default=10)
    parser.add_argument("--no-merge", action="store_true", help="print only; leave bench/results.json alone")
    args = parser.parse_args()

    local_dir = Path(tempfile.mkdtemp(prefix="hewei-soak-"))
    stack = launch(local_dir, local_dir / "devstack.log")
    sampler = MemorySampler(stack.process.pid)
    sampler.start()
    try:
        credentials = stack.wait_until_ready(180)
        if credentials is None:
            raise SystemExit(f"the local stack did not start (see {local_dir / 'devstack.log'})")
        endpoint = credentials["aws_endpoint_url"]
        partner = HeweiClient(credentials["base_url"], timeout=120).as_partner(
            credentials["partner"]["key_id"], credentials["partner"]["secret"])
        admin = HeweiClient(credentials["base_url"], timeout=600).as_staff(credentials["admin_token"])
        after_start = sampler.read()
        run = int(time.time())

        def file(index: int) -> int:
            body = intake_body(random.Random(index), f"SOAK-{run}-{index}")
            status, _, answer = partner.request("POST", "/v1/cases", json=body)
            if status != 201:
                raise SystemExit(f"intake {index}: {status} {answer}")
            return status

        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(file, range(args.cases)))
        intake_seconds = time.monotonic() - started
        drained = _wait_drained(endpoint, 900)
        after_intakes = sampler.read()
        print(f"{args.cases} intakes in {intake_seconds:.0f} s (queues drained {drained:.0f} s later), "
              f"RSS {after_intakes / 1e6:.0f} MB", flush=True)

        first = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0) + dt.timedelta(days=1)
        sweeps = []
        for step in range(args.sweeps):
            as_of = first + dt.timedelta(days=step)
            began = time.monotonic()
            status, _, answer = admin.request("POST", "/v1/ops/sweeps/supervision", json={"as_of": as_of.isoformat()})
            if status != 200:
                raise SystemExit(f"sweep at {as_of.isoformat()}: {status} {answer}")
            answered = time.monotonic() - began
            drained = _wait_drained(endpoint, 1800)
            rss = sampler.read()
            sweeps.append({"as_of": as_of.isoformat(), "examined": answer["examined"], "actions": answer["actions"],
                           "answer_seconds": round(answered, 1), "drained_seconds": round(drained, 1),
                           "rss_bytes": rss})
            print(f"sweep {step + 1} at {as_of.date()}: examined {answer['examined']}, actions {answer['actions']}, "
                  f"answered in {answered:.0f} s, drained {drained:.0f} s later, RSS {rss / 1e6:.0f} MB", flush=True)
    finally:
        sampler.stop.set()
        sampler.join(5)
        sampler.read()  # the last peaks, before the processes are gone
        stack.stop()
    peak_of_each = sum(sampler.peaks.values())
    result = {
        "cases": args.cases, "sweeps": args.sweeps, "as_of_step_days": 1, "clients": CLIENTS,
        "intake_seconds": round(intake_seconds, 1),
        "rss_after_start_bytes": after_start, "rss_after_intakes_bytes": after_intakes,
        "peak_rss_bytes": sampler.peak_sum,
        "peak_rss_of_each_process_summed_bytes": peak_of_each,
        "target_peak_bytes": TARGET_PEAK_BYTES, "within_target": peak_of_each < TARGET_PEAK_BYTES,
        "sweep_runs": sweeps,
        "note": "the runner (moto, pumps, handlers) and chalice local; RSS sampled every 0.5 s and each "
                "process's VmHWM at the end",
    }
    print(json.dumps({key: value for key, value in result.items() if key != "sweep_runs"}))
    if not args.no_merge:
        merge_results({"local_soak": result})


if __name__ == "__main__":
    main()
