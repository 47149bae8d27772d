"""DashboardService (一屏观全域): the tiles, the tree, the trend and the lists from the rows and
sparse indexes the case writes keep, in the caller's jurisdiction."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from chalicelib.domain.access import Principal
from chalicelib.domain.enums import CaseStatus, Role
from chalicelib.services.commands import DashboardQuery
from chalicelib.services.errors import Forbidden, NotFound, Unprocessable
from tests.support import DISTRICT, OTHER_TOWN, OTHER_VILLAGE, TOWN, VILLAGE
from tests.unit.services.builders import ADMIN, MONDAY, OTHER_SUPERVISOR, SUPERVISOR, TOWN_SUPERVISOR, parse

OTHER_TOWN_SUPERVISOR = Principal(Role.SUPERVISOR, f"supervisor:{OTHER_TOWN}", jurisdiction=OTHER_TOWN)
LATER = MONDAY + dt.timedelta(hours=26)
"""Tuesday noon: past the 24 h accept deadline of a blue case dispatched on MONDAY."""


def query(**values) -> DashboardQuery:
    return parse(DashboardQuery, values)


@pytest.fixture
def district(centre, clock):
    """On MONDAY: V1 (village, blue) and O1 (other village, district org) left dispatched, both
    overdue after the sweep at LATER; R1 red (town org) accepted; A1 accepted; Z1 resolved; N1
    left received, which the sweep at LATER routes (self-heal): due a day later. The clock is at LATER."""
    cases = {"V1": centre.case_at(CaseStatus.DISPATCHED, "V1"),
             "O1": centre.case_at(CaseStatus.DISPATCHED, "O1", region_code=OTHER_VILLAGE),
             "R1": centre.case_at(CaseStatus.ACCEPTED, "R1", risk_indicators=["threat_of_violence"]),
             "A1": centre.case_at(CaseStatus.ACCEPTED, "A1"),
             "Z1": centre.case_at(CaseStatus.RESOLVED, "Z1"),
             "N1": centre.case_at(CaseStatus.RECEIVED, "N1")}
    clock.set(LATER)
    centre.services.supervision.run(as_of=LATER)
    return {ref: centre.store.get(case.case_id) for ref, case in cases.items()}


def test_a_district_supervisor_sees_its_tiles_tree_trend_and_lists(centre, district):
    board = centre.services.dashboard.dashboard(query(), SUPERVISOR)
    assert board["region"] == {"code": DISTRICT, "name": "吴江区", "level": "district"}
    assert (board["as_of"], board["today"]) == ("2026-11-24T12:00:00+08:00", "2026-11-24")
    overdue = {district["V1"].case_id, district["O1"].case_id}
    assert {c.case_id for c in district.values() if c.overdue} == overdue  # the sweep flagged these two
    assert board["counts"] == {"intake_today": 0, "open": 5, "overdue": 2, "red": 1}  # all but Z1 open
    assert [d["intake"] for d in board["trend"]][-2:] == [6, 0]  # six on Monday, none today
    assert len(board["trend"]) == 14 and board["trend"][-1]["day"] == "2026-11-24"
    tree = {r["code"]: (r["open"], r["overdue"], r["red"]) for r in board["regions"]}
    assert tree == {DISTRICT: (5, 2, 1), TOWN: (4, 1, 1), VILLAGE: (4, 1, 1), "320509102002": (0, 0, 0),
                    OTHER_TOWN: (1, 1, 0), OTHER_VILLAGE: (1, 1, 0)}
    assert [r["code"] for r in board["regions"]] == sorted(tree)
    assert board["overdue"]["total"] == 2
    assert {i["case_id"] for i in board["overdue"]["items"]} == overdue
    item = next(i for i in board["overdue"]["items"] if i["case_id"] == district["V1"].case_id)
    assert item == {"case_id": district["V1"].case_id, "title": district["V1"].title, "region_code": VILLAGE,
                    "region_name": "城南社区", "org_id": "V-CN", "org_name": "城南社区人民调解委员会",
                    "mediator_id": "M-CN-1", "mediator_name": "王调解", "status": "dispatched",
                    "risk_level": "blue", "supervision_level": 1, "deadline": "accept",
                    "due_at": "2026-11-24T10:00:00+08:00", "overdue_hours": 2}
    assert board["red"]["total"] == 1
    [red] = board["red"]["items"]
    assert (red["case_id"], red["org_id"], red["org_name"], red["mediator_name"], red["status"]) == (
        district["R1"].case_id, "T-SL", "松陵街道人民调解委员会", "赵调解", "accepted")
    assert red["received_at"] == "2026-11-23T10:00:00+08:00" and "deadline" not in red


def test_a_town_supervisor_sees_only_its_towns_counts_and_items(centre, district):
    board = centre.services.dashboard.dashboard(query(), TOWN_SUPERVISOR)
    assert board["region"] == {"code": TOWN, "name": "松陵街道", "level": "town"}
    assert board["counts"] == {"intake_today": 0, "open": 4, "overdue": 1, "red": 1}
    assert [r["code"] for r in board["regions"]] == [TOWN, VILLAGE, "320509102002"]
    assert [i["case_id"] for i in board["overdue"]["items"]] == [district["V1"].case_id]
    assert [i["case_id"] for i in board["red"]["items"]] == [district["R1"].case_id]
    other = centre.services.dashboard.dashboard(query(), OTHER_TOWN_SUPERVISOR)
    assert other["counts"] == {"intake_today": 0, "open": 1, "overdue": 1, "red": 0}
    assert [i["case_id"] for i in other["overdue"]["items"]] == [district["O1"].case_id]
    assert other["red"] == {"total": 0, "items": []}


def test_the_overdue_list_is_most_late_first_and_limited(centre, district, clock):
    clock.advance(hours=1)
    later = centre.case_at(CaseStatus.DISPATCHED, "V2")  # due an hour after N1, a day after V1 and O1
    wednesday = clock.advance(hours=25)
    centre.services.supervision.run(as_of=wednesday)
    board = centre.services.dashboard.dashboard(query(limit=2), SUPERVISOR)
    assert board["overdue"]["total"] == 4 and len(board["overdue"]["items"]) == 2  # the total is all of them
    assert {i["case_id"] for i in board["overdue"]["items"]} == {district["V1"].case_id, district["O1"].case_id}
    admin_board = centre.services.dashboard.dashboard(query(region=DISTRICT, limit=4), ADMIN)
    items = admin_board["overdue"]["items"]
    assert [i["case_id"] for i in items[2:]] == [district["N1"].case_id, later.case_id]
    assert [i["overdue_hours"] for i in items] == [28, 28, 2, 1]
    assert admin_board["today"] == "2026-11-25" and admin_board["trend"][-2]["intake"] == 1  # V2, on Tuesday
    as_of = centre.services.dashboard.dashboard(query(), SUPERVISOR, as_of=wednesday + dt.timedelta(days=2))
    assert [i["overdue_hours"] for i in as_of["overdue"]["items"]] == [76, 76, 50, 49]
    assert as_of["today"] == "2026-11-27" and as_of["as_of"] == "2026-11-27T14:00:00+08:00"


def test_a_case_no_org_holds_counts_as_open_under_its_regions(centre):
    centre.case_at(CaseStatus.RECEIVED, "N1")  # not routed yet
    board = centre.services.dashboard.dashboard(query(), SUPERVISOR)
    assert board["counts"] == {"intake_today": 1, "open": 1, "overdue": 0, "red": 0}
    assert {r["code"]: r["open"] for r in board["regions"] if r["open"]} == {DISTRICT: 1, TOWN: 1, VILLAGE: 1}


def test_a_resolved_case_drops_out_of_the_tiles_and_lists(centre, district):
    red = district["R1"].case_id
    centre.act(red, "resolve")
    overdue = district["V1"].case_id
    centre.act(overdue, "withdraw")
    board = centre.services.dashboard.dashboard(query(), SUPERVISOR)
    assert board["counts"] == {"intake_today": 0, "open": 3, "overdue": 1, "red": 0}
    assert [i["case_id"] for i in board["overdue"]["items"]] == [district["O1"].case_id]
    assert board["overdue"]["total"] == 1
    assert board["red"] == {"total": 0, "items": []}


@pytest.mark.parametrize(("values", "principal", "error"), [
    ({}, ADMIN, Unprocessable),  # an admin names the region
    ({"region": DISTRICT}, OTHER_SUPERVISOR, Forbidden),
    ({"region": DISTRICT}, TOWN_SUPERVISOR, Forbidden),  # above the jurisdiction
    ({"region": OTHER_TOWN}, TOWN_SUPERVISOR, Forbidden),
    ({"region": "320509102009"}, SUPERVISOR, NotFound),  # in the jurisdiction, not in the directory
    ({"region": "320510"}, ADMIN, NotFound),
    ({}, Principal(Role.MEDIATOR, "mediator:M-CN-1", org_id="V-CN", mediator_id="M-CN-1"), Unprocessable),
])
def test_a_missing_unknown_or_foreign_region_is_refused(centre, district, values, principal, error):
    with centre.refuses(error) as refused:
        centre.services.dashboard.dashboard(query(**values), principal)
    if error is Unprocessable:
        assert refused.value.errors == [{"field": "region", "message": "give the region of the dashboard"}]


def test_a_supervisor_may_name_a_region_inside_the_jurisdiction(centre, district):
    board = centre.services.dashboard.dashboard(query(region=VILLAGE), SUPERVISOR)
    assert board["region"]["level"] == "village" and [r["code"] for r in board["regions"]] == [VILLAGE]
    assert board["counts"]["open"] == 4


@pytest.mark.parametrize("limit", [0, 101, -1, "x", "1.5"])
def test_the_limit_is_between_1_and_100(limit):
    with pytest.raises(ValidationError) as caught:
        query(limit=limit)
    assert caught.value.errors()[0]["loc"] == ("limit",)


@pytest.mark.parametrize("limit", [1, 100, "20"])
def test_a_limit_in_bounds_is_taken(limit):
    assert query(limit=limit).limit == int(limit)


def test_an_empty_district_has_zeros(centre):
    board = centre.services.dashboard.dashboard(query(), SUPERVISOR)
    assert board["counts"] == {"intake_today": 0, "open": 0, "overdue": 0, "red": 0}
    assert {d["intake"] for d in board["trend"]} == {0}
    assert board["overdue"] == {"total": 0, "items": []} and board["red"] == {"total": 0, "items": []}
    assert len(board["regions"]) == 6
