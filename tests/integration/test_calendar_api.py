"""The working calendar (工作日历, §10) through the HTTP API: read a year, set one, refuse a bad one,
and the deadlines computed after a change.

One stack for the module, with the demo directory and a partner; each test
starts with no operator year (the table emptied, the process's cache dropped)
on the service clock fixed at `Clock.START`, Monday 2026-11-23 10:00 +08:00.
The year 2027 below is one these tests make up, as an operator would set it.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chalicelib import wiring
from tests.integration.module_env import demo_env
from tests.support import Clock, assert_problem, drain, new_case_body, valid_id_number

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SPRING_FESTIVAL_2027 = ["2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"]
YEAR_2027 = {"holidays": ["2027-01-01", *SPRING_FESTIVAL_2027], "workdays": ["2027-02-20"]}
"""New Year, a Spring Festival week off (Fri 02-05, Mon-Fri 02-08..12) and a make-up Saturday."""
WEEKDAYS_2027 = {"year": 2027, "source": "weekdays", "holidays": [], "workdays": [], "updated_at": None}


@pytest.fixture(scope="module")
def env():
    with demo_env("demo-12345") as env:
        yield env


@pytest.fixture(autouse=True)
def no_operator_year(env):
    """No operator year stored or cached, and the clock at START."""
    from chalicelib.adapters.models import CalendarYearModel

    for item in CalendarYearModel.scan():
        item.delete()
    container = wiring.current()
    container.calendar_store.forget()
    container.clock.now = Clock.START
    yield
    container.clock.now = Clock.START


@pytest.fixture(scope="module")
def admin(env):
    return env.admin


@pytest.fixture(scope="module")
def partner(env):
    return env.partners["demo-12345"]


@pytest.fixture(scope="module")
def mediator(env):
    return env.staff(role="mediator", mediator_id="M-CN-1")


@pytest.fixture(scope="module")
def supervisor(env):
    return env.staff(role="supervisor", jurisdiction="320509")


def stored_years() -> list[int]:
    from chalicelib.adapters.models import CalendarYearModel

    return sorted(int(item.year) for item in CalendarYearModel.scan())


# ------------------------------------------------------------------- reading


def test_a_library_year_is_read_with_its_holidays_and_make_up_days(admin):
    result = admin.call("GET", "/v1/calendar/2026")
    assert result.status == 200, result
    year = result.json
    assert (year["year"], year["source"], year["updated_at"]) == (2026, "library", None)
    assert "2026-10-01" in year["holidays"] and "2026-10-07" in year["holidays"]
    assert {"2026-09-20", "2026-10-10"} <= set(year["workdays"])
    assert year["holidays"] == sorted(year["holidays"]) and year["workdays"] == sorted(year["workdays"])


def test_a_year_without_data_is_monday_to_friday(admin):
    result = admin.call("GET", "/v1/calendar/2027")
    assert result.status == 200 and result.json == WEEKDAYS_2027, result


def test_every_staff_role_may_read_the_calendar(mediator, supervisor):
    for staff in (mediator, supervisor):
        result = staff.call("GET", "/v1/calendar/2026")
        assert result.status == 200 and result.json["source"] == "library", result


def test_a_partner_may_not_read_the_calendar(partner):
    assert_problem(partner.call("GET", "/v1/calendar/2026"), 403)


def test_the_calendar_needs_a_caller(env):
    assert_problem(env.http.call("GET", "/v1/calendar/2026"), 401)


@pytest.mark.parametrize("year", ["abcd", "1999", "2100", "027", "20270"])
def test_a_path_that_is_not_a_year_the_calendar_keeps_is_422(admin, year):
    assert_problem(admin.call("GET", f"/v1/calendar/{year}"), 422, "year")


# ------------------------------------------------------------------- setting


def test_an_admin_sets_a_year_and_it_is_read_back(admin, mediator):
    result = admin.call("PUT", "/v1/calendar/2027", {"holidays": list(reversed(YEAR_2027["holidays"])),
                                                     "workdays": YEAR_2027["workdays"]})
    assert result.status == 200, result
    expected = {"year": 2027, "source": "operator", **YEAR_2027, "updated_at": "2026-11-23T10:00:00+08:00"}
    assert result.json == expected  # the lists come back sorted
    assert admin.call("GET", "/v1/calendar/2027").json == expected
    assert mediator.call("GET", "/v1/calendar/2027").json == expected
    wiring.current().calendar_store.forget()  # as another process reads it: from the table
    assert admin.call("GET", "/v1/calendar/2027").json == expected
    assert stored_years() == [2027]


def test_a_year_set_again_replaces_the_first(admin):
    assert admin.call("PUT", "/v1/calendar/2027", YEAR_2027).status == 200
    wiring.current().clock.now = Clock.START + dt.timedelta(hours=1)
    result = admin.call("PUT", "/v1/calendar/2027", {"holidays": ["2027-01-01"], "workdays": []})
    assert result.status == 200, result
    assert result.json == {"year": 2027, "source": "operator", "holidays": ["2027-01-01"], "workdays": [],
                           "updated_at": "2026-11-23T11:00:00+08:00"}
    assert admin.call("GET", "/v1/calendar/2027").json == result.json


def test_an_operator_year_replaces_the_librarys(admin):
    result = admin.call("PUT", "/v1/calendar/2026", {"holidays": [], "workdays": []})
    assert result.status == 200, result
    assert admin.call("GET", "/v1/calendar/2026").json == {
        "year": 2026, "source": "operator", "holidays": [], "workdays": [], "updated_at": "2026-11-23T10:00:00+08:00"}


@pytest.mark.parametrize("who", ["mediator", "supervisor", "partner"])
def test_only_an_admin_may_set_a_year(request, admin, who):
    caller = request.getfixturevalue(who)
    assert_problem(caller.call("PUT", "/v1/calendar/2027", YEAR_2027), 403)
    assert admin.call("GET", "/v1/calendar/2027").json == WEEKDAYS_2027
    assert stored_years() == []


def test_meta_says_how_far_the_calendar_reaches(env, admin):
    assert env.http.call("GET", "/v1/meta").json["calendar"] == {"covered_until": "2026-12-31"}
    assert admin.call("PUT", "/v1/calendar/2027", YEAR_2027).status == 200
    assert env.http.call("GET", "/v1/meta").json["calendar"] == {"covered_until": "2027-12-31"}


# ----------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/calendar/2027", {"holidays": ["2027-01-01", "2026-12-31"], "workdays": []}, "holidays[1]"),
        ("/v1/calendar/2027", {"holidays": [], "workdays": ["2028-01-01"]}, "workdays[0]"),
        ("/v1/calendar/2027", {"holidays": ["2027-02-06"], "workdays": ["2027-02-06"]}, "workdays[0]"),
        ("/v1/calendar/2027", {"holidays": [], "workdays": ["2027-02-20", "2027-02-22"]}, "workdays[1]"),
        ("/v1/calendar/2027", {"holidays": ["2027-01-01", "2027-02-08", "2027-01-01"], "workdays": []},
         "holidays[2]"),
        ("/v1/calendar/2027", {"holidays": [], "workdays": ["2027-02-20", "2027-02-20"]}, "workdays[1]"),
        ("/v1/calendar/2027", {"holidays": ["2027-02-30"], "workdays": []}, "holidays[0]"),
        ("/v1/calendar/2027", {"holidays": ["New Year"], "workdays": []}, "holidays[0]"),
        ("/v1/calendar/2027", {"holidays": [], "workdays": [20270220]}, "workdays[0]"),
        ("/v1/calendar/2027", {"holidays": ["2027-01-01"]}, "workdays"),
        ("/v1/calendar/2027", {"workdays": []}, "holidays"),
        ("/v1/calendar/2027", {"holidays": "2027-01-01", "workdays": []}, "holidays"),
        ("/v1/calendar/2027", {"holidays": None, "workdays": []}, "holidays"),
        ("/v1/calendar/2027", [], "body"),
        ("/v1/calendar/abcd", YEAR_2027, "year"),
        ("/v1/calendar/1999", {"holidays": [], "workdays": []}, "year"),
        ("/v1/calendar/2100", {"holidays": [], "workdays": []}, "year"),
    ],
    ids=["date-outside-the-year", "workday-outside-the-year", "date-in-both-lists", "workday-on-a-weekday",
         "holiday-repeated", "workday-repeated", "no-such-day", "not-a-date", "a-number", "workdays-missing",
         "holidays-missing", "not-a-list", "null-list", "body-not-an-object", "year-not-digits",
         "year-before-range", "year-after-range"],
)
def test_a_bad_year_is_422_on_its_field_and_stores_nothing(admin, path, body, field):
    assert_problem(admin.call("PUT", path, body), 422, field)
    assert admin.call("GET", "/v1/calendar/2027").json == WEEKDAYS_2027
    assert stored_years() == []


def test_malformed_json_is_400_and_stores_nothing(admin):
    assert_problem(admin.call("PUT", "/v1/calendar/2027", raw=b'{"holidays": ["2027-01-01"], "workdays": ['), 400)
    assert admin.call("GET", "/v1/calendar/2027").json == WEEKDAYS_2027
    assert stored_years() == []


def test_a_refusal_leaves_a_year_already_set_as_it_was(admin):
    assert admin.call("PUT", "/v1/calendar/2027", YEAR_2027).status == 200
    before = admin.call("GET", "/v1/calendar/2027").json
    bad = {"holidays": YEAR_2027["holidays"] + ["2027-01-01"], "workdays": []}
    assert_problem(admin.call("PUT", "/v1/calendar/2027", bad), 422, f"holidays[{len(YEAR_2027['holidays'])}]")
    assert admin.call("GET", "/v1/calendar/2027").json == before
    wiring.current().calendar_store.forget()
    assert admin.call("GET", "/v1/calendar/2027").json == before


# ----------------------------------------------------------------- deadlines


def dispatched_case(admin, partner, ref: str, applicant_id: str) -> dict:
    """A case filed and routed now (on the service clock), as the router does it."""
    body = new_case_body(ref)
    body["parties"][0]["id_number"] = valid_id_number(applicant_id)
    body["parties"][0]["phone"] = "138" + applicant_id[-8:]
    filed = partner.call("POST", "/v1/cases", body)
    assert filed.status == 201, filed
    drain("routing", "route_cases")
    view = admin.call("GET", f"/v1/cases/{filed.json['case_id']}").json
    assert view["status"] == "dispatched", view
    return view


def test_a_case_dispatched_after_the_change_skips_the_operators_holidays_one_before_keeps_its_deadline(
        admin, partner):
    """15 working days from Monday 2027-01-25: to Monday 02-15 on Monday-Friday; to Monday 02-22 once
    the operator's six days off are skipped and the make-up Saturday 02-20 is counted."""
    wiring.current().clock.now = dt.datetime(2027, 1, 25, 10, 0, tzinfo=SHANGHAI)
    before = dispatched_case(admin, partner, "CAL-BEFORE", "32058419800101111")
    assert before["risk_level"] == "blue"
    assert before["resolve_due_at"] == "2027-02-15T23:59:59+08:00"

    assert admin.call("PUT", "/v1/calendar/2027", YEAR_2027).status == 200
    after = dispatched_case(admin, partner, "CAL-AFTER", "32058419800202222")
    assert after["risk_level"] == "blue"
    assert after["resolve_due_at"] == "2027-02-22T23:59:59+08:00"
    assert dt.datetime.fromisoformat(after["accept_due_at"]) == dt.datetime.fromisoformat(
        before["accept_due_at"])  # hours, not working days: the calendar does not move it

    assert admin.call("GET", f"/v1/cases/{before['case_id']}").json["resolve_due_at"] == "2027-02-15T23:59:59+08:00"


