"""The OpenAPI document: its examples are real answers, every error is problem+json, the partner
scheme's worked example is what the service checks, and the interactive docs at `/docs`.

Run with `HEWEI_WRITE_OPENAPI_EXAMPLES=1` to record the examples again
(`chalicelib/api/openapi_examples.json`) after a view changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re

import pytest
from jsonschema import Draft202012Validator

from chalicelib import wiring
from chalicelib.api import openapi_examples
from chalicelib.domain.signing import signature_matches
from tests.answer_schemas import document
from tests.support import assert_problem, drain, new_case_body

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WRITE = os.environ.get("HEWEI_WRITE_OPENAPI_EXAMPLES") == "1"
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)


def _schema_validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": document()["components"]})


def _shape(value):
    """The keys of an answer, nested: what an example must share with a fresh answer."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items() if not isinstance(item, list) or item}
    if isinstance(value, list) and value:
        return [_shape(value[0])]
    return type(value).__name__ if value is not None else None


def _keys(value) -> set:
    return set(value) if isinstance(value, dict) else set()


@pytest.fixture
def recorded(partner, mediator):
    """A case filed, routed, read and noted, and three refusals: the examples as the service answers now."""
    wiring.current().clock.now = NOW
    body = new_case_body("12345-20261123-000731")
    created = partner.call("POST", "/v1/cases", body)
    assert created.status == 201, created
    case_id = created.json["case_id"]
    assert drain("routing", "route_cases") >= 1
    read = partner.call("GET", f"/v1/cases/{case_id}")
    accepted = mediator.call("POST", f"/v1/cases/{case_id}/accept", {"expected_version": read.json["version"]})
    assert accepted.status == 200, accepted
    note = {"text": "已电话联系双方，约定11月25日上午到社区调解室调解。"}
    noted = mediator.call("POST", f"/v1/cases/{case_id}/note", note)
    assert noted.status == 200, noted
    invalid = partner.call("POST", "/v1/cases", new_case_body("12345-20261123-000732", region_code="3205",
                                                              parties=[{"role": "applicant", "name": "王五",
                                                                        "phone": "1381234"}]))
    conflict = partner.call("POST", "/v1/cases", {**body, "title": "另一件事"})
    missing = partner.call("GET", "/v1/cases/C-NO-SUCH-CASE")
    unsigned = partner.http.call("GET", "/v1/cases")
    return {
        "requests": {
            "file_case": {"neighbours": {"summary": "A neighbour dispute from the 12345 hotline", "value": body}},
            "note_case": {"note": {"summary": "A progress note", "value": note}},
            "accept_case": {"accept": {"summary": "Accept, at the version read", "value": {"expected_version": 1}}},
        },
        "responses": {
            "file_case": {"201": created.json},
            "get_case": {"200": read.json},
            "note_case": {"200": noted.json},
        },
        "problems": {str(r.status): r.json for r in (invalid, conflict, missing, unsigned)},
    }


def test_the_examples_are_real_answers_and_match_their_schemas(recorded):
    assert {status for status in recorded["problems"]} == {"422", "409", "404", "401"}
    if WRITE:
        openapi_examples.EXAMPLES_FILE.write_text(json.dumps(recorded, ensure_ascii=False, indent=1) + "\n",
                                                  encoding="utf-8")
        openapi_examples.examples.cache_clear()
        document.cache_clear()
    stored = openapi_examples.examples()
    for operation_id, examples in stored["requests"].items():
        for name in examples:
            assert _shape(examples[name]["value"]) == _shape(recorded["requests"][operation_id][name]["value"]), name
    for operation_id, answers in stored["responses"].items():
        for status, example in answers.items():
            assert _shape(example) == _shape(recorded["responses"][operation_id][status]), (
                f"the stored example of {operation_id} {status} is not what the service answers now: "
                "record the examples again (HEWEI_WRITE_OPENAPI_EXAMPLES=1)")
    for status, example in stored["problems"].items():
        assert _keys(example) == _keys(recorded["problems"][status]), status

    paths = document()["paths"]
    created = paths["/v1/cases"]["post"]
    body = created["requestBody"]["content"]["application/json"]
    assert body["examples"]["neighbours"]["value"]["external_ref"] == "12345-20261123-000731"
    _schema_validator(body["schema"]).validate(body["examples"]["neighbours"]["value"])
    for path, method, status in (("/v1/cases", "post", "201"), ("/v1/cases/{case_id}", "get", "200"),
                                 ("/v1/cases/{case_id}/note", "post", "200")):
        content = paths[path][method]["responses"][status]["content"]["application/json"]
        assert "example" in content, (path, method, status)
        _schema_validator(content["schema"]).validate(content["example"])
    conflict = created["responses"]["409"]["content"]["application/problem+json"]
    assert conflict["example"]["case_id"] and conflict["example"]["status"] == 409
    _schema_validator(conflict["schema"]).validate(conflict["example"])
    invalid = created["responses"]["422"]["content"]["application/problem+json"]["example"]
    assert {e["field"] for e in invalid["errors"]} >= {"region_code", "parties[0].phone"}
    assert "13812345678" not in json.dumps(stored["responses"]["file_case"], ensure_ascii=False)  # a partner's masked view


