"""The supervision sweep (督办, §6) against moto: the ladder, once-only steps, faults, self-heal."""

from __future__ import annotations

import datetime as dt
import threading

import boto3
import pytest

from chalicelib import wiring
from chalicelib.config import queue_name
from chalicelib.domain.calendar import LIBRARY_CALENDAR
from tests.integration.conftest import staff_token
from tests.support import drain, new_case_body, open_cases, sms_sent

MICRO = dt.timedelta(microseconds=1)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
"""Dispatch time of the cases below: a Monday morning, so the ladder meets no quiet hours early on."""


def dispatched(partner, admin, ref="S-1", **overrides) -> dict:
    wiring.current().clock.now = BASE  # filed and routed at BASE (the partner signs on that clock)
    case_id = partner.call("POST", "/v1/cases", new_case_body(ref, **overrides)).json["case_id"]
    drain("routing", "route_cases")
    drain("notify", "send_notifications")
    return admin.call("GET", f"/v1/cases/{case_id}").json


def sweep(admin, at: dt.datetime) -> dict:
    result = admin.call("POST", "/v1/ops/sweeps/supervision", {"as_of": at.isoformat()})
    assert result.status == 200, result
    drain("notify", "send_notifications")
    return result.json


def supervision_events(admin, case_id: str) -> list[dict]:
    return [e for e in admin.call("GET", f"/v1/cases/{case_id}/events").json if e["type"] == "supervision"]


def test_the_ladder_step_by_step_each_step_once(partner, admin):
    case = dispatched(partner, admin)
    case_id = case["case_id"]
    due = BASE + dt.timedelta(hours=24)
    assert dt.datetime.fromisoformat(case["accept_due_at"]) == due

    def steps() -> list[str]:
        return [e["detail"]["step"] for e in supervision_events(admin, case_id)]

    assert sweep(admin, BASE + dt.timedelta(hours=11, minutes=59))["examined"] == 0
    # a 24 h window is "48 h or less": the reminder comes at halfway
    sweep(admin, BASE + dt.timedelta(hours=12))
    sweep(admin, BASE + dt.timedelta(hours=13))  # once per deadline, however often the sweep runs
    assert steps() == ["reminder"]
    view = admin.call("GET", f"/v1/cases/{case_id}").json
    assert (view["supervision_level"], view["overdue"]) == (0, False)

    assert sweep(admin, due)["examined"] == 0  # exactly on the deadline is not past it
    sweep(admin, due + MICRO)
    view = admin.call("GET", f"/v1/cases/{case_id}").json
    assert (view["supervision_level"], view["overdue"]) == (1, True)

    letter_at = LIBRARY_CALENDAR.end_of_nth_working_day_after(due, 1)  # end of Wednesday
    assert letter_at == dt.datetime(2026, 11, 25, 23, 59, 59, tzinfo=SHANGHAI)
    sweep(admin, letter_at)
    assert steps() == ["reminder", "overdue"]
    sweep(admin, letter_at + dt.timedelta(seconds=1))
    assert admin.call("GET", f"/v1/cases/{case_id}").json["supervision_level"] == 2
    letters = admin.call("GET", f"/v1/cases/{case_id}/supervision-letters").json
    assert len(letters) == 1 and letters[0]["addressee_org_id"] == "V-CN"
    assert letters[0]["number"].startswith("督办〔2026〕") and letters[0]["date"] == "2026-11-26"
    as_partner = partner.call("GET", f"/v1/cases/{case_id}/supervision-letters")
    assert as_partner.status == 403

    escalate_at = LIBRARY_CALENDAR.end_of_nth_working_day_after(due, 3) + dt.timedelta(seconds=1)  # Saturday 00:00:00
    sweep(admin, escalate_at - dt.timedelta(seconds=1))
    assert admin.call("GET", f"/v1/cases/{case_id}").json["status"] == "dispatched"
    sweep(admin, escalate_at)
    view = admin.call("GET", f"/v1/cases/{case_id}").json
    assert (view["status"], view["supervision_level"]) == ("received", 3)
    assert open_cases("M-CN-1") == 0
    wiring.current().clock.now = escalate_at
    drain("routing", "route_cases")
    view = admin.call("GET", f"/v1/cases/{case_id}").json
    assert (view["status"], view["tier"], view["org_id"], view["supervision_level"]) == (
        "dispatched", "town", "T-SL", 3)
    assert steps() == ["reminder", "overdue", "supervision_letter", "escalation"]

    sweep(admin, escalate_at.replace(hour=8))  # the SMS deferred by the night go out at 08:00
    notes = admin.call("GET", f"/v1/cases/{case_id}/notifications").json
    by_kind = {n["kind"]: n for n in notes}
    assert {k: by_kind[k]["to"] for k in ("reminder", "overdue", "supervision_letter", "escalated")} == {
        "reminder": "139****0201", "overdue": "139****0201", "supervision_letter": "139****0101",
        "escalated": "139****0101"}
    assert all(n["status"] == "sent" for n in notes), notes
    texts = [text for phone, text in sms_sent() if phone == "+8613900000101"]
    assert any("督办函" in t for t in texts) and any("挂牌督办" in t for t in texts)


