"""End to end: the local stack keeps its state across a stop (SIGINT) and a new start.

One stack is started on free ports with a temporary local directory, given a
case, an SMS, a callback and a new mediator, stopped with SIGINT, and started
again with the same directory: everything is still there, the partner's key
and secret are the same, and the new admin token works (the old one does not).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from devstack.client import HeweiClient, free_ports
from tests.e2e.conftest import STOP_TIMEOUT_SECONDS, Stack, eventually, start_stack
from tests.support import valid_id_number

UNSENT = ("pending", "deferred", "sending", "failed")
"""An SMS record's statuses before it goes: the notify queue (and the frequency limits' slots) may
send it once the stack is back."""


def start(local_dir: Path, ports: list[int], run: int) -> Stack:
    return start_stack(local_dir, local_dir.parent / f"devstack-{run}.log", ports)


def stop(stack: Stack) -> int:
    if not stack.launched.stop(STOP_TIMEOUT_SECONDS):
        pytest.fail(f"devstack still running {STOP_TIMEOUT_SECONDS} s after SIGINT:\n{stack.log_tail()}")
    return stack.process.returncode


def admin_of(stack: Stack) -> HeweiClient:
    return HeweiClient(stack.credentials["base_url"]).as_staff(stack.credentials["admin_token"])


def callbacks_of(stack: Stack, case_id: str) -> list[dict[str, Any]]:
    _, _, received = HeweiClient(stack.credentials["callback_sink"]).request("GET", "")
    return [entry for entry in received or []
            if isinstance(entry.get("body"), dict) and entry["body"].get("case_id") == case_id]


NEW_MEDIATOR = {"mediator_id": "med-901", "name": "沈持久", "phone": "13900000901",
                "org_id": "org-320509102001-tw", "specialties": ["neighbor"], "active": True}


def test_cases_sms_directory_and_callbacks_survive_a_restart(tmp_path: Path) -> None:
    local_dir = tmp_path / "local"
    ports = free_ports(3)
    first = start(local_dir, ports, 1)
    try:
        admin = admin_of(first)
        status, _, mediator = admin.request("POST", "/v1/mediators", json=NEW_MEDIATOR)
        assert status == 201, mediator
        status, _, case = first.partner.request("POST", "/v1/cases", json={
            "external_ref": f"12345-persist-{time.time_ns()}", "channel": "hotline_12345", "category": "neighbor",
            "title": "楼道堆物引发邻里纠纷", "description": "邻居长期在楼道堆放杂物，多次沟通无果。",
            "region_code": "320509102001", "address": "震泽镇宝塔社区5幢",
            "parties": [{"role": "applicant", "name": "王五", "phone": "13812340000", "id_number": valid_id_number()},
                        {"role": "respondent", "name": "赵六"}],
            "amount_cny": 0, "risk_indicators": []})
        assert status == 201, case
        case_id = case["case_id"]
        eventually(lambda: admin.request("GET", f"/v1/cases/{case_id}")[2]["status"] == "dispatched", 30,
                   f"dispatch of {case_id}")
        # Sent, or deferred in quiet hours (the stack runs on the real clock): a record either way.
        eventually(lambda: admin.request("GET", f"/v1/cases/{case_id}/notifications")[2], 30,
                   f"an SMS record for {case_id}")
        eventually(lambda: [c for c in callbacks_of(first, case_id) if c["body"].get("status") == "dispatched"],
                   30, f"the dispatched callback for {case_id}")
        before = {
            "case": admin.request("GET", f"/v1/cases/{case_id}")[2],
            "events": admin.request("GET", f"/v1/cases/{case_id}/events")[2],
            "notifications": admin.request("GET", f"/v1/cases/{case_id}/notifications")[2],
            "mediators": admin.request("GET", "/v1/mediators")[2]["items"],
            "callbacks": callbacks_of(first, case_id),
        }
    finally:
        code = stop(first)
    assert code == 0, first.log_tail()
    assert not first.credentials_path.exists()
    assert (local_dir / "aws-state.pickle").exists() and (local_dir / "callbacks.jsonl").exists()

    second = start(local_dir, ports, 2)
    try:
        log = second.log_path.read_text(encoding="utf-8")
        assert "state: restored" in log and "not seeded again" in log, second.log_tail()
        assert second.credentials["partner"] == first.credentials["partner"]
        assert second.credentials["admin_token"] != first.credentials["admin_token"]
        old_admin, admin = admin_of(first), admin_of(second)
        assert old_admin.request("GET", "/v1/mediators")[0] == 401  # a new token secret each run

        # What was there is there; work still queued at the stop may add to it, never take away.
        case = admin.request("GET", f"/v1/cases/{case_id}")[2]
        assert {k: case[k] for k in ("case_id", "external_ref", "title", "status", "received_at")} == {
            k: before["case"][k] for k in ("case_id", "external_ref", "title", "status", "received_at")}
        events = admin.request("GET", f"/v1/cases/{case_id}/events")[2]
        assert events[:len(before["events"])] == before["events"]
        notifications = admin.request("GET", f"/v1/cases/{case_id}/notifications")[2]
        for old in before["notifications"]:  # each still there; one held or queued at the stop may have gone since
            [now] = [n for n in notifications if (n["kind"], n["created_at"], n["text"], n["to"]) == (
                old["kind"], old["created_at"], old["text"], old["to"])]
            assert now == old or (old["status"] in UNSENT and now["status"] == "sent"), (old, now)
        mediators = admin.request("GET", "/v1/mediators")[2]["items"]
        assert mediators == before["mediators"]  # the added one kept, the seeded ones not doubled
        assert sum(1 for m in mediators if m["mediator_id"] == "med-901") == 1
        assert callbacks_of(second, case_id)[:len(before["callbacks"])] == before["callbacks"]

        status, _, seen = second.partner.request("GET", f"/v1/cases/{case_id}")  # same key, same secret
        assert status == 200 and seen["case_id"] == case_id, seen
    finally:
        assert stop(second) == 0, second.log_tail()
