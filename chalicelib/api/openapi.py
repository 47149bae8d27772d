"""OpenAPI 3.1 document built from the route registry and the pydantic commands.

Chalice only emits Swagger 2.0 without schemas, so the document is built
here from the same records that register the routes: it cannot miss one.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic.json_schema import models_json_schema

from .http import RouteSpec

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
_PATH_PARAM = re.compile(r"{([^}]+)}")


def _query_parameters(model, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    schemas.update(schema.get("$defs", {}))
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def build_openapi(routes: list[RouteSpec], version: str) -> dict[str, Any]:
    bodies = sorted({spec.body for spec in routes if spec.body is not None}, key=lambda m: m.__name__)
    refs, defs = models_json_schema([(model, "validation") for model in bodies],
                                    ref_template="#/components/schemas/{model}")
    schemas = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        operation: dict[str, Any] = {
            "operationId": spec.name,
            "summary": spec.summary,
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in _PATH_PARAM.findall(spec.path)
            ],
            "responses": {
                str(status): {"description": text, "content": {"application/json": {"schema": {}}}}
                for status, text in spec.responses.items()
            },
        }
        if spec.query is not None:
            operation["parameters"] += _query_parameters(spec.query, schemas)
        if spec.downloads:
            operation["responses"]["200"]["content"] = {t: {"schema": {"type": "string", "format": "binary"}}
                                                        for t in spec.downloads}
        if spec.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(spec.body, "validation")]}},
            }
        if spec.upload is not None:
            operation["requestBody"] = {
                "required": True,
                "description": f"The {spec.upload.description}, at most {spec.upload.max_bytes // 2**20} MiB",
                "content": {t: {"schema": {"type": "string", "format": "binary"}}
                            for t in sorted(spec.upload.media_types)},
            }
        problem = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        for status, text in ((400, "Malformed request"), (422, "Validation failed")):
            operation["responses"].setdefault(str(status), {"description": text, **problem})
        if spec.roles is None:
            operation["security"] = []
        else:
            operation["description"] = "Allowed roles: " + ", ".join(sorted(r.value for r in spec.roles))
            for status, text in ((401, "Missing or bad credentials"), (403, "Outside the caller's rights")):
                operation["responses"].setdefault(str(status), {"description": text, **problem})
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hewei (和为贵) dispute mediation API", "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "staffBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "partnerKey": {"type": "apiKey", "in": "header", "name": "X-Hewei-Key",
                               "description": "With X-Hewei-Timestamp and X-Hewei-Signature (HMAC-SHA256)."},
            },
        },
        "security": [{"staffBearer": []}, {"partnerKey": []}],
    }
