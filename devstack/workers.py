"""The local stack's stand-ins for Lambda's event source mappings and EventBridge rules.

- `SqsPump`: long-polls one queue and invokes the app's `on_sqs_message`
  handler with Lambda-shaped batches; deletes what the handler consumed.
- `ScheduleTimer`: fires the app's `@app.schedule` handlers on their schedules.

Handlers run in the runner process, against the same moto server as
`chalice local`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

from .pump import FakeLambdaContext, Schedule, messages_to_delete, scheduled_event, sqs_event

Handler = Callable[[dict[str, Any], Any], Any]
log = logging.getLogger("devstack")

SQS_MAX_BATCH = 10
"""ReceiveMessage returns at most 10 messages; larger Lambda batches need a batching window."""


def lambda_function_name(handler_name: str) -> str:
    """The name Chalice gives the handler's Lambda function in the local stage."""
    return f"hewei-local-{handler_name}"


class SqsPump(threading.Thread):
    def __init__(
        self,
        name: str,
        handler: Handler,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        batch_size: int,
        region: str,
        stop: threading.Event,
        wait_seconds: int = 1,
    ) -> None:
        super().__init__(name=f"pump-{name}", daemon=True)
        self.handler_name = name
        self._handler = handler
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._batch_size = max(1, min(batch_size, SQS_MAX_BATCH))
        self._region = region
        self._stop_event = stop
        self._wait_seconds = wait_seconds

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                response = self._sqs.receive_message(
                    QueueUrl=self._queue_url,
                    MaxNumberOfMessages=self._batch_size,
                    WaitTimeSeconds=self._wait_seconds,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            except Exception as exc:  # moto going away at shutdown, or a transient error
                if not self._stop_event.is_set():
                    log.warning("pump %s: receive failed: %s", self.handler_name, exc)
                    self._stop_event.wait(1)
                continue
            messages = response.get("Messages", [])
            if messages:
                self.deliver(messages)

    def deliver(self, messages: list[dict[str, Any]]) -> None:
        event = sqs_event(messages, self._queue_arn, self._region)
        context = FakeLambdaContext(lambda_function_name(self.handler_name), region=self._region)
        try:
            result = self._handler(event, context)
        except Exception:
            log.exception(
                "pump %s: handler raised; %d message(s) will be redelivered after the visibility timeout",
                self.handler_name, len(messages),
            )
            return
        consumed = messages_to_delete(messages, result)
        if consumed:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(consumed)],
            )
        if len(consumed) < len(messages):
            log.warning(
                "pump %s: %d of %d message(s) reported failed; they will be redelivered",
                self.handler_name, len(messages) - len(consumed), len(messages),
            )


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    handler: Handler
    schedule: Schedule


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ScheduleTimer(threading.Thread):
    def __init__(self, jobs: list[ScheduledJob], region: str, stop: threading.Event,
                 clock: Callable[[], dt.datetime] = _utc_now) -> None:
        super().__init__(name="schedule-timer", daemon=True)
        self._jobs = jobs
        self._region = region
        self._stop_event = stop
        self._clock = clock

    def run(self) -> None:
        if not self._jobs:
            return
        now = self._clock()
        due_at = {job.name: job.schedule.next_after(now) for job in self._jobs}
        while not self._stop_event.is_set():
            now = self._clock()
            for job in self._jobs:
                if due_at[job.name] <= now and not self._stop_event.is_set():
                    self.fire(job, due_at[job.name])
                    due_at[job.name] = job.schedule.next_after(max(self._clock(), due_at[job.name]))
            wait = (min(due_at.values()) - self._clock()).total_seconds()
            self._stop_event.wait(min(max(wait, 0.05), 30.0))

    def fire(self, job: ScheduledJob, at: dt.datetime) -> None:
        event = scheduled_event(lambda_function_name(job.name), at, self._region)
        context = FakeLambdaContext(lambda_function_name(job.name), region=self._region, timeout_seconds=300)
        try:
            result = job.handler(event, context)
        except Exception:
            log.exception("timer: %s raised", job.name)
            return
        log.info("timer: fired %s (%s)%s", job.name, job.schedule.expression, f" -> {result}" if result else "")
