"""Staff bearer tokens (JWT): verifiers are pluggable per stage.

- `HS256Tokens`: the service signs and verifies its own tokens (local stage,
  and `POST /v1/tokens`).
- `JwksVerifier`: verifies the identity provider's RS256/ES256 tokens from its
  JWKS endpoint (cloud stages), with PyJWT's caching key client.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..domain.errors import InvalidToken


class HS256Tokens:
    algorithm = "HS256"

    def __init__(self, secret: str, issuer: str = "hewei"):
        self._secret = secret
        self._issuer = issuer

    def mint(self, claims: dict[str, Any], ttl_seconds: int, now: dt.datetime | None = None) -> tuple[str, dt.datetime]:
        import jwt

        now = now or dt.datetime.now(dt.timezone.utc)
        expires_at = now + dt.timedelta(seconds=ttl_seconds)
        payload = {k: v for k, v in claims.items() if v is not None}
        payload.update(iss=self._issuer, iat=int(now.timestamp()), exp=int(expires_at.timestamp()))
        return jwt.encode(payload, self._secret, algorithm=self.algorithm), expires_at.replace(microsecond=0)

    def verify(self, token: str) -> dict[str, Any]:
        import jwt  # imported on first use: queue and schedule functions never need it

        try:
            return jwt.decode(
                token, self._secret, algorithms=[self.algorithm], issuer=self._issuer,
                options={"require": ["exp", "sub", "role"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc


class JwksVerifier:
    def __init__(self, jwks_url: str, issuer: str, audience: str | None = None):
        import jwt

        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True)
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> dict[str, Any]:
        import jwt

        try:
            key = self._client.get_signing_key_from_jwt(token)
            return jwt.decode(
                token, key.key, algorithms=["RS256", "ES256"], issuer=self._issuer,
                audience=self._audience, options={"require": ["exp", "sub", "role"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
