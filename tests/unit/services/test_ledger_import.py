"""LedgerImportService (排查台账导入) on the fakes: rows filed through intake, dry runs, replays, row errors, bad files."""

from __future__ import annotations

import pytest

from chalicelib.domain.enums import CaseStatus, Category, CategorySource, Channel, RiskLevel
from chalicelib.services.commands import NewCase
from chalicelib.services.errors import ContentTooLarge, Unprocessable, UnsupportedMediaType
from chalicelib.services.intake import STAFF_OWNER
from tests.ledger_files import HEADER, ledger, ledger_row, macro_enabled, many_rows, xlsx
from tests.support import OTHER_VILLAGE, VILLAGE
from tests.unit.services.builders import MONDAY, SUPERVISOR, Centre, Principal, parse

TOWN_SUPERVISOR = Principal(SUPERVISOR.role, "supervisor:320509102", jurisdiction="320509102")


@pytest.fixture
def run(centre):
    def run(content: bytes, dry_run: bool = False, principal=SUPERVISOR):
        return centre.services.ledger_import.run(content, principal, dry_run=dry_run)
    return run


def errors(report) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in report.problems]


def test_a_dry_run_checks_every_row_and_writes_nothing(centre, run):
    before = centre.state()
    report = run(ledger(ledger_row("WG-1"), ledger_row("WG-2", 联系电话="12345")), dry_run=True)
    assert centre.state() == before
    assert (report.dry_run, report.rows, report.valid, report.created, report.existing) == (True, 2, 1, 0, 0)
    assert errors(report) == [(3, "联系电话")] and report.cases == []


def test_a_real_run_files_each_valid_row_through_intake_and_asks_for_its_routing(centre, run, store, publisher):
    report = run(ledger(ledger_row("WG-1"), ledger_row("WG-2", 风险情形="扬言自杀", 纠纷类别=None, 当事人="王五")))
    assert (report.rows, report.valid, report.created, report.existing, report.problems) == (2, 2, 2, 0, [])
    first, second = (store.get(case.case_id) for case in report.cases)
    assert [(c.row, c.external_ref, c.created) for c in report.cases] == [(2, "WG-1", True), (3, "WG-2", True)]
    assert (first.channel, first.owner, first.status, first.received_at, first.created_by) == (
        Channel.GRID_PATROL, f"{STAFF_OWNER}:{SUPERVISOR.jurisdiction}", CaseStatus.RECEIVED, MONDAY, SUPERVISOR.actor)
    assert [(p.role, p.name, p.phone) for p in first.parties] == [
        ("applicant", "张三", "13812345678"), ("respondent", "李四", None)]
    assert (first.category, first.category_source, first.risk_level, first.amount_cny) == (
        Category.NEIGHBOR, CategorySource.PARTNER, RiskLevel.BLUE, 5000)
    assert (second.category_source, second.risk_level, second.risk_indicators) == (
        CategorySource.AUTO, RiskLevel.RED, ["suicide_risk"])
    assert [e.type for e in store.events(first.case_id)][:2] == ["received", "triaged"]
    assert [body["case_id"] for body in publisher.bodies("routing")] == [first.case_id, second.case_id]


def test_an_imported_row_is_the_case_its_post_would_file(centre, run):
    """The same row sent as `POST /v1/cases` afterwards by the importing supervisor is a replay
    of the imported case: the same command, the same owner, the same request digest."""
    case_id = run(ledger(ledger_row("WG-1", 风险情形="群体性、家暴", 涉及人数=30))).cases[0].case_id
    body = {"external_ref": "WG-1", "channel": "grid_patrol", "title": "楼上漏水引发邻里纠纷",
            "description": "楼上住户卫生间漏水，多次协商未果。", "region_code": VILLAGE, "category": "neighbor",
            "parties": [{"role": "applicant", "name": "张三", "phone": "13812345678"},
                        {"role": "respondent", "name": "李四"}],
            "party_count": 30, "amount_cny": 5000, "risk_indicators": ["group_dispute", "domestic_violence"]}
    replay = centre.services.intake.file_case(parse(NewCase, body), SUPERVISOR)
    assert (replay.created, replay.case.case_id) == (False, case_id)


