"""Duplicates (重复件), related cases (关联件) and merge (并案), contract §12, through the HTTP API on moto.

Every case below is filed on Monday 23 Nov 2026 at 10:00 (+08:00) on a stopped clock unless a test
moves it (the 30-day window of the place rule, the sweeps), so nothing depends on the real date.
In the demo directory a blue or yellow case of 城南社区 (320509102001) goes to the village org V-CN
and its only mediator M-CN-1, an orange or red one to the town org T-SL (M-SL-1), and a case of
10 parties or more to the district org D-WJ (M-WJ-1); a blue case of 同里村 (320509103001), which
no village or town org covers, goes to D-WJ too.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from typing import Any, Callable

import pytest

from chalicelib import wiring
from chalicelib.domain.signing import sign
from chalicelib.services.action_registry import AcceptCase, MergeCase
from chalicelib.services.errors import Conflict
from tests.integration.conftest import all_at_once, principal_of, staff_token
from tests.integration.test_callbacks import Receiver
from tests.support import OTHER_VILLAGE, VILLAGE, Partner, assert_problem, drain, sms_sent, valid_id_number

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
"""Monday: cases are filed and routed at this moment unless a test says otherwise."""
SIBLING_VILLAGE = "320509102002"
"""江城社区: the same town as 城南社区, another village."""

LEAK_1 = ("楼上漏水引发邻里纠纷", "楼上卫生间漏水，多次协商未果")
LEAK_2 = ("楼上住户漏水 邻居吵架", "报警人称楼上卫生间漏水到其家中")
"""Two reports of one upstairs leak, by the 12345 hotline and by 110."""
NOISE = ("广场舞噪音扰民", "小区广场舞音响声音过大，影响老人休息")
PARKING = ("车位被占引发争执", "邻居长期占用其车位，沟通无果")
TREE = ("院墙边树木遮挡采光", "邻居在院墙边种植的树木遮挡其房屋采光")
DOG = ("宠物狗咬伤路人", "小区内未拴绳的狗将路人咬伤，医药费赔偿有分歧")
FENCE = ("宅基地边界争议", "两户因院墙位置和宅基地边界发生争议")
"""Other disputes of the same village and category, unlike the leak and each other."""

PHONE_1, PHONE_2, PHONE_3, PHONE_4, PHONE_5, PHONE_6 = (
    "13812340001", "13812340002", "13812340003", "13812340004", "13812340005", "13812340006")
ID_1 = valid_id_number("32058419900101123")
ID_2 = valid_id_number("32058419850505432")
ID_3 = valid_id_number("32058419700303211")

GOOD_VISIT = {"agreement_performed": "yes", "satisfaction": {"attitude": "satisfied", "process": "satisfied",
                                                             "effect": "satisfied"}}
AGREEMENT = {"agreement": {"summary": "楼上住户修复防水并赔偿损失", "performance_due": "2026-12-31"}}


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def clock(moment: dt.datetime) -> None:
    wiring.current().clock.now = moment


@pytest.fixture(autouse=True)
def stopped_clock(directory):
    """The demo directory, and the clock stopped at BASE."""
    clock(BASE)


# ------------------------------------------------------------------ helpers


def party(name: str, phone: str | None = None, id_number: str | None = None, role: str = "applicant") -> dict:
    return {"role": role, "name": name, **({"phone": phone} if phone else {}),
            **({"id_number": id_number} if id_number else {})}


def file(caller, ref: str, parties: list[dict], text: tuple[str, str] = NOISE, region: str = VILLAGE,
         category: str = "neighbor", risk: tuple[str, ...] = (), route: bool = True, **extra) -> str:
    """The id of a case filed by `caller` (a partner or staff), routed unless `route` is False."""
    title, description = text
    body = {"external_ref": ref, "channel": "hotline_12345", "category": category, "title": title,
            "description": description, "region_code": region, "parties": parties,
            "risk_indicators": list(risk), **extra}
    created = caller.call("POST", "/v1/cases", body)
    assert created.status == 201, created
    if route:
        drain("routing", "route_cases")
    return created.json["case_id"]


def view(caller, case_id: str) -> dict:
    result = caller.call("GET", f"/v1/cases/{case_id}")
    assert result.status == 200, result
    return result.json


def events(caller, case_id: str, kind: str | None = None) -> list[dict]:
    result = caller.call("GET", f"/v1/cases/{case_id}/events")
    assert result.status == 200, result
    return [e for e in result.json if kind is None or e["type"] == kind]


def notifications(caller, case_id: str) -> list[dict]:
    drain("notify", "send_notifications")
    result = caller.call("GET", f"/v1/cases/{case_id}/notifications")
    assert result.status == 200, result
    return result.json


def act(caller, case_id: str, action: str, body: dict | None = None) -> dict:
    result = caller.call("POST", f"/v1/cases/{case_id}/{action}", body or {})
    assert result.status == 200, (action, body, result)
    return result.json


def merge(caller, source: str, into: str, reason: str = "同一纠纷多渠道重复反映", **extra) -> dict:
    result = caller.call("POST", f"/v1/cases/{source}/merge", {"into": into, "reason": reason, **extra})
    assert result.status == 200, result
    return result.json


def open_count(admin, mediator_id: str) -> int:
    result = admin.call("GET", f"/v1/mediators/{mediator_id}")
    assert result.status == 200, result
    return result.json["open_cases"]


def open_counts(admin) -> dict[str, int]:
    return {m: open_count(admin, m) for m in ("M-CN-1", "M-SL-1", "M-WJ-1")}


def sweep(admin, kind: str, moment: dt.datetime) -> dict:
    result = admin.call("POST", f"/v1/ops/sweeps/{kind}", {"as_of": moment.isoformat()})
    assert result.status == 200, result
    drain("routing", "route_cases")
    drain("notify", "send_notifications")
    return result.json


def concluded(admin, case_id: str, how: str) -> None:
    """Take an open (dispatched) case to `how`: resolved, unresolved, closed or withdrawn."""
    if how == "withdrawn":
        act(admin, case_id, "withdraw", {"reason": "申请人撤回"})
        return
    act(admin, case_id, "accept")
    if how == "resolved":
        act(admin, case_id, "resolve", AGREEMENT)
        return
    act(admin, case_id, "fail", {"referral": "litigation", "reason": "对方拒绝调解"})
    if how == "closed":
        act(admin, case_id, "close")


def duplicates(admin, case_id: str) -> list[dict]:
    return view(admin, case_id)["possible_duplicates"]


def partner_bodies(partner: Partner, case_id: str) -> dict[str, str]:
    """The whole JSON text of every response a partner gets about its case: the view, its list
    (all of them, and by external_ref), the timeline and the notifications."""
    drain("notify", "send_notifications")
    own = partner.call("GET", f"/v1/cases/{case_id}")
    assert own.status == 200, own
    answers = {
        "view": own,
        "list": partner.call("GET", "/v1/cases", query={"limit": 200}),
        "by_ref": partner.call("GET", "/v1/cases", query={"external_ref": own.json["external_ref"]}),
        "events": partner.call("GET", f"/v1/cases/{case_id}/events"),
        "notifications": partner.call("GET", f"/v1/cases/{case_id}/notifications"),
    }
    for name, answer in answers.items():
        assert answer.status == 200, (name, answer)
    return {name: answer.raw.decode() for name, answer in answers.items()}


def assert_partner_never_sees(partner: Partner, case_id: str, *hidden: str) -> None:
    """No other case's id (nor any other `hidden` text) anywhere in what the partner reads of its
    case; its views have no `possible_duplicates`, `merged_into` or `merged_from`, and its
    timeline no `duplicate_suspected` or `merged_in` event."""
    bodies = partner_bodies(partner, case_id)
    for name, text in bodies.items():
        for secret in hidden:
            assert secret not in text, (name, secret, text)
    items = [json.loads(bodies["view"]), *json.loads(bodies["list"])["items"]]
    for item in items:
        assert not {"possible_duplicates", "merged_into", "merged_from"} & set(item), item
    kinds = {e["type"] for e in json.loads(bodies["events"])}
    assert not {"duplicate_suspected", "merged_in"} & kinds, kinds


class SteppingPartner(Partner):
    """A partner whose every request carries another timestamp within the 300 s window: on the
    stopped clock it reads the same page twice in one second, which would otherwise be a replay."""

    def __init__(self, *args):
        super().__init__(*args)
        self._steps = itertools.count()

    def headers(self, method: str, path_with_query: str, body: bytes, timestamp: float | None = None) -> dict:
        now = wiring.current().clock().timestamp()
        return super().headers(method, path_with_query, body, now - next(self._steps) % 290)


@pytest.fixture
def partner(partner) -> Partner:
    """The 12345 hotline."""
    return SteppingPartner(partner.http, partner.key_id, partner.secret, partner.partner_id)


@pytest.fixture
def police(admin, directory) -> Partner:
    """A second partner system: the 110 police dispatch."""
    created = admin.call("POST", "/v1/partners", {"partner_id": "demo-110", "name": "110警情",
                                                  "callback_url": "http://127.0.0.1:9/callbacks"})
    assert created.status == 201, created
    return SteppingPartner(admin.http, created.json["key_id"], created.json["secret"], "demo-110")


# --------------------------------------------------- detection at intake


def test_same_phone_same_id_number_and_a_similar_report_of_the_village_are_found_best_first(
        partner, police, admin):
    phone_and_id = file(admin, "DUP-BOTH", [party("张三", PHONE_1, ID_1)], NOISE)
    first = view(admin, phone_and_id)  # the first case of all: nothing to compare it with
    assert (first["possible_duplicates"], first["merged_into"], first["merged_from"]) == ([], None, [])
    assert events(admin, phone_and_id, "duplicate_suspected") == []
    phone_only = file(admin, "DUP-PHONE", [party("张三", PHONE_1, ID_2)], PARKING)
    id_only = file(admin, "DUP-ID", [party("张三", PHONE_2, ID_1)], TREE, region=OTHER_VILLAGE)
    place_only = file(partner, "DUP-PLACE", [party("李四", PHONE_3)], LEAK_1)
    phone_and_place = file(admin, "DUP-PHONE-PLACE", [party("张三", PHONE_1)], LEAK_1)
    unrelated = file(admin, "DUP-NONE", [party("王五", PHONE_4)], NOISE)
    earlier = (phone_and_id, phone_only, id_only, place_only, phone_and_place)

    created = police.call("POST", "/v1/cases", {
        "external_ref": "110-20261123-0001", "channel": "police_110", "category": "neighbor",
        "title": LEAK_2[0], "description": LEAK_2[1], "region_code": VILLAGE,
        "parties": [party("张三", PHONE_1, ID_1), party("李四", role="respondent")]})
    assert created.status == 201, created
    new = created.json["case_id"]
    found = duplicates(admin, new)

    assert {d["case_id"]: set(d["reasons"]) for d in found} == {
        phone_and_id: {"same_phone", "same_id_number"},
        phone_only: {"same_phone"},
        id_only: {"same_id_number"},
        place_only: {"same_place_and_category", "similar_text"},
        phone_and_place: {"same_phone", "same_place_and_category", "similar_text"},
    }
    assert all(len(d["reasons"]) == len(set(d["reasons"])) for d in found), found
    assert all(set(d) == {"case_id", "reasons", "score"} for d in found), found
    scores = [d["score"] for d in found]
    assert scores == sorted(scores, reverse=True), found  # best first
    assert all(isinstance(s, float) and 0.0 < s <= 1.0 for s in scores), scores
    score = {d["case_id"]: d["score"] for d in found}
    assert score[phone_and_id] > max(score[phone_only], score[id_only])  # more evidence, a better match
    assert score[phone_and_place] > max(score[phone_only], score[place_only])
    assert unrelated not in score

    (event,) = events(admin, new, "duplicate_suspected")
    assert [c["case_id"] for c in event["detail"]["candidates"]] == [d["case_id"] for d in found]

    # the partner that filed it learns nothing of the other cases, at intake or after
    assert "possible_duplicates" not in created.json
    assert all(other not in created.raw.decode() for other in earlier)
    assert_partner_never_sees(police, new, *earlier)
    # nor does the partner of an earlier case learn of the new one
    assert_partner_never_sees(partner, place_only, new)
    assert duplicates(admin, place_only) == []  # found at intake, on the new case only


def test_only_open_cases_of_the_village_and_category_with_a_similar_report_count(partner, admin):
    unlike = file(admin, "NEG-UNLIKE", [party("甲", PHONE_2)], NOISE)  # same place, another dispute
    sibling = file(admin, "NEG-SIBLING", [party("乙", PHONE_3)], LEAK_1, region=SIBLING_VILLAGE)
    elsewhere = file(admin, "NEG-ELSEWHERE", [party("丙", PHONE_4)], LEAK_1, region=OTHER_VILLAGE)
    category = file(admin, "NEG-CATEGORY", [party("丁", PHONE_5)], LEAK_1, category="property_management")
    ended = []
    for how in ("closed", "withdrawn", "resolved", "unresolved"):  # the same party, place and leak
        ended.append(file(admin, f"NEG-{how}", [party("张三", PHONE_1, ID_1)], LEAK_1))
        concluded(admin, ended[-1], how)
    merged = file(admin, "NEG-MERGED", [party("戊", PHONE_6)], LEAK_1)
    merge(admin, merged, unlike)

    new = file(partner, "NEG-NEW", [party("张三", PHONE_1, ID_1)], LEAK_2)
    assert duplicates(admin, new) == []
    assert events(admin, new, "duplicate_suspected") == []
    staff_text = admin.call("GET", f"/v1/cases/{new}").raw.decode()
    assert all(other not in staff_text for other in (unlike, sibling, elsewhere, category, merged, *ended))


def test_the_place_rule_looks_thirty_days_back_and_the_party_rule_further(partner, admin):
    clock(BASE - dt.timedelta(days=31))
    old_place = file(admin, "WIN-31-PLACE", [party("甲", PHONE_2)], LEAK_1)
    old_phone = file(admin, "WIN-31-PHONE", [party("张三", PHONE_1)], NOISE)
    clock(BASE - dt.timedelta(days=29))
    recent_place = file(admin, "WIN-29-PLACE", [party("乙", PHONE_3)], LEAK_1)
    clock(BASE)
    assert view(admin, old_place)["status"] == "dispatched"  # still open a month on

    new = file(partner, "WIN-NEW", [party("张三", PHONE_1)], LEAK_2)
    assert {d["case_id"]: set(d["reasons"]) for d in duplicates(admin, new)} == {
        recent_place: {"same_place_and_category", "similar_text"}, old_phone: {"same_phone"}}


def test_at_most_ten_possible_duplicates_the_best_kept(partner, admin):
    others = [file(admin, f"TEN-{i:02d}", [party("张三", PHONE_1)], NOISE, route=False) for i in range(11)]
    best = file(admin, "TEN-BEST", [party("张三", PHONE_1, ID_1)], NOISE, route=False)
    new = file(partner, "TEN-NEW", [party("张三", PHONE_1, ID_1)], PARKING, route=False)
    found = duplicates(admin, new)
    assert len(found) == 10
    assert found[0]["case_id"] == best
    assert {d["case_id"] for d in found[1:]} < set(others)
    (event,) = events(admin, new, "duplicate_suspected")
    assert len(event["detail"]["candidates"]) == 10


# ------------------------------------------------ related cases (首接负责)


def add_mediator(admin, mediator_id: str, org_id: str, phone: str, specialties: list[str]) -> None:
    created = admin.call("POST", "/v1/mediators", {"mediator_id": mediator_id, "name": f"调解员{mediator_id}",
                                                   "phone": phone, "org_id": org_id,
                                                   "specialties": specialties, "active": True})
    assert created.status == 201, created


def routing_of(admin, case_id: str) -> tuple[str, str, str, str]:
    """(tier, org, mediator, reason of the latest `routed` event) of a dispatched case."""
    case = view(admin, case_id)
    assert case["status"] == "dispatched", case
    return case["tier"], case["org_id"], case["mediator_id"], events(admin, case_id, "routed")[-1]["detail"]["reason"]


def test_a_new_case_sharing_a_party_goes_to_the_open_cases_org_and_mediator(partner, police, admin):
    related = file(police, "REL-110", [party("张三", PHONE_1)], NOISE)
    add_mediator(admin, "M-CN-2", "V-CN", "13900000204", ["neighbor"])  # idle: routing's own choice now
    control = file(admin, "REL-CONTROL", [party("王五", PHONE_4)], TREE)
    assert routing_of(admin, control)[:3] == ("village", "V-CN", "M-CN-2")

    new = file(partner, "REL-NEW", [party("李四", role="respondent"), party("张三", PHONE_1)], PARKING)
    tier, org, mediator, reason = routing_of(admin, new)
    assert (tier, org, mediator) == ("village", "V-CN", "M-CN-1")
    assert related in reason
    assert open_count(admin, "M-CN-1") == 2
    routed = [e for e in events(partner, new) if e["type"] == "routed"]
    assert len(routed) == 1 and "related_case_id" not in routed[0]["detail"]
    assert_partner_never_sees(partner, new, related)
    assert_partner_never_sees(police, related, new)

    # an accepted case at town takes a village case of the same ID number: its tier is not below
    at_town = file(admin, "REL-TOWN", [party("赵六", PHONE_5, ID_1)], DOG, risk=("domestic_violence",))
    act(admin, at_town, "accept")
    village_case = file(partner, "REL-TOWN-NEW", [party("赵六", PHONE_6, ID_1)], FENCE)
    assert view(admin, village_case)["risk_level"] in ("blue", "yellow")  # a village case by itself
    tier, org, mediator, reason = routing_of(admin, village_case)
    assert (tier, org, mediator) == ("town", "T-SL", "M-SL-1")
    assert at_town in reason
    assert_partner_never_sees(partner, village_case, at_town)


def test_a_related_case_is_not_followed_for_another_category_a_higher_tier_or_once_it_ended(partner, admin):
    created = admin.call("POST", "/v1/orgs", {
        "org_id": "V-CN-NB", "name": "城南社区邻里纠纷调解工作室", "region_code": VILLAGE,
        "tier": "village", "mediation_type": "people", "categories": ["neighbor"], "head_phone": "13900000104"})
    assert created.status == 201, created
    add_mediator(admin, "M-NB-1", "V-CN-NB", "13900000205", ["neighbor"])
    family = ("夫妻家务分工争吵", "夫妻双方因家务分工长期争吵")

    # its org names only neighbor disputes: a marriage case of the party goes where routing sends it
    neighbor = file(admin, "REL-CAT", [party("甲", PHONE_1)], NOISE)
    assert routing_of(admin, neighbor)[:3] == ("village", "V-CN-NB", "M-NB-1")
    other_category = file(partner, "REL-CAT-NEW", [party("甲", PHONE_1)], family, category="marriage_family")
    tier, org, mediator, reason = routing_of(admin, other_category)
    assert (tier, org, mediator) == ("village", "V-CN", "M-CN-1") and neighbor not in reason

    # an orange case needs town: the party's case at village does not keep it
    village = file(admin, "REL-TIER", [party("乙", PHONE_2)], TREE)
    assert routing_of(admin, village)[:2] == ("village", "V-CN-NB")
    orange = file(partner, "REL-TIER-NEW", [party("乙", PHONE_2)], PARKING, risk=("domestic_violence",))
    tier, org, mediator, reason = routing_of(admin, orange)
    assert (tier, org, mediator) == ("town", "T-SL", "M-SL-1") and village not in reason

    # closed or withdrawn, the party's case is no longer anyone's: routing as usual
    for how, phone, text in (("closed", PHONE_3, DOG), ("withdrawn", PHONE_4, FENCE)):
        ended = file(admin, f"REL-{how}", [party("丙", phone)], family, category="marriage_family")
        assert routing_of(admin, ended)[:2] == ("village", "V-CN")
        concluded(admin, ended, how)
        new = file(partner, f"REL-{how}-NEW", [party("丙", phone)], text)
        tier, org, mediator, reason = routing_of(admin, new)
        assert (tier, org, mediator) == ("village", "V-CN-NB", "M-NB-1") and ended not in reason, how
        assert duplicates(admin, new) == []


# ------------------------------------------------------------------ merge


def parties_of(case: dict) -> set[tuple]:
    return {(p["name"], p.get("phone"), p.get("id_number")) for p in case["parties"]}


def test_a_merged_source_and_its_target_that_takes_its_parties_risk_and_notes(partner, police, admin):
    target = file(partner, "12345-LEAK", [party("张三", PHONE_1, ID_1), party("李四", PHONE_2, role="respondent")],
                  LEAK_1)
    source = file(police, "110-LEAK", [party("张三", PHONE_3, ID_1), party("李四", PHONE_2, role="respondent"),
                                       party("王五", PHONE_4, role="respondent")], LEAK_2,
                  risk=("vulnerable_party",))
    assert target in {d["case_id"] for d in duplicates(admin, source)}
    before = view(admin, target)
    assert (before["party_count"], before["risk_level"], view(admin, source)["mediator_id"]) == (2, "blue", "M-CN-1")
    assert open_count(admin, "M-CN-1") == 2
    clock(BASE + dt.timedelta(minutes=20))
    act(admin, target, "note", {"text": "已联系物业查看漏水点"})
    clock(BASE + dt.timedelta(minutes=40))
    act(admin, source, "note", {"text": "110民警已到场初步劝解"})

    clock(BASE + dt.timedelta(hours=1))
    answer = merge(admin, source, target, reason="同一漏水纠纷")
    assert (answer["case_id"], answer["status"], answer["merged_into"]) == (source, "merged", target)

    merged = view(admin, source)
    assert (merged["status"], merged["merged_into"], merged["merged_from"]) == ("merged", target, [])
    (event,) = events(admin, source, "merged")
    assert (event["at"], event["detail"]["into"]) == ("2026-11-23T11:00:00+08:00", target)
    assert events(admin, source)[-1] == event

    united = view(admin, target)
    assert (united["status"], united["merged_into"], united["merged_from"]) == ("dispatched", None, [source])
    assert parties_of(united) == {("张三", PHONE_1, ID_1), ("李四", PHONE_2, None), ("王五", PHONE_4, None)}
    assert len(united["parties"]) == 3 and united["party_count"] == 3
    assert united["risk_indicators"] == ["vulnerable_party"]
    assert (united["risk_level"], united["tier"], united["mediator_id"]) == ("yellow", "village", "M-CN-1")
    assert united["version"] > before["version"]
    assert open_count(admin, "M-CN-1") == 1

    timeline = events(admin, target)
    assert [e["detail"]["from_case"] for e in timeline if e["type"] == "merged_in"] == [source]
    notes = [(e["detail"]["text"], e["detail"].get("from_case")) for e in timeline if e["type"] == "note"]
    assert notes == [("已联系物业查看漏水点", None), ("110民警已到场初步劝解", source)]
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    # the target's partner reads the united parties masked, and none of the source's timeline
    for_partner = events(partner, target)
    assert not [e for e in for_partner if e["type"] in ("merged_in", "note") and "from_case" in e["detail"]]
    assert source not in json.dumps(for_partner)


def test_party_count_is_the_larger_the_risk_level_never_lowered_and_ten_parties_go_to_district(admin):
    first = file(admin, "PC-FIRST", [party("张三", PHONE_1)], LEAK_1)
    second = file(admin, "PC-SECOND", [party("张三", PHONE_1), party("李四", PHONE_2, role="respondent")], LEAK_2,
                  party_count=4)
    assert view(admin, second)["risk_level"] == "yellow"  # a party with another case this year
    merge(admin, first, second)
    united = view(admin, second)
    assert (len(united["parties"]), united["party_count"]) == (2, 4)  # 张三 once; its own count is larger
    assert (united["risk_level"], united["tier"], united["status"]) == ("yellow", "village", "dispatched")

    # eight more parties make ten: red, and a case for the district, two tiers up
    crowd = file(admin, "PC-CROWD", [party(f"业主{i}号") for i in range(8)], LEAK_2)
    assert view(admin, crowd)["tier"] == "town"  # eight parties: orange
    merge(admin, crowd, second)
    moved = view(admin, second)
    assert (moved["status"], moved["party_count"], moved["risk_level"]) == ("received", 10, "red")
    assert events(admin, second, "escalated")[0]["detail"]["to_tier"] == "district"
    drain("routing", "route_cases")
    routed = view(admin, second)
    assert (routed["status"], routed["tier"], routed["org_id"], routed["mediator_id"]) == (
        "dispatched", "district", "D-WJ", "M-WJ-1")


def test_a_target_graded_up_to_orange_leaves_the_village_for_the_town(partner, police, admin):
    target = file(partner, "RR-T", [party("张三", PHONE_1)], LEAK_1)
    act(admin, target, "accept")
    source = file(police, "RR-S", [party("李四", PHONE_2)], LEAK_2, risk=("domestic_violence",))
    assert (view(admin, source)["tier"], open_counts(admin)) == ("town", {"M-CN-1": 1, "M-SL-1": 1, "M-WJ-1": 0})

    clock(BASE + dt.timedelta(hours=1))
    merge(admin, source, target)
    moved = view(admin, target)
    assert (moved["status"], moved["risk_level"], moved["risk_indicators"]) == (
        "received", "orange", ["domestic_violence"])
    assert (moved["org_id"], moved["mediator_id"]) == (None, None)
    (escalated,) = events(admin, target, "escalated")
    assert {k: escalated["detail"][k] for k in ("reason", "from_tier", "to_tier")} == {
        "reason": "merge", "from_tier": "village", "to_tier": "town"}
    assert open_counts(admin) == {"M-CN-1": 0, "M-SL-1": 0, "M-WJ-1": 0}

    clock(BASE + dt.timedelta(hours=1, seconds=5))
    drain("routing", "route_cases")
    routed = view(admin, target)
    assert (routed["status"], routed["tier"], routed["org_id"], routed["mediator_id"]) == (
        "dispatched", "town", "T-SL", "M-SL-1")
    assert routed["accept_due_at"] == "2026-11-23T15:00:05+08:00"  # orange: 4 h from the new dispatch
    assert open_counts(admin) == {"M-CN-1": 0, "M-SL-1": 1, "M-WJ-1": 0}
    assert view(admin, source)["status"] == "merged"


def test_a_merged_source_takes_no_deadline_sweep_or_sms(partner, admin):
    target = file(admin, "SW-T", [party("张三", PHONE_1)], LEAK_1)
    dispatched = file(partner, "SW-DISPATCHED", [party("乙", PHONE_3)], LEAK_2)
    suspended = file(partner, "SW-SUSPENDED", [party("丙", PHONE_4)], LEAK_2)
    act(admin, suspended, "accept")
    act(admin, suspended, "suspend", {"reason_code": "appraisal", "reason": "等待漏水鉴定",
                                      "resume_on": "2026-11-30"})
    waiting = file(partner, "SW-RECEIVED", [party("甲", PHONE_2)], LEAK_2, route=False)  # not routed yet
    assert view(admin, waiting)["status"] == "received"
    assert open_count(admin, "M-CN-1") == 3
    clock(BASE + dt.timedelta(seconds=30))
    for source in (waiting, dispatched, suspended):
        merge(admin, source, target)
    assert open_count(admin, "M-CN-1") == 1
    assert view(admin, suspended)["suspended"] is False
    sources = (waiting, dispatched, suspended)
    before = {s: (view(admin, s), events(admin, s), notifications(admin, s)) for s in sources}
    assert [n["kind"] for n in before[waiting][2]] == []
    sent_before = len(sms_sent())

    drain("routing", "route_cases")  # the intake's routing message of the one merged unrouted
    for moment in (at(11, 23, 10, 5), at(11, 30, 0, 1), at(12, 31)):  # self-heal, resume_on, every deadline
        sweep(admin, "supervision", moment)
    sweep(admin, "return-visits", at(12, 31))
    for source in sources:
        assert (view(admin, source), events(admin, source), notifications(admin, source)) == before[source], source
    assert events(admin, target, "supervision")  # the sweeps did run: the target went through its ladder
    assert len(sms_sent()) > sent_before
    assert all(source[-8:] not in text for _, text in sms_sent()[sent_before:] for source in sources)


def test_a_new_case_of_a_party_the_target_took_in_finds_the_target_and_goes_to_its_mediator(
        partner, police, admin):
    """After the merge the target has the source's parties: a later case of one of them is a
    possible duplicate of the target (same_phone) and goes to its org and mediator (首接负责)."""
    target = file(admin, "KEY-T", [party("张三", PHONE_1)], LEAK_1)
    source = file(police, "KEY-S", [party("李四", PHONE_2)], NOISE)
    merge(admin, source, target)
    assert PHONE_2 in {p.get("phone") for p in view(admin, target)["parties"]}
    add_mediator(admin, "M-CN-2", "V-CN", "13900000204", ["neighbor"])  # idle: routing's own choice
    new = file(partner, "KEY-NEW", [party("李四", PHONE_2)], TREE)
    assert [(d["case_id"], d["reasons"]) for d in duplicates(admin, new)] == [(target, ["same_phone"])]
    tier, org, mediator, reason = routing_of(admin, new)
    assert (org, mediator) == ("V-CN", "M-CN-1") and target in reason


def test_an_sms_deferred_by_quiet_hours_is_not_sent_for_a_case_merged_meanwhile(partner, admin):
    clock(at(11, 23, 23, 0))
    target = file(admin, "QH-T", [party("张三", PHONE_1)], LEAK_1)
    source = file(partner, "QH-S", [party("李四", PHONE_2)], LEAK_2)
    (deferred,) = notifications(admin, source)
    assert (deferred["kind"], deferred["status"]) == ("dispatch", "deferred")
    clock(at(11, 23, 23, 30))
    merge(admin, source, target)
    sweep(admin, "supervision", at(11, 24, 8, 0))
    assert notifications(admin, target)[0]["status"] == "sent"
    (after,) = notifications(admin, source)
    assert after["status"] != "sent", after
    assert all(source[-8:] not in text for _, text in sms_sent())


# --------------------------------------------------------------- refusals


def state_of(admin, *case_ids: str) -> tuple:
    """Everything a refused merge must leave as it was: each case as stored (its version too)
    and its timeline, and the mediators' open counts."""
    store = wiring.current().case_store
    cases = tuple((store.get(c), store.events(c)) for c in case_ids)
    return cases, admin.call("GET", "/v1/mediators").json


