"""Count DynamoDB calls and items read with botocore event hooks (not by hand).

Every DynamoDB client the service uses (PynamoDB's per-model connections and
the case store's transaction connection) gets an `after-call.dynamodb`
handler that records the operation and, for reads, the `ScannedCount` (or
`Count`) DynamoDB reports.
"""

from __future__ import annotations

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

    def on_call(self, http_response, parsed, model, **kwargs) -> None:
        self.calls[model.name] += 1
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

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0
        self.pages = 0
        self.items_by_operation.clear()


def _clients():
    from chalicelib import wiring
    from chalicelib.adapters.models import ALL_MODELS

    seen = set()
    for model in ALL_MODELS:
        client = model._get_connection().connection.client
        if id(client) not in seen:
            seen.add(id(client))
            yield client
    client = wiring.current().case_store.connection.client
    if id(client) not in seen:
        yield client


@contextmanager
def metered():
    """Yield a Meter counting every DynamoDB call the service makes meanwhile."""
    meter = Meter()
    clients = list(_clients())
    for client in clients:
        client.meta.events.register("after-call.dynamodb", meter.on_call)
    try:
        yield meter
    finally:
        for client in clients:
            client.meta.events.unregister("after-call.dynamodb", meter.on_call)
