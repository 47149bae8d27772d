"""CaseQueries: a case and what hangs off it within the caller's view (404 outside it), and the lists."""

from __future__ import annotations

import pytest

from chalicelib.domain.enums import Role
from chalicelib.domain.access import Principal
from chalicelib.services.commands import CaseFilters
from chalicelib.services.errors import Forbidden, NotFound, Unprocessable
from tests.support import OTHER_TOWN, OTHER_VILLAGE, TOWN
from tests.unit.services.builders import (
    ADMIN, COLLEAGUE, MEDIATOR, OTHER_MEDIATOR, OTHER_PARTNER, OTHER_SUPERVISOR, PARTNER, SUPERVISOR, parse)

VIEWS = [(PARTNER, True), (OTHER_PARTNER, False), (MEDIATOR, True), (COLLEAGUE, True), (OTHER_MEDIATOR, False),
         (SUPERVISOR, True), (OTHER_SUPERVISOR, False), (ADMIN, True)]
"""Who sees the partner's case dispatched to mediator M-CN-1 of org V-CN."""
READS = ("case", "timeline", "notifications", "supervision_letters")


def filters(**values) -> CaseFilters:
    return parse(CaseFilters, values)


@pytest.mark.parametrize("read", READS)
@pytest.mark.parametrize(("principal", "visible"), VIEWS)
def test_each_read_is_within_the_callers_view_and_404_outside(queries, dispatched, read, principal, visible):
    if visible:
        getattr(queries, read)(dispatched.case_id, principal)
    else:
        with pytest.raises(NotFound):
            getattr(queries, read)(dispatched.case_id, principal)


@pytest.mark.parametrize("case_id", ["HW20261123NOSUCHID", "HW" + "X" * 80])
def test_an_unknown_or_overlong_case_id_is_404(queries, case_id):
    with pytest.raises(NotFound):
        queries.case(case_id, ADMIN)


def test_the_case_timeline_and_notifications_are_as_stored(queries, dispatched):
    assert queries.case(dispatched.case_id, MEDIATOR) == dispatched
    assert [e.type for e in queries.timeline(dispatched.case_id, MEDIATOR)] == [
        "received", "triaged", "routed", "dispatched"]
    assert [(n["kind"], n["to"], n["status"]) for n in queries.notifications(dispatched.case_id, ADMIN)] == [
        ("dispatch", "13900000201", "pending")]
    assert queries.supervision_letters(dispatched.case_id, ADMIN) == []


@pytest.fixture
def three_cases(centre, clock):
    """The partner's R-1 (dispatched), a staff walk-in R-2 (dispatched) and the partner's R-3 in
    another town (received), filed a minute apart."""
    cases = []
    for ref, principal, region, routed in (("R-1", PARTNER, None, True), ("R-2", ADMIN, None, True),
                                           ("R-3", PARTNER, OTHER_VILLAGE, False)):
        case = centre.file(ref, principal, **({"region_code": region} if region else {}))
        if routed:
            centre.services.routing.route(case.case_id)
        cases.append(case.external_ref)
        clock.advance(minutes=1)
    return cases


@pytest.mark.parametrize(("principal", "values", "refs"), [
    (PARTNER, {}, ["R-3", "R-1"]),
    (OTHER_PARTNER, {}, []),
    (MEDIATOR, {}, ["R-2", "R-1"]),
    (OTHER_MEDIATOR, {}, []),
    (SUPERVISOR, {}, ["R-3", "R-2", "R-1"]),
    (SUPERVISOR, {"region": TOWN}, ["R-2", "R-1"]),
    (ADMIN, {"region": OTHER_TOWN}, ["R-3"]),
    (ADMIN, {"status": "dispatched"}, ["R-2", "R-1"]),
    (PARTNER, {"status": "received"}, ["R-3"]),
    (ADMIN, {"category": "labor_wages"}, []),
    (ADMIN, {"overdue": "false", "risk_level": "yellow"}, ["R-3", "R-2"]),  # a party seen again
    (OTHER_SUPERVISOR, {}, []),
])
def test_a_list_holds_the_cases_of_the_callers_view_newest_first(queries, three_cases, principal, values, refs):
    cases, cursor = queries.list(filters(**values), principal)
    assert [c.external_ref for c in cases] == refs and cursor is None


def test_a_list_pages_with_its_cursor(queries, three_cases):
    first, cursor = queries.list(filters(limit=2), ADMIN)
    rest, end = queries.list(filters(limit=2, cursor=cursor), ADMIN)
    assert [c.external_ref for c in first + rest] == ["R-3", "R-2", "R-1"] and end is None


