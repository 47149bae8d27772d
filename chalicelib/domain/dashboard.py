"""The supervisor dashboard (一屏观全域) of a region: what is open now, the intake of the last
days, the region tree with its counts, and the overdue and red lists.

Everything here is pure: the figures come from the aggregate rows (`domain.stats`: the day
rows `<prefix>#<day>` for the intake, the region-open rows `open#<prefix>` for what is open
now) and the lists from the sparse overdue and open-red indexes; the service reads those and
hands them in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from .access import Principal, sees_parties_in_full
from .masking import redact_text

TREND_DAYS = 14
"""The days of the intake trend, ending today (Asia/Shanghai)."""
LEVEL_OF_LENGTH = {6: "district", 9: "town", 12: "village"}
"""A region's level by the length of its code."""
TILE_COUNTERS = {"open": "open", "overdue": "overdue_open", "red": "open_red"}
"""A region's counts on the dashboard → the region-open row's counter each reads."""
HOUR_SECONDS = 3600


def level_of(code: str) -> str:
    """`district`, `town` or `village`: the level of a 6, 9 or 12 digit region code."""
    return LEVEL_OF_LENGTH[len(code)]


def hours_late(due_at: dt.datetime, now: dt.datetime) -> int:
    """Whole hours from a deadline to `now` (rounded down; 0 if `now` is not past it)."""
    return max(0, int((now - due_at).total_seconds() // HOUR_SECONDS))


def trend_days(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the trend: TREND_DAYS days ending `today`."""
    return today - dt.timedelta(days=TREND_DAYS - 1), today


def trend(today: dt.date, intake_by_day: Mapping[str, int]) -> list[dict]:
    """`[{"day", "intake"}]` of the TREND_DAYS days ending `today`, oldest first; 0 for a day
    with no case received."""
    first, _ = trend_days(today)
    days = [(first + dt.timedelta(days=n)).isoformat() for n in range(TREND_DAYS)]
    return [{"day": day, "intake": int(intake_by_day.get(day, 0))} for day in days]


def tile_counts(open_row: Mapping[str, int] | None) -> dict[str, int]:
    """`{"open", "overdue", "red"}` of one region from its region-open row (zeros without one)."""
    row = open_row or {}
    return {tile: int(row.get(counter, 0)) for tile, counter in TILE_COUNTERS.items()}


def region_tree(regions: Iterable, open_rows: Mapping[str, Mapping[str, int]]) -> list[dict]:
    """The regions (a region and its descendants, as the directory has them) with what is open
    in each: `{"code", "name", "parent", "level", "open", "overdue", "red"}`, sorted by code,
    which puts each parent before its children."""
    return [{"code": region.code, "name": region.name, "parent": region.parent_code, "level": level_of(region.code),
             **tile_counts(open_rows.get(region.code))}
            for region in sorted(regions, key=lambda region: region.code)]


def shown_title(case, principal: Principal) -> str:
    """A case's title as the case views render it for this staff caller: as filed, or with its
    phone and ID numbers masked for one who does not read the case in full (a sensitive case,
    PIPL §28, for all but its mediator and the supervisors covering it)."""
    return case.title if sees_parties_in_full(principal, case) else redact_text(case.title)
