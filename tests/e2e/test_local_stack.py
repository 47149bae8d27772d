"""End to end: `python -m devstack` as a subprocess, used over HTTP like a partner would.

The stack (`conftest.stack`) starts once for this module and is stopped with
SIGINT by the last test.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from chalicelib.domain.signing import sign
from devstack.client import HeweiClient
from tests.e2e.conftest import STOP_TIMEOUT_SECONDS, Stack, eventually
from tests.support import valid_id_number


def _neighbor_case(external_ref: str) -> dict[str, Any]:
    return {
        "external_ref": external_ref,
        "channel": "hotline_12345",
        "category": "neighbor",
        "title": "楼上漏水引发邻里纠纷",
        "description": "楼上卫生间漏水，多次协商未果，双方发生争执。",
        "region_code": "320509102001",
        "address": "震泽镇宝塔社区3幢",
        "parties": [
            {"role": "applicant", "name": "张三", "phone": "13812345678", "id_number": valid_id_number()},
            {"role": "respondent", "name": "李四"},
        ],
        "amount_cny": 5000,
        "risk_indicators": [],
    }


def _neighbor_case_filed(stack: Stack, external_ref: str) -> tuple[dict[str, Any], int, Any, dict[str, Any]]:
    payload = _neighbor_case(external_ref)
    status, headers, body = stack.partner.request("POST", "/v1/cases", json=payload)
    return payload, status, headers, body


@pytest.fixture(scope="module")
def filed(stack: Stack) -> tuple[dict[str, Any], int, Any, dict[str, Any]]:
    return _neighbor_case_filed(stack, f"12345-e2e-{time.time_ns()}")


def test_credentials_file_follows_the_contract(stack: Stack) -> None:
    credentials = stack.credentials
    assert credentials["base_url"].startswith("http://127.0.0.1:")
    assert credentials["admin_token"]
    assert credentials["partner"]["partner_id"] == "demo-12345"
    assert credentials["partner"]["key_id"] and credentials["partner"]["secret"]


def test_meta_needs_no_credentials(stack: Stack) -> None:
    status, _, body = HeweiClient(stack.credentials["base_url"]).request("GET", "/v1/meta")
    assert status == 200, body
    assert body["stage"] == "local"


def test_partner_files_a_case_with_masked_parties(filed: tuple) -> None:
    payload, status, headers, body = filed
    assert status == 201, body
    assert headers["Location"].endswith(f"/v1/cases/{body['case_id']}")
    assert body["status"] == "received"
    assert body["external_ref"] == payload["external_ref"]
    assert body["partner_id"] == "demo-12345"
    applicant = body["parties"][0]
    assert applicant["name"] == "张*"
    assert applicant["phone"] == "138****5678"
    text = json.dumps(body, ensure_ascii=False)
    assert "13812345678" not in text and payload["parties"][0]["id_number"] not in text


def test_partner_reads_its_case_back(stack: Stack, filed: tuple) -> None:
    payload, _, _, created = filed
    status, _, body = stack.partner.request("GET", f"/v1/cases/{created['case_id']}")
    assert status == 200, body
    assert body["case_id"] == created["case_id"]
    assert body["title"] == payload["title"]
    assert body["parties"][0]["name"] == "张*"


def test_repeating_an_identical_request_returns_the_same_case(stack: Stack, filed: tuple) -> None:
    payload, _, _, created = filed
    status, _, body = stack.partner.request("POST", "/v1/cases", json=payload)
    assert status == 200, body
    assert body["case_id"] == created["case_id"]


def test_bad_signature_is_rejected(stack: Stack) -> None:
    status, headers, body = stack.partner.request(
        "POST", "/v1/cases", json=_neighbor_case("12345-e2e-bad-signature"), headers={"X-Hewei-Signature": "0" * 64}
    )
    assert status == 401, body
    assert headers["Content-Type"].startswith("application/problem+json")


def test_a_replayed_signature_is_rejected(stack: Stack) -> None:
    partner = stack.credentials["partner"]
    body = json.dumps(_neighbor_case(f"12345-e2e-replay-{time.time_ns()}"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "X-Hewei-Key": partner["key_id"],
        "X-Hewei-Timestamp": timestamp,
        "X-Hewei-Signature": sign(partner["secret"], timestamp, "POST", "/v1/cases", body),
    }
    anonymous = HeweiClient(stack.credentials["base_url"])
    first, _, first_body = anonymous.request("POST", "/v1/cases", raw=body, headers=headers)
    assert first == 201, first_body
    second, _, second_body = anonymous.request("POST", "/v1/cases", raw=body, headers=headers)
    assert second == 401, second_body


def test_the_pump_routes_the_case_and_the_partner_is_called_back(stack: Stack, filed: tuple) -> None:
    case_id = filed[3]["case_id"]

    def dispatched() -> bool:
        status, _, body = stack.partner.request("GET", f"/v1/cases/{case_id}")
        return status == 200 and body["status"] == "dispatched"

    eventually(dispatched, 20, f"dispatch of {case_id}")

    def called_back() -> list[dict[str, Any]]:
        _, _, received = HeweiClient(stack.credentials["callback_sink"]).request("GET", "")
        return [
            entry for entry in received or []
            if isinstance(entry["body"], dict) and entry["body"].get("case_id") == case_id
            and entry["body"].get("status") == "dispatched"
        ]

    callbacks = eventually(called_back, 20, f"the dispatched callback for {case_id}")
    assert callbacks[0]["body"]["event"] == "case.status_changed"
    assert callbacks[0]["signature_valid"] is True


def test_concurrent_actions_are_atomic_as_in_aws(stack: Stack) -> None:
    """Eight accepts of one version at once: one 200 and one timeline event, as DynamoDB's
    conditional transactions give; eight notes without a version: all eight kept."""
    _, status, _, created = _neighbor_case_filed(stack, f"12345-e2e-race-{time.time_ns()}")
    assert status == 201, created
    case_id = created["case_id"]
    admin = HeweiClient(stack.credentials["base_url"]).as_staff(stack.credentials["admin_token"])

    def view() -> dict[str, Any]:
        return admin.request("GET", f"/v1/cases/{case_id}")[2]

    version = eventually(lambda: view()["status"] == "dispatched" and view()["version"], 20, "dispatch")
    with ThreadPoolExecutor(8) as pool:
        accepts = list(pool.map(lambda _: admin.request(
            "POST", f"/v1/cases/{case_id}/accept", json={"expected_version": version})[0], range(8)))
        notes = list(pool.map(lambda i: admin.request(
            "POST", f"/v1/cases/{case_id}/note", json={"text": f"进展{i}"})[0], range(8)))
    assert sorted(accepts) == [200] + [409] * 7
    assert notes == [200] * 8
    events = admin.request("GET", f"/v1/cases/{case_id}/events")[2]
    assert [e["type"] for e in events].count("accepted") == 1
    assert [e["type"] for e in events].count("note") == 8


def test_an_approved_extension_moves_the_deadline_and_the_partner_is_told(stack: Stack) -> None:
    """§10 and §11 on the local stack: an operator year is stored and served; an extension asked
    for and approved moves the resolve deadline, and the partner gets a signed deadline callback."""
    admin = HeweiClient(stack.credentials["base_url"]).as_staff(stack.credentials["admin_token"])
    year = time.gmtime().tm_year + 1
    status, _, calendar = admin.request("PUT", f"/v1/calendar/{year}",
                                        json={"holidays": [f"{year}-01-01"], "workdays": []})
    assert (status, calendar["source"], calendar["holidays"]) == (200, "operator", [f"{year}-01-01"])
    assert admin.request("GET", "/v1/meta")[2]["calendar"]["covered_until"] >= f"{year}-12-31"

    _, status, _, created = _neighbor_case_filed(stack, f"12345-e2e-extension-{time.time_ns()}")
    assert status == 201, created
    case_id = created["case_id"]
    eventually(lambda: admin.request("GET", f"/v1/cases/{case_id}")[2]["status"] == "dispatched", 20, "dispatch")
    assert admin.request("POST", f"/v1/cases/{case_id}/accept", json={})[0] == 200
    status, _, asked = admin.request("POST", f"/v1/cases/{case_id}/request_extension",
                                     json={"working_days": 3, "reason": "等待鉴定结论"})
    assert (status, asked["extension"]["status"]) == (200, "pending"), asked
    status, _, decided = admin.request("POST", f"/v1/cases/{case_id}/decide_extension",
                                       json={"decision": "approve", "note": "同意"})
    assert status == 200, decided
    assert decided["resolve_due_at_original"] == asked["resolve_due_at"] < decided["resolve_due_at"]

    def deadline_callback() -> list[dict[str, Any]]:
        _, _, received = HeweiClient(stack.credentials["callback_sink"]).request("GET", "")
        return [entry for entry in received or [] if isinstance(entry["body"], dict)
                and entry["body"].get("case_id") == case_id and entry["body"]["event"] == "case.deadline_changed"]

    [callback] = eventually(deadline_callback, 20, f"the deadline callback for {case_id}")
    assert (callback["body"]["reason"], callback["body"]["resolve_due_at"], callback["signature_valid"]) == (
        "extension", decided["resolve_due_at"], True)


def test_the_case_ledger_comes_as_csv_and_export_links_work_on_the_embedded_aws(
        stack: Stack, filed: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    """§13 on the local stack: a small ledger is the answer itself (csv, BOM, the filed case masked);
    an export's presigned link, made by the service's own S3 adapter, downloads from the stack's S3."""
    case = filed[3]
    day = case["received_at"][:10]  # RFC 3339 in Asia/Shanghai: its date is the ledger's day
    admin = HeweiClient(stack.credentials["base_url"]).as_staff(stack.credentials["admin_token"])
    status, headers, text = admin.request("GET", f"/v1/ledger?region=320509&from={day}&to={day}&format=csv",
                                          headers={"Accept": "text/csv"})
    assert status == 200, text
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert text.startswith("\ufeff序号,案件编号") and case["case_id"] in text
    assert "13812345678" not in text and "138****5678" in text

    from chalicelib.adapters.exports import S3ExportFiles

    monkeypatch.setenv("AWS_ENDPOINT_URL", stack.credentials["aws_endpoint_url"])
    files = S3ExportFiles()
    files.upload("ledger/e2e.csv", lambda out: out.write(text.encode("utf-8")), "text/csv; charset=utf-8", "台账.csv")
    url = files.download_url("ledger/e2e.csv", 60)
    assert url.startswith(stack.credentials["aws_endpoint_url"] + "/hewei-local-exports/ledger/e2e.csv?")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=10) as response:
        assert (response.status, response.read().decode("utf-8"), response.headers["Content-Disposition"]) == (
            200, text, "attachment; filename=\"__.csv\"; filename*=UTF-8''%E5%8F%B0%E8%B4%A6.csv")


