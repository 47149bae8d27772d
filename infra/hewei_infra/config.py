"""Per-stage settings of the cloud stack, from CDK context (`--context stage=dev`).

`prepare_environment()` must run before anything imports `chalicelib` or
`app`: table and queue names are computed from `HEWEI_RESOURCE_PREFIX` when
those modules are imported, in this process and in `chalice package`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable

STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,15}$")
SMS_PROVIDERS = ("sns", "aliyun", "tencent")
"""As `chalicelib.config.SMS_PROVIDERS` (not imported: chalicelib must not load before the stage's
environment is set): Amazon SNS, Alibaba Cloud SMS (阿里云短信), Tencent Cloud SMS (腾讯云短信)."""
SMS_CREDENTIAL_KEYS = {"aliyun": ("access_key_id", "access_key_secret"), "tencent": ("secret_id", "secret_key")}
"""What the JSON of a mainland stage's credentials secret holds, per provider."""


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
    sms_provider: str = "sns"
    """Who sends the SMS: `sns` (Amazon SNS, outside the mainland), `aliyun` or `tencent` (a mainland
    stage: the provider's SDK in a layer of send_notifications, credentials in Secrets Manager)."""
    sms_sign_name: str | None = None
    """The approved signature (短信签名); required for a mainland provider."""
    sms_region: str | None = None
    """The provider's region (`cn-hangzhou`, `ap-guangzhou`); the SDK's default if unset."""
    sms_app_id: str | None = None
    """Tencent Cloud's SmsSdkAppId; required for tencent."""
    sms_template_codes: str | None = None
    """A JSON object, template name → the code the provider gave it (模板), passed as it is."""
    sms_per_minute: int | None = None
    """Messages at most to one number, of one kind, per minute; the app's default if unset."""
    sms_per_hour: int | None = None

    @property
    def mainland_sms(self) -> bool:
        """The stage sends through a domestic provider (not SNS)."""
        return self.sms_provider != "sns"

    @property
    def sms_secret_name(self) -> str:
        return f"hewei/{self.stage}/sms-credentials"

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
                   alarm_email=get("alarm_email") or None, **numbers, **_sms_context(get))


def _sms_context(get: Callable[[str], Any]) -> dict[str, Any]:
    """The SMS context keys, checked: a stage that would fail at its first message fails at synth."""
    provider = str(get("sms_provider") or "sns").strip().lower()
    if provider not in SMS_PROVIDERS:
        raise SystemExit(f"sms_provider {provider!r}: one of {', '.join(SMS_PROVIDERS)} (sns outside the "
                         "mainland, aliyun or tencent for mainland numbers)")
    found: dict[str, Any] = {"sms_provider": provider}
    for key in ("sms_sign_name", "sms_region", "sms_app_id", "sms_template_codes"):
        value = get(key)
        if isinstance(value, (dict, list)) and key == "sms_template_codes":  # given as JSON in cdk.json
            value = json.dumps(value, ensure_ascii=False)
        if value not in (None, ""):
            found[key] = str(value).strip()
    for key in ("sms_per_minute", "sms_per_hour"):
        value = get(key)
        if value not in (None, ""):
            try:
                found[key] = int(value)
            except (TypeError, ValueError):
                raise SystemExit(f"{key} {value!r}: a whole number of messages") from None
            if found[key] < 1:
                raise SystemExit(f"{key} {value!r}: at least 1")
    if provider == "sns":
        mainland_only = sorted(k for k in ("sms_sign_name", "sms_region", "sms_app_id", "sms_template_codes")
                               if k in found)
        if mainland_only:
            raise SystemExit(f"{', '.join(mainland_only)}: settings of a mainland provider; set sms_provider to "
                             "aliyun or tencent, or leave them out")
        return found
    if not found.get("sms_sign_name"):
        raise SystemExit(f"sms_provider {provider}: set sms_sign_name, the approved signature (短信签名)")
    if provider == "tencent" and not found.get("sms_app_id"):
        raise SystemExit("sms_provider tencent: set sms_app_id, the SmsSdkAppId the templates belong to")
    if provider == "aliyun" and "sms_app_id" in found:
        raise SystemExit("sms_app_id is Tencent Cloud's SmsSdkAppId: Alibaba Cloud has none")
    if "sms_template_codes" in found:
        try:
            codes = json.loads(found["sms_template_codes"])
        except ValueError as exc:
            raise SystemExit(f"sms_template_codes is not JSON: {exc}") from None
        if not isinstance(codes, dict) or not all(isinstance(v, str) and v for v in codes.values()):
            raise SystemExit("sms_template_codes: a JSON object of template name → the provider's template code")
    return found


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
