"""chalicelib/snapstart.py: the SnapStart hooks, registered with a stand-in for the runtime's
`snapshot_restore_py` and run as Lambda runs them (before the snapshot, after each restore)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path

import boto3
import pytest

from chalicelib import snapstart, wiring
from chalicelib.adapters import queues, sms
from chalicelib.adapters.models import ALL_MODELS
from chalicelib.config import settings

ROOT = Path(__file__).resolve().parents[2]


class FakeRuntimeHooks(types.ModuleType):
    """What snapshot_restore_py offers: two registries the runtime reads around a snapshot."""

    def __init__(self):
        super().__init__(snapstart.RUNTIME_HOOKS)
        self.before, self.after = [], []

    def register_before_snapshot(self, func, *args, **kwargs):
        self.before.append(func)
        return func

    def register_after_restore(self, func, *args, **kwargs):
        self.after.append(func)
        return func

    def snapshot(self):
        for func in self.before:
            func()

    def restore(self):
        for func in self.after:
            func()


@pytest.fixture
def runtime(monkeypatch) -> FakeRuntimeHooks:
    hooks = FakeRuntimeHooks()
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS, hooks)
    return hooks


@pytest.fixture(autouse=True)
def fresh_container():
    yield
    wiring.reset()


def test_install_registers_prime_before_the_snapshot_and_reset_after_restore(runtime):
    calls = []
    assert snapstart.install(prime=lambda: calls.append("prime"), reset=lambda: calls.append("reset")) is True
    assert calls == []  # registered, not run
    runtime.snapshot()
    assert calls == ["prime"]
    runtime.restore()
    runtime.restore()
    assert calls == ["prime", "reset", "reset"]


def test_install_does_nothing_without_the_runtime_library(monkeypatch):
    monkeypatch.setitem(sys.modules, snapstart.RUNTIME_HOOKS, None)  # `import` raises ImportError
    calls = []
    assert snapstart.install(prime=lambda: calls.append("prime"), reset=lambda: calls.append("reset")) is False
    assert calls == []


def build_clients():
    """What a first request builds: the container's parts, module clients, model connections."""
    container = wiring.current()
    parts = (container.case_store, container.calendar_store, container.settings)
    clients = (sms._sns(), queues._sqs())
    connections = [model._get_connection() for model in ALL_MODELS]
    return container, parts, clients, connections, boto3._get_default_session()


def test_after_restore_drops_every_client_connection_and_cached_part(runtime):
    snapstart.install(prime=snapstart.before_snapshot, reset=snapstart.after_restore)
    container, parts, clients, connections, session = build_clients()
    runtime.restore()

    assert wiring.current() is not container
    assert all(name not in wiring.current().__dict__ for name in ("case_store", "calendar_store", "settings"))
    assert settings.cache_info().currsize == 0
    assert sms._sns() is not clients[0] and queues._sqs() is not clients[1]
    for model, connection in zip(ALL_MODELS, connections):
        assert model._connection is None, model.__name__
        assert model._get_connection() is not connection
    assert boto3.DEFAULT_SESSION is not session


def test_after_restore_reads_the_same_settings_again():
    """From the environment, which the snapshot keeps: the same values, in a new object."""
    before = settings()
    snapstart.after_restore()
    assert settings() == before and settings() is not before


def test_two_environments_restored_from_one_snapshot_draw_different_random_numbers(runtime):
    snapstart.install(prime=lambda: None, reset=snapstart.after_restore)
    snapshot_state = random.Random(7).getstate()  # what the snapshot holds, the same in both

    def first_draws():
        random.setstate(snapshot_state)
        runtime.restore()
        return [random.random() for _ in range(4)]

    assert first_draws() != first_draws()
    random.setstate(snapshot_state)  # the stand-in itself: without a reseed the draws repeat
    without = [random.random() for _ in range(4)]
    random.setstate(snapshot_state)
    assert [random.random() for _ in range(4)] == without


def prime_in_a_fresh_interpreter(handler: str) -> dict:
    """As at init in a Lambda function of `handler`: `import app`, a client and a part built, the hook."""
    probe = ("import json, sys, app; from chalicelib import snapstart, wiring; from chalicelib.adapters import sms;"
             "sms._sns(); wiring.current().case_store; snapstart.before_snapshot();"
             "print(json.dumps({'loaded': [m for m in snapstart.PRIMED_MODULES + snapstart.API_MODULES"
             " + ('openpyxl', 'docx', 'lxml') if m in sys.modules], 'views': len(sys.modules['chalicelib.api.registry']"
             ".api.views) if 'chalicelib.api.registry' in sys.modules else 0,"
             " 'clients': sms._sns.cache_info().currsize, 'parts': sorted(wiring.current().__dict__)}))")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "_HANDLER": handler}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_before_snapshot_loads_what_the_api_loads_on_first_use_and_leaves_no_client():
    primed = prime_in_a_fresh_interpreter("app.app")
    assert primed["loaded"] == [*snapstart.PRIMED_MODULES, *snapstart.API_MODULES, "openpyxl", "docx", "lxml"]
    assert primed["views"] > 50  # every route module imported (service.load_all)
    assert primed["clients"] == 0 and primed["parts"] == []


def test_before_snapshot_in_a_queue_function_leaves_the_api_unloaded():
    primed = prime_in_a_fresh_interpreter("app.route_cases")
    assert not set(snapstart.API_MODULES) & set(primed["loaded"]) and primed["views"] == 0
    assert primed["clients"] == 0 and primed["parts"] == []
