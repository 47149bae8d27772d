"""`POST /v1/ledger/imports` (§13, 排查台账导入) on moto through the HTTP client: dry and real runs,
routing, re-imports, row errors, every kind of bad file (each refused with nothing stored or
queued), media types, sizes and permissions."""

from __future__ import annotations

import functools
import json

import boto3
import pytest

from chalicelib.adapters.models import ALL_MODELS
from chalicelib.api.http import XLSM, XLSX
from chalicelib.config import QUEUE_SUFFIXES, queue_name
from tests.integration.conftest import staff_token
from tests.integration.module_env import demo_env
from tests.ledger_files import (
    BILLION_LAUGHS, EXTERNAL_ENTITY, HEADER, ledger, ledger_row, lying_sizes, macro_enabled, many_rows, with_doctype,
    xlsx, zip_bomb)
from tests.support import OTHER_VILLAGE, assert_problem, drain

PATH = "/v1/ledger/imports"


def send(staff, content: bytes, dry_run: str | None = None, content_type: str = XLSX):
    return staff.call("POST", PATH, raw=content, query={"dry_run": dry_run} if dry_run else None,
                      headers={"Content-Type": content_type})


@functools.cache
def _clients():
    return boto3.client("dynamodb"), boto3.client("sqs")


def stored_state() -> tuple:
    """Every item of every table, and the messages waiting or in flight on every queue."""
    dynamodb, sqs = _clients()
    items = {}
    for model in ALL_MODELS:
        pages = dynamodb.get_paginator("scan").paginate(TableName=model.Meta.table_name, ConsistentRead=True)
        items[model.Meta.table_name] = sorted(json.dumps(item, sort_keys=True) for page in pages
                                              for item in page["Items"])
    queued = {}
    for role in QUEUE_SUFFIXES:
        for name in (queue_name(role), queue_name(f"{role}-dlq")):
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            queued[name] = attributes
    return items, queued


# ------------------------------------------------------------ runs that write


@pytest.fixture
def supervisor(admin, directory):
    _clients.cache_clear()
    yield staff_token(admin, role="supervisor", jurisdiction="320509", org_id="D-WJ")
    _clients.cache_clear()


def test_a_dry_run_is_the_default_and_writes_nothing(supervisor):
    content = ledger(ledger_row("WG-1"), ledger_row("WG-2", 联系电话="12345"))
    before = stored_state()
    for dry_run in (None, "true"):
        answer = send(supervisor, content, dry_run)
        assert answer.status == 200, answer
        assert {k: answer.json[k] for k in ("dry_run", "rows", "valid", "created", "existing")} == {
            "dry_run": True, "rows": 2, "valid": 1, "created": 0, "existing": 0}
        assert answer.json["errors"] == [{"row": 3, "field": "联系电话",
                                          "message": "not a valid mainland China phone number"}]
    assert stored_state() == before


def test_a_real_run_creates_the_valid_rows_which_are_routed_and_a_second_creates_nothing(supervisor, admin):
    content = ledger(ledger_row("WG-1"), ledger_row("WG-2", 区划代码=320509102001, 联系电话=13900001111,
                                                    风险情形="扬言自杀", **{"涉及金额(元)": None}),
                     ledger_row("WG-3", 标题=None))
    answer = send(supervisor, content, "false")
    assert answer.status == 200, answer
    report = answer.json
    assert {k: report[k] for k in ("dry_run", "rows", "valid", "created", "existing")} == {
        "dry_run": False, "rows": 3, "valid": 2, "created": 2, "existing": 0}
    assert report["errors"] == [{"row": 4, "field": "标题", "message": "the cell is blank"}]
    assert [(c["row"], c["external_ref"], c["created"]) for c in report["cases"]] == [
        (2, "WG-1", True), (3, "WG-2", True)]

    assert drain("routing", "route_cases") == 2
    first, second = (admin.call("GET", f"/v1/cases/{c['case_id']}").json for c in report["cases"])
    assert (first["status"], first["channel"], first["org_id"], first["risk_level"]) == (
        "dispatched", "grid_patrol", "V-CN", "blue")
    assert first["parties"] == [{"role": "applicant", "name": "张三", "phone": "13812345678"},
                                {"role": "respondent", "name": "李四"}]
    assert (second["status"], second["risk_level"], second["tier"], second["region_code"]) == (
        "dispatched", "red", "town", "320509102001")
    assert second["parties"][0]["phone"] == "13900001111"
    events = admin.call("GET", f"/v1/cases/{first['case_id']}/events").json
    assert [e["type"] for e in events][:2] == ["received", "triaged"]

    before = stored_state()
    again = send(supervisor, content, "false").json
    assert {k: again[k] for k in ("rows", "valid", "created", "existing")} == {
        "rows": 3, "valid": 2, "created": 0, "existing": 2}
    assert [c["case_id"] for c in again["cases"]] == [c["case_id"] for c in report["cases"]]
    assert stored_state() == before


