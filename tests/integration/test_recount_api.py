"""Recount (统计重算) against moto: cases written before the month and org rows join them whole."""

from __future__ import annotations

import datetime as dt

from chalicelib import wiring
from chalicelib.adapters.case_mapping import case_from_model
from chalicelib.adapters.models import CaseModel, DailyStatsModel
from tests.integration.test_stats_api import assist, clock, counters_from_cases, counters_stored, file, sponsor
from tests.support import assert_problem

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NEW_ROW_KINDS = ("month#", "org_day#", "org_open#", "open#")


def as_before_the_new_rows() -> None:
    """The state an older version left: records without a version, and no month or org rows."""
    for model in CaseModel.scan():
        record = dict(model.stats_recorded)
        model.stats_recorded = {key: record[key] for key in ("counts", "org", "mediator") if key in record}
        model.save()
    for row in DailyStatsModel.scan():
        if row.bucket.startswith(NEW_ROW_KINDS):
            row.delete()


def test_a_recount_adds_old_cases_to_the_new_rows_and_changes_nothing_twice(admin, directory):
    clock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI))
    cases = [file(admin, f"RC-{n}") for n in range(5)]
    admin.call("POST", f"/v1/cases/{cases[0]}/accept", {})
    as_before_the_new_rows()
    assert counters_stored() != counters_from_cases()
    analysis = admin.call("GET", "/v1/reports/analysis", query={"region": "320509", "month": "2026-11"})
    assert analysis.json["total"] == 0  # the month rows do not know the old cases yet

    recount = wiring.current().recount
    done, cursor = [], None
    while True:
        page = recount.run(cursor, page_size=2)
        done.append(page.recounted)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sum(done) == len(cases) and len(done) >= 3  # page by page
    assert counters_stored() == counters_from_cases()
    analysis = admin.call("GET", "/v1/reports/analysis", query={"region": "320509", "month": "2026-11"})
    assert analysis.json["total"] == len(cases)

    again = admin.call("POST", "/v1/ops/stats/recount", {})
    assert again.status == 200 and again.json["recounted"] == 0 and again.json["examined"] == len(cases)
    assert again.json["next_cursor"] is None
    assert counters_stored() == counters_from_cases()


def test_a_bad_cursor_is_refused(admin, directory):
    assert_problem(admin.call("POST", "/v1/ops/stats/recount", {"cursor": "not-a-cursor"}), 422, "cursor")


def test_cases_filed_before_case_codes_get_one_and_join_the_indexes_their_state_calls_for(partner, admin):
    """The upgrade of a resolved case stored before §14: no code, no claim, not on the visit index
    for its judicial confirmation window. One recount gives it all three; a second writes nothing."""
    from chalicelib.adapters.case_mapping import CLAIM_SORT_KEY, code_key
    from chalicelib.adapters.models import KeyModel
    from chalicelib.domain.public_code import is_valid
    from tests.integration.test_return_visits import resolved

    case_id = resolved(partner, admin, "RC-CODE")["case_id"]
    model = CaseModel.get(case_id)
    KeyModel.get(code_key(model.public_code), CLAIM_SORT_KEY).delete()
    model.public_code, model.visit_shard, model.next_visit_check_on = None, None, None
    model.save()

    answer = admin.call("POST", "/v1/ops/stats/recount", {})
    assert answer.status == 200 and answer.json["coded"] == 1, answer
    view = admin.call("GET", f"/v1/cases/{case_id}").json
    assert is_valid(view["public_code"])
    assert KeyModel.get(code_key(view["public_code"]), CLAIM_SORT_KEY).case_id == case_id
    assert CaseModel.get(case_id).next_visit_check_on == "2026-12-24"  # the window's lapse (or a visit)
    events = admin.call("GET", f"/v1/cases/{case_id}/events").json
    assert [e["actor"] for e in events if e["type"] == "public_code_given"] == ["system"]
    again = admin.call("POST", "/v1/ops/stats/recount", {}).json
    assert again["coded"] == 0 and admin.call("GET", f"/v1/cases/{case_id}").json["public_code"] == view["public_code"]


