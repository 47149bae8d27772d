"""The party's case code routes (一案一码, §14) against moto through the HTTP API, with no
credentials: `GET /v1/public/cases/{code}?phone_last4=` and `POST /v1/public/cases/{code}/feedback`.
What the answer holds (and what it never does), the same 404 for a wrong code and wrong digits
after the same DynamoDB calls, the daily guard across service instances, the evaluation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import Counter

import pytest

from bench.dynamo_meter import metered
from chalicelib import wiring
from chalicelib.adapters.case_mapping import TRY_PREFIX, try_key
from chalicelib.adapters.models import KeyModel
from chalicelib.domain.public_code import check_character
from chalicelib.services.errors import NotFound, TooManyRequests
from tests.integration.module_env import demo_env
from tests.support import assert_problem, drain, new_case_body, valid_id_number

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
NAME, OTHER_NAME = "欧阳娜娜", "司马相如"
PHONE, OTHER_PHONE = "13987654321", "13600001111"
DIGITS = PHONE[-4:]
ID_NUMBER = valid_id_number("44030819851010001")
TITLE, DESCRIPTION, ADDRESS = "加装电梯引发邻里纠纷", "一楼住户反对加装电梯，双方多次争执。", "城南社区12幢"
GOOD = {"attitude": "satisfied", "process": "satisfied", "effect": "basically_satisfied"}
BAD = {"attitude": "satisfied", "process": "dissatisfied", "effect": "satisfied"}
LOOKUP_KEYS = {"status", "status_label", "stages", "org_name", "resolve_due_on", "extended", "suspended",
               "next_visit_due_on"}


@pytest.fixture(scope="module")
def env():
    with demo_env("demo-12345") as env:
        yield env


@pytest.fixture(autouse=True)
def monday(env):
    """Each test starts on MONDAY's clock, stopped there, and leaves it running again."""
    wiring.current().clock.now = MONDAY
    yield
    wiring.current().clock.now = None


def at(moment: dt.datetime) -> None:
    wiring.current().clock.now = moment


def walk_in(env, ref: str) -> dict:
    """A case filed at the window (窗口来访) by staff, routed: its applicant was given its code by SMS."""
    created = env.admin.call("POST", "/v1/cases", new_case_body(
        ref, channel="walk_in", title=TITLE, description=DESCRIPTION, address=ADDRESS, parties=[
            {"role": "applicant", "name": NAME, "phone": PHONE, "id_number": ID_NUMBER},
            {"role": "respondent", "name": OTHER_NAME, "phone": OTHER_PHONE}]))
    assert created.status == 201, created
    drain("routing", "route_cases")
    return created.json


def act(env, case_id: str, action: str, body: dict | None = None) -> dict:
    done = env.admin.call("POST", f"/v1/cases/{case_id}/{action}", body or {})
    assert done.status == 200, (action, done)
    return done.json


def lookup(env, code: str, digits: str | None = DIGITS):
    return env.http.call("GET", f"/v1/public/cases/{code}", query={"phone_last4": digits} if digits else None)


def feedback(env, code: str, digits: str = DIGITS, satisfaction: dict | None = None, **more):
    return env.http.call("POST", f"/v1/public/cases/{code}/feedback",
                         {"phone_last4": digits, "satisfaction": satisfaction or GOOD, **more})


def unknown(code: str) -> str:
    body = "".join(reversed(code[:8]))
    body = body if body != code[:8] else "23456789"
    return f"{body}-{check_character(body)}"


def try_rows() -> dict[tuple[str, str], int]:
    return {(row.pk, row.sk): int(row.tries) for row in KeyModel.scan(KeyModel.pk.startswith(TRY_PREFIX))}


# ------------------------------------------------------------------ lookup


def test_a_party_reads_the_progress_and_nothing_personal(env):
    case = walk_in(env, "PUB-1")
    code = case["public_code"]
    sms = [n for n in env.admin.call("GET", f"/v1/cases/{case['case_id']}/notifications").json
           if n["kind"] == "case_code"]
    assert len(sms) == 1 and code in sms[0]["text"]  # how the party came to hold it
    at(MONDAY + dt.timedelta(hours=2, minutes=15))
    seen = lookup(env, code)
    assert seen.status == 200, seen
    assert seen.headers["content-type"] == "application/json" and seen.headers["cache-control"] == "no-store"
    assert set(seen.json) == LOOKUP_KEYS
    assert seen.json == {
        "status": "dispatched", "status_label": "已派单",
        "stages": [{"stage": "received", "at": "2026-11-23T10:00:00+08:00", "hours": 0.0},
                   {"stage": "dispatched", "at": "2026-11-23T10:00:00+08:00", "hours": 2.3}],
        "org_name": "城南社区人民调解委员会", "resolve_due_on": case_resolve_due_on(env, case["case_id"]),
        "extended": False, "suspended": False, "next_visit_due_on": None}
    text = seen.raw.decode()
    for secret in (NAME, OTHER_NAME, PHONE, OTHER_PHONE, ID_NUMBER, TITLE, DESCRIPTION, ADDRESS, case["case_id"]):
        assert secret not in text and json.dumps(secret)[1:-1] not in text, secret
    assert lookup(env, code, OTHER_PHONE[-4:]).status == 200  # any party's phone
    assert lookup(env, f" {code.lower()}").status == 200  # as a party may type it


