"""Integration fixtures: moto's in-process AWS, the real tables and queues, the Chalice app."""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest
from chalice.test import Client

from tests.support import Http, Partner, Staff, admin_staff, load_demo_directory, moto_stack


@pytest.fixture
def aws():
    with moto_stack() as urls:
        yield urls


@pytest.fixture
def http(aws):
    from app import app

    with Client(app, stage_name="local") as client:
        yield Http(client)


@pytest.fixture
def admin(http) -> Staff:
    return admin_staff(http)


@pytest.fixture
def directory(admin) -> None:
    load_demo_directory(admin)


@pytest.fixture
def partner(admin, directory) -> Partner:
    created = admin.call("POST", "/v1/partners", {"partner_id": "demo-12345", "name": "12345热线",
                                                  "callback_url": "http://127.0.0.1:9/callbacks"})
    assert created.status == 201, created
    return Partner(admin.http, created.json["key_id"], created.json["secret"], "demo-12345")


def staff_token(admin: Staff, **body) -> Staff:
    minted = admin.call("POST", "/v1/tokens", body)
    assert minted.status == 201, minted
    return Staff(admin.http, minted.json["token"])


@pytest.fixture
def mediator(admin, directory) -> Staff:
    """M-CN-1 of the village org V-CN, to which the demo's village cases go."""
    return staff_token(admin, role="mediator", mediator_id="M-CN-1")


@pytest.fixture
def supervisor(admin, directory) -> Staff:
    """The supervisor of the district 320509 (吴江区)."""
    return staff_token(admin, role="supervisor", jurisdiction="320509")


def principal_of(staff: Staff):
    """The principal the service makes of a staff token, to call a use case as that caller."""
    from chalicelib import wiring

    return wiring.current().authenticator.authenticate({"authorization": f"Bearer {staff.token}"}, "POST",
                                                       ["/"], b"")


def all_at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each one's result, or the Conflict it raised."""
    from chalicelib.services.errors import Conflict

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Conflict as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def act_at_once(admin: Staff, case_id: str, commands: list) -> list[str]:
    """Each (action, command) through `actions.act` as the admin, in threads started together;
    "ok" or "conflict" for each, in the order they finished."""
    from chalicelib import wiring
    from chalicelib.services.errors import Conflict

    principal = principal_of(admin)
    barrier = threading.Barrier(len(commands))
    outcomes: list[str] = []

    def act(action: str, command) -> None:
        barrier.wait()
        try:
            wiring.current().actions.act(case_id, action, command, principal)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=act, args=pair) for pair in commands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.fixture
def atomic_requests(monkeypatch):
    """Make each in-process AWS request atomic, as each request is on the real services.

    moto's in-process backends do not lock: two threads can interleave inside one
    conditional write. Concurrency tests serialise whole requests, so that they
    race between requests (where real races happen), not inside moto.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.RLock()
    original = BotocoreStubber.process_request

    def process_request(self, request):
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", process_request)
