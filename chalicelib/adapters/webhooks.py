"""Outbound HTTP POSTs for partner callbacks (§7), stdlib only (socket, ssl): no extra dependency.

One exchange per call, under three rules (README, "Partner callbacks"):
- one deadline (10 s) for the whole of it: resolving, connecting, the TLS handshake, sending, the
  status line and headers, and a small bounded read of the body. Every socket operation gets what
  remains of it as its timeout, so a receiver that drips a byte every few seconds fails at 10 s;
- no redirect is followed: a 3xx is a failed attempt, and the signature headers go to the host
  of the partner's URL only;
- the URL is checked again (`domain.callback_urls`), every address its host resolves to must be
  public, and the connection goes to the checked address itself, while the Host header and the
  TLS server name and certificate check stay those of the URL's host name: a DNS answer that
  changes between the check and the connection (rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import threading
import time
from typing import Callable
from urllib.parse import urlsplit

from ..domain.callback_urls import CLOUD_POLICY, CallbackPolicy, address_kind, request_target, url_problem

CALLBACK_DEADLINE_SECONDS = 10.0
"""§7: no answer within 10 s is a failure, and that is the whole exchange, not each read."""

MAX_HEAD_BYTES = 16 * 1024
"""The status line and headers of an answer, at most."""

MAX_BODY_BYTES = 4 * 1024
"""What is read of an answer's body (its length is told by Content-Length): no more is needed."""

Resolver = Callable[[str, int], list[tuple[int, tuple]]]
"""host, port → (address family, socket address) of every address to try, in order."""

_STATUS_LINE = re.compile(rb"^HTTP/1\.[01] ([0-9]{3})(?: [^\r\n]*)?$")
_SAFE_HEADER = re.compile(r"^[\x21-\x7e]+$")


class WebhookError(Exception):
    """No 2xx answer in time, or a callback the service will not send (its URL or address refused)."""


