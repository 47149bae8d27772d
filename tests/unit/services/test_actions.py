"""CaseActions.act: every staff action of `action_registry.ACTIONS` on the fakes: what it stores,
publishes and counts, its refusals (leaving everything as it was), and concurrent writes."""

from __future__ import annotations

import pytest

from chalicelib.domain.enums import CaseStatus as S
from chalicelib.services.action_registry import ACTIONS
from chalicelib.services.actions import ACT_ATTEMPTS
from chalicelib.services.errors import Conflict, Forbidden, NotFound, Unprocessable
from tests.unit.services.builders import (
    ADMIN, COLLEAGUE, MEDIATOR, OTHER_MEDIATOR, OTHER_SUPERVISOR, PARTNER, SUPERVISOR)
from tests.unit.services.test_extensions import WAITING_ACTIONS
from tests.unit.services.test_hard_cases import HARD_CASE_ACTIONS

# (status before, action, status after, mediator M-CN-1's open cases after, partner told, routed again)
MAIN_PATHS = [
    (S.DISPATCHED, "accept", S.ACCEPTED, 1, True, False), (S.DISPATCHED, "note", S.DISPATCHED, 1, False, False),
    (S.DISPATCHED, "decline", S.RECEIVED, 0, True, True), (S.DISPATCHED, "escalate", S.RECEIVED, 0, True, True),
    (S.ACCEPTED, "escalate", S.RECEIVED, 0, True, True), (S.ACCEPTED, "resolve", S.RESOLVED, 0, True, False),
    (S.ACCEPTED, "fail", S.UNRESOLVED, 0, True, False), (S.ACCEPTED, "withdraw", S.WITHDRAWN, 0, True, False),
    (S.RESOLVED, "visit", S.RESOLVED, 0, False, False),
    (S.RESOLVED, "judicial_confirmation", S.RESOLVED, 0, False, False),
    (S.UNRESOLVED, "close", S.CLOSED, 0, True, False),
    (S.RECEIVED, "withdraw", S.WITHDRAWN, 0, True, False), (S.RECEIVED, "note", S.RECEIVED, 0, False, False),
    (S.ACCEPTED, "transfer", S.TRANSFERRED, 0, True, False), (S.RECEIVED, "transfer", S.TRANSFERRED, 0, True, False),
]


EVENT_TYPE = {"accept": "accepted", "decline": "declined", "escalate": "escalated", "note": "note",
              "resolve": "resolved", "fail": "unresolved", "visit": "visited", "close": "closed",
              "withdraw": "withdrawn", "judicial_confirmation": "judicial_confirmation", "transfer": "transferred"}
"""The timeline event of each action, as the contract names them (§5)."""


def test_the_table_covers_every_action():
    """The §11 actions, which keep the status, have their own table (test_extensions.WAITING_PATHS);
    the §15 ones their own tests (test_hard_cases)."""
    assert {row[1] for row in MAIN_PATHS} | set(WAITING_ACTIONS) | set(HARD_CASE_ACTIONS) == set(ACTIONS)


def messages(publisher, role: str) -> int:
    return len(publisher.bodies(role))


@pytest.mark.parametrize(("before", "name", "after", "open_cases", "told", "rerouted"), MAIN_PATHS)
def test_an_action_stores_its_change_and_does_what_it_calls_for(
        centre, store, publisher, before, name, after, open_cases, told, rerouted):
    case = centre.case_at(before)
    callbacks, routings = messages(publisher, "callbacks"), messages(publisher, "routing")
    acted = centre.act(case.case_id, name, ADMIN)
    stored = store.get(case.case_id)
    assert acted == stored
    assert (stored.status, stored.version) == (after, case.version + 1)
    last = store.events(case.case_id)[-1]
    assert (last.type, last.actor) == (EVENT_TYPE[name], "admin:admin")
    assert centre.open_cases("M-CN-1") == open_cases
    assert messages(publisher, "callbacks") - callbacks == told
    assert messages(publisher, "routing") - routings == rerouted
    if told:
        assert publisher.bodies("callbacks")[-1]["payload"]["status"] == after.value


@pytest.mark.parametrize("principal", [MEDIATOR, COLLEAGUE, SUPERVISOR, ADMIN])
def test_the_case_handlers_may_act_and_are_named_on_the_timeline(centre, store, principal):
    case = centre.case_at(S.DISPATCHED)
    centre.act(case.case_id, "accept", principal)
    assert store.events(case.case_id)[-1].actor == principal.actor


def test_a_decline_routes_the_case_again_without_that_org(centre, store, publisher):
    case = centre.case_at(S.DISPATCHED)
    centre.act(case.case_id, "decline", MEDIATOR)
    assert publisher.bodies("routing")[-1]["reason"] == "decline"
    assert centre.services.routing.route(case.case_id) == "dispatched"
    assert (store.get(case.case_id).org_id, centre.open_cases("M-CN-1"), centre.open_cases("M-SL-1")) == (
        "T-SL", 0, 1)


