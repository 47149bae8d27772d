"""SMS templates as data (短信模板): each kind's text, its ordered parameters, and the code each
mainland provider gave it when it was registered; the digests (汇总短信) of a sweep's notices
to one recipient; and the rendering that keeps every message within one SMS.

Alibaba Cloud and Tencent Cloud send only registered templates, under an approved signature
(短信签名): a message is a template code and its parameters, and the provider puts 【签名】
first. Amazon SNS sends the same text rendered here, signature included. One segment of a
Chinese SMS is 70 characters, the signature counted: each parameter has a longest value
(`PARAM_LIMITS`, what the templates are registered with), a longer one is cut with `…`, and a
test renders every template at those lengths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from .calendar import BUSINESS_TZ
from .enums import LabelledEnum
from .notices import NoticeKind

SEGMENT_LENGTH = 70
"""Characters of one SMS segment with any Chinese character in it (UCS-2), the signature counted."""

SIGN_NAME = "和为贵"
"""The signature (短信签名) the templates are registered under; a stage may send under another
(`config.SmsSettings.sign_name`) of the same length or shorter."""

PROVIDERS = ("aliyun", "tencent")
"""The mainland providers, whose templates have codes; Amazon SNS sends the text."""

DIGEST_SUFFIX = "_digest"


@dataclass(frozen=True)
class SmsTemplate:
    """One registered template: its text after the signature, with `{name}` for each parameter,
    the parameters in order, and its code at each provider."""

    text: str
    params: tuple[str, ...]
    codes: Mapping[str, str]


PARAM_LIMITS: dict[str, int] = {
    "case_id": 18,  # HW + the day + 8 characters: never cut
    "public_code": 10,
    "category": 6,
    "title": 10,
    "org_name": 12,
    "due": 11,  # `12-05 18:00` for a moment, `2027-01-07` for a day
    "mode": 4,
    "place": 12,
    "period": 16,
    "count": 3,
}
"""The longest value of each parameter, in characters (as registered with the providers)."""


def _t(text: str, aliyun: str, tencent: str) -> SmsTemplate:
    params = tuple(dict.fromkeys(re.findall(r"{(\w+)}", text)))
    return SmsTemplate(text=text, params=params, codes={"aliyun": aliyun, "tencent": tencent})


TEMPLATES: dict[str, SmsTemplate] = {
    NoticeKind.DISPATCH: _t("新派案件{case_id}（{category}）{title}，请于{due}前接单。", "SMS_487010001", "2170001"),
    NoticeKind.RED_ALERT: _t("红色风险案件{case_id}（{category}）{title}已派至{org_name}，请关注。",
                             "SMS_487010002", "2170002"),
    NoticeKind.REMINDER: _t("案件{case_id}将于{due}到期，请及时办理。", "SMS_487010003", "2170003"),
    NoticeKind.OVERDUE: _t("案件{case_id}已于{due}超期，请立即办理。", "SMS_487010004", "2170004"),
    NoticeKind.SUPERVISION_LETTER: _t("督办函：{org_name}承办的案件{case_id}已于{due}超期未办结，请督促办理。",
                                      "SMS_487010005", "2170005"),
    NoticeKind.ESCALATED: _t("{org_name}承办的案件{case_id}超期未办结，已挂牌督办并上报上一级。",
                             "SMS_487010006", "2170006"),
    NoticeKind.VISIT_DUE: _t("案件{case_id}应于{due}前完成回访，请及时回访。", "SMS_487010007", "2170007"),
    NoticeKind.VISIT_OVERDUE: _t("{org_name}承办的案件{case_id}回访已于{due}逾期，请督促回访。",
                                 "SMS_487010008", "2170008"),
    NoticeKind.RECTIFICATION: _t("整改通报：{org_name}承办的案件{case_id}回访发现协议未履行或当事人不满意，请整改。",
                                 "SMS_487010009", "2170009"),
    NoticeKind.EXTENSION_APPROVED: _t("案件{case_id}延期申请已批准，办结期限延至{due}。", "SMS_487010010", "2170010"),
    NoticeKind.EXTENSION_REJECTED: _t("案件{case_id}延期申请未获批准，请于{due}前办结。", "SMS_487010011", "2170011"),
    NoticeKind.SUSPENSION_ENDED: _t("案件{case_id}中止期满，已恢复办理，请于{due}前办结。", "SMS_487010012", "2170012"),
    NoticeKind.REPORT_MISSING: _t("{org_name}{period}排查报告应于{due}前报送，请尽快报送（无纠纷的报零报告）。",
                                  "SMS_487010013", "2170013"),
    NoticeKind.CASE_CODE: _t("您反映的{category}纠纷已受理，案件码{public_code}。凭案件码和本机号码后四位可查进度、评价。",
                             "SMS_487010014", "2170014"),
    NoticeKind.JC_WINDOW_CLOSING: _t("案件{case_id}调解协议申请司法确认的期限{due}届满，当事人尚未申请，请提醒。",
                                     "SMS_487010015", "2170015"),
    NoticeKind.JOINT_INVITE: _t("{org_name}：请参与案件{case_id}（{category}）{title}的联合调解。",
                                "SMS_487010016", "2170016"),
    NoticeKind.SESSION_NOTICE: _t("案件{case_id}定于{due}{mode}，地点：{place}，请准时参加。",
                                  "SMS_487010017", "2170017"),
    NoticeKind.SESSION_REMINDER: _t("提醒：案件{case_id}调解会{due}开始（{mode}，{place}），请做好准备。",
                                    "SMS_487010018", "2170018"),
    NoticeKind.SPONSOR_DUE: _t("您包案的案件{case_id}（{category}）{title}应于{due}前化解，请督促推进。",
                               "SMS_487010019", "2170019"),
}
"""One template per notice kind."""

DIGESTS: dict[str, SmsTemplate] = {
    NoticeKind.REMINDER: _t("您有{count}件案件即将到期，最早一件{case_id}于{due}到期，请及时办理。",
                            "SMS_487010103", "2170103"),
    NoticeKind.OVERDUE: _t("您有{count}件案件已超期，最早一件{case_id}于{due}超期，请立即办理。",
                           "SMS_487010104", "2170104"),
    NoticeKind.SUPERVISION_LETTER: _t("督办函：{org_name}有{count}件案件超期未办结（最早{case_id}），请督促办理。",
                                      "SMS_487010105", "2170105"),
    NoticeKind.ESCALATED: _t("{org_name}有{count}件案件超期未办结，已挂牌督办并上报上一级（最早{case_id}）。",
                             "SMS_487010106", "2170106"),
    NoticeKind.VISIT_DUE: _t("您有{count}件案件待回访，最早一件{case_id}应于{due}前回访，请及时回访。",
                             "SMS_487010107", "2170107"),
    NoticeKind.VISIT_OVERDUE: _t("{org_name}有{count}件案件回访已逾期（最早{case_id}），请督促回访。",
                                 "SMS_487010108", "2170108"),
    NoticeKind.SUSPENSION_ENDED: _t("您有{count}件中止案件期满恢复办理，最早一件{case_id}请于{due}前办结。",
                                    "SMS_487010112", "2170112"),
    NoticeKind.JC_WINDOW_CLOSING: _t("您有{count}件案件司法确认申请期限将届满，最早{case_id}于{due}，请提醒当事人。",
                                     "SMS_487010115", "2170115"),
    NoticeKind.SESSION_REMINDER: _t("您有{count}场调解会将于24小时内开始，最早一场案件{case_id}于{due}，请做好准备。",
                                    "SMS_487010118", "2170118"),
    NoticeKind.SPONSOR_DUE: _t("您包案的{count}件案件一周内应化解，最早一件{case_id}于{due}，请督促推进。",
                               "SMS_487010119", "2170119"),
    NoticeKind.REPORT_MISSING: _t("{org_name}有{count}期排查报告未报，最早{period}应于{due}前报送，请尽快报送。",
                                  "SMS_487010113", "2170113"),
}
"""The digest of each kind a sweep sends to one recipient for many cases: how many, and the
one due first. A kind without one (a dispatch, a red alert, an SMS to a party) is never combined.
The digest of an org's missing patrol reports names the org of the one due first."""


