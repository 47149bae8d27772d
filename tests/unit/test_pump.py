"""The local pump's Lambda-shaped events and schedule parsing (pure)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from chalice.app import Cron, Rate

from devstack.pump import (
    FakeLambdaContext,
    messages_to_delete,
    parse_schedule,
    queue_name_of,
    scheduled_event,
    sqs_event,
)

UTC = dt.timezone.utc
ARN = "arn:aws:sqs:us-east-1:123456789012:hewei-local-routing"


def _message(message_id: str, body: str = '{"case_id": "c1"}', **extra: object) -> dict:
    return {
        "MessageId": message_id,
        "ReceiptHandle": f"rh-{message_id}",
        "MD5OfBody": "md5",
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1763700000000"},
        **extra,
    }


def test_sqs_event_has_the_lambda_record_shape() -> None:
    event = sqs_event([_message("m1"), _message("m2", body="调解")], ARN, "us-east-1")
    first, second = event["Records"]
    assert first == {
        "messageId": "m1",
        "receiptHandle": "rh-m1",
        "body": '{"case_id": "c1"}',
        "attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1763700000000"},
        "messageAttributes": {},
        "md5OfBody": "md5",
        "eventSource": "aws:sqs",
        "eventSourceARN": ARN,
        "awsRegion": "us-east-1",
    }
    assert second["messageId"] == "m2" and second["body"] == "调解"


def test_sqs_record_converts_message_attributes_to_camel_case() -> None:
    message = _message(
        "m1",
        MessageAttributes={
            "kind": {"StringValue": "dispatch", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
        MD5OfMessageAttributes="md5attrs",
    )
    message.pop("Attributes")
    record = sqs_event([message], ARN, "us-east-1")["Records"][0]
    assert record["attributes"] == {"ApproximateReceiveCount": "1"}
    assert record["md5OfMessageAttributes"] == "md5attrs"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "dispatch", "stringListValues": [], "binaryListValues": [], "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == base64.b64encode(b"\x00\x01").decode()


def test_every_message_is_deleted_after_a_plain_return() -> None:
    messages = [_message("m1"), _message("m2")]
    assert messages_to_delete(messages, None) == messages
    assert messages_to_delete(messages, {"batchItemFailures": []}) == messages


def test_reported_failures_are_kept() -> None:
    messages = [_message("m1"), _message("m2"), _message("m3")]
    kept = messages_to_delete(messages, {"batchItemFailures": [{"itemIdentifier": "m2"}]})
    assert [m["MessageId"] for m in kept] == ["m1", "m3"]


@pytest.mark.parametrize("failure", [{"itemIdentifier": "unknown"}, {"itemIdentifier": ""}, {}])
def test_a_malformed_failure_report_fails_the_whole_batch(failure: dict) -> None:
    assert messages_to_delete([_message("m1"), _message("m2")], {"batchItemFailures": [failure]}) == []


def test_queue_name_from_name_or_arn() -> None:
    assert queue_name_of("hewei-local-notify", None) == "hewei-local-notify"
    assert queue_name_of(None, ARN) == "hewei-local-routing"
    with pytest.raises(ValueError):
        queue_name_of(None, None)


def test_fake_context_counts_down() -> None:
    context = FakeLambdaContext("hewei-local-route_cases", timeout_seconds=5)
    assert 4000 < context.get_remaining_time_in_millis() <= 5000
    assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:hewei-local-route_cases"
    assert context.memory_limit_in_mb > 0 and context.aws_request_id
    assert FakeLambdaContext("f", timeout_seconds=0).get_remaining_time_in_millis() == 0


def test_scheduled_event_shape() -> None:
    event = scheduled_event("hewei-local-sweep", dt.datetime(2026, 11, 21, 1, 0, 5, tzinfo=UTC))
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-11-21T01:00:05Z"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/hewei-local-sweep"]
    assert event["detail"] == {} and event["id"]


ANCHOR = dt.datetime(2026, 11, 21, 10, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(2 hours)", 7200), ("rate(1 day)", 86400),
     (Rate(5, unit=Rate.MINUTES), 300)],
)
def test_rate_fires_every_interval_from_the_anchor(expression: object, seconds: int) -> None:
    schedule = parse_schedule(expression, anchor=ANCHOR)
    step = dt.timedelta(seconds=seconds)
    assert schedule.next_after(ANCHOR) == ANCHOR + step
    assert schedule.next_after(ANCHOR + step) == ANCHOR + 2 * step
    assert schedule.next_after(ANCHOR + step * 3.5) == ANCHOR + 4 * step


def test_daily_cron_in_utc() -> None:
    nine_in_shanghai = parse_schedule("cron(0 1 * * ? *)", anchor=ANCHOR)
    assert nine_in_shanghai.next_after(ANCHOR) == dt.datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    assert nine_in_shanghai.next_after(dt.datetime(2026, 11, 22, 0, 59, 59, tzinfo=UTC)) == dt.datetime(
        2026, 11, 22, 1, 0, tzinfo=UTC
    )
    assert nine_in_shanghai.next_after(dt.datetime(2026, 11, 22, 1, 0, tzinfo=UTC)) == dt.datetime(
        2026, 11, 23, 1, 0, tzinfo=UTC
    )


def test_cron_lists_ranges_and_steps() -> None:
    every_five = parse_schedule(Cron("*/5", "*", "*", "*", "?", "*"), anchor=ANCHOR)
    assert every_five.next_after(ANCHOR) == dt.datetime(2026, 11, 21, 10, 5, tzinfo=UTC)
    office = parse_schedule("cron(0,30 8-17 ? * * *)", anchor=ANCHOR)
    assert office.next_after(ANCHOR) == dt.datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
    assert office.next_after(dt.datetime(2026, 11, 21, 17, 45, tzinfo=UTC)) == dt.datetime(
        2026, 11, 22, 8, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "expression",
    ["rate(0 minutes)", "rate(5 weeks)", "rate(five minutes)", "cron(0 1 * *)", "cron(0 1 1 * ? *)",
     "cron(0 1 ? * MON *)", "cron(61 1 * * ? *)", "cron(0 24 * * ? *)", "every day", ""],
)
def test_unsupported_expressions_are_rejected(expression: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(expression, anchor=ANCHOR)
