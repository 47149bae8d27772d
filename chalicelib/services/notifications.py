"""Notifications (短信通知): decide, record, and send each SMS once, and never lose one.

Each SMS the service decides to send is first recorded on the case (in the
same transaction as the change that caused it), or, for one bound to no case
(`report_missing`), in its org's outbox partition under a key naming what it
is about (a conditional put, so it is stored once), then a message on the
notify queue asks the sender to send it. The sender claims the record with
a conditional write (`pending`/`deferred`/`failed` → `sending`, a lease of
`CLAIM_LEASE`) before calling SNS, so a message delivered twice sends once;
a failed send is marked `failed` and retried (by the queue, then by the
sweep from the release index), never lost silently. Only a sender that dies between its claim and its settle can
cause a second send, once its lease is over: a repeated SMS, not a lost one.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Callable, Iterable

from ..adapters.clock import to_storage
from ..domain.identity import is_mobile
from ..domain.notices import CLAIMABLE, Notice, NoticeKind, Recipient
from ..domain.notices import NotificationStatus as Status
from ..domain.notices import is_quiet, keeps_quiet_hours, next_send_time, render
from ..observability import logger
from .ports import Clock, NotificationOutbox, Publisher, SmsSender

STRAGGLER_GRACE = dt.timedelta(minutes=1)
"""A pending notification not sent this long after it was stored is sent by the sweep."""
RETRY_AFTER_FAILURE = dt.timedelta(minutes=5)
CLAIM_LEASE = dt.timedelta(minutes=5)
"""How long a claimed SMS is left to its sender: longer than any function that sends runs (the
notify function 30 s, a sweep 240 s). A sender that dies between claim and settle leaves it
`sending`; once the lease is over the record is due on the release index again, and the next
sweep sends it (at least once: if SNS had taken it before the sender died, twice)."""


ORG_OUTBOX_PREFIX = "ORG#"


def org_outbox(org_id: str) -> str:
    """The outbox partition of an org's SMS bound to no case, beside the cases' own (case ids
    start with `HW`): the sender, the release index and the listings treat it as a case's."""
    return f"{ORG_OUTBOX_PREFIX}{org_id}"


def _stored(partition: str, sort_key: str, kind: NoticeKind, phone: str | None, text: str, now: dt.datetime,
            keeps_quiet: bool, **extra: Any) -> dict[str, Any]:
    """A notification record as stored: `suppressed` without a mobile number to send to,
    `deferred` to 08:00 if it falls in quiet hours and keeps them, else `pending`."""
    if not phone or not is_mobile(phone):
        status = Status.SUPPRESSED
    elif keeps_quiet and is_quiet(now):
        status = Status.DEFERRED
    else:
        status = Status.PENDING
    release = {Status.PENDING: now + STRAGGLER_GRACE, Status.DEFERRED: next_send_time(now)}.get(status)
    return {"case_id": partition, "sk": sort_key, "kind": kind.value, "to": phone, "text": text,
            "status": status.value, "created_at": to_storage(now), "sent_at": None,
            "release_at": to_storage(release) if release else None, "keeps_quiet_hours": keeps_quiet, **extra}


def enqueue(publisher: Publisher, records: list[dict[str, Any]]) -> None:
    """Put the pending ones of stored SMS records on the notify queue, 10 per call. A lost
    publish loses no SMS: the records stay pending and the sweep sends stragglers."""
    messages = [{"case_id": r["case_id"], "sk": r["sk"]} for r in records if r["status"] == Status.PENDING]
    if not messages:
        return
    try:
        publisher.publish_batch("notify", messages)
    except Exception:  # noqa: BLE001 - the records stay pending; the sweep sends stragglers
        logger.exception("notify publish failed", extra={"count": len(messages)})


class SendFailed(Exception):
    """SNS refused or failed: the queue message is retried."""


