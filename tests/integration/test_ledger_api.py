"""The case ledger (台账导出, §13) through the HTTP API on moto: xlsx read back with openpyxl, the csv
bytes, who may ask, bad parameters, and the export path (202, the worker on the exports queue, the
presigned link fetched from moto's S3, a message delivered twice, a job failing on its last try)."""

from __future__ import annotations

import csv
import io
import json

import boto3
import openpyxl
import pytest
import requests

from app import app
from chalicelib import wiring
from chalicelib.adapters.bootstrap import DLQ_MAX_RECEIVE_COUNT
from chalicelib.adapters.models import ExportJobModel
from chalicelib.api.http import XLSX
from chalicelib.config import exports_bucket, queue_name
from chalicelib.domain import ledger as ledger_domain
from chalicelib.domain.ledger import HEADER
from devstack.pump import FakeLambdaContext, sqs_event
from tests.integration.conftest import staff_token
from tests.integration.test_stats_api import assist, sponsor
from tests.support import OTHER_VILLAGE, Clock, assert_problem, drain, new_case_body, valid_id_number

DAY = {"region": "320509", "from": "2026-11-23", "to": "2026-11-23"}
"""The tests' clock starts on Monday 23 November 2026, 10:00 in Shanghai."""
FORMULA_TITLE = '=HYPERLINK("http://evil.example","点我")'
SECOND_ID_NUMBER = valid_id_number("32058419850202123")


def file(admin, ref: str, **overrides) -> str:
    created = admin.call("POST", "/v1/cases", new_case_body(ref, **overrides))
    assert created.status == 201, created
    return created.json["case_id"]


@pytest.fixture
def cases(admin, directory) -> list[str]:
    """Three cases of the day, routed; the second merged into the third. Newest first."""
    first = file(admin, "L-1", title=FORMULA_TITLE)
    second = file(admin, "L-2", parties=[{"role": "applicant", "name": "欧阳娜娜", "phone": "13700000001",
                                          "id_number": SECOND_ID_NUMBER}])
    third = file(admin, "L-3", region_code=OTHER_VILLAGE,
                 parties=[{"role": "applicant", "name": "赵六", "phone": "13700000002"}])
    drain("routing", "route_cases")
    merged = admin.call("POST", f"/v1/cases/{second}/merge", {"into": third, "reason": "同一纠纷"})
    assert merged.status == 200, merged
    return [third, second, first]


def ledger(caller, fmt: str | None = "csv", accept: str = "*/*", **query):
    params = {**DAY, **query, **({"format": fmt} if fmt else {})}
    return caller.call("GET", "/v1/ledger", query=params, headers={"Accept": accept})


