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

Only the notify queue's sender sends. A sweep enqueues the notices of its run to one number of
one kind as one message, which goes as one digest SMS (汇总短信, `sms_templates.DIGESTS`), each
case's record showing the digest it went in. The sender keeps the frequency limits per number
and kind (`domain.sms_limits`): what they hold back is `deferred` to the slot it was given, and
goes then (a delayed queue message, or the release index), with what waits for that slot; SMS
about red cases are never held. Each record keeps the provider's receipt (BizId, SerialNo,
SNS MessageId), or its error code when the send failed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from functools import cached_property
from typing import Any, Callable, Iterable

from ..adapters.clock import from_storage, to_storage
from ..domain.errors import SmsRefused
from ..domain.identity import is_mobile
from ..domain.notices import CLAIMABLE, Notice, NoticeKind, Recipient
from ..domain.notices import NotificationStatus as Status
from ..domain.notices import is_quiet, keeps_quiet_hours, next_send_time
from ..domain.sms_limits import FrequencyLimit, Key, Reservation, SendLedger, default_limits
from ..domain.sms_templates import (DIGESTS, SIGN_NAME, TEMPLATES, digest_name, has_digest, parameters,
                                    text_of)
from ..observability import logger
from .ports import Clock, NotificationOutbox, Publisher, SendLedgers, SmsMessage, SmsSender

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


GROUP_LIMIT = 100
"""Records in one queue message (one BatchGetItem): a digest of more goes as several."""
MAX_QUEUE_DELAY = dt.timedelta(seconds=900)
"""SQS's longest per-message delay: a message held longer goes back by the release index."""
LEDGER_ATTEMPTS = 5


def _stored(partition: str, sort_key: str, kind: NoticeKind, phone: str | None, now: dt.datetime,
            keeps_quiet: bool, **extra: Any) -> dict[str, Any]:
    """A notification record as stored, with `extra` (its text, template, parameters and order
    in a digest, from `Notifier._content`): `suppressed` without a mobile number to send to,
    `deferred` to 08:00 if it falls in quiet hours and keeps them, else `pending`."""
    if not phone or not is_mobile(phone):
        status = Status.SUPPRESSED
    elif keeps_quiet and is_quiet(now):
        status = Status.DEFERRED
    else:
        status = Status.PENDING
    release = {Status.PENDING: now + STRAGGLER_GRACE, Status.DEFERRED: next_send_time(now)}.get(status)
    return {"case_id": partition, "sk": sort_key, "kind": kind.value, "to": phone,
            "status": status.value, "created_at": to_storage(now), "sent_at": None,
            "release_at": to_storage(release) if release else None, "keeps_quiet_hours": keeps_quiet, **extra}


def _key(record: dict[str, Any]) -> Key:
    return record["case_id"], record["sk"]


def _urgent(record: dict[str, Any]) -> bool:
    """An SMS about a red case: never deferred, held or combined."""
    return not record.get("keeps_quiet_hours", True)


def groups(records: Iterable[dict[str, Any]], combine: bool) -> list[list[dict[str, Any]]]:
    """The messages `records` go in: with `combine` (a sweep's run), those to one number of one kind
    that has a digest, none urgent, together (up to `GROUP_LIMIT` each); every other one alone."""
    together: dict[tuple[str, str], list[dict[str, Any]]] = {}
    alone: list[list[dict[str, Any]]] = []
    for record in records:
        if combine and record.get("to") and has_digest(record["kind"]) and not _urgent(record):
            together.setdefault((record["to"], record["kind"]), []).append(record)
        else:
            alone.append([record])
    chunks = [group[i:i + GROUP_LIMIT] for group in together.values() for i in range(0, len(group), GROUP_LIMIT)]
    return chunks + alone


def message_of(group: list[dict[str, Any]]) -> dict[str, Any]:
    """The notify queue's body for one message: one record's key, or the keys of a digest's."""
    if len(group) == 1:
        return {"case_id": group[0]["case_id"], "sk": group[0]["sk"]}
    return {"notifications": [list(_key(record)) for record in group]}


def keys_of(body: dict[str, Any]) -> list[Key]:
    if "notifications" in body:
        return [(case_id, sort_key) for case_id, sort_key in body["notifications"]]
    return [(body["case_id"], body["sk"])]


def enqueue(publisher: Publisher, records: list[dict[str, Any]], combine: bool = False,
            statuses: tuple[str, ...] = (Status.PENDING,)) -> int:
    """Put stored SMS records (those in `statuses`: the pending ones) on the notify queue, 10
    messages per call; `combine` as in `groups`. A lost publish loses no SMS: the records stay
    on the release index and the sweep enqueues them again. Returns the messages published."""
    messages = [message_of(group) for group in groups((r for r in records if r["status"] in statuses), combine)]
    if not messages:
        return 0
    try:
        publisher.publish_batch("notify", messages)
    except Exception:  # noqa: BLE001 - the records stay pending; the sweep sends stragglers
        logger.exception("notify publish failed", extra={"count": len(messages)})
        return 0
    return len(messages)


