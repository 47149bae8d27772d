"""domain/ledger.py: the §13 header, each column of a ledger row, the csv formula guard, and export jobs."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain.access import Principal
from chalicelib.domain.case import Case, Party
from chalicelib.domain.enums import (
    CaseStatus, Category, CategorySource, Channel, MediationType, RiskLevel, Role, Tier)
from chalicelib.domain.joint import Participant
from chalicelib.domain.ledger import (
    EXPORT_RETENTION, HEADER, WIDTHS, ExportJob, ExportStatus, LedgerFormat, LedgerScope, NameBook, csv_cell,
    ledger_row, moment_text, new_export_id)
from chalicelib.domain.sponsorship import Sponsor
from tests.support import valid_id_number

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
UTC = dt.timezone.utc
RECEIVED = dt.datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
"""09:30 in Shanghai."""

CONTRACT_HEADER = ("序号, 案件编号, 外部编号, 受理日期, 来源, 纠纷类别, 纠纷简况, 当事人, 联系电话, 涉及人数, 涉及金额(元), "
                   "风险等级, 层级, 调解组织, 调解员, 状态, 接单期限, 办结期限, 是否延期, 是否超期, 督办等级, 调处结果, 协议内容, "
                   "履行期限, 分流去向, 回访情况, 满意度, 办结日期")
ORGS = {"V-CN": "城南社区人民调解委员会"}
MEDIATORS = {"M-CN-1": "王调解"}


def a_case(**changes) -> Case:
    case = Case(
        case_id="HW20261123ABCDEFGH", owner="demo-12345", external_ref="12345-20261123-000001",
        partner_id="demo-12345", channel=Channel.HOTLINE_12345, title="楼上漏水引发邻里纠纷", description="……",
        region_code="320509102001", address=None,
        parties=[Party("applicant", "张三", "13812345678", valid_id_number()), Party("respondent", "欧阳娜娜")],
        party_count=2, amount_cny=5000.0, risk_indicators=[], category=Category.NEIGHBOR,
        category_source=CategorySource.PARTNER, risk_level=RiskLevel.BLUE, received_at=RECEIVED, request_hash="h")
    return dataclasses.replace(case, **changes)


def row(case: Case, seq: int = 1) -> dict:
    return dict(zip(HEADER, ledger_row(seq, case, ORGS, MEDIATORS)))


RESOLVED = dict(
    status=CaseStatus.CLOSED, tier=Tier.VILLAGE, mediation_type=MediationType.PEOPLE, org_id="V-CN",
    mediator_id="M-CN-1", dispatched_at=RECEIVED + dt.timedelta(minutes=1),
    accept_due_at=RECEIVED + dt.timedelta(hours=24, minutes=1),
    resolve_due_at=dt.datetime(2026, 12, 14, 23, 59, 59, tzinfo=SHANGHAI),
    agreement={"summary": "赔偿2000元，联系13812345678", "performance_due": "2026-12-31"},
    concluded_at=dt.datetime(2026, 11, 25, 8, 5, tzinfo=UTC), closed_at=dt.datetime(2027, 2, 1, 2, 0, tzinfo=UTC),
    return_visits=[{"seq": 1, "due_on": "2027-01-30", "done_at": "2027-01-30T10:00:00+08:00",
                    "agreement_performed": "partial",
                    "satisfaction": {"attitude": "satisfied", "process": "basically_satisfied", "effect": "satisfied"}}])


def test_the_header_is_the_contracts_in_its_order_with_a_width_each():
    assert HEADER == tuple(CONTRACT_HEADER.split(", "))
    assert len(WIDTHS) == len(HEADER) and all(width > 0 for width in WIDTHS)


def test_a_new_case_row():
    assert row(a_case(), seq=7) == {
        "序号": 7, "案件编号": "HW20261123ABCDEFGH", "外部编号": "12345-20261123-000001", "受理日期": "2026-11-23 09:30",
        "来源": "12345热线", "纠纷类别": "邻里", "纠纷简况": "楼上漏水引发邻里纠纷", "当事人": "张*、欧***",
        "联系电话": "138****5678", "涉及人数": 2, "涉及金额(元)": 5000, "风险等级": "蓝色", "层级": None, "调解组织": None,
        "调解员": None, "状态": "已受理", "接单期限": None, "办结期限": None, "是否延期": "否", "是否超期": "否",
        "督办等级": "无", "调处结果": "办理中", "协议内容": None, "履行期限": None, "分流去向": None, "回访情况": None,
        "满意度": None, "办结日期": None}


def test_a_resolved_visited_and_closed_case_row():
    shown = row(a_case(**RESOLVED))
    assert {k: shown[k] for k in ("层级", "调解组织", "调解员", "状态", "接单期限", "办结期限", "调处结果", "协议内容",
                                  "履行期限", "回访情况", "满意度", "办结日期", "是否超期")} == {
        "层级": "村社前哨", "调解组织": "城南社区人民调解委员会", "调解员": "王调解", "状态": "已结案",
        "接单期限": "2026-11-24 09:31", "办结期限": "2026-12-14 23:59", "调处结果": "调解成功",
        "协议内容": "赔偿2000元，联系138****5678", "履行期限": "2026-12-31", "回访情况": "已回访1/1次；最近一次：部分履行",
        "满意度": "基本满意", "办结日期": "2026-11-25 16:05", "是否超期": "否"}


def test_parties_are_masked_as_partners_see_them_and_no_full_number_is_left_anywhere():
    """Names are masked where the ledger lists parties; free text keeps what it says but any phone
    or ID number in it, as partners read staff's text."""
    case = a_case(title=f"来电13812345678，身份证{valid_id_number()}", **RESOLVED)
    cells = ledger_row(1, case, ORGS, MEDIATORS)
    text = "|".join(str(cell) for cell in cells)
    assert "13812345678" not in text and valid_id_number() not in text
    assert "张三" not in text and "欧阳娜娜" not in text
    assert dict(zip(HEADER, cells))["纠纷简况"] == f"来电138****5678，身份证320584********{valid_id_number()[-4:]}"


