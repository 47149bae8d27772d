"""The §11 actions through CaseActions and the supervision sweep, on the fakes: extensions (延期)
and suspension (中止), who may decide, the SMS and callbacks each calls for, the sweep's automatic
resume, the calendar each deadline is computed on, and concurrent writes.

MONDAY is 2026-11-23 10:00 +08:00. A blue case dispatched then has its resolve deadline at the
end of the 15th working day after it: Monday 2026-12-14 23:59:59."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.calendar import YearCalendar
from chalicelib.domain.enums import CaseStatus as S
from chalicelib.services.calendar import COVERAGE_METRIC
from chalicelib.services.commands import StatsQuery
from chalicelib.services.errors import Conflict, Forbidden, NotFound, Unprocessable
from tests.unit.services.builders import (
    ADMIN, COLLEAGUE, MEDIATOR, MONDAY, OTHER_SUPERVISOR, SHANGHAI, SUPERVISOR, parse)

WAITING_ACTIONS = ("request_extension", "decide_extension", "suspend", "resume")


def end_of(month: int, day: int, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, 23, 59, 59, tzinfo=SHANGHAI)


DEC_14_END = end_of(12, 14)


@pytest.fixture
def accepted(centre):
    return centre.case_at(S.ACCEPTED)


def callbacks_of(publisher, event: str) -> list[dict]:
    return [body["payload"] for body in publisher.bodies("callbacks") if body["payload"]["event"] == event]


def sms(store, case_id: str) -> list[tuple[str, str]]:
    return [(record["kind"], record["to"]) for record in store.notifications(case_id)]


# setup actions, action, event, SMS kinds it sends, deadline after it, callback reason
WAITING_PATHS = [
    ((), "request_extension", "extension_requested", [], DEC_14_END, None),
    (("request_extension",), "decide_extension", "extension_decided", ["extension_approved"], end_of(12, 21),
     "extension"),
    ((), "suspend", "suspended", [], DEC_14_END, None),
    (("suspend",), "resume", "resumed", [], DEC_14_END, None),  # resumed the day it was suspended: k = 0
]


def test_the_table_covers_every_waiting_action():
    assert tuple(row[1] for row in WAITING_PATHS) == WAITING_ACTIONS


@pytest.mark.parametrize(("setup", "name", "event", "kinds", "due", "reason"), WAITING_PATHS)
def test_a_waiting_action_stores_its_change_and_what_it_calls_for(
        centre, store, publisher, accepted, setup, name, event, kinds, due, reason):
    for step in setup:
        centre.act(accepted.case_id, step, MEDIATOR)
    before = store.get(accepted.case_id)
    notes_before = len(store.notifications(accepted.case_id))
    centre.act(accepted.case_id, name, ADMIN)
    stored = store.get(accepted.case_id)
    assert (stored.status, stored.version, stored.resolve_due_at) == (S.ACCEPTED, before.version + 1, due)
    assert centre.event_types(accepted.case_id)[-1] == event
    assert [k for k, _to in sms(store, accepted.case_id)[notes_before:]] == kinds
    changed = callbacks_of(publisher, "case.deadline_changed")
    assert [c["reason"] for c in changed] == ([reason] if reason else [])


def test_an_approval_tells_the_mediator_and_the_partner(centre, store, publisher, accepted):
    centre.act(accepted.case_id, "request_extension", MEDIATOR, working_days=5)
    centre.act(accepted.case_id, "decide_extension", SUPERVISOR)
    stored = store.get(accepted.case_id)
    assert (stored.resolve_due_at, stored.resolve_due_at_original) == (end_of(12, 21), DEC_14_END)
    assert sms(store, accepted.case_id)[-1] == ("extension_approved", "13900000201")  # M-CN-1
    assert "12-21 23:59" in store.notifications(accepted.case_id)[-1]["text"]
    assert callbacks_of(publisher, "case.deadline_changed") == [{
        "event": "case.deadline_changed", "case_id": accepted.case_id, "external_ref": "R-1",
        "resolve_due_at": "2026-12-21T23:59:59+08:00", "reason": "extension", "at": "2026-11-23T10:00:00+08:00"}]


@pytest.mark.parametrize(("principal", "error"), [
    (MEDIATOR, Forbidden), (COLLEAGUE, Forbidden),  # the case's own org may ask, not decide
    (OTHER_SUPERVISOR, NotFound),  # outside their jurisdiction the case is not in view
])
def test_only_a_covering_supervisor_or_an_admin_decides(centre, accepted, principal, error):
    centre.act(accepted.case_id, "request_extension", MEDIATOR)
    with centre.refuses(error):
        centre.act(accepted.case_id, "decide_extension", principal)
    assert centre.act(accepted.case_id, "decide_extension", SUPERVISOR, decision="reject").extension.status == "rejected"
    centre.act(accepted.case_id, "request_extension", MEDIATOR)
    assert centre.act(accepted.case_id, "decide_extension", ADMIN).extension.status == "approved"


@pytest.mark.parametrize(("setup", "name", "changes", "error"), [
    ((), "request_extension", {"working_days": 9}, Unprocessable),  # blue cap 8
    ((), "request_extension", {"working_days": 0}, Unprocessable),
    (("request_extension",), "request_extension", {}, Conflict),  # one pending at a time
    ((), "decide_extension", {}, Conflict),  # nothing pending
    ((), "suspend", {"resume_on": "2026-11-23"}, Unprocessable),  # not after today
    ((), "suspend", {"resume_on": "2026-12-24"}, Unprocessable),  # 31 days ahead
    (("suspend",), "suspend", {}, Conflict),
    ((), "resume", {}, Conflict),  # not suspended
    (("suspend", "resume", "suspend", "resume"), "suspend", {}, Conflict),  # a third in one dispatch
    ((), "suspend", {"expected_version": 1}, Conflict),
])
def test_a_refused_waiting_action_changes_nothing(centre, accepted, setup, name, changes, error):
    for step in setup:
        centre.act(accepted.case_id, step, MEDIATOR)
    with centre.refuses(error):
        centre.act(accepted.case_id, name, SUPERVISOR, **changes)


def test_the_waiting_actions_apply_to_accepted_cases_only(centre):
    dispatched = centre.case_at(S.DISPATCHED)
    for name in WAITING_ACTIONS:
        with centre.refuses(Conflict):
            centre.act(dispatched.case_id, name, ADMIN)


def test_an_extension_after_the_deadline_is_refused(centre, clock, accepted):
    clock.set(DEC_14_END + dt.timedelta(seconds=1))
    with centre.refuses(Conflict) as refused:
        centre.act(accepted.case_id, "request_extension", MEDIATOR)
    assert "deadline has passed" in refused.value.detail


# ---------------------------------------------------------------- the sweep

@pytest.fixture
def suspended(centre, accepted):
    """Suspended on MONDAY until Monday 2026-11-30."""
    centre.act(accepted.case_id, "suspend", MEDIATOR)
    centre.deliver_sms()
    return accepted


def test_the_sweep_takes_no_step_while_suspended_and_resumes_at_the_start_of_resume_on(
        container, centre, store, publisher, suspended):
    sweep = container.supervision.run
    assert sweep(as_of=dt.datetime(2026, 11, 29, 23, 59, tzinfo=SHANGHAI)).examined == 0
    result = sweep(as_of=dt.datetime(2026, 11, 30, 0, 5, tzinfo=SHANGHAI))
    stored = store.get(suspended.case_id)
    assert (result.examined, result.actions, stored.suspended) == (1, 1, False)
    assert stored.resolve_due_at == end_of(12, 21)  # five working days, Mon 11-23 .. Fri 11-27
    [resumed] = [e for e in store.events(suspended.case_id) if e.type == "resumed"]
    assert (resumed.actor, resumed.detail["automatic"], resumed.detail["working_days_suspended"]) == (
        "system:sweep", True, 5)
    ended = store.notifications(suspended.case_id)[-1]
    assert (ended["kind"], ended["status"]) == ("suspension_ended", "deferred")  # 00:05: quiet hours
    assert [c["reason"] for c in callbacks_of(publisher, "case.deadline_changed")] == ["suspension"]
    assert sweep(as_of=dt.datetime(2026, 11, 30, 0, 10, tzinfo=SHANGHAI)).actions == 0  # once


def test_a_case_suspended_past_its_deadline_is_not_supervised_then_gets_a_new_ladder(
        container, centre, store, accepted):
    centre.act(accepted.case_id, "suspend", MEDIATOR, resume_on="2026-12-23")
    sweep = container.supervision.run
    assert sweep(as_of=end_of(12, 20)).actions == 0  # six days past the old deadline
    assert store.get(accepted.case_id).supervision_level == 0
    sweep(as_of=dt.datetime(2026, 12, 23, 9, tzinfo=SHANGHAI))
    stored = store.get(accepted.case_id)
    # suspended Mon 11-23, resumed Wed 12-23: 22 working days; 22 after Mon 12-14 is Wed 2027-01-13
    # (January 2027 counts Monday to Friday here: the fakes hold no operator year)
    assert stored.resolve_due_at == end_of(1, 13, 2027)
    assert (stored.supervision_level, stored.supervision_steps) == (0, [])


def test_the_sweep_records_how_far_the_calendar_reaches(container, metrics, calendar_store):
    container.supervision.run(as_of=MONDAY)
    assert metrics.last(COVERAGE_METRIC) == 38  # 2026-11-23 .. 2026-12-31
    calendar_store.save_year(YearCalendar.set_by_operator(2027, [dt.date(2027, 1, 1)], [], MONDAY, "admin"))
    container.supervision.run(as_of=MONDAY)
    assert metrics.last(COVERAGE_METRIC) == 38 + 365


# ---------------------------------------------------------- the calendar

def test_dispatch_and_decisions_use_the_operator_calendar_in_force_then(centre, clock, calendar_store, store):
    clock.set(dt.datetime(2026, 12, 21, 10, tzinfo=SHANGHAI))  # Monday; 8 working days left in 2026
    before = centre.case_at(S.ACCEPTED, "C-1")
    assert before.resolve_due_at == end_of(1, 11, 2027)  # 2027 Monday to Friday: Jan 1, 4-8, 11
    calendar_store.save_year(YearCalendar.set_by_operator(
        2027, [dt.date(2027, 1, 1)], [], clock(), "admin"))
    after = centre.case_at(S.ACCEPTED, "C-2")
    assert after.resolve_due_at == end_of(1, 12, 2027)  # New Year's Day off
    assert store.get(before.case_id).resolve_due_at == end_of(1, 11, 2027)  # set deadlines stay


# ------------------------------------------------------------ concurrency

def test_an_approval_racing_a_sweep_step_ends_with_one_deadline_and_one_decision(
        container, centre, store, clock, accepted):
    centre.act(accepted.case_id, "request_extension", MEDIATOR)
    clock.set(DEC_14_END - dt.timedelta(hours=1))  # the reminder is due
    store.interleave(lambda: container.supervision.run())
    centre.act(accepted.case_id, "decide_extension", SUPERVISOR)
    stored = store.get(accepted.case_id)
    assert stored.resolve_due_at == end_of(12, 21)
    assert centre.event_types(accepted.case_id).count("extension_decided") == 1
    assert [e.detail["step"] for e in store.events(accepted.case_id) if e.type == "supervision"] == ["reminder"]
    assert stored.supervision_steps == []  # the new deadline's ladder starts afresh


def test_a_resume_racing_the_automatic_resume_ends_with_one_resume(container, centre, store, clock, suspended):
    clock.set(dt.datetime(2026, 11, 30, 9, tzinfo=SHANGHAI))
    store.interleave(lambda: container.supervision.run())
    with pytest.raises(Conflict):
        centre.act(suspended.case_id, "resume", MEDIATOR)
    assert centre.event_types(suspended.case_id).count("resumed") == 1
    assert store.get(suspended.case_id).resolve_due_at == end_of(12, 21)


# -------------------------------------------------------------- statistics

def test_the_extension_rate_and_the_on_time_rate_use_the_deadline_in_force(centre, container, clock):
    extended = centre.case_at(S.ACCEPTED, "E-1")
    plain = centre.case_at(S.ACCEPTED, "E-2")
    centre.act(extended.case_id, "request_extension", MEDIATOR, working_days=5)
    centre.act(extended.case_id, "decide_extension", SUPERVISOR)
    clock.set(end_of(12, 18))  # after the original deadline, before the extended one
    for case in (extended, plain):
        centre.act(case.case_id, "fail", MEDIATOR)
    figures = container.stats.figures(parse(StatsQuery, {"region": "320509", "from": "2026-11-23",
                                                          "to": "2026-11-23"}), ADMIN)
    assert (figures["extension_rate"], figures["on_time_rate"]) == (0.5, 0.5)
    assert figures["counts"]["concluded_extended"] == 1


def test_a_sweep_reads_the_calendar_once_and_resumes_every_case_on_it(container, centre, store, calendar_store):
    cases = [centre.case_at(S.ACCEPTED, f"W-{i}") for i in range(3)]
    for case in cases:
        centre.act(case.case_id, "suspend", MEDIATOR)
    reads = calendar_store.reads
    result = container.supervision.run(as_of=dt.datetime(2026, 11, 30, 9, tzinfo=SHANGHAI))
    assert calendar_store.reads - reads == 1
    assert result.examined == 3 and not any(store.get(case.case_id).suspended for case in cases)