def test_a_visit_finding_the_agreement_unperformed_asks_the_org_head_to_rectify(centre, store, publisher):
    case = centre.case_at(S.RESOLVED)
    centre.act(case.case_id, "visit", MEDIATOR, agreement_performed="no")
    stored = store.get(case.case_id)
    assert stored.rectification_required and len(stored.return_visits) == 2  # the follow-up visit
    rectification = store.notifications(case.case_id)[-1]
    assert (rectification["kind"], rectification["to"], rectification["status"]) == (
        "rectification", "13900000101", "pending")
    assert publisher.bodies("notify")[-1] == {"case_id": case.case_id, "sk": rectification["sk"]}


@pytest.mark.parametrize(("status", "name", "principal", "changes", "error"), [
    (S.RECEIVED, "accept", ADMIN, {}, Conflict),
    (S.ACCEPTED, "accept", ADMIN, {}, Conflict),
    (S.CLOSED, "note", ADMIN, {}, Conflict),
    (S.RESOLVED, "close", ADMIN, {}, Conflict),  # a return visit is still open
    (S.DISPATCHED, "accept", PARTNER, {}, Forbidden),  # the partner sees its case but does not work it
    (S.DISPATCHED, "accept", OTHER_MEDIATOR, {}, NotFound),
    (S.DISPATCHED, "accept", OTHER_SUPERVISOR, {}, NotFound),
    (S.ACCEPTED, "resolve", ADMIN, {"agreement": {"summary": "协议", "performance_due": "2026-11-20"}},
     Unprocessable),
    (S.DISPATCHED, "accept", ADMIN, {"expected_version": 1}, Conflict),
])
def test_a_refused_action_changes_nothing(centre, status, name, principal, changes, error):
    case = centre.case_at(status)
    with centre.refuses(error):
        centre.act(case.case_id, name, principal, **changes)


def test_an_unknown_case_is_404(centre):
    with centre.refuses(NotFound):
        centre.act("HW20261123NOSUCHID", "accept")


def test_an_escalation_at_district_level_is_a_conflict(centre):
    case = centre.case_at(S.DISPATCHED, party_count=10)  # a group dispute starts at the district
    assert case.org_id == "D-WJ"
    with centre.refuses(Conflict) as refused:
        centre.act(case.case_id, "escalate")
    assert "district" in refused.value.detail


def test_a_stale_expected_version_is_a_conflict_that_names_the_current_one(centre):
    case = centre.case_at(S.DISPATCHED)
    with centre.refuses(Conflict) as refused:
        centre.act(case.case_id, "accept", expected_version=case.version - 1)
    assert refused.value.extra == {"version": case.version}


def test_the_expected_version_current_is_applied(centre, store):
    case = centre.case_at(S.DISPATCHED)
    centre.act(case.case_id, "accept", expected_version=case.version)
    assert store.get(case.case_id).status is S.ACCEPTED


def concurrent(centre, case_id: str, name: str = "note", principal=COLLEAGUE):
    """A write by another caller, as `FakeCaseStore.interleave` runs it."""
    return lambda: centre.act(case_id, name, principal)


def test_a_concurrent_note_makes_the_action_read_again_and_apply(centre, store):
    case = centre.case_at(S.DISPATCHED)
    store.interleave(concurrent(centre, case.case_id))
    centre.act(case.case_id, "accept", MEDIATOR)
    stored = store.get(case.case_id)
    assert (stored.status, stored.version) == (S.ACCEPTED, case.version + 2)
    assert centre.event_types(case.case_id)[-2:] == ["note", "accepted"]


def test_with_an_expected_version_a_concurrent_write_is_a_conflict(centre, store):
    case = centre.case_at(S.DISPATCHED)
    store.interleave(concurrent(centre, case.case_id))
    with pytest.raises(Conflict):
        centre.act(case.case_id, "accept", MEDIATOR, expected_version=case.version)
    assert (store.get(case.case_id).status, centre.event_types(case.case_id)[-1]) == (S.DISPATCHED, "note")


def test_a_concurrent_change_of_what_the_action_depends_on_is_a_conflict(centre, store, publisher):
    case = centre.case_at(S.DISPATCHED)
    store.interleave(concurrent(centre, case.case_id, "accept", MEDIATOR))
    with pytest.raises(Conflict):
        centre.act(case.case_id, "decline", COLLEAGUE)
    assert store.get(case.case_id).status is S.ACCEPTED
    assert publisher.bodies("routing")[-1]["reason"] == "intake"  # the decline asked for no routing


def test_an_action_losing_every_attempt_is_a_conflict(centre, store):
    case = centre.case_at(S.DISPATCHED)
    store.interleave(concurrent(centre, case.case_id), times=ACT_ATTEMPTS)
    with pytest.raises(Conflict):
        centre.act(case.case_id, "accept", MEDIATOR)
    assert centre.event_types(case.case_id).count("note") == ACT_ATTEMPTS
    assert store.get(case.case_id).status is S.DISPATCHED

