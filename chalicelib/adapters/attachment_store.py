"""Attachment records (证据材料) in DynamoDB, in their case's partition of the case-items table.

- `ATT#<attachment_id>`: one attachment; `status` on the item (the settle
  is conditional on it being `pending`), the rest of the record in `detail`.
- `ATTACHMENTS`: the places of the case's limit taken (`held`: pending and
  stored attachments). A new attachment adds one in the same transaction as
  its record, on the condition that fewer than the limit are held, so that
  concurrent uploads cannot go past it; a rejected one takes one off in the
  transaction that settles it.

Each write puts its timeline event in the same transaction.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.attachments import Attachment, AttachmentKind, AttachmentStatus, RejectReason
from ..domain.case import Event
from ..domain.errors import AttachmentLimitReached
from .case_mapping import event_to_model
from .clock import from_storage, to_storage
from .models import CaseItemModel
from .transactions import TransactingStore, transaction_attempts

CREATE_COUNTER_POSITION = 2
SETTLE_RECORD_POSITION = 1
"""Where an item is among a transaction's cancellation reasons: PynamoDB sends the puts first (in
order), then the updates; creating puts the record and the event and updates the counter,
settling puts the event and updates the record (and the counter)."""
ATTACHMENT_PREFIX = "ATT#"
COUNTER_SORT_KEY = "ATTACHMENTS"
"""Not under `ATT#`: a case's attachments are one Query of that prefix, without the counter."""


def _failed_condition(reasons: list, position: int) -> bool:
    return position < len(reasons) and reasons[position] is not None and \
        reasons[position].code == "ConditionalCheckFailed"


def _detail(attachment: Attachment) -> dict[str, Any]:
    return {"kind": attachment.kind.value, "filename": attachment.filename, "content_type": attachment.content_type,
            "size_bytes": attachment.size_bytes, "sha256": attachment.sha256,
            "reason": attachment.reason.value if attachment.reason else None,
            "settled_at": to_storage(attachment.settled_at) if attachment.settled_at else None}


def attachment_to_model(attachment: Attachment) -> CaseItemModel:
    return CaseItemModel(attachment.case_id, f"{ATTACHMENT_PREFIX}{attachment.attachment_id}", type="attachment",
                         at=to_storage(attachment.created_at), actor=attachment.created_by,
                         status=attachment.status.value, detail=_detail(attachment))


def attachment_from_model(item: CaseItemModel) -> Attachment:
    detail = item.detail or {}
    return Attachment(
        attachment_id=item.sk[len(ATTACHMENT_PREFIX):], case_id=item.case_id, kind=AttachmentKind(detail["kind"]),
        filename=detail["filename"], content_type=detail["content_type"], size_bytes=int(detail["size_bytes"]),
        sha256=detail["sha256"], created_at=from_storage(item.at), created_by=item.actor or "",
        status=AttachmentStatus(item.status), reason=RejectReason(detail["reason"]) if detail.get("reason") else None,
        settled_at=from_storage(detail.get("settled_at")))


class AttachmentStore(TransactingStore):
    """Attachment records (证据材料) in their case's partition of `case-items`."""

    def create(self, attachment: Attachment, event: Event, limit: int) -> None:
        """One transaction: the record (new), a place of the limit taken, the event."""
        counter = CaseItemModel(attachment.case_id, COUNTER_SORT_KEY)
        try:
            for attempt in transaction_attempts():
                with attempt, TransactWrite(connection=self.connection,
                                            client_request_token=attempt.request_token) as transaction:
                    transaction.save(attachment_to_model(attachment), condition=CaseItemModel.sk.does_not_exist())
                    transaction.update(counter, actions=[
                        CaseItemModel.held.add(1), CaseItemModel.type.set("attachment_places"),
                        CaseItemModel.at.set(to_storage(attachment.created_at))],
                        condition=CaseItemModel.held.does_not_exist() | (CaseItemModel.held < limit))
                    transaction.save(event_to_model(attachment.case_id, event, 0))
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            if _failed_condition(reasons, CREATE_COUNTER_POSITION):
                raise AttachmentLimitReached(attachment.case_id) from exc
            raise

    def settle(self, settled: Attachment, event: Event) -> bool:
        """One transaction: the outcome (if the record is pending still), the place given back for
        a rejected one, the event. False when the record was no longer pending."""
        key = CaseItemModel(settled.case_id, f"{ATTACHMENT_PREFIX}{settled.attachment_id}")
        try:
            for attempt in transaction_attempts():
                with attempt, TransactWrite(connection=self.connection,
                                            client_request_token=attempt.request_token) as transaction:
                    transaction.update(key, actions=[CaseItemModel.status.set(settled.status.value),
                                                     CaseItemModel.detail.set(_detail(settled))],
                                       condition=CaseItemModel.status == AttachmentStatus.PENDING.value)
                    if settled.status is AttachmentStatus.REJECTED:
                        transaction.update(CaseItemModel(settled.case_id, COUNTER_SORT_KEY),
                                           actions=[CaseItemModel.held.add(-1)])
                    transaction.save(event_to_model(settled.case_id, event, 0))
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            if _failed_condition(reasons, SETTLE_RECORD_POSITION):
                return False
            raise
        return True

    def get(self, case_id: str, attachment_id: str) -> Attachment | None:
        try:
            return attachment_from_model(CaseItemModel.get(case_id, f"{ATTACHMENT_PREFIX}{attachment_id}",
                                                           consistent_read=True))
        except CaseItemModel.DoesNotExist:
            return None

    def of_case(self, case_id: str) -> list[Attachment]:
        """One Query of the case's `ATT#` items (ids start with the day: about oldest first),
        in the order they were created."""
        items = CaseItemModel.query(case_id, CaseItemModel.sk.startswith(ATTACHMENT_PREFIX), consistent_read=True)
        return sorted(map(attachment_from_model, items), key=lambda a: (a.created_at, a.attachment_id))

    def held(self, case_id: str) -> int:
        """The places of the case's limit taken (for checks and the bench)."""
        try:
            return int(CaseItemModel.get(case_id, COUNTER_SORT_KEY, consistent_read=True).held or 0)
        except CaseItemModel.DoesNotExist:
            return 0

    def remove(self, attachment: Attachment) -> None:
        """The record deleted (the retention sweep, once its files are gone), with the place it
        held given back, in one transaction; nothing happens to a record gone already."""
        key = CaseItemModel(attachment.case_id, f"{ATTACHMENT_PREFIX}{attachment.attachment_id}")
        try:
            for attempt in transaction_attempts():
                with attempt, TransactWrite(connection=self.connection,
                                            client_request_token=attempt.request_token) as transaction:
                    transaction.delete(key, condition=CaseItemModel.sk.exists())  # first: deletes go first
                    if attachment.status is not AttachmentStatus.REJECTED:
                        transaction.update(CaseItemModel(attachment.case_id, COUNTER_SORT_KEY),
                                           actions=[CaseItemModel.held.add(-1)])
        except TransactWriteError as exc:
            if _failed_condition(exc.cancellation_reasons or [], 0):
                return
            raise