def test_a_dispatch_across_the_year_end_skips_new_year_once_it_is_set(admin, partner):
    """15 working days from Monday 2026-12-21 end on 2027-01-11 with 2027-01-01 a Friday like any other,
    on 2027-01-12 once the operator makes it a holiday."""
    wiring.current().clock.now = dt.datetime(2026, 12, 21, 10, 0, tzinfo=SHANGHAI)
    before = dispatched_case(admin, partner, "CAL-YEAR-END-1", "32058419800303333")
    assert before["resolve_due_at"] == "2027-01-11T23:59:59+08:00"
    assert admin.call("PUT", "/v1/calendar/2027", YEAR_2027).status == 200
    after = dispatched_case(admin, partner, "CAL-YEAR-END-2", "32058419800404444")
    assert after["resolve_due_at"] == "2027-01-12T23:59:59+08:00"
    assert admin.call("GET", f"/v1/cases/{before['case_id']}").json["resolve_due_at"] == "2027-01-11T23:59:59+08:00"


def test_the_put_body_is_json_with_the_two_lists(admin):
    """The request as a client sends it, with a charset in the content type."""
    raw = json.dumps(YEAR_2027).encode()
    result = admin.call("PUT", "/v1/calendar/2027", raw=raw,
                        headers={"Content-Type": "application/json; charset=utf-8"})
    assert result.status == 200 and result.json["source"] == "operator", result
