"""LedgerExports (台账导出, §13) on the fakes: the rows counted before any case is read, the ledger as the
answer up to SYNC_ROWS, an export job beyond, the worker writing it once, its failure on the last try,
and who may read a job."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from chalicelib.adapters.bootstrap import DLQ_MAX_RECEIVE_COUNT, QUEUE_VISIBILITY_SECONDS
from chalicelib.domain import ledger as ledger_domain
from chalicelib.domain.enums import CaseStatus as S
from chalicelib.domain.ledger import HEADER, ExportJob, ExportStatus
from chalicelib.services import ledger as ledger_service
from chalicelib.services.action_registry import MergeCase
from chalicelib.services.commands import LedgerQuery
from chalicelib.services.errors import Forbidden, NotFound, Unprocessable
from chalicelib.services.ledger import LedgerFile
from tests.support import OTHER_VILLAGE
from tests.unit.services.builders import ADMIN, MEDIATOR, MONDAY, OTHER_SUPERVISOR, SUPERVISOR, parse


def query(region: str = "320509", first: str = "2026-11-23", last: str = "2026-11-23", fmt: str = "csv"):
    return parse(LedgerQuery, {"region": region, "from": first, "to": last, "format": fmt})


def records(answer: LedgerFile) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(answer.content.lstrip("\ufeff"), newline="")))
    assert rows[0] == list(HEADER)
    return [dict(zip(HEADER, row)) for row in rows[1:]]


@pytest.fixture
def ledger(container):
    return container.ledger


@pytest.fixture
def three(centre, clock):
    """R-1 resolved (Monday 10:00), R-2 merged into R-3 (10:05, 10:10), all in the demo village."""
    resolved = centre.case_at(S.RESOLVED, "R-1")
    clock.advance(minutes=5)
    source = centre.case_at(S.DISPATCHED, "R-2", parties=[{"role": "applicant", "name": "赵六", "phone": "13700000001"}])
    clock.advance(minutes=5)
    target = centre.case_at(S.DISPATCHED, "R-3", parties=[{"role": "applicant", "name": "钱七", "phone": "13700000002"}])
    centre.services.merger.merge(source.case_id, parse(MergeCase, {"into": target.case_id, "reason": "同一纠纷"}),
                                 ADMIN)
    return resolved, source, target


def test_the_ledger_lists_every_case_of_the_range_newest_first_merged_ones_too(ledger, three):
    resolved, source, target = three
    answer = ledger.request(query(), SUPERVISOR)
    assert isinstance(answer, LedgerFile) and answer.rows == 3
    assert (answer.media_type, answer.filename) == ("text/csv; charset=utf-8", "台账_320509_2026-11-23_2026-11-23.csv")
    shown = records(answer)
    assert [(r["序号"], r["案件编号"], r["状态"]) for r in shown] == [
        ("1", target.case_id, "已派单"), ("2", source.case_id, "已合并"), ("3", resolved.case_id, "调解成功")]
    assert shown[1]["调处结果"] == f"已并入 {target.case_id}"
    assert shown[2]["调解组织"] == "城南社区人民调解委员会" and shown[2]["调解员"] == "王调解"
    assert shown[2]["当事人"] == "张*、李*" and shown[2]["联系电话"] == "138****5678"


def test_the_ledger_names_the_assisting_orgs_and_the_leader_in_charge_masked(ledger, centre):
    red = centre.case_at(S.ACCEPTED, "R-1", risk_indicators=["threat_of_violence"])  # routed to the town, T-SL
    for org_id in ("V-CN", "D-WJ"):
        centre.act(red.case_id, "add_participant", org_id=org_id)
    centre.act(red.case_id, "sponsor")  # 李明, 吴江区副区长, by 2026-12-20
    shown = records(ledger.request(query(), SUPERVISOR))[0]
    assert shown["调解组织"] == "松陵街道人民调解委员会（联合：城南社区人民调解委员会、吴江区矛盾纠纷调处化解中心）"
    assert shown["督办等级"] == "无；领导包案：李*（吴江区副区长），2026-12-20前化解"
    assert "李明" not in str(shown) and "13900000301" not in str(shown)


def test_the_ledger_is_xlsx_by_default(ledger, three):
    answer = ledger.request(parse(LedgerQuery, {"region": "320509", "from": "2026-11-23", "to": "2026-11-23"}), ADMIN)
    assert answer.content.startswith(b"PK") and answer.filename.endswith(".xlsx")
    assert answer.media_type == ledger_domain.MEDIA_TYPES[ledger_domain.LedgerFormat.XLSX]


def test_the_range_is_of_shanghai_days_and_the_region_a_prefix(ledger, centre, clock):
    clock.set(dt.datetime(2026, 11, 22, 23, 59, tzinfo=MONDAY.tzinfo))
    centre.file("SUN")  # Sunday 23:59
    clock.set(MONDAY.replace(hour=0, minute=0))
    monday = centre.file("MON")  # Monday 00:00
    clock.advance(minutes=1)
    elsewhere = centre.file("ELSEWHERE", region_code=OTHER_VILLAGE)
    clock.set(dt.datetime(2026, 11, 24, 0, 0, tzinfo=MONDAY.tzinfo))
    centre.file("TUE")
    assert [r["外部编号"] for r in records(ledger.request(query(), SUPERVISOR))] == ["ELSEWHERE", "MON"]
    assert [r["案件编号"] for r in records(ledger.request(query("320509102"), SUPERVISOR))] == [monday.case_id]
    assert [r["案件编号"] for r in records(ledger.request(query(OTHER_VILLAGE), ADMIN))] == [elsewhere.case_id]
    assert records(ledger.request(query(first="2026-11-25", last="2026-11-30"), ADMIN)) == []


@pytest.mark.parametrize(("scope", "principal", "error"), [
    (query(first="2026-11-24"), SUPERVISOR, Unprocessable),
    (query(), OTHER_SUPERVISOR, Forbidden),
    (query(), MEDIATOR, Forbidden),
])
def test_a_reversed_range_or_a_region_outside_the_jurisdiction_is_refused_before_anything_is_read(
        ledger, centre, store, export_jobs, scope, principal, error):
    centre.file("R-1")
    with pytest.raises(error):
        ledger.request(scope, principal)
    assert store.reads == 0 and export_jobs.jobs == {}


def test_more_rows_than_an_answer_holds_make_an_export_job_counted_without_reading_a_case(
        ledger, three, store, export_jobs, publisher, monkeypatch, clock):
    monkeypatch.setattr(ledger_domain, "SYNC_ROWS", 2)
    job = ledger.request(query(), SUPERVISOR)
    assert isinstance(job, ExportJob) and store.reads == 0
    assert (job.rows, job.status, job.requested_by, job.created_at) == (3, ExportStatus.RUNNING, SUPERVISOR.actor,
                                                                        clock())
    assert export_jobs.jobs[job.export_id].rows == 3
    assert publisher.bodies("exports") == [{"export_id": job.export_id}]


def test_a_range_over_the_export_limit_is_refused(ledger, three, store, export_jobs, monkeypatch):
    monkeypatch.setattr(ledger_domain, "MAX_ROWS", 2)
    with pytest.raises(Unprocessable) as refused:
        ledger.request(query(), ADMIN)
    assert refused.value.errors[0]["field"] == "to" and "3 cases" in refused.value.detail
    assert store.reads == 0 and export_jobs.jobs == {}


def test_a_few_rows_too_heavy_for_an_answer_are_exported_instead(ledger, three, export_jobs, monkeypatch):
    monkeypatch.setattr(ledger_service, "SYNC_BODY_BYTES", 100)
    job = ledger.request(query(), ADMIN)
    assert isinstance(job, ExportJob) and job.export_id in export_jobs.jobs


@pytest.fixture
def queued(ledger, three, monkeypatch) -> ExportJob:
    monkeypatch.setattr(ledger_domain, "SYNC_ROWS", 1)
    return ledger.request(query(), SUPERVISOR)


def test_the_worker_writes_the_file_once_and_marks_the_job_ready(ledger, queued, export_files, clock):
    clock.advance(minutes=1)
    ledger.run(queued.export_id, attempt=1)
    content, media_type, filename = export_files.files[queued.object_key]
    assert (media_type, filename) == ("text/csv; charset=utf-8", queued.filename)
    assert len(records(LedgerFile(content.decode(), media_type, filename, 0))) == 3
    state = ledger.state(queued.export_id, SUPERVISOR)
    assert (state.status, state.job.rows, state.job.finished_at) == (ExportStatus.READY, 3, clock())
    assert state.url == f"https://exports.example/{queued.object_key}?expires_in=900"
    assert state.url_expires_at == clock() + dt.timedelta(minutes=15)
    clock.advance(minutes=1)
    ledger.run(queued.export_id, attempt=2)  # the same message again: nothing is redone
    assert export_files.uploads == 1 and ledger.state(queued.export_id, ADMIN).job.finished_at == state.job.finished_at


def test_a_failing_try_leaves_the_job_running_and_the_last_one_marks_it_failed(ledger, queued, export_files):
    export_files.failing = True
    with pytest.raises(ConnectionError):
        ledger.run(queued.export_id, attempt=4)
    assert ledger.state(queued.export_id, SUPERVISOR).status is ExportStatus.RUNNING
    with pytest.raises(ConnectionError):
        ledger.run(queued.export_id, attempt=5)
    failed = ledger.state(queued.export_id, SUPERVISOR)
    assert (failed.status, failed.url) == (ExportStatus.FAILED, None)
    export_files.failing = False
    ledger.run(queued.export_id, attempt=1)  # redriven from the dead-letter queue: written after all
    assert ledger.state(queued.export_id, SUPERVISOR).status is ExportStatus.READY


def test_a_job_nobody_could_finish_reads_failed_after_every_try_had_its_time(ledger, queued, clock):
    every_try = dt.timedelta(seconds=DLQ_MAX_RECEIVE_COUNT * QUEUE_VISIBILITY_SECONDS["exports"])  # 5 × 1 h
    clock.advance(every_try - dt.timedelta(seconds=1))
    assert ledger.state(queued.export_id, SUPERVISOR).status is ExportStatus.RUNNING
    clock.advance(seconds=1)
    assert ledger.state(queued.export_id, SUPERVISOR).status is ExportStatus.FAILED


def test_a_message_for_no_job_is_done_with(ledger, export_files):
    ledger.run("EX20261123FFFFFFFFFFFFFFFF", attempt=1)
    assert export_files.files == {}


@pytest.mark.parametrize("principal", [OTHER_SUPERVISOR, MEDIATOR])
def test_only_who_asked_or_an_admin_reads_a_job(ledger, queued, principal):
    assert ledger.state(queued.export_id, ADMIN).job.export_id == queued.export_id
    with pytest.raises(NotFound):
        ledger.state(queued.export_id, principal)


@pytest.mark.parametrize("export_id", ["nope", "EX20261123FFFFFFFFFFFFFFFF", "x" * 300])
def test_an_unknown_job_is_not_found(ledger, export_id):
    with pytest.raises(NotFound):
        ledger.state(export_id, ADMIN)


def test_a_job_is_gone_a_day_after_it_was_asked_for(ledger, queued, clock):
    ledger.run(queued.export_id, attempt=1)
    clock.advance(days=1)
    with pytest.raises(NotFound):
        ledger.state(queued.export_id, SUPERVISOR)