def test_importing_the_same_file_again_creates_nothing(centre, run):
    content = many_rows(5)
    first = run(content)
    before = centre.state()
    again = run(content)
    assert centre.state() == before
    assert (again.rows, again.valid, again.created, again.existing) == (5, 5, 0, 5)
    assert [c.case_id for c in again.cases] == [c.case_id for c in first.cases]
    assert not any(c.created for c in again.cases)


def test_a_dry_run_of_a_file_already_imported_counts_its_rows_as_existing(run):
    run(ledger(ledger_row("WG-1")))
    report = run(ledger(ledger_row("WG-1"), ledger_row("WG-2")), dry_run=True)
    assert (report.valid, report.created, report.existing) == (2, 0, 1)
    assert [(c.row, c.created) for c in report.cases] == [(2, False)]


def test_a_reference_already_used_for_another_case_is_a_row_error_with_that_case(run):
    case_id = run(ledger(ledger_row("WG-1"))).cases[0].case_id
    for dry_run in (True, False):
        report = run(ledger(ledger_row("WG-1", 标题="另一起纠纷"), ledger_row("WG-2")), dry_run=dry_run)
        assert errors(report) == [(2, "外部编号")]
        assert (report.problems[0].message, report.problems[0].case_id) == (
            "was already used for a different case", case_id)
        assert report.valid == 1


def test_a_reference_twice_in_one_file_is_an_error_on_the_second(store, run):
    report = run(ledger(ledger_row("WG-1"), ledger_row("WG-2"), ledger_row("WG-1")))
    assert errors(report) == [(4, "外部编号")] and report.problems[0].message == "repeats the 外部编号 of row 2"
    assert (report.rows, report.valid, report.created) == (3, 2, 2)


def test_row_errors_name_the_chinese_column_and_the_spreadsheet_row_and_the_valid_rows_are_filed(run, store):
    report = run(ledger(
        ledger_row("WG-1"),
        ledger_row("WG-2", 联系电话="12345", 纠纷类别="打架"),
        ledger_row("WG-3", 当事人=None, 联系电话=None),
        ledger_row("bad ref", 区划代码="3205091020", 标题="<script>x</script>"),
        ledger_row("WG-5", 当事人="张三、" + "李" * 51),
        ledger_row("WG-6", 涉及人数=1),
        ledger_row("WG-7")))
    assert errors(report) == [
        (3, "纠纷类别"), (3, "联系电话"), (4, "当事人"), (5, "外部编号"), (5, "标题"), (5, "区划代码"), (6, "当事人"),
        (7, "涉及人数")]
    messages = {(p.row, p.column): p.message for p in report.problems}
    assert messages[4, "当事人"] == "the cell is blank"
    assert messages[5, "标题"] == "markup (HTML or script) is not allowed"
    assert messages[6, "当事人"].startswith("name 2: String should have at most 50 characters")
    assert messages[7, "涉及人数"] == "party_count is less than the number of parties listed"
    assert "12345" not in messages[3, "联系电话"]
    assert (report.rows, report.valid, report.created) == (7, 2, 2)
    assert [c.row for c in report.cases] == [2, 8]


def test_blank_rows_are_skipped_and_not_counted(run):
    content = xlsx([HEADER, [None] * len(HEADER), [ledger_row("WG-1").get(name) for name in HEADER],
                    ["", " ", None], [ledger_row("WG-2").get(name) for name in HEADER]])
    report = run(content)
    assert (report.rows, report.created) == (2, 2)
    assert [c.row for c in report.cases] == [3, 5]


def test_columns_come_in_any_order_and_unknown_ones_are_ignored_and_listed(run, store):
    header = ["序号", "当事人", "区划代码", "纠纷简况", "标题", "外部编号", "备注"]
    report = run(ledger({**ledger_row("WG-1"), "序号": 1, "备注": "已上报"}, header=header))
    assert report.ignored_columns == ("序号", "备注")
    case = store.get(report.cases[0].case_id)
    assert (case.region_code, case.title, [p.phone for p in case.parties]) == (VILLAGE, "楼上漏水引发邻里纠纷", [None, None])