def test_a_sweep_past_several_steps_takes_them_all_and_two_sweeps_do_not_double(partner, admin, atomic_requests):
    case = dispatched(partner, admin, "S-ALL")
    far = dt.datetime.fromisoformat(case["accept_due_at"]) + dt.timedelta(days=30)
    results: list[int] = []
    sweeper = wiring.current().supervision
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        results.append(sweeper.run(as_of=far).actions)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 4]
    steps = [e["detail"]["step"] for e in supervision_events(admin, case["case_id"])]
    assert steps == ["reminder", "overdue", "supervision_letter", "escalation"]


def test_a_case_escalated_as_of_a_moment_is_dispatched_as_of_it_and_not_escalated_again(partner, admin):
    """The router runs on the wall clock, days before the sweep's `as_of`: the new dispatch
    still counts from the escalation, so a second sweep at the same moment has nothing to do."""
    case = dispatched(partner, admin, "S-ASOF")
    far = dt.datetime.fromisoformat(case["accept_due_at"]) + dt.timedelta(days=30)
    assert sweep(admin, far)["actions"] == 4
    wiring.current().clock.now = BASE  # the router's clock: a month earlier
    drain("routing", "route_cases")
    view = admin.call("GET", f"/v1/cases/{case['case_id']}").json
    assert (view["status"], view["tier"]) == ("dispatched", "town")
    assert dt.datetime.fromisoformat(view["accept_due_at"]) == far + dt.timedelta(hours=24)
    assert sweep(admin, far) == {"examined": 0, "actions": 0}
    assert admin.call("GET", f"/v1/cases/{case['case_id']}").json["tier"] == "town"


def test_an_unroutable_case_is_tried_again_two_minutes_after_intake(partner, admin):
    for mediator in ("M-CN-1", "M-SL-1", "M-WJ-1"):
        assert admin.call("PATCH", f"/v1/mediators/{mediator}", {"active": False}).status == 200
    wiring.current().clock.now = None
    created = partner.call("POST", "/v1/cases", new_case_body("S-NOBODY")).json
    drain("routing", "route_cases")
    assert admin.call("GET", f"/v1/cases/{created['case_id']}").json["status"] == "received"
    assert admin.call("PATCH", "/v1/mediators/M-CN-1", {"active": True}).status == 200  # an org can take it now
    received = dt.datetime.fromisoformat(created["received_at"])
    assert sweep(admin, received + dt.timedelta(minutes=1))["actions"] == 0
    assert sweep(admin, received + dt.timedelta(minutes=2, seconds=1))["actions"] == 1
    assert admin.call("GET", f"/v1/cases/{created['case_id']}").json["status"] == "dispatched"


def test_a_sweep_holding_a_stale_copy_takes_nothing_twice(partner, admin):
    case = dispatched(partner, admin, "S-STALE")
    far = dt.datetime.fromisoformat(case["accept_due_at"]) + dt.timedelta(days=30)
    stale = wiring.current().case_store.get(case["case_id"])
    assert wiring.current().supervision.run(as_of=far).actions == 4
    # a second sweep read the case before the first one wrote: its write loses, it re-reads, nothing is left
    assert wiring.current().supervision.handle(stale, far) == 0
    assert len(supervision_events(admin, case["case_id"])) == 4


