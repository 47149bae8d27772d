"""ReturnVisitSweep.run (回访提醒): `visit_due` to the mediator from three days before a visit,
`visit_overdue` to the org head after it, each once; nothing for a visit done; concurrent writes."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.enums import CaseStatus
from chalicelib.services.sweeping import MAX_ATTEMPTS
from tests.unit.services.builders import SHANGHAI


def morning(day: str) -> dt.datetime:
    """09:00 Asia/Shanghai, when the daily sweep runs."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(9), tzinfo=SHANGHAI)


# A labour case resolved on MONDAY with performance due 1 December: one visit, due 4 December.
# (day of the sweep, examined, visit notices so far as (kind, to))
DUE = ("visit_due", "13900000201")
OVERDUE = ("visit_overdue", "13900000101")
CALENDAR = [
    ("2026-11-30", 0, []),
    ("2026-12-01", 1, [DUE]),
    ("2026-12-02", 0, [DUE]),
    ("2026-12-04", 0, [DUE]),  # the due date itself is not overdue
    ("2026-12-05", 1, [DUE, OVERDUE]),
    ("2026-12-06", 0, [DUE, OVERDUE]),
]


@pytest.fixture
def sweep(container):
    return container.return_visits.run


@pytest.fixture
def resolved(centre):
    case = centre.case_at(CaseStatus.RESOLVED, "V-1", category="labor_wages")
    assert [visit["due_on"] for visit in case.return_visits] == ["2026-12-04"]
    return case


def visit_notices(store, case_id: str) -> list[tuple[str, str]]:
    return [(n["kind"], n["to"]) for n in sorted(store.notifications(case_id), key=lambda n: n["created_at"])
            if n["kind"].startswith("visit")]


def test_each_notice_on_its_day_and_once(sweep, resolved, store):
    for day, examined, notices in CALENDAR:
        assert (sweep(as_of=morning(day)).examined, visit_notices(store, resolved.case_id)) == (examined, notices), day


def test_a_notice_marks_its_visit_and_is_enqueued(sweep, resolved, store, publisher):
    assert sweep(as_of=morning("2026-12-01")).actions == 1
    [visit] = store.get(resolved.case_id).return_visits
    assert visit["due_notified_at"] == morning("2026-12-01").isoformat() and "overdue_notified_at" not in visit
    [note] = [n for n in store.notifications(resolved.case_id) if n["kind"] == "visit_due"]
    assert "2026-12-04" in note["text"]
    assert publisher.bodies("notify")[-1] == {"case_id": resolved.case_id, "sk": note["sk"]}


def test_a_sweep_that_missed_days_sends_every_notice_owed(sweep, resolved, store):
    assert sweep(as_of=morning("2026-12-07")).actions == 2
    assert sorted(visit_notices(store, resolved.case_id)) == [DUE, OVERDUE]


def test_a_visit_done_owes_no_notice(centre, sweep, resolved):
    centre.act(resolved.case_id, "visit")
    assert sweep(as_of=morning("2026-12-07")).examined == 0


def test_a_concurrent_note_makes_the_sweep_read_again_and_send_once(centre, sweep, resolved, store):
    store.interleave(lambda: centre.act(resolved.case_id, "note"))
    assert sweep(as_of=morning("2026-12-01")).actions == 1
    assert visit_notices(store, resolved.case_id) == [DUE]
    assert centre.event_types(resolved.case_id)[-2:] == ["note", "visit_notice"]


def test_a_case_lost_to_every_attempt_is_left_for_the_next_sweep(centre, sweep, resolved, store):
    store.interleave(lambda: centre.act(resolved.case_id, "note"), times=MAX_ATTEMPTS)
    assert sweep(as_of=morning("2026-12-01")).actions == 0
    assert visit_notices(store, resolved.case_id) == []
    assert sweep(as_of=morning("2026-12-01")).actions == 1


def test_a_case_that_cannot_be_written_does_not_stop_the_others(centre, sweep, resolved, store, monkeypatch):
    """One case the store refuses (an item grown past DynamoDB's size, say) is logged and stays
    due; the cases behind it are still served."""
    other = centre.case_at(CaseStatus.RESOLVED, "V-2", category="labor_wages")
    save = store.save_change

    def refuse_the_first(case, *args, **kwargs):
        if case.case_id == resolved.case_id:
            raise RuntimeError("item size has exceeded the maximum allowed size")
        return save(case, *args, **kwargs)

    monkeypatch.setattr(store, "save_change", refuse_the_first)
    result = sweep(as_of=morning("2026-12-01"))
    assert (result.examined, result.actions, result.complete) == (2, 1, True)
    assert visit_notices(store, other.case_id) == [DUE] and visit_notices(store, resolved.case_id) == []
    monkeypatch.setattr(store, "save_change", save)
    assert sweep(as_of=morning("2026-12-01")).actions == 1  # still due: the next run serves it
