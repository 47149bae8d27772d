"""Retention (§16) through the HTTP API on moto: a case filed, closed, and the sweep run 3 years
on with `as_of`: parties anonymised, names gone from the notes, attachments gone from S3, the
PARTY# rows still there (a new case of the same phone is still a repeat party), statistics
identical; a dry run writes nothing (DynamoDB write calls and S3 deletes counted); a hold keeps
a case out; SMS texts become null 180 days on; bad input."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bench.dynamo_meter import metered
from chalicelib import wiring
from chalicelib.adapters.models import KeyModel
from tests.integration.test_attachments_api import attach, bucket_keys
from tests.support import Clock, assert_problem, drain, new_case_body

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
THREE_YEARS_ON = dt.datetime(2029, 11, 24, 3, 30, tzinfo=SHANGHAI)
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
STATS_DAY = {"region": "320509", "from": "2026-11-23", "to": "2026-11-23"}


def sweep(admin, as_of: dt.datetime, **body):
    return admin.call("POST", "/v1/ops/sweeps/retention", {"as_of": as_of.isoformat(), **body})


@pytest.fixture
def closed(partner, mediator, admin) -> str:
    """The partner's case with a note naming both parties and a stored attachment, then withdrawn."""
    created = partner.call("POST", "/v1/cases", new_case_body("RET-1"))
    assert created.status == 201, created
    case_id = created.json["case_id"]
    drain("routing", "route_cases")
    assert mediator.call("POST", f"/v1/cases/{case_id}/accept", {}).status == 200
    note = mediator.call("POST", f"/v1/cases/{case_id}/note", {"text": "已联系张三，李四称楼上漏水已修"})
    assert note.status == 200, note
    attach(mediator, case_id)
    assert admin.call("POST", f"/v1/cases/{case_id}/withdraw", {"reason": "张三与李四已和解"}).status == 200
    return case_id


def s3_deletes():
    """Count DeleteObject calls of the attachments' client meanwhile."""
    counted = []
    client = wiring.current().attachment_files.client
    client.meta.events.register("before-call.s3.DeleteObject", lambda **kwargs: counted.append(1))
    return counted


def party_rows() -> list[tuple[str, str]]:
    return sorted((row.pk, row.sk) for row in KeyModel.scan() if row.pk.startswith("PARTY#"))


def test_three_years_on_the_case_is_anonymised_and_its_files_deleted(admin, closed, partner):
    stats_before = admin.call("GET", "/v1/stats", query=STATS_DAY).json
    rows_before = party_rows()
    assert rows_before and len(bucket_keys()) == 1

    answer = sweep(admin, THREE_YEARS_ON, dry_run=False)
    assert answer.status == 200, answer
    assert {k: answer.json[k] for k in ("examined", "anonymised", "deleted")} == {
        "examined": 1, "anonymised": 1, "deleted": 1}

    view = admin.call("GET", f"/v1/cases/{closed}").json
    assert [p["name"] for p in view["parties"]] == ["已删除", "已删除"]
    assert all("phone" not in p and "id_number" not in p for p in view["parties"])
    assert view["anonymised_at"].startswith("2029-11-24T03:30") and view["retention_hold"] is False
    timeline = admin.call("GET", f"/v1/cases/{closed}/events").json
    text = json.dumps([view, timeline], ensure_ascii=False)
    assert "张三" not in text and "李四" not in text and "13812345678" not in text
    assert "已联系已删除，已删除称楼上漏水已修" in text
    assert timeline[-1]["type"] == "anonymised" and timeline[-1]["detail"]["attachments_deleted"] == 1
    assert bucket_keys() == []
    assert admin.call("GET", f"/v1/cases/{closed}/attachments").json["items"] == []

    assert party_rows() == rows_before  # the keyed hashes stay
    assert admin.call("GET", "/v1/stats", query=STATS_DAY).json == stats_before
    again = partner.call("POST", "/v1/cases", new_case_body("RET-2"))  # the same phone, on the clock's day
    assert again.status == 201 and wiring.current().case_store.get(again.json["case_id"]).repeat_party

    assert sweep(admin, THREE_YEARS_ON, dry_run=False).json["examined"] == 0  # off the index: nothing twice


