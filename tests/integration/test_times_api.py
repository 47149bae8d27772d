"""Every time the API shows of a case is RFC 3339 in +08:00 to the second: its view, its timeline's
event details, its SMS and its supervision letters, after a whole life (dispatch, the supervision
ladder, accept, resolve, a return visit), including details stored as UTC with microseconds."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterator

from chalicelib import wiring
from chalicelib.adapters.models import CaseItemModel
from chalicelib.domain.calendar import LIBRARY_CALENDAR
from tests.support import drain, new_case_body

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=SHANGHAI)
"""A Monday morning, with microseconds the answers must not show."""
TIME_LIKE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
BUSINESS_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def sweep(admin, name: str, at: dt.datetime) -> None:
    wiring.current().clock.now = at
    assert admin.call("POST", f"/v1/ops/sweeps/{name}", {"as_of": at.isoformat()}).status == 200
    drain("notify", "send_notifications")


def test_every_time_of_a_whole_case_life_is_plus_eight_to_the_second(partner, admin, mediator):
    wiring.current().clock.now = BASE
    case_id = partner.call("POST", "/v1/cases", new_case_body("TIMES-1")).json["case_id"]
    drain("routing", "route_cases")
    drain("notify", "send_notifications")
    due = dt.datetime.fromisoformat(admin.call("GET", f"/v1/cases/{case_id}").json["accept_due_at"])
    sweep(admin, "supervision", BASE + dt.timedelta(hours=12, seconds=1))  # the reminder
    sweep(admin, "supervision", due + dt.timedelta(seconds=1))  # overdue
    letter_at = LIBRARY_CALENDAR.end_of_nth_working_day_after(due, 1) + dt.timedelta(seconds=1)
    sweep(admin, "supervision", letter_at)  # the supervision letter
    wiring.current().clock.now = letter_at + dt.timedelta(minutes=5, microseconds=777)
    assert mediator.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
    assert mediator.call("POST", f"/v1/cases/{case_id}/note", {"text": "2026-11-30T10:00 约谈双方"}).status == 200
    resolved = mediator.call("POST", f"/v1/cases/{case_id}/resolve",
                             {"agreement": {"summary": "双方达成协议", "performance_due": "2026-12-01"}})
    assert resolved.status == 200, resolved
    sweep(admin, "return-visits", dt.datetime(2026, 12, 31, 9, 0, tzinfo=SHANGHAI))
    visit = {"agreement_performed": "yes", "satisfaction": {"attitude": "satisfied", "process": "satisfied",
                                                            "effect": "satisfied"}}
    assert mediator.call("POST", f"/v1/cases/{case_id}/visit", visit).status == 200

    answers = {name: admin.call("GET", f"/v1/cases/{case_id}{suffix}").json for name, suffix in (
        ("view", ""), ("events", "/events"), ("notifications", "/notifications"),
        ("letters", "/supervision-letters"))}
    answers["partner_view"] = partner.call("GET", f"/v1/cases/{case_id}").json
    answers["partner_events"] = partner.call("GET", f"/v1/cases/{case_id}/events").json
    assert {e["type"] for e in answers["events"]} >= {"dispatched", "supervision", "accepted", "resolved"}
    assert answers["letters"] and answers["notifications"]
    times = [(path, text) for name, answer in answers.items() for path, text in strings(answer, name)
             if TIME_LIKE.search(text) and not path.endswith(".text")]  # free text is shown as written
    assert len(times) > 20, times
    wrong = [(path, text) for path, text in times if not BUSINESS_TIME.match(text)]
    assert wrong == []
    dispatched = next(e for e in answers["events"] if e["type"] == "dispatched")
    assert dispatched["detail"]["accept_due_at"] == answers["view"]["accept_due_at"]
    assert answers["letters"][0]["deadline_due_at"] == answers["view"]["accept_due_at"]
    note = next(e for e in answers["events"] if e["type"] == "note")
    assert note["detail"]["text"] == "2026-11-30T10:00 约谈双方"


def test_an_event_stored_in_utc_with_microseconds_before_is_shown_plus_eight(partner, admin):
    wiring.current().clock.now = BASE
    case_id = partner.call("POST", "/v1/cases", new_case_body("TIMES-2")).json["case_id"]
    drain("routing", "route_cases")
    row = next(item for item in CaseItemModel.query(case_id) if item.type == "dispatched")
    assert re.search(r"\+00:00$", row.detail["accept_due_at"]) or "." in row.detail["accept_due_at"], row.detail
    shown = next(e for e in admin.call("GET", f"/v1/cases/{case_id}/events").json if e["type"] == "dispatched")
    assert BUSINESS_TIME.match(shown["detail"]["accept_due_at"]), shown
    stored = dt.datetime.fromisoformat(row.detail["accept_due_at"])
    assert dt.datetime.fromisoformat(shown["detail"]["accept_due_at"]) == stored.replace(microsecond=0)
