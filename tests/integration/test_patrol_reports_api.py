"""Patrol reports and zero reports (排查报告、零报告) and sensitive periods (敏感时期) through the API
on moto (§13): who may declare and see sensitive periods, reports on time, late and replaced, the
periods an org does not owe, a zero report refused while the org received a case, the roll call,
and the supervision sweep sending `report_missing` to the org head exactly once."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest

from app import app
from chalicelib import wiring
from chalicelib.adapters.models import PatrolModel
from chalicelib.config import queue_name
from devstack.pump import FakeLambdaContext, scheduled_event
from tests.integration.conftest import staff_token
from tests.support import assert_problem, drain, new_case_body, sms_sent

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
"""The clock's start (tests.support.Clock): the demo orgs are created in 2026-W48."""
W48_DUE = dt.datetime(2026, 11, 30, 17, 0, tzinfo=SHANGHAI)
TOWN_DUE = dt.datetime(2026, 12, 1, 17, 0, tzinfo=SHANGHAI)
"""The town's half-month 2026-11b is due on 1 December at 17:00."""
HEADS = {"V-CN": "+8613900000101", "T-SL": "+8613900000102", "D-WJ": "+8613900000103"}
ZERO = {"zero": True, "note": "本周未排查出矛盾纠纷"}
FOUND = {"zero": False, "findings": [{"text": "两户因宅基地界址发生争执，已登记跟进", "category": "land_resources",
                                      "risk_indicators": ["long_standing"]}], "note": "已登记"}
CHRISTMAS_WEEK = {"region": "320509", "from": "2026-12-24", "to": "2027-01-03", "reason": "元旦"}


def clock(moment: dt.datetime | None) -> None:
    wiring.current().clock.now = moment


@pytest.fixture
def town_supervisor(admin, directory):
    return staff_token(admin, role="supervisor", jurisdiction="320509102")


@pytest.fixture
def outsider(admin, directory):
    """A supervisor of the other town (同里镇)."""
    return staff_token(admin, role="supervisor", jurisdiction="320509103")


def put(caller, org_id: str, period: str, body):
    return caller.call("PUT", f"/v1/orgs/{org_id}/reports/{period}", body)


def roll(caller, period: str, region: str = "320509"):
    return caller.call("GET", "/v1/reports", query={"region": region, "period": period})


def patrol_items() -> int:
    return PatrolModel.count()


def report_sms() -> list[tuple[str, str]]:
    return [(phone, text) for phone, text in sms_sent() if "排查报告" in text]


def sweep(admin, at: dt.datetime) -> None:
    result = admin.call("POST", "/v1/ops/sweeps/supervision", {"as_of": at.isoformat()})
    assert result.status == 200, result
    drain("notify", "send_notifications")


# ---------------------------------------------------------- sensitive periods


def test_a_supervisor_declares_a_sensitive_period_and_lists_it(supervisor, town_supervisor, outsider, mediator):
    created = supervisor.call("POST", "/v1/sensitive-periods", CHRISTMAS_WEEK)
    assert created.status == 201, created
    body = created.json
    assert {k: body[k] for k in ("region", "from", "to", "reason", "days", "created_by")} == {
        "region": "320509", "from": "2026-12-24", "to": "2027-01-03", "reason": "元旦", "days": 11,
        "created_by": "supervisor:320509"}
    assert body["period_id"].startswith("SP") and body["created_at"].endswith("+08:00")
    town = town_supervisor.call("POST", "/v1/sensitive-periods",
                                {"region": "320509102", "from": "2026-12-01", "to": "2026-12-02", "reason": "专项排查"})
    assert town.status == 201, town

    def listed(caller, **query):
        answer = caller.call("GET", "/v1/sensitive-periods", query=query)
        assert answer.status == 200, answer
        return [p["period_id"] for p in answer.json["items"]]

    both = [town.json["period_id"], body["period_id"]]
    assert listed(supervisor) == both
    assert listed(town_supervisor) == both  # the district's covers the town too
    assert listed(supervisor, region="320509103") == [body["period_id"]]
    assert listed(mediator) == both  # those over the mediator's village
    assert listed(outsider) == [body["period_id"]]  # another town: the district's only
    assert outsider.call("GET", "/v1/sensitive-periods", query={"region": "320509"}).status == 403


