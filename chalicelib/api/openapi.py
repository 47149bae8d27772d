"""OpenAPI 3.1 document built from the route registry, the pydantic commands and the answers' schemas.

Chalice only emits Swagger 2.0 without schemas, so the document is built
here from the same records that register the routes: it cannot miss one.
Request bodies come from the commands the handlers parse; answers from the
models of `schemas.py`, which the integration suite checks against every
answer it receives; every error is `application/problem+json` (RFC 9457).
Built on request only: nothing here is imported by `import app`.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import TypeAdapter

from ..domain.enums import Role
from ..domain.signing import SIGNATURE_WINDOW_SECONDS, canonical_string, sign
from . import openapi_examples
from .http import BINARY_TYPES, MAX_BODY_BYTES, RouteSpec
from .schemas import Problem, responses_of

REF = "#/components/schemas/{model}"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_PATH_PARAM = re.compile(r"{([^}]+)}")

STANDARD_PROBLEMS = {
    400: "Malformed request: a body that is not UTF-8, or a JSON body that is not JSON",
    401: "Missing or bad credentials (a bad signature, a stale timestamp, a replay, an unknown key, a bad token)",
    403: "Outside the caller's rights or jurisdiction",
    404: "Not found, or not in the caller's view",
    406: "An Accept header that does not take the file the answer is",
    409: "Conflicts with the current state (a duplicate, a case changed meanwhile, a wrong state for the action)",
    413: f"The body is over {MAX_BODY_BYTES // 1024} KiB",
    415: "A body of another media type than application/json",
    422: "The body or a query parameter does not match the schema, or a query parameter the operation does not "
         "take (`errors` names each field)",
    503: "Service unavailable: the database is unreachable or throttling; nothing was changed. Retry after "
         "`Retry-After` seconds",
}
"""The answers an operation can give by what it takes: every operation 422 (an unknown query
parameter) and 503; a JSON one 400 and 413 (its body is read whatever the method); one with a
body 415; one with roles 401 and 403; one with a path parameter, or only in some stages, 404;
one answering with an Office file 406."""
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 0}}}
"""The header of a 429 and a 503."""
DEFAULT_PROBLEM = "Any other error, as problem+json (a 500 carries `request_id`)"

TAGS = (
    ("Cases", "Filing, reading and following disputes (受理, 一案一档): partners and staff"),
    ("Case actions", "What staff do to a case (§5 and after): each answers the case view"),
    ("Files", "Attachments (证据材料), the dossier (卷宗) and the agreement document"),
    ("Public", "What a party reads with the case code (一案一码), without an account"),
    ("Reports", "Statistics, the dashboard, ledgers, patrol reports and the monthly analysis"),
    ("Directory", "Regions, orgs, mediators and partner systems (admin)"),
    ("Staff", "Tokens, who is signed in, the working calendar, the local stage's demo sign-in"),
    ("Operations", "Sweeps and recounts run on demand (admin)"),
    ("Discovery", "Enumerations and this document"),
)
_TAG_BY_SEGMENT = {"regions": "Directory", "orgs": "Directory", "mediators": "Directory", "partners": "Directory",
                   "tokens": "Staff", "me": "Staff", "local": "Staff", "calendar": "Staff", "ops": "Operations",
                   "public": "Public", "meta": "Discovery", "openapi.json": "Discovery", "cases": "Cases"}
_FILE_SEGMENTS = {"attachments", "dossier", "documents"}


def tag_of(spec: RouteSpec) -> str:
    """The document's section of an operation, from its path."""
    segments = [s for s in spec.path.split("/") if s and s != "v1"]
    if segments[0] == "cases" and len(segments) > 2:
        if segments[2] in _FILE_SEGMENTS:
            return "Files"
        if spec.method == "POST":
            return "Case actions"
    if segments[0] == "orgs" and len(segments) > 2:
        return "Reports"
    return _TAG_BY_SEGMENT.get(segments[0], "Reports")


