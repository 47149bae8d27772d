"""Bench: the service's own CPU time per intake (受理), on the in-memory fakes (no moto, no HTTP).

    python bench/intake_cpu.py [--intakes 2000] [--batch 100] [--dry-run]

Builds the service layer on the fakes of tests/fakes.py (as the services' unit tests do), loads
the local stack's demo directory and a partner, and files `--intakes` varied bodies
(bench/intake_bodies.py) as that partner, one after another, the clock moving 15 s between them,
in batches of `--batch` on a fresh container each (the fakes' indexes are lists scanned whole:
a store of thousands of cases would time the fakes, not the service). Each intake is timed with
`time.process_time()`, twice over the same bodies on fresh containers:
- "validate_and_file": the JSON body parsed into the `NewCase` command (pydantic, as the handler
  does) then `IntakeService.file_case`;
- "file_case": `file_case` alone, the commands parsed beforehand.
Reports mean, p50, p95 in ms against the 5 ms target, and cProfile's top 10 functions by
cumulative time over one batch of validate-and-file (their share of the batch's time), so the
next step of optimisation is visible. Merged into bench/results.json under "intake_cpu".
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import print_and_merge  # noqa: E402 - sets the bench environment first
from bench.load import percentile  # noqa: E402

TARGET_MS = 5.0
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
"""A working Monday morning (no quiet hours for the SMS, inside the calendar's data)."""
STEP = dt.timedelta(seconds=15)
PROFILED_FUNCTIONS = 10


def centre():
    """A fresh service container on the fakes, with the demo directory and a partner; returns
    (the container, its clock, the partner's principal)."""
    from chalicelib.domain.access import Principal
    from chalicelib.domain.enums import Role
    from chalicelib.services.commands import NewMediator, NewOrg, NewPartner, NewRegion
    from devstack import demo_directory
    from tests.fakes import FakeClock
    from tests.unit.services.conftest import fake_container

    clock = FakeClock(START)
    container = fake_container(clock)
    directory = container.directory

    def parse(command, body):  # as the API does: from the JSON text
        return command.model_validate_json(json.dumps(body))

    for region in demo_directory.REGIONS:
        directory.add_region(parse(NewRegion, region))
    for org in demo_directory.ORGS:
        directory.add_org(parse(NewOrg, org))
    for mediator in demo_directory.MEDIATORS:
        directory.add_mediator(parse(NewMediator, mediator))
    partner, _ = directory.add_partner(parse(NewPartner, demo_directory.partner_payload("https://partner.example/hooks/hewei")))
    return container, clock, Principal(Role.PARTNER, partner.partner_id, partner_id=partner.partner_id)


def bodies(count: int, seed: int = 18) -> list[bytes]:
    """`count` request bodies as sent (UTF-8 JSON), each with its own external_ref."""
    from bench.intake_bodies import intake_body

    rng = random.Random(seed)
    return [json.dumps(intake_body(rng, f"12345-CPU-{index:06d}"), ensure_ascii=False).encode()
            for index in range(count)]


def batches(items: list, size: int) -> list[list]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def time_batch(raw_bodies: list[bytes], parse_too: bool, profiler: cProfile.Profile | None = None) -> list[float]:
    """CPU seconds of each intake of one batch, on a fresh container (the intakes alone profiled,
    if a profiler is given: not the container's set-up)."""
    from chalicelib.services.commands import NewCase

    container, clock, partner = centre()
    intake = container.intake
    commands = None if parse_too else [NewCase.model_validate_json(raw) for raw in raw_bodies]
    spent = []
    if profiler:
        profiler.enable()
    for index, raw in enumerate(raw_bodies):
        clock.advance(STEP)
        if parse_too:
            started = time.process_time()
            result = intake.file_case(NewCase.model_validate_json(raw), partner)
        else:
            command = commands[index]
            started = time.process_time()
            result = intake.file_case(command, partner)
        spent.append(time.process_time() - started)
        assert result.created, result
    if profiler:
        profiler.disable()
    return spent


def summary(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"intakes": len(ms), "mean_ms": round(statistics.fmean(ms), 3), "p50_ms": round(percentile(ms, 50), 3),
            "p95_ms": round(percentile(ms, 95), 3), "max_ms": round(max(ms), 3),
            "target_ms": TARGET_MS, "meets_target": percentile(ms, 95) < TARGET_MS}


def top_functions(stats: pstats.Stats, total_seconds: float, count: int = PROFILED_FUNCTIONS,
                  skip: tuple[str, ...] = (), under: str = "") -> list[dict]:
    """The `count` functions of the largest cumulative time, each with its share of `total_seconds`;
    functions whose name is in `skip` (the bench's own loop) and the profiler's own are left out,
    and so are those whose label does not start with `under` (a folder of the repository)."""
    rows = []
    for (filename, line, name), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        label = function_label(filename, line, name)
        if name in skip or "_lsprof" in filename or not label.startswith(under):
            continue
        rows.append((cumulative, label))
    rows.sort(key=lambda row: -row[0])
    return [{"function": label, "cumulative_ms": round(cumulative * 1000, 2),
             "share": round(cumulative / total_seconds, 3) if total_seconds else None}
            for cumulative, label in rows[:count]]


def function_label(filename: str, line: int, name: str) -> str:
    """`chalicelib/services/intake.py:143(file_case)`: the path under the repository or under
    site-packages, or a built-in's name as is."""
    if filename == "~":
        return name
    path = Path(filename)
    for anchor in (ROOT, *(p for p in path.parents if p.name == "site-packages")):
        try:
            return f"{path.relative_to(anchor)}:{line}({name})"
        except ValueError:
            continue
    return f"{path.name}:{line}({name})"


def profile_batch(raw_bodies: list[bytes]) -> dict:
    profiler = cProfile.Profile(time.process_time)
    spent = time_batch(raw_bodies, parse_too=True, profiler=profiler)
    stats = pstats.Stats(profiler)
    total = sum(spent)
    return {"intakes": len(raw_bodies), "batch_ms_under_profiler": round(total * 1000, 1),
            "note": "cProfile over one batch of validate-and-file (its set-up left out); cumulative_ms is under the "
                    "profiler, whose overhead inflates many small calls; share = of the batch's time (validate + file_case)",
            "top_by_cumulative": top_functions(stats, total, skip=("time_batch",)),
            "top_in_the_service_code": top_functions(stats, total, skip=("file_case",), under="chalicelib/")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--intakes", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write bench/results.json")
    args = parser.parse_args()

    raw = bodies(args.intakes)
    time_batch(raw[:args.batch], parse_too=True)  # warm-up: imports, pydantic's and the regexes' first use
    results = {}
    for name, parse_too in (("validate_and_file", True), ("file_case", False)):
        seconds = [s for batch in batches(raw, args.batch) for s in time_batch(batch, parse_too)]
        results[name] = summary(seconds)
    results["validate_ms_mean"] = round(results["validate_and_file"]["mean_ms"] - results["file_case"]["mean_ms"], 3)
    results["profile"] = profile_batch(raw[:args.batch])
    update = {"intake_cpu": {
        "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "batch": args.batch, **results,
        "note": "time.process_time() per intake, the service layer on the in-memory fakes (tests/fakes.py): "
                "the fakes' own work (deep copies, list scans) is included and is not DynamoDB's; "
                f"bodies from bench/intake_bodies.py, batches of {args.batch} on a fresh container, "
                "after one warm-up batch"}}
    print_and_merge(update, write=not args.dry_run)


if __name__ == "__main__":
    main()