def test_the_upgrade_draws_again_when_the_code_it_drew_is_taken(partner, admin, monkeypatch):
    from chalicelib.adapters import case_store as store_module
    from chalicelib.adapters.case_mapping import CLAIM_SORT_KEY, code_key
    from chalicelib.adapters.models import KeyModel
    from chalicelib.domain.public_code import check_character
    from tests.integration.test_return_visits import resolved

    taken = resolved(partner, admin, "RC-TAKEN")["public_code"]
    case_id = resolved(partner, admin, "RC-DRAW")["case_id"]
    model = CaseModel.get(case_id)
    KeyModel.get(code_key(model.public_code), CLAIM_SORT_KEY).delete()
    model.public_code = None
    model.save()
    fresh = f"23456789-{check_character('23456789')}"
    draws = iter([taken, fresh])
    monkeypatch.setattr(store_module, "new_public_code", lambda: next(draws))
    assert admin.call("POST", "/v1/ops/stats/recount", {}).json["coded"] == 1
    assert admin.call("GET", f"/v1/cases/{case_id}").json["public_code"] == fresh
    assert KeyModel.get(code_key(taken), CLAIM_SORT_KEY).case_id != case_id  # the other case keeps its code


def test_a_recount_brings_a_case_recorded_before_hard_cases_to_the_rows_it_counts_in_now(admin, directory):
    """A red case that two orgs assist and a leader is in charge of, as an earlier version left it:
    its record without `assisting` and the hard-case counters, the rows without them."""
    from pynamodb.transactions import TransactWrite

    from chalicelib.adapters.stats_rows import update_stats
    from chalicelib.domain.stats import HARD_CASE_COUNTERS, deltas, record_rows

    clock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI))
    case_id = file(admin, "RC-HARD", risk_indicators=["threat_of_violence"])  # the town (T-SL) leads
    file(admin, "RC-PLAIN")
    assist(admin, case_id, "V-CN", "D-WJ")
    sponsor(admin, case_id)
    exact = counters_stored()
    assert exact == counters_from_cases()

    model = CaseModel.get(case_id)
    case = case_from_model(model)
    old = {key: value for key, value in model.stats_recorded.items() if key != "assisting"}
    old["counts"] = {name: n for name, n in old["counts"].items() if name not in HARD_CASE_COUNTERS}
    with TransactWrite(connection=wiring.current().case_store.connection) as transaction:
        update_stats(transaction, (case, deltas(record_rows(case, case.stats_recorded), record_rows(case, old))))
    model.stats_recorded = old
    model.save()
    assert not any("assisted" in counters for counters in counters_stored().values())

    answer = admin.call("POST", "/v1/ops/stats/recount", {})
    assert answer.status == 200 and answer.json["recounted"] == 1, answer
    assert counters_stored() == exact
    assert admin.call("POST", "/v1/ops/stats/recount", {}).json["recounted"] == 0


def test_a_recount_adds_cases_recorded_at_version_2_to_the_region_open_rows_and_the_overdue_index(admin, directory):
    """As the version before the dashboard left them: records of version 2, no region-open rows,
    no overdue index keys. One recount writes each open case again: the dashboard then counts and
    lists them; a second recount writes nothing."""
    clock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI))
    late, other = file(admin, "RC-LATE"), file(admin, "RC-OPEN")
    swept = admin.call("POST", "/v1/ops/sweeps/supervision", {"as_of": "2026-11-24T10:00:00+08:00"})
    assert swept.status == 200
    exact = counters_stored()
    for model in CaseModel.scan():
        model.stats_recorded = {**model.stats_recorded, "v": 2}
        model.overdue_district = model.overdue_key = None
        model.save()
    for row in DailyStatsModel.scan():
        if row.bucket.startswith("open#"):
            row.delete()
    board = admin.call("GET", "/v1/dashboard", query={"region": "320509"}).json
    assert board["counts"]["open"] == 0 and board["overdue"]["items"] == []

    answer = admin.call("POST", "/v1/ops/stats/recount", {})
    assert answer.status == 200 and answer.json["recounted"] == 2, answer
    assert counters_stored() == exact == counters_from_cases()
    board = admin.call("GET", "/v1/dashboard", query={"region": "320509"}).json
    assert board["counts"] == {"intake_today": 2, "open": 2, "overdue": 2, "red": 0}  # the clock is on Monday
    assert {item["case_id"] for item in board["overdue"]["items"]} == {late, other}
    assert admin.call("POST", "/v1/ops/stats/recount", {}).json["recounted"] == 0