def assert_refused(admin, caller, source: str, body: Any, status: int, field: str | None = None) -> None:
    """The merge answers problem+json with `status` (naming `field`) and writes nothing to either case."""
    into = body.get("into") if isinstance(body, dict) else None
    cases = (source, *([into] if isinstance(into, str) and into else []))
    before = state_of(admin, *cases)
    answer = caller.call("POST", f"/v1/cases/{source}/merge", body)
    assert answer.status == status, (body, answer)
    assert_problem(answer, status, field)
    assert state_of(admin, *cases) == before, body


def test_refused_merges_answer_problem_json_and_change_nothing(partner, admin, http):
    a = file(admin, "RF-A", [party("甲", PHONE_1)], LEAK_1)
    b = file(admin, "RF-B", [party("乙", PHONE_2)], NOISE)
    town = file(admin, "RF-TOWN", [party("丙", PHONE_3)], PARKING, risk=("domestic_violence",))
    far = file(admin, "RF-FAR", [party("丁", PHONE_4)], TREE, region=OTHER_VILLAGE)
    assert [view(admin, c)["org_id"] for c in (a, b, town, far)] == ["V-CN", "V-CN", "T-SL", "D-WJ"]
    ended = {how: file(admin, f"RF-{how}", [party(f"戊{how}")], DOG)
             for how in ("closed", "resolved", "unresolved", "withdrawn")}
    for how, case_id in ended.items():
        concluded(admin, case_id, how)
    gone = file(admin, "RF-GONE", [party("己")], FENCE)
    merge(admin, gone, b)  # b has a case merged into it now
    own = [file(partner, f"RF-P{i}", [party(f"庚{i}")], NOISE) for i in (1, 2)]
    reason = "同一纠纷"
    village_mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    town_mediator = staff_token(admin, role="mediator", mediator_id="M-SL-1")
    town_supervisor = staff_token(admin, role="supervisor", jurisdiction="320509102")

    assert_refused(admin, admin, a, {"into": a, "reason": reason}, 422, "into")
    assert_refused(admin, admin, a, {"reason": reason}, 422, "into")
    assert_refused(admin, admin, a, {"into": "", "reason": reason}, 422, "into")
    assert_refused(admin, admin, a, {"into": b}, 422, "reason")
    assert_refused(admin, admin, a, {"into": b, "reason": reason, "expected_version": 0}, 422, "expected_version")
    assert_problem(admin.call("POST", f"/v1/cases/{a}/merge", raw=b"{not json"), 400)

    # the target (or the source) out of the caller's view is unknown to it
    assert_refused(admin, town_mediator, town, {"into": a, "reason": reason}, 404)
    assert_refused(admin, village_mediator, a, {"into": town, "reason": reason}, 404)
    assert_refused(admin, village_mediator, town, {"into": a, "reason": reason}, 404)
    assert_refused(admin, town_supervisor, a, {"into": far, "reason": reason}, 404)
    assert_refused(admin, admin, a, {"into": "HW20261123ZZZZZZZZ", "reason": reason}, 404)
    assert_refused(admin, partner, own[0], {"into": own[1], "reason": reason}, 403)

    # a source that is not open, a target that is not open or is merged, a chain, a stale version
    for how, case_id in ended.items():
        assert_refused(admin, admin, case_id, {"into": a, "reason": reason}, 409)
        if how in ("closed", "resolved"):
            assert_refused(admin, admin, a, {"into": case_id, "reason": reason}, 409)
    assert_refused(admin, admin, gone, {"into": a, "reason": reason}, 409)
    assert_refused(admin, admin, a, {"into": gone, "reason": reason}, 409)
    assert_refused(admin, admin, b, {"into": a, "reason": reason}, 409)
    version = view(admin, a)["version"]
    act(admin, a, "note", {"text": "双方同意先行协商"})
    assert_refused(admin, admin, a, {"into": b, "reason": reason, "expected_version": version}, 409)

    # staff who see both may merge: the mediator of both, a supervisor covering both
    merged = merge(village_mediator, a, b, expected_version=view(admin, a)["version"])
    assert merged["status"] == "merged"
    merge(town_supervisor, town, b)
    assert view(admin, b)["merged_from"] == [gone, a, town]
    assert "post" in http.call("GET", "/openapi.json").json["paths"]["/v1/cases/{case_id}/merge"]


