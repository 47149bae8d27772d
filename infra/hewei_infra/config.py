"""Per-stage settings of the cloud stack, from CDK context (`--context stage=dev`).

`prepare_environment()` must run before anything imports `chalicelib` or
`app`: table and queue names are computed from `HEWEI_RESOURCE_PREFIX` when
those modules are imported, in this process and in `chalice package`.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable

STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,15}$")


@dataclass(frozen=True)
class StageConfig:
    stage: str
    jwks_url: str | None = None
    """The identity provider's JWKS endpoint. Unset: the service signs staff tokens itself
    (HS256, key in Secrets Manager) and `infra/mint_admin_token.py` mints the first admin's."""
    jwt_issuer: str | None = None
    alarm_email: str | None = None
    api_rate_limit: float = 100.0
    """Requests per second for the whole stage (every caller)."""
    api_burst_limit: int = 200
    partner_rate_limit: float = 10.0
    """Requests per second per API key in the partners' usage plan."""
    partner_burst_limit: int = 20
    partner_daily_quota: int = 20_000
    upload_origins: tuple[str, ...] = ("*",)
    """Origins whose browsers may POST attachments straight to the bucket (CORS); the presigned
    form is the credential, so any origin by default (`--context upload_origins=https://a,https://b`)."""

    @property
    def prod(self) -> bool:
        return self.stage == "prod"

    @property
    def prefix(self) -> str:
        """As in `.chalice/config.json`: `hewei-<stage>-`."""
        return f"hewei-{self.stage}-"

    @property
    def stack_name(self) -> str:
        return f"hewei-{self.stage}"

    @property
    def issuer(self) -> str:
        return self.jwt_issuer or f"hewei-{self.stage}"

    @property
    def log_retention_days(self) -> int:
        return 180 if self.prod else 30

    @property
    def api_snapstart(self) -> bool:
        """Lambda SnapStart on the API function (README, SnapStart): prod only, where cold starts
        meet real callers and the cache and restore charges are worth it."""
        return self.prod

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> "StageConfig":
        stage = get("stage") or os.environ.get("HEWEI_DEPLOY_STAGE") or "dev"
        if not STAGE_PATTERN.match(stage) or stage == "local":
            raise SystemExit(f"stage {stage!r}: use a short lower-case name such as dev or prod ('local' is the "
                             "local stack's)")
        jwks_url = get("jwks_url") or None
        if jwks_url and not jwks_url.startswith("https://"):
            raise SystemExit("jwks_url must be an https:// URL")
        numbers = {}
        for name in ("api_rate_limit", "api_burst_limit", "partner_rate_limit", "partner_burst_limit",
                     "partner_daily_quota"):
            value = get(name)
            if value is not None:
                numbers[name] = type(getattr(cls, name))(value)
        origins = tuple(o.strip() for o in str(get("upload_origins") or "").split(",") if o.strip())
        if origins:
            numbers["upload_origins"] = origins
        return cls(stage=stage, jwks_url=jwks_url, jwt_issuer=get("jwt_issuer") or None,
                   alarm_email=get("alarm_email") or None, **numbers)


def prepare_environment(config: StageConfig) -> None:
    """Point the app's settings at this stage before `chalicelib` is imported."""
    loaded = [name for name in ("app", "chalicelib") if name in sys.modules]
    if loaded:
        raise RuntimeError(f"{loaded} imported before the stage environment was set: names would be wrong")
    os.environ["HEWEI_STAGE"] = config.stage
    os.environ["HEWEI_RESOURCE_PREFIX"] = config.prefix
    for name in list(os.environ):  # per-queue overrides are for the local stack only
        if re.fullmatch(r"HEWEI_[A-Z]+_QUEUE", name):
            del os.environ[name]
    # `chalice package` needs a region to build its config; the stack itself stays region-agnostic.
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("CDK_DEFAULT_REGION", "us-east-1"))
