"""The monthly analysis (研判报告, §13): a region's month against the month before and the same
month a year before, from aggregate rows only.

Its inputs are rows the case writes keep in their own transactions (`domain.stats`): the
month rows of the region, its towns and its villages; the region's day rows of the month;
the rows of the orgs holding its open cases; the ranking's org-month rows; and the ids of
its open red cases (a sparse index). Nothing here reads a case.

- `rising` (上升): the category × town cells with at least RISING_MIN_CASES cases in the month
  and at least RISING_FACTOR times the month before (a month before with none is a rise);
- `hotspots` (热点): villages with at least HOTSPOT_MIN_CASES cases of one category in the month;
- `repeat_parties`: cases of the month whose parties had another case in the 365 days before;
- `overdue_by_org`: open and overdue now, per org holding them;
- `supervision_letters`: letters (督办函) issued in the month on the region's cases;
- `satisfaction_by_org` and `on_time_by_org`: over the cases of the month each org concluded;
- `referrals`: where the month's unresolved cases were sent (诉求分流), by route;
- `sponsored` and `joint_mediation`: the month's cases a leader is in charge of (领导包案),
  and those at least one other org assists the lead on (联合调解), compared as `totals` is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from .calendar import month_end
from .enums import Category, Channel, Referral, RiskLevel
from .stats import CATEGORY_COUNTER, CHANNEL_COUNTER, REFERRAL_COUNTER, RISK_COUNTER, ratio

RISING_MIN_CASES = 5
RISING_FACTOR = 1.5
HOTSPOT_MIN_CASES = 3
TOWN, VILLAGE = 9, 12

Counters = Mapping[str, int]


def month_days(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of `YYYY-MM`."""
    first = dt.date.fromisoformat(f"{month}-01")
    return first, month_end(first)


def shift_month(month: str, months: int) -> str:
    first = dt.date.fromisoformat(f"{month}-01")
    index = first.year * 12 + first.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def last_whole_month(today: dt.date) -> str:
    """The month before `today`'s: the default month of the analysis."""
    return shift_month(today.isoformat()[:7], -1)


@dataclass
class MonthRows:
    """One month of a region: its own counters, and those of its towns and villages (by prefix)."""

    region: Counters = field(default_factory=dict)
    towns: Mapping[str, Counters] = field(default_factory=dict)
    villages: Mapping[str, Counters] = field(default_factory=dict)


@dataclass
class AnalysisInputs:
    region: str
    month: str
    current: MonthRows
    previous: MonthRows
    last_year: MonthRows
    daily: Mapping[str, Counters]
    """Day (`YYYY-MM-DD`) → the region's counters of the cases received that day."""
    org_months: Mapping[str, Counters]
    """Org id → its performance counters over the month's cases it concluded."""
    open_by_org: Mapping[str, Counters]
    """Org id → what it holds open now of the region's cases."""
    open_red: list[str]


def _towns(region: str, rows: MonthRows) -> Mapping[str, Counters]:
    """The region's towns; a town is its own, and a village region the part of its town it covers."""
    if len(region) >= TOWN:
        return {region[:TOWN]: rows.region} if rows.region else {}
    return rows.towns


def _villages(region: str, rows: MonthRows) -> Mapping[str, Counters]:
    return {region: rows.region} if len(region) == VILLAGE and rows.region else rows.villages


COMPARED_KEYS = ("count", "previous_month", "same_month_last_year")
"""The three months each breakdown compares: the month, the month before, the same month a year before."""


COMPARED_TOTALS = {"totals": "total", "sponsored": "sponsored", "joint_mediation": "joint_mediation"}
"""The figures that compare one of the region's counters over the three months (figure → counter):
every case, those sponsored (领导包案) and those jointly mediated (联合调解)."""


def _compared(counts) -> dict[str, int]:
    """{count, previous_month, same_month_last_year} of three months' numbers, in that order."""
    return dict(zip(COMPARED_KEYS, (int(n) for n in counts)))


