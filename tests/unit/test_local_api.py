"""devstack.local_api: chalice local's server with problem+json for unknown paths and methods,
never echoing a credential, and no access line of its own (the app logs each request once)."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request

import pytest
from chalice import Chalice
from chalice.config import Config
from chalice.local import LocalDevServer

from devstack.local_api import LocalServer, ProblemJsonHandler

TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWNsYWltcw.c2lnbmF0dXJl"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def base_url():
    app = Chalice(app_name="local-api-test", configure_logs=False)

    @app.route("/v1/things", methods=["GET"])
    def things():
        return {"items": []}

    server = LocalDevServer(app, Config.create(chalice_app=app, chalice_stage="local"), "127.0.0.1", 0,
                            handler_cls=ProblemJsonHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server.server_address[1]}"
    server.shutdown()
    thread.join(5)


def call(base_url: str, method: str, path: str, headers: dict | None = None):
    request = urllib.request.Request(base_url + path, method=method, headers=headers or {},
                                     data=b"{}" if method in ("POST", "PUT") else None)
    try:
        with _DIRECT.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


@pytest.mark.parametrize("headers", [{}, {"Authorization": f"Bearer {TOKEN}"}, {"X-Hewei-Key": "hk_1"}])
def test_an_unknown_path_is_a_problem_json_404_that_echoes_no_credential(base_url, headers):
    status, answer_headers, body = call(base_url, "GET", "/v1/thingz", headers)
    assert status == 404 and answer_headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert (problem["status"], problem["title"]) == (404, "Not found")
    assert TOKEN.encode() not in body and b"Authorization" not in body and b"Missing Authentication" not in body


def test_a_method_the_path_does_not_take_is_a_problem_json_405_with_allow(base_url):
    status, headers, body = call(base_url, "DELETE", "/v1/things", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 405 and headers["Content-Type"] == "application/problem+json"
    assert headers["Allow"] == "GET"
    assert json.loads(body)["status"] == 405 and b"MethodNotAllowedError" not in body


def test_a_routed_request_is_answered_as_the_app_answers_and_prints_no_access_line(base_url, capfd):
    capfd.readouterr()
    status, _, body = call(base_url, "GET", "/v1/things")
    assert (status, json.loads(body)) == (200, {"items": []})
    out, err = capfd.readouterr()
    assert "GET /v1/things" not in out + err  # BaseHTTPRequestHandler's `"GET /v1/things HTTP/1.1" 200 -`


def test_the_server_queues_a_burst_of_connections_it_has_not_accepted_yet():
    """Forty clients connecting at once while the server accepts none (as when its threads hold the
    interpreter): each is queued, where socketserver's backlog of 5 drops them and they are reset."""
    app = Chalice(app_name="local-api-burst", configure_logs=False)
    server = LocalDevServer(app, Config.create(chalice_app=app, chalice_stage="local"), "127.0.0.1", 0,
                            handler_cls=ProblemJsonHandler, server_cls=LocalServer)
    address = server.server.server_address[:2]
    clients = []
    try:
        for _ in range(40):
            clients.append(socket.create_connection(address, timeout=1))
    except OSError as exc:  # a connection not taken into the accept queue times out
        pytest.fail(f"connection {len(clients) + 1} of 40 was not queued: {exc!r}")
    finally:
        for client in clients:
            client.close()
        server.server.server_close()


def raw_exchange(base_url: str, request: bytes) -> bytes:
    """What the server answers to `request`, bytes as sent (a method urllib would not send)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_a_method_chalice_local_does_not_know_is_a_problem_json_405_or_404(base_url, method):
    answer = raw_exchange(base_url, f"{method} /v1/things?x=1 HTTP/1.1\r\nHost: a\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405") and b"Content-Type: application/problem+json" in head
    assert b"\r\nAllow: GET\r\n" in head + b"\r\n"
    assert json.loads(body)["status"] == 405
    answer = raw_exchange(base_url, f"{method} /v1/nowhere HTTP/1.1\r\nHost: a\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404") and json.loads(body)["title"] == "Not found"


def test_a_head_answer_is_problem_json_headers_without_a_body(base_url):
    for path in ("/v1/things", "/v1/nowhere"):
        answer = raw_exchange(base_url, f"HEAD {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode())
        head, _, body = answer.partition(b"\r\n\r\n")
        assert b"Content-Type: application/problem+json" in head and body == b"", answer


def test_the_servers_own_lines_mask_query_values_and_personal_data(base_url, capfd):
    capfd.readouterr()
    answer = raw_exchange(base_url, b"GET /v1/things?party_phone=13812345678&ref=A1 x HTTP/1.1\r\n\r\n")
    assert b"application/problem+json" in answer or answer.startswith(b'{"type"')
    assert b"13812345678" not in answer
    out, err = capfd.readouterr()
    assert "code 400" in err and "party_phone=***" in err and "ref=***" in err
    assert "13812345678" not in out + err and "A1" not in err


def test_the_server_exits_when_the_runner_that_started_it_is_killed(tmp_path):
    """SIGKILL of the runner: its `chalice local` must not live on, orphaned, on the port."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    child = ("import os, sys, time; sys.path.insert(0, sys.argv[1]); from devstack.local_api import die_with_parent;"
             "die_with_parent(os.getppid()); time.sleep(120)")
    runner = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', "
                               f"{child!r}, sys.argv[1]]); print(child.pid, flush=True); time.sleep(120)", str(root)],
                              stdout=subprocess.PIPE, text=True)
    child_pid = int(runner.stdout.readline())
    time.sleep(1.0)  # the child is up and watching
    os.kill(child_pid, 0)  # alive
    runner.send_signal(signal.SIGKILL)
    runner.wait(5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            break
        try:  # reaped by init; a zombie of ours it is not (its parent was the runner)
            if Path(f"/proc/{child_pid}/stat").read_text().split()[2] == "Z":
                break
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.kill(child_pid, signal.SIGKILL)
        pytest.fail("the server outlived the runner that started it")
