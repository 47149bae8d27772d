"""adapters/ledger_files.py: the csv bytes (BOM, CRLF, RFC 4180 quoting, formula guard) and the xlsx
workbook read back with openpyxl (one sheet 台账, values only, strings stay strings)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from chalicelib.adapters.ledger_files import write_csv, write_ledger, write_xlsx
from chalicelib.domain.ledger import HEADER, WIDTHS, LedgerFormat

ROWS = [
    [1, "HW1", "=HYPERLINK(\"http://evil.example\",\"点我\")", "逗号,和\"引号\"", "两行\n文字", 5000, None, 12.5],
    [2, "HW2", "+86 138", "-1", "@SUM(A1)", 0, "楼上漏水", None],
]


def csv_bytes(rows=ROWS, header=HEADER[:8]) -> bytes:
    out = io.BytesIO()
    write_csv(header, iter(rows), out)
    return out.getvalue()


def test_csv_is_utf8_with_a_bom_and_crlf_line_ends():
    data = csv_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + "序号,案件编号".encode())
    assert data.endswith(b"\r\n")
    text = data.decode("utf-8-sig")
    assert text.count("\r\n") == 3  # the header and two records; a line break inside a field stays as it was
    assert "\n" not in text.replace("\r\n", "").replace("两行\n文字", "")


def test_csv_quotes_as_rfc_4180_and_reads_back_to_the_guarded_values():
    text = csv_bytes().decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://evil.example"",""点我"")"' in text
    assert '"逗号,和""引号"""' in text and '"两行\n文字"' in text
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert records[0] == list(HEADER[:8])
    assert records[1] == ["1", "HW1", "'=HYPERLINK(\"http://evil.example\",\"点我\")", "逗号,和\"引号\"", "两行\n文字",
                          "5000", "", "12.5"]
    assert records[2] == ["2", "HW2", "'+86 138", "'-1", "'@SUM(A1)", "0", "楼上漏水", ""]


def test_csv_leaves_the_callers_file_open():
    out = io.BytesIO()
    write_csv(HEADER, iter([]), out)
    out.write(b"more")
    assert out.getvalue().endswith(b"\r\nmore")


def xlsx(rows=ROWS) -> openpyxl.Workbook:
    out = io.BytesIO()
    write_xlsx(HEADER[:8], WIDTHS[:8], iter(rows), out)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


def test_xlsx_has_one_sheet_with_the_header_frozen_and_widths():
    workbook = xlsx()
    assert workbook.sheetnames == ["台账"]
    sheet = workbook["台账"]
    assert [cell.value for cell in sheet[1]] == list(HEADER[:8])
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == WIDTHS[1]


def test_xlsx_cells_are_values_and_strings_stay_strings():
    sheet = xlsx()["台账"]
    first, second = ([(cell.value, cell.data_type) for cell in sheet[n]] for n in (2, 3))
    assert first[2] == ("=HYPERLINK(\"http://evil.example\",\"点我\")", "s")  # not a formula, and no quote added
    assert first[:2] == [(1, "n"), ("HW1", "s")] and first[5] == (5000, "n") and first[7] == (12.5, "n")
    assert first[6][0] is None
    assert [value for value, _ in second[2:5]] == ["+86 138", "-1", "@SUM(A1)"]
    assert all(kind != "f" for row in sheet.iter_rows() for kind in [cell.data_type for cell in row])


@pytest.mark.parametrize("value", ["#N/A", "#REF!", "=1+1"])
def test_xlsx_keeps_error_codes_and_formulas_as_text(value):
    cell = xlsx([[value]])["台账"]["A2"]
    assert (cell.value, cell.data_type) == (value, "s")


def test_xlsx_drops_characters_a_worksheet_cannot_hold():
    assert xlsx([["响\x01应\x1f"]])["台账"]["A2"].value == "响应"


@pytest.mark.parametrize(("ledger_format", "signature"), [(LedgerFormat.XLSX, b"PK\x03\x04"),
                                                         (LedgerFormat.CSV, b"\xef\xbb\xbf")])
def test_write_ledger_picks_the_format(ledger_format, signature):
    out = io.BytesIO()
    write_ledger(ledger_format, HEADER, WIDTHS, iter([]), out)
    assert out.getvalue().startswith(signature)


def test_csv_writes_each_row_before_it_asks_for_the_next():
    out = io.BytesIO()
    sizes = []

    def rows():
        for n in range(1, 501):
            sizes.append(out.tell())
            yield [n, f"HW{n}"]

    write_csv(HEADER[:2], rows(), out)
    assert len(sizes) == 500 and all(later > earlier for earlier, later in zip(sizes, sizes[1:]))
