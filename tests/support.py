"""Test helpers: a signed partner client over Chalice's test client, and a demo directory."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlencode

from chalicelib.domain.identity import id_number_check_char
from chalicelib.domain.signing import sign
from tests.answer_schemas import check_answer

DISTRICT = "320509"
TOWN = "320509102"
VILLAGE = "320509102001"
OTHER_TOWN = "320509103"
OTHER_VILLAGE = "320509103001"


def valid_id_number(first17: str = "32058419900101123") -> str:
    return first17 + id_number_check_char(first17)


class Http:
    """Thin wrapper over chalice.test.Client.http with JSON and signing."""

    def __init__(self, client):
        self.client = client

    def call(self, method: str, path: str, body: Any = None, headers: dict | None = None,
             raw: bytes | None = None, query: dict | None = None):
        if query:
            path = f"{path}?{urlencode(query)}"
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else b"")
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        response = self.client.http.request(method, path, headers=all_headers, body=data)
        result = Result(response)
        if result.json is not None:
            check_answer(method, path, result.status, result.headers.get("content-type", ""), result.json)
        return result


class Result:
    def __init__(self, response):
        self.status = response.status_code
        self.headers = {k.lower(): v for k, v in response.headers.items()}
        self.raw = response.body
        try:
            self.json = json.loads(response.body) if response.body else None
        except ValueError:
            self.json = None

    def __repr__(self) -> str:
        return f"<{self.status} {self.raw[:300]!r}>"


class Staff:
    def __init__(self, http: Http, token: str):
        self.http = http
        self.token = token

    def call(self, method: str, path: str, body: Any = None, **kwargs) -> Result:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.http.call(method, path, body, headers=headers, **kwargs)


class Partner:
    def __init__(self, http: Http, key_id: str, secret: str, partner_id: str):
        self.http = http
        self.key_id = key_id
        self.secret = secret
        self.partner_id = partner_id

    def headers(self, method: str, path_with_query: str, body: bytes, timestamp: float | None = None) -> dict:
        """Signed on the service's clock (real time until a test sets it), as a partner whose
        clock agrees with the service's: a test that moves the clock moves the signatures too."""
        ts = str(int(timestamp if timestamp is not None else service_now().timestamp()))
        return {
            "X-Hewei-Key": self.key_id,
            "X-Hewei-Timestamp": ts,
            "X-Hewei-Signature": sign(self.secret, ts, method, path_with_query, body),
        }

    def call(self, method: str, path: str, body: Any = None, query: dict | None = None,
             raw: bytes | None = None, timestamp: float | None = None) -> Result:
        full = f"{path}?{urlencode(query)}" if query else path
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else b"")
        return self.http.call(method, full, raw=data, headers=self.headers(method, full, data, timestamp))


def service_now():
    """What the service's clock says now."""
    from chalicelib import wiring

    return wiring.current().clock()


def open_cases(mediator_id: str) -> int:
    """A mediator's count of open cases, as the directory store reads it."""
    from chalicelib import wiring

    return wiring.current().directory_store.mediator(mediator_id).open_cases


def assert_problem(result: Result, status: int, field: str | None = None) -> dict:
    """An RFC 9457 problem+json answer with this status (and an error on `field`, if given)."""
    assert result.status == status, result
    assert result.headers["content-type"] == "application/problem+json"
    body = result.json
    assert isinstance(body, dict), result
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


