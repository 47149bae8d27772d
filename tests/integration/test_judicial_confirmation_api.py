"""Judicial confirmation (司法确认, §14) against moto: the action's steps, its 409/422 answers and
the return-visit sweep's `jc_window_closing` and `lapsed`, from the sparse visit index."""

from __future__ import annotations

from tests.integration.test_return_visits import at, notes_of, resolved, sweep
from tests.support import assert_problem, new_case_body

JC = "judicial_confirmation"


def step(admin, case_id: str, body: dict):
    return admin.call("POST", f"/v1/cases/{case_id}/{JC}", body)


def jc_of(view: dict) -> dict:
    return view["agreement"][JC]


def test_a_resolved_case_shows_its_window_and_goes_through_every_step(partner, admin):
    case = resolved(partner, admin, "JC-1")  # resolved on 2026-11-23
    assert jc_of(case) == {"status": "not_requested", "window_ends_on": "2026-12-23", "court": None,
                           "filed_on": None, "accepted_on": None, "decision_due_on": None, "decided_on": None}
    case_id = case["case_id"]
    assert jc_of(step(admin, case_id, {"step": "intend"}).json)["status"] == "intended"
    filed = step(admin, case_id, {"step": "file", "court": "苏州市吴江区人民法院", "filed_on": "2026-11-23"})
    assert filed.status == 200, filed
    assert (jc_of(filed.json)["status"], jc_of(filed.json)["court"]) == ("filed", "苏州市吴江区人民法院")
    accepted = step(admin, case_id, {"step": "accept", "accepted_on": "2026-11-23", "extended": True})
    assert jc_of(accepted.json)["decision_due_on"] == "2026-12-18"  # 15 + 10 days
    decided = step(admin, case_id, {"step": "decide", "result": "confirmed", "decided_on": "2026-11-23"})
    assert jc_of(decided.json)["status"] == "confirmed" and jc_of(decided.json)["decided_on"] == "2026-11-23"
    events = [e for e in admin.call("GET", f"/v1/cases/{case_id}/events").json if e["type"] == JC]
    assert sorted(e["detail"]["step"] for e in events) == ["accept", "decide", "file", "intend"]  # one clock time
    assert jc_of(partner.call("GET", f"/v1/cases/{case_id}").json)["status"] == "confirmed"


def test_out_of_order_is_409_bad_dates_are_422_and_nothing_changes(partner, admin):
    case_id = resolved(partner, admin, "JC-2")["case_id"]
    version = admin.call("GET", f"/v1/cases/{case_id}").json["version"]
    assert_problem(step(admin, case_id, {"step": "accept", "accepted_on": "2026-11-23"}), 409)
    assert_problem(step(admin, case_id, {"step": "file", "court": "法院", "filed_on": "2026-12-24"}), 422, "filed_on")
    assert_problem(step(admin, case_id, {"step": "file", "filed_on": "2026-11-23"}), 422, "court")
    assert_problem(step(admin, case_id, {"step": "appeal"}), 422, "step")
    assert_problem(step(admin, case_id, {"step": "decide", "result": "maybe", "decided_on": "2026-11-23"}), 422,
                   "result")
    assert step(admin, case_id, {"step": "file", "court": "法院", "filed_on": "2026-11-23"}).status == 200
    assert_problem(step(admin, case_id, {"step": "accept", "accepted_on": "2026-11-22"}), 422, "accepted_on")
    after = admin.call("GET", f"/v1/cases/{case_id}").json
    assert after["version"] == version + 1 and jc_of(after)["status"] == "filed"


def test_an_open_case_has_no_judicial_confirmation_and_partners_cannot_act(partner, admin):
    case_id = partner.call("POST", "/v1/cases", new_case_body("JC-3")).json["case_id"]
    assert_problem(step(admin, case_id, {"step": "intend"}), 409)
    resolved_id = resolved(partner, admin, "JC-4")["case_id"]
    assert step(partner, resolved_id, {"step": "intend"}).status in (403, 404)


def test_the_sweep_tells_the_mediator_once_and_lapses_an_unused_window(partner, admin):
    intended = resolved(partner, admin, "JC-5")["case_id"]
    unused = resolved(partner, admin, "JC-6")["case_id"]
    filed = resolved(partner, admin, "JC-7")["case_id"]
    assert step(admin, intended, {"step": "intend"}).status == 200
    assert step(admin, filed, {"step": "file", "court": "法院", "filed_on": "2026-11-23"}).status == 200

    sweep(admin, at("2026-12-15"))
    assert notes_of(admin, intended, "jc_window_closing") == []
    sweep(admin, at("2026-12-16"))
    assert [(kind, status) for kind, _, status in notes_of(admin, intended, "jc_window_closing")] == [
        ("jc_window_closing", "sent")]
    sweep(admin, at("2026-12-17"))
    assert len(notes_of(admin, intended, "jc_window_closing")) == 1  # once
    assert notes_of(admin, unused, "jc_window_closing") == []  # only a case whose parties mean to apply

    sweep(admin, at("2026-12-23"))
    assert jc_of(admin.call("GET", f"/v1/cases/{unused}").json)["status"] == "not_requested"
    sweep(admin, at("2026-12-24"))
    for case_id in (intended, unused):
        view = admin.call("GET", f"/v1/cases/{case_id}").json
        assert jc_of(view)["status"] == "lapsed"
        assert_problem(step(admin, case_id, {"step": "file", "court": "法院", "filed_on": "2026-12-24"}), 422,
                       "filed_on")
    assert jc_of(admin.call("GET", f"/v1/cases/{filed}").json)["status"] == "filed"
