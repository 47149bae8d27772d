"""SMS notices (短信通知): the template table and the quiet-hours rule (§6).

Templates carry case facts only, never a party's name or phone. Quiet hours
are evaluated in Asia/Shanghai: an SMS falling due in them is deferred to
08:00 unless its case is red.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any


from .calendar import BUSINESS_TZ
from .enums import LabelledEnum, RiskLevel

SHANGHAI = BUSINESS_TZ

TEMPLATES: dict[str, str] = {
    "dispatch": "【和为贵】您有新派调解案件{case_id}（{category}）：{title}，请于{due}前接单。",
    "red_alert": "【和为贵】红色风险案件{case_id}（{category}）：{title}，已派至{org_name}，请负责人关注。",
    "reminder": "【和为贵】案件{case_id}将于{due}到期，请及时办理。",
    "overdue": "【和为贵】案件{case_id}已于{due}超期，请立即办理。",
    "supervision_letter": "【和为贵】督办函：{org_name}承办的案件{case_id}已于{due}超期未办结，请督促办理。",
    "escalated": "【和为贵】{org_name}承办的案件{case_id}超期未办结，已挂牌督办并上报上一级。",
    "visit_due": "【和为贵】案件{case_id}应于{due}前完成回访，请及时回访。",
    "visit_overdue": "【和为贵】{org_name}承办的案件{case_id}回访已于{due}逾期，请督促回访。",
    "rectification": "【和为贵】整改通报：{org_name}承办的案件{case_id}回访发现协议未履行或当事人不满意，请整改。",
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
