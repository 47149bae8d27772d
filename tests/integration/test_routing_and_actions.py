"""Routing, dispatch, case actions, SMS and batch semantics (§5 actions, §6) against moto."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest

from chalicelib import wiring
from chalicelib.config import queue_name
from chalicelib.services.action_registry import AcceptCase, AddNote
from tests.integration.conftest import act_at_once, staff_token
from tests.support import assert_problem, drain, new_case_body, open_cases, service_now, sms_sent

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def file_and_route(partner, ref="R-1", **overrides) -> dict:
    created = partner.call("POST", "/v1/cases", new_case_body(ref, **overrides))
    assert created.status == 201, created
    assert drain("routing", "route_cases") >= 1
    return created.json


def test_blue_neighbor_case_goes_to_the_village_org_with_sms(partner, admin):
    case = file_and_route(partner)
    view = admin.call("GET", f"/v1/cases/{case['case_id']}").json
    assert (view["status"], view["tier"], view["org_id"], view["mediator_id"]) == (
        "dispatched", "village", "V-CN", "M-CN-1")
    assert view["mediation_type"] == "people"
    received = dt.datetime.fromisoformat(view["received_at"])
    accept_due = dt.datetime.fromisoformat(view["accept_due_at"])
    assert dt.timedelta(hours=23, minutes=59) < accept_due - received <= dt.timedelta(hours=24, minutes=1)  # the clock runs: routing took a moment
    assert view["resolve_due_at"].endswith("T23:59:59+08:00")

    events = admin.call("GET", f"/v1/cases/{case['case_id']}/events").json
    assert [e["type"] for e in events] == ["received", "triaged", "routed", "dispatched"]
    assert "V-CN" in events[2]["detail"]["reason"] and "neighbor" in events[2]["detail"]["reason"]

    drain("notify", "send_notifications")
    notes = admin.call("GET", f"/v1/cases/{case['case_id']}/notifications").json
    assert [(n["kind"], n["to"], n["status"]) for n in notes] == [("dispatch", "139****0201", "sent")]
    assert notes[0]["sent_at"] is not None
    assert sms_sent() == [("+8613900000201", notes[0]["text"])]
    assert open_cases("M-CN-1") == 1


def test_red_case_goes_to_town_and_alerts_the_org_head(partner, admin):
    case = file_and_route(partner, "R-RED", risk_indicators=["threat_of_violence"])
    view = admin.call("GET", f"/v1/cases/{case['case_id']}").json
    assert (view["risk_level"], view["tier"], view["org_id"]) == ("red", "town", "T-SL")
    accept_window = dt.datetime.fromisoformat(view["accept_due_at"]) - dt.datetime.fromisoformat(
        view["received_at"])
    assert accept_window <= dt.timedelta(hours=1, minutes=1)
    drain("notify", "send_notifications")
    kinds = {n["kind"]: n for n in admin.call("GET", f"/v1/cases/{case['case_id']}/notifications").json}
    assert set(kinds) == {"dispatch", "red_alert"}
    assert kinds["red_alert"]["to"] == "139****0102"
    assert {phone for phone, _ in sms_sent()} == {"+8613900000202", "+8613900000102"}


def test_ten_parties_go_to_district(partner, admin):
    case = file_and_route(partner, "R-BIG", party_count=10)
    assert admin.call("GET", f"/v1/cases/{case['case_id']}").json["tier"] == "district"


def test_unroutable_case_stays_received_with_an_event(partner, admin):
    for mediator in ("M-CN-1", "M-SL-1", "M-WJ-1"):
        assert admin.call("PATCH", f"/v1/mediators/{mediator}", {"active": False}).status == 200
    case = file_and_route(partner, "R-NONE")
    view = admin.call("GET", f"/v1/cases/{case['case_id']}").json
    assert view["status"] == "received"
    events = admin.call("GET", f"/v1/cases/{case['case_id']}/events").json
    assert events[-1]["type"] == "unroutable"
    assert events[-1]["detail"]["tiers_tried"] == ["village", "town", "district"]


def test_routing_twice_does_not_dispatch_twice(partner, admin):
    case = file_and_route(partner, "R-TWICE")
    assert wiring.current().routing.route(case["case_id"]) == "already_routed"
    assert open_cases("M-CN-1") == 1


def test_mediator_deactivated_between_choice_and_dispatch_is_skipped(partner, admin, monkeypatch):
    created = partner.call("POST", "/v1/cases", new_case_body("R-RACE")).json
    store = wiring.current().directory_store
    original = store.mediators_of
    calls = {"n": 0}

    def stale_then_fresh(org_id):
        models = list(original(org_id))
        if org_id == "V-CN" and calls["n"] == 0:
            calls["n"] += 1
            store.update_mediator(store.mediator("M-CN-1"), {"active": False})  # deactivated meanwhile
        return models

    monkeypatch.setattr(store, "mediators_of", stale_then_fresh)
    assert wiring.current().routing.route(created["case_id"]) == "dispatched"
    view = admin.call("GET", f"/v1/cases/{created['case_id']}").json
    assert (view["org_id"], view["mediator_id"]) == ("T-SL", "M-SL-1")
    assert open_cases("M-CN-1") == 0


def test_accept_decline_escalate_flow(partner, admin):
    case_id = file_and_route(partner, "R-FLOW")["case_id"]
    village = staff_token(admin, role="mediator", mediator_id="M-CN-1")

    declined = village.call("POST", f"/v1/cases/{case_id}/decline", {"reason": "不属于本社区"})
    assert declined.status == 200 and declined.json["status"] == "received"
    assert open_cases("M-CN-1") == 0
    drain("routing", "route_cases")
    view = admin.call("GET", f"/v1/cases/{case_id}").json
    assert (view["status"], view["tier"], view["org_id"]) == ("dispatched", "town", "T-SL")
    # the village mediator no longer sees it
    assert village.call("GET", f"/v1/cases/{case_id}").status == 404

    town = staff_token(admin, role="mediator", mediator_id="M-SL-1")
    accepted = town.call("POST", f"/v1/cases/{case_id}/accept", {"expected_version": view["version"]})
    assert accepted.status == 200 and accepted.json["status"] == "accepted"
    assert town.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 409  # wrong status
    stale = town.call("POST", f"/v1/cases/{case_id}/note", {"text": "x", "expected_version": 1})
    assert stale.status == 409

    escalated = town.call("POST", f"/v1/cases/{case_id}/escalate", {"reason": "涉及多部门"})
    assert escalated.status == 200 and escalated.json["status"] == "received"
    drain("routing", "route_cases")
    view = admin.call("GET", f"/v1/cases/{case_id}").json
    assert (view["tier"], view["org_id"]) == ("district", "D-WJ")
    district = staff_token(admin, role="mediator", mediator_id="M-WJ-1")
    assert district.call("POST", f"/v1/cases/{case_id}/escalate", {"reason": "再上报"}).status == 409

    types = [e["type"] for e in admin.call("GET", f"/v1/cases/{case_id}/events").json]
    assert types.count("dispatched") == 3 and "declined" in types and "escalated" in types


def test_resolve_plans_visits_and_fail_records_referral(partner, admin):
    first = file_and_route(partner, "R-RES", category="marriage_family")["case_id"]
    second = file_and_route(partner, "R-FAIL")["case_id"]
    for case_id in (first, second):
        assert admin.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
    due = (service_now().date() + dt.timedelta(days=10)).isoformat()
    resolved = admin.call("POST", f"/v1/cases/{first}/resolve",
                          {"agreement": {"summary": "双方达成赡养协议", "performance_due": due}})
    assert resolved.status == 200, resolved
    agreement = resolved.json["agreement"]
    assert {k: v for k, v in agreement.items() if k != "judicial_confirmation"} == {
        "summary": "双方达成赡养协议", "performance_due": due, "effective_on": service_now().date().isoformat()}
    assert agreement["judicial_confirmation"]["status"] == "not_requested"
    offsets = [(dt.date.fromisoformat(v["due_on"]) - dt.date.fromisoformat(due)).days
               for v in resolved.json["return_visits"]]
    assert offsets == [7, 30, 90]

    past = admin.call("POST", f"/v1/cases/{second}/resolve",
                      {"agreement": {"summary": "x", "performance_due": "2020-01-01"}})
    assert past.status == 422
    failed = admin.call("POST", f"/v1/cases/{second}/fail", {"referral": "litigation", "reason": "对方拒绝调解"})
    assert failed.json["status"] == "unresolved"
    assert failed.json["referral"] == {"channel": "litigation", "reason": "对方拒绝调解"}
    assert admin.call("POST", f"/v1/cases/{second}/fail", {"referral": "moon", "reason": "x"}).status == 422
    assert open_cases("M-CN-1") == 0


def test_withdraw_from_any_open_status_only(partner, admin):
    case_id = file_and_route(partner, "R-WD")["case_id"]
    assert admin.call("POST", f"/v1/cases/{case_id}/withdraw", {"reason": "当事人自行和解"}).json["status"] == \
        "withdrawn"
    assert admin.call("POST", f"/v1/cases/{case_id}/withdraw", {"reason": "again"}).status == 409


def test_other_org_mediator_gets_404_and_partner_gets_403(partner, admin):
    case_id = file_and_route(partner, "R-AUTH")["case_id"]
    other = staff_token(admin, role="mediator", mediator_id="M-WJ-1")
    assert other.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 404
    assert partner.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 403


def test_an_unknown_action_is_a_problem_404_and_changes_nothing(partner, admin):
    case_id = file_and_route(partner, "R-TYPO")["case_id"]
    before = admin.call("GET", f"/v1/cases/{case_id}").json
    for action in ("frobnicate", "ACCEPT", "accept.json"):
        assert_problem(admin.call("POST", f"/v1/cases/{case_id}/{action}", {}), 404)
    assert_problem(admin.call("POST", "/v1/cases/HW-NOPE/frobnicate", {}), 404)
    assert admin.call("GET", f"/v1/cases/{case_id}").json == before


def test_eight_concurrent_accepts_of_one_version_give_exactly_one_success(partner, admin, atomic_requests):
    case_id = file_and_route(partner, "R-RACE8")["case_id"]
    version = admin.call("GET", f"/v1/cases/{case_id}").json["version"]
    outcomes = act_at_once(admin, case_id, [("accept", AcceptCase(expected_version=version))] * 8)
    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    assert [e["type"] for e in admin.call("GET", f"/v1/cases/{case_id}/events").json].count("accepted") == 1


def test_concurrent_actions_without_expected_version_all_take_effect(partner, admin, atomic_requests):
    """No `expected_version`: each note is added to the case as it stands, re-reading it after a clash."""
    case_id = file_and_route(partner, "R-NOTES8")["case_id"]
    outcomes = act_at_once(admin, case_id, [("note", AddNote(text=f"进展{i}")) for i in range(8)])
    assert outcomes == ["ok"] * 8
    events = admin.call("GET", f"/v1/cases/{case_id}/events").json
    assert sorted(e["detail"]["text"] for e in events if e["type"] == "note") == [f"进展{i}" for i in range(8)]


def test_quiet_hours_defer_non_red_sms_but_not_red(partner, admin):
    blue = partner.call("POST", "/v1/cases", new_case_body("Q-BLUE")).json["case_id"]
    red = partner.call("POST", "/v1/cases", new_case_body("Q-RED", risk_indicators=["suicide_risk"])).json["case_id"]
    wiring.current().clock.now = service_now().astimezone(SHANGHAI).replace(hour=23, minute=30)
    drain("routing", "route_cases")
    drain("notify", "send_notifications")
    blue_notes = admin.call("GET", f"/v1/cases/{blue}/notifications").json
    red_notes = admin.call("GET", f"/v1/cases/{red}/notifications").json
    assert [n["status"] for n in blue_notes] == ["deferred"]
    assert sorted(n["status"] for n in red_notes) == ["sent", "sent"]
    assert len(sms_sent()) == 2


def test_a_notification_delivered_twice_is_sent_once_and_sns_failures_are_retried(partner, admin, monkeypatch):
    case_id = file_and_route(partner, "N-ONCE")["case_id"]
    record = wiring.current().case_store.notifications(case_id)[0]
    notifier = wiring.current().notifier
    sender = wiring.current().sms_sender
    original_send = sender.send

    def broken(message):
        raise RuntimeError("SNS throttled")

    monkeypatch.setattr(sender, "send", broken)
    with pytest.raises(Exception):
        notifier.deliver(case_id, record["sk"])
    failed = admin.call("GET", f"/v1/cases/{case_id}/notifications").json[0]
    assert (failed["status"], failed["error_code"]) == ("failed", "RuntimeError")
    monkeypatch.setattr(sender, "send", original_send)  # the failed try gave its slot back: the retry goes
    assert notifier.deliver(case_id, record["sk"]) == "sent"
    assert notifier.deliver(case_id, record["sk"]) == "sent"  # the second delivery is a no-op
    assert len(sms_sent()) == 1


def test_one_poison_message_neither_blocks_nor_reruns_the_good_ones(partner, admin):
    good = partner.call("POST", "/v1/cases", new_case_body("P-GOOD")).json["case_id"]
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("routing"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{not json")
    drain("routing", "route_cases", rounds=1)  # both in one batch: the handler raises
    assert admin.call("GET", f"/v1/cases/{good}").json["status"] == "dispatched"
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    # only the poison message is still on the queue (in flight until its visibility timeout)
    assert int(left["ApproximateNumberOfMessages"]) + int(left["ApproximateNumberOfMessagesNotVisible"]) == 1
    assert open_cases("M-CN-1") == 1