def test_a_sweep_that_crashes_half_way_loses_no_step(partner, admin, monkeypatch):
    first = dispatched(partner, admin, "S-CRASH-1")
    second = dispatched(partner, admin, "S-CRASH-2")
    far = dt.datetime.fromisoformat(second["accept_due_at"]) + dt.timedelta(days=30)
    sweeper = wiring.current().supervision
    original = sweeper.handle
    calls = {"n": 0}

    def crash_on_second(case, now, outbox=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("Lambda killed")
        return original(case, now, outbox)

    monkeypatch.setattr(sweeper, "handle", crash_on_second)
    try:
        sweeper.run(as_of=far)
    except RuntimeError:
        pass
    monkeypatch.setattr(sweeper, "handle", original)
    assert sweeper.run(as_of=far).actions == 4  # the next sweep finds the one not done, and only it
    for case in (first, second):
        assert len(supervision_events(admin, case["case_id"])) == 4


def test_district_cases_are_listed_but_not_escalated(partner, admin):
    case = dispatched(partner, admin, "S-DIST", party_count=12)
    assert case["tier"] == "district"
    far = dt.datetime.fromisoformat(case["accept_due_at"]) + dt.timedelta(days=30)
    assert sweep(admin, far)["actions"] == 4
    view = admin.call("GET", f"/v1/cases/{case['case_id']}").json
    assert (view["status"], view["supervision_level"], view["org_id"]) == ("dispatched", 3, "D-WJ")
    kinds = [n["kind"] for n in admin.call("GET", f"/v1/cases/{case['case_id']}/notifications").json]
    assert "escalated" not in kinds


def test_accepting_moves_the_case_to_the_resolve_deadline(partner, admin):
    case = dispatched(partner, admin, "S-ACC")
    due = BASE + dt.timedelta(hours=24)
    sweep(admin, due + MICRO)  # reminder + overdue on the accept deadline
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    accepted = mediator.call("POST", f"/v1/cases/{case['case_id']}/accept", {})
    assert accepted.status == 200
    assert (accepted.json["overdue"], accepted.json["supervision_level"]) == (False, 1)  # level never lowered
    assert sweep(admin, due + dt.timedelta(hours=1))["examined"] == 0


def test_a_case_accepted_while_the_sweep_escalates_it_loses_no_step(partner, admin, monkeypatch):
    case = dispatched(partner, admin, "S-RACE")
    store = wiring.current().case_store
    stale = store.get(case["case_id"])
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    assert mediator.call("POST", f"/v1/cases/{case['case_id']}/accept", {}).status == 200
    far = dt.datetime.fromisoformat(case["accept_due_at"]) + dt.timedelta(days=30)
    # the sweep read the case before the accept; its write meets the version check and it re-reads
    assert wiring.current().supervision.handle(stale, far) == 4
    view = admin.call("GET", f"/v1/cases/{case['case_id']}").json
    # re-read: the case is on its resolve deadline now, whose whole ladder is due 30 days on
    assert view["status"] == "received" and view["supervision_level"] == 3
    steps = [(e["detail"]["deadline"], e["detail"]["step"]) for e in supervision_events(admin, case["case_id"])]
    assert steps == [("resolve", "reminder"), ("resolve", "overdue"), ("resolve", "supervision_letter"),
                     ("resolve", "escalation")]


def test_self_heal_routes_a_case_whose_routing_message_was_lost(partner, admin):
    created = partner.call("POST", "/v1/cases", new_case_body("S-LOST")).json
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("routing"))["QueueUrl"]
    lost = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    received = dt.datetime.fromisoformat(created["received_at"])
    assert sweep(admin, received + dt.timedelta(minutes=1))["actions"] == 0
    assert sweep(admin, received + dt.timedelta(minutes=2, seconds=1))["actions"] == 1
    assert admin.call("GET", f"/v1/cases/{created['case_id']}").json["status"] == "dispatched"
    # the original message arrives late: no second dispatch
    assert wiring.current().routing.route(created["case_id"]) == "already_routed"
    assert len(lost) == 1 and open_cases("M-CN-1") == 1


