"""The safe xlsx reader (adapters/xlsx_reader.py): what it reads, and each kind of bad file it refuses."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import openpyxl.xml

import pytest

from chalicelib.adapters.xlsx_reader import MAX_UNPACKED_BYTES, XlsxReader
from chalicelib.domain.errors import FormulaCells, MacroSpreadsheet, SpreadsheetTooLarge, UnreadableSpreadsheet
from tests.ledger_files import (
    BILLION_LAUGHS, EXTERNAL_ENTITY, lying_sizes, macro_enabled, member, rezip, with_doctype, xlsx, zip_bomb)

GOOD = xlsx([["外部编号", "标题", "涉及人数"], ["R-1", "漏水", 2], ["R-2", "噪音", None]])


def read(content: bytes, max_rows: int = 2000):
    return XlsxReader().first_sheet(content, max_rows)


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


def test_the_rows_of_the_first_sheet_come_back_as_values_header_first():
    assert read(GOOD) == [("外部编号", "标题", "涉及人数"), ("R-1", "漏水", 2), ("R-2", "噪音", None)]


def test_only_the_first_sheet_is_read():
    workbook = openpyxl.Workbook()
    workbook.active.append(["外部编号"])
    workbook.active.append(["first"])
    workbook.create_sheet("其他").append(["second"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read(buffer.getvalue()) == [("外部编号",), ("first",)]


def test_rows_are_as_wide_as_the_header_and_gaps_are_blank_rows():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["a", "b", None])
    sheet["A2"] = "x"
    sheet["A5"] = "y"
    sheet["D5"] = "right of the header"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read(buffer.getvalue()) == [("a", "b"), ("x", None), (None, None), (None, None), ("y", None)]


def test_a_wrong_stored_dimension_does_not_hide_cells():
    content = xlsx([["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"]])
    sheet = member(content, "xl/worksheets/sheet1.xml").replace(b'<dimension ref="A1:C3"', b'<dimension ref="A1:A1"')
    assert read(rezip(content, {"xl/worksheets/sheet1.xml": sheet}))[2] == ("4", "5", "6")


@pytest.mark.parametrize("content", [
    b"",
    b"not a workbook at all",
    b"%PDF-1.7\n" + b"\0" * 100,
    b'{"rows": []}',
    GOOD[: len(GOOD) // 2],  # truncated: the zip's directory is at its end
    GOOD[:-10],
], ids=["empty", "text", "pdf", "json", "half", "tail-cut"])
def test_what_is_not_a_zip_archive_is_refused(content):
    with pytest.raises(UnreadableSpreadsheet, match="not an xlsx workbook"):
        read(content)


def _needing_zip_version(content: bytes, version: int) -> bytes:
    """The workbook whose central directory says its members need zip `version` to extract."""
    data = bytearray(content)
    for match in re.finditer(re.escape(b"PK\x01\x02"), content):
        data[match.start() + 6:match.start() + 8] = version.to_bytes(2, "little")
    return bytes(data)


def test_a_zip_of_a_version_zipfile_cannot_read_is_refused():
    with pytest.raises(UnreadableSpreadsheet, match="not an xlsx workbook"):
        read(_needing_zip_version(GOOD, 100))


def test_an_old_xls_or_a_password_protected_workbook_is_refused_with_a_hint():
    with pytest.raises(UnreadableSpreadsheet, match="old .xls workbook or a password-protected one"):
        read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(UnreadableSpreadsheet, match="not a readable xlsx workbook"):
        read(buffer.getvalue())


def test_a_workbook_without_its_sheet_is_refused():
    with pytest.raises(UnreadableSpreadsheet):
        read(rezip(GOOD, {"xl/worksheets/sheet1.xml": None}))


def test_a_damaged_member_is_refused():
    damaged = bytearray(GOOD)
    info = zipfile.ZipFile(io.BytesIO(GOOD)).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + 8
    damaged[start:start + 40] = bytes(40)
    with pytest.raises(UnreadableSpreadsheet):
        read(bytes(damaged))


def test_a_member_larger_than_it_declares_is_not_inflated_past_its_declared_size():
    with pytest.raises(UnreadableSpreadsheet):
        read(lying_sizes(GOOD))


@pytest.mark.parametrize("kwargs", [{}, {"content_type": False}, {"with_vba": False}],
                         ids=["xlsm", "vba-project-only", "macro-content-type-only"])
def test_a_macro_enabled_workbook_is_refused(kwargs):
    with pytest.raises(MacroSpreadsheet, match="macro-enabled workbooks .* are not accepted"):
        read(macro_enabled(GOOD, **kwargs))


def test_a_zip_bomb_is_refused_from_its_declared_sizes():
    bomb = zip_bomb(MAX_UNPACKED_BYTES + 1)
    assert len(bomb) < 200_000
    with pytest.raises(SpreadsheetTooLarge, match="unpacks to over 50 MiB"):
        read(bomb)


def test_an_archive_of_very_many_members_is_refused():
    with pytest.raises(SpreadsheetTooLarge, match="over 1000 parts"):
        read(rezip(GOOD, add={f"xl/media/{n}.bin": b"" for n in range(1001)}))


@pytest.mark.parametrize(("doctype", "name", "entity"), [
    (BILLION_LAUGHS, "xl/worksheets/sheet1.xml", b"&lol4;"),
    (EXTERNAL_ENTITY, "xl/worksheets/sheet1.xml", b"&xxe;"),
    (BILLION_LAUGHS, "xl/workbook.xml", b""),
    (EXTERNAL_ENTITY, "[Content_Types].xml", b""),
], ids=["laughs-in-sheet", "external-entity-in-sheet", "laughs-in-workbook", "external-entity-in-content-types"])
def test_xml_with_entity_declarations_is_refused(doctype, name, entity):
    with pytest.raises(UnreadableSpreadsheet, match="declares entities"):
        read(with_doctype(GOOD, doctype, name, entity))


def test_entity_declarations_are_refused_whatever_parser_openpyxl_uses():
    """With lxml installed (python-docx needs it), openpyxl parses the workbook's parts other than
    the sheets through lxml, which does not refuse a DTD: the reader looks for one itself."""
    assert openpyxl.xml.LXML  # the case this guards
    workbook = zipfile.ZipFile(io.BytesIO(GOOD)).read("xl/workbook.xml").decode("utf-8")
    utf16 = b"\xff\xfe" + ('<!DOCTYPE x [<!ENTITY a "b">]>' + workbook).encode("utf-16-le")  # no ASCII `<!DOCTYPE`
    with pytest.raises(UnreadableSpreadsheet, match="declares entities"):
        read(rezip(GOOD, {"xl/workbook.xml": utf16}))


@pytest.mark.parametrize("padding", [0, 64 * 1024 - 4, 200_000])
def test_a_document_type_is_found_anywhere_in_a_part_even_across_the_chunks_read(padding):
    from chalicelib.adapters.xlsx_reader import declares_document_type

    text = b'<?xml version="1.0"?><!--' + b"x" * padding + b"--><!doctype r><r/>"
    assert declares_document_type(io.BytesIO(text))
    assert not declares_document_type(io.BytesIO(text.replace(b"<!doctype", b"<!-- ")))
    assert declares_document_type(io.BytesIO(text.decode().encode("utf-16-be")))  # `\x00<\x00?`: no BOM
    assert declares_document_type(io.BytesIO(text.decode().encode("utf-32")))  # with its byte-order mark
    assert declares_document_type(io.BytesIO(text.decode().encode("utf-32-be")))  # `\x00\x00\x00<`: no BOM
    assert not declares_document_type(io.BytesIO(text.replace(b"<!doctype", b"<!-- ").decode().encode("utf-32-le")))


def test_formula_cells_are_refused_each_named_with_its_column_heading():
    content = xlsx([["外部编号", "涉及人数", "涉及金额(元)"], ["R-1", "=1+1", 5], ["R-2", 3, "=B3*100"]])
    with pytest.raises(FormulaCells, match="only values: B2, C3 hold formulas") as refused:
        read(content)
    assert refused.value.cells == [(2, "B2", "涉及人数"), (3, "C3", "涉及金额(元)")]


def test_an_array_formula_and_a_formula_in_the_header_are_formulas_too():
    from openpyxl.worksheet.formula import ArrayFormula

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["外部编号", "=\"标\"&\"题\""])
    sheet["A2"] = ArrayFormula("A2", "=SUM(1,2)")
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(FormulaCells) as refused:
        read(buffer.getvalue())
    assert refused.value.cells == [(1, "B1", None), (2, "A2", "外部编号")]


def test_text_that_merely_starts_with_an_equals_sign_is_a_value():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "标题"
    sheet["A2"].value = "=不是公式"
    sheet["A2"].data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read(buffer.getvalue()) == [("标题",), ("=不是公式",)]


def test_many_formula_cells_are_counted_and_the_first_ones_named():
    content = xlsx([["a"], *[["=1"] for _ in range(25)]])
    with pytest.raises(FormulaCells, match=r"A2, .*A21 and 5 more hold formulas") as refused:
        read(content)
    assert len(refused.value.cells) == 20


def test_up_to_the_row_limit_is_read_and_one_more_row_is_refused():
    assert len(read(xlsx([["a"], *[[n] for n in range(5)]]), max_rows=5)) == 6
    with pytest.raises(SpreadsheetTooLarge, match="more than 5 rows below the header"):
        read(xlsx([["a"], *[[n] for n in range(6)]]), max_rows=5)


def test_blank_rows_count_towards_the_limit_and_the_refusal_says_to_delete_them():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["a", "b"])
    sheet.append(["x", "y"])
    for row in range(3, 10_003):  # formatted, empty rows, as Excel keeps them
        sheet.cell(row=row, column=1).style = "Good"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(SpreadsheetTooLarge, match=r"\(2,000 of the first 2,001 are blank\).*delete the blank rows"):
        read(buffer.getvalue())


def test_a_sheet_whose_first_row_is_empty_has_no_header():
    with pytest.raises(UnreadableSpreadsheet, match="first row is empty"):
        read(xlsx([[None, "  "], ["R-1", "x"]]))
    with pytest.raises(UnreadableSpreadsheet, match="first row is empty"):
        read(xlsx([]))