@pytest.mark.parametrize(("principal", "values", "error"), [
    (SUPERVISOR, {"region": "320510"}, Forbidden),
    (Principal(Role.MEDIATOR, "mediator:M-X", mediator_id="M-X"), {}, Forbidden),
    (ADMIN, {"cursor": "not-a-cursor"}, Unprocessable),
])
def test_a_list_outside_the_view_or_with_a_bad_cursor_is_refused(queries, three_cases, principal, values, error):
    with pytest.raises(error):
        queries.list(filters(**values), principal)


def test_a_cursor_of_another_list_is_unprocessable(queries, three_cases):
    _, cursor = queries.list(filters(limit=1), ADMIN)
    with pytest.raises(Unprocessable) as refused:
        queries.list(filters(cursor=cursor), PARTNER)
    assert refused.value.errors[0]["field"] == "cursor"


# ------------------------------------------------------------ lookups (§1a)


@pytest.fixture
def same_ref_cases(centre, clock, store):
    """R-1 filed by the partner and by the other partner and by staff (three owners, one ref), and
    R-9 of the partner with another applicant's phone; a minute apart."""
    centre.services.directory.add_partner(parse_partner("other-1"))
    filed = {}
    for name, principal, phone in (("partner", PARTNER, None), ("other", OTHER_PARTNER, None),
                                   ("staff", ADMIN, None), ("R-9", PARTNER, "13911112222")):
        ref = "R-9" if name == "R-9" else "R-1"
        parties = [{"role": "applicant", "name": "王五", "phone": phone}] if phone else None
        filed[name] = centre.file(ref, principal, **({"parties": parties} if parties else {}))
        clock.advance(minutes=1)
    store.lookups.clear()
    return filed


def parse_partner(partner_id: str):
    from chalicelib.services.commands import NewPartner

    return parse(NewPartner, {"partner_id": partner_id, "name": "另一伙伴"})


@pytest.mark.parametrize(("principal", "expected"), [
    (PARTNER, ["partner"]), (OTHER_PARTNER, ["other"]), (ADMIN, ["staff", "other", "partner"]),
    (SUPERVISOR, ["staff", "other", "partner"]), (OTHER_SUPERVISOR, []),
])
def test_external_ref_finds_the_cases_of_that_ref_in_the_callers_view(queries, store, same_ref_cases, principal,
                                                                      expected):
    cases, cursor = queries.list(filters(external_ref="R-1"), principal)
    assert [c.case_id for c in cases] == [same_ref_cases[name].case_id for name in expected] and cursor is None
    assert store.lookups == [("external_ref", "R-1")]  # one look-up of the ref's index, no list read


def test_a_lookup_applies_the_other_filters_and_pages(queries, same_ref_cases):
    assert queries.list(filters(external_ref="R-1", status="dispatched"), ADMIN)[0] == []
    assert queries.list(filters(external_ref="R-1", region="320510"), ADMIN)[0] == []
    first, cursor = queries.list(filters(external_ref="R-1", limit=2), ADMIN)
    rest, end = queries.list(filters(external_ref="R-1", limit=2, cursor=cursor), ADMIN)
    assert [c.case_id for c in first + rest] == [same_ref_cases[n].case_id for n in ("staff", "other", "partner")]
    assert end is None
    with pytest.raises(Unprocessable) as refusal:
        queries.list(filters(external_ref="R-9", cursor=cursor), ADMIN)  # a cursor of another lookup
    assert refusal.value.errors[0]["field"] == "cursor"


@pytest.mark.parametrize("phone", ["13911112222", "+86 139-1111-2222", "8613911112222"])
def test_party_phone_finds_a_partys_cases_by_the_number_normalised(queries, store, same_ref_cases, phone):
    cases, _ = queries.list(filters(party_phone=phone), ADMIN)
    assert [c.case_id for c in cases] == [same_ref_cases["R-9"].case_id]
    assert [kind for kind, _ in store.lookups] == ["party"]
    assert phone not in store.lookups[0][1]  # the store is asked by the keyed hash, never the number


def test_party_phone_of_the_default_applicant_finds_every_case_of_theirs_and_both_keys_narrow(queries, same_ref_cases):
    everything, _ = queries.list(filters(party_phone="13812345678"), ADMIN)
    assert {c.case_id for c in everything} == {same_ref_cases[n].case_id for n in ("partner", "other", "staff")}
    both, _ = queries.list(filters(party_phone="13812345678", external_ref="R-9"), ADMIN)
    assert both == []


def test_a_partner_may_not_look_up_by_phone(queries, store, same_ref_cases):
    with pytest.raises(Forbidden, match="party_phone"):
        queries.list(filters(party_phone="13812345678"), PARTNER)
    assert store.lookups == []


def test_a_bad_phone_is_refused_by_the_filters():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        filters(party_phone="12345")
