"""Return visits (回访): the per-category plan of visits after an agreement."""

from __future__ import annotations

import datetime as dt

from .enums import Category

VISIT_OFFSETS_DAYS: dict[Category, tuple[int, ...]] = {
    Category.MARRIAGE_FAMILY: (7, 30, 90),
    Category.LABOR_WAGES: (3,),
}
"""Days after the agreement's `performance_due` on which visits fall due."""
DEFAULT_VISIT_OFFSETS_DAYS: tuple[int, ...] = (30,)


def plan_visits(category: Category, performance_due: dt.date) -> list[dict]:
    offsets = VISIT_OFFSETS_DAYS.get(category, DEFAULT_VISIT_OFFSETS_DAYS)
    return [
        {"seq": seq, "due_on": (performance_due + dt.timedelta(days=days)).isoformat(), "done_at": None,
         "agreement_performed": None, "satisfaction": None}
        for seq, days in enumerate(offsets, start=1)
    ]