def test_an_attachment_goes_up_and_down_through_the_embedded_aws(stack: Stack, filed: tuple) -> None:
    """§14 on the local stack: the presigned POST and the download link the API hands out point at
    the moto endpoint of credentials.json, and a client really uploads and downloads through them."""
    import hashlib

    import requests

    case_id = filed[3]["case_id"]
    endpoint = stack.credentials["aws_endpoint_url"]
    admin = HeweiClient(stack.credentials["base_url"]).as_staff(stack.credentials["admin_token"])
    content = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 50
    status, _, declared = admin.request("POST", f"/v1/cases/{case_id}/attachments", json={
        "kind": "agreement_signed", "filename": "调解协议书（签字）.pdf", "content_type": "application/pdf",
        "size_bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()})
    assert status == 201, declared
    upload = declared["upload"]
    assert upload["url"].startswith(endpoint)
    client = requests.Session()
    client.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
    posted = client.post(upload["url"], data=upload["fields"],
                         files={"file": ("x.pdf", content, "application/pdf")}, timeout=10)
    assert posted.status_code == 204, posted.text
    status, _, completed = admin.request(
        "POST", f"/v1/cases/{case_id}/attachments/{declared['attachment_id']}/complete")
    assert (status, completed["status"]) == (200, "stored"), completed
    status, _, one = admin.request("GET", f"/v1/cases/{case_id}/attachments/{declared['attachment_id']}")
    assert status == 200 and one["download_url"].startswith(f"{endpoint}/hewei-local-attachments/files/{case_id}/")
    fetched = client.get(one["download_url"], timeout=10)
    assert (fetched.status_code, fetched.content) == (200, content)
    assert fetched.headers["Content-Disposition"].startswith('attachment; filename="')


def test_sqs_and_sns_are_served_by_moto(stack: Stack) -> None:
    options = {
        "endpoint_url": f"http://127.0.0.1:{stack.moto_port}", "region_name": "us-east-1",
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
    }
    queues = boto3.client("sqs", **options).list_queues()["QueueUrls"]
    names = {url.rsplit("/", 1)[-1] for url in queues}
    assert {"hewei-local-routing", "hewei-local-notify", "hewei-local-callbacks"} <= names
    assert {"hewei-local-routing-dlq", "hewei-local-notify-dlq", "hewei-local-callbacks-dlq"} <= names
    assert boto3.client("sns", **options).list_topics()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_sigint_stops_the_stack_cleanly(stack: Stack) -> None:
    """Last in the module: it stops the stack."""
    stack.process.send_signal(signal.SIGINT)
    try:
        code = stack.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"devstack still running {STOP_TIMEOUT_SECONDS} s after SIGINT:\n{stack.log_tail()}")
    assert code == 0, stack.log_tail()
    assert not stack.credentials_path.exists()
    api_port = int(stack.credentials["base_url"].rsplit(":", 1)[-1])
    for port in (api_port, stack.moto_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
