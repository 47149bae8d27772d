"""Authentication (§1): partner request signatures and staff bearer tokens."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Mapping

from ..domain.access import STAFF_ROLES, Principal
from ..domain.enums import Role
from ..domain.errors import InvalidToken
from ..domain.signing import (SIGNATURE_WINDOW_SECONDS, derive_secret, nonce_valid, signature_matches,
                              timestamp_fresh)
from .commands import TokenRequest
from .errors import Forbidden, Unauthenticated, Unprocessable
from .ports import Clock, Directory, ReplayClaim, ReplayGuard, TokenMinter, TokenVerifier


def replay_key(key_id: str, signature: str, nonce: str | None) -> str:
    """What the replay guard claims once: the signature (§1), or with a nonce the key's nonce
    (§1a), so that an identical request resent with another nonce is not a replay."""
    return signature.lower() if nonce is None else f"nonce:{key_id}:{nonce}"


class PendingReplay:
    """The replay key of a signed request, not claimed yet: the request's own write may carry
    it (`claim`, then `written` once that write is done), which saves a write on the hot path
    of a partner intake.
    Whatever else happens, `settle` claims it on its own, so that a replayed request is refused
    (401) whatever it would have been answered, as when the key is claimed before anything."""

    def __init__(self, guard: ReplayGuard, claim: ReplayClaim, refusal: str):
        self.claim = claim
        self._guard = guard
        self._refusal = refusal
        self._settled = False

    def refused(self) -> Unauthenticated:
        """The answer to a replay."""
        self._settled = True
        return Unauthenticated(self._refusal)

    def written(self) -> None:
        """The request's write claimed the key with what it wrote."""
        self._settled = True

    def settle(self) -> None:
        """Claim the key now unless that is done; Unauthenticated if it was claimed before."""
        if self._settled:
            return
        self._settled = True
        if not self._guard.claim(self.claim.key, self.claim.expires_at):
            raise Unauthenticated(self._refusal)