# ------------------------------------------------------ partners (§7, §12)


def callbacks_to(partner: Partner, receiver: Receiver, case_id: str | None = None) -> list[dict]:
    """Every callback the partner's endpoint received (for one case, if given), each checked to
    be signed with the partner's secret over the callback URL's path and query."""
    drain("callbacks", "deliver_callbacks")
    received = []
    for path, headers, body in receiver.received:
        assert headers["X-Hewei-Signature"] == sign(partner.secret, headers["X-Hewei-Timestamp"], "POST", path,
                                                    body)
        payload = json.loads(body)
        if case_id is None or payload["case_id"] == case_id:
            received.append(payload)
    return received


@pytest.fixture
def endpoints(admin, partner, police):
    """Callback endpoints on loopback for the 12345 hotline and for 110."""
    receivers = {partner.partner_id: Receiver(), police.partner_id: Receiver()}
    for partner_id, receiver in receivers.items():
        changed = admin.call("PATCH", f"/v1/partners/{partner_id}", {"callback_url": receiver.url})
        assert changed.status == 200, changed
    yield receivers
    for receiver in receivers.values():
        receiver.close()


def test_partners_are_told_of_the_merge_then_of_each_outcome_of_the_target(partner, police, admin, endpoints):
    hotline, dispatch = endpoints[partner.partner_id], endpoints[police.partner_id]
    target = file(partner, "CB-T", [party("张三", PHONE_1), party("欧阳娜娜", PHONE_5, ID_3, role="respondent")],
                  LEAK_1)
    by_police = file(police, "CB-110", [party("张三", PHONE_1)], LEAK_2)
    by_hotline = file(partner, "CB-12345", [party("李四", PHONE_2)], LEAK_2)
    by_staff = file(admin, "CB-STAFF", [party("王五", PHONE_3)], LEAK_2)
    clock(BASE + dt.timedelta(hours=1))
    for source in (by_police, by_hotline, by_staff):
        merge(admin, source, target)

    for who, receiver, source, ref in ((police, dispatch, by_police, "CB-110"),
                                       (partner, hotline, by_hotline, "CB-12345")):
        told = callbacks_to(who, receiver, source)
        assert [p["status"] for p in told] == ["dispatched", "merged"]
        assert told[-1] == {"event": "case.status_changed", "case_id": source, "external_ref": ref,
                            "status": "merged", "at": "2026-11-23T11:00:00+08:00"}
        mine = view(who, source)
        assert (mine["status"], mine["outcome_status"]) == ("merged", None)

    clock(BASE + dt.timedelta(hours=2))
    act(admin, target, "accept")
    assert not [p for p in callbacks_to(police, dispatch) if p["event"] == "case.merged_outcome"]
    clock(BASE + dt.timedelta(hours=3))
    act(admin, target, "resolve", AGREEMENT)
    assert view(police, by_police)["outcome_status"] == "resolved"
    clock(BASE + dt.timedelta(hours=4))
    act(admin, target, "visit", GOOD_VISIT)
    act(admin, target, "close")

    for who, receiver, source, ref in ((police, dispatch, by_police, "CB-110"),
                                       (partner, hotline, by_hotline, "CB-12345")):
        outcomes = [p for p in callbacks_to(who, receiver) if p["event"] == "case.merged_outcome"]
        assert outcomes == [
            {"event": "case.merged_outcome", "case_id": source, "external_ref": ref, "status": "resolved",
             "at": "2026-11-23T13:00:00+08:00"},
            {"event": "case.merged_outcome", "case_id": source, "external_ref": ref, "status": "closed",
             "at": "2026-11-23T14:00:00+08:00"}]
        mine = view(who, source)
        assert (mine["status"], mine["outcome_status"]) == ("merged", "closed")
        (listed,) = [c for c in who.call("GET", "/v1/cases", query={"limit": 200}).json["items"]
                     if c["case_id"] == source]
        assert (listed["status"], listed["outcome_status"]) == ("merged", "closed")
    assert [p["status"] for p in callbacks_to(partner, hotline, target)] == [
        "dispatched", "accepted", "resolved", "closed"]

    # 110 never learns the target's id or its other party, in any answer or callback
    assert {p["case_id"] for p in callbacks_to(police, dispatch)} == {by_police}
    assert_partner_never_sees(police, by_police, target, "欧", PHONE_5[-4:], ID_3[-4:])
    assert parties_of(view(police, by_police)) == {("张*", "138****0001", None)}
    # the hotline owns the target, yet its merged case's own answers do not name it either
    for path in (f"/v1/cases/{by_hotline}", f"/v1/cases/{by_hotline}/events"):
        assert target not in partner.call("GET", path).raw.decode()


