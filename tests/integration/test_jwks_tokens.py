"""Staff tokens from an identity provider: RS256 verified against its JWKS endpoint."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.tokens import JwksVerifier
from chalicelib.domain.directory import Mediator
from chalicelib.domain.errors import InvalidToken
from chalicelib.services.auth import Authenticator
from chalicelib.services.errors import Unauthenticated
from tests.fakes import FakeClock, FakeDirectory, FakeReplayGuard

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def provider():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield key, f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


def token(key, **claims) -> str:
    payload = {"sub": "u1", "role": "supervisor", "jurisdiction": "320509", "iss": "https://idp.example",
               "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "k1"})


def test_a_token_signed_by_the_provider_verifies(provider):
    key, url = provider
    claims = JwksVerifier(url, "https://idp.example").verify(token(key))
    assert (claims["role"], claims["jurisdiction"]) == ("supervisor", "320509")


def test_wrong_issuer_expired_or_foreign_key_is_refused(provider):
    key, url = provider
    verifier = JwksVerifier(url, "https://idp.example")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for bad in (token(key, iss="https://evil.example"), token(key, exp=int(time.time()) - 10), token(other)):
        with pytest.raises(InvalidToken):
            verifier.verify(bad)


@pytest.mark.parametrize("claims", [
    {"jurisdiction": 320509}, {"jurisdiction": ["320509"]}, {"jurisdiction": None}, {"sub": 1},
    {"role": ["supervisor"]}, {"org_id": 5}, {"role": "mediator", "mediator_id": {"id": "M-1"}},
], ids=repr)
def test_a_provider_token_with_a_claim_of_the_wrong_type_is_401(provider, claims):
    """The provider's claims are checked as the service's own are (`auth.principal_of`): a number
    where a region code belongs is 401, not a 500 further on."""
    key, url = provider
    authenticator = Authenticator(FakeDirectory(), FakeReplayGuard(), JwksVerifier(url, "https://idp.example"),
                                  b"k" * 32, FakeClock(NOW))
    with pytest.raises(Unauthenticated, match="bearer token|token must"):
        authenticator.authenticate({"authorization": f"Bearer {token(key, **claims)}"}, "GET", ["/v1/cases"], b"")


def test_a_provider_token_of_a_deactivated_mediator_is_401(provider):
    key, url = provider
    directory = FakeDirectory()
    directory.add_mediator(Mediator(mediator_id="M-1", name="王调解", phone="13812345678", org_id="V-CN",
                                    active=False, created_at=NOW))
    authenticator = Authenticator(directory, FakeReplayGuard(), JwksVerifier(url, "https://idp.example"),
                                  b"k" * 32, FakeClock(NOW))
    with pytest.raises(Unauthenticated, match="deactivated"):
        authenticator.authenticate({"authorization": f"Bearer {token(key, role='mediator', mediator_id='M-1')}"},
                                   "GET", ["/v1/cases"], b"")
