"""The local stack's state between runs (本地状态): a snapshot of moto's backends in one file.

Why a snapshot rather than moto's recorder: the recorder appends every request
to a file and replays them all on start. The pump's SQS long polls alone would
grow that file forever, and a replay cannot repeat what happened: a replayed
`ReceiveMessage` hides messages again and the later `DeleteMessage` carries a
receipt handle the new queue never issued, so work done before the stop is
done again (SMS sent twice, callbacks repeated). A snapshot holds the outcome
instead: tables and items (cases, directory, SMS outbox), queues with the
messages still in them, the SMS that SNS sent, the exports and attachments.

The file is rewritten whole, atomically (a reader or a crash sees the old one
or the new one), when the stack stops and, while it runs, within
`SAVE_INTERVAL_SECONDS` of a change. A `kill -9` loses the changes of that last
interval at most. The service's own settings that must outlive a run (the
master key from which partner secrets and party pseudonyms are derived) are
kept in the same file, so they cannot part from the data they belong to.

A snapshot is tied to the moto version that wrote it (pickles of moto's
classes): another version refuses it with a message rather than guessing.
"""

from __future__ import annotations

import contextlib
import copyreg
import io
import logging
import os
import pickle
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("devstack")

SERVICES = ("dynamodb", "sqs", "sns", "s3")
"""moto's backends the stack uses: tables, queues, SMS and topics, buckets."""

FORMAT = 1
SAVE_INTERVAL_SECONDS = 2.0
PAUSE_SHARE = 0.1
STATE_FILE_NAME = "aws-state.pickle"
CAPTURE_ATTEMPTS = 5



class StateError(RuntimeError):
    """The saved state cannot be used; the message says why and what to do."""


_FRESH_LOCKS: dict[type, Any] = {
    threading.Condition: lambda _: (threading.Condition, ()),
    type(threading.Lock()): lambda _: (threading.Lock, ()),
    type(threading.RLock()): lambda _: (threading.RLock, ()),
}
"""moto's queues and S3 keys hold locks and conditions: saved as fresh, unlocked ones.
(A dispatch table by exact type: every other object is pickled at C speed.)"""


def dumps(value: Any) -> bytes:
    """Pickle `value`, replacing every lock and condition in it by a new one."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, **_FRESH_LOCKS}
    pickler.dump(value)
    return buffer.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def _moto_version() -> str:
    import moto

    return str(moto.__version__)


def capture_backends() -> dict[str, dict[str, dict[str, Any]]]:
    """moto's live backends of `SERVICES`: {service: {account: {region: backend}}}."""
    from moto.backends import get_backend

    return {
        name: {account: dict(regions.items()) for account, regions in get_backend(name).items()}  # type: ignore[arg-type]
        for name in SERVICES
    }


def restore_backends(backends: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Put saved backends in place of moto's, before any request reaches them."""
    from moto.backends import get_backend

    for name, accounts in backends.items():
        live = get_backend(name)  # type: ignore[arg-type]
        for account, regions in accounts.items():
            for region, backend in regions.items():
                live[account][region] = backend


@dataclass(frozen=True)
class Restored:
    settings: dict[str, str]
    saved_at: float
    size: int


class LocalState:
    """The snapshot file: what `load` finds there, what `save` writes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Restored | None:
        """Restore moto's backends from the file; None when there is none (a fresh start)."""
        if not self.path.exists():
            return None
        data = self.path.read_bytes()
        try:
            snapshot = pickle.loads(data)
        except Exception as exc:
            raise StateError(f"{self.path} cannot be read ({type(exc).__name__}: {exc}); "
                             "`make reset` starts afresh") from exc
        if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT:
            raise StateError(f"{self.path} is not a local state of format {FORMAT}; `make reset` starts afresh")
        if snapshot.get("moto") != _moto_version():
            raise StateError(f"{self.path} was saved by moto {snapshot.get('moto')}, this is moto "
                             f"{_moto_version()}; `make reset` starts afresh")
        restore_backends(snapshot["backends"])
        return Restored(dict(snapshot["settings"]), float(snapshot["saved_at"]), len(data))

    def snapshot(self, settings: dict[str, str]) -> bytes:
        """The current backends as bytes. moto must be idle meanwhile (see `StateKeeper`)."""
        return dumps({"format": FORMAT, "moto": _moto_version(), "saved_at": time.time(),
                      "settings": settings, "backends": capture_backends()})

    def save(self, data: bytes) -> None:
        write_atomically(self.path, data)


class Gate(Protocol):
    """What the keeper needs of the AWS server (`devstack.aws.StateGate`)."""

    @property
    def changes(self) -> int: ...

    def paused(self) -> contextlib.AbstractContextManager[None]: ...


class StateKeeper(threading.Thread):
    """Saves the state within `interval` of a change, and once more on `stop`.

    The backends are pickled while the gate holds every request back, so the
    snapshot is one consistent moment; the file is written after the requests
    have resumed. That pause is about 0.1 s per 1,000 case-sized items (a few
    ms for the demo's data); the keeper waits at least `PAUSE_SHARE`⁻¹ times
    its last pause between saves, so requests are held back at most a tenth
    of the time however large the state grows.
    """

    def __init__(self, state: LocalState, gate: Gate, settings: dict[str, str],
                 interval: float = SAVE_INTERVAL_SECONDS) -> None:
        super().__init__(name="state-keeper", daemon=True)
        self._state = state
        self._gate = gate
        self._settings = settings
        self.interval = interval
        self._stop_event = threading.Event()
        self._saved_changes: int | None = None
        self._wait = interval
        self._save_lock = threading.Lock()
        self.saves = 0

    def save_if_changed(self) -> bool:
        with self._save_lock:
            if self._saved_changes is not None and self._gate.changes == self._saved_changes:
                return False
            data, changes = self._capture()
            self._state.save(data)
            self._saved_changes = changes
            self.saves += 1
            return True

    def _capture(self) -> tuple[bytes, int]:
        for attempt in range(1, CAPTURE_ATTEMPTS + 1):
            with self._gate.paused():
                started = time.monotonic()
                changes = self._gate.changes
                try:
                    data = self._state.snapshot(self._settings)
                except RuntimeError:  # a long poll changed a queue meanwhile ("changed size during iteration")
                    if attempt == CAPTURE_ATTEMPTS:
                        raise
                    data = None
                paused = time.monotonic() - started
            if data is not None:
                self._wait = max(self.interval, paused / PAUSE_SHARE)
                return data, changes
            time.sleep(0.05)
        raise AssertionError("unreachable")

    def run(self) -> None:
        while not self._stop_event.wait(self._wait):
            try:
                self.save_if_changed()
            except Exception as exc:
                log.warning("state: not saved: %s", exc)

    def stop(self) -> None:
        """Stop saving periodically and save a last time (the stack is stopping)."""
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=10)
        self.save_if_changed()
