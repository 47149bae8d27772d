"""Bench of §12 (one dispute, one case), on moto in-process; run by bench/run.py, or alone.

Writes (read-modify-write) into bench/results.json:
- "duplicate_check_intake": DynamoDB calls and items read per partner intake with the
  duplicate check: no match, the party matches of each kind, and as the open cases of the
  intake's village and category grow (0, 10, 100, 200, 500), in a table of a few cases and
  in one of 20,000 other cases (other villages and categories, open and closed) plus closed
  and stale open cases at the same place;
- "duplicate_check_cpu": CPU time of `domain.duplicates.possible_duplicates` per intake over
  realistic report texts, by the number of candidates;
- "related_case_operations": calls per routing of a related case (首接负责, and when the
  related org cannot take it), per merge, and per merge that sends the target up a tier with
  the routing that follows.

Usage: python bench/duplicates.py [--other-cases 20000] [--closed-at-place 2000]
                                  [--stale-open-at-place 100] [--open-at-place 0,10,100,200,500]
                                  [--cpu-candidates 0,10,100,200] [--cpu-seconds 1.0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as _bench_run  # noqa: E402,F401 - sets the environment the service reads
from bench.results import RESULTS, merge_results  # noqa: E402

# Reports of neighbour disputes (邻里纠纷) as a hotline or a grid worker writes them: the
# open cases of one village and category an intake is compared with.
REPORTS: tuple[tuple[str, str], ...] = (
    ("楼上卫生间漏水", "申请人反映其住所8幢302室卫生间顶部持续渗水,墙面发霉、吊顶脱落,怀疑楼上402室卫生间防水层破损。"
                "多次上门沟通,对方以无人居住为由拒绝检修,要求对方维修并赔偿装修损失约6000元。"),
    ("装修噪音扰民", "反映12幢1单元601室业主装修期间每天早上7点前即开始电钻作业,周末午休时间也不停工,家中有高三学生和"
               "80岁老人,严重影响休息。曾向物业反映,物业劝说无效,要求调解约定施工时间。"),
    ("公共楼道堆放杂物", "申请人称对门邻居长期在楼道内堆放纸箱、旧家具和电动车电池,占用消防通道,存在火灾隐患,出入不便。"
                 "双方多次为此争吵,对方拒不清理。"),
    ("空调外机噪音及滴水", "3幢201室新装空调外机正对申请人卧室窗户,夜间运行噪音大,冷凝水滴落在申请人阳台雨棚上,声响不断。"
                  "要求对方移位外机或加装排水管。"),
    ("宠物狗夜间吠叫", "反映邻居饲养两条大型犬,夜间经常吠叫,且遛狗不牵绳,曾追咬申请人孩子致轻微擦伤,花费医药费300余元。"
                "申请人要求对方赔偿并规范养犬。"),
    ("违章搭建阻挡采光", "申请人称后排邻居在自家院内加盖二层彩钢板房,高度超过申请人一楼窗户,导致房间白天需开灯,且雨水顺屋檐"
                 "流入申请人院内。要求拆除违建或给予补偿。"),
    ("宅基地边界争议", "申请人与东侧邻居因宅基地界址发生争议,对方翻建围墙时向申请人一侧移动约40公分,申请人认为侵占其宅基地,"
                "双方各执一词,曾发生推搡。"),
    ("排水沟堵塞污水外溢", "村民反映邻居在房屋北侧填埋原有排水沟修建菜地,雨季污水无处排放,倒灌入申请人厨房和猪圈,要求恢复排水沟。"),
    ("油烟直排扰民", "一楼住户开设家庭小饭桌,厨房油烟机直排至天井,油烟进入楼上多户家中,夏季无法开窗。楼上住户联名要求加装"
               "油烟净化设备并改变排放方向。"),
    ("树木遮挡及落叶", "申请人院墙边邻居种植的香樟树枝叶伸入申请人院内,遮挡光线,落叶堵塞屋顶排水管,根系顶裂院墙地坪。"
                "要求修剪树枝并修复地坪。"),
    ("停车位占用纠纷", "申请人称其在小区购买的产权车位长期被邻居车辆占用,多次留言要求挪车无果,对方称该车位原先一直由其使用。"
                "双方在车库争吵并互相拍照。"),
    ("广场舞音响噪音", "小区中心广场每晚7点至9点半有居民跳广场舞,音响音量过大,临近5幢居民无法休息,学生无法学习。多次沟通"
                "未达成一致,要求限定音量和时间。"),
    ("监控摄像头对准邻居家门", "申请人反映对门住户在门口安装摄像头,镜头正对申请人家门和窗户,认为侵犯隐私,要求拆除或调整角度;"
                    "对方称系因曾丢失快递才安装。"),
    ("共用墙体开裂", "两户联排住宅,邻居翻建房屋开挖地基后,申请人一侧共用墙体出现多条裂缝,最宽处约1厘米,雨天渗水。"
               "申请人要求对方承担鉴定和维修费用。"),
    ("鸡鸭散养损毁庄稼", "村民反映邻居家散养的鸡鸭经常窜入其菜地啄食青菜、踩坏秧苗,损失约800元,多次提醒对方圈养,对方置之不理,"
                 "双方发生口角。"),
    ("化粪池渗漏臭味", "申请人家旁邻居的化粪池年久失修渗漏,臭味严重,污水渗入申请人家地下室。申请人要求邻居修缮化粪池,双方对"
                "费用分担有分歧。"),
    ("楼顶太阳能热水器漏水", "顶楼住户安装的太阳能热水器管道老化漏水,水沿外墙流入602室,导致卧室墙纸起泡脱落。申请人要求对方更换"
                   "管道并赔偿损失。"),
    ("通行道路被堵", "申请人家出入需经过邻居门前一条约2米宽的小路,邻居近期在路口砌墙安装铁门,申请人电动车和农用车无法通行,"
               "要求恢复通行。"),
    ("阳台晾衣滴水", "楼上住户阳台晾晒衣物不拧干,水滴落到申请人阳台晾晒的被褥上,多次沟通后仍未改善,双方因此争吵。"),
    ("焚烧秸秆烟雾", "邻居在屋后空地焚烧秸秆和垃圾,浓烟飘进申请人家中,家中老人患有哮喘,咳嗽加重就医。要求对方停止焚烧。"),
    ("地板下水管破裂", "申请人家楼下住户反映其厨房天花板漏水,经物业查看系申请人家地板下暖气水管破裂所致,楼下要求赔偿橱柜和"
                "吊顶损失4500元,申请人认为金额过高。"),
    ("邻居饲养鸽子", "反映对面楼顶住户饲养上百只鸽子,鸽粪污染周边住户阳台和车辆,清晨鸽哨扰民,要求拆除鸽棚。"),
    ("加装电梯意见不一", "老旧小区7幢1单元拟加装电梯,高层住户同意,一二楼住户以采光和噪音为由反对,双方发生争执,加装工作停滞。"),
    ("门前地坪抬高", "邻居将自家门前地坪抬高约20厘米,雨水倒流入申请人家中客厅,家具受损,要求对方降低地坪或修建排水设施。"),
    ("外墙灯箱光污染", "一楼商铺在外墙安装大型LED灯箱,夜间灯光直射二楼申请人卧室,且至凌晨才关闭,影响睡眠,要求调整亮度和时间。"),
    ("邻居家中堆积废品", "申请人称隔壁独居老人家中堆积大量捡拾的废品,散发恶臭并招引蟑螂老鼠,要求社区协调清理;老人子女不在本地。"),
    ("楼上孩子跑跳噪音", "申请人反映楼上住户孩子每天晚上在家中跑跳、拍球至22点以后,噪音明显,曾上门沟通,对方态度冷淡。"),
    ("篱笆越界种菜", "邻居将竹篱笆向申请人承包地一侧移动约1米用于种菜,申请人发现后要求恢复原状,对方称系原有界线。"),
    ("共用水表费用分摊", "两户共用一个水表,近半年水费突增,双方对用水量和费用分摊有争议,互相指责对方偷用水,关系紧张。"),
    ("防盗网外伸", "邻居在二楼加装的防盗网向外伸出约50厘米,靠近申请人家窗户,申请人担心安全并认为影响通风,要求拆除外伸部分。"),
)

NEW_REPORTS: tuple[tuple[str, str], ...] = (
    ("402室卫生间漏水至楼下", "8幢302室住户来电反映,楼上402室卫生间漏水,其家卫生间顶部和走廊墙面渗水发霉,吊顶已部分脱落。"
                     "曾多次上门找402室业主协商,对方称房屋出租、无人居住,至今未维修,要求维修防水并赔偿损失。"),
    ("夜间装修电钻噪音", "12幢602室住户反映楼上601室装修,早上不到7点就用电钻,中午也施工,家中考生和老人无法休息,"
                 "物业出面后仍未改正,要求协调施工时间。"),
    ("车位被长期占用", "业主反映其产权车位被同单元邻居停车占用已两个月,留言和电话沟通均无效,要求对方停止占用。"),
    ("邻居砍伐界树", "村民反映邻居未经同意砍伐两家交界处的一棵杨树并将木材拉走,认为该树归自家所有,要求赔偿。"),
    ("楼下烧烤摊油烟", "居民反映小区门口一楼商户夜间经营烧烤,油烟和噪音持续到凌晨,要求整改。"),
)
"""New reports an intake brings: the first three read like open ones (the same leak, the same
renovation, the same parking space), the last two like none of them."""

PLACE_CATEGORY = "neighbor"
OTHER_CATEGORIES = ("marriage_family", "property_management", "land_resources", "labor_wages", "medical",
                    "traffic_accident", "consumer_contract", "housing_construction", "other")


def _report_body(ref: str, report: tuple[str, str], phone: str, id_number: str, **overrides) -> dict:
    from tests.support import VILLAGE

    title, description = report
    body = {"external_ref": ref, "channel": "hotline_12345", "category": PLACE_CATEGORY, "title": title,
            "description": description, "region_code": VILLAGE, "address": "松陵街道城南社区8幢",
            "parties": [{"role": "applicant", "name": "张三", "phone": phone, "id_number": id_number},
                        {"role": "respondent", "name": "李四"}],
            "amount_cny": 5000, "risk_indicators": []}
    body.update(overrides)
    return body


class People:
    """Parties no earlier case has: a new phone and ID number each time."""

    def __init__(self, series: int):
        self.series, self.count = series, 0

    def next(self) -> tuple[str, str]:
        from tests.support import valid_id_number

        self.count += 1
        phone = f"137{self.series:02d}{self.count:06d}"
        return phone, valid_id_number(f"320584198{self.series % 10}0101{self.count:03d}")


def _stored_case(case_id: str, region_code: str, category: str, status, received_at: dt.datetime, text: int,
                 phone: str):
    """A case as intake, routing and the actions leave it (dispatched, accepted or closed)."""
    from chalicelib.domain.calendar import LIBRARY_CALENDAR
    from chalicelib.domain.case import Case, Party
    from chalicelib.domain.deadlines import deadlines_for, ladder
    from chalicelib.domain.enums import CaseStatus, Category, CategorySource, Channel, MediationType, RiskLevel, Tier

    title, description = REPORTS[text % len(REPORTS)]
    dispatched_at = received_at + dt.timedelta(minutes=3)
    deadlines = deadlines_for(RiskLevel.BLUE, dispatched_at, LIBRARY_CALENDAR)
    case = Case(
        case_id=case_id, owner="bench", external_ref=f"BG-{case_id}", partner_id="bench",
        channel=Channel.HOTLINE_12345, title=title, description=description, region_code=region_code,
        address="某街道某小区", parties=[Party("applicant", "王五", phone), Party("respondent", "赵六")], party_count=2,
        amount_cny=None, risk_indicators=[], category=Category(category), category_source=CategorySource.PARTNER,
        risk_level=RiskLevel.BLUE, received_at=received_at, request_hash="-", status=status, tier=Tier.VILLAGE,
        mediation_type=MediationType.PEOPLE, org_id="V-CN", mediator_id="M-CN-1",
        accept_due_at=deadlines.accept_due_at, resolve_due_at=deadlines.resolve_due_at, dispatched_at=dispatched_at,
        ladder=ladder(deadlines.accept_due_at, dispatched_at, LIBRARY_CALENDAR), created_by="bench")
    if status in (CaseStatus.ACCEPTED, CaseStatus.CLOSED):
        case.accepted_at = dispatched_at + dt.timedelta(hours=2)
        case.ladder = ladder(deadlines.resolve_due_at, case.accepted_at, LIBRARY_CALENDAR)
    if status is CaseStatus.CLOSED:
        case.closed_at = case.concluded_at = received_at + dt.timedelta(days=9)
        case.ladder = {}
    return case


def _write_cases(cases) -> None:
    """Cases and one party key row each (the applicant's phone), as intake writes them."""
    from chalicelib import wiring
    from chalicelib.adapters.case_mapping import PARTY_PREFIX, case_to_model
    from chalicelib.adapters.clock import to_storage
    from chalicelib.adapters.models import CaseModel, KeyModel
    from chalicelib.services.intake import party_pseudonyms

    secret = wiring.current().settings.secret_key
    keys = []
    with CaseModel.batch_write() as batch:
        for case in cases:
            batch.save(case_to_model(case))
            keys += [KeyModel(f"{PARTY_PREFIX}{pseudonym}", f"{to_storage(case.received_at)}#{case.case_id}",
                              case_id=case.case_id, expires_at=case.received_at + dt.timedelta(days=366))
                     for pseudonym in party_pseudonyms(secret, case.parties)]
    with KeyModel.batch_write() as batch:
        for key in keys:
            batch.save(key)


def _background(now: dt.datetime, other_cases: int, closed_at_place: int, stale_open_at_place: int) -> dict:
    """The rest of the table: `other_cases` in other villages or other categories (3 in 4 open,
    received over the last 60 days), `closed_at_place` closed cases of the intake's village and
    category (last 60 days) and `stale_open_at_place` open ones received 31-90 days ago."""
    from chalicelib.domain.enums import CaseStatus
    from tests.support import VILLAGE

    villages = [f"320509{town:03d}{village:03d}" for town in range(101, 131) for village in range(1, 31)]
    villages.remove(VILLAGE)
    open_statuses = (CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.ACCEPTED)
    cases = []
    for index in range(other_cases):
        kind = index % 3  # same category elsewhere, same village other category, elsewhere other category
        region = VILLAGE if kind == 1 else villages[index % len(villages)]
        category = PLACE_CATEGORY if kind == 0 else OTHER_CATEGORIES[index % len(OTHER_CATEGORIES)]
        status = CaseStatus.CLOSED if index % 4 == 3 else open_statuses[index % 3]
        received = now - dt.timedelta(minutes=7 + (index * 4_337) % (60 * 24 * 60))
        cases.append(_stored_case(f"HWBGO{index:08d}", region, category, status, received, index,
                                  f"139{index:08d}"))
    for index in range(closed_at_place):
        received = now - dt.timedelta(minutes=7 + (index * 4_337) % (60 * 24 * 60))
        cases.append(_stored_case(f"HWBGC{index:08d}", VILLAGE, PLACE_CATEGORY, CaseStatus.CLOSED, received, index,
                                  f"136{index:08d}"))
    for index in range(stale_open_at_place):
        received = now - dt.timedelta(days=31 + index % 60, minutes=index)
        cases.append(_stored_case(f"HWBGS{index:08d}", VILLAGE, PLACE_CATEGORY, open_statuses[index % 3], received,
                                  index, f"135{index:08d}"))
    started = time.perf_counter()
    _write_cases(cases)
    return {"other_cases": other_cases, "other_cases_open": sum(c.is_open for c in cases[:other_cases]),
            "closed_at_place": closed_at_place, "stale_open_at_place": stale_open_at_place,
            "load_seconds": round(time.perf_counter() - started, 1)}


def _summary(meter) -> dict:
    return {"calls": meter.total, "by_operation": dict(meter.calls), "calls_by_target": dict(meter.calls_by_target),
            "items_read": meter.items_read, "items_read_by_target": dict(meter.items_by_target),
            "transact_items": meter.transact_items,
            "response_kb": {op: round(n / 1024, 1) for op, n in meter.response_bytes.items()}}


@contextmanager
def _measured(into: dict, name: str):
    """Meter one operation into `into[name]`, the working calendar read just before (its cache warm)."""
    from bench.dynamo_meter import metered
    from chalicelib import wiring

    wiring.current().calendar_store.calendar()
    with metered() as meter:
        yield meter
    into[name] = _summary(meter)


class _Api:
    """The local API on moto: a partner, a supervisor of the district and the village's mediator."""

    def __init__(self, client):
        from tests.support import Http, Partner, Staff, admin_staff, load_demo_directory

        http = Http(client)
        admin = admin_staff(http)
        load_demo_directory(admin)
        created = admin.call("POST", "/v1/partners", {"partner_id": "bench", "name": "bench"}).json
        self.partner = Partner(http, created["key_id"], created["secret"], "bench")
        self.supervisor = Staff(http, admin.call("POST", "/v1/tokens", {"role": "supervisor",
                                                                        "jurisdiction": "320509"}).json["token"])
        self.mediator = Staff(http, admin.call("POST", "/v1/tokens", {"role": "mediator",
                                                                      "mediator_id": "M-CN-1"}).json["token"])
        self.refs = 0

    def file(self, body: dict) -> str:
        self.refs += 1
        result = self.partner.call("POST", "/v1/cases", {**body, "external_ref": f"DUP-{self.refs:05d}"})
        assert result.status == 201, result
        return result.json["case_id"]

    def staff_act(self, case_id: str, action: str, body: dict, staff=None) -> dict:
        result = (staff or self.supervisor).call("POST", f"/v1/cases/{case_id}/{action}", body)
        assert result.status == 200, (action, result)
        return result.json

    def withdraw(self, case_id: str) -> None:
        self.staff_act(case_id, "withdraw", {"reason": "bench"})


def _found(case_id: str) -> dict:
    from chalicelib import wiring

    case = wiring.current().case_store.get(case_id)
    return {"possible_duplicates": len(case.possible_duplicates), "related_case": case.related_case_id is not None,
            "risk_level": case.risk_level.value}


def _place_items(result: dict) -> int:
    return result["items_read_by_target"].get("Query cases/by_place", 0)


def intake_check(other_cases: int, closed_at_place: int, stale_open_at_place: int,
                 open_at_place: list[int]) -> dict:
    """Partner intakes (POST /v1/cases, signed) with the duplicate check, after one warm-up:
    the match scenarios with no open case at the place, then the place filled up step by step."""
    from chalice.test import Client

    from bench import moto_speedups
    from chalicelib import wiring
    from chalicelib.adapters.case_store import PARTY_CASES_LIMIT
    from chalicelib.domain.duplicates import MAX_PLACE_CANDIDATES, PLACE_WINDOW_DAYS
    from chalicelib.domain.enums import CaseStatus
    from tests.support import VILLAGE, drain, moto_stack

    moto_speedups.install()
    people = People(other_cases % 97)
    with moto_stack():
        from app import app

        with Client(app, stage_name="local") as client:
            api = _Api(client)
            now = wiring.current().clock()
            background = _background(now, other_cases, closed_at_place, stale_open_at_place)
            phone, id_number = people.next()  # warm-up, as a reused Lambda container: another village
            api.withdraw(api.file(_report_body("", NEW_REPORTS[3], phone, id_number, region_code="320509103001")))
            scenarios: dict = {}

            def intake(name: str, report: int, party: tuple[str, str], **overrides) -> str:
                body = _report_body("", NEW_REPORTS[report], *party, **overrides)
                with _measured(scenarios, name):
                    case_id = api.file(body)
                scenarios[name].update(_found(case_id))
                return case_id

            # (a) no party key matches, no open case at the place
            api.withdraw(intake("no_match", 0, people.next()))
            # (b) the applicant's open case in another category of the village: read by the BatchGet
            party = people.next()
            elsewhere = api.file(_report_body("", NEW_REPORTS[3], *party, category="land_resources"))
            api.withdraw(intake("party_match_elsewhere", 0, party))
            api.withdraw(elsewhere)
            # the applicant's open case at the same place: the place Query returns it, no BatchGet
            party = people.next()
            here = api.file(_report_body("", NEW_REPORTS[4], *party))
            api.withdraw(intake("party_match_at_place", 0, party))
            api.withdraw(here)
            # the applicant's case at the place, withdrawn: its key row stays (the 365-day repeat
            # rule), the BatchGet reads it, the check leaves it out (not open)
            party = people.next()
            api.withdraw(api.file(_report_body("", NEW_REPORTS[4], *party)))
            api.withdraw(intake("party_match_closed", 0, party))
            drain("routing", "route_cases")  # not measured: the withdrawn cases' routing messages

            # (c) open cases of the place received in the window, the intake's own included next time
            series, present, batch = [], 0, 0
            for target in sorted(open_at_place):
                assert target >= present, (target, present)
                batch += 1
                received = [now - dt.timedelta(days=(PLACE_WINDOW_DAYS - 1) * i / max(target, 1), minutes=5)
                            for i in range(target - present)]
                _write_cases(_stored_case(f"HWPL{batch:02d}{i:05d}", VILLAGE, PLACE_CATEGORY,
                                          (CaseStatus.DISPATCHED, CaseStatus.ACCEPTED)[i % 2], at, i,
                                          f"134{batch:02d}{i:06d}") for i, at in enumerate(received))
                result: dict = {}
                with _measured(result, "intake"):
                    case_id = api.file(_report_body("", NEW_REPORTS[0], *people.next()))
                row = {"open_at_place": target, **result["intake"], **_found(case_id)}
                row["place_items_read"] = _place_items(row)
                assert row["place_items_read"] == min(target, MAX_PLACE_CANDIDATES), row
                series.append(row)
                present = target + 1
    for name, row in scenarios.items():
        row["place_items_read"] = _place_items(row)
    return {"background": background, "scenarios": scenarios, "by_open_at_place": series,
            "party_cases_limit": PARTY_CASES_LIMIT, "max_place_candidates": MAX_PLACE_CANDIDATES,
            "place_window_days": PLACE_WINDOW_DAYS}


def related_case_operations() -> dict:
    """Routing of a case related to an open one (首接负责), a merge, and a merge that sends the
    target up a tier, through the API on moto; the second of two rounds (steady state)."""
    from chalice.test import Client

    from chalicelib import wiring
    from tests.support import drain, moto_stack

    people = People(90)
    with moto_stack():
        from app import app

        with Client(app, stage_name="local") as client:
            api = _Api(client)
            store = wiring.current().case_store
            for _round in range(2):
                into: dict = {}
                # A: the applicant's first case, routed the usual way, accepted
                party = people.next()
                first = api.file(_report_body("", NEW_REPORTS[0], *party))
                with _measured(into, "routing_unrelated"):
                    drain("routing", "route_cases")
                api.staff_act(first, "accept", {}, api.mediator)
                # B: the same applicant again (the neighbour upstairs now also blocks the stairwell)
                with _measured(into, "intake_related"):
                    second = api.file(_report_body("", REPORTS[2], *party))
                with _measured(into, "routing_related"):
                    drain("routing", "route_cases")
                a, b = store.get(first), store.get(second)
                assert b.related_case_id == first and b.mediator_id == a.mediator_id == "M-CN-1", b
                with _measured(into, "merge"):
                    api.staff_act(second, "merge", {"into": first, "reason": "同一漏水纠纷"})
                assert store.get(first).status.value == "accepted"
                # D: another applicant's case at the village; C: the same applicant, a group dispute
                # (orange: starts at the town, below which the related village org is)
                party = people.next()
                village_case = api.file(_report_body("", NEW_REPORTS[1], *party))
                drain("routing", "route_cases")
                group = api.file(_report_body("", REPORTS[1], *party, risk_indicators=["group_dispute"]))
                with _measured(into, "routing_related_fallback"):
                    drain("routing", "route_cases")
                c = store.get(group)
                assert c.related_case_id == village_case and c.org_id == "T-SL", c
                with _measured(into, "merge_reroute"):
                    api.staff_act(group, "merge", {"into": village_case, "reason": "同一装修纠纷,涉及多户"})
                d = store.get(village_case)
                assert d.status.value == "received" and d.risk_level.value == "orange", d
                with _measured(into, "routing_after_merge"):
                    drain("routing", "route_cases")
                d = store.get(village_case)
                assert d.status.value == "dispatched" and d.org_id == "T-SL", d
                drain("notify", "send_notifications")  # not measured
    return into


def _candidates(count: int):
    from chalicelib.domain.duplicates import Candidate, report_text
    from chalicelib.domain.enums import CaseStatus
    from tests.support import VILLAGE

    return [Candidate(f"HW{index:08d}", (CaseStatus.DISPATCHED, CaseStatus.ACCEPTED)[index % 2], VILLAGE,
                      PLACE_CATEGORY, report_text(*REPORTS[index % len(REPORTS)])) for index in range(count)]


def _cpu_per_call(fn, seconds: float, trials: int = 5) -> float:
    """Median over `trials` of process CPU seconds per call of `fn`, each trial ~`seconds`/`trials` long."""
    calls = 1
    while True:  # calibrate
        started = time.process_time()
        for _ in range(calls):
            fn()
        spent = time.process_time() - started
        if spent >= 0.05:
            break
        calls *= 4
    calls = max(1, int(calls * (seconds / trials) / spent))
    results = []
    for _ in range(trials):
        started = time.process_time()
        for _ in range(calls):
            fn()
        results.append((time.process_time() - started) / calls)
    return statistics.median(results)


def duplicate_check_cpu(candidate_counts: list[int], seconds: float) -> dict:
    """CPU of `possible_duplicates` per intake, the new reports in turn against `count` open
    cases of the place (the reports above, in turn)."""
    from chalicelib.domain.duplicates import bigrams, possible_duplicates, report_text
    from tests.support import VILLAGE

    new_texts = [report_text(*report) for report in NEW_REPORTS]
    rows = []
    for count in candidate_counts:
        candidates = _candidates(count)
        found = [len(possible_duplicates(VILLAGE, PLACE_CATEGORY, text, candidates)) for text in new_texts]

        def check() -> None:
            for text in new_texts:
                possible_duplicates(VILLAGE, PLACE_CATEGORY, text, candidates)

        per_intake = _cpu_per_call(check, seconds) / len(new_texts)
        rows.append({"candidates": count, "us_per_intake": round(per_intake * 1e6, 1),
                     "us_per_candidate": round(per_intake * 1e6 / count, 2) if count else None,
                     "flagged_per_new_report": found})
    new_bigrams = _cpu_per_call(lambda: [bigrams(text) for text in new_texts], seconds / 4) / len(new_texts)
    texts = [report_text(*report) for report in REPORTS] + new_texts
    return {
        "by_candidates": rows,
        "new_report_bigrams_us": round(new_bigrams * 1e6, 1),
        "report_chars": {"mean": round(statistics.mean(map(len, texts))), "min": min(map(len, texts)),
                         "max": max(map(len, texts))},
        "reports": {"open": len(REPORTS), "new": len(NEW_REPORTS)},
        "note": ("time.process_time, median of 5 trials of repeated calls; a call is one intake's check "
                 "(`possible_duplicates` over the candidates of its village and category, each new report in "
                 "turn); the new report's bigrams are taken once per intake (new_report_bigrams_us)"),
    }


def main(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> dict:
    args = parse_args(argv, parser)
    update = run(args)
    merge_results(update)
    print(f"written: {RESULTS.relative_to(ROOT)}")
    return update


def add_arguments(parser: argparse.ArgumentParser) -> None:
    ints = lambda text: [int(n) for n in text.split(",") if n]  # noqa: E731
    parser.add_argument("--other-cases", type=int, default=20_000,
                        help="cases of other villages or categories in the duplicate-check bench's table")
    parser.add_argument("--closed-at-place", type=int, default=2_000,
                        help="closed cases of the intake's village and category")
    parser.add_argument("--stale-open-at-place", type=int, default=100,
                        help="open cases of the intake's village and category received 31-90 days ago")
    parser.add_argument("--open-at-place", type=ints, default=[0, 10, 100, 200, 500],
                        help="open cases of the intake's village and category in the window, step by step")
    parser.add_argument("--cpu-candidates", type=ints, default=[0, 10, 100, 200])
    parser.add_argument("--cpu-seconds", type=float, default=1.0, help="CPU seconds per candidate count")
    parser.add_argument("--skip-duplicates", action="store_true", help="skip the §12 benches")


def parse_args(argv=None, parser=None) -> argparse.Namespace:
    if parser is None:
        parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        add_arguments(parser)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    cpu = duplicate_check_cpu(args.cpu_candidates, args.cpu_seconds)
    print(json.dumps({"duplicate_check_cpu": cpu}, ensure_ascii=False, indent=1))
    related = related_case_operations()
    print(json.dumps({"related_case_operations": related}, ensure_ascii=False, indent=1))
    small = intake_check(0, 0, 0, args.open_at_place)
    large = intake_check(args.other_cases, args.closed_at_place, args.stale_open_at_place, args.open_at_place)
    intake = {"small_table": small, "large_table": large,
              "note": ("partner intakes through the signed API on moto, after a warm-up; calls and items read "
                       "from DynamoDB's responses (ScannedCount, BatchGet responses), by table and index; "
                       "each open_at_place row has exactly that many open cases of the village and category "
                       "received in the last 30 days before the intake (the previous intakes included); "
                       "the party-match scenarios each find one earlier case of the applicant")}
    print(json.dumps({"duplicate_check_intake": intake}, ensure_ascii=False, indent=1))
    return {"duplicate_check_intake": intake, "duplicate_check_cpu": cpu, "related_case_operations": related}


if __name__ == "__main__":
    main()
