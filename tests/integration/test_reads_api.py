"""Reading cases (§5 view, list, events, notifications) and service discovery (§9).

One stack for the module with a fixed set of cases, filed once; the tests only read.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field

import pytest
from openapi_spec_validator import validate

from chalicelib import wiring
from chalicelib.adapters.models import CaseModel
from chalicelib.domain.access import Principal
from chalicelib.domain.enums import Role
from chalicelib.services.commands import NewCase
from tests.integration.module_env import Env, demo_env
from tests.support import assert_problem, new_case_body

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Filed:
    ref: str
    case_id: str
    partner: str
    region: str
    category: str
    risk: str
    status: str = "received"
    overdue: bool = False


@dataclass
class World:
    env: Env
    cases: list[Filed] = field(default_factory=list)
    pager_ids: list[str] = field(default_factory=list)
    """Cases of partner `pager`, in filing order (oldest first)."""

    def of(self, partner: str) -> list[Filed]:
        return [c for c in self.cases if c.partner == partner]


# ref, partner, region, category, risk level, overrides that give that level
PLAN = [
    ("A-1", "demo-12345", "320509102001", "neighbor", "blue", {}),
    ("A-2", "demo-12345", "320509102002", "labor_wages", "orange", {"party_count": 5}),
    ("A-3", "demo-12345", "320509103001", "marriage_family", "red", {"risk_indicators": ["threat_of_violence"]}),
    ("A-4", "demo-12345", "320509103001", "neighbor", "yellow", {"amount_cny": 60000}),
    ("A-5", "demo-12345", "320509102001", "medical", "blue", {}),
    ("A-6", "demo-12345", "320509102001", "neighbor", "blue", {}),
    ("A-7", "demo-12345", "320509102002", "other", "blue", {}),
    ("B-1", "court-1", "320509102001", "neighbor", "blue", {}),
    ("B-2", "court-1", "320509103001", "traffic_accident", "orange", {"risk_indicators": ["group_dispute"]}),
]
DISPATCHED = {"A-2", "A-4", "B-2"}
OVERDUE = {"A-4", "B-2"}
PAGER_CASES = 7
BULK_CASES = 51


def _body(ref: str, region: str, category: str, **overrides) -> dict:
    # one party without phone or ID: no case makes another one's party a repeat (which would be yellow)
    fields = {"region_code": region, "category": category, "amount_cny": None,
              "parties": [{"role": "applicant", "name": f"当事人{ref}"}], **overrides}
    return new_case_body(ref, **fields)


@pytest.fixture(scope="module")
def world():
    with demo_env("demo-12345", "court-1", "pager") as env:
        world = World(env)
        for ref, partner, region, category, risk, overrides in PLAN:
            result = env.partners[partner].call("POST", "/v1/cases", _body(ref, region, category, **overrides))
            assert result.status == 201 and result.json["risk_level"] == risk, (ref, result)
            filed = Filed(ref, result.json["case_id"], partner, region, category, risk)
            if ref in DISPATCHED or ref in OVERDUE:
                filed.status = "dispatched" if ref in DISPATCHED else "received"
                filed.overdue = ref in OVERDUE
                CaseModel.get(filed.case_id).update(actions=[CaseModel.status.set(filed.status),
                                                             CaseModel.overdue.set(filed.overdue)])
            world.cases.append(filed)
        for n in range(PAGER_CASES):
            result = env.partners["pager"].call("POST", "/v1/cases", _body(f"P-{n}", "320509102001", "neighbor"))
            assert result.status == 201, result
            world.pager_ids.append(result.json["case_id"])
            world.cases.append(Filed(f"P-{n}", result.json["case_id"], "pager", "320509102001", "neighbor", "blue"))
        yield world


def partner(world: World, partner_id: str):
    return world.env.partners[partner_id]


def listed(caller, **query) -> list[str]:
    result = caller.call("GET", "/v1/cases", query=query or None)
    assert result.status == 200, result
    assert set(result.json) == {"items", "next_cursor"}
    return [item["case_id"] for item in result.json["items"]]


def ids(cases) -> set[str]:
    return {c.case_id for c in cases}


# ------------------------------------------------------------------------ views


def test_a_partner_lists_only_its_own_cases_newest_first_with_parties_masked(world):
    result = partner(world, "demo-12345").call("GET", "/v1/cases")
    assert result.status == 200
    items = result.json["items"]
    assert [i["case_id"] for i in items] == [c.case_id for c in reversed(world.of("demo-12345"))]
    assert result.json["next_cursor"] is None
    assert all(p["name"].endswith("*") for i in items for p in i["parties"])
    assert set(listed(partner(world, "court-1"))) == ids(world.of("court-1"))


def test_a_supervisor_lists_only_the_jurisdiction(world):
    town = world.env.staff(role="supervisor", jurisdiction="320509103")
    expected = {c.case_id for c in world.cases if c.region.startswith("320509103")}
    assert set(listed(town)) == expected
    assert set(listed(town, region="320509103001")) == expected
    district = world.env.staff(role="supervisor", jurisdiction="320509")
    assert set(listed(district, limit=200)) == ids(world.cases)
    village = world.env.staff(role="supervisor", jurisdiction="320509102002")
    assert set(listed(village, limit=200)) == {c.case_id for c in world.cases if c.region == "320509102002"}


@pytest.mark.parametrize("caller", ["demo-12345", "admin", "supervisor"])
@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ({"status": "dispatched"}, lambda c: c.status == "dispatched"),
        ({"status": "received"}, lambda c: c.status == "received"),
        ({"status": "closed"}, lambda c: False),
        ({"category": "neighbor"}, lambda c: c.category == "neighbor"),
        ({"risk_level": "red"}, lambda c: c.risk == "red"),
        ({"risk_level": "orange"}, lambda c: c.risk == "orange"),
        ({"region": "320509"}, lambda c: True),
        ({"region": "320509103"}, lambda c: c.region.startswith("320509103")),
        ({"region": "320509102002"}, lambda c: c.region == "320509102002"),
        ({"overdue": "true"}, lambda c: c.overdue),
        ({"overdue": "false"}, lambda c: not c.overdue),
        ({"category": "neighbor", "region": "320509102"}, lambda c: c.category == "neighbor"
         and c.region.startswith("320509102")),
        ({"status": "dispatched", "overdue": "true", "risk_level": "yellow"},
         lambda c: c.status == "dispatched" and c.overdue and c.risk == "yellow"),
    ],
    ids=lambda v: "&".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else None,
)
def test_list_filters(world, caller, query, keep):
    if caller == "admin":
        who, universe = world.env.admin, world.cases
    elif caller == "supervisor":
        who, universe = world.env.staff(role="supervisor", jurisdiction="320509"), world.cases
    else:
        who, universe = partner(world, caller), world.of(caller)
    assert set(listed(who, limit=200, **query)) == {c.case_id for c in universe if keep(c)}


@pytest.mark.parametrize(
    ("query", "field"),
    [({"limit": 0}, "limit"), ({"limit": -1}, "limit"), ({"limit": "ten"}, "limit"), ({"status": "open"}, "status"),
     ({"risk_level": "purple"}, "risk_level"), ({"category": "divorce"}, "category"), ({"region": "32050"}, "region"),
     ({"region": "3205091020"}, "region"), ({"overdue": "maybe"}, "overdue"), ({"cursor": "x" * 3000}, "cursor")],
    ids=lambda v: "&".join(f"{k}={str(x)[:10]}" for k, x in v.items()) if isinstance(v, dict) else None,
)
def test_bad_query_parameters_are_422(world, query, field):
    assert_problem(world.env.admin.call("GET", "/v1/cases", query=query), 422, field)


def _pages(caller, limit: int, **query) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
        result = caller.call("GET", "/v1/cases", query=params)
        assert result.status == 200, result
        pages.append([item["case_id"] for item in result.json["items"]])
        cursor = result.json["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "pagination does not end"


def test_cursor_pagination_has_no_duplicates_and_no_gaps_newest_first(world):
    pages = _pages(partner(world, "pager"), 3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [case_id for page in pages for case_id in page] == list(reversed(world.pager_ids))


def test_pagination_of_an_exact_multiple_ends_without_an_empty_page(world):
    pages = _pages(partner(world, "pager"), 7)
    assert pages == [list(reversed(world.pager_ids))]


@pytest.mark.parametrize("caller", ["admin", "supervisor", "admin-district"])
def test_staff_pagination_has_no_duplicates_and_no_gaps(world, caller):
    if caller == "supervisor":
        who, query = world.env.staff(role="supervisor", jurisdiction="320509102"), {}
        expected = [c.case_id for c in world.cases if c.region.startswith("320509102")]
    else:
        who, query = world.env.admin, ({"region": "320509"} if caller == "admin-district" else {})
        expected = [c.case_id for c in world.cases]
    flat = [case_id for page in _pages(who, 4, **query) for case_id in page]
    assert len(flat) == len(set(flat))  # no duplicates
    assert set(flat) == set(expected)  # no gaps
    if caller != "admin":  # an admin's unfiltered list is a table scan: complete, but in no particular order
        assert flat == list(reversed(expected))  # newest first (cases were filed in list order)


def test_pagination_with_a_filter_skips_nothing(world):
    who = world.env.staff(role="supervisor", jurisdiction="320509")
    flat = [case_id for page in _pages(who, 2, category="neighbor") for case_id in page]
    assert flat == [c.case_id for c in reversed(world.cases) if c.category == "neighbor"]


def _cursor(key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def test_bad_cursors_are_422_not_500(world):
    pager, admin = partner(world, "pager"), world.env.admin
    pager_cursor = pager.call("GET", "/v1/cases", query={"limit": 1}).json["next_cursor"]
    admin_cursor = admin.call("GET", "/v1/cases", query={"limit": 1}).json["next_cursor"]
    district_cursor = admin.call("GET", "/v1/cases", query={"limit": 1, "region": "320509"}).json["next_cursor"]
    assert pager_cursor and admin_cursor and district_cursor
    bad = {
        "garbage": "!!!not-a-cursor!!!",
        "chinese": "下一页",
        "not-json": base64.urlsafe_b64encode(b"hello").decode(),
        "json-list": _cursor(["case_id"]),
        "empty-object": _cursor({}),
        "wrong-attribute": _cursor({"foo": {"S": "x"}}),
        "number-type": _cursor({"case_id": {"N": "1"}}),
        "empty-value": _cursor({"case_id": {"S": ""}}),
        "deep": base64.urlsafe_b64encode(b"[" * 1500).decode(),  # nested past the JSON parser's limit
        "scan-key-for-index": _cursor({"case_id": {"S": "HW20261122AAAAAAAA"}}),
    }
    for name, cursor in bad.items():
        for caller in (pager, admin):
            result = caller.call("GET", "/v1/cases", query={"cursor": cursor})
            if name == "scan-key-for-index" and caller is admin:
                continue  # that is the shape of an admin cursor
            assert result.status == 422, (name, caller, result)
            assert_problem(result, 422, "cursor")
    # a cursor of one list is refused by another: not 500, and never a way into another partner's cases
    for caller, cursor in ((admin, pager_cursor), (admin, district_cursor), (pager, admin_cursor),
                           (pager, district_cursor), (partner(world, "demo-12345"), pager_cursor)):
        assert_problem(caller.call("GET", "/v1/cases", query={"cursor": cursor}), 422, "cursor")
    tampered = json.loads(base64.urlsafe_b64decode(pager_cursor + "=="))
    tampered["partner_id"] = {"S": "demo-12345"}
    assert_problem(pager.call("GET", "/v1/cases", query={"cursor": _cursor(tampered)}), 422, "cursor")


def test_one_case_events_and_notifications(world):
    a1 = world.of("demo-12345")[0]
    view = partner(world, "demo-12345").call("GET", f"/v1/cases/{a1.case_id}")
    assert view.status == 200 and view.json["external_ref"] == "A-1"
    staff_view = world.env.admin.call("GET", f"/v1/cases/{a1.case_id}").json
    assert staff_view["parties"][0]["name"] == "当事人A-1"
    assert view.json["parties"][0]["name"] == "当*****"

    events = partner(world, "demo-12345").call("GET", f"/v1/cases/{a1.case_id}/events")
    assert events.status == 200
    assert [e["type"] for e in events.json][:2] == ["received", "triaged"]
    assert all(set(e) == {"at", "type", "actor", "detail"} for e in events.json)
    assert all(e["at"].endswith("+08:00") for e in events.json)
    assert [e["at"] for e in events.json] == sorted(e["at"] for e in events.json)

    notifications = world.env.admin.call("GET", f"/v1/cases/{a1.case_id}/notifications")
    assert notifications.status == 200 and notifications.json == []


@pytest.mark.parametrize("suffix", ["", "/events", "/notifications"])
@pytest.mark.parametrize("case_id", ["HW20261122ZZZZZZZZ", "nope", "x" * 100])
def test_an_unknown_case_is_404(world, case_id, suffix):
    for caller in (world.env.admin, partner(world, "demo-12345")):
        assert_problem(caller.call("GET", f"/v1/cases/{case_id}{suffix}"), 404)


# ------------------------------------------------------------------- discovery

CONTRACT_ENUMS = {
    "category": ["marriage_family", "neighbor", "property_management", "land_resources", "labor_wages", "medical",
                 "traffic_accident", "consumer_contract", "housing_construction", "other"],
    "channel": ["hotline_12345", "police_110", "petition", "grid_patrol", "walk_in", "court", "department",
                "online", "partner_api"],
    "risk_indicators": ["threat_of_violence", "domestic_violence", "suicide_risk", "group_dispute",
                        "repeated_petition", "vulnerable_party", "long_standing"],
    "risk_level": ["red", "orange", "yellow", "blue"],
    "tier": ["village", "town", "district"],
    "mediation_type": ["people", "administrative", "judicial", "industry", "social_org"],
    "status": ["received", "dispatched", "accepted", "resolved", "unresolved", "closed", "withdrawn", "merged",
               "transferred"],
    "referral": ["litigation", "arbitration", "administrative_review", "petition", "other"],
    "satisfaction": ["satisfied", "basically_satisfied", "dissatisfied"],
    "judicial_confirmation_status": ["not_requested", "intended", "filed", "accepted", "confirmed", "rejected",
                                     "not_accepted", "lapsed"],  # §14
}
CONTRACT_LABELS = {
    ("category", "marriage_family"): "婚姻家庭", ("category", "neighbor"): "邻里",
    ("category", "property_management"): "物业服务", ("category", "medical"): "医患",
    ("category", "traffic_accident"): "交通事故", ("category", "consumer_contract"): "消费合同",
    ("channel", "petition"): "信访", ("channel", "grid_patrol"): "网格排查", ("channel", "walk_in"): "窗口来访",
    ("channel", "court"): "诉调对接", ("channel", "department"): "部门移送", ("channel", "online"): "线上",
    ("risk_indicators", "domestic_violence"): "家暴", ("risk_indicators", "suicide_risk"): "扬言自杀",
    ("risk_indicators", "group_dispute"): "群体性", ("risk_indicators", "repeated_petition"): "重复访",
    ("risk_indicators", "vulnerable_party"): "老幼病残", ("risk_indicators", "long_standing"): "长期未化解",
    ("tier", "village"): "村社前哨", ("tier", "town"): "镇街主战", ("tier", "district"): "区级终结",
    ("mediation_type", "people"): "人民调解", ("mediation_type", "social_org"): "社会组织调解",
}


def test_meta_lists_every_enum_with_chinese_labels_and_the_stage(world):
    result = world.env.http.call("GET", "/v1/meta")  # no credentials
    assert result.status == 200, result
    meta = result.json
    assert meta["stage"] == "local" and meta["api_version"] == "v1"
    enums = meta["enums"]
    for name, values in CONTRACT_ENUMS.items():
        assert [item["value"] for item in enums[name]] == values, name
        for item in enums[name]:
            assert CJK.search(item["label"]), (name, item)
    labels = {(name, item["value"]): item["label"] for name in enums for item in enums[name]}
    for key, label in CONTRACT_LABELS.items():
        assert labels[key] == label, key


def test_openapi_is_valid_and_lists_every_route(world):
    from app import app
    from chalicelib.api.console import CONSOLE_FILES
    from chalicelib.api.docs import DOCS_FILES
    from chalicelib.api.routes import api

    result = world.env.http.call("GET", "/openapi.json")  # no credentials
    assert result.status == 200, result
    document = result.json
    validate(document)
    assert document["openapi"].startswith("3.")

    documented = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    registered = {(spec.path, spec.method.upper()) for spec in api.all_routes()}
    served = {(path, method.upper()) for path, methods in app.routes.items() for method in methods}
    # the console's pages and scripts, and the documentation's page, are not the API
    assert documented == registered == served - CONSOLE_FILES - DOCS_FILES
    assert ("/v1/cases", "POST") in documented and ("/v1/meta", "GET") in documented

    for spec in api.all_routes():
        operation = document["paths"][spec.path][spec.method.lower()]
        assert operation["operationId"] == spec.name
        assert ("requestBody" in operation) == (spec.body is not None or spec.upload is not None), spec.name
        if spec.roles is None:
            assert operation["security"] == []
        else:
            assert "401" in operation["responses"] and "403" in operation["responses"]
            assert operation["security"], spec.name
        assert all(answer.get("content") for status, answer in operation["responses"].items()
                   if status != "204"), spec.name
    case_schema = document["components"]["schemas"]["NewCase"]
    assert {"external_ref", "title", "description", "region_code", "parties"} <= set(case_schema["required"])


def test_limit_defaults_to_50_and_is_at_most_200(world):
    # 51 cases in a district of their own, filed straight through the use case (HTTP adds nothing here);
    # this test comes last in the module so that they weigh on no other list
    admin = world.env.admin
    for code, name in (("320506", "吴中区"), ("320506001", "长桥街道"), ("320506001001", "新家社区")):
        assert admin.call("POST", "/v1/regions", {"code": code, "name": name}).status == 201
    bulk = world.env.add_partner("bulk")
    intake, owner = wiring.current().intake, Principal(Role.PARTNER, "bulk", partner_id="bulk")
    for n in range(BULK_CASES):
        command = NewCase.model_validate_json(json.dumps(_body(f"BULK-{n}", "320506001001", "other")))
        case_id = intake.file_case(command, owner).case.case_id
        world.cases.append(Filed(f"BULK-{n}", case_id, "bulk", "320506001001", "other", "blue"))

    first = bulk.call("GET", "/v1/cases")
    assert len(first.json["items"]) == 50 and first.json["next_cursor"]
    everything = bulk.call("GET", "/v1/cases", query={"limit": 200})
    assert len(everything.json["items"]) == BULK_CASES and everything.json["next_cursor"] is None
    rest = bulk.call("GET", "/v1/cases", query={"cursor": first.json["next_cursor"]})
    assert len(rest.json["items"]) == BULK_CASES - 50 and rest.json["next_cursor"] is None
    assert {c["case_id"] for c in rest.json["items"]}.isdisjoint(c["case_id"] for c in first.json["items"])
    assert_problem(bulk.call("GET", "/v1/cases", query={"limit": 201}), 422, "limit")
    district = admin.call("GET", "/v1/cases", query={"region": "320506"})
    assert len(district.json["items"]) == 50 and district.json["next_cursor"]