def resolve(host: str, port: int) -> list[tuple[int, tuple]]:
    """Every TCP address of `host` from the system's resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [(family, sockaddr) for family, _, _, _, sockaddr in infos]


class HttpWebhookClient:
    """`ports.WebhookClient` over a plain socket (TLS for https), one deadline for the exchange."""

    def __init__(self, policy: CallbackPolicy = CLOUD_POLICY, resolver: Resolver = resolve,
                 deadline_seconds: float = CALLBACK_DEADLINE_SECONDS, tls: ssl.SSLContext | None = None,
                 monotonic: Callable[[], float] = time.monotonic):
        self.policy = policy
        self.deadline_seconds = deadline_seconds
        self.resolver = resolver
        self._tls = tls
        self._monotonic = monotonic

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        deadline = self._monotonic() + self.deadline_seconds
        problem = url_problem(url, self.policy)
        if problem:
            raise WebhookError(f"refused: the callback URL {problem}")
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = self._checked_addresses(host, port, deadline)
        sock = self._connect(addresses, deadline)
        try:
            if parts.scheme == "https":
                sock = self._start_tls(sock, host, deadline)
            self._send(sock, _request(url, parts, host, port, body, headers), deadline)
            return self._answer(sock, deadline)
        except TimeoutError:
            raise WebhookError(f"no answer within {self.deadline_seconds:g} s") from None
        except ssl.SSLError as exc:
            raise WebhookError(f"TLS: {exc.reason or type(exc).__name__}") from None
        except OSError as exc:
            raise WebhookError(type(exc).__name__) from None
        finally:
            sock.close()

    # ---------------------------------------------------------------- steps of the exchange

    def _remaining(self, deadline: float) -> float:
        left = deadline - self._monotonic()
        if left <= 0:
            raise TimeoutError
        return left

    def _checked_addresses(self, host: str, port: int, deadline: float) -> list[tuple[int, tuple]]:
        """The addresses to connect to: every one the host resolves to must pass the policy."""
        try:
            addresses = _within(lambda: self.resolver(host, port), self._remaining(deadline))
        except TimeoutError:
            raise WebhookError(f"no answer within {self.deadline_seconds:g} s (resolving the host)") from None
        except OSError as exc:
            raise WebhookError(f"the host does not resolve ({type(exc).__name__})") from None
        if not addresses:
            raise WebhookError("the host does not resolve")
        for _, sockaddr in addresses:
            try:
                address = ipaddress.ip_address(sockaddr[0])
            except ValueError:
                raise WebhookError("refused: the host resolves to something that is not an address") from None
            kind = address_kind(address, self.policy)
            if kind:  # neither the host nor the address goes into the message (it is logged and stored)
                raise WebhookError(f"refused: the host resolves to {kind}")
        return addresses

    def _connect(self, addresses: list[tuple[int, tuple]], deadline: float) -> socket.socket:
        """A TCP connection to the first checked address that answers; the peer is that address."""
        failure: Exception | None = None
        for family, sockaddr in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self._remaining(deadline))
                sock.connect(sockaddr)
                return sock
            except TimeoutError:
                sock.close()
                raise WebhookError(f"no answer within {self.deadline_seconds:g} s (connecting)") from None
            except OSError as exc:
                sock.close()
                failure = exc
        raise WebhookError(type(failure).__name__ if failure else "no address to connect to")

    def _start_tls(self, sock: socket.socket, host: str, deadline: float) -> ssl.SSLSocket:
        """TLS to the checked address, for the URL's host name: SNI and the certificate check are its."""
        context = self._tls or _default_tls()
        sock.settimeout(self._remaining(deadline))  # CPython bounds the whole handshake by the timeout
        return context.wrap_socket(sock, server_hostname=host)

    def _send(self, sock: socket.socket, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            sock.settimeout(self._remaining(deadline))
            sent = sock.send(view)
            view = view[sent:]

    def _answer(self, sock: socket.socket, deadline: float) -> int:
        """The final status of the answer (after any 1xx), its headers read in full, and up to
        `MAX_BODY_BYTES` of its body; a status other than 2xx raises."""
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise WebhookError("the answer's headers are too long")
                buffer += self._receive(sock, deadline)
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            status_line, *header_lines = head.split(b"\r\n")
            matched = _STATUS_LINE.match(status_line)
            if not matched:
                raise WebhookError("the answer is not HTTP/1.x")
            status = int(matched.group(1))
            if 100 <= status < 200 and status != 101:
                continue  # an interim answer (103 Early Hints): the final one follows
            break
        if 300 <= status < 400:
            raise WebhookError(f"HTTP {status}: redirects are not followed")
        if not 200 <= status < 300:
            raise WebhookError(f"HTTP {status}")
        wanted = min(_content_length(header_lines), MAX_BODY_BYTES)
        while len(buffer) < wanted:
            chunk = self._receive(sock, deadline, allow_end=True)
            if not chunk:
                break
            buffer += chunk
        return status

    def _receive(self, sock: socket.socket, deadline: float, allow_end: bool = False) -> bytes:
        sock.settimeout(self._remaining(deadline))
        chunk = sock.recv(4096)
        if not chunk and not allow_end:
            raise WebhookError("the connection closed before an answer")
        return chunk


def _request(url: str, parts, host: str, port: int, body: bytes, headers: dict[str, str]) -> bytes:
    default_port = 443 if parts.scheme == "https" else 80
    name = f"[{host}]" if ":" in host else host
    fields = {"Host": name if port == default_port else f"{name}:{port}", "Content-Type": "application/json",
              "Content-Length": str(len(body)), "Connection": "close", "User-Agent": "hewei-callbacks",
              **headers}
    lines = [f"POST {request_target(url)} HTTP/1.1"]
    for field, value in fields.items():
        if not _SAFE_HEADER.match(field) or any(c in value for c in "\r\n\0"):
            raise WebhookError("refused: a header that is not one")
        lines.append(f"{field}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _content_length(header_lines: list[bytes]) -> int:
    for line in header_lines:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return max(0, int(value.strip()))
            except ValueError:
                return 0
    return 0


def _within(call: Callable[[], list], timeout: float) -> list:
    """`call()` in a helper thread, given up on after `timeout` s (the resolver has no timeout of its own)."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as exc:  # noqa: BLE001 - handed back to the caller
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="callback-resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


_TLS: ssl.SSLContext | None = None


def _default_tls() -> ssl.SSLContext:
    """The system's trust store, hostname checks on (made on first use: loading it takes a few ms)."""
    global _TLS
    if _TLS is None:
        _TLS = ssl.create_default_context()
    return _TLS