def csv_records(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


# ------------------------------------------------------------------ the files


def test_the_xlsx_ledger_reads_back_with_the_contracts_header_and_values_only(admin, cases):
    answer = ledger(admin, fmt=None, accept=XLSX)  # xlsx is the default
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == XLSX
    assert answer.headers["content-disposition"].startswith("attachment; ")
    assert answer.headers["content-disposition"].endswith(
        "filename*=UTF-8''%E5%8F%B0%E8%B4%A6_320509_2026-11-23_2026-11-23.xlsx")  # 台账_…
    workbook = openpyxl.load_workbook(io.BytesIO(answer.raw))
    assert workbook.sheetnames == ["台账"]
    rows = list(workbook["台账"].iter_rows())
    assert [cell.value for cell in rows[0]] == list(HEADER)
    body = [dict(zip(HEADER, row)) for row in rows[1:]]
    assert [r["案件编号"].value for r in body] == cases and [r["序号"].value for r in body] == [1, 2, 3]
    title = body[2]["纠纷简况"]
    assert (title.value, title.data_type) == (FORMULA_TITLE, "s")
    assert all(cell.data_type != "f" for row in rows for cell in row)
    assert (body[1]["状态"].value, body[1]["调处结果"].value) == ("已合并", f"已并入 {cases[0]}")
    assert body[0]["当事人"].value == "赵*、欧***" and body[0]["联系电话"].value == "137****0002"
    assert (body[2]["调解组织"].value, body[2]["调解员"].value, body[2]["层级"].value) == (
        "城南社区人民调解委员会", "王调解", "村社前哨")
    text = json.dumps([[cell.value for cell in row] for row in rows], ensure_ascii=False, default=str)
    for secret in ("张三", "欧阳娜娜", "13812345678", "13700000001", valid_id_number(), SECOND_ID_NUMBER):
        assert secret not in text


def test_the_csv_ledger_is_utf8_with_a_bom_crlf_and_guarded_formulas(admin, cases):
    answer = ledger(admin)
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith("attachment; ")
    assert answer.raw.startswith(b"\xef\xbb\xbf" + ",".join(HEADER).encode() + b"\r\n")
    assert answer.raw.count(b"\r\n") == 4 and answer.raw.endswith(b"\r\n")
    records = csv_records(answer.raw)
    assert records[0] == list(HEADER)
    shown = [dict(zip(HEADER, record)) for record in records[1:]]
    assert [r["案件编号"] for r in shown] == cases
    assert shown[2]["纠纷简况"] == "'" + FORMULA_TITLE
    assert shown[2]["受理日期"].startswith("2026-11-23 10:0") and shown[2]["涉及金额(元)"] == "5000"
    assert "13812345678" not in answer.raw.decode("utf-8-sig")


def test_an_empty_range_is_a_ledger_of_the_header_alone(admin, directory):
    answer = ledger(admin, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert answer.status == 200 and csv_records(answer.raw) == [list(HEADER)]


def test_the_ledger_names_the_assisting_orgs_and_the_leader_in_charge_masked(admin, directory):
    red = file(admin, "L-HARD", risk_indicators=["threat_of_violence"])  # red: the town (T-SL) leads
    drain("routing", "route_cases")
    assist(admin, red, "V-CN", "D-WJ")
    sponsor(admin, red)  # 李明, 吴江区副区长, by 2026-12-20
    answer = ledger(admin)
    assert answer.status == 200, answer
    shown = dict(zip(HEADER, csv_records(answer.raw)[1]))
    assert shown["调解组织"] == "松陵街道人民调解委员会（联合：城南社区人民调解委员会、吴江区矛盾纠纷调处化解中心）"
    assert shown["督办等级"] == "无；领导包案：李*（吴江区副区长），2026-12-20前化解"
    assert "李明" not in answer.raw.decode("utf-8-sig") and "13900000301" not in answer.raw.decode("utf-8-sig")


def test_a_binary_ledger_needs_an_accept_that_takes_it(admin, cases):
    refused = ledger(admin, fmt="xlsx", accept="application/json")
    assert_problem(refused, 406)
    assert ledger(admin, fmt="xlsx", accept=f"{XLSX}, text/html").status == 200
    assert ledger(admin, fmt="xlsx", accept="*/*").status == 200
    # API Gateway decides on the first type named: this one would get base64 text in the cloud
    assert_problem(ledger(admin, fmt="xlsx", accept=f"application/json, {XLSX}, */*"), 406)


# ------------------------------------------------------------------ who and what


def test_a_supervisor_gets_the_ledger_of_their_jurisdiction_only(admin, cases):
    district = staff_token(admin, role="supervisor", jurisdiction="320509")
    town = staff_token(admin, role="supervisor", jurisdiction="320509102")
    assert ledger(district).status == 200
    mine = ledger(town, region="320509102")
    assert mine.status == 200 and [r[1] for r in csv_records(mine.raw)[1:]] == cases[1:]
    assert_problem(ledger(town), 403)
    assert_problem(ledger(town, region="320509103"), 403)


def test_mediators_and_partners_get_no_ledger(admin, partner, cases):
    mediator = staff_token(admin, role="mediator", mediator_id="M-CN-1")
    assert_problem(ledger(mediator), 403)
    assert_problem(partner.call("GET", "/v1/ledger", query={**DAY, "format": "csv"}), 403)


@pytest.mark.parametrize(("params", "field"), [
    ({"region": "32050"}, "region"), ({"region": "abcdef"}, "region"), ({"region": "3205091020011"}, "region"),
    ({"from": "2026-13-01"}, "from"), ({"to": "tomorrow"}, "to"), ({"from": "2026-11-24"}, "from"),
    ({"from": "1999-12-31"}, "from"), ({"to": "2100-01-01"}, "to"), ({"format": "pdf"}, "format"),
    ({"format": "XLSX"}, "format"), ({"region": None}, "region"), ({"from": None}, "from")])
def test_bad_parameters_are_422_naming_them_and_start_nothing(admin, directory, params, field):
    query = {**DAY, "format": "csv", **params}
    answer = admin.call("GET", "/v1/ledger", query={k: v for k, v in query.items() if v is not None})
    assert_problem(answer, 422, field)
    assert list(ExportJobModel.scan()) == []


# ------------------------------------------------------------------ exports


@pytest.fixture
def small_answers(monkeypatch):
    """Answers of at most 2 rows, so that three cases make an export."""
    monkeypatch.setattr(ledger_domain, "SYNC_ROWS", 2)


def start_export(caller, fmt: str = "csv") -> str:
    answer = ledger(caller, fmt)
    assert answer.status == 202, answer
    location = answer.headers["location"]
    assert location == f"/v1/exports/{answer.json['export_id']}"
    assert (answer.json["status"], answer.json["rows"], answer.json["url"]) == ("running", 3, None)
    return location


def s3_keys() -> list[str]:
    return [item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket=exports_bucket()).get("Contents", [])]


def test_more_rows_than_an_answer_holds_are_exported_and_fetched_through_the_link(admin, cases, small_answers,
                                                                                  monkeypatch):
    supervisor = staff_token(admin, role="supervisor", jurisdiction="320509")
    wiring.current().clock.now = Clock.START.replace(hour=11)  # the export's times exactly
    location = start_export(supervisor)
    assert supervisor.call("GET", location).json["status"] == "running"
    assert drain("exports", "write_exports") == 1
    ready = supervisor.call("GET", location)
    assert ready.status == 200, ready
    export_id = location.rsplit("/", 1)[-1]
    assert (ready.json["status"], ready.json["rows"], ready.json["expires_at"]) == (
        "ready", 3, "2026-11-23T11:15:00+08:00")
    assert s3_keys() == [f"ledger/{export_id}.csv"]
    fetched = requests.get(ready.json["url"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert fetched.headers["Content-Disposition"].startswith("attachment; ")
    assert [r[1] for r in csv_records(fetched.content)[1:]] == cases
    monkeypatch.setattr(ledger_domain, "SYNC_ROWS", 5_000)  # the same ledger as an answer: the same bytes
    assert ledger(supervisor).raw == fetched.content


def test_an_xlsx_export_reads_back_like_the_answer(admin, cases, small_answers):
    location = start_export(admin, "xlsx")
    drain("exports", "write_exports")
    url = admin.call("GET", location).json["url"]
    workbook = openpyxl.load_workbook(io.BytesIO(requests.get(url, timeout=10).content))
    rows = [[cell.value for cell in row] for row in workbook["台账"].iter_rows()]
    assert rows[0] == list(HEADER) and [row[1] for row in rows[1:]] == cases


def test_an_export_is_read_by_who_asked_and_admins_only(admin, partner, cases, small_answers):
    supervisor = staff_token(admin, role="supervisor", jurisdiction="320509")
    location = start_export(supervisor)
    assert admin.call("GET", location).status == 200
    for other in (staff_token(admin, role="supervisor", jurisdiction="320509102", sub="town-head"),
                  staff_token(admin, role="mediator", mediator_id="M-CN-1")):
        assert_problem(other.call("GET", location), 404)
    assert_problem(partner.call("GET", location), 404)
    assert_problem(admin.call("GET", "/v1/exports/EX20261123FFFFFFFFFFFFFFFF"), 404)
    assert_problem(admin.call("GET", "/v1/exports/not-an-export"), 404)


def deliver(export_id: str, receive_count: int):
    """One exports message as SQS hands it over on its `receive_count`-th delivery."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("exports"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    message = {"MessageId": f"m-{receive_count}", "ReceiptHandle": f"r-{receive_count}",
               "Body": json.dumps({"export_id": export_id}),
               "Attributes": {"ApproximateReceiveCount": str(receive_count)}}
    return app.handler_map["write_exports"](sqs_event([message], arn, "us-east-1"), FakeLambdaContext("write_exports"))


def test_a_message_delivered_again_after_the_export_is_ready_writes_nothing(admin, cases, small_answers):
    location = start_export(admin)
    drain("exports", "write_exports")
    export_id = location.rsplit("/", 1)[-1]
    before = admin.call("GET", location).json
    boto3.client("s3").delete_object(Bucket=exports_bucket(), Key=f"ledger/{export_id}.csv")
    assert deliver(export_id, 2) == {"processed": 1}
    assert s3_keys() == [] and admin.call("GET", location).json["finished_at"] == before["finished_at"]


def test_an_export_failing_on_its_last_try_is_failed_and_a_redrive_writes_it(admin, cases, small_answers):
    from chalicelib.workers import BatchFailed

    location = start_export(admin)
    export_id = location.rsplit("/", 1)[-1]
    files = wiring.current().export_files
    files.bucket = "hewei-local-no-such-bucket"
    with pytest.raises(BatchFailed):
        deliver(export_id, 1)
    assert admin.call("GET", location).json["status"] == "running"
    with pytest.raises(BatchFailed):
        deliver(export_id, DLQ_MAX_RECEIVE_COUNT)
    failed = admin.call("GET", location).json
    assert (failed["status"], failed["url"]) == ("failed", None)
    files.bucket = exports_bucket()
    assert deliver(export_id, 1) == {"processed": 1}  # the message redriven from the dead-letter queue
    assert admin.call("GET", location).json["status"] == "ready" and s3_keys() == [f"ledger/{export_id}.csv"]


def test_the_exports_queue_has_a_dead_letter_queue_and_outlasts_its_worker(aws):
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name("exports"))["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":" + queue_name("exports-dlq"))
    assert int(redrive["maxReceiveCount"]) == DLQ_MAX_RECEIVE_COUNT
    assert int(attributes["VisibilityTimeout"]) >= 6 * 600  # as infra: 6 × the worker's timeout
