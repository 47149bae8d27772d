"""The console in a real browser: Debian's Chromium, headless, driven by Playwright, against the
local stack (`conftest.stack`). A partner files the cases over HTTP; people use the console."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import time
import urllib.request
from typing import Any, Iterator

import json

import pytest
from playwright import sync_api as playwright_api

from chalicelib.domain.sms_templates import fit
from devstack.client import HeweiClient
from tests.e2e.conftest import Stack, eventually
from tests.support import valid_id_number

CHROMIUM = os.environ.get("HEWEI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""No background connections: the machine (like a government network) reaches no outside host."""
MARKUP_LOOKALIKE = "漏水纠纷 &lt;img src=x onerror=alert(1)&gt; &#60;b&#62;粗&#60;/b&#62; <3 a>b"
"""Text the API accepts (no tag in it) that a page putting text into HTML would turn into elements."""
APPLICANTS = itertools.count(100)
"""A new applicant's number for each case filed (its phone and ID number end with it)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium")
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tab (its own session storage), failing the test on any script error or dialog."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    tab.errors = errors
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
    assert not errors, errors


def _admin(stack: Stack) -> HeweiClient:
    return HeweiClient(stack.credentials["base_url"]).as_staff(stack.credentials["admin_token"])


def _file(stack: Stack, title: str = "楼上漏水引发邻里纠纷", region: str = "320509102001",
          risk_indicators: list[str] | None = None) -> dict[str, Any]:
    """A neighbour dispute filed by the partner, once it is dispatched. Its applicant is new each
    time: a party's other open dispute would draw the case to that case's org (首接负责)."""
    serial = f"{next(APPLICANTS):03d}"
    status, _, created = stack.partner.request("POST", "/v1/cases", json={
        "external_ref": f"12345-ui-{time.time_ns()}", "channel": "hotline_12345", "category": "neighbor",
        "title": title, "description": "楼上卫生间漏水，多次协商未果，双方发生争执。", "region_code": region,
        "address": "震泽镇宝塔社区3幢", "amount_cny": 5000, "risk_indicators": risk_indicators or [],
        "parties": [{"role": "applicant", "name": "张三", "phone": f"13812345{serial}",
                     "id_number": valid_id_number(f"32058419900101{serial}")}, {"role": "respondent", "name": "李四"}],
    })
    assert status == 201, created
    admin = _admin(stack)
    return eventually(lambda: (lambda view: view if view["status"] == "dispatched" else None)(
        admin.request("GET", f"/v1/cases/{created['case_id']}")[2]), 20, "dispatch")


def _sign_in(page: Any, stack: Stack, staff_id: str, ready: str) -> None:
    page.goto(stack.credentials["base_url"] + "/console/")
    page.click(f'[data-staff-id="{staff_id}"]')
    page.wait_for_selector(f'body[data-ready="{ready}"]')


def _open_case(page: Any, stack: Stack, case_id: str) -> None:
    page.goto(f"{stack.credentials['base_url']}/console/#/cases/{case_id}")
    page.wait_for_selector(f'body[data-ready="#/cases/{case_id}"] #case-title')


def test_the_console_is_served_offline_with_a_strict_content_security_policy(stack: Stack) -> None:
    with urllib.request.urlopen(stack.credentials["base_url"] + "/console/") as answer:
        page = answer.read().decode()
        policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "http" not in policy
    assert '<base href="/console/">' in page
    assert "<script>" not in page and "http://" not in page.replace("http://www.w3.org", "")


def test_a_mediator_accepts_and_resolves_a_case_and_sees_the_timeline(stack: Stack, page: Any) -> None:
    case = _file(stack)
    mediator = case["mediator_id"]
    _sign_in(page, stack, f"mediator:{mediator}", "#/workbench")
    row = page.locator(f'tr[data-case-id="{case["case_id"]}"]')
    assert "即将到期" in row.inner_text() and "urgency-due-soon" in row.get_attribute("class")  # accept within 24 h
    row.locator("a").click()
    page.wait_for_selector("#case-title")
    assert page.locator("#case-title").inner_text() == case["title"]
    assert page.locator('[data-action="resolve"]').count() == 0  # not offered before it is accepted

    page.click('button[data-action="accept"]')
    page.click('form[data-action="accept"] button[type="submit"]')
    page.wait_for_selector('.timeline li[data-event="accepted"]')
    assert "已接单" in page.locator(".flash").inner_text()

    page.click('button[data-action="resolve"]')
    form = page.locator('form[data-action="resolve"]')
    form.locator('button[type="submit"]').click()  # empty: the form's own check, field by field
    assert form.locator('[data-error-for="agreement.summary"]').inner_text() == "必填"
    assert form.locator('[data-error-for="agreement.performance_due"]').inner_text() == "必填"

    received = dt.date.fromisoformat(case["received_at"][:10])
    form.locator('[name="agreement.summary"]').fill("楼上业主负责维修并赔偿2000元")
    form.locator('[name="agreement.performance_due"]').fill((received - dt.timedelta(days=400)).isoformat())
    form.locator('button[type="submit"]').click()  # a date the API refuses: its error, next to the field
    server_error = form.locator('[data-error-for="agreement.performance_due"]')
    server_error.filter(has_text="today").or_(server_error.filter(has_text="before")).wait_for()
    assert form.locator('[data-field="agreement.performance_due"]').get_attribute("class").count("invalid") == 1

    form.locator('[name="agreement.performance_due"]').fill((received + dt.timedelta(days=30)).isoformat())
    form.locator('[name="agreement.terms"]').fill("一、维修卫生间防水\n二、赔偿2000元")
    form.locator('button[type="submit"]').click()
    page.wait_for_selector('.timeline li[data-event="resolved"]')
    assert "调解成功" in page.locator(".badge.st-resolved").inner_text()
    assert page.locator('button[data-action="visit"]').count() == 1  # the return visit is offered next
    events = _admin(stack).request("GET", f"/v1/cases/{case['case_id']}/events")[2]
    assert [e["type"] for e in events][-2:] == ["accepted", "resolved"]


def test_a_supervisor_sees_the_overdue_case_on_the_dashboard_and_opens_it(stack: Stack, page: Any) -> None:
    case = _file(stack, title="工地噪音扰民纠纷")
    as_of = (dt.datetime.fromisoformat(case["accept_due_at"]) + dt.timedelta(hours=2)).isoformat()
    status, _, swept = _admin(stack).request("POST", "/v1/ops/sweeps/supervision", json={"as_of": as_of})
    assert status == 200, swept
    overdue = _admin(stack).request("GET", f"/v1/cases/{case['case_id']}")[2]
    assert overdue["overdue"] is True

    _sign_in(page, stack, "supervisor:320509", "#/dashboard")
    assert int(page.locator('[data-count="overdue"] .count-value').inner_text()) >= 1
    village = page.locator('.tile[data-region="320509102001"]')
    assert "tone-overdue" in village.get_attribute("class") or "tone-red" in village.get_attribute("class")
    item = page.locator(f'tr[data-case-id="{case["case_id"]}"]')
    assert "工地噪音扰民纠纷" in item.inner_text() and "1 级" in item.inner_text()
    item.locator("a").click()
    page.wait_for_selector(f'body[data-ready="#/cases/{case["case_id"]}"] #case-title')
    assert page.locator("#case-title").inner_text() == "工地噪音扰民纠纷"
    assert page.locator(".badge.tone-red", has_text="超期").count() == 1


def test_case_text_is_rendered_as_text_never_as_markup(stack: Stack, page: Any) -> None:
    case = _file(stack, title=MARKUP_LOOKALIKE)
    _sign_in(page, stack, "admin", "#/dashboard")
    _open_case(page, stack, case["case_id"])
    assert page.locator("#case-title").inner_text() == MARKUP_LOOKALIKE
    assert page.locator("main img, main b, main script, main iframe").count() == 0
    assert fit("title", MARKUP_LOOKALIKE) in page.locator(".sms-text").first.inner_text()  # an SMS cuts it to 10


def test_a_mediator_never_fetches_another_orgs_case(stack: Stack, page: Any) -> None:
    own = _file(stack, title="本组织的案件", region="320509001001")  # 流虹社区's org, in 松陵街道
    elsewhere = _file(stack, title="另一组织的案件")  # a village org of 震泽镇
    assert own["org_id"] != elsewhere["org_id"]
    answers: list[tuple[str, Any]] = []
    page.on("response", lambda response: answers.append((response.url, response)))
    _sign_in(page, stack, f"mediator:{own['mediator_id']}", "#/workbench")
    assert page.locator(f'tr[data-case-id="{own["case_id"]}"]').count() == 1
    assert page.locator(f'tr[data-case-id="{elsewhere["case_id"]}"]').count() == 0
    listed = [item for url, response in answers if "/v1/cases?" in url for item in response.json()["items"]]
    assert listed and {item["org_id"] for item in listed} == {own["org_id"]}  # nothing of another org came over
    assert not [url for url, _ in answers if elsewhere["case_id"] in url]
    page.goto(f"{stack.credentials['base_url']}/console/#/cases/{elsewhere['case_id']}")  # a link sent to them
    page.wait_for_selector(f'body[data-ready="#/cases/{elsewhere["case_id"]}"] .notice.error')
    assert "另一组织的案件" not in page.locator("main").inner_text()


def test_markup_in_an_answer_stays_text_even_if_the_api_let_it_through(stack: Stack, page: Any) -> None:
    """Defence in depth: the case's answer is replaced in the browser by one with real tags in it."""
    case = _file(stack)
    _sign_in(page, stack, "admin", "#/dashboard")
    hostile = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'

    def tampered(route: Any) -> None:
        answer = route.fetch()
        body = answer.json()
        body["title"] = body["description"] = hostile
        body["parties"][0]["name"] = hostile
        route.fulfill(response=answer, body=json.dumps(body, ensure_ascii=False))

    page.route(f"**/v1/cases/{case['case_id']}?*", tampered)
    _open_case(page, stack, case["case_id"])
    assert page.locator("#case-title").inner_text() == hostile
    assert page.locator("main img, main script").count() == 0
    assert hostile in page.locator("main").inner_text() and page.title() != "pwned"


