"""Seed the demo directory through the HTTP API, as admin (contract §4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import demo_directory as demo
from chalicelib.domain.signing import derive_secret

from .client import HeweiClient


class SeedError(RuntimeError):
    """The API refused a directory entry."""


@dataclass(frozen=True)
class SeedResult:
    towns: int
    villages: int
    orgs: int
    mediators: int
    partner_key_id: str
    partner_secret: str

    def summary(self) -> str:
        return f"{self.towns} towns, {self.villages} villages, {self.orgs} orgs, {self.mediators} mediators"


def _create(admin: HeweiClient, path: str, payload: dict[str, Any], allow_existing: bool = True) -> Any:
    status, _, body = admin.request("POST", path, json=payload)
    if status in (200, 201) or (allow_existing and status == 409):
        return body
    raise SeedError(f"POST {path} {payload.get('code') or next(iter(payload.values()))} -> {status}: {body}")


def seed_directory(admin: HeweiClient, callback_url: str) -> SeedResult:
    """Create the demo regions, orgs, mediators and partner; return the partner's key."""
    for region in demo.REGIONS:
        _create(admin, "/v1/regions", region)
    for org in demo.ORGS:
        _create(admin, "/v1/orgs", org)
    for mediator in demo.MEDIATORS:
        _create(admin, "/v1/mediators", mediator)
    partner = _create(admin, "/v1/partners", demo.partner_payload(callback_url), allow_existing=False)
    if not isinstance(partner, dict) or not partner.get("key_id") or not partner.get("secret"):
        raise SeedError(f"POST /v1/partners returned no key_id and secret: {partner!r}")
    return SeedResult(
        towns=sum(1 for region in demo.REGIONS if len(region["code"]) == 9),
        villages=sum(1 for region in demo.REGIONS if len(region["code"]) == 12),
        orgs=len(demo.ORGS),
        mediators=len(demo.MEDIATORS),
        partner_key_id=partner["key_id"],
        partner_secret=partner["secret"],
    )


def kept_partner(admin: HeweiClient, master_key: bytes, callback_url: str) -> tuple[str, str] | None:
    """The demo partner's key id and secret from a kept directory; None if it has none.

    The secret is derived from the master key and the key id, never stored, so
    the same state gives the same secret. A callback URL on another port (the
    sink moved) is changed to this run's.
    """
    status, _, body = admin.request("GET", f"/v1/partners/{demo.PARTNER_ID}")
    if status == 404:
        return None
    if status != 200 or not isinstance(body, dict) or not body.get("key_id"):
        raise SeedError(f"GET /v1/partners/{demo.PARTNER_ID} -> {status}: {body}")
    if body.get("callback_url") != callback_url:
        status, _, changed = admin.request("PATCH", f"/v1/partners/{demo.PARTNER_ID}",
                                           json={"callback_url": callback_url})
        if status != 200:
            raise SeedError(f"PATCH /v1/partners/{demo.PARTNER_ID} -> {status}: {changed}")
    return body["key_id"], derive_secret(master_key, body["key_id"])