@pytest.mark.parametrize("body, status, field", [
    ({**CHRISTMAS_WEEK, "region": "320509199"}, 422, "region"),  # no such region
    ({**CHRISTMAS_WEEK, "region": "3205"}, 422, "region"),
    ({**CHRISTMAS_WEEK, "from": "2027-01-04"}, 422, "from"),  # after to
    ({**CHRISTMAS_WEEK, "from": "2026-12-01"}, 422, "to"),  # 34 days: at most 31
    ({**CHRISTMAS_WEEK, "from": "2026-12-32"}, 422, "from"),
    ({**CHRISTMAS_WEEK, "reason": "<script>alert(1)</script>"}, 422, "reason"),
    ({**CHRISTMAS_WEEK, "reason": "   "}, 422, "reason"),
    ({k: v for k, v in CHRISTMAS_WEEK.items() if k != "to"}, 422, "to"),
    ({**CHRISTMAS_WEEK, "from": 20261224}, 422, "from"),
    ({**CHRISTMAS_WEEK, "from": "2150-01-01", "to": "2150-01-03"}, 422, "from"),  # outside the calendar's years
])
def test_a_bad_sensitive_period_is_refused_and_nothing_is_written(supervisor, body, status, field):
    before = patrol_items()
    assert_problem(supervisor.call("POST", "/v1/sensitive-periods", body), status, field)
    assert patrol_items() == before


def test_sensitive_periods_outside_a_jurisdiction_or_by_a_mediator_are_refused(admin, town_supervisor, mediator,
                                                                                partner):
    before = patrol_items()
    assert_problem(town_supervisor.call("POST", "/v1/sensitive-periods", CHRISTMAS_WEEK), 403)  # a wider region
    assert_problem(mediator.call("POST", "/v1/sensitive-periods", CHRISTMAS_WEEK), 403)
    assert_problem(partner.call("POST", "/v1/sensitive-periods", CHRISTMAS_WEEK), 403)
    assert_problem(admin.call("POST", "/v1/sensitive-periods", raw=b'{"region": '), 400)
    assert patrol_items() == before


# -------------------------------------------------------------------- reports


def test_a_zero_report_on_time_then_replaced_late(mediator, supervisor, admin):
    clock(MONDAY)
    answer = put(mediator, "V-CN", "2026-W48", ZERO)
    assert answer.status == 200, answer
    assert answer.json == {
        "org_id": "V-CN", "period": "2026-W48", "kind": "weekly", "first_day": "2026-11-23",
        "last_day": "2026-11-29", "due_at": "2026-11-30T17:00:00+08:00", "zero": True, "findings": [],
        "note": "本周未排查出矛盾纠纷", "submitted_at": "2026-11-23T10:00:00+08:00",
        "submitted_by": "mediator:M-CN-1", "late": False,
        "facts": {"received": 0, "open_red": 0, "overdue_open": 0}}
    assert supervisor.call("GET", "/v1/orgs/V-CN/reports/2026-W48").json == answer.json

    clock(W48_DUE + dt.timedelta(hours=2))
    replaced = put(supervisor, "V-CN", "2026-W48", FOUND)
    assert replaced.status == 200, replaced
    assert (replaced.json["late"], replaced.json["zero"], replaced.json["submitted_by"]) == (
        True, False, "supervisor:320509")
    assert replaced.json["findings"] == FOUND["findings"]
    assert admin.call("GET", "/v1/orgs/V-CN/reports/2026-W48").json == replaced.json
    assert put(admin, "T-SL", "2026-11b", ZERO).json["late"] is False  # the town's is due on 1 December