def _breakdown(names: Mapping[str, str], inputs: AnalysisInputs) -> dict:
    """Key → the three months of one counter per key, from the region's own rows."""
    months = (inputs.current.region, inputs.previous.region, inputs.last_year.region)
    return {key: _compared(rows.get(counter, 0) for rows in months) for key, counter in names.items()}


def _by_town(inputs: AnalysisInputs) -> dict:
    months = [_towns(inputs.region, rows) for rows in (inputs.current, inputs.previous, inputs.last_year)]
    return {town: _compared(rows.get(town, {}).get("total", 0) for rows in months)
            for town in sorted(set().union(*months))}


def rising_cells(current: Mapping[str, Counters], previous: Mapping[str, Counters]) -> list[dict]:
    """Category × town cells that rose (see the module's docstring), most cases first."""
    cells = []
    for town, counters in current.items():
        for category, counter in CATEGORY_COUNTER.items():
            count = int(counters.get(counter, 0))
            before = int(previous.get(town, {}).get(counter, 0))
            if count >= RISING_MIN_CASES and (before == 0 or count >= RISING_FACTOR * before):
                cells.append({"category": category.value, "town": town, "count": count, "previous_month": before})
    return sorted(cells, key=lambda c: (-c["count"], c["town"], c["category"]))


def hotspots(villages: Mapping[str, Counters]) -> list[dict]:
    found = [{"village": village, "category": category.value, "count": int(counters.get(counter, 0))}
             for village, counters in villages.items() for category, counter in CATEGORY_COUNTER.items()
             if int(counters.get(counter, 0)) >= HOTSPOT_MIN_CASES]
    return sorted(found, key=lambda h: (-h["count"], h["village"], h["category"]))


def _per_org(rows: Mapping[str, Counters], numerator: str, denominator: str) -> dict[str, float]:
    return {org: ratio(int(c.get(numerator, 0)), int(c[denominator]))
            for org, c in sorted(rows.items()) if c.get(denominator)}


def analysis(inputs: AnalysisInputs) -> dict:
    """The §13 analysis of `inputs.month`."""
    current = inputs.current.region
    first, last = month_days(inputs.month)
    days = [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    return {
        "region": inputs.region,
        "month": inputs.month,
        "previous_month": shift_month(inputs.month, -1),
        "same_month_last_year": shift_month(inputs.month, -12),
        "total": int(current.get("total", 0)),
        **_breakdown(COMPARED_TOTALS, inputs),
        "by_category": _breakdown({c.value: n for c, n in CATEGORY_COUNTER.items()}, inputs),
        "by_channel": _breakdown({c.value: n for c, n in CHANNEL_COUNTER.items()}, inputs),
        "by_town": _by_town(inputs),
        "by_risk_level": _breakdown({r.value: n for r, n in RISK_COUNTER.items()}, inputs),
        "rising": rising_cells(_towns(inputs.region, inputs.current), _towns(inputs.region, inputs.previous)),
        "hotspots": hotspots(_villages(inputs.region, inputs.current)),
        "repeat_parties": int(current.get("repeat_party", 0)),
        "overdue_by_org": {org: int(c["overdue_open"]) for org, c in sorted(inputs.open_by_org.items())
                           if c.get("overdue_open")},
        "supervision_letters": int(current.get("supervision_letters", 0)),
        "satisfaction_by_org": _per_org(inputs.org_months, "visits_ok", "visits"),
        "on_time_by_org": _per_org(inputs.org_months, "concluded_on_time", "concluded"),
        "referrals": {route.value: int(current.get(counter, 0)) for route, counter in REFERRAL_COUNTER.items()},
        "open_red": list(inputs.open_red),
        "daily_intake": {day: int(inputs.daily.get(day, {}).get("total", 0)) for day in days},
    }


LABELS = {
    "totals": {"totals": "受理总数", "sponsored": "领导包案", "joint_mediation": "联合调解"},
    "by_category": {c.value: c.label for c in Category},
    "by_channel": {c.value: c.label for c in Channel},
    "by_risk_level": {r.value: r.label for r in RiskLevel},
    "referrals": {r.value: r.label for r in Referral},
}
"""The Chinese labels of the breakdowns' keys, for the workbook."""
