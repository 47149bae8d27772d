"""The callback sender (§7) against real receivers on loopback: no redirect is followed, one
deadline bounds the whole exchange, the host's addresses are checked and the connection goes to
the checked one, with TLS for the URL's host name."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from typing import Callable

import pytest

from chalicelib.adapters.webhooks import CALLBACK_DEADLINE_SECONDS, HttpWebhookClient, WebhookError
from chalicelib.domain.callback_urls import CLOUD_POLICY, CallbackPolicy

LOOPBACK_SINK = CallbackPolicy(https_only=False, allow_loopback=True)
"""The local stage's policy, its callback sink being on 127.0.0.1."""

SHORT_DEADLINE = 1.5
HEADERS = {"X-Hewei-Timestamp": "1700000000", "X-Hewei-Signature": "ab" * 32, "X-Hewei-Delivery-Attempt": "1"}


class Receiver:
    """A TCP listener on loopback whose `answer(connection, request)` plays the partner; it keeps
    every request it read (head and body)."""

    def __init__(self, answer: Callable[[socket.socket, bytes], None], tls: ssl.SSLContext | None = None):
        self.answer = answer
        self.requests: list[bytes] = []
        self.server_names: list[str | None] = []
        self._tls = tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str = "/hooks/hewei?src=test", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        try:
            if self._tls:
                self._tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
                connection = self._tls.wrap_socket(connection, server_side=True)
            request = read_request(connection)
            self.requests.append(request)
            self.answer(connection, request)
        except (OSError, ssl.SSLError):
            pass
        finally:
            connection.close()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()


def read_request(connection: socket.socket) -> bytes:
    connection.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += connection.recv(4096)
    return head + b"\r\n\r\n" + body


def status(code: int, *headers: str, body: bytes = b"") -> Callable[[socket.socket, bytes], None]:
    def answer(connection: socket.socket, _: bytes) -> None:
        lines = [f"HTTP/1.1 {code} X", *headers, f"Content-Length: {len(body)}", "", ""]
        connection.sendall("\r\n".join(lines).encode() + body)
    return answer


def drip(prefix: bytes, every: float) -> Callable[[socket.socket, bytes], None]:
    """Sends `prefix`, then one byte every `every` seconds, never ending the answer."""
    def answer(connection: socket.socket, _: bytes) -> None:
        connection.sendall(prefix)
        for _ in range(1000):
            time.sleep(every)
            connection.sendall(b"x")
    return answer


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(answer, tls=None) -> Receiver:
        made.append(Receiver(answer, tls))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def client(**overrides) -> HttpWebhookClient:
    return HttpWebhookClient(**{"policy": LOOPBACK_SINK, "deadline_seconds": SHORT_DEADLINE, **overrides})


def test_a_2xx_answer_is_delivered_with_the_body_and_the_signature_headers(receivers):
    receiver = receivers(status(202, body=b'{"ok":true}'))
    assert client().post(receiver.url(), b'{"event":"case.status_changed"}', HEADERS) == 202
    [request] = receiver.requests
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /hooks/hewei?src=test HTTP/1.1"
    assert f"Host: 127.0.0.1:{receiver.port}" in lines and "Content-Type: application/json" in lines
    assert "X-Hewei-Signature: " + "ab" * 32 in lines and body == b'{"event":"case.status_changed"}'


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failed_attempt_and_the_other_host_gets_nothing(receivers, code):
    landing = receivers(status(200))
    redirecting = receivers(status(code, f"Location: {landing.url('/landed')}"))
    with pytest.raises(WebhookError, match=f"HTTP {code}: redirects are not followed"):
        client().post(redirecting.url(), b"{}", HEADERS)
    time.sleep(0.2)
    assert len(redirecting.requests) == 1 and landing.requests == []


@pytest.mark.parametrize(("answer", "stage"), [
    (drip(b"H", 0.25), "a status line dripped a byte at a time"),
    (drip(b"HTTP/1.1 200 OK\r\nX-Slow: ", 0.25), "headers dripped"),
    (drip(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 0.25), "a body dripped"),
    (lambda connection, _: time.sleep(5), "no answer at all"),
])
def test_a_dripping_receiver_fails_at_the_deadline_not_later(receivers, answer, stage):
    receiver = receivers(answer)
    started = time.monotonic()
    with pytest.raises(WebhookError, match="no answer within 1.5 s"):
        client().post(receiver.url(), b"{}", HEADERS)
    assert SHORT_DEADLINE <= time.monotonic() - started < SHORT_DEADLINE + 0.75, stage


