"""RoutingService (分级分流、派单): a received case to an org and a mediator, once, and its retries
when a concurrent write or a mediator deactivated meanwhile spoils the dispatch."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.enums import CaseStatus, Tier
from chalicelib.services.commands import MediatorChanges
from chalicelib.services.routing import MAX_ATTEMPTS
from tests.unit.services.builders import ADMIN, MONDAY, PARTNER_ID


def deactivate(centre, *mediator_ids: str) -> None:
    for mediator_id in mediator_ids:
        centre.services.directory.change_mediator(mediator_id, MediatorChanges(active=False))


def test_a_received_case_is_dispatched_with_its_sms_and_callback(centre, routing, received, store, publisher):
    assert routing.route(received.case_id) == "dispatched"
    case = store.get(received.case_id)
    assert (case.status, case.tier, case.org_id, case.mediator_id, case.version) == (
        CaseStatus.DISPATCHED, Tier.VILLAGE, "V-CN", "M-CN-1", 2)
    assert (case.dispatched_at, case.accept_due_at) == (MONDAY, MONDAY + dt.timedelta(hours=24))
    assert centre.event_types(received.case_id)[-2:] == ["routed", "dispatched"]
    assert centre.open_cases("M-CN-1") == 1
    [note] = store.notifications(received.case_id)
    assert (note["kind"], note["to"], note["status"]) == ("dispatch", "13900000201", "pending")
    assert received.case_id in note["text"] and "11-24 10:00" in note["text"]
    assert publisher.bodies("notify") == [{"case_id": received.case_id, "sk": note["sk"]}]
    assert publisher.bodies("callbacks") == [{"partner_id": PARTNER_ID, "attempt": 1, "payload": {
        "event": "case.status_changed", "case_id": received.case_id, "external_ref": "R-1",
        "status": "dispatched", "at": "2026-11-23T10:00:00+08:00"}}]


def test_a_red_case_goes_to_the_town_and_alerts_the_org_head(centre, routing, store):
    case = centre.file("R-RED", risk_indicators=["threat_of_violence"])
    routing.route(case.case_id)
    assert store.get(case.case_id).org_id == "T-SL"
    assert {(n["kind"], n["to"]) for n in store.notifications(case.case_id)} == {
        ("dispatch", "13900000202"), ("red_alert", "13900000102")}


def test_a_routed_case_is_left_alone_and_a_missing_one_reported(centre, routing, received):
    routing.route(received.case_id)
    before = centre.state()
    assert routing.route(received.case_id) == "already_routed"
    assert routing.route("HW20261123NOSUCHID") == "missing"
    assert centre.state() == before


def test_a_staff_case_tells_no_partner(centre, routing, publisher):
    case = centre.file("W-1", ADMIN)
    routing.route(case.case_id)
    assert publisher.bodies("callbacks") == []


def test_a_case_no_org_can_take_is_recorded_unroutable_and_retried_later(centre, routing, received, store, publisher):
    deactivate(centre, "M-CN-1", "M-SL-1", "M-WJ-1")
    assert routing.route(received.case_id) == "unroutable"
    case = store.get(received.case_id)
    assert (case.status, case.unroutable_attempts, case.route_retry_at) == (
        CaseStatus.RECEIVED, 1, MONDAY + dt.timedelta(minutes=2))
    assert "no active mediator" in store.events(received.case_id)[-1].detail["reason"]
    assert store.notifications(received.case_id) == [] and publisher.bodies("callbacks") == []


def test_a_mediator_deactivated_between_choice_and_dispatch_makes_routing_choose_again(
        centre, routing, received, store):
    store.interleave(lambda: deactivate(centre, "M-CN-1"))
    assert routing.route(received.case_id) == "dispatched"
    case = store.get(received.case_id)
    assert (case.tier, case.org_id, case.mediator_id) == (Tier.TOWN, "T-SL", "M-SL-1")
    assert (centre.open_cases("M-CN-1"), centre.open_cases("M-SL-1")) == (0, 1)
    assert [n["to"] for n in store.notifications(received.case_id)] == ["13900000202"]


def test_a_concurrent_write_makes_routing_read_again(centre, routing, received, store):
    store.interleave(lambda: centre.act(received.case_id, "note"))
    assert routing.route(received.case_id) == "dispatched"
    assert centre.event_types(received.case_id)[-3:] == ["note", "routed", "dispatched"]
    assert centre.open_cases("M-CN-1") == 1


def test_routing_that_loses_every_attempt_gives_up_contended(centre, routing, received, store):
    store.interleave(lambda: centre.act(received.case_id, "note"), times=MAX_ATTEMPTS)
    assert routing.route(received.case_id) == "contended"
    assert store.get(received.case_id).status is CaseStatus.RECEIVED
    assert centre.open_cases("M-CN-1") == 0 and store.notifications(received.case_id) == []


@pytest.mark.parametrize(("requested_at", "dispatched_at"), [
    ("2026-11-23T12:00:00+08:00", MONDAY + dt.timedelta(hours=2)),  # a sweep's `as_of` ahead of the clock
    ("2026-11-23T09:00:00+08:00", MONDAY),  # never before the clock
    ("2026-11-23T12:00:00", MONDAY),  # no offset: ignored
    ("soon", MONDAY),
    (None, MONDAY),
])
def test_a_routing_message_dispatches_no_earlier_than_it_was_asked_for(
        routing, received, store, requested_at, dispatched_at):
    assert routing.handle_request({"case_id": received.case_id, "requested_at": requested_at}) == "dispatched"
    assert store.get(received.case_id).dispatched_at == dispatched_at
