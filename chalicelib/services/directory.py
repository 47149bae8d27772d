"""The directory (机构名录): regions, orgs, mediators and partner systems."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Callable

from ..adapters.clock import to_storage
from ..domain.errors import AlreadyExists
from ..adapters.models import MediatorModel, OrgModel, PartnerModel, RegionModel
from ..domain.regions import parent_of
from ..domain.signing import derive_secret
from .commands import MediatorChanges, NewMediator, NewOrg, NewPartner, NewRegion, PartnerChanges
from .errors import Conflict, NotFound, Unprocessable


class DirectoryService:
    def __init__(self, store, secret_key: bytes, clock: Callable[[], dt.datetime]):
        self._store = store
        self._secret_key = secret_key
        self._clock = clock

    def _now(self) -> str:
        return to_storage(self._clock())

    def _insert(self, add, model, kind: str, key: str) -> None:
        try:
            add(model)
        except AlreadyExists:
            raise Conflict(f"{kind} {key} already exists") from None

    # regions
    def add_region(self, command: NewRegion) -> RegionModel:
        parent = parent_of(command.code)
        if parent is not None and self._store.region(parent) is None:
            raise Unprocessable.field("code", f"parent region {parent} does not exist")
        region = RegionModel(command.code, name=command.name, parent_code=parent, created_at=self._now())
        self._insert(self._store.add_region, region, "region", command.code)
        return region

    def region(self, code: str) -> RegionModel:
        return self._found(self._store.region(code), "region", code)

    # orgs
    def add_org(self, command: NewOrg) -> OrgModel:
        if self._store.region(command.region_code) is None:
            raise Unprocessable.field("region_code", "no such region in the directory")
        org = OrgModel(
            command.org_id, name=command.name, region_code=command.region_code, tier=command.tier.value,
            mediation_type=command.mediation_type.value,
            categories=sorted({c.value for c in command.categories}),
            head_phone=command.head_phone, scope=f"{command.region_code}#{command.tier.value}",
            created_at=self._now(),
        )
        self._insert(self._store.add_org, org, "org", command.org_id)
        return org

    def org(self, org_id: str) -> OrgModel:
        return self._found(self._store.org(org_id), "org", org_id)

    # mediators
    def add_mediator(self, command: NewMediator) -> MediatorModel:
        if self._store.org(command.org_id) is None:
            raise Unprocessable.field("org_id", "no such org in the directory")
        mediator = MediatorModel(
            command.mediator_id, name=command.name, phone=command.phone, org_id=command.org_id,
            specialties=sorted({c.value for c in command.specialties}), active=command.active,
            open_cases=0, created_at=self._now(),
        )
        self._insert(self._store.add_mediator, mediator, "mediator", command.mediator_id)
        return mediator

    def mediator(self, mediator_id: str) -> MediatorModel:
        return self._found(self._store.mediator(mediator_id), "mediator", mediator_id)

    def change_mediator(self, mediator_id: str, command: MediatorChanges) -> MediatorModel:
        mediator = self.mediator(mediator_id)
        changes = command.model_dump(exclude_none=True, mode="json")
        if not changes:
            raise Unprocessable.field("body", "nothing to change: give active, phone or specialties")
        if "specialties" in changes:
            changes["specialties"] = sorted(set(changes["specialties"]))
        changes["updated_at"] = self._now()
        return self._store.update_mediator(mediator, changes)

    # partners
    def add_partner(self, command: NewPartner) -> tuple[PartnerModel, str]:
        """Register a partner; returns it and its secret, which is shown only this once."""
        key_id = f"hk_{secrets.token_hex(12)}"
        partner = PartnerModel(
            command.partner_id, name=command.name, callback_url=command.callback_url,
            key_id=key_id, enabled=True, created_at=self._now(),
        )
        self._insert(self._store.add_partner, partner, "partner", command.partner_id)
        return partner, derive_secret(self._secret_key, key_id)

    def partner(self, partner_id: str) -> PartnerModel:
        return self._found(self._store.partner(partner_id), "partner", partner_id)

    def change_partner(self, partner_id: str, command: PartnerChanges) -> PartnerModel:
        partner = self.partner(partner_id)
        changes = command.model_dump(exclude_none=True, mode="json")
        if not changes:
            raise Unprocessable.field("body", "nothing to change: give enabled, callback_url or name")
        return self._store.update_partner(partner, changes)

    def listing(self, kind: str) -> list:
        return sorted(getattr(self._store, kind)(), key=lambda m: m._hash_key_attribute().serialize(
            getattr(m, m._hash_key_attribute().attr_name)))

    @staticmethod
    def _found(model, kind: str, key: str):
        if model is None:
            raise NotFound(f"no {kind} {key}")
        return model
