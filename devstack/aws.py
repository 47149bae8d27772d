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
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

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


class LocalAws(ThreadedMotoServer):
    """moto's threaded server with `DynamoDBIsolation` around its application."""

    def _server_entry(self) -> None:
        app = DynamoDBIsolation(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
