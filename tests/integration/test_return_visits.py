"""Outcomes, return visits (回访) and rectification (整改) against moto: §5 resolve/fail/visit/close/withdraw, §6."""

from __future__ import annotations

import datetime as dt
import json

import boto3

from app import app
from chalicelib import wiring
from chalicelib.adapters.models import CaseModel
from chalicelib.config import queue_name
from devstack.pump import FakeLambdaContext, scheduled_event
from tests.support import drain, new_case_body, sms_sent

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
"""Dispatch time of the cases below (a Monday morning)."""
PERFORMANCE_DUE = "2026-12-01"
"""The agreements' date: a neighbour case's one visit is due 30 days later, on 2026-12-31."""


def at(day: str, clock: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{clock}:00+08:00")


def resolved(partner, admin, ref: str, category: str = "neighbor", due: str = PERFORMANCE_DUE) -> dict:
    """A partner's case, routed, accepted and resolved at BASE."""
    wiring.current().clock.now = BASE  # the partner signs on the service's clock
    created = partner.call("POST", "/v1/cases", new_case_body(ref, category=category, parties=[
        {"role": "applicant", "name": "张三"}]))
    assert created.status == 201, created
    drain("routing", "route_cases")
    case_id = created.json["case_id"]
    assert admin.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
    done = admin.call("POST", f"/v1/cases/{case_id}/resolve",
                      {"agreement": {"summary": "双方达成协议", "performance_due": due}})
    assert done.status == 200, done
    drain("notify", "send_notifications")
    return done.json


def sweep(admin, moment: dt.datetime) -> dict:
    result = admin.call("POST", "/v1/ops/sweeps/return-visits", {"as_of": moment.isoformat()})
    assert result.status == 200, result
    wiring.current().clock.now = moment
    drain("notify", "send_notifications")
    return result.json


def notes_of(admin, case_id: str, *kinds: str) -> list[tuple[str, str, str]]:
    return [(n["kind"], n["to"], n["status"]) for n in admin.call("GET", f"/v1/cases/{case_id}/notifications").json
            if n["kind"] in kinds]


GOOD = {"agreement_performed": "yes", "satisfaction": {"attitude": "satisfied", "process": "satisfied",
                                                       "effect": "basically_satisfied"}, "note": "已履行"}
BAD = {"agreement_performed": "partial", "satisfaction": {"attitude": "satisfied", "process": "satisfied",
                                                          "effect": "dissatisfied"}}


# ---------------------------------------------------------------- the sweep


def test_visit_due_from_three_days_before_and_overdue_after_each_once(partner, admin):
    case = resolved(partner, admin, "V-ONCE")
    case_id = case["case_id"]
    assert [v["due_on"] for v in case["return_visits"]] == ["2026-12-31"]

    # 2026-12-24: the agreement's unused window for judicial confirmation (§14) lapses, no SMS
    assert sweep(admin, at("2026-12-27")) == {"examined": 1, "actions": 1}
    assert sweep(admin, at("2026-12-28")) == {"examined": 1, "actions": 1}
    assert sweep(admin, at("2026-12-28", "15:00"))["examined"] == 0  # once: the case left the index until 1 Jan
    assert sweep(admin, at("2026-12-31"))["examined"] == 0  # on due_on it is not overdue yet
    assert notes_of(admin, case_id, "visit_due", "visit_overdue") == [("visit_due", "139****0201", "sent")]

    assert sweep(admin, at("2027-01-01")) == {"examined": 1, "actions": 1}
    assert sweep(admin, at("2027-03-01")) == {"examined": 0, "actions": 0}
    assert notes_of(admin, case_id, "visit_due", "visit_overdue") == [
        ("visit_due", "139****0201", "sent"), ("visit_overdue", "139****0101", "sent")]
    visit_texts = [(phone, text) for phone, text in sms_sent() if "回访" in text]
    assert [phone for phone, _ in visit_texts] == ["+8613900000201", "+8613900000101"]
    assert "2026-12-31" in visit_texts[0][1] and "城南社区人民调解委员会" in visit_texts[1][1]

    view = admin.call("GET", f"/v1/cases/{case_id}").json
    visit = view["return_visits"][0]
    assert visit["due_notified_at"].startswith("2026-12-28") and visit["overdue_notified_at"].startswith("2027-01-01")
    events = [e for e in admin.call("GET", f"/v1/cases/{case_id}/events").json if e["type"] == "visit_notice"]
    assert [(e["detail"]["kind"], e["detail"]["to"]) for e in events] == [
        ("visit_due", "mediator"), ("visit_overdue", "org_head")]
    assert CaseModel.get(case_id).next_visit_check_on is None


def test_a_late_first_sweep_sends_both_and_the_shanghai_date_counts_with_quiet_hours(partner, admin):
    case_id = resolved(partner, admin, "V-LATE")["case_id"]
    # 00:30 on 1 Jan in Shanghai is still 31 Dec in UTC: the Shanghai date is after due_on, and it is night
    night = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.timezone.utc)
    assert sweep(admin, night) == {"examined": 1, "actions": 3}  # and the judicial confirmation window lapses
    assert notes_of(admin, case_id, "visit_due", "visit_overdue") == [
        ("visit_due", "139****0201", "deferred"), ("visit_overdue", "139****0101", "deferred")]
    assert not [text for _, text in sms_sent() if "回访" in text]
    wiring.current().supervision.run(as_of=at("2027-01-01", "08:00"))  # deferred SMS go out at 08:00
    drain("notify", "send_notifications")
    assert {s for _, _, s in notes_of(admin, case_id, "visit_due", "visit_overdue")} == {"sent"}


