"""The mainland SMS providers' credentials (访问密钥), and the stage's SMS sender.

In the cloud the credentials are a Secrets Manager secret (`HEWEI_SMS_SECRET`), read through
Powertools' parameters with a five-minute cache; in the local stage they come in
`HEWEI_SMS_CREDENTIALS` (the local stand-in's, new each run). A provider's SDK is imported
only when its sender is built.
"""

from __future__ import annotations

import json
from typing import Any

from ..config import LOCAL_STAGE, MissingSetting, SmsSettings
from ..config import stage as _stage
from ..services.ports import SmsSender

SECRET_MAX_AGE_SECONDS = 300

CREDENTIAL_KEYS = {
    "aliyun": ("access_key_id", "access_key_secret"),
    "tencent": ("secret_id", "secret_key"),
}
"""What each provider's secret holds: Alibaba Cloud's AccessKey pair, Tencent Cloud's SecretId/SecretKey."""


def _secret(name: str) -> Any:
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_secret(name, transform="json", max_age=SECRET_MAX_AGE_SECONDS)


def provider_credentials(settings: SmsSettings, stage: str | None = None) -> dict[str, str]:
    """The credentials of `settings.provider`: `MissingSetting` naming what is missing (never a value)."""
    stage = stage or _stage()
    keys = CREDENTIAL_KEYS.get(settings.provider)
    if keys is None:
        raise MissingSetting(f"SMS provider {settings.provider!r} takes no credentials")
    if stage == LOCAL_STAGE:
        if not settings.credentials_json:
            raise MissingSetting("HEWEI_SMS_CREDENTIALS must be set to send through "
                                 f"{settings.provider} in the local stage")
        try:
            found = json.loads(settings.credentials_json)
        except ValueError:
            raise MissingSetting("HEWEI_SMS_CREDENTIALS is not JSON") from None
        where = "HEWEI_SMS_CREDENTIALS"
    else:
        if not settings.secret_name:
            raise MissingSetting(f"HEWEI_SMS_SECRET must be set to send through {settings.provider} "
                                 f"in stage {stage}")
        found = _secret(settings.secret_name)
        where = f"the secret {settings.secret_name}"
    if not isinstance(found, dict):
        raise MissingSetting(f"{where}: a JSON object of {', '.join(keys)}")
    missing = [key for key in keys if not isinstance(found.get(key), str) or not found[key]]
    if missing:
        raise MissingSetting(f"{where} has no {', '.join(missing)}")
    return {key: found[key] for key in keys}


def build_sender(settings: SmsSettings, stage: str | None = None) -> SmsSender:
    """The sender of `settings.provider`: Amazon SNS, Alibaba Cloud or Tencent Cloud."""
    stage = stage or _stage()
    endpoint = settings.endpoint if stage == LOCAL_STAGE else None
    if settings.provider == "aliyun":
        from .sms_aliyun import AliyunSmsSender

        return AliyunSmsSender(provider_credentials(settings, stage), settings.sign_name, settings.template_codes,
                               region=settings.region, endpoint=endpoint)
    if settings.provider == "tencent":
        from .sms_tencent import TencentSmsSender

        if not settings.app_id:
            raise MissingSetting("HEWEI_SMS_APP_ID (Tencent Cloud's SmsSdkAppId) must be set to send through tencent")
        return TencentSmsSender(provider_credentials(settings, stage), settings.sign_name, settings.app_id,
                                settings.template_codes, region=settings.region or "ap-guangzhou",
                                endpoint=endpoint)
    from .sms import SnsSmsSender

    return SnsSmsSender()
