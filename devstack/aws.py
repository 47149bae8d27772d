"""The embedded AWS of the local stack: moto's threaded server, with DynamoDB made atomic.

DynamoDB applies each request atomically: a conditional write or a
transaction either happens whole or not at all, whatever else runs at the
same moment. moto's server handles requests on many threads, and its
DynamoDB backend does not lock: two conditional writes of the same version
can both pass their check, and a cancelled transaction rolls back by
restoring a copy of the table, which can undo another request's write made
in between. So the local stack would answer eight concurrent `accept`s with
more than one 200, or keep the events of a transaction it cancelled, which
AWS never does.

Here DynamoDB requests (and only those: SQS long polls must not hold up
anything) are served one at a time, as DynamoDB's own isolation would have
them. The handler code is the same as in the cloud.

Around that, a `StateGate` lets the local state be saved at a moment when no
request is half served (`devstack.state`).

And a transaction keeps a copy of the items it writes, not of whole tables
(`install_item_rollback`): moto deep-copies every table a TransactWriteItems
touches, so that it can roll back. That is O(table) of memory per transaction,
and since every intake and every case change is a transaction, a long-lived
stack's memory grew with the square of its cases (300 cases: 3.8 GB).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterable, Iterator

from moto.server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

DYNAMODB_TARGET_PREFIX = "DynamoDB_"
"""`X-Amz-Target` of every DynamoDB API call (`DynamoDB_20120810.TransactWriteItems`)."""


class DynamoDBIsolation:
    """WSGI middleware: DynamoDB calls one at a time, everything else as it comes."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(DYNAMODB_TARGET_PREFIX):
            return self._app(environ, start_response)
        with self._lock:
            result = self._app(environ, start_response)
            try:
                return list(result)  # the whole answer inside the lock
            finally:
                if hasattr(result, "close"):
                    result.close()


LONG_POLL_OPERATIONS = frozenset({"ReceiveMessage"})
"""SQS waits up to 20 s in these: never held up by, nor holding up, a snapshot."""

READ_ONLY_PREFIXES = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "Receive")
"""Operations of DynamoDB and SQS that change nothing a snapshot would keep."""


def operation_of(environ: dict[str, Any]) -> str:
    """The API operation of a request when its headers or query say it, else ''.

    `X-Amz-Target: AmazonSQS.ReceiveMessage` (DynamoDB, SQS) or `?Action=...`
    (query protocol in the URL); SNS and S3 name it in the body or not at all.
    """
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    for pair in environ.get("QUERY_STRING", "").split("&"):
        name, _, value = pair.partition("=")
        if name == "Action":
            return value
    return ""


def changes_state(environ: dict[str, Any]) -> bool:
    """Whether a request may change moto's state; when in doubt, it may."""
    if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD", "OPTIONS"):
        return False
    return not operation_of(environ).startswith(READ_ONLY_PREFIXES)


class SharedExclusiveLock:
    """Many holders at once, or one exclusive holder; a waiting exclusive one goes first."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._exclusive_waiting = 0

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._condition:
            while self._exclusive or self._exclusive_waiting:
                self._condition.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._condition:
                self._shared -= 1
                if not self._shared:
                    self._condition.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._condition:
            self._exclusive_waiting += 1
            while self._exclusive or self._shared:
                self._condition.wait()
            self._exclusive_waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._condition:
                self._exclusive = False
                self._condition.notify_all()


class StateGate:
    """WSGI middleware: counts the requests that change state, and can hold all back.

    `paused()` waits for the requests being served to finish and holds new ones
    until it ends, so a snapshot sees one consistent moment; long polls pass by.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = SharedExclusiveLock()
        self._count_lock = threading.Lock()
        self._changes = 0

    @property
    def changes(self) -> int:
        with self._count_lock:
            return self._changes

    def paused(self) -> contextlib.AbstractContextManager[None]:
        return self._lock.exclusive()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if operation_of(environ) in LONG_POLL_OPERATIONS:
            return self._app(environ, start_response)
        with self._lock.shared():
            result = self._app(environ, start_response)
            try:
                body = list(result)  # served whole before a snapshot may start
            finally:
                if hasattr(result, "close"):
                    result.close()
            if changes_state(environ):
                with self._count_lock:
                    self._changes += 1
            return body


class _TablesKept:
    """Stands in for the `copy` module inside moto's DynamoDB backend: its deep copy of a table
    (a transaction's backup) is the table itself; anything else is copied as usual."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def deepcopy(self, value: Any, *args: Any) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else self._module.deepcopy(value, *args)


def _key_of(table: Any, attributes: dict[str, Any]) -> tuple[Any, Any] | None:
    """The (hash, range) key of a transaction item as moto keeps it; None without a whole key."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if table.hash_key_attr not in attributes:
        return None
    if table.range_key_attr is not None and table.range_key_attr not in attributes:
        return None
    range_value = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr is not None else None
    return DynamoType(attributes[table.hash_key_attr]), range_value


def _items_before(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash, range, a copy of the item or None) of every item the transaction names."""
    import copy

    saved = []
    for entry in transact_items:
        _, operation = next(iter(entry.items()))
        table = backend.tables.get(operation.get("TableName")) if isinstance(operation, dict) else None
        if table is None:
            continue
        key = _key_of(table, operation.get("Key") or operation.get("Item") or {})
        if key is None:
            continue
        try:
            current = table.get_item(*key)
        except Exception:  # noqa: BLE001 - a key moto refuses: the transaction fails before writing it
            continue
        saved.append((table, key[0], key[1], copy.deepcopy(current)))
    return saved


def _put_back(saved: list[tuple[Any, Any, Any, Any]]) -> None:
    """Each item as it was before the transaction (absent if it was absent)."""
    for table, hash_value, range_value, item in reversed(saved):
        if range_value is None:
            if item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
            continue
        partition = table.items[hash_value]
        if item is None:
            partition.pop(range_value, None)
            if not partition:
                del table.items[hash_value]
        else:
            partition[range_value] = item


def install_item_rollback() -> None:
    """moto's TransactWriteItems rolls back by the items it names, not by copies of whole tables.

    Same outcome: a transaction that fails (a condition, a validation error midway) leaves every
    item as it was. DynamoDB calls are served one at a time (`DynamoDBIsolation`), so nothing
    else writes between the copy and the put-back. Idempotent."""
    from moto.dynamodb import models

    if getattr(models.DynamoDBBackend.transact_write_items, "item_rollback", False):
        return
    original = models.DynamoDBBackend.transact_write_items
    models.copy = _TablesKept(models.copy)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = _items_before(self, transact_items)
        try:
            return original(self, transact_items)
        except BaseException:
            _put_back(saved)
            raise

    transact_write_items.item_rollback = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items


class LocalAws(ThreadedMotoServer):
    """moto's threaded server with `DynamoDBIsolation` and a `StateGate` around its application."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        install_item_rollback()
        self.gate = StateGate(DynamoDBIsolation(DomainDispatcherApplication(create_backend_app)))

    def _server_entry(self) -> None:
        self._server = make_server(self._ip_address, self._port, self.gate, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
