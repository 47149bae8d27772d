"""The supervisor dashboard (一屏观全域) against moto through HTTP: the tiles, the trend, the region
tree and the overdue and red lists of a known data set; read from aggregates and sparse indexes
in a constant number of DynamoDB calls."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from bench.dynamo_meter import metered
from chalicelib import wiring
from chalicelib.adapters.models import CaseModel
from tests.integration.conftest import staff_token
from tests.integration.test_stats_api import act, clock, file, resolve
from tests.support import DISTRICT, OTHER_TOWN, OTHER_VILLAGE, TOWN, VILLAGE, assert_problem

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
"""Monday 23 Nov 2026, 09:00 in Shanghai: the cases are filed and routed then."""
SWEPT = BASE + dt.timedelta(hours=25)
"""Tuesday 10:00: an hour past the accept deadline of a blue case dispatched at BASE."""
NOW = BASE + dt.timedelta(hours=27, minutes=30)
"""Tuesday 12:30, when the dashboard is asked for."""


def dashboard(caller, **query):
    return caller.call("GET", "/v1/dashboard", query=query)


def data_set(admin) -> dict[str, str]:
    """On Monday: `late` (village org, blue) and `far` (the other town's village, district org)
    dispatched and left, so the sweep at SWEPT flags both overdue; `red` (town org) accepted; `done`
    resolved. On Tuesday: `fresh` filed, received (the routing message not handled yet)."""
    clock(BASE)
    cases = {"late": file(admin, "DB-LATE"), "far": file(admin, "DB-FAR", region_code=OTHER_VILLAGE),
             "red": file(admin, "DB-RED", risk_indicators=["threat_of_violence"]), "done": file(admin, "DB-DONE")}
    act(admin, cases["red"], "accept")
    act(admin, cases["done"], "accept")
    resolve(admin, cases["done"])
    swept = admin.call("POST", "/v1/ops/sweeps/supervision", {"as_of": SWEPT.isoformat()})
    assert swept.status == 200, swept
    clock(NOW)
    created = admin.call("POST", "/v1/cases", {**_body("DB-FRESH")})
    assert created.status == 201, created
    cases["fresh"] = created.json["case_id"]
    return cases


def _body(ref: str) -> dict:
    from tests.support import new_case_body

    return new_case_body(ref, parties=[{"role": "applicant", "name": f"当事人{ref}"}])


def test_the_dashboard_of_a_district(admin, directory, supervisor):
    cases = data_set(admin)
    answer = dashboard(supervisor)
    assert answer.status == 200, answer
    board = answer.json
    assert set(board) == {"region", "as_of", "today", "counts", "trend", "regions", "overdue", "red"}
    assert board["region"] == {"code": DISTRICT, "name": "吴江区", "level": "district"}
    assert (board["as_of"], board["today"]) == ("2026-11-24T12:30:00+08:00", "2026-11-24")
    assert board["counts"] == {"intake_today": 1, "open": 4, "overdue": 2, "red": 1}
    assert len(board["trend"]) == 14 and board["trend"][0]["day"] == "2026-11-11"
    assert board["trend"][-2:] == [{"day": "2026-11-23", "intake": 4}, {"day": "2026-11-24", "intake": 1}]
    assert sum(day["intake"] for day in board["trend"]) == 5

    tree = {r["code"]: r for r in board["regions"]}
    assert [r["code"] for r in board["regions"]] == sorted(tree)
    assert tree[DISTRICT] == {"code": DISTRICT, "name": "吴江区", "parent": None, "level": "district",
                              "open": 4, "overdue": 2, "red": 1}
    assert tree[TOWN] == {"code": TOWN, "name": "松陵街道", "parent": DISTRICT, "level": "town",
                          "open": 3, "overdue": 1, "red": 1}
    assert (tree[VILLAGE]["open"], tree[VILLAGE]["level"], tree[VILLAGE]["parent"]) == (3, "village", TOWN)
    assert (tree["320509102002"]["open"], tree["320509102002"]["overdue"]) == (0, 0)  # nothing there
    assert (tree[OTHER_TOWN]["overdue"], tree[OTHER_VILLAGE]["open"], tree[OTHER_VILLAGE]["red"]) == (1, 1, 0)

    overdue = board["overdue"]
    assert overdue["total"] == 2 and {i["case_id"] for i in overdue["items"]} == {cases["late"], cases["far"]}
    late = next(i for i in overdue["items"] if i["case_id"] == cases["late"])
    assert late == {"case_id": cases["late"], "title": "楼上漏水引发邻里纠纷", "region_code": VILLAGE,
                    "region_name": "城南社区", "org_id": "V-CN", "org_name": "城南社区人民调解委员会",
                    "mediator_id": "M-CN-1", "mediator_name": "王调解", "status": "dispatched", "risk_level": "blue",
                    "supervision_level": 1, "deadline": "accept", "due_at": "2026-11-24T09:00:00+08:00",
                    "overdue_hours": 3}
    far = next(i for i in overdue["items"] if i["case_id"] == cases["far"])
    assert (far["org_id"], far["mediator_name"], far["region_name"]) == ("D-WJ", "钱调解", "同里村")
    [red] = board["red"]["items"]
    assert board["red"]["total"] == 1
    assert red == {"case_id": cases["red"], "title": "楼上漏水引发邻里纠纷", "region_code": VILLAGE,
                   "region_name": "城南社区", "org_id": "T-SL", "org_name": "松陵街道人民调解委员会",
                   "mediator_id": "M-SL-1", "mediator_name": "赵调解", "status": "accepted", "risk_level": "red",
                   "supervision_level": 0, "received_at": "2026-11-23T09:00:00+08:00"}
    assert "当事人DB" not in str(board) and "13812345678" not in str(board)  # no party in it

    # as of a later moment (local stage): today, the trend and the hours late move
    later = dashboard(supervisor, as_of="2026-11-25T12:30:00+08:00").json
    assert later["today"] == "2026-11-25" and later["counts"]["intake_today"] == 0
    assert {i["overdue_hours"] for i in later["overdue"]["items"]} == {27}


def test_a_town_supervisor_sees_its_town_and_a_concluded_case_drops_out(admin, directory, supervisor):
    cases = data_set(admin)
    town = staff_token(admin, role="supervisor", jurisdiction=TOWN)
    board = dashboard(town).json
    assert board["region"]["code"] == TOWN
    assert board["counts"] == {"intake_today": 1, "open": 3, "overdue": 1, "red": 1}
    assert [r["code"] for r in board["regions"]] == [TOWN, VILLAGE, "320509102002"]
    assert [i["case_id"] for i in board["overdue"]["items"]] == [cases["late"]]
    assert [i["case_id"] for i in board["red"]["items"]] == [cases["red"]]

    clock(NOW)
    resolve(admin, cases["red"])
    act(admin, cases["late"], "accept")  # the accept deadline is no longer the one in force
    board = dashboard(supervisor).json
    assert board["counts"] == {"intake_today": 1, "open": 3, "overdue": 1, "red": 0}
    assert [i["case_id"] for i in board["overdue"]["items"]] == [cases["far"]]
    assert board["red"] == {"total": 0, "items": []}
    assert CaseModel.get(cases["late"]).overdue_district is None  # off the sparse index
    assert CaseModel.get(cases["far"]).overdue_district == DISTRICT


def test_refusals(admin, directory, supervisor, partner):
    town = staff_token(admin, role="supervisor", jurisdiction=TOWN)
    assert_problem(dashboard(admin), 422, "region")  # an admin names the region
    assert dashboard(admin, region=DISTRICT).status == 200
    assert_problem(dashboard(town, region=DISTRICT), 403)
    assert_problem(dashboard(town, region=OTHER_TOWN), 403)
    assert_problem(dashboard(supervisor, region="320509102099"), 404)
    assert_problem(dashboard(admin, region="320510"), 404)
    for query, field in (({"region": "3205"}, "region"), ({"region": "32050910a"}, "region"),
                         ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"limit": "x"}, "limit"),
                         ({"as_of": "yesterday"}, "as_of"), ({"as_of": "2026-11-24T12:00:00"}, "as_of")):
        assert_problem(dashboard(supervisor, **query), 422, field)
    assert_problem(dashboard(supervisor, limit="1", colour="blue"), 422, "colour")  # an undeclared parameter
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    assert_problem(dashboard(mediator), 403)
    assert dashboard(partner).status == 403
    assert admin.http.call("GET", "/v1/dashboard?region=320509").status == 401


def test_as_of_is_refused_outside_the_local_stage(admin, directory, supervisor, monkeypatch):
    settings = wiring.current().settings
    monkeypatch.setattr(type(settings), "is_local", property(lambda self: False))
    assert_problem(dashboard(supervisor, as_of="2026-11-24T12:00:00+08:00"), 422, "as_of")
    assert dashboard(supervisor).status == 200


def test_the_dashboard_is_in_the_openapi_document(admin):
    document = admin.call("GET", "/openapi.json").json
    operation = document["paths"]["/v1/dashboard"]["get"]
    assert {"403", "404", "422"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} >= {"region", "limit", "as_of"}


def test_one_request_makes_the_same_few_dynamodb_calls_however_many_cases(admin, directory, supervisor):
    def calls() -> Counter:
        with metered() as meter:
            assert dashboard(supervisor).status == 200
        return Counter(meter.calls_by_target)

    data_set(admin)
    cold = calls()  # the first request of the process lists the regions
    small = calls()
    assert cold - small == Counter({"Scan regions": 1})
    clock(NOW)
    for n in range(12):
        file(admin, f"DB-MORE-{n}", region_code=OTHER_VILLAGE if n % 2 else VILLAGE)
    swept = admin.call("POST", "/v1/ops/sweeps/supervision", {"as_of": (NOW + dt.timedelta(days=2)).isoformat()})
    assert swept.status == 200
    assert dashboard(supervisor).json["counts"]["overdue"] > 2
    large = calls()
    assert small == large, (small, large)
    assert not any(target.startswith("Scan") for target in large)  # the regions are a cached list by then
    assert large == Counter({"Query daily-stats": 2, "Query cases/by_overdue": 1, "Query cases/by_open_red": 1,
                             "BatchGetItem cases": 1, "BatchGetItem orgs": 1, "BatchGetItem mediators": 1}), large