def test_a_zero_report_is_refused_while_the_org_received_a_case_in_the_period(partner, mediator, admin):
    clock(MONDAY)
    created = partner.call("POST", "/v1/cases", new_case_body("PATROL-1"))
    assert created.status == 201, created
    drain("routing", "route_cases")
    assert admin.call("GET", f"/v1/cases/{created.json['case_id']}").json["org_id"] == "V-CN"
    before = patrol_items()
    assert_problem(put(mediator, "V-CN", "2026-W48", ZERO), 422, "zero")
    assert patrol_items() == before
    answer = put(mediator, "V-CN", "2026-W48", FOUND)
    assert answer.status == 200, answer
    assert answer.json["facts"] == {"received": 1, "open_red": 0, "overdue_open": 0}
    # last week's, from before the org existed, is owed all the same: due today at 17:00, so in time
    last_week = put(admin, "V-CN", "2026-W47", ZERO)
    assert (last_week.status, last_week.json["late"], last_week.json["facts"]["received"]) == (200, False, 0)
    # the town received nothing: its zero report stands
    assert put(admin, "T-SL", "2026-11b", ZERO).json["facts"]["received"] == 0
    # the village declines the case: it was received all the same, and goes to the town
    declined = admin.call("POST", f"/v1/cases/{created.json['case_id']}/decline", {"reason": "不属于本社区"})
    assert declined.status == 200, declined
    drain("routing", "route_cases")
    assert_problem(put(mediator, "V-CN", "2026-W48", ZERO), 422, "zero")
    assert put(admin, "T-SL", "2026-11b", FOUND).json["facts"]["received"] == 1


@pytest.mark.parametrize("org_id, period, body, status, field", [
    ("V-CN", "2026-11b", ZERO, 404, None),  # a village reports weekly
    ("T-SL", "2026-W48", ZERO, 404, None),  # a town half-monthly
    ("D-WJ", "2026-11a", ZERO, 404, None),  # a district monthly
    ("V-CN", "2026-W49", ZERO, 404, None),  # next week has not begun
    ("V-CN", "2026-11-23", ZERO, 404, None),  # a day with no sensitive period
    ("V-CN", "2026-W99", ZERO, 404, None),  # names no period
    ("V-CN", "2026-W48x", ZERO, 404, None),
    ("V-NONE", "2026-W48", ZERO, 404, None),
    ("V-CN", "2026-W48", {**ZERO, "findings": FOUND["findings"]}, 422, "findings"),
    ("V-CN", "2026-W48", {"zero": False, "findings": []}, 422, "findings"),
    ("V-CN", "2026-W48", {"zero": "true"}, 422, "zero"),
    ("V-CN", "2026-W48", {"note": "漏了zero"}, 422, "zero"),
    ("V-CN", "2026-W48", {"zero": False, "findings": [{"text": "x", "category": "gossip"}]}, 422,
     "findings[0].category"),
    ("V-CN", "2026-W48", {"zero": False, "findings": [{"text": "<b>x</b>"}]}, 422, "findings[0].text"),
    ("V-CN", "2026-W48", {"zero": False, "findings": [{"text": "x", "risk_indicators": ["angry"]}]}, 422,
     "findings[0].risk_indicators[0]"),
])
def test_a_report_not_owed_or_malformed_is_refused_and_nothing_is_written(mediator, admin, org_id, period, body,
                                                                          status, field):
    clock(MONDAY)
    before = patrol_items()
    assert_problem(put(admin, org_id, period, body), status, field)
    assert patrol_items() == before


def test_only_the_orgs_staff_may_report_for_it(admin, partner, outsider, town_supervisor):
    clock(MONDAY)
    other_mediator = staff_token(admin, role="mediator", mediator_id="M-SL-1")  # of the town's org
    before = patrol_items()
    for caller in (other_mediator, outsider, partner):
        assert_problem(put(caller, "V-CN", "2026-W48", ZERO), 403)
        assert_problem(caller.call("GET", "/v1/orgs/V-CN/reports/2026-W48"), 403)
    assert patrol_items() == before
    assert put(town_supervisor, "V-CN", "2026-W48", ZERO).status == 200
    assert put(other_mediator, "T-SL", "2026-11b", ZERO).status == 200
    assert admin.call("GET", "/v1/orgs/D-WJ/reports/2026-11").status == 404  # not submitted yet