DEMO_REGIONS = [
    (DISTRICT, "吴江区"), (TOWN, "松陵街道"), (VILLAGE, "城南社区"), ("320509102002", "江城社区"),
    (OTHER_TOWN, "同里镇"), (OTHER_VILLAGE, "同里村"),
]
DEMO_ORGS = [
    {"org_id": "V-CN", "name": "城南社区人民调解委员会", "region_code": VILLAGE, "tier": "village",
     "mediation_type": "people", "categories": [], "head_phone": "13900000101"},
    {"org_id": "T-SL", "name": "松陵街道人民调解委员会", "region_code": TOWN, "tier": "town",
     "mediation_type": "people", "categories": [], "head_phone": "13900000102"},
    {"org_id": "D-WJ", "name": "吴江区矛盾纠纷调处化解中心", "region_code": DISTRICT, "tier": "district",
     "mediation_type": "people", "categories": [], "head_phone": "13900000103"},
]
DEMO_MEDIATORS = [
    {"mediator_id": "M-CN-1", "name": "王调解", "phone": "13900000201", "org_id": "V-CN",
     "specialties": ["neighbor"]},
    {"mediator_id": "M-SL-1", "name": "赵调解", "phone": "13900000202", "org_id": "T-SL",
     "specialties": ["marriage_family"]},
    {"mediator_id": "M-WJ-1", "name": "钱调解", "phone": "13900000203", "org_id": "D-WJ", "specialties": []},
]


def new_case_body(ref: str = "12345-20261121-000123", **overrides) -> dict:
    body = {
        "external_ref": ref,
        "channel": "hotline_12345",
        "category": "neighbor",
        "title": "楼上漏水引发邻里纠纷",
        "description": "楼上住户卫生间漏水,多次协商未果。",
        "region_code": VILLAGE,
        "address": "松陵街道城南社区8幢",
        "parties": [
            {"role": "applicant", "name": "张三", "phone": "13812345678", "id_number": valid_id_number()},
            {"role": "respondent", "name": "李四"},
        ],
        "amount_cny": 5000,
        "risk_indicators": [],
    }
    body.update(overrides)
    return body


@contextmanager
def moto_stack() -> Iterator[dict]:
    """moto in-process with the service's tables and queues, and a fresh service container
    (clock settable through `wiring.current().clock.now`); yields the queue URLs."""
    from moto import mock_aws

    from chalicelib import wiring
    from chalicelib.adapters import queues

    with mock_aws():
        from chalicelib.adapters.bootstrap import create_all

        queues._sqs.cache_clear()
        queues.queue_url.cache_clear()
        try:
            urls = create_all()
            wiring.reset(clock=Clock())
            yield urls
        finally:
            queues._sqs.cache_clear()
            queues.queue_url.cache_clear()
            wiring.reset()


def admin_staff(http: Http) -> Staff:
    from chalicelib import wiring

    token, _ = wiring.current().token_minter.mint({"sub": "test-admin", "role": "admin"}, 3600)
    return Staff(http, token)


def load_demo_directory(admin: Staff) -> None:
    for code, name in DEMO_REGIONS:
        assert admin.call("POST", "/v1/regions", {"code": code, "name": name}).status == 201
    for org in DEMO_ORGS:
        assert admin.call("POST", "/v1/orgs", org).status == 201
    for mediator in DEMO_MEDIATORS:
        assert admin.call("POST", "/v1/mediators", mediator).status == 201


class Clock:
    """The service's clock in tests. It runs at the real pace from `START`, a working Monday
    morning, so every test meets the same day and hour whatever the real date (no quiet
    hours, no holiday, inside the holiday library's data); a test that sets `now` fixes it
    there, and `now = None` lets it run on."""

    START = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

    def __init__(self, start: dt.datetime = START):
        self.now: dt.datetime | None = None
        self._start = start
        self._started = time.monotonic()

    def __call__(self) -> dt.datetime:
        return self.now or self._start + dt.timedelta(seconds=time.monotonic() - self._started)


def drain(role: str, handler_name: str, rounds: int = 5) -> int:
    """Deliver every message on a queue to its handler, as the local pump does. Returns messages handled."""
    import boto3

    from app import app
    from chalicelib.config import queue_name
    from devstack.pump import FakeLambdaContext, sqs_event

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name(role))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    handled = 0
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", [])
        if not messages:
            break
        try:
            app.handler_map[handler_name](sqs_event(messages, arn, "us-east-1"), FakeLambdaContext(handler_name))
        except Exception:  # as in Lambda: nothing more is deleted; failed messages come back later
            handled += len(messages)
            continue
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handled += len(messages)
    return handled


def sms_sent() -> list[tuple[str, str]]:
    """(E.164 phone, text) of every SMS published through SNS."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values())
