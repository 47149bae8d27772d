"""SMS templates and quiet hours."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from chalicelib.domain.enums import Category, RiskLevel, SessionMode
from chalicelib.domain.notices import (
    QUIET_HOURS,
    SHANGHAI,
    TEMPLATES,
    is_quiet,
    keeps_quiet_hours,
    next_send_time,
    render,
    should_defer,
)

KINDS = {
    "dispatch",
    "red_alert",
    "reminder",
    "overdue",
    "supervision_letter",
    "escalated",
    "visit_due",
    "visit_overdue",
    "rectification",
    "extension_approved",
    "extension_rejected",
    "suspension_ended",
    "case_code",
    "jc_window_closing",
    "joint_invite",
    "session_notice",
    "session_reminder",
    "sponsor_due",
}
PARTY_KINDS = {"case_code"}
"""SMS to a party: they name the case by its code (一案一码), not by its internal id."""
ORG_KINDS = {"report_missing"}
"""SMS about an org, bound to no case: their texts name the org, never a case."""
ALL_VALUES = {
    "case_id": "C123",
    "category": Category.NEIGHBOR,
    "title": "楼上漏水",
    "due": datetime(2026, 11, 21, 6, 30, tzinfo=timezone.utc),
    "org_name": "某街道人民调解委员会",
    "public_code": "7KQ4M2XP-R",
    "mode": SessionMode.ONSITE,
    "place": "城南社区调解室",
}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def test_table_has_every_kind_branded() -> None:
    assert set(TEMPLATES) == KINDS | ORG_KINDS
    assert all(text.startswith("【和为贵】") for text in TEMPLATES.values())


def test_templates_carry_no_party_data() -> None:
    placeholders = {name for text in TEMPLATES.values() for name in re.findall(r"{(\w+)}", text)}
    assert placeholders <= {"case_id", "category", "title", "due", "org_name", "period",
                            "public_code", "mode", "place"}  # a session's mode and place (§15)
    assert "督办函" in TEMPLATES["supervision_letter"]
    assert "整改通报" in TEMPLATES["rectification"]


def test_render_dispatch_uses_label_and_shanghai_time() -> None:
    assert render("dispatch", **ALL_VALUES) == (
        "【和为贵】您有新派调解案件C123（邻里）：楼上漏水，请于2026-11-21 14:30前接单。"
    )


def test_render_session_notice_names_when_how_and_where() -> None:
    text = render("session_notice", **{**ALL_VALUES, "mode": SessionMode.VIDEO, "place": "吴江区视频调解室"})
    assert text == "【和为贵】案件C123定于2026-11-21 14:30视频调解，地点：吴江区视频调解室，请准时参加。"


def test_render_case_code_gives_the_code_and_how_to_use_it() -> None:
    text = render("case_code", **ALL_VALUES)
    assert text == ("【和为贵】您反映的邻里纠纷已受理，案件码7KQ4M2XP-R。凭案件码和本机号码后四位，"
                    "可查询办理进度并评价。")


def test_render_date_and_extra_values_ignored() -> None:
    text = render("visit_due", case_id="C9", due=date(2027, 1, 7), unused="x")
    assert text == "【和为贵】案件C9应于2027-01-07前完成回访，请及时回访。"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_template_renders(kind: str) -> None:
    text = render(kind, **ALL_VALUES)
    names_case = "7KQ4M2XP-R" if kind in PARTY_KINDS else "C123"  # a party knows the case by its code
    assert text.startswith("【和为贵】") and "{" not in text and names_case in text


def test_report_missing_names_the_org_the_period_and_its_due_time() -> None:
    text = render("report_missing", org_name="城南社区人民调解委员会", period="2026年第49周（11月30日至12月6日）",
                  due=datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc))
    assert text == ("【和为贵】城南社区人民调解委员会2026年第49周（11月30日至12月6日）排查报告应于2026-12-07 17:00前报送，"
                    "至今未报，请尽快报送（未排查出矛盾纠纷的请报零报告）。")


def test_missing_placeholder_fails() -> None:
    with pytest.raises(KeyError, match="due"):
        render("dispatch", case_id="C1", category=Category.NEIGHBOR, title="t")


def test_unknown_kind_fails() -> None:
    with pytest.raises(KeyError):
        render("birthday", case_id="C1")


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
