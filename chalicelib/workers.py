"""Queue workers: turn an SQS batch into one use-case call per message.

Chalice cannot switch on partial batch responses, so a batch is made safe
another way: each record is handled on its own (handlers are idempotent);
the ones that succeeded are deleted from the queue at once, and if any
failed the handler raises, so only the failed ones come back (and reach the
dead-letter queue after five tries). One poison message neither blocks nor
re-runs the good messages of its batch.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from .adapters.queues import delete_messages
from .observability import logger


class BatchFailed(Exception):
    """Some records of the batch failed; they will be delivered again."""


def receive_count(record) -> int:
    """How many times SQS has delivered this record, this delivery included."""
    return int(record.to_dict().get("attributes", {}).get("ApproximateReceiveCount", 1))


def process_batch(event, role: str, handle: Callable[..., Any], with_attempt: bool = False) -> dict[str, int]:
    """`handle(body)` for each record; `handle(body, attempt)` with `with_attempt`, `attempt` being
    the record's `receive_count` (a handler that must act on its last try knows it is)."""
    succeeded: list[str] = []
    failed: list[str] = []
    for record in event:
        message_id = record.to_dict().get("messageId", "")
        try:
            body = json.loads(record.body)
            if not isinstance(body, dict):
                raise ValueError("message body is not a JSON object")
            if with_attempt:
                handle(body, receive_count(record))
            else:
                handle(body)
        except Exception:  # noqa: BLE001 - one bad record must not sink the batch
            logger.exception("queue message failed", extra={"queue": role, "message_id": message_id})
            failed.append(message_id)
        else:
            succeeded.append(record.receipt_handle)
    if failed:
        delete_messages(role, succeeded)
        raise BatchFailed(f"{len(failed)} of {len(failed) + len(succeeded)} messages failed on {role}")
    return {"processed": len(succeeded)}
