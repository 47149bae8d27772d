"""The console's files, `/v1/me`, the local stage's demo sign-in and the staff view's
`available_actions`, through the HTTP API on moto."""

from __future__ import annotations

import dataclasses
import re

import pytest

from chalicelib import wiring
from chalicelib.api.console import CONSOLE_DIR, console_base
from tests.integration.conftest import staff_token
from tests.integration.test_routing_and_actions import file_and_route
from tests.support import Staff, assert_problem

ASSETS = sorted(path.name for path in CONSOLE_DIR.iterdir() if path.suffix in {".js", ".css", ".svg"})
UNSAFE_SINKS = re.compile(r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|"
                          r"setTimeout\(\s*['\"`]|srcdoc")


@pytest.fixture
def cloud_stage(monkeypatch):
    """The container as a cloud stage (`dev`) would build it."""
    container = wiring.current()
    monkeypatch.setitem(container.__dict__, "settings", dataclasses.replace(container.settings, stage="dev"))


def test_the_page_is_served_with_its_base_and_a_policy_with_no_inline_script(http):
    for path in ("/console", "/console/"):
        page = http.call("GET", path)
        assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
        text = page.raw.decode()
        assert '<base href="/console/">' in text and "__CONSOLE_BASE__" not in text
        assert '<script type="module" src="app.js"></script>' in text and not re.search(r"<script>|style=", text)
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
        assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("path", "base"), [
    ("/console", "/console/"), ("/console/", "/console/"), ("/api/console", "/api/console/"),
    ("/api/console/?x=1", "/api/console/"), ("/elsewhere", "/console/")])
def test_the_base_is_the_console_under_the_stages_prefix(path, base):
    assert console_base(path) == base


@pytest.mark.parametrize("name", ASSETS)
def test_every_file_is_served_with_its_type_and_an_etag(http, name):
    answer = http.call("GET", f"/console/{name}")
    assert answer.status == 200
    expected = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}[name.rsplit(".", 1)[1]]
    assert answer.headers["content-type"].startswith(expected)
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    again = http.call("GET", f"/console/{name}", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status == 304 and again.raw == b""


@pytest.mark.parametrize("name", ["index.html", "missing.js", "..%2Fapp.py", "APP.JS", "app.py"])
def test_any_other_name_is_a_404_problem(http, name):
    answer = http.call("GET", f"/console/{name}")
    assert_problem(answer, 404)


@pytest.mark.parametrize("name", ASSETS)
def test_no_file_loads_from_another_origin_or_writes_html(name):
    text = (CONSOLE_DIR / name).read_text(encoding="utf-8")
    assert not re.search(r"(?<!www\.w3\.org/2000/svg)https?://(?!www\.w3\.org/2000/svg)", text), name
    assert not UNSAFE_SINKS.search(text), name
    assert "@import" not in text and "url(" not in text


def test_me_names_the_caller_with_the_directory_names(admin, directory, mediator, supervisor):
    assert admin.call("GET", "/v1/me").json["role"] == "admin"
    me = mediator.call("GET", "/v1/me").json
    assert (me["role"], me["mediator_id"], me["org_id"], me["mediator_name"], me["org_name"]) == (
        "mediator", "M-CN-1", "V-CN", "王调解", "城南社区人民调解委员会")
    assert supervisor.call("GET", "/v1/me").json["jurisdiction_name"] == "吴江区"
    assert_problem(admin.http.call("GET", "/v1/me"), 401)


def test_the_local_stage_lists_its_demo_staff_and_signs_them_in(http, directory):
    staff = http.call("GET", "/v1/local/staff").json["items"]
    ids = [person["staff_id"] for person in staff]
    assert ids[0] == "admin"
    assert {"supervisor:320509", "supervisor:320509102", "supervisor:320509103", "mediator:M-CN-1"} <= set(ids)
    assert not [i for i in ids if i.startswith("supervisor:") and len(i.split(":")[1]) == 12]  # no village supervisors
    signed = http.call("POST", "/v1/local/tokens", {"staff_id": "mediator:M-CN-1"})
    assert signed.status == 201, signed
    me = Staff(http, signed.json["token"]).call("GET", "/v1/me").json
    assert (me["role"], me["mediator_id"]) == ("mediator", "M-CN-1")
    assert_problem(http.call("POST", "/v1/local/tokens", {"staff_id": "mediator:nobody"}), 422)
    assert_problem(http.call("POST", "/v1/local/tokens", {"staff_id": "<script>"}), 422)


def test_an_inactive_mediator_is_not_offered(http, admin, directory):
    assert admin.call("PATCH", "/v1/mediators/M-SL-1", {"active": False}).status == 200
    ids = [person["staff_id"] for person in http.call("GET", "/v1/local/staff").json["items"]]
    assert "mediator:M-SL-1" not in ids and "mediator:M-CN-1" in ids


def test_cloud_stages_refuse_the_demo_sign_in_and_do_not_document_it(http, directory, cloud_stage):
    assert_problem(http.call("GET", "/v1/local/staff"), 404)
    assert_problem(http.call("POST", "/v1/local/tokens", {"staff_id": "admin"}), 404)
    assert_problem(http.call("POST", "/v1/local/tokens", {"staff_id": "<script>"}), 404)  # before the body is read
    assert_problem(http.call("POST", "/v1/local/tokens", raw=b"{not json"), 404)
    paths = http.call("GET", "/openapi.json").json["paths"]
    assert "/v1/me" in paths and not [path for path in paths if path.startswith("/v1/local/")]


def test_the_local_stage_documents_the_demo_sign_in(http):
    assert "/v1/local/tokens" in http.call("GET", "/openapi.json").json["paths"]


def test_available_actions_follow_status_state_and_access(partner, admin, mediator, supervisor):
    case = file_and_route(partner)
    path = f"/v1/cases/{case['case_id']}"
    assert mediator.call("GET", path).json["available_actions"] == [
        "accept", "decline", "escalate", "note", "withdraw", "transfer", "merge"]
    assert "add_participant" in supervisor.call("GET", path).json["available_actions"]
    assert "add_participant" not in mediator.call("GET", path).json["available_actions"]
    other_org = staff_token(admin, role="mediator", mediator_id="M-SL-1")
    assert_problem(other_org.call("GET", path), 404)
    assert mediator.call("POST", f"{path}/accept", {}).status == 200
    accepted = mediator.call("GET", path).json["available_actions"]
    assert {"resolve", "fail", "suspend", "request_extension", "schedule_session"} <= set(accepted)
    assert not {"accept", "resume", "decide_extension", "visit", "close"} & set(accepted)
    assert "available_actions" not in partner.call("GET", path).json
