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
from .enums import RiskLevel, WireEnum

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


QUIET_HOURS: tuple[time, time] = (time(22, 0), time(8, 0))
"""[start, end) in Asia/Shanghai; the window wraps past midnight."""

DEFER_EXEMPT_RISK_LEVELS: frozenset[RiskLevel] = frozenset({RiskLevel.RED})


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
    if kind not in set(NoticeKind):
        raise KeyError(kind)
    return keeps_quiet_hours(risk_level) and is_quiet(moment)


def next_send_time(moment: datetime) -> datetime:
    """The first end of quiet hours (08:00 Asia/Shanghai) at or after `moment`."""
    local = _local(moment)
    send = datetime.combine(local.date(), QUIET_HOURS[1], tzinfo=SHANGHAI)
    return send if send >= local else send + timedelta(days=1)