def case_resolve_due_on(env, case_id: str) -> str:
    due = env.admin.call("GET", f"/v1/cases/{case_id}").json["resolve_due_at"]
    return dt.datetime.fromisoformat(due).astimezone(SHANGHAI).date().isoformat()


def test_the_stages_follow_the_case_to_its_end(env):
    case = walk_in(env, "PUB-2")
    case_id, code = case["case_id"], case["public_code"]
    at(MONDAY + dt.timedelta(hours=1))
    act(env, case_id, "accept")
    at(MONDAY + dt.timedelta(hours=25))
    act(env, case_id, "resolve", {"agreement": {"summary": "同意加装，补偿一楼住户", "performance_due": "2026-12-01"}})
    resolved = lookup(env, code).json
    assert (resolved["status"], resolved["status_label"], resolved["next_visit_due_on"]) == (
        "resolved", "调解成功", "2026-12-31")
    at(dt.datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI))
    act(env, case_id, "visit", {"agreement_performed": "yes", "satisfaction": GOOD})
    at(dt.datetime(2026, 12, 31, 16, 0, tzinfo=SHANGHAI))
    act(env, case_id, "close")
    at(dt.datetime(2027, 1, 5, 9, 0, tzinfo=SHANGHAI))
    closed = lookup(env, code).json
    assert [(s["stage"], s["at"], s["hours"]) for s in closed["stages"]] == [
        ("received", "2026-11-23T10:00:00+08:00", 0.0),
        ("dispatched", "2026-11-23T10:00:00+08:00", 1.0),
        ("accepted", "2026-11-23T11:00:00+08:00", 24.0),
        ("concluded", "2026-11-24T11:00:00+08:00", 887.0),
        ("visited", "2026-12-31T10:00:00+08:00", 6.0),
        ("closed", "2026-12-31T16:00:00+08:00", None)]
    assert (closed["status"], closed["status_label"], closed["next_visit_due_on"]) == ("closed", "已结案", None)


def test_a_wrong_code_and_wrong_digits_get_the_same_404_after_the_same_dynamodb_calls(env):
    code = walk_in(env, "PUB-3")["public_code"]
    answers, calls = {}, {}
    wrongs = {"unknown code": (unknown(code), DIGITS), "bad check character": (code[:-1] + (
        "2" if code[-1] != "2" else "3"), DIGITS), "malformed": ("HELLO-1", DIGITS), "wrong digits": (code, "0000")}
    for name, (tried, digits) in wrongs.items():
        with metered() as meter:
            answers[name] = lookup(env, tried, digits)
        calls[name] = Counter(meter.calls_by_target)
        body = assert_problem(answers[name], 404)
        answers[name] = (answers[name].headers["content-type"], body["type"], body["title"], body["detail"])
    assert len(set(answers.values())) == 1, answers
    assert all(counted == calls["wrong digits"] for counted in calls.values()), calls
    # the day's tries, the try counted, the code's claim (judged on it alone: no case read)
    assert calls["wrong digits"] == Counter({"GetItem keys": 2, "UpdateItem keys": 1})
    with metered() as meter:
        assert lookup(env, code).status == 200
    assert Counter(meter.calls_by_target) == Counter({"GetItem keys": 2, "UpdateItem keys": 2, "GetItem cases": 1,
                                                      "GetItem orgs": 1})


@pytest.mark.parametrize("digits", [None, "567", "56789", "56a8", "５６７８", " 5678", "5678\n"])
def test_digits_that_are_not_four_are_422_and_count_no_try(env, digits):
    code = walk_in(env, f"PUB-422-{(digits or '').encode().hex()}")["public_code"]
    assert_problem(lookup(env, code, digits) if digits is not None else env.http.call(
        "GET", f"/v1/public/cases/{code}"), 422, "phone_last4")
    assert not [key for key in try_rows() if key[0] == try_key(code)]


def test_a_string_too_long_to_be_a_code_is_404_and_leaves_no_key(env):
    before = try_rows()
    body = assert_problem(lookup(env, "7KQ4M2XP-R" + "X" * 7), 404)
    assert body["detail"] == assert_problem(lookup(env, unknown("7KQ4M2XP-R")), 404)["detail"]
    assert set(try_rows()) - set(before) == {(try_key(unknown("7KQ4M2XP-R")), "2026-11-23")}