# ------------------------------------------------------------ statistics


def test_statistics_leave_merged_cases_out_of_total_and_rates_and_count_them(admin):
    target = file(admin, "ST-T", [party("甲")], LEAK_1)
    first = file(admin, "ST-S1", [party("乙")], LEAK_2)
    second = file(admin, "ST-S2", [party("丙")], LEAK_2, region=SIBLING_VILLAGE)
    other = file(admin, "ST-U", [party("丁")], NOISE)
    act(admin, target, "accept")
    act(admin, other, "accept")
    sweep(admin, "supervision", BASE + dt.timedelta(hours=25))  # the two sources are overdue for accept
    query = {"region": "320509", "from": "2026-11-23", "to": "2026-11-23"}
    before = admin.call("GET", "/v1/stats", query=query).json
    assert (before["total"], before["merged"], before["overdue_open"]) == (4, 0, 2)

    clock(BASE + dt.timedelta(hours=26))
    merge(admin, first, target)
    merge(admin, second, target)
    act(admin, target, "resolve", AGREEMENT)
    act(admin, target, "visit", GOOD_VISIT)
    act(admin, target, "close")
    act(admin, other, "fail", {"referral": "litigation", "reason": "对方拒绝调解"})

    town = staff_token(admin, role="supervisor", jurisdiction="320509102")
    for caller in (admin, town):
        figures = caller.call("GET", "/v1/stats", query={**query, "region": "320509102"}).json
        assert (figures["total"], figures["merged"]) == (2, 2), figures
        assert {k: v for k, v in figures["by_status"].items() if v} == {"closed": 1, "unresolved": 1, "merged": 2}
        assert sum(figures["by_status"].values()) == figures["total"] + figures["merged"]
        for breakdown in ("by_category", "by_tier", "by_channel", "by_risk_level"):
            assert sum(figures[breakdown].values()) == 2, (breakdown, figures[breakdown])
        assert (figures["closure_rate"], figures["success_rate"], figures["on_time_rate"]) == (0.5, 0.5, 1.0)
        assert (figures["resolved_below_district_share"], figures["satisfaction_rate"]) == (1.0, 1.0)
        assert figures["overdue_open"] == 0
    village = admin.call("GET", "/v1/stats", query={**query, "region": VILLAGE}).json
    assert (village["total"], village["merged"], village["by_status"]["merged"]) == (2, 1, 1)


