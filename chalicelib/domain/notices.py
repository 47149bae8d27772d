"""SMS notices (短信通知): what a change calls for, the template and recipient tables, and
the quiet-hours rule (§6).

A transition of the case returns `Notice`s: the kind, and the org and mediator the
notice is about. Who receives each kind is data (`RECIPIENTS`): the service reads
the phone of that org's head or of that mediator from the directory. Templates
carry case facts only, never a party's name or phone. Quiet hours are evaluated
in Asia/Shanghai: an SMS falling due in them is deferred to 08:00 unless its
case is red.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any


from .calendar import BUSINESS_TZ
from .enums import LabelledEnum, RiskLevel, WireEnum

SHANGHAI = BUSINESS_TZ


class NoticeKind(WireEnum):
    """The kinds of SMS the service sends; each has a template and a recipient."""

    DISPATCH = "dispatch"
    RED_ALERT = "red_alert"
    REMINDER = "reminder"
    OVERDUE = "overdue"
    SUPERVISION_LETTER = "supervision_letter"
    ESCALATED = "escalated"
    VISIT_DUE = "visit_due"
    VISIT_OVERDUE = "visit_overdue"
    RECTIFICATION = "rectification"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REJECTED = "extension_rejected"
    SUSPENSION_ENDED = "suspension_ended"
    REPORT_MISSING = "report_missing"
    """An org's patrol report (排查报告) is not in by its due time; bound to no case."""
    CASE_CODE = "case_code"
    """The case code (一案一码) to the applicant of a case filed in person, by a grid worker or online."""
    JC_WINDOW_CLOSING = "jc_window_closing"
    """The window for judicial confirmation (司法确认) closes within 7 days and the parties only intend to apply."""
    JOINT_INVITE = "joint_invite"
    """An org is asked to assist in a joint mediation (联合调解): to its head."""
    SESSION_NOTICE = "session_notice"
    """A mediation session (调解会) is booked: to each of its mediators."""
    SESSION_REMINDER = "session_reminder"
    """A session starts within 24 hours: to each of its mediators, once."""
    SPONSOR_DUE = "sponsor_due"
    """The day a sponsored case (领导包案) is to be settled by is a week away: to the leader."""


class Recipient(WireEnum):
    """Whom an SMS goes to."""

    MEDIATOR = "mediator"
    """The mediator the notice names (承办调解员)."""
    ORG_HEAD = "org_head"
    """The head of the org the notice names (调解组织负责人)."""
    APPLICANT = "applicant"
    """The case's first party (in the order filed) that has a phone (申请人)."""
    SPONSOR = "sponsor"
    """The leader who sponsors the case (包案领导), at the phone given with the sponsorship."""


RECIPIENTS: dict[NoticeKind, Recipient] = {
    NoticeKind.DISPATCH: Recipient.MEDIATOR,
    NoticeKind.RED_ALERT: Recipient.ORG_HEAD,
    NoticeKind.REMINDER: Recipient.MEDIATOR,
    NoticeKind.OVERDUE: Recipient.MEDIATOR,
    NoticeKind.SUPERVISION_LETTER: Recipient.ORG_HEAD,
    NoticeKind.ESCALATED: Recipient.ORG_HEAD,
    NoticeKind.VISIT_DUE: Recipient.MEDIATOR,
    NoticeKind.VISIT_OVERDUE: Recipient.ORG_HEAD,
    NoticeKind.RECTIFICATION: Recipient.ORG_HEAD,
    NoticeKind.EXTENSION_APPROVED: Recipient.MEDIATOR,
    NoticeKind.EXTENSION_REJECTED: Recipient.MEDIATOR,
    NoticeKind.SUSPENSION_ENDED: Recipient.MEDIATOR,
    NoticeKind.REPORT_MISSING: Recipient.ORG_HEAD,
    NoticeKind.CASE_CODE: Recipient.APPLICANT,
    NoticeKind.JC_WINDOW_CLOSING: Recipient.MEDIATOR,
    NoticeKind.JOINT_INVITE: Recipient.ORG_HEAD,
    NoticeKind.SESSION_NOTICE: Recipient.MEDIATOR,
    NoticeKind.SESSION_REMINDER: Recipient.MEDIATOR,
    NoticeKind.SPONSOR_DUE: Recipient.SPONSOR,
}
"""Who receives each kind of SMS."""

RED_ALERT_LEVELS: frozenset[RiskLevel] = frozenset({RiskLevel.RED})
"""Risk levels whose dispatch also alerts the org's head (红色预警)."""


class NotificationStatus(WireEnum):
    """Where an SMS record stands: `pending` until the sender takes it, `sending` while it does."""

    PENDING = "pending"
    DEFERRED = "deferred"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    """Not sent: no mobile number to send to, or its case was merged into another before it went out."""


CLAIMABLE: tuple[NotificationStatus, ...] = (
    NotificationStatus.PENDING, NotificationStatus.FAILED, NotificationStatus.DEFERRED)
"""Statuses a sender may claim a record in (the conditional write that sends each SMS once)."""


@dataclass(frozen=True)
class Notice:
    """An SMS a change of the case calls for: its kind, the org and mediator it is about
    (the recipient is one of them, by `RECIPIENTS`; the org also names itself in the text),
    the deadline or date it mentions, and any other value its template names (`details`)."""

    kind: NoticeKind
    org_id: str | None
    mediator_id: str | None = None
    due: datetime | date | None = None
    details: tuple[tuple[str, Any], ...] = ()

    @property
    def recipient(self) -> Recipient:
        return RECIPIENTS[self.kind]


