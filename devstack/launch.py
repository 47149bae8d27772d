"""A local stack as a child process (`python -m devstack`), on given or free ports and in its own
state directory, stopped as Ctrl-C stops it: how the end-to-end tests and the benches that need
a whole stack start one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .client import free_ports, wait_for

ROOT = Path(__file__).resolve().parents[1]
STOP_TIMEOUT_SECONDS = 45.0
"""Above the stack's own worst case (workers 10 s, then chalice local 10 s and its kill 5 s), so a
busy machine does not fail a clean stop."""


@dataclass
class LocalStack:
    process: subprocess.Popen
    local_dir: Path
    api_port: int
    moto_port: int
    callback_port: int
    sms_port: int | None = None
    """The SMS provider stand-in's (a stack launched with `HEWEI_SMS_PROVIDER=aliyun` or `tencent`)."""
    launched_at: float = 0.0
    """`time.time()` at the launch: a credentials file older than that is a killed run's."""

    @property
    def sms_messages_url(self) -> str | None:
        return f"http://127.0.0.1:{self.sms_port}/_messages" if self.sms_port else None

    @property
    def credentials_path(self) -> Path:
        return self.local_dir / "credentials.json"

    def wait_until_ready(self, timeout: float) -> dict[str, Any] | None:
        """The stack's credentials once it has written them; None if it exited, or `timeout`
        seconds passed, first."""
        wait_for(lambda: self._fresh_credentials() or self.process.poll() is not None, timeout)
        if not self._fresh_credentials():
            return None
        return json.loads(self.credentials_path.read_text(encoding="utf-8"))

    def _fresh_credentials(self) -> bool:
        """Whether this stack wrote its credentials: not a killed run's file, which it removes
        at start, found before it did."""
        try:
            return self.credentials_path.stat().st_mtime >= self.launched_at
        except FileNotFoundError:
            return False

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """SIGINT, as Ctrl-C; killed if it still runs `timeout` seconds later. True if it stopped
        by itself (or had already)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return False
        return True


def launch(local_dir: Path, log_path: Path | None = None, ports: list[int] | None = None,
           env: dict[str, str] | None = None) -> LocalStack:
    """Start a stack keeping its state in `local_dir`, its output in `log_path` (none if not
    given), on `ports` (API, moto, callback sink and, with a mainland SMS provider, its
    stand-in; free ones if not given), with `env` over this process's environment (such as
    `{"HEWEI_SMS_PROVIDER": "aliyun"}`)."""
    settings = {**os.environ, **(env or {})}
    with_stand_in = (settings.get("HEWEI_SMS_PROVIDER") or "sns").strip().lower() != "sns"
    chosen = list(ports or free_ports(4 if with_stand_in else 3))
    if with_stand_in and len(chosen) < 4:
        chosen += free_ports(1)
    api_port, moto_port, callback_port = chosen[:3]
    sms_port = chosen[3] if with_stand_in else None
    env = {**settings, "HEWEI_PORT": str(api_port), "HEWEI_MOTO_PORT": str(moto_port),
           "HEWEI_CALLBACK_PORT": str(callback_port), "HEWEI_LOCAL_DIR": str(local_dir)}
    if sms_port is not None:
        env["HEWEI_SMS_PORT"] = str(sms_port)
    argv = [sys.executable, "-m", "devstack"]
    launched_at = time.time()  # the stack writes its credentials seconds later: well after, on any file clock
    if log_path is None:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    else:
        with log_path.open("wb") as log:
            process = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT)
    return LocalStack(process, local_dir, api_port, moto_port, callback_port, sms_port, launched_at)
