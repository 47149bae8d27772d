"""Fuzzing the local stack from its own OpenAPI document (schemathesis), as admin and as a partner.

Every operation the caller may use gets a few generated requests: valid (positive) and invalid
(negative) ones, and valid ones again on ids that exist (a case filed here, the demo directory's),
which reach past the 404. Every answer is checked: no 5xx, a status the operation documents, the
documented media type, a body matching the documented schema. The document's `default` answer
is left out of the checked copy, so each status must be listed on its own operation.

Bounded for `make test`: `FUZZ_EXAMPLES` generated requests per operation and pass, after the
document's own examples (`HEWEI_FUZZ_EXAMPLES` to change it, e.g. for a longer run by hand),
derandomized so every run sends the same requests, and no example database is written.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                                 status_code_conformance)

from devstack.client import HeweiClient
from tests.e2e.conftest import Stack

FUZZ_EXAMPLES = int(os.environ.get("HEWEI_FUZZ_EXAMPLES", "4"))
"""Generated requests per operation and pass (positive, negative, positive on existing ids)."""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
REQUEST_TIMEOUT_SECONDS = 30


class PartnerSigning(requests.auth.AuthBase):
    """Signs each prepared request as contract §1 and §1a say (the headers of `HeweiClient`),
    over the path, query and body bytes exactly as schemathesis sends them."""

    def __init__(self, partner: HeweiClient) -> None:
        self.partner = partner

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)  # what schemathesis generates for the staff scheme
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        request.headers.update(self.partner.auth_headers(request.method or "GET", request.url or "", body))
        return request


class StaffToken(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        for name in [name for name in request.headers if name.lower().startswith("x-hewei-")]:
            del request.headers[name]  # what schemathesis generates for the partner schemes
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@dataclass
class FuzzRun:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.requests} requests in {self.seconds:.0f} s, {len(self.server_errors)} 5xx, "
                f"{len(self.violations)} schema violations; statuses {dict(sorted(self.statuses.items()))}")


def checked_document(stack: Stack) -> dict[str, Any]:
    """The stack's document without the `default` answers (which would accept any status)."""
    status, _, document = HeweiClient(stack.credentials["base_url"]).get("/openapi.json")
    assert status == 200
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].pop("default", None)
    return document


def known_ids(stack: Stack) -> dict[str, str]:
    """Ids that exist in the stack, for the path parameters of a third pass: a case the partner
    files (the document's own example body), its public code and region, the first org and
    mediator of the demo directory, the demo partner, a year and a month."""
    partner = stack.partner
    admin = HeweiClient(stack.credentials["base_url"]).as_staff(stack.credentials["admin_token"])
    _, _, document = admin.get("/openapi.json")
    example = document["paths"]["/v1/cases"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    body = {**next(iter(example.values()))["value"], "external_ref": "fuzz-20261202-000001"}
    status, _, case = partner.post("/v1/cases", body)
    assert status in (200, 201), case
    ids = {"case_id": case["case_id"], "public_code": case["public_code"], "region_code": case["region_code"],
           "partner_id": stack.credentials["partner"]["partner_id"], "year": "2026", "period": "2026-11"}
    for listing, key in (("orgs", "org_id"), ("mediators", "mediator_id")):
        status, _, page = admin.get(f"/v1/{listing}")
        assert status == 200 and page["items"], page
        ids[key] = page["items"][0][key]
    return ids


def path_values(path: str, names: list[str], ids: dict[str, str]) -> dict[str, str] | None:
    """Existing values of all of a path's parameters, or None if one has none known."""
    aliases = {"code": "public_code" if path.startswith("/v1/public/") else "region_code"}
    values = {name: ids.get(aliases.get(name, name)) for name in names}
    return values if names and all(values.values()) else None


def fuzz(stack: Stack, auth: requests.auth.AuthBase, partner_only: bool, ids: dict[str, str]) -> FuzzRun:
    """Each operation's generated requests with `auth`, every answer checked; the failures
    collected (not raised, so nothing is shrunk and one run counts them all). Two passes of
    generated path parameters (valid and invalid requests), and a third of valid requests on
    existing ids (`ids`), which reach past the 404."""
    document = checked_document(stack)
    uploads = {media_type for operations in document["paths"].values() for operation in operations.values()
               for media_type in operation.get("requestBody", {}).get("content", {}) if media_type != "application/json"}
    if uploads:  # a file upload (a ledger workbook, an attachment): its bytes as generated
        schemathesis.serializer.alias(sorted(uploads), "application/octet-stream")
    schema = schemathesis.openapi.from_dict(document)
    base_url = stack.credentials["base_url"]
    session = requests.Session()
    session.trust_env = False  # the stack is on 127.0.0.1: no proxy
    run = FuzzRun()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        security = operation.definition.raw.get("security", [])
        if partner_only and not any("partnerKey" in requirement for requirement in security):
            continue
        existing = path_values(operation.path, [p.name for p in operation.path_parameters], ids)
        passes = [(mode, None) for mode in MODES] + ([(MODES[0], existing)] if existing else [])
        for mode, path_parameters in passes:
            label = f"{operation.label} ({mode.value}{', existing ids' if path_parameters else ''})"

            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            @settings(max_examples=FUZZ_EXAMPLES, derandomize=True, database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def send(case: schemathesis.Case) -> None:
                run.requests += 1
                try:
                    response = case.call(base_url=base_url, session=session, auth=auth,
                                         timeout=REQUEST_TIMEOUT_SECONDS)
                except requests.RequestException as error:
                    run.server_errors.append(f"{label}: no answer ({error!r})\n  {case.as_curl_command()}")
                    return
                run.statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as group:  # the checks that failed
                    failures = group.exceptions
                    found = f"{label} -> {response.status_code}: " + "; ".join(
                        f"{failure.title}: {failure.message[:300]}"
                        for failure in failures) + f"\n  {case.as_curl_command()}"
                    if response.status_code >= 500:
                        run.server_errors.append(found)
                    else:
                        run.violations.append(found)

            try:
                send()
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                assert mode is schemathesis.GenerationMode.NEGATIVE, label
    run.seconds = time.monotonic() - started
    return run


def report(run: FuzzRun, who: str) -> str:
    lines = [f"as {who}: {run.summary()}", *run.server_errors[:30], *run.violations[:60]]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def ids(stack: Stack) -> dict[str, str]:
    return known_ids(stack)


# The partner first: the admin's run may change the directory (a partner's key, a deactivation).
def test_fuzz_as_partner(stack: Stack, ids: dict[str, str]) -> None:
    run = fuzz(stack, PartnerSigning(stack.partner), partner_only=True, ids=ids)
    print(report(run, "partner"))
    assert run.requests > 0
    assert not run.server_errors and not run.violations, report(run, "partner")
    assert run.statuses[401] == 0, "a signed request is refused: " + report(run, "partner")


def test_fuzz_as_admin(stack: Stack, ids: dict[str, str]) -> None:
    run = fuzz(stack, StaffToken(stack.credentials["admin_token"]), partner_only=False, ids=ids)
    print(report(run, "admin"))
    assert run.requests > 0
    assert not run.server_errors and not run.violations, report(run, "admin")
    assert run.statuses[401] == 0, "the admin token is refused: " + report(run, "admin")


@pytest.fixture(autouse=True)
def _stack_alive(stack: Stack) -> None:
    assert stack.process.poll() is None, stack.log_tail()
