"""The supervisor dashboard (一屏观全域): `GET /v1/dashboard`, one answer for the console's
first screen, from aggregate rows and sparse indexes only, never a scan of the cases.

What one request reads, however many cases the district has:
- the directory's regions under the region (a cached list: `Directory.regions_under`);
- the region's day rows of the last 14 days (one Query of at most 14 items): the intake
  today and the trend;
- the region-open rows `open#<prefix>` of the region and its descendants (one Query, an item
  per region with anything open): the tiles and the region tree's counts;
- the sparse overdue index (by district, the earliest deadline first) and the sparse
  open-red index (by district, newest first), up to `limit` entries of the region each: for a
  town or village those of the rest of the district met before are read and dropped too
  (`CaseStore.overdue_case_ids`);
- the listed cases (one BatchGetItem of at most 2 × limit), and the names of their orgs and
  mediators (a BatchGetItem each).
It is not an access-audited read: no party's data is in it (titles are masked as the case
views mask them for the caller).
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from ..domain.access import Principal
from ..domain.calendar import business_day, rfc3339
from ..domain.case import Case
from ..domain.dashboard import level_of, hours_late, region_tree, shown_title, tile_counts, trend, trend_days
from ..domain.enums import Role
from ..domain.stats import open_red_district
from ..domain.supervision import overdue_deadline
from .commands import DashboardQuery
from .errors import Forbidden, NotFound, Unprocessable
from .ports import Clock, DashboardCases, DashboardRows, Directory


class DashboardService:
    def __init__(self, stats: DashboardRows, cases: DashboardCases, regions: Directory,
                 names: Callable[[str, list[str]], dict[str, str]], clock: Clock):
        self._stats = stats
        self._cases = cases
        self._regions = regions
        self._names = names
        """(kind "org" | "mediator", ids) → {id: name}."""
        self._clock = clock

    def dashboard(self, query: DashboardQuery, principal: Principal, as_of: dt.datetime | None = None) -> dict:
        """The dashboard of the query's region as of `as_of` (the service's clock by default):
        `as_of` moves "today", the trend's days and the hours late; the counts and lists are
        those of the cases as they are now."""
        code = self._region_code(query, principal)
        regions = self._regions.regions_under(code)
        region = next((r for r in regions if r.code == code), None)
        if region is None:
            raise NotFound(f"no region {code}")
        now = as_of or self._clock()
        today = business_day(now)
        first, last = trend_days(today)
        intake = {day: counters.get("total", 0) for day, counters in self._stats.daily_rows(code, first, last)}
        open_rows = self._stats.region_open_rows(code)
        tiles = tile_counts(open_rows.get(code))

        overdue_ids = self._cases.overdue_case_ids(code, query.limit)
        red_ids = self._cases.open_red_case_ids(code, query.limit)
        found = {case.case_id: case for case in self._cases.cases([*overdue_ids, *red_ids])}
        # an index answers a moment behind its table: a case no longer on it by now is left out
        overdue = [found[i] for i in overdue_ids if i in found and overdue_deadline(found[i]) is not None]
        red = [found[i] for i in red_ids if i in found and open_red_district(found[i]) is not None]
        listed = [*overdue, *red]
        names = {kind: self._names(kind, sorted({getattr(c, f"{kind}_id") for c in listed} - {None}))
                 for kind in ("org", "mediator")}
        region_names = {r.code: r.name for r in regions}

        def item(case: Case) -> dict:
            return {"case_id": case.case_id, "title": shown_title(case, principal),
                    "region_code": case.region_code, "region_name": region_names.get(case.region_code),
                    "org_id": case.org_id, "org_name": names["org"].get(case.org_id),
                    "mediator_id": case.mediator_id, "mediator_name": names["mediator"].get(case.mediator_id),
                    "status": case.status.value, "risk_level": case.risk_level.value,
                    "supervision_level": case.supervision_level}

        def overdue_item(case: Case) -> dict:
            deadline = overdue_deadline(case)
            return {**item(case), "deadline": deadline.kind, "due_at": rfc3339(deadline.due_at),
                    "overdue_hours": hours_late(deadline.due_at, now)}

        return {
            "region": {"code": region.code, "name": region.name, "level": level_of(region.code)},
            "as_of": rfc3339(now),
            "today": today.isoformat(),
            "counts": {"intake_today": int(intake.get(today.isoformat(), 0)), **tiles},
            "trend": trend(today, intake),
            "regions": region_tree(regions, open_rows),
            "overdue": {"total": tiles["overdue"], "items": [overdue_item(case) for case in overdue]},
            "red": {"total": tiles["red"],
                    "items": [{**item(case), "received_at": rfc3339(case.received_at)} for case in red]},
        }

    @staticmethod
    def _region_code(query: DashboardQuery, principal: Principal) -> str:
        """The region asked for: a supervisor's jurisdiction unless they name one in it (403
        outside it); an admin must name one (422)."""
        code = query.region
        if code is None:
            if principal.role is not Role.SUPERVISOR:
                raise Unprocessable.field("region", "give the region of the dashboard")
            code = principal.jurisdiction
        if not code or not principal.covers_region(code):
            raise Forbidden("region is outside your jurisdiction")
        return code