STAFF_SCHEME = "bearerAuth"
PARTNER_SCHEMES = ("partnerKey", "partnerTimestamp", "partnerSignature")
NONCE_SCHEME = "partnerNonce"
"""The optional fourth header of a partner's request (§1a)."""
"""The partner's three headers, all required together (one security requirement)."""

# --------------------------------------------------------------- partner signing, explained


EXAMPLE_KEY_ID = "pk_demo_12345"
EXAMPLE_SECRET = "9f2c6e0a4b7d1e3f5a8c0b2d4e6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d2f"
EXAMPLE_TIMESTAMP = "1795312800"
"""2026-11-22T08:00:00+08:00."""
EXAMPLE_NONCE = "7Qm2-xV9_kLp4TzR8wYb"
EXAMPLE_PATH = "/v1/cases"
EXAMPLE_BODY = json.dumps({"external_ref": "12345-20261121-000123", "title": "楼上漏水引发邻里纠纷",
                           "description": "楼上卫生间漏水，楼下天花板受损，双方协商未果。",
                           "region_code": "320509102001", "parties": [{"role": "applicant", "name": "张三"}]},
                          ensure_ascii=False, separators=(",", ":")).encode()


def signature_example(nonce: str | None = None) -> dict[str, str]:
    """A worked example of a partner's signature (§1, or §1a's form with `nonce`), computed by the
    service's own signing code (`domain/signing.py`), so the document cannot disagree with what
    the service checks."""
    method = "POST"
    canonical = canonical_string(EXAMPLE_TIMESTAMP, method, EXAMPLE_PATH, EXAMPLE_BODY, nonce)
    signature = sign(EXAMPLE_SECRET, EXAMPLE_TIMESTAMP, method, EXAMPLE_PATH, EXAMPLE_BODY, nonce)
    example = {"key_id": EXAMPLE_KEY_ID, "secret": EXAMPLE_SECRET, "timestamp": EXAMPLE_TIMESTAMP,
               "method": method, "path_with_query": EXAMPLE_PATH, "body": EXAMPLE_BODY.decode(),
               "body_sha256": hashlib.sha256(EXAMPLE_BODY).hexdigest(), "canonical_string": canonical,
               "signature": signature}
    if nonce is not None:
        example["nonce"] = nonce
    return example


def _code_block(text: str) -> str:
    return "```\n" + text + "\n```"


def partner_signing_text() -> str:
    """The partner scheme in prose (Markdown), with both worked examples."""
    plain, with_nonce = signature_example(), signature_example(EXAMPLE_NONCE)
    four_lines = _code_block('TIMESTAMP + "\\n" + METHOD + "\\n" + PATH_WITH_QUERY + "\\n" + hex(sha256(BODY))')
    five_lines = _code_block('TIMESTAMP + "\\n" + NONCE + "\\n" + METHOD + "\\n" + PATH_WITH_QUERY + "\\n" '
                             '+ hex(sha256(BODY))')
    body, canonical = _code_block(plain["body"]), _code_block(plain["canonical_string"])
    canonical_with_nonce = _code_block(with_nonce["canonical_string"])
    return f"""\
A partner system signs every request with its key id and secret (shown once, by `POST /v1/partners`).

Headers:

| header | value |
|---|---|
| `X-Hewei-Key` | the key id |
| `X-Hewei-Timestamp` | Unix seconds; more than {SIGNATURE_WINDOW_SECONDS} s from the server's clock is 401 |
| `X-Hewei-Signature` | lowercase hex HMAC-SHA256(secret, canonical string) |
| `X-Hewei-Nonce` | optional: 16–64 characters of `A-Z a-z 0-9 - _`, new for each request |

The canonical string is four lines joined by a newline (no trailing newline):

{four_lines}

With `X-Hewei-Nonce`, the nonce is a line of its own after the timestamp, and replay detection
keys on the nonce (an identical request may then be resent within the same second):

{five_lines}

`METHOD` is upper case; `PATH_WITH_QUERY` is the path and query exactly as sent (percent-encoded,
e.g. `/v1/cases?external_ref=12345-20261121-000123`); `BODY` is the exact bytes sent (empty for a
GET: its SHA-256 is `e3b0c442…b855`). A signature already seen within the window is a replay: 401.

**Worked example** (key id `{plain['key_id']}`, secret `{plain['secret']}`), a `{plain['method']} {plain['path_with_query']}`
at timestamp `{plain['timestamp']}` with this body (UTF-8 bytes):

{body}

SHA-256 of the body: `{plain['body_sha256']}`. Canonical string:

{canonical}

Signature: `{plain['signature']}`.

The same request with `X-Hewei-Nonce: {with_nonce['nonce']}`: canonical string

{canonical_with_nonce}

Signature: `{with_nonce['signature']}`.
"""