def test_a_supervisor_imports_only_rows_within_the_jurisdiction(run):
    report = run(ledger(ledger_row("WG-1"), ledger_row("WG-2", 区划代码=OTHER_VILLAGE)), principal=TOWN_SUPERVISOR)
    assert errors(report) == [(3, "区划代码")] and "outside your jurisdiction" in report.problems[0].message
    assert (report.valid, report.created) == (1, 1)


def test_a_region_missing_from_the_directory_is_a_row_error(run):
    report = run(ledger(ledger_row("WG-1", 区划代码="320509102999")), dry_run=True)
    assert [(p.row, p.column, p.message) for p in report.problems] == [
        (2, "区划代码", "no such region in the directory")]


def test_a_twin_filed_meanwhile_makes_the_row_existing(centre, run, store):
    """A row filed by someone else between the import's read of the claims and its write is
    intake's replay: existing, not created twice."""
    twin = []
    store.interleave(lambda: twin.append(run(ledger(ledger_row("WG-1")))))
    report = run(ledger(ledger_row("WG-1")))
    assert (report.created, report.existing, report.cases[0].case_id) == (0, 1, twin[0].cases[0].case_id)


def test_a_lost_routing_message_loses_no_row(run, store, publisher):
    publisher.fail("routing")
    report = run(many_rows(3))
    assert report.created == 3 and all(store.get(c.case_id) for c in report.cases)


@pytest.mark.parametrize(("content", "error", "fields"), [
    (ledger(ledger_row("WG-1"), header=["外部编号", "标题", "联系电话"]), Unprocessable, ["纠纷简况", "区划代码", "当事人"]),
    (xlsx([HEADER, [None] * 3]), Unprocessable, ["body"]),
    (xlsx([HEADER]), Unprocessable, ["body"]),
    (b"not a spreadsheet", Unprocessable, ["body"]),
    (macro_enabled(ledger(ledger_row("WG-1"))), UnsupportedMediaType, []),
    (xlsx([HEADER, *[[f"WG-{n}"] for n in range(2001)]]), ContentTooLarge, []),
    (xlsx([HEADER, ["WG-1", "=A1"], ["WG-2", None, None, None, None, None, None, "=2*3"]]), Unprocessable,
     ["标题", "涉及人数"]),
], ids=["missing-columns", "blank-rows-only", "header-only", "not-xlsx", "macros", "2001-rows", "formulas"])
def test_a_bad_file_is_refused_as_a_whole_and_writes_nothing(centre, run, content, error, fields):
    for dry_run in (True, False):
        with centre.refuses(error) as refused:
            run(content, dry_run=dry_run)
        assert [e["field"] for e in refused.value.errors] == fields


def test_formula_cells_are_refused_with_their_rows(centre, run):
    with centre.refuses(Unprocessable) as refused:
        run(xlsx([HEADER, ["WG-1", "=A1"]]))
    assert refused.value.errors == [{"row": 2, "field": "标题", "message": "B2 holds a formula: enter its value instead"}]


def _a_second_centre() -> Centre:
    """Another centre on fresh fakes, its clock at the same moment."""
    from tests.fakes import FakeClock
    from tests.unit.services.conftest import fake_container

    return Centre(fake_container(FakeClock(MONDAY)))


def _outcomes(centre, case_ids) -> dict[str, tuple]:
    """What intake decided of each case: its grade, triage, duplicates, related case and timeline."""
    store = centre.store
    return {case_id: (case.risk_level, case.category, case.category_source, case.party_count,
                      case.possible_duplicates, case.related_case_id,
                      [(e.type, e.detail) for e in store.events(case_id)])
            for case_id in case_ids for case in [store.get(case_id)]}


