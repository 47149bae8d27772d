#!/usr/bin/env python3
"""Mint a short-lived admin token for a deployed stage (the first admin, or a break-glass one).

    python infra/mint_admin_token.py --stage dev [--sub admin:alice] [--minutes 60]

Only for a stage deployed without an identity provider (no `jwks_url`
context): there the service verifies HS256 staff tokens signed with the
stage's `hewei/<stage>/jwt-secret` from Secrets Manager. This reads that
secret with your own AWS credentials (you need secretsmanager:GetSecretValue
on it, which the deploying role has) and prints a token with role `admin`
and issuer `hewei-<stage>`. With that token an admin builds the directory,
registers partners and mints the other staff tokens with POST /v1/tokens.
Treat the output as a password; it expires after --minutes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.adapters.tokens import HS256Tokens  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, help="the deployed stage, e.g. dev or prod")
    parser.add_argument("--sub", default=None, help="who the token is for (default admin:bootstrap)")
    parser.add_argument("--minutes", type=int, default=60, help="lifetime, at most 720")
    parser.add_argument("--issuer", default=None, help="default hewei-<stage>, as the stack sets HEWEI_JWT_ISSUER")
    parser.add_argument("--region", default=None, help="the stage's region (default: your AWS configuration)")
    args = parser.parse_args()
    if not 1 <= args.minutes <= 720:
        parser.error("--minutes must be between 1 and 720")

    import boto3

    secrets = boto3.client("secretsmanager", region_name=args.region)
    secret_id = f"hewei/{args.stage}/jwt-secret"
    try:
        secret = secrets.get_secret_value(SecretId=secret_id)["SecretString"]
    except secrets.exceptions.ResourceNotFoundException:
        sys.exit(f"no secret {secret_id}: is the stage deployed, in this region, without jwks_url?")
    minter = HS256Tokens(secret, args.issuer or f"hewei-{args.stage}")
    token, expires_at = minter.mint({"role": "admin", "sub": args.sub or "admin:bootstrap"}, args.minutes * 60)
    print(token)
    print(f"expires {expires_at.isoformat()}", file=sys.stderr)


if __name__ == "__main__":
    main()
