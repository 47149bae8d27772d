"""The fakes keep to their ports: every method with the port's parameters, and the refusals of the
real adapters (a fake that accepts what the adapter refuses would make the services' tests lie)."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest

from chalicelib.adapters.agreement_docx import DocxAgreementRenderer
from chalicelib.adapters.attachment_files import S3AttachmentFiles
from chalicelib.adapters.attachment_store import AttachmentStore
from chalicelib.adapters.callback_log import CallbackLog
from chalicelib.adapters.case_store import CaseStore
from chalicelib.adapters.directory_store import DirectoryStore
from chalicelib.adapters.notification_outbox import NotificationOutbox
from chalicelib.adapters.queues import QueuePublisher
from chalicelib.adapters.replay_guard import ReplayGuard
from chalicelib.adapters.sms import SnsSmsSender
from chalicelib.adapters.tokens import HS256Tokens, JwksVerifier
from chalicelib.adapters.webhooks import HttpWebhookClient, WebhookError
from chalicelib.adapters.xlsx_reader import XlsxReader
from chalicelib.adapters.stats_store import StatsStore
from chalicelib.adapters.try_counter import TryCounter
from chalicelib.domain.case import Event
from chalicelib.domain.enums import CaseStatus
from chalicelib.domain.errors import MediatorUnavailable, StaleCase
from chalicelib.services import ports
from tests.fakes import (
    FakeAgreementRenderer, FakeAttachmentFiles, FakeAttachmentStore, FakeCaseStore, FakeClock, FakeDirectory,
    FakePublisher, FakeReplayGuard, FakeSmsSender, FakeStatsStore, FakeTryCounter, FakeWebhookClient)
from tests.unit.services.builders import MONDAY, refused

PORTS = [
    (FakeCaseStore, ports.CaseStore), (FakeCaseStore, ports.NotificationOutbox), (FakeCaseStore, ports.CallbackLog),
    (FakeDirectory, ports.Directory), (FakePublisher, ports.Publisher), (FakeSmsSender, ports.SmsSender),
    (FakeWebhookClient, ports.WebhookClient), (FakeReplayGuard, ports.ReplayGuard),
    (FakeStatsStore, StatsStore),  # no port: the adapter is the contract
    (FakeAgreementRenderer, ports.AgreementRenderer),
    (FakeAttachmentStore, ports.AttachmentStore), (FakeAttachmentFiles, ports.AttachmentFiles),
    (FakeTryCounter, ports.TryCounter),
]


def parameters(function) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name != "self"]


def methods(kind: type) -> list[str]:
    return [name for name, member in vars(kind).items()
            if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, staticmethod))]


@pytest.mark.parametrize(("fake", "port"), PORTS, ids=lambda kind: kind.__name__)
def test_a_fake_has_every_method_of_its_port_with_its_parameters(fake, port):
    assert methods(port)
    for name in methods(port):
        assert parameters(getattr(fake, name)) == parameters(getattr(port, name)), name


ADAPTERS = [
    (CaseStore, ports.CaseStore), (NotificationOutbox, ports.NotificationOutbox), (CallbackLog, ports.CallbackLog),
    (DirectoryStore, ports.Directory), (QueuePublisher, ports.Publisher), (SnsSmsSender, ports.SmsSender),
    (HttpWebhookClient, ports.WebhookClient), (ReplayGuard, ports.ReplayGuard), (HS256Tokens, ports.TokenMinter),
    (JwksVerifier, ports.TokenVerifier), (XlsxReader, ports.SpreadsheetReader),
    (DocxAgreementRenderer, ports.AgreementRenderer),
    (AttachmentStore, ports.AttachmentStore), (S3AttachmentFiles, ports.AttachmentFiles),
    (TryCounter, ports.TryCounter),
]


@pytest.mark.parametrize(("adapter", "port"), ADAPTERS, ids=lambda kind: kind.__name__)
def test_a_real_adapter_has_every_method_of_its_port_with_its_parameters(adapter, port):
    """The other half of the bargain: what the fakes stand in for keeps to the same ports (an
    adapter may take more parameters after the port's, if they have defaults)."""
    for name in methods(port) + [name for base in port.__mro__[1:] if base.__module__ == ports.__name__
                                 for name in methods(base)]:
        expected = parameters(getattr(port, name))
        signature = inspect.signature(getattr(adapter, name)).parameters
        assert parameters(getattr(adapter, name))[:len(expected)] == expected, name
        assert all(signature[extra].default is not inspect.Parameter.empty
                   for extra in parameters(getattr(adapter, name))[len(expected):]), name


def test_the_fake_case_store_answers_every_read_the_real_one_offers():
    assert set(methods(CaseStore)) <= set(methods(FakeCaseStore))


@pytest.fixture
def saved(centre):
    return centre.case_at(CaseStatus.DISPATCHED)


def test_a_write_of_what_json_cannot_hold_fails_and_stores_nothing(store, saved):
    with refused(TypeError, store.state):
        store.save_change(saved, [Event(MONDAY, "note", "admin:admin", {"when": MONDAY})])


@pytest.mark.parametrize(("version", "load", "required", "error"), [
    (-1, {}, None, StaleCase),
    (0, {"M-NOBODY": 1}, None, MediatorUnavailable),
    (0, {"M-CN-1": 1}, "M-CN-1", MediatorUnavailable),
])
def test_a_save_the_real_transaction_would_cancel_changes_nothing(centre, store, saved, version, load, required,
                                                                  error):
    centre.services.directory_store.update_mediator(centre.services.directory_store.mediator("M-CN-1"),
                                                    {"active": False})
    saved.version += version
    with refused(error, centre.state):
        store.save_change(saved, [], mediator_load=load, require_active_mediator=required)


def test_a_read_is_a_copy(store, saved):
    store.get(saved.case_id).return_visits.append({"seq": 1})
    assert store.get(saved.case_id).return_visits == []


@pytest.mark.parametrize(("publish", "error"), [
    (lambda p: p.publish("nowhere", {}), KeyError),
    (lambda p: p.publish("callbacks", {}, delay_seconds=901), ValueError),
    (lambda p: p.publish("routing", {"at": MONDAY}), TypeError),
    (lambda p: p.publish_batch("notify", [{"at": MONDAY}]), TypeError),
])
def test_the_publisher_refuses_what_sqs_would(publish, error):
    publisher = FakePublisher()
    with pytest.raises(error):
        publish(publisher)
    assert publisher.messages == []


def test_the_clock_is_timezone_aware():
    with pytest.raises(ValueError):
        FakeClock(dt.datetime(2026, 11, 23, 10, 0))


@pytest.mark.parametrize("answer", [301, 404, 500, WebhookError("timed out")])
def test_the_webhook_client_raises_on_anything_but_2xx(answer):
    client = FakeWebhookClient(answer)
    with pytest.raises(WebhookError):
        client.post("https://partner.example/cb", b"{}", {})
    assert client.post("https://partner.example/cb", b"{}", {}) == 200 and len(client.posts) == 2


def test_the_sms_sender_refuses_what_is_no_phone_number():
    sender = FakeSmsSender()
    with pytest.raises(Exception):
        sender.send("not a number", "text")
    assert sender.sent == []