def test_the_default_deadline_is_10_s_for_the_whole_exchange(receivers):
    """On a monotonic clock running ten times fast, the default 10 s pass in 1 s of the test."""
    assert CALLBACK_DEADLINE_SECONDS == 10 and HttpWebhookClient().deadline_seconds == 10
    receiver = receivers(drip(b"H", 0.1))
    fast = HttpWebhookClient(policy=LOOPBACK_SINK, monotonic=lambda: 10 * time.monotonic())
    started = time.monotonic()
    with pytest.raises(WebhookError, match="no answer within 10 s"):
        fast.post(receiver.url(), b"{}", HEADERS)
    assert 1.0 <= time.monotonic() - started < 1.5


@pytest.mark.parametrize(("answer", "error"), [
    (status(500), "HTTP 500"), (status(404), "HTTP 404"),
    (lambda connection, _: connection.sendall(b"SSH-2.0-OpenSSH\r\n\r\n"), "not HTTP/1.x"),
    (lambda connection, _: None, "closed before an answer"),
])
def test_a_non_2xx_or_broken_answer_is_a_failure(receivers, answer, error):
    with pytest.raises(WebhookError, match=error):
        client().post(receivers(answer).url(), b"{}", HEADERS)


def test_interim_answers_are_skipped_for_the_final_one(receivers):
    def answer(connection, _):
        connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")
        status(204)(connection, _)
    assert client().post(receivers(answer).url(), b"{}", HEADERS) == 204


def test_the_url_is_checked_again_at_delivery_before_any_connection(receivers):
    receiver = receivers(status(200))
    for policy, error in ((CLOUD_POLICY, "loopback address"), (CallbackPolicy(https_only=False), "loopback address")):
        with pytest.raises(WebhookError, match=f"refused: the callback URL must not be a {error}"):
            HttpWebhookClient(policy=policy).post(receiver.url(), b"{}", HEADERS)
    with pytest.raises(WebhookError, match="user name or password"):
        client().post(receiver.url().replace("http://", "http://u:p@"), b"{}", HEADERS)
    assert receiver.requests == []


RESOLVED_INTERNAL = ["169.254.169.254", "127.0.0.1", "::1", "0.0.0.0", "10.0.0.1", "172.16.5.4", "192.168.0.10",
                     "100.64.0.1", "fd00:ec2::254", "fe80::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
                     "224.0.0.1", "240.0.0.1"]


@pytest.mark.parametrize("address", RESOLVED_INTERNAL)
def test_a_host_resolving_to_an_internal_address_is_refused_without_connecting(address):
    connected: list[str] = []

    def resolver(host, port):
        connected.append(host)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(socket.AF_INET, ("93.184.216.34", port)), (family, (address, port))]

    strict = HttpWebhookClient(policy=CallbackPolicy(https_only=False), resolver=resolver)
    with pytest.raises(WebhookError, match="^refused: the host resolves to an? ") as refused:
        strict.post("http://partner.example/cb", b"{}", HEADERS)
    assert connected == ["partner.example"]  # resolved once, connected never
    assert "partner.example" not in str(refused.value) and address not in str(refused.value)


def test_the_connection_goes_to_the_checked_address_so_a_rebinding_answer_is_never_used(receivers):
    receiver = receivers(status(200))
    answers = iter([[(socket.AF_INET, ("127.0.0.1", receiver.port))], [(socket.AF_INET, ("169.254.169.254", 80))]])
    calls: list[tuple[str, int]] = []

    def rebinding(host, port):
        calls.append((host, port))
        return next(answers)  # a second look-up would get the metadata address

    assert client(resolver=rebinding).post(f"http://partner.test:{receiver.port}/cb", b"{}", HEADERS) == 200
    assert calls == [("partner.test", receiver.port)]
    assert f"Host: partner.test:{receiver.port}".encode() in receiver.requests[0]


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(1).not_valid_before(start).not_valid_after(start + dt.timedelta(days=365 * 30))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.mark.parametrize(("served_for", "delivered"), [("partner.test", True), ("other.test", False)])
def test_tls_goes_to_the_checked_address_with_the_urls_host_name_for_sni_and_the_certificate(
        receivers, tmp_path, served_for, delivered):
    cert, key = _certificate(tmp_path, served_for)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    receiver = receivers(status(200), tls=server_tls)
    trusting = ssl.create_default_context(cafile=cert)
    sender = client(resolver=lambda host, port: [(socket.AF_INET, ("127.0.0.1", port))], tls=trusting)
    url = f"https://partner.test:{receiver.port}/cb"
    if delivered:
        assert sender.post(url, b"{}", HEADERS) == 200
        assert receiver.server_names == ["partner.test"]
    else:
        with pytest.raises(WebhookError, match="TLS"):
            sender.post(url, b"{}", HEADERS)
