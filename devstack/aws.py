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


class LocalAws(ThreadedMotoServer):
    """moto's threaded server with `DynamoDBIsolation` and a `StateGate` around its application."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = StateGate(DynamoDBIsolation(DomainDispatcherApplication(create_backend_app)))

    def _server_entry(self) -> None:
        self._server = make_server(self._ip_address, self._port, self.gate, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