def test_deferred_sms_go_out_with_the_first_sweep_at_or_after_eight(partner, admin):
    night = BASE.replace(hour=23)
    wiring.current().clock.now = night
    created = partner.call("POST", "/v1/cases", new_case_body("S-NIGHT")).json
    drain("routing", "route_cases")
    notes = admin.call("GET", f"/v1/cases/{created['case_id']}/notifications").json
    assert [n["status"] for n in notes] == ["deferred"]
    morning = (night + dt.timedelta(days=1)).replace(hour=7, minute=59)
    sweep(admin, morning)
    assert admin.call("GET", f"/v1/cases/{created['case_id']}/notifications").json[0]["status"] == "deferred"
    sweep(admin, morning.replace(hour=8, minute=0))
    assert admin.call("GET", f"/v1/cases/{created['case_id']}/notifications").json[0]["status"] == "sent"
    assert len(sms_sent()) == 1


def test_an_sms_retried_at_night_waits_for_eight_unless_its_case_is_red(partner, admin, monkeypatch):
    """SNS fails at 21:58; the sends fall due again at 22:03. In quiet hours only a red case's go."""
    evening = BASE.replace(hour=21, minute=58)
    wiring.current().clock.now = evening
    blue = partner.call("POST", "/v1/cases", new_case_body("S-RETRY-BLUE")).json["case_id"]
    red = partner.call("POST", "/v1/cases", new_case_body("S-RETRY-RED", risk_indicators=["threat_of_violence"])
                       ).json["case_id"]
    sender = wiring.current().sms_sender
    original_send = sender.send

    def down(message):
        raise RuntimeError("SNS down")

    monkeypatch.setattr(sender, "send", down)
    wiring.current().clock.now = evening
    drain("routing", "route_cases")
    drain("notify", "send_notifications", rounds=1)
    monkeypatch.setattr(sender, "send", original_send)

    def statuses(case_id):
        return {n["kind"]: n["status"] for n in admin.call("GET", f"/v1/cases/{case_id}/notifications").json}

    assert statuses(blue) == {"dispatch": "failed"}
    assert statuses(red) == {"dispatch": "failed", "red_alert": "failed"}
    sweep(admin, evening.replace(hour=22, minute=30))
    assert statuses(blue) == {"dispatch": "failed"}
    assert (statuses(red)["dispatch"], statuses(red)["red_alert"]) == ("sent", "sent")  # with its sweep SMS
    due_tonight = wiring.current().outbox.notifications_to_release(evening.replace(hour=23, minute=59))
    assert [r["case_id"] for r in due_tonight] == []  # the blue one moved to 08:00: not re-read all night
    next_morning = evening + dt.timedelta(days=1)
    sweep(admin, next_morning.replace(hour=7, minute=55))
    assert statuses(blue) == {"dispatch": "failed"}
    sweep(admin, next_morning.replace(hour=8, minute=0))
    assert statuses(blue) == {"dispatch": "sent"}


def test_the_sweep_reads_only_due_cases(partner, admin):
    for index in range(6):
        dispatched(partner, admin, f"S-MANY-{index}")
    first = admin.call("GET", "/v1/cases", query={"limit": 1}).json["items"][0]
    due = dt.datetime.fromisoformat(first["accept_due_at"])
    result = sweep(admin, due - dt.timedelta(hours=6))  # past every reminder, before any deadline
    assert (result["examined"], result["actions"]) == (6, 6)
    assert sweep(admin, due - dt.timedelta(hours=5))["examined"] == 0  # nothing due: nothing read


@pytest.mark.parametrize("path", ["/v1/ops/sweeps/supervision", "/v1/ops/sweeps/return-visits"])
@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00+00:00", "2026-11-22T08:00:00",
                                   "tomorrow", 1764000000])
def test_an_implausible_as_of_is_422(partner, admin, path, as_of):
    dispatched(partner, admin, "S-FAR")
    refused = admin.call("POST", path, {"as_of": as_of})
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "as_of"


def test_as_of_is_refused_outside_the_local_stage(admin, monkeypatch):
    settings = wiring.current().settings
    monkeypatch.setattr(wiring.current(), "settings", type(settings)(**{**settings.__dict__, "stage": "prod"}))
    refused = admin.call("POST", "/v1/ops/sweeps/supervision", {"as_of": "2026-11-22T08:00:00+08:00"})
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "as_of"
    assert admin.call("POST", "/v1/ops/sweeps/supervision", {}).status == 200


