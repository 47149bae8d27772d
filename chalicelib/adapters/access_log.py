"""The access audit's records in DynamoDB: items `AUD#<time>#<random>` in the case-items
partition of the case they are about (ledger exports in `AUDIT#ledger`).

A read writes its records in one round trip: a single record is one PutItem (no condition:
the random suffix makes the key new); a list page's records are one TransactWriteItems of up
to 100 (the default page of 50 is one call; a page of 200 two). Either all of a call's records
are stored or none, and a failure raises, so the read fails closed (503) instead of answering
unaudited.
"""

from __future__ import annotations

from typing import Sequence

from pynamodb.transactions import TransactWrite

from ..domain.audit import AccessKind, AccessRecord, Revealed
from ..domain.errors import InvalidCursor
from .clock import from_storage, to_storage
from .cursors import decode_cursor, encode_cursor
from .models import CaseItemModel
from .transactions import TransactingStore

AUDIT_PREFIX = "AUD#"
AUDIT_ITEM_TYPE = "access"
TRANSACTION_ITEMS = 100
"""DynamoDB's limit of items in one TransactWriteItems."""


def record_sort_key(record: AccessRecord) -> str:
    return f"{AUDIT_PREFIX}{to_storage(record.at)}#{record.record_id}"


def record_to_model(record: AccessRecord) -> CaseItemModel:
    detail = {"kind": record.kind.value, "purpose": record.purpose, "phones": record.revealed.phones,
              "id_numbers": record.revealed.id_numbers, "files": record.revealed.files, **record.detail}
    return CaseItemModel(record.case_id, record_sort_key(record), type=AUDIT_ITEM_TYPE, at=to_storage(record.at),
                         actor=record.actor, detail=detail)


def record_from_model(item: CaseItemModel) -> AccessRecord:
    detail = dict(item.detail or {})
    kind = AccessKind(detail.pop("kind"))
    purpose = detail.pop("purpose", None)
    revealed = Revealed(int(detail.pop("phones", 0)), int(detail.pop("id_numbers", 0)), int(detail.pop("files", 0)))
    return AccessRecord(item.case_id, from_storage(item.at), item.actor or "", kind, revealed, purpose, detail,
                        item.sk.rsplit("#", 1)[-1])


class DynamoAccessLog(TransactingStore):
    def write(self, records: Sequence[AccessRecord]) -> None:
        if len(records) == 1:
            record_to_model(records[0]).save()
            return
        for start in range(0, len(records), TRANSACTION_ITEMS):
            with TransactWrite(connection=self.connection) as transaction:
                for record in records[start:start + TRANSACTION_ITEMS]:
                    transaction.save(record_to_model(record))

    def of_case(self, partition: str, limit: int, cursor: str | None) -> tuple[list[AccessRecord], str | None]:
        start_key = decode_cursor(cursor) if cursor else None
        if start_key is not None and (
                set(start_key) != {"case_id", "sk"} or start_key["case_id"]["S"] != partition
                or not start_key["sk"]["S"].startswith(AUDIT_PREFIX)):
            raise InvalidCursor("cursor is not valid for this list")
        page = CaseItemModel.query(partition, CaseItemModel.sk.startswith(AUDIT_PREFIX), scan_index_forward=False,
                                   limit=limit, last_evaluated_key=start_key)
        records = [record_from_model(item) for item in page]
        last = page.last_evaluated_key
        return records, encode_cursor(last) if last and len(records) == limit else None
