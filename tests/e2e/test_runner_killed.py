"""The runner killed with SIGKILL (no clean stop): its `chalice local` dies with it, and the next
`make run` on the same directory and ports starts, clearing what the killed run left."""

from __future__ import annotations

import signal
from pathlib import Path

from devstack.client import HeweiClient, free_ports
from devstack.launch import STOP_TIMEOUT_SECONDS
from tests.e2e.conftest import eventually, start_stack


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def test_a_killed_runner_leaves_no_orphan_on_its_port_and_the_next_start_clears_its_credentials(tmp_path):
    ports = free_ports(3)
    first = start_stack(tmp_path, tmp_path / "first.log", ports)
    servers = children(first.process.pid)
    assert servers, "chalice local runs as the runner's child"
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    eventually(lambda: all(gone(pid) for pid in servers), 10, "chalice local exiting with its runner")
    assert first.credentials_path.exists()  # what the killed run could not remove

    second = start_stack(tmp_path, tmp_path / "second.log", ports)
    try:
        assert "cleared what a run that did not stop left: credentials.json" in second.log_path.read_text()
        assert second.credentials["admin_token"] != first.credentials["admin_token"]
        status, _, _ = HeweiClient(second.credentials["base_url"]).as_staff(
            second.credentials["admin_token"]).request("GET", "/v1/meta")
        assert status == 200
    finally:
        assert second.launched.stop(STOP_TIMEOUT_SECONDS)
    assert all(gone(pid) for pid in servers)  # nothing of the first run is left
