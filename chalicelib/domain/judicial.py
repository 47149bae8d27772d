"""Judicial confirmation (司法确认) of a mediation agreement (人民调解法 §33).

Once an agreement takes effect, the parties may jointly ask the basic people's
court to confirm it within 30 days; the court decides within 3 days whether to
accept the application, and decides within 15 days of accepting, 10 more with
its president's approval. The service follows the application as a small
status machine kept in the agreement (`agreement["judicial_confirmation"]`),
each step an action of the staff, and the return-visit sweep reminds the
mediator of a closing window (`jc_window_closing`, once) and marks a window
that passed unused `lapsed`.

A resolved case that took no step yet stores nothing: its state is derived
from the agreement's `effective_on` (`state_of`), and so is the date the sweep
next owes it something (`next_check_on`), the key of the sparse visit index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

from .enums import JudicialStatus, WireEnum

WINDOW_DAYS = 30
"""Days after the agreement takes effect within which the parties may apply (§33)."""
DECISION_DAYS = 15
DECISION_EXTENSION_DAYS = 10
"""The court decides within 15 days of accepting, 10 more with its president's approval."""
CLOSING_NOTICE_DAYS = 7
"""`jc_window_closing` goes to the mediator from this many days before the window ends."""
EFFECTIVE_LOOKBACK_DAYS = 60
"""An agreement's `effective_on` may be from this many days ago to today."""

FIELD = "judicial_confirmation"
"""Where the agreement dict keeps the application's state."""


class JudicialStep(WireEnum):
    """A step of the application, each an action of the staff."""

    INTEND = "intend"
    FILE = "file"
    ACCEPT = "accept"
    DECIDE = "decide"
    NOT_ACCEPTED = "not_accepted"


S = JudicialStatus
STEP_SOURCES: dict[JudicialStep, frozenset[JudicialStatus]] = {
    JudicialStep.INTEND: frozenset({S.NOT_REQUESTED}),
    JudicialStep.FILE: frozenset({S.NOT_REQUESTED, S.INTENDED}),
    JudicialStep.ACCEPT: frozenset({S.FILED}),
    JudicialStep.NOT_ACCEPTED: frozenset({S.FILED}),
    JudicialStep.DECIDE: frozenset({S.ACCEPTED}),
}
"""From which statuses each step may be taken (any other: 409)."""

STEP_NEEDS: dict[JudicialStep, tuple[str, ...]] = {
    JudicialStep.INTEND: (),
    JudicialStep.FILE: ("court", "filed_on"),
    JudicialStep.ACCEPT: ("accepted_on",),
    JudicialStep.DECIDE: ("result", "decided_on"),
    JudicialStep.NOT_ACCEPTED: ("reason",),
}
"""The fields each step's body must give (422 without them)."""

DECISIONS = frozenset({S.CONFIRMED, S.REJECTED})
"""What the court decides on an accepted application (`decide`'s `result`)."""

OPEN_WINDOW = frozenset({S.NOT_REQUESTED, S.INTENDED})
"""Statuses the window's end turns into `lapsed`."""


def steps_open(state: Mapping[str, Any]) -> list[JudicialStep]:
    """The steps the application's status allows now (none once decided, not accepted or lapsed)."""
    status = S(state["status"])
    return [step for step, sources in STEP_SOURCES.items() if status in sources]


class JudicialRefused(Exception):
    """A step the application's state refuses (409)."""


@dataclass(frozen=True)
class BadStepValue(Exception):
    """A value the step cannot take, or one it lacks (422 on `field`)."""

    field: str
    message: str


def effective_day(agreement: Mapping[str, Any], concluded_on: dt.date) -> dt.date:
    """The day the agreement took effect: its `effective_on`, else the day the case concluded."""
    value = agreement.get("effective_on")
    return dt.date.fromisoformat(value) if value else concluded_on


def state_of(agreement: Mapping[str, Any], concluded_on: dt.date) -> dict[str, Any]:
    """The application's state as the case view shows it (every key, null when not reached)."""
    window_ends = effective_day(agreement, concluded_on) + dt.timedelta(days=WINDOW_DAYS)
    stored = agreement.get(FIELD) or {}
    return {"status": S.NOT_REQUESTED.value, "window_ends_on": window_ends.isoformat(), "court": None,
            "filed_on": None, "accepted_on": None, "decision_due_on": None, "decided_on": None, **stored}


