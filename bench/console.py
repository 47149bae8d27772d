"""The console in headless Chromium on the local stack: page weight, time to the dashboard's
first useful paint, and the screenshots in docs/.

Starts `python -m devstack` on free ports, files demo cases as the partner (some red, some
accepted, some resolved, some left to go overdue), runs the supervision sweep `as_of` just after
their accept deadlines, then, in a fresh browser tab:
- page weight: every byte transferred (headers and bodies) from opening /console/ signed out,
  through signing in as the 吴江区 supervisor, to the dashboard drawn;
- first useful paint: from navigation to the dashboard's data drawn (the `ready` mark the console
  sets once the one dashboard call has answered and the page is built), signed in, median of 7;
- screenshots of the dashboard, the workbench, a case page and the statistics page into docs/.
Merges {"console": …} into bench/results.json.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import merge_results  # noqa: E402
from devstack.client import HeweiClient, wait_for  # noqa: E402
from devstack.launch import launch  # noqa: E402
from tests.support import valid_id_number  # noqa: E402

CHROMIUM = os.environ.get("HEWEI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--lang=zh-CN", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOCS = ROOT / "docs"
SAMPLES = 7
CASES = [  # (village, category, title, risk indicators)
    ("320509102001", "neighbor", "楼上漏水引发邻里纠纷", []),
    ("320509102001", "marriage_family", "离婚后子女探视纠纷", []),
    ("320509102002", "land_resources", "宅基地界址争议", []),
    ("320509102003", "neighbor", "扬言报复的邻里纠纷", ["threat_of_violence"]),
    ("320509001001", "property_management", "物业费收取纠纷", []),
    ("320509001001", "neighbor", "空调外机噪音扰民", []),
    ("320509001002", "marriage_family", "赡养老人费用分担", []),
    ("320509001003", "land_resources", "承包地流转费用纠纷", []),
    ("320509001003", "neighbor", "相邻通行权纠纷", ["suicide_risk"]),
    ("320509102002", "neighbor", "排水沟堵塞纠纷", []),
    ("320509001002", "neighbor", "楼道堆物纠纷", []),
    ("320509102003", "marriage_family", "彩礼返还纠纷", []),
]


def _wait(check, timeout: float = 30):
    result = wait_for(check, timeout)
    if not result:
        raise TimeoutError("the stack did not get there in time")
    return result


def seed(base_url: str, credentials: dict) -> dict:
    """The demo cases, in every state the console shows; returns one of them to show."""
    partner = HeweiClient(base_url).as_partner(credentials["partner"]["key_id"], credentials["partner"]["secret"])
    admin = HeweiClient(base_url).as_staff(credentials["admin_token"])
    cases = []
    for number, (village, category, title, indicators) in enumerate(CASES):
        status, _, created = partner.request("POST", "/v1/cases", json={
            "external_ref": f"12345-bench-{time.time_ns()}-{number}", "channel": ["hotline_12345", "walk_in", "grid_patrol"][number % 3],
            "category": category, "title": title, "description": f"{title}，双方多次协商未果，请求调解。",
            "region_code": village, "address": "演示地址", "amount_cny": 1000 * (number + 1), "risk_indicators": indicators,
            "parties": [{"role": "applicant", "name": "张三", "phone": f"13812345{100 + number}",
                         "id_number": valid_id_number(f"32058419900101{100 + number}")},
                        {"role": "respondent", "name": "李四"}]})  # a new applicant each: no case follows another's org
        assert status == 201, created
        cases.append(created["case_id"])
    views = [_wait(lambda case_id=case_id: (lambda view: view if view["status"] == "dispatched" else None)(
        admin.request("GET", f"/v1/cases/{case_id}")[2])) for case_id in cases]
    for view in views[4:]:  # the rest are accepted; two of them resolved
        assert admin.request("POST", f"/v1/cases/{view['case_id']}/accept", json={})[0] == 200
    for view in views[8:10]:
        received = dt.date.fromisoformat(view["received_at"][:10])
        assert admin.request("POST", f"/v1/cases/{view['case_id']}/resolve", json={"agreement": {
            "summary": "双方达成协议，按期履行", "performance_due": (received + dt.timedelta(days=20)).isoformat()}})[0] == 200
    as_of = max(dt.datetime.fromisoformat(view["accept_due_at"]) for view in views[:4]) + dt.timedelta(hours=3)
    assert admin.request("POST", "/v1/ops/sweeps/supervision", json={"as_of": as_of.isoformat()})[0] == 200
    return {"shown": views[4], "as_of": as_of.isoformat()}


def main() -> None:
    from playwright.sync_api import sync_playwright

    local_dir = Path(tempfile.mkdtemp(prefix="hewei-console-"))
    stack = launch(local_dir)
    try:
        credentials = stack.wait_until_ready(120)
        if credentials is None:
            raise SystemExit("the local stack did not start")
        base = credentials["base_url"]
        seeded = seed(base, credentials)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            dashboard = f"#/dashboard?as_of={quote(seeded['as_of'])}"  # the hours late as of the sweep
            weight = page_weight(browser, base)
            paint = first_useful_paint(browser, base, dashboard)
            screenshots(browser, base, seeded["shown"], dashboard)
            browser.close()
    finally:
        stack.stop()
        shutil.rmtree(local_dir, ignore_errors=True)
    result = {"console": {
        "page_weight": weight, "dashboard_first_useful_paint_ms": paint,
        "note": "local stack (chalice local on moto), headless Debian Chromium; page weight from opening /console/ "
                "signed out to the supervisor's dashboard drawn; paint = navigation to the dashboard's data drawn, "
                f"signed in, median of {SAMPLES}"}}
    merge_results(result)
    print(json.dumps(result, indent=2, ensure_ascii=False))


def page_weight(browser, base: str) -> dict:
    """Bytes transferred on a first visit (empty cache): the console's files and the API's answers."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(base + "/console/")
    page.click('[data-staff-id="supervisor:320509"]')
    page.wait_for_selector('body[data-ready="#/dashboard"]')
    page.wait_for_load_state("networkidle")
    files = api = 0
    for request in finished:
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"] + sizes["requestHeadersSize"] + sizes["requestBodySize"]
        if "/console/" in request.url:
            files += size
        else:
            api += size
    context.close()
    return {"requests": len(finished), "console_files_kb": round(files / 1024, 1), "api_kb": round(api / 1024, 1),
            "total_kb": round((files + api) / 1024, 1)}


