"""The patrol ledger's columns and rows (domain/patrol_import.py): header, cells → case body, error columns."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.patrol_import import (
    COLUMNS, Problem, case_body, column_of, is_blank, location_of, read_header, row_values, sort_key)

FULL_ROW = {"外部编号": "WG-1", "标题": "楼上漏水", "纠纷简况": "卫生间漏水，协商未果", "区划代码": "320509102001",
            "纠纷类别": "邻里", "当事人": "张三、李四、王五", "联系电话": "13812345678", "涉及人数": 3,
            "涉及金额(元)": 5000, "风险情形": "扬言自杀、群体性"}


def test_a_full_row_becomes_the_body_intake_takes():
    body, problems = case_body(2, FULL_ROW)
    assert problems == []
    assert body == {
        "channel": "grid_patrol", "external_ref": "WG-1", "title": "楼上漏水", "description": "卫生间漏水，协商未果",
        "region_code": "320509102001", "category": "neighbor",
        "parties": [{"role": "applicant", "name": "张三", "phone": "13812345678"},
                    {"role": "respondent", "name": "李四"}, {"role": "respondent", "name": "王五"}],
        "party_count": 3, "amount_cny": 5000.0, "risk_indicators": ["suicide_risk", "group_dispute"]}


def test_blank_optional_cells_leave_their_fields_out():
    row = {**FULL_ROW, "纠纷类别": None, "联系电话": "  ", "涉及人数": None, "涉及金额(元)": "", "风险情形": None,
           "当事人": "张三"}
    body, problems = case_body(2, row)
    assert problems == []
    assert set(body) == {"channel", "external_ref", "title", "description", "region_code", "parties"}
    assert body["parties"] == [{"role": "applicant", "name": "张三"}]


@pytest.mark.parametrize(("column", "cell", "field", "value"), [
    # numeric cells, as Excel keeps codes and phones typed without a leading quote
    ("区划代码", 320509102001, "region_code", "320509102001"),
    ("区划代码", 320509102001.0, "region_code", "320509102001"),
    ("区划代码", " 320509102001 ", "region_code", "320509102001"),
    ("外部编号", 20261121001, "external_ref", "20261121001"),
    ("外部编号", 12.5, "external_ref", "12.5"),
    ("涉及人数", 7.0, "party_count", 7),
    ("涉及人数", "12", "party_count", 12),
    ("涉及人数", "１２", "party_count", 12),
    ("涉及金额(元)", 1234.5, "amount_cny", 1234.5),
    ("涉及金额(元)", "12,000", "amount_cny", 12000.0),
    ("涉及金额(元)", 0, "amount_cny", 0.0),
    # labels of /v1/meta, a part of a label, the enum value
    ("纠纷类别", "婚姻家庭", "category", "marriage_family"),
    ("纠纷类别", "土地山林草场/青苗补偿/土地流转", "category", "land_resources"),
    ("纠纷类别", "欠薪", "category", "labor_wages"),
    ("纠纷类别", "加装电梯", "category", "housing_construction"),
    ("纠纷类别", "traffic_accident", "category", "traffic_accident"),
    ("纠纷类别", " 其他 ", "category", "other"),
    ("风险情形", "家暴", "risk_indicators", ["domestic_violence"]),
    ("风险情形", "威胁恐吓、老幼病残、long_standing", "risk_indicators",
     ["threat_of_violence", "vulnerable_party", "long_standing"]),
    ("风险情形", "重复访、", "risk_indicators", ["repeated_petition"]),
    # free text is kept as typed
    ("标题", "  楼上漏水 ", "title", "  楼上漏水 "),
    ("纠纷简况", 2024, "description", "2024"),
])
def test_a_cell_is_read_for_its_column(column, cell, field, value):
    body, problems = case_body(2, {**FULL_ROW, column: cell})
    assert problems == []
    assert body[field] == value


def test_a_phone_typed_as_a_number_becomes_its_digits_and_goes_to_the_first_party():
    body, _ = case_body(2, {**FULL_ROW, "联系电话": 13812345678})
    assert body["parties"][0]["phone"] == "13812345678"
    assert all("phone" not in party for party in body["parties"][1:])


@pytest.mark.parametrize(("column", "cell", "message"), [
    ("涉及人数", "五人", "must be a whole number"),
    ("涉及人数", 2.5, "must be a whole number"),
    ("涉及人数", True, "must be a whole number"),
    ("涉及人数", "9" * 5000, "must be a whole number"),  # int() of so many digits would fail
    ("涉及人数", "١٢", "must be a whole number"),  # digits of another script
    ("涉及金额(元)", "9" * 400, "must be a number (of yuan)"),
    ("涉及金额(元)", "五千", "must be a number (of yuan)"),
    ("涉及金额(元)", float("inf"), "must be a number (of yuan)"),
    ("纠纷类别", "打架", "is not a category"),
    ("风险情形", "家暴、打人", "item 2 is not a risk indicator"),
    ("标题", dt.datetime(2026, 11, 23), "must be text, not a date or time"),
    ("外部编号", False, "must be text, not TRUE/FALSE"),
    ("区划代码", float("nan"), "is not a finite number"),
])
def test_a_cell_that_cannot_stand_for_its_column_is_a_problem_of_that_column(column, cell, message):
    _, problems = case_body(5, {**FULL_ROW, column: cell})
    assert [(p.row, p.column) for p in problems] == [(5, column)]
    assert problems[0].message.startswith(message)


def test_a_phone_without_a_name_is_a_problem_of_the_names():
    _, problems = case_body(4, {**FULL_ROW, "当事人": "、 ", "联系电话": "13812345678"})
    assert [(p.row, p.column) for p in problems] == [(4, "当事人")]
    assert "no name" in problems[0].message


def test_every_problem_of_a_row_is_reported():
    _, problems = case_body(3, {**FULL_ROW, "涉及人数": "很多", "纠纷类别": "不知道", "风险情形": "未知"})
    assert [p.column for p in sorted(problems, key=sort_key)] == ["纠纷类别", "涉及人数", "风险情形"]


@pytest.mark.parametrize(("location", "column", "prefix"), [
    (("external_ref",), "外部编号", ""),
    (("title",), "标题", ""),
    (("description",), "纠纷简况", ""),
    (("region_code",), "区划代码", ""),
    (("category",), "纠纷类别", ""),
    (("parties",), "当事人", ""),
    (("parties", 0, "phone"), "联系电话", ""),
    (("parties", 0, "name"), "当事人", "name 1: "),
    (("parties", 2, "name"), "当事人", "name 3: "),
    (("party_count",), "涉及人数", ""),
    (("amount_cny",), "涉及金额(元)", ""),
    (("risk_indicators",), "风险情形", ""),
    (("risk_indicators", 1), "风险情形", "item 2: "),
    (("address",), "address", ""),
])
def test_a_validation_error_is_put_on_the_column_of_its_field(location, column, prefix):
    assert column_of(location) == (column, prefix)


@pytest.mark.parametrize(("path", "location"), [
    ("region_code", ("region_code",)),
    ("parties[0].phone", ("parties", 0, "phone")),
    ("parties[12].name", ("parties", 12, "name")),
    ("risk_indicators[1]", ("risk_indicators", 1)),
])
def test_an_api_field_path_reads_back_as_a_location(path, location):
    assert location_of(path) == location
    assert column_of(location_of("parties[1].phone"))[0] == "联系电话"


def test_the_header_names_the_columns_in_any_order_and_other_columns_are_ignored():
    names = ["序号", "当事人", "标题", None, "外部编号", "区划代码", "纠纷简况", "备注", "涉及金额（元）", " 联系电话 "]
    header, problems = read_header(names)
    assert problems == []
    assert header.positions == {"当事人": 1, "标题": 2, "外部编号": 4, "区划代码": 5, "纠纷简况": 6, "涉及金额(元)": 8,
                                "联系电话": 9}
    assert header.ignored == ("序号", "备注")


def test_a_header_without_required_columns_names_each_one_missing():
    _, problems = read_header(["外部编号", "标题", "联系电话"])
    assert [(p.row, p.column) for p in problems] == [(None, "纠纷简况"), (None, "区划代码"), (None, "当事人")]
    assert all("lacks this required column" in p.message for p in problems)


def test_a_column_named_twice_is_a_header_problem():
    _, problems = read_header([c.name for c in COLUMNS] + ["标题"])
    assert problems == [Problem(1, "标题", "the column is named twice in the header row")]


def test_row_values_and_blank_rows():
    header, _ = read_header(["外部编号", "标题", "纠纷简况", "区划代码", "当事人", "备注"])
    values = row_values(header, ("R-1", None, "x"))
    assert values == {"外部编号": "R-1", "标题": None, "纠纷简况": "x", "区划代码": None, "当事人": None}
    assert not is_blank(values)
    assert is_blank(row_values(header, (None, "  ", None, None, None, "只有备注")))
    assert is_blank(row_values(header, ()))


def test_problems_sort_by_row_then_in_the_contracts_column_order():
    problems = [Problem(3, "风险情形", ""), Problem(2, "联系电话", ""), Problem(3, "外部编号", ""), Problem(2, "标题", "")]
    assert [(p.row, p.column) for p in sorted(problems, key=sort_key)] == [
        (2, "标题"), (2, "联系电话"), (3, "外部编号"), (3, "风险情形")]
