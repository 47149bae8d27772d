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
    callback_allow_loopback: bool = False
    """`HEWEI_CALLBACK_ALLOW_LOOPBACK=1`: partner callbacks may go to loopback addresses (the local
    stack's callback sink on 127.0.0.1). The local stage only: a cloud stage with it refuses to start."""

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE

    @property
    def callback_policy(self):
        """Where partner callbacks may go in this stage (`domain.callback_urls`): https only in cloud
        stages; loopback only where `callback_allow_loopback` says so."""
        from .domain.callback_urls import CallbackPolicy

        return CallbackPolicy(https_only=not self.is_local, allow_loopback=self.callback_allow_loopback)


LOCAL_ONLY_SECRET_KEY = "local-development-only-key"


class MissingSetting(RuntimeError):
    """A setting a cloud stage must have is not set."""


def stage() -> str:
    """`HEWEI_STAGE`, which every process sets (`.chalice/config.json`, infra, the local runner, the
    tests and benches). No default: without it the process would have to guess, and the local
    stage's guess (built-in keys anyone can sign with, `as_of` honoured) is never a safe one. So a
    process with no stage refuses to start (`MissingSetting`); the local defaults apply only when
    the stage is explicitly `local`."""
    name = os.environ.get("HEWEI_STAGE", "").strip()
    if not name:
        raise MissingSetting("HEWEI_STAGE must be set: `local` for the local stack and the tests, "
                             "the stage's name (`dev`, `prod`) in the cloud")
    return name


@lru_cache(maxsize=1)
def settings() -> Settings:
    current = stage()
    secret_key = os.environ.get("HEWEI_SECRET_KEY")
    if not secret_key:
        if current != LOCAL_STAGE:  # never derive partner secrets from a key in the source code
            raise MissingSetting(f"HEWEI_SECRET_KEY must be set in stage {current}")
        secret_key = LOCAL_ONLY_SECRET_KEY
    allow_loopback = os.environ.get("HEWEI_CALLBACK_ALLOW_LOOPBACK", "").strip().lower() in ("1", "true", "yes")
    if allow_loopback and current != LOCAL_STAGE:  # the cloud's callbacks never go to its own loopback
        raise MissingSetting(f"HEWEI_CALLBACK_ALLOW_LOOPBACK is the local stage's; stage {current} may not set it")
    return Settings(
        stage=current,
        secret_key=secret_key.encode(),
        jwt_secret=os.environ.get("HEWEI_JWT_SECRET") or ("local-jwt-secret" if current == LOCAL_STAGE else None),
        jwt_jwks_url=os.environ.get("HEWEI_JWKS_URL") or None,
        jwt_issuer=os.environ.get("HEWEI_JWT_ISSUER", "hewei"),
        token_ttl_seconds=int(os.environ.get("HEWEI_TOKEN_TTL_SECONDS", "43200")),
        callback_allow_loopback=allow_loopback,
    )


SMS_PROVIDERS = ("sns", "aliyun", "tencent")
"""Amazon SNS (outside the mainland), Alibaba Cloud SMS (阿里云短信) and Tencent Cloud SMS (腾讯云短信)."""


@dataclass(frozen=True)
class SmsSettings:
    """How this stage sends SMS (README, "SMS: templates, digests, frequency limits")."""

    provider: str
    """`HEWEI_SMS_PROVIDER`: `sns` (the default), `aliyun` or `tencent`."""
    sign_name: str
    """`HEWEI_SMS_SIGN_NAME`: the approved signature (短信签名) the providers put first, 【和为贵】."""
    region: str | None
    """`HEWEI_SMS_REGION`: the provider's region (`cn-hangzhou`, `ap-guangzhou`); its default if unset."""
    app_id: str | None
    """`HEWEI_SMS_APP_ID`: Tencent Cloud's SmsSdkAppId (the SMS application the templates belong to)."""
    endpoint: str | None
    """`HEWEI_SMS_ENDPOINT`: another endpoint than the provider's (the local stand-in's
    `http://127.0.0.1:<port>`); honoured in the local stage only."""
    credentials_json: str | None
    """`HEWEI_SMS_CREDENTIALS`: the provider's credentials as JSON; the local stage only."""
    secret_name: str | None
    """`HEWEI_SMS_SECRET`: the Secrets Manager secret holding the credentials (cloud stages)."""
    template_codes: dict[str, str]
    """`HEWEI_SMS_TEMPLATE_CODES`: a JSON object, template name → the code the provider gave it at
    registration, over the defaults of `domain.sms_templates`."""
    per_minute: int
    """`HEWEI_SMS_PER_MINUTE`: messages at most to one number, of one kind, in any minute (1)."""
    per_hour: int
    """`HEWEI_SMS_PER_HOUR`: and in any hour (5)."""


def read_sms_settings() -> SmsSettings:
    """The SMS settings the environment gives now; `MissingSetting` for a provider not known, or
    settings a cloud stage may not have (another endpoint, credentials in the environment)."""
    import json

    current = stage()
    provider = os.environ.get("HEWEI_SMS_PROVIDER", "sns").strip().lower() or "sns"
    if provider not in SMS_PROVIDERS:
        raise MissingSetting(f"HEWEI_SMS_PROVIDER {provider!r}: one of {', '.join(SMS_PROVIDERS)}")
    endpoint = os.environ.get("HEWEI_SMS_ENDPOINT") or None
    credentials = os.environ.get("HEWEI_SMS_CREDENTIALS") or None
    if current != LOCAL_STAGE and (endpoint or credentials):
        raise MissingSetting("HEWEI_SMS_ENDPOINT and HEWEI_SMS_CREDENTIALS are the local stage's: a cloud stage "
                             "sends to the provider, with credentials from Secrets Manager (HEWEI_SMS_SECRET)")
    try:
        codes = json.loads(os.environ.get("HEWEI_SMS_TEMPLATE_CODES") or "{}")
    except ValueError as exc:
        raise MissingSetting(f"HEWEI_SMS_TEMPLATE_CODES is not JSON: {exc}") from None
    if not isinstance(codes, dict) or not all(isinstance(v, str) for v in codes.values()):
        raise MissingSetting("HEWEI_SMS_TEMPLATE_CODES: a JSON object of template name → code")
    return SmsSettings(
        provider=provider,
        sign_name=os.environ.get("HEWEI_SMS_SIGN_NAME") or "和为贵",
        region=os.environ.get("HEWEI_SMS_REGION") or None,
        app_id=os.environ.get("HEWEI_SMS_APP_ID") or None,
        endpoint=endpoint,
        credentials_json=credentials,
        secret_name=os.environ.get("HEWEI_SMS_SECRET") or None,
        template_codes=codes,
        per_minute=int(os.environ.get("HEWEI_SMS_PER_MINUTE", "1")),
        per_hour=int(os.environ.get("HEWEI_SMS_PER_HOUR", "5")),
    )


@lru_cache(maxsize=1)
def sms_settings() -> SmsSettings:
    """The stage's SMS settings, read once (`read_sms_settings`)."""
    return read_sms_settings()
