"""Integration fixtures: moto's in-process AWS, the real tables and queues, the Chalice app."""

from __future__ import annotations

import threading

import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import wiring
from tests.support import DEMO_MEDIATORS, DEMO_ORGS, DEMO_REGIONS, Clock, Http, Partner, Staff


@pytest.fixture
def aws():
    with mock_aws():
        from chalicelib.adapters import queues
        from chalicelib.adapters.bootstrap import create_all

        queues._sqs.cache_clear()
        queues.queue_url.cache_clear()
        urls = create_all()
        wiring.reset().clock = Clock()
        yield urls
        queues._sqs.cache_clear()
        queues.queue_url.cache_clear()


@pytest.fixture
def http(aws):
    from app import app

    with Client(app, stage_name="local") as client:
        yield Http(client)


@pytest.fixture
def admin(http) -> Staff:
    token, _ = wiring.current().token_minter.mint({"sub": "test-admin", "role": "admin"}, 3600)
    return Staff(http, token)


@pytest.fixture
def directory(admin) -> None:
    for code, name in DEMO_REGIONS:
        assert admin.call("POST", "/v1/regions", {"code": code, "name": name}).status == 201
    for org in DEMO_ORGS:
        assert admin.call("POST", "/v1/orgs", org).status == 201
    for mediator in DEMO_MEDIATORS:
        assert admin.call("POST", "/v1/mediators", mediator).status == 201


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