# ------------------------------------------------------------------ races


class WritesAfterReads:
    """While active, the first write of each of `n` racing threads waits until all of them have
    read what they write from (the store's `save_merge` and `save_change`); with `first`, the
    thread writing through that method goes first and the others wait for its write."""

    def __init__(self, n: int = 2, first: str | None = None):
        self._store = wiring.current().case_store
        self._all_read = threading.Barrier(n)
        self._first = first
        self._first_written = threading.Event()
        self._held: set[int] = set()

    def __enter__(self):
        for name in ("save_merge", "save_change"):
            setattr(self._store, name, self._held_write(name, getattr(self._store, name)))
        return self

    def __exit__(self, *exc):
        for name in ("save_merge", "save_change"):
            delattr(self._store, name)

    def _held_write(self, name: str, write: Callable) -> Callable:
        def held(*args, **kwargs):
            if threading.get_ident() not in self._held:
                self._held.add(threading.get_ident())
                self._all_read.wait(timeout=10)
                if self._first is not None and name != self._first:
                    assert self._first_written.wait(timeout=10)
            try:
                return write(*args, **kwargs)
            finally:
                if name == self._first:
                    self._first_written.set()
        return held


def merging(source: str, into: str, principal) -> Callable:
    return lambda: wiring.current().merger.merge(source, MergeCase(into=into, reason="同一纠纷"), principal)


