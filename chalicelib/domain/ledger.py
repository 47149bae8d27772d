"""The case ledger (台账, §13): its columns, how one case becomes one row, and export jobs.

A ledger row is what a centre files about a case, rendered for people:
Chinese labels of `/v1/meta`, parties masked as partners see them (the
ledger leaves the system as a file), free text with any phone or ID number
in it masked, times in Asia/Shanghai. The renderings the contract leaves
open are fixed here, once, for both formats:

- a moment (受理日期, 接单期限, 办结期限, 办结日期) is `YYYY-MM-DD HH:MM` in
  Asia/Shanghai; a calendar day (履行期限) is `YYYY-MM-DD`; empty when unset;
- 调解组织: the lead org, and the orgs assisting it in a joint mediation
  (联合调解) in the order they joined: `城南社区人民调解委员会（联合：松陵街道人民调解委员会）`;
- 督办等级: the highest supervision level reached, named by its step
  (无, 一级（超期）, 二级（督办函）, 三级（挂牌督办）), and the leader in charge of the
  case (领导包案), named masked as the parties are:
  `二级（督办函）；领导包案：李*（吴江区副区长），2026-12-20前化解`;
- 调处结果: 调解成功 (an agreement), 调解不成 (a referral), 已撤回, 已并入 <case_id>
  for a merged case, 办理中 while open;
- 协议内容, 履行期限: the agreement's summary and performance date;
- 分流去向: the referral's label and its reason (`诉讼：对方拒绝调解`);
- 回访情况: visits done of visits planned, the last visit's finding, and a
  pending rectification (`已回访1/3次；最近一次：部分履行；待整改`);
- 满意度: the lowest of the three scores of the last visit done;
- 是否延期: 是 once an extension was approved; 是否超期: 是 while the case is
  flagged overdue, or when it concluded after the resolve deadline in force
  (as the on-time figure of §8 counts it);
- 办结日期: when it was resolved or found unresolved (结单), or withdrawn.

Up to `SYNC_ROWS` rows a ledger is the answer itself; more are written by an
export job (`ExportJob`) into a file kept `EXPORT_RETENTION` and handed out
as a link valid `LINK_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .access import Principal
from .calendar import BUSINESS_TZ
from .case import Case
from .enums import CaseStatus, Referral, Role, Satisfaction, TransferTarget, WireEnum
from .masking import mask_name, mask_party, redact_text

LEDGER_SHEET = "台账"

COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 6), ("案件编号", 20), ("外部编号", 24), ("受理日期", 17), ("来源", 12), ("纠纷类别", 16),
    ("纠纷简况", 36), ("当事人", 18), ("联系电话", 14), ("涉及人数", 9), ("涉及金额(元)", 13), ("风险等级", 9),
    ("层级", 10), ("调解组织", 26), ("调解员", 10), ("状态", 10), ("接单期限", 17), ("办结期限", 17),
    ("是否延期", 9), ("是否超期", 9), ("督办等级", 16), ("调处结果", 14), ("协议内容", 36), ("履行期限", 12),
    ("分流去向", 24), ("回访情况", 30), ("满意度", 10), ("办结日期", 17),
)
"""The ledger's columns in the contract's order, with a width (in characters) for spreadsheets."""
HEADER: tuple[str, ...] = tuple(label for label, _ in COLUMNS)
WIDTHS: tuple[int, ...] = tuple(width for _, width in COLUMNS)

YES, NO = "是", "否"
PARTY_SEPARATOR = "、"
MOMENT_FORMAT = "%Y-%m-%d %H:%M"

SUPERVISION_LEVEL_LABELS = {0: "无", 1: "一级（超期）", 2: "二级（督办函）", 3: "三级（挂牌督办）"}
"""督办等级: `supervision_level` named by the step of the ladder that reached it (`domain.deadlines`)."""
SPONSORED = "领导包案"
JOINT_PREFIX = "联合："
"""Before the assisting orgs (联合调解) in 调解组织."""
AGREEMENT_PERFORMED_LABELS = {"yes": "已履行", "partial": "部分履行", "no": "未履行"}
"""履行情况 a return visit found."""
RESOLVED, UNRESOLVED, WITHDRAWN, MERGED_INTO, IN_PROGRESS = "调解成功", "调解不成", "已撤回", "已并入", "办理中"
TRANSFERRED = "已移交"
"""调处结果."""
SATISFACTION_ORDER = (Satisfaction.DISSATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.SATISFIED)
"""Lowest first: a visit's 满意度 is its lowest score."""