def security_schemes() -> dict[str, Any]:
    prose = partner_signing_text()
    return {
        STAFF_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                       "description": "Staff (mediator, supervisor, admin): `Authorization: Bearer <token>`, a JWT "
                                      "with `sub`, `role`, `jurisdiction`, `org_id`, `mediator_id`, `exp`."},
        "partnerKey": {"type": "apiKey", "in": "header", "name": "X-Hewei-Key", "description": prose},
        "partnerTimestamp": {"type": "apiKey", "in": "header", "name": "X-Hewei-Timestamp",
                             "description": "Unix seconds of the request (see partnerKey)."},
        "partnerSignature": {"type": "apiKey", "in": "header", "name": "X-Hewei-Signature",
                             "description": "HMAC-SHA256 of the canonical string (see partnerKey)."},
        NONCE_SCHEME: {"type": "apiKey", "in": "header", "name": "X-Hewei-Nonce",
                       "description": "Optional (§1a): 16–64 characters of `A-Z a-z 0-9 - _`, signed after the "
                                      "timestamp; replay detection keys on it (see partnerKey)."},
    }


def security_of(roles: frozenset[Role] | None) -> list[dict[str, list]]:
    """Which schemes an operation takes, from its roles: none for a public route."""
    if roles is None:
        return []
    requirements = []
    if roles - {Role.PARTNER}:
        requirements.append({STAFF_SCHEME: []})
    if Role.PARTNER in roles:  # the three headers of §1, or the four of §1a
        requirements.append({name: [] for name in PARTNER_SCHEMES})
        requirements.append({name: [] for name in (*PARTNER_SCHEMES, NONCE_SCHEME)})
    return requirements


# --------------------------------------------------------------- the document


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop,
         **({"description": prop["description"]} if "description" in prop else {})}
        for name, prop in schema.get("properties", {}).items()
    ]


def _problem_content(status: int) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": PROBLEM_REF}
    example = openapi_examples.problem_example(status)
    if example is not None:
        content["example"] = example
    return {"application/problem+json": content}


