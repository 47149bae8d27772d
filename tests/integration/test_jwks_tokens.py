"""Staff tokens from an identity provider: RS256 verified against its JWKS endpoint."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.tokens import JwksVerifier
from chalicelib.domain.errors import InvalidToken


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
