"""The stage and its settings (`chalicelib.config`): the local defaults only in the stage named `local`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import config
from chalicelib.adapters.sms_credentials import build_sender
from chalicelib.config import LOCAL_ONLY_SECRET_KEY, MissingSetting, read_sms_settings, settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_settings():
    settings.cache_clear()
    yield
    settings.cache_clear()


@pytest.mark.parametrize("value", [None, "", "  "])
def test_no_stage_is_refused_not_taken_for_the_local_one(monkeypatch, fresh_settings, value):
    for name in ("HEWEI_SECRET_KEY", "HEWEI_JWT_SECRET"):  # as a function deployed without them
        monkeypatch.delenv(name, raising=False)
    if value is None:
        monkeypatch.delenv("HEWEI_STAGE", raising=False)
    else:
        monkeypatch.setenv("HEWEI_STAGE", value)
    with pytest.raises(MissingSetting, match="HEWEI_STAGE must be set"):
        settings()
    with pytest.raises(MissingSetting, match="HEWEI_STAGE"):
        read_sms_settings()
    with pytest.raises(MissingSetting, match="HEWEI_STAGE"):
        build_sender(config.SmsSettings(provider="aliyun", sign_name="和为贵", region=None, app_id=None,
                                        endpoint="http://127.0.0.1:9", credentials_json='{"access_key_id": "a"}',
                                        secret_name=None, template_codes={}, per_minute=1, per_hour=5))


def test_the_built_in_keys_are_the_explicit_local_stages_only(monkeypatch, fresh_settings):
    for name in ("HEWEI_SECRET_KEY", "HEWEI_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HEWEI_STAGE", "local")
    local = settings()
    assert local.is_local and local.secret_key == LOCAL_ONLY_SECRET_KEY.encode() and local.jwt_secret
    settings.cache_clear()
    monkeypatch.setenv("HEWEI_STAGE", "dev")
    with pytest.raises(MissingSetting, match="HEWEI_SECRET_KEY must be set in stage dev"):
        settings()


def test_a_function_with_no_stage_refuses_to_start():
    env = {k: v for k, v in os.environ.items() if k not in ("HEWEI_STAGE", "HEWEI_SECRET_KEY", "HEWEI_JWT_SECRET")}
    env.update(_HANDLER="app.route_cases", AWS_DEFAULT_REGION="us-east-1")
    result = subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "MissingSetting: HEWEI_STAGE must be set" in result.stderr