@pytest.fixture
def numbered_case_ids(monkeypatch):
    """Case ids in filing order (`restart()` begins again), so that two runs name their cases
    alike and ties between duplicates break alike."""
    import itertools

    from chalicelib.services import intake

    counter = {"next": itertools.count()}
    monkeypatch.setattr(intake, "new_case_id", lambda at: f"HW{at:%Y%m%d}{next(counter['next']):08d}")
    return lambda: counter.update(next=itertools.count())


def test_a_real_run_decides_each_case_as_filing_its_rows_one_by_one_would(centre, run, numbered_case_ids):
    """Risk (the repeated party), triage, duplicates and related cases of rows written in groups,
    among each other and with a case stored before, are those of the same commands filed one
    by one through intake."""
    phones = ["13812345678", "13900000001", "13900000002", None]
    rows = [ledger_row(f"WG-{n:02d}", 联系电话=phones[n % 4], 区划代码=[VILLAGE, OTHER_VILLAGE][n % 3 == 0],
                       纠纷类别=[None, "邻里", "婚姻家庭"][n % 3], 标题=f"楼上漏水引发邻里纠纷{n % 5}",
                       纠纷简况=["楼上住户卫生间漏水，多次协商未果。", "夫妻因彩礼返还发生争执。"][n % 2])
            for n in range(27)]
    content = ledger(*rows)  # and the partner's open case P-1: same village, category and phone as some rows

    reference = _a_second_centre()
    numbered_case_ids()
    reference_earlier = reference.file("P-1")
    reference_ids = [reference_earlier.case_id]
    table = centre.services.spreadsheet_reader.first_sheet(content, 2000)
    from chalicelib.domain.patrol_import import case_body, read_header, row_values

    header, _ = read_header(table[0])
    for number, cells in enumerate(table[1:], start=2):
        body, _ = case_body(number, row_values(header, cells))
        reference_ids.append(reference.services.intake.file_case(parse(NewCase, body), SUPERVISOR).case.case_id)

    numbered_case_ids()
    earlier = centre.file("P-1")
    report = run(content)
    assert report.created == 27 and report.problems == []
    imported = _outcomes(centre, [earlier.case_id, *(c.case_id for c in report.cases)])
    expected = _outcomes(reference, reference_ids)
    assert imported == expected
    assert {levels[0] for levels in imported.values()} >= {RiskLevel.BLUE, RiskLevel.YELLOW}
    assert sum(bool(outcome[4]) for outcome in imported.values()) >= 20
    assert sum(outcome[5] is not None for outcome in imported.values()) >= 10


def test_a_real_run_writes_its_cases_ten_at_a_time_and_routes_each_once(centre, run, store, publisher):
    writes = []
    create_many = store.create_many
    store.create_many = lambda batch: writes.append(len(batch)) or create_many(batch)
    report = run(many_rows(25))
    assert writes == [10, 10, 5]
    assert sorted(body["case_id"] for body in publisher.bodies("routing")) == sorted(c.case_id for c in report.cases)


def test_rows_not_reached_in_time_are_reported_to_be_sent_again_and_the_others_are_filed(centre, store):
    """A real run stops filing 24 s into the request (API Gateway gives up at 29 s): what it
    filed stays filed, the rows left are row errors, and sending the file again finishes it."""
    import itertools

    from chalicelib.services.ledger_import import FILING_SECONDS, LedgerImportService

    services = centre.services
    moments = itertools.chain([0.0, 0.0], itertools.repeat(FILING_SECONDS))  # start, first group, then late

    def service(timer):
        return LedgerImportService(services.spreadsheet_reader, services.intake, services.case_store,
                                   services.directory_store, services.publisher, services.clock, timer)

    content = many_rows(25)
    report = service(lambda: next(moments)).run(content, SUPERVISOR, dry_run=False)
    assert (report.rows, report.valid, report.created) == (25, 10, 10)
    assert [p.row for p in report.problems] == list(range(12, 27))
    assert {p.column for p in report.problems} == {"外部编号"} and "send the same file again" in report.problems[0].message
    assert all(store.get(case.case_id) for case in report.cases)
    again = service(lambda: 0.0).run(content, SUPERVISOR, dry_run=False)
    assert (again.valid, again.created, again.existing, again.problems) == (25, 15, 10, [])