def recipient_key(secret_key: bytes, phone: str) -> str:
    """A number's key in the send ledgers: a keyed hash, so the ledgers hold no phone number."""
    return hmac.new(secret_key, f"sms:{phone}".encode(), hashlib.sha256).hexdigest()[:40]


class SendFailed(Exception):
    """The provider refused or could not be reached: the queue message is retried."""


class Notifier:
    def __init__(self, outbox: NotificationOutbox, publisher: Publisher, sender: Callable[[], SmsSender],
                 clock: Clock, ledgers: SendLedgers | None = None, recipient_key: Callable[[str], str] | None = None,
                 limits: tuple[FrequencyLimit, ...] = default_limits(), sign_name: str = SIGN_NAME):
        """`sender` gives the provider's sender when the first SMS is sent (only the notify queue's
        function sends: the others never load a provider's SDK). `ledgers` and `recipient_key` (a
        keyed hash of a phone) keep the frequency limits; without them nothing is held.
        `sign_name`: the signature the texts start with (【和为贵】)."""
        self._outbox = outbox
        self._publisher = publisher
        self._sender_of = sender
        self._clock = clock
        self._ledgers = ledgers
        self._recipient_key = recipient_key
        self._limits = limits
        self._sign_name = sign_name

    @cached_property
    def _sender(self) -> SmsSender:
        return self._sender_of()

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

    def _content(self, kind: NoticeKind, values: dict[str, Any]) -> dict[str, Any]:
        """A record's template, its parameters and its text, and the order it takes in a digest
        (by the moment or day it names: the one due first leads)."""
        template = TEMPLATES[kind]
        params = parameters(template, values)
        due = values.get("due")
        order = to_storage(due) if isinstance(due, dt.datetime) else (due.isoformat() if due is not None else "")
        return {"text": text_of(template, params, self._sign_name), "template": str(kind),
                "params": [list(pair) for pair in params], "order": order}

    def _record(self, case, kind: NoticeKind, phone: str | None, now: dt.datetime, **values: Any) -> dict[str, Any]:
        content = self._content(kind, {"case_id": case.case_id, "category": case.category, "title": case.title,
                                       "public_code": case.public_code, **values})
        sort_key = f"NTF#{to_storage(now)}#{kind.value}#{secrets.token_hex(3)}"
        return _stored(case.case_id, sort_key, kind, phone, now, keeps_quiet_hours(case.risk_level), **content)

    def plan_for_org(self, org, notice: Notice, now: dt.datetime, key: str, **values: Any) -> dict[str, Any]:
        """The record of an SMS about an org and bound to no case (`report_missing`), to the org's
        head, kept in the org's own outbox partition under `key`, which names what it is about:
        deciding it again gives the same record key, and `record_once` stores it once."""
        if notice.recipient is not Recipient.ORG_HEAD:
            raise ValueError(f"{notice.kind} goes to a mediator: it belongs to a case")
        content = self._content(notice.kind, {"org_name": org.name, "due": notice.due, **values})
        return _stored(org_outbox(org.org_id), f"NTF#{key}", notice.kind, org.head_phone, now,
                       keeps_quiet_hours(None), org_id=org.org_id, **content)

    def record_once(self, record: dict[str, Any]) -> bool:
        """Store a record planned with `plan_for_org`; False, and nothing written, if it is stored already."""
        return self._outbox.add_notification(record)

    def enqueue(self, records: list[dict[str, Any]], combine: bool = False) -> int:
        """Ask the sender to send the pending ones (after their records are stored), 10 messages
        per call; `combine` (a sweep's run): those to one number of one kind as one digest."""
        return enqueue(self._publisher, records, combine)

    def release(self, now: dt.datetime) -> int:
        """Enqueue what the release index says is due, combined as a sweep's run is: deferred SMS
        once quiet hours are over or their slot has come, pending ones whose queue message was
        lost, failed ones due for another try, claims whose sender's lease is over. In quiet
        hours only red cases' SMS go; the others wait for the first sweep at or after 08:00.
        Returns how many records it enqueued."""
        quiet = is_quiet(now)
        due = []
        for record in self._outbox.notifications_to_release(now):
            if quiet and record.get("keeps_quiet_hours", True):  # to the index again at 08:00
                self._outbox.postpone_notification(record["case_id"], record["sk"], CLAIMABLE, next_send_time(now))
                continue
            # off the index for the straggler's grace while its message is on the queue: the next
            # sweep does not enqueue it again (a claim whose lease is over keeps its lease's time)
            if record["status"] == Status.SENDING or self._outbox.postpone_notification(
                    record["case_id"], record["sk"], CLAIMABLE, now + STRAGGLER_GRACE):
                due.append(record)
        enqueue(self._publisher, due, combine=True, statuses=CLAIMABLE + (Status.SENDING,))
        return len(due)

    def deliver(self, case_id: str, sort_key: str) -> str:
        """Send one stored notification at most once. Returns its final status."""
        return self.deliver_message({"case_id": case_id, "sk": sort_key})

    def deliver_message(self, body: dict[str, Any]) -> str:
        """Send what a notify queue message names (one record, or a digest's), each record at most
        once. Returns the status its records are left in."""
        keys = keys_of(body)
        records = self._outbox.notifications_of(keys) if len(keys) > 1 else [
            r for r in [self._outbox.notification(*keys[0])] if r is not None]
        if not records:
            logger.warning("notification not found", extra={"case_id": keys[0][0]})
            return "missing"
        statuses = [self._send(group) for group in self._split(records)]
        return statuses[0]

    @staticmethod
    def _split(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """A message's records by number and kind (a digest's are all one; this keeps it so)."""
        by: dict[tuple[Any, str], list[dict[str, Any]]] = {}
        for record in records:
            by.setdefault((record.get("to"), record["kind"]), []).append(record)
        return list(by.values())

    def _claim(self, records: list[dict[str, Any]], now: dt.datetime, held_until: dt.datetime) -> list[dict[str, Any]]:
        """The records this sender takes (a conditional write each); those another holds or that
        are settled are left alone. The lease runs on the clock, not on a sweep's `as_of`."""
        return [record for record in records
                if record["status"] in CLAIMABLE + (Status.SENDING,)
                and self._outbox.claim_notification(record["case_id"], record["sk"], CLAIMABLE, now, held_until)]

    def _send(self, records: list[dict[str, Any]]) -> str:
        """Claim, send and settle the records of one message to one number."""
        now = self._clock()
        held_until = now + CLAIM_LEASE
        claimed = self._claim(records, now, held_until)
        if not claimed:
            return records[0]["status"]
        group = []
        for record in claimed:
            if not record.get("to") or record.get("text") is None:  # its text or recipient erased (§16)
                self._settle(record, Status.SUPPRESSED, None, held_until)
            else:
                group.append(record)
        if not group:
            return Status.SUPPRESSED
        urgent = any(_urgent(record) for record in group)
        reservation = None
        if not urgent and self._ledgers is not None and self._recipient_key is not None:
            try:
                reservation = self._reserve(group, now)
            except Exception:
                self._fail(group, held_until, "ledger_unavailable")
                raise
            if reservation.held:
                return self._hold(group, reservation, now, held_until)
            group += self._taken_along(group, reservation.taking, now, held_until)
        message = self._message(group)
        try:
            receipt = self._sender.send(message)
        except Exception as exc:
            if reservation is not None:
                self._give_back(group, reservation.at)
            code = exc.code if isinstance(exc, SmsRefused) else type(exc).__name__
            built = self.__dict__.get("_sender")  # None if building it failed (its settings or credentials)
            self._fail(group, held_until, code, provider=getattr(built, "provider", None))
            logger.warning("sms send failed", extra={"case_id": group[0]["case_id"], "kind": group[0]["kind"],
                                                     "error": code, "records": len(group)})
            raise SendFailed(group[0]["kind"]) from exc
        sent_at = self._clock()
        outcome: dict[str, Any] = {"provider": receipt.provider, "message_id": receipt.message_id, "error_code": None}
        if len(group) > 1:
            outcome["sent_as"] = {"template": message.template, "count": len(group), "text": message.text}
        for record in group:
            self._settle(record, Status.SENT, sent_at, held_until, outcome=outcome)
        logger.info("sms sent", extra={"case_id": group[0]["case_id"], "kind": group[0]["kind"],
                                       "records": len(group), "provider": receipt.provider})
        return Status.SENT

    def _message(self, group: list[dict[str, Any]]) -> SmsMessage:
        """One record's own template and text; for several, the kind's digest: how many, and the
        one due first."""
        first = min(group, key=lambda record: (record.get("order") or "", record["sk"]))
        if len(group) == 1:
            params = tuple((name, value) for name, value in first.get("params") or ())
            return SmsMessage(phone=first["to"], template=first.get("template") or first["kind"], params=params,
                              text=first["text"])
        template = DIGESTS[first["kind"]]
        values = {"case_id": first["case_id"], "org_name": "", "due": "", **dict(first.get("params") or ()),
                  "count": len(group)}
        params = parameters(template, values)
        return SmsMessage(phone=first["to"], template=digest_name(first["kind"]), params=params,
                          text=text_of(template, params, self._sign_name))

    # ----------------------------------------------------------- frequency limits

    def _reserve(self, group: list[dict[str, Any]], now: dt.datetime) -> Reservation:
        """The ledger's decision for this message."""
        kind = group[0]["kind"]
        slots = sorted(from_storage(r["slot_at"]) for r in group if r.get("slot_at"))
        keys = [_key(record) for record in group]

        def decide(ledger: SendLedger) -> tuple[SendLedger, Reservation]:
            if slots:  # it was given a slot when it was held: it comes back for it
                return ledger.take_slot(slots[0], now, self._limits)
            return ledger.reserve(now, self._limits, keys, joinable=has_digest(kind))

        return self._change_ledger(group[0]["to"], kind, decide, now)

    def _give_back(self, group: list[dict[str, Any]], slot: dt.datetime) -> None:
        """A send the provider did not take gives its slot back (its retry takes a new one)."""
        try:
            self._change_ledger(group[0]["to"], group[0]["kind"], lambda ledger: (ledger.give_back(slot), None), slot)
        except Exception:  # noqa: BLE001 - a slot not given back only delays the retry
            logger.exception("sms slot not given back")

    def _change_ledger(self, phone: str, kind: str, decide: Callable[[SendLedger], tuple[SendLedger, Any]],
                       now: dt.datetime) -> Any:
        """Read the ledger of `phone` and `kind`, let `decide` change it, and store the change with a
        conditional put (read again and decided again if another sender wrote meanwhile); returns
        what `decide` decided."""
        recipient = self._recipient_key(phone)
        for _ in range(LEDGER_ATTEMPTS):
            entry = self._ledgers.read(recipient, kind)
            ledger, decision = decide(entry.ledger)
            if ledger == entry.ledger or self._ledgers.write(recipient, kind, entry, ledger,
                                                             keep_until=ledger.kept_until(self._limits, now)):
                return decision
        raise RuntimeError("the send ledger kept changing")

    def _hold(self, group: list[dict[str, Any]], reservation: Reservation, now: dt.datetime,
              held_until: dt.datetime) -> str:
        """Deferred to its slot: on the release index then, and, if the slot is its own and within
        SQS's delay, a queue message for it."""
        slot = to_storage(reservation.at)
        quiet = is_quiet(reservation.at)  # a slot in quiet hours: it waits for the first sweep at 08:00
        release = next_send_time(reservation.at) if quiet else reservation.at
        for record in group:
            self._settle(record, Status.DEFERRED, None, held_until, retry_at=release, outcome={"slot_at": slot})
        wait = reservation.at - now
        if not reservation.joined and not quiet and wait <= MAX_QUEUE_DELAY:
            try:
                self._publisher.publish("notify", message_of(group), delay_seconds=max(1, int(wait.total_seconds()) + 1))
            except Exception:  # noqa: BLE001 - on the release index at its slot: the sweep enqueues it
                logger.exception("notify publish failed")
        logger.info("sms held by the frequency limits", extra={"case_id": group[0]["case_id"], "kind": group[0]["kind"],
                                                               "records": len(group), "until": slot})
        return Status.DEFERRED

    def _taken_along(self, group: list[dict[str, Any]], keys: tuple[Key, ...], now: dt.datetime,
                     held_until: dt.datetime) -> list[dict[str, Any]]:
        """The records that waited for this slot, claimed to go in this message."""
        mine = {_key(record) for record in group}
        wanted = [key for key in keys if key not in mine][:GROUP_LIMIT]
        if not wanted:
            return []
        to, kind = group[0]["to"], group[0]["kind"]
        found = [r for r in self._outbox.notifications_of(wanted) if r.get("to") == to and r["kind"] == kind
                 and r.get("text") is not None]
        return self._claim(found, now, held_until)

    def _fail(self, group: list[dict[str, Any]], held_until: dt.datetime, code: str,
              provider: str | None = None) -> None:
        retry_at = self._clock() + RETRY_AFTER_FAILURE
        outcome = {"error_code": code, **({"provider": provider} if provider else {})}
        for record in group:
            self._settle(record, Status.FAILED, None, held_until, retry_at=retry_at, outcome=outcome)

    def _settle(self, record: dict[str, Any], status: Status, sent_at: dt.datetime | None, held_until: dt.datetime,
                retry_at: dt.datetime | None = None, outcome: dict[str, Any] | None = None) -> None:
        if not self._outbox.settle_notification(record["case_id"], record["sk"], status, sent_at, held_until,
                                                retry_at=retry_at, record={**record, **outcome} if outcome else None):
            logger.warning("sms settled by another sender: this one's lease was over",
                           extra={"case_id": record["case_id"], "kind": record["kind"], "status": str(status)})
