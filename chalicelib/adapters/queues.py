"""SQS publishing. Queue URLs are resolved by name once per process."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import boto3

from ..config import queue_name


@lru_cache(maxsize=1)
def _sqs():
    return boto3.client("sqs")


@lru_cache(maxsize=None)
def queue_url(role: str) -> str:
    return _sqs().get_queue_url(QueueName=queue_name(role))["QueueUrl"]


class QueuePublisher:
    def publish(self, role: str, message: dict[str, Any], delay_seconds: int = 0) -> str:
        response = _sqs().send_message(
            QueueUrl=queue_url(role),
            MessageBody=json.dumps(message, ensure_ascii=False, separators=(",", ":")),
            DelaySeconds=delay_seconds,
        )
        return response["MessageId"]

    def publish_batch(self, role: str, messages: list[dict[str, Any]]) -> None:
        """SendMessageBatch, 10 a call; raises if any entry failed (the callers' records stay
        unsent and the sweep re-sends them)."""
        for start in range(0, len(messages), 10):
            chunk = messages[start:start + 10]
            response = _sqs().send_message_batch(QueueUrl=queue_url(role), Entries=[
                {"Id": str(index), "MessageBody": json.dumps(message, ensure_ascii=False, separators=(",", ":"))}
                for index, message in enumerate(chunk)])
            if response.get("Failed"):
                raise RuntimeError(f"{len(response['Failed'])} messages not sent to {role}")


def delete_messages(role: str, receipt_handles: list[str]) -> None:
    """Delete handled messages now (10 per call), so a failing batch does not re-run them."""
    for start in range(0, len(receipt_handles), 10):
        chunk = receipt_handles[start:start + 10]
        _sqs().delete_message_batch(
            QueueUrl=queue_url(role),
            Entries=[{"Id": str(index), "ReceiptHandle": handle} for index, handle in enumerate(chunk)],
        )
