"""Every JSON answer the integration tests receive, checked against the OpenAPI document.

`Http.call` (`tests/support.py`) hands each answer here: the operation is found by method
and path, and its body validated against the schema the document declares for its status
(`application/json` for a success, `Problem` for an error). A status the operation does not
declare fails (only a 500 falls to `default`), and so does a field a strict view
(`schemas.Strict`) does not name: the document cannot drift from what the service answers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """The document of every route, those of the local stage included."""
    import app  # noqa: F401 - registers every route
    from chalicelib.api.openapi import build_openapi
    from chalicelib.api.routes import API_VERSION, api

    return build_openapi(api.all_routes(), API_VERSION)


@lru_cache(maxsize=1)
def _matchers() -> list[tuple[str, re.Pattern, str]]:
    """(method, path pattern, document path), literal segments before parameters, so that
    `/v1/cases/{case_id}/merge` wins over `/v1/cases/{case_id}/{action}`."""
    rows = []
    for path, operations in document()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")
        for method in operations:
            rows.append((path.count("{"), method.upper(), pattern, path))
    rows.sort(key=lambda row: row[0])
    return [(method, pattern, path) for _, method, pattern, path in rows]


def operation_of(method: str, path: str) -> dict[str, Any] | None:
    bare = path.split("?", 1)[0]
    for candidate, pattern, documented in _matchers():
        if candidate == method.upper() and pattern.match(bare):
            return document()["paths"][documented][method.lower()]
    return None


@lru_cache(maxsize=None)
def _validator(operation_id: str, status: str, media_type: str) -> Draft202012Validator:
    operation = next(op for ops in document()["paths"].values() for op in ops.values()
                     if op["operationId"] == operation_id)
    schema = operation["responses"][status]["content"][media_type]["schema"]
    return Draft202012Validator({**schema, "components": document()["components"]}, format_checker=FormatChecker())


def check_answer(method: str, path: str, status: int, content_type: str, body: Any) -> None:
    """Raise AssertionError when a JSON answer disagrees with the document."""
    operation = operation_of(method, path)
    if operation is None or status == 304:
        return  # not an API route (the console's files), or an unknown path
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in ("application/json", "application/problem+json"):
        return  # a file (a ledger, a Word document)
    declared = operation["responses"]
    key = str(status) if str(status) in declared else "default"
    assert status == 500 or key != "default", (
        f"{method} {path}: {status} is not among the answers {operation['operationId']} declares")
    content = declared[key].get("content", {})
    assert media_type in content, (
        f"{method} {path}: {status} answered {media_type}; the document declares {sorted(content)}")
    errors = sorted(_validator(operation["operationId"], key, media_type).iter_errors(body), key=lambda e: e.path)
    assert not errors, (f"{method} {path} → {status} does not match the document's schema for "
                        f"{operation['operationId']}: " + "; ".join(
                            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in errors[:5]))
