"""The directory's mapping between the domain's entries and the table rows (no AWS)."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.adapters.directory_store import from_row, to_row
from chalicelib.adapters.models import MediatorModel, OrgModel, PartnerModel, RegionModel
from chalicelib.domain.directory import Mediator, Org, Partner, Region
from chalicelib.domain.enums import Category, MediationType, Tier

CREATED = dt.datetime(2026, 11, 22, 2, 0, 0, 123456, tzinfo=dt.timezone.utc)
STORED_CREATED = "2026-11-22T02:00:00.123456+00:00"

REGION = Region(code="320509102", name="震泽镇", parent_code="320509", created_at=CREATED)
ORG = Org(org_id="T-ZZ", name="震泽镇人民调解委员会", region_code="320509102", tier=Tier.TOWN,
          mediation_type=MediationType.PEOPLE, categories=(Category.MARRIAGE_FAMILY, Category.NEIGHBOR),
          head_phone="13900000301", created_at=CREATED)
MEDIATOR = Mediator(mediator_id="M-ZZ-1", name="李调解", phone="13900000201", org_id="T-ZZ",
                    specialties=(Category.LABOR_WAGES, Category.MEDICAL), active=False, open_cases=3,
                    created_at=CREATED, updated_at=CREATED + dt.timedelta(days=1))
PARTNER = Partner(partner_id="court-wj", name="吴江法院", callback_url="https://court.example/hewei",
                  key_id="hk_0123456789abcdef01234567", enabled=False, created_at=CREATED)
SPARE = [
    Region(code="320509", name="吴江区", created_at=CREATED),
    Org(org_id="V-1", name="村调委会", region_code="320509102001", tier=Tier.VILLAGE,
        mediation_type=MediationType.SOCIAL_ORG, created_at=CREATED),
    Mediator(mediator_id="M-1", name="调解员", phone="13900000202", org_id="V-1", created_at=CREATED),
    Partner(partner_id="grid", name="网格系统", key_id="hk_1", created_at=CREATED),
]
"""Entries with only what is required: no parent, categories, head phone, update or callback."""

ENTRIES = [REGION, ORG, MEDIATOR, PARTNER, *SPARE]


def stored_and_read_back(row):
    """The row as DynamoDB would hand it back: serialised to attribute values and read again."""
    return type(row).from_raw_data(row.serialize())


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{type(e).__name__}-{e.name}")
def test_an_entry_survives_the_round_trip_through_its_row(entry):
    assert from_row(to_row(entry)) == entry
    assert from_row(stored_and_read_back(to_row(entry))) == entry


@pytest.mark.parametrize(("entry", "row_class"), [(REGION, RegionModel), (ORG, OrgModel), (MEDIATOR, MediatorModel),
                                                  (PARTNER, PartnerModel)])
def test_each_kind_has_its_own_table(entry, row_class):
    assert type(to_row(entry)) is row_class


def test_a_row_holds_the_stored_forms_of_enums_categories_and_times():
    org = to_row(ORG)
    assert (org.tier, org.mediation_type, org.categories) == ("town", "people", ["marriage_family", "neighbor"])
    assert org.created_at == STORED_CREATED
    mediator = to_row(MEDIATOR)
    assert (mediator.specialties, mediator.updated_at) == (["labor_wages", "medical"],
                                                           "2026-11-23T02:00:00.123456+00:00")
    assert to_row(SPARE[2]).updated_at is None


def test_an_org_row_carries_its_scope_for_the_index_the_router_queries():
    assert to_row(ORG).scope == "320509102#town"
    assert to_row(SPARE[1]).scope == "320509102001#village"
    assert not hasattr(ORG, "scope")


def test_entries_read_back_carry_the_domain_types():
    org = from_row(stored_and_read_back(to_row(ORG)))
    assert org.tier is Tier.TOWN and org.mediation_type is MediationType.PEOPLE
    assert all(type(c) is Category for c in org.categories) and isinstance(org.categories, tuple)
    mediator = from_row(stored_and_read_back(to_row(MEDIATOR)))
    assert type(mediator.open_cases) is int and mediator.created_at.tzinfo is not None


def test_a_time_in_another_zone_is_stored_in_utc():
    shanghai = CREATED.astimezone(dt.timezone(dt.timedelta(hours=8)))
    region = Region(code="320509", name="吴江区", created_at=shanghai)
    assert to_row(region).created_at == STORED_CREATED
    assert from_row(to_row(region)) == region  # the same moment


def test_a_row_missing_the_optional_lists_reads_as_empty():
    row = MediatorModel("M-OLD", name="老调解员", phone="13900000203", org_id="V-1", created_at=STORED_CREATED)
    row.specialties = None
    mediator = from_row(row)
    assert (mediator.specialties, mediator.active, mediator.open_cases) == ((), True, 0)


def test_the_list_of_regions_is_kept_for_a_while_and_renewed_by_an_add(monkeypatch):
    from chalicelib.adapters import directory_store
    from chalicelib.adapters.directory_store import REGION_LIST_SECONDS, DirectoryStore

    stored = [REGION, SPARE[0], Region(code="320510", name="相城区", created_at=CREATED)]
    scans = []
    monkeypatch.setattr(DirectoryStore, "regions", lambda self: scans.append(1) or list(stored))
    monkeypatch.setattr(DirectoryStore, "_insert", staticmethod(lambda entry: stored.append(entry)))
    now = [1000.0]
    store = directory_store.DirectoryStore(monotonic=lambda: now[0])
    assert [r.code for r in store.regions_under("320509")] == ["320509", "320509102"]
    now[0] += REGION_LIST_SECONDS - 1
    assert [r.code for r in store.regions_under("320510")] == ["320510"] and len(scans) == 1  # kept
    store.add_region(Region(code="320509102001", name="城南社区", parent_code="320509102", created_at=CREATED))
    assert [r.code for r in store.regions_under("320509102")] == ["320509102", "320509102001"]  # at once
    assert len(scans) == 2
    now[0] += REGION_LIST_SECONDS
    store.regions_under("320509")
    assert len(scans) == 3  # read again once it is old
