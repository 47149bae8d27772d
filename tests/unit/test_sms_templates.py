"""SMS templates as data: every kind has one at every provider, every parameter is filled, every
text fits one 70-character segment at its parameters' longest, and rendering as a recipient reads it."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from chalicelib.domain.enums import Category, SessionMode
from chalicelib.domain.notices import RECIPIENTS, NoticeKind
from chalicelib.domain.sms_templates import (
    DIGESTS, PARAM_LIMITS, PROVIDERS, SEGMENT_LENGTH, SIGN_NAME, TEMPLATES, all_templates, code_of, fit, parameters,
    render, text_of)

PARTY_KINDS = {"case_code"}
"""SMS to a party: they name the case by its code (一案一码), not by its internal id."""
ORG_KINDS = {"report_missing"}
"""SMS about an org, bound to no case: their texts name the org, never a case."""
SWEEP_KINDS = {"reminder", "overdue", "supervision_letter", "escalated", "visit_due", "visit_overdue",
               "suspension_ended", "jc_window_closing", "session_reminder", "sponsor_due", "report_missing"}
"""What the supervision, return-visit and patrol-report sweeps send, several at once to one number: each
has a digest."""
ALL_VALUES = {
    "case_id": "HW20261121ABCDEFGH",
    "category": Category.NEIGHBOR,
    "title": "楼上漏水",
    "due": datetime(2026, 11, 21, 6, 30, tzinfo=timezone.utc),
    "org_name": "某街道人民调解委员会",
    "public_code": "7KQ4M2XP-R",
    "mode": SessionMode.ONSITE,
    "place": "城南社区调解室",
    "period": "2026年第49周",
    "count": 3,
}


def test_every_notice_kind_has_a_template_and_every_template_a_code_at_every_provider() -> None:
    assert set(TEMPLATES) == set(NoticeKind) == set(RECIPIENTS)
    for name, template in all_templates().items():
        assert set(template.codes) == set(PROVIDERS), name
        assert all(code for code in template.codes.values()), name
    codes = [template.codes[provider] for template in all_templates().values() for provider in PROVIDERS]
    assert len(codes) == len(set(codes))  # one code, one template


def test_every_kind_a_sweep_sends_has_a_digest_and_no_other_kind_is_combined() -> None:
    assert set(DIGESTS) == SWEEP_KINDS
    assert all(render(f"{kind}_digest", **ALL_VALUES).count("3") >= 1 for kind in DIGESTS)


@pytest.mark.parametrize("name", sorted(all_templates()))
def test_every_template_fits_one_segment_at_its_parameters_longest(name: str) -> None:
    template = all_templates()[name]
    longest = {param: "长" * PARAM_LIMITS[param] for param in template.params}
    params = parameters(template, longest)
    assert all(value == longest[param] for param, value in params)  # nothing cut at the limit
    text = text_of(template, params)
    assert len(text) <= SEGMENT_LENGTH, (len(text), text)
    assert "{" not in text and text.startswith(f"【{SIGN_NAME}】")


@pytest.mark.parametrize("name", sorted(all_templates()))
def test_every_parameter_is_named_in_its_text_once_in_order(name: str) -> None:
    template = all_templates()[name]
    assert tuple(re.findall(r"{(\w+)}", template.text)) == template.params
    assert set(template.params) <= set(PARAM_LIMITS)


def test_templates_carry_no_party_data() -> None:
    placeholders = {name for t in all_templates().values() for name in t.params}
    assert placeholders <= {"case_id", "category", "title", "due", "org_name", "period", "public_code", "mode",
                            "place", "count"}  # a session's mode and place (§15)
    assert "督办函" in TEMPLATES["supervision_letter"].text
    assert "整改通报" in TEMPLATES["rectification"].text


@pytest.mark.parametrize("kind", sorted(NoticeKind))
def test_every_template_renders_naming_the_case_as_its_reader_knows_it(kind: str) -> None:
    text = render(kind, **ALL_VALUES)
    if kind in ORG_KINDS:
        assert "某街道人民调解委员会" in text
    else:
        assert ("7KQ4M2XP-R" if kind in PARTY_KINDS else "HW20261121ABCDEFGH") in text
    assert len(text) <= SEGMENT_LENGTH


def test_render_dispatch_uses_label_and_shanghai_time() -> None:
    assert render("dispatch", **ALL_VALUES) == "【和为贵】新派案件HW20261121ABCDEFGH（邻里）楼上漏水，请于11-21 14:30前接单。"


def test_a_long_value_is_cut_to_its_limit() -> None:
    text = render("dispatch", **{**ALL_VALUES, "title": "三楼住户长期占用公共楼道堆放杂物引发纠纷",
                                 "category": Category.LAND_RESOURCES})
    assert "三楼住户长期占用公…" in text and "（土地山林草…）" in text and len(text) <= SEGMENT_LENGTH


def test_render_session_notice_names_when_how_and_where() -> None:
    text = render("session_notice", **{**ALL_VALUES, "mode": SessionMode.VIDEO, "place": "吴江区视频调解室"})
    assert text == "【和为贵】案件HW20261121ABCDEFGH定于11-21 14:30视频调解，地点：吴江区视频调解室，请准时参加。"


def test_render_date_and_extra_values_ignored() -> None:
    text = render("visit_due", case_id="C9", due=date(2027, 1, 7), unused="x")
    assert text == "【和为贵】案件C9应于2027-01-07前完成回访，请及时回访。"


def test_a_digest_says_how_many_and_which_is_due_first() -> None:
    assert render("reminder_digest", **ALL_VALUES) == (
        "【和为贵】您有3件案件即将到期，最早一件HW20261121ABCDEFGH于11-21 14:30到期，请及时办理。")


def test_another_signature() -> None:
    assert render("reminder", sign_name="吴江调解", **ALL_VALUES).startswith("【吴江调解】案件")


def test_parameters_keep_the_templates_order_for_positional_providers() -> None:
    assert parameters(TEMPLATES["red_alert"], ALL_VALUES) == (
        ("case_id", "HW20261121ABCDEFGH"), ("category", "邻里"), ("title", "楼上漏水"),
        ("org_name", "某街道人民调解委员会"))


def test_missing_parameter_and_unknown_template_fail() -> None:
    with pytest.raises(KeyError, match="due"):
        render("dispatch", case_id="C1", category=Category.NEIGHBOR, title="t")
    with pytest.raises(KeyError):
        render("birthday", case_id="C1")


def test_a_stage_overrides_the_codes_it_registered() -> None:
    assert code_of("reminder", "aliyun") == TEMPLATES["reminder"].codes["aliyun"]
    assert code_of("reminder", "tencent", {"reminder": "1999001"}) == "1999001"
    assert code_of("reminder_digest", "tencent", {"reminder": "1999001"}) == DIGESTS["reminder"].codes["tencent"]


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError):
        fit("due", datetime(2026, 11, 21, 6, 30))
