"""CallbackService (反馈, §7): a partner's case queues a callback; a delivery is signed, recorded on the
case, retried on a growing delay after a failure, and parked on the dead-letter queue after the last."""

from __future__ import annotations

import json

import pytest

from chalicelib.adapters.clock import to_storage
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.enums import CaseStatus
from chalicelib.domain.signing import sign
from chalicelib.services.callbacks import RETRY_DELAYS_SECONDS, callback_payload
from tests.unit.services.builders import ADMIN, CALLBACK_URL, MONDAY, PARTNER_ID


@pytest.fixture
def message(received) -> dict:
    return {"partner_id": PARTNER_ID, "payload": callback_payload(received, MONDAY), "attempt": 1}


def test_a_partners_case_queues_a_callback_and_a_staff_case_none(centre, callbacks, received, publisher):
    callbacks.status_changed(received, MONDAY)
    callbacks.status_changed(centre.file("W-1", ADMIN), MONDAY)
    assert publisher.bodies("callbacks") == [{"partner_id": PARTNER_ID, "attempt": 1, "payload": {
        "event": "case.status_changed", "case_id": received.case_id, "external_ref": "R-1", "status": "received",
        "at": rfc3339(MONDAY)}}]


def test_a_callback_the_queue_refuses_leaves_the_status_change_standing(callbacks, received, publisher):
    publisher.fail("callbacks")
    callbacks.status_changed(received, MONDAY)
    assert publisher.bodies("callbacks") == [] and len(publisher.bodies("routing")) == 1


def test_a_delivery_is_signed_on_the_service_clock_and_recorded(centre, callbacks, message, webhook, store, clock):
    assert callbacks.deliver(message) == "delivered"
    [(url, body, headers)] = webhook.posts
    timestamp = str(int(clock().timestamp()))
    assert (url, json.loads(body)) == (CALLBACK_URL, message["payload"])
    assert headers == {"X-Hewei-Timestamp": timestamp, "X-Hewei-Delivery-Attempt": "1",
                       "X-Hewei-Signature": sign(centre.partner_secret, timestamp, "POST",
                                                 "/hooks/hewei?source=hw", body)}
    assert store.deliveries(message["payload"]["case_id"]) == [
        {"event": "case.status_changed", "status": "received", "attempt": 1, "ok": True, "http_status": 200}]


@pytest.mark.parametrize("attempt", range(1, len(RETRY_DELAYS_SECONDS) + 1))
def test_a_failed_delivery_is_retried_on_the_next_delay(callbacks, message, webhook, publisher, store, attempt):
    webhook.answers.append(503)
    delay = RETRY_DELAYS_SECONDS[attempt - 1]
    assert callbacks.deliver({**message, "attempt": attempt}) == f"retry in {delay}s"
    assert publisher.messages[-1] == (
        "callbacks", {**message, "attempt": attempt + 1, "last_error": "HTTP 503"}, delay)
    [delivery] = store.deliveries(message["payload"]["case_id"])
    assert (delivery["ok"], delivery["attempt"], delivery["next"]) == (False, attempt, f"retry in {delay}s")


def test_after_the_last_retry_the_callback_is_parked_on_the_dead_letter_queue(callbacks, message, webhook,
                                                                              publisher, clock):
    webhook.answers.append(TimeoutError("timed out"))
    last = len(RETRY_DELAYS_SECONDS) + 1
    assert callbacks.deliver({**message, "attempt": last}) == "dead-lettered"
    assert publisher.messages[-1] == ("callbacks-dlq", {**message, "attempt": last, "last_error": "timed out",
                                                        "parked_at": to_storage(clock())}, 0)


def test_the_retry_after_a_failure_is_delivered(callbacks, message, webhook, publisher, store, clock):
    webhook.answers.append(500)
    callbacks.deliver(message)
    clock.advance(seconds=RETRY_DELAYS_SECONDS[0])
    assert callbacks.deliver(publisher.bodies("callbacks")[-1]) == "delivered"
    assert [d["ok"] for d in store.deliveries(message["payload"]["case_id"])] == [False, True]
    assert webhook.posts[-1][2]["X-Hewei-Delivery-Attempt"] == "2"


@pytest.mark.parametrize("partner_id", [PARTNER_ID, "no-such-partner"])
def test_a_partner_without_a_callback_url_is_skipped(centre, callbacks, message, webhook, store, partner_id):
    centre.services.directory_store.update_partner(centre.partner, {"callback_url": None})
    assert callbacks.deliver({**message, "partner_id": partner_id}) == "skipped"
    assert webhook.posts == [] and store.deliveries(message["payload"]["case_id"]) == []


def test_a_status_change_by_routing_reaches_the_partner(centre, received, webhook):
    centre.services.routing.route(received.case_id)
    [queued] = centre.services.publisher.bodies("callbacks")
    centre.services.callbacks.deliver(queued)
    assert json.loads(webhook.posts[0][1])["status"] == CaseStatus.DISPATCHED.value