def test_the_phone_is_the_first_partys_even_when_it_has_none():
    case = a_case(parties=[Party("applicant", "李四"), Party("respondent", "张三", "13812345678")])
    assert row(case)["联系电话"] is None and row(case)["当事人"] == "李*、张*"


@pytest.mark.parametrize(("moment", "shown"), [
    (dt.datetime(2026, 11, 23, 16, 0, tzinfo=UTC), "2026-11-24 00:00"),  # the next day in Shanghai
    (dt.datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC), "2026-11-23 23:59"),
    (dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))), "2026-11-23 21:00"),
])
def test_times_are_shown_in_shanghai(moment, shown):
    assert moment_text(moment) == shown
    assert row(a_case(received_at=moment))["受理日期"] == shown


@pytest.mark.parametrize(("level", "shown"), [(0, "无"), (1, "一级（超期）"), (2, "二级（督办函）"), (3, "三级（挂牌督办）")])
def test_the_supervision_level_is_named_by_its_step(level, shown):
    assert row(a_case(supervision_level=level))["督办等级"] == shown


LEADER = Sponsor("李明", "吴江区副区长", "13900000301", dt.date(2026, 12, 20), RECEIVED, "supervisor:320509")


@pytest.mark.parametrize(("level", "sponsor", "shown"), [
    (0, None, "无"),
    (2, LEADER, "二级（督办函）；领导包案：李*（吴江区副区长），2026-12-20前化解"),
    (0, dataclasses.replace(LEADER, leader_name="欧阳娜娜", leader_title="副区长，电话13812345678"),
     "无；领导包案：欧***（副区长，电话138****5678），2026-12-20前化解"),  # masked as the parties are
])
def test_the_supervision_level_names_the_leader_in_charge_masked(level, sponsor, shown):
    cells = ledger_row(1, a_case(supervision_level=level, sponsor=sponsor), ORGS, MEDIATORS)
    assert dict(zip(HEADER, cells))["督办等级"] == shown
    assert "李明" not in "|".join(str(cell) for cell in cells) and "13900000301" not in "|".join(map(str, cells))


def joined(*org_ids: str) -> list[Participant]:
    return [Participant(org, RECEIVED, "需多方协调", "supervisor:320509") for org in org_ids]


@pytest.mark.parametrize(("lead", "participants", "shown"), [
    ("V-CN", [], "城南社区人民调解委员会"),
    ("V-CN", joined("T-SL"), "城南社区人民调解委员会（联合：松陵街道人民调解委员会）"),
    ("V-CN", joined("T-SL", "X-9"), "城南社区人民调解委员会（联合：松陵街道人民调解委员会、X-9）"),  # in joining order
    (None, joined("T-SL"), "联合：松陵街道人民调解委员会"),  # declined by its lead, waiting to be routed again
    (None, [], None),
])
def test_the_mediating_org_names_the_orgs_assisting_it(lead, participants, shown):
    orgs = {**ORGS, "T-SL": "松陵街道人民调解委员会"}
    case = a_case(org_id=lead, participants=participants)
    assert dict(zip(HEADER, ledger_row(1, case, orgs, MEDIATORS)))["调解组织"] == shown