def accepting(case_id: str, principal) -> Callable:
    return lambda: wiring.current().actions.act(case_id, "accept", AcceptCase(), principal)


def test_two_opposite_merges_at_once_merge_one_case_and_make_no_cycle(admin, atomic_requests):
    principal = principal_of(admin)
    for run, hold in enumerate((True, False)):  # both read before either writes; then simply together
        a = file(admin, f"RC-A{run}", [party(f"甲{run}")], LEAK_1)
        b = file(admin, f"RC-B{run}", [party(f"乙{run}")], LEAK_2)
        count = open_count(admin, "M-CN-1")
        if hold:
            with WritesAfterReads():
                results = all_at_once(merging(a, b, principal), merging(b, a, principal))
        else:
            results = all_at_once(merging(a, b, principal), merging(b, a, principal))
        done = [r for r in results if r is not None and not isinstance(r, Conflict)]
        assert len(done) == 1 and sum(isinstance(r, Conflict) for r in results) == 1, results
        merged = done[0].case_id
        kept = b if merged == a else a
        gone, survivor = view(admin, merged), view(admin, kept)
        assert (gone["status"], gone["merged_into"], gone["merged_from"]) == ("merged", kept, [])
        assert (survivor["status"], survivor["merged_into"], survivor["merged_from"]) == ("dispatched", None, [merged])
        assert len(events(admin, merged, "merged")) == 1 and not events(admin, kept, "merged")
        assert len(events(admin, kept, "merged_in")) == 1 and not events(admin, merged, "merged_in")
        assert open_count(admin, "M-CN-1") == count - 1, run


