"""infra/mint_admin_token.py mints a token that the deployed stage's settings verify."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.tokens import HS256Tokens
from chalicelib.domain.errors import InvalidToken

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "mint_admin_token.py"
SECRET = "x" * 64


def mint(monkeypatch, capsys, *args: str) -> str:
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *args])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    return capsys.readouterr().out.strip()


def test_admin_token_from_the_stage_secret(monkeypatch, capsys):
    with mock_aws():
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="hewei/dev/jwt-secret", SecretString=SECRET)
        token = mint(monkeypatch, capsys, "--stage", "dev", "--region", "us-east-1", "--minutes", "5")
    claims = HS256Tokens(SECRET, "hewei-dev").verify(token)  # as the stack configures api_handler
    assert claims["role"] == "admin" and claims["sub"] == "admin:bootstrap"
    assert claims["exp"] - claims["iat"] == 300
    with pytest.raises(InvalidToken):
        HS256Tokens(SECRET, "hewei-prod").verify(token)


def test_missing_secret_is_a_clear_error(monkeypatch, capsys):
    with mock_aws(), pytest.raises(SystemExit, match="no secret hewei/prod/jwt-secret"):
        mint(monkeypatch, capsys, "--stage", "prod", "--region", "us-east-1")
