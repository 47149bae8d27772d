"""Pure pieces of the local event pump: Lambda-shaped events and schedules.

`chalice local` serves HTTP only; the runner feeds queue messages and timer
ticks to the app's handlers itself. What those handlers receive is built here,
shaped like what AWS Lambda delivers (SQS event source mapping, EventBridge
schedule 定时规则), so the same handler code runs locally and in the cloud.
Nothing in this module does I/O.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

LOCAL_ACCOUNT = "123456789012"
"""The account id moto uses by default."""

_UTC = dt.timezone.utc


# ------------------------------------------------------------------ contexts


class FakeLambdaContext:
    """The attributes of a Lambda context object that handlers and Powertools read."""

    def __init__(
        self,
        function_name: str,
        region: str = "us-east-1",
        account: str = LOCAL_ACCOUNT,
        timeout_seconds: float = 60.0,
        memory_limit_in_mb: int = 256,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# ------------------------------------------------------------------------ SQS


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An SQS API message attribute in the camel-case form Lambda events use."""
    converted: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [base64.b64encode(item).decode() for item in value.get("BinaryListValues", [])],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        raw = value["BinaryValue"]
        converted["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw
    return converted


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One Lambda SQS record from one message of an SQS `ReceiveMessage` response."""
    attributes = {name: str(value) for name, value in message.get("Attributes", {}).items()}
    attributes.setdefault("ApproximateReceiveCount", "1")
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {
            name: _lambda_message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event a Lambda SQS event source mapping would pass for these messages."""
    return {"Records": [sqs_record(message, queue_arn, region) for message in messages]}


def messages_to_delete(messages: list[dict[str, Any]], handler_result: Any) -> list[dict[str, Any]]:
    """The messages a successful invocation consumed (partial batch response semantics).

    Every message, except those the handler returned in
    `{"batchItemFailures": [{"itemIdentifier": id}]}`. As in AWS, a response
    naming an id that is not in the batch (or naming none) fails the whole batch.
    Call this only when the handler returned; if it raised, delete nothing.
    """
    if not isinstance(handler_result, dict) or "batchItemFailures" not in handler_result:
        return list(messages)
    batch_ids = {message["MessageId"] for message in messages}
    failed_ids: set[str] = set()
    for failure in handler_result["batchItemFailures"] or []:
        item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not item or item not in batch_ids:
            return []
        failed_ids.add(item)
    return [message for message in messages if message["MessageId"] not in failed_ids]


def queue_name_of(queue: str | None, queue_arn: str | None) -> str:
    """The queue name of an `on_sqs_message` source, given by name or by ARN."""
    if queue:
        return queue
    if queue_arn:
        return queue_arn.rsplit(":", 1)[-1]
    raise ValueError("an SQS event source names neither a queue nor a queue ARN")


# ------------------------------------------------------------------ schedules


def scheduled_event(rule_name: str, at: dt.datetime, region: str = "us-east-1", account: str = LOCAL_ACCOUNT) -> dict[str, Any]:
    """The event an EventBridge (CloudWatch Events) schedule rule passes to its target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": at.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/{rule_name}"],
        "detail": {},
    }


class Schedule(Protocol):
    expression: str

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first firing time strictly after `moment` (aware, UTC)."""
        ...


@dataclass(frozen=True)
class RateSchedule:
    """`rate(N unit)`: every interval, counted from the anchor (when the rule was created)."""

    expression: str
    interval: dt.timedelta
    anchor: dt.datetime

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        if moment < self.anchor:
            return self.anchor + self.interval
        periods = (moment - self.anchor) // self.interval + 1
        return self.anchor + periods * self.interval


@dataclass(frozen=True)
class CronSchedule:
    """`cron(minutes hours * * ? *)`: at the listed minutes of the listed hours, UTC, every day."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        candidate = moment.astimezone(_UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        for _ in range(2 * 24 * 60):
            if candidate.hour in self.hours and candidate.minute in self.minutes:
                return candidate
            candidate += dt.timedelta(minutes=1)
        raise AssertionError(f"{self.expression} never fires")  # unreachable: fields are non-empty


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def expression_string(expression: Any) -> str:
    """A schedule expression as text: Chalice accepts strings and `Rate`/`Cron` objects."""
    to_string = getattr(expression, "to_string", None)
    return to_string() if callable(to_string) else str(expression)


def _cron_field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = int(first), int(last)
        else:
            start = int(base)
            end = high if step_text else start
        if step < 1 or not low <= start <= end <= high:
            raise ValueError(f"cron field {text!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse_schedule(expression: Any, anchor: dt.datetime) -> Schedule:
    """Parse `rate(N minute(s)|hour(s)|day(s))` or `cron(min hour * * ? *)` (UTC).

    Cron expressions may use numbers, lists, ranges and steps in the minute and
    hour fields; the day, month, weekday and year fields must be `*` or `?`.
    Raises ValueError for anything else.
    """
    text = expression_string(expression).strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if value < 1:
            raise ValueError(f"{text}: the rate must be at least 1")
        return RateSchedule(text, dt.timedelta(seconds=value * _UNIT_SECONDS[unit]), anchor.astimezone(_UTC))
    cron = _CRON.match(text)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            raise ValueError(f"{text}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)")
        if any(field not in ("*", "?") for field in fields[2:]):
            raise ValueError(f"{text}: only daily cron schedules are supported locally (fields 3-6 must be * or ?)")
        try:
            return CronSchedule(text, _cron_field(fields[0], 0, 59), _cron_field(fields[1], 0, 23))
        except ValueError as exc:
            raise ValueError(f"{text}: {exc}") from exc
    raise ValueError(f"{text}: not a rate(...) or cron(...) expression")
