"""`chalice local` with the service's own edges: one log line per request, problem+json errors.

Run as `python -m devstack.local_api --stage local --host 127.0.0.1 --port 8000` (the runner
does). It is chalice's local server with a request handler that

- does not print `BaseHTTPRequestHandler`'s access line: the app already logs one structured
  `request` line per request (route, method, status, correlation id), so each request is one line;
- answers a path no route has with a problem+json 404, where chalice local answers API
  Gateway's 403 `Missing Authentication Token` and, when an `Authorization` header is present,
  a message that repeats the whole header (a bearer token) back;
- answers a method a path does not take with a problem+json 405 and its `Allow` header, where
  chalice answers its own JSON (`MethodNotAllowedError`), and a method chalice local does not
  know at all (`TRACE`, `CONNECT`, any other token) the same way (404 on a path no route has),
  where `BaseHTTPRequestHandler` answers an HTML 501; a `HEAD` answer carries no body;
- answers a request it cannot parse (a bad request line, a header too long) with a problem+json
  400/414/431, and logs it with its query values masked and phones and ID numbers redacted:
  the server's own error lines never show a URL's query;
- exits when the process that started it (`--parent-pid`, the runner) is gone, even if that
  one was killed with SIGKILL and could not stop it (Linux's parent-death signal, and a watchdog
  thread where there is none), so it never holds the port orphaned.

and a listen backlog of 128 (`LocalServer`), so concurrent clients connecting at once are queued,
not reset.

In the cloud the gateway's own errors are mapped to problem+json by `infra/` (gateway responses).
"""

from __future__ import annotations

import argparse
import ctypes
import http
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalGatewayException, ThreadedHTTPServer

PROJECT_DIR = Path(__file__).resolve().parent.parent


def problem_body(status: int, title: str, detail: str) -> bytes:
    """An RFC 9457 body, as the service's own errors are (`chalicelib.api.http.problem_document`)."""
    from chalicelib.api.http import problem_document

    return json.dumps(problem_document(status, title, detail), ensure_ascii=False).encode()


PROBLEM_HEADERS = {"Content-Type": "application/problem+json"}

_QUERY_VALUE = re.compile(r"([?&;][^=&;\s'\"]*=)[^&;\s'\"]*")


def mask_query_values(text: str) -> str:
    """`/v1/cases?party_phone=138…&x=1` → `/v1/cases?party_phone=***&x=***`, wherever a URL
    shows in `text`; then the phones and ID numbers left anywhere are redacted."""
    from chalicelib.domain.masking import redact_text

    return redact_text(_QUERY_VALUE.sub(lambda match: match.group(1) + "***", text))


def route_methods(app: Any, raw_path: str) -> list[str] | None:
    """The methods of the route that answers `raw_path` (its query ignored); None if none does."""
    from chalice.local import RouteMatcher

    try:
        matched = RouteMatcher(list(app.routes)).match_route(urlsplit(raw_path).path or "/")
    except ValueError:
        return None
    return sorted(app.routes[matched.route].keys())


class ProblemJsonHandler(ChaliceRequestHandler):
    """chalice local's request handler, with the service's error answers and no access line."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        """The app logs each request itself (one structured line); errors still go to `log_error`."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        """The server's own lines (a refused request line, a broken connection), masked."""
        sys.stderr.write(mask_query_values(f"{self.address_string()} - - [{self.log_date_time_string()}] "
                                           f"{format % args}") + "\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """`BaseHTTPRequestHandler`'s own refusals as problem+json: a method chalice local has no
        handler for (501) is a 405 with the path's `Allow`, or a 404 on a path no route has; a request
        it cannot parse keeps its status (400, 414, 431). The detail never repeats the request."""
        method = self.command if isinstance(getattr(self, "command", None), str) else None
        self.log_error("code %d, message %s", code, mask_query_values(message or ""))
        self.close_connection = True
        headers = {"Connection": "close", **PROBLEM_HEADERS}
        if code == http.HTTPStatus.NOT_IMPLEMENTED and method:
            allowed = route_methods(self.local_gateway._app_object, getattr(self, "path", "") or "/")
            if allowed is None:
                code, title, detail = 404, "Not found", "no route answers this path"
            else:
                headers["Allow"] = ", ".join(allowed)
                code, title, detail = 405, "Method not allowed", f"this path takes {', '.join(allowed)}, not {method}"
        else:
            status = http.HTTPStatus(code) if code in http.HTTPStatus._value2member_map_ else None
            title = status.phrase if status else "Bad request"
            detail = "the request could not be read" if code < 500 else "the request could not be served"
        body = problem_body(code, title, detail)
        self.send_response(code, title)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _send_http_response_with_body(self, code: int, headers: dict[str, Any], body: str | bytes) -> None:
        if self.command != "HEAD":
            super()._send_http_response_with_body(code, headers, body)
            return
        data = body if isinstance(body, bytes) else body.encode("utf-8")  # a HEAD answer: the headers alone
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self._send_headers(headers)

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


PR_SET_PDEATHSIG = 1
PARENT_POLL_SECONDS = 0.5


def die_with_parent(parent_pid: int) -> None:
    """End this process when `parent_pid` is gone: at once through Linux's parent-death signal
    (SIGTERM), and within half a second through a watchdog thread (every platform, and a parent
    that died before the signal was asked for)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the watchdog alone
        pass

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)  # the runner is gone: nothing here is worth saving, and the port is freed

    if os.getppid() != parent_pid:
        os._exit(0)
    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="local")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--parent-pid", type=int, default=None,
                        help="exit when this process (the runner) is gone")
    args = parser.parse_args(argv)
    if args.parent_pid is not None:
        die_with_parent(args.parent_pid)
    # As `chalice local` does: the app's log lines on stdout, as they would be in Lambda.
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    sys.path.insert(0, str(PROJECT_DIR))
    create_server(args.stage, args.host, args.port).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
