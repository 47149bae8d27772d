"""The SMS send ledgers (`domain.sms_limits`) in the keys table, one item per recipient and kind."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pynamodb.exceptions import PutError

from ..domain.sms_limits import LedgerEntry, SendLedger
from .clock import from_storage, to_storage
from .models import KeyModel, is_condition_failure

PREFIX = "SMS#"


def ledger_to_json(ledger: SendLedger) -> dict[str, Any]:
    return {"slots": [to_storage(slot) for slot in ledger.slots],
            "waiting": [list(key) for key in ledger.waiting],
            "waiting_slot": to_storage(ledger.waiting_slot) if ledger.waiting_slot else None}


def ledger_from_json(raw: dict[str, Any] | None) -> SendLedger:
    if not raw:
        return SendLedger()
    return SendLedger(slots=tuple(from_storage(slot) for slot in raw.get("slots", ())),
                      waiting=tuple((case_id, sort_key) for case_id, sort_key in raw.get("waiting", ())),
                      waiting_slot=from_storage(raw["waiting_slot"]) if raw.get("waiting_slot") else None)


class DynamoSendLedgers:
    def read(self, recipient: str, kind: str) -> LedgerEntry:
        try:
            item = KeyModel.get(f"{PREFIX}{recipient}", kind, consistent_read=True)
        except KeyModel.DoesNotExist:
            return LedgerEntry()
        # an item past its TTL that DynamoDB has not removed yet holds only slots the ledger prunes
        return LedgerEntry(ledger_from_json(item.ledger), int(item.revision or 0))

    def write(self, recipient: str, kind: str, read: LedgerEntry, ledger: SendLedger, keep_until: dt.datetime) -> bool:
        item = KeyModel(f"{PREFIX}{recipient}", kind, ledger=ledger_to_json(ledger), revision=read.revision + 1,
                        expires_at=keep_until)
        condition = KeyModel.pk.does_not_exist() if read.revision == 0 else KeyModel.revision == read.revision
        try:
            item.save(condition=condition)
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