def test_no_notice_for_a_done_visit_or_a_closed_case(partner, admin):
    marriage = resolved(partner, admin, "V-DONE", category="marriage_family")["case_id"]  # +7, +30, +90
    closed = resolved(partner, admin, "V-CLOSED")["case_id"]
    wiring.current().clock.now = at("2026-12-02")
    assert admin.call("POST", f"/v1/cases/{marriage}/visit", GOOD).status == 200  # the first visit is done
    assert admin.call("POST", f"/v1/cases/{closed}/visit", GOOD).status == 200
    assert admin.call("POST", f"/v1/cases/{closed}/close", {}).status == 200
    assert CaseModel.get(closed).next_visit_check_on == "2026-12-24"  # only its judicial window's lapse

    result = sweep(admin, at("2027-06-01"))  # past every date: visits 2 and 3 owe both notices
    assert result == {"examined": 2, "actions": 6}  # and both unused judicial confirmation windows lapse
    events = [e["detail"] for e in admin.call("GET", f"/v1/cases/{marriage}/events").json
              if e["type"] == "visit_notice"]
    assert sorted((e["seq"], e["kind"]) for e in events) == [
        (2, "visit_due"), (2, "visit_overdue"), (3, "visit_due"), (3, "visit_overdue")]
    assert notes_of(admin, closed, "visit_due", "visit_overdue") == []


def test_the_sweep_reads_only_the_cases_that_owe_a_notice(partner, admin):
    for index, due in enumerate(("2026-12-01", "2026-12-10", "2026-12-20", "2027-01-05")):
        resolved(partner, admin, f"V-MANY-{index}", due=due)
    reads: list[int] = []

    def count(parsed, model, **kwargs):
        if model.name in ("Query", "Scan"):
            reads.append(parsed.get("ScannedCount", 0))

    client = CaseModel._get_connection().connection.client
    client.meta.events.register("after-call.dynamodb.*", count)
    try:
        result = sweep(admin, at("2027-01-07"))  # visits due 12-31 (yes), 01-09 (due notice), 01-19, 02-04
    finally:
        client.meta.events.unregister("after-call.dynamodb.*", count)
    assert result == {"examined": 4, "actions": 7}  # each case's unused judicial window lapsed on 12-24 too
    assert sum(reads) == 4  # the index returned those four and nothing else
    assert sweep(admin, at("2027-01-08")) == {"examined": 0, "actions": 0}  # nothing owed until 01-16


def test_as_of_is_refused_outside_the_local_stage(admin, monkeypatch):
    settings = wiring.current().settings
    monkeypatch.setattr(wiring.current(), "settings", type(settings)(**{**settings.__dict__, "stage": "prod"}))
    refused = admin.call("POST", "/v1/ops/sweeps/return-visits", {"as_of": "2026-12-28T09:00:00+08:00"})
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "as_of"
    assert admin.call("POST", "/v1/ops/sweeps/return-visits", {}).json == {"examined": 0, "actions": 0}


def test_only_admins_run_the_sweep(partner, admin):
    supervisor = admin.call("POST", "/v1/tokens", {"role": "supervisor", "jurisdiction": "320509"}).json["token"]
    refused = admin.http.call("POST", "/v1/ops/sweeps/return-visits", {},
                              headers={"Authorization": f"Bearer {supervisor}"})
    assert refused.status == 403


