"""Settings read from the environment, once, at first use.

Stage config (`.chalice/config.json`, infra) sets these variables; the local
stack sets them in its runner. Nothing here touches AWS.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

LOCAL_STAGE = "local"

SERVICE = "hewei"
"""The application's name: Chalice's app name, the logs' and the metrics' service."""

API_HANDLER = "app.app"
"""The API function's Lambda handler (Chalice's `api_handler`); the others are `app.<function>`."""


def serves_http() -> bool:
    """Whether this process serves the HTTP API: the API function, and any process that is no
    Lambda function (`chalice package` and `chalice local`, the tests, the benches). Lambda
    names the handler it loads in `_HANDLER`; a queue or schedule function (`app.route_cases`...)
    then skips the routes, and with them the request models, the views and OpenAPI. A handler
    that is not one of app.py's (a wrapper layer's) gets the routes: never a function without them."""
    handler = os.environ.get("_HANDLER", API_HANDLER)
    return handler == API_HANDLER or not handler.startswith("app.")


def _prefix() -> str:
    return os.environ.get("HEWEI_RESOURCE_PREFIX", "hewei-local-")


def resource_name(suffix: str) -> str:
    """Name of a table or queue of this stage: `hewei-local-cases`."""
    return f"{_prefix()}{suffix}"


QUEUE_SUFFIXES = {
    "routing": "routing",
    "notify": "notify",
    "callbacks": "callbacks",
    "sweeps": "sweeps",
    "exports": "exports",
}
"""Queues of the service, by role; each has a dead-letter queue `<name>-dlq`."""


def queue_name(role: str) -> str:
    """`routing`, `notify`, `callbacks`, or one of them + `-dlq` for its dead-letter queue."""
    base, _, dlq = role.partition("-")
    name = os.environ.get(f"HEWEI_{base.upper()}_QUEUE", resource_name(QUEUE_SUFFIXES[base]))
    return f"{name}-{dlq}" if dlq else name


def exports_bucket() -> str:
    """The S3 bucket of ledger exports (台账导出): `HEWEI_EXPORTS_BUCKET`, which infra sets (bucket
    names are global), else `hewei-local-exports` and the like."""
    return os.environ.get("HEWEI_EXPORTS_BUCKET") or resource_name("exports")


def attachments_bucket() -> str:
    """The S3 bucket of case attachments (证据材料): `HEWEI_ATTACHMENTS_BUCKET`, which infra sets,
    else `hewei-local-attachments` and the like."""
    return os.environ.get("HEWEI_ATTACHMENTS_BUCKET") or resource_name("attachments")


@dataclass(frozen=True)
class Settings:
    stage: str
    secret_key: bytes
    """Master key: derives partner secrets and pseudonymises party identifiers."""
    jwt_secret: str | None
    """HS256 key for staff tokens the service signs itself (local stage)."""
    jwt_jwks_url: str | None
    """The identity provider's key set, for cloud stages."""
    jwt_issuer: str
    token_ttl_seconds: int

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE


LOCAL_ONLY_SECRET_KEY = "local-development-only-key"


class MissingSetting(RuntimeError):
    """A setting a cloud stage must have is not set."""


@lru_cache(maxsize=1)
def settings() -> Settings:
    stage = os.environ.get("HEWEI_STAGE", LOCAL_STAGE)
    secret_key = os.environ.get("HEWEI_SECRET_KEY")
    if not secret_key:
        if stage != LOCAL_STAGE:  # never derive partner secrets from a key in the source code
            raise MissingSetting(f"HEWEI_SECRET_KEY must be set in stage {stage}")
        secret_key = LOCAL_ONLY_SECRET_KEY
    return Settings(
        stage=stage,
        secret_key=secret_key.encode(),
        jwt_secret=os.environ.get("HEWEI_JWT_SECRET") or ("local-jwt-secret" if stage == LOCAL_STAGE else None),
        jwt_jwks_url=os.environ.get("HEWEI_JWKS_URL") or None,
        jwt_issuer=os.environ.get("HEWEI_JWT_ISSUER", "hewei"),
        token_ttl_seconds=int(os.environ.get("HEWEI_TOKEN_TTL_SECONDS", "43200")),
    )
