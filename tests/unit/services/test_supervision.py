"""SupervisionSweep.run (督办): the ladder of a dispatched case step by step and all at once, each step
once, the self-heal of a case a lost message left `received`, concurrent writes, and the time budget."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.enums import CaseStatus, Tier
from chalicelib.services.sweeping import TIME_BUDGET_RESERVE_MS
from tests.unit.services.builders import MONDAY, SHANGHAI

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


def at(day: int, hour: int) -> dt.datetime:
    """A moment of the week of MONDAY (23 November 2026), Asia/Shanghai."""
    return dt.datetime(2026, 11, day, hour, tzinfo=SHANGHAI)


# An orange case dispatched at MONDAY 10:00 to the town org T-SL: accept within 4 h.
# (sweep moment, examined, steps taken so far)
LADDER = [
    (MONDAY + 2 * HOUR - MINUTE, 0, []),
    (MONDAY + 2 * HOUR, 1, ["reminder"]),  # halfway through a window of 48 h or less
    (MONDAY + 3 * HOUR, 0, ["reminder"]),
    (MONDAY + 4 * HOUR, 0, ["reminder"]),  # on the deadline is not past it
    (MONDAY + 4 * HOUR + MINUTE, 1, ["reminder", "overdue"]),
    (at(25, 10), 1, ["reminder", "overdue", "supervision_letter"]),  # past the end of the next working day
    (at(26, 10), 0, ["reminder", "overdue", "supervision_letter"]),
    (at(27, 10), 1, ["reminder", "overdue", "supervision_letter", "escalation"]),  # past the third
]


@pytest.fixture
def sweep(container):
    return container.supervision.run


@pytest.fixture
def orange(centre):
    case = centre.case_at(CaseStatus.DISPATCHED, "S-1", risk_indicators=["group_dispute"])
    centre.deliver_sms()  # the dispatch SMS is sent: the sweeps below have no straggler to send
    return case


def steps(store, case_id: str) -> list[str]:
    return [e.detail["step"] for e in store.events(case_id) if e.type == "supervision"]


def test_the_ladder_step_by_step_each_step_once(sweep, orange, store):
    assert orange.org_id == "T-SL" and orange.accept_due_at == MONDAY + 4 * HOUR
    for moment, examined, taken in LADDER:
        assert (sweep(as_of=moment).examined, steps(store, orange.case_id)) == (examined, taken), moment


def test_a_sweep_past_every_step_takes_them_all_in_one_write(centre, sweep, orange, store, publisher):
    result = sweep(as_of=at(30, 10))
    assert (result.examined, result.actions, result.complete) == (1, 4, True)
    case = store.get(orange.case_id)
    assert (case.status, case.version, case.supervision_level, case.route_floor) == (
        CaseStatus.RECEIVED, orange.version + 1, 3, Tier.DISTRICT)
    assert steps(store, orange.case_id) == ["reminder", "overdue", "supervision_letter", "escalation"]
    assert centre.open_cases("M-SL-1") == 0
    [letter] = store.supervision_letters(orange.case_id)
    assert (letter["addressee_org_id"], letter["addressee_org_name"], letter["date"], letter["deadline"]) == (
        "T-SL", "松陵街道人民调解委员会", "2026-11-30", "accept")
    assert {(n["kind"], n["to"]) for n in store.notifications(orange.case_id)} >= {
        ("reminder", "13900000202"), ("overdue", "13900000202"), ("supervision_letter", "13900000102"),
        ("escalated", "13900000102")}
    assert publisher.bodies("routing")[-1]["reason"] == "supervision_escalation"
    assert publisher.bodies("callbacks")[-1]["payload"]["status"] == "received"
    assert sweep(as_of=at(30, 10)).examined == 0  # the escalated case waits for its routing message


def test_the_sms_of_a_run_are_enqueued_once_its_writes_are_done(sweep, orange, store, publisher):
    enqueued = len(publisher.bodies("notify"))
    sweep(as_of=at(30, 10))
    swept = [n for n in store.notifications(orange.case_id) if n["kind"] != "dispatch"]
    assert {n["status"] for n in swept} == {"pending"}
    assert sorted(body["sk"] for body in publisher.bodies("notify")[enqueued:]) == [n["sk"] for n in swept]


def test_a_case_a_lost_message_left_received_is_routed_by_the_sweep(centre, sweep, store):
    case = centre.file("S-2")
    assert sweep(as_of=MONDAY + MINUTE).examined == 0
    result = sweep(as_of=MONDAY + 2 * MINUTE)
    assert (result.examined, result.actions) == (1, 1)
    routed = store.get(case.case_id)
    assert (routed.status, routed.dispatched_at) == (CaseStatus.DISPATCHED, MONDAY + 2 * MINUTE)


def test_a_concurrent_note_makes_the_sweep_read_again_and_take_the_step_once(centre, sweep, orange, store):
    store.interleave(lambda: centre.act(orange.case_id, "note"))
    assert sweep(as_of=MONDAY + 2 * HOUR).actions == 1
    assert steps(store, orange.case_id) == ["reminder"]
    assert centre.event_types(orange.case_id)[-2:] == ["note", "supervision"]


def test_a_case_accepted_meanwhile_owes_no_reminder_on_its_accept_deadline(centre, sweep, orange, store):
    store.interleave(lambda: centre.act(orange.case_id, "accept"))
    assert sweep(as_of=MONDAY + 2 * HOUR).actions == 0
    assert steps(store, orange.case_id) == [] and store.get(orange.case_id).status is CaseStatus.ACCEPTED


def test_a_sweep_short_of_time_continues_in_a_new_invocation(sweep, orange, store, publisher):
    result = sweep(as_of=at(30, 10), remaining_ms=lambda: TIME_BUDGET_RESERVE_MS - 1)
    assert (result.examined, result.complete) == (0, False)
    assert publisher.bodies("sweeps") == [{"sweep": "supervision", "as_of": at(30, 10).isoformat()}]
    assert steps(store, orange.case_id) == []


def test_a_case_due_again_within_a_run_is_examined_once_and_left_for_the_next_run(sweep, orange, store,
                                                                                  monkeypatch):
    """DynamoDB's due index is read page by page while the run writes: a case whose write moved its
    due time forward, still before a far-future `as_of` (or re-dispatched with deadlines already
    past), shows again further down. The run examines it once; it never loops on the same cases."""
    listed = store.due_for_supervision

    def index_read_while_written(now):
        first = list(listed(now))
        yield from first
        yield from first  # the same cases again, further down the index

    monkeypatch.setattr(store, "due_for_supervision", index_read_while_written)
    result = sweep(as_of=at(30, 10))
    assert result.examined == 1
    assert steps(store, orange.case_id) == ["reminder", "overdue", "supervision_letter", "escalation"]


def test_the_sweep_first_sends_sms_whose_queue_message_was_lost(centre, sweep, publisher, sms):
    publisher.fail("notify")
    centre.case_at(CaseStatus.DISPATCHED, "S-3")
    publisher.recover()
    assert sweep(as_of=MONDAY + MINUTE / 2).actions == 0 and publisher.bodies("notify") == []
    assert sweep(as_of=MONDAY + MINUTE).actions == 1  # on the notify queue again, for its sender
    centre.deliver_sms()
    assert sms.sent[0][0] == "13900000201"


def test_the_sweep_runs_on_the_service_clock_without_as_of(sweep, orange, clock, store):
    clock.set(MONDAY + 2 * HOUR)
    assert sweep().actions == 1 and steps(store, orange.case_id) == ["reminder"]