def take_step(state: dict[str, Any], step: JudicialStep, today: dt.date, *, court: str | None = None,
              filed_on: dt.date | None = None, accepted_on: dt.date | None = None, extended: bool = False,
              result: JudicialStatus | None = None, decided_on: dt.date | None = None,
              reason: str | None = None) -> dict[str, Any]:
    """The state after `step` (a new dict). JudicialRefused when the status does not allow the
    step (checked first: a step out of order is 409 whatever its body); BadStepValue for a value
    it lacks or cannot take."""
    status = S(state["status"])
    window_ends = dt.date.fromisoformat(state["window_ends_on"])
    if step is JudicialStep.FILE and status is S.LAPSED:
        raise BadStepValue("filed_on", f"the window for judicial confirmation ended on {window_ends.isoformat()}")
    if status not in STEP_SOURCES[step]:
        raise JudicialRefused(f"judicial confirmation is {status.value}: the {step.value} step does not apply")
    given = {"court": court, "filed_on": filed_on, "accepted_on": accepted_on, "result": result,
             "decided_on": decided_on, "reason": reason}
    for name in STEP_NEEDS[step]:
        if given[name] is None:
            raise BadStepValue(name, f"is required for the {step.value} step")
    if step is JudicialStep.DECIDE and result not in DECISIONS:
        raise BadStepValue("result", "must be confirmed or rejected")
    new = dict(state)
    if step is JudicialStep.INTEND:
        new["status"] = S.INTENDED.value
    elif step is JudicialStep.FILE:
        _not_after(today, "filed_on", filed_on)
        if filed_on > window_ends:
            raise BadStepValue("filed_on", f"is after the window's end ({window_ends.isoformat()})")
        start = window_ends - dt.timedelta(days=WINDOW_DAYS)
        if filed_on < start:
            raise BadStepValue("filed_on", f"is before the agreement took effect ({start.isoformat()})")
        new.update(status=S.FILED.value, court=court, filed_on=filed_on.isoformat())
    elif step is JudicialStep.ACCEPT:
        _not_after(today, "accepted_on", accepted_on)
        if accepted_on < dt.date.fromisoformat(state["filed_on"]):
            raise BadStepValue("accepted_on", f"is before filed_on ({state['filed_on']})")
        days = DECISION_DAYS + (DECISION_EXTENSION_DAYS if extended else 0)
        new.update(status=S.ACCEPTED.value, accepted_on=accepted_on.isoformat(), extended=extended,
                   decision_due_on=(accepted_on + dt.timedelta(days=days)).isoformat())
    elif step is JudicialStep.DECIDE:
        _not_after(today, "decided_on", decided_on)
        if decided_on < dt.date.fromisoformat(state["accepted_on"]):
            raise BadStepValue("decided_on", f"is before accepted_on ({state['accepted_on']})")
        new.update(status=result.value, decided_on=decided_on.isoformat())
    elif step is JudicialStep.NOT_ACCEPTED:
        new.update(status=S.NOT_ACCEPTED.value, reason=reason, decided_on=today.isoformat())
    return new


def _not_after(today: dt.date, field: str, day: dt.date) -> None:
    if day > today:
        raise BadStepValue(field, "must not be after today")


# ------------------------------------------------------------------- the sweep

CLOSING_NOTIFIED = "closing_notified_at"
"""When `jc_window_closing` went out (once per agreement)."""


def closing_notice_on(state: Mapping[str, Any]) -> dt.date | None:
    """The first day `jc_window_closing` is owed: a case still `intended`, not yet told."""
    if state["status"] != S.INTENDED.value or state.get(CLOSING_NOTIFIED):
        return None
    return dt.date.fromisoformat(state["window_ends_on"]) - dt.timedelta(days=CLOSING_NOTICE_DAYS)


def lapse_on(state: Mapping[str, Any]) -> dt.date | None:
    """The day a window left unused lapses: the day after it ends."""
    if S(state["status"]) not in OPEN_WINDOW:
        return None
    return dt.date.fromisoformat(state["window_ends_on"]) + dt.timedelta(days=1)


def next_check_on(state: Mapping[str, Any]) -> dt.date | None:
    """The first day the sweep owes the application something; None when it never will."""
    days = [day for day in (closing_notice_on(state), lapse_on(state)) if day is not None]
    return min(days) if days else None
