"""A tiny HTTP client for the Hewei API (stdlib only), as partner or staff.

Used by the seeder, the end-to-end tests and the README examples:

    client = HeweiClient("http://127.0.0.1:8000").as_partner(key_id, secret)
    status, headers, body = client.request("POST", "/v1/cases", json={...})

Partner requests are signed (签名) as contract §1 says, over the path with its
query string and the body bytes exactly as sent, with a fresh `X-Hewei-Nonce`
(§1a) unless the client is made with `as_partner(..., nonce=False)`.

Query text is percent-encoded (RFC 3986: `%20` for a space, UTF-8 for Chinese):
pass `params={"external_ref": "A&B 1"}`, or write a path with raw Chinese
or spaces and they are encoded (a `&` or `=` in a written path is a delimiter:
a value holding one goes in `params`).
"""

from __future__ import annotations

import collections
import json as jsonlib
import secrets
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from typing import Any, Callable, Iterable, Mapping

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
        self._nonce = True
        self._token: str | None = None

    def as_partner(self, key_id: str, secret: str, nonce: bool = True) -> HeweiClient:
        """A client that signs every request with a partner's key, each with a fresh nonce
        (§1a) unless `nonce=False` (then §1's four-line signature, one per request and second)."""
        client = HeweiClient(self.base_url, self.timeout)
        client._partner = (key_id, secret)
        client._nonce = nonce
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
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    ) -> tuple[int, Message, Any]:
        """Send a request; return (status, headers, parsed JSON body or text, None if empty).

        `params` are appended to the path's query, percent-encoded (a value may hold `&`, `=`,
        spaces, Chinese); what the path itself holds of those is encoded as well, except the
        delimiters. `json` is serialised as UTF-8 (Chinese unescaped); `raw` is sent as is.
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
        url = self.base_url + encoded_path(path, params)
        all_headers = {"Accept": "application/json"}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(self.auth_headers(method, url, body or b""))
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

    def auth_headers(self, method: str, url: str, body: bytes) -> dict[str, str]:
        """This client's credentials for one request: the bearer token, or a partner's signature
        over `url`'s path and query and the `body` bytes (what another HTTP client sends, too)."""
        if self._token:
            return {"Authorization": f"Bearer {self._token}"}
        if not self._partner:
            return {}
        key_id, secret = self._partner
        parts = urllib.parse.urlsplit(url)
        path_with_query = parts.path + (f"?{parts.query}" if parts.query else "")
        if self._nonce:
            timestamp, nonce = str(int(time.time())), secrets.token_urlsafe(24)
            return {"X-Hewei-Key": key_id, "X-Hewei-Timestamp": timestamp, "X-Hewei-Nonce": nonce,
                    "X-Hewei-Signature": sign(secret, timestamp, method, path_with_query, body, nonce)}
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


_URL_SAFE = "/?&=%:;,+@!$'()*~-._"
"""What a written path keeps as it is: delimiters and existing escapes (RFC 3986 reserved and
unreserved characters); anything else (a space, Chinese, a control character) is percent-encoded."""


def encoded_path(path: str, params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> str:
    """The path and query as sent and signed: the path's unsafe characters percent-encoded, and
    `params` (a mapping or pairs; None values left out) appended in RFC 3986 form (`%20`)."""
    path = urllib.parse.quote(path, safe=_URL_SAFE)
    pairs = list(params.items() if isinstance(params, Mapping) else params or ())
    pairs = [(key, str(value).lower() if isinstance(value, bool) else str(value))
             for key, value in pairs if value is not None]
    if not pairs:
        return path
    query = urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
    return f"{path}{'&' if '?' in path else '?'}{query}"


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


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports free now, for a local stack of one's own (tests, benches)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()
