"""The services under test, built by `Container` on the in-memory fakes (cosmicpython's `bootstrap`)."""

from __future__ import annotations

import pytest

from chalicelib.domain.enums import CaseStatus
from chalicelib.wiring import Container
from tests.fakes import (
    FakeAccessLog, FakeAgreementRenderer, FakeAttachmentFiles, FakeAttachmentStore, FakeCalendarStore, FakeCaseStore,
    FakeClock,
    FakeDirectory, FakeExportFiles, FakeExportJobs, FakeMetrics, FakePatrolStore, FakePublisher, FakeReplayGuard,
    FakeSendLedgers, FakeSmsSender, FakeStatsStore, FakeTryCounter, FakeWebhookClient)
from tests.unit.services.builders import MONDAY, Centre


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


def _fresh(name: str, fake: type) -> None:
    """A fixture `name` that gives each test a new `fake`."""
    globals()[name] = pytest.fixture(name=name)(lambda: fake())


for _name, _fake in {"directory_store": FakeDirectory, "publisher": FakePublisher, "sms": FakeSmsSender,
                     "webhook": FakeWebhookClient, "guard": FakeReplayGuard, "calendar_store": FakeCalendarStore,
                     "metrics": FakeMetrics, "export_jobs": FakeExportJobs, "export_files": FakeExportFiles}.items():
    _fresh(_name, _fake)


@pytest.fixture
def store(directory_store) -> FakeCaseStore:
    return FakeCaseStore(directory_store)


def fake_container(clock, **parts) -> Container:
    """Every port a fake (those not given new ones): the case store is also the outbox and the callback log."""
    directory = parts.pop("directory_store", None) or FakeDirectory()
    store = parts.pop("case_store", None) or FakeCaseStore(directory)
    defaults = dict(publisher=FakePublisher(), sms_sender=FakeSmsSender(), webhook=FakeWebhookClient(),
                    replay_guard=FakeReplayGuard(), calendar_store=FakeCalendarStore(), metrics=FakeMetrics(),
                    export_jobs=FakeExportJobs(), export_files=FakeExportFiles(), patrol_store=FakePatrolStore(),
                    stats_store=FakeStatsStore(store, directory), agreement_renderer=FakeAgreementRenderer(),
                    try_counter=FakeTryCounter(), access_log=FakeAccessLog(), send_ledgers=FakeSendLedgers())
    defaults.update(attachment_store=FakeAttachmentStore(store), attachment_files=FakeAttachmentFiles())
    guard = parts.get("replay_guard", defaults["replay_guard"])
    if isinstance(guard, FakeReplayGuard):
        store.replay_keys = guard.seen  # one table's rows, written by the guard or with a case
    return Container(clock=clock, case_store=store, outbox=store, callback_log=store, directory_store=directory,
                     **{**defaults, **parts})


@pytest.fixture
def container(clock, store, directory_store, publisher, sms, webhook, guard, calendar_store, metrics, export_jobs,
              export_files) -> Container:
    return fake_container(clock, case_store=store, directory_store=directory_store, publisher=publisher,
                          sms_sender=sms, webhook=webhook, replay_guard=guard, calendar_store=calendar_store,
                          metrics=metrics, export_jobs=export_jobs, export_files=export_files)


@pytest.fixture
def centre(container) -> Centre:
    """The container with the demo directory and partner loaded."""
    return Centre(container)


@pytest.fixture
def received(centre):
    """The partner's case R-1, filed on MONDAY; its routing message not yet handled."""
    return centre.file("R-1")


@pytest.fixture
def dispatched(centre):
    """The partner's case R-1 dispatched to mediator M-CN-1 of the village org V-CN; its SMS pending."""
    return centre.case_at(CaseStatus.DISPATCHED)


def _use_case(name: str):
    """A fixture of one use case of the container."""
    return pytest.fixture(name=name)(lambda container: getattr(container, name))


queries, routing, notifier, callbacks = map(_use_case, ("queries", "routing", "notifier", "callbacks"))