CSV_GUARDED_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A csv cell starting with one of these gets a leading `'`, so that a spreadsheet opening the file
takes it for text, not a formula (§13 names = + - @; tab and carriage return as OWASP adds)."""


# --------------------------------------------------------------------- rows


def moment_text(moment: dt.datetime | None) -> str | None:
    """A moment as the ledger shows it: `2026-11-23 10:00`, Asia/Shanghai."""
    return moment.astimezone(BUSINESS_TZ).strftime(MOMENT_FORMAT) if moment else None


def _amount(value: float | None) -> int | float | None:
    return int(value) if value is not None and float(value).is_integer() else value


def _text(value: str | None) -> str | None:
    """Free text as it may leave the system: any phone or ID number in it masked."""
    return redact_text(value) if value else None


def _outcome(case: Case) -> str:
    """调处结果: what came of the case (a resolved case later closed is still 调解成功)."""
    if case.agreement is not None:
        return RESOLVED
    if case.referral is not None:
        return UNRESOLVED
    if case.status is CaseStatus.MERGED:
        return f"{MERGED_INTO} {case.merged_into}" if case.merged_into else MERGED_INTO
    if case.status is CaseStatus.WITHDRAWN:
        return WITHDRAWN
    if case.status is CaseStatus.TRANSFERRED:
        return TRANSFERRED
    return IN_PROGRESS


def _referral(case: Case) -> str | None:
    if case.transfer:  # 移交: the kind of body and the department by name
        return f"{TransferTarget(case.transfer['to']).label}：{case.transfer['department']}"
    if not case.referral:
        return None
    route = Referral(case.referral["channel"]).label
    reason = _text(case.referral.get("reason"))
    return f"{route}：{reason}" if reason else route


def _visits_done(case: Case) -> list[dict[str, Any]]:
    return [visit for visit in case.return_visits if visit.get("done_at")]


def _visits(case: Case) -> str | None:
    if not case.return_visits:
        return None
    done = _visits_done(case)
    parts = [f"已回访{len(done)}/{len(case.return_visits)}次"]
    if done and done[-1].get("agreement_performed") in AGREEMENT_PERFORMED_LABELS:
        parts.append(f"最近一次：{AGREEMENT_PERFORMED_LABELS[done[-1]['agreement_performed']]}")
    if case.rectification_required:
        parts.append("待整改")
    return "；".join(parts)


def _satisfaction(case: Case) -> str | None:
    done = _visits_done(case)
    scores = {Satisfaction(value) for value in (done[-1].get("satisfaction") or {}).values()} if done else set()
    return next((level.label for level in SATISFACTION_ORDER if level in scores), None)


def _overdue(case: Case) -> bool:
    late = bool(case.concluded_at and case.resolve_due_at and case.concluded_at > case.resolve_due_at)
    return case.overdue or late


def _named(names: Mapping[str, str], entry_id: str | None) -> str | None:
    """An org or mediator by name (by id when the directory has none)."""
    return names.get(entry_id, entry_id) if entry_id else None


def _orgs(case: Case, org_names: Mapping[str, str]) -> str | None:
    """调解组织: the lead org and, in a joint mediation, the orgs assisting it."""
    lead = _named(org_names, case.org_id)
    if not case.participants:
        return lead
    assisting = JOINT_PREFIX + PARTY_SEPARATOR.join(_named(org_names, p.org_id) for p in case.participants)
    return f"{lead}（{assisting}）" if lead else assisting


def _supervision(case: Case) -> str:
    """督办等级: the level reached and, once a leader is in charge (领导包案), who and by when."""
    level = SUPERVISION_LEVEL_LABELS.get(case.supervision_level, str(case.supervision_level))
    sponsor = case.sponsor
    if sponsor is None:
        return level
    leader = f"{mask_name(sponsor.leader_name)}（{_text(sponsor.leader_title)}）"
    return f"{level}；{SPONSORED}：{leader}，{sponsor.due_on.isoformat()}前化解"


def _finished_at(case: Case) -> dt.datetime | None:
    if case.concluded_at:
        return case.concluded_at
    return case.closed_at if case.status in (CaseStatus.WITHDRAWN, CaseStatus.TRANSFERRED) else None


def ledger_row(seq: int, case: Case, org_names: Mapping[str, str], mediator_names: Mapping[str, str]) -> list:
    """One case as one ledger row, in `HEADER`'s order; None for an empty cell."""
    parties = [mask_party(party.to_dict()) for party in case.parties]
    agreement = case.agreement or {}
    return [
        seq,
        case.case_id,
        case.external_ref,
        moment_text(case.received_at),
        case.channel.label,
        case.category.label,
        _text(case.title),
        PARTY_SEPARATOR.join(party["name"] for party in parties),
        parties[0].get("phone") if parties else None,
        case.party_count,
        _amount(case.amount_cny),
        case.risk_level.label,
        case.tier.label if case.tier else None,
        _orgs(case, org_names),
        _named(mediator_names, case.mediator_id),
        case.status.label,
        moment_text(case.accept_due_at),
        moment_text(case.resolve_due_at),
        YES if case.extensions_approved else NO,
        YES if _overdue(case) else NO,
        _supervision(case),
        _outcome(case),
        _text(agreement.get("summary")),
        agreement.get("performance_due"),
        _referral(case),
        _visits(case),
        _satisfaction(case),
        moment_text(_finished_at(case)),
    ]


