"""Routing latency on the local stack: from `POST /v1/cases` (201) to `dispatched`.

Starts `python -m devstack` on free ports, files cases as the demo partner,
polls each until it is dispatched, and merges {"local_routing_latency": …}
into bench/results.json.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import merge_results  # noqa: E402
from devstack.client import HeweiClient  # noqa: E402
from devstack.launch import launch  # noqa: E402

CASES = 10


def main() -> None:
    local_dir = Path(tempfile.mkdtemp(prefix="hewei-latency-"))
    started = time.monotonic()
    stack = launch(local_dir)
    try:
        credentials = stack.wait_until_ready(120)
        if credentials is None:
            raise SystemExit("the local stack did not start")
        startup = time.monotonic() - started
        partner = HeweiClient(credentials["base_url"]).as_partner(credentials["partner"]["key_id"],
                                                                 credentials["partner"]["secret"])
        # Polled as staff: a partner's identical GETs within one second would carry the same
        # signature, which the service refuses as a replay, so the client spaces them a second apart.
        staff = HeweiClient(credentials["base_url"]).as_staff(credentials["admin_token"])
        latencies = []
        for index in range(CASES):
            status, _, case = partner.request("POST", "/v1/cases", json={
                "external_ref": f"LATENCY-{index}-{int(time.time())}", "category": "neighbor",
                "title": "楼上漏水", "description": "楼上漏水引发邻里纠纷", "region_code": "320509001001",
                "parties": [{"role": "applicant", "name": "张三"}]})
            assert status == 201, case
            filed = time.monotonic()
            while True:
                _, _, view = staff.request("GET", f"/v1/cases/{case['case_id']}")
                if view["status"] == "dispatched":
                    latencies.append(time.monotonic() - filed)
                    break
                if time.monotonic() - filed > 30:
                    raise SystemExit(f"case {case['case_id']} not dispatched in 30 s")
                time.sleep(0.05)
        result = {"cases": CASES, "startup_seconds": round(startup, 1),
                  "median_seconds": round(statistics.median(latencies), 3),
                  "max_seconds": round(max(latencies), 3),
                  "note": "intake 201 to GET showing dispatched, polled every 50 ms"}
        print(json.dumps(result))
        merge_results({"local_routing_latency": result})
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
