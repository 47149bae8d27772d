"""Count DynamoDB calls and items read with botocore event hooks (not by hand).

Every DynamoDB client the service uses (PynamoDB's per-model connections and
the case and attachment stores' transaction connections) gets an `after-call.dynamodb`
handler that records the operation and, for reads, the `ScannedCount` (or
`Count`) DynamoDB reports; a `before-parameter-build.dynamodb` handler notes the
table and index each call names, so calls and items can be told apart by target
("Query cases/by_place", "GetItem directory").
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Meter:
    calls: Counter = field(default_factory=Counter)
    items_read: int = 0
    pages: int = 0
    items_by_operation: Counter = field(default_factory=Counter)
    """Items read, by the operation that read them (Query, Scan, GetItem, BatchGetItem)."""
    calls_by_target: Counter = field(default_factory=Counter)
    """Calls by operation and the table (and index) they name: "Query cases/by_place"."""
    items_by_target: Counter = field(default_factory=Counter)
    response_bytes: Counter = field(default_factory=Counter)
    """Bytes of the responses (DynamoDB JSON on the wire), by operation."""
    transact_items: int = 0
    """Items (puts, updates, condition checks) in the TransactWriteItems calls."""

    def on_parameters(self, params, context, **kwargs) -> None:
        prefix = os.environ.get("HEWEI_RESOURCE_PREFIX", "")
        tables = [params["TableName"]] if "TableName" in params else sorted(params.get("RequestItems", ()))
        names = [t[len(prefix):] if prefix and t.startswith(prefix) else t for t in tables]
        index = params.get("IndexName")
        context["meter_target"] = ",".join(names) + (f"/{index}" if index else "")
        context["meter_transact_items"] = len(params.get("TransactItems", ()))

    def on_call(self, http_response, parsed, model, context=None, **kwargs) -> None:
        self.calls[model.name] += 1
        target = (context or {}).get("meter_target")
        target = f"{model.name} {target}" if target else model.name
        self.calls_by_target[target] += 1
        self.response_bytes[model.name] += len(getattr(http_response, "content", b"") or b"")
        self.transact_items += (context or {}).get("meter_transact_items", 0)
        items = 0
        if model.name in ("Query", "Scan"):
            self.pages += 1
            items = int(parsed.get("ScannedCount", parsed.get("Count", 0)))
        elif model.name == "GetItem":
            items = int("Item" in parsed)
        elif model.name == "BatchGetItem":
            items = sum(len(rows) for rows in parsed.get("Responses", {}).values())
        if items:
            self.items_read += items
            self.items_by_operation[model.name] += items
            self.items_by_target[target] += items

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0
        self.pages = 0
        self.items_by_operation.clear()
        self.calls_by_target.clear()
        self.items_by_target.clear()
        self.response_bytes.clear()
        self.transact_items = 0


def _clients():
    from chalicelib import wiring
    from chalicelib.adapters.models import ALL_MODELS

    seen = set()
    for model in ALL_MODELS:
        client = model._get_connection().connection.client
        if id(client) not in seen:
            seen.add(id(client))
            yield client
    for store in (wiring.current().case_store, wiring.current().attachment_store):  # their transactions
        client = store.connection.client
        if id(client) not in seen:
            seen.add(id(client))
            yield client


@contextmanager
def metered():
    """Yield a Meter counting every DynamoDB call the service makes meanwhile."""
    meter = Meter()
    clients = list(_clients())
    for client in clients:
        client.meta.events.register("before-parameter-build.dynamodb", meter.on_parameters)
        client.meta.events.register("after-call.dynamodb", meter.on_call)
    try:
        yield meter
    finally:
        for client in clients:
            client.meta.events.unregister("before-parameter-build.dynamodb", meter.on_parameters)
            client.meta.events.unregister("after-call.dynamodb", meter.on_call)
