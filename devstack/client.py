"""A tiny HTTP client for the Hewei API (stdlib only), as partner or staff.

Used by the seeder, the end-to-end tests and the README examples:

    client = HeweiClient("http://127.0.0.1:8000").as_partner(key_id, secret)
    status, headers, body = client.request("POST", "/v1/cases", json={...})

Partner requests are signed (签名) as contract §1 says, over the path with its
query string and the body bytes exactly as sent.
"""

from __future__ import annotations

import collections
import json as jsonlib
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from typing import Any, Callable

from chalicelib.domain.signing import sign

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""An opener that ignores proxy variables: the local stack is on 127.0.0.1."""


class HeweiClient:
    _recent_signatures: collections.deque[str] = collections.deque(maxlen=256)
    """Signatures sent by any client of this process (clients made by as_partner share them)."""
    _lock = threading.Lock()

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._partner: tuple[str, str] | None = None
        self._token: str | None = None

    def as_partner(self, key_id: str, secret: str) -> HeweiClient:
        """A client that signs every request with a partner's key."""
        client = HeweiClient(self.base_url, self.timeout)
        client._partner = (key_id, secret)
        return client

    def as_staff(self, token: str) -> HeweiClient:
        """A client that sends a staff bearer token."""
        client = HeweiClient(self.base_url, self.timeout)
        client._token = token
        return client

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Message, Any]:
        """Send a request; return (status, headers, parsed JSON body or text, None if empty).

        `json` is serialised as UTF-8 (Chinese unescaped); `raw` is sent as is.
        `headers` are applied last, so they can override the auth headers.
        Never raises for an HTTP error status.
        """
        method = method.upper()
        if raw is not None:
            body: bytes | None = raw.encode() if isinstance(raw, str) else raw
        elif json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False).encode()
        else:
            body = None
        url = self.base_url + path
        all_headers = {"Accept": "application/json"}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(self._auth_headers(method, url, body or b""))
        all_headers.update(headers or {})
        request = urllib.request.Request(url, data=body, method=method, headers=all_headers)
        try:
            with _DIRECT.open(request, timeout=self.timeout) as response:
                return response.status, response.headers, _parse(response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, _parse(error.headers, error.read())

    def get(self, path: str) -> tuple[int, Message, Any]:
        return self.request("GET", path)

    def post(self, path: str, json: Any = None) -> tuple[int, Message, Any]:
        return self.request("POST", path, json=json if json is not None else {})

    def _auth_headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        if self._token:
            return {"Authorization": f"Bearer {self._token}"}
        if not self._partner:
            return {}
        key_id, secret = self._partner
        parts = urllib.parse.urlsplit(url)
        path_with_query = parts.path + (f"?{parts.query}" if parts.query else "")
        with self._lock:
            # The server rejects a signature it has already seen (replay guard);
            # an identical request within the same second would repeat it.
            while True:
                timestamp = str(int(time.time()))
                signature = sign(secret, timestamp, method, path_with_query, body)
                if signature not in self._recent_signatures:
                    break
                time.sleep(1.01 - time.time() % 1)
            self._recent_signatures.append(signature)
        return {"X-Hewei-Key": key_id, "X-Hewei-Timestamp": timestamp, "X-Hewei-Signature": signature}


def _parse(headers: Message, data: bytes) -> Any:
    if not data:
        return None
    text = data.decode("utf-8", errors="replace")
    if "json" in (headers.get("Content-Type") or ""):
        try:
            return jsonlib.loads(text)
        except ValueError:
            return text
    return text


def wait_for(check: Callable[[], Any], timeout: float, interval: float = 0.25) -> Any:
    """What `check` gives once it gives something true, trying every `interval` seconds for up
    to `timeout` seconds; None if it never does (a case dispatched, a callback received)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    return None