TEMPLATES: dict[NoticeKind, str] = {
    NoticeKind.DISPATCH: "【和为贵】您有新派调解案件{case_id}（{category}）：{title}，请于{due}前接单。",
    NoticeKind.RED_ALERT: "【和为贵】红色风险案件{case_id}（{category}）：{title}，已派至{org_name}，请负责人关注。",
    NoticeKind.REMINDER: "【和为贵】案件{case_id}将于{due}到期，请及时办理。",
    NoticeKind.OVERDUE: "【和为贵】案件{case_id}已于{due}超期，请立即办理。",
    NoticeKind.SUPERVISION_LETTER: "【和为贵】督办函：{org_name}承办的案件{case_id}已于{due}超期未办结，请督促办理。",
    NoticeKind.ESCALATED: "【和为贵】{org_name}承办的案件{case_id}超期未办结，已挂牌督办并上报上一级。",
    NoticeKind.VISIT_DUE: "【和为贵】案件{case_id}应于{due}前完成回访，请及时回访。",
    NoticeKind.VISIT_OVERDUE: "【和为贵】{org_name}承办的案件{case_id}回访已于{due}逾期，请督促回访。",
    NoticeKind.RECTIFICATION: "【和为贵】整改通报：{org_name}承办的案件{case_id}回访发现协议未履行或当事人不满意，请整改。",
    NoticeKind.EXTENSION_APPROVED: "【和为贵】案件{case_id}延期申请已批准，办结期限延至{due}。",
    NoticeKind.EXTENSION_REJECTED: "【和为贵】案件{case_id}延期申请未获批准，请于{due}前办结。",
    NoticeKind.SUSPENSION_ENDED: "【和为贵】案件{case_id}中止期满，已恢复办理，请于{due}前办结。",
    NoticeKind.REPORT_MISSING: "【和为贵】{org_name}{period}排查报告应于{due}前报送，至今未报，请尽快报送"
                               "（未排查出矛盾纠纷的请报零报告）。",
    NoticeKind.CASE_CODE: "【和为贵】您反映的{category}纠纷已受理，案件码{public_code}。凭案件码和本机号码后四位，"
                          "可查询办理进度并评价。",
    NoticeKind.JC_WINDOW_CLOSING: "【和为贵】案件{case_id}调解协议申请司法确认的期限将于{due}届满，当事人尚未申请，"
                                  "请提醒当事人及时共同向人民法院申请。",
    NoticeKind.JOINT_INVITE: "【和为贵】{org_name}：案件{case_id}（{category}）：{title}，邀请贵单位参与联合调解，"
                             "请安排调解员协同办理。",
    NoticeKind.SESSION_NOTICE: "【和为贵】案件{case_id}定于{due}{mode}，地点：{place}，请准时参加。",
    NoticeKind.SESSION_REMINDER: "【和为贵】提醒：案件{case_id}调解会将于{due}开始（{mode}，地点：{place}），请做好准备。",
    NoticeKind.SPONSOR_DUE: "【和为贵】您包案的案件{case_id}（{category}）：{title}，应于{due}前化解，请督促推进。",
}
"""Chinese SMS texts by notification kind."""

QUIET_HOURS: tuple[time, time] = (time(22, 0), time(8, 0))
"""[start, end) in Asia/Shanghai; the window wraps past midnight."""

DEFER_EXEMPT_RISK_LEVELS: frozenset[RiskLevel] = frozenset({RiskLevel.RED})


def _text(value: Any) -> Any:
    if isinstance(value, LabelledEnum):
        return value.label
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def render(kind: str, **values: Any) -> str:
    """The SMS text of `kind`; KeyError for an unknown kind or a missing placeholder.

    Enum values render as their Chinese label, datetimes in Asia/Shanghai.
    """
    return TEMPLATES[kind].format_map({name: _text(value) for name, value in values.items()})


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    return moment.astimezone(SHANGHAI)


def is_quiet(moment: datetime) -> bool:
    """True when `moment` falls in the quiet hours, Asia/Shanghai."""
    start, end = QUIET_HOURS
    clock = _local(moment).time()
    return clock >= start or clock < end


def keeps_quiet_hours(risk_level: RiskLevel | str | None) -> bool:
    """Whether SMS about a case of this risk level wait out the quiet hours (all but red)."""
    level = RiskLevel(risk_level) if risk_level is not None else None
    return level not in DEFER_EXEMPT_RISK_LEVELS


def should_defer(kind: str, risk_level: RiskLevel | str | None, moment: datetime) -> bool:
    """An SMS due at `moment` is deferred in quiet hours unless its case is red."""
    if kind not in TEMPLATES:
        raise KeyError(kind)
    return keeps_quiet_hours(risk_level) and is_quiet(moment)


def next_send_time(moment: datetime) -> datetime:
    """The first end of quiet hours (08:00 Asia/Shanghai) at or after `moment`."""
    local = _local(moment)
    send = datetime.combine(local.date(), QUIET_HOURS[1], tzinfo=SHANGHAI)
    return send if send >= local else send + timedelta(days=1)
