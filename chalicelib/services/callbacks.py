"""Partner callbacks (反馈, §7, §11): tell a partner system when its case changes status
(`case.status_changed`) or its resolve deadline moves (`case.deadline_changed`).

Deliveries go through the callbacks queue. A failed POST is retried with
growing delays (SQS per-message delay, at most 15 minutes each) on a
schedule that keeps trying for over an hour; after the last try the
message is parked on the dead-letter queue, never dropped.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..adapters.clock import to_storage
from ..domain.calendar import rfc3339
from ..domain.callback_urls import request_target
from ..domain.case import MERGE_OUTCOME_STATUSES
from ..domain.signing import derive_secret, sign
from ..observability import logger
from .ports import CallbackLog, Clock, Directory, Publisher, WebhookClient

RETRY_DELAYS_SECONDS = (5, 30, 60, 120, 300, 600, 900, 900, 900)
"""Delay before retry n+1 after failure n: first within 10 s, second within 60 s of
the first failure, then further apart; 3,815 s in all before the dead-letter queue."""


def callback_payload(case, at: dt.datetime) -> dict[str, Any]:
    return {"event": "case.status_changed", "case_id": case.case_id, "external_ref": case.external_ref,
            "status": case.status.value, "at": rfc3339(at)}


def merged_outcome_payload(source, status: str, at: dt.datetime) -> dict[str, Any]:
    """§12: the outcome of the case a partner's case was merged into, under the partner's own ids."""
    return {"event": "case.merged_outcome", "case_id": source.case_id, "external_ref": source.external_ref,
            "status": status, "at": rfc3339(at)}


def deadline_payload(case, reason: str, at: dt.datetime) -> dict[str, Any]:
    """§11: the resolve deadline in force after an approved extension or a resume."""
    return {"event": "case.deadline_changed", "case_id": case.case_id, "external_ref": case.external_ref,
            "resolve_due_at": rfc3339(case.resolve_due_at), "reason": reason, "at": rfc3339(at)}


def _what(payload: dict[str, Any]) -> dict[str, Any]:
    """What a delivery record says the callback was: its event, and the status or the deadline."""
    keys = ("event", "status", "resolve_due_at", "reason")
    return {key: payload[key] for key in keys if key in payload}


class CallbackService:
    def __init__(self, callback_log: CallbackLog, directory: Directory, publisher: Publisher,
                 webhook: WebhookClient, secret_key: bytes, clock: Clock):
        self._callback_log = callback_log
        self._directory = directory
        self._publisher = publisher
        self._webhook = webhook
        self._secret_key = secret_key
        self._clock = clock

    def status_changed(self, case, at: dt.datetime) -> None:
        """Queue a callback for a partner's case (staff-filed cases have no partner); when a
        merge target ends, one `case.merged_outcome` to each merged source's partner too."""
        self._queue(case, callback_payload(case, at))
        if case.status in MERGE_OUTCOME_STATUSES:
            for source in case.merged_sources:
                self._queue(source, merged_outcome_payload(source, case.status.value, at))

    def tell(self, case, outcome, at: dt.datetime) -> None:
        """The callbacks a change of the case calls for (its `Outcome`): a status change, a
        moved resolve deadline."""
        if outcome.status_changed:
            self.status_changed(case, at)
        if outcome.deadline_changed:
            self.deadline_changed(case, outcome.deadline_changed, at)

    def deadline_changed(self, case, reason: str, at: dt.datetime) -> None:
        """Queue a `case.deadline_changed` callback (reason `extension` or `suspension`)."""
        self._queue(case, deadline_payload(case, reason, at))

    def _queue(self, case, payload: dict[str, Any]) -> None:
        if not case.partner_id:
            return
        message = {"partner_id": case.partner_id, "payload": payload, "attempt": 1}
        try:
            self._publisher.publish("callbacks", message)
        except Exception:  # noqa: BLE001 - the status change itself stands
            logger.exception("callback publish failed", extra={"case_id": case.case_id})

    def deliver(self, message: dict[str, Any]) -> str:
        """One delivery attempt; on failure schedule the next or park it on the DLQ."""
        payload = message["payload"]
        attempt = int(message.get("attempt", 1))
        partner = self._directory.partner(message["partner_id"])
        if partner is None or not partner.callback_url:
            logger.info("no callback url", extra={"case_id": payload.get("case_id")})
            return "skipped"
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        path = request_target(partner.callback_url)
        timestamp = str(int(self._clock().timestamp()))
        secret = derive_secret(self._secret_key, partner.key_id)
        headers = {"X-Hewei-Timestamp": timestamp,
                   "X-Hewei-Signature": sign(secret, timestamp, "POST", path, body),
                   "X-Hewei-Delivery-Attempt": str(attempt)}
        now = self._clock()
        try:
            status = self._webhook.post(partner.callback_url, body, headers)
        except Exception as exc:  # noqa: BLE001 - every failure is retried or parked
            outcome = self._retry(message, attempt, str(exc) or type(exc).__name__)
            self._callback_log.record_delivery(payload["case_id"], {
                **_what(payload), "attempt": attempt, "ok": False, "error": str(exc)[:200], "next": outcome}, now)
            return outcome
        self._callback_log.record_delivery(payload["case_id"], {
            **_what(payload), "attempt": attempt, "ok": True, "http_status": status}, now)
        return "delivered"

    def _retry(self, message: dict[str, Any], attempt: int, error: str) -> str:
        if attempt <= len(RETRY_DELAYS_SECONDS):
            delay = RETRY_DELAYS_SECONDS[attempt - 1]
            self._publisher.publish("callbacks", {**message, "attempt": attempt + 1, "last_error": error},
                                    delay_seconds=delay)
            return f"retry in {delay}s"
        self._publisher.publish("callbacks-dlq", {**message, "last_error": error,
                                                  "parked_at": to_storage(self._clock())})
        logger.error("callback parked on the dead-letter queue",
                     extra={"case_id": message["payload"].get("case_id"), "attempts": attempt})
        return "dead-lettered"
