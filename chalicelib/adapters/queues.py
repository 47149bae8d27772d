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
