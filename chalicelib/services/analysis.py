"""The monthly analysis (研判报告, §13) of a region: JSON, or a workbook with charts.

It reads aggregate rows and the sparse open-red index only (see `domain.analysis`): the
month rows of the region for the month, the month before and the same month a year before
(with its towns, and its villages for the month itself), the region's day rows of the
month, the org rows; never a case.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

from ..domain.access import Principal
from ..domain.analysis import TOWN, VILLAGE, AnalysisInputs, MonthRows, analysis, last_whole_month, month_days, \
    shift_month
from ..domain.calendar import business_day
from ..domain.stats import add_up
from .commands import AnalysisQuery
from .errors import Forbidden
from .ports import AnalysisRows, Clock, OpenRedCases


class AnalysisService:
    def __init__(self, stats: AnalysisRows, cases: OpenRedCases, names: Callable[[str, list[str]], dict[str, str]],
                 clock: Clock):
        self._stats = stats
        self._cases = cases
        self._names = names
        self._clock = clock

    def analysis(self, query: AnalysisQuery, principal: Principal) -> dict:
        if not principal.covers_region(query.region):
            raise Forbidden("region is outside your jurisdiction")
        region = query.region
        month = query.month or last_whole_month(business_day(self._clock()))
        first, last = month_days(month)
        per_org: dict[str, list[dict[str, int]]] = defaultdict(list)
        for org, counters in self._stats.rank_rows("org", region, first, last):
            per_org[org].append(counters)
        result = analysis(AnalysisInputs(
            region=region, month=month,
            current=self._month(region, month, villages=True),
            previous=self._month(region, shift_month(month, -1)),
            last_year=self._month(region, shift_month(month, -12)),
            daily=dict(self._stats.daily_rows(region, first, last)),
            org_months={org: add_up(rows) for org, rows in per_org.items()},
            open_by_org=self._stats.open_rows(region),
            open_red=self._cases.open_red_case_ids(region),
        ))
        orgs = set(result["overdue_by_org"]) | set(result["satisfaction_by_org"]) | set(result["on_time_by_org"])
        result["org_names"] = self._names("org", sorted(orgs))
        return result

    def _month(self, region: str, month: str, villages: bool = False) -> MonthRows:
        """The region's own row of the month, its towns' (a district's) and, if asked, its villages'."""
        return MonthRows(
            region=self._stats.month_rows(region, month, len(region)).get(region, {}),
            towns=self._stats.month_rows(region, month, TOWN) if len(region) < TOWN else {},
            villages=self._stats.month_rows(region, month, VILLAGE) if villages and len(region) < VILLAGE else {},
        )
