"""A callback sink standing in for the demo partner's system (反馈接收端).

It accepts `POST /callbacks[...]` (contract §7), answers 200, logs one line,
keeps every callback in memory and appends it to `callbacks.jsonl` in the
local directory. `GET /callbacks` returns what it has received, as JSON,
including what earlier runs received (read back from that file on start).
Once it knows the partner's secret it checks each signature.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from chalicelib.domain.signing import sign

PATH = "/callbacks"
log = logging.getLogger("devstack")


class CallbackSink:
    def __init__(self, host: str, port: int, journal: Path | None = None) -> None:
        self.received: list[dict[str, Any]] = read_journal(journal) if journal else []
        if journal:
            _close_last_line(journal)
        self.partner_secret: str | None = None
        self._journal = journal
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="callback-sink", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def record(self, path: str, headers: Message, body: bytes) -> dict[str, Any]:
        timestamp = headers.get("X-Hewei-Timestamp") or ""
        signature = headers.get("X-Hewei-Signature") or ""
        valid = None
        if self.partner_secret:
            valid = sign(self.partner_secret, timestamp, "POST", path, body) == signature.lower()
        text = body.decode("utf-8", errors="replace")
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = text
        entry = {
            "received_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "path": path,
            "headers": {name: value for name, value in headers.items() if name.lower().startswith("x-hewei-")},
            "body": parsed,
            "signature_valid": valid,
        }
        with self._lock:
            self.received.append(entry)
            if self._journal:
                with self._journal.open("a", encoding="utf-8") as journal:
                    journal.write(json.dumps(entry, ensure_ascii=False) + "\n")
        summary = (
            f"{parsed.get('event')} {parsed.get('case_id')} -> {parsed.get('status')}"
            if isinstance(parsed, dict) else f"{len(body)} bytes"
        )
        verdict = {True: "signature ok", False: "SIGNATURE BAD", None: "signature unchecked"}[valid]
        log.info("callback: %s (%s)", summary, verdict)
        return entry

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.received)


def read_journal(path: Path) -> list[dict[str, Any]]:
    """The callbacks an earlier run appended to `path`; a line cut short by a crash is skipped."""
    if not path.exists():
        return []
    entries: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _close_last_line(path: Path) -> None:
    """End a line a crash cut short, so the next callback starts a line of its own."""
    if path.exists() and path.stat().st_size:
        with path.open("rb+") as file:
            file.seek(-1, 2)
            if file.read(1) != b"\n":
                file.write(b"\n")


def _handler_class(sink: CallbackSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            if not self.path.split("?", 1)[0].startswith(PATH):
                self._reply(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            sink.record(self.path, self.headers, body)
            self._reply(200, {"ok": True})

        def do_GET(self) -> None:  # noqa: N802
            if self.path.split("?", 1)[0].rstrip("/") != PATH:
                self._reply(404, {"error": "not found"})
                return
            self._reply(200, sink.snapshot())

        def _reply(self, status: int, payload: Any) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # one line per callback is logged by the sink itself

    return Handler
