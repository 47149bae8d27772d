"""DynamoDB persistence of the directory: regions, orgs, mediators, partners.

The services hand in and get back the domain's entries (`domain.directory`);
`to_row` and `from_row` map them to and from the PynamoDB rows, field by field.
An org's row also carries `scope` (`region_code#tier`), the key of the index
the router queries, which the domain does not know of.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterable

from pynamodb.exceptions import PutError
from pynamodb.models import Model

from ..domain.directory import Mediator, Org, Partner, Region
from ..domain.enums import Category, MediationType, Tier
from ..domain.errors import AlreadyExists
from .clock import from_storage, to_storage
from .models import MediatorModel, OrgModel, PartnerModel, RegionModel, is_condition_failure

Entry = Region | Org | Mediator | Partner

Conversion = tuple[Callable[[Any], Any], Callable[[Any], Any]]
"""(domain value → stored value, stored value → domain value)."""

_TIME: Conversion = (to_storage, from_storage)
_OPTIONAL_TIME: Conversion = (lambda moment: to_storage(moment) if moment else None, from_storage)
_CATEGORIES: Conversion = (lambda categories: [c.value for c in categories],
                           lambda values: tuple(Category(v) for v in values or ()))
_COUNT: Conversion = (int, lambda value: int(value or 0))


def _enum(enum: type) -> Conversion:
    return (lambda member: member.value, enum)


@dataclass(frozen=True)
class _Table:
    """How one kind of entry is stored: its row class and the fields stored other than as they are."""

    row_class: type[Model]
    conversions: dict[str, Conversion] = field(default_factory=dict)
    index_keys: Callable[[Any], dict[str, str]] = lambda entry: {}
    """Attributes a row carries only for an index, derived from the entry."""

    def stored(self, name: str, value: Any) -> Any:
        conversion = self.conversions.get(name)
        return conversion[0](value) if conversion else value

    def loaded(self, name: str, value: Any) -> Any:
        conversion = self.conversions.get(name)
        return conversion[1](value) if conversion else value


_TABLES: dict[type, _Table] = {
    Region: _Table(RegionModel, {"created_at": _TIME}),
    Org: _Table(OrgModel, {"tier": _enum(Tier), "mediation_type": _enum(MediationType), "categories": _CATEGORIES,
                           "created_at": _TIME},
                index_keys=lambda org: {"scope": f"{org.region_code}#{org.tier.value}"}),
    Mediator: _Table(MediatorModel, {"specialties": _CATEGORIES, "open_cases": _COUNT, "created_at": _TIME,
                                     "updated_at": _OPTIONAL_TIME}),
    Partner: _Table(PartnerModel, {"created_at": _TIME}),
}
_KINDS: dict[type[Model], type] = {table.row_class: kind for kind, table in _TABLES.items()}


def to_row(entry: Entry) -> Model:
    """The row that stores a directory entry."""
    table = _TABLES[type(entry)]
    values = {f.name: table.stored(f.name, getattr(entry, f.name)) for f in fields(entry)}
    return table.row_class(**values, **table.index_keys(entry))


def from_row(row: Model) -> Entry:
    """The directory entry a row stores."""
    kind = _KINDS[type(row)]
    table = _TABLES[kind]
    return kind(**{f.name: table.loaded(f.name, getattr(row, f.name)) for f in fields(kind)})


def _entries(rows: Iterable[Model]) -> Iterable[Any]:
    return (from_row(row) for row in rows)


REGION_LIST_SECONDS = 300.0
"""How long a process keeps the list of every region (`regions_under`) before it reads it again."""

PARTNER_CACHE_SECONDS = 5.0
"""How long a process keeps a partner it found by key (`partner_by_key`, every signed request)
before it reads it again: a partner disabled (or re-enabled) elsewhere is refused (or let in) by
every warm function within this time, and at once by the process that changed it."""


MEDIATOR_STATUS_SECONDS = 60.0
"""How long a process keeps whether a mediator is active (`mediator_is_active`, every request made
with a mediator's token) before it reads it again: a mediator deactivated (or removed) elsewhere
is refused by every warm function within this time, and at once by the process that changed it.
A mediator's requests cost one GetItem of the `active` flag per process and period."""


class DirectoryStore:
    """Regions are immutable once created, so region look-ups are cached per process, and so is
    the list of every region for REGION_LIST_SECONDS. Partners found by key are kept for
    PARTNER_CACHE_SECONDS (a key not found is not kept: it is read again at its next use);
    whether a mediator is active, for MEDIATOR_STATUS_SECONDS."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._known_regions: dict[str, Region] = {}
        self._monotonic = monotonic
        self._region_list: tuple[float, list[Region]] | None = None
        self._partners_by_key: dict[str, tuple[float, Partner]] = {}
        self._mediator_status: dict[str, tuple[float, bool]] = {}

    @staticmethod
    def _insert(entry: Entry) -> None:
        row = to_row(entry)
        hash_key = type(row)._hash_key_attribute()
        try:
            row.save(condition=hash_key.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                raise AlreadyExists(getattr(row, hash_key.attr_name)) from exc
            raise

    @staticmethod
    def _get(row_class: type[Model], key: str) -> Any:
        try:
            return from_row(row_class.get(key))
        except row_class.DoesNotExist:
            return None

    @staticmethod
    def _update(entry: Entry, changes: dict[str, Any]) -> Any:
        """Set the changed fields only (a mediator's `open_cases` moves in case transactions meanwhile)
        and return the entry as stored after the change."""
        table = _TABLES[type(entry)]
        hash_key = table.row_class._hash_key_attribute()
        row = table.row_class(getattr(entry, hash_key.attr_name))
        actions = [getattr(table.row_class, name).set(table.stored(name, value)) for name, value in changes.items()]
        row.update(actions=actions, condition=hash_key.exists())
        return from_row(row)

    # regions
    def add_region(self, region: Region) -> None:
        self._insert(region)
        self._region_list = None  # this process lists it from now on

    def region(self, code: str) -> Region | None:
        if code not in self._known_regions:
            found = self._get(RegionModel, code)
            if found is None:
                return None
            self._known_regions[code] = found
        return self._known_regions[code]

    def regions(self) -> Iterable[Region]:
        return _entries(RegionModel.scan())

    def regions_under(self, prefix: str) -> list[Region]:
        """The region of code `prefix` and its descendants, by code. The regions table is small
        (a region per village: a few thousand rows for a city) and has no index by district, so
        this is a Scan of all of it, kept per process for REGION_LIST_SECONDS: a region added by
        another process shows in this one's lists at most that much later (one added here, at
        once); a region, once created, never changes."""
        now = self._monotonic()
        if self._region_list is None or now - self._region_list[0] >= REGION_LIST_SECONDS:
            self._region_list = (now, sorted(self.regions(), key=lambda region: region.code))
        return [region for region in self._region_list[1] if region.code.startswith(prefix)]

    # orgs
    def add_org(self, org: Org) -> None:
        self._insert(org)

    def org(self, org_id: str) -> Org | None:
        return self._get(OrgModel, org_id)

    def orgs(self) -> Iterable[Org]:
        return _entries(OrgModel.scan())

    def orgs_in_scope(self, scope: str) -> Iterable[Org]:
        """The orgs of one `region_code#tier`."""
        return _entries(OrgModel.by_scope.query(scope))

    def orgs_under(self, tier: Tier, region_prefix: str) -> Iterable[Org]:
        """The orgs of one tier whose region code starts with `region_prefix` ("" for all regions)."""
        condition = OrgModel.region_code.startswith(region_prefix) if region_prefix else None
        return _entries(OrgModel.by_tier.query(tier.value, condition))

    # mediators
    def add_mediator(self, mediator: Mediator) -> None:
        self._insert(mediator)

    def mediator(self, mediator_id: str) -> Mediator | None:
        return self._get(MediatorModel, mediator_id)

    def mediators(self) -> Iterable[Mediator]:
        return _entries(MediatorModel.scan())

    def mediators_of(self, org_id: str) -> Iterable[Mediator]:
        return _entries(MediatorModel.by_org.query(org_id))

    def update_mediator(self, mediator: Mediator, changes: dict[str, Any]) -> Mediator:
        changed = self._update(mediator, changes)
        self._mediator_status[changed.mediator_id] = (self._monotonic(), changed.active)  # seen here at once
        return changed

    def mediator_is_active(self, mediator_id: str) -> bool:
        """Whether the mediator exists and is active: one GetItem of its `active` flag, kept for
        MEDIATOR_STATUS_SECONDS (a mediator not found is kept as not active for as long)."""
        now = self._monotonic()
        cached = self._mediator_status.get(mediator_id)
        if cached is not None and now - cached[0] < MEDIATOR_STATUS_SECONDS:
            return cached[1]
        try:
            active = bool(MediatorModel.get(mediator_id, attributes_to_get=["active"]).active)
        except MediatorModel.DoesNotExist:
            active = False
        self._mediator_status[mediator_id] = (now, active)
        return active

    # partners
    def add_partner(self, partner: Partner) -> None:
        self._insert(partner)

    def partner(self, partner_id: str) -> Partner | None:
        return self._get(PartnerModel, partner_id)

    def partners(self) -> Iterable[Partner]:
        return _entries(PartnerModel.scan())

    def partner_by_key(self, key_id: str) -> Partner | None:
        now = self._monotonic()
        cached = self._partners_by_key.get(key_id)
        if cached is not None and now - cached[0] < PARTNER_CACHE_SECONDS:
            return cached[1]
        row = next(iter(PartnerModel.by_key.query(key_id, limit=1)), None)
        if row is None:
            self._partners_by_key.pop(key_id, None)
            return None
        partner = from_row(row)
        self._partners_by_key[key_id] = (now, partner)
        return partner

    def update_partner(self, partner: Partner, changes: dict[str, Any]) -> Partner:
        changed = self._update(partner, changes)
        self._partners_by_key = {key: entry for key, entry in self._partners_by_key.items()
                                 if entry[1].partner_id != partner.partner_id}
        self._partners_by_key[changed.key_id] = (self._monotonic(), changed)  # this process sees it at once
        return changed
