"""A partner integrates from the published document alone: a client generated from the local
stack's `/openapi.json` by a standard generator (openapi-python-client) files a case and reads
it back, signing each request with an httpx event hook written from the document's
`partnerKey` description (not from the service's code)."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import Stack, eventually
from tests.support import valid_id_number

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
CONFIG = """\
project_name_override: hewei-partner-client
package_name_override: hewei_partner_client
post_hooks: []
content_type_overrides:
  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream
  application/vnd.openxmlformats-officedocument.wordprocessingml.document: application/octet-stream
"""


def partner_signer(key_id: str, secret: str):
    """An httpx request hook signing as the document says: HMAC-SHA256(secret, TIMESTAMP \\n
    METHOD \\n PATH_WITH_QUERY \\n hex(sha256(BODY))), over the path and body exactly as sent."""

    def sign(request) -> None:
        timestamp = str(int(time.time()))
        body = request.read()
        canonical = "\n".join((timestamp, request.method.upper(), request.url.raw_path.decode("ascii"),
                               hashlib.sha256(body).hexdigest()))
        request.headers["X-Hewei-Key"] = key_id
        request.headers["X-Hewei-Timestamp"] = timestamp
        request.headers["X-Hewei-Signature"] = hmac.new(secret.encode(), canonical.encode(),
                                                        hashlib.sha256).hexdigest()

    return sign


@pytest.fixture(scope="module")
def generated(stack: Stack, tmp_path_factory: pytest.TempPathFactory):
    """The client package, generated into a temporary directory and imported."""
    where = tmp_path_factory.mktemp("generated-client")
    with urllib.request.urlopen(stack.credentials["base_url"] + "/openapi.json", timeout=30) as answer:
        (where / "openapi.json").write_bytes(answer.read())
    (where / "config.yml").write_text(CONFIG, encoding="utf-8")
    run = subprocess.run([str(GENERATOR), "generate", "--path", "openapi.json", "--config", "config.yml",
                          "--meta", "none", "--output-path", "hewei_partner_client"],
                         cwd=where, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Warning" not in run.stdout, run.stdout  # every operation and answer generated
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module("hewei_partner_client")
    finally:
        sys.path.remove(str(where))
        for name in [n for n in sys.modules if n.split(".")[0] == "hewei_partner_client"]:
            del sys.modules[name]


def test_a_generated_client_files_a_case_and_reads_it_back_as_the_partner(stack: Stack, generated):
    from hewei_partner_client.api.cases import file_case, get_case, list_cases
    from hewei_partner_client.models import CaseView, NewCase, Problem

    partner = stack.credentials["partner"]
    # the key id goes in the scheme's own header; the hook adds the timestamp and the signature
    client = generated.AuthenticatedClient(
        base_url=stack.credentials["base_url"], token=partner["key_id"], auth_header_name="X-Hewei-Key", prefix="",
        raise_on_unexpected_status=True,
        httpx_args={"trust_env": False, "event_hooks": {"request": [partner_signer(partner["key_id"],
                                                                                   partner["secret"])]}})
    ref = f"GEN-{int(time.time())}"
    body = NewCase.from_dict({
        "external_ref": ref, "channel": "hotline_12345", "category": "neighbor", "title": "楼上漏水引发邻里纠纷",
        "description": "楼上住户卫生间漏水,多次协商未果。", "region_code": "320509102001",
        "parties": [{"role": "applicant", "name": "张三", "phone": "13812345678", "id_number": valid_id_number()},
                    {"role": "respondent", "name": "李四"}],
        "amount_cny": 5000})
    created = file_case.sync_detailed(client=client, body=body)
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, CaseView)
    case = created.parsed
    assert (case.external_ref, case.status.value, case.title) == (ref, "received", "楼上漏水引发邻里纠纷")
    assert case.parties[0].phone == "138****5678"  # a partner reads its parties masked
    assert created.headers["location"] == f"/v1/cases/{case.case_id}"

    def dispatched():
        time.sleep(1.1)  # one read a second: the same signed request twice in a second is a replay
        read = get_case.sync_detailed(case.case_id, client=client)
        assert read.status_code == 200, read.content
        return read.parsed if read.parsed.status.value == "dispatched" else None

    view = eventually(dispatched, 30, "routing of the generated client's case")
    assert isinstance(view, CaseView) and view.case_id == case.case_id and view.org_id

    page = list_cases.sync(client=client, limit=5)
    assert case.case_id in [item.case_id for item in page.items]

    missing = get_case.sync_detailed("HW-NO-SUCH-CASE", client=client)
    assert missing.status_code == 404 and isinstance(missing.parsed, Problem)
    assert json.loads(missing.content)["status"] == 404