def test_the_daily_schedule_and_its_continuation(partner, admin):
    first = resolved(partner, admin, "V-SCHED-1")["case_id"]
    second = resolved(partner, admin, "V-SCHED-2")["case_id"]
    wiring.current().clock.now = at("2026-12-28")
    handler = app.handler_map["return_visit_sweep"]
    assert handler(scheduled_event("return-visit-sweep", at("2026-12-28")),
                   FakeLambdaContext("return_visit_sweep")) == {"examined": 2, "actions": 4, "complete": True}
    # out of time after the first case: the rest continues through the sweeps queue
    wiring.current().clock.now = at("2027-01-01")
    budget = iter([60_000, 1_000])
    result = wiring.current().return_visits.run(remaining_ms=lambda: next(budget))
    assert (result.examined, result.actions, result.complete) == (1, 1, False)
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("sweeps"))["QueueUrl"]
    body = json.loads(sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["Body"])
    assert body["sweep"] == "return_visits"
    assert drain("sweeps", "continue_sweeps") == 1
    for case_id in (first, second):
        assert len(notes_of(admin, case_id, "visit_overdue")) == 1


# ------------------------------------------------ visits and rectification


def test_rectification_then_a_later_good_visit_clears_it(partner, admin):
    case_id = resolved(partner, admin, "V-RECT", category="marriage_family")["case_id"]
    wiring.current().clock.now = at("2026-12-08")
    bad = admin.call("POST", f"/v1/cases/{case_id}/visit", BAD)
    assert bad.status == 200 and bad.json["rectification_required"] is True
    assert bad.json["return_visits"][0]["satisfaction"]["effect"] == "dissatisfied"
    assert bad.json["return_visits"][0]["done_at"].endswith("+08:00")  # like every time the API gives
    drain("notify", "send_notifications")
    assert notes_of(admin, case_id, "rectification") == [("rectification", "139****0101", "sent")]
    assert any("整改通报" in text for phone, text in sms_sent() if phone == "+8613900000101")

    refused = admin.call("POST", f"/v1/cases/{case_id}/close", {})
    assert refused.status == 409
    good = admin.call("POST", f"/v1/cases/{case_id}/visit", GOOD)
    assert good.json["rectification_required"] is False and good.json["return_visits"][1]["done_at"]
    assert admin.call("POST", f"/v1/cases/{case_id}/close", {}).status == 409  # visit 3 still open
    assert admin.call("POST", f"/v1/cases/{case_id}/visit", GOOD).status == 200
    closed = admin.call("POST", f"/v1/cases/{case_id}/close", {})
    assert closed.status == 200 and closed.json["status"] == "closed"
    assert admin.call("POST", f"/v1/cases/{case_id}/close", {}).status == 409  # closing twice


def test_a_problem_on_the_last_visit_adds_a_follow_up_visit(partner, admin):
    case_id = resolved(partner, admin, "V-FOLLOW", category="labor_wages")["case_id"]  # one visit
    wiring.current().clock.now = at("2026-12-04")
    bad = admin.call("POST", f"/v1/cases/{case_id}/visit", {**GOOD, "agreement_performed": "no"})
    assert bad.json["rectification_required"] is True
    follow_up = bad.json["return_visits"][1]
    assert (follow_up["seq"], follow_up["due_on"], follow_up["done_at"], follow_up["follow_up"]) == (
        2, "2026-12-19", None, True)
    assert admin.call("POST", f"/v1/cases/{case_id}/close", {}).status == 409
    assert sweep(admin, at("2026-12-16")) == {"examined": 1, "actions": 1}  # the follow-up is swept too
    assert admin.call("POST", f"/v1/cases/{case_id}/visit", GOOD).json["rectification_required"] is False
    assert admin.call("POST", f"/v1/cases/{case_id}/close", {}).status == 200


# -------------------------------------------------------------- bad input