def test_a_dry_run_writes_nothing(admin, closed):
    deletes = s3_deletes()
    with metered() as meter:
        answer = sweep(admin, THREE_YEARS_ON)  # dry_run defaults to true
    assert answer.status == 200 and answer.json["dry_run"] is True
    assert {k: answer.json[k] for k in ("examined", "anonymised", "deleted")} == {
        "examined": 1, "anonymised": 1, "deleted": 1}
    assert answer.json["sms_texts_nulled"] >= 1  # counted, not done
    assert not WRITES & set(meter.calls), meter.calls
    assert meter.calls["Query"] >= 1  # it did read the indexes
    assert deletes == [] and len(bucket_keys()) == 1
    assert admin.call("GET", f"/v1/cases/{closed}").json["parties"][0]["name"] == "张三"


def test_an_as_of_before_the_case_was_final_changes_nothing(admin, closed):
    with metered() as meter:
        answer = sweep(admin, dt.datetime(2026, 1, 1, tzinfo=SHANGHAI), dry_run=False)
    assert {k: answer.json[k] for k in ("examined", "anonymised", "deleted", "sms_texts_nulled")} == {
        "examined": 0, "anonymised": 0, "deleted": 0, "sms_texts_nulled": 0}
    assert not WRITES & set(meter.calls)


def test_a_hold_keeps_the_case_out(admin, closed, mediator):
    held = admin.call("PATCH", f"/v1/cases/{closed}", {"retention_hold": True})
    assert held.status == 200, held
    assert held.json["retention_hold"] is True and held.json["anonymised_at"] is None
    assert admin.call("GET", f"/v1/cases/{closed}/events").json[-1]["type"] == "retention_hold"
    assert sweep(admin, THREE_YEARS_ON, dry_run=False).json["examined"] == 0
    assert len(bucket_keys()) == 1
    assert_problem(mediator.call("PATCH", f"/v1/cases/{closed}", {"retention_hold": False}), 403)
    released = admin.call("PATCH", f"/v1/cases/{closed}", {"retention_hold": False})
    assert released.status == 200 and released.json["retention_hold"] is False
    assert sweep(admin, THREE_YEARS_ON, dry_run=False).json["anonymised"] == 1


def test_bad_holds(admin, closed):
    assert_problem(admin.call("PATCH", "/v1/cases/HW20261123NOSUCH00", {"retention_hold": True}), 404)
    assert_problem(admin.call("PATCH", f"/v1/cases/{closed}", {}), 422, "retention_hold")
    assert_problem(admin.call("PATCH", f"/v1/cases/{closed}", {"retention_hold": "yes"}), 422, "retention_hold")
    stale = admin.call("PATCH", f"/v1/cases/{closed}", {"retention_hold": True, "expected_version": 1})
    assert_problem(stale, 409)


def test_bad_sweeps(admin, mediator, closed):
    assert_problem(mediator.call("POST", "/v1/ops/sweeps/retention", {}), 403)
    assert_problem(admin.call("POST", "/v1/ops/sweeps/retention", {"dry_run": "no"}), 422, "dry_run")
    assert_problem(admin.call("POST", "/v1/ops/sweeps/retention", {"as_of": "2300-01-01T00:00:00+08:00"}), 422,
                   "as_of")


def test_sms_texts_become_null_180_days_after_they_were_sent(admin, partner):
    created = partner.call("POST", "/v1/cases", new_case_body("RET-3", channel="walk_in"))
    case_id = created.json["case_id"]
    drain("routing", "route_cases")
    drain("notify", "send_notifications")
    before = admin.call("GET", f"/v1/cases/{case_id}/notifications").json
    assert before and all(n["text"] for n in before)
    start = Clock.START
    assert sweep(admin, start + dt.timedelta(days=170), dry_run=False).json["sms_texts_nulled"] == 0
    answer = sweep(admin, start + dt.timedelta(days=181), dry_run=False)
    assert answer.json["sms_texts_nulled"] == len(before) and answer.json["anonymised"] == 0
    after = admin.call("GET", f"/v1/cases/{case_id}/notifications").json
    assert len(after) == len(before) and all(n["text"] is None for n in after)
    assert [n["kind"] for n in after] == [n["kind"] for n in before]
    assert admin.call("GET", f"/v1/cases/{case_id}").json["parties"][0]["name"] == "张三"  # an open case keeps them
