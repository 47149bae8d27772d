"""Statistics (§8) and the 红黑榜 ranking against moto: exact figures on a known data set, kept by counters."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from chalicelib import wiring
from chalicelib.adapters.case_mapping import case_from_model
from chalicelib.adapters.models import CaseModel, DailyStatsModel, RankStatsModel
from chalicelib.domain.stats import COUNTERS, stats_rows
from tests.integration.conftest import staff_token
from tests.support import OTHER_VILLAGE, drain, new_case_body
from tests.unit.services.builders import ACTION_BODIES

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
"""Monday 23 Nov 2026, 09:00 in Shanghai."""
HOUR = dt.timedelta(hours=1)
RATES = ("success_rate", "closure_rate", "on_time_rate", "avg_hours_to_resolve", "resolved_below_district_share",
         "satisfaction_rate")
GOOD = {"agreement_performed": "yes", "satisfaction": {"attitude": "satisfied", "process": "satisfied",
                                                       "effect": "satisfied"}}
UNHAPPY = {"agreement_performed": "yes", "satisfaction": {"attitude": "dissatisfied", "process": "satisfied",
                                                          "effect": "satisfied"}}


def clock(moment: dt.datetime) -> None:
    wiring.current().clock.now = moment


def file(admin, ref: str, *, phone: str | None = None, **overrides) -> str:
    """A case filed at a window (admin) by one party (with `phone` if given), received at the
    container clock, then routed."""
    party = {"role": "applicant", "name": f"当事人{ref}", **({"phone": phone} if phone else {})}
    created = admin.call("POST", "/v1/cases", new_case_body(ref, parties=[party], **overrides))
    assert created.status == 201, created
    drain("routing", "route_cases")
    return created.json["case_id"]


def act(admin, case_id: str, action: str, body: dict | None = None) -> dict:
    result = admin.call("POST", f"/v1/cases/{case_id}/{action}", body or {})
    assert result.status == 200, (action, result)
    return result.json


def resolve(admin, case_id: str, due: str = "2026-12-31") -> dict:
    return act(admin, case_id, "resolve", {"agreement": {"summary": "达成协议", "performance_due": due}})


def assist(admin, case_id: str, *org_ids: str) -> None:
    """联合调解: the orgs join the case as assisting orgs, through the actions API."""
    for org_id in org_ids:
        act(admin, case_id, "add_participant", {**ACTION_BODIES["add_participant"], "org_id": org_id})


def sponsor(caller, case_id: str) -> dict:
    """领导包案 of a red or orange case: 李明, 吴江区副区长, to settle it by 2026-12-20."""
    return act(caller, case_id, "sponsor", ACTION_BODIES["sponsor"])


def stats(caller, region: str, first: str, last: str, path: str = "/v1/stats"):
    return caller.call("GET", path, query={"region": region, "from": first, "to": last})


def counters_from_cases() -> dict[tuple[str, str], dict[str, int]]:
    """What every aggregate row should hold, recomputed from the cases themselves (test only: a Scan)."""
    expected: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for model in CaseModel.scan():
        case = case_from_model(model)
        for row, counts in stats_rows(case).items():
            for name, value in counts.items():
                expected[(case.region_code[:6], row)][name] += value
    return {key: {k: v for k, v in counts.items() if v} for key, counts in expected.items()}


def counters_stored() -> dict[tuple[str, str], dict[str, int]]:
    stored = {}
    for model in (DailyStatsModel, RankStatsModel):
        for row in model.scan():
            counts = {name: int(value) for name in COUNTERS if (value := getattr(row, name, None))}
            if counts:
                stored[(row.district_code, row.bucket)] = counts
    return stored


def test_figures_of_a_known_data_set(admin, directory):
    clock(BASE)
    a = file(admin, "ST-A")  # neighbour, village: resolved in 2 h, visited (satisfied), closed
    b = file(admin, "ST-B", category="labor_wages", channel="walk_in")  # village: fails (诉求分流)
    c = file(admin, "ST-C", channel="walk_in")  # village: withdrawn while dispatched
    d = file(admin, "ST-D", risk_indicators=["threat_of_violence"])  # red, town: resolved late, dissatisfied
    e = file(admin, "ST-E", region_code=OTHER_VILLAGE)  # no village or town org there: district; left overdue
    clock(BASE + HOUR)
    for case_id in (a, b, d):
        act(admin, case_id, "accept")
    clock(BASE + 2 * HOUR)
    resolve(admin, a)
    clock(BASE + 3 * HOUR)
    act(admin, b, "fail", {"referral": "litigation", "reason": "对方拒绝调解"})
    clock(BASE + 4 * HOUR)
    act(admin, c, "withdraw", {"reason": "当事人撤回"})
    wiring.current().supervision.run(as_of=BASE + 25 * HOUR)  # e's accept deadline has passed: overdue
    clock(BASE + 25 * HOUR)  # Tuesday: one more case, for the date range
    f = file(admin, "ST-F")
    act(admin, f, "accept")
    clock(BASE + 28 * HOUR)
    resolve(admin, f)
    late = dt.datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)  # past d's resolve deadline (Thu 26th, 23:59:59)
    clock(late)
    resolve(admin, d)
    act(admin, a, "visit", GOOD)
    act(admin, a, "close")
    act(admin, d, "visit", UNHAPPY)

    monday = stats(admin, "320509", "2026-11-23", "2026-11-23")
    assert monday.status == 200, monday
    figures = monday.json
    assert (figures["region"], figures["from"], figures["to"]) == ("320509", "2026-11-23", "2026-11-23")
    assert figures["total"] == 5
    assert figures["by_status"] == {"received": 0, "dispatched": 1, "accepted": 0, "resolved": 1, "unresolved": 1,
                                    "closed": 1, "withdrawn": 1, "merged": 0, "transferred": 0}
    assert figures["by_tier"] == {"village": 3, "town": 1, "district": 1}
    assert figures["by_risk_level"] == {"red": 1, "orange": 0, "yellow": 0, "blue": 4}
    assert figures["by_channel"]["hotline_12345"] == 3 and figures["by_channel"]["walk_in"] == 2
    assert figures["by_category"]["neighbor"] == 4 and figures["by_category"]["labor_wages"] == 1
    assert figures["success_rate"] == round(2 / 3, 4)  # a (closed since) and d resolved, b unresolved
    assert figures["closure_rate"] == 0.2
    assert figures["on_time_rate"] == round(2 / 3, 4)  # d was late
    assert figures["avg_hours_to_resolve"] == (2 + 97) / 2  # a: 2 h; d: 4 days and 1 h
    assert figures["resolved_below_district_share"] == 1.0
    assert figures["satisfaction_rate"] == 0.5
    assert figures["overdue_open"] == 1

    both_days = stats(admin, "320509", "2026-11-23", "2026-11-24").json
    assert both_days["total"] == 6 and both_days["success_rate"] == 0.75 and both_days["on_time_rate"] == 0.75
    assert both_days["avg_hours_to_resolve"] == 34.0  # (2 + 97 + 3) / 3 hours
    assert both_days["satisfaction_rate"] == 0.5  # f's visit is not done yet
    town = stats(admin, "320509102", "2026-11-23", "2026-11-23").json
    assert (town["total"], town["overdue_open"], town["by_tier"]["district"]) == (4, 0, 0)
    other = stats(admin, OTHER_VILLAGE, "2026-11-01", "2026-11-30").json
    assert (other["total"], other["overdue_open"], other["success_rate"]) == (1, 1, None)
    tuesday = stats(admin, "320509102001", "2026-11-24", "2026-11-24").json
    assert (tuesday["total"], tuesday["success_rate"], tuesday["avg_hours_to_resolve"]) == (1, 1.0, 3.0)

    # the counters are exactly what the cases contribute now
    assert counters_stored() == counters_from_cases()


def test_no_cases_gives_zeros_and_null_rates(admin, directory):
    empty = stats(admin, "320509", "2025-01-01", "2025-12-31")
    assert empty.status == 200
    assert empty.json["total"] == 0 and empty.json["overdue_open"] == 0
    assert all(empty.json[rate] is None for rate in RATES)
    assert set(empty.json["by_status"].values()) == {0}


def test_cases_without_visits_or_conclusions_have_null_rates(admin, directory):
    clock(BASE)
    case_id = file(admin, "ST-OPEN")
    act(admin, case_id, "accept")
    result = stats(admin, "320509", "2026-11-23", "2026-11-23").json
    assert result["total"] == 1 and result["by_status"]["accepted"] == 1 and result["closure_rate"] == 0.0
    assert all(result[rate] is None for rate in RATES if rate != "closure_rate")


def test_jurisdiction_and_roles(admin, directory, partner):
    town = staff_token(admin, role="supervisor", jurisdiction="320509102")
    assert stats(town, "320509102", "2026-11-01", "2026-11-30").status == 200
    assert stats(town, "320509102001", "2026-11-01", "2026-11-30").status == 200
    for region in ("320509", "320509103", "320509103001"):
        refused = stats(town, region, "2026-11-01", "2026-11-30")
        assert refused.status == 403, region
        assert stats(town, region, "2026-11-01", "2026-11-30", "/v1/stats/ranking").status == 403
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    assert stats(mediator, "320509102001", "2026-11-01", "2026-11-30").status == 403
    assert partner.call("GET", "/v1/stats", query={"region": "320509", "from": "2026-11-01",
                                                   "to": "2026-11-30"}).status == 403
    assert admin.http.call("GET", "/v1/stats?region=320509&from=2026-11-01&to=2026-11-30").status == 401


def test_bad_query_is_422(admin, directory):
    for query, field in (({"region": "3205", "from": "2026-11-01", "to": "2026-11-30"}, "region"),
                         ({"region": "3205091", "from": "2026-11-01", "to": "2026-11-30"}, "region"),
                         ({"region": "32050910200a", "from": "2026-11-01", "to": "2026-11-30"}, "region"),
                         ({"region": "320509", "from": "2026-02-30", "to": "2026-11-30"}, "from"),
                         ({"region": "320509", "from": "yesterday", "to": "2026-11-30"}, "from"),
                         ({"region": "320509", "from": "2026-11-01"}, "to"),
                         ({"region": "320509", "from": "2026-12-01", "to": "2026-11-30"}, "from")):
        for path in ("/v1/stats", "/v1/stats/ranking"):
            refused = admin.call("GET", path, query=query)
            assert refused.status == 422, (query, refused)
            assert refused.json["errors"][0]["field"] == field, (query, refused.json)


def test_ranking_needs_a_minimum_volume(admin, directory):
    clock(BASE)
    village = [file(admin, f"RK-V{i}") for i in range(5)]  # V-CN / M-CN-1: five concluded, one of them failed
    fast = file(admin, "RK-RED", risk_indicators=["threat_of_violence"])  # T-SL / M-SL-1: one perfect case
    clock(BASE + HOUR)
    for case_id in village + [fast]:
        act(admin, case_id, "accept")
    assist(admin, village[0], "D-WJ")  # 联合调解: D-WJ assists V-CN's case and T-SL's, V-CN assists T-SL's
    assist(admin, fast, "D-WJ", "V-CN")
    clock(BASE + 2 * HOUR)
    for case_id in village[:4] + [fast]:
        resolve(admin, case_id)
    act(admin, village[4], "fail", {"referral": "petition", "reason": "诉求超出调解范围"})
    act(admin, village[0], "visit", UNHAPPY)
    act(admin, village[1], "visit", GOOD)
    act(admin, fast, "visit", GOOD)

    ranking = stats(admin, "320509", "2026-11-23", "2026-11-23", "/v1/stats/ranking")
    assert ranking.status == 200, ranking
    body = ranking.json
    assert (body["min_concluded"], body["prior_weight"]) == (5, 5)
    orgs = body["orgs"]
    assert [o["org_id"] for o in orgs["ranked"]] == ["V-CN"]  # the fast perfect case does not top the table
    assert [(o["org_id"], o["name"], o["concluded"], o["assisted"]) for o in orgs["below_minimum"]] == [
        ("T-SL", "松陵街道人民调解委员会", 1, 0), ("D-WJ", "吴江区矛盾纠纷调处化解中心", 0, 2)]
    top = orgs["ranked"][0]
    assert (top["rank"], top["name"], top["concluded"], top["resolved"], top["unresolved"], top["assisted"]) == (
        1, "城南社区人民调解委员会", 5, 4, 1, 1)
    assert (top["on_time_rate"], top["success_rate"], top["satisfaction_rate"]) == (1.0, 0.8, 0.5)
    baseline = orgs["baseline"]
    assert baseline == {"on_time_rate": 1.0, "success_rate": round(5 / 6, 4), "satisfaction_rate": round(2 / 3, 4)}
    expected = ((5 + 5 * 1.0) / 10 + (4 + 5 * 5 / 6) / 10 + (1 + 5 * 2 / 3) / 7) / 3
    assert top["score"] == round(expected, 4)
    mediators = body["mediators"]
    assert [m["mediator_id"] for m in mediators["ranked"]] == ["M-CN-1"]
    assert [m["mediator_id"] for m in mediators["below_minimum"]] == ["M-SL-1"]
    assert mediators["ranked"][0]["name"] == "王调解" and "assisted" not in mediators["ranked"][0]
    assert counters_stored() == counters_from_cases()  # assisted counted exactly, per day and per month

    # a whole month is read from the monthly rows, its edges from the daily rows: the same figures
    for first, last in (("2026-11-01", "2026-11-30"), ("2026-10-20", "2026-12-05"), ("2026-11-23", "2026-12-31")):
        wider = stats(admin, "320509", first, last, "/v1/stats/ranking").json
        assert (wider["orgs"], wider["mediators"]) == (orgs, mediators), (first, last)
    assert stats(admin, "320509", "2026-11-24", "2026-12-31", "/v1/stats/ranking").json["orgs"]["ranked"] == []

    town = stats(admin, OTHER_VILLAGE, "2026-11-23", "2026-11-23", "/v1/stats/ranking").json
    assert town["orgs"] == {"baseline": {"on_time_rate": None, "success_rate": None, "satisfaction_rate": None},
                            "ranked": [], "below_minimum": []}


def test_a_write_that_loses_only_to_a_transaction_conflict_is_retried(admin, directory, monkeypatch):
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    clock(BASE)
    case_id = file(admin, "ST-CONFLICT")
    connection = wiring.current().case_store.connection
    original = connection.transact_write_items
    calls = {"n": 0}

    def conflict_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:  # another transaction held the district-day row: DynamoDB cancels this one
            reasons = [None, None, CancellationReason(code="TransactionConflict", message="conflict")]
            cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                                       "TransactWriteItems", cancellation_reasons=reasons)
            raise TransactWriteError("Failed to write transaction items", cause=cause)
        return original(*args, **kwargs)

    monkeypatch.setattr(connection, "transact_write_items", conflict_once)
    accepted = admin.call("POST", f"/v1/cases/{case_id}/accept", {})
    assert accepted.status == 200 and calls["n"] == 2
    assert [e["type"] for e in admin.call("GET", f"/v1/cases/{case_id}/events").json].count("accepted") == 1
    assert counters_stored() == counters_from_cases()
    assert stats(admin, "320509", "2026-11-23", "2026-11-23").json["by_status"]["accepted"] == 1