def test_in_a_sensitive_period_every_org_under_its_region_owes_a_daily_report(admin, supervisor, mediator):
    clock(MONDAY)
    declared = supervisor.call("POST", "/v1/sensitive-periods",
                               {"region": "320509102", "from": "2026-11-23", "to": "2026-11-24", "reason": "专项"})
    assert declared.status == 201, declared
    answer = put(mediator, "V-CN", "2026-11-23", ZERO)
    assert answer.status == 200, answer
    assert (answer.json["kind"], answer.json["due_at"]) == ("daily", "2026-11-23T17:00:00+08:00")
    assert put(admin, "T-SL", "2026-11-23", ZERO).status == 200
    assert_problem(put(admin, "D-WJ", "2026-11-23", ZERO), 404)  # the district's org is not under the town
    assert_problem(put(mediator, "V-CN", "2026-11-24", ZERO), 404)  # tomorrow has not begun


# ------------------------------------------------------------------ roll call


def test_the_roll_call_lists_each_owing_org_in_one_list(admin, supervisor, town_supervisor, mediator, outsider):
    assert admin.call("POST", "/v1/orgs", {"org_id": "V-TL", "name": "同里村人民调解委员会",
                                           "region_code": "320509103001", "tier": "village",
                                           "mediation_type": "people", "head_phone": "13900000104"}).status == 201
    clock(MONDAY)
    put(mediator, "V-CN", "2026-W48", ZERO)
    answer = roll(supervisor, "2026-W48")
    assert answer.status == 200, answer
    assert answer.json == {"period": "2026-W48", "kind": "weekly", "first_day": "2026-11-23",
                           "last_day": "2026-11-29", "due_at": "2026-11-30T17:00:00+08:00", "region": "320509",
                           "submitted": ["V-CN"], "late": [], "missing": [], "pending": ["V-TL"]}
    clock(W48_DUE + dt.timedelta(minutes=1))
    lists = roll(supervisor, "2026-W48").json
    assert (lists["submitted"], lists["late"], lists["missing"], lists["pending"]) == (["V-CN"], [], ["V-TL"], [])
    put(admin, "V-TL", "2026-W48", ZERO)
    assert roll(admin, "2026-W48").json["late"] == ["V-TL"]
    assert roll(town_supervisor, "2026-W48", "320509102").json["submitted"] == ["V-CN"]
    assert roll(supervisor, "2026-11b").json["pending"] == ["T-SL"]
    assert roll(supervisor, "2026-11").json["pending"] == ["D-WJ"]
    assert_problem(roll(outsider, "2026-W48"), 403)
    assert_problem(roll(town_supervisor, "2026-W48"), 403)  # the district is wider than the town
    assert_problem(roll(mediator, "2026-W48", "320509102001"), 403)
    assert_problem(roll(supervisor, "2026-W99"), 422, "period")
    assert_problem(roll(supervisor, "2026-W48", "32050"), 422, "region")
    assert_problem(supervisor.call("GET", "/v1/reports", query={"region": "320509"}), 422, "period")
    assert_problem(roll(supervisor, "2026-W50"), 404)  # not begun: no org owes it yet


# ---------------------------------------------------------------------- sweep


