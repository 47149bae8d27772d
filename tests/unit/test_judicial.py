"""Judicial confirmation (司法确认): the application's status machine, its dates and the sweep's days."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.judicial import (
    CLOSING_NOTIFIED, JudicialRefused, JudicialStatus as S, JudicialStep as Step, BadStepValue, closing_notice_on,
    lapse_on, next_check_on, state_of, take_step)

D = dt.date
EFFECTIVE = D(2026, 11, 2)
TODAY = D(2026, 11, 20)


def fresh() -> dict:
    return state_of({"effective_on": EFFECTIVE.isoformat()}, D(2026, 11, 1))


def at(status: S, **fields) -> dict:
    return {**fresh(), "status": status.value, **fields}


def test_a_new_agreement_is_not_requested_with_a_30_day_window_from_effective_on() -> None:
    assert fresh() == {"status": "not_requested", "window_ends_on": "2026-12-02", "court": None, "filed_on": None,
                       "accepted_on": None, "decision_due_on": None, "decided_on": None}


def test_without_effective_on_the_window_runs_from_the_day_the_case_concluded() -> None:
    assert state_of({"summary": "…"}, D(2026, 10, 31))["window_ends_on"] == "2026-11-30"


def test_the_whole_way_to_confirmation() -> None:
    state = take_step(fresh(), Step.INTEND, TODAY)
    assert state["status"] == "intended"
    state = take_step(state, Step.FILE, TODAY, court="吴江区人民法院", filed_on=D(2026, 11, 18))
    assert (state["status"], state["court"], state["filed_on"]) == ("filed", "吴江区人民法院", "2026-11-18")
    state = take_step(state, Step.ACCEPT, TODAY, accepted_on=D(2026, 11, 19))
    assert (state["status"], state["decision_due_on"]) == ("accepted", "2026-12-04")  # + 15 days
    state = take_step(state, Step.DECIDE, TODAY, result=S.CONFIRMED, decided_on=D(2026, 11, 20))
    assert (state["status"], state["decided_on"]) == ("confirmed", "2026-11-20")


def test_an_extended_decision_is_due_25_days_after_acceptance() -> None:
    filed = at(S.FILED, filed_on="2026-11-10")
    assert take_step(filed, Step.ACCEPT, TODAY, accepted_on=D(2026, 11, 12), extended=True)["decision_due_on"] == \
        "2026-12-07"


def test_the_court_may_refuse_to_accept() -> None:
    state = take_step(at(S.FILED, filed_on="2026-11-10"), Step.NOT_ACCEPTED, TODAY, reason="不属于受理范围")
    assert (state["status"], state["reason"], state["decided_on"]) == ("not_accepted", "不属于受理范围", "2026-11-20")


@pytest.mark.parametrize(("status", "step"), [
    (S.INTENDED, Step.INTEND), (S.FILED, Step.INTEND), (S.FILED, Step.FILE), (S.NOT_REQUESTED, Step.ACCEPT),
    (S.INTENDED, Step.DECIDE), (S.FILED, Step.DECIDE), (S.ACCEPTED, Step.ACCEPT), (S.ACCEPTED, Step.NOT_ACCEPTED),
    (S.CONFIRMED, Step.DECIDE), (S.REJECTED, Step.FILE), (S.NOT_ACCEPTED, Step.ACCEPT), (S.LAPSED, Step.INTEND),
])
def test_steps_out_of_order_are_refused(status: S, step: Step) -> None:
    values = {"court": "法院", "filed_on": D(2026, 11, 18), "accepted_on": D(2026, 11, 19), "result": S.CONFIRMED,
              "decided_on": D(2026, 11, 20), "reason": "理由"}
    state = at(status, filed_on="2026-11-10", accepted_on="2026-11-12")
    with pytest.raises(JudicialRefused):
        take_step(state, step, TODAY, **values)


@pytest.mark.parametrize(("state", "step", "values", "field"), [
    (fresh(), Step.FILE, {"court": "法院"}, "filed_on"),
    (fresh(), Step.FILE, {"filed_on": D(2026, 11, 18)}, "court"),
    (fresh(), Step.FILE, {"court": "法院", "filed_on": D(2026, 11, 21)}, "filed_on"),  # after today
    (fresh(), Step.FILE, {"court": "法院", "filed_on": D(2026, 11, 1)}, "filed_on"),  # before effective_on
    (at(S.INTENDED, window_ends_on="2026-11-15"), Step.FILE, {"court": "法院", "filed_on": D(2026, 11, 16)},
     "filed_on"),  # after the window's end
    (at(S.LAPSED), Step.FILE, {"court": "法院", "filed_on": D(2026, 11, 18)}, "filed_on"),  # lapsed: 422, not 409
    (at(S.FILED, filed_on="2026-11-18"), Step.ACCEPT, {"accepted_on": D(2026, 11, 17)}, "accepted_on"),
    (at(S.FILED, filed_on="2026-11-18"), Step.ACCEPT, {}, "accepted_on"),
    (at(S.ACCEPTED, accepted_on="2026-11-19"), Step.DECIDE, {"result": S.CONFIRMED, "decided_on": D(2026, 11, 18)},
     "decided_on"),
    (at(S.ACCEPTED, accepted_on="2026-11-19"), Step.DECIDE, {"decided_on": D(2026, 11, 20)}, "result"),
    (at(S.ACCEPTED, accepted_on="2026-11-19"), Step.DECIDE, {"result": S.LAPSED, "decided_on": D(2026, 11, 20)},
     "result"),
    (at(S.FILED, filed_on="2026-11-18"), Step.NOT_ACCEPTED, {}, "reason"),
])
def test_bad_or_missing_values_name_their_field(state: dict, step: Step, values: dict, field: str) -> None:
    with pytest.raises(BadStepValue) as refused:
        take_step(state, step, TODAY, **values)
    assert refused.value.field == field


def test_filing_on_the_windows_last_day_is_accepted() -> None:
    state = at(S.INTENDED, window_ends_on="2026-11-20")
    assert take_step(state, Step.FILE, TODAY, court="法院", filed_on=D(2026, 11, 20))["status"] == "filed"


@pytest.mark.parametrize(("state", "closing", "lapse"), [
    (fresh(), None, D(2026, 12, 3)),                                   # not requested: it lapses, no notice
    (at(S.INTENDED), D(2026, 11, 25), D(2026, 12, 3)),                 # intended: told 7 days before, then lapses
    (at(S.INTENDED, **{CLOSING_NOTIFIED: "2026-11-25T01:00:00+00:00"}), None, D(2026, 12, 3)),  # told once
    (at(S.FILED), None, None), (at(S.ACCEPTED), None, None), (at(S.CONFIRMED), None, None),
    (at(S.REJECTED), None, None), (at(S.NOT_ACCEPTED), None, None), (at(S.LAPSED), None, None),
])
def test_the_sweep_is_owed_a_notice_while_intended_and_a_lapse_while_the_window_is_open(state, closing, lapse):
    assert (closing_notice_on(state), lapse_on(state)) == (closing, lapse)
    assert next_check_on(state) == min((day for day in (closing, lapse) if day), default=None)


def test_a_step_out_of_order_is_refused_whatever_its_body_lacks() -> None:
    with pytest.raises(JudicialRefused):
        take_step(fresh(), Step.DECIDE, TODAY)  # no result, no decided_on: still 409, not 422
