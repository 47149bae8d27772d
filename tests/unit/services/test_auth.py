"""Authenticator (§1): staff bearer tokens and partner signatures, each signature once; and
TokenService, which mints staff tokens for admins (the real HS256Tokens: it is pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.signing import SIGNATURE_WINDOW_SECONDS, sign
from chalicelib.services.auth import Authenticator
from chalicelib.services.commands import PartnerChanges, TokenRequest
from chalicelib.services.errors import Forbidden, Unauthenticated, Unprocessable
from chalicelib.wiring import Container
from tests.unit.services.builders import ADMIN, MEDIATOR, PARTNER, PARTNER_ID, SUPERVISOR, parse, refused

BODY = b'{"external_ref":"R-1"}'
PATH = "/v1/cases?b=2&a=1"


@pytest.fixture
def authenticator(centre) -> Authenticator:
    return centre.services.authenticator


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def mint(centre, principal=ADMIN, **request) -> str:
    token, _ = centre.services.tokens.mint(parse(TokenRequest, request), principal)
    return token


@pytest.mark.parametrize(("request_body", "principal"), [
    ({"role": "mediator", "mediator_id": "M-CN-1"}, MEDIATOR),
    ({"role": "supervisor", "jurisdiction": "320509"}, SUPERVISOR),
    ({"role": "admin"}, ADMIN),
])
def test_a_minted_staff_token_authenticates_as_its_principal(centre, authenticator, request_body, principal):
    assert authenticator.authenticate(bearer(mint(centre, **request_body)), "GET", ["/v1/cases"], b"") == principal


def test_a_token_lives_for_the_configured_time(centre):
    claims = centre.services.token_verifier.verify(mint(centre, role="admin"))
    assert claims["exp"] - claims["iat"] == centre.services.settings.token_ttl_seconds


@pytest.mark.parametrize("headers", [
    {}, {"authorization": "Basic YWRtaW4="}, {"authorization": "Bearer  "}, bearer("not.a.token")])
def test_missing_or_malformed_credentials_are_401(authenticator, headers):
    with pytest.raises(Unauthenticated):
        authenticator.authenticate(headers, "GET", ["/v1/cases"], b"")


@pytest.mark.parametrize(("claims", "ttl"), [
    ({"sub": "admin", "role": "admin"}, -60),  # expired
    ({"sub": "p", "role": "partner"}, 60),  # partners sign, they hold no token
    ({"sub": "x", "role": "janitor"}, 60),
    ({"sub": "supervisor:x", "role": "supervisor"}, 60),  # no jurisdiction
    ({"sub": "mediator:x", "role": "mediator", "org_id": "V-CN"}, 60),  # no mediator_id
    ({"sub": "mediator:x", "role": "mediator", "mediator_id": "M-NONE"}, 60),  # no such mediator
])
def test_a_token_with_claims_the_service_refuses_is_401(centre, authenticator, claims, ttl):
    token, _ = centre.services.token_minter.mint(claims, ttl)
    with pytest.raises(Unauthenticated):
        authenticator.authenticate(bearer(token), "GET", ["/v1/cases"], b"")


SUPERVISOR_CLAIMS = {"sub": "supervisor:320509", "role": "supervisor", "jurisdiction": "320509"}
MEDIATOR_CLAIMS = {"sub": "mediator:M-CN-1", "role": "mediator", "mediator_id": "M-CN-1", "org_id": "V-CN"}


@pytest.mark.parametrize("claims", [
    {**SUPERVISOR_CLAIMS, "jurisdiction": 320509},
    {**SUPERVISOR_CLAIMS, "jurisdiction": ["320509"]},
    {**SUPERVISOR_CLAIMS, "jurisdiction": {"code": "320509"}},
    {**SUPERVISOR_CLAIMS, "jurisdiction": True},
    {**SUPERVISOR_CLAIMS, "jurisdiction": "3205"},  # not a district, town or village code
    {**SUPERVISOR_CLAIMS, "jurisdiction": "３２０５０９"},  # full-width: not a region code
    {**SUPERVISOR_CLAIMS, "jurisdiction": ""},
    {**SUPERVISOR_CLAIMS, "org_id": 7},
    {**SUPERVISOR_CLAIMS, "org_id": "V CN"},
    {**SUPERVISOR_CLAIMS, "sub": 42},
    {**SUPERVISOR_CLAIMS, "sub": ["supervisor"]},
    {**SUPERVISOR_CLAIMS, "sub": ""},
    {**SUPERVISOR_CLAIMS, "sub": "x" * 256},
    {**SUPERVISOR_CLAIMS, "sub": "admin\u202e"},
    {**SUPERVISOR_CLAIMS, "role": ["supervisor"]},
    {**SUPERVISOR_CLAIMS, "role": {"name": "admin"}},
    {**SUPERVISOR_CLAIMS, "role": 1},
    {**MEDIATOR_CLAIMS, "mediator_id": 1},
    {**MEDIATOR_CLAIMS, "mediator_id": ["M-CN-1"]},
    {**MEDIATOR_CLAIMS, "mediator_id": "M-CN-1/../x"},
    {**MEDIATOR_CLAIMS, "org_id": None, "mediator_id": {"id": "M-CN-1"}},
], ids=lambda claims: repr({k: v for k, v in claims.items() if k in ("role", "sub", "jurisdiction", "org_id",
                                                                        "mediator_id")}))
def test_a_claim_of_the_wrong_type_or_form_is_401_not_a_crash(centre, authenticator, claims):
    token, _ = centre.services.token_minter.mint(claims, 60)
    with pytest.raises(Unauthenticated, match="bearer token|token must"):
        authenticator.authenticate(bearer(token), "GET", ["/v1/cases"], b"")


def test_a_deactivated_mediator_is_refused(centre, authenticator):
    token = mint(centre, role="mediator", mediator_id="M-CN-1")
    assert authenticator.authenticate(bearer(token), "GET", ["/v1/cases"], b"") == MEDIATOR
    directory = centre.services.directory_store
    directory.update_mediator(directory.mediator("M-CN-1"), {"active": False})
    with pytest.raises(Unauthenticated, match="deactivated"):
        authenticator.authenticate(bearer(token), "GET", ["/v1/cases"], b"")
    directory.update_mediator(directory.mediator("M-CN-1"), {"active": True})
    assert authenticator.authenticate(bearer(token), "GET", ["/v1/cases"], b"") == MEDIATOR


def signed(centre, timestamp: dt.datetime, key_id: str | None = None, secret: str | None = None,
           body: bytes = BODY) -> dict[str, str]:
    stamp = str(int(timestamp.timestamp()))
    return {"x-hewei-key": key_id or centre.partner.key_id, "x-hewei-timestamp": stamp,
            "x-hewei-signature": sign(secret or centre.partner_secret, stamp, "POST", PATH, body)}


@pytest.mark.parametrize("skew", [-SIGNATURE_WINDOW_SECONDS, 0, SIGNATURE_WINDOW_SECONDS])
def test_a_signed_request_within_the_window_is_the_partner_once(centre, authenticator, guard, clock, skew):
    headers = signed(centre, clock() + dt.timedelta(seconds=skew))
    paths = ["/v1/cases?a=1&b=2", PATH]  # the gateway may have reordered the query
    assert authenticator.authenticate(headers, "POST", paths, BODY) == PARTNER
    assert list(guard.seen) == [headers["x-hewei-signature"]]
    with pytest.raises(Unauthenticated, match="replay"):
        authenticator.authenticate(headers, "POST", paths, BODY)


@pytest.mark.parametrize(("change", "partner_enabled"), [
    ({"skew": SIGNATURE_WINDOW_SECONDS + 1}, True),
    ({"skew": -SIGNATURE_WINDOW_SECONDS - 1}, True),
    ({"key_id": "hk_unknown"}, True),
    ({"secret": "not-the-partners-secret"}, True),
    ({"body": b"{}"}, True),  # signed over another body
    ({}, False),
])
def test_a_signature_refused_claims_nothing(centre, authenticator, guard, clock, change, partner_enabled):
    centre.services.directory.change_partner(PARTNER_ID, PartnerChanges(enabled=partner_enabled))
    skew = dt.timedelta(seconds=change.get("skew", 0))
    headers = signed(centre, clock() + skew, **{name: value for name, value in change.items() if name != "skew"})
    with refused(Unauthenticated, lambda: dict(guard.seen)):
        authenticator.authenticate(headers, "POST", [PATH], BODY)


def test_only_admins_mint_tokens(centre):
    with pytest.raises(Forbidden):
        mint(centre, SUPERVISOR, role="admin")


def test_no_token_is_minted_for_a_deactivated_mediator(centre):
    directory = centre.services.directory_store
    directory.update_mediator(directory.mediator("M-CN-1"), {"active": False})
    with pytest.raises(Unprocessable, match="deactivated") as refusal:
        mint(centre, role="mediator", mediator_id="M-CN-1")
    assert [e["field"] for e in refusal.value.errors] == ["mediator_id"]


@pytest.mark.parametrize(("request_body", "field"), [
    ({"role": "mediator"}, "mediator_id"),
    ({"role": "mediator", "mediator_id": "M-NOBODY"}, "mediator_id"),
    ({"role": "supervisor"}, "jurisdiction"),
    ({"role": "supervisor", "jurisdiction": "320510"}, "jurisdiction"),
    ({"role": "supervisor", "jurisdiction": "320509", "org_id": "NO-ORG"}, "org_id"),
    ({"role": "partner"}, "role"),
])
def test_a_token_request_the_directory_does_not_bear_out_is_unprocessable(centre, request_body, field):
    with pytest.raises(Unprocessable) as refusal:
        mint(centre, **request_body)
    assert [e["field"] for e in refusal.value.errors] == [field]


def test_where_the_identity_provider_issues_tokens_none_are_minted(centre):
    tokens = Container(token_minter=None, directory_store=centre.services.directory_store).tokens
    with pytest.raises(Unprocessable):
        tokens.mint(parse(TokenRequest, {"role": "admin"}), ADMIN)


# ------------------------------------------------------------ the nonce (§1a)

NONCE = "n0nce-0123456789_abc"


def with_nonce(centre, timestamp: dt.datetime, nonce: str = NONCE, signed_nonce: str | None = None) -> dict[str, str]:
    stamp = str(int(timestamp.timestamp()))
    return {"x-hewei-key": centre.partner.key_id, "x-hewei-timestamp": stamp, "x-hewei-nonce": nonce,
            "x-hewei-signature": sign(centre.partner_secret, stamp, "POST", PATH, BODY,
                                      nonce if signed_nonce is None else signed_nonce)}


def test_an_identical_request_with_another_nonce_is_no_replay(centre, authenticator, guard, clock):
    first, second = with_nonce(centre, clock()), with_nonce(centre, clock(), nonce=NONCE + "-2")
    assert first["x-hewei-timestamp"] == second["x-hewei-timestamp"]
    assert authenticator.authenticate(first, "POST", [PATH], BODY) == PARTNER
    assert authenticator.authenticate(second, "POST", [PATH], BODY) == PARTNER
    assert sorted(guard.seen) == sorted(f"nonce:{centre.partner.key_id}:{n}" for n in (NONCE, NONCE + "-2"))


def test_the_same_nonce_twice_is_a_replay_even_over_another_request(centre, authenticator, guard, clock):
    authenticator.authenticate(with_nonce(centre, clock()), "POST", [PATH], BODY)
    later = with_nonce(centre, clock() + dt.timedelta(seconds=5))  # another timestamp: another signature
    with pytest.raises(Unauthenticated, match="nonce was already used"):
        authenticator.authenticate(later, "POST", [PATH], BODY)


@pytest.mark.parametrize(("nonce", "signed_nonce", "message"), [
    ("short", None, "X-Hewei-Nonce must be"),
    ("x" * 65, None, "X-Hewei-Nonce must be"),
    ("with space 012345", None, "X-Hewei-Nonce must be"),
    ("", None, "X-Hewei-Nonce must be"),
    (NONCE, "", "bad signature"),  # signed without the nonce (§1's form) but sent with one
    (NONCE, NONCE + "x", "bad signature"),
])
def test_a_bad_nonce_or_one_not_signed_is_401_and_claims_nothing(centre, authenticator, guard, clock, nonce,
                                                                  signed_nonce, message):
    headers = with_nonce(centre, clock(), nonce, signed_nonce)
    if signed_nonce == "":
        headers["x-hewei-signature"] = sign(centre.partner_secret, headers["x-hewei-timestamp"], "POST", PATH, BODY)
    with refused(Unauthenticated, lambda: dict(guard.seen)) as caught:
        authenticator.authenticate(headers, "POST", [PATH], BODY)
    assert message in caught.value.detail