def test_bad_outcome_input_is_refused_and_nothing_is_written(partner, admin):
    case_id = resolved(partner, admin, "V-BAD")["case_id"]
    other = resolved(partner, admin, "V-BAD-2")
    filed = partner.call("POST", "/v1/cases", new_case_body("V-BAD-3", parties=[{"name": "王五"}])).json["case_id"]
    drain("routing", "route_cases")
    assert admin.call("POST", f"/v1/cases/{filed}/accept", {}).status == 200

    def snapshot(cid):
        return admin.call("GET", f"/v1/cases/{cid}").json, len(admin.call("GET", f"/v1/cases/{cid}/events").json)

    before = {cid: snapshot(cid) for cid in (case_id, filed)}
    for body in ({"agreement": {"summary": "x", "performance_due": "2026-13-40"}},
                 {"agreement": {"summary": "x", "performance_due": "next week"}},
                 {"agreement": {"summary": "x", "performance_due": 20261231}},
                 {"agreement": {"summary": "x", "performance_due": "2026-11-22"}},  # before today (23 Nov)
                 {"agreement": {"summary": "x", "performance_due": "2036-12-31"}},  # beyond ten years
                 {"agreement": {"summary": "x", "performance_due": "9999-12-31"}},  # its visits past the calendar
                 {"agreement": {"summary": "x"}}):
        refused = admin.call("POST", f"/v1/cases/{filed}/resolve", body)
        assert refused.status == 422, (body, refused)
        assert refused.headers["content-type"] == "application/problem+json"
    for body in ({"referral": "court_of_heaven", "reason": "x"}, {"referral": "litigation"}):
        assert admin.call("POST", f"/v1/cases/{filed}/fail", body).status == 422
    assert admin.call("POST", f"/v1/cases/{filed}/visit", GOOD).status == 409  # not resolved: no visit open
    assert admin.call("POST", f"/v1/cases/{filed}/close", {}).status == 409
    assert admin.call("POST", f"/v1/cases/{case_id}/visit", {**GOOD, "agreement_performed": "maybe"}).status == 422
    assert admin.call("POST", f"/v1/cases/{case_id}/withdraw", {"reason": "x"}).status == 409  # not open
    assert admin.call("POST", f"/v1/cases/{case_id}/close", {}).status == 409  # its visit is open
    assert {cid: snapshot(cid) for cid in (case_id, filed)} == before

    other_id = other["case_id"]
    assert admin.call("POST", f"/v1/cases/{other_id}/visit", GOOD).status == 200
    done = snapshot(other_id)
    conflict = admin.call("POST", f"/v1/cases/{other_id}/visit", GOOD)
    assert conflict.status == 409 and "no planned return visit" in conflict.json["detail"]
    assert snapshot(other_id) == done


# -------------------------------------------------------------- callbacks


def test_partner_callbacks_fire_on_every_outcome(partner, admin):
    first = resolved(partner, admin, "CB-RES")["case_id"]  # dispatched, accepted, resolved
    wiring.current().clock.now = at("2026-12-02")
    admin.call("POST", f"/v1/cases/{first}/visit", GOOD)
    assert admin.call("POST", f"/v1/cases/{first}/close", {}).status == 200
    wiring.current().clock.now = None
    second = partner.call("POST", "/v1/cases", new_case_body("CB-FAIL", parties=[{"name": "甲"}])).json["case_id"]
    third = partner.call("POST", "/v1/cases", new_case_body("CB-WD", parties=[{"name": "乙"}])).json["case_id"]
    drain("routing", "route_cases")
    admin.call("POST", f"/v1/cases/{second}/accept", {})
    assert admin.call("POST", f"/v1/cases/{second}/fail", {"referral": "arbitration", "reason": "x"}).status == 200
    assert admin.call("POST", f"/v1/cases/{second}/close", {}).status == 200
    assert admin.call("POST", f"/v1/cases/{third}/withdraw", {"reason": "和解"}).status == 200

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("callbacks"))["QueueUrl"]
    payloads = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        payloads += [json.loads(m["Body"])["payload"] for m in messages]
    statuses = {cid: sorted(p["status"] for p in payloads if p["case_id"] == cid) for cid in (first, second, third)}
    assert statuses == {first: sorted(["dispatched", "accepted", "resolved", "closed"]),
                        second: sorted(["dispatched", "accepted", "unresolved", "closed"]),
                        third: sorted(["dispatched", "withdrawn"])}
    assert all(p["event"] == "case.status_changed" for p in payloads)


def test_a_visit_submitted_twice_at_once_is_recorded_once(partner, admin, monkeypatch, atomic_requests):
    """Both submissions read the case before either writes: the second, retried on the changed
    case, finds the visit it meant already done and gets 409 instead of filling the next one."""
    import threading

    from chalicelib.services.action_registry import RecordVisit
    from tests.integration.conftest import act_at_once

    case_id = resolved(partner, admin, "V-TWICE", category="marriage_family")["case_id"]
    store = wiring.current().case_store
    original_save = store.save_change
    both_read = threading.Barrier(2)
    waited: set[int] = set()

    def save_after_both_read(*args, **kwargs):
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            both_read.wait(timeout=10)
        return original_save(*args, **kwargs)

    monkeypatch.setattr(store, "save_change", save_after_both_read)
    outcomes = act_at_once(admin, case_id, [("visit", RecordVisit.model_validate_json(json.dumps(GOOD)))] * 2)
    assert sorted(outcomes) == ["conflict", "ok"]
    visits = admin.call("GET", f"/v1/cases/{case_id}").json["return_visits"]
    assert [v["done_at"] is not None for v in visits] == [True, False, False]
