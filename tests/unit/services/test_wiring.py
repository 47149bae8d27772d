"""Container(**overrides): the use cases on the parts given, production defaults for the rest, each built once."""

from __future__ import annotations

import pytest

from chalicelib import wiring
from chalicelib.adapters.case_store import CaseStore
from chalicelib.adapters.clock import utcnow
from chalicelib.adapters.directory_store import DirectoryStore
from chalicelib.adapters.queues import QueuePublisher
from chalicelib.adapters.sms import SnsSmsSender
from chalicelib.adapters.tokens import HS256Tokens
from chalicelib.adapters.webhooks import HttpWebhookClient
from chalicelib.wiring import Container
from tests.unit.services.builders import PARTNER, new_case


def test_the_use_cases_run_on_the_parts_given(centre, store, publisher, clock):
    case = centre.services.intake.file_case(new_case("R-1"), PARTNER).case
    assert store.get(case.case_id).received_at == clock()
    assert publisher.bodies("routing")[0]["case_id"] == case.case_id
    assert centre.services.queries.case(case.case_id, PARTNER) == store.get(case.case_id)


@pytest.mark.parametrize(("part", "default"), [
    ("case_store", CaseStore), ("directory_store", DirectoryStore), ("publisher", QueuePublisher),
    ("sms_sender", SnsSmsSender), ("webhook", HttpWebhookClient), ("token_minter", HS256Tokens)])
def test_a_part_not_given_is_the_production_default(clock, part, default, monkeypatch):
    monkeypatch.delenv("HEWEI_SMS_PROVIDER", raising=False)
    container = Container(clock=clock)
    assert container.clock is clock
    assert type(getattr(container, part)) is default


def test_the_defaults_read_the_environment_and_the_real_clock():
    container = Container()
    assert container.clock is utcnow
    assert (container.settings.stage, container.settings.secret_key) == (
        "local", b"test-master-key-0123456789abcdef0123")


def test_each_part_is_built_once_per_container(container, store):
    assert container.notifier is container.notifier and container.routing is container.routing
    assert Container().case_store is not Container().case_store


@pytest.mark.parametrize("name", ["case_stor", "replayguard", "container", "__init__"])
def test_an_unknown_part_is_a_type_error_that_names_it(name):
    with pytest.raises(TypeError, match=name):
        Container(**{name: object()})


def test_reset_replaces_the_process_container(monkeypatch, clock):
    monkeypatch.setattr(wiring, "container", wiring.current())  # put back after the test
    replaced = wiring.reset(clock=clock)
    assert wiring.current() is replaced and wiring.current().clock is clock
