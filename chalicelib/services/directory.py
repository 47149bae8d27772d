"""The directory (机构名录): regions, orgs, mediators and partner systems."""

from __future__ import annotations

import secrets
from operator import attrgetter

from ..domain.callback_urls import CLOUD_POLICY, CallbackPolicy, url_problem
from ..domain.directory import Mediator, Org, Partner, Region
from ..domain.errors import AlreadyExists
from ..domain.regions import parent_of
from ..domain.signing import derive_secret
from .commands import MediatorChanges, NewMediator, NewOrg, NewPartner, NewRegion, PartnerChanges
from .errors import Conflict, NotFound, Unprocessable
from .ports import Clock, Directory

LISTING_ORDER = {
    "regions": attrgetter("code"),
    "orgs": attrgetter("org_id"),
    "mediators": attrgetter("mediator_id"),
    "partners": attrgetter("partner_id"),
}
"""The listings, each in the order of its entries' ids."""


class DirectoryService:
    def __init__(self, store: Directory, secret_key: bytes, clock: Clock,
                 callback_policy: CallbackPolicy = CLOUD_POLICY):
        self._store = store
        self._secret_key = secret_key
        self._clock = clock
        self._callback_policy = callback_policy

    def _insert(self, add, entry, kind: str, key: str) -> None:
        try:
            add(entry)
        except AlreadyExists:
            raise Conflict(f"{kind} {key} already exists") from None

    # regions
    def add_region(self, command: NewRegion) -> Region:
        parent = parent_of(command.code)
        if parent is not None and self._store.region(parent) is None:
            raise Unprocessable.field("code", f"parent region {parent} does not exist")
        region = Region(code=command.code, name=command.name, parent_code=parent, created_at=self._clock())
        self._insert(self._store.add_region, region, "region", command.code)
        return region

    def region(self, code: str) -> Region:
        return self._found(self._store.region(code), "region", code)

    # orgs
    def add_org(self, command: NewOrg) -> Org:
        if self._store.region(command.region_code) is None:
            raise Unprocessable.field("region_code", "no such region in the directory")
        org = Org(
            org_id=command.org_id, name=command.name, region_code=command.region_code, tier=command.tier,
            mediation_type=command.mediation_type, categories=tuple(sorted(set(command.categories))),
            head_phone=command.head_phone, created_at=self._clock(),
        )
        self._insert(self._store.add_org, org, "org", command.org_id)
        return org

    def org(self, org_id: str) -> Org:
        return self._found(self._store.org(org_id), "org", org_id)

    # mediators
    def add_mediator(self, command: NewMediator) -> Mediator:
        if self._store.org(command.org_id) is None:
            raise Unprocessable.field("org_id", "no such org in the directory")
        mediator = Mediator(
            mediator_id=command.mediator_id, name=command.name, phone=command.phone, org_id=command.org_id,
            specialties=tuple(sorted(set(command.specialties))), active=command.active, open_cases=0,
            created_at=self._clock(),
        )
        self._insert(self._store.add_mediator, mediator, "mediator", command.mediator_id)
        return mediator

    def mediator(self, mediator_id: str) -> Mediator:
        return self._found(self._store.mediator(mediator_id), "mediator", mediator_id)

    def change_mediator(self, mediator_id: str, command: MediatorChanges) -> Mediator:
        mediator = self.mediator(mediator_id)
        changes = command.model_dump(exclude_none=True)
        if not changes:
            raise Unprocessable.field("body", "nothing to change: give active, phone or specialties")
        if "specialties" in changes:
            changes["specialties"] = tuple(sorted(set(changes["specialties"])))
        changes["updated_at"] = self._clock()
        return self._store.update_mediator(mediator, changes)

    # partners
    def add_partner(self, command: NewPartner) -> tuple[Partner, str]:
        """Register a partner; returns it and its secret, which is shown only this once."""
        self._check_callback_url(command.callback_url)
        key_id = f"hk_{secrets.token_hex(12)}"
        partner = Partner(
            partner_id=command.partner_id, name=command.name, callback_url=command.callback_url,
            key_id=key_id, enabled=True, created_at=self._clock(),
        )
        self._insert(self._store.add_partner, partner, "partner", command.partner_id)
        return partner, derive_secret(self._secret_key, key_id)

    def partner(self, partner_id: str) -> Partner:
        return self._found(self._store.partner(partner_id), "partner", partner_id)

    def change_partner(self, partner_id: str, command: PartnerChanges) -> Partner:
        partner = self.partner(partner_id)
        changes = command.model_dump(exclude_none=True)
        if not changes:
            raise Unprocessable.field("body", "nothing to change: give enabled, callback_url or name")
        self._check_callback_url(changes.get("callback_url"))
        return self._store.update_partner(partner, changes)

    def _check_callback_url(self, url: str | None) -> None:
        """A callback URL this stage will POST to (`domain.callback_urls`: no internal addresses)."""
        problem = url and url_problem(url, self._callback_policy)
        if problem:
            raise Unprocessable.field("callback_url", problem)

    def listing(self, kind: str) -> list:
        """Every entry of one kind (`regions`, `orgs`, `mediators`, `partners`), by id."""
        return sorted(getattr(self._store, kind)(), key=LISTING_ORDER[kind])

    @staticmethod
    def _found(entry, kind: str, key: str):
        if entry is None:
            raise NotFound(f"no {kind} {key}")
        return entry
