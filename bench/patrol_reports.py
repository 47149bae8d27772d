"""Bench of §13's patrol reports: what the report sweep and the roll call read, on moto in-process.

    python bench/patrol_reports.py [--owing 10,100,1000] [--submitted-share 0.5] [--others 1000]

For each N of `--owing`, a fresh stack with N village orgs (who owe the weekly report
2026-W48, due Monday 30 November 2026 17:00) and `--others` town and district orgs (who
owe other periods), of which `--submitted-share` of the N have their report in. Then, with
DynamoDB calls and items read counted from DynamoDB's responses (`bench/dynamo_meter.py`):

- the first sweep of a process (cold: it reads the cadences' schedules once and creates
  them), and an idle sweep of a warm process before anything is due;
- the sweep just past the due time: the due index, the orgs owing, their reports, the
  `report_missing` records written, the schedule moved on;
- the next sweep (idle again);
- `GET /v1/reports` for the district and the period (the roll call, as its use case runs it).

Results are merged into `bench/results.json` under `patrol_reports`.
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

from bench.run import merge_results, write_directory  # noqa: E402 - sets the bench environment first

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
"""The tests' clock start: the service runs from here; the orgs were created before."""
PAST_DUE = dt.datetime(2026, 11, 30, 17, 5, tzinfo=SHANGHAI)
"""The first five-minute sweep past 2026-W48's due time (Monday 30 November 17:00)."""
DISTRICT = "320509"


def directory(owing: int, others: int) -> list:
    """The district, 30 towns and their villages; `owing` village orgs and `others` town and district orgs."""
    from chalicelib.domain.directory import Org, Region
    from chalicelib.domain.enums import MediationType, Tier

    created = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    towns = [f"{DISTRICT}{t:03d}" for t in range(101, 131)]
    villages = [f"{town}{v:03d}" for town in towns for v in range(1, 35)]
    entries: list = [Region(code=DISTRICT, name="吴江区", created_at=created)]
    entries += [Region(code=code, name=code, parent_code=code[:-3], created_at=created) for code in towns + villages]
    entries += [Org(org_id=f"V{index:05d}", name=f"村调委会{index}", region_code=villages[index % len(villages)],
                    tier=Tier.VILLAGE, mediation_type=MediationType.PEOPLE, head_phone="13900000101",
                    created_at=created) for index in range(owing)]
    entries += [Org(org_id=f"T{index:05d}", name=f"调委会{index}",
                    region_code=DISTRICT if index % 10 == 9 else towns[index % len(towns)],
                    tier=Tier.DISTRICT if index % 10 == 9 else Tier.TOWN, mediation_type=MediationType.PEOPLE,
                    head_phone="13900000102", created_at=created) for index in range(others)]
    return entries


def metered_run(label: str, into: dict, run) -> object:
    from bench.dynamo_meter import metered

    started = time.perf_counter()
    with metered() as meter:
        result = run()
    into[label] = {"calls": meter.total, "items_read": meter.items_read,
                   "calls_by_target": dict(meter.calls_by_target), "items_by_target": dict(meter.items_by_target),
                   "seconds": round(time.perf_counter() - started, 3)}
    return result


def one_stack(owing: int, others: int, submitted_share: float) -> dict:
    from chalicelib import wiring
    from chalicelib.adapters.models import CaseItemModel
    from chalicelib.domain.access import Principal
    from chalicelib.domain.enums import Role
    from chalicelib.domain.patrol_reports import parse_period, submit_report
    from chalicelib.services.commands import ReportRollQuery
    from tests.support import moto_stack

    figures: dict = {"orgs_owing": owing, "other_orgs": others}
    with moto_stack():
        container = wiring.current()
        container.clock.now = MONDAY
        write_directory(directory(owing, others))
        week = parse_period("2026-W48")
        submitted = int(owing * submitted_share)
        zero = {"received": 0, "open_red": 0, "overdue_open": 0}
        for index in range(submitted):
            container.patrol_store.save_report(submit_report(
                org_id=f"V{index:05d}", period=week, zero=True, findings=(), note=None, facts=zero,
                at=MONDAY, by="bench"))
        figures["reports_in"] = submitted
        sweep = container.report_sweep
        metered_run("first_sweep_of_a_process", figures, lambda: sweep.run(as_of=MONDAY))
        metered_run("idle_sweep", figures, lambda: sweep.run(as_of=MONDAY + dt.timedelta(hours=1)))
        result = metered_run("sweep_past_due", figures, lambda: sweep.run(as_of=PAST_DUE))
        figures["sweep_past_due"]["report_missing_written"] = result.actions
        figures["sweep_past_due"]["periods_examined"] = result.examined
        metered_run("next_sweep", figures, lambda: sweep.run(as_of=PAST_DUE + dt.timedelta(minutes=5)))
        container.clock.now = PAST_DUE
        query = ReportRollQuery.model_validate({"region": DISTRICT, "period": "2026-W48"})
        _, lists = metered_run("roll_call", figures,
                               lambda: container.patrol_reports.roll_call(query, Principal(Role.ADMIN, "bench")))
        figures["roll_call"]["lists"] = {standing.value: len(ids) for standing, ids in lists.items()}
        figures["org_notification_records"] = sum(1 for item in CaseItemModel.scan() if item.case_id.startswith("ORG#"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--owing", default="10,100,1000", help="village orgs owing the week, one stack each")
    parser.add_argument("--submitted-share", type=float, default=0.5)
    parser.add_argument("--others", type=int, default=1000, help="town and district orgs, who owe other periods")
    args = parser.parse_args()
    runs = [one_stack(int(n), args.others, args.submitted_share) for n in args.owing.split(",")]
    update = {"patrol_reports": {
        "runs": runs,
        "note": "DynamoDB calls and items read (ScannedCount, BatchGetItem items) on moto in-process; the sweep "
                "reads the schedules' due index, then, for a period due, the orgs of its tier (the orgs' by_tier "
                "index) and their reports (BatchGetItem, 100 keys a call), writes one conditional put per "
                "missing report and one conditional update of the schedule"}}
    print(json.dumps(update, ensure_ascii=False, indent=1))
    merge_results(update)


if __name__ == "__main__":
    main()
