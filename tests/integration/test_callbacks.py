"""Partner callbacks (§7): signed POSTs on status changes, retries with backoff, then the DLQ."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from chalicelib import wiring
from chalicelib.config import queue_name
from chalicelib.domain.signing import sign
from chalicelib.services.callbacks import RETRY_DELAYS_SECONDS
from devstack.pump import FakeLambdaContext, sqs_event
from tests.support import drain, new_case_body


class Receiver:
    """A partner's callback endpoint on loopback that answers with a chosen status."""

    def __init__(self, status: int = 200):
        self.status = status
        self.location: str | None = None
        self.received: list[tuple[str, dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, dict(self.headers), body))
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/hewei?src=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(admin, partner):
    endpoint = Receiver()
    assert admin.call("PATCH", f"/v1/partners/{partner.partner_id}", {"callback_url": endpoint.url}).status == 200
    yield endpoint
    endpoint.close()


def queued(role: str) -> list[dict]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name(role))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def deliveries(case_id: str) -> list[dict]:
    """The case's callback log (its `CBK#` items), oldest first."""
    from chalicelib.adapters.case_mapping import DELIVERY_PREFIX
    from chalicelib.adapters.models import CaseItemModel

    return [item.detail for item in CaseItemModel.query(case_id, CaseItemModel.sk.startswith(DELIVERY_PREFIX))]


def test_status_change_is_posted_signed_with_the_partner_secret(partner, receiver):
    case = partner.call("POST", "/v1/cases", new_case_body("CB-1")).json
    drain("routing", "route_cases")
    drain("callbacks", "deliver_callbacks")
    assert len(receiver.received) == 1
    path, headers, body = receiver.received[0]
    payload = json.loads(body)
    assert payload["event"] == "case.status_changed"
    assert (payload["case_id"], payload["external_ref"], payload["status"]) == (case["case_id"], "CB-1",
                                                                                 "dispatched")
    assert payload["at"].endswith("+08:00")
    assert path == "/hooks/hewei?src=test"
    expected = sign(partner.secret, headers["X-Hewei-Timestamp"], "POST", path, body)
    assert headers["X-Hewei-Signature"] == expected


def test_failed_callback_is_retried_with_growing_delays_then_dead_lettered(partner, receiver):
    receiver.status = 500
    partner.call("POST", "/v1/cases", new_case_body("CB-2"))
    drain("routing", "route_cases")
    callbacks = wiring.current().callbacks
    message = queued("callbacks")[0]
    assert message["attempt"] == 1
    outcomes = []
    for attempt in range(1, len(RETRY_DELAYS_SECONDS) + 2):
        outcomes.append(callbacks.deliver({**message, "attempt": attempt}))
    assert outcomes[0] == "retry in 5s" and outcomes[1] == "retry in 30s"
    assert outcomes[-1] == "dead-lettered"
    assert sum(RETRY_DELAYS_SECONDS) >= 3600  # retried for over an hour in all
    parked = queued("callbacks-dlq")
    assert len(parked) == 1 and parked[0]["payload"]["external_ref"] == "CB-2"
    assert "HTTP 500" in parked[0]["last_error"]
    assert len(receiver.received) == len(RETRY_DELAYS_SECONDS) + 1


def test_unreachable_endpoint_is_retried_not_lost(admin, partner):
    assert admin.call("PATCH", f"/v1/partners/{partner.partner_id}",
                      {"callback_url": "http://127.0.0.1:9/closed"}).status == 200
    partner.call("POST", "/v1/cases", new_case_body("CB-3"))
    drain("routing", "route_cases")
    message = queued("callbacks")[0]
    assert wiring.current().callbacks.deliver(message) == "retry in 5s"


# ------------------------------------------------------------------ faults (issue 20)


class Dripping(Receiver):
    """A partner's endpoint that answers one byte every half second and never finishes."""

    def __init__(self):
        super().__init__()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                receiver.received.append((self.path, dict(self.headers), self.rfile.read(
                    int(self.headers["Content-Length"]))))
                try:
                    for byte in b"HTTP/1.1 200 OK\r\n" * 10:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.5)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server.RequestHandlerClass = Handler


