"""DynamoDB persistence of the directory: regions, orgs, mediators, partners."""

from __future__ import annotations

from typing import Any, Iterable, TypeVar

from pynamodb.exceptions import PutError
from pynamodb.models import Model

from ..domain.errors import AlreadyExists
from .models import MediatorModel, OrgModel, PartnerModel, RegionModel, is_condition_failure

M = TypeVar("M", bound=Model)


class DirectoryStore:
    """Regions are immutable once created, so region look-ups are cached per process."""

    def __init__(self) -> None:
        self._known_regions: dict[str, RegionModel] = {}

    @staticmethod
    def _insert(model: Model) -> None:
        hash_key = type(model)._hash_key_attribute()
        try:
            model.save(condition=hash_key.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                raise AlreadyExists(getattr(model, hash_key.attr_name)) from exc
            raise

    @staticmethod
    def _get(model_class: type[M], key: str) -> M | None:
        try:
            return model_class.get(key)
        except model_class.DoesNotExist:
            return None

    # regions
    def add_region(self, region: RegionModel) -> None:
        self._insert(region)

    def region(self, code: str) -> RegionModel | None:
        if code not in self._known_regions:
            found = self._get(RegionModel, code)
            if found is None:
                return None
            self._known_regions[code] = found
        return self._known_regions[code]

    def regions(self) -> Iterable[RegionModel]:
        return RegionModel.scan()

    # orgs
    def add_org(self, org: OrgModel) -> None:
        self._insert(org)

    def org(self, org_id: str) -> OrgModel | None:
        return self._get(OrgModel, org_id)

    def orgs(self) -> Iterable[OrgModel]:
        return OrgModel.scan()

    def orgs_in_scope(self, scope: str) -> Iterable[OrgModel]:
        return OrgModel.by_scope.query(scope)

    # mediators
    def add_mediator(self, mediator: MediatorModel) -> None:
        self._insert(mediator)

    def mediator(self, mediator_id: str) -> MediatorModel | None:
        return self._get(MediatorModel, mediator_id)

    def mediators(self) -> Iterable[MediatorModel]:
        return MediatorModel.scan()

    def mediators_of(self, org_id: str) -> Iterable[MediatorModel]:
        return MediatorModel.by_org.query(org_id)

    def update_mediator(self, mediator: MediatorModel, changes: dict[str, Any]) -> MediatorModel:
        actions = [getattr(MediatorModel, name).set(value) for name, value in changes.items()]
        mediator.update(actions=actions, condition=MediatorModel.mediator_id.exists())
        return mediator

    # partners
    def add_partner(self, partner: PartnerModel) -> None:
        self._insert(partner)

    def partner(self, partner_id: str) -> PartnerModel | None:
        return self._get(PartnerModel, partner_id)

    def partners(self) -> Iterable[PartnerModel]:
        return PartnerModel.scan()

    def partner_by_key(self, key_id: str) -> PartnerModel | None:
        return next(iter(PartnerModel.by_key.query(key_id, limit=1)), None)

    def update_partner(self, partner: PartnerModel, changes: dict[str, Any]) -> PartnerModel:
        actions = [getattr(PartnerModel, name).set(value) for name, value in changes.items()]
        partner.update(actions=actions, condition=PartnerModel.partner_id.exists())
        return partner