def first_useful_paint(browser, base: str, dashboard: str) -> dict:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.goto(base + "/console/")
    page.click('[data-staff-id="supervisor:320509"]')
    page.wait_for_selector('body[data-ready="#/dashboard"]')
    page.goto(base + "/console/" + dashboard)
    page.reload()  # a hash change alone would keep the page drawn before
    page.wait_for_selector('body[data-ready="#/dashboard"] .count')
    ready, paint = [], []
    for _ in range(SAMPLES):
        page.reload()
        page.wait_for_selector('body[data-ready="#/dashboard"]')
        ready.append(page.evaluate("performance.getEntriesByName('ready #/dashboard')[0].startTime"))
        paint.append(page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"))
    context.close()
    return {"median": round(statistics.median(ready), 1), "min": round(min(ready), 1), "max": round(max(ready), 1),
            "first_contentful_paint_median": round(statistics.median([p for p in paint if p]), 1) if any(paint) else None}


def screenshots(browser, base: str, shown: dict, dashboard: str) -> None:
    DOCS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/console/")
    page.wait_for_selector('[data-staff-id="admin"]')
    page.screenshot(path=str(DOCS / "console-sign-in.png"))
    page.click('[data-staff-id="supervisor:320509"]')
    page.wait_for_selector('body[data-ready="#/dashboard"]')
    page.goto(base + "/console/" + dashboard)
    page.reload()  # a hash change alone would keep the page drawn before
    page.wait_for_selector('body[data-ready="#/dashboard"] .count')
    page.screenshot(path=str(DOCS / "console-dashboard.png"), full_page=True)
    page.goto(base + "/console/#/stats")
    page.wait_for_selector('body[data-ready="#/stats"]')
    page.screenshot(path=str(DOCS / "console-stats.png"), full_page=True)
    page.click("#sign-out")
    page.click(f'[data-staff-id="mediator:{shown["mediator_id"]}"]')
    page.wait_for_selector('body[data-ready="#/workbench"]')
    page.screenshot(path=str(DOCS / "console-workbench.png"), full_page=True)
    page.goto(f"{base}/console/#/cases/{shown['case_id']}")
    page.wait_for_selector(f'body[data-ready="#/cases/{shown["case_id"]}"] #case-title')
    page.click('button[data-action="resolve"]')
    page.click('form[data-action="resolve"] button[type="submit"]')  # shows the form's field errors
    page.screenshot(path=str(DOCS / "console-case.png"), full_page=True)
    context.close()


if __name__ == "__main__":
    main()
