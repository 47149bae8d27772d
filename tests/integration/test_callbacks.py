"""Partner callbacks (§7): signed POSTs on status changes, retries with backoff, then the DLQ."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from chalicelib import wiring
from chalicelib.config import queue_name
from chalicelib.domain.signing import sign
from chalicelib.services.callbacks import RETRY_DELAYS_SECONDS
from tests.support import drain, new_case_body


class Receiver:
    """A partner's callback endpoint on loopback that answers with a chosen status."""

    def __init__(self, status: int = 200):
        self.status = status
        self.received: list[tuple[str, dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, dict(self.headers), body))
                self.send_response(receiver.status)
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
