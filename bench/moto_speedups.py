"""Bench-only shims for moto artefacts that would swamp the measurements.

1. moto re-measures a whole item's size on every attribute it sets (to
   enforce the 400 KB limit): quadratic in the attributes, about 8 ms per
   case item. The bench items are small; the check is switched off.
2. moto's TransactWriteItems deep-copies every table it touches before writing,
so it can roll back: O(table size) per transaction, where DynamoDB is
O(items in the transaction). With 100,000 cases that copy is all one would
measure. The shim checks every condition of the transaction first, against
the current state, and raises the same TransactionCanceledException if one
fails; only when all pass does it let moto write, without the backup copy.
Counts of calls and items read are unaffected. Tests do not use it.

3. `install_sqs()`, for benches that send thousands of messages to one queue:
moto builds every attribute of a queue, its message counts by walking every message, each
time a send reads one attribute (whether the queue deduplicates by content): O(queue
length) per message, where SQS is O(1). The shim answers that one attribute of a standard
queue without building the others.
4. (`install_fast_reads`, for benches that read many items) moto 5 serializes each
response by walking botocore's shape model, about 5 ms per case item, where a
DynamoDB read's result is already its wire form (attribute values as `{"S": …}`);
the shim writes it with `json.dumps`. Checked equal to moto's own output for
Query, Scan, GetItem and BatchGetItem of the service's items.
"""

from __future__ import annotations

import copy
import json


def install() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.exceptions import TransactionCanceledException
    from moto.dynamodb.comparisons import get_filter_expression

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        errors, failed = [], False
        for item in transact_items:
            _, op = next(iter(item.items()))
            table = self.get_table(op["TableName"])
            if "Key" in op:
                key = op["Key"]
            else:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            expression = op.get("ConditionExpression")
            if expression is not None and not get_filter_expression(
                    expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues"),
            ).expr(self.get_item(op["TableName"], key)):
                errors.append(("ConditionalCheckFailed", "The conditional request failed", None))
                failed = True
            else:
                errors.append((None, None, None))
        if failed:
            raise TransactionCanceledException(errors)
        real_deepcopy = models.copy.deepcopy
        models.copy = _NoTableCopy(real_deepcopy)
        try:
            return original(self, transact_items)
        finally:
            models.copy = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items

    from moto.dynamodb.models import dynamo_type

    dynamo_type.LimitedSizeDict.__setitem__ = dict.__setitem__


class _NoTableCopy:
    """Stands in for the `copy` module inside moto's DynamoDB models during a checked transaction."""

    def __init__(self, deepcopy):
        self._deepcopy = deepcopy

    def deepcopy(self, value, *args):
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else self._deepcopy(value, *args)


def install_sqs() -> None:
    from collections.abc import Mapping

    from moto.sqs.models import Queue

    build = Queue.attributes.fget

    class LazyAttributes(Mapping):
        """A queue's attributes, built only when one other than content deduplication is read."""

        def __init__(self, queue):
            self._queue = queue
            self._built = None

        def _all(self) -> dict:
            if self._built is None:
                self._built = build(self._queue)
            return self._built

        def __getitem__(self, name):
            if name == "ContentBasedDeduplication" and not self._queue.fifo_queue:
                raise KeyError(name)  # a standard queue has no such attribute
            return self._all()[name]

        def __iter__(self):
            return iter(self._all())

        def __len__(self) -> int:
            return len(self._all())

    Queue.attributes = property(LazyAttributes)
FAST_READS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})


def install_fast_reads() -> None:
    from moto.core.serialize import JSONSerializer

    original = JSONSerializer.serialize

    def serialize(self, result):
        if (self.service_model.service_name != "dynamodb" or self.operation_name not in FAST_READS
                or not isinstance(result, dict)):
            return original(self, result)
        response = self._create_default_response()
        response["body"] = json.dumps({key: value for key, value in result.items() if value is not None})
        response["headers"]["Content-Type"] = self._get_protocol_specific_content_type()
        return response

    JSONSerializer.serialize = serialize


def install_fast_queries() -> None:
    """5. (for benches whose partitions hold many items) moto answers a Query by walking every item
    of the table, then sorting the whole partition with its DynamoType comparisons, before it
    applies the key condition: O(table) and O(partition · log) per Query, where DynamoDB reads
    only the key range. The shim hands moto's query only the items of the queried partition (of
    the table or index) that satisfy the range condition, so moto sorts and pages those alone;
    the answer, its Count and ScannedCount are the same."""
    import inspect

    from moto.dynamodb.models.table import Table

    original = Table.query
    signature = inspect.signature(original)

    def query(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        hash_key, index_name = bound.arguments["hash_key"], bound.arguments.get("index_name")
        range_comparison, range_objs = bound.arguments["range_comparison"], bound.arguments["range_objs"]
        if index_name:
            index = self.get_index(index_name)
            hash_attr = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
            range_attr = next((k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"), None)
            value = hash_key.value
            candidates = [item for items in self.items.values()
                          for item in (items.values() if self.range_key_attr else [items])
                          if (key := item.attrs.get(hash_attr)) is not None and key.value == value]
        else:
            range_attr = self.range_key_attr
            partition = self.items.get(hash_key, {})
            candidates = list(partition.values()) if self.range_key_attr else [partition]
        if range_comparison and range_attr:
            candidates = [item for item in candidates if (key := item.attrs.get(range_attr)) is not None
                          and key.compare(range_comparison, range_objs)]
        all_items = self.all_items
        self.all_items = lambda: candidates
        try:
            return original(*bound.args, **bound.kwargs)
        finally:
            self.all_items = all_items

    Table.query = query