def test_row_errors_carry_spreadsheet_rows_and_chinese_columns_and_conflicts_name_the_case(supervisor):
    first = send(supervisor, ledger(ledger_row("WG-1")), "false").json["cases"][0]["case_id"]
    content = ledger(
        ledger_row("WG-1", 纠纷简况="另一起纠纷的简况"),
        ledger_row("WG-2", 当事人="张三、" + "李" * 51, 涉及人数="三人"),
        ledger_row("WG-3", 区划代码="320509102999", 纠纷类别="吵架", 风险情形="家暴、打人"),
        ledger_row("WG-2"),
        ledger_row("WG-5"))
    for dry_run in ("true", "false"):
        report = send(supervisor, content, dry_run).json
        assert [(e["row"], e["field"]) for e in report["errors"]] == [
            (2, "外部编号"), (3, "当事人"), (3, "涉及人数"), (4, "纠纷类别"), (4, "风险情形"), (5, "外部编号")]
        assert report["errors"][0] == {"row": 2, "field": "外部编号", "message": "was already used for a different case",
                                       "case_id": first}
        assert report["errors"][-1]["message"] == "repeats the 外部编号 of row 3"
        assert (report["rows"], report["valid"]) == (5, 1)
    assert report["created"] == 1 and report["cases"][0]["row"] == 6


def test_a_supervisor_imports_the_rows_of_the_jurisdiction_and_the_others_are_row_errors(admin, directory):
    town = staff_token(admin, role="supervisor", jurisdiction="320509102")
    report = send(town, ledger(ledger_row("WG-1"), ledger_row("WG-2", 区划代码=OTHER_VILLAGE)), "false").json
    assert report["errors"] == [{"row": 3, "field": "区划代码", "message": "region_code is outside your jurisdiction"}]
    assert (report["valid"], report["created"]) == (1, 1)


def test_an_admin_imports_too(admin, directory):
    assert send(admin, many_rows(3), "false").json["created"] == 3


# ------------------------------------------------------------ grouped writes


class Calls:
    """Counts of the calls of one botocore client, by operation."""

    def __init__(self, client):
        self.counts: dict[str, int] = {}
        client.meta.events.register("after-call", self._count)

    def _count(self, model, **kwargs) -> None:
        self.counts[model.name] = self.counts.get(model.name, 0) + 1


def test_a_real_run_writes_ten_cases_a_transaction_and_asks_for_their_routing_ten_a_call(supervisor, admin):
    """…and for their case code SMS (一案一码: grid cases tell the applicant), ten a call too,
    each after its case is written."""
    from chalicelib import wiring
    from chalicelib.adapters import queues

    dynamodb, sqs = Calls(wiring.current().case_store.connection.client), Calls(queues._sqs())
    report = send(supervisor, many_rows(25), "false").json
    assert report["created"] == 25
    assert dynamodb.counts["TransactWriteItems"] == 3
    assert (sqs.counts.get("SendMessageBatch"), sqs.counts.get("SendMessage")) == (6, None)
    assert drain("notify", "send_notifications", rounds=10) == 25
    assert drain("routing", "route_cases", rounds=10) == 25
    case_id = admin.call("GET", "/v1/cases", query={"limit": 200}).json["items"][0]["case_id"]
    [sms] = [n for n in admin.call("GET", f"/v1/cases/{case_id}/notifications").json if n["kind"] == "case_code"]
    assert sms["status"] == "sent" and sms["to"].startswith("139****")
    day = "2026-11-23"
    stats = admin.call("GET", "/v1/stats", query={"region": "320509", "from": day, "to": day}).json
    assert stats["total"] == 25 and stats["by_channel"]["grid_patrol"] == 25


