"""DynamoDB throttling or out of reach, through HTTP: 503 problem+json with Retry-After, never a
500, and nothing accepted lost: the failed write did not happen, and the same request sent again
files the case once."""

from __future__ import annotations

import json
import socket

import botocore.client
import pytest
from botocore.exceptions import ClientError

from chalicelib.domain.signing import sign
from tests.support import Partner, assert_problem, new_case_body, service_now

REAL_CALL = botocore.client.BaseClient._make_api_call


def failing(operation: str, code: str):
    """botocore answering `operation` with the error `code` (after its own retries), the rest as usual."""
    def make_api_call(client, name, params):
        if name == operation:
            raise ClientError({"Error": {"Code": code, "Message": "injected"},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, name)
        return REAL_CALL(client, name, params)

    return make_api_call


def cases_of(admin, ref: str) -> list[dict]:
    listed = admin.call("GET", "/v1/cases", query={"external_ref": ref})
    assert listed.status == 200, listed
    return listed.json["items"]


def signed(partner: Partner, body: bytes, nonce: str) -> dict:
    ts = str(int(service_now().timestamp()))
    return {"X-Hewei-Key": partner.key_id, "X-Hewei-Timestamp": ts, "X-Hewei-Nonce": nonce,
            "X-Hewei-Signature": sign(partner.secret, ts, "POST", "/v1/cases", body, nonce)}


@pytest.mark.parametrize("code, retry_after", [
    ("ProvisionedThroughputExceededException", "1"), ("ThrottlingException", "1"), ("RequestLimitExceeded", "1"),
    ("InternalServerError", "5"), ("ServiceUnavailable", "5"),
])
def test_a_throttled_intake_is_503_with_retry_after_and_the_same_request_again_files_it_once(
        partner, admin, monkeypatch, code, retry_after):
    ref = f"FAULT-{code}"
    body = json.dumps(new_case_body(ref), ensure_ascii=False).encode()
    headers = signed(partner, body, "fault-nonce-0123456789")
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", failing("TransactWriteItems", code))
    refused = partner.http.call("POST", "/v1/cases", raw=body, headers=headers)
    problem = assert_problem(refused, 503)
    assert refused.headers["retry-after"] == retry_after and problem["title"] == "Service unavailable"
    assert "request_id" in problem and code not in json.dumps(problem)  # no internals in the answer
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", REAL_CALL)
    assert cases_of(admin, ref) == []  # nothing was written

    again = partner.http.call("POST", "/v1/cases", raw=body, headers=headers)  # the very same request
    assert again.status == 201, again
    assert [case["case_id"] for case in cases_of(admin, ref)] == [again.json["case_id"]]
    assert partner.call("POST", "/v1/cases", new_case_body(ref)).status == 200  # and once more: the replay answer


def test_a_transaction_cancelled_for_throttling_is_503(partner, admin, monkeypatch):
    """A transaction's items throttled show as its cancellation reasons, inside PynamoDB's error."""
    def make_api_call(client, name, params):
        if name == "TransactWriteItems":
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                               "CancellationReasons": [{"Code": "None"}, {"Code": "ThrottlingError"}],
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, name)
        return REAL_CALL(client, name, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
    refused = partner.call("POST", "/v1/cases", new_case_body("FAULT-CANCELLED"))
    assert_problem(refused, 503)
    assert refused.headers["retry-after"] == "1"


def test_a_read_that_is_throttled_is_503_not_500(partner, admin, monkeypatch):
    case_id = partner.call("POST", "/v1/cases", new_case_body("FAULT-READ")).json["case_id"]
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", failing("GetItem", "ThrottlingException"))
    assert_problem(admin.call("GET", f"/v1/cases/{case_id}"), 503)


def test_a_bug_is_still_a_500(partner, admin, monkeypatch):
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", failing("TransactWriteItems", "ValidationException"))
    assert_problem(partner.call("POST", "/v1/cases", new_case_body("FAULT-BUG")), 500)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed once the probe is: nothing listens there


def point_aws_at(monkeypatch, endpoint: str | None) -> None:
    """Every client and connection built again, against `endpoint` (None: the usual one)."""
    from chalicelib import snapstart, wiring

    clock = wiring.current().clock
    if endpoint is None:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    snapstart.after_restore()
    wiring.reset(clock=clock)


def test_an_unreachable_dynamodb_is_503_and_the_intake_is_filed_once_it_is_back(partner, admin, monkeypatch):
    from chalicelib.adapters.aws_errors import UNREACHABLE_RETRY_AFTER_SECONDS

    ref = "FAULT-UNREACHABLE"
    body = json.dumps(new_case_body(ref), ensure_ascii=False).encode()
    headers = signed(partner, body, "fault-nonce-unreachable-01")
    point_aws_at(monkeypatch, f"http://127.0.0.1:{closed_port()}")
    try:
        refused = partner.http.call("POST", "/v1/cases", raw=body, headers=headers)
    finally:
        point_aws_at(monkeypatch, None)
    assert_problem(refused, 503)
    assert refused.headers["retry-after"] == str(UNREACHABLE_RETRY_AFTER_SECONDS)
    assert cases_of(admin, ref) == []
    again = partner.http.call("POST", "/v1/cases", raw=body, headers=headers)
    assert again.status == 201, again
    assert [case["case_id"] for case in cases_of(admin, ref)] == [again.json["case_id"]]