def all_templates() -> dict[str, SmsTemplate]:
    """Every template by its name: a notice kind, or `<kind>_digest`."""
    return {**{str(k): t for k, t in TEMPLATES.items()},
            **{f"{k}{DIGEST_SUFFIX}": t for k, t in DIGESTS.items()}}


def digest_name(kind: str) -> str:
    return f"{kind}{DIGEST_SUFFIX}"


def has_digest(kind: str) -> bool:
    return kind in DIGESTS


def _value(value: Any) -> str:
    if isinstance(value, LabelledEnum):
        return value.label
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone")
        return value.astimezone(BUSINESS_TZ).strftime("%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def fit(name: str, value: Any) -> str:
    """A parameter's value as sent: enums as their Chinese label, moments as `MM-DD HH:MM` in
    Asia/Shanghai, days as ISO dates, then cut to its limit with `…`."""
    text = _value(value)
    limit = PARAM_LIMITS.get(name)
    if limit is not None and len(text) > limit:
        return text[:limit - 1] + "…"
    return text


def parameters(template: SmsTemplate, values: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The template's parameters from `values`, in order; KeyError naming one not given."""
    missing = [name for name in template.params if name not in values]
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return tuple((name, fit(name, values[name])) for name in template.params)


def text_of(template: SmsTemplate, params: tuple[tuple[str, str], ...], sign_name: str = SIGN_NAME) -> str:
    """The message as the recipient reads it: 【signature】 and the filled template."""
    return f"【{sign_name}】" + template.text.format_map(dict(params))


def code_of(name: str, provider: str, overrides: Mapping[str, str] | None = None) -> str:
    """The code `provider` gave template `name`: the stage's override (`HEWEI_SMS_TEMPLATE_CODES`)
    if it has one, else this table's. KeyError for a template not known."""
    if overrides and name in overrides:
        return overrides[name]
    return all_templates()[name].codes[provider]


def render(name: str, sign_name: str = SIGN_NAME, **values: Any) -> str:
    """The text of template `name` with `values` (extra ones ignored); KeyError for an unknown
    template or a missing parameter."""
    template = all_templates()[name]
    return text_of(template, parameters(template, values), sign_name)
