"""Leader sponsorship (领导包案, 肃州's practice): a named leader takes personal charge of a hard
case until a day by which it is to be settled, and is reminded a week before that day.

Which cases may be sponsored is data (`SPONSORABLE_*`): one that is red or orange, or has
an indicator of a long-standing or repeated dispute, or whose supervision has reached the
supervision letter (`supervision_level` 2). Only a supervisor of a whole district, or an
admin, sponsors (the access rule sits with the action, `action_registry`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .calendar import start_of_day
from .enums import RiskIndicator, RiskLevel

SPONSORABLE_LEVELS = frozenset({RiskLevel.RED, RiskLevel.ORANGE})
SPONSORABLE_INDICATORS = frozenset({RiskIndicator.LONG_STANDING, RiskIndicator.REPEATED_PETITION})
SPONSORABLE_SUPERVISION_LEVEL = 2
NOTICE_DAYS_BEFORE = 7
"""`sponsor_due` is owed from 00:00 (Asia/Shanghai) of the day this many days before `due_on`."""
DUE_HORIZON_DAYS = 366
"""How far ahead the day to settle by may be set."""


@dataclass(frozen=True)
class Sponsor:
    leader_name: str
    leader_title: str
    leader_phone: str
    due_on: dt.date
    sponsored_at: dt.datetime
    sponsored_by: str
    notified_at: dt.datetime | None = None
    """When `sponsor_due` was decided (once per sponsorship)."""

    @property
    def notice_at(self) -> dt.datetime:
        return start_of_day(self.due_on - dt.timedelta(days=NOTICE_DAYS_BEFORE))


def why_sponsorable(risk_level: RiskLevel, indicators, supervision_level: int) -> str | None:
    """The first ground on which a case may be sponsored, or None when it has none."""
    if risk_level in SPONSORABLE_LEVELS:
        return f"risk_level:{risk_level.value}"
    found = sorted(SPONSORABLE_INDICATORS.intersection(indicators))
    if found:
        return f"risk_indicator:{found[0].value}"
    if supervision_level >= SPONSORABLE_SUPERVISION_LEVEL:
        return f"supervision_level:{supervision_level}"
    return None


def notice_due_at(sponsor: Sponsor | None) -> dt.datetime | None:
    """When the sweep owes the leader `sponsor_due` (a key of the due index); None once decided."""
    if sponsor is None or sponsor.notified_at is not None:
        return None
    return sponsor.notice_at