def test_a_sweep_out_of_time_continues_through_the_sweeps_queue(partner, admin):
    cases = [dispatched(partner, admin, f"S-LONG-{i}") for i in range(3)]
    far = BASE + dt.timedelta(days=30)
    budget = iter([60_000, 60_000, 1_000])  # the third case finds the Lambda nearly out of time
    result = wiring.current().supervision.run(as_of=far, remaining_ms=lambda: next(budget))
    assert (result.examined, result.complete) == (2, False)
    assert drain("sweeps", "continue_sweeps") == 1  # the continuation runs the same sweep again
    drain("notify", "send_notifications")
    for case in cases:
        assert len(supervision_events(admin, case["case_id"])) == 4


def test_a_sweep_run_on_demand_in_the_local_stage_has_a_time_budget_and_continues_through_the_queue(
        partner, admin, monkeypatch):
    """`POST /v1/ops/sweeps/supervision` in the local stage stops taking cases when its budget is
    spent, as a scheduled sweep does when its Lambda runs short, and the sweeps queue goes on."""
    from chalicelib.api import ops
    from chalicelib.services.sweeping import TIME_BUDGET_RESERVE_MS

    case = dispatched(partner, admin, "S-BUDGET")
    monkeypatch.setattr(ops, "LOCAL_SWEEP_BUDGET_SECONDS", TIME_BUDGET_RESERVE_MS / 1000 - 1)  # spent at once
    far = BASE + dt.timedelta(days=30)
    assert sweep(admin, far) == {"examined": 0, "actions": 0}
    assert supervision_events(admin, case["case_id"]) == []
    monkeypatch.setattr(ops, "LOCAL_SWEEP_BUDGET_SECONDS", 60)
    assert drain("sweeps", "continue_sweeps") == 2  # supervision's and the patrol reports' continuations
    assert len(supervision_events(admin, case["case_id"])) == 4


def test_a_sweeps_reminders_to_one_mediator_go_as_one_digest(partner, admin, monkeypatch):
    cases = [dispatched(partner, admin, f"S-BATCH-{index}")["case_id"] for index in range(12)]
    publisher = wiring.current().publisher
    published: list[list[dict]] = []
    original = publisher.publish_batch

    def recording(role, messages):
        published.append(list(messages))
        return original(role, messages)

    monkeypatch.setattr(publisher, "publish_batch", recording)
    before = len(sms_sent())
    sweep(admin, BASE + dt.timedelta(hours=12, minutes=30))  # 12 reminders to M-CN-1
    digests = [m for batch in published for m in batch if len(m.get("notifications", ())) == 12]
    assert len(digests) == 1
    reminders = [text for _, text in sms_sent()[before:] if "到期" in text]
    assert len(reminders) == 1 and reminders[0].startswith("【和为贵】您有12件案件即将到期")
    records = [n for case_id in cases for n in admin.call("GET", f"/v1/cases/{case_id}/notifications").json
               if n["kind"] == "reminder"]
    assert {(n["status"], n["digest"]["count"], n["provider"]) for n in records} == {("sent", 12, "sns")}
    assert len({n["message_id"] for n in records}) == 1


def test_an_sms_whose_sender_died_after_claiming_it_is_sent_by_the_sweep_once_the_lease_is_over(partner, admin):
    """A notify function that timed out between claim and settle leaves the record `sending`."""
    from chalicelib.domain.notices import CLAIMABLE
    from chalicelib.services.notifications import CLAIM_LEASE

    wiring.current().clock.now = BASE
    case_id = partner.call("POST", "/v1/cases", new_case_body("S-LEASE")).json["case_id"]
    drain("routing", "route_cases")
    (record,) = wiring.current().case_store.notifications(case_id)
    assert wiring.current().outbox.claim_notification(case_id, record["sk"], CLAIMABLE, BASE, BASE + CLAIM_LEASE)
    drain("notify", "send_notifications")  # the queue's message finds it taken
    assert sms_sent() == []
    for moment in (BASE + CLAIM_LEASE - dt.timedelta(seconds=1), BASE + CLAIM_LEASE,
                   BASE + CLAIM_LEASE + dt.timedelta(minutes=5)):
        wiring.current().clock.now = moment  # the lease runs on the service's clock
        sweep(admin, moment)
        if moment < BASE + CLAIM_LEASE:
            assert [n["status"] for n in admin.call("GET", f"/v1/cases/{case_id}/notifications").json] == [
                "sending"]
    assert [n["status"] for n in admin.call("GET", f"/v1/cases/{case_id}/notifications").json] == ["sent"]
    assert len(sms_sent()) == 1
