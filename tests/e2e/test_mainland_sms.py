"""The local stack sending through a mainland provider (`HEWEI_SMS_PROVIDER=aliyun` / `tencent`):
its stand-in checks each request's signature as the provider does and records the message; the
case's notification keeps the provider's receipt."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Iterator

import pytest

from chalicelib.domain.sms_templates import TEMPLATES
from devstack.client import HeweiClient
from tests.e2e.conftest import STOP_TIMEOUT_SECONDS, Stack, eventually, start_stack
from tests.support import valid_id_number

CASE = {
    "channel": "hotline_12345", "category": "neighbor", "title": "楼上漏水引发邻里纠纷",
    "description": "楼上卫生间漏水，多次协商未果。", "region_code": "320509102001", "address": "宝塔社区3幢",
    "parties": [{"role": "applicant", "name": "张三", "phone": "13812345678", "id_number": valid_id_number()},
                {"role": "respondent", "name": "李四"}],
    "risk_indicators": ["threat_of_violence"],
}
"""A red case: its SMS go at any hour (§6 quiet hours hold the others from 22:00 to 08:00 in
Asia/Shanghai), so the test does not depend on the time of day it runs at."""


@pytest.fixture(scope="module", params=["aliyun", "tencent"])
def mainland(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Stack]]:
    local_dir = tmp_path_factory.mktemp(f"local-{request.param}")
    started = start_stack(local_dir, local_dir / "devstack.log", env={"HEWEI_SMS_PROVIDER": request.param})
    try:
        yield request.param, started
    finally:
        started.launched.stop(STOP_TIMEOUT_SECONDS)


def stand_in_messages(stack: Stack) -> dict[str, Any]:
    with urllib.request.urlopen(stack.launched.sms_messages_url, timeout=5) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read())


def test_a_dispatch_sms_goes_through_the_provider_signed_and_its_receipt_is_kept(mainland) -> None:
    provider, stack = mainland
    status, _, body = stack.partner.request("POST", "/v1/cases", json={**CASE, "external_ref": f"SMS-{provider}"})
    assert status == 201, body
    case_id = body["case_id"]
    admin = HeweiClient(stack.credentials["base_url"]).as_staff(stack.credentials["admin_token"])

    def sent() -> dict[str, Any] | None:
        notes = admin.request("GET", f"/v1/cases/{case_id}/notifications")[2]
        return next((n for n in notes if n["kind"] == "dispatch" and n["status"] == "sent"), None)

    note = eventually(sent, 30, f"the dispatch SMS of {case_id} through {provider}")
    assert note["provider"] == provider and note["template"] == "dispatch" and note["error_code"] is None
    recorded = stand_in_messages(stack)
    accepted = [m for m in recorded["messages"] if m["message_id"] == note["message_id"]]
    assert len(accepted) == 1, recorded
    message = accepted[0]
    assert message["provider"] == provider and message["template_code"] == TEMPLATES["dispatch"].codes[provider]
    assert message["sign_name"] == "和为贵" and message["phone"][-4:] == note["to"][-4:] and "*" not in message["phone"]
    assert case_id in json.dumps(message["params"], ensure_ascii=False)
    assert message["text"] == note["text"]
    assert recorded["refusals"] == []  # every request's signature checked out