def test_a_401_returns_to_sign_in_and_the_token_lives_in_session_storage_only(stack: Stack, page: Any) -> None:
    _sign_in(page, stack, "supervisor:320509102", "#/dashboard")
    assert page.context.cookies() == []
    assert page.evaluate("sessionStorage.getItem('hewei.token')").count(".") == 2
    assert page.evaluate("localStorage.length") == 0
    page.evaluate("sessionStorage.setItem('hewei.token', 'not-a-token')")
    page.goto(stack.credentials["base_url"] + "/console/#/stats")
    page.wait_for_selector('body[data-ready="#/sign-in"] [data-staff-id="admin"]')
    assert page.evaluate("sessionStorage.getItem('hewei.token')") is None


def test_a_supervisor_finds_a_case_by_its_partys_phone(stack: Stack, page: Any) -> None:
    wanted, other = _file(stack, title="按手机号查找的案件"), _file(stack, title="另一件")
    phone = _admin(stack).request("GET", f"/v1/cases/{wanted['case_id']}")[2]["parties"][0]["phone"]
    _sign_in(page, stack, "supervisor:320509", "#/dashboard")
    page.click('#nav a[href="#/cases"]')
    page.wait_for_selector('body[data-ready="#/cases"] form.filters')
    page.fill('form.filters [name="party_phone"]', phone)
    assert page.locator(f'tr[data-case-id="{other["case_id"]}"]').count() == 1  # the whole list first
    page.click('form.filters button[type="submit"]')
    page.wait_for_url("**party_phone=**")  # (no wait_for_function: the page's CSP refuses eval, as it should)
    playwright_api.expect(page.locator("tbody tr")).to_have_count(1)
    assert page.locator(f'tr[data-case-id="{wanted["case_id"]}"]').count() == 1
