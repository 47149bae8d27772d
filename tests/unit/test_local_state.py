"""devstack's persistence, without moto: pickling locks, the keeper, the gate, the callback
journal and the kept partner."""

from __future__ import annotations

import contextlib
import json
import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from chalicelib.domain.signing import derive_secret
from devstack.aws import StateGate, changes_state, operation_of
from devstack.callback_sink import CallbackSink, read_journal
from devstack.seed import kept_partner
from devstack.state import StateKeeper, dumps, write_atomically


class Queue:
    """Holds what moto's queues hold: a condition, a lock, an re-entrant lock, data."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.lock = threading.Lock()
        self.rlock = threading.RLock()
        self.messages = ["一", "二"]


def test_locks_and_conditions_are_pickled_as_new_unlocked_ones():
    queue = Queue()
    with queue.lock, queue.condition:  # held while pickled, as in a running server
        copy = pickle.loads(dumps(queue))
    assert copy.messages == ["一", "二"]
    assert copy.lock.acquire(blocking=False) and copy.rlock.acquire(blocking=False)
    with copy.condition:
        copy.condition.notify_all()


def test_a_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "state" / "aws-state.pickle"
    write_atomically(path, b"first")
    write_atomically(path, b"second")
    assert path.read_bytes() == b"second"
    assert [p.name for p in path.parent.iterdir()] == ["aws-state.pickle"]
    assert path.stat().st_mode & 0o777 == 0o600


# ------------------------------------------------------------------ the gate


def environ(method="POST", target="", query=""):
    return {"REQUEST_METHOD": method, "HTTP_X_AMZ_TARGET": target, "QUERY_STRING": query}


def test_operations_are_named_by_target_or_query():
    assert operation_of(environ(target="DynamoDB_20120810.PutItem")) == "PutItem"
    assert operation_of(environ(query="Version=2012-11-05&Action=SendMessage")) == "SendMessage"
    assert operation_of(environ()) == ""


def test_reads_change_nothing_and_everything_else_may():
    assert not changes_state(environ(target="DynamoDB_20120810.Query"))
    assert not changes_state(environ(target="DynamoDB_20120810.GetItem"))
    assert not changes_state(environ(target="AmazonSQS.ReceiveMessage"))
    assert not changes_state(environ("GET"))  # S3 downloads, moto's own pages
    assert changes_state(environ(target="DynamoDB_20120810.TransactWriteItems"))
    assert changes_state(environ(target="AmazonSQS.DeleteMessage"))
    assert changes_state(environ("PUT"))  # S3 uploads
    assert changes_state(environ())  # SNS names its action in the body: counted


class SlowApp:
    def __init__(self) -> None:
        self.served = 0

    def __call__(self, environ, start_response):
        time.sleep(0.05)
        self.served += 1
        start_response("200 OK", [])
        return [b"{}"]


def call(gate, env):
    return b"".join(gate(dict(env), lambda *a: None))


def test_the_gate_counts_the_requests_that_change_state():
    gate = StateGate(SlowApp())
    call(gate, environ(target="DynamoDB_20120810.PutItem"))
    call(gate, environ(target="DynamoDB_20120810.Query"))
    call(gate, environ("GET"))
    assert gate.changes == 1


def test_a_pause_holds_requests_back_but_not_long_polls():
    app = SlowApp()
    gate = StateGate(app)
    with ThreadPoolExecutor(2) as pool:
        with gate.paused():
            write = pool.submit(call, gate, environ(target="DynamoDB_20120810.PutItem"))
            poll = pool.submit(call, gate, environ(target="AmazonSQS.ReceiveMessage"))
            assert poll.result(timeout=5) == b"{}"
            time.sleep(0.2)
            assert not write.done() and gate.changes == 0
        assert write.result(timeout=5) == b"{}"
    assert gate.changes == 1


def test_a_pause_waits_for_the_requests_being_served():
    app = SlowApp()
    gate = StateGate(app)
    with ThreadPoolExecutor(4) as pool:
        writes = [pool.submit(call, gate, environ(target="DynamoDB_20120810.PutItem")) for _ in range(4)]
        time.sleep(0.01)
        with gate.paused():
            seen = (app.served, gate.changes)
        for write in writes:
            write.result(timeout=5)
    assert seen[0] == seen[1]  # nothing half served at the moment of the snapshot


# ---------------------------------------------------------------- the keeper


class FakeGate:
    def __init__(self) -> None:
        self.changes = 0
        self.pauses = 0

    @contextlib.contextmanager
    def paused(self):
        self.pauses += 1
        yield


class FakeState:
    def __init__(self) -> None:
        self.saved: list[bytes] = []
        self.snapshots = 0

    def snapshot(self, settings):
        self.snapshots += 1
        return json.dumps({"n": self.snapshots, **settings}).encode()

    def save(self, data):
        self.saved.append(data)


def test_the_keeper_saves_only_after_a_change_and_once_more_on_stop():
    gate, state = FakeGate(), FakeState()
    keeper = StateKeeper(state, gate, {"secret_key": "k"}, interval=3600)
    assert keeper.save_if_changed()  # the first save always happens
    assert not keeper.save_if_changed()
    gate.changes = 3
    assert keeper.save_if_changed()
    assert not keeper.save_if_changed()
    gate.changes = 4
    keeper.stop()
    assert [json.loads(data) for data in state.saved] == [
        {"n": 1, "secret_key": "k"}, {"n": 2, "secret_key": "k"}, {"n": 3, "secret_key": "k"}]
    assert gate.pauses == 3


def test_the_keeper_saves_by_itself_within_its_interval():
    gate, state = FakeGate(), FakeState()
    keeper = StateKeeper(state, gate, {}, interval=0.05)
    keeper.save_if_changed()
    keeper.start()
    try:
        gate.changes = 1
        deadline = time.monotonic() + 5
        while len(state.saved) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        keeper.stop()
    assert len(state.saved) == 2


def test_a_capture_spoilt_by_a_long_poll_is_tried_again():
    gate, state = FakeGate(), FakeState()
    attempts = []

    def snapshot(settings):
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("dictionary changed size during iteration")
        return b"ok"

    state.snapshot = snapshot
    assert StateKeeper(state, gate, {}).save_if_changed()
    assert state.saved == [b"ok"] and len(attempts) == 3


# ---------------------------------------------------------- the callback log


def test_the_journal_is_read_back_and_a_line_cut_short_is_skipped(tmp_path):
    journal = tmp_path / "callbacks.jsonl"
    journal.write_text(json.dumps({"path": "/callbacks", "body": {"case_id": "HW1"}}, ensure_ascii=False)
                       + "\n" + '{"path": "/callb', encoding="utf-8")
    assert read_journal(journal) == [{"path": "/callbacks", "body": {"case_id": "HW1"}}]
    assert read_journal(tmp_path / "none.jsonl") == []


def test_the_sink_starts_with_what_earlier_runs_received(tmp_path):
    journal = tmp_path / "callbacks.jsonl"
    journal.write_text(json.dumps({"path": "/callbacks", "body": {"case_id": "HW1"}}) + "\n" + '{"cut', "utf-8")
    sink = CallbackSink("127.0.0.1", 0, journal)
    try:
        assert [entry["body"]["case_id"] for entry in sink.snapshot()] == ["HW1"]
        from email.message import Message

        sink.record("/callbacks", Message(), json.dumps({"case_id": "HW2"}).encode())
    finally:
        sink._server.server_close()
    assert [entry["body"]["case_id"] for entry in read_journal(journal)] == ["HW1", "HW2"]


# --------------------------------------------------------- the kept partner


class FakeAdmin:
    def __init__(self, partner: dict | None) -> None:
        self.partner = partner
        self.calls: list[tuple[str, str, object]] = []

    def request(self, method, path, json=None, **kwargs):
        self.calls.append((method, path, json))
        if self.partner is None:
            return 404, {}, {"title": "Not Found"}
        if method == "PATCH":
            self.partner = {**self.partner, **json}
        return 200, {}, self.partner


def test_no_demo_partner_means_seeding():
    assert kept_partner(FakeAdmin(None), b"master", "http://127.0.0.1:8001/callbacks") is None


def test_the_kept_partner_has_the_same_key_and_its_derived_secret():
    admin = FakeAdmin({"partner_id": "demo-12345", "key_id": "pk_abc", "callback_url": "http://127.0.0.1:8001/callbacks"})
    assert kept_partner(admin, b"master", "http://127.0.0.1:8001/callbacks") == (
        "pk_abc", derive_secret(b"master", "pk_abc"))
    assert [call[0] for call in admin.calls] == ["GET"]


def test_a_moved_callback_sink_is_told_to_the_partner():
    admin = FakeAdmin({"partner_id": "demo-12345", "key_id": "pk_abc", "callback_url": "http://127.0.0.1:8001/callbacks"})
    kept_partner(admin, b"master", "http://127.0.0.1:9001/callbacks")
    assert admin.calls[-1] == ("PATCH", "/v1/partners/demo-12345", {"callback_url": "http://127.0.0.1:9001/callbacks"})


# ------------------------------------------------------ one stack per directory


def test_a_second_stack_on_the_same_directory_is_refused_until_the_first_ends(tmp_path):
    import pytest

    from devstack.lock import LocalDirBusy, hold

    first = hold(tmp_path / "local")
    with pytest.raises(LocalDirBusy, match="stop it first"):
        hold(tmp_path / "local")
    first.close()
    hold(tmp_path / "local").close()


def test_reset_deletes_the_directory_but_not_under_a_running_stack(tmp_path):
    import pytest

    from devstack.lock import LocalDirBusy, hold, main

    local = tmp_path / "local"
    (local / "nested").mkdir(parents=True)
    (local / "aws-state.pickle").write_bytes(b"state")
    running = hold(local)
    with pytest.raises(LocalDirBusy):
        from devstack.lock import reset

        reset(local)
    assert main(["reset", str(local)]) == 1 and (local / "aws-state.pickle").exists()
    running.close()
    assert main(["reset", str(local)]) == 0 and not local.exists()
    assert main(["reset", str(local)]) == 0  # nothing to delete: fine


def test_a_start_clears_the_credentials_a_killed_run_left_even_when_its_ports_are_busy(tmp_path, monkeypatch):
    """A run killed with SIGKILL leaves `credentials.json` (a token and ports of a stack that is
    gone). The next start removes it first, under the directory's lock, whatever happens next."""
    import socket

    from devstack import runner

    (tmp_path / "credentials.json").write_text('{"admin_token": "stale"}')
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("HEWEI_LOCAL_DIR", str(tmp_path))
        monkeypatch.setenv("HEWEI_PORT", str(taken.getsockname()[1]))
        assert runner.main() == 2  # the port is busy: nothing started
    assert not (tmp_path / "credentials.json").exists()
    from devstack.lock import hold

    hold(tmp_path).close()  # and the lock was released