@pytest.mark.parametrize(("changes", "outcome"), [
    ({"status": CaseStatus.ACCEPTED}, "办理中"),
    ({"status": CaseStatus.RESOLVED, "agreement": {"summary": "和解", "performance_due": "2026-12-01"}}, "调解成功"),
    ({"status": CaseStatus.CLOSED, "referral": {"channel": "litigation", "reason": "拒绝调解"}}, "调解不成"),
    ({"status": CaseStatus.WITHDRAWN}, "已撤回"),
    ({"status": CaseStatus.TRANSFERRED, "transfer": {"to": "court", "department": "吴江区人民法院", "reason": "涉诉"}},
     "已移交"),
    ({"status": CaseStatus.MERGED, "merged_into": "HW20261123ZZZZZZZZ"}, "已并入 HW20261123ZZZZZZZZ"),
])
def test_the_outcome_follows_what_came_of_the_case(changes, outcome):
    assert row(a_case(**changes))["调处结果"] == outcome


def test_a_merged_case_is_listed_with_its_own_status():
    shown = row(a_case(status=CaseStatus.MERGED, merged_into="HW20261123ZZZZZZZZ"))
    assert (shown["状态"], shown["办结日期"]) == ("已合并", None)


def test_a_referral_shows_where_the_dispute_went_and_why():
    shown = row(a_case(status=CaseStatus.UNRESOLVED, referral={"channel": "arbitration", "reason": "申请劳动仲裁"},
                       concluded_at=RECEIVED + dt.timedelta(days=2)))
    assert (shown["分流去向"], shown["办结日期"], shown["协议内容"]) == ("仲裁：申请劳动仲裁", "2026-11-25 09:30", None)


def test_a_transferred_case_shows_where_it_went_and_is_finished_when_it_left():
    shown = row(a_case(status=CaseStatus.TRANSFERRED, closed_at=RECEIVED + dt.timedelta(hours=5), transfer={
        "to": "public_security", "department": "吴江公安分局松陵派出所", "reason": "涉嫌违法"}))
    assert (shown["状态"], shown["分流去向"], shown["办结日期"]) == (
        "已移交", "公安机关：吴江公安分局松陵派出所", "2026-11-23 14:30")


def test_a_withdrawn_case_is_finished_when_it_was_withdrawn():
    shown = row(a_case(status=CaseStatus.WITHDRAWN, closed_at=RECEIVED + dt.timedelta(hours=3)))
    assert shown["办结日期"] == "2026-11-23 12:30"


def test_visits_count_the_done_ones_name_the_last_finding_and_a_pending_rectification():
    visits = [
        {"seq": 1, "due_on": "2027-01-07", "done_at": "2027-01-07T10:00:00+08:00", "agreement_performed": "yes",
         "satisfaction": {"attitude": "satisfied", "process": "satisfied", "effect": "satisfied"}},
        {"seq": 2, "due_on": "2027-01-30", "done_at": "2027-01-30T10:00:00+08:00", "agreement_performed": "no",
         "satisfaction": {"attitude": "satisfied", "process": "dissatisfied", "effect": "basically_satisfied"}},
        {"seq": 3, "due_on": "2027-03-31", "done_at": None, "agreement_performed": None, "satisfaction": None},
    ]
    shown = row(a_case(status=CaseStatus.RESOLVED, return_visits=visits, rectification_required=True))
    assert (shown["回访情况"], shown["满意度"]) == ("已回访2/3次；最近一次：未履行；待整改", "不满意")
    planned = row(a_case(status=CaseStatus.RESOLVED, return_visits=visits[2:]))
    assert (planned["回访情况"], planned["满意度"]) == ("已回访0/1次", None)


@pytest.mark.parametrize(("changes", "extended", "late"), [
    ({}, "否", "否"),
    ({"extensions_approved": 1}, "是", "否"),
    ({"overdue": True, "status": CaseStatus.DISPATCHED}, "否", "是"),
    ({"status": CaseStatus.RESOLVED, "resolve_due_at": RECEIVED + dt.timedelta(days=3),
      "concluded_at": RECEIVED + dt.timedelta(days=3, seconds=1)}, "否", "是"),  # concluded after the deadline
    ({"status": CaseStatus.RESOLVED, "resolve_due_at": RECEIVED + dt.timedelta(days=3),
      "concluded_at": RECEIVED + dt.timedelta(days=3)}, "否", "否"),
])
def test_extended_and_overdue_are_yes_or_no(changes, extended, late):
    shown = row(a_case(**changes))
    assert (shown["是否延期"], shown["是否超期"]) == (extended, late)