def test_the_sixth_wrong_try_is_429_on_every_instance_until_the_shanghai_day_ends(env):
    """Two separately built containers stand for two Lambda instances on the same tables."""
    code = walk_in(env, "PUB-4")["public_code"]
    here, there = wiring.current(), wiring.Container(clock=wiring.current().clock)
    assert there.try_counter is not here.try_counter and there.case_store is not here.case_store
    at(dt.datetime(2026, 11, 23, 22, 0, tzinfo=SHANGHAI))
    for attempt in range(5):
        if attempt % 2:
            with pytest.raises(NotFound):
                there.public_cases.progress(code, "0000")
        else:
            assert_problem(lookup(env, code, "0000"), 404)
    with pytest.raises(TooManyRequests):
        there.public_cases.progress(code, "1111")  # the sixth wrong try, on the other instance
    blocked = lookup(env, code)  # the right digits
    assert_problem(blocked, 429)
    assert blocked.headers["retry-after"] == str(2 * 3600)
    assert assert_problem(feedback(env, code), 429)["title"] == "Too many requests"
    row = KeyModel.get(try_key(code), "2026-11-23")
    assert (row.tries, row.expires_at) == (5, dt.datetime(2026, 11, 25, tzinfo=SHANGHAI))  # the 6th refused unread
    at(dt.datetime(2026, 11, 23, 23, 59, 59, tzinfo=SHANGHAI))
    assert lookup(env, code).headers["retry-after"] == "1"
    at(dt.datetime(2026, 11, 24, 0, 0, 1, tzinfo=SHANGHAI))
    assert lookup(env, code).status == 200  # a new day
    assert lookup(env, unknown(code)).status == 404


def test_tries_made_at_once_on_two_instances_check_five_at_most(env, atomic_requests):
    """Twelve tries at once, one of them with the right digits, half on each instance: five get
    their digits checked (404, or 200 for the right ones if it is among them), the rest 429."""
    code = walk_in(env, "PUB-9")["public_code"]
    instances = [wiring.current(), wiring.Container(clock=wiring.current().clock)]
    barrier = threading.Barrier(12)
    outcomes: list[int] = []

    def attempt(index: int) -> None:
        barrier.wait()
        try:
            instances[index % 2].public_cases.progress(code, DIGITS if index == 7 else "0000")
            outcomes.append(200)
        except NotFound:
            outcomes.append(404)
        except TooManyRequests:
            outcomes.append(429)

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counted = Counter(outcomes)
    assert sum(counted.values()) == 12 and counted[404] + counted[200] == 5 and counted[429] == 7, counted
    assert try_rows()[try_key(code), "2026-11-23"] >= 5 - counted[200]


# -------------------------------------------------------------- evaluation


def concluded(env, ref: str, action: str = "resolve") -> dict:
    case = walk_in(env, ref)
    act(env, case["case_id"], "accept")
    if action == "resolve":
        act(env, case["case_id"], "resolve", {"agreement": {"summary": "达成协议", "performance_due": "2026-12-01"}})
    else:
        act(env, case["case_id"], "fail", {"referral": "litigation", "reason": "一方拒绝调解"})
    return case


def test_the_party_evaluates_once_and_the_case_records_it(env):
    case = concluded(env, "PUB-5")
    case_id, code = case["case_id"], case["public_code"]
    at(MONDAY + dt.timedelta(days=3))
    recorded = feedback(env, code, comment=f"调解员很耐心，有事请打{PHONE}")
    assert recorded.status == 200, recorded
    assert recorded.json == {"recorded": True, "rectification_required": False}
    assert NAME not in recorded.raw.decode() and PHONE not in recorded.raw.decode()
    staff = env.admin.call("GET", f"/v1/cases/{case_id}").json["self_evaluation"]
    assert staff == {"at": "2026-11-26T10:00:00+08:00", "satisfaction": GOOD, "comment": f"调解员很耐心，有事请打{PHONE}"}
    events = [e for e in env.admin.call("GET", f"/v1/cases/{case_id}/events").json if e["type"] == "self_evaluation"]
    assert [(e["actor"], e["detail"]) for e in events] == [
        ("party", {"satisfaction": GOOD, "with_comment": True, "rectification_required": False})]
    again = feedback(env, code, satisfaction=BAD)
    assert "already recorded" in assert_problem(again, 409)["detail"]
    assert env.admin.call("GET", f"/v1/cases/{case_id}").json["self_evaluation"]["satisfaction"] == GOOD