def _new_case(ref: str, pseudonyms: int = 1):
    """A new case as intake makes one (the store's input), and its first events."""
    import datetime as dt

    from chalicelib.domain.case import Case, Event, Party, new_case_id
    from chalicelib.domain.enums import Category, CategorySource, Channel, RiskLevel
    from chalicelib.services.ports import NewCaseWrite
    from tests.support import VILLAGE, service_now

    now = service_now()
    case = Case(case_id=new_case_id(now), owner="staff", external_ref=ref, partner_id=None,
                channel=Channel.GRID_PATROL, title="漏水", description="楼上漏水", region_code=VILLAGE, address=None,
                parties=[Party("applicant", "张三")], party_count=1, amount_cny=None, risk_indicators=[],
                category=Category.NEIGHBOR, category_source=CategorySource.PARTNER, risk_level=RiskLevel.BLUE,
                received_at=now, request_hash=f"digest-{ref}", created_by="admin")
    events = [Event(now, "received", "admin", {}), Event(now, "triaged", "system", {})]
    return NewCaseWrite(case, events, [f"key-{ref}-{n}" for n in range(pseudonyms)], now + dt.timedelta(days=366))


def test_create_many_writes_the_others_when_a_claim_is_taken_and_reports_what_took_it(aws):
    from chalicelib import wiring

    store = wiring.current().case_store
    taken = _new_case("R-4")
    store.create(taken.case, taken.events, taken.party_pseudonyms, taken.party_key_ttl)
    writes = [_new_case(f"R-{n}") for n in range(12)]
    outcomes = store.create_many(writes)
    assert [n for n, outcome in enumerate(outcomes) if outcome is not None] == [4]
    assert (outcomes[4].case_id, outcomes[4].request_hash) == (taken.case.case_id, "digest-R-4")
    for n, write in enumerate(writes):
        stored = store.get(write.case.case_id)
        assert (stored is not None) == (n != 4)
        if n != 4:
            assert stored.version == write.case.version == 1
            assert store.get_claim("staff", f"R-{n}") == (write.case.case_id, f"digest-R-{n}")
            assert store.party_cases([f"key-R-{n}-0"], write.case.received_at)[f"key-R-{n}-0"] == [write.case.case_id]


def test_create_many_keeps_each_transaction_within_100_items(aws):
    from chalicelib import wiring

    store = wiring.current().case_store
    calls = Calls(store.connection.client)
    writes = [_new_case(f"K-{n}", pseudonyms=40) for n in range(5)]  # 44 items each, 3 statistics rows
    assert store.create_many(writes) == [None] * 5
    assert calls.counts["TransactWriteItems"] == 3
    assert all(store.get(write.case.case_id) for write in writes)


# ------------------------------------------------------------ refusals


@pytest.fixture(scope="module")
def env():
    """One stack for the refusals, which store nothing; built at their first test and kept to
    the module's end, so the tests that build their own stack come before them in the file."""
    with demo_env("demo-12345") as env:
        _clients.cache_clear()
        yield env
        _clients.cache_clear()


@pytest.fixture(scope="module")
def district(env):
    return env.staff(role="supervisor", jurisdiction="320509")


@pytest.fixture
def refuses(district):
    """Send as the district's supervisor, dry run and real; each answer must be this problem
    (with these error fields, if given), and nothing stored or queued."""
    def refuses(content: bytes, status: int, fields: list[str] | None = None, content_type: str = XLSX,
                detail: str = "") -> dict:
        before = stored_state()
        for dry_run in ("true", "false"):
            body = assert_problem(send(district, content, dry_run, content_type), status)
            if fields is not None:
                assert [e["field"] for e in body.get("errors", [])] == fields, body
            assert detail in body["detail"], body
        assert stored_state() == before
        return body
    return refuses


GOOD = ledger(ledger_row("WG-1"))


