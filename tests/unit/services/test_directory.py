"""DirectoryService (机构名录): regions under their parents, orgs in a region, mediators in an org,
partners with a secret shown once; changes, look-ups and listings; every refusal changes nothing."""

from __future__ import annotations

import pytest

from chalicelib.domain.enums import Category, MediationType, Tier
from chalicelib.domain.signing import derive_secret
from chalicelib.services.commands import MediatorChanges, NewMediator, NewOrg, NewPartner, NewRegion, PartnerChanges
from chalicelib.services.errors import Conflict, NotFound, Unprocessable
from tests.support import DEMO_MEDIATORS, DEMO_ORGS, DISTRICT, TOWN, VILLAGE
from tests.unit.services.builders import MONDAY, PARTNER_ID, parse, refused

ORG = DEMO_ORGS[0]
MEDIATOR = DEMO_MEDIATORS[0]


@pytest.fixture
def directory(container):
    return container.directory


@pytest.fixture
def refuses(directory_store):
    """The call in the block raises the error and leaves the directory as it was."""
    return lambda error: refused(error, directory_store.state)


@pytest.fixture
def village(directory):
    for code in (DISTRICT, TOWN, VILLAGE):
        directory.add_region(parse(NewRegion, {"code": code, "name": f"区划{code}"}))


def test_a_region_is_stored_under_its_parent(directory, village, directory_store):
    region = directory.region(VILLAGE)
    assert (region.parent_code, region.created_at) == (TOWN, MONDAY)
    assert directory_store.region(VILLAGE) == region
    assert directory.region(DISTRICT).parent_code is None


def test_an_org_keeps_its_categories_sorted_once_and_is_found_in_its_scope(directory, village, directory_store):
    org = directory.add_org(parse(NewOrg, {**ORG, "categories": ["neighbor", "labor_wages", "neighbor"]}))
    assert (org.tier, org.mediation_type, org.categories) == (
        Tier.VILLAGE, MediationType.PEOPLE, (Category.LABOR_WAGES, Category.NEIGHBOR))
    assert list(directory_store.orgs_in_scope(f"{VILLAGE}#village")) == [org]
    assert list(directory_store.orgs_in_scope(f"{TOWN}#village")) == []


@pytest.fixture
def mediator(directory, village):
    directory.add_org(parse(NewOrg, ORG))
    return directory.add_mediator(parse(NewMediator, MEDIATOR))


def test_a_mediator_starts_active_with_no_open_cases(mediator, directory_store):
    assert (mediator.active, mediator.open_cases, mediator.updated_at) == (True, 0, None)
    assert list(directory_store.mediators_of("V-CN")) == [mediator]


def test_a_mediator_change_sets_only_the_fields_given_and_keeps_the_stored_counts(
        directory, mediator, directory_store, clock):
    directory_store.update_mediator(mediator, {"open_cases": 3})  # as a case write moves it meanwhile
    clock.advance(hours=1)
    changed = directory.change_mediator("M-CN-1", parse(MediatorChanges, {
        "active": False, "specialties": ["other", "neighbor", "other"]}))
    assert (changed.active, changed.specialties, changed.open_cases, changed.phone, changed.updated_at) == (
        False, (Category.NEIGHBOR, Category.OTHER), 3, MEDIATOR["phone"], clock())
    assert directory_store.mediator("M-CN-1") == changed


def test_a_partner_gets_a_key_and_the_secret_derived_from_it(container, directory):
    partner, secret = directory.add_partner(parse(NewPartner, {"partner_id": PARTNER_ID, "name": "12345热线"}))
    assert partner.key_id.startswith("hk_") and partner.enabled
    assert secret == derive_secret(container.settings.secret_key, partner.key_id)
    assert container.directory_store.partner_by_key(partner.key_id) == partner


def test_a_partner_change_sets_the_fields_given(directory):
    directory.add_partner(parse(NewPartner, {"partner_id": PARTNER_ID, "name": "12345热线"}))
    changed = directory.change_partner(PARTNER_ID, parse(PartnerChanges, {
        "enabled": False, "callback_url": "https://partner.example/cb"}))
    assert (changed.enabled, changed.callback_url, changed.name) == (False, "https://partner.example/cb", "12345热线")


def test_listings_are_in_the_order_of_their_ids(directory, village, mediator):
    directory.add_org(parse(NewOrg, {**ORG, "org_id": "A-FIRST"}))
    assert [org.org_id for org in directory.listing("orgs")] == ["A-FIRST", "V-CN"]
    assert [region.code for region in directory.listing("regions")] == [DISTRICT, TOWN, VILLAGE]
    assert [m.mediator_id for m in directory.listing("mediators")] == ["M-CN-1"]
    assert directory.listing("partners") == []


