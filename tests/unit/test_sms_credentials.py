"""The providers' credentials and the stage's SMS sender (`adapters.sms_credentials`)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from chalicelib.adapters import sms_credentials
from chalicelib.adapters.sms import SnsSmsSender
from chalicelib.adapters.sms_credentials import build_sender, provider_credentials
from chalicelib.config import MissingSetting, SmsSettings

SETTINGS = SmsSettings(provider="aliyun", sign_name="和为贵", region=None, app_id=None, endpoint=None,
                       credentials_json=None, secret_name=None, template_codes={}, per_minute=1, per_hour=5)


def test_the_local_stage_reads_the_credentials_from_the_environments_json():
    local = replace(SETTINGS, credentials_json=json.dumps({"access_key_id": "LTAIx", "access_key_secret": "s",
                                                           "other": "ignored"}))
    assert provider_credentials(local, stage="local") == {"access_key_id": "LTAIx", "access_key_secret": "s"}


def test_a_cloud_stage_reads_the_secret_through_powertools(monkeypatch):
    asked = []

    def get_secret(name, transform=None, max_age=None):
        asked.append((name, transform, max_age))
        return {"secret_id": "AKIDx", "secret_key": "k"}

    from aws_lambda_powertools.utilities import parameters

    monkeypatch.setattr(parameters, "get_secret", get_secret)
    cloud = replace(SETTINGS, provider="tencent", secret_name="hewei-prod-sms")
    assert provider_credentials(cloud, stage="prod") == {"secret_id": "AKIDx", "secret_key": "k"}
    assert asked == [("hewei-prod-sms", "json", 300)]


def test_a_missing_key_is_named_and_no_value_is_shown(monkeypatch):
    from aws_lambda_powertools.utilities import parameters

    monkeypatch.setattr(parameters, "get_secret", lambda *a, **k: {"access_key_id": "LTAI-the-id"})
    with pytest.raises(MissingSetting) as missing:
        provider_credentials(replace(SETTINGS, secret_name="hewei-prod-sms"), stage="prod")
    assert "access_key_secret" in str(missing.value) and "LTAI-the-id" not in str(missing.value)
    local = replace(SETTINGS, provider="tencent", credentials_json=json.dumps({"secret_id": "AKID-the-id"}))
    with pytest.raises(MissingSetting, match="secret_key") as missing:
        provider_credentials(local, stage="local")
    assert "AKID-the-id" not in str(missing.value)


def test_a_cloud_stage_without_a_secret_name_or_a_local_one_without_json_is_refused():
    with pytest.raises(MissingSetting, match="HEWEI_SMS_SECRET"):
        provider_credentials(SETTINGS, stage="prod")
    with pytest.raises(MissingSetting, match="HEWEI_SMS_CREDENTIALS"):
        provider_credentials(SETTINGS, stage="local")
    with pytest.raises(MissingSetting, match="not JSON"):
        provider_credentials(replace(SETTINGS, credentials_json="{"), stage="local")


def test_the_sender_follows_the_provider():
    local = json.dumps({"access_key_id": "a", "access_key_secret": "b", "secret_id": "c", "secret_key": "d"})
    assert isinstance(build_sender(replace(SETTINGS, provider="sns"), stage="prod"), SnsSmsSender)
    aliyun = build_sender(replace(SETTINGS, credentials_json=local), stage="local")
    assert aliyun.provider == "aliyun"
    tencent = build_sender(replace(SETTINGS, provider="tencent", app_id="1400000001", credentials_json=local),
                           stage="local")
    assert (tencent.provider, tencent.app_id) == ("tencent", "1400000001")
    with pytest.raises(MissingSetting, match="HEWEI_SMS_APP_ID"):
        build_sender(replace(SETTINGS, provider="tencent", credentials_json=local), stage="local")


def test_a_cloud_stage_never_sends_to_another_endpoint(monkeypatch):
    built = {}
    monkeypatch.setattr(sms_credentials, "provider_credentials", lambda s, stage=None: {})

    class Recorder:
        def __init__(self, *args, **kwargs):
            built.update(kwargs)

    import chalicelib.adapters.sms_aliyun as sms_aliyun

    monkeypatch.setattr(sms_aliyun, "AliyunSmsSender", Recorder)
    build_sender(replace(SETTINGS, endpoint="http://127.0.0.1:9"), stage="prod")
    assert built["endpoint"] is None
    build_sender(replace(SETTINGS, endpoint="http://127.0.0.1:9"), stage="local")
    assert built["endpoint"] == "http://127.0.0.1:9"
