"""`chalice local` with the service's own edges: one log line per request, problem+json errors.

Run as `python -m devstack.local_api --stage local --host 127.0.0.1 --port 8000` (the runner
does). It is chalice's local server with a request handler that

- does not print `BaseHTTPRequestHandler`'s access line: the app already logs one structured
  `request` line per request (route, method, status, correlation id), so each request is one line;
- answers a path no route has with a problem+json 404, where chalice local answers API
  Gateway's 403 `Missing Authentication Token` and, when an `Authorization` header is present,
  a message that repeats the whole header (a bearer token) back;
- answers a method a path does not take with a problem+json 405 and its `Allow` header, where
  chalice answers its own JSON (`MethodNotAllowedError`).

and a listen backlog of 128 (`LocalServer`), so concurrent clients connecting at once are queued,
not reset.

In the cloud the gateway's own errors are mapped to problem+json by `infra/` (gateway responses).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalGatewayException, ThreadedHTTPServer

PROJECT_DIR = Path(__file__).resolve().parent.parent


def problem_body(status: int, title: str, detail: str) -> bytes:
    """An RFC 9457 body, as the service's own errors are (`chalicelib.api.http.problem_document`)."""
    from chalicelib.api.http import problem_document

    return json.dumps(problem_document(status, title, detail), ensure_ascii=False).encode()


PROBLEM_HEADERS = {"Content-Type": "application/problem+json"}


class ProblemJsonHandler(ChaliceRequestHandler):
    """chalice local's request handler, with the service's error answers and no access line."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        """The app logs each request itself (one structured line); errors still go to `log_error`."""

    def _send_error_response(self, error: LocalGatewayException) -> None:
        if isinstance(error, ForbiddenError):  # the local gateway's "no such route"
            status, title, detail = 404, "Not found", "no route answers this path"
        else:  # an authorizer's refusal (the service has none): never its text, which may echo a credential
            status, title, detail = error.CODE, "Unauthorized" if error.CODE == 401 else "Forbidden", \
                "the request was refused before it reached the service"
        headers = {key: value for key, value in error.headers.items() if key.lower() == "x-amzn-requestid"}
        self._send_http_response(status, {**headers, **PROBLEM_HEADERS}, problem_body(status, title, detail))

    def _send_http_response(self, code: int, headers: dict[str, Any], body: str | bytes | None) -> None:
        if code == 405 and _is_chalice_method_error(headers, body):
            allowed = headers.get("Allow", "")
            headers = {"Allow": allowed, **PROBLEM_HEADERS}
            body = problem_body(405, "Method not allowed", f"this path takes {allowed or 'no method'}"
                                                           f", not {self.command}")
        super()._send_http_response(code, headers, body)


def _is_chalice_method_error(headers: dict[str, Any], body: str | bytes | None) -> bool:
    """Chalice's own 405 (`{"Code": "MethodNotAllowedError", ...}`), not one the service made."""
    if body is None or "problem+json" in str(headers.get("Content-Type", "")):
        return False
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return "MethodNotAllowedError" in text


class LocalServer(ThreadedHTTPServer):
    """chalice local's threaded server with a listen backlog of 128, where socketserver's default
    of 5 lets a burst of concurrent clients (twenty partners at once, a load test) overflow the
    accept queue and have their connections reset."""

    request_queue_size = 128


def create_server(stage: str, host: str, port: int, project_dir: Path = PROJECT_DIR) -> Any:
    """chalice local's server for the project's app (as `chalice local` builds it), with
    `ProblemJsonHandler`."""
    from chalice.cli import validate_routes
    from chalice.cli.factory import CLIFactory
    from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

    os.environ["AWS_CHALICE_CLI_MODE"] = "true"
    factory = CLIFactory(project_dir=str(project_dir), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    validate_routes(app.routes)
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=ProblemJsonHandler, server_cls=LocalServer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="local")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    # As `chalice local` does: the app's log lines on stdout, as they would be in Lambda.
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    sys.path.insert(0, str(PROJECT_DIR))
    create_server(args.stage, args.host, args.port).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