@pytest.mark.parametrize(("kind", "key"), [("region", "320510"), ("org", "NO-ORG"), ("mediator", "NO-M"),
                                           ("partner", "no-partner")])
def test_an_unknown_entry_is_404(directory, kind, key):
    with pytest.raises(NotFound):
        getattr(directory, kind)(key)


@pytest.mark.parametrize(("add", "command_class", "body", "error", "field"), [
    ("add_region", NewRegion, {"code": "320510101", "name": "无上级"}, Unprocessable, "code"),
    ("add_region", NewRegion, {"code": VILLAGE, "name": "重复"}, Conflict, None),
    ("add_org", NewOrg, {**ORG, "region_code": "320510"}, Unprocessable, "region_code"),
    ("add_org", NewOrg, ORG, Conflict, None),
    ("add_mediator", NewMediator, {**MEDIATOR, "org_id": "NO-ORG"}, Unprocessable, "org_id"),
    ("add_mediator", NewMediator, MEDIATOR, Conflict, None),
])
def test_an_addition_refused_changes_nothing(directory, mediator, refuses, add, command_class, body, error, field):
    with refuses(error) as refused:
        getattr(directory, add)(parse(command_class, body))
    assert [e["field"] for e in refused.value.errors] == ([field] if field else [])


def test_a_taken_partner_id_is_a_conflict(directory, refuses):
    directory.add_partner(parse(NewPartner, {"partner_id": PARTNER_ID, "name": "12345热线"}))
    with refuses(Conflict):
        directory.add_partner(parse(NewPartner, {"partner_id": PARTNER_ID, "name": "另一个"}))


@pytest.mark.parametrize(("change", "key", "command", "error"), [
    ("change_mediator", "M-CN-1", MediatorChanges(), Unprocessable),
    ("change_mediator", "nobody", MediatorChanges(active=False), NotFound),
    ("change_partner", PARTNER_ID, PartnerChanges(), Unprocessable),
    ("change_partner", "nobody", PartnerChanges(enabled=False), NotFound),
])
def test_an_empty_change_or_one_of_an_unknown_entry_is_refused(directory, mediator, refuses, change, key, command,
                                                               error):
    directory.add_partner(parse(NewPartner, {"partner_id": PARTNER_ID, "name": "12345热线"}))
    with refuses(error):
        getattr(directory, change)(key, command)


ISSUE_20_CALLBACK_URLS = [
    "http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/latest/meta-data/",
    "https://127.0.0.1/cb", "https://localhost/cb", "https://[::1]/cb", "https://0.0.0.0/cb",
    "https://10.0.0.1/cb", "https://2130706433/cb", "https://127.1/cb",
    "https://metadata.google.internal/computeMetadata/v1/", "https://user:pass@partner.example/cb",
    "http://partner.example/cb",  # a cloud stage takes https only
]
"""The internal callback URLs the red-team pass registered (issue 20, finding 3)."""


@pytest.fixture
def cloud_directory(directory_store, clock):
    from chalicelib.domain.callback_urls import CLOUD_POLICY
    from chalicelib.services.directory import DirectoryService

    return DirectoryService(directory_store, b"master", clock, callback_policy=CLOUD_POLICY)


@pytest.mark.parametrize("url", ISSUE_20_CALLBACK_URLS)
def test_a_cloud_stage_refuses_an_internal_callback_url_at_registration_and_on_a_change(
        cloud_directory, refuses, url):
    with refuses(Unprocessable) as refused:
        cloud_directory.add_partner(parse(NewPartner, {"partner_id": PARTNER_ID, "name": "热线", "callback_url": url}))
    assert [e["field"] for e in refused.value.errors] == ["callback_url"]
    cloud_directory.add_partner(parse(NewPartner, {"partner_id": "p-2", "name": "法院",
                                                   "callback_url": "https://court.example/hewei"}))
    with refuses(Unprocessable) as refused:
        cloud_directory.change_partner("p-2", parse(PartnerChanges, {"callback_url": url}))
    assert [e["field"] for e in refused.value.errors] == ["callback_url"]


def test_the_stage_policy_decides_the_callback_urls_taken(directory):
    """The test stage is the local stage with its sink allowed: loopback passes, nothing else internal."""
    partner, _ = directory.add_partner(parse(NewPartner, {"partner_id": PARTNER_ID, "name": "热线",
                                                          "callback_url": "http://127.0.0.1:8001/callbacks"}))
    assert partner.callback_url == "http://127.0.0.1:8001/callbacks"
    with pytest.raises(Unprocessable, match="callback_url: must not be a cloud metadata address"):
        directory.change_partner(PARTNER_ID, parse(PartnerChanges, {"callback_url": "http://169.254.169.254/"}))