class Authenticator:
    def __init__(self, directory: Directory, replay_guard: ReplayGuard, verifier: TokenVerifier,
                 secret_key: bytes, clock: Clock):
        self._directory = directory
        self._replay_guard = replay_guard
        self._verifier = verifier
        self._secret_key = secret_key
        self._clock = clock

    def authenticate(self, headers: Mapping[str, str], method: str, paths: list[str], body: bytes) -> Principal:
        """The caller, from a bearer token or a partner signature; 401 otherwise (a replayed
        signature or nonce included).

        `paths` are the renderings of the path and query the signature may
        have been made over (query order is not preserved by every gateway).
        """
        principal, replay = self.authenticate_deferring_replay(headers, method, paths, body)
        if replay is not None:
            replay.settle()
        return principal

    def authenticate_deferring_replay(self, headers: Mapping[str, str], method: str, paths: list[str],
                                      body: bytes) -> tuple[Principal, PendingReplay | None]:
        """As `authenticate`, but a partner request's replay key is left to claim (`PendingReplay`):
        by the write the request makes, or by `settle`. None for a bearer token."""
        authorization = headers.get("authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("Authorization must be 'Bearer <token>'")
            return self._staff(token.strip()), None
        if headers.get("x-hewei-key"):
            return self._partner(headers, method, paths, body)
        raise Unauthenticated("credentials are missing: a bearer token or a partner signature is required")

    def _staff(self, token: str) -> Principal:
        try:
            claims = self._verifier.verify(token)
        except InvalidToken:
            raise Unauthenticated("the bearer token is invalid or expired") from None
        principal = principal_of(claims)
        if principal.role is Role.MEDIATOR and not self._directory.mediator_is_active(principal.mediator_id):
            raise Unauthenticated("the mediator is deactivated or no longer in the directory: the token "
                                  "is no longer accepted")
        return principal

    def _partner(self, headers: Mapping[str, str], method: str, paths: list[str],
                 body: bytes) -> tuple[Principal, PendingReplay]:
        key_id = headers.get("x-hewei-key", "")
        timestamp = headers.get("x-hewei-timestamp", "")
        signature = headers.get("x-hewei-signature", "")
        nonce = headers.get("x-hewei-nonce")
        now = self._clock()
        if not timestamp_fresh(timestamp, now.timestamp()):
            raise Unauthenticated(f"X-Hewei-Timestamp is missing or more than {SIGNATURE_WINDOW_SECONDS} s from server time")
        if nonce is not None and not nonce_valid(nonce):
            raise Unauthenticated("X-Hewei-Nonce must be 16 to 64 characters of A-Z a-z 0-9 - _")
        if len(key_id) > 64 or len(signature) != 64:
            raise Unauthenticated("unknown key or bad signature")
        partner = self._directory.partner_by_key(key_id)
        if partner is None or not partner.enabled:
            raise Unauthenticated("unknown key, or the partner is disabled")
        secret = derive_secret(self._secret_key, key_id)
        if not signature_matches(secret, signature, timestamp, method, paths, body, nonce):
            raise Unauthenticated("bad signature" if nonce is None else
                                  "bad signature (with X-Hewei-Nonce the nonce is the canonical string's second line)")
        expires = dt.datetime.fromtimestamp(int(timestamp), dt.timezone.utc) + dt.timedelta(
            seconds=2 * SIGNATURE_WINDOW_SECONDS
        )
        replay = PendingReplay(self._replay_guard, ReplayClaim(replay_key(key_id, signature, nonce), expires),
                               "this signature was already used (replay)" if nonce is None else
                               "this nonce was already used (replay)")
        return Principal(role=Role.PARTNER, subject=partner.partner_id, partner_id=partner.partner_id), replay


MAX_SUBJECT_LENGTH = 255
_CLAIM_PATTERNS = {
    "jurisdiction": re.compile(r"[0-9]{6}|[0-9]{9}|[0-9]{12}"),  # a region code, as `commands.RegionCode`
    "org_id": re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"),  # an id, as `commands.Identifier`
    "mediator_id": re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"),
}


def _subject(claims: Mapping[str, Any]) -> str:
    value = claims.get("sub")
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_SUBJECT_LENGTH or any(
            unicodedata.category(ch) in ("Cc", "Cf") for ch in value) or not value.strip():
        raise Unauthenticated(f"the bearer token's sub claim must be text of 1 to {MAX_SUBJECT_LENGTH} "
                              "characters")
    return value


def _optional_claim(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not _CLAIM_PATTERNS[name].fullmatch(value):
        raise Unauthenticated(f"the bearer token's {name} claim is not valid")
    return value


def principal_of(claims: Mapping[str, Any]) -> Principal:
    """The staff caller a verified token's claims name, each claim checked for its type and form
    (they come from the service's own minter or an identity provider: a number where a region
    code belongs would otherwise fail deep inside a request, a 500). Unauthenticated (401) for a
    claim missing, of the wrong type or malformed: the token is not one the service accepts."""
    role_claim = claims.get("role")
    if not isinstance(role_claim, str) or role_claim not in {role.value for role in STAFF_ROLES}:
        raise Unauthenticated("the bearer token names no staff role")
    role = Role(role_claim)
    principal = Principal(role=role, subject=_subject(claims), jurisdiction=_optional_claim(claims, "jurisdiction"),
                          org_id=_optional_claim(claims, "org_id"), mediator_id=_optional_claim(claims, "mediator_id"))
    if role is Role.SUPERVISOR and not principal.jurisdiction:
        raise Unauthenticated("a supervisor token must carry a jurisdiction")
    if role is Role.MEDIATOR and not principal.mediator_id:
        raise Unauthenticated("a mediator token must carry a mediator_id")
    return principal


class TokenService:
    """`POST /v1/tokens`: the service mints staff tokens where it is the issuer."""

    def __init__(self, directory: Directory, minter: TokenMinter | None, ttl_seconds: int):
        self._directory = directory
        self._minter = minter
        self._ttl = ttl_seconds

    def mint(self, request: TokenRequest, principal: Principal) -> tuple[str, dt.datetime]:
        if principal.role is not Role.ADMIN:
            raise Forbidden("only admins mint tokens")
        if self._minter is None:
            raise Unprocessable("tokens come from the identity provider in this stage")
        claims: dict = {"role": request.role.value}
        if request.role is Role.MEDIATOR:
            if not request.mediator_id:
                raise Unprocessable.field("mediator_id", "required for a mediator token")
            mediator = self._directory.mediator(request.mediator_id)
            if mediator is None:
                raise Unprocessable.field("mediator_id", "no such mediator")
            if not mediator.active:
                raise Unprocessable.field("mediator_id", "the mediator is deactivated: its token would be refused")
            claims.update(sub=request.sub or f"mediator:{mediator.mediator_id}", mediator_id=mediator.mediator_id,
                          org_id=mediator.org_id)
        elif request.role is Role.SUPERVISOR:
            if not request.jurisdiction:
                raise Unprocessable.field("jurisdiction", "required for a supervisor token")
            if self._directory.region(request.jurisdiction) is None:
                raise Unprocessable.field("jurisdiction", "no such region in the directory")
            if request.org_id and self._directory.org(request.org_id) is None:
                raise Unprocessable.field("org_id", "no such org")
            claims.update(sub=request.sub or f"supervisor:{request.jurisdiction}",
                          jurisdiction=request.jurisdiction, org_id=request.org_id)
        elif request.role is Role.ADMIN:
            claims.update(sub=request.sub or "admin")
        else:
            raise Unprocessable.field("role", "tokens are for staff: mediator, supervisor or admin")
        return self._minter.mint(claims, self._ttl)