CONFLICTING = {
    "add_region", "add_org", "add_mediator", "add_partner",  # services/directory.py: the id exists already
    "file_case",  # services/intake.py: an external_ref used for another request
    "change_case",  # services/retention.py: a hold on an erased case
    "create_attachment", "complete_attachment",  # services/attachments.py: an erased case, a replaced upload
    "merge_case",  # services/merging.py
    "agreement_document",  # services/agreement_documents.py: no agreement to print
    "public_feedback",  # services/public_cases.py: evaluated already, or the case changed meanwhile
}
"""The operations whose use case raises `Conflict` (409), besides the case actions."""


def test_every_error_is_problem_json_and_every_success_has_a_schema(http):
    from chalicelib.api.routes import api
    from chalicelib.services.action_registry import ACTIONS

    case_actions = {f"{name}_case" for name in ACTIONS}  # services/actions.py: a wrong state, a stale version

    served = http.call("GET", "/openapi.json").json
    for spec in api.all_routes():
        if not spec.exists():
            continue
        operation = served["paths"][spec.path][spec.method.lower()]
        assert "default" in operation["responses"], spec.name
        for status, answer in operation["responses"].items():
            if status == "default" or int(status) >= 400:
                assert list(answer["content"]) == ["application/problem+json"], (spec.name, status)
                assert answer["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"}
            elif "content" in answer:
                (media_type, content), *others = answer["content"].items()
                assert content["schema"], (spec.name, status)
                assert media_type == "application/json" or spec.downloads, (spec.name, status)
        declared = {int(s) for s in operation["responses"] if s != "default"}
        assert {422, 503} <= declared, spec.name  # an unknown query parameter; the database unavailable
        if spec.upload is None:
            assert {400, 413} <= declared, spec.name  # a JSON route reads any body: not UTF-8, too large
        if spec.roles is not None:
            assert {401, 403} <= declared, spec.name
        if spec.body is not None or spec.upload is not None:
            assert {413, 415, 422} <= declared, spec.name
        if "{" in spec.path:
            assert 404 in declared, spec.name
        if spec.downloads:  # an Office file answered only to an Accept that takes it
            assert 406 in declared, spec.name
            assert set(spec.downloads) <= set(operation["responses"]["200"]["content"]), spec.name
        for status in ("429", "503"):
            if status in operation["responses"]:
                assert "Retry-After" in operation["responses"][status]["headers"], (spec.name, status)
        conflicts = spec.name in CONFLICTING or spec.name in case_actions
        assert ("409" in operation["responses"]) == conflicts, spec.name
    create = served["paths"]["/v1/cases"]["post"]["responses"]
    assert create["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CaseView"}
    assert "application/problem+json" in create["409"]["content"]
    problem = served["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert {"errors", "case_id", "request_id"} <= set(problem["properties"])
    assert served["components"]["schemas"]["CaseView"]["additionalProperties"] is False


def test_security_follows_the_roles_and_the_partner_example_is_what_the_service_checks(http):
    from chalicelib.api.openapi import EXAMPLE_NONCE, signature_example

    served = http.call("GET", "/openapi.json").json
    partner = [{"partnerKey": [], "partnerTimestamp": [], "partnerSignature": []},  # §1, or §1a with the nonce
               {"partnerKey": [], "partnerTimestamp": [], "partnerSignature": [], "partnerNonce": []}]
    paths = served["paths"]
    assert paths["/v1/cases"]["post"]["security"] == [{"bearerAuth": []}, *partner]
    assert paths["/v1/regions"]["post"]["security"] == [{"bearerAuth": []}]
    assert paths["/v1/meta"]["get"]["security"] == []
    schemes = served["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert [schemes[name]["name"] for name in partner[1]] == [
        "X-Hewei-Key", "X-Hewei-Timestamp", "X-Hewei-Signature", "X-Hewei-Nonce"]

    prose = schemes["partnerKey"]["description"]
    plain, with_nonce = signature_example(), signature_example(EXAMPLE_NONCE)
    # the service's own check accepts the documented signature, and only for the documented request
    assert signature_matches(plain["secret"], plain["signature"], plain["timestamp"], "POST", ["/v1/cases"],
                             plain["body"].encode())
    assert not signature_matches(plain["secret"], plain["signature"], plain["timestamp"], "POST", ["/v1/cases/"],
                                 plain["body"].encode())
    # both forms, recomputed here from the contract's words (§1, §1a), not from the service's code
    digest = hashlib.sha256(plain["body"].encode()).hexdigest()
    for example, lines in ((plain, [plain["timestamp"], "POST", "/v1/cases", digest]),
                           (with_nonce, [plain["timestamp"], EXAMPLE_NONCE, "POST", "/v1/cases", digest])):
        canonical = "\n".join(lines)
        assert example["canonical_string"] == canonical
        assert example["signature"] == hmac.new(example["secret"].encode(), canonical.encode(),
                                                hashlib.sha256).hexdigest()
        assert example["signature"] in prose and canonical in prose
    assert "X-Hewei-Nonce" in prose and plain["secret"] in prose and plain["body"] in prose
    assert plain["signature"] != with_nonce["signature"]


def test_docs_page_loads_only_same_origin_scripts(http):
    page = http.call("GET", "/docs")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.raw.decode("utf-8")
    sources = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", html)
    assert sources == ["docs/redoc.standalone.js?v=2.5.4"]
    assert len(re.findall(r"<script\b", html)) == 1  # no inline script
    assert "//" not in "".join(sources) and "http" not in html.split("<body>")[1]
    assert '<redoc spec-url="openapi.json"' in html
    policy = page.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'self'" and directives["worker-src"] == "blob:"
    assert "https:" not in policy and "*" not in policy


def test_the_vendored_bundle_is_served_as_javascript(http):
    bundle = http.call("GET", "/docs/redoc.standalone.js")
    assert bundle.status == 200
    assert bundle.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "content-security-policy" in bundle.headers and bundle.headers["x-content-type-options"] == "nosniff"
    assert len(bundle.raw) > 500_000 and b"Redoc" in bundle.raw[:2000]
    again = http.call("GET", "/docs/redoc.standalone.js", headers={"If-None-Match": bundle.headers["etag"]})
    assert again.status == 304
    other = http.call("GET", "/docs/evil.js")
    assert_problem(other, 404)


def test_the_answer_check_fails_on_a_field_the_document_does_not_name():
    """What `Http.call` does with every answer: a view grown by a field its model lacks, a missing
    field, an undeclared success status or a problem as plain JSON all fail the test that got it."""
    from tests.answer_schemas import check_answer

    view = openapi_examples.examples()["responses"]["file_case"]["201"]
    check_answer("POST", "/v1/cases", 201, "application/json", view)
    refusals = [
        ("POST", "/v1/cases", 201, "application/json", {**view, "mediator_phone": "13900000201"}),
        ("POST", "/v1/cases", 201, "application/json", {k: v for k, v in view.items() if k != "status"}),
        ("POST", "/v1/cases", 201, "application/json", {**view, "status": "lost"}),
        ("GET", f"/v1/cases/{view['case_id']}", 201, "application/json", view),
        ("GET", f"/v1/cases/{view['case_id']}", 404, "application/json", {"status": 404}),
        ("GET", f"/v1/cases/{view['case_id']}/events", 200, "application/json",
         [{"at": "2026-11-23T09:30:00+08:00", "type": "received", "actor": "demo-12345", "detail": {}, "x": 1}]),
    ]
    for method, path, status, media_type, body in refusals:
        with pytest.raises(AssertionError):
            check_answer(method, path, status, media_type, body)