def build_openapi(routes: list[RouteSpec], version: str) -> dict[str, Any]:
    adapters: list[tuple[Any, str, TypeAdapter]] = []
    for model in sorted({spec.body for spec in routes if spec.body is not None}, key=lambda m: m.__name__):
        adapters.append((("body", model), "validation", TypeAdapter(model)))
    for model in sorted({spec.query for spec in routes if spec.query is not None}, key=lambda m: m.__name__):
        adapters.append((("query", model), "validation", TypeAdapter(model)))
    answers: dict[str, dict[int, Any]] = {}
    for spec in routes:
        models = responses_of(spec.name)
        if models is None:
            raise LookupError(f"no answer schema for the operation {spec.name} (schemas.RESPONSES)")
        answers[spec.name] = models
        for status, model in models.items():
            adapters.append(((spec.name, status), "serialization", TypeAdapter(model)))
    adapters.append((("problem", Problem), "serialization", TypeAdapter(Problem)))
    refs, defs = TypeAdapter.json_schemas(adapters, ref_template=REF)
    schemas = dict(defs.get("$defs", {}))

    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, answers[spec.name], refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hewei (和为贵) dispute mediation API", "version": version,
                 "description": INFO_DESCRIPTION},
        "servers": [{"url": "./", "description": "This service (relative to this document, so a stage prefix is kept)"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": security_schemes()},
        "security": [{STAFF_SCHEME: []}, {name: [] for name in PARTNER_SCHEMES},
                     {name: [] for name in (*PARTNER_SCHEMES, NONCE_SCHEME)}],
    }


INFO_DESCRIPTION = """\
The service of the dispute mediation centres (矛盾纠纷调处化解中心): partner systems file disputes and
follow them; staff route, mediate, supervise and report.

- Every body is JSON (UTF-8); times are RFC 3339 with offset, dates `YYYY-MM-DD` in Asia/Shanghai.
- Every 4xx and 5xx answer is `application/problem+json` (RFC 9457), schema `Problem`.
- Staff authenticate with a bearer token (`bearerAuth`); partner systems sign each request
  (`partnerKey`: the canonical string and a worked example are there).
- Every answer carries `X-Request-Id` (send one to choose it).
"""


def _operation(spec: RouteSpec, models: dict[int, Any], refs: dict, schemas: dict[str, Any]) -> dict[str, Any]:
    path_names = _PATH_PARAM.findall(spec.path)
    operation: dict[str, Any] = {
        "operationId": spec.name,
        "summary": spec.summary,
        "tags": [tag_of(spec)],
        "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                       for name in path_names],
        "security": security_of(spec.roles),
    }
    if spec.roles is not None:
        operation["description"] = "Allowed roles: " + ", ".join(sorted(r.value for r in spec.roles))
    if spec.query is not None:
        query = refs[(("query", spec.query), "validation")]
        operation["parameters"] += _query_parameters(schemas[query["$ref"].rsplit("/", 1)[1]] if "$ref" in query
                                                     else query)
    if spec.body is not None:
        content: dict[str, Any] = {"schema": refs[(("body", spec.body), "validation")]}
        examples = openapi_examples.request_examples(spec.name)
        if examples:
            content["examples"] = examples
        operation["requestBody"] = {"required": True, "content": {"application/json": content}}
    if spec.upload is not None:
        operation["requestBody"] = {
            "required": True,
            "description": f"The {spec.upload.description}, at most {spec.upload.max_bytes // 2**20} MiB",
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(spec.upload.media_types)},
        }

    described = dict(spec.responses)
    for status in models:
        described.setdefault(status, "OK" if status == 200 else "Created" if status == 201 else "Accepted")
    operation["responses"] = _responses(spec, models, refs, described, bool(path_names))
    return operation


def standard_statuses(spec: RouteSpec, has_path_parameters: bool) -> set[int]:
    """The problem statuses `spec`'s operation can answer whatever its handler does (`http.Api`):
    see STANDARD_PROBLEMS."""
    standard = {422, 503}
    if spec.upload is None:
        standard |= {400, 413}
    if spec.body is not None or spec.upload is not None:
        standard |= {413, 415}
    if spec.roles is not None:
        standard |= {401, 403}
    if has_path_parameters or spec.available is not None:
        standard.add(404)
    if set(spec.downloads) & set(BINARY_TYPES):
        standard.add(406)
    return standard


def _responses(spec: RouteSpec, models: dict[int, Any], refs: dict, described: dict[int, str],
               has_path_parameters: bool) -> dict[str, Any]:
    for status in standard_statuses(spec, has_path_parameters):
        described.setdefault(status, STANDARD_PROBLEMS[status])

    responses: dict[str, Any] = {}
    for status in sorted(described):
        answer: dict[str, Any] = {"description": described[status]}
        if status >= 400:
            answer["content"] = _problem_content(status)
            if status in (429, 503):
                answer["headers"] = RETRY_AFTER
        else:
            if status in models:
                content = {"schema": refs[((spec.name, status), "serialization")]}
                example = openapi_examples.response_example(spec.name, status)
                if example is not None:
                    content["example"] = example
                answer["content"] = {"application/json": content}
            if status == 200 and spec.downloads:  # a file, instead of (or besides) a JSON answer
                answer.setdefault("content", {}).update(
                    {t: {"schema": {"type": "string", "format": "binary"}} for t in spec.downloads})
        responses[str(status)] = answer
    responses["default"] = {"description": DEFAULT_PROBLEM, "content": {"application/problem+json":
                                                                        {"schema": PROBLEM_REF}}}
    return responses