def test_the_sweep_sends_report_missing_to_the_org_head_once(admin, supervisor, mediator):
    clock(MONDAY)
    sweep(admin, MONDAY)  # the service runs: the cadences' schedules start at the current periods
    put(admin, "T-SL", "2026-11b", ZERO)
    sweep(admin, W48_DUE)  # on the due time: not yet
    assert report_sms() == []
    sweep(admin, W48_DUE + dt.timedelta(minutes=5))
    assert report_sms() == [(HEADS["V-CN"], "【和为贵】城南社区人民调解委员会2026年第48周排查报告"
                                           "应于11-30 17:00前报送，请尽快报送（无纠纷的报零报告）。")]
    for minutes in (10, 15, 60 * 24):  # every later sweep: nothing again
        sweep(admin, W48_DUE + dt.timedelta(minutes=minutes))
    sweep(admin, TOWN_DUE + dt.timedelta(minutes=5))  # the town's report is in
    assert [phone for phone, _ in report_sms()] == [HEADS["V-CN"]]

    notes = supervisor.call("GET", "/v1/orgs/V-CN/notifications")
    assert notes.status == 200, notes
    assert [(n["kind"], n["status"], n["to"], n["case_id"], n["org_id"]) for n in notes.json] == [
        ("report_missing", "sent", "139****0101", None, "V-CN")]
    assert "2026年第48周" in notes.json[0]["text"]
    assert admin.call("GET", "/v1/orgs/T-SL/notifications").json == []
    assert_problem(mediator.call("GET", "/v1/orgs/V-CN/notifications"), 403)
    assert_problem(admin.call("GET", "/v1/orgs/V-NONE/notifications"), 404)
    # once the report comes in it is late, and the roll call says so
    clock(W48_DUE + dt.timedelta(days=1))
    assert roll(supervisor, "2026-W48").json["missing"] == ["V-CN"]
    put(mediator, "V-CN", "2026-W48", ZERO)
    assert roll(supervisor, "2026-W48").json["late"] == ["V-CN"]


def test_the_sweep_reminds_of_a_sensitive_periods_missing_daily_reports(admin, supervisor, mediator):
    clock(MONDAY)
    assert supervisor.call("POST", "/v1/sensitive-periods", {"region": "320509102", "from": "2026-11-23",
                                                             "to": "2026-11-24", "reason": "专项"}).status == 201
    put(mediator, "V-CN", "2026-11-23", ZERO)
    sweep(admin, dt.datetime(2026, 11, 23, 17, 5, tzinfo=SHANGHAI))
    assert [phone for phone, _ in report_sms()] == [HEADS["T-SL"]]
    clock(dt.datetime(2026, 11, 24, 17, 5, tzinfo=SHANGHAI))  # the sender's clock too: a day later, not held
    sweep(admin, dt.datetime(2026, 11, 24, 17, 5, tzinfo=SHANGHAI))
    sweep(admin, dt.datetime(2026, 11, 25, 17, 5, tzinfo=SHANGHAI))  # after its last day: nothing more
    sent = report_sms()
    assert sorted(phone for phone, _ in sent) == sorted([HEADS["T-SL"], HEADS["T-SL"], HEADS["V-CN"]])
    assert any("2026年11月24日排查报告" in text for _, text in sent)


def test_the_five_minute_schedule_runs_the_report_sweep_and_its_continuation(admin, directory):
    clock(MONDAY)
    handler = app.handler_map["supervision_sweep"]
    context = FakeLambdaContext("supervision_sweep", timeout_seconds=240)
    assert handler(scheduled_event("supervision-sweep", MONDAY), context)["reports"] == {
        "examined": 0, "actions": 0, "complete": True}
    clock(W48_DUE + dt.timedelta(minutes=5))
    assert handler(scheduled_event("supervision-sweep", W48_DUE), context)["reports"] == {
        "examined": 1, "actions": 1, "complete": True}
    # a continuation names the report sweep: it runs it, as of the moment it names
    late = TOWN_DUE + dt.timedelta(minutes=5)
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("sweeps"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"sweep": "patrol_reports", "as_of": late.isoformat()}))
    assert drain("sweeps", "continue_sweeps") == 1
    drain("notify", "send_notifications")
    assert sorted(phone for phone, _ in report_sms()) == sorted([HEADS["V-CN"], HEADS["T-SL"]])


def test_openapi_lists_the_report_routes(http):
    paths = http.call("GET", "/openapi.json").json["paths"]
    assert {"/v1/sensitive-periods", "/v1/orgs/{org_id}/reports/{period}", "/v1/reports",
            "/v1/orgs/{org_id}/notifications"} <= set(paths)
    assert {"put", "get"} <= set(paths["/v1/orgs/{org_id}/reports/{period}"])
