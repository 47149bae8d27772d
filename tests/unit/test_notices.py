"""SMS notices: quiet hours (the templates: test_sms_templates.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain.enums import RiskLevel
from chalicelib.domain.notices import (
    QUIET_HOURS,
    SHANGHAI,
    is_quiet,
    keeps_quiet_hours,
    next_send_time,
    should_defer,
)

def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def test_quiet_hours_table() -> None:
    assert [t.isoformat() for t in QUIET_HOURS] == ["22:00:00", "08:00:00"]


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (sh(2026, 11, 21, 21, 59, 59), False),
        (sh(2026, 11, 21, 22, 0), True),
        (sh(2026, 11, 21, 23, 59, 59), True),
        (sh(2026, 11, 22, 0, 0), True),
        (sh(2026, 11, 22, 7, 59), True),
        (sh(2026, 11, 22, 7, 59, 59), True),
        (sh(2026, 11, 22, 8, 0), False),
        (sh(2026, 11, 22, 12, 0), False),
        # UTC inputs: Shanghai is UTC+8.
        (datetime(2026, 11, 21, 13, 59, 59, tzinfo=timezone.utc), False),  # 21:59:59 local
        (datetime(2026, 11, 21, 14, 0, tzinfo=timezone.utc), True),  # 22:00 local
        (datetime(2026, 11, 21, 23, 59, tzinfo=timezone.utc), True),  # 07:59 local
        (datetime(2026, 11, 22, 0, 0, tzinfo=timezone.utc), False),  # 08:00 local
        (datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc), False),  # 11:00 local, 03:00 UTC
    ],
)
def test_is_quiet_in_shanghai(moment: datetime, quiet: bool) -> None:
    assert is_quiet(moment) is quiet


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError):
        is_quiet(datetime(2026, 11, 21, 23, 0))


@pytest.mark.parametrize("risk", [RiskLevel.BLUE, RiskLevel.YELLOW, RiskLevel.ORANGE, "orange", None])
def test_non_red_deferred_only_in_quiet_hours(risk: RiskLevel | str | None) -> None:
    assert should_defer("reminder", risk, sh(2026, 11, 21, 23, 0)) is True
    assert should_defer("reminder", risk, sh(2026, 11, 21, 21, 0)) is False


@pytest.mark.parametrize("kind", ["dispatch", "red_alert", "overdue", "supervision_letter"])
@pytest.mark.parametrize("risk", [RiskLevel.RED, "red"])
def test_red_never_deferred(kind: str, risk: RiskLevel | str) -> None:
    assert should_defer(kind, risk, sh(2026, 11, 21, 23, 0)) is False
    assert should_defer(kind, risk, sh(2026, 11, 22, 3, 0)) is False


@pytest.mark.parametrize(("risk", "keeps"), [(RiskLevel.RED, False), ("red", False), (RiskLevel.ORANGE, True),
                                            (RiskLevel.BLUE, True), (None, True)])
def test_only_red_cases_sms_ignore_quiet_hours(risk: RiskLevel | str | None, keeps: bool) -> None:
    assert keeps_quiet_hours(risk) is keeps


def test_should_defer_unknown_kind_fails() -> None:
    with pytest.raises(KeyError):
        should_defer("birthday", RiskLevel.BLUE, sh(2026, 11, 21, 23, 0))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (sh(2026, 11, 21, 22, 0), sh(2026, 11, 22, 8, 0)),  # evening: next morning
        (sh(2026, 11, 22, 3, 15), sh(2026, 11, 22, 8, 0)),  # small hours: that morning
        (sh(2026, 11, 22, 8, 0), sh(2026, 11, 22, 8, 0)),  # exactly 08:00
        (sh(2026, 12, 31, 23, 30), sh(2027, 1, 1, 8, 0)),  # across the year
        (datetime(2026, 11, 21, 15, 0, tzinfo=timezone.utc), sh(2026, 11, 22, 8, 0)),  # 23:00 local
        (datetime(2026, 11, 21, 20, 0, tzinfo=timezone.utc), sh(2026, 11, 22, 8, 0)),  # 04:00 local next day
    ],
)
def test_next_send_time(moment: datetime, expected: datetime) -> None:
    result = next_send_time(moment)
    assert result == expected
    assert result.tzinfo is SHANGHAI
    assert result.astimezone(timezone.utc) == expected.astimezone(timezone.utc)
