"""The local stack for the end-to-end tests: `python -m devstack` as a subprocess.

Each module using the `stack` fixture starts its own stack once (free ports, a
temporary local directory); it is stopped with SIGINT at the module's end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from devstack.client import HeweiClient, free_ports, wait_for


ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 45
"""Above the stack's own worst case (workers 10 s, then chalice local 10 s and its kill 5 s), so a
busy machine does not fail a clean stop."""


def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    result = wait_for(check, timeout)
    if not result:
        pytest.fail(f"{what} did not happen within {timeout:.0f} s")
    return result


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    credentials: dict[str, Any]
    credentials_path: Path
    moto_port: int
    log_path: Path

    @property
    def partner(self) -> HeweiClient:
        partner = self.credentials["partner"]
        return HeweiClient(self.credentials["base_url"]).as_partner(partner["key_id"], partner["secret"])

    def log_tail(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    local_dir = tmp_path_factory.mktemp("local-stack")
    api_port, moto_port, callback_port = free_ports(3)
    env = {
        **os.environ,
        "HEWEI_PORT": str(api_port),
        "HEWEI_MOTO_PORT": str(moto_port),
        "HEWEI_CALLBACK_PORT": str(callback_port),
        "HEWEI_LOCAL_DIR": str(local_dir),
    }
    log_path = local_dir / "devstack.log"
    credentials_path = local_dir / "credentials.json"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"], cwd=ROOT, env=env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
    stack = Stack(process, {}, credentials_path, moto_port, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not credentials_path.exists():
            if process.poll() is not None:
                pytest.fail(f"devstack exited with {process.returncode}:\n{stack.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no credentials.json after {START_TIMEOUT_SECONDS} s:\n{stack.log_tail()}")
            time.sleep(0.25)
        stack.credentials = json.loads(credentials_path.read_text(encoding="utf-8"))
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
