"""The access audit's records in DynamoDB: items `AUD#<time>#<random>` in the case-items
partition of the case they are about (ledger exports in `AUDIT#ledger`).

A read writes its records in one round trip: a single record is one PutItem (no condition:
the random suffix makes the key new); a list page's records are BatchWriteItem calls of 25,
sent at once from threads (a page of 50 is two calls side by side, one round trip of wall
time), their unprocessed items sent again a few times. Whatever is left unstored raises, so
the read fails closed (503) instead of answering unaudited; records already stored for a read
that then failed stay (an audit that says more than was read is safe; one that says less is
not). BatchWriteItem rather than TransactWriteItems: half the write capacity (transactions
cost two units an item), and no all-or-none is needed for records that are only ever added.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from ..domain.audit import AccessKind, AccessRecord, Revealed
from ..domain.errors import InvalidCursor
from .clock import from_storage, to_storage
from .cursors import decode_cursor, encode_cursor
from .models import CaseItemModel

AUDIT_PREFIX = "AUD#"
AUDIT_ITEM_TYPE = "access"
BATCH_ITEMS = 25
"""DynamoDB's limit of items in one BatchWriteItem."""
BATCH_TRIES = 4
"""Sends of a batch's unprocessed items (throttled ones) before the write gives up."""


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


def _batch_write(client, table: str, requests: list[dict]) -> None:
    """One BatchWriteItem of up to 25 puts, its unprocessed items sent again (backing off)."""
    for attempt in range(BATCH_TRIES):
        if attempt:
            time.sleep(0.02 * 2 ** attempt)
        answer = client.batch_write_item(RequestItems={table: requests})
        requests = answer.get("UnprocessedItems", {}).get(table, [])
        if not requests:
            return
    raise RuntimeError(f"{len(requests)} access records not stored")


class DynamoAccessLog:
    def write(self, records: Sequence[AccessRecord]) -> None:
        if len(records) == 1:
            record_to_model(records[0]).save()
            return
        connection = CaseItemModel._get_connection()
        client, table = connection.connection.client, CaseItemModel.Meta.table_name
        batches = [[{"PutRequest": {"Item": record_to_model(record).serialize()}}
                    for record in records[start:start + BATCH_ITEMS]]
                   for start in range(0, len(records), BATCH_ITEMS)]
        if len(batches) == 1:
            _batch_write(client, table, batches[0])
            return
        with ThreadPoolExecutor(max_workers=len(batches)) as pool:
            for future in [pool.submit(_batch_write, client, table, batch) for batch in batches]:
                future.result()  # re-raises a batch's failure

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