def csv_cell(value: Any) -> Any:
    """A cell as the csv carries it: empty for None, `'` before text that would start a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(CSV_GUARDED_STARTS):
        return "'" + value
    return value


# ----------------------------------------------------------------- exports

SYNC_ROWS = 5_000
"""Up to this many rows a ledger is the answer itself (200); more are an export job (202)."""
MAX_ROWS = 100_000
"""The most rows one export writes: a range with more is refused (422), to be split. The exports
worker writes about a thousand xlsx rows a second (bench/ledger.py): this many fit its 600 s."""
LINK_SECONDS = 15 * 60
"""How long a download link of a ready export is valid."""
EXPORT_RETENTION = dt.timedelta(days=1)
"""How long an export's file and its job record are kept (S3 lifecycle, DynamoDB TTL)."""
EXPORT_KEY_PREFIX = "ledger/"
"""Where export files go in the exports bucket (the functions' rights stop at it)."""


class LedgerFormat(WireEnum):
    XLSX = "xlsx"
    CSV = "csv"


MEDIA_TYPES = {
    LedgerFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    LedgerFormat.CSV: "text/csv; charset=utf-8",
}


class ExportStatus(WireEnum):
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class LedgerScope:
    """Which cases a ledger holds: received under `region` (a 6, 9 or 12 digit prefix) on the
    Asia/Shanghai days `first` to `last`, both included."""

    region: str
    first: dt.date
    last: dt.date

    @property
    def received_from(self) -> dt.datetime:
        """The first moment of the range (included)."""
        return dt.datetime.combine(self.first, dt.time(0), tzinfo=BUSINESS_TZ)

    @property
    def received_before(self) -> dt.datetime:
        """The first moment after the range (excluded)."""
        return dt.datetime.combine(self.last, dt.time(0), tzinfo=BUSINESS_TZ) + dt.timedelta(days=1)

    def filename(self, ledger_format: LedgerFormat) -> str:
        return f"{LEDGER_SHEET}_{self.region}_{self.first.isoformat()}_{self.last.isoformat()}.{ledger_format.value}"


def new_export_id(now: dt.datetime) -> str:
    """`EX20261123` + 16 random hex digits: sortable by day, unguessable."""
    return f"EX{now.astimezone(BUSINESS_TZ):%Y%m%d}{secrets.token_hex(8).upper()}"


@dataclass
class ExportJob:
    """台账导出任务: a ledger too long to be an answer, written to a file by the exports worker."""

    export_id: str
    requested_by: str
    """The actor who asked (`Principal.actor`): they, or an admin, may read it."""
    scope: LedgerScope
    ledger_format: LedgerFormat
    rows: int
    """The cases counted when it was asked for; once ready, the rows written."""
    created_at: dt.datetime
    status: ExportStatus = ExportStatus.RUNNING
    finished_at: dt.datetime | None = None

    @property
    def object_key(self) -> str:
        """Where its file goes: one key per job, so a retry overwrites what a failed try left."""
        return f"{EXPORT_KEY_PREFIX}{self.export_id}.{self.ledger_format.value}"

    @property
    def filename(self) -> str:
        return self.scope.filename(self.ledger_format)

    @property
    def expires_at(self) -> dt.datetime:
        return self.created_at + EXPORT_RETENTION

    def visible_to(self, principal: Principal, now: dt.datetime) -> bool:
        """The principal who asked (still covering its region) or an admin, until it expires."""
        if now >= self.expires_at:
            return False
        if principal.role is Role.ADMIN:
            return True
        return principal.actor == self.requested_by and principal.covers_region(self.scope.region)

    def status_at(self, now: dt.datetime, give_up_after: dt.timedelta) -> ExportStatus:
        """Its status; a job still running after every try of its message had time to run
        (a worker that died on the last try could not mark it) is failed."""
        if self.status is ExportStatus.RUNNING and now >= self.created_at + give_up_after:
            return ExportStatus.FAILED
        return self.status


class NameBook:
    """The org and mediator names of the cases seen so far, looked up once per id, a batch at a time."""

    def __init__(self, look_up: Callable[[str, list[str]], dict[str, str]]):
        self._look_up = look_up
        self.orgs: dict[str, str] = {}
        self.mediators: dict[str, str] = {}

    def learn(self, cases: list[Case]) -> None:
        orgs = {org for c in cases for org in (c.org_id, *c.assisting_org_ids) if org}  # lead and assisting
        for kind, known, ids in (("org", self.orgs, orgs),
                                 ("mediator", self.mediators, {c.mediator_id for c in cases if c.mediator_id})):
            missing = sorted(ids - set(known))
            if missing:
                found = self._look_up(kind, missing)
                known.update({entry_id: found.get(entry_id, entry_id) for entry_id in missing})