def test_an_amount_with_cents_stays_a_number_and_none_is_empty():
    assert row(a_case(amount_cny=1234.5))["涉及金额(元)"] == 1234.5
    assert row(a_case(amount_cny=None))["涉及金额(元)"] is None


def test_an_org_or_mediator_not_in_the_directory_shows_its_id():
    shown = dict(zip(HEADER, ledger_row(1, a_case(org_id="X-1", mediator_id="M-X"), {}, {})))
    assert (shown["调解组织"], shown["调解员"]) == ("X-1", "M-X")


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+86 138", "'+86 138"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("a=b", "a=b"), ("楼上漏水", "楼上漏水"), ("", ""), (None, ""),
    (5000, 5000), (12.5, 12.5)])
def test_the_csv_guard_quotes_what_a_spreadsheet_would_take_for_a_formula(value, cell):
    assert csv_cell(value) == cell


# -------------------------------------------------------------------- scope and jobs


def test_a_scope_covers_whole_shanghai_days():
    scope = LedgerScope("320509", dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert scope.received_from == dt.datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert scope.received_before == dt.datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert scope.filename(LedgerFormat.CSV) == "台账_320509_2026-11-01_2026-11-30.csv"


CREATED = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
OWNER = Principal(Role.SUPERVISOR, "supervisor:320509", jurisdiction="320509")


def a_job(**changes) -> ExportJob:
    job = ExportJob(new_export_id(CREATED), OWNER.actor, LedgerScope("320509102", dt.date(2026, 11, 1),
                                                                       dt.date(2026, 11, 30)),
                    LedgerFormat.XLSX, 6000, CREATED)
    return dataclasses.replace(job, **changes)


def test_an_export_id_is_dated_and_unguessable_and_its_key_derives_from_it():
    job = a_job()
    assert job.export_id.startswith("EX20261123") and len(job.export_id) == 26
    assert new_export_id(CREATED) != new_export_id(CREATED)
    assert job.object_key == f"ledger/{job.export_id}.xlsx"
    assert job.filename == "台账_320509102_2026-11-01_2026-11-30.xlsx"
    assert job.expires_at == CREATED + EXPORT_RETENTION


@pytest.mark.parametrize(("principal", "visible"), [
    (OWNER, True),
    (Principal(Role.ADMIN, "admin"), True),
    (Principal(Role.SUPERVISOR, "supervisor:320509102", jurisdiction="320509102"), False),  # another supervisor
    (Principal(Role.SUPERVISOR, "supervisor:320509", jurisdiction="320510"), False),  # the name, not the jurisdiction
    (Principal(Role.MEDIATOR, "supervisor:320509", mediator_id="M-1"), False),
    (Principal(Role.PARTNER, "demo-12345", partner_id="demo-12345"), False),
])
def test_a_job_is_seen_by_who_asked_and_by_admins_only(principal, visible):
    assert a_job().visible_to(principal, CREATED) is visible


def test_nobody_sees_a_job_once_it_expired():
    job = a_job()
    assert job.visible_to(OWNER, job.expires_at - dt.timedelta(seconds=1))
    assert not job.visible_to(OWNER, job.expires_at)
    assert not job.visible_to(Principal(Role.ADMIN, "admin"), job.expires_at)


def test_a_job_running_after_every_try_had_time_is_failed():
    job, tries = a_job(), dt.timedelta(hours=2)
    assert job.status_at(CREATED + tries - dt.timedelta(seconds=1), tries) is ExportStatus.RUNNING
    assert job.status_at(CREATED + tries, tries) is ExportStatus.FAILED
    ready = a_job(status=ExportStatus.READY)
    assert ready.status_at(CREATED + 2 * tries, tries) is ExportStatus.READY


def test_the_name_book_looks_each_id_up_once_and_keeps_unknown_ones_as_their_id():
    asked = []

    def look_up(kind, ids):
        asked.append((kind, ids))
        return {"V-CN": "城南社区人民调解委员会"} if kind == "org" else {}

    names = NameBook(look_up)
    names.learn([a_case(org_id="V-CN", mediator_id="M-9"), a_case(org_id="V-CN"), a_case()])
    names.learn([a_case(org_id="V-CN", mediator_id="M-9")])
    names.learn([a_case(org_id="V-CN", participants=joined("T-SL", "D-WJ")), a_case(participants=joined("T-SL"))])
    assert asked == [("org", ["V-CN"]), ("mediator", ["M-9"]), ("org", ["D-WJ", "T-SL"])]  # assisting orgs too
    assert (names.orgs, names.mediators) == (
        {"V-CN": "城南社区人民调解委员会", "T-SL": "T-SL", "D-WJ": "D-WJ"}, {"M-9": "M-9"})