class Notifier:
    def __init__(self, outbox: NotificationOutbox, publisher: Publisher, sender: SmsSender, clock: Clock):
        self._outbox = outbox
        self._publisher = publisher
        self._sender = sender
        self._clock = clock

    def plan(self, case, notices: Iterable[Notice], now: dt.datetime,
             org_of: Callable[[str], Any], mediator_of: Callable[[str], Any]) -> list[dict[str, Any]]:
        """The notification records of `notices`, not yet stored. Each goes to the phone of its
        recipient (`RECIPIENTS`): the head of the org it names, or the mediator it names, looked
        up with `org_of` / `mediator_of` (the caller's directory reads, cached as it likes), or
        the case's applicant, or the leader sponsoring it."""
        records = []
        for notice in notices:
            org = org_of(notice.org_id) if notice.org_id else None
            if notice.recipient is Recipient.MEDIATOR:
                mediator = mediator_of(notice.mediator_id) if notice.mediator_id else None
                phone = mediator.phone if mediator else None
            elif notice.recipient is Recipient.APPLICANT:
                phone = case.applicant_phone
            elif notice.recipient is Recipient.SPONSOR:
                phone = case.sponsor.leader_phone if case.sponsor else None
            else:
                phone = org.head_phone if org else None
            values = {"due": notice.due} if notice.due is not None else {}
            records.append(self._record(case, notice.kind, phone, now, org_name=org.name if org else "",
                                        **dict(notice.details), **values))
        return records

    @staticmethod
    def _record(case, kind: NoticeKind, phone: str | None, now: dt.datetime, **values: Any) -> dict[str, Any]:
        text = render(kind, case_id=case.case_id, category=case.category, title=case.title,
                      public_code=case.public_code, **values)
        sort_key = f"NTF#{to_storage(now)}#{kind.value}#{secrets.token_hex(3)}"
        return _stored(case.case_id, sort_key, kind, phone, text, now, keeps_quiet_hours(case.risk_level))

    def plan_for_org(self, org, notice: Notice, now: dt.datetime, key: str, **values: Any) -> dict[str, Any]:
        """The record of an SMS about an org and bound to no case (`report_missing`), to the org's
        head, kept in the org's own outbox partition under `key`, which names what it is about:
        deciding it again gives the same record key, and `record_once` stores it once."""
        if notice.recipient is not Recipient.ORG_HEAD:
            raise ValueError(f"{notice.kind} goes to a mediator: it belongs to a case")
        text = render(notice.kind, org_name=org.name, due=notice.due, **values)
        return _stored(org_outbox(org.org_id), f"NTF#{key}", notice.kind, org.head_phone, text, now,
                       keeps_quiet_hours(None), org_id=org.org_id)

    def record_once(self, record: dict[str, Any]) -> bool:
        """Store a record planned with `plan_for_org`; False, and nothing written, if it is stored already."""
        return self._outbox.add_notification(record)

    def enqueue(self, records: list[dict[str, Any]]) -> None:
        """Ask the sender to send the pending ones (after their records are stored), 10 per call."""
        enqueue(self._publisher, records)

    def release(self, now: dt.datetime) -> int:
        """Send what the release index says is due: deferred SMS once quiet hours are over,
        pending ones whose queue message was lost, failed ones due for another try. In quiet
        hours only red cases' SMS go; the others wait for the first sweep at or after 08:00."""
        sent = 0
        quiet = is_quiet(now)
        for record in self._outbox.notifications_to_release(now):
            if quiet and record.get("keeps_quiet_hours", True):  # to the index again at 08:00
                self._outbox.postpone_notification(record["case_id"], record["sk"], CLAIMABLE, next_send_time(now))
                continue
            try:
                sent += self._send(record) == Status.SENT  # the index holds the whole record: no second read
            except SendFailed:
                continue  # marked failed with a later retry time
        return sent

    def deliver(self, case_id: str, sort_key: str) -> str:
        """Send one stored notification at most once. Returns its final status."""
        record = self._outbox.notification(case_id, sort_key)
        if record is None:
            logger.warning("notification not found", extra={"case_id": case_id})
            return "missing"
        return self._send(record)

    def _send(self, record: dict[str, Any]) -> str:
        """Claim, send and settle one notification record. A record another sender holds is left
        alone; one whose sender's lease is over is taken over. The lease runs on the clock, not on
        a sweep's `as_of`, so no sweep can take over a live claim."""
        case_id, sort_key = record["case_id"], record["sk"]
        claimed_at = self._clock()
        held_until = claimed_at + CLAIM_LEASE
        if record["status"] not in CLAIMABLE + (Status.SENDING,) or not self._outbox.claim_notification(
                case_id, sort_key, CLAIMABLE, claimed_at, held_until):
            return record["status"]
        if not record.get("to") or record.get("text") is None:  # its text or recipient erased (§16): none to send
            self._settle(record, Status.SUPPRESSED, None, held_until)
            return Status.SUPPRESSED
        try:
            self._sender.send(record["to"], record["text"])
        except Exception as exc:
            self._settle(record, Status.FAILED, None, held_until, retry_at=self._clock() + RETRY_AFTER_FAILURE)
            logger.warning("sms send failed", extra={"case_id": case_id, "kind": record["kind"],
                                                     "error": type(exc).__name__})
            raise SendFailed(record["kind"]) from exc
        self._settle(record, Status.SENT, self._clock(), held_until)
        logger.info("sms sent", extra={"case_id": case_id, "kind": record["kind"]})
        return Status.SENT

    def _settle(self, record: dict[str, Any], status: Status, sent_at: dt.datetime | None, held_until: dt.datetime,
                retry_at: dt.datetime | None = None) -> None:
        if not self._outbox.settle_notification(record["case_id"], record["sk"], status, sent_at, held_until,
                                                retry_at=retry_at):
            logger.warning("sms settled by another sender: this one's lease was over",
                           extra={"case_id": record["case_id"], "kind": record["kind"], "status": str(status)})
