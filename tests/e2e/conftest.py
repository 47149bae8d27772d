"""The local stack for the end-to-end tests: `python -m devstack` as a subprocess.

Each module using the `stack` fixture starts its own stack once (free ports, a
temporary local directory); it is stopped with SIGINT at the module's end.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from devstack.client import HeweiClient, wait_for
from devstack.launch import STOP_TIMEOUT_SECONDS, LocalStack, launch  # noqa: F401 - the tests' stop timeout


ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 90


def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    result = wait_for(check, timeout)
    if not result:
        pytest.fail(f"{what} did not happen within {timeout:.0f} s")
    return result


@dataclass
class Stack:
    launched: LocalStack
    credentials: dict[str, Any]
    log_path: Path

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self.launched.process

    @property
    def credentials_path(self) -> Path:
        return self.launched.credentials_path

    @property
    def moto_port(self) -> int:
        return self.launched.moto_port

    @property
    def partner(self) -> HeweiClient:
        partner = self.credentials["partner"]
        return HeweiClient(self.credentials["base_url"]).as_partner(partner["key_id"], partner["secret"])

    def log_tail(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]


def start_stack(local_dir: Path, log_path: Path, ports: list[int] | None = None,
                env: dict[str, str] | None = None) -> Stack:
    """A local stack in `local_dir` (with `env` over this environment), ready (its credentials
    written), or the test fails saying why."""
    stack = Stack(launch(local_dir, log_path, ports, env=env), {}, log_path)
    credentials = stack.launched.wait_until_ready(START_TIMEOUT_SECONDS)
    if credentials is None:
        exited = stack.process.poll()
        stack.launched.stop(STOP_TIMEOUT_SECONDS)
        pytest.fail(f"devstack exited with {exited}:\n{stack.log_tail()}" if exited is not None else
                    f"no credentials.json after {START_TIMEOUT_SECONDS} s:\n{stack.log_tail()}")
    stack.credentials = credentials
    return stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    local_dir = tmp_path_factory.mktemp("local-stack")
    started = start_stack(local_dir, local_dir / "devstack.log")
    try:
        yield started
    finally:
        started.launched.stop(STOP_TIMEOUT_SECONDS)