def test_a_partner_reads_the_comment_masked(env):
    partner = env.partners["demo-12345"]
    created = partner.call("POST", "/v1/cases", new_case_body("PUB-P", parties=[
        {"role": "applicant", "name": NAME, "phone": PHONE}]))
    assert created.status == 201, created
    drain("routing", "route_cases")
    act(env, created.json["case_id"], "accept")
    act(env, created.json["case_id"], "fail", {"referral": "litigation", "reason": "一方拒绝调解"})
    assert feedback(env, created.json["public_code"], comment=f"请回电{PHONE}").status == 200
    seen = partner.call("GET", f"/v1/cases/{created.json['case_id']}").json["self_evaluation"]
    assert seen["comment"] == "请回电139****4321"


def test_before_the_case_concludes_an_evaluation_is_409(env):
    case = walk_in(env, "PUB-6")
    assert "cannot evaluate a case that is dispatched" in assert_problem(feedback(env, case["public_code"]),
                                                                          409)["detail"]
    assert env.admin.call("GET", f"/v1/cases/{case['case_id']}").json["self_evaluation"] is None


def test_a_dissatisfied_evaluation_raises_rectification_and_counts_in_satisfaction(env):
    case = concluded(env, "PUB-7", action="fail")
    case_id = case["case_id"]
    before = env.admin.call("GET", "/v1/stats", query={"region": "320509102001", "from": "2026-11-23",
                                                        "to": "2026-11-23"}).json
    answer = feedback(env, case["public_code"], satisfaction=BAD)
    assert answer.json == {"recorded": True, "rectification_required": True}
    view = env.admin.call("GET", f"/v1/cases/{case_id}").json
    assert view["rectification_required"] is True and view["return_visits"] == []  # unresolved: no visit to add
    notes = [(n["kind"], n["to"]) for n in env.admin.call("GET", f"/v1/cases/{case_id}/notifications").json
             if n["kind"] == "rectification"]
    assert notes == [("rectification", "139****0101")]  # the village org's head
    after = env.admin.call("GET", "/v1/stats", query={"region": "320509102001", "from": "2026-11-23",
                                                       "to": "2026-11-23"}).json
    assert (after["counts"]["visits"] - before["counts"]["visits"],
            after["counts"]["visits_ok"] - before["counts"]["visits_ok"]) == (1, 0)


def test_wrong_digits_on_an_evaluation_are_a_wrong_try(env):
    case = concluded(env, "PUB-8")
    assert assert_problem(feedback(env, case["public_code"], digits="0000"), 404)["detail"] == assert_problem(
        lookup(env, case["public_code"], "0000"), 404)["detail"]
    assert try_rows()[try_key(case["public_code"]), "2026-11-23"] == 2
    assert env.admin.call("GET", f"/v1/cases/{case['case_id']}").json["self_evaluation"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"phone_last4": "567", "satisfaction": GOOD}, "phone_last4"),
    ({"phone_last4": 4321, "satisfaction": GOOD}, "phone_last4"),
    ({"satisfaction": GOOD}, "phone_last4"),
    ({"phone_last4": DIGITS, "satisfaction": {**GOOD, "effect": "happy"}}, "satisfaction.effect"),
    ({"phone_last4": DIGITS, "satisfaction": {"attitude": "satisfied"}}, "satisfaction.process"),
    ({"phone_last4": DIGITS, "satisfaction": GOOD, "comment": "好" * 501}, "comment"),
    ({"phone_last4": DIGITS, "satisfaction": GOOD, "comment": "<script>alert(1)</script>"}, "comment"),
])
def test_a_bad_evaluation_body_is_422_and_counts_no_try(env, body, field):
    code = concluded(env, f"PUB-BAD-{hashlib.sha256(json.dumps(body).encode()).hexdigest()[:12]}")["public_code"]
    assert_problem(env.http.call("POST", f"/v1/public/cases/{code}/feedback", body), 422, field)
    assert not [key for key in try_rows() if key[0] == try_key(code)]


def test_malformed_json_is_400(env):
    answer = env.http.call("POST", "/v1/public/cases/7KQ4M2XP-R/feedback", raw=b'{"phone_last4": ')
    assert_problem(answer, 400)


def test_a_merge_opens_the_targets_code_to_the_parties_it_took(env):
    """并案: the target takes the source's parties, and its code's claim their phone tails."""
    target = walk_in(env, "PUB-MERGE-T")
    source = env.admin.call("POST", "/v1/cases", new_case_body("PUB-MERGE-S", channel="walk_in", parties=[
        {"role": "applicant", "name": "孙七", "phone": "13600002468"}])).json
    assert_problem(lookup(env, target["public_code"], "2468"), 404)
    merged = env.admin.call("POST", f"/v1/cases/{source['case_id']}/merge",
                            {"into": target["case_id"], "reason": "同一纠纷"})
    assert merged.status == 200, merged
    assert lookup(env, target["public_code"], "2468").status == 200
    assert lookup(env, target["public_code"], DIGITS).status == 200