@pytest.mark.parametrize(("content", "detail"), [
    (b"\x00\x01 not a workbook", "not an xlsx workbook"),
    ("外部编号,标题\nWG-1,漏水\n".encode(), "not an xlsx workbook"),
    (GOOD[: len(GOOD) * 2 // 3], "not an xlsx workbook"),
    (lying_sizes(GOOD), "not a readable xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "old .xls workbook"),
], ids=["bytes", "csv", "truncated", "member-larger-than-declared", "xls"])
def test_what_is_not_a_readable_xlsx_is_422(refuses, content, detail):
    refuses(content, 422, ["body"], detail=detail)


@pytest.mark.parametrize("content", [with_doctype(GOOD, BILLION_LAUGHS), with_doctype(GOOD, EXTERNAL_ENTITY,
                                                                                      entity=b"&xxe;"),
                                     with_doctype(GOOD, BILLION_LAUGHS, "xl/workbook.xml", b"")],
                         ids=["billion-laughs", "external-entity", "laughs-in-workbook"])
def test_xml_entity_attacks_are_422(refuses, content):
    refuses(content, 422, ["body"], detail="declares entities")


def test_a_macro_enabled_workbook_is_415_whether_declared_or_found_inside(refuses):
    for body in (refuses(macro_enabled(GOOD), 415), refuses(GOOD, 415, content_type=XLSM)):
        assert "macro-enabled workbooks (.xlsm) are not accepted" in body["detail"]


def test_a_zip_bomb_is_413(refuses):
    refuses(zip_bomb(), 413, detail="unpacks to over 50 MiB")


def test_formula_cells_are_422_naming_each_cell(refuses):
    content = xlsx([HEADER, ["WG-1", "=\"漏\"&\"水\"", "简况", "320509102001", None, "张三", None, "=1+1"]])
    body = refuses(content, 422, ["标题", "涉及人数"])
    assert body["errors"] == [{"row": 2, "field": "标题", "message": "B2 holds a formula: enter its value instead"},
                              {"row": 2, "field": "涉及人数", "message": "H2 holds a formula: enter its value instead"}]


def test_over_2000_rows_is_413_dry_run_or_not(refuses):
    refuses(many_rows(2001), 413, detail="more than 2,000 rows below the header")


def test_thousands_of_blank_rows_are_413_saying_to_delete_them(refuses):
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([ledger_row("WG-1").get(name) for name in HEADER])
    for row in range(3, 10_003):
        sheet.cell(row=row, column=1).value = ""
        sheet.cell(row=row, column=1).style = "Normal"
    buffer = io.BytesIO()
    workbook.save(buffer)
    refuses(buffer.getvalue(), 413, detail="delete the blank rows")


@pytest.mark.parametrize(("content", "fields"), [
    (xlsx([HEADER]), ["body"]),
    (xlsx([HEADER, [None] * 10, ["", "  "]]), ["body"]),
    (ledger(ledger_row("WG-1"), header=["外部编号", "标题", "当事人", "备注"]), ["纠纷简况", "区划代码"]),
    (xlsx([[*HEADER, "标题"], ["WG-1"]]), ["标题"]),
], ids=["header-only", "blank-rows-only", "missing-columns", "column-twice"])
def test_a_sheet_without_data_rows_or_required_columns_is_422(refuses, content, fields):
    refuses(content, 422, fields)


def test_missing_columns_are_named(refuses):
    body = refuses(ledger(ledger_row("WG-1"), header=["外部编号", "标题", "当事人"]), 422)
    assert body["errors"] == [{"field": "纠纷简况", "message": "the header row lacks this required column"},
                              {"field": "区划代码", "message": "the header row lacks this required column"}]


@pytest.mark.parametrize("content_type", ["application/json", "text/csv", "application/vnd.ms-excel", ""])
def test_another_media_type_is_415(refuses, content_type):
    refuses(GOOD, 415, content_type=content_type, detail=XLSX)


def test_a_body_over_5_mib_is_413(refuses):
    refuses(GOOD + b"\0" * (5 * 2**20), 413, detail="over 5 MiB")


def test_a_bad_dry_run_value_is_422(district):
    assert_problem(send(district, GOOD, "perhaps"), 422, "dry_run")


def test_partners_and_mediators_may_not_import_and_strangers_are_401(env):
    mediator = env.staff(role="mediator", mediator_id="M-CN-1")
    assert_problem(send(mediator, GOOD), 403)
    partner = env.partners["demo-12345"]
    signed = partner.headers("POST", PATH, GOOD)
    assert_problem(env.http.call("POST", PATH, raw=GOOD, headers={**signed, "Content-Type": XLSX}), 403)
    assert_problem(env.http.call("POST", PATH, raw=GOOD, headers={"Content-Type": XLSX}), 401)


def test_the_route_is_in_the_openapi_document_with_its_spreadsheet_body(env):
    document = env.http.call("GET", "/openapi.json").json
    operation = document["paths"][PATH]["post"]
    assert XLSX in operation["requestBody"]["content"]
    assert any(p["name"] == "dry_run" for p in operation.get("parameters", []))
