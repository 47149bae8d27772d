"""domain/sponsorship.py: which cases a leader may sponsor (领导包案), and when the leader is told."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.enums import RiskIndicator as I
from chalicelib.domain.enums import RiskLevel as L
from chalicelib.domain.sponsorship import Sponsor, notice_due_at, why_sponsorable

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(("level", "indicators", "supervision_level", "ground"), [
    (L.RED, [], 0, "risk_level:red"),
    (L.ORANGE, [], 0, "risk_level:orange"),
    (L.YELLOW, [I.LONG_STANDING], 0, "risk_indicator:long_standing"),
    (L.BLUE, [I.REPEATED_PETITION], 0, "risk_indicator:repeated_petition"),
    (L.BLUE, [], 2, "supervision_level:2"),
    (L.BLUE, [], 3, "supervision_level:3"),
    (L.BLUE, [], 1, None),
    (L.YELLOW, [I.VULNERABLE_PARTY], 0, None),
    (L.BLUE, [], 0, None),
])
def test_a_case_is_sponsored_on_a_ground_of_the_table(level, indicators, supervision_level, ground):
    assert why_sponsorable(level, indicators, supervision_level) == ground


def sponsor(due_on: dt.date, notified_at: dt.datetime | None = None) -> Sponsor:
    return Sponsor("李明", "副区长", "13900000301", due_on, dt.datetime(2026, 11, 23, 10, tzinfo=SHANGHAI),
                   "supervisor:320509", notified_at)


def test_the_leader_is_owed_the_sms_from_midnight_a_week_before_the_day():
    assert notice_due_at(sponsor(dt.date(2026, 12, 20))) == dt.datetime(2026, 12, 13, 0, 0, tzinfo=SHANGHAI)
    assert notice_due_at(sponsor(dt.date(2026, 12, 20), notified_at=dt.datetime.now(SHANGHAI))) is None
    assert notice_due_at(None) is None
