"""Refused attachment requests (§14) through the HTTP API: bad declarations (422) and unknown ids
(404), each changing nothing. They share one stack and one case, which no test gives a file."""

from __future__ import annotations

from typing import Iterator

import pytest

from chalicelib import wiring
from chalicelib.domain.attachments import MAX_BYTES
from tests.integration.module_env import demo_env
from tests.integration.test_attachments_api import attachment_events, complete, declaration, declare
from tests.support import Staff, assert_problem, drain, new_case_body


@pytest.fixture(scope="module")
def untouched() -> Iterator[tuple[Staff, str]]:
    """For the refusals, which change nothing: one stack for the module, the case's mediator and
    a case that never gets an attachment."""
    with demo_env("demo-12345") as env:
        created = env.partners["demo-12345"].call("POST", "/v1/cases", new_case_body("ATT-R"))
        assert created.status == 201, created
        drain("routing", "route_cases")
        yield env.staff(role="mediator", mediator_id="M-CN-1"), created.json["case_id"]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"size_bytes": MAX_BYTES + 1}, "size_bytes"),
    ({"size_bytes": 0}, "size_bytes"),
    ({"size_bytes": -1}, "size_bytes"),
    ({"size_bytes": "1024"}, "size_bytes"),
    ({"size_bytes": 10.5}, "size_bytes"),
    ({"filename": "../../etc/passwd"}, "filename"),
    ({"filename": "evidence/photo.png"}, "filename"),
    ({"filename": "C:\\Users\\photo.png"}, "filename"),
    ({"filename": "photo\x00.png"}, "filename"),
    ({"filename": "photo\r\n.png"}, "filename"),
    ({"filename": "photo\u202egnp.exe"}, "filename"),
    ({"filename": ".."}, "filename"),
    ({"filename": "."}, "filename"),
    ({"filename": ""}, "filename"),
    ({"filename": "x" * 256}, "filename"),
    ({"kind": "passport"}, "kind"),
    ({"content_type": "image/gif"}, "content_type"),
    ({"content_type": "IMAGE/PNG"}, "content_type"),
    ({"content_type": "text/html"}, "content_type"),
    ({"sha256": "abc"}, "sha256"),
    ({"sha256": "g" * 64}, "sha256"),
    ({"sha256": None}, "sha256"),
])
def test_bad_declarations_are_422_and_change_nothing(untouched, overrides, field):
    mediator, case_id = untouched
    answer = mediator.call("POST", f"/v1/cases/{case_id}/attachments", declaration(**overrides))
    assert_problem(answer, 422, field)
    assert mediator.call("GET", f"/v1/cases/{case_id}/attachments").json == {"items": []}
    assert attachment_events(mediator, case_id) == [] and wiring.current().attachment_store.held(case_id) == 0


@pytest.mark.parametrize("attachment_id", ["AT20261123FFFFFFFFFFFFFFFF", "not-an-id", "..%2F..%2Ffiles",
                                           "AT20261123ffffffffffffffff"])
def test_unknown_attachments_and_cases_are_404(untouched, attachment_id):
    mediator, case_id = untouched
    assert_problem(mediator.call("GET", f"/v1/cases/{case_id}/attachments/{attachment_id}"), 404)
    assert_problem(complete(mediator, case_id, attachment_id), 404)
    assert_problem(declare(mediator, "HW20261123XXXXXXXX"), 404)
    assert_problem(mediator.call("GET", "/v1/cases/HW20261123XXXXXXXX/attachments"), 404)