@pytest.mark.parametrize("first", ["accept", "merge"])
def test_a_merge_racing_an_accept_of_its_source_ends_merged_with_the_counts_right(admin, atomic_requests, first):
    target = file(admin, "RA-T", [party("甲")], LEAK_1)
    source = file(admin, "RA-S", [party("乙")], LEAK_2)
    assert open_count(admin, "M-CN-1") == 2
    principal = principal_of(admin)
    with WritesAfterReads(first={"accept": "save_change", "merge": "save_merge"}[first]):
        accepted, merged = all_at_once(accepting(source, principal), merging(source, target, principal))
    assert merged is not None and not isinstance(merged, Conflict), merged
    if first == "accept":  # the merge read the case again and applied to the accepted case
        assert accepted is not None and not isinstance(accepted, Conflict), accepted
        assert len(events(admin, source, "accepted")) == 1
    else:  # the accept read the case again and found it merged
        assert isinstance(accepted, Conflict), accepted
        assert not events(admin, source, "accepted")
    final = view(admin, source)
    assert (final["status"], final["merged_into"]) == ("merged", target)
    assert view(admin, target)["merged_from"] == [source]
    assert len(events(admin, source, "merged")) == 1 and len(events(admin, target, "merged_in")) == 1
    assert open_count(admin, "M-CN-1") == 1
    assert wiring.current().directory_store.mediator("M-CN-1").open_cases == 1


def test_merges_and_accepts_of_their_sources_all_at_once_keep_every_count(admin, atomic_requests):
    pairs = [(file(admin, f"RM-T{i}", [party(f"甲{i}")], LEAK_1), file(admin, f"RM-S{i}", [party(f"乙{i}")], LEAK_2))
             for i in range(3)]
    assert open_count(admin, "M-CN-1") == 6
    principal = principal_of(admin)
    results = all_at_once(*[accepting(source, principal) for _, source in pairs],
                          *[merging(source, target, principal) for target, source in pairs])
    accepts, merges = results[:3], results[3:]
    assert all(m is not None and not isinstance(m, Conflict) for m in merges), merges
    for (target, source), accepted in zip(pairs, accepts):
        assert accepted is not None, accepts
        kinds = [e["type"] for e in events(admin, source)]
        assert kinds.count("merged") == 1 and kinds.count("accepted") <= 1
        assert ("accepted" in kinds) == (not isinstance(accepted, Conflict)), (kinds, accepted)
        assert view(admin, source)["status"] == "merged"
        assert view(admin, target)["merged_from"] == [source]
    assert open_count(admin, "M-CN-1") == 3
