"""Authentication (§1): partner request signatures and staff bearer tokens."""

from __future__ import annotations

import datetime as dt
from typing import Mapping


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
        try:
            role = Role(claims.get("role"))
        except ValueError:
            raise Unauthenticated("the bearer token names no staff role") from None
        if role not in STAFF_ROLES:
            raise Unauthenticated("the bearer token names no staff role")
        principal = Principal(
            role=role, subject=str(claims["sub"]), jurisdiction=claims.get("jurisdiction"),
            org_id=claims.get("org_id"), mediator_id=claims.get("mediator_id"),
        )
        if role is Role.SUPERVISOR and not principal.jurisdiction:
            raise Unauthenticated("a supervisor token must carry a jurisdiction")
        if role is Role.MEDIATOR and not principal.mediator_id:
            raise Unauthenticated("a mediator token must carry a mediator_id")
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
