"""A poison message on each queue, against moto: it reaches the queue's dead-letter queue after
`maxReceiveCount` deliveries, while the good messages of its batch are handled once, at the
first delivery, and never come back (app.py's SQS handlers, `workers.process_batch`)."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest

from chalicelib.adapters.bootstrap import DLQ_MAX_RECEIVE_COUNT
from chalicelib.config import QUEUE_SUFFIXES, queue_name
from devstack.pump import FakeLambdaContext, sqs_event

GOOD = {
    # role: (the app's handler, good bodies that handler takes and acts on or finds nothing to do for)
    "routing": ("route_cases", [{"case_id": "HW20261123NOSUCH01"}, {"case_id": "HW20261123NOSUCH02"}]),
    "notify": ("send_notifications", [{"case_id": "HW20261123NOSUCH01", "sk": "NOTE#1"},
                                      {"notifications": [["HW20261123NOSUCH02", "NOTE#2"]]}]),
    "callbacks": ("deliver_callbacks", [{"partner_id": "no-such-partner", "payload": {"case_id": "HW1"}},
                                        {"partner_id": "no-such-partner", "payload": {"case_id": "HW2"}}]),
    "sweeps": ("continue_sweeps", [{"sweep": "supervision", "as_of": "2026-11-23T10:00:00+08:00"}]),
    "exports": ("write_exports", [{"export_id": "no-such-export"}]),
}
POISONS = ["not json at all", json.dumps(["a list, not an object"]), json.dumps({"no": "fields it needs"})]


def test_every_queue_of_the_service_is_in_the_table():
    assert set(GOOD) == set(QUEUE_SUFFIXES)


def deliver_until_empty(sqs, url: str, arn: str, handler, name: str, batch_size: int) -> Counter:
    """As Lambda's event source: receive a batch, invoke the handler; if it returns, delete the
    batch; if it raises, delete nothing (what succeeded was deleted by the handler itself). Each
    message comes back at once (visibility 0) until the redrive moves it. Returns deliveries per body."""
    delivered: Counter = Counter()
    for _ in range(DLQ_MAX_RECEIVE_COUNT * 4):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=batch_size, VisibilityTimeout=0,
                                       AttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        delivered.update(message["Body"] for message in messages)
        try:
            handler(sqs_event(messages, arn, "us-east-1"), FakeLambdaContext(name))
        except Exception:  # noqa: BLE001 - the batch failed: its failed records come back
            continue
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return delivered


def bodies_in(sqs, url: str) -> list[str]:
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
            "Messages", []):
        found += [message["Body"] for message in messages]
    return found


@pytest.mark.parametrize("role", sorted(GOOD))
@pytest.mark.parametrize("poison", POISONS, ids=["not-json", "not-an-object", "missing-fields"])
def test_a_poison_message_reaches_the_dead_letter_queue_and_the_good_ones_of_its_batch_go_through(
        aws, role, poison):
    from app import app

    handler_name, good = GOOD[role]
    handler = app.handler_map[handler_name]
    source = next(s for s in app.event_sources if s.name == handler_name)
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name(role))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    dlq = sqs.get_queue_url(QueueName=queue_name(f"{role}-dlq"))["QueueUrl"]
    good_bodies = [json.dumps(body) for body in good][:max(1, source.batch_size - 1)]
    for body in [good_bodies[0], poison, *good_bodies[1:]]:  # the poison inside the batch
        sqs.send_message(QueueUrl=url, MessageBody=body)

    delivered = deliver_until_empty(sqs, url, arn, handler, handler_name, source.batch_size)

    assert bodies_in(sqs, dlq) == [poison]
    assert bodies_in(sqs, url) == []
    assert delivered[poison] == DLQ_MAX_RECEIVE_COUNT
    assert {body: delivered[body] for body in good_bodies} == {body: 1 for body in good_bodies}
