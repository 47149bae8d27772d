"""Who sees which case (§1): view rules, jurisdiction prefixes, masking of parties."""

from __future__ import annotations

import pytest

from chalicelib.domain.access import Principal, can_view_case, sees_parties_in_full
from chalicelib.domain.enums import Role

CASE = dict(partner_id="demo-12345", region_code="320509102001", org_id="V-CN", mediator_id="M-CN-1")

PARTNER = Principal(Role.PARTNER, "demo-12345", partner_id="demo-12345")
OTHER_PARTNER = Principal(Role.PARTNER, "court-1", partner_id="court-1")
MEDIATOR = Principal(Role.MEDIATOR, "mediator:M-CN-1", org_id="V-CN", mediator_id="M-CN-1")
ORG_COLLEAGUE = Principal(Role.MEDIATOR, "mediator:M-CN-2", org_id="V-CN", mediator_id="M-CN-2")
OTHER_ORG_MEDIATOR = Principal(Role.MEDIATOR, "mediator:M-SL-1", org_id="T-SL", mediator_id="M-SL-1")
DISTRICT_SUPERVISOR = Principal(Role.SUPERVISOR, "supervisor:320509", jurisdiction="320509")
TOWN_SUPERVISOR = Principal(Role.SUPERVISOR, "supervisor:320509102", jurisdiction="320509102")
VILLAGE_SUPERVISOR = Principal(Role.SUPERVISOR, "supervisor:320509102001", jurisdiction="320509102001")
OTHER_TOWN_SUPERVISOR = Principal(Role.SUPERVISOR, "supervisor:320509103", jurisdiction="320509103")
NO_JURISDICTION = Principal(Role.SUPERVISOR, "supervisor:?", jurisdiction=None)
ADMIN = Principal(Role.ADMIN, "admin")


@pytest.mark.parametrize(
    ("principal", "sees"),
    [
        (PARTNER, True),
        (OTHER_PARTNER, False),
        (MEDIATOR, True),
        (ORG_COLLEAGUE, True),
        (OTHER_ORG_MEDIATOR, False),
        (DISTRICT_SUPERVISOR, True),
        (TOWN_SUPERVISOR, True),
        (VILLAGE_SUPERVISOR, True),
        (OTHER_TOWN_SUPERVISOR, False),
        (NO_JURISDICTION, False),
        (ADMIN, True),
    ],
    ids=lambda p: p.subject if isinstance(p, Principal) else str(p),
)
def test_can_view_case(principal, sees):
    assert can_view_case(principal, **CASE) is sees


def test_a_mediator_assigned_personally_sees_the_case_even_if_org_differs():
    case = {**CASE, "org_id": "T-SL"}
    assert can_view_case(MEDIATOR, **case)
    assert not can_view_case(ORG_COLLEAGUE, **case)


def test_unassigned_cases_are_seen_by_no_mediator():
    case = {**CASE, "org_id": None, "mediator_id": None}
    assert not can_view_case(MEDIATOR, **case)
    assert not can_view_case(Principal(Role.MEDIATOR, "m", org_id=None, mediator_id=None), **case)


def test_staff_filed_cases_are_seen_by_no_partner():
    assert not can_view_case(PARTNER, **{**CASE, "partner_id": None})
    assert not can_view_case(Principal(Role.PARTNER, "x", partner_id=None), **{**CASE, "partner_id": None})


def test_covers_region_is_a_prefix_match_for_supervisors_and_all_for_admins():
    assert TOWN_SUPERVISOR.covers_region("320509102")
    assert TOWN_SUPERVISOR.covers_region("320509102999")
    assert not TOWN_SUPERVISOR.covers_region("320509")  # a wider area than the jurisdiction
    assert not TOWN_SUPERVISOR.covers_region("320509103001")
    assert ADMIN.covers_region("110105001001")
    assert not PARTNER.covers_region("320509102001")
    assert not MEDIATOR.covers_region("320509102001")
    assert not NO_JURISDICTION.covers_region("320509102001")


def _case(sensitive: bool, **fields):
    from types import SimpleNamespace

    return SimpleNamespace(**{**CASE, "sensitive": sensitive, "assisting_org_ids": frozenset({"T-SL"}), **fields})


def test_only_staff_see_parties_in_full():
    case = _case(sensitive=False)
    assert not sees_parties_in_full(PARTNER, case)
    assert all(sees_parties_in_full(p, case) for p in (MEDIATOR, ORG_COLLEAGUE, OTHER_ORG_MEDIATOR,
                                                        DISTRICT_SUPERVISOR, ADMIN))


@pytest.mark.parametrize(("principal", "in_full"), [
    (MEDIATOR, True),  # the assigned mediator
    (DISTRICT_SUPERVISOR, True), (TOWN_SUPERVISOR, True), (VILLAGE_SUPERVISOR, True),  # covering supervisors
    (ORG_COLLEAGUE, False),  # a colleague in the assigned org
    (OTHER_ORG_MEDIATOR, False),  # a mediator of an assisting org (联合调解)
    (ADMIN, False),
    (PARTNER, False),
    (OTHER_TOWN_SUPERVISOR, False),  # not covering: the case is not even in view
])
def test_a_sensitive_case_is_read_in_full_by_its_assigned_mediator_and_covering_supervisors_only(principal, in_full):
    assert sees_parties_in_full(principal, _case(sensitive=True)) is in_full


def test_a_sensitive_case_of_no_assigned_mediator_is_read_in_full_by_covering_supervisors_only():
    case = _case(sensitive=True, mediator_id=None, org_id=None)
    assert sees_parties_in_full(DISTRICT_SUPERVISOR, case)
    assert not sees_parties_in_full(MEDIATOR, case)


def test_actor_names_the_caller_in_the_timeline():
    assert PARTNER.actor == "partner:demo-12345"
    assert MEDIATOR.actor == "mediator:M-CN-1"
    assert TOWN_SUPERVISOR.actor == "supervisor:320509102"  # sub already names the role: not doubled
    assert Principal(Role.SUPERVISOR, "zhang.wei", jurisdiction="320509").actor == "supervisor:zhang.wei"
    assert ADMIN.actor == "admin:admin"


def test_the_mediators_of_an_assisting_org_see_the_case_as_assistants():
    """联合调解: T-SL assists; its mediator sees the case, in that relation only."""
    from chalicelib.domain.access import Relation, relations_to

    joint = {**CASE, "assisting_org_ids": frozenset({"T-SL"})}
    assert can_view_case(OTHER_ORG_MEDIATOR, **joint)
    held = relations_to(OTHER_ORG_MEDIATOR, **{k: v for k, v in joint.items() if k != "partner_id"})
    assert held == {Relation.ASSISTING_MEDIATOR}
    assert not can_view_case(Principal(Role.MEDIATOR, "mediator:M-X", org_id="X", mediator_id="M-X"), **joint)


@pytest.mark.parametrize(("principal", "district"), [
    (DISTRICT_SUPERVISOR, True), (TOWN_SUPERVISOR, False), (VILLAGE_SUPERVISOR, False), (ADMIN, False)])
def test_a_supervisor_of_a_whole_district_stands_to_its_cases_as_such(principal, district):
    from chalicelib.domain.access import Relation, relations_to

    held = relations_to(principal, **{k: v for k, v in CASE.items() if k != "partner_id"})
    assert (Relation.DISTRICT_SUPERVISOR in held) is district
