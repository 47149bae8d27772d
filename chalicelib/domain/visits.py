"""Return visits (回访): the per-category plan of visits after an agreement,
the notices the daily sweep owes for them, and when a case next needs the sweep
(for them, or for its agreement's judicial confirmation: `domain/judicial.py`).

`next_visit_check_on` is derived from the case's state alone and stored with
the case as the key of a sparse index at every write (like `next_check_at`
for supervision), so the index can never drift from the case: the daily
sweep asks for the cases whose next visit check has come, and reads nothing
else.
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

from .enums import CaseStatus, Category, Satisfaction

VISIT_OFFSETS_DAYS: dict[Category, tuple[int, ...]] = {
    Category.MARRIAGE_FAMILY: (7, 30, 90),
    Category.LABOR_WAGES: (3,),
}
"""Days after the agreement's `performance_due` on which visits fall due."""
DEFAULT_VISIT_OFFSETS_DAYS: tuple[int, ...] = (30,)

FOLLOW_UP_VISIT_DAYS = 15
"""A visit that raises rectification (整改) when no planned visit is left open adds a
follow-up visit (整改回访) due this many days later: the later visit that can clear it."""

PERFORMANCE_HORIZON_DAYS = 10 * 366
"""An agreement's `performance_due` (履行期限) further out than about ten years is refused:
it is a typing error, not a plan, and its visits would fall past any calendar."""

DUE_NOTICE_LEAD_DAYS = 3
"""`visit_due` goes to the mediator from this many days before a visit's `due_on`."""

VISIT_SHARDS = 4
"""Partitions of the visit index: the sweep queries each; writes spread over them."""

VISITABLE_STATUSES = frozenset({CaseStatus.RESOLVED})
"""Only a resolved case has visits to make; a closed or withdrawn one never gets a notice."""


def plan_visits(category: Category, performance_due: dt.date) -> list[dict]:
    offsets = VISIT_OFFSETS_DAYS.get(category, DEFAULT_VISIT_OFFSETS_DAYS)
    return [new_visit(seq, performance_due + dt.timedelta(days=days))
            for seq, days in enumerate(offsets, start=1)]


def new_visit(seq: int, due_on: dt.date, **extra: Any) -> dict[str, Any]:
    return {"seq": seq, "due_on": due_on.isoformat(), "done_at": None, "agreement_performed": None,
            "satisfaction": None, **extra}


def follow_up_visit(visits: list[dict[str, Any]], today: dt.date) -> dict[str, Any] | None:
    """The follow-up visit to add after a problem visit, or None if a planned one is still open."""
    if any(v["done_at"] is None for v in visits):
        return None
    seq = max((v["seq"] for v in visits), default=0) + 1
    return new_visit(seq, today + dt.timedelta(days=FOLLOW_UP_VISIT_DAYS), follow_up=True)


# ------------------------------------------------------------------- the sweep

VISIT_DUE, VISIT_OVERDUE = "visit_due", "visit_overdue"
NOTIFIED_FIELD = {VISIT_DUE: "due_notified_at", VISIT_OVERDUE: "overdue_notified_at"}
"""The field of a visit recording that its notice was sent (each once per visit)."""


def notice_date(kind: str, due_on: dt.date) -> dt.date:
    """The first Asia/Shanghai date on which a notice of `kind` is owed."""
    if kind == VISIT_DUE:
        return due_on - dt.timedelta(days=DUE_NOTICE_LEAD_DAYS)
    return due_on + dt.timedelta(days=1)  # overdue: once the date is after due_on


def _pending(case) -> list[tuple[dict[str, Any], str]]:
    """(visit, kind) of every notice not yet sent, for the open visits of a visitable case."""
    if case.status not in VISITABLE_STATUSES:
        return []
    return [(visit, kind) for visit in case.return_visits if visit.get("done_at") is None
            for kind in (VISIT_DUE, VISIT_OVERDUE) if not visit.get(NOTIFIED_FIELD[kind])]


def notices_due(case, today: dt.date) -> list[tuple[dict[str, Any], str]]:
    """(visit, kind) of the notices owed on `today` (Asia/Shanghai): every one whose date
    has come, so a sweep that missed days takes all that are owed at once."""
    return [(visit, kind) for visit, kind in _pending(case)
            if notice_date(kind, dt.date.fromisoformat(visit["due_on"])) <= today]


def next_visit_check_on(case) -> dt.date | None:
    """The first date the sweep owes this case something: a visit notice, or a step of its
    agreement's judicial confirmation (`Case.judicial_check_on`); None when it never will."""
    dates = [notice_date(kind, dt.date.fromisoformat(visit["due_on"])) for visit, kind in _pending(case)]
    judicial = case.judicial_check_on()
    if judicial is not None:
        dates.append(judicial)
    return min(dates) if dates else None


def visit_shard(case_id: str) -> str:
    return str(zlib.crc32(b"visit:" + case_id.encode()) % VISIT_SHARDS)


def visit_ok(visit: dict) -> bool:
    """A done visit with no `dissatisfied` score (the satisfaction rate's numerator)."""
    return Satisfaction.DISSATISFIED.value not in (visit.get("satisfaction") or {}).values()


def needs_rectification(visit: dict) -> bool:
    """整改: the agreement was not performed, or a party was dissatisfied."""
    return visit.get("agreement_performed") == "no" or not visit_ok(visit)