def test_a_redirect_is_a_failed_attempt_retried_and_the_other_host_gets_nothing(admin, partner, receiver):
    landing = Receiver()
    receiver.status = 302
    receiver.location = landing.url
    partner.call("POST", "/v1/cases", new_case_body("CB-302"))
    drain("routing", "route_cases")
    message = queued("callbacks")[0]
    assert wiring.current().callbacks.deliver(message) == "retry in 5s"
    assert len(receiver.received) == 1 and landing.received == []
    [delivery] = deliveries(message["payload"]["case_id"])
    assert (delivery["ok"], delivery["error"]) == (False, "HTTP 302: redirects are not followed")
    landing.close()


@pytest.mark.parametrize("address", ["169.254.169.254", "10.0.0.1", "127.0.0.1", "::1", "0.0.0.0", "100.64.0.1",
                                     "fd00:ec2::254", "::ffff:127.0.0.1"])
def test_a_host_resolving_to_an_internal_address_at_delivery_is_a_failed_attempt_on_the_log(
        admin, partner, monkeypatch, address):
    """The test stage allows loopback for literal addresses only where the policy says so: here
    the service runs under a cloud stage's rules, and the partner's host name now resolves inside."""
    from chalicelib.domain.callback_urls import CallbackPolicy

    assert admin.call("PATCH", f"/v1/partners/{partner.partner_id}",
                      {"callback_url": "http://partner.example/hooks"}).status == 200
    webhook = wiring.current().webhook
    monkeypatch.setattr(webhook, "policy", CallbackPolicy(https_only=False, allow_loopback=False))
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(webhook, "resolver", lambda host, port: [(family, (address, port))])
    partner.call("POST", "/v1/cases", new_case_body("CB-SSRF"))
    drain("routing", "route_cases")
    message = queued("callbacks")[0]
    assert wiring.current().callbacks.deliver(message) == "retry in 5s"
    [delivery] = deliveries(message["payload"]["case_id"])
    assert delivery["ok"] is False and delivery["error"].startswith("refused: the host resolves to a")
    assert address not in delivery["error"] and "partner.example" not in delivery["error"]


def test_two_partners_one_slow_the_healthy_ones_callback_is_delivered_once_on_time(admin, partner, receiver,
                                                                                   monkeypatch):
    """Each callback is an invocation of its own (batch size 1), as Lambda runs them side by side:
    the slow partner's fails at the deadline and is retried; the healthy one's is delivered at
    once, and never again."""
    from app import app

    [source] = [s for s in app.event_sources if s.name == "deliver_callbacks"]
    assert source.batch_size == 1
    slow = Dripping()
    court = admin.call("POST", "/v1/partners", {"partner_id": "court-1", "name": "吴江法院", "callback_url": slow.url})
    court_partner = type(partner)(admin.http, court.json["key_id"], court.json["secret"], "court-1")
    monkeypatch.setattr(wiring.current().webhook, "deadline_seconds", 1.5)
    court_partner.call("POST", "/v1/cases", new_case_body("SLOW-1"))
    partner.call("POST", "/v1/cases", new_case_body("FAST-1"))
    drain("routing", "route_cases")
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("callbacks"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert len(messages) == 2
    finished: dict[str, float] = {}
    started = time.monotonic()

    def invoke(message):  # one Lambda invocation: a batch of one
        app.handler_map["deliver_callbacks"](sqs_event([message], arn, "us-east-1"),
                                             FakeLambdaContext("deliver_callbacks"))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        finished[json.loads(message["Body"])["partner_id"]] = time.monotonic() - started

    threads = [threading.Thread(target=invoke, args=(m,)) for m in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert finished["demo-12345"] < 1.5 <= finished["court-1"] < 3.0  # the healthy one before the deadline
    [fast] = receiver.received
    assert json.loads(fast[2])["external_ref"] == "FAST-1"
    slow_case = json.loads(slow.received[0][2])["case_id"]
    assert deliveries(slow_case) == [{"event": "case.status_changed", "status": "dispatched", "attempt": 1,
                                      "ok": False, "error": "no answer within 1.5 s", "next": "retry in 5s"}]
    drain("callbacks", "deliver_callbacks")
    assert len(receiver.received) == 1  # the healthy partner heard once
    slow.close()
